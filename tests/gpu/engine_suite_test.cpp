// One engine test suite, run on every engine with the same expectations: the reference engine
// ("cpu", always) and the CUDA engine ("cuda", skipped where no NVIDIA GPU is usable). Covers
// the dispatch modes (standard, continuous, mega, persistent), stop signals and their PC and
// cycle conventions, faults, and the persistent mode's syscall handler contract: registers,
// the whole state, memory and mappings changed by the handler are what the guest sees next.
// Also the CUDA engine's error paths.
#include <gtest/gtest.h>

#include <string>
#include <vector>

#include "engines/cuda/cuda_engine.hpp"
#include "engines/engine.hpp"
#include "isa/mmu.hpp"

namespace kvrm {
namespace {

constexpr u64 kCode = 0x400000;
constexpr u64 kData = 0x600000;
constexpr u64 kExtra = 0x800000;

// A64 words used below.
constexpr u32 kAddX0 = 0x91000400;      // add x0, x0, #1
constexpr u32 kSvc = 0xd4000001;        // svc #0
constexpr u32 kHlt = 0xd4400000;        // hlt #0
constexpr u32 kMovX8_172 = 0xd2801588;  // mov x8, #172
constexpr u32 kSubsX19 = 0xf1000673;    // subs x19, x19, #1
constexpr u32 kLdrX1X2 = 0xf9400041;    // ldr x1, [x2]
constexpr u32 kStrX0X2 = 0xf9000040;    // str x0, [x2]
constexpr u32 kMovV0ToX4 = 0x4e083c04;  // mov x4, v0.d[0]
constexpr u32 kLdrX5X6 = 0xf94000c5;    // ldr x5, [x6]
// b.ne back by n instructions
constexpr u32 bne_back(int n) { return 0x54000001 | ((static_cast<u32>(-n) & 0x7ffff) << 5); }
constexpr u32 b_back(int n) { return 0x14000000 | (static_cast<u32>(-n) & 0x3ffffff); }

// "cuda_jit": code is translated before each launch from its start PC (and what became hot),
// so that every test runs translated code as far as it can.
std::unique_ptr<Engine> make(const std::string& kind) {
  if (kind == "cpu") return make_reference_engine(u64{64} << 20);
  if (kind == "cuda_jit") {
    return make_cuda_engine({.memory_limit = u64{64} << 20,
                             .jit = {.mode = JitMode::On, .hot_threshold = 1, .wait = true}});
  }
  return make_cuda_engine({.memory_limit = u64{64} << 20, .jit = {.mode = JitMode::Off}});
}

class EngineSuite : public ::testing::TestWithParam<std::string> {
 protected:
  void SetUp() override {
    if (GetParam() != "cpu") {
      std::string why;
      if (!cuda_available(&why)) GTEST_SKIP() << why;
    }
    e = make(GetParam());
    e->map(kCode, 0x1000, kPermRead | kPermExec);
    e->map(kData, 0x2000, kPermRead | kPermWrite);
  }
  void load(const std::vector<u32>& code) {
    e->write_memory(kCode, code.data(), code.size() * 4);
    e->set_pc(kCode);
  }
  std::unique_ptr<Engine> e;
};

TEST_P(EngineSuite, StandardDispatchStopsAtHaltWithItsPcAndCycles) {
  load({kAddX0, kAddX0, kAddX0, kHlt});
  const RunResult r = e->execute(100);
  EXPECT_EQ(r.signal, Signal::Halt);
  EXPECT_STREQ(r.signal_name(), "HALT");
  EXPECT_EQ(r.cycles, 3u);
  EXPECT_EQ(r.pc, kCode + 12);
  EXPECT_EQ(e->reg(0), 3u);
}

TEST_P(EngineSuite, BudgetEndsWithCheckpointExactly) {
  load({kAddX0, b_back(1)});
  const RunResult r = e->execute(1001);
  EXPECT_EQ(r.signal, Signal::Checkpoint);
  EXPECT_EQ(r.cycles, 1001u);
  EXPECT_EQ(e->reg(0), 501u);
  EXPECT_EQ(r.pc, kCode + 4);
}

TEST_P(EngineSuite, SvcStopsAfterItselfAndCounts) {
  load({kAddX0, kSvc, kHlt});
  const RunResult r = e->execute(100);
  EXPECT_EQ(r.signal, Signal::Syscall);
  EXPECT_EQ(r.cycles, 2u);
  EXPECT_EQ(r.pc, kCode + 8);
}

TEST_P(EngineSuite, ContinuousBatchesAndMegaAgree) {
  load({kAddX0, b_back(1)});
  RunResult r = e->execute_continuous(1000, 7, 60.0);
  EXPECT_EQ(r.signal, Signal::Checkpoint);
  EXPECT_EQ(r.batch_count, 7u);
  EXPECT_EQ(r.cycles, 7000u);
  r = e->execute_mega(3000);
  EXPECT_EQ(r.cycles, 3000u);
  EXPECT_EQ(e->reg(0), 5000u);
  // A HALT inside a batch ends the continuous run in that batch.
  load({kAddX0, kAddX0, kHlt});
  r = e->execute_continuous(1000, 5, 60.0);
  EXPECT_EQ(r.signal, Signal::Halt);
  EXPECT_EQ(r.batch_count, 1u);
  EXPECT_EQ(r.cycles, 2u);
}

TEST_P(EngineSuite, FaultsAndUndefinedAreStopSignals) {
  load({kLdrX1X2});
  e->set_reg(2, 0x12340000);
  RunResult r = e->execute(10);
  EXPECT_EQ(r.signal, Signal::Fault);
  EXPECT_EQ(r.info.fault_addr, 0x12340000u);
  EXPECT_EQ(r.info.access, Access::Read);
  EXPECT_EQ(r.info.cause, FaultCause::Unmapped);
  EXPECT_EQ(r.pc, kCode);
  EXPECT_EQ(r.cycles, 0u);
  // A store to a read-only page.
  e->protect(kData, 0x1000, kPermRead);
  load({kStrX0X2});
  e->set_reg(2, kData + 8);
  r = e->execute(10);
  EXPECT_EQ(r.signal, Signal::Fault);
  EXPECT_EQ(r.info.access, Access::Write);
  EXPECT_EQ(r.info.cause, FaultCause::Permission);
  // Word 0 is UDF #0.
  load({0});
  r = e->execute(10);
  EXPECT_EQ(r.signal, Signal::Undefined);
  EXPECT_EQ(r.pc, kCode);
}

TEST_P(EngineSuite, PersistentServicesEverySyscallInOneRun) {
  // x19 iterations of: x8 = 172; svc; x3 += x0 (the handler's answer)
  load({kMovX8_172, kSvc, 0x8b000063 /* add x3, x3, x0 */, kSubsX19, bne_back(4), kHlt});
  e->set_reg(19, 1000);
  u64 calls = 0;
  const RunResult r = e->execute_persistent(1'000'000, 60.0, [&](Engine& eng) {
    EXPECT_EQ(eng.reg(8), 172u);
    EXPECT_EQ(eng.pc(), kCode + 8);
    eng.set_reg(0, ++calls);
    return true;
  });
  EXPECT_EQ(r.signal, Signal::Halt);
  EXPECT_EQ(r.syscalls, 1000u);
  EXPECT_EQ(calls, 1000u);
  EXPECT_EQ(r.cycles, 5000u);
  EXPECT_EQ(e->reg(3), 1000u * 1001u / 2);
}

TEST_P(EngineSuite, PersistentHandlerMayChangeTheWholeState) {
  // After the svc the handler moves the PC to the second program and sets V0 and X2; the
  // guest then copies V0 into X4 and loads through X2.
  load({kSvc, kHlt, kMovV0ToX4, kLdrX1X2, kHlt});
  const u64 value = 0x1122334455667788;
  e->write_memory(kData + 16, &value, 8);
  const RunResult r = e->execute_persistent(100, 60.0, [&](Engine& eng) {
    CoreState s = eng.state();
    s.pc = kCode + 8;
    s.v[0].lo = 0xabcdef;
    s.x[2] = kData + 16;
    s.nzcv = 0x60000000;
    eng.set_state(s);
    return true;
  });
  EXPECT_EQ(r.signal, Signal::Halt);
  EXPECT_EQ(r.pc, kCode + 16);
  EXPECT_EQ(e->reg(4), 0xabcdefu);
  EXPECT_EQ(e->reg(1), value);
  EXPECT_EQ(e->state().nzcv, 0x60000000u);
}

TEST_P(EngineSuite, PersistentHandlerSeesAndChangesMemoryAndMappings) {
  // The guest stores x0 then calls; the handler reads it, writes a new value for the guest to
  // load, and maps a new page holding another value.
  load({kStrX0X2, kSvc, kLdrX1X2, kLdrX5X6, kHlt});
  e->set_reg(0, 0x5555);
  e->set_reg(2, kData + 0x100);
  e->set_reg(6, kExtra + 0x10);
  const RunResult r = e->execute_persistent(100, 60.0, [&](Engine& eng) {
    u64 seen = 0;
    eng.read_memory(kData + 0x100, &seen, 8);
    EXPECT_EQ(seen, 0x5555u);
    const u64 reply = 0x7777;
    eng.write_memory(kData + 0x100, &reply, 8);
    eng.map(kExtra, 0x1000, kPermRead | kPermWrite);
    const u64 extra = 0x9999;
    eng.write_memory(kExtra + 0x10, &extra, 8);
    return true;
  });
  EXPECT_EQ(r.signal, Signal::Halt);
  EXPECT_EQ(e->reg(1), 0x7777u);
  EXPECT_EQ(e->reg(5), 0x9999u);
}

TEST_P(EngineSuite, PersistentHandlerCanEndTheRun) {
  load({kSvc, kAddX0, b_back(2)});
  int calls = 0;
  const RunResult r = e->execute_persistent(1000, 60.0, [&](Engine&) { return ++calls < 3; });
  EXPECT_EQ(r.signal, Signal::Syscall);
  EXPECT_EQ(calls, 3);
  EXPECT_EQ(r.pc, kCode + 4);
  EXPECT_EQ(e->reg(0), 2u);
  // The engine goes on from there.
  const RunResult again = e->execute(1);
  EXPECT_EQ(again.cycles, 1u);
  EXPECT_EQ(e->reg(0), 3u);
}

TEST_P(EngineSuite, PersistentHandlerExceptionPropagates) {
  load({kSvc, kHlt});
  EXPECT_THROW(
      e->execute_persistent(100, 60.0, [](Engine&) -> bool { throw Error("handler failed"); }),
      Error);
  // The engine stays usable: it stopped after the SVC.
  EXPECT_EQ(e->pc(), kCode + 4);
  EXPECT_EQ(e->execute(10).signal, Signal::Halt);
}

TEST_P(EngineSuite, PersistentBudgetAndTimeoutEndWithCheckpoint) {
  load({kAddX0, b_back(1)});
  const auto never = [](Engine&) -> bool { throw Error("no syscall expected"); };
  RunResult r = e->execute_persistent(12345, 0, never);
  EXPECT_EQ(r.signal, Signal::Checkpoint);
  EXPECT_EQ(r.cycles, 12345u);
  r = e->execute_persistent(~u64{0} >> 1, 0.2, never);
  EXPECT_EQ(r.signal, Signal::Checkpoint);
  EXPECT_GT(r.cycles, 0u);
  EXPECT_LT(r.elapsed_seconds, 30.0);
}

TEST_P(EngineSuite, BadArgumentsAreErrors) {
  EXPECT_THROW(e->read_memory(0x7000000, nullptr, 8), Error);
  EXPECT_THROW(e->reg(32), Error);
  EXPECT_THROW(e->set_reg(-1, 0), Error);
  EXPECT_THROW(e->execute_continuous(0, 1, 1.0), Error);
  EXPECT_THROW(e->execute_persistent(10, 0, nullptr), Error);
}

INSTANTIATE_TEST_SUITE_P(Engines, EngineSuite, ::testing::Values("cpu", "cuda", "cuda_jit"),
                         [](const auto& info) { return info.param; });

// The CUDA engine's error paths: clear kvrm::Error exceptions, never a crash.
TEST(CudaErrors, NoGpuIsAClearError) {
  std::string why;
  if (cuda_available(&why)) GTEST_SKIP() << "a GPU is present";
  EXPECT_FALSE(why.empty());
  try {
    make_cuda_engine();
    FAIL() << "make_cuda_engine succeeded without a GPU";
  } catch (const Error& err) {
    EXPECT_NE(std::string(err.what()).find("CUDA engine is not available"), std::string::npos)
        << err.what();
  }
}

TEST(CudaErrors, BadDeviceAndOutOfMemoryAreClearErrors) {
  std::string why;
  if (!cuda_available(&why)) GTEST_SKIP() << why;
  try {
    make_cuda_engine({.memory_limit = u64{1} << 20, .device = 99});
    FAIL() << "device 99 accepted";
  } catch (const Error& err) {
    EXPECT_NE(std::string(err.what()).find("does not exist"), std::string::npos) << err.what();
  }
  // More guest memory than any GPU has (4 TiB).
  try {
    make_cuda_engine({.memory_limit = u64{4} << 40});
    FAIL() << "a 4 TiB engine was created";
  } catch (const Error& err) {
    EXPECT_FALSE(std::string(err.what()).empty());
  }
  // The GPU is still usable afterwards.
  auto e = make_cuda_engine({.memory_limit = u64{1} << 20});
  e->map(kCode, 0x1000, kPermRead | kPermExec);
  const u32 code[] = {kAddX0, kHlt};
  e->write_memory(kCode, code, sizeof code);
  e->set_pc(kCode);
  EXPECT_EQ(e->execute(10).signal, Signal::Halt);
}

}  // namespace
}  // namespace kvrm

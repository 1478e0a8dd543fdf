// GPU tests (ctest label `gpu`) of block translation on the single-core CUDA engine: translated
// code gives the reference engine's results, a persistent run switches to translated code
// while it runs, and code changed by a syscall handler stops the translated code at once.
// Skipped where no NVIDIA GPU is usable. (The translator itself is tested without a GPU in
// tests/jit; the lanes on the GPU in tests/unit/batch_parallel_test.cpp.)
#include <gtest/gtest.h>

#include "engines/cuda/cuda_engine.hpp"
#include "engines/engine.hpp"
#include "isa/mmu.hpp"
#include "require_gpu.hpp"

namespace kvrm {
namespace {

constexpr u64 kCode = 0x400000;

// x0 += 1 for x19 iterations, then x19 = 1000 and getpid, again.
const std::vector<u32> kLoopWithSyscalls = {
    0x91000400,  // 0:  add x0, x0, #1
    0xf1000673,  // 4:  subs x19, x19, #1
    0x54ffffc1,  // 8:  b.ne 0
    0xd2807d13,  // 12: mov x19, #1000
    0xd2801588,  // 16: mov x8, #172
    0xd4000001,  // 20: svc #0
    0x17fffffa,  // 24: b 0
};

std::unique_ptr<Engine> loaded(std::unique_ptr<Engine> e, const std::vector<u32>& code) {
  e->map(kCode, 0x1000, kPermRead | kPermExec);
  e->write_memory(kCode, code.data(), code.size() * 4);
  e->set_pc(kCode);
  e->set_reg(19, 1000);
  return e;
}

// Runs persistently, answering `calls` syscalls (X0 of the guest kept: the handler leaves X0
// as it was, plus 7) and calling `on_call(engine, n)` at each.
template <class OnCall>
RunResult run_calls(Engine& e, u64 calls, OnCall&& on_call) {
  u64 n = 0;
  return e.execute_persistent(~u64{0} >> 1, 300, [&](Engine& eng) {
    on_call(eng, n);
    eng.set_reg(0, eng.reg(0) + 7);
    return ++n < calls;
  });
}

TEST(Jit, TranslatedLoopMatchesTheReference) {
  KVRM_REQUIRE_GPU();
  auto ref = loaded(make_reference_engine(u64{16} << 20), kLoopWithSyscalls);
  auto gpu =
      loaded(make_cuda_engine({.memory_limit = u64{16} << 20,
                               .jit = {.mode = JitMode::On, .hot_threshold = 1, .wait = true}}),
             kLoopWithSyscalls);
  for (const u64 budget : {1u, 7u, 100u, 1001u, 250000u}) {
    const RunResult a = ref->execute(budget);
    const RunResult b = gpu->execute(budget);
    ASSERT_EQ(a.signal, b.signal) << budget;
    ASSERT_EQ(a.cycles, b.cycles) << budget;
    ASSERT_EQ(a.pc, b.pc) << budget;
    ASSERT_EQ(ref->reg(0), gpu->reg(0)) << budget;
    ASSERT_EQ(ref->reg(19), gpu->reg(19)) << budget;
  }
  const JitStats s = cuda_jit_stats(*gpu);
  EXPECT_TRUE(s.active) << s.note;
  EXPECT_GE(s.blocks, 2u);
  EXPECT_GE(s.compiles, 1u);
}

TEST(Jit, PersistentRunSwitchesToTranslatedCodeWhileItRuns) {
  KVRM_REQUIRE_GPU();
  constexpr u64 kCalls = 20000;  // 20 M instructions: seconds interpreted
  auto ref = loaded(make_reference_engine(u64{16} << 20), kLoopWithSyscalls);
  // Without the translation cache: the test before ran the same program, and its rounds
  // replayed from the cache would have the kernel start translated.
  auto gpu =
      loaded(make_cuda_engine({.memory_limit = u64{16} << 20,
                               .jit = {.mode = JitMode::On, .hot_threshold = 16, .cache = "off"}}),
             kLoopWithSyscalls);
  const RunResult a = run_calls(*ref, kCalls, [](Engine&, u64) {});
  const RunResult b = run_calls(*gpu, kCalls, [](Engine&, u64) {});
  EXPECT_EQ(a.signal, b.signal);
  EXPECT_EQ(a.cycles, b.cycles);
  EXPECT_EQ(a.syscalls, b.syscalls);
  EXPECT_EQ(ref->reg(0), gpu->reg(0));
  EXPECT_EQ(ref->pc(), gpu->pc());
  const JitStats s = cuda_jit_stats(*gpu);
  EXPECT_GE(s.compiles, 1u) << s.note;
  EXPECT_GE(b.batch_count, 2u) << "the resident kernel was not relaunched with translated code";
}

TEST(Jit, CodeRewrittenInASyscallTakesEffectAtOnce) {
  KVRM_REQUIRE_GPU();
  const u32 add2 = 0x91000800;  // add x0, x0, #2
  const auto rewrite = [&](Engine& e, u64 n) {
    if (n == 3) e.write_memory(kCode, &add2, 4);
    if (n == 5) {  // the page away and back, with the original code
      e.unmap(kCode, 0x1000);
      e.map(kCode, 0x1000, kPermRead | kPermExec);
      e.write_memory(kCode, kLoopWithSyscalls.data(), kLoopWithSyscalls.size() * 4);
    }
  };
  auto ref = loaded(make_reference_engine(u64{16} << 20), kLoopWithSyscalls);
  auto gpu =
      loaded(make_cuda_engine({.memory_limit = u64{16} << 20,
                               .jit = {.mode = JitMode::On, .hot_threshold = 1, .wait = true}}),
             kLoopWithSyscalls);
  const RunResult a = run_calls(*ref, 8, rewrite);
  const RunResult b = run_calls(*gpu, 8, rewrite);
  EXPECT_EQ(a.cycles, b.cycles);
  EXPECT_EQ(ref->reg(0), gpu->reg(0));
  // 1000 iterations before each call, adding 1, or 2 between the rewrite (call 3) and the
  // restore (call 5); each call adds 7.
  EXPECT_EQ(ref->reg(0), 4u * 1000 + 2 * 2000 + 2 * 1000 + 8 * 7);
  EXPECT_GE(b.batch_count, 2u);
}

TEST(Jit, ModesAndOptionErrors) {
  KVRM_REQUIRE_GPU();
  EXPECT_THROW(make_cuda_engine({.jit = {.hot_threshold = 0}}), Error);
  auto off =
      loaded(make_cuda_engine({.memory_limit = u64{16} << 20, .jit = {.mode = JitMode::Off}}),
             kLoopWithSyscalls);
  (void)off->execute(100000);
  EXPECT_FALSE(cuda_jit_stats(*off).active);
  EXPECT_EQ(cuda_jit_stats(*off).compiles, 0u);
  EXPECT_EQ(parse_jit_mode("auto"), JitMode::Auto);
  EXPECT_THROW(parse_jit_mode("fast"), Error);
}

}  // namespace
}  // namespace kvrm

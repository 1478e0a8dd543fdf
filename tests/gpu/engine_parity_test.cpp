// GPU tests (ctest label `gpu`): the CUDA engine gives the same bits as the reference engine.
// Random instruction sequences drawn from the encoding table run from the same random state on
// both engines; registers, flags, PC, stop signal and memory must be identical. Skipped where
// no NVIDIA GPU is present.
#include <gtest/gtest.h>

#include <iterator>
#include <random>
#include <vector>

#include "engines/cuda/cuda_engine.hpp"
#include "engines/engine.hpp"
#include "isa/decoder.hpp"
#include "isa/mmu.hpp"
#include "isa/sysregs.hpp"
#include "require_gpu.hpp"

namespace kvrm {
namespace {

constexpr u64 kCode = 0x100000;
constexpr u64 kData = 0x200000;
constexpr u64 kDataSize = 0x4000;
constexpr int kProgramLength = 64;

// A random word of a random implemented table entry, avoiding time-dependent system registers.
u32 random_word(std::mt19937_64& rng) {
  while (true) {
    const u32 op = 1 + static_cast<u32>(rng() % (kOpCount - 1));
    const u32 w = kEncodings[op].value | (static_cast<u32>(rng()) & ~kEncodings[op].mask);
    if (static_cast<Op>(op) == Op::MRS && bits(w, 19, 5) == sysreg_id::CNTVCT_EL0) continue;
    return w;
  }
}

void setup(Engine& e, const std::vector<u32>& code, const std::vector<u8>& data,
           const CoreState& s) {
  e.map(kCode, 0x1000, kPermRead | kPermExec);
  e.map(kData, kDataSize, kPermRead | kPermWrite);
  e.write_memory(kCode, code.data(), code.size() * 4);
  e.write_memory(kData, data.data(), data.size());
  e.set_state(s);
}

TEST(GpuParity, RandomProgramsMatchTheReferenceEngine) {
  KVRM_REQUIRE_GPU();
  std::mt19937_64 rng(12345);
  for (int trial = 0; trial < 1000; ++trial) {
    std::vector<u32> code(kProgramLength);
    for (auto& w : code) w = random_word(rng);
    std::vector<u8> data(kDataSize);
    for (auto& b : data) b = static_cast<u8>(rng());
    CoreState s;
    for (int r = 0; r < 32; ++r) {
      s.x[r] = (rng() % 2) ? kData + (rng() % kDataSize) : rng();
    }
    s.nzcv = static_cast<u32>(rng()) & 0xf0000000u;
    // FP/SIMD state: random bits, or lanes of special floating-point values; any rounding
    // mode, flush-to-zero and default-NaN setting.
    constexpr u64 kSpecial[] = {
        0x7ff8000000000001ull, 0x7ff0000000000001ull, 0x0000000000000001ull,
        0x8000000000000000ull, 0x7ff0000000000000ull, 0x3ff0000000000000ull,
        0x7fc000017f800001ull, 0x0000000180000000ull, 0x4f0000004f800000ull};
    for (auto& v : s.v) {
      v.lo = (rng() % 3) ? rng() : kSpecial[rng() % std::size(kSpecial)];
      v.hi = (rng() % 3) ? rng() : kSpecial[rng() % std::size(kSpecial)];
    }
    s.fpcr = static_cast<u32>(rng()) & kFpcrMask;
    s.fpsr = static_cast<u32>(rng()) & kFpsrMask;
    s.pc = kCode;
    auto cpu = make_reference_engine(u64{16} << 20);
    auto gpu = make_cuda_engine({.memory_limit = u64{16} << 20});
    setup(*cpu, code, data, s);
    setup(*gpu, code, data, s);
    const RunResult a = cpu->execute(kProgramLength);
    const RunResult b = gpu->execute(kProgramLength);
    ASSERT_EQ(a.signal, b.signal) << "trial " << trial;
    ASSERT_EQ(a.cycles, b.cycles) << "trial " << trial;
    ASSERT_EQ(a.pc, b.pc) << "trial " << trial;
    ASSERT_EQ(a.info.fault_addr, b.info.fault_addr) << "trial " << trial;
    ASSERT_EQ(a.info.insn, b.info.insn) << "trial " << trial;
    const CoreState sa = cpu->state(), sb = gpu->state();
    for (int r = 0; r < 32; ++r) ASSERT_EQ(sa.x[r], sb.x[r]) << "trial " << trial << " x" << r;
    ASSERT_EQ(sa.nzcv, sb.nzcv) << "trial " << trial;
    for (int r = 0; r < 32; ++r) {
      ASSERT_EQ(sa.v[r].lo, sb.v[r].lo) << "trial " << trial << " v" << r;
      ASSERT_EQ(sa.v[r].hi, sb.v[r].hi) << "trial " << trial << " v" << r;
    }
    ASSERT_EQ(sa.fpcr, sb.fpcr) << "trial " << trial;
    ASSERT_EQ(sa.fpsr, sb.fpsr) << "trial " << trial;
    ASSERT_EQ(sa.excl_valid, sb.excl_valid) << "trial " << trial;
    std::vector<u8> ma(kDataSize), mb(kDataSize);
    cpu->read_memory(kData, ma.data(), kDataSize);
    gpu->read_memory(kData, mb.data(), kDataSize);
    ASSERT_EQ(ma, mb) << "trial " << trial;
  }
}

TEST(GpuEngine, ContinuousAndMegaDispatch) {
  KVRM_REQUIRE_GPU();
  auto gpu = make_cuda_engine({.memory_limit = u64{16} << 20});
  gpu->map(kCode, 0x1000, kPermRead | kPermExec);
  const u32 loop[] = {0x91000400 /* add x0, x0, #1 */, 0x17ffffff /* b .-4 */};
  gpu->write_memory(kCode, loop, sizeof loop);
  gpu->set_pc(kCode);
  RunResult r = gpu->execute_continuous(1000, 5, 60.0);
  EXPECT_EQ(r.signal, Signal::Checkpoint);
  EXPECT_EQ(r.batch_count, 5u);
  EXPECT_EQ(r.cycles, 5000u);
  EXPECT_EQ(gpu->reg(0), 2500u);
  r = gpu->execute_mega(1'000'000);
  EXPECT_EQ(r.cycles, 1'000'000u);
  EXPECT_EQ(gpu->reg(0), 502500u);
  // HLT and SVC stop a continuous run in the batch that meets them.
  const u32 halt[] = {0x91000400 /* add x0, x0, #1 */, 0xd4400000 /* hlt #0 */};
  gpu->write_memory(kCode, halt, sizeof halt);
  gpu->set_pc(kCode);
  r = gpu->execute_continuous(1000, 5, 60.0);
  EXPECT_EQ(r.signal, Signal::Halt);
  EXPECT_EQ(r.batch_count, 1u);
  EXPECT_EQ(r.pc, kCode + 4);
}

TEST(GpuEngine, FaultsAreReportedNotCrashes) {
  KVRM_REQUIRE_GPU();
  auto gpu = make_cuda_engine({.memory_limit = u64{16} << 20});
  gpu->map(kCode, 0x1000, kPermRead | kPermExec);
  const u32 code[] = {0xf9400020 /* ldr x0, [x1] */};
  gpu->write_memory(kCode, code, sizeof code);
  gpu->set_pc(kCode);
  gpu->set_reg(1, 0xdead0000);
  const RunResult r = gpu->execute(10);
  EXPECT_EQ(r.signal, Signal::Fault);
  EXPECT_EQ(r.info.fault_addr, 0xdead0000u);
  EXPECT_EQ(r.info.cause, FaultCause::Unmapped);
  EXPECT_EQ(r.pc, kCode);
}

}  // namespace
}  // namespace kvrm

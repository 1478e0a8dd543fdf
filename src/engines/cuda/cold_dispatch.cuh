// The CUDA engines' cold path: every Op that device_core.cuh does not inline, executed through
// the same sem:: handlers. The Ops are split by value into kColdParts parts, each compiled in its
// own translation unit (cold_part<k>.cu, separable compilation), so that nvcc compiles them in
// parallel and the kernels themselves recompile quickly.
#pragma once

#include "engines/cuda/device_core.cuh"

namespace kvrm::cuda {

constexpr u32 kColdParts = 4;
KVRM_HD constexpr u32 cold_part_of(Op op) { return static_cast<u32>(op) * kColdParts / kOpCount; }

#define KVRM_COLD_SIGNATURE(fn) \
  __device__ Signal fn(CoreState& s, StopInfo& stop, Mmu& mmu, u64 pc, u64& npc, Op op, u32 insn)
KVRM_COLD_SIGNATURE(execute_cold_part0);
KVRM_COLD_SIGNATURE(execute_cold_part1);
KVRM_COLD_SIGNATURE(execute_cold_part2);
KVRM_COLD_SIGNATURE(execute_cold_part3);

// execute() restricted to the Ops of one part (the others are not even instantiated).
template <u32 Part>
__device__ __forceinline__ Signal execute_part(Context& c, Op op, u32 insn) {
  switch (op) {
#define INST(name, arm_name, pattern)                                        \
  case Op::name:                                                             \
    if constexpr (cold_part_of(Op::name) == Part) return sem::name(c, insn); \
    break;
#include "isa/a64.inc"
#undef INST
    default: break;
  }
  return c.undefined(insn);
}

}  // namespace kvrm::cuda

// In a part's translation unit: its entry point.
#ifdef KVRM_COLD_PART
#define KVRM_COLD_CAT2(a, b) a##b
#define KVRM_COLD_CAT(a, b) KVRM_COLD_CAT2(a, b)
namespace kvrm::cuda {
KVRM_COLD_SIGNATURE(KVRM_COLD_CAT(execute_cold_part, KVRM_COLD_PART)) {
  Context c{s, mmu, stop};
  c.pc = pc;
  c.npc = npc;
  const Signal sig = execute_part<KVRM_COLD_PART>(c, op, insn);
  npc = c.npc;
  return sig;
}
}  // namespace kvrm::cuda
#endif

// The CUDA engines' cold path entry: forwards an Op to the part that compiles it.
#include "engines/cuda/cold_dispatch.cuh"

namespace kvrm::cuda {

__device__ Signal execute_cold(CoreState& s, StopInfo& stop, Mmu& mmu, u64 pc, u64& npc, Op op,
                               u32 insn) {
  static_assert(kColdParts == 4, "one case per part");
  switch (cold_part_of(op)) {
    case 0: return execute_cold_part0(s, stop, mmu, pc, npc, op, insn);
    case 1: return execute_cold_part1(s, stop, mmu, pc, npc, op, insn);
    case 2: return execute_cold_part2(s, stop, mmu, pc, npc, op, insn);
    default: return execute_cold_part3(s, stop, mmu, pc, npc, op, insn);
  }
}

}  // namespace kvrm::cuda

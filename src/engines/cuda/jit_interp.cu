// The interpreter as the modules of translated code call it (jit/runtime.cuh):
// run_core() compiled once with kvrm, in relocatable device code that the run-time linker
// links into every module, together with the cold path (cold_part*.cu). Translated code's own
// memory accesses leave for it on anything but a translation-cache hit (isa/mmu.hpp,
// KVRM_MMU_SIDE_EXIT).
#include "engines/cuda/device_core.cuh"

namespace kvrm::cuda {

extern "C" __device__ RunOutcome kvrm_jit_interp(CoreState& s, StopInfo& info, Mmu& mmu, u64* dc,
                                                 u64 max_cycles, const volatile u32* stop_request,
                                                 u64 poll, const InterpHooks* hooks) {
  return run_core(s, info, mmu, dc, max_cycles, stop_request, poll, hooks);
}

}  // namespace kvrm::cuda

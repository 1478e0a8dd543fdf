// The interpreter as the modules of translated code call it (engines/cuda/jit_runtime.cuh):
// run_core() compiled once with kvrm, in relocatable device code that the run-time linker
// links into every module, together with the cold path (cold_part*.cu).
#include "engines/cuda/device_core.cuh"

namespace kvrm::cuda {

extern "C" __device__ RunOutcome kvrm_jit_interp(CoreState& s, StopInfo& info, Mmu& mmu, u64* dc,
                                                 u64 max_cycles, const volatile u32* stop_request,
                                                 u64 poll, const InterpHooks* hooks) {
  return run_core(s, info, mmu, dc, max_cycles, stop_request, poll, hooks);
}

}  // namespace kvrm::cuda

namespace kvrm {

// The MMU's slow paths as translated code calls them (isa/mmu.hpp, KVRM_MMU_OUTLINE): defined
// here once for every module rather than compiled again in each. Each works on a copy of the
// engine's Mmu and hands back the cache entry it leaves for its access kind.
__device__ Mmu::Slow<bool> Mmu::probe_outline(const Mmu* home, u64 va, u64 size, Access a) {
  Mmu m = *home;
  const bool ok = m.probe_pages(va, size, a);
  return {ok, ok, m.tag[static_cast<int>(a)], m.base[static_cast<int>(a)]};
}
template <class T>
__device__ Mmu::Slow<T> Mmu::read_outline(const Mmu* home, u64 va) {
  Mmu m = *home;
  T v{};
  const bool ok = m.read_slow(va, v);
  return {v, ok, m.tag[0], m.base[0]};
}
template <class T>
__device__ Mmu::Slow<bool> Mmu::write_outline(const Mmu* home, u64 va, T v) {
  Mmu m = *home;
  const bool ok = m.write_slow(va, v);
  return {ok, ok, m.tag[1], m.base[1]};
}
#define KVRM_OUTLINE_FOR(T)                                               \
  template __device__ Mmu::Slow<T> Mmu::read_outline<T>(const Mmu*, u64); \
  template __device__ Mmu::Slow<bool> Mmu::write_outline<T>(const Mmu*, u64, T);
KVRM_OUTLINE_FOR(u8)
KVRM_OUTLINE_FOR(u16)
KVRM_OUTLINE_FOR(u32)
KVRM_OUTLINE_FOR(u64)
#undef KVRM_OUTLINE_FOR

}  // namespace kvrm

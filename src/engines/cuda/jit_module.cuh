// The CUDA engines' side of a module of translated code (jit/runtime.cuh includes it as
// KVRM_JIT_MODULE, the header CMakeLists.txt names to the JIT's files: jit/files.hpp): the
// module's kernels, which are the engines' own kernel bodies (kernels.cuh) with the module's
// run_translated() as the core loop, and the interpreter it falls back to, which kvrm compiles
// once (jit_interp.cu) and links into every module.
#pragma once

#include "engines/cuda/kernels.cuh"

namespace kvrm::cuda {

// run_core() (device_core.cuh), compiled with kvrm: the interpreter a module falls back to.
extern "C" __device__ RunOutcome kvrm_jit_interp(CoreState& s, StopInfo& info, Mmu& mmu, u64* dc,
                                                 u64 max_cycles, const volatile u32* stop_request,
                                                 u64 poll, const InterpHooks* hooks);

// The environment of translated code on the GPU: the interpreter over the core's decoded-
// instruction cache with the kernel's hooks (whose entries are the module's), and the host's
// stop request.
struct DeviceJitEnv {
  u64* dc;
  const volatile u32* stop_request;
  const InterpHooks* hooks;
  u64 poll;

  // Interprets from s.pc for at most `budget` instructions; with to_entry, a taken branch to a
  // translated entry ends it with RUNNING there. to_entry is the dispatcher finding no
  // translation at s.pc (after a return, an indirect branch or a region's edge), which counts as
  // an arrival there: code reached only from translated code becomes hot like any other.
  __device__ RunOutcome interp(CoreState& s, StopInfo& info, Mmu& mmu, u64 budget,
                               bool to_entry) const {
    InterpHooks h = *hooks;
    if (!to_entry) h.entry_keys = nullptr;
    if (to_entry && h.counts) count_arrival(h, s.pc);
    return kvrm_jit_interp(s, info, mmu, dc, budget, stop_request, poll,
                           h.entry_keys || h.counts ? &h : nullptr);
  }
  __device__ bool stop_requested() const { return *stop_request != 0; }
};

// An outcome all of whose instructions the interpreter retired.
__device__ __forceinline__ RunOutcome interpreted(RunOutcome o) {
  o.interpreted = o.cycles;
  return o;
}

}  // namespace kvrm::cuda

// The module's entry points, its two kernels: the interpreter kernels' bodies with
// run_translated() as the core loop (a lane or core marked interpret_only runs the interpreter
// alone).
#define KVRM_JIT_MODULE_ENTRY()                                                                  \
  extern "C" __global__ void kvrm_jit_single_kernel(KVRM_SINGLE_CORE_PARAMS) {                   \
    hooks.entry_keys = ::kvrm::jit_gen::kEntryKeys;                                              \
    hooks.entry_mask = ::kvrm::jit_gen::kEntryMask;                                              \
    ::kvrm::cuda::single_core_body(                                                              \
        cores, n_cores, pt, tlbs, mail, persistent,                                              \
        [&](::kvrm::u32 id, ::kvrm::CoreState& s, ::kvrm::StopInfo& info, ::kvrm::Mmu& mmu,      \
            ::kvrm::u64 max_cycles, const volatile ::kvrm::u32* stop, ::kvrm::u64 poll,          \
            bool interpret_only) {                                                               \
          ::kvrm::cuda::DeviceJitEnv env{                                                        \
              dcache + ::kvrm::u64{id} * ::kvrm::cuda::kDecodeCacheEntries, stop, &hooks, poll}; \
          if (interpret_only)                                                                    \
            return ::kvrm::cuda::interpreted(env.interp(s, info, mmu, max_cycles, false));       \
          return ::kvrm::jit_gen::run_translated(env, s, info, mmu, max_cycles, poll);           \
        });                                                                                      \
  }                                                                                              \
  extern "C" __global__ void kvrm_jit_lanes_kernel(KVRM_LANES_PARAMS) {                          \
    hooks.entry_keys = ::kvrm::jit_gen::kEntryKeys;                                              \
    hooks.entry_mask = ::kvrm::jit_gen::kEntryMask;                                              \
    ::kvrm::cuda::lanes_body(                                                                    \
        lanes, views, n, written, flags, end_after, per_warp,                                    \
        [&](::kvrm::u32, ::kvrm::CoreState& s, ::kvrm::StopInfo& info, ::kvrm::Mmu& mmu,         \
            ::kvrm::u64 max_cycles, const volatile ::kvrm::u32* stop, ::kvrm::u64 poll,          \
            bool interpret_only) {                                                               \
          ::kvrm::cuda::DeviceJitEnv env{dcache, stop, &hooks, poll};                            \
          if (interpret_only)                                                                    \
            return ::kvrm::cuda::interpreted(env.interp(s, info, mmu, max_cycles, false));       \
          return ::kvrm::jit_gen::run_translated(env, s, info, mmu, max_cycles, poll);           \
        });                                                                                      \
  }

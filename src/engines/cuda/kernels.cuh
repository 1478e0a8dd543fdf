// The bodies of the CUDA engines' kernels, written once for every kernel that runs them: the
// kernels built with kvrm (the interpreter: cuda_engine.cu, lane_runner.cu) and those of each
// module of translated guest code (jit/runtime.cuh), which differ only in the
// function that runs a core:
//   RunOutcome run(u32 id, CoreState& s, StopInfo& info, Mmu& mmu, u64 max_cycles,
//                  const volatile u32* stop_request, u64 poll, bool interpret_only)
// with run_core()'s conventions (device_core.cuh); `id` is the core's or lane's index.
#pragma once

#include "engines/cuda/device_types.cuh"
#include "isa/mmu.hpp"

namespace kvrm::cuda {

__device__ __forceinline__ u64 load_acquire_sys(const u64* p) {
  u64 v;
  asm volatile("ld.acquire.sys.u64 %0, [%1];" : "=l"(v) : "l"(p) : "memory");
  return v;
}
__device__ __forceinline__ void store_release_sys(u32* p, u32 v) {
  asm volatile("st.release.sys.u32 [%0], %1;" ::"l"(p), "r"(v) : "memory");
}

// The single-core engine: core `id` (one per thread) runs its budget; in persistent mode each
// SVC is posted to the core's mailbox and the kernel waits for the host's answer, then goes on.
// `tlbs`: kCoreTlbSets sets of Tlb entries per core.
template <class RunFn>
__device__ __forceinline__ void single_core_body(CoreRecord* cores, u32 n_cores, PageTableView pt,
                                                 TlbEntry* tlbs, Mailbox* mail, bool persistent,
                                                 RunFn&& run) {
  const u32 id = blockIdx.x * blockDim.x + threadIdx.x;
  if (id >= n_cores) return;
  CoreRecord& core = cores[id];
  Mailbox* const mb = mail + id;
  CoreState s = core.s;
  StopInfo info{};
  Mmu mmu{pt, &info};
  mmu.use_tlb(tlbs + u64{id} * kCoreTlbSets * 3, kCoreTlbSets);
  mmu.flush();
  u64 total = 0, interpreted = 0;
  Signal sig;
  while (true) {
    const RunOutcome o = run(id, s, info, mmu, core.budget - total, &mb->stop_request,
                             kPollInterval, core.interpret_only != 0);
    total += o.cycles;
    interpreted += o.interpreted;
    sig = o.signal;
    if (!persistent || sig != Signal::Syscall) break;
    // Post the syscall: guest memory and the whole state first, then the scalar registers in
    // the mailbox, then the request.
    core.s = s;
    mb->cycles = total;
    for (int i = 0; i < kPostedRegs; ++i) mb->x[i] = s.x[i];
    mb->pc = s.pc;
    *static_cast<volatile u64*>(&mb->reply) = 0;
    __threadfence_system();
    *static_cast<volatile u32*>(&mb->signal) = static_cast<u32>(Signal::Syscall);
    store_release_sys(&mb->state, kMailPosted);
    u64 reply;
    while ((reply = load_acquire_sys(&mb->reply)) == 0) {
    }
    const u32 code = static_cast<u32>(reply >> kReplyShift);
    if ((code & kReplyKind) == kReplyStop) break;
    if ((code & kReplyKind) == kReplyFull) {
      s = core.s;
    } else {
      s.x[0] = (code & kReplyX0InBox) ? mb->x[0] : static_cast<u64>(sext(reply, kReplyShift));
    }
    if (code & kReplyRemap) {  // fresh translation caches
      mmu.pt = mb->pt;
      mmu.flush();
    }
    if (code & kReplyYield) {
      sig = Signal::Checkpoint;
      break;
    }
    *static_cast<volatile u32*>(&mb->signal) = static_cast<u32>(Signal::Running);
  }
  core.s = s;
  core.info = info;
  core.cycles = total;
  core.interpreted = interpreted;
  core.signal = static_cast<u32>(sig);
  __threadfence_system();
  *static_cast<volatile u32*>(&mb->signal) = static_cast<u32>(sig);  // the seed's atomic flag
  store_release_sys(&mb->state, kMailDone);
}

// The batch engine: lane `id` runs until it stops or retires its budget. flags[0]: the stop
// flag; flags[1]: lanes that stopped by themselves (the one reaching end_after raises the stop
// flag, which the others poll). Each warp runs `per_warp` lanes (1..32) on its first threads;
// the others return at once. The MMU marks every frame a lane writes in `written`.
template <class RunFn>
__device__ __forceinline__ void lanes_body(CoreRecord* lanes, const PageTableView* views, u32 n,
                                           u8* written, u32* flags, u32 end_after, u32 per_warp,
                                           RunFn&& run) {
  const u32 t = blockIdx.x * blockDim.x + threadIdx.x;
  const u32 in_warp = t % 32;
  if (in_warp >= per_warp) return;
  const u32 id = t / 32 * per_warp + in_warp;
  if (id >= n) return;
  CoreRecord& lane = lanes[id];
  CoreState s = lane.s;
  StopInfo info{};
  Tlb tlb;
  Mmu mmu{views[id], &info};
  mmu.written = written;
  mmu.use_tlb(tlb);
  mmu.flush();
  const RunOutcome o =
      run(id, s, info, mmu, lane.budget, flags, kLanePoll, lane.interpret_only != 0);
  lane.s = s;
  lane.info = info;
  lane.cycles = o.cycles;
  lane.interpreted = o.interpreted;
  lane.signal = static_cast<u32>(o.signal);
  if (o.signal != Signal::Checkpoint && atomicAdd(&flags[1], 1u) + 1 == end_after) {
    *reinterpret_cast<volatile u32*>(&flags[0]) = 1;
  }
}

// The kernels' parameters, the same for the interpreter's kernels and a translated module's,
// so that the host launches either with one argument list.
#define KVRM_SINGLE_CORE_PARAMS                                                                  \
  ::kvrm::cuda::CoreRecord *cores, ::kvrm::u32 n_cores, ::kvrm::PageTableView pt,                \
      ::kvrm::TlbEntry *tlbs, ::kvrm::u64 *dcache, ::kvrm::cuda::Mailbox *mail, bool persistent, \
      ::kvrm::jit::InterpHooks hooks
#define KVRM_LANES_PARAMS                                                                  \
  ::kvrm::cuda::CoreRecord *lanes, const ::kvrm::PageTableView *views, ::kvrm::u32 n,      \
      ::kvrm::u64 *dcache, ::kvrm::u8 *written, ::kvrm::u32 *flags, ::kvrm::u32 end_after, \
      ::kvrm::u32 per_warp, ::kvrm::jit::InterpHooks hooks

}  // namespace kvrm::cuda

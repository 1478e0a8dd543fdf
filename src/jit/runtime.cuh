// What a module of translated guest code is built on (the translator writes its source:
// jit/translator.hpp; the run-time compiler builds it: jit/compiler.hpp): the shared semantics
// (isa/sem/), the region functions' prologue, steps and exits below, and the module's entry
// points, which the engine running it provides (KVRM_JIT_MODULE, at the end).
//
// A module defines, in namespace kvrm::jit_gen, its region functions (KVRM_JIT_REGION), the
// table of its entries (kEntryKeys, kEntryMask) and
//   template <class Env> KVRM_HD RunOutcome run_translated(Env& env, CoreState& s,
//       StopInfo& info, Mmu& mmu, u64 max_cycles, u64 poll);
// (the interpreter loop's conventions; Env gives the interpreter and the stop request: the
// engine's on the GPU, jit/host_env.hpp's in the tests), then says KVRM_JIT_MODULE_ENTRY().
#pragma once

#include "isa/context.hpp"
#include "isa/sem/all.hpp"
#include "jit/hooks.hpp"

namespace kvrm::jit_gen {

using jit::kEmptyEntry;
using jit::pc_hash;

// What a region function and the dispatcher share: where to go on, the quota's instructions
// left, and how a stop happened.
struct JitFrame {
  u64 pc = 0;    // the PC to go on at (kJitDispatch, kJitInterp, kJitRefill); of the block that
                 // stopped (kJitStop)
  u32 left = 0;  // instructions left of the quota (decremented by whole blocks)
  u32 k = 0;     // kJitStop: instructions of the block retired before the stopping one
  u32 rest = 0;  // kJitStop: instructions of the block from the stopping one on
  Signal sig = Signal::Running;  // kJitStop: the signal
};

// A region function returns a block index (run that block next) or one of these.
constexpr u32 kJitDispatch = 0xfffffff0u;  // go on at f.pc, a translated block or not
constexpr u32 kJitInterp = 0xfffffff1u;    // f.pc has no translation: interpret
constexpr u32 kJitRefill = 0xfffffff2u;    // the block at f.pc does not fit in what is left
constexpr u32 kJitStop = 0xfffffff3u;      // stopped: see JitFrame

// A region function (KVRM_JIT_REGION), as the dispatcher's table holds it.
using RegionFn = u32 (*)(CoreState* s, Mmu* m, StopInfo* i, JitFrame* f, u32 entry);

// The block index of the entry at pc, or kJitInterp.
KVRM_HD u32 jit_lookup(const u64* keys, const u32* blocks, u32 mask, u64 pc) {
  for (u32 i = pc_hash(pc) & mask;; i = (i + 1) & mask) {
    if (keys[i] == pc) return blocks[i];
    if (keys[i] == kEmptyEntry) return kJitInterp;
  }
}

}  // namespace kvrm::jit_gen

// A region function: its blocks, entered at block `entry` of the region, run until one leaves
// the region. The state, MMU and frame are the dispatcher's; nothing else aliases them.
#define KVRM_JIT_REGION(N)                                                    \
  u32 region_##N(CoreState* __restrict__ s, Mmu* __restrict__ m, StopInfo* i, \
                 JitFrame* __restrict__ f, u32 entry)
#if defined(__CUDACC__)
#define KVRM_JIT_REGION_ATTR __device__ __noinline__
#else
#define KVRM_JIT_REGION_ATTR
#endif

// A region's prologue and epilogue. The guest state a region works on is a local copy (`g`)
// whose address never escapes, so the compiler keeps the registers the region uses in machine
// registers: loaded where the region starts (only those it reads), stored back on the way out
// (only those it may have changed), where every exit (KVRM_JIT_LEAVE) goes. Likewise the MMU's
// read and write translation caches. Memory accesses make no calls: anything but a cache hit
// leaves the region at that instruction (isa/mmu.hpp, KVRM_MMU_SIDE_EXIT). An instruction that
// stops records only its place (stop_k, stop_pc) and goes to the one `stopped` exit. On the GPU
// the state, MMU, stop record and frame are locals of the kernel (kernels.cuh) and of
// run_translated(): saying so lets the compiler reach them with local loads and stores.
#ifndef KVRM_JIT_FRAME_SHIFT
#define KVRM_JIT_FRAME_SHIFT 0  // the frames' layout, a constant of the module (JitManager)
#endif

#if defined(__CUDACC__)
#define KVRM_JIT_UNROLL _Pragma("unroll")
#else
#define KVRM_JIT_UNROLL
#endif

namespace kvrm::jit_gen {

// Copies what a region may read or change of the guest state, field by field, so that the
// compiler drops the copies of fields the region never touches.
KVRM_HD void copy_state(CoreState& to, const CoreState& from) {
  KVRM_JIT_UNROLL
  for (int r = 0; r < 32; ++r) to.x[r] = from.x[r];
  to.nzcv = from.nzcv;
  to.fpcr = from.fpcr;
  to.fpsr = from.fpsr;
  to.tpidr_el0 = from.tpidr_el0;
  to.tpidrro_el0 = from.tpidrro_el0;
  KVRM_JIT_UNROLL
  for (int r = 0; r < 32; ++r) to.v[r] = from.v[r];
  to.excl_addr = from.excl_addr;
  to.excl_size = from.excl_size;
  to.excl_valid = from.excl_valid;
}

}  // namespace kvrm::jit_gen

#define KVRM_JIT_REGION_START         \
  KVRM_ASSUME_LOCAL(s);               \
  KVRM_ASSUME_LOCAL(m);               \
  KVRM_ASSUME_LOCAL(i);               \
  KVRM_ASSUME_LOCAL(f);               \
  Mmu mm;                             \
  mm.tag[0] = m->tag[0];              \
  mm.tag[1] = m->tag[1];              \
  mm.base[0] = m->base[0];            \
  mm.base[1] = m->base[1];            \
  mm.pt.shift = KVRM_JIT_FRAME_SHIFT; \
  mm.stop = i;                        \
  mm.tlb = m->tlb;                    \
  mm.tlb_mask = m->tlb_mask;          \
  CoreState g;                        \
  ::kvrm::jit_gen::copy_state(g, *s); \
  Context c{g, mm, *i};               \
  Signal sig = Signal::Running;       \
  u32 left = f->left;                 \
  u64 out_pc = 0;                     \
  u64 stop_pc = 0;                    \
  u32 stop_k = 0;                     \
  u32 stop_rest = 0;                  \
  u32 ret = kJitDispatch;
#define KVRM_JIT_LEAVE(X) \
  {                       \
    ret = (X);            \
    goto leave;           \
  }
#define KVRM_JIT_LEAVE_AT(PC)    \
  {                              \
    out_pc = (PC);               \
    KVRM_JIT_LEAVE(kJitDispatch) \
  }
#define KVRM_JIT_RETIRE(N) left -= (N);
#define KVRM_JIT_REGION_END           \
  stopped:                            \
  f->sig = sig;                       \
  f->k = stop_k;                      \
  f->rest = stop_rest;                \
  out_pc = stop_pc;                   \
  ret = kJitStop;                     \
  leave:                              \
  f->pc = out_pc;                     \
  f->left = left;                     \
  ::kvrm::jit_gen::copy_state(*s, g); \
  m->tag[0] = mm.tag[0];              \
  m->tag[1] = mm.tag[1];              \
  m->base[0] = mm.base[0];            \
  m->base[1] = mm.base[1];            \
  return ret;

// The two steps a region is written in: a block's entry (too little left of the quota: back to
// the dispatcher to refill it) and one instruction (its handler with the word as a constant; a
// stop leaves with the instruction's index in the block and the instructions left in it).
#define KVRM_JIT_ENTER(PC, N)  \
  if (left < (N)) {            \
    out_pc = (PC);             \
    KVRM_JIT_LEAVE(kJitRefill) \
  }
#define KVRM_JIT_OP(PC, NAME, WORD, K, R) \
  c.pc = (PC);                            \
  c.npc = (PC) + 4;                       \
  sig = ::kvrm::sem::NAME(c, (WORD));     \
  if (sig != ::kvrm::Signal::Running) {   \
    stop_k = (K);                         \
    stop_rest = (R);                      \
    stop_pc = (PC);                       \
    goto stopped;                         \
  }

// A module's entry points, KVRM_JIT_MODULE_ENTRY(): on the GPU, the kernels of the engine whose
// header the run-time compiler is told in KVRM_JIT_MODULE (jit/files.hpp, module_header: the
// CUDA engines' engines/cuda/jit_module.cuh); compiled by the host's C++ compiler (the tests),
// a host entry.
#if defined(KVRM_JIT_MODULE)
#include KVRM_JIT_MODULE
#else
#include "jit/host_env.hpp"
#endif

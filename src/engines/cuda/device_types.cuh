// The records the CUDA engines share between host and device, and between the kernels built
// with kvrm and the kernels of translated guest code (engines/cuda/jit_module.cuh), which the
// run-time compiler builds from the same headers: a core's record, the single-core engine's
// mailbox, and the interpreter's hooks for the block translator (hot-spot counters, translated
// entries).
#pragma once

#include "isa/hd.hpp"
#include "isa/mmu.hpp"
#include "isa/state.hpp"
#include "jit/hooks.hpp"

namespace kvrm::cuda {

// Decoded-instruction cache entries per core.
constexpr u32 kDecodeCacheEntries = 1u << 14;
// How often (in retired instructions) a running core looks at the host's stop request, by
// default (the single-core engine); the batch engine polls more often (kLanePoll).
constexpr u64 kPollInterval = u64{1} << 16;
// How often a lane looks at the stop flag (instructions): often enough that lanes stop soon
// after the flag goes up, rarely enough to cost nothing measurable.
constexpr u64 kLanePoll = 1024;

// One core's record in device memory, as the host fills it before a launch and reads it after:
// the state, the instruction budget, and how the run ended.
struct CoreRecord {
  CoreState s;
  StopInfo info;
  u64 budget;          // instructions the launch may retire
  u64 cycles;          // instructions it retired
  u32 signal;          // the Signal it stopped with
  u32 interpret_only;  // nonzero: run no translated code (the lane's code pages differ)
  u64 interpreted;     // of the cycles, those the interpreter retired in a translated module
};

// ---- The single-core engine's mailbox (persistent mode) -------------------------------------

// Mailbox::state, GPU -> host (the host sets it back to idle when it answers).
enum MailState : u32 {
  kMailIdle = 0,
  kMailPosted = 1,  // a syscall waits; x holds X0-X8, pc the PC
  kMailDone = 5,    // the kernel has finished
};

// Mailbox::reply, host -> GPU: an answer code in bits 63..56 and, in bits 55..0, the new X0
// when it fits in 56 bits as a signed value (every errno, count and user address does), so that
// one load gives the GPU both. The GPU clears it before posting.
enum MailReply : u32 {
  kReplyX0 = 2,          // continue with the new X0
  kReplyFull = 3,        // continue from the CoreRecord's state (the host changed more than X0
                         // and wrote the whole state there)
  kReplyStop = 4,        // end the run here (SYSCALL, PC after the SVC)
  kReplyKind = 0x07,     // the bits above
  kReplyYield = 0x20,    // after applying the answer, end the run with CHECKPOINT (the host
                         // relaunches: the translated code the kernel runs is no longer valid)
  kReplyX0InBox = 0x40,  // X0 did not fit: it is in x[0]
  kReplyRemap = 0x80,    // the mappings changed: reload pt, flush the translation cache
};
constexpr int kReplyShift = 56;

// A posted syscall carries the registers a syscall reads (X0-X5, X8) and the PC; the whole
// state is in the CoreRecord record, fetched only if the host asks for more.
constexpr int kPostedRegs = 9;

struct Mailbox {
  u32 signal;        // the seed's atomic signal flag: RUNNING while running, then the stop
  u32 stop_request;  // host -> GPU: stop with CHECKPOINT at the next poll
  u32 state;         // MailState
  u32 reserved;
  u64 reply;           // MailReply
  u64 cycles;          // instructions retired when the syscall was posted
  PageTableView pt;    // the page table to continue with (the host may have moved it)
  u64 x[kPostedRegs];  // see MailState
  u64 pc;
};

// ---- The interpreter's hooks for the block translator (jit/hooks.hpp) -----------------------

using jit::HotRing;
using jit::InterpHooks;
using jit::is_entry;
using jit::kEmptyEntry;
using jit::kHotMark;
using jit::pc_hash;

#if defined(__CUDACC__)
// Counts one arrival at `target`; every `threshold` arrivals put it on the ring of hot targets.
__device__ __forceinline__ void count_arrival(const InterpHooks& h, u64 target) {
  u32& slot = h.counts[pc_hash(target) & h.count_mask];
  const u32 v = slot + 1;
  slot = v;
  if (v % h.threshold == 0 && (target >> kVaBits) == 0) {
    const u32 at = atomicAdd(&h.ring->head, 1u) & (h.ring->capacity - 1);
    *static_cast<volatile u64*>(&h.ring->pc[at]) = target | kHotMark;
  }
}

// Counts a taken branch's target; true when the interpreter should stop there (a translated
// entry).
__device__ __forceinline__ bool at_taken_branch(const InterpHooks& h, u64 target) {
  if (h.entry_keys && is_entry(h, target)) return true;
  if (h.counts) count_arrival(h, target);
  return false;
}
#endif

}  // namespace kvrm::cuda

// Device side of the CUDA engines: one guest core's fetch-decode-execute loop on one GPU thread,
// written so that any kernel (the single-core engine, the batch engine) can run it per thread.
//
// What keeps it fast on a GPU thread:
// - The PC, the next PC and the MMU's translation caches stay in registers: only the register
//   file (indexed at run time) and the rarely used parts of CoreState live in local memory. The
//   out-of-line (cold) call receives copies, so nothing the hot loop holds escapes.
// - A decoded-instruction cache (direct-mapped on PC, in device memory) holds for each entry the
//   word it was decoded from, so a store into code is always seen; its entry also carries a
//   dense "hot index" so that the dispatch over the inlined handlers is a jump table (one
//   indexed branch: CMakeLists.txt passes cicc a jump-table density, without which it emits a
//   tree of compares).
// - The common integer, branch and load/store instructions, FP/SIMD register loads, stores and
//   moves and a few SIMD logic and shift Ops (chosen from compiled programs' instruction mix:
//   docs/PERFORMANCE.md) are inlined here; every other Op is executed by execute_cold(),
//   compiled separately (cold_dispatch.cuh). Both call the same sem:: handlers the reference
//   engine calls.
#pragma once

#include "engines/cuda/device_types.cuh"
#include "isa/execute.hpp"

namespace kvrm::cuda {

// The instructions dispatched inline.
// clang-format off
#define KVRM_HOT_OPS(X)                                                                      \
  X(ADD_imm) X(ADDS_imm) X(SUB_imm) X(SUBS_imm) X(AND_imm) X(ORR_imm) X(EOR_imm) X(ANDS_imm)  \
  X(MOVZ) X(MOVN) X(MOVK) X(UBFM) X(SBFM) X(EXTR) X(ADR) X(ADRP) X(ORR_shift) X(ORN_shift)    \
  X(AND_shift) X(BIC_shift) X(EOR_shift) X(EON_shift) X(ANDS_shift) X(BICS_shift)             \
  X(ADD_shift) X(ADDS_shift) X(SUB_shift) X(SUBS_shift) X(ADD_ext) X(ADDS_ext) X(SUB_ext)     \
  X(SUBS_ext) X(CSEL) X(CSINC) X(CSINV) X(CSNEG) X(CCMP_imm) X(CCMP_reg) X(MADD) X(MSUB)      \
  X(UMULH) X(UDIV) X(SDIV) X(LSLV) X(LSRV) X(ASRV) X(CLZ) X(RBIT) X(REV_64) X(HINT) X(B)      \
  X(BL) X(B_cond) X(CBZ) X(CBNZ) X(TBZ) X(TBNZ) X(RET) X(BR) X(BLR) X(LDR_uoff) X(STR_uoff)   \
  X(LDRS_uoff) X(LDR_reg) X(STR_reg) X(LDUR) X(STUR) X(LDR_post) X(STR_post) X(LDR_pre)       \
  X(STR_pre) X(LDR_lit) X(LDP_off) X(STP_off) X(LDP_post) X(STP_post) X(LDP_pre) X(STP_pre)   \
  X(LDR_fp_uoff) X(STR_fp_uoff) X(LDUR_fp) X(STUR_fp) X(LDP_fp_off) X(STP_fp_off)             \
  X(FMOV_to_gen) X(FMOV_from_gen) X(FMOV_reg) X(AND_vector) X(ORR_vector) X(EOR_vector)       \
  X(ADD_vector) X(SHL_imm_vector) X(USHR_imm_vector) X(DUP_general) X(CMEQ_vector) X(SVC)      \
  X(HLT)
// clang-format on

// Index 0 is "not inlined", so that an all-zero cache entry reads as word 0 (UDF #0) decoded
// to Op::UNDEFINED on the cold path: the correct result, so entries need no valid bit.
enum HotOp : u32 {
  kHotCold = 0,
#define KVRM_HOT_ENUM(name) kHot_##name,
  KVRM_HOT_OPS(KVRM_HOT_ENUM)
#undef KVRM_HOT_ENUM
};

__device__ __forceinline__ u32 hot_index(Op op) {
  switch (op) {
#define KVRM_HOT_INDEX(name) \
  case Op::name: return kHot_##name;
    KVRM_HOT_OPS(KVRM_HOT_INDEX)
#undef KVRM_HOT_INDEX
    default: return kHotCold;
  }
}

// The cold path: executes `op` with its own Context over the core's state and a copy of the
// MMU (whose translation cache it may refill); `npc` in/out. Defined in the cold parts.
__device__ Signal execute_cold(CoreState& s, StopInfo& stop, Mmu& mmu, u64 pc, u64& npc, Op op,
                               u32 insn);

__device__ __forceinline__ Signal dispatch(Context& c, u32 hot, Op op, u32 insn) {
  switch (hot) {
#define KVRM_HOT_CASE(name) \
  case kHot_##name: return sem::name(c, insn);
    KVRM_HOT_OPS(KVRM_HOT_CASE)
#undef KVRM_HOT_CASE
    default: {
      Mmu m = c.mem;  // copies: what the hot loop keeps in registers never escapes
      u64 npc = c.npc;
      const Signal sig = execute_cold(c.s, c.stop, m, c.pc, npc, op, insn);
      c.mem = m;
      c.npc = npc;
      return sig;
    }
  }
}

// Runs one core from s.pc until a stop signal, max_cycles retired instructions, or (checked
// every `poll` instructions) a nonzero *stop_request, which ends it with CHECKPOINT.
// Semantics are run_steps()'s (isa/execute.hpp): the same PC, cycle and signal conventions.
// `dc` is this core's decoded-instruction cache: entry = word << 32 | op << 16 | hot index.
// Between polls the loop counts a 32-bit chunk down (poll <= 2^31).
// With `hooks` (the block translator's: device_types.cuh), every taken branch is counted, and a
// taken branch to a translated entry ends the run there with RUNNING (PC = that entry, the
// branch retired), so that the translated code takes over.
__device__ __forceinline__ RunOutcome run_core(CoreState& s, StopInfo& info, Mmu& mmu, u64* dc,
                                               u64 max_cycles, const volatile u32* stop_request,
                                               u64 poll = kPollInterval,
                                               const InterpHooks* hooks = nullptr) {
  Context c{s, mmu, info};
  c.pc = s.pc;
  Signal sig = Signal::Running;
  bool entered = false;
  u64 n = 0;
  while (n < max_cycles) {
    const u32 chunk = static_cast<u32>(max_cycles - n > poll ? poll : max_cycles - n);
    u32 left = chunk;
    do {
      const u64 pc = c.pc;
      u64& slot = dc[(pc >> 2) & (kDecodeCacheEntries - 1)];
      const u64 e = slot;  // loaded alongside the fetch: neither depends on the other
      u32 insn;
      if (!mmu.fetch(pc, insn)) {
        sig = Signal::Fault;
        break;
      }
      Op op;
      u32 hot;
      if (static_cast<u32>(e >> 32) == insn) {
        op = static_cast<Op>((e >> 16) & 0xffff);
        hot = static_cast<u32>(e) & 0xff;
      } else {
        op = decode(insn);
        hot = hot_index(op);
        slot = (u64{insn} << 32) | (u64{static_cast<u16>(op)} << 16) | hot;
      }
      c.npc = pc + 4;
      sig = dispatch(c, hot, op, insn);
      if (sig != Signal::Running) break;
      if (hooks != nullptr && c.npc != pc + 4 && at_taken_branch(*hooks, c.npc)) {
        c.pc = c.npc;
        --left;
        entered = true;
        break;
      }
      c.pc = c.npc;
    } while (--left != 0);
    n += chunk - left;
    if (entered) break;
    if (sig != Signal::Running) {
      if (sig == Signal::Syscall) {
        c.pc = c.npc;
        ++n;  // the SVC itself retired
      }
      break;
    }
    if (n < max_cycles && *stop_request) break;
  }
  s.pc = c.pc;
  return {sig == Signal::Running && !entered ? Signal::Checkpoint : sig, n};
}

}  // namespace kvrm::cuda

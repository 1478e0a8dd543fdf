// Instruction semantics, C4.1.87 Branches, exception generating and system instructions:
// conditional and unconditional branches, compare/test and branch, SVC/HLT/BRK, hints,
// barriers, PSTATE flag manipulation, EL0 cache maintenance and system register moves.
#pragma once

#include "isa/sem/common.hpp"
#include "isa/sysregs.hpp"

namespace kvrm::sem {

// ---- Conditional branch (immediate) ----
template <class C>
KVRM_HD Signal B_cond(C& c, u32 i) {
  if (cond_holds(c.s.nzcv, bits(i, 3, 0))) c.npc = c.pc + (sext(bits(i, 23, 5), 19) << 2);
  return Signal::Running;
}

// ---- Exception generation ----
// SVC stops with SYSCALL after the instruction (PC = the next one), as an exception return
// would resume; entering the kernel clears the exclusive monitor, as Linux's eret does.
template <class C>
KVRM_HD Signal SVC(C& c, u32 i) {
  c.stop.insn = i;
  c.stop.imm16 = static_cast<u16>(bits(i, 20, 5));
  c.s.excl_valid = 0;
  return Signal::Syscall;
}
template <class C>
KVRM_HD Signal BRK(C& c, u32 i) {
  c.stop.insn = i;
  c.stop.imm16 = static_cast<u16>(bits(i, 20, 5));
  return Signal::Breakpoint;
}
template <class C>
KVRM_HD Signal HLT(C& c, u32 i) {
  c.stop.insn = i;
  c.stop.imm16 = static_cast<u16>(bits(i, 20, 5));
  return Signal::Halt;
}

// ---- Hints and barriers ----
// Every hint executes as NOP: NOP, YIELD, WFE, WFI, SEV, SEVL, ESB, PSB, TSB, CSDB, the
// hint-space pointer-authentication instructions (FEAT_PAuth is not implemented, so the
// architecture defines them as NOP), BTI (no page is guarded) and the unallocated hints.
template <class C>
KVRM_HD Signal HINT(C&, u32) {
  return Signal::Running;
}
template <class C>
KVRM_HD Signal CLREX(C& c, u32) {
  c.s.excl_valid = 0;
  return Signal::Running;
}
// A core executes its own accesses in program order and every engine finishes a core's stores
// before another observer could read them, so barriers have nothing left to order.
template <class C>
KVRM_HD Signal DSB(C&, u32) {
  return Signal::Running;
}
template <class C>
KVRM_HD Signal DMB(C&, u32) {
  return Signal::Running;
}
// Instruction fetch always reads memory as it is now (no stale decoded copy survives a store),
// so the context synchronization ISB demands is already given.
template <class C>
KVRM_HD Signal ISB(C&, u32) {
  return Signal::Running;
}
template <class C>
KVRM_HD Signal SB(C&, u32) {
  return Signal::Running;
}

// ---- PSTATE (FEAT_FlagM, FEAT_FlagM2) ----
template <class C>
KVRM_HD Signal CFINV(C& c, u32) {
  c.s.nzcv ^= kC;
  return Signal::Running;
}
template <class C>
KVRM_HD Signal XAFLAG(C& c, u32) {
  const bool z = c.s.nzcv & kZ, cf = c.s.nzcv & kC;
  c.s.nzcv =
      ((!cf && !z) ? kN : 0) | ((z && cf) ? kZ : 0) | ((cf || z) ? kC : 0) | ((!cf && z) ? kV : 0);
  return Signal::Running;
}
template <class C>
KVRM_HD Signal AXFLAG(C& c, u32) {
  const bool z = c.s.nzcv & kZ, cf = c.s.nzcv & kC, v = c.s.nzcv & kV;
  c.s.nzcv = ((z || v) ? kZ : 0) | ((cf && !v) ? kC : 0);
  return Signal::Running;
}

// ---- Cache maintenance at EL0 ----
// DC ZVA zeroes the naturally aligned block of kDczBlockBytes holding the address.
template <class C>
KVRM_HD Signal DC_ZVA(C& c, u32 i) {
  const u64 va = c.x(static_cast<int>(bits(i, 4, 0))) & ~(kDczBlockBytes - 1);
  KVRM_MEM(c.mem.probe(va, kDczBlockBytes, Access::Write));
  for (u64 k = 0; k < kDczBlockBytes; k += 8) KVRM_MEM(c.mem.write(va + k, u64{0}));
  return Signal::Running;
}
// Cleaning or invalidating caches has no effect on an emulated core's memory, which is always
// coherent; what remains architecturally visible is the fault on an address that is not
// mapped readable, which these raise like any read.
template <class C>
KVRM_HD Signal cache_maintenance(C& c, u32 i) {
  KVRM_MEM(c.mem.probe(c.x(static_cast<int>(bits(i, 4, 0))), 1, Access::Read));
  return Signal::Running;
}
template <class C>
KVRM_HD Signal DC_CVAU(C& c, u32 i) {
  return cache_maintenance(c, i);
}
template <class C>
KVRM_HD Signal DC_CVAC(C& c, u32 i) {
  return cache_maintenance(c, i);
}
template <class C>
KVRM_HD Signal DC_CVAP(C& c, u32 i) {
  return cache_maintenance(c, i);
}
template <class C>
KVRM_HD Signal DC_CVADP(C& c, u32 i) {
  return cache_maintenance(c, i);
}
template <class C>
KVRM_HD Signal DC_CIVAC(C& c, u32 i) {
  return cache_maintenance(c, i);
}
template <class C>
KVRM_HD Signal IC_IVAU(C& c, u32 i) {
  return cache_maintenance(c, i);
}

// ---- System register moves (the registers EL0 may access; see isa/sysregs.hpp) ----
template <class C>
KVRM_HD Signal MRS(C& c, u32 i) {
  u64 v;
  if (!read_sysreg(c.s, bits(i, 19, 5), v)) return c.undefined(i);
  c.set(static_cast<int>(bits(i, 4, 0)), v, 64);
  return Signal::Running;
}
template <class C>
KVRM_HD Signal MSR_reg(C& c, u32 i) {
  if (!write_sysreg(c.s, bits(i, 19, 5), c.x(static_cast<int>(bits(i, 4, 0))))) {
    return c.undefined(i);
  }
  return Signal::Running;
}

// ---- Unconditional branch (register) ----
template <class C>
KVRM_HD Signal BR(C& c, u32 i) {
  c.npc = c.x(static_cast<int>(bits(i, 9, 5)));
  return Signal::Running;
}
template <class C>
KVRM_HD Signal BLR(C& c, u32 i) {
  c.npc = c.x(static_cast<int>(bits(i, 9, 5)));  // read before X30 is written
  c.s.x[30] = c.pc + 4;
  return Signal::Running;
}
template <class C>
KVRM_HD Signal RET(C& c, u32 i) {
  c.npc = c.x(static_cast<int>(bits(i, 9, 5)));
  return Signal::Running;
}

// ---- Unconditional branch (immediate) ----
template <class C>
KVRM_HD Signal B(C& c, u32 i) {
  c.npc = c.pc + (sext(bits(i, 25, 0), 26) << 2);
  return Signal::Running;
}
template <class C>
KVRM_HD Signal BL(C& c, u32 i) {
  c.s.x[30] = c.pc + 4;
  c.npc = c.pc + (sext(bits(i, 25, 0), 26) << 2);
  return Signal::Running;
}

// ---- Compare and branch, test and branch ----
template <class C>
KVRM_HD Signal compare_branch(C& c, u32 i, bool if_zero) {
  const u64 v = c.reg(static_cast<int>(bits(i, 4, 0)), bit(i, 31) ? 64 : 32);
  if ((v == 0) == if_zero) c.npc = c.pc + (sext(bits(i, 23, 5), 19) << 2);
  return Signal::Running;
}
template <class C>
KVRM_HD Signal CBZ(C& c, u32 i) {
  return compare_branch(c, i, true);
}
template <class C>
KVRM_HD Signal CBNZ(C& c, u32 i) {
  return compare_branch(c, i, false);
}
template <class C>
KVRM_HD Signal test_branch(C& c, u32 i, bool if_zero) {
  const u32 b = (bit(i, 31) << 5) | bits(i, 23, 19);
  const bool set = (c.x(static_cast<int>(bits(i, 4, 0))) >> b) & 1;
  if (set != if_zero) c.npc = c.pc + (sext(bits(i, 18, 5), 14) << 2);
  return Signal::Running;
}
template <class C>
KVRM_HD Signal TBZ(C& c, u32 i) {
  return test_branch(c, i, true);
}
template <class C>
KVRM_HD Signal TBNZ(C& c, u32 i) {
  return test_branch(c, i, false);
}

}  // namespace kvrm::sem

// The execution context every instruction handler receives: the core's state, its memory, where
// stop information goes, and the current and next PC. Register 31 is read and written as SP or
// as XZR exactly as each encoding says, through the accessors here.
#pragma once

#include "isa/hd.hpp"
#include "isa/mmu.hpp"
#include "isa/state.hpp"

namespace kvrm {

struct Context {
  CoreState& s;
  Mmu& mem;
  StopInfo& stop;
  u64 pc = 0;   // address of the instruction being executed
  u64 npc = 0;  // the PC after it: pc + 4 unless the instruction branches

  // Register 31 reads as zero (XZR) / as SP.
  KVRM_HD u64 x(int r) const { return r == 31 ? 0 : s.x[r]; }
  KVRM_HD u64 xsp(int r) const { return s.x[r]; }
  // Reads a register as 32 or 64 bits (size = 32 or 64), register 31 as zero / as SP.
  KVRM_HD u64 reg(int r, int size) const { return trunc(x(r), size); }
  KVRM_HD u64 reg_sp(int r, int size) const { return trunc(s.x[r], size); }
  // Writes a register; a 32-bit result is zero-extended. Register 31 discards / is SP.
  KVRM_HD void set(int r, u64 v, int size) {
    if (r != 31) s.x[r] = trunc(v, size);
  }
  KVRM_HD void set_sp(int r, u64 v, int size) { s.x[r] = trunc(v, size); }

  // Stops with UNDEFINED (the handler's encoding constraints rejected the word).
  KVRM_HD Signal undefined(u32 insn) {
    stop.insn = insn;
    return Signal::Undefined;
  }
};

// Shorthand for handlers: a memory access that failed has recorded the fault; stop.
#define KVRM_MEM(expr)                         \
  do {                                         \
    if (!(expr)) return ::kvrm::Signal::Fault; \
  } while (0)

}  // namespace kvrm

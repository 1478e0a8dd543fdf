// Dispatch from a decoded Op to its handler, and one fetch-decode-execute step: the code that
// both the reference engine and the CUDA engine run. Every instruction's behaviour lives in one
// handler in isa/sem/, shared by both.
#pragma once

#include "isa/context.hpp"
#include "isa/decoder.hpp"
#include "isa/sem/branch_system.hpp"
#include "isa/sem/crypto.hpp"
#include "isa/sem/data_processing_imm.hpp"
#include "isa/sem/data_processing_reg.hpp"
#include "isa/sem/fp_scalar.hpp"
#include "isa/sem/load_store.hpp"
#include "isa/sem/simd_fp.hpp"
#include "isa/sem/simd_int.hpp"
#include "isa/sem/simd_load_store.hpp"

namespace kvrm {

template <class C>
KVRM_HD Signal execute(C& c, Op op, u32 insn) {
  switch (op) {
#define INST(name, arm_name, pattern) \
  case Op::name:                      \
    return sem::name(c, insn);
#include "isa/a64.inc"
#undef INST
    default: return c.undefined(insn);
  }
}

// Executes the instruction at c.s.pc. On RUNNING the PC has moved on; on SYSCALL it is the
// instruction after the SVC; on every other signal it still addresses the stopping instruction.
template <class C>
KVRM_HD Signal step(C& c) {
  u32 insn;
  c.pc = c.s.pc;
  if (!c.mem.fetch(c.pc, insn)) return Signal::Fault;
  c.npc = c.pc + 4;
  const Signal sig = execute(c, decode(insn), insn);
  if (sig == Signal::Running || sig == Signal::Syscall) c.s.pc = c.npc;
  return sig;
}

}  // namespace kvrm

// Dispatch from a decoded Op to its handler, and one fetch-decode-execute step: the code that
// both the reference engine and the CUDA engine run. Every instruction's behaviour lives in one
// handler in isa/sem/, shared by both.
#pragma once

#include "isa/context.hpp"
#include "isa/decoder.hpp"
#include "isa/sem/all.hpp"

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

// Executes the instruction at c.pc (the loop keeps the PC in the Context, not in CoreState, so
// that an engine can hold it in a register; run_steps() moves it in and out of c.s.pc). On
// RUNNING c.pc has moved on; on SYSCALL it is the instruction after the SVC; on every other
// signal it still addresses the stopping instruction.
// `decode_word(pc, word)` gives what `run` dispatches on (the plain decoder's Op, or an engine's
// decoded-instruction cache in front of it); `run(c, decoded, word)` executes it (execute(), or
// an engine's split of the same handlers into an inlined and an out-of-line part).
template <class C, class DecodeFn, class RunFn>
KVRM_HD Signal step(C& c, DecodeFn&& decode_word, RunFn&& run) {
  u32 insn;
  if (!c.mem.fetch(c.pc, insn)) return Signal::Fault;
  c.npc = c.pc + 4;
  const Signal sig = run(c, decode_word(c.pc, insn), insn);
  if (sig == Signal::Running || sig == Signal::Syscall) c.pc = c.npc;
  return sig;
}

// Steps until a stop signal or max_cycles retired instructions; every `poll_interval`
// instructions (a power of two) `stop()` may end the run early with CHECKPOINT.
template <class C, class DecodeFn, class RunFn, class StopFn>
KVRM_HD RunOutcome run_steps(C& c, u64 max_cycles, DecodeFn&& decode_word, RunFn&& run,
                             u64 poll_interval, StopFn&& stop) {
  Signal sig = Signal::Running;
  u64 n = 0;
  c.pc = c.s.pc;
  while (n < max_cycles) {
    sig = step(c, decode_word, run);
    if (sig != Signal::Running) break;
    ++n;
    if ((n & (poll_interval - 1)) == 0 && stop()) break;
  }
  c.s.pc = c.pc;
  if (sig == Signal::Syscall) ++n;  // the SVC itself retired
  return {sig == Signal::Running ? Signal::Checkpoint : sig, n};
}

// run_steps() as the host engines use it: the plain decoder, execute(), no stop requests.
template <class C>
KVRM_HD RunOutcome run_plain_steps(C& c, u64 max_cycles) {
  return run_steps(
      c, max_cycles, [](u64, u32 w) { return decode(w); },
      [](C& cc, Op op, u32 w) { return execute(cc, op, w); }, u64{1} << 62, [] { return false; });
}

}  // namespace kvrm

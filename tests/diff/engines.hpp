// The two engines of a trial: kvrm's reference engine and Unicorn 2 (the oracle). Each maps the
// layout of machine.hpp once, then runs trials: load the input, run the preamble and the
// instruction, and return the outcome, the final state and the final memory.
#pragma once

#include <memory>

#include "engines/engine.hpp"
#include "machine.hpp"

struct uc_struct;

namespace kvrm::diff {

class KvrmRunner {
 public:
  KvrmRunner();
  void run(const TrialInput& in, TrialOutput& out);

 private:
  std::unique_ptr<Engine> engine_;
};

// Unicorn 2 as an AArch64 EL0 oracle: CPU model "max" (so v8.1+ instructions exist), entered
// into EL0 by an ERET from EL1, with SCTLR_EL1 set up like Linux's for user space (EL0 access to
// CTR_EL0, DC ZVA, cache maintenance, WFI/WFE; pointer authentication keys disabled, so the
// hint-space PAC instructions are NOPs as on a core without FEAT_PAuth), CNTKCTL_EL1 giving EL0
// the virtual counter, CPACR_EL1 giving EL0 the FP/SIMD registers.
//
// Outcome mapping (learned by experiment with Unicorn 2.0.1):
//   uc_emu_start OK, no interrupt         -> CHECKPOINT (completed; PC = next instruction)
//   interrupt 2 (EXCP_SWI)                -> SYSCALL (PC = the instruction after the SVC)
//   interrupt 7 (EXCP_BKPT)               -> BREAKPOINT (PC = the BRK)
//   interrupt 1 (EXCP_UDEF)               -> UNDEFINED (PC = the instruction); HLT too (see
//                                            the "hlt" exclusion)
//   interrupt 4 (EXCP_DATA_ABORT)         -> FAULT, alignment (unmapped and protected accesses
//                                            come back as errors instead, as the MMU is off)
//   interrupt 3 (EXCP_PREFETCH_ABORT)     -> FAULT, fetch
//   UC_ERR_READ_UNMAPPED / WRITE_UNMAPPED -> FAULT, unmapped, read / write (PC = instruction)
//   UC_ERR_READ_PROT / WRITE_PROT         -> FAULT, permission, read / write
//   UC_ERR_FETCH_UNMAPPED / FETCH_PROT / FETCH_UNALIGNED at a PC other than the preamble's or
//   the instruction's -> CHECKPOINT: the instruction branched there and completed; Unicorn
//   looks up the next block before it counts the instruction as done.
class UnicornOracle {
 public:
  UnicornOracle();
  ~UnicornOracle();
  UnicornOracle(const UnicornOracle&) = delete;
  UnicornOracle& operator=(const UnicornOracle&) = delete;

  void run(const TrialInput& in, TrialOutput& out);

  // Hook state, public for the C callbacks.
  struct Hooks {
    bool interrupt = false;
    u32 intno = 0;
    bool mem_invalid = false;
    int mem_type = 0;
    u64 mem_addr = 0;
  };
  Hooks hooks;

 private:
  void enter_el0();
  uc_struct* uc_ = nullptr;
};

}  // namespace kvrm::diff

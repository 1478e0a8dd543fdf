// Architectural state of one AArch64 core, as a plain struct that lives in host memory for the
// reference engine and in device memory for the CUDA engine; plus the stop signals an engine
// reports and the information that comes with them.
#pragma once

#include "isa/hd.hpp"

namespace kvrm {

// Why execution stopped. The first four values are the seed's Signal enum; the rest are kvrm's.
enum class Signal : u32 {
  Running = 0,     // still executing (never the final result of a run)
  Halt = 1,        // HLT executed; PC is the HLT instruction
  Syscall = 2,     // SVC executed; PC is the instruction after the SVC
  Checkpoint = 3,  // the cycle budget was used up; PC is the next instruction to execute
  Fault = 4,       // memory fault (see StopInfo); PC is the faulting instruction
  Undefined = 5,   // UNDEFINED encoding; PC is that instruction, StopInfo::insn its word
  Breakpoint = 6,  // BRK executed; PC is the BRK instruction
};

KVRM_HD constexpr const char* signal_name(Signal s) {
  switch (s) {
    case Signal::Running: return "RUNNING";
    case Signal::Halt: return "HALT";
    case Signal::Syscall: return "SYSCALL";
    case Signal::Checkpoint: return "CHECKPOINT";
    case Signal::Fault: return "FAULT";
    case Signal::Undefined: return "UNDEFINED";
    case Signal::Breakpoint: return "BREAKPOINT";
  }
  return "UNKNOWN";
}

// How an engine's inner loop ended: the signal (CHECKPOINT when the budget ran out or a stop
// was requested; RUNNING only where a loop says so) and the instructions retired (an SVC counts).
struct RunOutcome {
  Signal signal;
  u64 cycles;
  u64 interpreted = 0;  // of the cycles, those the interpreter retired inside translated code
};

// The kind of memory access that faulted.
enum class Access : u8 { Read = 0, Write = 1, Fetch = 2 };

// Why it faulted.
enum class FaultCause : u8 {
  None = 0,
  Unmapped = 1,    // no page mapped at the address (Linux: SIGSEGV, SEGV_MAPERR)
  Permission = 2,  // mapped, but the access is not permitted (SIGSEGV, SEGV_ACCERR)
  Alignment = 3,   // the architecture requires an aligned address here (SIGBUS, BUS_ADRALN)
};

KVRM_HD constexpr const char* access_name(Access a) {
  return a == Access::Read ? "read" : a == Access::Write ? "write" : "fetch";
}
KVRM_HD constexpr const char* fault_cause_name(FaultCause c) {
  switch (c) {
    case FaultCause::None: return "none";
    case FaultCause::Unmapped: return "unmapped";
    case FaultCause::Permission: return "permission";
    case FaultCause::Alignment: return "alignment";
  }
  return "unknown";
}

// What came with the last stop: the instruction word at PC, the 16-bit immediate of SVC, HLT
// and BRK, and for FAULT the address, the access and the cause.
struct StopInfo {
  u64 fault_addr = 0;
  u32 insn = 0;
  u16 imm16 = 0;
  Access access = Access::Read;
  FaultCause cause = FaultCause::None;
};

struct VReg {
  u64 lo = 0;
  u64 hi = 0;
};

// One core's architectural state. x[31] holds SP: instruction semantics read register 31 as SP
// or as XZR exactly as each encoding specifies (see the accessors in isa/context.hpp).
struct CoreState {
  u64 x[32] = {};
  u64 pc = 0;
  u32 nzcv = 0;  // N, Z, C, V in bits 31..28, as MRS NZCV returns them
  u32 fpcr = 0;
  u32 fpsr = 0;
  u32 reserved0 = 0;
  u64 tpidr_el0 = 0;
  u64 tpidrro_el0 = 0;
  VReg v[32] = {};
  // The local exclusive monitor: set by load-exclusive, checked and cleared by store-exclusive.
  u64 excl_addr = 0;
  u32 excl_size = 0;  // bytes covered (an LDXP of two X registers covers 16)
  u32 excl_valid = 0;

  KVRM_HD u64& sp() { return x[31]; }
  KVRM_HD u64 sp() const { return x[31]; }
};

constexpr int kSP = 31;

}  // namespace kvrm

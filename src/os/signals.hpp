// Linux signals for a guest process, as the arm64 kernel implements them: dispositions
// (rt_sigaction, shared by the threads), the blocked mask and alternate stack (of the running
// thread: Process swaps them on a thread switch), pending signals (standard ones coalesced,
// real-time ones queued; each directed at the process or at one thread), and delivery: a default
// action (terminate with 128+signal, ignore), or a handler entered through an rt_sigframe built as
// arch/arm64/kernel/signal.c builds it (siginfo, ucontext with sigcontext, fpsimd_context, an
// esr_context after a fault, the null terminator record; a frame record for unwinders) and left
// through rt_sigreturn. Synchronous faults (the engine's FAULT, UNDEFINED, BREAKPOINT stops)
// become forced SIGSEGV/SIGBUS/SIGILL/SIGTRAP with si_code and si_addr as Linux sets them.
#pragma once

#include <string>
#include <vector>

#include "engines/engine.hpp"

namespace kvrm::os {

class Process;

// Signal numbers and flags of the arm64 (asm-generic) ABI.
namespace sig {
constexpr int kHup = 1, kInt = 2, kQuit = 3, kIll = 4, kTrap = 5, kAbrt = 6, kBus = 7, kFpe = 8,
              kKill = 9, kSegv = 11, kPipe = 13, kAlrm = 14, kTerm = 15, kChld = 17, kCont = 18,
              kStop = 19, kTstp = 20, kTtin = 21, kTtou = 22, kUrg = 23, kXcpu = 24, kXfsz = 25,
              kWinch = 28, kSys = 31, kMax = 64;
constexpr u64 kDfl = 0, kIgn = 1;  // sa_handler values
constexpr u64 kSaSiginfo = 4, kSaRestorer = 0x04000000, kSaOnstack = 0x08000000,
              kSaRestart = 0x10000000, kSaNodefer = 0x40000000, kSaResethand = 0x80000000;
// The flags rt_sigaction keeps (Linux clears unknown bits so that programs can probe them).
constexpr u64 kSaKnown = 1 | 2 | kSaSiginfo | 0x800 /* SA_EXPOSE_TAGBITS */ | kSaRestorer |
                         kSaOnstack | kSaRestart | kSaNodefer | kSaResethand;
constexpr u32 kSsOnstack = 1, kSsDisable = 2, kSsAutodisarm = 1u << 31;
constexpr u64 kMinSigStkSz = 5120;  // MINSIGSTKSZ of the arm64 uapi (sigaltstack's minimum)
// AT_MINSIGSTKSZ: what the kernel computes at boot for a CPU with the features kvrm advertises
// (FP/SIMD, no SVE/SME/FPMR/POE/GCS): the rt_sigframe (4688 bytes; its fpsimd and esr records
// fit in __reserved), the frame record (16) and 16 bytes of alignment padding.
constexpr u64 kAtMinSigStkSz = 4688 + 16 + 16;
constexpr int kSiUser = 0, kSiTkill = -6;
constexpr int kSegvMaperr = 1, kSegvAccerr = 2, kBusAdraln = 1, kIllIllopc = 1, kTrapBrkpt = 1;
inline constexpr u64 bit(int s) { return u64{1} << (s - 1); }
constexpr u64 kUnblockable = bit(kKill) | bit(kStop);
}  // namespace sig

// siginfo_t (128 bytes; the fields kvrm fills).
struct SigInfo {
  i32 signo = 0, errno_ = 0, code = 0, pad = 0;
  u64 field[14] = {};  // from offset 0x10: si_pid/si_uid or si_addr, ...

  static SigInfo kill(int sig, int code);  // si_pid, si_uid of the process itself
  static SigInfo fault(int sig, int code, u64 addr);
};
static_assert(sizeof(SigInfo) == 128);

struct SignalState {
  struct Action {  // struct sigaction of the kernel, as rt_sigaction reads it
    u64 handler = sig::kDfl, flags = 0, restorer = 0, mask = 0;
  };
  struct Pending {
    int sig;
    SigInfo info;
    std::string detail;  // for kvrm's message if it kills the process
    int tid = 0;         // the thread it is for (tkill, a fault); 0: the process (any thread)
  };
  Action actions[sig::kMax + 1];
  u64 blocked = 0;
  std::vector<Pending> pending;  // in the order sent
  bool have_saved_mask = false;  // rt_sigsuspend: the mask to restore after its signal
  u64 saved_mask = 0;
  u64 ss_sp = 0, ss_size = 0;  // the alternate signal stack
  u32 ss_flags = sig::kSsDisable;
  u64 fault_address = 0, fault_code = 0;  // FAR and ESR of the last fault, as Linux keeps them
  u64 sigtramp = 0;  // the return trampoline (the vDSO's __kernel_rt_sigreturn on Linux)
  int tid = 0;       // the running thread: pending signals for other threads are not its own
};

// The part of SignalState that belongs to one thread (Process keeps it for the threads that do
// not run and swaps it in on a switch).
struct ThreadSignals {
  u64 blocked = 0;
  bool have_saved_mask = false;
  u64 saved_mask = 0;
  u64 ss_sp = 0, ss_size = 0;
  u32 ss_flags = sig::kSsDisable;
  u64 fault_address = 0, fault_code = 0;
  int tid = 0;
};
ThreadSignals save_thread_signals(const SignalState& st);
void load_thread_signals(SignalState& st, const ThreadSignals& t);

// Queues a signal for the process (a standard signal already pending is not queued twice), or
// for one thread when tid is not 0.
void send_signal(Process& p, int sig, const SigInfo& info, std::string detail = "", int tid = 0);
// Queues a signal Linux forces on the thread (a fault): unblocked, and reset to SIG_DFL when
// it was blocked or ignored, so that it kills unless a handler takes it.
void force_signal(Process& p, int sig, const SigInfo& info, std::string detail = "");
// True when a pending signal that `blocked` lets through would act (run a handler or end the
// process): such a signal interrupts a blocking syscall.
bool signal_interrupts(const SignalState& st, u64 blocked);
// The same for thread `tid` with mask `blocked`; process-directed signals count only when
// `shared` is true (no running thread could take them).
bool signal_interrupts_thread(const SignalState& st, u64 blocked, int tid, bool shared);
// The signals pending for the process as a whole (bit s-1: signal s), which any thread may take.
u64 shared_pending(const SignalState& st);
// True when the signal deliver_signals() takes next runs a handler with SA_RESTART (a
// syscall it interrupted is restarted after the handler).
bool next_signal_restarts(const SignalState& st);
// Delivers every pending signal the mask lets through: ignored, the default action, or a handler
// frame on the guest stack (the engine state is changed to enter the handler).
void deliver_signals(Process& p);
// The signal Linux sends for an engine stop (FAULT, UNDEFINED, HALT, BREAKPOINT), forced and
// delivered.
void signal_for_stop(Process& p, const RunResult& r);
// Maps the return trampoline page into a new process (before it runs).
void map_sigtramp(Process& p);

}  // namespace kvrm::os

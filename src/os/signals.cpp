// Signal state, delivery and the signal syscalls (rt_sigaction, rt_sigprocmask, rt_sigpending,
// rt_sigsuspend, rt_sigtimedwait, rt_sigqueueinfo, kill, tkill, tgkill, sigaltstack,
// rt_sigreturn). The frame layout follows the arm64 uapi (asm/sigcontext.h, asm/ucontext.h)
// and arch/arm64/kernel/signal.c; see os/signals.hpp.
#include "os/signals.hpp"

#include <time.h>
#include <unistd.h>

#include <algorithm>
#include <bit>
#include <cerrno>
#include <cstdio>
#include <cstring>

#include "isa/mmu.hpp"
#include "os/process.hpp"
#include "os/syscalls_internal.hpp"

namespace kvrm::os {

using namespace sig;

namespace {

// struct rt_sigframe { siginfo_t info; struct ucontext uc; } of arm64.
constexpr u64 kFrameSize = 4688;  // sizeof(struct rt_sigframe), a multiple of 16
constexpr size_t kUc = 128;       // the ucontext
constexpr size_t kUcStack = kUc + 16, kUcSigmask = kUc + 40;
constexpr size_t kMc = kUc + 176;  // uc_mcontext: struct sigcontext (16-byte aligned)
constexpr size_t kMcRegs = kMc + 8, kMcSp = kMc + 256, kMcPc = kMc + 264, kMcPstate = kMc + 272;
constexpr size_t kReserved = kMc + 288;  // sigcontext.__reserved[4096]: the records
constexpr size_t kReservedSize = 4096;
static_assert(kReserved + kReservedSize == kFrameSize);
constexpr u32 kFpsimdMagic = 0x46508001, kEsrMagic = 0x45535201;
constexpr u32 kFpsimdSize = 16 + 32 * 16, kEsrSize = 16;
constexpr u64 kSynchronous =
    bit(kSegv) | bit(kBus) | bit(kIll) | bit(kTrap) | bit(kFpe) | bit(kSys);
constexpr size_t kMaxQueued = 4096;  // real-time signals queued at most (RLIMIT_SIGPENDING-like)
constexpr int kSiKernel = 0x80;

bool ignored_by_default(int s) { return s == kChld || s == kCont || s == kUrg || s == kWinch; }
// Stop signals: kvrm has no job control (nothing could continue the process), so their default
// action is taken as "ignore".
bool stops_by_default(int s) { return s == kStop || s == kTstp || s == kTtin || s == kTtou; }
bool is_ignored(const SignalState& st, int s) {
  const u64 h = st.actions[s].handler;
  return h == kIgn || (h == kDfl && (ignored_by_default(s) || stops_by_default(s)));
}

void put32(std::vector<u8>& f, size_t off, u32 v) { std::memcpy(&f[off], &v, 4); }
void put64(std::vector<u8>& f, size_t off, u64 v) { std::memcpy(&f[off], &v, 8); }
u32 get32(const std::vector<u8>& f, size_t off) {
  u32 v;
  std::memcpy(&v, &f[off], 4);
  return v;
}
u64 get64(const std::vector<u8>& f, size_t off) {
  u64 v;
  std::memcpy(&v, &f[off], 8);
  return v;
}

// The alternate stack, as kernel/signal.c sees it.
bool on_sig_stack(const SignalState& st, u64 sp) {
  if (st.ss_flags & kSsAutodisarm) return false;
  return sp > st.ss_sp && sp - st.ss_sp <= st.ss_size;
}
u32 sas_ss_flags(const SignalState& st, u64 sp) {
  if (!st.ss_size) return kSsDisable;
  return on_sig_stack(st, sp) ? kSsOnstack : 0;
}

// stack_t of aarch64: ss_sp, ss_flags (int, padded), ss_size. 0 or -errno.
i64 do_sigaltstack(SignalState& st, const u64* ss, u64* oss, u64 sp) {
  if (oss) {
    oss[0] = st.ss_sp;
    oss[1] = sas_ss_flags(st, sp) | (st.ss_flags & kSsAutodisarm);
    oss[2] = st.ss_size;
  }
  if (ss) {
    u64 ss_sp = ss[0], size = ss[2];
    const u32 flags = static_cast<u32>(ss[1]);
    if (on_sig_stack(st, sp)) return detail::err(EPERM);
    const u32 mode = flags & ~kSsAutodisarm;
    if (mode != kSsDisable && mode != kSsOnstack && mode != 0) return detail::err(EINVAL);
    if (st.ss_sp == ss_sp && st.ss_size == size && st.ss_flags == flags) return 0;
    if (mode == kSsDisable) {
      ss_sp = size = 0;
    } else if (size < kMinSigStkSz) {
      return detail::err(ENOMEM);
    }
    st.ss_sp = ss_sp;
    st.ss_size = size;
    st.ss_flags = flags;
  }
  return 0;
}

// Whether the running thread may take a pending signal: one for the process or for itself.
bool mine(const SignalState& st, const SignalState::Pending& e) {
  return e.tid == 0 || e.tid == st.tid;
}

// The pending signal to deliver next among those `blocked` lets through: synchronous signals
// first, then the lowest number, the oldest instance (Linux's next_signal). -1: none.
int pick(const SignalState& st, u64 blocked) {
  u64 ready = 0;
  for (const auto& e : st.pending)
    if (mine(st, e)) ready |= bit(e.sig);
  ready &= ~blocked;
  if (!ready) return -1;
  if (ready & kSynchronous) ready &= kSynchronous;
  const int s = std::countr_zero(ready) + 1;
  for (size_t k = 0; k < st.pending.size(); ++k)
    if (st.pending[k].sig == s && mine(st, st.pending[k])) return static_cast<int>(k);
  return -1;
}

// Builds the rt_sigframe for `sig` and enters the handler: false when the frame cannot be
// written (the caller forces SIGSEGV, as Linux does).
bool setup_frame(Process& p, int s, const SignalState::Action& ka, const SigInfo& info,
                 u64 oldset) {
  SignalState& st = p.signals;
  Engine& e = p.engine();
  CoreState c = e.state();
  u64 sp = c.x[kSP];
  if ((ka.flags & kSaOnstack) && sas_ss_flags(st, sp) == 0) sp = st.ss_sp + st.ss_size;
  if (sp < kFrameSize + 32) return false;
  const u64 next_frame = (sp - 16) & ~u64{15};  // struct frame_record {fp, lr}
  const u64 frame = next_frame - kFrameSize;

  std::vector<u8> f(kFrameSize, 0);
  if (ka.flags & kSaSiginfo) std::memcpy(f.data(), &info, sizeof info);
  // uc_flags and uc_link stay 0.
  put64(f, kUcStack, st.ss_sp);
  put32(f, kUcStack + 8, st.ss_flags);
  put64(f, kUcStack + 16, st.ss_size);
  put64(f, kUcSigmask, oldset);
  put64(f, kMc, st.fault_address);
  for (int k = 0; k < 31; ++k) put64(f, kMcRegs + 8 * k, c.x[k]);
  put64(f, kMcSp, c.x[kSP]);
  put64(f, kMcPc, c.pc);
  put64(f, kMcPstate, c.nzcv & 0xf0000000u);  // EL0t, DAIF clear: only NZCV is ever set
  size_t r = kReserved;
  put32(f, r, kFpsimdMagic);
  put32(f, r + 4, kFpsimdSize);
  put32(f, r + 8, c.fpsr);
  put32(f, r + 12, c.fpcr);
  for (int k = 0; k < 32; ++k) {
    put64(f, r + 16 + 16 * k, c.v[k].lo);
    put64(f, r + 24 + 16 * k, c.v[k].hi);
  }
  r += kFpsimdSize;
  if (st.fault_code) {
    put32(f, r, kEsrMagic);
    put32(f, r + 4, kEsrSize);
    put64(f, r + 8, st.fault_code);
    r += kEsrSize;
  }
  // The terminator record (magic 0, size 0) at r is already zero.
  const u64 record[2] = {c.x[29], c.x[30]};
  if (!p.write(frame, f.data(), f.size()) || !p.write(next_frame, record, sizeof record))
    return false;

  c.x[0] = static_cast<u64>(s);
  if (ka.flags & kSaSiginfo) {
    c.x[1] = frame;
    c.x[2] = frame + kUc;
  }
  c.x[kSP] = frame;
  c.x[29] = next_frame;
  c.x[30] = (ka.flags & kSaRestorer) ? ka.restorer : st.sigtramp;
  c.pc = ka.handler;
  c.excl_valid = 0;  // an exception return clears the exclusive monitor
  e.set_state(c);
  return true;
}

// Linux's force_sigsegv: the frame of `s` could not be written.
void force_sigsegv(Process& p, int s, u64 sp) {
  char detail[128];
  std::snprintf(detail, sizeof detail, " - no room for the frame of signal %d below sp 0x%llx", s,
                static_cast<unsigned long long>(sp));
  if (s == kSegv) p.signals.actions[kSegv].handler = kDfl;  // force_fatal_sig
  SigInfo info;
  info.signo = kSegv;
  info.code = kSiKernel;
  force_signal(p, kSegv, info, detail);
}

}  // namespace

SigInfo SigInfo::kill(int s, int code) {
  SigInfo i;
  i.signo = s;
  i.code = code;
  i.field[0] = static_cast<u32>(::getpid()) | u64{::getuid()} << 32;  // si_pid, si_uid
  return i;
}

SigInfo SigInfo::fault(int s, int code, u64 addr) {
  SigInfo i;
  i.signo = s;
  i.code = code;
  i.field[0] = addr;  // si_addr
  return i;
}

void send_signal(Process& p, int s, const SigInfo& info, std::string detail, int tid) {
  SignalState& st = p.signals;
  if (s < 1 || s > kMax) return;
  // An ignored signal is discarded when sent, unless blocked (it may be handled by then; the
  // mask looked at is the running thread's, or the target thread's).
  const u64 blocked = tid == 0 || tid == st.tid ? st.blocked : p.thread_mask(tid);
  if (!(blocked & bit(s)) && is_ignored(st, s) && s != kKill) return;
  if (s < 32) {
    for (const auto& e : st.pending)
      if (e.sig == s && e.tid == tid) return;  // standard signals do not queue
  } else if (st.pending.size() >= kMaxQueued) {
    return;
  }
  st.pending.push_back({s, info, std::move(detail), tid});
}

bool signal_interrupts(const SignalState& st, u64 blocked) {
  for (const auto& e : st.pending)
    if (mine(st, e) && !(blocked & bit(e.sig)) && !is_ignored(st, e.sig)) return true;
  return false;
}

bool signal_interrupts_thread(const SignalState& st, u64 blocked, int tid, bool shared) {
  for (const auto& e : st.pending)
    if ((e.tid == tid || (shared && e.tid == 0)) && !(blocked & bit(e.sig)) &&
        !is_ignored(st, e.sig))
      return true;
  return false;
}

u64 shared_pending(const SignalState& st) {
  u64 set = 0;
  for (const auto& e : st.pending)
    if (e.tid == 0 && !is_ignored(st, e.sig)) set |= bit(e.sig);
  return set;
}

ThreadSignals save_thread_signals(const SignalState& st) {
  return {st.blocked,  st.have_saved_mask, st.saved_mask, st.ss_sp, st.ss_size,
          st.ss_flags, st.fault_address,   st.fault_code, st.tid};
}

void load_thread_signals(SignalState& st, const ThreadSignals& t) {
  st.blocked = t.blocked;
  st.have_saved_mask = t.have_saved_mask;
  st.saved_mask = t.saved_mask;
  st.ss_sp = t.ss_sp;
  st.ss_size = t.ss_size;
  st.ss_flags = t.ss_flags;
  st.fault_address = t.fault_address;
  st.fault_code = t.fault_code;
  st.tid = t.tid;
}

bool next_signal_restarts(const SignalState& st) {
  const int k = pick(st, st.blocked);
  if (k < 0) return false;
  const SignalState::Action& a = st.actions[st.pending[static_cast<size_t>(k)].sig];
  return a.handler != kDfl && a.handler != kIgn && (a.flags & kSaRestart);
}

void force_signal(Process& p, int s, const SigInfo& info, std::string detail) {
  SignalState& st = p.signals;
  const bool blocked = st.blocked & bit(s);
  if (blocked || st.actions[s].handler == kIgn) st.actions[s].handler = kDfl;
  st.blocked &= ~bit(s);
  send_signal(p, s, info, std::move(detail), st.tid);
}

void deliver_signals(Process& p) {
  SignalState& st = p.signals;
  // Each round takes one signal; a frame failure adds at most one forced SIGSEGV, which then
  // kills: the loop ends.
  for (int round = 0; round < 4 * static_cast<int>(kMaxQueued) && !p.exited(); ++round) {
    const int k = pick(st, st.blocked);
    if (k < 0) break;
    SignalState::Pending e = std::move(st.pending[static_cast<size_t>(k)]);
    st.pending.erase(st.pending.begin() + k);
    SignalState::Action& act = st.actions[e.sig];
    if (act.handler == kIgn) continue;
    if (act.handler == kDfl) {
      if (ignored_by_default(e.sig) || stops_by_default(e.sig)) continue;
      p.die_by_signal(e.sig, e.detail);
      break;
    }
    const SignalState::Action ka = act;
    if (ka.flags & kSaResethand) act.handler = kDfl;
    const u64 oldset = st.have_saved_mask ? st.saved_mask : st.blocked;
    if (!setup_frame(p, e.sig, ka, e.info, oldset)) {
      force_sigsegv(p, e.sig, p.engine().reg(kSP));
      continue;
    }
    st.have_saved_mask = false;
    u64 b = st.blocked | ka.mask;
    if (!(ka.flags & kSaNodefer)) b |= bit(e.sig);
    st.blocked = b & ~kUnblockable;
    if (st.ss_flags & kSsAutodisarm) {
      st.ss_sp = st.ss_size = 0;
      st.ss_flags = kSsDisable;
    }
  }
  if (st.have_saved_mask) {
    st.blocked = st.saved_mask;
    st.have_saved_mask = false;
  }
}

void signal_for_stop(Process& p, const RunResult& r) {
  SignalState& st = p.signals;
  char where[160];
  // ESR_ELx as the CPU reports it: EC, IL and, for aborts, WnR and a level-3 fault status.
  constexpr u64 kIl = u64{1} << 25, kWnR = u64{1} << 6;
  constexpr u64 kEcInsnAbort = 0x20, kEcPcAlign = 0x22, kEcDataAbort = 0x24;
  constexpr u64 kFscTranslation = 0x07, kFscPermission = 0x0f, kFscAlignment = 0x21;
  switch (r.signal) {
    case Signal::Fault: {
      const u64 addr = r.info.fault_addr;
      const bool fetch = r.info.access == Access::Fetch;
      const bool write = r.info.access == Access::Write;
      std::snprintf(where, sizeof where, " - %s of address 0x%llx (%s) at pc 0x%llx",
                    access_name(r.info.access), static_cast<unsigned long long>(addr),
                    fault_cause_name(r.info.cause), static_cast<unsigned long long>(r.pc));
      if (r.info.cause == FaultCause::Alignment) {
        if (fetch) {  // PC alignment fault: reported through arm64_notify_die
          st.fault_address = 0;
          st.fault_code = kEcPcAlign << 26 | kIl;
        } else {
          st.fault_address = addr;
          st.fault_code = kEcDataAbort << 26 | kIl | (write ? kWnR : 0) | kFscAlignment;
        }
        force_signal(p, kBus, SigInfo::fault(kBus, kBusAdraln, addr), where);
      } else {
        const bool unmapped = r.info.cause == FaultCause::Unmapped;
        st.fault_address = addr;
        st.fault_code = (fetch ? kEcInsnAbort : kEcDataAbort) << 26 | kIl | (write ? kWnR : 0) |
                        (unmapped ? kFscTranslation : kFscPermission);
        force_signal(p, kSegv, SigInfo::fault(kSegv, unmapped ? kSegvMaperr : kSegvAccerr, addr),
                     where);
      }
      break;
    }
    case Signal::Undefined:
    case Signal::Halt:  // HLT at EL0 is UNDEFINED
      std::snprintf(where, sizeof where, " - instruction 0x%08x at pc 0x%llx", r.info.insn,
                    static_cast<unsigned long long>(r.pc));
      st.fault_address = 0;
      st.fault_code = 0;
      force_signal(p, kIll, SigInfo::fault(kIll, kIllIllopc, r.pc), where);
      break;
    case Signal::Breakpoint:
      std::snprintf(where, sizeof where, " - BRK #%u at pc 0x%llx", r.info.imm16,
                    static_cast<unsigned long long>(r.pc));
      force_signal(p, kTrap, SigInfo::fault(kTrap, kTrapBrkpt, r.pc), where);
      break;
    default: return;
  }
  deliver_signals(p);
}

void map_sigtramp(Process& p) {
  // A page like the vDSO's __kernel_rt_sigreturn: a nop (unwinders look one instruction
  // before the return address), then `mov x8, #139 (rt_sigreturn); svc #0`, the sequence
  // libgcc's unwinder recognises as a signal frame.
  const u64 at = p.vmas().find_free(kPageSize, p.mmap_top, p.mmap_bottom);
  if (at == 0) throw ExecError(1, "no room for the signal return page");
  const u32 code[3] = {0xd503201f, 0xd2801168, 0xd4000001};
  p.engine().map(at, kPageSize, kPermRead | kPermWrite);
  p.engine().write_memory(at, code, sizeof code);
  p.engine().protect(at, kPageSize, kPermRead | kPermExec);
  p.vmas().set(at, at + kPageSize, kPermRead | kPermExec);
  p.signals.sigtramp = at + 4;
}

// ---- Syscalls -----------------------------------------------------------------------------------

namespace detail {
namespace {

bool valid(u64 s) { return s >= 1 && s <= static_cast<u64>(kMax); }

i64 sys_rt_sigaction(Process& p, const u64* a) {
  SignalState& st = p.signals;
  if (a[3] != 8) return err(EINVAL);
  const u64 s = a[0];
  SignalState::Action act;
  if (a[1] && !p.read(a[1], &act, sizeof act)) return err(EFAULT);
  if (!valid(s) || (a[1] && (s == kKill || s == kStop))) return err(EINVAL);
  const SignalState::Action old = st.actions[s];
  if (a[1]) {
    act.flags &= kSaKnown;
    act.mask &= ~kUnblockable;
    st.actions[s] = act;
    // POSIX: setting SIG_IGN (or SIG_DFL of an ignored-by-default signal) discards it.
    if (is_ignored(st, static_cast<int>(s)))
      std::erase_if(st.pending, [&](const auto& e) { return e.sig == static_cast<int>(s); });
  }
  if (a[2] && !p.write(a[2], &old, sizeof old)) return err(EFAULT);
  return 0;
}

i64 sys_rt_sigprocmask(Process& p, const u64* a) {
  SignalState& st = p.signals;
  if (a[3] != 8) return err(EINVAL);
  const u64 old = st.blocked;
  if (a[1]) {
    u64 set;
    if (!p.read(a[1], &set, 8)) return err(EFAULT);
    set &= ~kUnblockable;
    switch (a[0]) {
      case 0: st.blocked |= set; break;   // SIG_BLOCK
      case 1: st.blocked &= ~set; break;  // SIG_UNBLOCK
      case 2: st.blocked = set; break;    // SIG_SETMASK
      default: return err(EINVAL);
    }
  }
  if (a[2] && !p.write(a[2], &old, 8)) return err(EFAULT);
  return 0;  // newly unblocked pending signals are delivered on the way back (deliver_signals)
}

i64 sys_rt_sigpending(Process& p, const u64* a) {
  if (a[1] > 8) return err(EINVAL);
  u64 set = 0;
  for (const auto& e : p.signals.pending)
    if (mine(p.signals, e)) set |= bit(e.sig);
  set &= p.signals.blocked;
  return p.write(a[0], &set, a[1]) ? 0 : err(EFAULT);
}

// Waits for a signal: what a host signal kvrm forwards (Process::post_signal) can end, else
// the timeout or cancel(). Only a signal the guest takes ends rt_sigsuspend, with EINTR after
// its handler.
i64 sys_rt_sigsuspend(Process& p, const u64* a) {
  SignalState& st = p.signals;
  if (a[1] != 8) return err(EINVAL);
  u64 mask;
  if (!p.read(a[0], &mask, 8)) return err(EFAULT);
  st.saved_mask = st.blocked;
  st.have_saved_mask = true;
  st.blocked = mask & ~kUnblockable;
  if (!signal_interrupts(st, st.blocked) && p.wait_signal() == Process::Wait::Park) {
    // Other threads run meanwhile; the call runs again (from the old mask) once a signal that
    // the new mask lets through is pending.
    st.blocked = st.saved_mask;
    st.have_saved_mask = false;
    return kParked;
  }
  return err(EINTR);  // after the handler (deliver_signals), the old mask comes back
}

i64 sys_rt_sigtimedwait(Process& p, const u64* a) {
  SignalState& st = p.signals;
  if (a[3] != 8) return err(EINVAL);
  u64 set;
  if (!p.read(a[0], &set, 8)) return err(EFAULT);
  set &= ~kUnblockable;
  i64 ts[2] = {0, 0};
  if (a[2]) {
    if (!p.read(a[2], ts, sizeof ts)) return err(EFAULT);
    if (ts[0] < 0 || ts[1] < 0 || ts[1] >= 1000000000) return err(EINVAL);
  }
  auto take = [&](int k) {
    const SignalState::Pending e = st.pending[static_cast<size_t>(k)];
    if (a[1] && !p.write(a[1], &e.info, sizeof e.info)) return err(EFAULT);
    st.pending.erase(st.pending.begin() + k);
    return static_cast<i64>(e.sig);
  };
  if (const int k = pick(st, ~set); k >= 0) return take(k);
  if (a[2] && ts[0] == 0 && ts[1] == 0) return err(EAGAIN);
  // As Linux does, the signals waited for are unblocked during the wait, so that one that
  // arrives counts as one that would act.
  const u64 old = st.blocked;
  st.blocked &= ~set;
  Process::Wait w;
  if (a[2]) {
    struct timespec until;
    ::clock_gettime(CLOCK_MONOTONIC, &until);
    const i64 ns = until.tv_nsec + ts[1];
    until.tv_sec += static_cast<time_t>(std::min<i64>(ts[0], i64{1} << 40) + ns / 1000000000);
    until.tv_nsec = static_cast<long>(ns % 1000000000);
    w = p.sleep_until(CLOCK_MONOTONIC, until);
  } else {
    w = p.wait_signal();
  }
  st.blocked = old;
  if (w == Process::Wait::Park) return kParked;
  if (const int k = pick(st, ~set); k >= 0) return take(k);
  return err(w == Process::Wait::Ready ? EAGAIN : EINTR);
}

i64 self_pid() { return ::getpid(); }

i64 sys_kill(Process& p, const u64* a) {
  const i64 pid = static_cast<i32>(a[0]);
  // pid 0 (the process group) reaches only the guest itself; -1 (every other process) and
  // other processes are out of the sandbox's reach.
  if (pid != 0 && pid != self_pid()) return err(ESRCH);
  if (a[1] > static_cast<u64>(kMax)) return err(EINVAL);
  const int s = static_cast<int>(a[1]);
  if (s) send_signal(p, s, SigInfo::kill(s, kSiUser));
  return 0;
}

// A signal for one thread of the guest (its pending set); a thread that waits is woken by the
// scheduler when the signal acts for it.
i64 sys_tkill(Process& p, const u64* a) {
  const i64 tid = static_cast<i32>(a[0]);
  if (tid <= 0) return err(EINVAL);
  if (!p.has_thread(static_cast<int>(tid))) return err(ESRCH);
  if (a[1] > static_cast<u64>(kMax)) return err(EINVAL);
  const int s = static_cast<int>(a[1]);
  if (s) send_signal(p, s, SigInfo::kill(s, kSiTkill), "", static_cast<int>(tid));
  return 0;
}

i64 sys_tgkill(Process& p, const u64* a) {
  const i64 tgid = static_cast<i32>(a[0]), tid = static_cast<i32>(a[1]);
  if (tgid <= 0 || tid <= 0) return err(EINVAL);
  if (tgid != self_pid() || !p.has_thread(static_cast<int>(tid))) return err(ESRCH);
  const u64 tk[2] = {a[1], a[2]};
  return sys_tkill(p, tk);
}

// rt_sigqueueinfo (tid 0) and rt_tgsigqueueinfo (a thread of the guest).
i64 queue_info(Process& p, i64 pid, u64 s, u64 uinfo, int tid = 0) {
  SigInfo info;
  if (!p.read(uinfo, &info, sizeof info)) return err(EFAULT);
  if (pid != self_pid()) return err((info.code >= 0 || info.code == kSiTkill) ? EPERM : ESRCH);
  if (s > static_cast<u64>(kMax)) return err(EINVAL);
  if (!s) return 0;
  if (s >= 32 && p.signals.pending.size() >= kMaxQueued) return err(EAGAIN);
  info.signo = static_cast<i32>(s);
  send_signal(p, static_cast<int>(s), info, "", tid);
  return 0;
}

i64 sys_rt_sigqueueinfo(Process& p, const u64* a) {
  return queue_info(p, static_cast<i32>(a[0]), a[1], a[2]);
}

i64 sys_rt_tgsigqueueinfo(Process& p, const u64* a) {
  const i64 tgid = static_cast<i32>(a[0]), tid = static_cast<i32>(a[1]);
  if (tgid <= 0 || tid <= 0) return err(EINVAL);
  if (!p.has_thread(static_cast<int>(tid))) return err(ESRCH);
  return queue_info(p, tgid, a[2], a[3], static_cast<int>(tid));
}

i64 sys_sigaltstack(Process& p, const u64* a) {
  u64 ss[3], oss[3];
  if (a[0] && !p.read(a[0], ss, sizeof ss)) return err(EFAULT);
  const i64 r =
      do_sigaltstack(p.signals, a[0] ? ss : nullptr, a[1] ? oss : nullptr, p.engine().reg(kSP));
  if (r == 0 && a[1] && !p.write(a[1], oss, sizeof oss)) return err(EFAULT);
  return r;
}

i64 sys_rt_sigreturn(Process& p, const u64*) {
  SignalState& st = p.signals;
  Engine& e = p.engine();
  CoreState c = e.state();
  const u64 frame = c.x[kSP];
  std::vector<u8> f(kFrameSize);
  auto badframe = [&] {
    const bool mapped = p.vmas().perms_at(frame) != 0;
    char detail[96];
    std::snprintf(detail, sizeof detail, " - bad signal frame at sp 0x%llx (rt_sigreturn)",
                  static_cast<unsigned long long>(frame));
    force_signal(p, kSegv, SigInfo::fault(kSegv, mapped ? kSegvAccerr : kSegvMaperr, frame),
                 detail);
    return 0;
  };
  if ((frame & 15) || !p.read(frame, f.data(), kFrameSize)) return badframe();
  st.blocked = get64(f, kUcSigmask) & ~kUnblockable;
  CoreState n = c;
  for (int k = 0; k < 31; ++k) n.x[k] = get64(f, kMcRegs + 8 * k);
  n.x[kSP] = get64(f, kMcSp);
  n.pc = get64(f, kMcPc);
  const u64 pstate = get64(f, kMcPstate);
  if ((pstate & 0x1f) || (pstate & 0x3c0)) return badframe();  // not EL0t, or DAIF set
  n.nzcv = static_cast<u32>(pstate & 0xf0000000u);
  bool have_fpsimd = false;
  for (size_t off = 0;;) {
    if (kReservedSize - off < 8 || (off & 15)) return badframe();
    const u32 magic = get32(f, kReserved + off), size = get32(f, kReserved + off + 4);
    if (kReservedSize - off < size) return badframe();
    if (magic == 0) {
      if (size) return badframe();
      break;
    }
    if (magic == kFpsimdMagic) {
      if (have_fpsimd || size != kFpsimdSize) return badframe();
      have_fpsimd = true;
      n.fpsr = get32(f, kReserved + off + 8);
      n.fpcr = get32(f, kReserved + off + 12);
      for (int k = 0; k < 32; ++k) {
        n.v[k].lo = get64(f, kReserved + off + 16 + 16 * k);
        n.v[k].hi = get64(f, kReserved + off + 24 + 16 * k);
      }
    } else if (magic != kEsrMagic) {
      return badframe();  // no SVE, SME, ... records: kvrm never writes them
    }
    if (size < 8) return badframe();
    off += size;
  }
  if (!have_fpsimd) return badframe();
  n.excl_valid = 0;
  e.set_state(n);
  const u64 ss[3] = {get64(f, kUcStack), get32(f, kUcStack + 8), get64(f, kUcStack + 16)};
  do_sigaltstack(st, ss, nullptr, n.x[kSP]);  // errors other than EFAULT are ignored, as there
  return static_cast<i64>(n.x[0]);            // X0 as it was when the signal came
}

}  // namespace

void add_signal_syscalls(SyscallDef* d) {
  d[129] = {"kill", "dd", sys_kill};
  d[130] = {"tkill", "dd", sys_tkill};
  d[131] = {"tgkill", "ddd", sys_tgkill};
  d[132] = {"sigaltstack", "xx", sys_sigaltstack};
  d[133] = {"rt_sigsuspend", "xu", sys_rt_sigsuspend};
  d[134] = {"rt_sigaction", "dxxu", sys_rt_sigaction};
  d[135] = {"rt_sigprocmask", "dxxu", sys_rt_sigprocmask};
  d[136] = {"rt_sigpending", "xu", sys_rt_sigpending};
  d[137] = {"rt_sigtimedwait", "xxxu", sys_rt_sigtimedwait};
  d[138] = {"rt_sigqueueinfo", "ddx", sys_rt_sigqueueinfo};
  d[139] = {"rt_sigreturn", "", sys_rt_sigreturn};
  d[240] = {"rt_tgsigqueueinfo", "dddx", sys_rt_tgsigqueueinfo};
}

}  // namespace detail
}  // namespace kvrm::os

// Guest threads: the thread table of a Process, its scheduler, and the thread syscalls (clone,
// clone3, exit, exit_group, set_tid_address, set_robust_list, get_robust_list, gettid, futex).
//
// Threads are interleaved on the one engine by the run loop (Process::run): the running
// thread's registers are the engine's; at the end of a slice, or when it waits or exits,
// schedule() saves them, wakes the threads whose wait is over and loads the next runnable one
// (round-robin). Nothing runs in parallel, so exclusives and atomics need no host atomics:
// each switch clears the loaded thread's exclusive monitor, as a context switch does on Linux.
#include <poll.h>
#include <time.h>
#include <unistd.h>

#include <algorithm>
#include <cstring>

#include "os/process.hpp"
#include "os/syscalls.hpp"
#include "os/syscalls_internal.hpp"

namespace kvrm::os {

namespace {

using detail::err;
using detail::ns_of;
using detail::timespec_of;

}  // namespace

// ---- The thread table ---------------------------------------------------------------------------

const Thread* Process::find_thread(int tid) const {
  for (const auto& t : threads_)
    if (t->tid == tid && t->state != Thread::State::Exited) return t.get();
  return nullptr;
}

u64 Process::thread_mask(int tid) const {
  const Thread* t = find_thread(tid);
  if (!t || t == threads_[cur_].get()) return signals.blocked;
  return t->sig.blocked;
}

int Process::add_thread(const CoreState& regs, u64 clear_child_tid) {
  auto t = std::make_unique<Thread>();
  t->tid = next_tid_++;
  t->regs = regs;
  t->regs.excl_valid = 0;
  // The mask is inherited; the alternate stack is not (CLONE_VM), nor what is pending.
  t->sig = save_thread_signals(signals);
  t->sig.tid = t->tid;
  t->sig.have_saved_mask = false;
  t->sig.ss_sp = t->sig.ss_size = 0;
  t->sig.ss_flags = sig::kSsDisable;
  t->sig.fault_address = t->sig.fault_code = 0;
  t->clear_child_tid = clear_child_tid;
  const int tid = t->tid;
  threads_.insert(threads_.begin() + static_cast<std::ptrdiff_t>(cur_) + 1, std::move(t));
  ++live_;
  return tid;
}

namespace {

constexpr u32 kFutexWaiters = 0x80000000, kFutexOwnerDied = 0x40000000, kFutexTidMask = 0x3fffffff;

// A robust futex of a thread that exits: when the thread owns it, it is marked
// FUTEX_OWNER_DIED and one waiter is woken (kernel/futex/core.c handle_futex_death).
void futex_death(Process& p, u64 addr, int tid) {
  u32 v;
  if ((addr & 3) || !p.read(addr, &v, 4)) return;
  if ((v & kFutexTidMask) != static_cast<u32>(tid)) return;
  const u32 nv = (v & kFutexWaiters) | kFutexOwnerDied;
  if (!p.write(addr, &nv, 4)) return;
  if (v & kFutexWaiters) p.futex_wake(addr, ~0u, 1);
}

// Walks the robust list of a thread that exits (kernel/futex/core.c exit_robust_list): struct
// robust_list_head { next; futex_offset; list_op_pending }, entries' bit 0 flags a PI futex.
void release_robust_list(Process& p, u64 head, int tid) {
  if (!head) return;
  u64 h[3];
  if (!p.read(head, h, sizeof h)) return;
  const i64 offset = static_cast<i64>(h[1]);
  const u64 pending = h[2] & ~u64{1};
  u64 entry = h[0] & ~u64{1};
  for (int limit = 2048; entry != head && limit > 0; --limit) {  // ROBUST_LIST_LIMIT
    u64 next;
    if (!p.read(entry, &next, 8)) return;
    if (entry != pending) futex_death(p, entry + static_cast<u64>(offset), tid);
    entry = next & ~u64{1};
  }
  if (pending) futex_death(p, pending + static_cast<u64>(offset), tid);
}

}  // namespace

void Process::exit_thread(int status) {
  Thread& t = current();
  if (t.state == Thread::State::Exited) return;  // a caller that services syscalls itself
  if (live_ == 1) {
    exit(status);
    return;
  }
  release_robust_list(*this, t.robust_list, t.tid);
  if (t.clear_child_tid) {
    const u32 zero = 0;
    if (write(t.clear_child_tid, &zero, 4)) futex_wake(t.clear_child_tid, ~0u, 1);
  }
  // Signals for this thread only go with it.
  std::erase_if(signals.pending, [&](const auto& e) { return e.tid == t.tid; });
  t.state = Thread::State::Exited;
  --live_;
  switch_ = true;
}

// ---- Futexes ------------------------------------------------------------------------------------

void Process::futex_block(u64 addr, u32 bitset, clockid_t clock, const struct timespec* until,
                          std::string strace_line) {
  Thread& t = current();
  t.state = Thread::State::Futex;
  t.futex_addr = addr;
  t.futex_x0 = addr;
  t.futex_bitset = bitset;
  t.wait_seq = ++wait_seq_;
  t.fd = -1;
  t.has_until = until != nullptr;
  t.clock = clock;
  if (until) t.until = *until;
  t.wait_mask = signals.blocked;
  t.strace_line = std::move(strace_line);
  switch_ = true;
}

namespace {

// The threads waiting on addr (and meeting bitset), first come first.
std::vector<Thread*> futex_waiters(std::vector<std::unique_ptr<Thread>>& threads, u64 addr,
                                   u32 bitset) {
  std::vector<Thread*> w;
  for (auto& t : threads)
    if (t->state == Thread::State::Futex && t->futex_addr == addr && (t->futex_bitset & bitset))
      w.push_back(t.get());
  std::sort(w.begin(), w.end(), [](Thread* a, Thread* b) { return a->wait_seq < b->wait_seq; });
  return w;
}

}  // namespace

int Process::futex_wake(u64 addr, u32 bitset, u64 n) {
  int woken = 0;
  for (Thread* t : futex_waiters(threads_, addr, bitset)) {
    if (static_cast<u64>(woken) >= n) break;
    finish_wait(*t, 0);
    ++woken;
  }
  return woken;
}

int Process::futex_requeue(u64 addr, u64 addr2, u64 n) {
  int moved = 0;
  for (Thread* t : futex_waiters(threads_, addr, ~0u)) {
    if (static_cast<u64>(moved) >= n) break;
    t->futex_addr = addr2;
    ++moved;
  }
  return moved;
}

void Process::finish_wait(Thread& t, i64 result) {
  t.regs.x[0] = static_cast<u64>(result);
  t.state = Thread::State::Runnable;
  t.restart = result == kRestartSys;
  if (!t.strace_line.empty()) {
    if (t.restart)
      message("%s = ? (interrupted by a signal)\n", t.strace_line.c_str());
    else if (result < 0)
      message("%s = -1 errno=%lld (%s)\n", t.strace_line.c_str(), static_cast<long long>(-result),
              strerror(static_cast<int>(-result)));
    else
      message("%s = %lld\n", t.strace_line.c_str(), static_cast<long long>(result));
    t.strace_line.clear();
  }
}

// ---- Scheduling ---------------------------------------------------------------------------------

void Process::wake_threads() {
  take_posted_signals();
  // Signals for the process that no runnable thread would take wake one waiting thread that
  // does not block them.
  u64 unclaimed = shared_pending(signals);
  for (const auto& t : threads_)
    if (t->state == Thread::State::Runnable) unclaimed &= t->sig.blocked;
  for (auto& tp : threads_) {
    Thread& t = *tp;
    if (t.state != Thread::State::Futex && t.state != Thread::State::Parked) continue;
    const bool futex = t.state == Thread::State::Futex;
    bool done = false;
    i64 result = 0;
    if (signal_interrupts_thread(signals, t.wait_mask, t.tid, false) ||
        (unclaimed & ~t.wait_mask)) {
      unclaimed &= t.wait_mask;
      done = true;
      // As Linux: a wait without a timeout is restarted after an SA_RESTART handler
      // (ERESTARTSYS), one with a timeout fails with EINTR (ERESTART_RESTARTBLOCK).
      result = futex && !t.has_until ? kRestartSys : err(EINTR);
    } else if (t.has_until) {
      struct timespec now;
      ::clock_gettime(t.clock, &now);
      if (ns_of(now) >= ns_of(t.until)) {
        done = true;
        result = err(ETIMEDOUT);
      }
    }
    if (!done && !futex && t.fd >= 0) {
      struct pollfd pfd = {t.fd, t.events, 0};
      const int n = ::poll(&pfd, 1, 0);
      done = n > 0 || (n < 0 && errno != EINTR);  // an error counts as ready: the call says
    }
    if (!done) continue;
    if (futex) {
      finish_wait(t, result);
    } else {
      t.state = Thread::State::Runnable;
      t.rerun = true;  // its SVC runs again and finds what ended the wait
    }
  }
}

bool Process::sleep_for_threads() {
  if (must_end()) {
    end_by_limit();
    return false;
  }
  i64 step = detail::kWaitStepNs;
  const i64 to_deadline =
      std::chrono::duration_cast<std::chrono::nanoseconds>(deadline_ - Clock::now()).count();
  step = std::clamp<i64>(to_deadline, 1, step);
  std::vector<struct pollfd> fds;
  bool can_wake = false;  // something other than a futex wake could end a wait
  for (const auto& t : threads_) {
    if (t->state == Thread::State::Parked) can_wake = true;  // a descriptor, a time, a signal
    if (t->state != Thread::State::Futex && t->state != Thread::State::Parked) continue;
    if (t->state == Thread::State::Parked && t->fd >= 0) fds.push_back({t->fd, t->events, 0});
    if (t->has_until) {
      can_wake = true;
      struct timespec now;
      ::clock_gettime(t->clock, &now);
      step = std::clamp<i64>(ns_of(t->until) - ns_of(now), 0, step);
    }
  }
  if (!can_wake) {
    message("kvrm: deadlock: all threads wait on futexes\n");
    exit(1);
    return false;
  }
  const struct timespec ts = timespec_of(step);
  ::ppoll(fds.data(), fds.size(), &ts, nullptr);  // EINTR: checked by the caller's next round
  return true;
}

void Process::schedule() {
  switch_ = false;
  Thread* cur = threads_[cur_].get();
  if (cur->state != Thread::State::Exited) {
    cur->regs = e_.state();
    cur->sig = save_thread_signals(signals);
  }
  Thread* next = nullptr;
  while (!next) {
    wake_threads();
    const size_t n = threads_.size();
    for (size_t k = 1; k <= n && !next; ++k) {
      Thread* t = threads_[(cur_ + k) % n].get();
      if (t->state == Thread::State::Runnable) next = t;
    }
    if (!next && !sleep_for_threads()) return;  // the process ends
  }
  std::erase_if(threads_, [](const auto& t) { return t->state == Thread::State::Exited; });
  cur_ = static_cast<size_t>(std::find_if(threads_.begin(), threads_.end(),
                                          [&](const auto& t) { return t.get() == next; }) -
                             threads_.begin());
  CoreState s = next->regs;
  s.excl_valid = 0;  // a context switch clears the exclusive monitor
  load_thread_signals(signals, next->sig);
  if (next->restart) {  // its futex wait was interrupted: do_syscall's rule for kRestartSys
    next->restart = false;
    if (next_signal_restarts(signals)) {
      s.pc -= 4;
      s.x[0] = next->futex_x0;
    } else {
      s.x[0] = static_cast<u64>(err(EINTR));
    }
  }
  e_.set_state(s);
  if (next->rerun) {
    next->rerun = false;  // its SVC takes the signals, as it would have had it waited
  } else {
    take_posted_signals();
    deliver_signals();
  }
}

// ---- Syscalls -----------------------------------------------------------------------------------

namespace detail {
namespace {

constexpr u64 kCloneVm = 0x100, kCloneFs = 0x200, kCloneFiles = 0x400, kCloneSighand = 0x800,
              kClonePidfd = 0x1000, kCloneVfork = 0x4000, kCloneThread = 0x10000,
              kCloneSysvsem = 0x40000, kCloneSettls = 0x80000, kCloneParentSettid = 0x100000,
              kCloneChildCleartid = 0x200000, kCloneDetached = 0x400000,
              kCloneChildSettid = 0x1000000;
// What a thread of glibc's pthread_create asks for, and the flags that may come with it.
constexpr u64 kThreadFlags = kCloneVm | kCloneFs | kCloneFiles | kCloneSighand | kCloneThread;
constexpr u64 kThreadOptional = kCloneSysvsem | kCloneSettls | kCloneParentSettid |
                                kCloneChildCleartid | kCloneDetached | kCloneChildSettid;

// A new thread: a copy of the caller's registers (after the SVC) with X0 0 and its own stack
// and TLS. Processes (fork, vfork, a clone without CLONE_THREAD) are out of kvrm's reach: ENOSYS.
constexpr int kMaxThreads = 4096;  // live threads of one process

i64 new_thread(Process& p, u64 flags, u64 stack, u64 ptid, u64 tls, u64 ctid) {
  if ((flags & kThreadFlags) != kThreadFlags) return err(ENOSYS);
  if (flags & ~(kThreadFlags | kThreadOptional | 0xff)) return err(ENOSYS);
  if (flags & 0xff) return err(EINVAL);  // an exit signal means a child process
  if (!p.options().threads) {
    p.message("kvrm: clone: guest threads are not supported by this engine (the batch engine)\n");
    return err(ENOSYS);
  }
  // Each thread holds host memory: a guest that makes them without end gets EAGAIN, as at
  // Linux's RLIMIT_NPROC.
  if (p.live_threads() >= kMaxThreads) return err(EAGAIN);
  CoreState s = p.engine().state();
  s.x[0] = 0;
  if (stack) s.x[kSP] = stack;
  if (flags & kCloneSettls) s.tpidr_el0 = tls;
  const int tid = p.add_thread(s, (flags & kCloneChildCleartid) ? ctid : 0);
  const u32 t = static_cast<u32>(tid);
  // Linux writes these before the child runs; a bad pointer is EFAULT there too, but the
  // thread exists then: kvrm gives the tid and leaves the word unwritten.
  if (flags & kCloneParentSettid) p.write(ptid, &t, 4);
  if (flags & kCloneChildSettid) p.write(ctid, &t, 4);
  return tid;
}

// aarch64's clone: (flags, newsp, parent_tid, tls, child_tid).
i64 sys_clone(Process& p, const u64* a) { return new_thread(p, a[0], a[1], a[2], a[3], a[4]); }

// clone3(struct clone_args*, size): flags, pidfd, child_tid, parent_tid, exit_signal, stack,
// stack_size, tls, set_tid, set_tid_size, cgroup.
i64 sys_clone3(Process& p, const u64* a) {
  constexpr u64 kVer0 = 64;
  if (a[1] < kVer0 || a[1] > 4096) return err(EINVAL);
  u64 c[11] = {};
  if (!p.read(a[0], c, std::min<u64>(a[1], sizeof c))) return err(EFAULT);
  if (a[1] > sizeof c) {  // larger structures: the fields kvrm does not know must be 0
    std::vector<u8> rest(a[1] - sizeof c);
    if (!p.read(a[0] + sizeof c, rest.data(), rest.size())) return err(EFAULT);
    if (std::any_of(rest.begin(), rest.end(), [](u8 b) { return b != 0; })) return err(E2BIG);
  }
  const u64 flags = c[0], exit_signal = c[4], stack = c[5], stack_size = c[6];
  if (c[9] != 0 || (a[1] > 80 && c[10] != 0)) return err(ENOSYS);  // set_tid, cgroup
  if ((flags & (0xff | kCloneDetached)) || exit_signal > 0xff) return err(EINVAL);
  if (exit_signal != 0 && (flags & kCloneThread)) return err(EINVAL);
  if ((stack == 0) != (stack_size == 0)) return err(EINVAL);
  return new_thread(p, flags | (exit_signal & 0xff), stack ? stack + stack_size : 0, c[3], c[7],
                    c[2]);
}

i64 sys_exit(Process& p, const u64* a) {
  p.exit_thread(static_cast<int>(a[0] & 0xff));
  return 0;
}

i64 sys_exit_group(Process& p, const u64* a) {
  p.exit(static_cast<int>(a[0] & 0xff));
  return 0;
}

i64 sys_set_tid_address(Process& p, const u64* a) {
  p.current().clear_child_tid = a[0];
  return p.current().tid;
}

i64 sys_gettid(Process& p, const u64*) { return p.current().tid; }

i64 sys_set_robust_list(Process& p, const u64* a) {
  if (a[1] != 24) return err(EINVAL);  // sizeof(struct robust_list_head)
  p.current().robust_list = a[0];
  return 0;
}

i64 sys_get_robust_list(Process& p, const u64* a) {
  const int tid = static_cast<i32>(a[0]);
  const Thread* t = tid == 0 ? &p.current() : p.find_thread(tid);
  if (!t) return err(ESRCH);
  const u64 len = 24;
  if (!p.write(a[1], &t->robust_list, 8) || !p.write(a[2], &len, 8)) return err(EFAULT);
  return 0;
}

// FUTEX_WAKE_OP's operation on *uaddr2 and its comparison of the old value
// (kernel/futex/waitwake.c futex_atomic_op_inuser).
bool wake_op(u32 encoded, u32& word) {
  const u32 op = (encoded >> 28) & 7, cmp = (encoded >> 24) & 15;
  i32 oparg = static_cast<i32>(encoded << 8) >> 20;
  const i32 cmparg = static_cast<i32>(encoded << 20) >> 20;
  if (encoded & (u32{8} << 28)) oparg = i32{1} << (oparg & 31);  // FUTEX_OP_OPARG_SHIFT
  const u32 old = word, arg = static_cast<u32>(oparg);
  switch (op) {
    case 0: word = arg; break;         // FUTEX_OP_SET
    case 1: word = old + arg; break;   // FUTEX_OP_ADD
    case 2: word = old | arg; break;   // FUTEX_OP_OR
    case 3: word = old & ~arg; break;  // FUTEX_OP_ANDN
    case 4: word = old ^ arg; break;   // FUTEX_OP_XOR
  }
  const i32 o = static_cast<i32>(old);
  switch (cmp) {
    case 0: return o == cmparg;
    case 1: return o != cmparg;
    case 2: return o < cmparg;
    case 3: return o <= cmparg;
    case 4: return o > cmparg;
    default: return o >= cmparg;  // 5; others are refused before
  }
}

// futex(uaddr, op, val, timeout or val2, uaddr2, val3). The word is checked and the thread
// queued in one step (no other thread runs meanwhile); the waiter's X0 is set when it wakes.
i64 sys_futex(Process& p, const u64* a) {
  constexpr u64 kPrivate = 128, kClockRealtime = 256;
  constexpr u64 kWait = 0, kWake = 1, kRequeue = 3, kCmpRequeue = 4, kWakeOp = 5, kWaitBitset = 9,
                kWakeBitset = 10;
  const u64 cmd = a[1] & ~(kPrivate | kClockRealtime);
  const u64 uaddr = a[0];
  const u32 val = static_cast<u32>(a[2]), val3 = static_cast<u32>(a[5]);
  const u64 val2 = static_cast<u32>(a[3]);
  if ((a[1] & kClockRealtime) && cmd != kWait && cmd != kWaitBitset) return err(ENOSYS);
  if (uaddr & 3) return err(EINVAL);
  switch (cmd) {
    case kWait:
    case kWaitBitset: {
      const u32 bitset = cmd == kWait ? ~0u : val3;
      if (bitset == 0) return err(EINVAL);
      const clockid_t clock = (a[1] & kClockRealtime) ? CLOCK_REALTIME : CLOCK_MONOTONIC;
      struct timespec until;
      if (a[3]) {
        i64 ts[2];
        if (!p.read(a[3], ts, sizeof ts)) return err(EFAULT);
        if (ts[0] < 0 || ts[1] < 0 || ts[1] >= 1000000000) return err(EINVAL);
        if (cmd == kWait) {  // relative
          struct timespec now;
          ::clock_gettime(clock, &now);
          const i64 ns = now.tv_nsec + ts[1];
          until.tv_sec = now.tv_sec +
                         static_cast<time_t>(std::min<i64>(ts[0], i64{1} << 40) + ns / 1000000000);
          until.tv_nsec = static_cast<long>(ns % 1000000000);
        } else {  // absolute
          until.tv_sec = static_cast<time_t>(std::min<i64>(ts[0], i64{1} << 40));
          until.tv_nsec = static_cast<long>(ts[1]);
        }
      }
      u32 v;
      if (!p.read(uaddr, &v, 4)) return err(EFAULT);
      if (v != val) return err(EAGAIN);
      p.futex_block(uaddr, bitset, clock, a[3] ? &until : nullptr, "");
      return kFutexWait;
    }
    case kWake:
    case kWakeBitset: {
      const u32 bitset = cmd == kWake ? ~0u : val3;
      if (bitset == 0) return err(EINVAL);
      return p.futex_wake(uaddr, bitset, val);
    }
    case kRequeue:
    case kCmpRequeue: {
      const u64 uaddr2 = a[4];
      if (uaddr2 & 3) return err(EINVAL);
      if (static_cast<i32>(val) < 0 || static_cast<i32>(val2) < 0) return err(EINVAL);
      if (cmd == kCmpRequeue) {
        u32 v;
        if (!p.read(uaddr, &v, 4)) return err(EFAULT);
        if (v != val3) return err(EAGAIN);
      }
      const int woken = p.futex_wake(uaddr, ~0u, val);
      return woken + (uaddr2 == uaddr ? 0 : p.futex_requeue(uaddr, uaddr2, val2));
    }
    case kWakeOp: {
      const u64 uaddr2 = a[4];
      if (uaddr2 & 3) return err(EINVAL);
      if (((val3 >> 24) & 15) > 5 || ((val3 >> 28) & 7) > 4) return err(ENOSYS);
      u32 word;
      if (!p.read(uaddr2, &word, 4)) return err(EFAULT);
      const bool also = wake_op(val3, word);
      if (!p.write(uaddr2, &word, 4)) return err(EFAULT);
      const int woken = p.futex_wake(uaddr, ~0u, val);
      return woken + (also ? p.futex_wake(uaddr2, ~0u, val2) : 0);
    }
    default: return err(ENOSYS);  // FUTEX_FD, the PI and LOCK operations
  }
}

}  // namespace

void add_thread_syscalls(SyscallDef* d) {
  d[93] = {"exit", "d", sys_exit};
  d[94] = {"exit_group", "d", sys_exit_group};
  d[96] = {"set_tid_address", "x", sys_set_tid_address};
  d[98] = {"futex", "xdux", sys_futex};
  d[99] = {"set_robust_list", "xu", sys_set_robust_list};
  d[100] = {"get_robust_list", "dxx", sys_get_robust_list};
  d[178] = {"gettid", "", sys_gettid};
  d[220] = {"clone", "xxxxx", sys_clone};
  d[435] = {"clone3", "xu", sys_clone3};
}

}  // namespace detail

}  // namespace kvrm::os

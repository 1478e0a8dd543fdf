// A Linux guest process on an Engine: the program loaded from its ELF file, the initial stack
// Linux builds (argc, argv, envp, auxv), the memory map (VMAs) the syscalls manage, and the run
// loop that executes until a stop, services SVC through the syscall table (os/syscalls.hpp) and
// ends the process as Linux would on exit or on a fatal signal.
//
// A Process changes no host-global state (umask, cwd, signal dispositions): several of them,
// each on its own engine, may run at once on different host threads.
#pragma once

#include <time.h>

#include <atomic>
#include <chrono>
#include <map>
#include <memory>
#include <string>
#include <vector>

#include "engines/engine.hpp"
#include "os/elf.hpp"
#include "os/sandbox.hpp"
#include "os/signals.hpp"

namespace kvrm::os {

struct ProcessOptions {
  std::string path;               // host path of the program
  std::vector<std::string> argv;  // argv[0] included
  std::vector<std::string> envp;  // "VAR=VALUE"
  u64 max_instructions = 0;       // 0: unlimited
  double timeout_seconds = 0;     // 0: none; measured from the first call of run(), and it ends
                                  // blocking syscalls too (see Process::wait_fd)
  bool strace = false;            // one line per syscall on stderr
  SandboxOptions sandbox;         // --root, --rw
  // How SVCs reach the host: through the engine's persistent mode (the CUDA engine's kernel
  // stays resident and posts them to a mailbox), or by ending each run at the SVC and starting
  // a new one after it (the CUDA engine relaunches its kernel). Same results either way.
  bool relaunch_per_syscall = false;
  // In-memory standard streams for callers that embed kvrm (each independently; the caller
  // keeps the strings alive until the Process is gone and does not touch them during run()).
  const std::string* stdin_data = nullptr;  // when set: guest fd 0 reads these bytes, then EOF
  std::string* stdout_buffer = nullptr;     // when set: guest fd 1 output is appended here, not
                                            // written to host fd 1
  std::string* stderr_buffer = nullptr;     // when set: same for fd 2, and kvrm's own messages
                                            // about the guest (fatal signal, instruction limit,
                                            // timeout, --strace lines) go here too
  // Guest threads (clone with CLONE_THREAD): false where the caller cannot switch the engine
  // between threads (the batch engine), and clone then fails with ENOSYS and a message.
  bool threads = true;
};

// Exit statuses of runs that did not end by themselves.
constexpr int kExitTimeout = 124;

// The guest's memory map, page-granular: [start, end) ranges with their permissions and a few
// flags about what backs them.
class MemoryMap {
 public:
  static constexpr u8 kFile = 1;     // a file mapping (mremap cannot grow it)
  static constexpr u8 kNoWrite = 2;  // MAP_SHARED of a file: never writable (mprotect EACCES)
  void set(u64 start, u64 end, u8 perms, u8 flags = 0);  // replaces whatever was there
  void protect(u64 start, u64 end, u8 perms);  // new permissions, flags kept (must be mapped)
  void clear(u64 start, u64 end);
  // True when every byte of [start, end) is mapped with at least `need` permissions.
  bool covered(u64 start, u64 end, u8 need) const;
  bool any(u64 start, u64 end) const;     // true when some page of [start, end) is mapped
  u8 perms_at(u64 addr) const;            // 0 when unmapped
  u8 flags_in(u64 start, u64 end) const;  // the flags of every range overlapping, or'ed
  // The highest page-aligned address a with [a, a+len) free and a+len <= top, a >= bottom; 0
  // when there is none.
  u64 find_free(u64 len, u64 top, u64 bottom) const;
  // Every mapped range, in address order (for /proc/self/maps).
  struct Range {
    u64 start, end;
    u8 perms, flags;
  };
  std::vector<Range> ranges() const;

 private:
  struct Vma {
    u64 end;
    u8 perms;
    u8 flags;
  };
  std::map<u64, Vma> m_;
};

struct RunStats {
  u64 instructions = 0;
  u64 syscalls = 0;
  double seconds = 0;
};

// One guest thread. The running thread's registers and signal mask live in the engine and in
// Process::signals; the others' are kept here while they do not run.
struct Thread {
  enum class State : u8 {
    Runnable,
    Futex,   // in FUTEX_WAIT: woken by FUTEX_WAKE (X0 0), a timeout or a signal (X0 -errno)
    Parked,  // in a blocking syscall that runs again (its SVC) once its wait is over
    Exited,
  };
  int tid = 0;
  State state = State::Runnable;
  CoreState regs{};         // while not running
  ThreadSignals sig;        // while not running
  u64 clear_child_tid = 0;  // set_tid_address, CLONE_CHILD_CLEARTID
  u64 robust_list = 0;      // set_robust_list's head
  // What a waiting thread waits for (Futex, Parked).
  u64 futex_addr = 0;
  u32 futex_bitset = 0;
  u64 wait_seq = 0;      // FIFO order of futex waiters
  u64 futex_x0 = 0;      // X0 of the FUTEX_WAIT call (its address before any requeue)
  bool restart = false;  // a futex wait a signal ended: restarted or EINTR after the handler
  int fd = -1;           // Parked: a host descriptor and its poll events (-1: none)
  short events = 0;
  bool has_until = false;  // a deadline on `clock`
  clockid_t clock = CLOCK_MONOTONIC;
  struct timespec until {};
  u64 wait_mask = 0;          // the signal mask that decides which signals end the wait
  bool resume_until = false;  // a parked sleep runs again: its deadline is `until`
  bool rerun = false;         // woken from Parked: the SVC runs again (no signal delivery first)
  u64 io_done = 0;            // a parked write runs again: the bytes it had written
  std::string strace_line;    // --strace: the futex call shown when it returns
};

class Process {
 public:
  // Loads the program into the engine (which must be empty) and builds the initial stack.
  // Throws ExecError when the program cannot be started.
  Process(Engine& e, ProcessOptions o);

  // Runs to the end; returns the exit status (the guest's, 128+signal after a fatal signal,
  // kExitTimeout when the instruction budget or the timeout ran out, or after cancel()).
  int run();
  const RunStats& stats() const { return stats_; }

  // Limits from outside. Both may be called from any thread while run() runs (and before):
  // they only set an atomic that the run loop and every blocking wait check at least every
  // 50 ms.
  //
  // cancel(): the process ends as by a timeout (status kExitTimeout, a "kvrm: timeout" line)
  // within 100 ms, whatever it is doing: running guest code, or blocked in a syscall.
  void cancel() { cancelled_.store(true, std::memory_order_relaxed); }
  bool cancelled() const { return cancelled_.load(std::memory_order_relaxed); }
  // post_signal(): a signal for the guest from outside (a host signal kvrm received, another
  // thread): sent to the guest as Linux would (its handler runs, its default action applies, or
  // it is ignored) at the next check, interrupting a blocking syscall. Async-signal-safe.
  void post_signal(int sig) {
    if (sig >= 1 && sig <= 64)
      posted_signals_.fetch_or(u64{1} << (sig - 1), std::memory_order_relaxed);
  }

  // The one way the OS layer blocks: every syscall that waits (for a descriptor, a time, a
  // signal) waits through these, which wake at least every 50 ms to take posted signals and
  // check cancel() and the timeout.
  enum class Wait {
    Ready,        // the descriptor is ready / the time was reached
    Interrupted,  // a signal the guest takes (a handler or a fatal default) is pending: the
                  // syscall returns EINTR (or kRestartSys, os/syscalls.hpp)
    End,          // the process must end (cancel(), timeout): the syscall returns at once and
                  // the run loop ends the process
    Park,         // other threads run meanwhile: the syscall undoes what it changed and returns
                  // kParked (os/syscalls.hpp); its SVC runs again once the wait is over
  };
  // Waits until host_fd is ready for `events` (poll(2) events: POLLIN, POLLOUT). With other
  // threads, the wait parks the thread unless `may_park` is false (then they wait too).
  Wait wait_fd(int host_fd, short events, bool may_park = true);
  // Waits until `clock` reaches `until` (an absolute time of that clock). When the call runs
  // again after Park, `until` is replaced by the deadline of the first call.
  Wait sleep_until(clockid_t clock, struct timespec& until);
  // Waits for a posted signal only (rt_sigsuspend, pause, rt_sigtimedwait without a timeout).
  Wait wait_signal();
  // True when the process must end now (cancelled, or past its timeout).
  bool must_end() const;

  // Guest memory as a syscall sees it: false (EFAULT) unless every byte is mapped with the
  // permission the access needs.
  bool read(u64 addr, void* dst, u64 len);
  bool write(u64 addr, const void* src, u64 len);
  bool read_string(u64 addr, std::string& out, u64 max = 4096);

  // Ends the process (the run loop stops after the current syscall).
  void exit(int status) {
    exited_ = true;
    exit_status_ = status;
  }
  bool exited() const { return exited_; }
  // Signals on the way back to the guest (the run loop calls these; so may an engine that
  // services syscalls without stopping): deliver_signals() after each syscall delivers what
  // became pending or unblocked; signal_for_stop() turns a FAULT, UNDEFINED, HALT or BREAKPOINT
  // stop into the signal Linux would send. Both may change the whole engine state (entering a
  // handler) or end the process.
  void deliver_signals() { os::deliver_signals(*this); }
  void signal_for_stop(const RunResult& r) { os::signal_for_stop(*this, r); }
  // Ends the process by a fatal signal, printing QEMU's style of message.
  void die_by_signal(int sig, const std::string& detail);
  // One of kvrm's own messages about the guest ("kvrm: " is not added): to stderr_buffer when
  // the options give one, else to the host's stderr.
  void message(const char* fmt, ...) __attribute__((format(printf, 2, 3)));

  // ---- Threads (os/threads.cpp has their syscalls) ----
  // The running thread.
  Thread& current() { return *threads_[cur_]; }
  // True while the guest has more than one thread that has not exited.
  bool multithreaded() const { return live_ > 1; }
  int live_threads() const { return live_; }
  bool has_thread(int tid) const { return find_thread(tid) != nullptr; }
  // The thread `tid` if it has not exited, else nullptr.
  const Thread* find_thread(int tid) const;
  // The signal mask of thread `tid` (the running thread's is signals.blocked).
  u64 thread_mask(int tid) const;
  // A new thread (clone): starts runnable from `regs`, after the running thread in turn.
  // Returns its tid.
  int add_thread(const CoreState& regs, u64 clear_child_tid);
  // The running thread ends (exit): its robust futexes and clear_child_tid are released as
  // Linux does; the last thread ends the process with `status`.
  void exit_thread(int status);
  // The running thread waits on the futex at addr (FUTEX_WAIT): it does not run again until
  // futex_wake() or its deadline (when `until`) or a signal.
  void futex_block(u64 addr, u32 bitset, clockid_t clock, const struct timespec* until,
                   std::string strace_line);
  // Wakes at most n threads waiting on addr whose bitset meets `bitset`; returns how many.
  int futex_wake(u64 addr, u32 bitset, u64 n);
  // Moves at most n waiters of addr to wait on addr2 instead; returns how many.
  int futex_requeue(u64 addr, u64 addr2, u64 n);
  // The running thread lets the others run (sched_yield).
  void yield() {
    if (multithreaded()) switch_ = true;
  }

  Engine& engine() { return e_; }
  MemoryMap& vmas() { return vmas_; }
  const ProcessOptions& options() const { return o_; }

  // State the syscalls keep.
  u64 brk_start = 0, brk_cur = 0;
  u64 mmap_top = 0, mmap_bottom = 0;
  SignalState signals;    // dispositions, mask, pending signals, alternate stack (os/signals)
  char comm[16] = {};     // prctl PR_SET_NAME / PR_GET_NAME
  u32 umask = 022;        // the guest's, applied by kvrm (the host's is read once, never changed)
  std::string exe;        // readlink("/proc/self/exe")
  std::vector<u64> auxv;  // the initial auxv (/proc/self/auxv)
  std::vector<std::pair<u64, u64>> image_ranges;  // the program's segments (/proc/self/maps)
  Sandbox sandbox;
  FdTable fds;

  // Where the stack lies.
  static constexpr u64 kStackTop = 0x7ffffffff000;
  static constexpr u64 kStackSize = u64{8} << 20;

 private:
  void load_interpreter(const std::string& path, u64& base, u64& entry);
  // The initial stack (arguments, environment, auxiliary vector) and registers: the run starts
  // at `start` (the program's entry, or its interpreter's).
  void build_stack(const ElfImage& img, const LoadedImage& li, u64 interp_base, u64 start);
  void install_memory_streams();
  // Sends posted signals to the guest (send_signal); true when a pending signal that the mask
  // lets through would act (run a handler or end the process).
  bool take_posted_signals();
  // The waits above: for host_fd (-1: none) and/or until `until` of `clock` (nullptr: none).
  Wait wait(int host_fd, short events, clockid_t clock, struct timespec* until, bool may_park);
  // Ends the process for cancel() or the timeout, with kvrm's message.
  void end_by_limit();
  // Threads: the switch at a slice's end or when the running thread waits or exits. Saves the
  // running thread, wakes the threads whose wait is over, and loads the next runnable one in
  // round-robin order, sleeping (through the same checks as wait()) while none is. Ends the
  // process on a deadlock.
  void schedule();
  // Ends the waits that are over (a futex deadline passed, a parked wait's descriptor is
  // ready or its time reached, a signal acts for the thread).
  void wake_threads();
  // Sleeps until some waiting thread's wait may be over (at most detail::kWaitStepNs); false
  // when the process must end (the limits, a deadlock).
  bool sleep_for_threads();
  // A waiting thread runs again with `result` in X0 (a futex wait's end).
  void finish_wait(Thread& t, i64 result);

  using Clock = std::chrono::steady_clock;

  Engine& e_;
  ProcessOptions o_;
  MemoryMap vmas_;
  RunStats stats_;
  bool exited_ = false;
  int exit_status_ = 0;
  bool started_ = false;    // run() was called: t0_ and deadline_ are set
  Clock::time_point t0_{};  // the first call of run()
  Clock::time_point deadline_ = Clock::time_point::max();
  std::atomic<bool> cancelled_{false};
  std::atomic<u64> posted_signals_{0};            // bit s-1: signal s posted
  u64 slice_ = u64{1} << 18;                      // instructions per run slice (adapted in run())
  std::vector<std::unique_ptr<Thread>> threads_;  // in round-robin order; the running one is
  size_t cur_ = 0;                                // threads_[cur_]
  int live_ = 1;                                  // threads that have not exited
  int next_tid_ = 0;
  u64 wait_seq_ = 0;
  bool switch_ = false;  // the running thread waits, exited or yields: end the slice
};

// The AT_HWCAP / AT_HWCAP2 bits kvrm advertises: the features docs/ISA.md lists as implemented
// in full (Linux arm64 uapi bit numbers).
u64 hwcap();
u64 hwcap2();

}  // namespace kvrm::os

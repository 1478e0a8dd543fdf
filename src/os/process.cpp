// The guest process: loading, the initial stack, the memory map and the run loop.
#include "os/process.hpp"

#include <fcntl.h>
#include <limits.h>
#include <poll.h>
#include <stdlib.h>
#include <sys/random.h>
#include <time.h>
#include <unistd.h>

#include <algorithm>
#include <chrono>
#include <cstdarg>
#include <cstdio>
#include <cstring>
#include <iterator>

#include "isa/mmu.hpp"
#include "os/signals.hpp"
#include "os/syscalls.hpp"
#include "os/syscalls_internal.hpp"

namespace kvrm::os {

// ---- MemoryMap --------------------------------------------------------------------------------

void MemoryMap::clear(u64 start, u64 end) {
  auto it = m_.lower_bound(start);
  if (it != m_.begin()) {
    auto p = std::prev(it);
    if (p->second.end > start) it = p;
  }
  while (it != m_.end() && it->first < end) {
    const u64 vs = it->first;
    const Vma v = it->second;
    it = m_.erase(it);
    if (vs < start) m_[vs] = {start, v.perms, v.flags};
    if (v.end > end) m_[end] = {v.end, v.perms, v.flags};
  }
}

void MemoryMap::set(u64 start, u64 end, u8 perms, u8 flags) {
  clear(start, end);
  m_[start] = {end, perms, flags};
}

void MemoryMap::protect(u64 start, u64 end, u8 perms) {
  std::vector<std::pair<u64, Vma>> pieces;  // the overlapping ranges, clipped to [start, end)
  auto it = m_.upper_bound(start);
  if (it != m_.begin() && std::prev(it)->second.end > start) --it;
  for (; it != m_.end() && it->first < end; ++it)
    pieces.push_back(
        {std::max(it->first, start), {std::min(it->second.end, end), perms, it->second.flags}});
  for (const auto& [vs, v] : pieces) set(vs, v.end, v.perms, v.flags);
}

u8 MemoryMap::flags_in(u64 start, u64 end) const {
  u8 f = 0;
  auto it = m_.upper_bound(start);
  if (it != m_.begin()) --it;
  for (; it != m_.end() && it->first < end; ++it)
    if (it->second.end > start) f |= it->second.flags;
  return f;
}

bool MemoryMap::covered(u64 start, u64 end, u8 need) const {
  u64 cur = start;
  auto it = m_.upper_bound(cur);
  if (it == m_.begin()) return start >= end;
  --it;
  while (cur < end) {
    if (it == m_.end() || it->first > cur || it->second.end <= cur) return false;
    if ((it->second.perms & need) != need) return false;
    cur = it->second.end;
    ++it;
  }
  return true;
}

u8 MemoryMap::perms_at(u64 addr) const {
  auto it = m_.upper_bound(addr);
  if (it == m_.begin()) return 0;
  --it;
  return it->second.end > addr ? it->second.perms : 0;
}

bool MemoryMap::any(u64 start, u64 end) const {
  auto it = m_.lower_bound(end);
  if (it == m_.begin()) return false;
  --it;
  return it->second.end > start;
}

std::vector<MemoryMap::Range> MemoryMap::ranges() const {
  std::vector<Range> out;
  out.reserve(m_.size());
  for (const auto& [start, v] : m_) out.push_back({start, v.end, v.perms, v.flags});
  return out;
}

u64 MemoryMap::find_free(u64 len, u64 top, u64 bottom) const {
  u64 hi = top;
  auto it = m_.lower_bound(top);
  while (it != m_.begin()) {
    auto p = std::prev(it);
    if (p->second.end < hi && hi - p->second.end >= len) return hi - len;
    hi = std::min(hi, p->first);
    it = p;
  }
  return hi >= bottom && hi - bottom >= len ? hi - len : 0;
}

// ---- Process ----------------------------------------------------------------------------------

u64 hwcap() {
  constexpr u64 FP = 1 << 0, ASIMD = 1 << 1, AES = 1 << 3, PMULL = 1 << 4, SHA1 = 1 << 5,
                SHA2 = 1 << 6, CRC32 = 1 << 7, ATOMICS = 1 << 8, ASIMDRDM = 1 << 12,
                LRCPC = 1 << 15, DCPOP = 1 << 16, ILRCPC = 1 << 26, FLAGM = 1 << 27, SB = 1 << 29;
  return FP | ASIMD | AES | PMULL | SHA1 | SHA2 | CRC32 | ATOMICS | ASIMDRDM | LRCPC | DCPOP |
         ILRCPC | FLAGM | SB;
}
u64 hwcap2() {
  constexpr u64 FLAGM2 = 1 << 7;
  return FLAGM2;
}

namespace {

// The host process's umask, read without changing it (umask(2) would, for every thread).
u32 host_umask() {
  std::FILE* f = std::fopen("/proc/self/status", "re");
  u32 mask = 022;
  if (!f) return mask;
  char line[256];
  while (std::fgets(line, sizeof line, f)) {
    unsigned v;
    if (std::sscanf(line, "Umask: %o", &v) == 1) {
      mask = v & 0777;
      break;
    }
  }
  std::fclose(f);
  return mask;
}

}  // namespace

Process::Process(Engine& e, ProcessOptions o) : sandbox(o.sandbox), e_(e), o_(std::move(o)) {
  // The main thread: its tid is the pid, and new threads count up from there.
  threads_.push_back(std::make_unique<Thread>());
  threads_[0]->tid = static_cast<int>(::getpid());
  signals.tid = threads_[0]->tid;
  next_tid_ = threads_[0]->tid + 1;
  umask = host_umask();
  install_memory_streams();
  char real[PATH_MAX];
  exe = ::realpath(o_.path.c_str(), real) ? std::string(real) : o_.path;
  exe = sandbox.guest_view(exe);
  const size_t slash = o_.path.rfind('/');
  std::snprintf(comm, sizeof comm, "%s",
                o_.path.c_str() + (slash == std::string::npos ? 0 : slash + 1));
  const std::vector<u8> file = read_program_file(o_.path);
  const ElfImage img = parse_elf(file, o_.path);
  const LoadedImage li = load_elf(e_, img, file);
  for (size_t k = 0; k < li.ranges.size(); ++k)
    vmas_.set(li.ranges[k].first, li.ranges[k].second, li.perms[k]);
  image_ranges = li.ranges;
  brk_start = brk_cur = li.high;
  mmap_top = kStackTop - kStackSize - (u64{1} << 20);  // a 1 MiB gap below the stack
  mmap_bottom = li.high + (u64{1} << 30);              // leaves brk 1 GiB to grow
  u64 interp_base = 0, start = li.entry;
  if (!img.interp.empty()) load_interpreter(img.interp, interp_base, start);
  e_.set_program_entry(li.entry);
  build_stack(img, li, interp_base, start);
  map_sigtramp(*this);
}

// A dynamically linked program: its interpreter (glibc's ld.so), found through the sandbox (so
// -L's directory first), is loaded in the mmap area as Linux places it; the run starts there,
// with the program's own entry in AT_ENTRY and the interpreter's base in AT_BASE.
void Process::load_interpreter(const std::string& path, u64& base, u64& entry) {
  Resolved r;
  const i64 e = sandbox.resolve("/", path, true, r);
  if (e != 0 || !r.exists || r.is_dir || r.proc) {
    throw ExecError(kExitNotFound, o_.path + ": program interpreter " + path +
                                       " not found (give the program's sysroot with -L DIR)");
  }
  const int fd = sandbox.open(r, O_RDONLY, 0);
  if (fd < 0) {
    throw ExecError(kExitNotExecutable,
                    o_.path + ": program interpreter " + path + ": " + std::strerror(-fd));
  }
  std::vector<u8> file;
  try {
    // The file opened, as is (through its descriptor where the host has /proc).
    const std::string at =
        ::access("/proc/self/fd", F_OK) == 0 ? "/proc/self/fd/" + std::to_string(fd) : r.host;
    file = read_program_file(at);
  } catch (...) {
    ::close(fd);
    throw;
  }
  ::close(fd);
  const ElfImage img = parse_elf(file, path);
  if (!img.interp.empty())
    throw ExecError(kExitNotExecutable, path + ": has an interpreter itself");
  if (!img.pie) throw ExecError(kExitNotExecutable, path + ": not position-independent (ET_DYN)");
  const u64 at = vmas_.find_free(image_span(img), mmap_top, mmap_bottom);
  if (at == 0) throw ExecError(1, path + ": no room for the program interpreter");
  const LoadedImage li = load_elf(e_, img, file, at);
  for (size_t k = 0; k < li.ranges.size(); ++k)
    vmas_.set(li.ranges[k].first, li.ranges[k].second, li.perms[k], MemoryMap::kFile);
  base = li.bias;
  entry = li.entry;
}

void Process::build_stack(const ElfImage& img, const LoadedImage& li, u64 interp_base, u64 start) {
  const u64 low = kStackTop - kStackSize;
  const u8 perms = kPermRead | kPermWrite | (img.exec_stack ? kPermExec : 0);
  try {
    e_.map(low, kStackSize, perms);
  } catch (const Error& err) {
    throw ExecError(1, std::string("cannot map the stack: ") + err.what());
  }
  vmas_.set(low, kStackTop, perms);

  // Strings at the top, as Linux places them: the file name, then the environment and argument
  // strings, then the platform string and the 16 random bytes.
  u64 p = kStackTop - 8;
  auto push_bytes = [&](const void* data, u64 n) {
    p -= n;
    e_.write_memory(p, data, n);
    return p;
  };
  auto push_string = [&](const std::string& s) { return push_bytes(s.c_str(), s.size() + 1); };
  u64 strings_size = o_.path.size() + 1;
  for (const auto& s : o_.argv) strings_size += s.size() + 1;
  for (const auto& s : o_.envp) strings_size += s.size() + 1;
  if (strings_size > kStackSize / 4) throw ExecError(1, "argument list too long");
  const u64 execfn = push_string(o_.path);
  std::vector<u64> envp(o_.envp.size()), argv(o_.argv.size());
  for (size_t k = o_.envp.size(); k-- > 0;) envp[k] = push_string(o_.envp[k]);
  for (size_t k = o_.argv.size(); k-- > 0;) argv[k] = push_string(o_.argv[k]);
  const u64 platform = push_string("aarch64");
  u8 random[16];
  if (getrandom(random, sizeof random, 0) != static_cast<ssize_t>(sizeof random))
    throw ExecError(1, "getrandom failed");
  p &= ~u64{15};
  const u64 at_random = push_bytes(random, sizeof random);

  const std::vector<std::pair<u64, u64>> auxv = {
      {16, hwcap()},                      // AT_HWCAP
      {6, kPageSize},                     // AT_PAGESZ
      {17, 100},                          // AT_CLKTCK
      {3, li.phdr},                       // AT_PHDR
      {4, 56},                            // AT_PHENT
      {5, img.phnum},                     // AT_PHNUM
      {7, interp_base},                   // AT_BASE (0: no interpreter)
      {8, 0},                             // AT_FLAGS
      {9, li.entry},                      // AT_ENTRY
      {11, static_cast<u64>(getuid())},   // AT_UID
      {12, static_cast<u64>(geteuid())},  // AT_EUID
      {13, static_cast<u64>(getgid())},   // AT_GID
      {14, static_cast<u64>(getegid())},  // AT_EGID
      {23, 0},                            // AT_SECURE
      {25, at_random},                    // AT_RANDOM
      {26, hwcap2()},                     // AT_HWCAP2
      {31, execfn},                       // AT_EXECFN
      {15, platform},                     // AT_PLATFORM
      {51, sig::kAtMinSigStkSz},          // AT_MINSIGSTKSZ
      {0, 0},                             // AT_NULL
  };
  std::vector<u64> table;
  table.push_back(o_.argv.size());
  table.insert(table.end(), argv.begin(), argv.end());
  table.push_back(0);
  table.insert(table.end(), envp.begin(), envp.end());
  table.push_back(0);
  for (const auto& [k, v] : auxv) {
    table.push_back(k);
    table.push_back(v);
    this->auxv.push_back(k);
    this->auxv.push_back(v);
  }
  const u64 sp = (p - table.size() * 8) & ~u64{15};
  e_.write_memory(sp, table.data(), table.size() * 8);

  CoreState s{};
  s.pc = start;
  s.x[kSP] = sp;
  e_.set_state(s);
}

bool Process::read(u64 addr, void* dst, u64 len) {
  if (len == 0) return true;
  if (addr + len < addr || !vmas_.covered(addr, addr + len, kPermRead)) return false;
  e_.read_memory(addr, dst, len);
  return true;
}

bool Process::write(u64 addr, const void* src, u64 len) {
  if (len == 0) return true;
  if (addr + len < addr || !vmas_.covered(addr, addr + len, kPermWrite)) return false;
  e_.write_memory(addr, src, len);
  return true;
}

bool Process::read_string(u64 addr, std::string& out, u64 max) {
  out.clear();
  char buf[256];
  while (out.size() < max) {
    // Read up to the end of the page so that a string ending just before unmapped memory works.
    const u64 n = std::min<u64>(sizeof buf, kPageSize - (addr & kPageMask));
    if (!read(addr, buf, n)) return false;
    const void* z = std::memchr(buf, 0, n);
    if (z) {
      out.append(buf, static_cast<const char*>(z) - buf);
      return true;
    }
    out.append(buf, n);
    addr += n;
  }
  return false;
}

void Process::install_memory_streams() {
  struct timespec now;
  ::clock_gettime(CLOCK_REALTIME, &now);
  auto stream = [&](int fd, const std::string* in, std::string* out) {
    auto m = std::make_shared<MemoryStream>();
    m->input = in;
    m->output = out;
    m->status_flags = in ? O_RDONLY : O_WRONLY;
    m->ino = static_cast<u64>(fd) + 1;
    m->created_sec = now.tv_sec;
    m->created_nsec = now.tv_nsec;
    fds.install_at(GuestFd{-1, false, false, "", std::move(m), nullptr}, fd);
  };
  if (o_.stdin_data) stream(0, o_.stdin_data, nullptr);
  if (o_.stdout_buffer) stream(1, nullptr, o_.stdout_buffer);
  if (o_.stderr_buffer) stream(2, nullptr, o_.stderr_buffer);
}

void Process::message(const char* fmt, ...) {
  va_list ap, again;
  va_start(ap, fmt);
  va_copy(again, ap);
  char small[512];
  const int n = std::vsnprintf(small, sizeof small, fmt, ap);
  va_end(ap);
  std::string big;
  const char* text = small;
  if (n >= static_cast<int>(sizeof small)) {
    big.resize(static_cast<size_t>(n) + 1);
    std::vsnprintf(big.data(), big.size(), fmt, again);
    text = big.data();
  }
  va_end(again);
  if (n <= 0) return;
  if (o_.stderr_buffer)
    o_.stderr_buffer->append(text, static_cast<size_t>(n));
  else
    std::fwrite(text, 1, static_cast<size_t>(n), stderr);
}

void Process::die_by_signal(int sig, const std::string& detail) {
  const char* d = sigdescr_np(sig);
  // SIGPIPE ends a writer quietly, as shells and qemu-aarch64 let it.
  if (sig != sig::kPipe)
    message("kvrm: uncaught target signal %d (%s)%s\n", sig, d ? d : "Unknown signal",
            detail.c_str());
  exit(128 + sig);
}

// ---- Limits and waits -------------------------------------------------------------------------

bool Process::must_end() const { return cancelled() || Clock::now() >= deadline_; }

void Process::end_by_limit() {
  const unsigned long long pc = e_.pc();
  if (o_.timeout_seconds > 0 && Clock::now() >= deadline_)
    message("kvrm: timeout (%g s) reached at pc 0x%llx\n", o_.timeout_seconds, pc);
  else
    message("kvrm: timeout: the run was cancelled at pc 0x%llx\n", pc);
  exit(kExitTimeout);
}

bool Process::take_posted_signals() {
  u64 bits = posted_signals_.exchange(0, std::memory_order_relaxed);
  for (int s = 1; bits; ++s, bits >>= 1)
    if (bits & 1) send_signal(*this, s, SigInfo::kill(s, sig::kSiUser));
  return signal_interrupts(signals, signals.blocked);
}

using detail::ns_of;
using detail::timespec_of;

Process::Wait Process::wait(int host_fd, short events, clockid_t clock, struct timespec* until,
                            bool may_park) {
  Thread& t = current();
  if (until && t.resume_until && t.clock == clock) *until = t.until;  // the first call's
  t.resume_until = false;
  if (may_park && multithreaded()) {
    // One look without sleeping; if the wait is not over, the thread parks (schedule()) and
    // the others run.
    if (must_end()) return Wait::End;
    if (take_posted_signals()) return Wait::Interrupted;
    if (until) {
      struct timespec now;
      ::clock_gettime(clock, &now);
      if (ns_of(*until) - ns_of(now) <= 0) return Wait::Ready;
    }
    if (host_fd >= 0) {
      struct pollfd pfd = {host_fd, events, 0};
      const int n = ::poll(&pfd, 1, 0);
      if (n > 0 || (n < 0 && errno != EINTR)) return Wait::Ready;
    }
    t.state = Thread::State::Parked;
    t.fd = host_fd;
    t.events = events;
    t.has_until = until != nullptr;
    t.clock = clock;
    if (until) t.until = *until;
    t.resume_until = until != nullptr;
    t.wait_mask = signals.blocked;
    switch_ = true;
    return Wait::Park;
  }
  for (bool first = true;; first = false) {
    if (must_end()) return Wait::End;
    if (take_posted_signals()) return Wait::Interrupted;
    i64 step =
        first && host_fd >= 0 ? 0 : detail::kWaitStepNs;  // a ready descriptor costs one poll
    const auto to_deadline = deadline_ - Clock::now();
    if (to_deadline < std::chrono::nanoseconds(step))
      step = std::max<i64>(
          1, std::chrono::duration_cast<std::chrono::nanoseconds>(to_deadline).count());
    bool until_first = false;  // `until` comes before the next check: sleep to it exactly
    if (until) {
      struct timespec now;
      ::clock_gettime(clock, &now);
      const i64 left = ns_of(*until) - ns_of(now);
      if (left <= 0) return Wait::Ready;
      until_first = left <= step;
      step = std::min(step, left);
    }
    if (host_fd >= 0) {
      struct pollfd pfd = {host_fd, events, 0};
      const struct timespec t = timespec_of(step);
      // An error or hang-up counts as ready: the read or write reports it.
      const int n = ::ppoll(&pfd, 1, &t, nullptr);
      if (n > 0 || (n < 0 && errno != EINTR)) return Wait::Ready;
    } else if (until_first) {
      ::clock_nanosleep(clock, TIMER_ABSTIME, until, nullptr);  // EINTR: checked above
    } else {
      const struct timespec t = timespec_of(step);
      ::clock_nanosleep(CLOCK_MONOTONIC, 0, &t, nullptr);
    }
  }
}

Process::Wait Process::wait_fd(int host_fd, short events, bool may_park) {
  return wait(host_fd, events, CLOCK_MONOTONIC, nullptr, may_park);
}

Process::Wait Process::sleep_until(clockid_t clock, struct timespec& until) {
  return wait(-1, 0, clock, &until, true);
}

Process::Wait Process::wait_signal() { return wait(-1, 0, CLOCK_MONOTONIC, nullptr, true); }

// ---- The run loop -------------------------------------------------------------------------------

int Process::run() {
  if (!started_) {
    started_ = true;
    t0_ = Clock::now();
    // Far-off timeouts (beyond a century) are none.
    if (o_.timeout_seconds > 0 && o_.timeout_seconds < 3e9)
      deadline_ = t0_ + std::chrono::duration_cast<Clock::duration>(
                            std::chrono::duration<double>(o_.timeout_seconds));
  }
  // Instructions per slice, adapted so that a slice takes about 20 ms: cancel(), the timeout
  // and posted signals are checked between slices (and at every syscall). Engines that can stop
  // a run in flight (the CUDA engine) are also given 50 ms as the slice's time limit.
  constexpr u64 kMinSlice = u64{1} << 12, kMaxSlice = u64{1} << 34;
  // With several threads, each runs at most this many instructions in turn, so that one that
  // spins on a lock held by another soon lets it run.
  constexpr u64 kThreadSlice = u64{1} << 16;
  constexpr double kSliceSeconds = 0.02, kSliceLimitSeconds = 0.05;
  while (!exited_) {
    if (must_end()) {
      end_by_limit();
      break;
    }
    u64 budget = slice_;
    if (o_.max_instructions) {
      if (stats_.instructions >= o_.max_instructions) {
        message("kvrm: instruction limit (%llu) reached at pc 0x%llx\n",
                static_cast<unsigned long long>(o_.max_instructions),
                static_cast<unsigned long long>(e_.pc()));
        exit(kExitTimeout);
        break;
      }
      budget = std::min(budget, o_.max_instructions - stats_.instructions);
    }
    if (multithreaded()) budget = std::min(budget, kThreadSlice);
    // SVCs are serviced inside the run: the CUDA engine's kernel stays resident and waits.
    // Signals raised by a syscall are delivered before the guest continues. A thread that
    // waits, exits or yields ends the run (the engine stops after the SVC) for schedule().
    const auto service = [this](Engine&) {
      do_syscall(*this);
      if (!exited_ && must_end()) end_by_limit();
      if (exited_ || switch_) return false;
      take_posted_signals();
      deliver_signals();
      return !exited_;
    };
    const auto ts = Clock::now();
    // The base version of execute_persistent stops at each SVC and runs again after it.
    const RunResult r = o_.relaunch_per_syscall
                            ? e_.Engine::execute_persistent(budget, kSliceLimitSeconds, service)
                            : e_.execute_persistent(budget, kSliceLimitSeconds, service);
    const double took = std::chrono::duration<double>(Clock::now() - ts).count();
    stats_.instructions += r.cycles;
    stats_.syscalls += r.syscalls;
    if (r.signal == Signal::Checkpoint && r.syscalls == 0 && r.cycles > 0 && took > 0) {
      const double ips = static_cast<double>(r.cycles) / took;
      slice_ = static_cast<u64>(std::clamp(ips * kSliceSeconds, static_cast<double>(kMinSlice),
                                           static_cast<double>(kMaxSlice)));
    }
    switch (r.signal) {
      case Signal::Syscall:  // only when the process ended or the thread switches in a syscall
        break;
      case Signal::Checkpoint: break;
      case Signal::Fault:
      case Signal::Undefined:
      case Signal::Halt:  // HLT at EL0 is UNDEFINED: SIGILL
      case Signal::Breakpoint: signal_for_stop(r); break;
      case Signal::Running: throw Error("engine returned RUNNING");
    }
    // Between instructions now (a driven engine may still hold an unserviced stop when run()
    // is entered, so signals from outside are taken here and after syscalls only).
    const bool running = current().state == Thread::State::Runnable;
    if (!exited_ && running && take_posted_signals()) deliver_signals();
    // Threads: the next one runs (a single-threaded program comes here only when it waits on
    // a futex).
    if (!exited_ && (switch_ || !running || multithreaded())) schedule();
    stats_.seconds = std::chrono::duration<double>(Clock::now() - t0_).count();
  }
  stats_.seconds = std::chrono::duration<double>(Clock::now() - t0_).count();
  return exit_status_;
}

}  // namespace kvrm::os

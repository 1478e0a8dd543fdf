// Reads and writes of guest descriptors that may block (pipes, terminals, sockets): they wait
// through Process::wait_fd, so that the timeout, cancel() and signals for the guest end the
// wait, and the host process never takes the SIGPIPE or SIGXFSZ a write raises: the guest gets
// it, as Linux sends it (EPIPE or EFBIG returned, the signal sent to the writer).
#include <fcntl.h>
#include <limits.h>
#include <poll.h>
#include <pthread.h>
#include <signal.h>
#include <sys/stat.h>

#include <algorithm>
#include <utility>

#include "os/files_internal.hpp"
#include "os/signals.hpp"

namespace kvrm::os::detail {
namespace {

i64 interrupted(Process::Wait w) {
  if (w == Process::Wait::Park) return kParked;
  return w == Process::Wait::Interrupted ? kRestartSys : err(EINTR);
}

// One host write with SIGPIPE and SIGXFSZ blocked in this thread (no host-global state
// changes); the signal the host raised for it, if any, is taken back before they are unblocked.
i64 write_without_host_signals(const GuestFd& f, const void* buf, u64 n, i64 off) {
  sigset_t set, old;
  sigemptyset(&set);
  sigaddset(&set, SIGPIPE);
  sigaddset(&set, SIGXFSZ);
  pthread_sigmask(SIG_BLOCK, &set, &old);
  const i64 r = f.write(buf, n, off);
  if (r == -EPIPE || r == -EFBIG) {
    sigset_t one;
    sigemptyset(&one);
    sigaddset(&one, r == -EPIPE ? SIGPIPE : SIGXFSZ);
    const struct timespec zero = {0, 0};
    ::sigtimedwait(&one, nullptr, &zero);  // nothing pending when the host ignores it
  }
  pthread_sigmask(SIG_SETMASK, &old, nullptr);
  return r;
}

// Whether a read (or write) of the descriptor may wait: not with O_NONBLOCK (EAGAIN is the
// answer) nor on a descriptor open the other way or O_PATH (EBADF is, and poll would never say
// ready).
bool may_wait(int host_fd, bool write) {
  const int fl = ::fcntl(host_fd, F_GETFL);
  if (fl < 0 || (fl & (O_NONBLOCK | O_PATH))) return false;
  return (fl & O_ACCMODE) != (write ? O_RDONLY : O_WRONLY);
}

}  // namespace

i64 guest_read(Process& p, const GuestFd& f, void* buf, u64 n, i64 off) {
  if (f.proc) {  // /proc/self/mem or a /proc/self directory: never blocks
    if (f.proc->kind == ProcFile::kDirectory) return err(EISDIR);
    return proc_memory_io(p, *f.proc, static_cast<u8*>(buf), n, off, false);
  }
  // Positional reads and memory streams never block; a regular file is ready at once; a
  // descriptor with O_NONBLOCK answers EAGAIN itself.
  if (!f.mem && off < 0 && n > 0) {
    struct pollfd pfd = {f.host, POLLIN, 0};
    if (::poll(&pfd, 1, 0) == 0 && may_wait(f.host, false)) {
      const Process::Wait w = p.wait_fd(f.host, POLLIN);
      if (w != Process::Wait::Ready) return interrupted(w);
    }
  }
  return f.read(buf, n, off);
}

i64 guest_write(Process& p, const GuestFd& f, const void* buf, u64 n, i64 off) {
  if (f.proc) {
    if (f.proc->kind == ProcFile::kDirectory) return err(EBADF);
    return proc_memory_io(p, *f.proc, static_cast<u8*>(const_cast<void*>(buf)), n, off, true);
  }
  if (f.mem || n == 0) return f.write(buf, n, off);
  struct stat st;
  const bool may_block = off < 0 && ::fstat(f.host, &st) == 0 && !S_ISREG(st.st_mode) &&
                         !S_ISBLK(st.st_mode) && may_wait(f.host, true);
  const u8* bytes = static_cast<const u8*>(buf);
  // A write that parked (other threads run while the pipe is full) runs again from where it
  // stopped: it writes all, as a blocking write does.
  u64 done = 0;
  if (may_block) done = std::exchange(p.current().io_done, 0);
  if (done > n) done = 0;
  while (done < n) {
    u64 chunk = n - done;
    if (may_block) {
      // Once poll says a pipe is writable, PIPE_BUF bytes go in without blocking.
      const Process::Wait w = p.wait_fd(f.host, POLLOUT);
      if (w == Process::Wait::Park && done) {
        p.current().io_done = done;
        return kParked;
      }
      if (w != Process::Wait::Ready) return done ? static_cast<i64>(done) : interrupted(w);
      chunk = std::min<u64>(chunk, PIPE_BUF);
    }
    const i64 r = write_without_host_signals(f, bytes + done, chunk, off);
    if (r < 0) {
      if (r == -EPIPE) send_signal(p, sig::kPipe, SigInfo::kill(sig::kPipe, sig::kSiUser));
      if (r == -EFBIG) send_signal(p, sig::kXfsz, SigInfo::kill(sig::kXfsz, sig::kSiUser));
      return done ? static_cast<i64>(done) : r;
    }
    done += static_cast<u64>(r);
    if (!may_block && static_cast<u64>(r) < chunk) break;
  }
  return static_cast<i64>(done);
}

}  // namespace kvrm::os::detail

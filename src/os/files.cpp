// File syscalls: guest descriptors (FdTable) over host descriptors, guest paths resolved by the
// Sandbox (os/sandbox.hpp). Layouts that differ between x86-64 and aarch64 (struct stat, the
// O_DIRECTORY/O_NOFOLLOW/O_DIRECT/O_LARGEFILE bits) are translated; statx, linux_dirent64,
// termios and winsize are the same on both.
#include <fcntl.h>
#include <limits.h>
#include <poll.h>
#include <sys/ioctl.h>
#include <sys/stat.h>
#include <sys/statfs.h>
#include <sys/syscall.h>
#include <sys/uio.h>
#include <sys/xattr.h>
#include <unistd.h>

#include <algorithm>
#include <cstring>
#include <string>
#include <thread>
#include <vector>

#include "isa/mmu.hpp"
#include "os/files_internal.hpp"
#include "os/process.hpp"
#include "os/syscalls_internal.hpp"

namespace kvrm::os::detail {

i64 resolve_at(Process& p, u64 dirfd, u64 path_addr, bool follow, Resolved& r, std::string* raw) {
  std::string path;
  if (!p.read_string(path_addr, path)) return err(path.size() >= 4096 ? ENAMETOOLONG : EFAULT);
  if (raw) *raw = path;
  std::string base = p.sandbox.cwd;
  if (!path.empty() && path[0] != '/' && static_cast<i32>(dirfd) != kAtFdcwd) {
    GuestFd* f = fd_of(p, dirfd);
    if (!f) return err(EBADF);
    struct stat st;
    const bool dir = f->proc ? f->proc->kind == ProcFile::kDirectory
                             : !f->mem && ::fstat(f->host, &st) == 0 && S_ISDIR(st.st_mode);
    if (f->path.empty() || !dir) return err(ENOTDIR);
    base = f->path;
  }
  return resolve_path(p, base, path, follow, r);
}

bool write_ok(const Process& p, const Resolved& r) {
  // /dev/null and /dev/zero swallow what is written: harmless to allow under the host's root.
  return p.sandbox.writable(r.host) ||
         (p.sandbox.root().empty() && (r.host == "/dev/null" || r.host == "/dev/zero"));
}

namespace {

// aarch64 (asm-generic) open flags that differ from x86-64's.
constexpr u64 kGDirectory = 040000, kGNofollow = 0100000, kGDirect = 0200000, kGLargefile = 0400000;
#if defined(__x86_64__)
constexpr int kHostLargefile = 0100000;
#else
constexpr int kHostLargefile = 0400000;
#endif
constexpr u64 kGDiffering = kGDirectory | kGNofollow | kGDirect | kGLargefile;
constexpr int kHostDiffering = O_DIRECTORY | O_NOFOLLOW | O_DIRECT | kHostLargefile;

int host_open_flags(u64 g) {
  int h = static_cast<int>(g & ~kGDiffering & 037777777);
  if (g & kGDirectory) h |= O_DIRECTORY;
  if (g & kGNofollow) h |= O_NOFOLLOW;
  if (g & kGDirect) h |= O_DIRECT;
  return h;
}

u64 guest_open_flags(int h) {
  u64 g = static_cast<u64>(h & ~kHostDiffering);
  if (h & O_DIRECTORY) g |= kGDirectory;
  if (h & O_DIRECT) g |= kGDirect;
  // O_LARGEFILE, which every 64-bit open gets, is left out, as qemu-aarch64 leaves it out.
  return g;
}

// ---- I/O on any guest descriptor ------------------------------------------------------------

bool guest_range(Process& p, u64 addr, u64 n, u8 need) {
  return n == 0 || (addr + n >= addr && p.vmas().covered(addr, addr + n, need));
}

i64 do_write(Process& p, const u64* a, bool positional) {
  if (positional && static_cast<i64>(a[3]) < 0) return err(EINVAL);
  GuestFd* f = fd_of(p, a[0]);
  if (!f) return err(EBADF);
  const u64 n = std::min(a[2], kIoMax);
  std::vector<u8> buf(n);
  if (!p.read(a[1], buf.data(), n)) return err(EFAULT);
  return guest_write(p, *f, buf.data(), n, positional ? static_cast<i64>(a[3]) : -1);
}

i64 do_read(Process& p, const u64* a, bool positional) {
  if (positional && static_cast<i64>(a[3]) < 0) return err(EINVAL);
  GuestFd* f = fd_of(p, a[0]);
  if (!f) return err(EBADF);
  const u64 n = std::min(a[2], kIoMax);
  if (!guest_range(p, a[1], n, kPermWrite)) return err(EFAULT);
  std::vector<u8> buf(n);
  const i64 r = guest_read(p, *f, buf.data(), n, positional ? static_cast<i64>(a[3]) : -1);
  if (r > 0) p.write(a[1], buf.data(), static_cast<u64>(r));
  return r;
}

i64 sys_write(Process& p, const u64* a) { return do_write(p, a, false); }
i64 sys_read(Process& p, const u64* a) { return do_read(p, a, false); }
i64 sys_pwrite64(Process& p, const u64* a) { return do_write(p, a, true); }
i64 sys_pread64(Process& p, const u64* a) { return do_read(p, a, true); }

struct GuestIov {
  u64 base, len;
};

// Reads and checks an iovec array: -errno or 0.
i64 read_iov(Process& p, u64 addr, u64 count, std::vector<GuestIov>& iov, u64& total, u8 need) {
  if (count > 1024) return err(EINVAL);
  iov.resize(count);
  if (!p.read(addr, iov.data(), count * sizeof(GuestIov))) return err(EFAULT);
  total = 0;
  for (auto& v : iov) {
    if (v.len > (u64{1} << 62) || total + v.len > kIoMax) v.len = kIoMax - std::min(total, kIoMax);
    if (!guest_range(p, v.base, v.len, need)) return err(EFAULT);
    total += v.len;
  }
  return 0;
}

i64 sys_writev(Process& p, const u64* a) {
  GuestFd* f = fd_of(p, a[0]);
  if (!f) return err(EBADF);
  std::vector<GuestIov> iov;
  u64 total = 0;
  if (i64 r = read_iov(p, a[1], a[2], iov, total, kPermRead)) return r;
  std::vector<u8> buf(total);
  u64 off = 0;
  for (const auto& v : iov) {
    p.read(v.base, buf.data() + off, v.len);
    off += v.len;
  }
  return guest_write(p, *f, buf.data(), total, -1);
}

i64 sys_readv(Process& p, const u64* a) {
  GuestFd* f = fd_of(p, a[0]);
  if (!f) return err(EBADF);
  std::vector<GuestIov> iov;
  u64 total = 0;
  if (i64 r = read_iov(p, a[1], a[2], iov, total, kPermWrite)) return r;
  std::vector<u8> buf(total);
  const i64 r = guest_read(p, *f, buf.data(), total, -1);
  if (r < 0) return r;
  u64 off = 0;
  for (const auto& v : iov) {
    const u64 n = std::min<u64>(v.len, static_cast<u64>(r) - off);
    p.write(v.base, buf.data() + off, n);
    off += n;
  }
  return r;
}

i64 sys_lseek(Process& p, const u64* a) {
  GuestFd* f = fd_of(p, a[0]);
  if (!f) return err(EBADF);
  if (f->mem) return err(ESPIPE);
  if (f->proc) {  // /proc/self/mem: any address; a directory: back to an entry
    u64& pos = f->proc->pos;
    if (a[2] == SEEK_SET)
      pos = a[1];
    else if (a[2] == SEEK_CUR)
      pos += a[1];
    else
      return err(EINVAL);
    if (f->proc->kind == ProcFile::kDirectory) pos = std::min<u64>(pos, f->proc->entries.size());
    return static_cast<i64>(pos);
  }
  return host_result(::lseek(f->host, static_cast<off_t>(a[1]), static_cast<int>(a[2])));
}

// ---- The guest's own descriptors by name --------------------------------------------------
// /dev/stdin, /dev/stdout, /dev/stderr (links to /proc/self/fd/0-2), /dev/fd/N, /proc/self/fd/N,
// /proc/thread-self/fd/N and /proc/<pid>/fd/N name the guest's descriptors, not kvrm's: they are
// answered from the FdTable whatever the root.

struct FdName {
  int fd = -1;            // the descriptor named; -1: not such a path
  bool dev_link = false;  // /dev/stdin, /dev/stdout, /dev/stderr: a link to /proc/self/fd/N
};

FdName fd_name(const std::string& raw) {
  FdName n;
  if (raw == "/dev/stdin" || raw == "/dev/stdout" || raw == "/dev/stderr") {
    n.fd = raw == "/dev/stdin" ? 0 : raw == "/dev/stdout" ? 1 : 2;
    n.dev_link = true;
    return n;
  }
  const std::string pid = std::to_string(::getpid());
  const std::string prefixes[] = {"/dev/fd/", "/proc/self/fd/", "/proc/thread-self/fd/",
                                  "/proc/" + pid + "/fd/"};
  for (const std::string& prefix : prefixes) {
    if (raw.size() <= prefix.size() || raw.compare(0, prefix.size(), prefix) != 0) continue;
    const std::string num = raw.substr(prefix.size());
    if (num.size() > 6 || num.find_first_not_of("0123456789") != std::string::npos) return n;
    n.fd = std::stoi(num);
    return n;
  }
  return n;
}

// lstat of the link itself: /proc/self/fd/N (lrwx------ as the descriptor's access mode) or
// /dev/stdout and the like (lrwxrwxrwx).
void fd_link_stat(const GuestFd* f, const FdName& n, struct stat& st) {
  st = {};
  st.st_nlink = 1;
  st.st_uid = ::getuid();
  st.st_gid = ::getgid();
  st.st_blksize = static_cast<blksize_t>(kPageSize);
  if (n.dev_link) {
    st.st_mode = S_IFLNK | 0777;
    st.st_size = 15;  // "/proc/self/fd/N"
    return;
  }
  int acc = O_RDWR;
  if (f && f->mem) acc = f->mem->input ? O_RDONLY : O_WRONLY;
  if (f && f->proc) acc = static_cast<int>(f->proc->status_flags & O_ACCMODE);
  if (f && !f->mem && !f->proc) acc = ::fcntl(f->host, F_GETFL) & O_ACCMODE;
  st.st_mode = S_IFLNK | (acc != O_WRONLY ? 0500 : 0) | (acc != O_RDONLY ? 0300 : 0);
  st.st_size = 64;
}

// ---- stat ------------------------------------------------------------------------------------

// struct stat of aarch64 (asm-generic/stat.h), 128 bytes.
struct GuestStat {
  u64 dev, ino;
  u32 mode, nlink, uid, gid;
  u64 rdev, pad1;
  i64 size;
  i32 blksize, pad2;
  i64 blocks;
  i64 atime, atime_nsec, mtime, mtime_nsec, ctime, ctime_nsec;
  u32 unused4, unused5;
};
static_assert(sizeof(GuestStat) == 128);

i64 stat_to_guest(Process& p, const struct stat& st, u64 addr) {
  GuestStat g{};
  g.dev = st.st_dev;
  g.ino = st.st_ino;
  g.mode = st.st_mode;
  g.nlink = static_cast<u32>(st.st_nlink);
  g.uid = st.st_uid;
  g.gid = st.st_gid;
  g.rdev = st.st_rdev;
  g.size = st.st_size;
  g.blksize = static_cast<i32>(st.st_blksize);
  g.blocks = st.st_blocks;
  g.atime = st.st_atim.tv_sec;
  g.atime_nsec = st.st_atim.tv_nsec;
  g.mtime = st.st_mtim.tv_sec;
  g.mtime_nsec = st.st_mtim.tv_nsec;
  g.ctime = st.st_ctim.tv_sec;
  g.ctime_nsec = st.st_ctim.tv_nsec;
  return p.write(addr, &g, sizeof g) ? 0 : err(EFAULT);
}

// A memory stream looks like a pipe end (S_IFIFO, empty, owned by the user).
void memory_stat(const MemoryStream& m, struct stat& st) {
  st = {};
  st.st_ino = m.ino;
  st.st_mode = S_IFIFO | m.mode;
  st.st_nlink = 1;
  st.st_uid = ::getuid();
  st.st_gid = ::getgid();
  st.st_blksize = static_cast<blksize_t>(kPageSize);
  st.st_atim = st.st_mtim = st.st_ctim = {m.created_sec, m.created_nsec};
}

i64 fd_stat(const GuestFd& f, struct stat& st) {
  if (f.mem) {
    memory_stat(*f.mem, st);
    return 0;
  }
  if (f.proc) {
    proc_file_stat(*f.proc, st);
    return 0;
  }
  return ::fstat(f.host, &st) == 0 ? 0 : err(errno);
}

i64 sys_fstat(Process& p, const u64* a) {
  GuestFd* f = fd_of(p, a[0]);
  if (!f) return err(EBADF);
  struct stat st;
  if (i64 e = fd_stat(*f, st)) return e;
  return stat_to_guest(p, st, a[1]);
}

// stat of a resolved path, through a descriptor opened with the sandbox's rules (no symlink
// on the way), so that a path swapped after resolution cannot show what lies outside the root.
i64 stat_resolved(Process& p, const Resolved& r, struct stat& st) {
  if (r.node.kind == ProcNode::kFdLink && !r.is_symlink) {  // the open file behind the link
    GuestFd* f = fd_of(p, static_cast<u64>(r.node.fd));
    return f ? fd_stat(*f, st) : err(ENOENT);
  }
  if (r.node.kind != ProcNode::kNone) {
    proc_stat(p, r, st);
    return 0;
  }
  if (!r.exists) return err(ENOENT);
  const int fd = p.sandbox.open(r, O_PATH, 0);
  if (fd < 0) return fd;
  const int rc = ::fstatat(fd, "", &st, AT_EMPTY_PATH);
  const int e = errno;
  ::close(fd);
  return rc == 0 ? 0 : err(e);
}

// The guest descriptor an AT_EMPTY_PATH call names; for AT_FDCWD (*cwd) the cwd resolved.
i64 empty_path_target(Process& p, u64 dirfd, GuestFd** f, Resolved& cwd) {
  *f = nullptr;
  if (static_cast<i32>(dirfd) == kAtFdcwd) return resolve_path(p, "/", p.sandbox.cwd, true, cwd);
  *f = fd_of(p, dirfd);
  return *f ? 0 : err(EBADF);
}

i64 sys_newfstatat(Process& p, const u64* a) {
  std::string raw;
  if (!p.read_string(a[1], raw)) return err(EFAULT);
  struct stat st;
  if (raw.empty() && (a[3] & kAtEmptyPath)) {
    GuestFd* f;
    Resolved cwd;
    if (i64 e = empty_path_target(p, a[0], &f, cwd)) return e;
    if (i64 e = f ? fd_stat(*f, st) : stat_resolved(p, cwd, st)) return e;
    return stat_to_guest(p, st, a[2]);
  }
  if (const FdName n = fd_name(raw); n.fd >= 0) {
    GuestFd* f = fd_of(p, static_cast<u64>(n.fd));
    if (a[3] & kAtSymlinkNofollow) {
      if (!f && !n.dev_link) return err(ENOENT);
      fd_link_stat(f, n, st);
    } else {
      if (!f) return err(ENOENT);
      if (i64 e = fd_stat(*f, st)) return e;
    }
    return stat_to_guest(p, st, a[2]);
  }
  Resolved r;
  if (i64 e = resolve_at(p, a[0], a[1], !(a[3] & kAtSymlinkNofollow), r)) return e;
  if (i64 e = stat_resolved(p, r, st)) return e;
  return stat_to_guest(p, st, a[2]);
}

// statx's answer built from a struct stat (for memory streams).
void statx_of(const struct stat& st, struct statx& x) {
  x = {};
  x.stx_mask = STATX_BASIC_STATS;
  x.stx_blksize = static_cast<u32>(st.st_blksize);
  x.stx_nlink = static_cast<u32>(st.st_nlink);
  x.stx_uid = st.st_uid;
  x.stx_gid = st.st_gid;
  x.stx_mode = static_cast<u16>(st.st_mode);
  x.stx_ino = st.st_ino;
  x.stx_size = static_cast<u64>(st.st_size);
  x.stx_blocks = static_cast<u64>(st.st_blocks);
  auto ts = [](const struct timespec& t) {
    return statx_timestamp{t.tv_sec, static_cast<u32>(t.tv_nsec), 0};
  };
  x.stx_atime = ts(st.st_atim);
  x.stx_mtime = ts(st.st_mtim);
  x.stx_ctime = ts(st.st_ctim);
}

// statx of a guest descriptor, and of a resolved path through a descriptor opened with the
// sandbox's rules (as stat_resolved).
i64 statx_fd(const GuestFd& f, int flags, unsigned mask, struct statx& stx) {
  if (f.mem || f.proc) {
    struct stat st;
    fd_stat(f, st);
    statx_of(st, stx);
    return 0;
  }
  return ::statx(f.host, "", flags | AT_EMPTY_PATH, mask, &stx) == 0 ? 0 : err(errno);
}

i64 statx_resolved(Process& p, const Resolved& r, int flags, unsigned mask, struct statx& stx) {
  if (r.node.kind != ProcNode::kNone) {
    struct stat st;
    if (i64 e = stat_resolved(p, r, st)) return e;
    statx_of(st, stx);
    return 0;
  }
  if (!r.exists) return err(ENOENT);
  const int fd = p.sandbox.open(r, O_PATH, 0);
  if (fd < 0) return fd;
  const long rc = ::statx(fd, "", flags | AT_EMPTY_PATH, mask, &stx);
  const int e = errno;
  ::close(fd);
  return rc == 0 ? 0 : err(e);
}

i64 sys_statx(Process& p, const u64* a) {
  std::string raw;
  if (!p.read_string(a[1], raw)) return err(EFAULT);
  struct statx stx;
  const int flags = static_cast<int>(a[2]) & ~static_cast<int>(kAtSymlinkNofollow | kAtEmptyPath);
  if (raw.empty() && (a[2] & kAtEmptyPath)) {
    GuestFd* f;
    Resolved cwd;
    if (i64 e = empty_path_target(p, a[0], &f, cwd)) return e;
    if (i64 e = f ? statx_fd(*f, flags, static_cast<unsigned>(a[3]), stx)
                  : statx_resolved(p, cwd, flags, static_cast<unsigned>(a[3]), stx))
      return e;
  } else if (const FdName n = fd_name(raw); n.fd >= 0) {
    GuestFd* f = fd_of(p, static_cast<u64>(n.fd));
    struct stat st;
    if (a[2] & kAtSymlinkNofollow) {
      if (!f && !n.dev_link) return err(ENOENT);
      fd_link_stat(f, n, st);
      statx_of(st, stx);
    } else if (!f) {
      return err(ENOENT);
    } else if (i64 e = statx_fd(*f, flags, static_cast<unsigned>(a[3]), stx)) {
      return e;
    }
  } else {
    Resolved res;
    if (i64 e = resolve_at(p, a[0], a[1], !(a[2] & kAtSymlinkNofollow), res)) return e;
    if (i64 e = statx_resolved(p, res, flags, static_cast<unsigned>(a[3]), stx)) return e;
  }
  return p.write(a[4], &stx, sizeof stx) ? 0 : err(EFAULT);
}

// access() of a resolved path, through a descriptor opened with the sandbox's rules.
i64 access_resolved(Process& p, const Resolved& r, int mode, u64 flags) {
  if (r.node.kind == ProcNode::kFdLink && !r.is_symlink) {  // a pipe or a terminal: rw
    return fd_of(p, static_cast<u64>(r.node.fd)) ? ((mode & X_OK) ? err(EACCES) : 0) : err(ENOENT);
  }
  if (r.node.kind != ProcNode::kNone) {
    struct stat st;
    proc_stat(p, r, st);
    if (S_ISLNK(st.st_mode)) return 0;
    const int allowed = S_ISDIR(st.st_mode)   ? (R_OK | X_OK)
                        : (st.st_mode & 0200) ? R_OK | W_OK
                                              : R_OK;
    return (mode & ~allowed) ? err(EACCES) : 0;
  }
  if (!r.exists) return err(ENOENT);
  if ((mode & W_OK) && !write_ok(p, r)) return err(EROFS);
  const int fd = p.sandbox.open(r, O_PATH, 0);
  if (fd < 0) return fd;
  const int at_flags = static_cast<int>(flags & kAtEaccess) | AT_EMPTY_PATH;
  long rc = ::syscall(SYS_faccessat2, fd, "", mode, at_flags);
  if (rc != 0 && errno == ENOSYS) {  // kernels before 5.8: the descriptor's magic link
    rc = ::faccessat(AT_FDCWD, ("/proc/self/fd/" + std::to_string(fd)).c_str(), mode,
                     static_cast<int>(flags & kAtEaccess));
  }
  const int e = errno;
  ::close(fd);
  return rc == 0 ? 0 : err(e);
}

i64 do_faccessat(Process& p, const u64* a, u64 flags) {
  if (a[2] & ~u64{7}) return err(EINVAL);
  if (flags & ~(kAtSymlinkNofollow | kAtEaccess | kAtEmptyPath)) return err(EINVAL);
  std::string raw;
  if (!p.read_string(a[1], raw)) return err(EFAULT);
  const int mode = static_cast<int>(a[2]);
  if (const FdName n = fd_name(raw); n.fd >= 0 && !(flags & kAtSymlinkNofollow)) {
    GuestFd* f = fd_of(p, static_cast<u64>(n.fd));
    if (!f) return err(ENOENT);
    if (f->path.empty()) return (mode & X_OK) ? err(EACCES) : 0;  // a pipe or a terminal: rw
    Resolved fr;
    if (i64 e = resolve_path(p, "/", f->path, true, fr)) return e;
    return access_resolved(p, fr, mode, flags);
  }
  Resolved r;
  if (i64 e = resolve_at(p, a[0], a[1], !(flags & kAtSymlinkNofollow), r)) return e;
  return access_resolved(p, r, mode, flags);
}
i64 sys_faccessat(Process& p, const u64* a) { return do_faccessat(p, a, 0); }
i64 sys_faccessat2(Process& p, const u64* a) { return do_faccessat(p, a, a[3]); }

// ---- open, close, directories
// --------------------------------------------------------------------

i64 reopen_fd(Process& p, int n, u64 g, u64 mode);

// A FIFO opened for reading or writing alone waits for its other end, as on Linux. The wait is
// a host thread's blocking open; when the guest must stop waiting (its timeout, cancel(), a
// signal) kvrm opens the other end itself to release it, and drops both.
i64 open_fifo(Process& p, const Resolved& r, int hflags) {
  const int path_fd = p.sandbox.open(r, O_PATH, 0);
  if (path_fd < 0) return path_fd;
  const std::string via = "/proc/self/fd/" + std::to_string(path_fd);
  int done[2];
  if (::pipe2(done, O_CLOEXEC) != 0) {
    const int e = errno;
    ::close(path_fd);
    return err(e);
  }
  int opened = -1, open_errno = 0;
  std::thread waiter([&] {
    opened = ::open(via.c_str(), hflags | O_CLOEXEC);
    open_errno = errno;
    const char c = 0;
    [[maybe_unused]] const ssize_t n = ::write(done[1], &c, 1);
  });
  // Blocks every thread of the guest: the opening thread waits on the host thread above.
  const Process::Wait w = p.wait_fd(done[0], POLLIN, false);
  if (w != Process::Wait::Ready) {
    const int other = ::open(via.c_str(), O_RDWR | O_NONBLOCK | O_CLOEXEC);
    waiter.join();
    if (other >= 0) ::close(other);
    if (opened >= 0) ::close(opened);
  } else {
    waiter.join();
  }
  ::close(done[0]);
  ::close(done[1]);
  ::close(path_fd);
  if (w != Process::Wait::Ready) return w == Process::Wait::Interrupted ? kRestartSys : err(EINTR);
  return opened < 0 ? err(open_errno) : opened;
}

i64 open_resolved(Process& p, const Resolved& r, u64 g, u64 mode_arg) {
  if (r.node.kind == ProcNode::kFdLink && !r.is_symlink)
    return reopen_fd(p, r.node.fd, g, mode_arg);
  if (r.node.kind != ProcNode::kNone) return proc_open(p, r, g);
  const bool creat = g & O_CREAT, tmpfile = (g & 020000000) != 0;
  const bool writes = (g & O_ACCMODE) != O_RDONLY || (g & O_TRUNC) || tmpfile;
  if (!r.exists) {
    if (!creat) return err(ENOENT);
    if (!write_ok(p, r)) return err(EROFS);
  } else {
    if (creat && (g & O_EXCL)) return err(EEXIST);
    if (writes && !r.is_dir && !write_ok(p, r)) return err(EROFS);
  }
  if (tmpfile && !write_ok(p, r)) return err(EROFS);
  // A new file gets mode & ~umask with the guest's umask alone: the host's (which kvrm never
  // changes) removed bits too, so they are set again on the file kvrm has just created.
  const unsigned mode = static_cast<unsigned>(mode_arg) & 07777 & ~p.umask;
  const int hflags = host_open_flags(g) & ~O_CLOEXEC;
  const bool creating = creat && !r.exists;
  if (r.exists && r.is_fifo && !(hflags & O_NONBLOCK) && (hflags & O_ACCMODE) != O_RDWR) {
    const i64 fd = open_fifo(p, r, hflags);
    if (fd < 0) return fd;
    return p.fds.install(
        {static_cast<int>(fd), true, (g & O_CLOEXEC) != 0, r.guest, nullptr, nullptr});
  }
  int fd = p.sandbox.open(r, creating ? hflags | O_EXCL : hflags, mode);
  if (creating && fd == -EEXIST && !(g & O_EXCL)) {
    fd = p.sandbox.open(r, hflags, mode);  // someone else created it meanwhile
  } else if ((creating || tmpfile) && fd >= 0) {
    ::fchmod(fd, mode);
  }
  if (fd < 0) return fd;
  return p.fds.install({fd, true, (g & O_CLOEXEC) != 0, r.guest, nullptr, nullptr});
}

// Opening /dev/stdout, /proc/self/fd/N and the like: a new open of the guest's descriptor N.
// A file the guest opened by name is opened again by that name (the sandbox rules apply); a
// pipe, a terminal or a memory stream is reopened with at most the access it has.
i64 reopen_fd(Process& p, int n, u64 g, u64 mode) {
  if (g & kGNofollow) return err(ELOOP);  // the final component is a link
  GuestFd* f = fd_of(p, static_cast<u64>(n));
  if (!f) return err(ENOENT);
  const bool cloexec = g & O_CLOEXEC;
  if (!f->path.empty()) {
    Resolved r;
    if (i64 e = resolve_path(p, "/", f->path, true, r)) return e;
    return open_resolved(p, r, g, mode);
  }
  const u64 acc = g & O_ACCMODE;
  const bool want_read = acc != O_WRONLY, want_write = acc != O_RDONLY;
  if (f->mem) {
    if ((want_read && !f->mem->input) || (want_write && !f->mem->output)) return err(EACCES);
    return p.fds.install({-1, false, cloexec, "", f->mem, nullptr});
  }
  // A descriptor the guest did not open by name (its stdio, a pipe): a file behind it gets the
  // sandbox's write rule by its host path, whatever name reached it, unless the descriptor can
  // write it already (truncating always needs the rule). A pipe or a terminal has no contents
  // to change.
  struct stat st;
  if (::fstat(f->host, &st) != 0) return err(errno);
  const int has = ::fcntl(f->host, F_GETFL) & O_ACCMODE;
  const bool writes = (want_write && has == O_RDONLY) || (g & O_TRUNC);
  if (writes && (S_ISREG(st.st_mode) || S_ISDIR(st.st_mode))) {
    char buf[PATH_MAX];
    const ssize_t k =
        ::readlink(("/proc/self/fd/" + std::to_string(f->host)).c_str(), buf, sizeof buf - 1);
    if (k <= 0 || buf[0] != '/' || !p.sandbox.writable(std::string(buf, static_cast<size_t>(k))))
      return err(S_ISDIR(st.st_mode) ? EISDIR : EROFS);
  }
  if ((want_read && has == O_WRONLY) || (want_write && has == O_RDONLY)) return err(EACCES);
  const int hflags = (host_open_flags(g) & ~(O_CREAT | O_EXCL | O_NOFOLLOW)) | O_CLOEXEC;
  int h = ::open(("/proc/self/fd/" + std::to_string(f->host)).c_str(), hflags);
  if (h < 0 && errno == ENOENT) h = ::fcntl(f->host, F_DUPFD_CLOEXEC, 3);  // no /proc here
  if (h < 0) return err(errno);
  return p.fds.install({h, true, cloexec, "", nullptr, nullptr});
}

i64 sys_openat(Process& p, const u64* a) {
  std::string raw;
  if (!p.read_string(a[1], raw)) return err(raw.size() >= 4096 ? ENAMETOOLONG : EFAULT);
  if (const FdName n = fd_name(raw); n.fd >= 0) return reopen_fd(p, n.fd, a[2], a[3]);
  Resolved r;
  if (i64 e = resolve_at(p, a[0], a[1], !(a[2] & kGNofollow), r)) return e;
  return open_resolved(p, r, a[2], a[3]);
}

i64 sys_close(Process& p, const u64* a) { return p.fds.close(a[0]); }

i64 sys_getdents64(Process& p, const u64* a) {
  GuestFd* f = fd_of(p, a[0]);
  if (!f) return err(EBADF);
  if (f->mem) return err(ENOTDIR);
  const u64 n = std::min<u64>(a[2], u64{1} << 20);
  if (!guest_range(p, a[1], n, kPermWrite)) return err(EFAULT);
  if (f->proc) {
    if (f->proc->kind != ProcFile::kDirectory) return err(ENOTDIR);
    return proc_getdents(p, *f->proc, a[1], n);
  }
  std::vector<u8> buf(n);
  // struct linux_dirent64 is the same on every architecture: the records go through as they are,
  // less the names the guest does not see in /proc (other processes) and the host's /dev.
  const bool proc = f->path == "/proc", dev = f->path == "/dev" && p.sandbox.root().empty();
  long r;
  for (;;) {
    r = ::syscall(SYS_getdents64, f->host, buf.data(), n);
    if (r < 0) return err(errno);
    if (!proc && !dev) break;
    long out = 0;
    for (long at = 0; at < r;) {
      u16 len;
      std::memcpy(&len, &buf[static_cast<size_t>(at) + 16], 2);
      const std::string name(reinterpret_cast<const char*>(&buf[static_cast<size_t>(at) + 19]));
      const bool visible = name == "." || name == ".." ||
                           (proc ? proc_entry_visible(name) : dev_entry_visible(name));
      if (visible) {
        std::memmove(&buf[static_cast<size_t>(out)], &buf[static_cast<size_t>(at)], len);
        out += len;
      }
      at += len;
    }
    if (out > 0 || r == 0) {
      r = out;
      break;
    }
  }  // every entry of this batch hidden: the next one
  p.write(a[1], buf.data(), static_cast<u64>(r));
  return r;
}

i64 sys_readlinkat(Process& p, const u64* a) {
  if (static_cast<i64>(a[3]) <= 0) return err(EINVAL);
  Resolved r;
  std::string raw;
  const i64 e = resolve_at(p, a[0], a[1], false, r, &raw);
  if (e == err(EFAULT) && raw.empty()) return e;
  std::string target;
  const FdName fn = fd_name(raw);
  if (fn.dev_link) {
    target = "/proc/self/fd/" + std::to_string(fn.fd);
  } else if (fn.fd >= 0) {
    GuestFd* f = fd_of(p, static_cast<u64>(fn.fd));
    if (!f) return err(ENOENT);
    target = fd_link_target(p, *f);
  } else {
    if (e) return e;
    if (r.node.kind != ProcNode::kNone) {
      if (!r.is_symlink) return err(EINVAL);
      target = proc_link_target(p, r);
    } else {
      if (!r.exists) return err(ENOENT);
      // Through a descriptor opened with the sandbox's rules, as stat.
      const int fd = p.sandbox.open(r, O_PATH, 0);
      if (fd < 0) return fd;
      char buf[4096];
      const ssize_t n = ::readlinkat(fd, "", buf, sizeof buf);
      const int en = errno;
      ::close(fd);
      if (n < 0) return err(en == ENOENT ? EINVAL : en);  // not a link
      target.assign(buf, static_cast<size_t>(n));
    }
  }
  const u64 n = std::min<u64>(target.size(), a[3]);
  return p.write(a[2], target.data(), n) ? static_cast<i64>(n) : err(EFAULT);
}

i64 sys_getcwd(Process& p, const u64* a) {
  const std::string& c = p.sandbox.cwd;
  if (a[1] < c.size() + 1) return err(ERANGE);
  return p.write(a[0], c.c_str(), c.size() + 1) ? static_cast<i64>(c.size() + 1) : err(EFAULT);
}

i64 change_dir(Process& p, const Resolved& r) {
  if (!r.exists) return err(ENOENT);
  if (!r.is_dir) return err(ENOTDIR);
  if (i64 e = access_resolved(p, r, X_OK, 0)) return e;
  p.sandbox.cwd = r.guest;
  return 0;
}

i64 sys_chdir(Process& p, const u64* a) {
  Resolved r;
  if (i64 e = resolve_at(p, static_cast<u64>(kAtFdcwd), a[0], true, r)) return e;
  return change_dir(p, r);
}

i64 sys_fchdir(Process& p, const u64* a) {
  GuestFd* f = fd_of(p, a[0]);
  if (!f) return err(EBADF);
  if (f->path.empty()) return err(ENOTDIR);
  Resolved r;
  if (i64 e = resolve_path(p, "/", f->path, true, r)) return e;
  return change_dir(p, r);
}

// ---- descriptors ------------------------------------------------------------------------------

// A new guest descriptor for the same open file: a host dup, or the same memory stream.
i64 duplicate(const GuestFd& f, bool cloexec, GuestFd& out) {
  out = GuestFd{-1, false, cloexec, f.path, f.mem, f.proc};
  if (f.mem || f.proc) return 0;
  out.host = ::fcntl(f.host, F_DUPFD_CLOEXEC, 3);
  if (out.host < 0) return err(errno);
  out.owned = true;
  return 0;
}

i64 dup_to(Process& p, GuestFd& f, int min, bool cloexec) {
  GuestFd d;
  if (i64 e = duplicate(f, cloexec, d)) return e;
  return p.fds.install(std::move(d), min);
}

i64 sys_dup(Process& p, const u64* a) {
  GuestFd* f = fd_of(p, a[0]);
  if (!f) return err(EBADF);
  return dup_to(p, *f, 0, false);
}

i64 sys_dup3(Process& p, const u64* a) {
  if (a[2] & ~u64{O_CLOEXEC}) return err(EINVAL);
  GuestFd* f = fd_of(p, a[0]);
  if (!f) return err(EBADF);
  if (a[0] == a[1]) return err(EINVAL);
  if (a[1] >= FdTable::kMax) return err(EBADF);
  GuestFd d;
  if (i64 e = duplicate(*f, (a[2] & O_CLOEXEC) != 0, d)) return e;
  return p.fds.install_at(std::move(d), static_cast<int>(a[1]));
}

i64 sys_fcntl(Process& p, const u64* a) {
  GuestFd* f = fd_of(p, a[0]);
  if (!f) return err(EBADF);
  switch (a[1]) {
    case F_DUPFD:
    case F_DUPFD_CLOEXEC:
      if (a[2] >= FdTable::kMax) return err(EINVAL);
      return dup_to(p, *f, static_cast<int>(a[2]), a[1] == F_DUPFD_CLOEXEC);
    case F_GETFD: return f->cloexec ? FD_CLOEXEC : 0;
    case F_SETFD: f->cloexec = a[2] & FD_CLOEXEC; return 0;
    case F_GETFL: {
      if (f->mem) return f->mem->status_flags;
      if (f->proc) return guest_open_flags(static_cast<int>(f->proc->status_flags));
      const int h = ::fcntl(f->host, F_GETFL);
      if (h < 0) return err(errno);
      // kvrm opens with O_NOFOLLOW on the host: the guest sees its own request.
      return static_cast<i64>(guest_open_flags(h & ~O_NOFOLLOW));
    }
    case F_SETFL:
      if (f->mem || f->proc) {  // the flags F_SETFL may change (O_DIRECT is EINVAL on a pipe)
        constexpr u32 kSettable = O_APPEND | O_NONBLOCK | O_ASYNC | O_NOATIME;
        u32& flags = f->mem ? f->mem->status_flags : f->proc->status_flags;
        flags = (flags & ~kSettable) | (static_cast<u32>(a[2]) & kSettable);
        return 0;
      }
      return host_result(::fcntl(f->host, F_SETFL, host_open_flags(a[2])));
    default: return err(EINVAL);
  }
}

i64 sys_pipe2(Process& p, const u64* a) {
  if (a[1] & ~(u64{O_CLOEXEC | O_NONBLOCK} | kGDirect)) return err(EINVAL);
  int h[2];
  if (::pipe2(h, host_open_flags(a[1]) | O_CLOEXEC) != 0) return err(errno);
  const bool cloexec = a[1] & O_CLOEXEC;
  const int r = p.fds.install({h[0], true, cloexec, "", nullptr, nullptr});
  if (r < 0) {
    ::close(h[1]);
    return r;
  }
  const int w = p.fds.install({h[1], true, cloexec, "", nullptr, nullptr});
  if (w < 0) {
    p.fds.close(static_cast<u64>(r));
    return w;
  }
  const i32 g[2] = {r, w};
  if (!p.write(a[0], g, sizeof g)) {
    p.fds.close(static_cast<u64>(r));
    p.fds.close(static_cast<u64>(w));
    return err(EFAULT);
  }
  return 0;
}

i64 sys_umask(Process& p, const u64* a) {
  const u32 old = p.umask;
  p.umask = static_cast<u32>(a[0]) & 0777;
  return old;
}

i64 sys_ioctl(Process& p, const u64* a) {
  constexpr u64 kTcgets = 0x5401, kTiocgwinsz = 0x5413;  // the same numbers on both
  GuestFd* f = fd_of(p, a[0]);
  if (!f) return err(EBADF);
  if (f->mem || f->proc) return err(ENOTTY);  // a pipe end or a /proc file: no terminal
  if (a[1] == kTcgets) {
    // struct termios of the kernel: 4 u32 flags, c_line, 19 c_cc: 36 bytes, the same on
    // x86-64 and aarch64.
    u8 t[64] = {};
    if (::ioctl(f->host, TCGETS, t) != 0) return err(errno);
    return p.write(a[2], t, 36) ? 0 : err(EFAULT);
  }
  if (a[1] == kTiocgwinsz) {
    struct winsize w;
    if (::ioctl(f->host, TIOCGWINSZ, &w) != 0) return err(errno);
    return p.write(a[2], &w, sizeof w) ? 0 : err(EFAULT);
  }
  return err(ENOTTY);
}

// statfs and fstatfs: the host's answer for the file (struct statfs is laid out alike on
// x86-64 and aarch64). kvrm's own /proc/self objects and memory streams answer as Linux's
// procfs and pipefs do.
i64 statfs_to_guest(Process& p, const struct statfs& fs, u64 at) {
  static_assert(sizeof(struct statfs) == 120);
  return p.write(at, &fs, sizeof fs) ? 0 : err(EFAULT);
}
i64 pseudo_statfs(Process& p, long magic, u64 at) {
  struct statfs fs {};
  fs.f_type = magic;
  fs.f_bsize = fs.f_frsize = kPageSize;
  fs.f_namelen = 255;
  return statfs_to_guest(p, fs, at);
}
constexpr long kProcSuperMagic = 0x9fa0, kPipefsMagic = 0x50495045;

i64 sys_statfs(Process& p, const u64* a) {
  Resolved r;
  if (i64 e = resolve_at(p, static_cast<u64>(kAtFdcwd), a[0], true, r)) return e;
  if (r.proc || r.node.kind != ProcNode::kNone) return pseudo_statfs(p, kProcSuperMagic, a[1]);
  if (!r.exists) return err(ENOENT);
  const int fd = p.sandbox.open(r, O_PATH, 0);
  if (fd < 0) return fd;
  struct statfs fs;
  const int rc = ::fstatfs(fd, &fs);
  const int e = errno;
  ::close(fd);
  return rc == 0 ? statfs_to_guest(p, fs, a[1]) : err(e);
}

i64 sys_fstatfs(Process& p, const u64* a) {
  GuestFd* f = fd_of(p, a[0]);
  if (!f) return err(EBADF);
  if (f->mem) return pseudo_statfs(p, kPipefsMagic, a[1]);
  if (f->proc) return pseudo_statfs(p, kProcSuperMagic, a[1]);
  struct statfs fs;
  if (::fstatfs(f->host, &fs) != 0) return err(errno);
  return statfs_to_guest(p, fs, a[1]);
}

// getxattr, lgetxattr, fgetxattr and listxattr, llistxattr, flistxattr: the host file's
// extended attributes, read-only (setting and removing them stay unimplemented). A symbolic
// link itself (the l* calls on one) has none; nor have kvrm's /proc/self objects and memory
// streams. `name_addr` 0: the list.
i64 xattr_of_host(Process& p, int host_fd, u64 name_addr, u64 buf, u64 size) {
  const std::string at = "/proc/self/fd/" + std::to_string(host_fd);  // the open file, as is
  std::string name;
  if (name_addr && !p.read_string(name_addr, name)) return err(EFAULT);
  if (name_addr && (name.empty() || name.size() > 255)) return err(ERANGE);
  const u64 cap = std::min<u64>(size, u64{1} << 16);
  std::vector<char> v(cap ? cap : 1);
  const ssize_t n = name_addr ? ::getxattr(at.c_str(), name.c_str(), v.data(), cap)
                              : ::listxattr(at.c_str(), v.data(), cap);
  if (n < 0) return err(errno);
  if (size && !p.write(buf, v.data(), static_cast<u64>(n))) return err(EFAULT);
  return n;
}
i64 xattr_path(Process& p, const u64* a, bool follow, bool get) {
  Resolved r;
  if (i64 e = resolve_at(p, static_cast<u64>(kAtFdcwd), a[0], follow, r)) return e;
  if (r.proc || r.node.kind != ProcNode::kNone || r.is_symlink) return get ? err(ENODATA) : 0;
  if (!r.exists) return err(ENOENT);
  const int fd = p.sandbox.open(r, O_PATH, 0);
  if (fd < 0) return fd;
  const i64 n = get ? xattr_of_host(p, fd, a[1], a[2], a[3]) : xattr_of_host(p, fd, 0, a[1], a[2]);
  ::close(fd);
  return n;
}
i64 sys_getxattr(Process& p, const u64* a) { return xattr_path(p, a, true, true); }
i64 sys_lgetxattr(Process& p, const u64* a) { return xattr_path(p, a, false, true); }
i64 sys_listxattr(Process& p, const u64* a) { return xattr_path(p, a, true, false); }
i64 sys_llistxattr(Process& p, const u64* a) { return xattr_path(p, a, false, false); }
i64 sys_fgetxattr(Process& p, const u64* a) {
  GuestFd* f = fd_of(p, a[0]);
  if (!f) return err(EBADF);
  if (f->host < 0) return err(ENODATA);
  return xattr_of_host(p, f->host, a[1], a[2], a[3]);
}
i64 sys_flistxattr(Process& p, const u64* a) {
  GuestFd* f = fd_of(p, a[0]);
  if (!f) return err(EBADF);
  if (f->host < 0) return 0;
  return xattr_of_host(p, f->host, 0, a[1], a[2]);
}

}  // namespace

void add_file_syscalls(SyscallDef* d) {
  d[8] = {"getxattr", "ssxu", sys_getxattr};
  d[9] = {"lgetxattr", "ssxu", sys_lgetxattr};
  d[10] = {"fgetxattr", "dsxu", sys_fgetxattr};
  d[11] = {"listxattr", "sxu", sys_listxattr};
  d[12] = {"llistxattr", "sxu", sys_llistxattr};
  d[13] = {"flistxattr", "dxu", sys_flistxattr};
  d[17] = {"getcwd", "xu", sys_getcwd};
  d[23] = {"dup", "d", sys_dup};
  d[24] = {"dup3", "ddx", sys_dup3};
  d[25] = {"fcntl", "ddx", sys_fcntl};
  d[29] = {"ioctl", "dxx", sys_ioctl};
  d[43] = {"statfs", "sx", sys_statfs};
  d[44] = {"fstatfs", "dx", sys_fstatfs};
  d[48] = {"faccessat", "dso", sys_faccessat};
  d[49] = {"chdir", "s", sys_chdir};
  d[50] = {"fchdir", "d", sys_fchdir};
  d[56] = {"openat", "dsxo", sys_openat};
  d[57] = {"close", "d", sys_close};
  d[59] = {"pipe2", "xx", sys_pipe2};
  d[61] = {"getdents64", "dxu", sys_getdents64};
  d[62] = {"lseek", "ddd", sys_lseek};
  d[63] = {"read", "dxu", sys_read};
  d[64] = {"write", "dxu", sys_write};
  d[65] = {"readv", "dxd", sys_readv};
  d[66] = {"writev", "dxd", sys_writev};
  d[67] = {"pread64", "dxud", sys_pread64};
  d[68] = {"pwrite64", "dxud", sys_pwrite64};
  d[78] = {"readlinkat", "dsxu", sys_readlinkat};
  d[79] = {"newfstatat", "dsxx", sys_newfstatat};
  d[80] = {"fstat", "dx", sys_fstat};
  d[166] = {"umask", "o", sys_umask};
  d[291] = {"statx", "dsxxx", sys_statx};
  d[439] = {"faccessat2", "dsox", sys_faccessat2};
}

}  // namespace kvrm::os::detail

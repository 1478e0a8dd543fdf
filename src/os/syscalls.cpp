// The syscalls of this slice of the Linux layer. Guest pointers are checked against the memory
// map (Process::read/write): a bad pointer is -EFAULT, never a host crash. Guest file
// descriptors 0, 1 and 2 are the host's; there are no others yet (files come with the sandbox).
#include "os/syscalls.hpp"

#include <sched.h>
#include <sys/ioctl.h>
#include <sys/random.h>
#include <sys/resource.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <sys/uio.h>
#include <sys/utsname.h>
#include <time.h>
#include <unistd.h>

#include <cerrno>
#include <cstdio>
#include <cstring>
#include <string>
#include <vector>

#include "isa/mmu.hpp"
#include "os/process.hpp"

namespace kvrm::os {
namespace {

// The generic Linux errno values (the same on aarch64 and x86-64).
constexpr i64 err(int e) { return -static_cast<i64>(e); }
constexpr u64 kIoMax = u64{16} << 20;  // the most bytes one read/write moves
constexpr u64 kUserTop = u64{1} << 47;

i64 host_result(long r) { return r < 0 ? err(errno) : r; }
bool std_fd(u64 fd) { return fd <= 2; }
u64 page_up(u64 v) { return (v + kPageMask) & ~kPageMask; }

// ---- I/O on the host's standard descriptors ---------------------------------------------------

i64 sys_write(Process& p, const u64* a) {
  if (!std_fd(a[0])) return err(EBADF);
  const u64 n = std::min(a[2], kIoMax);
  std::vector<u8> buf(n);
  if (!p.read(a[1], buf.data(), n)) return err(EFAULT);
  return host_result(::write(static_cast<int>(a[0]), buf.data(), n));
}

i64 sys_read(Process& p, const u64* a) {
  if (!std_fd(a[0])) return err(EBADF);
  const u64 n = std::min(a[2], kIoMax);
  if (n && (a[1] + n < a[1] || !p.vmas().covered(a[1], a[1] + n, kPermWrite))) return err(EFAULT);
  std::vector<u8> buf(n);
  const long r = ::read(static_cast<int>(a[0]), buf.data(), n);
  if (r < 0) return err(errno);
  p.write(a[1], buf.data(), static_cast<u64>(r));
  return r;
}

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
    if (v.len && (v.base + v.len < v.base || !p.vmas().covered(v.base, v.base + v.len, need)))
      return err(EFAULT);
    total += v.len;
  }
  return 0;
}

i64 sys_writev(Process& p, const u64* a) {
  if (!std_fd(a[0])) return err(EBADF);
  std::vector<GuestIov> iov;
  u64 total = 0;
  if (i64 r = read_iov(p, a[1], a[2], iov, total, kPermRead)) return r;
  std::vector<u8> buf(total);
  u64 off = 0;
  for (const auto& v : iov) {
    p.read(v.base, buf.data() + off, v.len);
    off += v.len;
  }
  return host_result(::write(static_cast<int>(a[0]), buf.data(), total));
}

i64 sys_readv(Process& p, const u64* a) {
  if (!std_fd(a[0])) return err(EBADF);
  std::vector<GuestIov> iov;
  u64 total = 0;
  if (i64 r = read_iov(p, a[1], a[2], iov, total, kPermWrite)) return r;
  std::vector<u8> buf(total);
  const long r = ::read(static_cast<int>(a[0]), buf.data(), total);
  if (r < 0) return err(errno);
  u64 off = 0;
  for (const auto& v : iov) {
    const u64 n = std::min<u64>(v.len, static_cast<u64>(r) - off);
    p.write(v.base, buf.data() + off, n);
    off += n;
  }
  return r;
}

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

i64 sys_fstat(Process& p, const u64* a) {
  if (!std_fd(a[0])) return err(EBADF);
  struct stat st;
  if (::fstat(static_cast<int>(a[0]), &st) != 0) return err(errno);
  return stat_to_guest(p, st, a[1]);
}

i64 sys_newfstatat(Process& p, const u64* a) {
  constexpr u64 AT_EMPTY_PATH = 0x1000;
  std::string path;
  if (!p.read_string(a[1], path)) return err(EFAULT);
  if (path.empty() && (a[3] & AT_EMPTY_PATH)) {
    const u64 f[2] = {a[0], a[2]};
    return sys_fstat(p, f);
  }
  return err(ENOSYS);  // paths come with the sandboxed file system
}

i64 sys_ioctl(Process& p, const u64* a) {
  constexpr u64 kTcgets = 0x5401, kTiocgwinsz = 0x5413;  // the same numbers on both
  if (!std_fd(a[0])) return err(EBADF);
  const int fd = static_cast<int>(a[0]);
  if (a[1] == kTcgets) {
    // struct termios of the kernel: 4 u32 flags, c_line, 19 c_cc: 36 bytes, the same on
    // x86-64 and aarch64.
    u8 t[64] = {};
    if (::ioctl(fd, TCGETS, t) != 0) return err(errno);
    return p.write(a[2], t, 36) ? 0 : err(EFAULT);
  }
  if (a[1] == kTiocgwinsz) {
    struct winsize w;
    if (::ioctl(fd, TIOCGWINSZ, &w) != 0) return err(errno);
    return p.write(a[2], &w, sizeof w) ? 0 : err(EFAULT);
  }
  return err(ENOTTY);
}

// ---- Process ----------------------------------------------------------------------------------

i64 sys_exit(Process& p, const u64* a) {
  p.exit(static_cast<int>(a[0] & 0xff));
  return 0;
}

i64 sys_set_tid_address(Process& p, const u64* a) {
  p.clear_child_tid = a[0];
  return ::getpid();
}
i64 sys_set_robust_list(Process&, const u64* a) { return a[1] == 24 ? 0 : err(EINVAL); }
i64 sys_getpid(Process&, const u64*) { return ::getpid(); }
i64 sys_getppid(Process&, const u64*) { return ::getppid(); }
i64 sys_getuid(Process&, const u64*) { return ::getuid(); }
i64 sys_geteuid(Process&, const u64*) { return ::geteuid(); }
i64 sys_getgid(Process&, const u64*) { return ::getgid(); }
i64 sys_getegid(Process&, const u64*) { return ::getegid(); }

i64 sys_uname(Process& p, const u64* a) {
  struct utsname u;
  if (::uname(&u) != 0) return err(errno);
  char g[6][65] = {};
  std::snprintf(g[0], 65, "Linux");
  std::snprintf(g[1], 65, "%s", u.nodename);
  std::snprintf(g[2], 65, "%s", u.release);
  std::snprintf(g[3], 65, "%s", u.version);
  std::snprintf(g[4], 65, "aarch64");
  std::snprintf(g[5], 65, "%s", u.domainname);
  return p.write(a[0], g, sizeof g) ? 0 : err(EFAULT);
}

i64 sys_clock_gettime(Process& p, const u64* a) {
  struct timespec ts;
  if (::clock_gettime(static_cast<clockid_t>(a[0]), &ts) != 0) return err(errno);
  const i64 g[2] = {ts.tv_sec, ts.tv_nsec};
  return p.write(a[1], g, sizeof g) ? 0 : err(EFAULT);
}

i64 sys_getrandom(Process& p, const u64* a) {
  const u64 n = std::min(a[1], kIoMax);
  if (n && (a[0] + n < a[0] || !p.vmas().covered(a[0], a[0] + n, kPermWrite))) return err(EFAULT);
  std::vector<u8> buf(n);
  const long r = ::getrandom(buf.data(), n, static_cast<unsigned>(a[2]));
  if (r < 0) return err(errno);
  p.write(a[0], buf.data(), static_cast<u64>(r));
  return r;
}

i64 sys_prlimit64(Process& p, const u64* a) {
  if (a[0] != 0 && a[0] != static_cast<u64>(::getpid())) return err(ESRCH);
  if (a[1] >= RLIM_NLIMITS) return err(EINVAL);
  if (a[2]) return err(EPERM);  // setting limits is not supported
  if (a[3]) {
    struct rlimit r;
    if (::getrlimit(static_cast<__rlimit_resource>(a[1]), &r) != 0) return err(errno);
    u64 g[2] = {r.rlim_cur, r.rlim_max};
    if (a[1] == RLIMIT_STACK) g[0] = Process::kStackSize;
    if (!p.write(a[3], g, sizeof g)) return err(EFAULT);
  }
  return 0;
}

i64 sys_sched_getaffinity(Process& p, const u64* a) {
  if (a[0] != 0 && a[0] != static_cast<u64>(::getpid())) return err(ESRCH);
  const u64 n = std::min<u64>(a[1], 4096);
  if (n == 0 || (n & 7)) return err(EINVAL);
  std::vector<u8> buf(n);
  const long r = ::syscall(SYS_sched_getaffinity, 0, n, buf.data());
  if (r < 0) return err(errno);
  return p.write(a[2], buf.data(), static_cast<u64>(r)) ? r : err(EFAULT);
}

// ---- Signals: recorded, not delivered -----------------------------------------------------------

constexpr u64 kSigKill = 9, kSigStop = 19;

i64 sys_rt_sigaction(Process& p, const u64* a) {
  const u64 sig = a[0];
  if (a[3] != 8 || sig < 1 || sig > 64) return err(EINVAL);
  Process::SigAction act;
  if (a[1] && !p.read(a[1], &act, sizeof act)) return err(EFAULT);
  if (a[1] && (sig == kSigKill || sig == kSigStop)) return err(EINVAL);
  if (a[2] && !p.write(a[2], &p.sigactions[sig], sizeof act)) return err(EFAULT);
  if (a[1]) p.sigactions[sig] = act;
  return 0;
}

i64 sys_rt_sigprocmask(Process& p, const u64* a) {
  if (a[3] != 8) return err(EINVAL);
  u64 set = 0;
  if (a[1] && !p.read(a[1], &set, 8)) return err(EFAULT);
  if (a[1] && a[0] > 2) return err(EINVAL);
  if (a[2] && !p.write(a[2], &p.sigmask, 8)) return err(EFAULT);
  set &= ~((u64{1} << (kSigKill - 1)) | (u64{1} << (kSigStop - 1)));
  if (a[1]) {
    if (a[0] == 0) p.sigmask |= set;
    if (a[0] == 1) p.sigmask &= ~set;
    if (a[0] == 2) p.sigmask = set;
  }
  return 0;
}

// A signal sent to the process itself: the default action (terminate, or ignore for the
// signals ignored by default); handlers are not run yet.
i64 send_self(Process& p, u64 sig) {
  if (sig == 0) return 0;
  if (sig > 64) return err(EINVAL);
  const u64 h = p.sigactions[sig].handler;
  if (h == 1 /* SIG_IGN */ && sig != kSigKill && sig != kSigStop) return 0;
  if (h == 0 && (sig == 17 || sig == 18 || sig == 23 || sig == 28)) return 0;
  p.die_by_signal(static_cast<int>(sig),
                  h > 1 ? " (its handler was not run: signal delivery is not implemented)" : "");
  return 0;
}

i64 sys_kill(Process& p, const u64* a) {
  const i64 pid = static_cast<i64>(a[0]);
  if (pid != 0 && pid != -1 && pid != ::getpid()) return err(ESRCH);
  return send_self(p, a[1]);
}
i64 sys_tkill(Process& p, const u64* a) {
  if (static_cast<i64>(a[0]) != ::getpid()) return err(ESRCH);
  return send_self(p, a[1]);
}
i64 sys_tgkill(Process& p, const u64* a) {
  if (static_cast<i64>(a[0]) != ::getpid() || static_cast<i64>(a[1]) != ::getpid())
    return err(ESRCH);
  return send_self(p, a[2]);
}

i64 sys_futex(Process& p, const u64* a) {
  const u64 cmd = a[1] & ~u64{128 | 256};  // FUTEX_PRIVATE_FLAG, FUTEX_CLOCK_REALTIME
  if (cmd == 0 || cmd == 9) {              // FUTEX_WAIT, FUTEX_WAIT_BITSET
    u32 v;
    if (a[0] & 3) return err(EINVAL);
    if (!p.read(a[0], &v, 4)) return err(EFAULT);
    if (v != static_cast<u32>(a[2])) return err(EAGAIN);
    if (a[3]) return err(ETIMEDOUT);  // no other thread can wake it
    std::fprintf(stderr, "kvrm: futex wait that no thread can wake (single-threaded guest)\n");
    p.exit(1);
    return 0;
  }
  if (cmd == 1 || cmd == 10) return 0;  // FUTEX_WAKE, FUTEX_WAKE_BITSET: nobody waits
  return err(ENOSYS);
}

// ---- Memory -------------------------------------------------------------------------------------

u8 perms_of(u64 prot) {
  u8 perms = static_cast<u8>(prot & 7);  // PROT_READ/WRITE/EXEC are kPermRead/Write/Exec
  if (perms & kPermWrite) perms |= kPermRead;
  return perms;
}

i64 sys_brk(Process& p, const u64* a) {
  const u64 want = a[0];
  if (want < p.brk_start || want > p.mmap_bottom) return static_cast<i64>(p.brk_cur);
  const u64 old_end = page_up(p.brk_cur), new_end = page_up(want);
  if (new_end > old_end) {
    if (p.vmas().any(old_end, new_end)) return static_cast<i64>(p.brk_cur);
    try {
      p.engine().map(old_end, new_end - old_end, kPermRead | kPermWrite);
    } catch (const Error&) {
      return static_cast<i64>(p.brk_cur);
    }
    p.vmas().set(old_end, new_end, kPermRead | kPermWrite);
  } else if (new_end < old_end) {
    p.engine().unmap(new_end, old_end - new_end);
    p.vmas().clear(new_end, old_end);
  }
  p.brk_cur = want;
  return static_cast<i64>(want);
}

i64 sys_mmap(Process& p, const u64* a) {
  constexpr u64 MAP_SHARED = 1, MAP_PRIVATE = 2, MAP_SHARED_VALIDATE = 3, MAP_FIXED = 0x10,
                MAP_ANONYMOUS = 0x20, MAP_FIXED_NOREPLACE = 0x100000;
  const u64 addr = a[0], prot = a[2], flags = a[3];
  if (a[1] == 0 || a[1] > kUserTop) return err(a[1] ? ENOMEM : EINVAL);
  const u64 len = page_up(a[1]);
  const u64 type = flags & 3;
  if (type != MAP_SHARED && type != MAP_PRIVATE && type != MAP_SHARED_VALIDATE) return err(EINVAL);
  if (prot & ~u64{7}) return err(EINVAL);
  if (!(flags & MAP_ANONYMOUS)) return err(ENOSYS);  // file mappings come with the file system
  const bool fixed = flags & (MAP_FIXED | MAP_FIXED_NOREPLACE);
  u64 at = 0;
  if (fixed) {
    if (addr & kPageMask) return err(EINVAL);
    if (addr > kUserTop || len > kUserTop - addr) return err(ENOMEM);
    if (p.vmas().any(addr, addr + len)) {
      if (!(flags & MAP_FIXED)) return err(EEXIST);
      p.engine().unmap(addr, len);
      p.vmas().clear(addr, addr + len);
    }
    at = addr;
  } else {
    const u64 hint = addr & ~kPageMask;
    if (hint && hint >= kPageSize * 16 && hint <= kUserTop - len && !p.vmas().any(hint, hint + len))
      at = hint;
    else
      at = p.vmas().find_free(len, p.mmap_top, p.mmap_bottom);
    if (at == 0) return err(ENOMEM);
  }
  const u8 perms = perms_of(prot);
  try {
    p.engine().map(at, len, perms);
  } catch (const Error&) {
    return err(ENOMEM);
  }
  p.vmas().set(at, at + len, perms);
  return static_cast<i64>(at);
}

i64 sys_munmap(Process& p, const u64* a) {
  const u64 addr = a[0];
  if ((addr & kPageMask) || a[1] == 0 || addr > kUserTop || a[1] > kUserTop - addr)
    return err(EINVAL);
  const u64 len = page_up(a[1]);
  p.engine().unmap(addr, len);
  p.vmas().clear(addr, addr + len);
  return 0;
}

i64 sys_mprotect(Process& p, const u64* a) {
  constexpr u64 PROT_GROWSDOWN = 0x01000000, PROT_GROWSUP = 0x02000000;
  const u64 addr = a[0];
  if (addr & kPageMask) return err(EINVAL);
  if (a[2] & ~u64{7 | PROT_GROWSDOWN | PROT_GROWSUP}) return err(EINVAL);
  if (a[1] == 0) return 0;
  if (addr > kUserTop || a[1] > kUserTop - addr) return err(ENOMEM);
  const u64 len = page_up(a[1]);
  if (!p.vmas().covered(addr, addr + len, 0)) return err(ENOMEM);
  const u8 perms = perms_of(a[2]);
  p.engine().protect(addr, len, perms);
  p.vmas().set(addr, addr + len, perms);
  return 0;
}

i64 sys_madvise(Process& p, const u64* a) {
  const u64 addr = a[0], advice = a[2];
  if (addr & kPageMask) return err(EINVAL);
  switch (advice) {
    case 0:
    case 1:
    case 2:
    case 3:
    case 4:
    case 8:
    case 10:
    case 11:
    case 12:
    case 13:
    case 14:
    case 15:
    case 16:
    case 17: break;
    default: return err(EINVAL);
  }
  if (a[1] == 0) return 0;
  if (addr > kUserTop || a[1] > kUserTop - addr) return err(EINVAL);
  const u64 len = page_up(a[1]);
  if (!p.vmas().covered(addr, addr + len, 0)) return err(ENOMEM);
  if (advice == 4 || advice == 8) {  // MADV_DONTNEED, MADV_FREE: the pages read as zero again
    static const u8 zeros[kPageSize] = {};
    for (u64 q = addr; q < addr + len; q += kPageSize) p.engine().write_memory(q, zeros, kPageSize);
  }
  return 0;
}

// ---- The table ----------------------------------------------------------------------------------

struct Table {
  SyscallDef defs[kMaxSyscall];
  Table() {
    auto def = [&](u64 nr, const char* name, const char* args, SyscallFn fn) {
      defs[nr] = {name, args, fn};
    };
    // Implemented.
    def(29, "ioctl", "dxx", sys_ioctl);
    def(63, "read", "dxu", sys_read);
    def(64, "write", "dxu", sys_write);
    def(65, "readv", "dxd", sys_readv);
    def(66, "writev", "dxd", sys_writev);
    def(79, "newfstatat", "dsxx", sys_newfstatat);
    def(80, "fstat", "dx", sys_fstat);
    def(93, "exit", "d", sys_exit);
    def(94, "exit_group", "d", sys_exit);
    def(96, "set_tid_address", "x", sys_set_tid_address);
    def(98, "futex", "xdux", sys_futex);
    def(99, "set_robust_list", "xu", sys_set_robust_list);
    def(113, "clock_gettime", "dx", sys_clock_gettime);
    def(123, "sched_getaffinity", "dux", sys_sched_getaffinity);
    def(129, "kill", "dd", sys_kill);
    def(130, "tkill", "dd", sys_tkill);
    def(131, "tgkill", "ddd", sys_tgkill);
    def(134, "rt_sigaction", "dxxu", sys_rt_sigaction);
    def(135, "rt_sigprocmask", "dxxu", sys_rt_sigprocmask);
    def(160, "uname", "x", sys_uname);
    def(172, "getpid", "", sys_getpid);
    def(173, "getppid", "", sys_getppid);
    def(174, "getuid", "", sys_getuid);
    def(175, "geteuid", "", sys_geteuid);
    def(176, "getgid", "", sys_getgid);
    def(177, "getegid", "", sys_getegid);
    def(178, "gettid", "", sys_getpid);
    def(214, "brk", "x", sys_brk);
    def(215, "munmap", "xu", sys_munmap);
    def(222, "mmap", "xuxxdx", sys_mmap);
    def(226, "mprotect", "xux", sys_mprotect);
    def(233, "madvise", "xud", sys_madvise);
    def(261, "prlimit64", "ddxx", sys_prlimit64);
    def(278, "getrandom", "xux", sys_getrandom);
    // Known, not implemented yet: -ENOSYS (rseq: -ENOSYS is the right answer).
    def(17, "getcwd", "xu", nullptr);
    def(23, "dup", "d", nullptr);
    def(24, "dup3", "ddx", nullptr);
    def(25, "fcntl", "ddx", nullptr);
    def(48, "faccessat", "dsx", nullptr);
    def(49, "chdir", "s", nullptr);
    def(56, "openat", "dsxo", nullptr);
    def(57, "close", "d", nullptr);
    def(59, "pipe2", "xx", nullptr);
    def(61, "getdents64", "dxu", nullptr);
    def(62, "lseek", "ddd", nullptr);
    def(67, "pread64", "dxud", nullptr);
    def(68, "pwrite64", "dxud", nullptr);
    def(78, "readlinkat", "dsxu", nullptr);
    def(101, "nanosleep", "xx", nullptr);
    def(114, "clock_getres", "dx", nullptr);
    def(115, "clock_nanosleep", "ddxx", nullptr);
    def(124, "sched_yield", "", nullptr);
    def(132, "sigaltstack", "xx", nullptr);
    def(139, "rt_sigreturn", "", nullptr);
    def(153, "times", "x", nullptr);
    def(163, "getrlimit", "dx", nullptr);
    def(166, "umask", "o", nullptr);
    def(167, "prctl", "dxxxx", nullptr);
    def(169, "gettimeofday", "xx", nullptr);
    def(179, "sysinfo", "x", nullptr);
    def(216, "mremap", "xuuxx", nullptr);
    def(291, "statx", "dsxxx", nullptr);
    def(293, "rseq", "xudx", nullptr);
  }
};

const Table& table() {
  static const Table t;
  return t;
}

void strace_args(Process& p, const SyscallDef& d, const u64* a, std::string& out) {
  char buf[64];
  for (int k = 0; d.args[k]; ++k) {
    if (k) out += ',';
    switch (d.args[k]) {
      case 'd': std::snprintf(buf, sizeof buf, "%lld", static_cast<long long>(a[k])); break;
      case 'u':
        std::snprintf(buf, sizeof buf, "%llu", static_cast<unsigned long long>(a[k]));
        break;
      case 'o':
        std::snprintf(buf, sizeof buf, "0%llo", static_cast<unsigned long long>(a[k]));
        break;
      case 's': {
        std::string s;
        if (a[k] && p.read_string(a[k], s, 64)) {
          out += '"' + s + '"';
          continue;
        }
        [[fallthrough]];
      }
      default: std::snprintf(buf, sizeof buf, "0x%llx", static_cast<unsigned long long>(a[k]));
    }
    out += buf;
  }
}

}  // namespace

const SyscallDef& syscall_def(u64 nr) {
  static const SyscallDef unknown;
  return nr < kMaxSyscall ? table().defs[nr] : unknown;
}

i64 service_syscall(Process& p, u64 nr, const u64* args) {
  const SyscallDef& d = syscall_def(nr);
  return d.fn ? d.fn(p, args) : err(ENOSYS);
}

void do_syscall(Process& p) {
  Engine& e = p.engine();
  CoreState s = e.state();
  const u64 nr = s.x[8];
  const u64* args = s.x;
  const bool strace = p.options().strace;
  std::string line;
  if (strace) {
    const SyscallDef& d = syscall_def(nr);
    line = std::to_string(::getpid()) + ' ';
    if (d.name) {
      line += d.name;
      line += '(';
      strace_args(p, d, args, line);
      line += ')';
    } else {
      line += "Unknown syscall " + std::to_string(nr);
    }
    if (nr == 93 || nr == 94) std::fprintf(stderr, "%s\n", line.c_str());
  }
  const i64 r = service_syscall(p, nr, args);
  if (strace && nr != 93 && nr != 94) {
    if (r < 0 && r >= -4095)
      std::fprintf(stderr, "%s = -1 errno=%lld (%s)\n", line.c_str(), static_cast<long long>(-r),
                   strerror(static_cast<int>(-r)));
    else if (nr == 214 || nr == 222)  // addresses: brk, mmap
      std::fprintf(stderr, "%s = 0x%llx\n", line.c_str(), static_cast<unsigned long long>(r));
    else
      std::fprintf(stderr, "%s = %lld\n", line.c_str(), static_cast<long long>(r));
  }
  s.x[0] = static_cast<u64>(r);
  e.set_reg(0, s.x[0]);
}

}  // namespace kvrm::os

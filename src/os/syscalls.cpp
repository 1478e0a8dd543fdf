// The syscalls of this slice of the Linux layer. Guest pointers are checked against the memory
// map (Process::read/write): a bad pointer is -EFAULT, never a host crash. Guest file
// descriptors and paths: os/files.cpp; clocks, limits and the like: os/misc_syscalls.cpp.
#include "os/syscalls.hpp"

#include <fcntl.h>
#include <sched.h>
#include <sys/ioctl.h>
#include <sys/random.h>
#include <sys/resource.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <sys/sysmacros.h>
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
#include "os/syscalls_internal.hpp"

namespace kvrm::os {
namespace {

using detail::err;
using detail::kIoMax;
constexpr u64 kUserTop = u64{1} << 47;

u64 page_up(u64 v) { return (v + kPageMask) & ~kPageMask; }

// ---- Process ----------------------------------------------------------------------------------

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

}  // namespace

i64 detail::host_clock(u64 guest_clock) {
  const i32 id = static_cast<i32>(guest_clock);
  if (static_cast<u64>(static_cast<i64>(id)) != guest_clock) return err(EINVAL);
  if (id >= 0) return id;
  // Linux's encoding: ~pid << 3 | per-thread (4) | which (0 PROF, 1 VIRT, 2 SCHED, 3 FD).
  const i32 pid = ~(id >> 3);
  if ((id & 7) == 3 || (pid != 0 && pid != ::getpid())) return err(EINVAL);
  return (id & 4) ? CLOCK_THREAD_CPUTIME_ID : CLOCK_PROCESS_CPUTIME_ID;  // kvrm's own
}

namespace {

i64 sys_clock_gettime(Process& p, const u64* a) {
  struct timespec ts;
  const i64 id = detail::host_clock(a[0]);
  if (id < 0) return id;
  if (::clock_gettime(static_cast<clockid_t>(id), &ts) != 0) return err(errno);
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

i64 sys_getrlimit(Process& p, const u64* a) {
  const u64 b[4] = {0, a[0], 0, a[1]};
  return sys_prlimit64(p, b);
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

// The source of a file mapping: 0 (a regular file), 1 (/dev/zero: anonymous memory) or -errno.
// Shared writable mappings of a file are refused with ENODEV (what Linux answers for a file
// system that cannot map): kvrm copies the file into guest memory and never writes it back.
i64 check_file_mapping(Process& p, u64 fd, u64 prot, bool shared) {
  constexpr u64 PROT_WRITE = 2;
  GuestFd* f = p.fds.get(fd);
  if (!f) return err(EBADF);
  if (f->mem || f->proc) return err(ENODEV);  // a memory stream (a pipe end), /proc/self/mem
  const int fl = ::fcntl(f->host, F_GETFL);
  if (fl < 0 || (fl & O_PATH)) return err(EBADF);
  const int acc = fl & O_ACCMODE;
  if (acc == O_WRONLY || (shared && (prot & PROT_WRITE) && acc == O_RDONLY)) return err(EACCES);
  struct stat st;
  if (::fstat(f->host, &st) != 0) return err(errno);
  if (S_ISCHR(st.st_mode) && st.st_rdev == makedev(1, 5)) return 1;  // /dev/zero
  if (!S_ISREG(st.st_mode)) return err(ENODEV);
  if (shared && (prot & PROT_WRITE)) return err(ENODEV);
  return 0;
}

// Copies the file's bytes from `offset` into [at, at+len) (the engine's fresh pages are zero
// past the end of the file): 0 or -errno.
i64 fill_from_file(Process& p, int host, u64 offset, u64 at, u64 len) {
  std::vector<u8> buf(std::min<u64>(len, u64{1} << 20));
  for (u64 done = 0; done < len;) {
    const long n = ::pread(host, buf.data(), std::min<u64>(buf.size(), len - done),
                           static_cast<off_t>(offset + done));
    if (n < 0) return err(errno);
    if (n == 0) break;
    p.engine().write_memory(at + done, buf.data(), static_cast<u64>(n));
    done += static_cast<u64>(n);
  }
  return 0;
}

i64 sys_mmap(Process& p, const u64* a) {
  constexpr u64 MAP_SHARED = 1, MAP_PRIVATE = 2, MAP_SHARED_VALIDATE = 3, MAP_FIXED = 0x10,
                MAP_ANONYMOUS = 0x20, MAP_FIXED_NOREPLACE = 0x100000;
  const u64 addr = a[0], prot = a[2], flags = a[3], offset = a[5];
  if (offset & kPageMask) return err(EINVAL);
  if (a[1] == 0 || a[1] > kUserTop) return err(a[1] ? ENOMEM : EINVAL);
  const u64 len = page_up(a[1]);
  const u64 type = flags & 3;
  if (type != MAP_SHARED && type != MAP_PRIVATE && type != MAP_SHARED_VALIDATE) return err(EINVAL);
  if (prot & ~u64{7}) return err(EINVAL);
  bool from_file = false;
  u8 vma_flags = 0;
  if (!(flags & MAP_ANONYMOUS)) {
    const i64 src = check_file_mapping(p, a[4], prot, type != MAP_PRIVATE);
    if (src < 0) return src;
    from_file = src == 0;
    if (offset > ~u64{0} - len) return err(EOVERFLOW);
    if (from_file) vma_flags = MemoryMap::kFile | (type != MAP_PRIVATE ? MemoryMap::kNoWrite : 0);
  }
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
  if (from_file) {
    if (const i64 e = fill_from_file(p, p.fds.get(a[4])->host, offset, at, len)) {
      p.engine().unmap(at, len);
      return e;
    }
  }
  p.vmas().set(at, at + len, perms, vma_flags);
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
  // A shared file mapping never becomes writable (kvrm could not write it back to the file).
  if ((perms & kPermWrite) && (p.vmas().flags_in(addr, addr + len) & MemoryMap::kNoWrite))
    return err(EACCES);
  p.engine().protect(addr, len, perms);
  p.vmas().protect(addr, addr + len, perms);
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
    // ... or, in a file mapping, as the file again, which kvrm cannot reread: refused.
    if (p.vmas().flags_in(addr, addr + len) & MemoryMap::kFile) return err(EINVAL);
    static const u8 zeros[kPageSize] = {};
    for (u64 q = addr; q < addr + len; q += kPageSize) p.engine().write_memory(q, zeros, kPageSize);
  }
  return 0;
}

// Shrink in place, grow in place when the pages after are free, else move with MREMAP_MAYMOVE.
// A file mapping may shrink or move but not grow (kvrm keeps no link to the file: -ENOSYS).
// MREMAP_FIXED and MREMAP_DONTUNMAP: -ENOSYS.
i64 sys_mremap(Process& p, const u64* a) {
  constexpr u64 kMayMove = 1, kFixed = 2, kDontUnmap = 4;
  const u64 old = a[0], flags = a[3];
  if (flags & ~(kMayMove | kFixed | kDontUnmap)) return err(EINVAL);
  if (flags & (kFixed | kDontUnmap)) return err(ENOSYS);
  if ((old & kPageMask) || a[2] == 0 || a[1] > kUserTop || a[2] > kUserTop) return err(EINVAL);
  const u64 old_len = page_up(a[1]), new_len = page_up(a[2]);
  if (old_len == 0 || old > kUserTop - old_len || !p.vmas().covered(old, old + old_len, 0))
    return err(EFAULT);
  const u8 perms = p.vmas().perms_at(old);
  const u8 vma_flags = p.vmas().flags_in(old, old + old_len);
  if (new_len <= old_len) {
    if (new_len < old_len) {
      p.engine().unmap(old + new_len, old_len - new_len);
      p.vmas().clear(old + new_len, old + old_len);
    }
    return static_cast<i64>(old);
  }
  if (vma_flags & MemoryMap::kFile) return err(ENOSYS);
  const u64 extra = new_len - old_len;
  if (old + new_len <= kUserTop && !p.vmas().any(old + old_len, old + new_len)) {
    try {
      p.engine().map(old + old_len, extra, perms);
      p.vmas().set(old + old_len, old + new_len, perms);
      return static_cast<i64>(old);
    } catch (const Error&) {
      // fall through to moving
    }
  }
  if (!(flags & kMayMove)) return err(ENOMEM);
  const u64 at = p.vmas().find_free(new_len, p.mmap_top, p.mmap_bottom);
  if (at == 0) return err(ENOMEM);
  try {
    p.engine().map(at, new_len, perms | kPermRead | kPermWrite);
  } catch (const Error&) {
    return err(ENOMEM);
  }
  std::vector<u8> buf(old_len);
  p.engine().read_memory(old, buf.data(), old_len);
  p.engine().write_memory(at, buf.data(), old_len);
  p.engine().protect(at, new_len, perms);
  p.engine().unmap(old, old_len);
  p.vmas().clear(old, old + old_len);
  p.vmas().set(at, at + new_len, perms);
  return static_cast<i64>(at);
}

// ---- The table ----------------------------------------------------------------------------------

struct Table {
  SyscallDef defs[kMaxSyscall];
  Table() {
    auto def = [&](u64 nr, const char* name, const char* args, SyscallFn fn) {
      defs[nr] = {name, args, fn};
    };
    // Implemented.
    def(113, "clock_gettime", "dx", sys_clock_gettime);
    def(123, "sched_getaffinity", "dux", sys_sched_getaffinity);
    def(160, "uname", "x", sys_uname);
    def(172, "getpid", "", sys_getpid);
    def(173, "getppid", "", sys_getppid);
    def(174, "getuid", "", sys_getuid);
    def(175, "geteuid", "", sys_geteuid);
    def(176, "getgid", "", sys_getgid);
    def(177, "getegid", "", sys_getegid);
    def(214, "brk", "x", sys_brk);
    def(215, "munmap", "xu", sys_munmap);
    def(222, "mmap", "xuxxdx", sys_mmap);
    def(226, "mprotect", "xux", sys_mprotect);
    def(233, "madvise", "xud", sys_madvise);
    def(163, "getrlimit", "dx", sys_getrlimit);
    def(216, "mremap", "xuuxx", sys_mremap);
    def(261, "prlimit64", "ddxx", sys_prlimit64);
    def(278, "getrandom", "xux", sys_getrandom);
    // Known, not implemented yet: -ENOSYS (rseq: -ENOSYS is the right answer).
    def(293, "rseq", "xudx", nullptr);
    detail::add_file_syscalls(defs);
    detail::add_file_write_syscalls(defs);
    detail::add_misc_syscalls(defs);
    detail::add_signal_syscalls(defs);
    detail::add_thread_syscalls(defs);
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
  // Register by register: an engine paused in a persistent run serves these without fetching
  // its whole state.
  u64 args[6];
  for (int i = 0; i < 6; ++i) args[i] = e.reg(i);
  const u64 nr = e.reg(8);
  const bool strace = p.options().strace;
  std::string line;
  if (strace) {
    const SyscallDef& d = syscall_def(nr);
    // The calling thread, as strace -f shows it, once the guest has several.
    if (p.multithreaded()) line = "[tid " + std::to_string(p.current().tid) + "] ";
    line += std::to_string(::getpid()) + ' ';
    if (d.name) {
      line += d.name;
      line += '(';
      strace_args(p, d, args, line);
      line += ')';
    } else {
      line += "Unknown syscall " + std::to_string(nr);
    }
    if (nr == 93 || nr == 94) p.message("%s\n", line.c_str());
  }
  i64 r = service_syscall(p, nr, args);
  if (r == kParked) {
    e.set_pc(e.pc() - 4);
    e.set_reg(0, args[0]);
    return;
  }
  p.current().resume_until = false;  // a parked sleep or write that ran again is over
  p.current().io_done = 0;
  if (r == kFutexWait) {
    if (strace) p.current().strace_line = std::move(line);  // shown when the wait ends
    return;
  }
  if (r == kRestartSys) {
    if (!p.exited() && next_signal_restarts(p.signals)) {
      // As Linux does: the SVC runs again when the handler returns (X0 as it was).
      if (strace) p.message("%s = ? (interrupted, restarted after the handler)\n", line.c_str());
      e.set_pc(e.pc() - 4);
      e.set_reg(0, args[0]);
      return;
    }
    r = detail::err(EINTR);
  }
  if (strace && nr != 93 && nr != 94) {
    if (r < 0 && r >= -4095)
      p.message("%s = -1 errno=%lld (%s)\n", line.c_str(), static_cast<long long>(-r),
                strerror(static_cast<int>(-r)));
    else if (nr == 214 || nr == 222 || nr == 216)  // addresses: brk, mmap, mremap
      p.message("%s = 0x%llx\n", line.c_str(), static_cast<unsigned long long>(r));
    else
      p.message("%s = %lld\n", line.c_str(), static_cast<long long>(r));
  }
  e.set_reg(0, static_cast<u64>(r));
}

}  // namespace kvrm::os

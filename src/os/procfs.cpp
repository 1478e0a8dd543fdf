// The guest's own /proc/self (also reached as /proc/thread-self and /proc/<pid>): its memory
// map, status, command line, environment, auxv, memory, descriptors and links, answered from
// the guest process rather than the host's procfs, which would show kvrm itself.
#include <dirent.h>
#include <fcntl.h>
#include <sys/mman.h>
#include <sys/resource.h>
#include <sys/stat.h>
#include <unistd.h>

#include <algorithm>
#include <cinttypes>
#include <cstdarg>
#include <cstdio>
#include <cstring>
#include <string>
#include <vector>

#include "isa/mmu.hpp"
#include "os/files_internal.hpp"
#include "os/process.hpp"
#include "os/syscalls_internal.hpp"

namespace kvrm::os::detail {
namespace {

constexpr int kMaxLinks = 40;  // Linux's limit on symlinks followed in one resolution

bool is_proc_file(const std::string& n) {
  static const char* const kFiles[] = {"auxv", "cmdline", "comm",  "environ", "maps",
                                       "mem",  "stat",    "statm", "status"};
  for (const char* f : kFiles)
    if (n == f) return true;
  return false;
}

bool all_digits(const std::string& s) {
  return !s.empty() && s.size() <= 6 && s.find_first_not_of("0123456789") == std::string::npos;
}

// The guest path a /proc/self link leads to; empty when it leads nowhere the guest can reach.
std::string link_target(Process& p, const std::string& name) {
  if (name == "cwd") return p.sandbox.cwd;
  if (name == "root") return "/";
  return p.exe.starts_with("/(unreachable)/") ? std::string() : p.exe;
}

std::string join(const std::vector<std::string>& v, char sep, bool trailing) {
  std::string s;
  for (size_t k = 0; k < v.size(); ++k) {
    s += v[k];
    if (trailing || k + 1 < v.size()) s.push_back(sep);
  }
  return s;
}

void appendf(std::string& s, const char* fmt, ...) __attribute__((format(printf, 2, 3)));
void appendf(std::string& s, const char* fmt, ...) {
  char buf[512];
  va_list ap;
  va_start(ap, fmt);
  const int n = std::vsnprintf(buf, sizeof buf, fmt, ap);
  va_end(ap);
  if (n > 0) s.append(buf, std::min<size_t>(static_cast<size_t>(n), sizeof buf - 1));
}

u64 mapped_bytes(Process& p) {
  u64 total = 0;
  for (const auto& v : p.vmas().ranges()) total += v.end - v.start;
  return total;
}

// /proc/self/maps as Linux prints it, with the program's segments named by its guest path and
// the heap, stack and signal-return page named as Linux names theirs.
std::string maps_text(Process& p) {
  std::string s;
  const u64 stack_low = Process::kStackTop - Process::kStackSize;
  const u64 tramp = p.signals.sigtramp & ~kPageMask;
  for (const auto& v : p.vmas().ranges()) {
    std::string name;
    for (const auto& [lo, hi] : p.image_ranges)
      if (v.start >= lo && v.end <= hi) name = p.exe;
    if (v.start >= p.brk_start && v.end <= p.brk_cur && p.brk_cur > p.brk_start) name = "[heap]";
    if (v.start >= stack_low && v.end <= Process::kStackTop) name = "[stack]";
    if (tramp && v.start == tramp) name = "[vdso]";
    const size_t at = s.size();
    appendf(s, "%08" PRIx64 "-%08" PRIx64 " %c%c%c%c %08x 00:00 0", v.start, v.end,
            (v.perms & kPermRead) ? 'r' : '-', (v.perms & kPermWrite) ? 'w' : '-',
            (v.perms & kPermExec) ? 'x' : '-', (v.flags & MemoryMap::kNoWrite) ? 's' : 'p', 0u);
    if (!name.empty()) {
      s.resize(std::max(s.size(), at + 73), ' ');
      s += name;
    }
    s.push_back('\n');
  }
  return s;
}

std::string sigset_hex(u64 set) {
  char b[20];
  std::snprintf(b, sizeof b, "%016" PRIx64, set);
  return b;
}

std::string status_text(Process& p) {
  u64 ignored = 0, caught = 0;
  for (int k = 1; k <= sig::kMax; ++k) {
    const u64 h = p.signals.actions[k].handler;
    if (h == sig::kIgn) ignored |= sig::bit(k);
    if (h != sig::kIgn && h != sig::kDfl) caught |= sig::bit(k);
  }
  u64 pending = 0, own = 0;  // for the process, for the running thread
  for (const auto& q : p.signals.pending) {
    if (q.tid == 0) pending |= sig::bit(q.sig);
    if (q.tid == p.signals.tid) own |= sig::bit(q.sig);
  }
  const std::string& pid = p.sandbox.pid();
  const unsigned uid = ::getuid(), gid = ::getgid();
  std::string s;
  appendf(s, "Name:\t%s\nUmask:\t%04o\nState:\tR (running)\nTgid:\t%s\nNgid:\t0\nPid:\t%s\n",
          p.comm, p.umask, pid.c_str(), pid.c_str());
  appendf(s, "PPid:\t%d\nTracerPid:\t0\nUid:\t%u\t%u\t%u\t%u\nGid:\t%u\t%u\t%u\t%u\n",
          static_cast<int>(::getppid()), uid, uid, uid, uid, gid, gid, gid, gid);
  appendf(s, "FDSize:\t%d\nVmSize:\t%8" PRIu64 " kB\nThreads:\t%d\n", FdTable::kMax,
          mapped_bytes(p) / 1024, p.live_threads());
  s += "SigPnd:\t" + sigset_hex(own) + "\nShdPnd:\t" + sigset_hex(pending) + "\nSigBlk:\t" +
       sigset_hex(p.signals.blocked) + "\nSigIgn:\t" + sigset_hex(ignored) + "\nSigCgt:\t" +
       sigset_hex(caught) + "\n";
  return s;
}

std::string stat_text(Process& p) {
  std::string s;
  const u64 vsize = mapped_bytes(p);
  const u64 start_code = p.image_ranges.empty() ? 0 : p.image_ranges.front().first;
  const u64 end_code = p.image_ranges.empty() ? 0 : p.image_ranges.back().second;
  appendf(s,
          "%s (%s) R %d 0 0 0 -1 0 0 0 0 0 0 0 0 0 20 0 1 0 0 %" PRIu64 " 0 %llu %" PRIu64
          " %" PRIu64 " %" PRIu64 " 0 0 0 0 0 0 0 0 0 17 0 0 0 0 0 0 0 0 %" PRIu64 " %" PRIu64
          " 0 0 0 0 0\n",
          p.sandbox.pid().c_str(), p.comm, static_cast<int>(::getppid()), vsize,
          static_cast<unsigned long long>(RLIM_INFINITY), start_code, end_code, Process::kStackTop,
          p.brk_start, p.brk_cur);
  return s;
}

std::string proc_text(Process& p, const std::string& name) {
  if (name == "maps") return maps_text(p);
  if (name == "status") return status_text(p);
  if (name == "stat") return stat_text(p);
  if (name == "statm") {
    std::string s;
    appendf(s, "%" PRIu64 " 0 0 0 0 0 0\n", mapped_bytes(p) / kPageSize);
    return s;
  }
  if (name == "cmdline") return join(p.options().argv, '\0', true);
  if (name == "environ") return join(p.options().envp, '\0', true);
  if (name == "comm") return std::string(p.comm) + "\n";
  if (name == "auxv") {
    return std::string(reinterpret_cast<const char*>(p.auxv.data()), p.auxv.size() * sizeof(u64));
  }
  return {};
}

// A read-only host descriptor holding `text` (a sealed memfd), as QEMU answers its own
// /proc files: reads, seeks, fstat and mmap work as on a file.
int text_fd(const std::string& text) {
  const int w = ::memfd_create("kvrm-proc", MFD_CLOEXEC | MFD_ALLOW_SEALING);
  if (w < 0) return -errno;
  for (size_t done = 0; done < text.size();) {
    const ssize_t n = ::write(w, text.data() + done, text.size() - done);
    if (n <= 0) {
      const int e = n < 0 ? errno : EIO;
      ::close(w);
      return -e;
    }
    done += static_cast<size_t>(n);
  }
  ::fcntl(w, F_ADD_SEALS, F_SEAL_SHRINK | F_SEAL_GROW | F_SEAL_WRITE | F_SEAL_SEAL);
  const int r = ::open(("/proc/self/fd/" + std::to_string(w)).c_str(), O_RDONLY | O_CLOEXEC);
  const int e = errno;
  ::close(w);
  return r < 0 ? -e : r;
}

std::vector<ProcFile::Entry> dir_entries(Process& p, ProcNode::Kind kind) {
  std::vector<ProcFile::Entry> e = {{".", DT_DIR}, {"..", DT_DIR}};
  if (kind == ProcNode::kSelfDir) {
    for (const char* f :
         {"auxv", "cmdline", "comm", "environ", "maps", "mem", "stat", "statm", "status"})
      e.push_back({f, DT_REG});
    for (const char* l : {"cwd", "exe", "root"}) e.push_back({l, DT_LNK});
    e.push_back({"fd", DT_DIR});
  } else {
    for (int k = 0; k < FdTable::kMax; ++k)
      if (p.fds.get(static_cast<u64>(k))) e.push_back({std::to_string(k), DT_LNK});
  }
  return e;
}

}  // namespace

i64 resolve_proc(Process& p, Resolved& r, bool follow_final) {
  for (int links = 0; r.proc;) {
    if (r.node.kind == ProcNode::kSelfLink) return 0;
    const std::vector<std::string> rest = std::move(r.proc_rest);
    r.proc_rest.clear();
    r.node = {ProcNode::kSelfDir, "", -1};
    r.guest = "/proc/self";
    r.exists = r.is_dir = true;
    r.is_symlink = false;
    std::string redirect;  // a guest path the rest continues from
    size_t k = 0;
    for (; k < rest.size(); ++k) {
      const std::string& c = rest[k];
      const bool last = k + 1 == rest.size();
      if (c == ".") continue;
      if (r.node.kind == ProcNode::kSelfDir) {
        if (c == "..") {
          redirect = "/proc";
        } else if (c == "fd") {
          r.node.kind = ProcNode::kFdDir;
          r.guest = "/proc/self/fd";
          continue;
        } else if (is_proc_file(c)) {
          if (!last) return err(ENOTDIR);
          r.node = {ProcNode::kFile, c, -1};
          r.guest = "/proc/self/" + c;
          r.is_dir = false;
          continue;
        } else if (c == "exe" || c == "cwd" || c == "root") {
          if (last && !follow_final) {
            r.node = {ProcNode::kLink, c, -1};
            r.guest = "/proc/self/" + c;
            r.is_dir = false;
            r.is_symlink = true;
            continue;
          }
          redirect = link_target(p, c);
          if (redirect.empty()) return err(ENOENT);
        } else {
          return err(ENOENT);
        }
        ++k;
        break;
      }
      if (r.node.kind == ProcNode::kFdDir) {
        if (c == "..") {
          r.node.kind = ProcNode::kSelfDir;
          r.guest = "/proc/self";
          continue;
        }
        if (!all_digits(c)) return err(ENOENT);
        const int n = std::stoi(c);
        GuestFd* f = p.fds.get(static_cast<u64>(n));
        if (!f) return err(ENOENT);
        if ((last && !follow_final) || f->path.empty()) {
          if (!last) return err(ENOTDIR);
          // Not followed, or a descriptor with no path (a pipe, a terminal): the link itself
          // or, followed, the open file behind it.
          r.node = {ProcNode::kFdLink, "", n};
          r.guest = "/proc/self/fd/" + c;
          r.is_dir = false;
          r.is_symlink = !follow_final;
          continue;
        }
        redirect = f->path;
        ++k;
        break;
      }
      return err(ENOTDIR);  // below a file or a link
    }
    if (redirect.empty()) return 0;
    if (++links > kMaxLinks) return err(ELOOP);
    for (; k < rest.size(); ++k) redirect += "/" + rest[k];
    r = Resolved{};
    if (i64 e = p.sandbox.resolve("/", redirect, follow_final, r)) return e;
  }
  return 0;
}

i64 resolve_path(Process& p, const std::string& base, const std::string& path, bool follow,
                 Resolved& r) {
  if (i64 e = p.sandbox.resolve(base, path, follow, r)) return e;
  return resolve_proc(p, r, follow);
}

std::string fd_link_target(Process& p, const GuestFd& f) {
  if (!f.path.empty()) return f.path;
  if (f.mem) return "pipe:[" + std::to_string(f.mem->ino) + "]";
  char buf[4096];
  const ssize_t n =
      ::readlink(("/proc/self/fd/" + std::to_string(f.host)).c_str(), buf, sizeof buf);
  if (n <= 0) return "anon_inode:[unknown]";
  const std::string t(buf, static_cast<size_t>(n));
  return t[0] == '/' ? p.sandbox.guest_view(t) : t;
}

std::string proc_link_target(Process& p, const Resolved& r) {
  switch (r.node.kind) {
    case ProcNode::kSelfLink: return p.sandbox.pid();
    case ProcNode::kLink: return r.node.name == "exe" ? p.exe : link_target(p, r.node.name);
    case ProcNode::kFdLink: {
      const GuestFd* f = p.fds.get(static_cast<u64>(r.node.fd));
      return f ? fd_link_target(p, *f) : std::string();
    }
    default: return {};
  }
}

void proc_stat(Process& p, const Resolved& r, struct stat& st) {
  st = {};
  st.st_nlink = 1;
  st.st_uid = ::getuid();
  st.st_gid = ::getgid();
  st.st_blksize = static_cast<blksize_t>(kPageSize);
  st.st_ino = std::hash<std::string>{}(r.guest) & 0xffffffff;
  switch (r.node.kind) {
    case ProcNode::kSelfDir:
    case ProcNode::kFdDir:
      st.st_mode = S_IFDIR | (r.node.kind == ProcNode::kFdDir ? 0500 : 0555);
      st.st_nlink = 2;
      break;
    case ProcNode::kFile:
      st.st_mode = S_IFREG | (r.node.name == "mem" || r.node.name == "environ" ? 0600 : 0444);
      break;
    default:
      st.st_mode = S_IFLNK | 0777;
      st.st_size = static_cast<off_t>(proc_link_target(p, r).size());
      break;
  }
}

i64 proc_open(Process& p, const Resolved& r, u64 flags) {
  constexpr u64 kAccmode = 3, kCreat = 0100, kTrunc = 01000, kTmpfile = 020000000;
  const bool cloexec = flags & O_CLOEXEC;
  const u64 acc = flags & kAccmode;
  const bool writes = acc != O_RDONLY || (flags & (kTrunc | kTmpfile));
  if ((flags & kCreat) && (flags & O_EXCL)) return err(EEXIST);
  switch (r.node.kind) {
    case ProcNode::kSelfDir:
    case ProcNode::kFdDir: {
      if (writes) return err(EISDIR);
      auto d = std::make_shared<ProcFile>();
      d->kind = ProcFile::kDirectory;
      d->status_flags = O_RDONLY | O_DIRECTORY;
      d->entries = dir_entries(p, r.node.kind);
      GuestFd g;
      g.cloexec = cloexec;
      g.path = r.guest;
      g.proc = std::move(d);
      return p.fds.install(std::move(g));
    }
    case ProcNode::kFile: {
      if (flags & O_DIRECTORY) return err(ENOTDIR);
      if (r.node.name == "mem") {
        if (acc == kAccmode) return err(EINVAL);
        auto m = std::make_shared<ProcFile>();
        m->kind = ProcFile::kMemory;
        m->status_flags = static_cast<u32>(acc);
        GuestFd g;
        g.cloexec = cloexec;
        g.path = r.guest;
        g.proc = std::move(m);
        return p.fds.install(std::move(g));
      }
      if (writes) return err(EACCES);
      const int fd = text_fd(proc_text(p, r.node.name));
      if (fd < 0) return fd;
      GuestFd g;
      g.host = fd;
      g.owned = true;
      g.cloexec = cloexec;
      g.path = r.guest;
      return p.fds.install(std::move(g));
    }
    default: return err(ELOOP);  // a link not followed (O_NOFOLLOW)
  }
}

i64 proc_memory_io(Process& p, ProcFile& f, u8* buf, u64 n, i64 off, bool write) {
  if (write ? (f.status_flags & 3) == O_RDONLY : (f.status_flags & 3) == O_WRONLY)
    return err(EBADF);
  u64 at = off >= 0 ? static_cast<u64>(off) : f.pos;
  u64 done = 0;
  while (done < n) {
    const u64 k = std::min(n - done, kPageSize - ((at + done) & kPageMask));
    const u64 a = at + done;
    if (a + k < a) break;
    // Reads see any mapped page; writes go where the guest could store itself.
    const u8 perms = p.vmas().perms_at(a);
    if (!perms || (write && !(perms & kPermWrite))) break;
    if (write)
      p.engine().write_memory(a, buf + done, k);
    else
      p.engine().read_memory(a, buf + done, k);
    done += k;
  }
  if (done == 0 && n > 0) return err(EIO);
  if (off < 0) f.pos = at + done;
  return static_cast<i64>(done);
}

i64 proc_getdents(Process& p, ProcFile& f, u64 addr, u64 n) {
  std::vector<u8> out;
  while (f.pos < f.entries.size()) {
    const ProcFile::Entry& e = f.entries[f.pos];
    const u64 reclen = (19 + e.name.size() + 1 + 7) & ~u64{7};
    if (out.size() + reclen > n) break;
    const size_t at = out.size();
    out.resize(at + reclen, 0);
    const u64 ino = f.pos + 1;
    const i64 next = static_cast<i64>(f.pos + 1);
    const u16 len = static_cast<u16>(reclen);
    std::memcpy(&out[at], &ino, 8);
    std::memcpy(&out[at + 8], &next, 8);
    std::memcpy(&out[at + 16], &len, 2);
    out[at + 18] = e.type;
    std::memcpy(&out[at + 19], e.name.data(), e.name.size());
    ++f.pos;
  }
  if (out.empty() && f.pos < f.entries.size()) return err(EINVAL);  // buffer too small
  return p.write(addr, out.data(), out.size()) ? static_cast<i64>(out.size()) : err(EFAULT);
}

void proc_file_stat(const ProcFile& f, struct stat& st) {
  st = {};
  st.st_nlink = f.kind == ProcFile::kDirectory ? 2 : 1;
  st.st_uid = ::getuid();
  st.st_gid = ::getgid();
  st.st_blksize = static_cast<blksize_t>(kPageSize);
  st.st_mode = f.kind == ProcFile::kDirectory ? S_IFDIR | 0555 : S_IFREG | 0600;
}

}  // namespace kvrm::os::detail

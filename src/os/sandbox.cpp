// Guest path resolution inside the sandbox, and the guest file-descriptor table.
#include "os/sandbox.hpp"

#include <fcntl.h>
#include <limits.h>
#include <linux/magic.h>
#include <linux/openat2.h>
#include <stdlib.h>
#include <sys/stat.h>
#include <sys/statfs.h>
#include <sys/syscall.h>
#include <sys/sysmacros.h>
#include <unistd.h>

#include <algorithm>
#include <atomic>
#include <cerrno>
#include <cstring>

#include "core/error.hpp"
#include "os/elf.hpp"

// GCC 12 at -O3 reports impossible overlaps in std::string assignments of short literals
// (a known false positive of -Wrestrict, GCC bug 105329).
#if defined(__GNUC__) && !defined(__clang__)
#pragma GCC diagnostic ignored "-Wrestrict"
#endif

namespace kvrm::os {
namespace {

constexpr int kMaxSymlinks = 40;  // Linux's limit
constexpr size_t kPathMax = 4096;

void split(const std::string& path, std::vector<std::string>& out) {
  size_t i = 0;
  while (i < path.size()) {
    const size_t j = path.find('/', i);
    const size_t e = j == std::string::npos ? path.size() : j;
    if (e > i) out.push_back(path.substr(i, e - i));
    i = e + 1;
  }
}

std::string canonical(const std::string& dir, const char* what) {
  char buf[PATH_MAX];
  if (!::realpath(dir.c_str(), buf))
    throw ExecError(1, std::string(what) + " " + dir + ": " + std::strerror(errno));
  struct stat st;
  if (::stat(buf, &st) != 0 || !S_ISDIR(st.st_mode))
    throw ExecError(1, std::string(what) + " " + dir + ": not a directory");
  std::string s = buf;
  if (s == "/") s.clear();
  return s;
}

bool all_digits(const std::string& s) {
  return !s.empty() && s.find_first_not_of("0123456789") == std::string::npos;
}

// Character devices the guest may open: null, zero, full, random, urandom, terminals and
// pseudo-terminals. Everything else (memory, disks, GPUs, ...) is refused.
bool harmless_device(dev_t d) {
  const unsigned maj = major(d), min = minor(d);
  if (maj == 1) return min == 3 || min == 5 || min == 7 || min == 8 || min == 9;
  return maj == 4 || maj == 5 || (maj >= 136 && maj <= 143);
}

bool below(const std::string& path, const std::string& dir) {
  return dir.empty() || path == dir ||
         (path.compare(0, dir.size(), dir) == 0 && path.size() > dir.size() &&
          path[dir.size()] == '/');
}

}  // namespace

bool proc_entry_visible(const std::string& name) {
  static const char* const kVisible[] = {
      "buddyinfo", "cgroups",     "cmdline",    "cpuinfo",  "crypto",  "devices",
      "diskstats", "filesystems", "interrupts", "loadavg",  "meminfo", "mounts",
      "net",       "partitions",  "self",       "softirqs", "stat",    "swaps",
      "sys",       "thread-self", "uptime",     "version",  "vmstat",  "zoneinfo"};
  for (const char* v : kVisible)
    if (name == v) return true;
  return false;
}

bool dev_entry_visible(const std::string& name) {
  static const char* const kVisible[] = {"fd",     "full",    "null",   "ptmx",  "pts",
                                         "random", "shm",     "stderr", "stdin", "stdout",
                                         "tty",    "urandom", "zero"};
  for (const char* v : kVisible)
    if (name == v) return true;
  return false;
}

namespace {

// An O_PATH descriptor of a canonical host directory, never one of the standard descriptors
// (the guest's when closed at start); ExecError naming `what` otherwise.
int open_root(const std::string& dir, const std::string& what) {
  int fd = ::open(dir.empty() ? "/" : dir.c_str(), O_PATH | O_DIRECTORY | O_CLOEXEC);
  if (fd < 0) throw ExecError(1, what + ": " + std::strerror(errno));
  if (fd < 3) {
    const int high = ::fcntl(fd, F_DUPFD_CLOEXEC, 3);
    ::close(fd);
    fd = high;
    if (fd < 0) throw ExecError(1, what + ": " + std::strerror(errno));
  }
  return fd;
}

}  // namespace

Sandbox::Sandbox(const SandboxOptions& o) : pid_(std::to_string(::getpid())) {
  root_ = canonical(o.root, "--root");
  for (const auto& d : o.rw_dirs) rw_.push_back(canonical(d, "--rw"));
  root_fd_ = open_root(root_, "--root " + o.root);
  if (!o.ld_prefix.empty()) {
    prefix_ = canonical(o.ld_prefix, "-L");
    prefix_fd_ = open_root(prefix_, "-L " + o.ld_prefix);
  }
  // The guest starts in the host's current directory when the root holds it, else in "/".
  char buf[PATH_MAX];
  cwd = "/";
  if (::getcwd(buf, sizeof buf)) {
    const std::string g = guest_path_of(buf);
    if (!g.empty()) cwd = g;
  }
}

Sandbox::~Sandbox() {
  if (root_fd_ >= 0) ::close(root_fd_);
  if (prefix_fd_ >= 0) ::close(prefix_fd_);
}

std::string Sandbox::guest_path_of(const std::string& host_path) const {
  if (!prefix_.empty() && below(host_path, prefix_)) {  // a file -L's directory gave
    const std::string g = host_path.substr(prefix_.size());
    return g.empty() ? "/" : g;
  }
  if (!below(host_path, root_)) return "";
  const std::string g = host_path.substr(root_.size());
  return g.empty() ? "/" : g;
}

std::string Sandbox::guest_view(const std::string& host_path) const {
  const std::string g = guest_path_of(host_path);
  return g.empty() ? "/(unreachable)/" + host_path.substr(host_path.rfind('/') + 1) : g;
}

i64 Sandbox::resolve(const std::string& base, const std::string& path, bool follow_final,
                     Resolved& r) const {
  // -L: an absolute path names the prefix's file when there is one (as qemu-aarch64 -L).
  if (prefix_fd_ >= 0 && !path.empty() && path[0] == '/') {
    Resolved p;
    if (resolve_in(prefix_, prefix_fd_, base, path, follow_final, p) == 0 && p.exists && !p.proc) {
      p.in_prefix = true;
      r = std::move(p);
      return 0;
    }
  }
  return resolve_in(root_, root_fd_, base, path, follow_final, r);
}

i64 Sandbox::resolve_in(const std::string& root, int root_fd, const std::string& base,
                        const std::string& path, bool follow_final, Resolved& r) const {
  if (path.empty()) return -ENOENT;
  if (path.size() >= kPathMax) return -ENAMETOOLONG;
  std::vector<std::string> done;     // resolved guest components
  std::vector<std::string> pending;  // still to walk, in reverse order (back() is next)
  if (path[0] != '/') split(base, done);
  {
    std::vector<std::string> comps;
    split(path, comps);
    pending.assign(comps.rbegin(), comps.rend());
  }
  const bool trailing_slash = path.back() == '/';
  if (trailing_slash) follow_final = true;
  int links = 0;
  auto host_of = [&](const std::vector<std::string>& c) {
    std::string h = root;
    for (const auto& s : c) {
      h.push_back('/');
      h.append(s);
    }
    return h.empty() ? std::string("/") : h;
  };
  r = Resolved{};
  r.exists = true;
  r.is_dir = true;
  // Each component is looked at through a descriptor of its directory, opened beneath the root
  // with no symlink on the way, so that a directory swapped for a symlink meanwhile can never
  // show what lies outside the root (the host kernel would follow it in a path string).
  struct DirFd {
    int fd = -1;
    ~DirFd() { reset(); }
    void reset(int to = -1) {
      if (fd >= 0) ::close(fd);
      fd = to;
    }
  } dir;  // the directory `done` names; -1: to be opened
  while (!pending.empty()) {
    std::string c = std::move(pending.back());
    pending.pop_back();
    if (c.size() > 255) return -ENAMETOOLONG;
    if (c == ".") continue;
    if (c == "..") {
      if (!done.empty()) done.pop_back();
      dir.reset();
      continue;
    }
    done.push_back(c);
    const bool last = pending.empty();
    const auto self_name = [&](const std::string& n) {
      return n == "self" || n == "thread-self" || n == pid_;
    };
    // /proc/self exists for the guest under any root, with or without a /proc there.
    if (done.size() == 1 && c == "proc" && !last && self_name(pending.back())) {
      dir.reset();
      continue;
    }
    if (done.size() == 2 && done[0] == "proc") {
      if (self_name(c)) {  // the guest's own: kvrm answers
        r.guest = "/proc/self";
        r.host.clear();
        r.proc = true;
        r.is_dir = !last || follow_final || c == pid_;
        r.is_symlink = !r.is_dir;
        r.node.kind = r.is_dir ? ProcNode::kSelfDir : ProcNode::kSelfLink;
        r.proc_rest.assign(pending.rbegin(), pending.rend());
        if (trailing_slash && r.proc_rest.empty()) r.proc_rest.push_back(".");
        return 0;
      }
      if (all_digits(c) || !proc_entry_visible(c)) return -ENOENT;
    }
    if (done.size() == 2 && done[0] == "dev" && root.empty() && !dev_entry_visible(c))
      return -ENOENT;
    if (dir.fd < 0) {  // the directory the component is in
      done.pop_back();
      dir.reset(open_dir(root_fd, done));
      done.push_back(c);
      if (dir.fd < 0) return dir.fd;
    }
    struct stat st;
    if (::fstatat(dir.fd, c.c_str(), &st, AT_SYMLINK_NOFOLLOW) != 0) {
      if (errno == ENOENT && last) {
        r.exists = false;
        r.is_dir = false;
        break;
      }
      return -errno;
    }
    if (S_ISLNK(st.st_mode) && (!last || follow_final)) {
      if (++links > kMaxSymlinks) return -ELOOP;
      char t[kPathMax];
      const ssize_t n = ::readlinkat(dir.fd, c.c_str(), t, sizeof t - 1);
      if (n < 0) return -errno;
      done.pop_back();
      const std::string target(t, static_cast<size_t>(n));
      if (target.empty()) return -ENOENT;
      if (target[0] == '/') {  // re-rooted under the root
        done.clear();
        dir.reset();
      }
      std::vector<std::string> comps;
      split(target, comps);
      for (auto it = comps.rbegin(); it != comps.rend(); ++it) pending.push_back(*it);
      continue;
    }
    r.is_symlink = S_ISLNK(st.st_mode);
    r.is_dir = S_ISDIR(st.st_mode);
    r.is_fifo = S_ISFIFO(st.st_mode);
    if (!last && !r.is_dir) return -ENOTDIR;
    if (!last) {  // step into it; a symlink swapped in since fstatat fails here
      const int sub = ::openat(dir.fd, c.c_str(), O_PATH | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);
      if (sub < 0) return -errno;
      dir.reset(sub);
    }
  }
  if (trailing_slash && r.exists && !r.is_dir) return -ENOTDIR;
  r.guest.clear();
  for (const auto& s : done) {
    r.guest.push_back('/');
    r.guest.append(s);
  }
  if (r.guest.empty()) r.guest = "/";
  r.host = host_of(done);
  if (r.guest.size() >= kPathMax) return -ENAMETOOLONG;
  return 0;
}

bool Sandbox::writable(const std::string& host_path) const {
  for (const auto& d : rw_)
    if (below(host_path, d)) return true;
  return false;
}

int Sandbox::open_dir(int root_fd, const std::vector<std::string>& comps) const {
  std::string rel;
  for (const auto& c : comps) rel += (rel.empty() ? "" : "/") + c;
  if (rel.empty()) rel = ".";
  struct open_how how {};
  how.flags = O_PATH | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC;
  how.resolve = RESOLVE_BENEATH | RESOLVE_NO_SYMLINKS | RESOLVE_NO_MAGICLINKS;
  long fd = ::syscall(SYS_openat2, root_fd, rel.c_str(), &how, sizeof how);
  if (fd < 0 && (errno == ENOSYS || errno == E2BIG))  // older kernels
    fd = ::openat(root_fd, rel.c_str(), O_PATH | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);
  return fd < 0 ? -errno : static_cast<int>(fd);
}

int Sandbox::open(const Resolved& r, int host_flags, unsigned mode) const {
  // Relative to the root, with no symlink allowed anywhere on the way.
  std::string rel = r.guest.substr(1);
  if (rel.empty()) rel = ".";
  struct open_how how {};
  how.flags = static_cast<u64>(host_flags | O_NOFOLLOW | O_CLOEXEC);
  how.mode = (host_flags & (O_CREAT | O_TMPFILE)) ? mode : 0;
  how.resolve = RESOLVE_BENEATH | RESOLVE_NO_SYMLINKS | RESOLVE_NO_MAGICLINKS;
  if (r.proc) return -EACCES;
  long fd =
      ::syscall(SYS_openat2, r.in_prefix ? prefix_fd_ : root_fd_, rel.c_str(), &how, sizeof how);
  if (fd < 0 && (errno == ENOSYS || errno == E2BIG)) {
    fd = ::open(r.host.c_str(), host_flags | O_NOFOLLOW | O_CLOEXEC, mode);  // older kernels
  }
  if (fd < 0) return -errno;
  // What was opened, whatever the path: a device node that is not harmless, or a procfs entry
  // other than the host-wide ones below /proc (another process's, or a procfs mounted
  // elsewhere), is refused.
  struct stat st;
  struct statfs fs;
  bool refuse =
      ::fstat(static_cast<int>(fd), &st) != 0 || ::fstatfs(static_cast<int>(fd), &fs) != 0;
  if (!refuse && !(host_flags & O_PATH))
    refuse = S_ISBLK(st.st_mode) || (S_ISCHR(st.st_mode) && !harmless_device(st.st_rdev));
  if (!refuse && fs.f_type == PROC_SUPER_MAGIC) {
    std::vector<std::string> c;
    split(r.guest, c);
    refuse = c.empty() || c[0] != "proc" || (c.size() > 1 && !proc_entry_visible(c[1]));
  }
  if (refuse) {
    ::close(static_cast<int>(fd));
    return -EACCES;
  }
  return static_cast<int>(fd);
}

// ---- Guest descriptors ----------------------------------------------------------------------

i64 GuestFd::read(void* buf, u64 n, i64 off) const {
  if (mem) {
    if (off >= 0) return -ESPIPE;
    if (!mem->input) return -EBADF;
    const u64 size = mem->input->size();
    const u64 k = std::min(n, size - std::min(mem->pos, size));
    if (k == 0) return 0;
    std::memcpy(buf, mem->input->data() + mem->pos, k);
    mem->pos += k;
    return static_cast<i64>(k);
  }
  const long r = off >= 0 ? ::pread(host, buf, n, off) : ::read(host, buf, n);
  return r < 0 ? -errno : r;
}

i64 GuestFd::write(const void* buf, u64 n, i64 off) const {
  if (mem) {
    if (off >= 0) return -ESPIPE;
    if (!mem->output) return -EBADF;
    if (n) mem->output->append(static_cast<const char*>(buf), n);
    return static_cast<i64>(n);
  }
  const long r = off >= 0 ? ::pwrite(host, buf, n, off) : ::write(host, buf, n);
  return r < 0 ? -errno : r;
}

namespace {
std::atomic<unsigned> closed_at_start{0};  // bit k: host descriptor k was closed (reserve_...)
}  // namespace

void reserve_standard_fds() {
  for (int k = 0; k < 3; ++k) {
    if (::fcntl(k, F_GETFD) >= 0) continue;
    const int fd = ::open("/dev/null", O_RDWR);
    if (fd >= 0 && fd != k) {
      ::dup2(fd, k);
      ::close(fd);
    }
    closed_at_start |= 1u << k;
  }
}

FdTable::FdTable() {
  // A standard descriptor closed on the host is closed for the guest too (EBADF), not whatever
  // kvrm may open in its place later.
  const unsigned closed = closed_at_start.load();
  for (int k = 0; k < 3; ++k) {
    const bool open = !(closed & (1u << k)) && ::fcntl(k, F_GETFD) >= 0;
    fds_.push_back({open ? k : -1, false, false, "", nullptr, nullptr});
  }
}

FdTable::~FdTable() {
  for (auto& f : fds_)
    if (f.owned && f.host >= 0) ::close(f.host);
}

GuestFd* FdTable::get(u64 fd) {
  if (fd >= fds_.size() || !fds_[fd].in_use()) return nullptr;
  return &fds_[fd];
}

int FdTable::install(GuestFd f, int min) {
  for (int k = min; k < kMax; ++k) {
    if (k >= static_cast<int>(fds_.size())) fds_.resize(k + 1);
    if (!fds_[k].in_use()) {
      fds_[k] = std::move(f);
      return k;
    }
  }
  if (f.owned) ::close(f.host);
  return -EMFILE;
}

int FdTable::install_at(GuestFd f, int fd) {
  if (fd < 0 || fd >= kMax) {
    if (f.owned) ::close(f.host);
    return -EBADF;
  }
  if (fd >= static_cast<int>(fds_.size())) fds_.resize(fd + 1);
  close(static_cast<u64>(fd));
  fds_[fd] = std::move(f);
  return fd;
}

int FdTable::close(u64 fd) {
  GuestFd* f = get(fd);
  if (!f) return -EBADF;
  if (f->owned && f->host >= 0) ::close(f->host);
  *f = GuestFd{};
  return 0;
}

}  // namespace kvrm::os

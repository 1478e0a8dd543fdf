// Guest path resolution inside the sandbox, and the guest file-descriptor table.
#include "os/sandbox.hpp"

#include <fcntl.h>
#include <limits.h>
#include <linux/openat2.h>
#include <stdlib.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <unistd.h>

#include <algorithm>
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

bool below(const std::string& path, const std::string& dir) {
  return dir.empty() || path == dir ||
         (path.compare(0, dir.size(), dir) == 0 && path.size() > dir.size() &&
          path[dir.size()] == '/');
}

}  // namespace

Sandbox::Sandbox(const SandboxOptions& o) {
  root_ = canonical(o.root, "--root");
  for (const auto& d : o.rw_dirs) rw_.push_back(canonical(d, "--rw"));
  root_fd_ = ::open(root_.empty() ? "/" : root_.c_str(), O_PATH | O_DIRECTORY | O_CLOEXEC);
  if (root_fd_ < 0) throw ExecError(1, "--root " + o.root + ": " + std::strerror(errno));
  // The guest starts in the host's current directory when the root holds it, else in "/".
  char buf[PATH_MAX];
  cwd = "/";
  if (::getcwd(buf, sizeof buf)) {
    const std::string g = guest_path_of(buf);
    if (!g.empty()) cwd = g;
  }
}

std::string Sandbox::guest_path_of(const std::string& host_path) const {
  if (!below(host_path, root_)) return "";
  const std::string g = host_path.substr(root_.size());
  return g.empty() ? "/" : g;
}

i64 Sandbox::resolve(const std::string& base, const std::string& path, bool follow_final,
                     Resolved& r) const {
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
    std::string h = root_;
    for (const auto& s : c) {
      h.push_back('/');
      h.append(s);
    }
    return h.empty() ? std::string("/") : h;
  };
  r = Resolved{};
  r.exists = true;
  r.is_dir = true;
  while (!pending.empty()) {
    std::string c = std::move(pending.back());
    pending.pop_back();
    if (c.size() > 255) return -ENAMETOOLONG;
    if (c == ".") continue;
    if (c == "..") {
      if (!done.empty()) done.pop_back();
      continue;
    }
    done.push_back(c);
    const bool last = pending.empty();
    const std::string h = host_of(done);
    struct stat st;
    if (::lstat(h.c_str(), &st) != 0) {
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
      const ssize_t n = ::readlink(h.c_str(), t, sizeof t - 1);
      if (n < 0) return -errno;
      done.pop_back();
      const std::string target(t, static_cast<size_t>(n));
      if (target.empty()) return -ENOENT;
      if (target[0] == '/') done.clear();  // re-rooted under the root
      std::vector<std::string> comps;
      split(target, comps);
      for (auto it = comps.rbegin(); it != comps.rend(); ++it) pending.push_back(*it);
      continue;
    }
    r.is_symlink = S_ISLNK(st.st_mode);
    r.is_dir = S_ISDIR(st.st_mode);
    if (!last && !r.is_dir) return -ENOTDIR;
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

int Sandbox::open(const Resolved& r, int host_flags, unsigned mode) const {
  // Relative to the root, with no symlink allowed anywhere on the way.
  std::string rel = r.guest.substr(1);
  if (rel.empty()) rel = ".";
  struct open_how how {};
  how.flags = static_cast<u64>(host_flags | O_NOFOLLOW | O_CLOEXEC);
  how.mode = (host_flags & (O_CREAT | O_TMPFILE)) ? mode : 0;
  how.resolve = RESOLVE_BENEATH | RESOLVE_NO_SYMLINKS | RESOLVE_NO_MAGICLINKS;
  long fd = ::syscall(SYS_openat2, root_fd_, rel.c_str(), &how, sizeof how);
  if (fd < 0 && (errno == ENOSYS || errno == E2BIG)) {
    fd = ::open(r.host.c_str(), host_flags | O_NOFOLLOW | O_CLOEXEC, mode);  // older kernels
  }
  return fd < 0 ? -errno : static_cast<int>(fd);
}

// ---- Guest descriptors ----------------------------------------------------------------------

i64 GuestFd::read(void* buf, u64 n, i64 off) const {
  if (mem) {
    if (off >= 0) return -ESPIPE;
    if (!mem->input) return -EBADF;
    const u64 size = mem->input->size();
    const u64 k = std::min(n, size - std::min(mem->pos, size));
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
    mem->output->append(static_cast<const char*>(buf), n);
    return static_cast<i64>(n);
  }
  const long r = off >= 0 ? ::pwrite(host, buf, n, off) : ::write(host, buf, n);
  return r < 0 ? -errno : r;
}

FdTable::FdTable() {
  for (int k = 0; k < 3; ++k) fds_.push_back({k, false, false, "", nullptr});
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

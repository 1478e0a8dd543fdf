// Syscalls that change the file system: mkdirat, unlinkat, renameat/renameat2, linkat,
// symlinkat, fchmod/fchmodat/fchmodat2, fchown/fchownat, utimensat, truncate/ftruncate, fsync,
// fdatasync, sync, syncfs. The sandbox rule (os/sandbox.hpp): a directory entry may be created,
// removed or renamed only in a directory below a --rw directory, and an object changed only
// when it lies below one; elsewhere EROFS, in the order Linux checks a read-only mount. Host
// calls work on descriptors opened beneath the root with no symlink on the way (the parent
// directory of an entry, or the object itself through /proc/self/fd), never on a guest path.
#include <fcntl.h>
#include <limits.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <unistd.h>

#include <string>
#include <string_view>

#include "os/files_internal.hpp"

namespace kvrm::os::detail {
namespace {

// The last component of a path as written: the kernel treats "." and ".." (and "/") there before
// it looks anything up.
enum class Last { Normal, Dot, DotDot, Root };

Last last_kind(const std::string& raw) {
  size_t e = raw.size();
  while (e > 0 && raw[e - 1] == '/') --e;
  if (e == 0) return raw.empty() ? Last::Normal : Last::Root;
  const size_t slash = raw.rfind('/', e - 1);
  const size_t b = slash == std::string::npos ? 0 : slash + 1;
  const std::string_view c(raw.data() + b, e - b);
  return c == "." ? Last::Dot : c == ".." ? Last::DotDot : Last::Normal;
}

// A descriptor the function owns.
struct Fd {
  int fd = -1;
  Fd() = default;
  Fd(const Fd&) = delete;
  Fd& operator=(const Fd&) = delete;
  ~Fd() {
    if (fd >= 0) ::close(fd);
  }
};

// A directory entry a call creates, removes or renames (the final symlink not followed).
struct Entry {
  Resolved r;
  std::string raw;
  Last last = Last::Normal;
  Fd dir;            // its parent directory (O_PATH), once opened
  std::string name;  // its name there
};

i64 resolve_entry(Process& p, u64 dirfd, u64 path, Entry& e) {
  if (i64 r = resolve_at(p, dirfd, path, false, e.r, &e.raw)) return r;
  e.last = last_kind(e.raw);
  return 0;
}

std::string parent_guest(const std::string& guest) {
  const size_t slash = guest.rfind('/');
  return slash == 0 ? std::string("/") : guest.substr(0, slash);
}

// The directory a resolved entry is in, beneath the same root (the root, or -L's directory).
Resolved parent_dir(const Process& p, const Resolved& entry) {
  Resolved d;
  d.guest = parent_guest(entry.guest);
  d.in_prefix = entry.in_prefix;
  const std::string& root = entry.in_prefix ? p.sandbox.ld_prefix() : p.sandbox.root();
  d.host = root + (d.guest == "/" ? std::string(root.empty() ? "/" : "") : d.guest);
  d.exists = d.is_dir = true;
  return d;
}

// The entry's directory is below a --rw directory (so the entry may change).
bool entry_writable(const Process& p, const Entry& e) {
  if (e.r.guest == "/") return false;
  return p.sandbox.writable(parent_dir(p, e.r).host);
}

i64 open_parent(Process& p, Entry& e) {
  e.name = e.r.guest.substr(e.r.guest.rfind('/') + 1);
  e.dir.fd = p.sandbox.open(parent_dir(p, e.r), O_PATH | O_DIRECTORY, 0);
  return e.dir.fd < 0 ? e.dir.fd : 0;
}

// The object at a resolved path, opened O_PATH (no symlink followed on the way), and a path
// that reaches exactly it for the host's path-based calls.
struct Object {
  Fd fd;
  std::string path;
};

i64 open_object(Process& p, const Resolved& r, Object& o) {
  o.fd.fd = p.sandbox.open(r, O_PATH, 0);
  if (o.fd.fd < 0) return o.fd.fd;
  o.path = "/proc/self/fd/" + std::to_string(o.fd.fd);
  if (::access("/proc/self/fd", F_OK) != 0) o.path = r.host;  // no /proc on this host
  return 0;
}

// Whether the object behind a guest descriptor may be changed (fchmod, fchown, futimens):
// a file below a --rw directory, a pipe the guest made, a memory stream; else EROFS.
i64 fd_modifiable(const Process& p, const GuestFd& f) {
  if (f.mem) return 0;
  char buf[PATH_MAX];
  const std::string link = "/proc/self/fd/" + std::to_string(f.host);
  const ssize_t n = ::readlink(link.c_str(), buf, sizeof buf - 1);
  if (n > 0 && buf[0] == '/') {
    std::string host(buf, static_cast<size_t>(n));
    constexpr std::string_view kDeleted = " (deleted)";
    if (host.size() > kDeleted.size() && host.ends_with(kDeleted))
      host.resize(host.size() - kDeleted.size());
    return p.sandbox.writable(host) ? 0 : err(EROFS);
  }
  return f.owned && f.path.empty() ? 0 : err(EROFS);
}

bool is_path_fd(const GuestFd& f) {
  if (f.mem) return false;
  const int fl = ::fcntl(f.host, F_GETFL);
  return fl >= 0 && (fl & O_PATH);
}

// ---- Entries: mkdir, unlink, rename, link, symlink --------------------------------------------

i64 sys_mkdirat(Process& p, const u64* a) {
  Entry e;
  if (i64 r = resolve_entry(p, a[0], a[1], e)) return r;
  if (e.last != Last::Normal || e.r.exists) return err(EEXIST);
  if (!entry_writable(p, e)) return err(EROFS);
  if (i64 r = open_parent(p, e)) return r;
  const mode_t mode = static_cast<mode_t>(a[2] & 07777 & ~p.umask);
  if (::mkdirat(e.dir.fd, e.name.c_str(), mode) != 0) return err(errno);
  // The host's umask removed bits too: the guest's alone applies.
  Fd made;
  made.fd = ::openat(e.dir.fd, e.name.c_str(), O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);
  if (made.fd >= 0) ::fchmod(made.fd, mode);
  return 0;
}

i64 sys_unlinkat(Process& p, const u64* a) {
  if (a[2] & ~kAtRemovedir) return err(EINVAL);
  const bool rmdir = a[2] & kAtRemovedir;
  Entry e;
  if (i64 r = resolve_entry(p, a[0], a[1], e)) return r;
  switch (e.last) {
    case Last::Normal: break;
    case Last::Dot: return err(rmdir ? EINVAL : EISDIR);
    case Last::DotDot: return err(rmdir ? ENOTEMPTY : EISDIR);
    case Last::Root: return err(rmdir ? EBUSY : EISDIR);
  }
  if (!entry_writable(p, e)) return err(EROFS);  // before the lookup, as on a read-only mount
  if (!e.r.exists) return err(ENOENT);
  if (i64 r = open_parent(p, e)) return r;
  return host_result(::unlinkat(e.dir.fd, e.name.c_str(), rmdir ? AT_REMOVEDIR : 0));
}

i64 do_rename(Process& p, u64 olddir, u64 oldpath, u64 newdir, u64 newpath, u64 flags) {
  constexpr u64 kNoReplace = 1;
  if (flags & ~kNoReplace) return err(EINVAL);  // RENAME_EXCHANGE, RENAME_WHITEOUT: not here
  Entry from, to;
  if (i64 r = resolve_entry(p, olddir, oldpath, from)) return r;
  if (i64 r = resolve_entry(p, newdir, newpath, to)) return r;
  if (from.last != Last::Normal) return err(EBUSY);
  if (to.last != Last::Normal) return err((flags & kNoReplace) ? EEXIST : EBUSY);
  if (!entry_writable(p, from) || !entry_writable(p, to)) return err(EROFS);
  if (!from.r.exists) return err(ENOENT);
  if (i64 r = open_parent(p, from)) return r;
  if (i64 r = open_parent(p, to)) return r;
  return host_result(::syscall(SYS_renameat2, from.dir.fd, from.name.c_str(), to.dir.fd,
                               to.name.c_str(), static_cast<unsigned>(flags)));
}

i64 sys_renameat(Process& p, const u64* a) { return do_rename(p, a[0], a[1], a[2], a[3], 0); }
i64 sys_renameat2(Process& p, const u64* a) { return do_rename(p, a[0], a[1], a[2], a[3], a[4]); }

i64 sys_linkat(Process& p, const u64* a) {
  if (a[4] & ~(kAtSymlinkFollow | kAtEmptyPath)) return err(EINVAL);
  std::string raw;
  if (!p.read_string(a[1], raw)) return err(EFAULT);
  if (raw.empty() && (a[4] & kAtEmptyPath)) return err(ENOENT);  // needs CAP_DAC_READ_SEARCH
  Entry from;
  if (i64 r = resolve_at(p, a[0], a[1], (a[4] & kAtSymlinkFollow) != 0, from.r)) return r;
  if (!from.r.exists) return err(ENOENT);
  Entry to;
  if (i64 r = resolve_entry(p, a[2], a[3], to)) return r;
  if (to.last != Last::Normal || to.r.exists) return err(EEXIST);
  if (!entry_writable(p, to)) return err(EROFS);
  // A file outside the --rw directories linked into one would become writable: Linux refuses
  // links across mounts with EXDEV, and so does kvrm here.
  if (!p.sandbox.writable(from.r.host)) return err(EXDEV);
  if (from.r.is_dir) return err(EPERM);
  if (i64 r = open_parent(p, from)) return r;
  if (i64 r = open_parent(p, to)) return r;
  return host_result(::linkat(from.dir.fd, from.name.c_str(), to.dir.fd, to.name.c_str(), 0));
}

i64 sys_symlinkat(Process& p, const u64* a) {
  std::string target;
  if (!p.read_string(a[0], target)) return err(target.size() >= 4096 ? ENAMETOOLONG : EFAULT);
  if (target.empty()) return err(ENOENT);
  Entry e;
  if (i64 r = resolve_entry(p, a[1], a[2], e)) return r;
  if (e.last != Last::Normal || e.r.exists) return err(EEXIST);
  if (!entry_writable(p, e)) return err(EROFS);
  if (i64 r = open_parent(p, e)) return r;
  // The target is stored as written; kvrm's resolver re-roots it when it is followed.
  return host_result(::symlinkat(target.c_str(), e.dir.fd, e.name.c_str()));
}

// ---- Objects: mode, owner, times, size ------------------------------------------------------

// Resolves the path of an *at() call that also takes AT_EMPTY_PATH and AT_SYMLINK_NOFOLLOW:
// 0 with `fd` set when it names the descriptor itself, 0 with `r` resolved, or -errno.
i64 resolve_target(Process& p, u64 dirfd, u64 path, u64 flags, Resolved& r, GuestFd*& fd) {
  fd = nullptr;
  std::string raw;
  if (!p.read_string(path, raw)) return err(raw.size() >= 4096 ? ENAMETOOLONG : EFAULT);
  if (raw.empty() && (flags & kAtEmptyPath)) {
    if (static_cast<i32>(dirfd) == kAtFdcwd) return resolve_path(p, "/", p.sandbox.cwd, true, r);
    fd = fd_of(p, dirfd);
    return fd ? 0 : err(EBADF);
  }
  if (i64 e = resolve_at(p, dirfd, path, !(flags & kAtSymlinkNofollow), r)) return e;
  return r.exists ? 0 : err(ENOENT);
}

i64 chmod_fd(Process& p, GuestFd& f, u64 mode) {
  if (is_path_fd(f)) return err(EBADF);
  if (i64 e = fd_modifiable(p, f)) return e;
  if (f.mem) {
    f.mem->mode = static_cast<u32>(mode & 07777);
    return 0;
  }
  return host_result(::fchmod(f.host, static_cast<mode_t>(mode & 07777)));
}

i64 chmod_path(Process& p, const Resolved& r, u64 mode) {
  if (!write_ok(p, r)) return err(EROFS);
  if (r.is_symlink) return err(EOPNOTSUPP);  // fchmodat2 with AT_SYMLINK_NOFOLLOW
  Object o;
  if (i64 e = open_object(p, r, o)) return e;
  return host_result(::chmod(o.path.c_str(), static_cast<mode_t>(mode & 07777)));
}

i64 sys_fchmod(Process& p, const u64* a) {
  GuestFd* f = fd_of(p, a[0]);
  return f ? chmod_fd(p, *f, a[1]) : err(EBADF);
}

i64 sys_fchmodat2(Process& p, const u64* a) {
  if (a[3] & ~(kAtSymlinkNofollow | kAtEmptyPath)) return err(EINVAL);
  Resolved r;
  GuestFd* f;
  if (i64 e = resolve_target(p, a[0], a[1], a[3], r, f)) return e;
  return f ? chmod_fd(p, *f, a[2]) : chmod_path(p, r, a[2]);
}

i64 sys_fchmodat(Process& p, const u64* a) {
  const u64 b[4] = {a[0], a[1], a[2], 0};
  return sys_fchmodat2(p, b);
}

// The owner: the guest may "change" it only to what it is (it runs as the host user, who may
// not give files away); EPERM for anything else.
i64 check_owner(const struct stat& st, u64 uid, u64 gid) {
  const u32 u = static_cast<u32>(uid), g = static_cast<u32>(gid);
  if ((u != ~0u && u != st.st_uid) || (g != ~0u && g != st.st_gid)) return err(EPERM);
  return 0;
}

i64 chown_fd(Process& p, GuestFd& f, u64 uid, u64 gid) {
  if (is_path_fd(f)) return err(EBADF);
  if (i64 e = fd_modifiable(p, f)) return e;
  if (f.mem) {
    const u32 u = static_cast<u32>(uid), g = static_cast<u32>(gid);
    return (u == ~0u || u == ::getuid()) && (g == ~0u || g == ::getgid()) ? 0 : err(EPERM);
  }
  struct stat st;
  if (::fstat(f.host, &st) != 0) return err(errno);
  if (i64 e = check_owner(st, uid, gid)) return e;
  return host_result(::fchown(f.host, static_cast<uid_t>(uid), static_cast<gid_t>(gid)));
}

i64 sys_fchown(Process& p, const u64* a) {
  GuestFd* f = fd_of(p, a[0]);
  return f ? chown_fd(p, *f, a[1], a[2]) : err(EBADF);
}

i64 sys_fchownat(Process& p, const u64* a) {
  if (a[4] & ~(kAtSymlinkNofollow | kAtEmptyPath)) return err(EINVAL);
  Resolved r;
  GuestFd* f;
  if (i64 e = resolve_target(p, a[0], a[1], a[4], r, f)) return e;
  if (f) return chown_fd(p, *f, a[2], a[3]);
  if (!write_ok(p, r)) return err(EROFS);
  Object o;
  if (i64 e = open_object(p, r, o)) return e;
  struct stat st;
  if (::fstatat(o.fd.fd, "", &st, AT_EMPTY_PATH) != 0) return err(errno);
  if (i64 e = check_owner(st, a[2], a[3])) return e;
  const uid_t u = static_cast<uid_t>(a[2]);
  const gid_t g = static_cast<gid_t>(a[3]);
  if (r.is_symlink) {  // the link itself, through its directory
    Entry e;
    e.r = r;
    if (i64 err_ = open_parent(p, e)) return err_;
    return host_result(::fchownat(e.dir.fd, e.name.c_str(), u, g, AT_SYMLINK_NOFOLLOW));
  }
  return host_result(::chown(o.path.c_str(), u, g));
}

i64 sys_utimensat(Process& p, const u64* a) {
  constexpr i64 kUtimeNow = (1l << 30) - 1, kUtimeOmit = (1l << 30) - 2;
  const u64 flags = a[3];
  if (flags & ~(kAtSymlinkNofollow | kAtEmptyPath)) return err(EINVAL);
  struct timespec ts[2];
  const struct timespec* times = nullptr;
  if (a[2]) {
    i64 g[4];
    if (!p.read(a[2], g, sizeof g)) return err(EFAULT);
    for (int k = 0; k < 2; ++k) {
      const i64 ns = g[2 * k + 1];
      if ((ns < 0 || ns >= 1000000000) && ns != kUtimeNow && ns != kUtimeOmit) return err(EINVAL);
      ts[k].tv_sec = g[2 * k];
      ts[k].tv_nsec = ns;
    }
    times = ts;
  }
  GuestFd* f = nullptr;
  Resolved r;
  if (a[1] == 0) {  // futimens: the descriptor itself
    if (static_cast<i32>(a[0]) == kAtFdcwd) return err(EFAULT);
    if (flags & kAtSymlinkNofollow) return err(EINVAL);
    f = fd_of(p, a[0]);
    if (!f) return err(EBADF);
  } else if (i64 e = resolve_target(p, a[0], a[1], flags, r, f)) {
    return e;
  }
  if (times && ts[0].tv_nsec == kUtimeOmit && ts[1].tv_nsec == kUtimeOmit) return 0;
  if (f) {
    if (is_path_fd(*f)) return err(EBADF);
    if (i64 e = fd_modifiable(p, *f)) return e;
    if (f->mem) return 0;  // a pipe's times: nothing kvrm keeps
    return host_result(::futimens(f->host, times));
  }
  if (!write_ok(p, r)) return err(EROFS);
  if (r.is_symlink) {
    Entry e;
    e.r = r;
    if (i64 err_ = open_parent(p, e)) return err_;
    return host_result(::utimensat(e.dir.fd, e.name.c_str(), times, AT_SYMLINK_NOFOLLOW));
  }
  Object o;
  if (i64 e = open_object(p, r, o)) return e;
  return host_result(::utimensat(AT_FDCWD, o.path.c_str(), times, 0));
}

i64 sys_truncate(Process& p, const u64* a) {
  if (static_cast<i64>(a[1]) < 0) return err(EINVAL);
  Resolved r;
  if (i64 e = resolve_at(p, static_cast<u64>(kAtFdcwd), a[0], true, r)) return e;
  if (!r.exists) return err(ENOENT);
  if (r.is_dir) return err(EISDIR);
  if (!write_ok(p, r)) return err(EROFS);
  Object o;
  if (i64 e = open_object(p, r, o)) return e;
  struct stat st;
  if (::fstatat(o.fd.fd, "", &st, AT_EMPTY_PATH) != 0) return err(errno);
  if (!S_ISREG(st.st_mode)) return err(EINVAL);
  return host_result(::truncate(o.path.c_str(), static_cast<off_t>(a[1])));
}

i64 sys_ftruncate(Process& p, const u64* a) {
  GuestFd* f = fd_of(p, a[0]);
  if (!f) return err(EBADF);
  if (f->mem) return err(EINVAL);
  return host_result(::ftruncate(f->host, static_cast<off_t>(a[1])));
}

// ---- Syncing ------------------------------------------------------------------------------------

i64 do_fsync(Process& p, const u64* a, bool data_only) {
  GuestFd* f = fd_of(p, a[0]);
  if (!f || is_path_fd(*f)) return err(EBADF);
  if (f->mem) return err(EINVAL);  // a pipe
  return host_result(data_only ? ::fdatasync(f->host) : ::fsync(f->host));
}
i64 sys_fsync(Process& p, const u64* a) { return do_fsync(p, a, false); }
i64 sys_fdatasync(Process& p, const u64* a) { return do_fsync(p, a, true); }

// What the guest may have written lies below the --rw directories: those file systems are
// synced, not the whole host.
i64 sys_sync(Process& p, const u64*) {
  for (const auto& d : p.sandbox.rw_dirs()) {
    Fd fd;
    fd.fd = ::open(d.c_str(), O_RDONLY | O_DIRECTORY | O_CLOEXEC);
    if (fd.fd >= 0) ::syncfs(fd.fd);
  }
  return 0;
}

i64 sys_syncfs(Process& p, const u64* a) {
  GuestFd* f = fd_of(p, a[0]);
  if (!f || is_path_fd(*f)) return err(EBADF);
  if (f->mem) return 0;  // pipefs: nothing to write
  return host_result(::syncfs(f->host));
}

}  // namespace

void add_file_write_syscalls(SyscallDef* d) {
  d[34] = {"mkdirat", "dso", sys_mkdirat};
  d[35] = {"unlinkat", "dsx", sys_unlinkat};
  d[36] = {"symlinkat", "sds", sys_symlinkat};
  d[37] = {"linkat", "dsdsx", sys_linkat};
  d[38] = {"renameat", "dsds", sys_renameat};
  d[45] = {"truncate", "sd", sys_truncate};
  d[46] = {"ftruncate", "dd", sys_ftruncate};
  d[52] = {"fchmod", "do", sys_fchmod};
  d[53] = {"fchmodat", "dso", sys_fchmodat};
  d[54] = {"fchownat", "dsddx", sys_fchownat};
  d[55] = {"fchown", "ddd", sys_fchown};
  d[81] = {"sync", "", sys_sync};
  d[82] = {"fsync", "d", sys_fsync};
  d[83] = {"fdatasync", "d", sys_fdatasync};
  d[88] = {"utimensat", "dsxx", sys_utimensat};
  d[267] = {"syncfs", "d", sys_syncfs};
  d[276] = {"renameat2", "dsdsx", sys_renameat2};
  d[452] = {"fchmodat2", "dsox", sys_fchmodat2};
}

}  // namespace kvrm::os::detail

// The guest's view of the file system and its file descriptors.
//
// Sandbox: guest paths are resolved here, component by component, never by the host kernel:
// "." and ".." lexically on the already-resolved prefix ("/.." is "/"), symlinks read with
// readlink and followed by hand (at most 40), absolute targets re-rooted under the root. The
// result is a host path inside the root with no symlink in it (except a final one the caller
// asked not to follow); it is then opened relative to the root with openat2 RESOLVE_BENEATH |
// RESOLVE_NO_SYMLINKS (or O_NOFOLLOW where openat2 is missing), so a symlink swapped in after
// the check cannot lead outside either. Writing (open for writing, O_CREAT, O_TRUNC, unlink,
// mkdir, ...) is allowed only below a --rw directory; elsewhere EROFS.
//
// FdTable: guest descriptors map to host descriptors the table owns (guest 0-2 start as the
// host's stdio, which are never closed) or to memory streams (an embedding caller's stdin,
// stdout and stderr). Each entry remembers the guest path it was opened with, for *at() calls
// relative to it and for fchdir.
#pragma once

#include <memory>
#include <string>
#include <vector>

#include "isa/hd.hpp"

namespace kvrm::os {

struct SandboxOptions {
  std::string root = "/";            // host directory the guest sees as "/"
  std::vector<std::string> rw_dirs;  // host directories below which the guest may write
};

struct Resolved {
  std::string guest;  // the resolved guest path, absolute, no "." / ".." / symlinks
  std::string host;   // the host path (root + guest)
  bool exists = false;
  bool is_dir = false;
  bool is_symlink = false;  // only when the final component was not followed
};

class Sandbox {
 public:
  // Throws Error when the root or a --rw directory does not exist.
  explicit Sandbox(const SandboxOptions& o);

  // Resolves `path` relative to the guest directory `base` (absolute guest path). Returns 0 or
  // a negative errno (ENOENT for a missing intermediate component, ENOTDIR, ELOOP,
  // ENAMETOOLONG). A missing final component is not an error (r.exists false).
  i64 resolve(const std::string& base, const std::string& path, bool follow_final,
              Resolved& r) const;
  bool writable(const std::string& host_path) const;
  // Opens a resolved path (never following a symlink) with host open flags: fd or -errno.
  int open(const Resolved& r, int host_flags, unsigned mode) const;
  // The host path as the guest sees it (empty when outside the root).
  std::string guest_path_of(const std::string& host_path) const;

  const std::string& root() const { return root_; }
  const std::vector<std::string>& rw_dirs() const { return rw_; }
  std::string cwd;  // the guest's current directory (absolute guest path)

 private:
  std::string root_;  // canonical, no trailing slash ("" for "/")
  std::vector<std::string> rw_;
  int root_fd_ = -1;
};

// An in-memory stream standing in for a host descriptor (ProcessOptions' stdin_data,
// stdout_buffer, stderr_buffer): one end of a pipe whose other end is the embedding caller.
// Shared by every guest descriptor dup'ed from it, like an open file description.
struct MemoryStream {
  const std::string* input = nullptr;  // read end: these bytes, then EOF
  u64 pos = 0;                         // how many of them were read
  std::string* output = nullptr;       // write end: appended here
  u32 status_flags = 0;                // O_RDONLY or O_WRONLY, plus what F_SETFL set
  u32 mode = 0600;                     // permission bits (fchmod changes them)
  u64 ino = 0;                         // the inode number fstat reports
  i64 created_sec = 0, created_nsec = 0;
};

struct GuestFd {
  int host = -1;                      // the host descriptor (-1 for a memory stream)
  bool owned = false;                 // false for the host's stdio
  bool cloexec = false;               // recorded: kvrm never execs
  std::string path;                   // guest path it was opened with ("" for pipes and stdio)
  std::shared_ptr<MemoryStream> mem;  // set for a memory stream

  bool in_use() const { return host >= 0 || mem != nullptr; }
  // read/write at the descriptor's position (off < 0) or at off (pread/pwrite): the byte count
  // or -errno. A memory stream behaves as a pipe end: EBADF the wrong way, ESPIPE with an
  // offset, EOF after the input.
  i64 read(void* buf, u64 n, i64 off) const;
  i64 write(const void* buf, u64 n, i64 off) const;
};

class FdTable {
 public:
  static constexpr int kMax = 1024;
  FdTable();  // guest 0-2: the host's stdio
  ~FdTable();
  FdTable(const FdTable&) = delete;
  FdTable& operator=(const FdTable&) = delete;

  GuestFd* get(u64 fd);
  // Installs at the lowest free guest fd >= min: the guest fd or -EMFILE (then closes host).
  int install(GuestFd f, int min = 0);
  int install_at(GuestFd f, int fd);  // replaces (closes) what was at fd
  int close(u64 fd);                  // 0 or -EBADF

 private:
  std::vector<GuestFd> fds_;
};

}  // namespace kvrm::os

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
// The guest's /proc/self (also /proc/thread-self and /proc/<its pid>) is kvrm's own, answered
// from the guest process (os/procfs.cpp); other process directories and the /proc and /dev
// entries that would show the host process or its memory do not exist for the guest, and device
// nodes other than the harmless ones (null, zero, random, terminals) cannot be opened.
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
  // -L (qemu-aarch64's): a host directory, read-only unless below a --rw directory, whose files
  // an absolute guest path names before the root's (a target sysroot: the program interpreter,
  // shared libraries, /etc files); "" for none. Resolved beneath it as beneath the root.
  std::string ld_prefix;
};

// An object of the guest's own /proc/self (os/procfs.cpp).
struct ProcNode {
  enum Kind : u8 {
    kNone,
    kSelfLink,  // /proc/self itself, not followed: a link to the pid
    kSelfDir,   // /proc/self
    kFdDir,     // /proc/self/fd
    kFdLink,    // /proc/self/fd/N that names no path (a pipe, a terminal, a memory stream)
    kFile,      // /proc/self/maps, status, mem, ...
    kLink,      // /proc/self/exe, cwd or root, not followed
  };
  Kind kind = kNone;
  std::string name;  // kFile, kLink: the entry's name
  int fd = -1;       // kFdLink: the guest descriptor
};

struct Resolved {
  std::string guest;  // the resolved guest path, absolute, no "." / ".." / symlinks
  std::string host;   // the host path (root + guest); empty for a /proc/self object
  bool exists = false;
  bool is_dir = false;
  bool is_symlink = false;  // only when the final component was not followed
  bool is_fifo = false;
  bool in_prefix = false;  // found beneath -L's directory (`host` is there), not the root
  // Sandbox::resolve stops at /proc/self (guest "/proc/self", proc_rest the components after
  // it); the OS layer's resolve_path walks the rest into `node`.
  bool proc = false;
  std::vector<std::string> proc_rest;
  ProcNode node;
};

class Sandbox {
 public:
  // Throws Error when the root or a --rw directory does not exist.
  explicit Sandbox(const SandboxOptions& o);
  ~Sandbox();
  Sandbox(const Sandbox&) = delete;
  Sandbox& operator=(const Sandbox&) = delete;

  // Resolves `path` relative to the guest directory `base` (absolute guest path). Returns 0 or
  // a negative errno (ENOENT for a missing intermediate component, ENOTDIR, ELOOP,
  // ENAMETOOLONG). A missing final component is not an error (r.exists false). With -L, an
  // absolute path that exists beneath its directory resolves there (r.in_prefix).
  i64 resolve(const std::string& base, const std::string& path, bool follow_final,
              Resolved& r) const;
  bool writable(const std::string& host_path) const;
  // Opens a resolved path (never following a symlink) with host open flags: fd or -errno.
  // Refuses /proc/self objects (the caller answers those), other processes' /proc entries and
  // device nodes that are not harmless (EACCES), whatever path reached them.
  int open(const Resolved& r, int host_flags, unsigned mode) const;
  // The guest's own pid, as getpid() answers it, in decimal.
  const std::string& pid() const { return pid_; }
  // The host path as the guest sees it (empty when outside the root).
  std::string guest_path_of(const std::string& host_path) const;
  // The same, but never empty and never a host path: "/(unreachable)/NAME" outside the root
  // (an absolute path, as glibc expects of /proc/self/exe, that names nothing).
  std::string guest_view(const std::string& host_path) const;

  const std::string& root() const { return root_; }
  const std::string& ld_prefix() const { return prefix_; }  // -L's directory ("": none)
  const std::vector<std::string>& rw_dirs() const { return rw_; }
  std::string cwd;  // the guest's current directory (absolute guest path)

 private:
  // resolve() beneath one root (the root, or -L's directory), symlinks re-rooted there.
  i64 resolve_in(const std::string& root, int root_fd, const std::string& base,
                 const std::string& path, bool follow_final, Resolved& r) const;
  // An O_PATH descriptor of the directory the components name beneath the root open as
  // root_fd (no symlink on the way), or -errno.
  int open_dir(int root_fd, const std::vector<std::string>& comps) const;

  std::string root_;  // canonical, no trailing slash ("" for "/")
  std::vector<std::string> rw_;
  int root_fd_ = -1;
  std::string prefix_;  // -L's directory, canonical ("": none)
  int prefix_fd_ = -1;
  std::string pid_;
};

// For a program's start (kvrm's main): a standard descriptor 0-2 closed on the host is opened on
// /dev/null, so that nothing kvrm opens later lands there, and stays closed for the guest.
void reserve_standard_fds();

// Whether a name in /proc (other than the process directories) or /dev (under the host's root)
// is one the guest may see: host-wide information and harmless devices, nothing that shows the
// host process, other processes or memory.
bool proc_entry_visible(const std::string& name);
bool dev_entry_visible(const std::string& name);

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

// A descriptor of the guest's /proc/self that has no host file behind it: the guest's memory
// (/proc/self/mem) or a directory listing (/proc/self, /proc/self/fd). Shared by dup'ed
// descriptors, like an open file description.
struct ProcFile {
  enum Kind : u8 { kMemory, kDirectory };
  Kind kind = kMemory;
  u32 status_flags = 0;  // the open flags (access mode)
  u64 pos = 0;           // kMemory: the address; kDirectory: the next entry
  struct Entry {
    std::string name;
    u8 type;  // DT_DIR, DT_REG, DT_LNK
  };
  std::vector<Entry> entries;  // kDirectory
  u64 ino = 0;
};

struct GuestFd {
  int host = -1;                      // the host descriptor (-1 for memory streams, ProcFiles)
  bool owned = false;                 // false for the host's stdio
  bool cloexec = false;               // recorded: kvrm never execs
  std::string path;                   // guest path it was opened with ("" for pipes and stdio)
  std::shared_ptr<MemoryStream> mem;  // set for a memory stream
  std::shared_ptr<ProcFile> proc;     // set for /proc/self/mem and the /proc/self directories

  bool in_use() const { return host >= 0 || mem != nullptr || proc != nullptr; }
  // read/write at the descriptor's position (off < 0) or at off (pread/pwrite): the byte count
  // or -errno. A memory stream behaves as a pipe end: EBADF the wrong way, ESPIPE with an
  // offset, EOF after the input.
  i64 read(void* buf, u64 n, i64 off) const;
  i64 write(const void* buf, u64 n, i64 off) const;
};

class FdTable {
 public:
  static constexpr int kMax = 1024;
  FdTable();  // guest 0-2: the host's stdio (those of them that are open)
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

// What the file syscall sources share (os/files.cpp, os/file_writes.cpp): the *at() flag
// values, guest descriptor lookup, path resolution relative to a dirfd, and the write rule.
#pragma once

#include <string>

#include "os/process.hpp"
#include "os/syscalls_internal.hpp"

namespace kvrm::os::detail {

constexpr int kAtFdcwd = -100;
constexpr u64 kAtSymlinkNofollow = 0x100, kAtRemovedir = 0x200, kAtEaccess = 0x200,
              kAtSymlinkFollow = 0x400, kAtEmptyPath = 0x1000;

inline GuestFd* fd_of(Process& p, u64 fd) { return p.fds.get(fd); }

// Reads the path argument and resolves it relative to dirfd (or the cwd): 0 or -errno. `raw`
// receives the path as the guest wrote it.
i64 resolve_at(Process& p, u64 dirfd, u64 path_addr, bool follow, Resolved& r,
               std::string* raw = nullptr);

// read/write of a guest descriptor at its position (off < 0) or at off, waiting where it would
// block through Process::wait_fd (os/guest_io.cpp): the byte count, -errno or kRestartSys.
i64 guest_read(Process& p, const GuestFd& f, void* buf, u64 n, i64 off);
i64 guest_write(Process& p, const GuestFd& f, const void* buf, u64 n, i64 off);

// Whether the object at a resolved path may be written (below a --rw directory).
bool write_ok(const Process& p, const Resolved& r);

}  // namespace kvrm::os::detail

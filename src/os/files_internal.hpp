// What the file syscall sources share (os/files.cpp, os/file_writes.cpp, os/procfs.cpp): the
// *at() flag values, guest descriptor lookup, path resolution relative to a dirfd, the write
// rule and the guest's own /proc/self.
#pragma once

#include <string>

#include <sys/stat.h>

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

// Resolves a guest path as Sandbox::resolve does and then what follows /proc/self in it
// (resolve_proc): 0 or -errno. Every guest path goes through here.
i64 resolve_path(Process& p, const std::string& base, const std::string& path, bool follow,
                 Resolved& r);
i64 resolve_proc(Process& p, Resolved& r, bool follow_final);

// The guest's /proc/self objects (r.node.kind != kNone), os/procfs.cpp.
i64 proc_open(Process& p, const Resolved& r, u64 guest_flags);   // a guest fd or -errno
void proc_stat(Process& p, const Resolved& r, struct stat& st);  // stat of the object itself
std::string proc_link_target(Process& p, const Resolved& r);     // kSelfLink, kLink, kFdLink
void proc_file_stat(const ProcFile& f, struct stat& st);
// read (write false) or write /proc/self/mem at off (>= 0) or at the descriptor's position.
i64 proc_memory_io(Process& p, ProcFile& f, u8* buf, u64 n, i64 off, bool write);
i64 proc_getdents(Process& p, ProcFile& f, u64 addr, u64 n);

// What /proc/self/fd/N links to, as the guest sees it (Sandbox::guest_view: never a host path
// outside the root).
std::string fd_link_target(Process& p, const GuestFd& f);

}  // namespace kvrm::os::detail

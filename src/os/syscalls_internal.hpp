// What the syscall source files share: errno results, I/O limits and the registration of each
// file's handlers in the table (os/syscalls.cpp).
#pragma once

#include <time.h>

#include <cerrno>

#include "os/syscalls.hpp"

namespace kvrm::os::detail {

// The generic Linux errno values (the same on aarch64 and x86-64).
constexpr i64 err(int e) { return -static_cast<i64>(e); }
inline i64 host_result(long r) { return r < 0 ? err(errno) : r; }
constexpr u64 kIoMax = u64{16} << 20;  // the most bytes one read/write moves
// The longest a blocking wait sleeps before it looks again at the limits and posted signals.
constexpr i64 kWaitStepNs = 50'000'000;

inline i64 ns_of(const struct timespec& t) { return i64{t.tv_sec} * 1000000000 + t.tv_nsec; }
inline struct timespec timespec_of(i64 ns) {
  return {static_cast<time_t>(ns / 1000000000), static_cast<long>(ns % 1000000000)};
}

// The host clock for a guest clock id: the fixed clocks as they are; a CPU-time clock of the
// process or its thread (pid 0 or the guest's own) as the host's own; -EINVAL for any other
// process's CPU clock or a descriptor-based clock, which would reach beyond the guest.
i64 host_clock(u64 guest_clock);

using DefFn = void (*)(SyscallDef* defs);
void add_file_syscalls(SyscallDef* defs);        // os/files.cpp
void add_file_write_syscalls(SyscallDef* defs);  // os/file_writes.cpp
void add_misc_syscalls(SyscallDef* defs);        // os/misc_syscalls.cpp
void add_signal_syscalls(SyscallDef* defs);      // os/signals.cpp
void add_thread_syscalls(SyscallDef* defs);      // os/threads.cpp

}  // namespace kvrm::os::detail

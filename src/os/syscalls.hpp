// The Linux syscall table, indexed by the aarch64 syscall numbers (X8; arguments X0-X5; the
// result in X0, a negative errno on failure). Handlers work on a Process and its guest memory
// only, never on engine registers, so an engine that posts syscalls from the GPU (the CUDA
// engine's persistent mode) can service them through the same table.
#pragma once

#include "isa/hd.hpp"

namespace kvrm::os {

class Process;

using SyscallFn = i64 (*)(Process& p, const u64* a);

struct SyscallDef {
  const char* name = nullptr;  // nullptr: unknown number
  const char* args = "";       // one letter per argument for --strace: d int, u unsigned,
                               // x hex/pointer, s string pointer, o octal
  SyscallFn fn = nullptr;      // nullptr: known but not implemented (-ENOSYS)
};

constexpr u64 kMaxSyscall = 512;
const SyscallDef& syscall_def(u64 nr);

// What a syscall interrupted by a signal returns when Linux would restart it after a handler
// with SA_RESTART (Linux's -ERESTARTSYS): do_syscall turns it into -EINTR, or runs the SVC again
// after the handler.
constexpr i64 kRestartSys = -512;
// What a syscall returns when the running thread must wait while other threads run:
// kParked (Process::Wait::Park): do_syscall puts the PC back on the SVC and X0 as it was, so the
// call runs again once the wait is over; kFutexWait: X0 is set when the thread is woken
// (Process::futex_block).
constexpr i64 kParked = -513;
constexpr i64 kFutexWait = -514;

// Services one syscall: args[0..5], number nr; returns the result for X0.
i64 service_syscall(Process& p, u64 nr, const u64* args);

// Reads X8 and X0-X5 from the engine, services the call and writes X0 (unless the process ended).
void do_syscall(Process& p);

}  // namespace kvrm::os

// Guest threads and futexes in the OS layer, with hand-built programs (no cross compiler): the
// argument checks of futex and clone, a futex timeout and a deadlock of a single thread, and a
// thread made by clone that must get its turn while the main thread spins.
#include <gtest/gtest.h>

#include <cerrno>
#include <chrono>
#include <string>

#include "engines/engine.hpp"
#include "os/process.hpp"
#include "os/syscalls.hpp"
#include "os_program.hpp"

namespace kvrm::os {
namespace {

using namespace test;

constexpr u64 kWord = 0x410100, kTimespec = 0x410200;  // in the program's RW page
constexpr u32 kStrX4X3_8 = 0xf9000464;                 // str x4, [x3, #8]
constexpr u32 kStrX0X1 = 0xf9000020;                   // str x0, [x1]

// futex(kWord, FUTEX_WAIT, 0, timeout) on the zero word, then exit_group(its result).
std::vector<u32> futex_wait_program(bool with_timeout) {
  return {
      movz(0, 0x41, 1), movk(0, 0x100),  // x0 = kWord
      movz(1, 0),                        // FUTEX_WAIT
      movz(2, 0),                        // the value it holds
      movz(3, 0x41, 1), movk(3, 0x200),  // x3 = kTimespec: {0 s, 30 ms}
      movz(4, 0xc380),  movk(4, 0x1c9, 1),
      kStrX4X3_8,       with_timeout ? movz(5, 0) : movz(3, 0),  // x3 = 0: no timeout
      movz(8, 98),      kSvc,                                    // futex
      movz(8, 94),      kSvc,                                    // exit_group(x0)
  };
}

TEST(OsThreads, FutexArgumentChecks) {
  auto e = make_reference_engine(u64{64} << 20);
  const std::string path = write_program("futex_args", {movz(8, 94), kSvc});
  std::string out, err;
  ProcessOptions o;
  o.path = path;
  o.argv = {path};
  o.stdout_buffer = &out;
  o.stderr_buffer = &err;
  Process p(*e, std::move(o));
  const u32 five = 5;
  ASSERT_TRUE(p.write(kWord, &five, 4));
  auto futex = [&](u64 addr, u64 op, u64 val, u64 ts = 0, u64 addr2 = 0, u64 val3 = 0) {
    const u64 a[6] = {addr, op, val, ts, addr2, val3};
    return service_syscall(p, 98, a);
  };
  constexpr u64 kPrivate = 128;
  EXPECT_EQ(futex(kWord, 0 | kPrivate, 6), -EAGAIN);        // the word is 5
  EXPECT_EQ(futex(kWord + 1, 0, 5), -EINVAL);               // unaligned
  EXPECT_EQ(futex(0x10, 0, 5), -EFAULT);                    // unmapped
  EXPECT_EQ(futex(kWord, 9, 5, 0, 0, 0), -EINVAL);          // WAIT_BITSET, empty bitset
  EXPECT_EQ(futex(kWord, 1, 10), 0);                        // WAKE: nobody waits
  EXPECT_EQ(futex(kWord, 10, 10, 0, 0, 0), -EINVAL);        // WAKE_BITSET, empty bitset
  EXPECT_EQ(futex(kWord, 4, 1, 1, kWord + 4, 6), -EAGAIN);  // CMP_REQUEUE: the word is not 6
  EXPECT_EQ(futex(kWord, 4, 1, 1, kWord + 4, 5), 0);        // nobody to wake or move
  EXPECT_EQ(futex(kWord, 5, 1, 1, kWord + 4, 0x70000000), -ENOSYS);  // WAKE_OP, unknown op
  EXPECT_EQ(futex(kWord, 6, 0), -ENOSYS);                            // LOCK_PI
  EXPECT_EQ(futex(kWord, 1 | 256, 1), -ENOSYS);  // CLOCK_REALTIME is for the waits only
  const i64 bad[2] = {0, 1000000000};
  ASSERT_TRUE(p.write(kTimespec, bad, sizeof bad));
  EXPECT_EQ(futex(kWord, 0, 5, kTimespec), -EINVAL);  // tv_nsec out of range
  // WAKE_OP: word2 = 3 (SET), its old value 0 == 0, so waiters of word2 would be woken too.
  EXPECT_EQ(futex(kWord, 5, 1, 1, kWord + 8, (0u << 28) | (0u << 24) | (3u << 12) | 0u), 0);
  u32 w2 = 0;
  ASSERT_TRUE(p.read(kWord + 8, &w2, 4));
  EXPECT_EQ(w2, 3u);
}

TEST(OsThreads, CloneOfAProcessIsRefused) {
  auto e = make_reference_engine(u64{64} << 20);
  const std::string path = write_program("clone_args", {movz(8, 94), kSvc});
  ProcessOptions o;
  o.path = path;
  o.argv = {path};
  Process p(*e, std::move(o));
  const u64 fork_like[6] = {17 /* SIGCHLD */, 0, 0, 0, 0, 0};
  EXPECT_EQ(service_syscall(p, 220, fork_like), -ENOSYS);
  const u64 vfork_like[6] = {0x100 | 0x4000 | 17, 0, 0, 0, 0, 0};  // CLONE_VM|CLONE_VFORK
  EXPECT_EQ(service_syscall(p, 220, vfork_like), -ENOSYS);
  const u64 clone3_small[6] = {kWord, 8, 0, 0, 0, 0};  // smaller than clone_args v0
  EXPECT_EQ(service_syscall(p, 435, clone3_small), -EINVAL);
  EXPECT_FALSE(p.multithreaded());
}

TEST(OsThreads, FutexTimeoutOfASingleThreadWaits) {
  const Outcome r = run_program(write_program("futex_timeout", futex_wait_program(true)));
  EXPECT_EQ(r.status, (-ETIMEDOUT) & 0xff) << r.err;
  EXPECT_GE(r.seconds, 0.029);
  EXPECT_LT(r.seconds, 5.0);
}

TEST(OsThreads, FutexWaitNobodyCanWakeIsADeadlock) {
  const Outcome r = run_program(write_program("futex_deadlock", futex_wait_program(false)));
  EXPECT_EQ(r.status, 1);
  EXPECT_NE(r.err.find("kvrm: deadlock: all threads wait on futexes"), std::string::npos) << r.err;
  EXPECT_LT(r.seconds, 5.0);
}

// clone(CLONE_VM|FS|FILES|SIGHAND|THREAD, stack): the new thread stores 7 and exits; the main
// thread spins until it sees the 7 (so the thread must be given a turn) and exits with it.
TEST(OsThreads, ClonedThreadRunsWhileTheMainThreadSpins) {
  const Outcome r =
      run_program(write_program("clone_spin", {
                                                  movz(0, 0x0f00),
                                                  movk(0, 0x1, 1),  // 0-1: flags
                                                  movz(1, 0x41, 1),
                                                  movk(1, 0x800),  // 2-3: its stack
                                                  movz(2, 0),
                                                  movz(3, 0),
                                                  movz(4, 0),
                                                  movz(8, 220),
                                                  kSvc,       // 7-8: clone
                                                  cbz(0, 7),  // 9: the new thread goes to 16
                                                  movz(1, 0x41, 1),
                                                  movk(1, 0x300),  // 10-11
                                                  kLdrX0X1,        // 12: x0 = the word
                                                  cbz(0, -1),      // 13: spin while 0
                                                  movz(8, 94),
                                                  kSvc,  // 14-15: exit_group(7)
                                                  movz(1, 0x41, 1),
                                                  movk(1, 0x300),  // 16-17: the new thread
                                                  movz(0, 7),
                                                  kStrX0X1,  // 18-19
                                                  movz(0, 0),
                                                  movz(8, 93),
                                                  kSvc,  // 20-22: exit(0): the thread only
                                                  b(0),
                                              }));
  EXPECT_EQ(r.status, 7) << r.err;
  EXPECT_LT(r.seconds, 5.0);
}

// A guest that makes threads without end (each waits on a futex for ever) gets EAGAIN at a
// bound instead of taking the host's memory: it exits with clone's result, -EAGAIN.
TEST(OsThreads, ThreadsWithoutEndGetEagain) {
  const Outcome r =
      run_program(write_program("clone_many", {
                                                  movz(0, 0x0f00),
                                                  movk(0, 0x1, 1),  // 0-1: flags
                                                  movz(1, 0),       // 2: the same stack
                                                  movz(2, 0),
                                                  movz(3, 0),
                                                  movz(4, 0),
                                                  movz(8, 220),
                                                  kSvc,          // 3-7: clone
                                                  cbz(0, 5),     // 8: the new thread goes to 13
                                                  tbnz63(0, 2),  // 9: an error: to 11
                                                  b(-10),        // 10: again
                                                  movz(8, 94),
                                                  kSvc,  // 11-12: exit_group(x0)
                                                  movz(0, 0x41, 1),
                                                  movk(0, 0x100),  // 13-14: x0 = kWord
                                                  movz(1, 0),      // FUTEX_WAIT
                                                  movz(2, 0),
                                                  movz(3, 0),  // no timeout
                                                  movz(8, 98),
                                                  kSvc,   // 15-19: futex
                                                  b(-7),  // 20: to 13
                                              }));
  EXPECT_EQ(r.status, (256 - EAGAIN) & 0xff) << r.err;
  EXPECT_LT(r.seconds, 20.0);
}

}  // namespace
}  // namespace kvrm::os

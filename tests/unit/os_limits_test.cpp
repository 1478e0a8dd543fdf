// Limits that end a guest whatever it is doing (Process::cancel() from another thread, the
// timeout, a posted signal) while it sleeps in a syscall or loops, and address-range operations
// whose cost does not grow with the range's size.
#include <gtest/gtest.h>

#include <chrono>
#include <string>
#include <thread>
#include <vector>

#include "core/address_space.hpp"
#include "engines/engine.hpp"
#include "isa/mmu.hpp"
#include "os/process.hpp"
#include "os_program.hpp"

namespace kvrm::os {
namespace {

using namespace test;
using Clock = std::chrono::steady_clock;
// The limits act within 100 ms; the checks allow twice that for a loaded test machine.
constexpr double kLate = 0.2;

constexpr u32 kStrX1X0 = 0xf9000001;     // str x1, [x0]
constexpr u32 kStrXzrX0_8 = 0xf900041f;  // str xzr, [x0, #8]

// nanosleep({20 s}), then exit_group(3).
std::string sleeper() {
  return write_program("sleep20", {
                                      movz(0, 0x41, 1),  // x0 = 0x410100: the timespec
                                      movk(0, 0x100),    //
                                      movz(1, 20),       // 20 s
                                      kStrX1X0,          //
                                      kStrXzrX0_8,       // 0 ns
                                      movz(1, 0),        // no rem
                                      movz(8, 101),      // nanosleep
                                      kSvc,              //
                                      movz(0, 3),        // status 3
                                      movz(8, 94),       // exit_group
                                      kSvc,
                                  });
}

TEST(OsLimits, CancelEndsASleepingGuest) {
  const Outcome r = run_and(sleeper(), 0, 200, [](Process& p) { p.cancel(); });
  EXPECT_EQ(r.status, kExitTimeout);
  EXPECT_GE(r.seconds, 0.2);
  EXPECT_LT(r.seconds, 0.2 + kLate);
  EXPECT_NE(r.err.find("kvrm: timeout"), std::string::npos) << r.err;
}

TEST(OsLimits, CancelEndsALoopingGuest) {
  const std::string prog = write_program("loop", {b(0)});
  const Outcome r = run_and(prog, 0, 200, [](Process& p) { p.cancel(); });
  EXPECT_EQ(r.status, kExitTimeout);
  EXPECT_LT(r.seconds, 0.2 + kLate);
}

TEST(OsLimits, CancelBeforeRunEndsAtOnce) {
  auto e = make_reference_engine(u64{64} << 20);
  ProcessOptions o;
  const std::string prog = sleeper();
  o.path = prog;
  o.argv = {prog};
  std::string err;
  o.stderr_buffer = &err;
  Process p(*e, std::move(o));
  p.cancel();
  EXPECT_EQ(p.run(), kExitTimeout);
  EXPECT_EQ(p.stats().instructions, 0u);
}

TEST(OsLimits, TimeoutEndsASleep) {
  const Outcome r = run_and(sleeper(), 0.3, -1, [](Process&) {});
  EXPECT_EQ(r.status, kExitTimeout);
  EXPECT_GE(r.seconds, 0.3);
  EXPECT_LT(r.seconds, 0.3 + kLate);
  EXPECT_NE(r.err.find("kvrm: timeout (0.3 s) reached"), std::string::npos) << r.err;
}

TEST(OsLimits, PostedSignalEndsASleepWithItsDefaultAction) {
  const Outcome r = run_and(sleeper(), 0, 100, [](Process& p) { p.post_signal(15); });
  EXPECT_EQ(r.status, 128 + 15);
  EXPECT_LT(r.seconds, 0.1 + kLate);
  EXPECT_NE(r.err.find("uncaught target signal 15"), std::string::npos) << r.err;
}

TEST(OsLimits, PostedSignalReachesALoopingGuest) {
  const std::string prog = write_program("loop2", {b(0)});
  const Outcome r = run_and(prog, 0, 100, [](Process& p) { p.post_signal(2); });
  EXPECT_EQ(r.status, 128 + 2);
  EXPECT_LT(r.seconds, 0.1 + kLate);
  EXPECT_NE(r.err.find("uncaught target signal 2"), std::string::npos) << r.err;
}

TEST(OsLimits, IgnoredPostedSignalLetsTheSleepGoOn) {
  // SIGCHLD is ignored by default: the sleep goes on until the timeout.
  const Outcome r = run_and(sleeper(), 0.3, 50, [](Process& p) { p.post_signal(17); });
  EXPECT_EQ(r.status, kExitTimeout);
  EXPECT_GE(r.seconds, 0.3);
}

TEST(OsLimits, ContinuousTimeoutStopsALongBatch) {
  auto e = make_reference_engine(u64{16} << 20);
  e->map(0x10000, 0x1000, kPermRead | kPermExec);
  const u32 loop = b(0);
  e->write_memory(0x10000, &loop, 4);
  e->set_pc(0x10000);
  const auto t0 = Clock::now();
  const RunResult r = e->execute_continuous(u64{1} << 50, 10, 0.2);  // batches of days
  const double took = std::chrono::duration<double>(Clock::now() - t0).count();
  EXPECT_EQ(r.signal, Signal::Checkpoint);
  EXPECT_EQ(r.batch_count, 1u);
  EXPECT_GT(r.cycles, 0u);
  EXPECT_LT(took, 0.2 + kLate);
}

TEST(OsLimits, HugeRangesCostWhatIsMapped) {
  AddressSpace as(u64{64} << 20);
  const auto t0 = Clock::now();
  constexpr u64 kAll = u64{1} << kVaBits;
  EXPECT_THROW(as.map(0, kAll, kPermRead), Error);  // beyond the limit: at once
  as.map(0x10000, 0x3000, kPermRead | kPermWrite);
  as.map(u64{1} << 46, 0x1000, kPermRead);
  EXPECT_THROW(as.map(0, u64{32} << 20, kPermRead), Error);  // overlaps 0x10000
  EXPECT_EQ(as.mapped_bytes(), 0x4000u);
  as.protect(0x10000, 0x3000, kPermRead);
  EXPECT_EQ(as.perms_at(0x12000), kPermRead);
  as.unmap(0, kAll);
  EXPECT_EQ(as.mapped_bytes(), 0u);
  EXPECT_EQ(as.perms_at(0x10000), -1);
  EXPECT_EQ(as.perms_at(u64{1} << 46), -1);
  as.map(0x10000, 0x1000, kPermRead);  // the frames came back
  EXPECT_EQ(as.mapped_bytes(), 0x1000u);
  EXPECT_LT(std::chrono::duration<double>(Clock::now() - t0).count(), 0.5);
}

}  // namespace
}  // namespace kvrm::os

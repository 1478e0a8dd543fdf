// LaneWorkers (batch/lane_workers.hpp): a job blocked in the host past the grace period gets a
// replacement thread, so that the jobs queued behind it run; a job that computes for long keeps
// its thread; the pool settles once every job is done or blocked; queued jobs all run.
#include "batch/lane_workers.hpp"

#include <gtest/gtest.h>

#include <atomic>
#include <chrono>
#include <thread>

namespace kvrm::batch {
namespace {

using Clock = std::chrono::steady_clock;
using std::chrono::milliseconds;

std::vector<std::function<void()>> one(std::function<void()> f) { return {std::move(f)}; }

TEST(LaneWorkers, ABlockedJobDoesNotHoldTheQueue) {
  LaneWorkers w(1, milliseconds(2));
  std::atomic<bool> release{false}, quick_done{false};
  w.submit(one([&] {
    LaneWorkers::Blocking b(w);
    while (!release) std::this_thread::sleep_for(milliseconds(1));
  }));
  w.submit(one([&] { quick_done = true; }));
  const auto t0 = Clock::now();
  // The quick job runs on the replacement thread while the first one still blocks...
  while (!quick_done && Clock::now() - t0 < std::chrono::seconds(5))
    std::this_thread::sleep_for(milliseconds(1));
  EXPECT_TRUE(quick_done);
  // ...and the pool counts as settled with only a blocked job left.
  EXPECT_TRUE(w.wait_settled(Clock::now() + std::chrono::seconds(5)));
  EXPECT_FALSE(release);
  EXPECT_EQ(w.peak_threads(), 2u);
  release = true;
}

TEST(LaneWorkers, AComputingJobKeepsItsThread) {
  LaneWorkers w(1, milliseconds(2));
  std::atomic<bool> first_done{false}, second_after_first{false};
  w.submit(one([&] {
    const auto t0 = Clock::now();
    while (Clock::now() - t0 < milliseconds(50)) {
    }
    first_done = true;
  }));
  w.submit(one([&] { second_after_first = first_done.load(); }));
  EXPECT_FALSE(w.wait_settled(Clock::now() + milliseconds(20)));
  EXPECT_TRUE(w.wait_settled(Clock::now() + std::chrono::seconds(5)));
  EXPECT_TRUE(second_after_first);
  EXPECT_EQ(w.peak_threads(), 1u);
}

TEST(LaneWorkers, BlockingOutsideAJobDoesNothingAndQueuedJobsAllRun) {
  std::atomic<int> ran{0};
  {
    LaneWorkers w(2);
    LaneWorkers::Blocking b(w);  // not on a worker thread: no effect
    std::vector<std::function<void()>> jobs;
    for (int i = 0; i < 100; ++i) jobs.emplace_back([&] { ++ran; });
    w.submit(std::move(jobs));
  }  // the destructor waits for them
  EXPECT_EQ(ran, 100);
}

}  // namespace
}  // namespace kvrm::batch

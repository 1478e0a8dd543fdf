// Host threads that run a batch's lane jobs (starting a lane, executing its slice, servicing its
// stops) while the scheduler goes on. A job that stays longer than a short grace period inside a
// section that may block in the host (a syscall that sleeps or waits) stops counting against
// the thread count: a fresh thread takes its place, so that lanes blocked in the host never
// hold the others, and the blocked thread ends once its job is done.
#pragma once

#include <atomic>
#include <chrono>
#include <condition_variable>
#include <cstddef>
#include <functional>
#include <memory>
#include <mutex>
#include <thread>
#include <vector>

namespace kvrm::batch {

class LaneWorkers {
 public:
  using Clock = std::chrono::steady_clock;

  // threads: jobs run at once, those blocked past the grace period not counted (0: one per
  // host CPU).
  explicit LaneWorkers(unsigned threads = 0,
                       std::chrono::microseconds grace = std::chrono::milliseconds(2));
  // Waits for the jobs queued and running.
  ~LaneWorkers();
  LaneWorkers(const LaneWorkers&) = delete;
  LaneWorkers& operator=(const LaneWorkers&) = delete;

  unsigned size() const { return target_; }

  // Queues jobs. A job must not throw (an exception escaping one ends the program).
  void submit(std::vector<std::function<void()>> jobs);

  // Marks, on a job's thread, a section that may block in the host. Outside a job: no effect.
  class Blocking {
   public:
    explicit Blocking(LaneWorkers& w);
    ~Blocking();
    Blocking(const Blocking&) = delete;
    Blocking& operator=(const Blocking&) = delete;

   private:
    LaneWorkers& w_;
    bool on_ = false;
  };

  // Waits until no job is queued and every running one is blocked past the grace period, or
  // until `until`; true when so.
  bool wait_settled(Clock::time_point until);
  // Most threads that existed at once.
  unsigned peak_threads() const;

 private:
  struct Worker {
    std::thread thread;
    // In a Blocking section since (Clock ticks; 0: not in one). The worker's own, read by the
    // monitor; the rest under mu_.
    std::atomic<Clock::rep> blocked_since{0};
    bool running = false;   // has a job
    bool replaced = false;  // blocked past the grace period: another thread took its place
    bool finished = false;  // the thread has returned (to be joined)
  };

  void work(Worker* self);
  void monitor();
  void spawn_locked();
  bool settled_locked() const;
  bool queued_locked() const { return queue_head_ < queue_.size(); }

  const unsigned target_;
  const std::chrono::microseconds grace_;
  mutable std::mutex mu_;
  std::condition_variable work_cv_, monitor_cv_, settled_cv_;
  std::vector<std::function<void()>> queue_;  // taken from the front
  size_t queue_head_ = 0;
  std::vector<std::unique_ptr<Worker>> workers_;
  unsigned running_counted_ = 0;  // running jobs not replaced
  unsigned peak_ = 0;
  bool quit_ = false;
  std::thread monitor_;
};

}  // namespace kvrm::batch

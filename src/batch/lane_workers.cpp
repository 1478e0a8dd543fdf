// LaneWorkers: a job queue, its threads, and a monitor that puts a fresh thread in the place of
// one blocked in the host past the grace period (and joins threads that have ended).
#include "batch/lane_workers.hpp"

#include <algorithm>

namespace kvrm::batch {

namespace {
// The worker the calling thread is, and whose (nullptr outside a worker thread).
thread_local const void* tl_owner = nullptr;
thread_local void* tl_worker = nullptr;
}  // namespace

LaneWorkers::LaneWorkers(unsigned threads, std::chrono::microseconds grace)
    : target_(threads ? threads : std::max(1u, std::thread::hardware_concurrency())),
      grace_(grace) {
  {
    std::lock_guard<std::mutex> lock(mu_);
    for (unsigned i = 0; i < target_; ++i) spawn_locked();
  }
  monitor_ = std::thread([this] { monitor(); });
}

LaneWorkers::~LaneWorkers() {
  {
    std::lock_guard<std::mutex> lock(mu_);
    quit_ = true;
  }
  work_cv_.notify_all();
  monitor_cv_.notify_all();
  monitor_.join();
}

void LaneWorkers::spawn_locked() {
  workers_.push_back(std::make_unique<Worker>());
  Worker* w = workers_.back().get();
  w->thread = std::thread([this, w] { work(w); });
  const auto live = std::count_if(workers_.begin(), workers_.end(),
                                  [](const std::unique_ptr<Worker>& x) { return !x->finished; });
  peak_ = std::max(peak_, static_cast<unsigned>(live));
}

void LaneWorkers::submit(std::vector<std::function<void()>> jobs) {
  if (jobs.empty()) return;
  {
    std::lock_guard<std::mutex> lock(mu_);
    if (queue_.empty()) {
      queue_ = std::move(jobs);
    } else {
      for (auto& j : jobs) queue_.push_back(std::move(j));
    }
  }
  work_cv_.notify_all();
}

bool LaneWorkers::settled_locked() const {
  return queue_head_ == queue_.size() && running_counted_ == 0;
}

bool LaneWorkers::wait_settled(Clock::time_point until) {
  std::unique_lock<std::mutex> lock(mu_);
  return settled_cv_.wait_until(lock, until, [&] { return settled_locked(); });
}

unsigned LaneWorkers::peak_threads() const {
  std::lock_guard<std::mutex> lock(mu_);
  return peak_;
}

void LaneWorkers::work(Worker* self) {
  tl_owner = this;
  tl_worker = self;
  std::unique_lock<std::mutex> lock(mu_);
  for (;;) {
    work_cv_.wait(lock, [&] { return quit_ || queue_head_ < queue_.size(); });
    if (queue_head_ == queue_.size()) break;  // quitting, nothing left to do
    std::function<void()> job = std::move(queue_[queue_head_++]);
    if (queue_head_ == queue_.size()) {
      queue_.clear();
      queue_head_ = 0;
    }
    self->running = true;
    ++running_counted_;
    lock.unlock();
    job();
    job = nullptr;
    lock.lock();
    self->running = false;
    if (!self->replaced) --running_counted_;
    if (settled_locked()) settled_cv_.notify_all();
    if (self->replaced) break;  // another thread has taken this one's place
  }
  self->finished = true;
  lock.unlock();
  monitor_cv_.notify_all();
}

LaneWorkers::Blocking::Blocking(LaneWorkers& w) : w_(w) {
  if (tl_owner != &w_ || !tl_worker) return;
  auto* self = static_cast<Worker*>(tl_worker);
  bool wake = false;
  {
    std::lock_guard<std::mutex> lock(w_.mu_);
    self->blocking = true;
    self->blocked_since = Clock::now();
    if (!self->replaced) ++w_.blocking_counted_;
    wake = w_.monitor_idle_;  // a monitor waiting on a clock looks at every thread anyway
    w_.monitor_idle_ = false;
  }
  on_ = true;
  if (wake) w_.monitor_cv_.notify_all();
}

LaneWorkers::Blocking::~Blocking() {
  if (!on_) return;
  auto* self = static_cast<Worker*>(tl_worker);
  std::lock_guard<std::mutex> lock(w_.mu_);
  self->blocking = false;
  if (!self->replaced) --w_.blocking_counted_;
}

void LaneWorkers::monitor() {
  std::unique_lock<std::mutex> lock(mu_);
  for (;;) {
    // Join the threads that have ended.
    std::vector<std::thread> ended;
    std::erase_if(workers_, [&](std::unique_ptr<Worker>& w) {
      if (!w->finished) return false;
      ended.push_back(std::move(w->thread));
      return true;
    });
    if (!ended.empty()) {
      lock.unlock();
      for (auto& t : ended) t.join();
      lock.lock();
      continue;
    }
    if (quit_ && workers_.empty()) return;
    if (blocking_counted_ == 0) {
      monitor_idle_ = true;
      monitor_cv_.wait(lock);
      monitor_idle_ = false;
      continue;
    }
    // Replace the threads blocked past the grace period; wake when the next one would be.
    const auto now = Clock::now();
    auto next = Clock::time_point::max();
    const size_t n = workers_.size();
    for (size_t i = 0; i < n; ++i) {
      Worker& w = *workers_[i];
      if (!w.blocking || w.replaced) continue;
      if (now - w.blocked_since >= grace_) {
        w.replaced = true;
        --running_counted_;
        --blocking_counted_;
        spawn_locked();
        settled_cv_.notify_all();
      } else {
        next = std::min(next, w.blocked_since + grace_);
      }
    }
    if (next != Clock::time_point::max()) monitor_cv_.wait_until(lock, next);
  }
}

}  // namespace kvrm::batch

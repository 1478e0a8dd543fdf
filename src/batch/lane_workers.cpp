// LaneWorkers: a job queue, its threads, and a monitor that looks at the running jobs every
// half grace period, puts a fresh thread in the place of one blocked in the host past the grace
// period, and joins threads that have ended. A Blocking section costs its job two stores.
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
  monitor_cv_.notify_all();  // jobs to watch
}

bool LaneWorkers::settled_locked() const { return !queued_locked() && running_counted_ == 0; }

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
    work_cv_.wait(lock, [&] { return quit_ || queued_locked(); });
    if (!queued_locked()) break;  // quitting, nothing left to do
    std::function<void()> job = std::move(queue_[queue_head_++]);
    if (!queued_locked()) {
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
  // Never 0 (not blocking): the clock's epoch is long past.
  static_cast<Worker*>(tl_worker)->blocked_since.store(
      std::max<Clock::rep>(1, Clock::now().time_since_epoch().count()), std::memory_order_relaxed);
  on_ = true;
}

LaneWorkers::Blocking::~Blocking() {
  if (on_) static_cast<Worker*>(tl_worker)->blocked_since.store(0, std::memory_order_relaxed);
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
    if (running_counted_ == 0 && !queued_locked()) {
      monitor_cv_.wait(lock);  // nothing to watch until jobs come (submit) or a thread ends
      continue;
    }
    // Replace the threads blocked past the grace period (a stale look at a section that has
    // just ended costs only a spare thread).
    const auto now = Clock::now().time_since_epoch().count();
    const auto grace = std::chrono::duration_cast<Clock::duration>(grace_).count();
    const size_t n = workers_.size();
    for (size_t i = 0; i < n; ++i) {
      Worker& w = *workers_[i];
      if (!w.running || w.replaced) continue;
      const Clock::rep since = w.blocked_since.load(std::memory_order_relaxed);
      if (since != 0 && now - since >= grace) {
        w.replaced = true;
        --running_counted_;
        spawn_locked();
        if (settled_locked()) settled_cv_.notify_all();
      }
    }
    monitor_cv_.wait_for(lock, grace_ / 2);
  }
}

}  // namespace kvrm::batch

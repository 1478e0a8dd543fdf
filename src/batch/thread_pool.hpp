// A fixed set of host threads that run the iterations of a parallel loop: what the batch engine
// executes lanes and services their syscalls on.
#pragma once

#include <condition_variable>
#include <cstddef>
#include <exception>
#include <functional>
#include <mutex>
#include <thread>
#include <vector>

namespace kvrm::batch {

class ThreadPool {
 public:
  // threads: how many threads run loop iterations, the caller's included (0: one per host CPU).
  explicit ThreadPool(unsigned threads = 0);
  ~ThreadPool();
  ThreadPool(const ThreadPool&) = delete;
  ThreadPool& operator=(const ThreadPool&) = delete;

  unsigned size() const { return static_cast<unsigned>(workers_.size()) + 1; }

  // Calls f(i) for every i in [0, n), spread over the threads; returns when all calls have
  // returned. An exception thrown by f is rethrown here (the first one; the loop still
  // finishes). Not reentrant: f must not call parallel_for on the same pool.
  void parallel_for(size_t n, const std::function<void(size_t)>& f);

 private:
  void worker();
  void drain();

  std::vector<std::thread> workers_;
  std::mutex mu_;
  std::condition_variable start_, finished_;
  const std::function<void(size_t)>* job_ = nullptr;
  size_t n_ = 0, next_ = 0, done_ = 0;
  unsigned generation_ = 0, busy_ = 0;
  bool quit_ = false;
  std::exception_ptr error_;
};

}  // namespace kvrm::batch

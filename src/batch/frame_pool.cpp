// FramePool: reservation of the frame region, allocation and release of frames.
#include "batch/frame_pool.hpp"

#include <sys/mman.h>

#include <cstring>
#include <string>

namespace kvrm::batch {

FramePool::FramePool(u64 capacity_bytes) {
  u64 frames = std::min<u64>(capacity_bytes / kPageSize, kMaxFrames);
  if (frames < 2)
    throw Error("frame pool of " + std::to_string(capacity_bytes) + " bytes is empty");
  constexpr u64 kMinFrames = (u64{64} << 20) / kPageSize;
  for (;;) {
    void* p = mmap(nullptr, frames * kPageSize, PROT_READ | PROT_WRITE,
                   MAP_PRIVATE | MAP_ANONYMOUS | MAP_NORESERVE, -1, 0);
    if (p != MAP_FAILED) {
      base_ = static_cast<u8*>(p);
      capacity_ = frames;
      break;
    }
    if (frames <= kMinFrames)
      throw Error("cannot reserve " + std::to_string(frames * kPageSize) +
                  " bytes of memory for guest pages");
    frames = std::max(frames / 2, kMinFrames);
  }
}

FramePool::~FramePool() {
  if (base_) munmap(base_, capacity_ * kPageSize);
}

u32 FramePool::fresh_any_locked() {
  if (any_next_ % kFrameClasses == 0) any_next_ = next_group_++ * kFrameClasses;
  if (any_next_ >= capacity_) return static_cast<u32>(capacity_);
  return any_next_++;
}

u32 FramePool::take_locked(u32 cls) {
  u32 f = static_cast<u32>(capacity_);
  if (cls != kAnyClass) {
    if (!free_[cls].empty()) {  // a released frame of the class first
      f = free_[cls].back();
      free_[cls].pop_back();
      --free_count_;
      return f;
    }
    constexpr u64 kFewGroups = 16;
    const u32 k = class_taken_[cls];
    const u64 groups = class_groups_.size();
    if (k == groups && (groups < kFewGroups || class_taken_total_ * 2 >= groups * kFrameClasses) &&
        u64{next_group_ + 1} * kFrameClasses <= capacity_) {
      class_groups_.push_back(next_group_++);
    }
    if (k < class_groups_.size()) {
      ++class_taken_[cls];
      ++class_taken_total_;
      f = class_groups_[k] * kFrameClasses + cls;
    }
  }
  if (f >= capacity_ && free_count_) {  // any class: a released frame first
    for (auto& list : free_) {
      if (list.empty()) continue;
      f = list.back();
      list.pop_back();
      --free_count_;
      break;
    }
  }
  if (f >= capacity_) f = fresh_any_locked();
  if (f < capacity_ && f >= next_.load(std::memory_order_relaxed))
    next_.store(f + 1, std::memory_order_release);
  return f;
}

u32 FramePool::alloc(u32 cls) {
  if (cls != kAnyClass) cls %= kFrameClasses;
  u32 f;
  {
    std::lock_guard<std::mutex> lock(mu_);
    f = take_locked(cls);
    if (f >= capacity_)
      throw PoolExhausted("out of guest memory: all " + std::to_string(capacity_ * kPageSize) +
                          " bytes of the batch's frame pool are in use");
  }
  const u64 n = in_use_.fetch_add(1, std::memory_order_relaxed) + 1;
  u64 p = peak_.load(std::memory_order_relaxed);
  while (n > p && !peak_.compare_exchange_weak(p, n, std::memory_order_relaxed)) {
  }
  return f;
}

u32 FramePool::alloc_copy(u32 src, u32 cls) {
  const u32 f = alloc(cls);
  std::memcpy(frame(f), frame(src), kPageSize);
  return f;
}

void FramePool::release(u32 f) {
  if (f == kZeroFrame) throw Error("the zero page cannot be released");
  std::lock_guard<std::mutex> lock(mu_);
  free_[f % kFrameClasses].push_back(f);
  ++free_count_;
  in_use_.fetch_sub(1, std::memory_order_relaxed);
}

void FramePool::release(const std::vector<u32>& frames) {
  if (frames.empty()) return;
  std::lock_guard<std::mutex> lock(mu_);
  for (const u32 f : frames) {
    if (f == kZeroFrame) throw Error("the zero page cannot be released");
    free_[f % kFrameClasses].push_back(f);
    ++free_count_;
  }
  in_use_.fetch_sub(frames.size(), std::memory_order_relaxed);
}

void FramePool::trim() {
  std::lock_guard<std::mutex> lock(mu_);
  for (const auto& list : free_) {
    for (const u32 f : list) madvise(frame(f), kPageSize, MADV_DONTNEED);
  }
}

void FramePool::set_dirty_tracking(bool on) {
  std::lock_guard<std::mutex> lock(dirty_mu_);
  track_dirty_ = on;
  if (on && dirty_flag_.empty()) dirty_flag_.assign(capacity_, 0);
}

void FramePool::mark_dirty(u32 frame) {
  if (!track_dirty_) return;
  std::lock_guard<std::mutex> lock(dirty_mu_);
  if (!dirty_flag_[frame]) {
    dirty_flag_[frame] = 1;
    dirty_.push_back(frame);
  }
}

std::vector<u32> FramePool::take_dirty() {
  std::lock_guard<std::mutex> lock(dirty_mu_);
  std::vector<u32> out;
  out.swap(dirty_);
  for (const u32 f : out) dirty_flag_[f] = 0;
  return out;
}

}  // namespace kvrm::batch

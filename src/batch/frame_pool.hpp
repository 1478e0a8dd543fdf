// The page frames every lane of a batch draws from: one region of host virtual memory (reserved,
// committed as pages are touched) cut into 4 KiB frames that lane page tables (PageTableView
// format, isa/mmu.hpp) index. Frame 0 is the shared zero page. Safe to use from many threads.
#pragma once

#include <atomic>
#include <mutex>
#include <vector>

#include "core/error.hpp"
#include "isa/mmu.hpp"

namespace kvrm::batch {

// Thrown when the pool has no free frame left (every lane together holds the whole pool).
class PoolExhausted : public Error {
 public:
  using Error::Error;
};

class FramePool {
 public:
  // The most frames a leaf entry can address (24-bit frame index): 64 GiB.
  static constexpr u64 kMaxFrames = u64{1} << 24;
  // The read-only page of zeros every freshly mapped page starts as (copy on write).
  static constexpr u32 kZeroFrame = 0;

  // capacity_bytes: the most memory the pool hands out (rounded down to whole frames, at most
  // 64 GiB). Where the host refuses to reserve that much address space, the pool halves it
  // until a reservation succeeds (down to 64 MiB, else kvrm::Error).
  explicit FramePool(u64 capacity_bytes = kMaxFrames * kPageSize);
  ~FramePool();
  FramePool(const FramePool&) = delete;
  FramePool& operator=(const FramePool&) = delete;

  // A frame with undefined contents; throws PoolExhausted.
  u32 alloc();
  // A frame holding a copy of `src`'s bytes.
  u32 alloc_copy(u32 src);
  void release(u32 frame);
  void release(const std::vector<u32>& frames);

  u8* frames() const { return base_; }
  u8* frame(u32 f) const { return base_ + u64{f} * kPageSize; }

  u64 capacity_frames() const { return capacity_; }
  // Frames handed out and not released (the zero page not counted).
  u64 frames_in_use() const { return in_use_.load(std::memory_order_relaxed); }
  u64 peak_frames_in_use() const { return peak_.load(std::memory_order_relaxed); }
  // Frames [0, high_water()) have been handed out at least once: what a device mirror of the
  // pool must hold.
  u32 high_water() const { return next_.load(std::memory_order_acquire); }

  // Gives the memory of free frames back to the host (they read as zeros when reused).
  void trim();

  // For a backend that mirrors frames elsewhere (a GPU): while on, every frame the host writes
  // (LaneMemory writes and copies, in any lane or image) is recorded, and take_dirty() returns
  // (and forgets) those written since the last call. Off by default.
  void set_dirty_tracking(bool on);
  bool dirty_tracking() const { return track_dirty_; }
  void mark_dirty(u32 frame);
  std::vector<u32> take_dirty();

 private:
  u8* base_ = nullptr;
  u64 capacity_ = 0;
  std::mutex mu_;
  std::vector<u32> free_;
  std::atomic<u32> next_{1};  // frame 0 is the zero page
  std::atomic<u64> in_use_{0};
  std::atomic<u64> peak_{0};
  bool track_dirty_ = false;
  std::mutex dirty_mu_;
  std::vector<u32> dirty_;
  std::vector<u8> dirty_flag_;
};

}  // namespace kvrm::batch

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

  // Frames come in groups of kFrameClasses, frame f of class f % kFrameClasses, so that a device
  // copy that lays frames out in groups (isa/mmu.hpp, frame_start) can give the lanes of a warp
  // the members of one group: lane i asks for frames of class i % kFrameClasses, and the k-th
  // fresh frame of every class lies in the same group (the k-th class group), so that lanes
  // doing the same thing get the same groups. A class opens a new class group only while class
  // groups are at least half used (or few), else it takes a frame of any class: a lane that
  // needs far more memory than the others does not leave the groups it opens mostly empty.
  // kAnyClass: the next frame of the groups handed out in order.
  static constexpr u32 kFrameClasses = 1u << kMaxFrameShift;
  static constexpr u32 kAnyClass = ~0u;

  // A frame with undefined contents, of class `cls` while the pool has one to give (else of any
  // class); throws PoolExhausted.
  u32 alloc(u32 cls = kAnyClass);
  // A frame holding a copy of `src`'s bytes.
  u32 alloc_copy(u32 src, u32 cls = kAnyClass);
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
  u32 take_locked(u32 cls);  // a frame, or capacity_ when none is left (mu_ held)
  u32 fresh_any_locked();    // the next frame in order, or capacity_

  std::mutex mu_;
  std::vector<u32> free_[kFrameClasses];  // released frames, by class
  u64 free_count_ = 0;
  u32 next_group_ = 1;                   // the first group never handed out (0: the zero page's)
  u32 any_next_ = 1;                     // the next frame of kAnyClass's current group
  std::vector<u32> class_groups_;        // the k-th class group
  u32 class_taken_[kFrameClasses] = {};  // per class: fresh frames taken from class groups
  u64 class_taken_total_ = 0;
  std::atomic<u32> next_{1};  // high_water()
  std::atomic<u64> in_use_{0};
  std::atomic<u64> peak_{0};
  bool track_dirty_ = false;
  std::mutex dirty_mu_;
  std::vector<u32> dirty_;
  std::vector<u8> dirty_flag_;
};

}  // namespace kvrm::batch

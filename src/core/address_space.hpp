// The host side of a guest address space: owns the page-table nodes and the page frames, maps,
// unmaps and protects page ranges, and gives engines a PageTableView (isa/mmu.hpp) to run on.
// Frames live in one reserved region of host virtual memory, committed as pages are touched.
#pragma once

#include <cstddef>
#include <vector>

#include "isa/mmu.hpp"

namespace kvrm {

class AddressSpace {
 public:
  // memory_limit: the most guest memory (bytes of mapped pages) this space may hold.
  explicit AddressSpace(u64 memory_limit = u64{4} << 30);
  ~AddressSpace();
  AddressSpace(const AddressSpace&) = delete;
  AddressSpace& operator=(const AddressSpace&) = delete;

  // Maps [addr, addr+size) (page-aligned, non-empty, below 2^48) as zeroed pages with `perms`.
  // Throws kvrm::Error if any page is already mapped or the memory limit would be exceeded.
  void map(u64 addr, u64 size, u8 perms);
  // Unmaps every mapped page in the range (pages not mapped are skipped).
  void unmap(u64 addr, u64 size);
  // Changes the permissions of a range whose pages must all be mapped.
  void protect(u64 addr, u64 size, u8 perms);
  // True when every page overlapping [addr, addr+size) is mapped.
  bool is_mapped(u64 addr, u64 size) const;
  // Permissions of the page holding addr; -1 when unmapped.
  int perms_at(u64 addr) const;
  // Frame index of the page holding addr; -1 when unmapped.
  i64 frame_at(u64 addr) const;

  // Host-side (debugger) access: ignores permissions, throws kvrm::Error if any byte is unmapped.
  void read(u64 addr, void* dst, u64 size) const;
  void write(u64 addr, const void* src, u64 size);

  PageTableView view() { return PageTableView{nodes_.data(), frames_}; }
  u64 memory_limit() const { return frame_capacity_ * kPageSize; }
  u64 mapped_bytes() const { return mapped_pages_ * kPageSize; }

  // The raw tables, for engines that mirror them elsewhere (the CUDA engine).
  const std::vector<u32>& nodes() const { return nodes_; }
  u8* frames() const { return frames_; }
  u32 frames_used() const { return next_frame_; }
  // Each call returns and clears the set of frames and nodes changed since the last call.
  std::vector<u32> take_dirty_frames();
  bool frame_dirty(u32 frame) const { return dirty_flag_[frame] != 0; }
  bool take_nodes_dirty();

 private:
  static void check_range(u64 addr, u64 size);
  u32* leaf_slot(u64 va, bool create);
  const u32* leaf_slot(u64 va) const;
  u32 alloc_frame();
  void release_frame(u32 frame);
  u32 alloc_node();
  void mark_dirty(u32 frame);

  std::vector<u32> nodes_;  // node i is nodes_[i*kNodeEntries ...]; node 0 is the root
  u8* frames_ = nullptr;
  u64 frame_capacity_ = 0;
  u32 next_frame_ = 0;  // frames [0, next_frame_) have been handed out at least once
  std::vector<u32> free_frames_;
  u64 mapped_pages_ = 0;
  std::vector<u32> dirty_frames_;
  std::vector<u8> dirty_flag_;
  bool nodes_dirty_ = true;
};

}  // namespace kvrm

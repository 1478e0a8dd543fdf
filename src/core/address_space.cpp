// AddressSpace: page-table maintenance and host-side access to guest memory.
#include "core/address_space.hpp"

#include <sys/mman.h>

#include <cstring>
#include <string>

#include "core/error.hpp"
#include "core/page_table.hpp"

namespace kvrm {

namespace {
std::string hex(u64 v) {
  char buf[32];
  snprintf(buf, sizeof buf, "0x%llx", static_cast<unsigned long long>(v));
  return buf;
}
constexpr u64 kMaxFrames = u64{1} << 24;  // frame index field of a leaf entry
}  // namespace

AddressSpace::AddressSpace(u64 memory_limit) {
  frame_capacity_ = (memory_limit + kPageMask) >> kPageBits;
  if (frame_capacity_ == 0 || frame_capacity_ > kMaxFrames) {
    throw Error("memory limit must be between 4 KiB and 64 GiB, not " + hex(memory_limit));
  }
  void* p = mmap(nullptr, frame_capacity_ * kPageSize, PROT_READ | PROT_WRITE,
                 MAP_PRIVATE | MAP_ANONYMOUS | MAP_NORESERVE, -1, 0);
  if (p == MAP_FAILED) throw Error("cannot reserve " + hex(memory_limit) + " bytes of memory");
  frames_ = static_cast<u8*>(p);
  nodes_.assign(kNodeEntries, 0);  // the root
  dirty_flag_.assign(frame_capacity_, 0);
}

AddressSpace::~AddressSpace() {
  if (frames_) munmap(frames_, frame_capacity_ * kPageSize);
}

void AddressSpace::check_range(u64 addr, u64 size) {
  if ((addr & kPageMask) || (size & kPageMask) || size == 0) {
    throw Error("range " + hex(addr) + "+" + hex(size) + " is not page-aligned and non-empty");
  }
  if (addr >= (u64{1} << kVaBits) || size > (u64{1} << kVaBits) - addr) {
    throw Error("range " + hex(addr) + "+" + hex(size) + " lies outside the 48-bit address space");
  }
}

u32 AddressSpace::alloc_node() {
  const u64 index = nodes_.size() / kNodeEntries;
  nodes_.resize(nodes_.size() + kNodeEntries, 0);
  nodes_dirty_ = true;
  return static_cast<u32>(index);
}

u32* AddressSpace::leaf_slot(u64 va, bool create) {
  return table_leaf_slot(nodes_, va, create, [this] { return alloc_node(); });
}

const u32* AddressSpace::leaf_slot(u64 va) const {
  return const_cast<AddressSpace*>(this)->leaf_slot(va, false);
}

u32 AddressSpace::alloc_frame() {
  if (!free_frames_.empty()) {
    const u32 f = free_frames_.back();
    free_frames_.pop_back();
    return f;
  }
  if (next_frame_ >= frame_capacity_) {
    throw Error("out of guest memory: the limit of " + hex(memory_limit()) + " bytes is reached");
  }
  return next_frame_++;
}

void AddressSpace::release_frame(u32 frame) {
  // Returns the page to the OS; a private anonymous page reads as zeros when touched again.
  madvise(frames_ + u64{frame} * kPageSize, kPageSize, MADV_DONTNEED);
  free_frames_.push_back(frame);
  mark_dirty(frame);
}

void AddressSpace::mark_dirty(u32 frame) {
  if (!dirty_flag_[frame]) {
    dirty_flag_[frame] = 1;
    dirty_frames_.push_back(frame);
  }
}

void AddressSpace::map(u64 addr, u64 size, u8 perms) {
  check_range(addr, size);
  const u64 pages = size >> kPageBits;
  // The limit first: a range far beyond it fails at once, whatever its size.
  if (pages > frame_capacity_ - mapped_pages_) {
    throw Error("out of guest memory: mapping " + hex(size) + " bytes exceeds the limit of " +
                hex(memory_limit()) + " bytes");
  }
  table_for_each_present(nodes_.data(), addr, size, [&](u64 va, u32) {
    throw Error("cannot map " + hex(addr) + "+" + hex(size) + ": page " + hex(va) +
                " is already mapped");
  });
  for (u64 p = 0; p < pages; ++p) {
    const u32 f = alloc_frame();
    *leaf_slot(addr + (p << kPageBits), true) = make_leaf(f, perms & 7);
    mark_dirty(f);
  }
  mapped_pages_ += pages;
  nodes_dirty_ = true;
}

void AddressSpace::unmap(u64 addr, u64 size) {
  check_range(addr, size);
  table_for_each_present(nodes_.data(), addr, size, [&](u64 va, u32 leaf) {
    release_frame(leaf_frame(leaf));
    *leaf_slot(va, false) = 0;
    --mapped_pages_;
  });
  nodes_dirty_ = true;
}

void AddressSpace::protect(u64 addr, u64 size, u8 perms) {
  check_range(addr, size);
  if (!is_mapped(addr, size)) {
    throw Error("cannot protect " + hex(addr) + "+" + hex(size) + ": not all of it is mapped");
  }
  table_for_each_present(nodes_.data(), addr, size, [&](u64 va, u32 leaf) {
    *leaf_slot(va, false) = make_leaf(leaf_frame(leaf), perms & 7);
  });
  nodes_dirty_ = true;
}

bool AddressSpace::is_mapped(u64 addr, u64 size) const {
  return table_range_present(addr, size, [this](u64 va) { return leaf_slot(va); });
}

int AddressSpace::perms_at(u64 addr) const {
  if (addr >> kVaBits) return -1;
  const u32* slot = leaf_slot(addr);
  if (!slot || !(*slot & kLeafPresent)) return -1;
  return leaf_perms(*slot);
}

i64 AddressSpace::frame_at(u64 addr) const {
  if (addr >> kVaBits) return -1;
  const u32* slot = leaf_slot(addr);
  if (!slot || !(*slot & kLeafPresent)) return -1;
  return leaf_frame(*slot);
}

void AddressSpace::read(u64 addr, void* dst, u64 size) const {
  if (!is_mapped(addr, size)) {
    throw Error("cannot read " + std::to_string(size) + " bytes at " + hex(addr) +
                ": address not mapped");
  }
  u8* out = static_cast<u8*>(dst);
  while (size > 0) {
    const u64 off = addr & kPageMask;
    const u64 n = std::min<u64>(size, kPageSize - off);
    memcpy(out, frames_ + u64{leaf_frame(*leaf_slot(addr))} * kPageSize + off, n);
    addr += n;
    out += n;
    size -= n;
  }
}

void AddressSpace::write(u64 addr, const void* src, u64 size) {
  if (!is_mapped(addr, size)) {
    throw Error("cannot write " + std::to_string(size) + " bytes at " + hex(addr) +
                ": address not mapped");
  }
  const u8* in = static_cast<const u8*>(src);
  while (size > 0) {
    const u64 off = addr & kPageMask;
    const u64 n = std::min<u64>(size, kPageSize - off);
    const u32 f = leaf_frame(*leaf_slot(addr, false));
    memcpy(frames_ + u64{f} * kPageSize + off, in, n);
    mark_dirty(f);
    addr += n;
    in += n;
    size -= n;
  }
}

std::vector<u32> AddressSpace::take_dirty_frames() {
  std::vector<u32> out;
  out.swap(dirty_frames_);
  for (u32 f : out) dirty_flag_[f] = 0;
  return out;
}

bool AddressSpace::take_nodes_dirty() {
  const bool d = nodes_dirty_;
  nodes_dirty_ = false;
  return d;
}

}  // namespace kvrm

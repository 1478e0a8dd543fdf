// LaneMemory and SharedImage: page-table maintenance, copy on write, sharing and the limits.
#include "batch/lane_memory.hpp"

#include <algorithm>
#include <atomic>
#include <cstring>
#include <string>

#include "core/page_table.hpp"

namespace kvrm::batch {

namespace {

std::string hex(u64 v) {
  char buf[32];
  snprintf(buf, sizeof buf, "0x%llx", static_cast<unsigned long long>(v));
  return buf;
}

std::atomic<u64> g_table_version{1};

}  // namespace

u64 next_table_version() { return g_table_version.fetch_add(1, std::memory_order_relaxed) + 1; }

LaneMemory::LaneMemory(FramePool& pool, LaneLimits limits, Mode mode, const SharedImage* shadow)
    : pool_(pool), limits_(limits), mode_(mode), shadow_(shadow) {
  if (mode == Mode::Image && shadow) throw Error("an image cannot shadow another image");
  if (!shadow_) {
    nodes_.assign(kNodeEntries, 0);
    node_changed_.assign(1, version_);
  }
}

LaneMemory::~LaneMemory() {
  std::vector<u32> own;
  if (!shadow_) {
    for_each_page([&](u64, u32 leaf) {
      if (!(leaf & kLeafShared)) own.push_back(leaf_frame(leaf));
    });
  }
  pool_.release(own);
}

const u32* LaneMemory::table() const {
  return shadow_ ? shadow_->lane_table().data() : nodes_.data();
}

u64 LaneMemory::table_words() const {
  return shadow_ ? shadow_->lane_table().size() : nodes_.size();
}

u64 LaneMemory::table_version() const { return shadow_ ? shadow_->table_version() : version_; }

u64 LaneMemory::mapped_bytes() const {
  return (shadow_ ? shadow_->lane_mapped_pages() : mapped_pages_) * kPageSize;
}

void LaneMemory::check_range(u64 addr, u64 size) {
  if ((addr & kPageMask) || (size & kPageMask) || size == 0)
    throw Error("range " + hex(addr) + "+" + hex(size) + " is not page-aligned and non-empty");
  if (addr >= (u64{1} << kVaBits) || size > (u64{1} << kVaBits) - addr)
    throw Error("range " + hex(addr) + "+" + hex(size) + " lies outside the 48-bit address space");
}

void LaneMemory::materialize() {
  if (!shadow_) return;
  nodes_ = shadow_->lane_table();
  mapped_pages_ = shadow_->lane_mapped_pages();
  shadow_ = nullptr;
  version_ = next_table_version();
  node_changed_.assign(nodes_.size() / kNodeEntries, version_);
}

u32 LaneMemory::alloc_node() {
  const u64 index = nodes_.size() / kNodeEntries;
  if (index >= (u64{1} << 32) / kNodeEntries) throw Error("lane page table too large");
  nodes_.resize(nodes_.size() + kNodeEntries, 0);
  return static_cast<u32>(index);
}

// Every caller may change the leaf (and with `create` its parents): the nodes are stamped as
// changed (node_changed()), a few more than need be at worst.
u32* LaneMemory::slot(u64 va, bool create) {
  const u64 had = nodes_.size();
  u32* leaf = table_leaf_slot(nodes_, va, create, [this] { return alloc_node(); });
  if (!leaf) return nullptr;
  const u64 stamp = next_table_version();
  node_changed_.resize(nodes_.size() / kNodeEntries, stamp);
  if (nodes_.size() != had) {  // new nodes hang below the root and a second-level node
    node_changed_[0] = stamp;
    node_changed_[nodes_[(va >> (kPageBits + 2 * kLevelBits)) & (kNodeEntries - 1)]] = stamp;
  }
  node_changed_[static_cast<u64>(leaf - nodes_.data()) / kNodeEntries] = stamp;
  return leaf;
}

const u32* LaneMemory::slot(u64 va) const {
  if (va >> kVaBits) return nullptr;
  const u32* t = table();
  const u64 vpn = va >> kPageBits;
  const u32 n1 = t[(vpn >> (2 * kLevelBits)) & (kNodeEntries - 1)];
  if (!n1) return nullptr;
  const u32 n2 = t[u64{n1} * kNodeEntries + ((vpn >> kLevelBits) & (kNodeEntries - 1))];
  if (!n2) return nullptr;
  return &t[u64{n2} * kNodeEntries + (vpn & (kNodeEntries - 1))];
}

u32 LaneMemory::take_frame(u32 copy_from) {
  if ((private_frames_ + 1) * kPageSize > limits_.memory_limit && prefaulted_ > 0) {
    // Pages taken ahead of writes that are still zero go back before the limit is declared.
    prefaulted_ = 0;
    share_again(nullptr);
  }
  if ((private_frames_ + 1) * kPageSize > limits_.memory_limit) {
    oom_ = true;
    throw LaneOutOfMemory("out of memory: the lane's limit of " + hex(limits_.memory_limit) +
                          " bytes is reached");
  }
  u32 f;
  try {
    f = pool_.alloc_copy(copy_from, frame_class_);
  } catch (const PoolExhausted&) {
    oom_ = true;
    throw;
  }
  ++private_frames_;
  if (private_frames_ > peak_private_) peak_private_ = private_frames_;
  pool_.mark_dirty(f);
  return f;
}

void LaneMemory::privatize(u32* leaf) {
  const u32 f = take_frame(leaf_frame(*leaf));
  *leaf = make_leaf(f, leaf_logical_perms(*leaf));
  ++copies_;
  version_ = next_table_version();
}

void LaneMemory::map(u64 addr, u64 size, u8 perms) {
  check_range(addr, size);
  const u64 pages = size >> kPageBits;
  // The limit first: a range far beyond it fails at once, whatever its size.
  if ((mapped_bytes() >> kPageBits) + pages > limits_.mapped_limit >> kPageBits)
    throw Error("out of guest memory: mapping " + hex(size) + " bytes exceeds the limit of " +
                hex(limits_.mapped_limit) + " bytes");
  table_for_each_present(table(), addr, size, [&](u64 va, u32) {
    throw Error("cannot map " + hex(addr) + "+" + hex(size) + ": page " + hex(va) +
                " is already mapped");
  });
  materialize();
  perms &= 7;
  for (u64 p = 0; p < pages; ++p) {
    u32 leaf;
    if (mode_ == Mode::Image) {
      leaf = make_leaf(take_frame(FramePool::kZeroFrame), perms);
    } else {
      leaf = make_shared_leaf(FramePool::kZeroFrame, perms);
    }
    *slot(addr + (p << kPageBits), true) = leaf;
    ++mapped_pages_;
  }
  version_ = next_table_version();
}

void LaneMemory::unmap(u64 addr, u64 size) {
  check_range(addr, size);
  materialize();
  std::vector<u32> own;
  table_for_each_present(nodes_.data(), addr, size, [&](u64 va, u32) {
    u32* s = slot(va, false);
    if (!(*s & kLeafShared)) {
      own.push_back(leaf_frame(*s));
      --private_frames_;
    }
    *s = 0;
    --mapped_pages_;
  });
  pool_.release(own);
  version_ = next_table_version();
}

void LaneMemory::protect(u64 addr, u64 size, u8 perms) {
  check_range(addr, size);
  if (!is_mapped(addr, size))
    throw Error("cannot protect " + hex(addr) + "+" + hex(size) + ": not all of it is mapped");
  materialize();
  perms &= 7;
  table_for_each_present(nodes_.data(), addr, size, [&](u64 va, u32) {
    u32* s = slot(va, false);
    *s = (*s & kLeafShared) ? make_shared_leaf(leaf_frame(*s), perms)
                            : make_leaf(leaf_frame(*s), perms);
  });
  version_ = next_table_version();
}

bool LaneMemory::is_mapped(u64 addr, u64 size) const {
  return table_range_present(addr, size, [this](u64 va) { return slot(va); });
}

int LaneMemory::perms_at(u64 addr) const {
  const u32* s = slot(addr);
  return s && (*s & kLeafPresent) ? leaf_logical_perms(*s) : -1;
}

bool LaneMemory::owns_page(u64 addr) const {
  const u32* s = slot(addr);
  return s && (*s & kLeafPresent) && !(*s & kLeafShared);
}

void LaneMemory::read(u64 addr, void* dst, u64 size) const {
  if (!is_mapped(addr, size))
    throw Error("cannot read " + std::to_string(size) + " bytes at " + hex(addr) +
                ": address not mapped");
  u8* out = static_cast<u8*>(dst);
  while (size > 0) {
    const u64 off = addr & kPageMask;
    const u64 n = std::min<u64>(size, kPageSize - off);
    std::memcpy(out, pool_.frame(leaf_frame(*slot(addr))) + off, n);
    addr += n;
    out += n;
    size -= n;
  }
}

void LaneMemory::write(u64 addr, const void* src, u64 size) {
  if (!is_mapped(addr, size))
    throw Error("cannot write " + std::to_string(size) + " bytes at " + hex(addr) +
                ": address not mapped");
  const u8* in = static_cast<const u8*>(src);
  while (size > 0) {
    const u64 off = addr & kPageMask;
    const u64 n = std::min<u64>(size, kPageSize - off);
    const u32* cs = slot(addr);
    const bool keep_shared =
        (*cs & kLeafShared) && std::memcmp(pool_.frame(leaf_frame(*cs)) + off, in, n) == 0;
    if (!keep_shared) {
      materialize();
      u32* s = slot(addr, false);
      if (*s & kLeafShared) privatize(s);
      std::memcpy(pool_.frame(leaf_frame(*s)) + off, in, n);
      pool_.mark_dirty(leaf_frame(*s));
    }
    addr += n;
    in += n;
    size -= n;
  }
}

void LaneMemory::share(const LaneMemory& image, u64 addr, u64 size) {
  check_range(addr, size);
  u64 pages = 0;
  for (u64 va = addr; va < addr + size; va += kPageSize) {
    const u32* s = slot(va);
    if (s && (*s & kLeafPresent) && image.perms_at(va) >= 0)
      throw Error("cannot share page " + hex(va) + ": it is mapped already");
    pages += image.perms_at(va) >= 0;
  }
  if ((mapped_bytes() >> kPageBits) + pages > limits_.mapped_limit >> kPageBits)
    throw Error("out of guest memory: sharing " + hex(pages * kPageSize) +
                " bytes exceeds the limit of " + hex(limits_.mapped_limit) + " bytes");
  materialize();
  for (u64 va = addr; va < addr + size; va += kPageSize) {
    const u32* is = image.slot(va);
    if (!is || !(*is & kLeafPresent)) continue;
    *slot(va, true) = make_shared_leaf(leaf_frame(*is), leaf_logical_perms(*is));
    ++mapped_pages_;
  }
  version_ = next_table_version();
}

u64 LaneMemory::dedup(const LaneMemory& image) { return share_again(&image); }

u64 LaneMemory::share_again(const LaneMemory* image) {
  if (shadow_) return 0;
  std::vector<u64> pages;
  for_each_page([&](u64 va, u32 leaf) {
    if (!(leaf & kLeafShared)) pages.push_back(va);
  });
  std::vector<u32> freed;
  for (const u64 va : pages) {
    u32* s = slot(va, false);
    const u8* mine = pool_.frame(leaf_frame(*s));
    u32 to = ~0u;
    const u32* is = image ? image->slot(va) : nullptr;
    if (is && (*is & kLeafPresent) &&
        std::memcmp(mine, pool_.frame(leaf_frame(*is)), kPageSize) == 0) {
      to = leaf_frame(*is);
    } else if (page_is_zero(mine)) {
      to = FramePool::kZeroFrame;
    }
    if (to == ~0u) continue;
    freed.push_back(leaf_frame(*s));
    *s = make_shared_leaf(to, leaf_logical_perms(*s));
  }
  pool_.release(freed);
  private_frames_ -= freed.size();
  if (!freed.empty()) version_ = next_table_version();
  return freed.size();
}

LaneMemory::CowResult LaneMemory::resolve_cow(u64 va, u32 around) {
  const u32* cs = slot(va);
  if (!cs || !(*cs & kLeafPresent) || !(*cs & kLeafCow)) return CowResult::NotCow;
  const bool fresh = leaf_frame(*cs) == FramePool::kZeroFrame;
  materialize();
  try {
    privatize(slot(va, false));
  } catch (const Error&) {  // LaneOutOfMemory, PoolExhausted
    return CowResult::OutOfMemory;
  }
  const u64 half = limits_.memory_limit / 2 / kPageSize;
  va &= ~(kPageSize - 1);
  for (u32 k = 1; fresh && k <= around && private_frames_ < half; ++k) {
    const u64 next = va + u64{k} * kPageSize;
    u32* s = next >> kVaBits ? nullptr : slot(next, false);
    if (!s || (*s & (kLeafPresent | kLeafCow)) != (kLeafPresent | kLeafCow) ||
        leaf_frame(*s) != FramePool::kZeroFrame)
      break;
    u32 f;
    try {
      f = pool_.alloc_copy(FramePool::kZeroFrame, frame_class_);
    } catch (const PoolExhausted&) {
      break;  // the lane is not out of memory: it did not ask for this page
    }
    pool_.mark_dirty(f);
    *s = make_leaf(f, leaf_logical_perms(*s));
    ++private_frames_;
    peak_private_ = std::max(peak_private_, private_frames_);
    ++prefaulted_;
    version_ = next_table_version();
  }
  return CowResult::Copied;
}

// ---- SharedImage ------------------------------------------------------------------------------

SharedImage::SharedImage(FramePool& pool, u64 mapped_limit)
    : mem_(pool, LaneLimits{.memory_limit = mapped_limit, .mapped_limit = mapped_limit},
           LaneMemory::Mode::Image) {
  publish();
}

void SharedImage::publish() {
  std::vector<u32> t(mem_.table(), mem_.table() + mem_.table_bytes() / sizeof(u32));
  u64 mapped = 0;
  // Interior entries are node indices (kept); leaves become shared leaves of the same frames.
  const u32* src = mem_.table();
  for (u64 i1 = 0; i1 < kNodeEntries; ++i1) {
    const u32 n1 = src[i1];
    if (!n1) continue;
    for (u64 i2 = 0; i2 < kNodeEntries; ++i2) {
      const u32 n2 = src[u64{n1} * kNodeEntries + i2];
      if (!n2) continue;
      for (u64 i3 = 0; i3 < kNodeEntries; ++i3) {
        u32& leaf = t[u64{n2} * kNodeEntries + i3];
        if (!(leaf & kLeafPresent)) continue;
        leaf = make_shared_leaf(leaf_frame(leaf), leaf_logical_perms(leaf));
        ++mapped;
      }
    }
  }
  lane_table_.swap(t);
  lane_mapped_ = mapped;
  version_ = next_table_version();
}

}  // namespace kvrm::batch

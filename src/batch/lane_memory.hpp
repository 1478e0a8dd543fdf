// The guest memory of one lane of a batch: a page table in the PageTableView format (isa/mmu.hpp;
// what the reference loop and GPU kernels walk) whose leaves index frames of a FramePool shared
// by all lanes. Pages are shared until written: a fresh mapping points at the pool's zero page,
// a lane built from a SharedImage points at the image's frames, and the first write (by the
// guest, through a permission fault, or by the host) gives the lane its own copy.
#pragma once

#include <vector>

#include "batch/frame_pool.hpp"
#include "core/error.hpp"
#include "isa/mmu.hpp"

namespace kvrm::batch {

// Leaf bits kvrm's batch engine adds in the free bits 6..3 of a leaf (the MMU ignores them):
constexpr u32 kLeafShared = 0x10;  // the frame is not the lane's (image or zero page): never freed
constexpr u32 kLeafCow = 0x08;     // writable in fact: the write bit is clear in the leaf so that
                                   // the first write faults, and the host then copies the page
constexpr u32 kLeafBatchBits = kLeafShared | kLeafCow;

// The permissions a leaf stands for (its hardware bits plus the write a COW leaf withholds).
constexpr u8 leaf_logical_perms(u32 leaf) {
  return static_cast<u8>(leaf_perms(leaf) | ((leaf & kLeafCow) ? kPermWrite : 0));
}
// A leaf for a frame the lane shares: the write permission becomes copy-on-write.
constexpr u32 make_shared_leaf(u32 frame, u8 perms) {
  return make_leaf(frame, static_cast<u8>(perms & ~kPermWrite)) | kLeafShared |
         ((perms & kPermWrite) ? kLeafCow : 0);
}

struct LaneLimits {
  // The most memory the lane may own (pages it wrote: its private frames). Going past it ends
  // the lane (LaneOutOfMemory), as an out-of-memory kill would.
  u64 memory_limit = u64{256} << 20;
  // The most memory the lane may have mapped (shared or not); a mapping past it fails
  // (kvrm::Error, ENOMEM for the guest), as with the reference engine's limit.
  u64 mapped_limit = u64{4} << 30;
};

// A lane went past LaneLimits::memory_limit (or the pool ran dry) while it needed a page.
class LaneOutOfMemory : public Error {
 public:
  using Error::Error;
};

class SharedImage;

// A fresh, process-wide unique table version (LaneMemory::table_version).
u64 next_table_version();

class LaneMemory {
 public:
  enum class Mode {
    Lane,   // mapped pages start as the zero page, copied on first write
    Image,  // every mapped page gets a zeroed frame of its own at once (a SharedImage's pages)
  };
  // A lane built with `shadow` sees the image's pages (shared, copy-on-write) without a table
  // of its own until its first change; its own table is then a copy of the image's.
  explicit LaneMemory(FramePool& pool, LaneLimits limits = {}, Mode mode = Mode::Lane,
                      const SharedImage* shadow = nullptr);
  ~LaneMemory();
  LaneMemory(const LaneMemory&) = delete;
  LaneMemory& operator=(const LaneMemory&) = delete;

  // The operations of the Engine interface (engines/engine.hpp), with its contracts: ranges
  // page-aligned and non-empty; map fails on a mapped page or past mapped_limit (kvrm::Error);
  // protect needs the whole range mapped; read/write ignore permissions and throw kvrm::Error
  // where a byte is unmapped. write throws LaneOutOfMemory when it needs a page past the limit.
  void map(u64 addr, u64 size, u8 perms);
  void unmap(u64 addr, u64 size);
  void protect(u64 addr, u64 size, u8 perms);
  bool is_mapped(u64 addr, u64 size) const;
  int perms_at(u64 addr) const;  // -1 when unmapped
  // True when the page holding addr is mapped with a frame of the lane's own (not shared).
  bool owns_page(u64 addr) const;
  void read(u64 addr, void* dst, u64 size) const;
  // Bytes equal to those already there leave a shared page shared.
  void write(u64 addr, const void* src, u64 size);

  // Maps the pages `image` maps within [addr, addr+size) here too, sharing its frames (pages
  // mapped here already: kvrm::Error).
  void share(const LaneMemory& image, u64 addr, u64 size);
  // Turns every page this lane owns whose contents equal `image`'s page at the same address
  // (or are all zero) into a shared page again; returns the pages given back.
  u64 dedup(const LaneMemory& image);

  // A guest write faulted with a permission fault at va: when the page is copy-on-write, the
  // lane gets its own copy (writable) and the instruction can be executed again. With `around`,
  // when the page was fresh memory (the zero page), up to that many of the pages after it that
  // are fresh memory too are made the lane's at once (a lane on a GPU pays a round trip to the
  // host per fault, and fresh memory is mostly written in order), while the lane owns at most
  // half its memory limit; such pages still all zero are given back should the lane reach its
  // limit, so that this never ends a lane that would fit without it.
  enum class CowResult { NotCow, Copied, OutOfMemory };
  CowResult resolve_cow(u64 va, u32 around = 0);
  // Pages made the lane's ahead of a write (resolve_cow's `around`).
  u64 prefaulted() const { return prefaulted_; }

  // The class of the frames the lane takes (FramePool::alloc): a batch gives lane i class i, so
  // that the private pages of lanes sharing a warp can lie side by side on a device.
  void set_frame_class(u32 cls) { frame_class_ = cls; }

  // The table the lane runs on, with the pool's frames.
  PageTableView view() const { return PageTableView{table(), pool_.frames()}; }
  const u32* table() const;
  bool shadowing() const { return shadow_ != nullptr; }
  // A number unique to the table's current contents: every change of any table (a lane's or an
  // image's) takes a new one, so a device copy is stale exactly when this differs. Shadowing
  // lanes report their image's.
  u64 table_version() const;

  FramePool& pool() const { return pool_; }
  const LaneLimits& limits() const { return limits_; }
  u64 mapped_bytes() const;
  u64 private_bytes() const { return private_frames_ * kPageSize; }
  u64 peak_private_bytes() const { return peak_private_ * kPageSize; }
  u64 table_bytes() const { return nodes_.size() * sizeof(u32); }
  // Length of table() in u32 words (the image's table for a shadowing lane).
  u64 table_words() const;
  // For device copies that follow the table node by node: a number that stays the same for
  // the lane's own table as long as the lane lives (0 while it shadows an image), and per node
  // of it a table version newer than that of every copy made before the node last changed (a
  // copy of version V is current except for the nodes whose entry is above V; nodes past the
  // copy's length are new). nullptr while shadowing.
  u64 table_id() const { return shadow_ ? 0 : id_; }
  const u64* node_changed() const { return shadow_ ? nullptr : node_changed_.data(); }
  // True once the lane needed a page past its limit (even where the exception was caught).
  bool out_of_memory() const { return oom_; }
  // Pages copied because they were written while shared.
  u64 copies() const { return copies_; }

  // Calls f(va, leaf) for every mapped page, in address order.
  template <class F>
  void for_each_page(F&& f) const;

 private:
  static void check_range(u64 addr, u64 size);
  void materialize();
  u32* slot(u64 va, bool create);
  const u32* slot(u64 va) const;
  u32 alloc_node();
  u32 take_frame(u32 copy_from);  // a private frame holding a copy; counts against the limit
  void privatize(u32* leaf);
  // dedup() against `image`, or with none only the pages all zero.
  u64 share_again(const LaneMemory* image);

  FramePool& pool_;
  LaneLimits limits_;
  Mode mode_;
  const SharedImage* shadow_;
  std::vector<u32> nodes_{};  // node i at nodes_[i*kNodeEntries]; node 0 the root; empty while
                              // shadowing
  std::vector<u64> node_changed_{};  // per node (node_changed())
  u64 id_ = next_table_version();    // table_id()
  u64 mapped_pages_ = 0;
  u64 private_frames_ = 0;
  u64 peak_private_ = 0;
  u64 version_ = next_table_version();
  bool oom_ = false;
  u64 copies_ = 0;
  u32 frame_class_ = FramePool::kAnyClass;
  u64 prefaulted_ = 0;  // pages resolve_cow made the lane's ahead of a write (since the last
                        // give-back at the limit)
};

// The pages every lane of a batch starts from (a loaded program, or the memory image of a
// bare-metal batch): an Image-mode LaneMemory, plus the table lanes shadow, in which every leaf
// points at the image's frame as shared (copy-on-write where writable).
class SharedImage {
 public:
  explicit SharedImage(FramePool& pool, u64 mapped_limit = u64{4} << 30);
  // The image's own pages: map, protect and write them, then publish().
  LaneMemory& pages() { return mem_; }
  const LaneMemory& pages() const { return mem_; }
  // Rebuilds the table shadowing lanes see from the image's current mappings.
  void publish();
  const std::vector<u32>& lane_table() const { return lane_table_; }
  u64 lane_mapped_pages() const { return lane_mapped_; }
  // The lane table's version (see LaneMemory::table_version).
  u64 table_version() const { return version_; }

 private:
  LaneMemory mem_;
  std::vector<u32> lane_table_{};
  u64 lane_mapped_ = 0;
  u64 version_ = 0;
};

template <class F>
void LaneMemory::for_each_page(F&& f) const {
  const u32* t = table();
  for (u64 i1 = 0; i1 < kNodeEntries; ++i1) {
    const u32 n1 = t[i1];
    if (!n1) continue;
    for (u64 i2 = 0; i2 < kNodeEntries; ++i2) {
      const u32 n2 = t[u64{n1} * kNodeEntries + i2];
      if (!n2) continue;
      const u32* leaves = t + u64{n2} * kNodeEntries;
      for (u64 i3 = 0; i3 < kNodeEntries; ++i3) {
        if (!(leaves[i3] & kLeafPresent)) continue;
        const u64 va = ((i1 << (2 * kLevelBits)) | (i2 << kLevelBits) | i3) << kPageBits;
        f(va, leaves[i3]);
      }
    }
  }
}

}  // namespace kvrm::batch

// The batch engine's lane memory: zero pages and shared image pages are shared until written
// (by a guest store, through the copy-on-write fault, or by the host), a lane's copy stays its
// own, the limits hold, frames return to the pool, and the table is the PageTableView format.
#include <gtest/gtest.h>

#include <algorithm>
#include <cstring>
#include <vector>

#include "batch/frame_pool.hpp"
#include "batch/lane_engine.hpp"
#include "batch/lane_memory.hpp"
#include "engines/cuda/lane_runner.hpp"

namespace kvrm::batch {
namespace {

constexpr u64 kCode = 0x10000, kData = 0x20000;
constexpr u32 kStrX0X1 = 0xf9000020;     // str x0, [x1]
constexpr u32 kLdrX2X1 = 0xf9400022;     // ldr x2, [x1]
constexpr u32 kLdxrX2X1 = 0xc85f7c22;    // ldxr x2, [x1]
constexpr u32 kStxrW3X0X1 = 0xc8037c20;  // stxr w3, x0, [x1]
constexpr u32 kHlt = 0xd4400000;

u32 frame_of(const LaneMemory& m, u64 va) { return leaf_frame(m.view().leaf(va)); }

// An image with code at kCode (R+X) and one data page at kData (R+W) holding `data_word`.
struct Image {
  FramePool pool{u64{256} << 20};
  SharedImage image{pool};
  explicit Image(std::vector<u32> code, u64 data_word = 0x1111) {
    code.push_back(kHlt);
    image.pages().map(kCode, kPageSize, kPermRead | kPermExec);
    image.pages().map(kData, kPageSize, kPermRead | kPermWrite);
    image.pages().write(kCode, code.data(), code.size() * 4);
    image.pages().write(kData, &data_word, 8);
    image.publish();
  }
};

RunResult run(LaneMemory& m, CoreState& s, u64 x0, u64 x1, u64 max = 100, bool resolve_cow = true) {
  s.pc = kCode;
  s.x[0] = x0;
  s.x[1] = x1;
  return run_lane_on_host(m, s, max, resolve_cow);
}

TEST(BatchLaneMemory, FreshMappingsShareTheZeroPage) {
  FramePool pool(u64{64} << 20);
  LaneMemory m(pool);
  m.map(kData, 16 * kPageSize, kPermRead | kPermWrite);
  EXPECT_EQ(m.mapped_bytes(), 16 * kPageSize);
  EXPECT_EQ(m.private_bytes(), 0u);
  EXPECT_EQ(pool.frames_in_use(), 0u);
  for (u64 p = 0; p < 16; ++p) EXPECT_EQ(frame_of(m, kData + p * kPageSize), FramePool::kZeroFrame);
  u64 v = 1;
  m.read(kData + 8 * kPageSize, &v, 8);
  EXPECT_EQ(v, 0u);
  // Leaves hold the write permission back (copy on write) but report it.
  EXPECT_EQ(leaf_perms(m.view().leaf(kData)), kPermRead);
  EXPECT_EQ(m.perms_at(kData), kPermRead | kPermWrite);
}

TEST(BatchLaneMemory, HostWritesCopyOnlyWhatChanges) {
  FramePool pool(u64{64} << 20);
  LaneMemory m(pool);
  m.map(kData, 4 * kPageSize, kPermRead | kPermWrite);
  const u64 zero = 0;
  m.write(kData, &zero, 8);  // same bytes: stays shared
  EXPECT_EQ(m.private_bytes(), 0u);
  const u64 v = 0x1234;
  m.write(kData + kPageSize + 100, &v, 8);
  EXPECT_EQ(m.private_bytes(), kPageSize);
  EXPECT_EQ(pool.frames_in_use(), 1u);
  EXPECT_NE(frame_of(m, kData + kPageSize), FramePool::kZeroFrame);
  EXPECT_EQ(leaf_perms(m.view().leaf(kData + kPageSize)), kPermRead | kPermWrite);
  u64 back = 0;
  m.read(kData + kPageSize + 100, &back, 8);
  EXPECT_EQ(back, v);
  // The zero page itself is untouched.
  m.read(kData + 2 * kPageSize + 100, &back, 8);
  EXPECT_EQ(back, 0u);
  EXPECT_TRUE(std::all_of(pool.frame(0), pool.frame(0) + kPageSize, [](u8 b) { return b == 0; }));
}

TEST(BatchLaneMemory, LanesShadowTheImageUntilTheyWrite) {
  Image img({kStrX0X1});
  LaneMemory a(img.pool, {}, LaneMemory::Mode::Lane, &img.image);
  LaneMemory b(img.pool, {}, LaneMemory::Mode::Lane, &img.image);
  EXPECT_TRUE(a.shadowing());
  EXPECT_EQ(a.table_bytes(), 0u);
  EXPECT_EQ(a.mapped_bytes(), 2 * kPageSize);
  // Shared for real: both lanes' leaves index the image's frames.
  EXPECT_EQ(frame_of(a, kCode), frame_of(img.image.pages(), kCode));
  EXPECT_EQ(frame_of(b, kData), frame_of(img.image.pages(), kData));
  const u64 in_use = img.pool.frames_in_use();

  CoreState sa, sb;
  const RunResult r = run(a, sa, 0xaaaa, kData);
  EXPECT_EQ(r.signal, Signal::Halt);
  EXPECT_EQ(r.cycles, 1u);  // the faulting try of the store does not count
  EXPECT_FALSE(a.shadowing());
  EXPECT_EQ(a.private_bytes(), kPageSize);
  EXPECT_EQ(a.copies(), 1u);
  EXPECT_EQ(img.pool.frames_in_use(), in_use + 1);
  EXPECT_NE(frame_of(a, kData), frame_of(img.image.pages(), kData));
  EXPECT_EQ(frame_of(a, kCode), frame_of(img.image.pages(), kCode));  // code still shared

  u64 va = 0, vb = 0, vi = 0;
  a.read(kData, &va, 8);
  b.read(kData, &vb, 8);
  img.image.pages().read(kData, &vi, 8);
  EXPECT_EQ(va, 0xaaaau);
  EXPECT_EQ(vb, 0x1111u);
  EXPECT_EQ(vi, 0x1111u);
  EXPECT_TRUE(b.shadowing());

  // Lane b writes its own value; a's copy is unaffected.
  const RunResult r2 = run(b, sb, 0xbbbb, kData);
  EXPECT_EQ(r2.signal, Signal::Halt);
  a.read(kData, &va, 8);
  b.read(kData, &vb, 8);
  EXPECT_EQ(va, 0xaaaau);
  EXPECT_EQ(vb, 0xbbbbu);
}

TEST(BatchLaneMemory, CopyOnWriteFaultsCanGoBackToTheHost) {
  Image img({kStrX0X1});
  LaneMemory a(img.pool, {}, LaneMemory::Mode::Lane, &img.image);
  CoreState s;
  RunResult r = run(a, s, 7, kData, 100, /*resolve_cow=*/false);
  EXPECT_EQ(r.signal, Signal::Fault);
  EXPECT_EQ(r.info.access, Access::Write);
  EXPECT_EQ(r.info.cause, FaultCause::Permission);
  EXPECT_EQ(r.info.fault_addr, kData);
  EXPECT_EQ(r.pc, kCode);
  EXPECT_EQ(r.cycles, 0u);
  EXPECT_EQ(a.resolve_cow(kData), LaneMemory::CowResult::Copied);
  EXPECT_EQ(a.resolve_cow(kData), LaneMemory::CowResult::NotCow);  // already its own
  r = run_lane_on_host(a, s, 100, false);
  EXPECT_EQ(r.signal, Signal::Halt);
  u64 v = 0;
  a.read(kData, &v, 8);
  EXPECT_EQ(v, 7u);
  // A write to read-only code is a real fault, not copy-on-write.
  EXPECT_EQ(a.resolve_cow(kCode), LaneMemory::CowResult::NotCow);
}

TEST(BatchLaneMemory, ExclusiveStoreSucceedsAcrossTheCopy) {
  Image img({kLdxrX2X1, kStxrW3X0X1, kLdrX2X1}, 0x55);
  LaneMemory a(img.pool, {}, LaneMemory::Mode::Lane, &img.image);
  CoreState s;
  s.x[3] = 99;
  const RunResult r = run(a, s, 0x66, kData);
  EXPECT_EQ(r.signal, Signal::Halt);
  EXPECT_EQ(s.x[3], 0u);     // the store-exclusive succeeded
  EXPECT_EQ(s.x[2], 0x66u);  // and the lane reads its own copy
}

TEST(BatchLaneMemory, ProtectKeepsSharingAndCopyOnWriteStraight) {
  Image img({kStrX0X1});
  LaneMemory a(img.pool, {}, LaneMemory::Mode::Lane, &img.image);
  a.protect(kData, kPageSize, kPermRead);
  EXPECT_FALSE(a.shadowing());
  EXPECT_EQ(a.private_bytes(), 0u);
  CoreState s;
  RunResult r = run(a, s, 1, kData);
  EXPECT_EQ(r.signal, Signal::Fault);
  EXPECT_EQ(r.info.cause, FaultCause::Permission);
  EXPECT_EQ(a.private_bytes(), 0u);
  a.protect(kData, kPageSize, kPermRead | kPermWrite);
  EXPECT_EQ(a.perms_at(kData), kPermRead | kPermWrite);
  r = run(a, s, 2, kData);
  EXPECT_EQ(r.signal, Signal::Halt);
  EXPECT_EQ(a.private_bytes(), kPageSize);
  // Protecting a page the lane owns changes the leaf, not the frame.
  const u32 f = frame_of(a, kData);
  a.protect(kData, kPageSize, kPermRead);
  EXPECT_EQ(frame_of(a, kData), f);
  EXPECT_EQ(leaf_perms(a.view().leaf(kData)), kPermRead);
}

TEST(BatchLaneMemory, HostWriteToReadOnlySharedPageCopiesIt) {
  Image img({kStrX0X1});
  LaneMemory a(img.pool, {}, LaneMemory::Mode::Lane, &img.image);
  const u32 nop = 0xd503201f;
  a.write(kCode, &nop, 4);
  EXPECT_EQ(a.private_bytes(), kPageSize);
  EXPECT_EQ(a.perms_at(kCode), kPermRead | kPermExec);
  u32 w = 0;
  img.image.pages().read(kCode, &w, 4);
  EXPECT_EQ(w, kStrX0X1);  // the image is unchanged
  a.read(kCode, &w, 4);
  EXPECT_EQ(w, nop);
}

TEST(BatchLaneMemory, MemoryLimitStopsTheLane) {
  FramePool pool(u64{64} << 20);
  LaneMemory m(pool, LaneLimits{.memory_limit = 2 * kPageSize});
  m.map(kData, 8 * kPageSize, kPermRead | kPermWrite);  // mapping is not owning
  const u64 v = 1;
  m.write(kData, &v, 8);
  m.write(kData + kPageSize, &v, 8);
  EXPECT_FALSE(m.out_of_memory());
  EXPECT_THROW(m.write(kData + 2 * kPageSize, &v, 8), LaneOutOfMemory);
  EXPECT_TRUE(m.out_of_memory());
  EXPECT_EQ(m.private_bytes(), 2 * kPageSize);
  EXPECT_EQ(m.peak_private_bytes(), 2 * kPageSize);

  // The same limit met by a guest store: the FAULT stays, out_of_memory() tells why.
  LaneMemory g(pool, LaneLimits{.memory_limit = kPageSize});
  g.map(kCode, kPageSize, kPermRead | kPermExec);
  g.map(kData, 2 * kPageSize, kPermRead | kPermWrite);
  const u32 code[] = {kStrX0X1, 0x91400421 /* add x1, x1, #1, lsl #12 */, kStrX0X1, kHlt};
  g.write(kCode, code, sizeof code);  // the code page is the lane's one page
  CoreState s;
  const RunResult r = run(g, s, 5, kData);
  EXPECT_EQ(r.signal, Signal::Fault);
  EXPECT_EQ(r.info.access, Access::Write);
  EXPECT_EQ(r.pc, kCode);
  EXPECT_TRUE(g.out_of_memory());
  EXPECT_EQ(g.resolve_cow(kData), LaneMemory::CowResult::OutOfMemory);
}

TEST(BatchLaneMemory, FaultAroundTakesFreshPagesAheadAndGivesThemBackAtTheLimit) {
  FramePool pool(u64{64} << 20);
  LaneMemory m(pool, LaneLimits{.memory_limit = 16 * kPageSize});
  m.map(kData, 6 * kPageSize, kPermRead | kPermWrite);
  m.map(kCode, kPageSize, kPermRead | kPermExec);  // not fresh writable memory: never taken
  const u64 v = 7;
  m.write(kData + 4 * kPageSize, &v, 8);  // the fifth page is the lane's already
  // A write fault on the first page takes it and the fresh pages after it, up to the first
  // page that is not fresh (the fifth) and at most `around` of them.
  EXPECT_EQ(m.resolve_cow(kData, 2), LaneMemory::CowResult::Copied);
  EXPECT_EQ(m.private_bytes(), 4 * kPageSize);
  EXPECT_EQ(m.prefaulted(), 2u);
  for (u64 p = 0; p < 3; ++p) EXPECT_TRUE(m.owns_page(kData + p * kPageSize)) << p;
  EXPECT_FALSE(m.owns_page(kData + 3 * kPageSize));
  EXPECT_EQ(m.resolve_cow(kData + 3 * kPageSize, 15), LaneMemory::CowResult::Copied);
  EXPECT_TRUE(m.owns_page(kData + 3 * kPageSize));
  EXPECT_EQ(m.prefaulted(), 2u);  // the fifth page was the lane's: nothing taken ahead
  u64 got = 0;
  m.read(kData + kPageSize, &got, 8);
  EXPECT_EQ(got, 0u);  // pages taken ahead read as zeros
  m.read(kData + 4 * kPageSize, &got, 8);
  EXPECT_EQ(got, v);

  // Nothing is taken ahead past half the limit; at the limit, pages taken ahead that are still
  // zero go back before the lane is declared out of memory.
  LaneMemory h(pool, LaneLimits{.memory_limit = 4 * kPageSize});
  h.map(kData, 8 * kPageSize, kPermRead | kPermWrite);
  EXPECT_EQ(h.resolve_cow(kData, 15), LaneMemory::CowResult::Copied);
  EXPECT_EQ(h.private_bytes(), 2 * kPageSize);  // 1 written + 1 ahead: half the limit
  h.write(kData + 5 * kPageSize, &v, 8);
  h.write(kData + 6 * kPageSize, &v, 8);
  h.write(kData + 7 * kPageSize, &v, 8);  // the fifth page: the zero pages go back
  EXPECT_FALSE(h.out_of_memory());
  EXPECT_FALSE(h.owns_page(kData));  // zeros too (the store that faulted was never run)
  EXPECT_FALSE(h.owns_page(kData + kPageSize));
  EXPECT_EQ(h.private_bytes(), 3 * kPageSize);
  h.write(kData + 2 * kPageSize, &v, 8);
  EXPECT_THROW(h.write(kData + 3 * kPageSize, &v, 8), LaneOutOfMemory);
  EXPECT_TRUE(h.out_of_memory());
}

TEST(BatchLaneMemory, MappedLimitFailsTheMapping) {
  FramePool pool(u64{64} << 20);
  LaneMemory m(pool, LaneLimits{.mapped_limit = 4 * kPageSize});
  m.map(kData, 3 * kPageSize, kPermRead);
  EXPECT_THROW(m.map(kCode, 2 * kPageSize, kPermRead), Error);
  EXPECT_FALSE(m.out_of_memory());
  m.map(kCode, kPageSize, kPermRead);
  EXPECT_EQ(m.mapped_bytes(), 4 * kPageSize);
}

TEST(BatchLaneMemory, ContractErrors) {
  FramePool pool(u64{64} << 20);
  LaneMemory m(pool);
  m.map(kData, kPageSize, kPermRead);
  EXPECT_THROW(m.map(kData, kPageSize, kPermRead), Error);      // mapped already
  EXPECT_THROW(m.map(kData + 1, kPageSize, kPermRead), Error);  // not aligned
  EXPECT_THROW(m.map(u64{1} << 48, kPageSize, kPermRead), Error);
  EXPECT_THROW(m.protect(kData, 2 * kPageSize, kPermRead), Error);
  u64 v;
  EXPECT_THROW(m.read(kData + kPageSize - 4, &v, 8), Error);
  EXPECT_THROW(m.write(kCode, &v, 8), Error);
  EXPECT_FALSE(m.is_mapped(kData, 2 * kPageSize));
  EXPECT_TRUE(m.is_mapped(kData + 5, 10));
  EXPECT_EQ(m.perms_at(kCode), -1);
}

TEST(BatchLaneMemory, FramesGoBackToThePool) {
  FramePool pool(u64{64} << 20);
  {
    LaneMemory m(pool);
    m.map(kData, 8 * kPageSize, kPermRead | kPermWrite);
    std::vector<u8> ones(8 * kPageSize, 1);
    m.write(kData, ones.data(), ones.size());
    EXPECT_EQ(pool.frames_in_use(), 8u);
    m.unmap(kData, 4 * kPageSize);
    EXPECT_EQ(pool.frames_in_use(), 4u);
    EXPECT_EQ(m.private_bytes(), 4 * kPageSize);
    EXPECT_EQ(m.mapped_bytes(), 4 * kPageSize);
  }
  EXPECT_EQ(pool.frames_in_use(), 0u);
  EXPECT_EQ(pool.peak_frames_in_use(), 8u);
  // Released frames are handed out again before new ones.
  const u32 hw = pool.high_water();
  LaneMemory m2(pool);
  m2.map(kData, kPageSize, kPermRead | kPermWrite);
  const u64 v = 3;
  m2.write(kData, &v, 8);
  EXPECT_EQ(pool.high_water(), hw);
  // A reused frame holds the copy, not the previous owner's bytes.
  u64 next = 9;
  m2.read(kData + 8, &next, 8);
  EXPECT_EQ(next, 0u);
}

TEST(BatchLaneMemory, DedupSharesPagesEqualToTheImage) {
  Image img({kStrX0X1}, 0x4242);
  LaneMemory a(img.pool);  // loads the same bytes by itself, as a lane's process does
  a.map(kCode, kPageSize, kPermRead | kPermExec);
  a.map(kData, 2 * kPageSize, kPermRead | kPermWrite);
  std::vector<u8> page(kPageSize);
  img.image.pages().read(kCode, page.data(), kPageSize);
  a.write(kCode, page.data(), kPageSize);
  const u64 same = 0x4242, other = 0x4343;
  a.write(kData, &same, 8);
  a.write(kData + kPageSize, &other, 8);
  EXPECT_EQ(a.private_bytes(), 3 * kPageSize);
  EXPECT_EQ(a.dedup(img.image.pages()), 2u);
  EXPECT_EQ(a.private_bytes(), kPageSize);
  EXPECT_EQ(frame_of(a, kCode), frame_of(img.image.pages(), kCode));
  EXPECT_EQ(frame_of(a, kData), frame_of(img.image.pages(), kData));
  EXPECT_EQ(a.perms_at(kData), kPermRead | kPermWrite);  // copy on write again
  CoreState s;
  EXPECT_EQ(run(a, s, 0x99, kData).signal, Signal::Halt);
  u64 v = 0;
  img.image.pages().read(kData, &v, 8);
  EXPECT_EQ(v, 0x4242u);
  a.read(kData, &v, 8);
  EXPECT_EQ(v, 0x99u);
  // A page written back to zeros shares the zero page again.
  const u64 zero = 0;
  a.write(kData + kPageSize, &zero, 8);
  EXPECT_EQ(a.dedup(img.image.pages()), 1u);
  EXPECT_EQ(frame_of(a, kData + kPageSize), FramePool::kZeroFrame);
}

TEST(BatchLaneMemory, ShareAddsImagePagesToAnOwnTable) {
  Image img({kStrX0X1});
  LaneMemory a(img.pool);
  a.share(img.image.pages(), kCode, 0x20000);
  EXPECT_EQ(a.mapped_bytes(), 2 * kPageSize);
  EXPECT_EQ(frame_of(a, kData), frame_of(img.image.pages(), kData));
  EXPECT_THROW(a.share(img.image.pages(), kCode, kPageSize), Error);
  CoreState s;
  EXPECT_EQ(run(a, s, 3, kData).signal, Signal::Halt);
  EXPECT_EQ(a.private_bytes(), kPageSize);
}

TEST(BatchLaneMemory, TableVersionsTellADeviceCopyIsStale) {
  Image img({kStrX0X1});
  LaneMemory a(img.pool, {}, LaneMemory::Mode::Lane, &img.image);
  LaneMemory b(img.pool, {}, LaneMemory::Mode::Lane, &img.image);
  const u64 v0 = a.table_version();
  EXPECT_EQ(b.table_version(), v0);  // both show the image's lane table
  EXPECT_EQ(a.table(), b.table());
  img.image.pages().map(0x30000, kPageSize, kPermRead);
  img.image.publish();
  EXPECT_NE(a.table_version(), v0);
  const u64 v1 = a.table_version();
  u64 x = 0;
  a.read(kData, &x, 8);  // reading changes nothing
  EXPECT_EQ(a.table_version(), v1);
  const u64 same = 0x1111;
  a.write(kData, &same, 8);  // same bytes: still shared, still shadowing
  EXPECT_EQ(a.table_version(), v1);
  const u64 other = 2;
  a.write(kData, &other, 8);  // a copy: a table of its own
  EXPECT_NE(a.table_version(), v1);
  EXPECT_NE(a.table(), b.table());
  EXPECT_EQ(b.table_version(), v1);
  const u64 v2 = a.table_version();
  a.protect(kData, kPageSize, kPermRead);
  EXPECT_NE(a.table_version(), v2);
  EXPECT_NE(a.table_version(), b.table_version());
}

// A copy brought up to date node by node (LaneTable::stale_nodes, as the GPU runner and the
// host mirror do) equals the table after any mix of changes.
TEST(BatchLaneMemory, CopiesFollowTheTableNodeByNode) {
  Image img({kStrX0X1});
  LaneMemory m(img.pool, {}, LaneMemory::Mode::Lane, &img.image);
  EXPECT_EQ(m.table_id(), 0u);  // shadowing: no table of its own yet
  EXPECT_EQ(m.node_changed(), nullptr);
  std::vector<u32> copy;
  u64 copy_version = 0, copy_id = 0, nodes_copied = 0;
  const auto follow = [&] {
    const cuda::LaneTable t{m.table(), m.table_words(), m.table_version(), m.table_id(),
                            m.node_changed()};
    if (t.key() != copy_id) {  // another table: start again
      copy.clear();
      copy_version = 0;
      copy_id = t.key();
    }
    const std::vector<u32> stale = t.stale_nodes(copy_version, copy.size());
    nodes_copied = stale.size();
    copy.resize(t.words);
    for (const u32 k : stale) {
      std::copy_n(t.nodes + u64{k} * kNodeEntries, kNodeEntries,
                  copy.begin() + u64{k} * kNodeEntries);
    }
    copy_version = t.version;
    ASSERT_TRUE(std::equal(copy.begin(), copy.end(), t.nodes)) << "version " << t.version;
  };
  follow();
  const u64 v = 5;
  m.write(kData, &v, 8);  // a table of its own now
  EXPECT_NE(m.table_id(), 0u);
  follow();
  const u64 id = m.table_id();
  const u64 nodes = m.table_words() / kNodeEntries;
  EXPECT_EQ(nodes_copied, nodes);                                 // a new table goes whole
  m.map(u64{0x7f} << 36, 4 * kPageSize, kPermRead | kPermWrite);  // new nodes, far away
  follow();
  EXPECT_GT(m.table_words() / kNodeEntries, nodes);
  EXPECT_LT(nodes_copied, m.table_words() / kNodeEntries);
  m.write((u64{0x7f} << 36) + kPageSize, &v, 8);
  follow();
  EXPECT_EQ(nodes_copied, 1u);  // one leaf changed
  EXPECT_EQ(m.resolve_cow(u64{0x7f} << 36, 15), LaneMemory::CowResult::Copied);
  m.protect(kData, kPageSize, kPermRead);
  m.unmap((u64{0x7f} << 36) + 3 * kPageSize, kPageSize);
  follow();
  m.dedup(img.image.pages());  // the page taken ahead, still zero
  follow();
  const u64 zero = 0;
  m.write((u64{0x7f} << 36) + kPageSize, &zero, 8);  // all zero again: dedup shares it
  EXPECT_EQ(m.dedup(img.image.pages()), 1u);
  follow();
  EXPECT_EQ(m.table_id(), id);  // the same table all along
  follow();
  EXPECT_EQ(nodes_copied, 0u);  // nothing changed
}

TEST(BatchLaneMemory, PoolListsFramesTheHostWrote) {
  Image img({kStrX0X1});
  LaneMemory a(img.pool, {}, LaneMemory::Mode::Lane, &img.image);
  const u64 v = 5;
  a.write(kData, &v, 8);  // untracked
  img.pool.set_dirty_tracking(true);
  EXPECT_TRUE(img.pool.take_dirty().empty());
  a.write(kData + 8, &v, 8);                   // the lane's own page, written in place
  img.image.pages().write(kCode + 64, &v, 8);  // an image page
  a.write(kData + 16, &v, 8);                  // the same frame again: listed once
  const std::vector<u32> d = img.pool.take_dirty();
  EXPECT_EQ(d, (std::vector<u32>{frame_of(a, kData), frame_of(img.image.pages(), kCode)}));
  EXPECT_TRUE(img.pool.take_dirty().empty());
  // A copy made by a guest store's copy-on-write fault is a host write too.
  LaneMemory b(img.pool, {}, LaneMemory::Mode::Lane, &img.image);
  CoreState s;
  EXPECT_EQ(run(b, s, 1, kData).signal, Signal::Halt);
  EXPECT_EQ(img.pool.take_dirty(), std::vector<u32>{frame_of(b, kData)});
}

// Frame classes (FramePool::alloc): the k-th fresh frame of every class lies in the k-th class
// group, whatever order the classes ask in, so that lanes doing the same thing get the members
// of one group; a released frame goes back to its class; frames of no class come in order; and
// a class far ahead of the others takes frames of any class rather than open groups that would
// stay mostly empty.
TEST(BatchLaneMemory, FrameClassesShareGroups) {
  FramePool pool(u64{64} << 20);
  EXPECT_EQ(pool.alloc(), 1u);  // no class: in order
  EXPECT_EQ(pool.alloc(), 2u);
  std::vector<std::vector<u32>> got(FramePool::kFrameClasses);
  for (u32 k = 0; k < 4; ++k) {
    for (u32 i = 0; i < FramePool::kFrameClasses; ++i) {
      const u32 c = (i * 7 + k * 3) % FramePool::kFrameClasses;    // another order each time
      got[c].push_back(pool.alloc(c + FramePool::kFrameClasses));  // taken modulo the classes
    }
  }
  for (u32 c = 0; c < FramePool::kFrameClasses; ++c) {
    for (u32 k = 0; k < 4; ++k) {
      EXPECT_EQ(got[c][k] % FramePool::kFrameClasses, c);
      EXPECT_EQ(got[c][k] / FramePool::kFrameClasses, got[0][k] / FramePool::kFrameClasses);
    }
  }
  EXPECT_EQ(pool.high_water(), got[31][3] + 1);
  pool.release(got[9][2]);
  EXPECT_EQ(pool.alloc(9), got[9][2]);
  // One class alone: its frames 5 to 16 open class groups 5 to 16; then, with 16 class groups
  // not half used, it takes the next frames in order (after frame 2, the last without a class).
  std::vector<u32> alone;
  for (u32 k = 0; k < 40; ++k) alone.push_back(pool.alloc(5));
  for (u32 k = 0; k < 12; ++k) {
    EXPECT_EQ(alone[k] % FramePool::kFrameClasses, 5u) << k;
    if (k) {
      EXPECT_GT(alone[k], alone[k - 1]) << k;
    }
  }
  for (u32 k = 12; k < 40; ++k) EXPECT_EQ(alone[k], 3 + (k - 12)) << k;
}

TEST(BatchLaneMemory, PoolRunsDry) {
  FramePool pool(u64{1} << 20);  // 256 frames, the zero page included
  LaneMemory m(pool, LaneLimits{.memory_limit = u64{1} << 30});
  m.map(kData, u64{2} << 20, kPermRead | kPermWrite);
  std::vector<u8> ones(u64{1} << 20, 1);
  EXPECT_THROW(m.write(kData, ones.data(), ones.size()), PoolExhausted);
  EXPECT_TRUE(m.out_of_memory());
  EXPECT_EQ(pool.frames_in_use(), pool.capacity_frames() - 1);
}

}  // namespace
}  // namespace kvrm::batch

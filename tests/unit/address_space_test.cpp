// Guest memory tests: mapping rules, permissions, page-crossing accesses, host-side access
// errors, and faults recorded by the shared Mmu.
#include <gtest/gtest.h>

#include <cstring>
#include <vector>

#include "core/address_space.hpp"
#include "core/error.hpp"

namespace kvrm {
namespace {

TEST(AddressSpace, MapRejectsOverlapsAndBadRanges) {
  AddressSpace as(1 << 20);
  as.map(0x1000, 0x2000, kPermRead);
  EXPECT_THROW(as.map(0x2000, 0x1000, kPermRead), Error);
  EXPECT_THROW(as.map(0x5001, 0x1000, kPermRead), Error);
  EXPECT_THROW(as.map(0x5000, 0, kPermRead), Error);
  EXPECT_THROW(as.map(u64{1} << 48, 0x1000, kPermRead), Error);
  EXPECT_THROW(as.map((u64{1} << 48) - 0x1000, 0x2000, kPermRead), Error);
  EXPECT_TRUE(as.is_mapped(0x1000, 0x2000));
  EXPECT_FALSE(as.is_mapped(0x1000, 0x2001));
  EXPECT_EQ(as.perms_at(0x1fff), kPermRead);
  EXPECT_EQ(as.perms_at(0x3000), -1);
}

TEST(AddressSpace, MemoryLimitIsEnforced) {
  AddressSpace as(0x4000);
  as.map(0x10000, 0x4000, kPermRead);
  EXPECT_THROW(as.map(0x20000, 0x1000, kPermRead), Error);
  as.unmap(0x10000, 0x1000);
  EXPECT_NO_THROW(as.map(0x20000, 0x1000, kPermRead));
}

TEST(AddressSpace, UnmappedPagesReadAsZeroWhenMappedAgain) {
  AddressSpace as(0x2000);
  as.map(0x10000, 0x1000, kPermRead | kPermWrite);
  const u64 v = 0x1122334455667788;
  as.write(0x10ff8, &v, 8);
  as.unmap(0x10000, 0x1000);
  as.map(0x10000, 0x1000, kPermRead);
  u64 r = 1;
  as.read(0x10ff8, &r, 8);
  EXPECT_EQ(r, 0u);
}

TEST(AddressSpace, HostAccessAcrossPagesAndErrors) {
  AddressSpace as(1 << 20);
  as.map(0x10000, 0x2000, kPermRead);
  const u64 v = 0x0102030405060708;
  as.write(0x10ffc, &v, 8);  // host writes ignore permissions
  u64 r = 0;
  as.read(0x10ffc, &r, 8);
  EXPECT_EQ(r, v);
  EXPECT_THROW(as.read(0x11ffc, &r, 8), Error);
  EXPECT_THROW(as.write(0xfffc, &v, 8), Error);
}

TEST(AddressSpace, ProtectNeedsMappedPages) {
  AddressSpace as(1 << 20);
  as.map(0x10000, 0x1000, kPermRead);
  EXPECT_THROW(as.protect(0x10000, 0x2000, kPermRead), Error);
  as.protect(0x10000, 0x1000, kPermRead | kPermWrite | kPermExec);
  EXPECT_EQ(as.perms_at(0x10000), kPermRead | kPermWrite | kPermExec);
}

TEST(Mmu, ChecksEveryAccess) {
  AddressSpace as(1 << 20);
  as.map(0x10000, 0x1000, kPermRead | kPermWrite);
  as.map(0x11000, 0x1000, kPermRead);
  as.map(0x12000, 0x1000, kPermExec);
  StopInfo info;
  Mmu m{as.view(), &info};
  u64 v = 0;
  EXPECT_TRUE(m.write<u64>(0x10ff0, 42));
  EXPECT_TRUE(m.read(0x10ff0, v));
  EXPECT_EQ(v, 42u);
  // Write crossing into a read-only page: nothing written, fault at the read-only page.
  EXPECT_FALSE(m.write<u64>(0x10ffc, ~u64{0}));
  EXPECT_EQ(info.cause, FaultCause::Permission);
  EXPECT_EQ(info.access, Access::Write);
  EXPECT_EQ(info.fault_addr, 0x11000u);
  u32 w = 0;
  EXPECT_TRUE(m.read(0x10ffc, w));
  EXPECT_EQ(w, 0u);
  // Reads of unmapped memory, fetches from non-executable and misaligned PCs.
  EXPECT_FALSE(m.read(0x20000, v));
  EXPECT_EQ(info.cause, FaultCause::Unmapped);
  EXPECT_EQ(info.fault_addr, 0x20000u);
  EXPECT_FALSE(m.fetch(0x10000, w));
  EXPECT_EQ(info.cause, FaultCause::Permission);
  EXPECT_EQ(info.access, Access::Fetch);
  EXPECT_FALSE(m.fetch(0x12002, w));
  EXPECT_EQ(info.cause, FaultCause::Alignment);
  EXPECT_TRUE(m.fetch(0x12000, w));
  EXPECT_FALSE(m.read(0x12000, v));  // execute-only
  // Addresses past 2^48 never wrap around.
  EXPECT_FALSE(m.read(0xffff000000010000ull, v));
  EXPECT_EQ(info.cause, FaultCause::Unmapped);
  EXPECT_FALSE(m.read(~u64{0} - 2, v));
}

// An Mmu with a second-level Tlb (what the GPU kernels use) translates exactly as one without:
// the same values, the same faults, frames marked written, nothing stale after flush().
TEST(Mmu, SecondLevelCacheTranslatesAsTheWalk) {
  AddressSpace as(1 << 24);
  constexpr u64 kBase = 0x400000;
  constexpr u32 kSets = 16;
  constexpr int kPages = 3 * kSets;  // three times the Tlb's sets: entries get evicted
  for (int p = 0; p < kPages; ++p) {
    as.map(kBase + p * kPageSize, kPageSize, p % 5 == 4 ? kPermRead : kPermRead | kPermWrite);
  }
  StopInfo plain_info, cached_info;
  Mmu plain{as.view(), &plain_info};
  TlbEntry tlb[3 * kSets];
  std::vector<u8> written((1 << 24) / kPageSize, 0);  // one per frame the limit allows
  Mmu cached{as.view(), &cached_info};
  cached.use_tlb(tlb, kSets);
  cached.written = written.data();
  cached.flush();
  u64 x = 12345;
  auto next = [&x] { return x = x * 6364136223846793005ull + 1442695040888963407ull; };
  for (int i = 0; i < 20000; ++i) {
    const u64 r = next();
    // Mostly mapped pages, sometimes the unmapped page after them; any offset (page crossings).
    const u64 va = kBase + (r >> 8) % ((kPages + 1) * kPageSize);
    const u64 value = next();
    if (r & 1) {
      const bool ok = cached.write<u64>(va, value);
      EXPECT_EQ(ok, plain.probe(va, 8, Access::Write)) << std::hex << va;
      if (ok) {
        for (u64 a : {va, va + 7}) {
          EXPECT_EQ(written[static_cast<u64>(as.frame_at(a))], 1) << std::hex << a;
        }
      }
    } else {
      u64 a = 0, b = 0;
      const bool ok = cached.read(va, a);
      EXPECT_EQ(ok, plain.read(va, b)) << std::hex << va;
      EXPECT_EQ(a, b) << std::hex << va;
      if (!ok) {
        EXPECT_EQ(cached_info.fault_addr, plain_info.fault_addr);
        EXPECT_EQ(cached_info.cause, plain_info.cause);
      }
    }
  }
  // A page unmapped between runs: after flush() both caches forget it.
  const u64 gone = kBase + 3 * kPageSize;
  u64 v = 0;
  ASSERT_TRUE(cached.read(gone, v));
  ASSERT_TRUE(cached.read(kBase + 5 * kPageSize, v));  // gone stays in the Tlb only
  as.unmap(gone, kPageSize);
  cached.flush();
  EXPECT_FALSE(cached.read(gone, v));
  EXPECT_EQ(cached_info.cause, FaultCause::Unmapped);
}

// The interleaved frame layout (isa/mmu.hpp, frame_start; the GPU batch engine's) reads and
// writes as the linear one: a copy of an address space's frames in groups of 4 and of 32 takes
// the same random accesses of every size and alignment (page crossings, byte runs, fetches) as
// the linear frames, with the same results, and ends up holding the same bytes.
TEST(Mmu, InterleavedFramesBehaveAsLinearOnes) {
  EXPECT_EQ(frame_start(0, 5), 0u);
  EXPECT_EQ(frame_start(33, 5), 32 * kPageSize + 8);
  EXPECT_EQ(frame_byte(13, 5), 1 * 256 + 5u);
  EXPECT_EQ(frame_start(7, 0) + frame_byte(13, 0), 7 * kPageSize + 13);
  for (const u32 shift : {2u, kMaxFrameShift}) {
    AddressSpace as(1 << 20);
    constexpr u64 kBase = 0x400000;
    constexpr int kPages = 40;
    as.map(kBase, kPages * kPageSize, kPermRead | kPermWrite | kPermExec);
    std::vector<u8> noise(kPages * kPageSize);
    u64 x = 99 + shift;
    auto next = [&x] { return x = x * 6364136223846793005ull + 1442695040888963407ull; };
    for (u8& b : noise) b = static_cast<u8>(next() >> 56);
    as.write(kBase, noise.data(), noise.size());
    const u32 frames = as.frames_used();
    const u32 group = 1u << shift;
    std::vector<u8> copy((frames + group - 1) / group * group * kPageSize);
    for (u32 f = 0; f < frames; ++f) {
      frame_write(copy.data() + frame_start(f, shift), 0, as.frames() + u64{f} * kPageSize,
                  kPageSize, shift);
    }
    StopInfo li, ii;
    Mmu lin{as.view(), &li};
    PageTableView v = as.view();
    v.frames = copy.data();
    v.shift = shift;
    Mmu inter{v, &ii};
    for (int i = 0; i < 30000; ++i) {
      const u64 r = next();
      const u64 va = kBase + (r >> 8) % (kPages * kPageSize + 64);  // some past the end: faults
      const u64 val = next();
      bool a = false, b = false;
      u64 got_l = 0, got_i = 0;
      switch ((r >> 1) % 10) {
        case 0: a = lin.write<u8>(va, u8(val)), b = inter.write<u8>(va, u8(val)); break;
        case 1: a = lin.write<u16>(va, u16(val)), b = inter.write<u16>(va, u16(val)); break;
        case 2: a = lin.write<u32>(va, u32(val)), b = inter.write<u32>(va, u32(val)); break;
        case 3: a = lin.write<u64>(va, val), b = inter.write<u64>(va, val); break;
        case 4: {
          u8 src[40];
          for (u8& c : src) c = static_cast<u8>(next());
          const u64 n = 1 + val % 40;
          a = lin.write_bytes(va, src, n), b = inter.write_bytes(va, src, n);
          break;
        }
        case 5: {
          u8 dl[40] = {}, di[40] = {};
          const u64 n = 1 + val % 40;
          a = lin.read_bytes(va, dl, n), b = inter.read_bytes(va, di, n);
          EXPECT_EQ(0, std::memcmp(dl, di, sizeof dl)) << std::hex << va;
          break;
        }
        case 6: {
          u32 wl = 0, wi = 0;
          a = lin.fetch(va & ~u64{3}, wl), b = inter.fetch(va & ~u64{3}, wi);
          got_l = wl, got_i = wi;
          break;
        }
        default: {
          const int size = 1 << (val % 4);
          a = lin.read_sized(va, size, got_l), b = inter.read_sized(va, size, got_i);
        }
      }
      ASSERT_EQ(a, b) << std::hex << va << " shift " << shift;
      EXPECT_EQ(got_l, got_i) << std::hex << va;
      if (!a) {
        EXPECT_EQ(li.fault_addr, ii.fault_addr);
        EXPECT_EQ(li.cause, ii.cause);
      }
    }
    std::vector<u8> page(kPageSize);
    for (u32 f = 0; f < frames; ++f) {
      frame_read(copy.data() + frame_start(f, shift), 0, page.data(), kPageSize, shift);
      EXPECT_EQ(0, std::memcmp(page.data(), as.frames() + u64{f} * kPageSize, kPageSize))
          << "frame " << f << " shift " << shift;
    }
  }
}

}  // namespace
}  // namespace kvrm

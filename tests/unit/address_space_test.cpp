// Guest memory tests: mapping rules, permissions, page-crossing accesses, host-side access
// errors, and faults recorded by the shared Mmu.
#include <gtest/gtest.h>

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

}  // namespace
}  // namespace kvrm

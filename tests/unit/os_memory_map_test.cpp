// The guest memory map (os::MemoryMap): ranges split and merge by page as mmap, mprotect and
// munmap need, keeping the flags that say what backs each range.
#include <gtest/gtest.h>

#include "isa/mmu.hpp"
#include "os/process.hpp"

namespace kvrm::os {
namespace {

constexpr u64 P = kPageSize;
constexpr u8 R = kPermRead, W = kPermWrite, X = kPermExec;

TEST(MemoryMap, ProtectSplitsAndKeepsFlags) {
  MemoryMap m;
  m.set(0x10 * P, 0x20 * P, R, MemoryMap::kFile | MemoryMap::kNoWrite);
  m.set(0x20 * P, 0x30 * P, R | W);
  m.protect(0x18 * P, 0x28 * P, R | X);
  EXPECT_EQ(m.perms_at(0x10 * P), R);
  EXPECT_EQ(m.perms_at(0x18 * P), R | X);
  EXPECT_EQ(m.perms_at(0x27 * P), R | X);
  EXPECT_EQ(m.perms_at(0x28 * P), R | W);
  EXPECT_EQ(m.flags_in(0x18 * P, 0x19 * P), MemoryMap::kFile | MemoryMap::kNoWrite);
  EXPECT_EQ(m.flags_in(0x20 * P, 0x30 * P), 0);
  EXPECT_EQ(m.flags_in(0x1f * P, 0x21 * P), MemoryMap::kFile | MemoryMap::kNoWrite);
  EXPECT_TRUE(m.covered(0x10 * P, 0x30 * P, R));
  EXPECT_FALSE(m.covered(0x10 * P, 0x30 * P, R | W));
}

TEST(MemoryMap, ClearKeepsTheFlagsOfWhatRemains) {
  MemoryMap m;
  m.set(0x10 * P, 0x20 * P, R, MemoryMap::kFile);
  m.clear(0x14 * P, 0x18 * P);
  EXPECT_EQ(m.perms_at(0x14 * P), 0);
  EXPECT_EQ(m.flags_in(0x10 * P, 0x14 * P), MemoryMap::kFile);
  EXPECT_EQ(m.flags_in(0x18 * P, 0x20 * P), MemoryMap::kFile);
  EXPECT_EQ(m.flags_in(0x14 * P, 0x18 * P), 0);
  EXPECT_FALSE(m.any(0x14 * P, 0x18 * P));
  EXPECT_TRUE(m.any(0x13 * P, 0x15 * P));
}

TEST(MemoryMap, FindFreeTakesTheHighestGap) {
  MemoryMap m;
  m.set(0x80 * P, 0x90 * P, R);
  EXPECT_EQ(m.find_free(0x10 * P, 0x100 * P, 0x10 * P), 0xf0 * P);
  m.set(0xf0 * P, 0x100 * P, R);
  EXPECT_EQ(m.find_free(0x60 * P, 0x100 * P, 0x10 * P), 0x90 * P);
  EXPECT_EQ(m.find_free(0x61 * P, 0x100 * P, 0x10 * P), 0x1f * P);
  EXPECT_EQ(m.find_free(0x80 * P, 0x100 * P, 0x10 * P), 0u);
}

}  // namespace
}  // namespace kvrm::os

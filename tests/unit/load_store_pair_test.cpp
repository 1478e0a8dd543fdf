// Unit tests for load/store pair (C4.1.88): LDP/STP in every indexing form, LDNP/STNP and LDPSW.
#include <gtest/gtest.h>

#include "machine.hpp"

namespace kvrm::test {
namespace {

constexpr u64 D = Machine::kData + 0x400;
constexpr u64 kEnd = Machine::kData + Machine::kDataSize;  // first byte past the data region
constexpr u64 kUnmapped = 0x900000;
constexpr u64 kJunk = 0xdeadbeefdeadbeefull;

// Runs one instruction with X0 and X1 preset to junk.
void run1(Machine& m, u32 insn) {
  m.set_x(0, kJunk);
  m.set_x(1, kJunk);
  EXPECT_EQ(m.run({insn}).signal, Signal::Checkpoint);
}

TEST(LoadStorePair, LoadIndexingForms) {
  Machine m;
  for (int k = -4; k < 8; ++k) m.store<u64>(D + 8 * k, 0xa0 + k);
  m.set_x(2, D);
  run1(m, 0xa9410440 /* ldp x0, x1, [x2, #16] */);
  EXPECT_EQ(m.x(0), 0xa2u);
  EXPECT_EQ(m.x(1), 0xa3u);
  EXPECT_EQ(m.x(2), D);
  run1(m, 0xa9ff0440 /* ldp x0, x1, [x2, #-16]! */);
  EXPECT_EQ(m.x(0), 0x9eu);
  EXPECT_EQ(m.x(1), 0x9fu);
  EXPECT_EQ(m.x(2), D - 16);

  // Word pairs zero-extend; LDPSW sign-extends each word.
  m.store<u64>(D + 64, 0x8000000112345678ull);
  m.set_x(2, D + 64);
  run1(m, 0x28c10440 /* ldp w0, w1, [x2], #8 */);
  EXPECT_EQ(m.x(0), 0x12345678u);
  EXPECT_EQ(m.x(1), 0x80000001u);
  EXPECT_EQ(m.x(2), D + 72);
  run1(m, 0x697f0440 /* ldpsw x0, x1, [x2, #-8] */);
  EXPECT_EQ(m.x(0), 0x12345678u);
  EXPECT_EQ(m.x(1), 0xffffffff80000001u);
  EXPECT_EQ(m.x(2), D + 72);
  m.set_x(2, D + 64);
  run1(m, 0x68c10440 /* ldpsw x0, x1, [x2], #8 */);
  EXPECT_EQ(m.x(1), 0xffffffff80000001u);
  EXPECT_EQ(m.x(2), D + 72);
  m.set_x(2, D + 56);
  run1(m, 0x69c10440 /* ldpsw x0, x1, [x2, #8]! */);
  EXPECT_EQ(m.x(0), 0x12345678u);
  EXPECT_EQ(m.x(1), 0xffffffff80000001u);
  EXPECT_EQ(m.x(2), D + 64);
}

TEST(LoadStorePair, StoresAndNonTemporal) {
  Machine m;
  m.set_x(31, D + 0x200);
  m.set_x(0, 0x11);
  m.set_x(1, 0x22);
  m.run({0xa9bf07e0 /* stp x0, x1, [sp, #-16]! */});
  EXPECT_EQ(m.x(31), D + 0x1f0);
  EXPECT_EQ(m.load<u64>(D + 0x1f0), 0x11u);
  EXPECT_EQ(m.load<u64>(D + 0x1f8), 0x22u);
  m.run({0xa8c113e3 /* ldp x3, x4, [sp], #16 */});
  EXPECT_EQ(m.x(3), 0x11u);
  EXPECT_EQ(m.x(4), 0x22u);
  EXPECT_EQ(m.x(31), D + 0x200);

  // Word pairs store the low halves only.
  for (u64 a = D + 0x100; a < D + 0x120; a += 8) m.store<u64>(a, ~u64{0});
  m.set_x(0, 0xaaaaaaaa00000001ull);
  m.set_x(1, 0xbbbbbbbb00000002ull);
  m.set_x(2, D + 0x100);
  m.run({0x29008440 /* stp w0, w1, [x2, #4] */});
  EXPECT_EQ(m.load<u64>(D + 0x100), 0x00000001ffffffffu);
  EXPECT_EQ(m.load<u64>(D + 0x108), 0xffffffff00000002u);
  m.run({0x29810440 /* stp w0, w1, [x2, #8]! */});
  EXPECT_EQ(m.x(2), D + 0x108);
  EXPECT_EQ(m.load<u64>(D + 0x108), 0x0000000200000001u);
  m.run({0xa8bf7c40 /* stp x0, xzr, [x2], #-16 */});
  EXPECT_EQ(m.x(2), D + 0xf8);
  EXPECT_EQ(m.load<u64>(D + 0x108), 0xaaaaaaaa00000001u);
  EXPECT_EQ(m.load<u64>(D + 0x110), 0u);

  m.set_x(2, D + 0x100);
  m.run({0xa8020440 /* stnp x0, x1, [x2, #32] */, 0xa8421043 /* ldnp x3, x4, [x2, #32] */});
  EXPECT_EQ(m.x(3), 0xaaaaaaaa00000001u);
  EXPECT_EQ(m.x(4), 0xbbbbbbbb00000002u);
  m.set_x(3, kJunk);
  m.set_x(4, kJunk);
  m.run({0x283f8440 /* stnp w0, w1, [x2, #-4] */, 0x287f9043 /* ldnp w3, w4, [x2, #-4] */});
  EXPECT_EQ(m.x(3), 1u);
  EXPECT_EQ(m.x(4), 2u);
  EXPECT_EQ(m.load<u32>(D + 0xfc), 1u);
  EXPECT_EQ(m.x(2), D + 0x100);
}

TEST(LoadStorePair, RegisterAliasing) {
  Machine m;
  m.store<u64>(D, 0x1111);
  m.store<u64>(D + 8, 0x2222);
  m.set_x(2, D);
  m.run({0xa8c10c42 /* ldp x2, x3, [x2], #16 (Rt == Rn): the writeback wins */});
  EXPECT_EQ(m.x(2), D + 16);
  EXPECT_EQ(m.x(3), 0x2222u);
  m.set_x(2, D);
  run1(m, 0xa9400040 /* ldp x0, x0, [x2] (Rt == Rt2): Rt2 is written last */);
  EXPECT_EQ(m.x(0), 0x2222u);
  m.set_x(2, D + 32);
  m.set_x(3, 0x3333);
  m.run({0xa9bf0c42 /* stp x2, x3, [x2, #-16]! (Rt == Rn): the old base is stored */});
  EXPECT_EQ(m.x(2), D + 16);
  EXPECT_EQ(m.load<u64>(D + 16), D + 32);
  EXPECT_EQ(m.load<u64>(D + 24), 0x3333u);
}

TEST(LoadStorePair, UnalignedAcrossPages) {
  Machine m;
  const u64 p = Machine::kData + 0x1000;  // a page boundary inside the data region
  for (u64 b = 0; b < 32; ++b) m.store<u8>(p - 16 + b, static_cast<u8>(b));
  m.set_x(2, p - 12);
  run1(m, 0xa9400440 /* ldp x0, x1, [x2] */);
  EXPECT_EQ(m.x(0), 0x0b0a090807060504u);
  EXPECT_EQ(m.x(1), 0x131211100f0e0d0cu);
  m.set_x(0, 0x1122334455667788ull);
  m.set_x(1, 0x99aabbccddeeff00ull);
  m.set_x(2, p - 5);
  m.run({0xa9000440 /* stp x0, x1, [x2] */});
  EXPECT_EQ(m.load<u64>(p - 5), 0x1122334455667788u);
  EXPECT_EQ(m.load<u64>(p + 3), 0x99aabbccddeeff00u);
}

TEST(LoadStorePair, Faults) {
  Machine m;
  m.store<u64>(kEnd - 8, 0x77);
  // The second element is past the end of the region: no register and no base changes.
  m.set_x(2, kEnd + 8);
  m.set_x(0, kJunk);
  m.set_x(1, kJunk);
  expect_fault(m.run({0xa9ff0440 /* ldp x0, x1, [x2, #-16]! */}), FaultCause::Unmapped,
               Access::Read, kEnd);
  EXPECT_EQ(m.x(0), kJunk);
  EXPECT_EQ(m.x(1), kJunk);
  EXPECT_EQ(m.x(2), kEnd + 8);
  m.set_x(2, kUnmapped);
  expect_fault(m.run({0x68c10440 /* ldpsw x0, x1, [x2], #8 */}), FaultCause::Unmapped, Access::Read,
               kUnmapped);
  EXPECT_EQ(m.x(0), kJunk);
  EXPECT_EQ(m.x(2), kUnmapped);

  // A store pair writes its elements in order: the first one lands before the second faults.
  m.set_x(0, 0x1234);
  m.set_x(1, 0x5678);
  m.set_x(2, kEnd - 8);
  expect_fault(m.run({0xa9000440 /* stp x0, x1, [x2] */}), FaultCause::Unmapped, Access::Write,
               kEnd);
  EXPECT_EQ(m.load<u64>(kEnd - 8), 0x1234u);
  m.set_x(2, Machine::kCode + 0x100);
  expect_fault(m.run({0x29810440 /* stp w0, w1, [x2, #8]! */}), FaultCause::Permission,
               Access::Write, Machine::kCode + 0x108);
  EXPECT_EQ(m.x(2), Machine::kCode + 0x100);
}

TEST(LoadStorePair, UnallocatedForms) {
  Machine m;
  m.set_x(2, D);
  for (u32 w : {0xe9400440u /* ldp with opc = 11 */, 0x69000440u /* stgp (MTE) */,
                0x68400440u /* ldnp with opc = 01 */}) {
    const RunResult r = m.run({w});
    EXPECT_EQ(r.signal, Signal::Undefined) << std::hex << w;
    EXPECT_EQ(r.info.insn, w);
  }
}

}  // namespace
}  // namespace kvrm::test

// Unit tests for loads and stores of SIMD&FP registers (C4.1.88): LDR/STR of B/H/S/D/Q in every
// addressing form, LDUR/STUR, LDR (literal), LDP/STP/LDNP/STNP of S/D/Q, and their faults.
#include <gtest/gtest.h>

#include "isa/decoder.hpp"
#include "machine.hpp"

namespace kvrm::test {
namespace {

constexpr u64 D = Machine::kData + 0x400;
constexpr u64 kEnd = Machine::kData + Machine::kDataSize;  // first byte past the data region
constexpr u64 kJunk = 0xdeadbeefdeadbeefull;

// Fills the data region around D with the byte pattern (address & 0xff).
void fill(Machine& m, u64 from, u64 to) {
  for (u64 a = from; a < to; ++a) m.store<u8>(a, static_cast<u8>(a));
}
void run1(Machine& m, u32 insn) { EXPECT_EQ(m.run({insn}).signal, Signal::Checkpoint); }
TEST(SimdLoadStore, Decode) {
  EXPECT_EQ(decode(0x3d400420), Op::LDR_fp_uoff);  // ldr b0, [x1, #1]
  EXPECT_EQ(decode(0x3dbffc20), Op::STR_fp_uoff);  // str q0, [x1, #65520]
  EXPECT_EQ(decode(0x3cdfd020), Op::LDUR_fp);      // ldur q0, [x1, #-3]
  EXPECT_EQ(decode(0x3cdf0420), Op::LDR_fp_post);  // ldr q0, [x1], #-16
  EXPECT_EQ(decode(0x3c9e0c20), Op::STR_fp_pre);   // str q0, [x1, #-32]!
  EXPECT_EQ(decode(0x3ce27820), Op::LDR_fp_reg);   // ldr q0, [x1, x2, lsl #4]
  EXPECT_EQ(decode(0x9c000020), Op::LDR_fp_lit);   // ldr q0, <lit>
  EXPECT_EQ(decode(0xad010420), Op::STP_fp_off);   // stp q0, q1, [x1, #32]
  EXPECT_EQ(decode(0xac200420), Op::STNP_fp);      // stnp q0, q1, [x1, #-1024]
  EXPECT_EQ(decode(0x3c800820), Op::UNDEFINED);    // sttr-like form with V = 1: unallocated
}

TEST(SimdLoadStore, LoadEverySizeZeroesTheRest) {
  Machine m;
  fill(m, D, D + 64);
  m.set_x(1, D);
  const struct {
    u32 insn;
    u64 lo, hi;
  } cases[] = {
      {0x3d400420 /* ldr b0, [x1, #1] */, 0x01, 0},
      {0x7d400420 /* ldr h0, [x1, #2] */, 0x0302, 0},
      {0xbd400420 /* ldr s0, [x1, #4] */, 0x07060504, 0},
      {0xfd400420 /* ldr d0, [x1, #8] */, 0x0f0e0d0c0b0a0908ull, 0},
      {0x3dc00420 /* ldr q0, [x1, #16] */, 0x1716151413121110ull, 0x1f1e1d1c1b1a1918ull},
  };
  for (const auto& k : cases) {
    set_v(m, 0, kJunk, kJunk);
    run1(m, k.insn);
    expect_v(m, 0, k.lo, k.hi);
  }
  EXPECT_EQ(m.x(1), D);
}

TEST(SimdLoadStore, StoreEverySizeWritesOnlyItsBytes) {
  Machine m;
  set_v(m, 0, 0x8877665544332211ull, 0x00ffeeddccbbaa99ull);
  const struct {
    u32 insn;
    u64 base, at;
    int bytes;
  } cases[] = {
      {0x3d3ffc20 /* str b0, [x1, #4095] */, D, D + 4095, 1},
      {0x7d000420 /* str h0, [x1, #2] */, D, D + 2, 2},
      {0xbd000420 /* str s0, [x1, #4] */, D, D + 4, 4},
      {0xfd000420 /* str d0, [x1, #8] */, D, D + 8, 8},
      {0x3dbffc20 /* str q0, [x1, #65520] */, D - 0xfff0 + 0x100, D + 0x100, 16},
  };
  const u8 want[16] = {0x11, 0x22, 0x33, 0x44, 0x55, 0x66, 0x77, 0x88,
                       0x99, 0xaa, 0xbb, 0xcc, 0xdd, 0xee, 0xff, 0x00};
  for (const auto& k : cases) {
    for (u64 a = k.at - 8; a < k.at + 24; ++a) m.store<u8>(a, 0x5a);
    m.set_x(1, k.base);
    run1(m, k.insn);
    for (int b = -8; b < 24; ++b) {
      const u8 got = m.load<u8>(k.at + static_cast<u64>(b));
      const u8 exp = (b >= 0 && b < k.bytes) ? want[b] : 0x5a;
      EXPECT_EQ(got, exp) << std::hex << k.insn << " byte " << std::dec << b;
    }
  }
}

TEST(SimdLoadStore, UnscaledPreAndPostIndex) {
  Machine m;
  fill(m, D - 64, D + 64);
  m.set_x(1, D);
  run1(m, 0x3cdfd020 /* ldur q0, [x1, #-3] */);
  expect_v(m, 0, 0x0403020100fffefdull, 0x0c0b0a0908070605ull);
  EXPECT_EQ(m.x(1), D);

  set_v(m, 0, kJunk, kJunk);
  run1(m, 0x3cdf0420 /* ldr q0, [x1], #-16 */);
  expect_v(m, 0, 0x0706050403020100ull, 0x0f0e0d0c0b0a0908ull);
  EXPECT_EQ(m.x(1), D - 16);

  run1(m, 0xbc404c20 /* ldr s0, [x1, #4]! */);
  expect_v(m, 0, 0xf7f6f5f4u, 0);
  EXPECT_EQ(m.x(1), D - 12);

  set_v(m, 0, 0x1122334455667788ull, 0x99aabbccddeeff00ull);
  m.set_x(1, D + 32);
  run1(m, 0x3c9e0c20 /* str q0, [x1, #-32]! */);
  EXPECT_EQ(m.x(1), D);
  EXPECT_EQ(m.load<u64>(D), 0x1122334455667788ull);
  EXPECT_EQ(m.load<u64>(D + 8), 0x99aabbccddeeff00ull);

  run1(m, 0x7c0ff420 /* str h0, [x1], #255 */);
  EXPECT_EQ(m.x(1), D + 255);
  EXPECT_EQ(m.load<u64>(D), 0x1122334455667788ull);

  m.set_x(1, D + 0x21);
  run1(m, 0xfc1ff020 /* stur d0, [x1, #-1] */);
  EXPECT_EQ(m.load<u64>(D + 0x20), 0x1122334455667788ull);
  EXPECT_EQ(m.x(1), D + 0x21);
}

TEST(SimdLoadStore, RegisterOffset) {
  Machine m;
  fill(m, D - 0x100, D + 0x100);
  m.set_x(1, D);
  m.set_x(2, 3);
  run1(m, 0x3ce27820 /* ldr q0, [x1, x2, lsl #4] */);  // the Q form shifts by 4
  expect_v(m, 0, 0x3736353433323130ull, 0x3f3e3d3c3b3a3938ull);
  run1(m, 0x3c627820 /* ldr b0, [x1, x2, lsl #0] */);
  expect_v(m, 0, 0x03, 0);
  m.set_x(2, 0xfffffffffffffffeull);
  run1(m, 0x7c62f820 /* ldr h0, [x1, x2, sxtx #1] */);
  expect_v(m, 0, 0xfdfc, 0);
  m.set_x(2, 0x12345678fffffff0ull);  // SXTW of the low word: -16
  run1(m, 0x3ce2c820 /* ldr q0, [x1, w2, sxtw] */);
  expect_v(m, 0, 0xf7f6f5f4f3f2f1f0ull, 0xfffefdfcfbfaf9f8ull);
  set_v(m, 3, 0xa1a2a3a4a5a6a7a8ull, kJunk);
  m.set_x(2, 0xffffffff00000002ull);  // UXTW: 2, times 8
  run1(m, 0xfc225823 /* str d3, [x1, w2, uxtw #3] */);
  EXPECT_EQ(m.load<u64>(D + 16), 0xa1a2a3a4a5a6a7a8ull);
  EXPECT_EQ(m.load<u8>(D + 24), 0x18);
}

TEST(SimdLoadStore, Literal) {
  Machine m;
  // 0x1c000060 ldr s0, +12; 0x5c000040 ldr d1, +8 (second word); 0x9c000022 ldr q2, +4
  // (third word); then the literal pool at kCode + 12.
  const u32 code[] = {0x1c000060, 0x5c000041, 0x9c000022, 0x03020100,
                      0x07060504, 0x0b0a0908, 0x0f0e0d0c};
  m.e->write_memory(Machine::kCode, code, sizeof code);
  m.e->set_pc(Machine::kCode);
  set_v(m, 0, kJunk, kJunk);
  set_v(m, 1, kJunk, kJunk);
  set_v(m, 2, kJunk, kJunk);
  EXPECT_EQ(m.e->execute(3).signal, Signal::Checkpoint);
  expect_v(m, 0, 0x03020100u, 0);
  expect_v(m, 1, 0x0706050403020100ull, 0);
  expect_v(m, 2, 0x0706050403020100ull, 0x0f0e0d0c0b0a0908ull);
  // A negative offset: ldr q0, .-4 reads the word before the instruction (kCode - 4 is not
  // mapped).
  const RunResult r = m.run({0x9cffffe0 /* ldr q0, .-4 */});
  expect_fault(r, FaultCause::Unmapped, Access::Read, Machine::kCode - 4);
}

TEST(SimdLoadStore, Pairs) {
  Machine m;
  fill(m, D - 0x100, D + 0x100);
  set_v(m, 0, 0x0011223344556677ull, 0x8899aabbccddeeffull);
  set_v(m, 1, 0x1011121314151617ull, 0x18191a1b1c1d1e1full);
  m.set_x(1, D);
  run1(m, 0xad010420 /* stp q0, q1, [x1, #32] */);
  EXPECT_EQ(m.load<u64>(D + 32), 0x0011223344556677ull);
  EXPECT_EQ(m.load<u64>(D + 40), 0x8899aabbccddeeffull);
  EXPECT_EQ(m.load<u64>(D + 48), 0x1011121314151617ull);
  EXPECT_EQ(m.load<u64>(D + 56), 0x18191a1b1c1d1e1full);
  EXPECT_EQ(m.x(1), D);

  m.set_x(1, D + 32);
  run1(m, 0xacff0c22 /* ldp q2, q3, [x1], #-32 */);
  expect_v(m, 2, 0x0011223344556677ull, 0x8899aabbccddeeffull);
  expect_v(m, 3, 0x1011121314151617ull, 0x18191a1b1c1d1e1full);
  EXPECT_EQ(m.x(1), D);

  set_v(m, 0, kJunk, kJunk);
  set_v(m, 1, kJunk, kJunk);
  m.set_x(1, D + 8);
  run1(m, 0x2dff0420 /* ldp s0, s1, [x1, #-8]! */);
  expect_v(m, 0, 0x03020100u, 0);
  expect_v(m, 1, 0x07060504u, 0);
  EXPECT_EQ(m.x(1), D);

  m.set_x(31, D + 0x80);
  set_v(m, 0, 0xaaaaaaaaaaaaaaaaull, kJunk);
  set_v(m, 1, 0xbbbbbbbbbbbbbbbbull, kJunk);
  run1(m, 0x6dbf07e0 /* stp d0, d1, [sp, #-16]! */);
  EXPECT_EQ(m.x(31), D + 0x70);
  EXPECT_EQ(m.load<u64>(D + 0x70), 0xaaaaaaaaaaaaaaaaull);
  EXPECT_EQ(m.load<u64>(D + 0x78), 0xbbbbbbbbbbbbbbbbull);
  EXPECT_EQ(m.load<u8>(D + 0x80), 0x80);

  m.set_x(1, D + 0x400);
  set_v(m, 0, 1, 2);
  set_v(m, 1, 3, 4);
  run1(m, 0xac200420 /* stnp q0, q1, [x1, #-1024] */);
  EXPECT_EQ(m.load<u64>(D), 1u);
  EXPECT_EQ(m.load<u64>(D + 24), 4u);
  m.set_x(1, D - 504);
  run1(m, 0x6c5f8420 /* ldnp d0, d1, [x1, #504] */);
  expect_v(m, 0, 1, 0);
  expect_v(m, 1, 2, 0);
  m.set_x(1, D - 16);
  run1(m, 0x6d407c20 /* ldp d0, d31, [x1] */);  // V31 is a register, not a zero register
  expect_v(m, 0, 0xf7f6f5f4f3f2f1f0ull, 0);
  expect_v(m, 31, 0xfffefdfcfbfaf9f8ull, 0);

  // Registers 30/31 stored as S: only the low words.
  set_v(m, 30, 0x11111111aaaaaaaaull, kJunk);
  set_v(m, 31, 0x22222222bbbbbbbbull, kJunk);
  m.set_x(1, D + 0x200);
  m.store<u64>(D + 0x208, 0x5a);
  run1(m, 0x2d007c3e /* stp s30, s31, [x1] */);
  EXPECT_EQ(m.load<u64>(D + 0x200), 0xbbbbbbbbaaaaaaaaull);
  EXPECT_EQ(m.load<u64>(D + 0x208), 0x5au);
}

TEST(SimdLoadStore, Unallocated) {
  Machine m;
  expect_undefined(m, 0x7dc00420);  // LDR (unsigned) with size = 01, opc = 11: scale 5
  expect_undefined(m, 0xbd800420);  // STR (unsigned) with size = 10, opc = 10
  expect_undefined(m, 0xfcc00420);  // LDR (post-index) with size = 11, opc = 11
  expect_undefined(m, 0x7c804c20);  // STR (pre-index) with size = 01, opc = 10
  expect_undefined(m, 0x3ce22820);  // LDR q0, [x1, x2, #option 001]: option<1> = 0
  expect_undefined(m, 0xdc000000);  // LDR (literal) with opc = 11
  expect_undefined(m, 0xed010420);  // STP with opc = 11
  expect_undefined(m, 0xecc10420);  // LDP (post-index) with opc = 11
}

TEST(SimdLoadStore, FaultsArePrecise) {
  Machine m;
  fill(m, kEnd - 0x40, kEnd);
  // A Q load whose second doubleword is unmapped: nothing is written, no writeback.
  set_v(m, 0, kJunk, kJunk);
  m.set_x(1, kEnd - 8);
  expect_fault(m.run({0x3cc10c20 /* ldr q0, [x1, #16]! */}), FaultCause::Unmapped, Access::Read,
               kEnd + 8);
  m.set_x(1, kEnd - 8);
  expect_fault(m.run({0x3dc00020 /* ldr q0, [x1] */}), FaultCause::Unmapped, Access::Read, kEnd);
  expect_v(m, 0, kJunk, kJunk);
  EXPECT_EQ(m.x(1), kEnd - 8);

  // An LDP whose second register faults writes neither register nor the base.
  set_v(m, 2, kJunk, kJunk);
  set_v(m, 3, kJunk, kJunk);
  m.set_x(1, kEnd - 16);
  expect_fault(m.run({0xacc10c22 /* ldp q2, q3, [x1], #32 */}), FaultCause::Unmapped, Access::Read,
               kEnd);
  expect_v(m, 2, kJunk, kJunk);
  expect_v(m, 3, kJunk, kJunk);
  EXPECT_EQ(m.x(1), kEnd - 16);

  // A store of Q across the end writes its doublewords in order: the first one lands.
  set_v(m, 0, 0x1111111111111111ull, 0x2222222222222222ull);
  m.set_x(1, kEnd - 8);
  expect_fault(m.run({0x3c810c20 /* str q0, [x1, #16]! */}), FaultCause::Unmapped, Access::Write,
               kEnd + 8);
  m.set_x(1, kEnd - 8);
  expect_fault(m.run({0x3d800020 /* str q0, [x1] */}), FaultCause::Unmapped, Access::Write, kEnd);
  EXPECT_EQ(m.load<u64>(kEnd - 8), 0x1111111111111111ull);
  EXPECT_EQ(m.x(1), kEnd - 8);
  // An STP whose second register faults has stored the first.
  m.set_x(1, kEnd - 16);
  set_v(m, 2, 0x3333333333333333ull, 0x4444444444444444ull);
  expect_fault(m.run({0xad000c22 /* stp q2, q3, [x1] */}), FaultCause::Unmapped, Access::Write,
               kEnd);
  EXPECT_EQ(m.load<u64>(kEnd - 16), 0x3333333333333333ull);
  EXPECT_EQ(m.load<u64>(kEnd - 8), 0x4444444444444444ull);
}

}  // namespace
}  // namespace kvrm::test

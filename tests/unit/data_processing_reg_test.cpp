// Unit tests for data processing -- register (C4.1.89): 2- and 1-source, logical and add/subtract
// (shifted and extended register), with carry, flag manipulation, conditional compare and
// select, 3-source, on the reference engine.
#include <gtest/gtest.h>

#include "machine.hpp"

namespace kvrm::test {
namespace {

constexpr u64 kMin64 = 0x8000000000000000ull;

TEST(Divide, Unsigned) {
  Machine m;
  m.set_x(1, 100);
  m.set_x(2, 7);
  exec(m, 0x9ac20820 /* udiv x0, x1, x2 */);
  EXPECT_EQ(m.x(0), 14u);
  m.set_x(1, ~u64{0});
  m.set_x(2, 1);
  exec(m, 0x9ac20820 /* udiv x0, x1, x2 */);
  EXPECT_EQ(m.x(0), ~u64{0});
  m.set_x(2, 0);
  exec(m, 0x9ac20820 /* udiv x0, x1, x2: by zero */);
  EXPECT_EQ(m.x(0), 0u);
  m.set_x(1, 0x100000010ull);         // W1 = 16
  m.set_x(2, 0xffffffff00000003ull);  // W2 = 3
  exec(m, 0x1ac20820 /* udiv w0, w1, w2 */);
  EXPECT_EQ(m.x(0), 5u);
  m.set_x(2, 0xffffffff00000000ull);  // W2 = 0
  exec(m, 0x1ac20820 /* udiv w0, w1, w2: by zero */);
  EXPECT_EQ(m.x(0), 0u);
}

TEST(Divide, Signed) {
  Machine m;
  m.set_x(1, static_cast<u64>(-7));
  m.set_x(2, 2);
  exec(m, 0x9ac20c20 /* sdiv x0, x1, x2: rounds towards zero */);
  EXPECT_EQ(m.x(0), static_cast<u64>(-3));
  m.set_x(1, kMin64);
  m.set_x(2, ~u64{0});
  exec(m, 0x9ac20c20 /* sdiv x0, x1, x2: INT64_MIN / -1 */);
  EXPECT_EQ(m.x(0), kMin64);
  m.set_x(2, 0);
  exec(m, 0x9ac20c20 /* sdiv x0, x1, x2: by zero */);
  EXPECT_EQ(m.x(0), 0u);
  m.set_x(1, 0x80000000u);
  m.set_x(2, 0xffffffffu);
  exec(m, 0x1ac20c20 /* sdiv w0, w1, w2: INT32_MIN / -1 */);
  EXPECT_EQ(m.x(0), 0x80000000u);
  m.set_x(1, static_cast<u64>(-7));
  m.set_x(2, 2);
  exec(m, 0x1ac20c20 /* sdiv w0, w1, w2 */);
  EXPECT_EQ(m.x(0), 0xfffffffdu);
  m.set_x(2, 0x100000000ull);  // W2 = 0
  exec(m, 0x1ac20c20 /* sdiv w0, w1, w2: by zero */);
  EXPECT_EQ(m.x(0), 0u);
}

TEST(VariableShift, SixtyFourBit) {
  Machine m;
  m.set_x(1, 1);
  m.set_x(2, 64);
  exec(m, 0x9ac22020 /* lsl x0, x1, x2: 64 mod 64 = 0 */);
  EXPECT_EQ(m.x(0), 1u);
  m.set_x(2, 65);
  exec(m, 0x9ac22020 /* lsl x0, x1, x2 */);
  EXPECT_EQ(m.x(0), 2u);
  m.set_x(2, 63);
  exec(m, 0x9ac22020 /* lsl x0, x1, x2 */);
  EXPECT_EQ(m.x(0), kMin64);
  m.set_x(1, kMin64);
  m.set_x(2, 127);
  exec(m, 0x9ac22420 /* lsr x0, x1, x2 */);
  EXPECT_EQ(m.x(0), 1u);
  m.set_x(2, 63);
  exec(m, 0x9ac22820 /* asr x0, x1, x2 */);
  EXPECT_EQ(m.x(0), ~u64{0});
  m.set_x(2, 64);
  exec(m, 0x9ac22820 /* asr x0, x1, x2 */);
  EXPECT_EQ(m.x(0), kMin64);
  m.set_x(1, 1);
  m.set_x(2, 0x0100000000000041ull);
  exec(m, 0x9ac22c20 /* ror x0, x1, x2 */);
  EXPECT_EQ(m.x(0), kMin64);
}

TEST(VariableShift, ThirtyTwoBit) {
  Machine m;
  m.set_x(1, 0xffffffff00000001ull);
  m.set_x(2, 32);
  exec(m, 0x1ac22020 /* lsl w0, w1, w2: 32 mod 32 = 0 */);
  EXPECT_EQ(m.x(0), 1u);
  m.set_x(2, 33);
  exec(m, 0x1ac22020 /* lsl w0, w1, w2 */);
  EXPECT_EQ(m.x(0), 2u);
  m.set_x(2, 31);
  exec(m, 0x1ac22020 /* lsl w0, w1, w2 */);
  EXPECT_EQ(m.x(0), 0x80000000u);
  m.set_x(1, 0xffffffff80000000ull);
  m.set_x(2, 63);
  exec(m, 0x1ac22420 /* lsr w0, w1, w2 */);
  EXPECT_EQ(m.x(0), 1u);
  m.set_x(2, 36);
  exec(m, 0x1ac22820 /* asr w0, w1, w2 */);
  EXPECT_EQ(m.x(0), 0xf8000000u);
  m.set_x(1, 0xffffffff00000001ull);
  m.set_x(2, 33);
  exec(m, 0x1ac22c20 /* ror w0, w1, w2 */);
  EXPECT_EQ(m.x(0), 0x80000000u);
}

// "123456789" is 0x3837363534333231 (bytes 1-8) and 0x39 as little-endian data. Register
// bits above the data size and above W0 are set to show they are ignored.
TEST(Crc, Crc32Of123456789) {
  Machine m;
  m.set_x(0, 0xdeadbeefffffffffull);
  m.set_x(1, 0x3837363534333231ull);
  m.set_x(2, 0xffffffffffffff39ull);
  m.run({0x9ac14c00 /* crc32x w0, w0, x1 */, 0x1ac24000 /* crc32b w0, w0, w2 */,
         0x2a2003e0 /* mvn w0, w0 */});
  EXPECT_EQ(m.x(0), 0xcbf43926u);
  m.set_x(0, ~u64{0});
  m.set_x(1, 0xffffffff34333231ull);
  m.set_x(2, 0x38373635);
  m.set_x(3, 0x39);
  m.run({0x1ac14800 /* crc32w w0, w0, w1 */, 0x1ac24800 /* crc32w w0, w0, w2 */,
         0x1ac34000 /* crc32b w0, w0, w3 */, 0x2a2003e0 /* mvn w0, w0 */});
  EXPECT_EQ(m.x(0), 0xcbf43926u);
  m.set_x(0, ~u64{0});
  m.set_x(1, 0xffff3231);
  m.set_x(2, 0x3433);
  m.set_x(3, 0x3635);
  m.set_x(4, 0x3837);
  m.set_x(5, 0x39);
  m.run({0x1ac14400 /* crc32h w0, w0, w1 */, 0x1ac24400 /* crc32h w0, w0, w2 */,
         0x1ac34400 /* crc32h w0, w0, w3 */, 0x1ac44400 /* crc32h w0, w0, w4 */,
         0x1ac54000 /* crc32b w0, w0, w5 */, 0x2a2003e0 /* mvn w0, w0 */});
  EXPECT_EQ(m.x(0), 0xcbf43926u);
}

TEST(Crc, Crc32cOf123456789) {
  Machine m;
  m.set_x(0, 0xdeadbeefffffffffull);
  m.set_x(1, 0x3837363534333231ull);
  m.set_x(2, 0xffffffffffffff39ull);
  m.run({0x9ac15c00 /* crc32cx w0, w0, x1 */, 0x1ac25000 /* crc32cb w0, w0, w2 */,
         0x2a2003e0 /* mvn w0, w0 */});
  EXPECT_EQ(m.x(0), 0xe3069283u);
  m.set_x(0, ~u64{0});
  m.set_x(1, 0xffffffff34333231ull);
  m.set_x(2, 0x38373635);
  m.set_x(3, 0x39);
  m.run({0x1ac15800 /* crc32cw w0, w0, w1 */, 0x1ac25800 /* crc32cw w0, w0, w2 */,
         0x1ac35000 /* crc32cb w0, w0, w3 */, 0x2a2003e0 /* mvn w0, w0 */});
  EXPECT_EQ(m.x(0), 0xe3069283u);
  m.set_x(0, ~u64{0});
  m.set_x(1, 0xffff3231);
  m.set_x(2, 0x3433);
  m.set_x(3, 0x3635);
  m.set_x(4, 0x3837);
  m.set_x(5, 0x39);
  m.run({0x1ac15400 /* crc32ch w0, w0, w1 */, 0x1ac25400 /* crc32ch w0, w0, w2 */,
         0x1ac35400 /* crc32ch w0, w0, w3 */, 0x1ac45400 /* crc32ch w0, w0, w4 */,
         0x1ac55000 /* crc32cb w0, w0, w5 */, 0x2a2003e0 /* mvn w0, w0 */});
  EXPECT_EQ(m.x(0), 0xe3069283u);
}

TEST(Crc, SizeMismatchIsUndefined) {
  Machine m;
  expect_undefined(m, 0x1ac14c00 /* crc32x with sf=0 */);
  expect_undefined(m, 0x9ac14000 /* crc32b with sf=1 */);
}

TEST(OneSource, BitAndByteReverse) {
  Machine m;
  m.set_x(1, 1);
  exec(m, 0xdac00020 /* rbit x0, x1 */);
  EXPECT_EQ(m.x(0), kMin64);
  m.set_x(1, 0xffffffff00000001ull);
  exec(m, 0x5ac00020 /* rbit w0, w1 */);
  EXPECT_EQ(m.x(0), 0x80000000u);
  m.set_x(1, 0x0011223344556677ull);
  exec(m, 0xdac00420 /* rev16 x0, x1 */);
  EXPECT_EQ(m.x(0), 0x1100332255447766ull);
  exec(m, 0xdac00820 /* rev32 x0, x1 */);
  EXPECT_EQ(m.x(0), 0x3322110077665544ull);
  exec(m, 0xdac00c20 /* rev x0, x1 */);
  EXPECT_EQ(m.x(0), 0x7766554433221100ull);
  m.set_x(1, 0xffffffff00112233ull);
  exec(m, 0x5ac00420 /* rev16 w0, w1 */);
  EXPECT_EQ(m.x(0), 0x11003322u);
  exec(m, 0x5ac00820 /* rev w0, w1 */);
  EXPECT_EQ(m.x(0), 0x33221100u);
}

TEST(OneSource, CountLeading) {
  Machine m;
  const struct {
    u32 word;
    u64 in, out;
  } cases[] = {
      {0xdac01020 /* clz x0, x1 */, 0, 64},
      {0xdac01020 /* clz x0, x1 */, 1, 63},
      {0xdac01020 /* clz x0, x1 */, kMin64, 0},
      {0x5ac01020 /* clz w0, w1 */, 0xffffffff00000000ull, 32},
      {0x5ac01020 /* clz w0, w1 */, 0x10000, 15},
      {0xdac01420 /* cls x0, x1 */, 0, 63},
      {0xdac01420 /* cls x0, x1 */, ~u64{0}, 63},
      {0xdac01420 /* cls x0, x1 */, 0xff00000000000000ull, 7},
      {0xdac01420 /* cls x0, x1 */, 1, 62},
      {0xdac01420 /* cls x0, x1 */, kMin64, 0},
      {0x5ac01420 /* cls w0, w1 */, 0xffffffff00000000ull, 31},
      {0x5ac01420 /* cls w0, w1 */, 0xffffffffull, 31},
      {0x5ac01420 /* cls w0, w1 */, 0xffff0000u, 15},
      {0x5ac01420 /* cls w0, w1 */, 0x40000000u, 0},
  };
  for (const auto& t : cases) {
    m.set_x(1, t.in);
    exec(m, t.word);
    EXPECT_EQ(m.x(0), t.out) << std::hex << t.word << " of " << t.in;
  }
}

TEST(LogicalShift, Operations) {
  Machine m;
  m.set_x(1, 0xff0);
  m.set_x(2, 0x0f);
  exec(m, 0x8a021020 /* and x0, x1, x2, lsl #4 */);
  EXPECT_EQ(m.x(0), 0xf0u);
  m.set_x(1, 0xff);
  exec(m, 0x8a220020 /* bic x0, x1, x2 */);
  EXPECT_EQ(m.x(0), 0xf0u);
  m.set_x(1, 0x100);
  m.set_x(2, 0xa000000000000000ull);
  exec(m, 0xaa42f020 /* orr x0, x1, x2, lsr #60 */);
  EXPECT_EQ(m.x(0), 0x10au);
  m.set_x(1, 0);
  m.set_x(2, 0xffffffff0000ffffull);
  exec(m, 0x2a220020 /* orn w0, w1, w2 */);
  EXPECT_EQ(m.x(0), 0xffff0000u);
  m.set_x(2, kMin64);
  exec(m, 0xca821020 /* eor x0, x1, x2, asr #4 */);
  EXPECT_EQ(m.x(0), 0xf800000000000000ull);
  m.set_x(2, 0xff);
  exec(m, 0xcae22020 /* eon x0, x1, x2, ror #8 */);
  EXPECT_EQ(m.x(0), 0x00ffffffffffffffull);
  m.set_x(1, 0x0000ffff);
  exec(m, 0x2a2103e0 /* mvn w0, w1 */);
  EXPECT_EQ(m.x(0), 0xffff0000u);
  m.set_x(31, 0x9000);
  exec(m, 0xaa1f03e0 /* mov x0, xzr: Rn and Rm 31 are XZR */);
  EXPECT_EQ(m.x(0), 0u);
  expect_undefined(m, 0x0a028020 /* and w0, w1, w2, lsl #32 */);
  expect_undefined(m, 0x6a028020 /* ands w0, w1, w2, lsl #32 */);
}

TEST(LogicalShift, Flags) {
  Machine m;
  m.set_nzcv(C | V);
  m.set_x(1, 0x8000000000000001ull);
  m.set_x(2, kMin64);
  exec(m, 0xea020020 /* ands x0, x1, x2 */);
  EXPECT_EQ(m.x(0), kMin64);
  EXPECT_EQ(m.nzcv(), N);
  m.set_x(1, 0x1ffffffffull);
  m.set_x(2, 0xffffffff);
  exec(m, 0x6a220020 /* bics w0, w1, w2 */);
  EXPECT_EQ(m.x(0), 0u);
  EXPECT_EQ(m.nzcv(), Z);
  m.set_x(31, 0x9000);
  m.set_x(1, 1);
  m.set_x(2, 3);
  exec(m, 0xea02003f /* tst x1, x2: Rd 31 is XZR */);
  EXPECT_EQ(m.nzcv(), 0u);
  EXPECT_EQ(m.x(31), 0x9000u);
}

TEST(AddSubShift, Operations) {
  Machine m;
  m.set_x(1, 1);
  m.set_x(2, 2);
  exec(m, 0x8b020c20 /* add x0, x1, x2, lsl #3 */);
  EXPECT_EQ(m.x(0), 17u);
  m.set_x(1, 5);
  m.set_x(2, kMin64);
  exec(m, 0xcb82fc20 /* sub x0, x1, x2, asr #63 */);
  EXPECT_EQ(m.x(0), 6u);
  m.set_x(31, 100);
  m.set_x(2, 1);
  exec(m, 0xcb0203e0 /* neg x0, x2: Rn 31 is XZR, not SP */);
  EXPECT_EQ(m.x(0), ~u64{0});
  expect_undefined(m, 0x8bc20020 /* add x0, x1, x2 with shift type 11 */);
  expect_undefined(m, 0x0b028020 /* add w0, w1, w2, lsl #32 */);
}

TEST(AddSubShift, Flags) {
  Machine m;
  m.set_x(1, kMin64);
  m.set_x(2, kMin64);
  exec(m, 0xab020020 /* adds x0, x1, x2 */);
  EXPECT_EQ(m.x(0), 0u);
  EXPECT_EQ(m.nzcv(), Z | C | V);
  m.set_x(1, 0xffffffff7fffffffull);
  m.set_x(2, 1);
  exec(m, 0x2b020020 /* adds w0, w1, w2 */);
  EXPECT_EQ(m.x(0), 0x80000000u);
  EXPECT_EQ(m.nzcv(), N | V);
  m.set_x(1, 3);
  m.set_x(2, 5);
  exec(m, 0xeb020020 /* subs x0, x1, x2 */);
  EXPECT_EQ(m.x(0), static_cast<u64>(-2));
  EXPECT_EQ(m.nzcv(), N);
  m.set_x(1, 0);
  m.set_x(2, 0x80000000u);
  exec(m, 0x6b427c20 /* subs w0, w1, w2, lsr #31 */);
  EXPECT_EQ(m.x(0), 0xffffffffu);
  EXPECT_EQ(m.nzcv(), N);
  m.set_x(31, 0x9000);
  m.set_x(1, 5);
  m.set_x(2, 5);
  exec(m, 0xeb02003f /* cmp x1, x2: Rd 31 is XZR */);
  EXPECT_EQ(m.nzcv(), Z | C);
  EXPECT_EQ(m.x(31), 0x9000u);
}

TEST(AddSubExtend, Operations) {
  Machine m;
  m.set_x(31, 0x1000);
  m.set_x(1, 0xffffffff00000010ull);
  exec(m, 0x8b214be0 /* add x0, sp, w1, uxtw #2 */);
  EXPECT_EQ(m.x(0), 0x1040u);
  m.set_x(1, 0x20);
  exec(m, 0x8b2163ff /* add sp, sp, x1 */);
  EXPECT_EQ(m.x(31), 0x1020u);
  m.set_x(31, 0x2000);
  m.set_x(1, 0x1ff);
  exec(m, 0xcb2113ff /* sub sp, sp, w1, uxtb #4 */);
  EXPECT_EQ(m.x(31), 0x1010u);
  m.set_x(1, 0x100);
  m.set_x(2, 0x80);
  exec(m, 0x8b228020 /* add x0, x1, w2, sxtb */);
  EXPECT_EQ(m.x(0), 0x80u);
  m.set_x(2, 0xff);
  exec(m, 0x0b229020 /* add w0, w1, w2, sxtb #4 */);
  EXPECT_EQ(m.x(0), 0xf0u);
  m.set_x(1, 0);
  exec(m, 0x0b229020 /* add w0, w1, w2, sxtb #4 */);
  EXPECT_EQ(m.x(0), 0xfffffff0u);
  expect_undefined(m, 0x8b229420 /* add x0, x1, w2, sxtb #5 */);
}

TEST(AddSubExtend, Flags) {
  Machine m;
  m.set_x(31, 0);
  m.set_x(1, 0x8000);
  exec(m, 0xab21a7e0 /* adds x0, sp, w1, sxth #1 */);
  EXPECT_EQ(m.x(0), 0xffffffffffff0000ull);
  EXPECT_EQ(m.nzcv(), N);
  m.set_x(1, 0x10000);
  m.set_x(2, 0x1ffff);
  exec(m, 0x6b222020 /* subs w0, w1, w2, uxth */);
  EXPECT_EQ(m.x(0), 1u);
  EXPECT_EQ(m.nzcv(), C);
  m.set_x(31, 0x40);
  m.set_x(1, 0x40);
  exec(m, 0xeb2163ff /* cmp sp, x1: Rn 31 is SP, Rd 31 is XZR */);
  EXPECT_EQ(m.nzcv(), Z | C);
  EXPECT_EQ(m.x(31), 0x40u);
}

TEST(Carry, AddAndSubtract) {
  Machine m;
  m.set_x(1, 1);
  m.set_x(2, 2);
  m.set_nzcv(C);
  exec(m, 0x9a020020 /* adc x0, x1, x2 */);
  EXPECT_EQ(m.x(0), 4u);
  EXPECT_EQ(m.nzcv(), C);
  m.set_nzcv(N);
  exec(m, 0x9a020020 /* adc x0, x1, x2 */);
  EXPECT_EQ(m.x(0), 3u);
  EXPECT_EQ(m.nzcv(), N);
  m.set_x(1, 5);
  m.set_x(2, 3);
  m.set_nzcv(C);
  exec(m, 0xda020020 /* sbc x0, x1, x2 */);
  EXPECT_EQ(m.x(0), 2u);
  m.set_nzcv(0);
  exec(m, 0xda020020 /* sbc x0, x1, x2 */);
  EXPECT_EQ(m.x(0), 1u);
}

TEST(Carry, Flags) {
  Machine m;
  m.set_x(1, ~u64{0});
  m.set_x(2, 0);
  m.set_nzcv(C);
  exec(m, 0xba020020 /* adcs x0, x1, x2 */);
  EXPECT_EQ(m.x(0), 0u);
  EXPECT_EQ(m.nzcv(), Z | C);
  m.set_x(1, 0x7fffffff);
  m.set_nzcv(C);
  exec(m, 0x3a020020 /* adcs w0, w1, w2 */);
  EXPECT_EQ(m.x(0), 0x80000000u);
  EXPECT_EQ(m.nzcv(), N | V);
  m.set_x(1, 0);
  m.set_nzcv(0);
  exec(m, 0xfa020020 /* sbcs x0, x1, x2: 0 - 0 - borrow */);
  EXPECT_EQ(m.x(0), ~u64{0});
  EXPECT_EQ(m.nzcv(), N);
  m.set_nzcv(C);
  exec(m, 0xfa020020 /* sbcs x0, x1, x2 */);
  EXPECT_EQ(m.x(0), 0u);
  EXPECT_EQ(m.nzcv(), Z | C);
  m.set_x(1, 0x80000000u);
  m.set_nzcv(0);
  exec(m, 0x7a020020 /* sbcs w0, w1, w2 */);
  EXPECT_EQ(m.x(0), 0x7fffffffu);
  EXPECT_EQ(m.nzcv(), C | V);
}

TEST(FlagManipulation, Rmif) {
  Machine m;
  m.set_x(1, 0x50);
  m.set_nzcv(N | C);
  exec(m, 0xba02042f /* rmif x1, #4, #15 */);
  EXPECT_EQ(m.nzcv(), Z | V);
  m.set_x(1, 1);  // ROR #63: tmp<1> = x1<0>
  m.set_nzcv(N | Z | V);
  exec(m, 0xba1f8422 /* rmif x1, #63, #2: only C */);
  EXPECT_EQ(m.nzcv(), N | Z | C | V);
  m.set_x(1, 2);
  m.set_nzcv(N | C);
  exec(m, 0xba1f8422 /* rmif x1, #63, #2 */);
  EXPECT_EQ(m.nzcv(), N);
}

TEST(FlagManipulation, Setf) {
  Machine m;
  m.set_x(1, 0x80);
  m.set_nzcv(C);
  exec(m, 0x3a00082d /* setf8 w1 */);
  EXPECT_EQ(m.nzcv(), N | C | V);
  m.set_x(1, 0x100);
  m.set_nzcv(N);
  exec(m, 0x3a00082d /* setf8 w1 */);
  EXPECT_EQ(m.nzcv(), Z | V);
  m.set_x(1, 0x7f);
  m.set_nzcv(C | Z);
  exec(m, 0x3a00082d /* setf8 w1 */);
  EXPECT_EQ(m.nzcv(), C);
  m.set_x(1, 0x18000);
  m.set_nzcv(0);
  exec(m, 0x3a00482d /* setf16 w1 */);
  EXPECT_EQ(m.nzcv(), N);
  m.set_x(1, 0x10000);
  exec(m, 0x3a00482d /* setf16 w1 */);
  EXPECT_EQ(m.nzcv(), Z | V);
}

TEST(CondCompare, RegisterAndImmediate) {
  Machine m;
  m.set_x(1, 5);
  m.set_x(2, 3);
  m.set_nzcv(Z);
  exec(m, 0xfa420024 /* ccmp x1, x2, #4, eq: holds, flags of 5 - 3 */);
  EXPECT_EQ(m.nzcv(), C);
  m.set_nzcv(0);
  exec(m, 0xfa420024 /* ccmp x1, x2, #4, eq: fails, flags = 0100 */);
  EXPECT_EQ(m.nzcv(), Z);
  m.set_x(1, ~u64{0});
  m.set_x(2, 1);
  m.set_nzcv(0);
  exec(m, 0xba421020 /* ccmn x1, x2, #0, ne: holds, flags of -1 + 1 */);
  EXPECT_EQ(m.nzcv(), Z | C);
  m.set_nzcv(Z);
  exec(m, 0xba421020 /* ccmn x1, x2, #0, ne: fails */);
  EXPECT_EQ(m.nzcv(), 0u);
  m.set_x(1, 0xffffffff0000001full);
  m.set_nzcv(Z);
  exec(m, 0x7a5f082f /* ccmp w1, #31, #15, eq */);
  EXPECT_EQ(m.nzcv(), Z | C);
  m.set_nzcv(0);
  exec(m, 0x7a5f082f /* ccmp w1, #31, #15, eq: fails */);
  EXPECT_EQ(m.nzcv(), N | Z | C | V);
  m.set_x(1, 0x7fffffff);
  exec(m, 0x3a41e822 /* ccmn w1, #1, #2, al */);
  EXPECT_EQ(m.nzcv(), N | V);
}

TEST(CondSelect, Operations) {
  Machine m;
  m.set_x(1, 1);
  m.set_x(2, 2);
  m.set_nzcv(Z);
  exec(m, 0x9a820020 /* csel x0, x1, x2, eq */);
  EXPECT_EQ(m.x(0), 1u);
  exec(m, 0x9a821420 /* csinc x0, x1, x2, ne */);
  EXPECT_EQ(m.x(0), 3u);
  m.set_nzcv(0);
  exec(m, 0x9a820020 /* csel x0, x1, x2, eq */);
  EXPECT_EQ(m.x(0), 2u);
  exec(m, 0x9a821420 /* csinc x0, x1, x2, ne */);
  EXPECT_EQ(m.x(0), 1u);
  exec(m, 0xda820020 /* csinv x0, x1, x2, eq */);
  EXPECT_EQ(m.x(0), ~u64{2});
  exec(m, 0xda820420 /* csneg x0, x1, x2, eq */);
  EXPECT_EQ(m.x(0), static_cast<u64>(-2));
  m.set_x(2, ~u64{0});
  m.set_nzcv(Z);
  exec(m, 0x9a821420 /* csinc x0, x1, x2, ne: wraps */);
  EXPECT_EQ(m.x(0), 0u);
}

TEST(CondSelect, Aliases) {
  Machine m;
  m.set_x(31, 0x8000);  // the XZR operands must not read SP
  m.set_nzcv(Z);
  exec(m, 0x1a9f17e0 /* cset w0, eq */);
  EXPECT_EQ(m.x(0), 1u);
  exec(m, 0xda9f03e0 /* csetm x0, ne */);
  EXPECT_EQ(m.x(0), 0u);
  m.set_nzcv(0);
  exec(m, 0x1a9f17e0 /* cset w0, eq */);
  EXPECT_EQ(m.x(0), 0u);
  exec(m, 0xda9f03e0 /* csetm x0, ne */);
  EXPECT_EQ(m.x(0), ~u64{0});
  m.set_x(1, 5);
  m.set_nzcv(N);
  exec(m, 0xda815420 /* cneg x0, x1, mi */);
  EXPECT_EQ(m.x(0), static_cast<u64>(-5));
  m.set_nzcv(0);
  exec(m, 0xda815420 /* cneg x0, x1, mi */);
  EXPECT_EQ(m.x(0), 5u);
  m.set_x(1, 0xffffffffffffffffull);
  m.set_nzcv(C);
  exec(m, 0x1a813420 /* cinc w0, w1, hs: 32-bit wrap */);
  EXPECT_EQ(m.x(0), 0u);
  m.set_nzcv(0);
  exec(m, 0x1a813420 /* cinc w0, w1, hs */);
  EXPECT_EQ(m.x(0), 0xffffffffu);
}

TEST(Multiply, SameSize) {
  Machine m;
  m.set_x(1, 3);
  m.set_x(2, 4);
  m.set_x(3, 5);
  exec(m, 0x9b020c20 /* madd x0, x1, x2, x3 */);
  EXPECT_EQ(m.x(0), 17u);
  exec(m, 0x9b028c20 /* msub x0, x1, x2, x3 */);
  EXPECT_EQ(m.x(0), static_cast<u64>(-7));
  m.set_x(31, 0x8000);  // Ra 31 is XZR
  exec(m, 0x9b02fc20 /* mneg x0, x1, x2 */);
  EXPECT_EQ(m.x(0), static_cast<u64>(-12));
  m.set_x(1, 0xffffffff00010001ull);
  m.set_x(2, 0x10001);
  exec(m, 0x1b027c20 /* mul w0, w1, w2 */);
  EXPECT_EQ(m.x(0), 0x20001u);
  m.set_x(1, 1);
  m.set_x(2, 1);
  m.set_x(3, 0xffffffff);
  exec(m, 0x1b020c20 /* madd w0, w1, w2, w3 */);
  EXPECT_EQ(m.x(0), 0u);
}

TEST(Multiply, Long) {
  Machine m;
  m.set_x(1, 0x12345678fffffffeull);  // W1 = -2
  m.set_x(2, 3);
  m.set_x(3, 100);
  exec(m, 0x9b220c20 /* smaddl x0, w1, w2, x3 */);
  EXPECT_EQ(m.x(0), 94u);
  m.set_x(1, 0x80000000u);
  m.set_x(2, 0x80000000u);
  m.set_x(3, 0);
  exec(m, 0x9b228c20 /* smsubl x0, w1, w2, x3 */);
  EXPECT_EQ(m.x(0), 0xc000000000000000ull);
  m.set_x(1, 0xffffffff);
  m.set_x(2, 0x7fffffff);
  exec(m, 0x9b227c20 /* smull x0, w1, w2 */);
  EXPECT_EQ(m.x(0), 0xffffffff80000001ull);
  m.set_x(1, 0xffffffff);
  m.set_x(2, 0xffffffff);
  m.set_x(3, 1);
  exec(m, 0x9ba20c20 /* umaddl x0, w1, w2, x3 */);
  EXPECT_EQ(m.x(0), 0xfffffffe00000002ull);
  m.set_x(1, 2);
  m.set_x(2, 3);
  m.set_x(3, 0);
  exec(m, 0x9ba28c20 /* umsubl x0, w1, w2, x3 */);
  EXPECT_EQ(m.x(0), static_cast<u64>(-6));
  m.set_x(1, 0xffffffff00000002ull);
  m.set_x(2, 0x80000000u);
  exec(m, 0x9ba27c20 /* umull x0, w1, w2 */);
  EXPECT_EQ(m.x(0), 0x100000000ull);
}

TEST(Multiply, High) {
  Machine m;
  m.set_x(1, ~u64{0});
  m.set_x(2, ~u64{0});
  exec(m, 0x9b427c20 /* smulh x0, x1, x2: -1 * -1 */);
  EXPECT_EQ(m.x(0), 0u);
  exec(m, 0x9bc27c20 /* umulh x0, x1, x2 */);
  EXPECT_EQ(m.x(0), 0xfffffffffffffffeull);
  m.set_x(1, kMin64);
  m.set_x(2, 2);
  exec(m, 0x9b427c20 /* smulh x0, x1, x2: -2^64 */);
  EXPECT_EQ(m.x(0), ~u64{0});
  exec(m, 0x9bc27c20 /* umulh x0, x1, x2 */);
  EXPECT_EQ(m.x(0), 1u);
  m.set_x(1, 0x4000000000000000ull);
  m.set_x(2, 4);
  exec(m, 0x9b427c20 /* smulh x0, x1, x2 */);
  EXPECT_EQ(m.x(0), 1u);
}

}  // namespace
}  // namespace kvrm::test

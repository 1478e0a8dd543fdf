// Unit tests for data processing -- immediate (C4.1.86): PC-relative addressing, add/subtract,
// logical, move wide, bitfield and extract, on the reference engine.
#include <gtest/gtest.h>

#include "machine.hpp"

namespace kvrm::test {
namespace {

TEST(PcRel, Adr) {
  Machine m;
  exec(m, 0x10000800 /* adr x0, .+0x100 */);
  EXPECT_EQ(m.x(0), Machine::kCode + 0x100);
  exec(m, 0x10ffffe1 /* adr x1, .-4 */);
  EXPECT_EQ(m.x(1), Machine::kCode - 4);
  m.set_x(31, 0x8000);
  exec(m, 0x1000005f /* adr xzr, .+8: Rd 31 is XZR */);
  EXPECT_EQ(m.x(31), 0x8000u);
}

TEST(PcRel, Adrp) {
  Machine m;
  exec(m, 0xf0000002 /* adrp x2, .+0x3000 */);
  EXPECT_EQ(m.x(2), Machine::kCode + 0x3000);
  exec(m, 0xf0ffffe3 /* adrp x3, .-0x1000 */);
  EXPECT_EQ(m.x(3), Machine::kCode - 0x1000);
  // From an address that is not page-aligned the low 12 bits of PC are cleared.
  const RunResult r = m.run({0xd503201f /* nop */, 0xf0000002 /* adrp x2, +3 pages */});
  EXPECT_EQ(r.cycles, 2u);
  EXPECT_EQ(m.x(2), Machine::kCode + 0x3000);
}

TEST(AddSubImm, AddAndSub) {
  Machine m;
  m.set_nzcv(N | V);
  m.set_x(1, ~u64{0});
  exec(m, 0x91000420 /* add x0, x1, #1 */);
  EXPECT_EQ(m.x(0), 0u);
  EXPECT_EQ(m.nzcv(), N | V);  // ADD leaves the flags alone
  m.set_x(1, 5);
  exec(m, 0x91400420 /* add x0, x1, #1, lsl #12 */);
  EXPECT_EQ(m.x(0), 0x1005u);
  m.set_x(1, 0x12345678ffffffffull);
  exec(m, 0x11000420 /* add w0, w1, #1 */);
  EXPECT_EQ(m.x(0), 0u);  // W result zero-extended
  m.set_x(1, 0);
  exec(m, 0x517ffc20 /* sub w0, w1, #0xfff, lsl #12 */);
  EXPECT_EQ(m.x(0), 0xff001000u);
}

TEST(AddSubImm, StackPointer) {
  Machine m;
  m.set_x(31, 0x1000);
  exec(m, 0x910043ff /* add sp, sp, #16 */);
  EXPECT_EQ(m.x(31), 0x1010u);
  m.set_x(31, 0x1234);
  exec(m, 0x910003e0 /* mov x0, sp */);
  EXPECT_EQ(m.x(0), 0x1234u);
  m.set_x(31, 0x10000);
  exec(m, 0xd10043e0 /* sub x0, sp, #0x10 */);
  EXPECT_EQ(m.x(0), 0xfff0u);
  m.set_x(1, 0xaaaaaaaa12345678ull);
  exec(m, 0x1100003f /* mov wsp, w1 */);
  EXPECT_EQ(m.x(31), 0x12345678u);
  // Flag-setting forms: Rn 31 is SP, Rd 31 is XZR.
  m.set_x(31, 0x10);
  exec(m, 0xf10043ff /* cmp sp, #16 */);
  EXPECT_EQ(m.nzcv(), Z | C);
  EXPECT_EQ(m.x(31), 0x10u);
  m.set_x(31, 0x5000);
  m.set_x(1, 5);
  exec(m, 0xb100043f /* cmn x1, #1 */);
  EXPECT_EQ(m.nzcv(), 0u);
  EXPECT_EQ(m.x(31), 0x5000u);
}

TEST(AddSubImm, Flags64) {
  Machine m;
  m.set_x(1, 0x7fffffffffffffffull);
  exec(m, 0xb1000420 /* adds x0, x1, #1 */);
  EXPECT_EQ(m.x(0), 0x8000000000000000ull);
  EXPECT_EQ(m.nzcv(), N | V);
  m.set_x(1, ~u64{0});
  exec(m, 0xb1000420 /* adds x0, x1, #1 */);
  EXPECT_EQ(m.x(0), 0u);
  EXPECT_EQ(m.nzcv(), Z | C);
  m.set_x(1, 1);
  exec(m, 0xf1000820 /* subs x0, x1, #2 */);
  EXPECT_EQ(m.x(0), ~u64{0});
  EXPECT_EQ(m.nzcv(), N);  // borrow: C clear
  m.set_x(1, 2);
  exec(m, 0xf1000820 /* subs x0, x1, #2 */);
  EXPECT_EQ(m.x(0), 0u);
  EXPECT_EQ(m.nzcv(), Z | C);
  m.set_x(1, 0x8000000000000001ull);
  exec(m, 0xf1000820 /* subs x0, x1, #2 */);
  EXPECT_EQ(m.x(0), 0x7fffffffffffffffull);
  EXPECT_EQ(m.nzcv(), C | V);
}

TEST(AddSubImm, Flags32) {
  Machine m;
  m.set_x(1, 0x7fffffff);
  exec(m, 0x31000420 /* adds w0, w1, #1 */);
  EXPECT_EQ(m.x(0), 0x80000000u);
  EXPECT_EQ(m.nzcv(), N | V);
  m.set_x(1, 0x1ffffffffull);  // bit 32 is not part of W1
  exec(m, 0x31000420 /* adds w0, w1, #1 */);
  EXPECT_EQ(m.x(0), 0u);
  EXPECT_EQ(m.nzcv(), Z | C);
  m.set_x(1, 0xffffffff00000001ull);
  exec(m, 0x71000820 /* subs w0, w1, #2 */);
  EXPECT_EQ(m.x(0), 0xffffffffu);
  EXPECT_EQ(m.nzcv(), N);
  m.set_x(1, 0x80000000u);
  exec(m, 0x71000820 /* subs w0, w1, #2 */);
  EXPECT_EQ(m.x(0), 0x7ffffffeu);
  EXPECT_EQ(m.nzcv(), C | V);
}

TEST(LogicalImm, Operations) {
  Machine m;
  m.set_x(1, 0x123456789abcdef0ull);
  exec(m, 0x92401c20 /* and x0, x1, #0xff */);
  EXPECT_EQ(m.x(0), 0xf0u);
  m.set_x(31, 0xffff);
  exec(m, 0xb200f3e0 /* mov x0, #0x5555555555555555 (orr x0, xzr, ...): Rn 31 is XZR */);
  EXPECT_EQ(m.x(0), 0x5555555555555555ull);
  m.set_x(0, ~u64{0});
  exec(m, 0x32009fe0 /* mov w0, #0xff00ff */);
  EXPECT_EQ(m.x(0), 0xff00ffu);
  m.set_x(1, 0x8000000000000000ull);
  exec(m, 0xd2410420 /* eor x0, x1, #0x8000000000000001 */);
  EXPECT_EQ(m.x(0), 1u);
  m.set_x(1, 0xffffffff00000001ull);
  exec(m, 0x521f7820 /* eor w0, w1, #0xfffffffe */);
  EXPECT_EQ(m.x(0), 0xffffffffu);
}

TEST(LogicalImm, RegisterThirtyOneAndFlags) {
  Machine m;
  m.set_x(1, 0x12345);
  exec(m, 0x927cec3f /* and sp, x1, #0xfffffffffffffff0: Rd 31 is SP */);
  EXPECT_EQ(m.x(31), 0x12340u);
  m.set_nzcv(C | V);
  m.set_x(1, ~u64{0});
  exec(m, 0xf2410020 /* ands x0, x1, #0x8000000000000000 */);
  EXPECT_EQ(m.x(0), 0x8000000000000000ull);
  EXPECT_EQ(m.nzcv(), N);  // C and V cleared
  m.set_x(1, 0x7fffffffffffffffull);
  exec(m, 0xf2410020 /* ands x0, x1, #0x8000000000000000 */);
  EXPECT_EQ(m.nzcv(), Z);
  m.set_x(31, 0x7777);
  m.set_x(1, 0x80000000u);
  exec(m, 0x7201003f /* tst w1, #0x80000000: ANDS Rd 31 is XZR */);
  EXPECT_EQ(m.nzcv(), N);
  EXPECT_EQ(m.x(31), 0x7777u);
  m.set_x(1, 2);
  exec(m, 0xf240003f /* tst x1, #1 */);
  EXPECT_EQ(m.nzcv(), Z);
  EXPECT_EQ(m.x(31), 0x7777u);
}

TEST(LogicalImm, ReservedBitmasksAreUndefined) {
  Machine m;
  expect_undefined(m, 0x12401c20 /* and w0, w1 with N=1 (sf=0) */);
  expect_undefined(m, 0x9240fc20 /* and x0, x1: N=1 imms=111111, all ones */);
  expect_undefined(m, 0x9200f420 /* and x0, x1: N=0 imms=111101, all ones at esize 2 */);
  expect_undefined(m, 0x9200fc20 /* and x0, x1: N=0 imms=111111, no element size */);
  expect_undefined(m, 0x12007c20 /* and w0, w1: imms=011111, all ones at esize 32 */);
}

TEST(MoveWide, Operations) {
  Machine m;
  exec(m, 0xd2e24680 /* mov x0, #0x1234000000000000 (movz, lsl #48) */);
  EXPECT_EQ(m.x(0), 0x1234000000000000ull);
  exec(m, 0x92800000 /* movn x0, #0 */);
  EXPECT_EQ(m.x(0), ~u64{0});
  exec(m, 0x12800000 /* movn w0, #0 */);
  EXPECT_EQ(m.x(0), 0xffffffffu);
  exec(m, 0x12a24680 /* movn w0, #0x1234, lsl #16 */);
  EXPECT_EQ(m.x(0), 0xedcbffffu);
  m.set_x(0, ~u64{0});
  exec(m, 0x52a24680 /* movz w0, #0x1234, lsl #16 */);
  EXPECT_EQ(m.x(0), 0x12340000u);
  m.set_x(0, 0x1111222233334444ull);
  exec(m, 0xf2b7dde0 /* movk x0, #0xbeef, lsl #16: other bits kept */);
  EXPECT_EQ(m.x(0), 0x11112222beef4444ull);
  m.set_x(0, 0x1111222233334444ull);
  exec(m, 0x7297dde0 /* movk w0, #0xbeef: bits 31:16 kept, upper half cleared */);
  EXPECT_EQ(m.x(0), 0x3333beefu);
  m.set_x(31, 0x4444);
  exec(m, 0xd2e2469f /* movz xzr, #0x1234, lsl #48: Rd 31 is XZR */);
  EXPECT_EQ(m.x(31), 0x4444u);
  expect_undefined(m, 0x52c24680 /* movz w0 with hw=10 */);
}

TEST(Bitfield, Shifts) {
  Machine m;
  m.set_x(1, 0xfedcba9876543210ull);
  exec(m, 0xd37cec20 /* lsl x0, x1, #4 */);
  EXPECT_EQ(m.x(0), 0xedcba98765432100ull);
  exec(m, 0xd344fc20 /* lsr x0, x1, #4 */);
  EXPECT_EQ(m.x(0), 0x0fedcba987654321ull);
  exec(m, 0x9344fc20 /* asr x0, x1, #4 */);
  EXPECT_EQ(m.x(0), 0xffedcba987654321ull);
  exec(m, 0xd37cfc20 /* lsr x0, x1, #60 (ubfx x0, x1, #60, #4) */);
  EXPECT_EQ(m.x(0), 0xfu);
  m.set_x(1, 0xffffffff00000003ull);
  exec(m, 0x53010020 /* lsl w0, w1, #31 */);
  EXPECT_EQ(m.x(0), 0x80000000u);
  m.set_x(1, 0x80000000u);
  exec(m, 0x131f7c20 /* asr w0, w1, #31 */);
  EXPECT_EQ(m.x(0), 0xffffffffu);
  m.set_x(1, 0xffffffff7fffffffull);
  exec(m, 0x131f7c20 /* asr w0, w1, #31 */);
  EXPECT_EQ(m.x(0), 0u);
  m.set_x(31, 0x3000);
  exec(m, 0xd37cec3f /* lsl xzr, x1, #4: Rd 31 is XZR */);
  EXPECT_EQ(m.x(31), 0x3000u);
}

TEST(Bitfield, Extends) {
  Machine m;
  m.set_x(1, 0x80);
  exec(m, 0x93401c20 /* sxtb x0, w1 */);
  EXPECT_EQ(m.x(0), 0xffffffffffffff80ull);
  m.set_x(1, 0x8000);
  exec(m, 0x13003c20 /* sxth w0, w1 */);
  EXPECT_EQ(m.x(0), 0xffff8000u);
  m.set_x(1, 0x80000000u);
  exec(m, 0x93407c20 /* sxtw x0, w1 */);
  EXPECT_EQ(m.x(0), 0xffffffff80000000ull);
  m.set_x(1, 0xffffffff7fffffffull);
  exec(m, 0x93407c20 /* sxtw x0, w1 */);
  EXPECT_EQ(m.x(0), 0x7fffffffu);
  m.set_x(1, 0x1234);
  exec(m, 0x53001c20 /* uxtb w0, w1 */);
  EXPECT_EQ(m.x(0), 0x34u);
  m.set_x(1, 0xffffffff12345678ull);
  exec(m, 0x53003c20 /* uxth w0, w1 */);
  EXPECT_EQ(m.x(0), 0x5678u);
}

TEST(Bitfield, InsertAndExtract) {
  Machine m;
  m.set_x(0, 0x1111111111111111ull);
  m.set_x(1, 0xabcd);
  exec(m, 0xb3783c20 /* bfi x0, x1, #8, #16 */);
  EXPECT_EQ(m.x(0), 0x1111111111abcd11ull);
  m.set_x(0, 0x1111111111111111ull);
  m.set_x(1, 0xabcd00);
  exec(m, 0xb3485c20 /* bfxil x0, x1, #8, #16 */);
  EXPECT_EQ(m.x(0), 0x111111111111abcdull);
  m.set_x(0, ~u64{0});
  exec(m, 0xb37c1fe0 /* bfc x0, #4, #8 (bfi x0, xzr, #4, #8) */);
  EXPECT_EQ(m.x(0), 0xfffffffffffff00full);
  m.set_x(1, 0xf80);
  exec(m, 0x93442c20 /* sbfx x0, x1, #4, #8 */);
  EXPECT_EQ(m.x(0), 0xfffffffffffffff8ull);
  m.set_x(1, 0x7f0);
  exec(m, 0x93442c20 /* sbfx x0, x1, #4, #8 */);
  EXPECT_EQ(m.x(0), 0x7fu);
  m.set_x(1, 0xa);
  exec(m, 0x13040c20 /* sbfiz w0, w1, #28, #4 */);
  EXPECT_EQ(m.x(0), 0xa0000000u);
}

TEST(Bitfield, ReservedAreUndefined) {
  Machine m;
  expect_undefined(m, 0x93001c20 /* sbfm x0, x1 with N=0 */);
  expect_undefined(m, 0x13401c20 /* sbfm w0, w1 with N=1 */);
  expect_undefined(m, 0x13201c20 /* sbfm w0, w1 with immr=100000 */);
  expect_undefined(m, 0x13008020 /* sbfm w0, w1 with imms=100000 */);
}

TEST(Extract, Operations) {
  Machine m;
  m.set_x(1, 0x0123456789abcdefull);
  exec(m, 0x93c12020 /* ror x0, x1, #8 (extr x0, x1, x1, #8) */);
  EXPECT_EQ(m.x(0), 0xef0123456789abcdull);
  m.set_x(1, 0xffffffff12345678ull);
  exec(m, 0x13812020 /* ror w0, w1, #8 */);
  EXPECT_EQ(m.x(0), 0x78123456u);
  m.set_x(1, 1);
  m.set_x(2, 0xfedcba9876543210ull);
  exec(m, 0x93c21020 /* extr x0, x1, x2, #4 */);
  EXPECT_EQ(m.x(0), 0x0fedcba987654321ull | (u64{1} << 60));
  exec(m, 0x93c20020 /* extr x0, x1, x2, #0 */);
  EXPECT_EQ(m.x(0), 0xfedcba9876543210ull);
  m.set_x(1, 0xffffffff12345678ull);
  m.set_x(2, 0xffffffff9abcdef0ull);
  exec(m, 0x13827020 /* extr w0, w1, w2, #28 */);
  EXPECT_EQ(m.x(0), 0x23456789u);
  expect_undefined(m, 0x93821020 /* extr x0, x1, x2 with N=0 */);
  expect_undefined(m, 0x13c27020 /* extr w0, w1, w2 with N=1 */);
  expect_undefined(m, 0x13828020 /* extr w0, w1, w2 with imms=100000 */);
}

}  // namespace
}  // namespace kvrm::test

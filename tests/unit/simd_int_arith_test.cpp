// Unit tests for the Advanced SIMD integer arithmetic groups: three same, three different,
// two-register miscellaneous, across lanes, shift by immediate, by element (vector and scalar
// forms), with saturation (FPSR.QC) and reserved sizes, on the reference engine.
#include <gtest/gtest.h>

#include "isa/sem/simd_common.hpp"
#include "machine.hpp"

namespace kvrm::test {
namespace {

u32 fpsr(const Machine& m) { return m.e->state().fpsr; }
void clear_fpsr(Machine& m) {
  CoreState s = m.e->state();
  s.fpsr = 0;
  m.e->set_state(s);
}
bool qc(const Machine& m) { return (fpsr(m) & sem::kFpsrQC) != 0; }

constexpr u64 kBytesLo = 0x0706050403020100ull, kBytesHi = 0x0f0e0d0c0b0a0908ull;

// The operations glibc's string functions use.
TEST(SimdThreeSame, StringFunctionOps) {
  Machine m;
  set_v(m, 1, kBytesLo, kBytesHi);
  set_v(m, 2, 0x07ff05ff03ff01ffull, ~u64{0});
  exec(m, 0x6e228c20 /* cmeq v0.16b, v1.16b, v2.16b */);
  EXPECT_V(m, 0, 0xff00ff00ff00ff00ull, 0);
  exec(m, 0x4e22bc20 /* addp v0.16b, v1.16b, v2.16b: pairs of V2:V1, wrapping */);
  EXPECT_V(m, 0, 0x1d1915110d090501ull, 0xfefefefe06040200ull);
  exec(m, 0x6e22a420 /* umaxp v0.16b, v1.16b, v2.16b */);
  EXPECT_V(m, 0, 0x0f0d0b0907050301ull, ~u64{0});
  exec(m, 0x4e221c20 /* and v0.16b, v1.16b, v2.16b */);
  EXPECT_V(m, 0, kBytesLo, kBytesHi);
  set_v(m, 0, 0xaaaaaaaaaaaaaaaaull, 0xaaaaaaaaaaaaaaaaull);
  exec(m, 0x6ee21c20 /* bif v0.16b, v1.16b, v2.16b: V1 where V2 is clear */);
  EXPECT_V(m, 0, 0x02aa00aa02aa00aaull, 0xaaaaaaaaaaaaaaaaull);
}

TEST(SimdThreeSame, SaturatingAddSub) {
  Machine m;
  set_v(m, 1, 0xffff000180007fffull, 0x00001234c0004000ull);
  set_v(m, 2, 0xffff0001ffff0001ull, 0x00001111c0004000ull);
  clear_fpsr(m);
  exec(m, 0x4e620c20 /* sqadd v0.8h, v1.8h, v2.8h */);
  EXPECT_V(m, 0, 0xfffe000280007fffull, 0x0000234580007fffull);
  EXPECT_TRUE(qc(m));
  exec(m, 0x4e620c20 /* sqadd: QC is cumulative */);
  EXPECT_TRUE(qc(m));
  set_v(m, 1, 0x0000000300000005ull, 0x00000000ffffffffull);
  set_v(m, 2, 0x0000000500000003ull, 0x0000000000000001ull);
  clear_fpsr(m);
  exec(m, 0x6ea22c20 /* uqsub v0.4s, v1.4s, v2.4s */);
  EXPECT_V(m, 0, 0x0000000000000002ull, 0x00000000fffffffeull);
  EXPECT_TRUE(qc(m));
  set_v(m, 1, 0x7fffffffffffffffull, 5);
  set_v(m, 2, 1, 5);
  clear_fpsr(m);
  exec(m, 0x5ee20c20 /* sqadd d0, d1, d2: 64-bit saturation, upper half zeroed */);
  EXPECT_V(m, 0, 0x7fffffffffffffffull, 0);
  EXPECT_TRUE(qc(m));
  set_v(m, 1, 0x7ffffffffffffffeull, 0);
  clear_fpsr(m);
  exec(m, 0x5ee20c20 /* sqadd d0, d1, d2: no saturation */);
  EXPECT_V(m, 0, 0x7fffffffffffffffull, 0);
  EXPECT_FALSE(qc(m));
}

TEST(SimdThreeSame, ShiftsByRegister) {
  Machine m;
  set_v(m, 1, 0xfffffffffffffffbull, 0x4000000000000000ull);  // -5, 2^62
  set_v(m, 2, 0xffffffffffffffffull, 1);                      // shift -1, +1
  exec(m, 0x4ee25420 /* srshl v0.2d, v1.2d, v2.2d: rounding right; left wraps */);
  EXPECT_V(m, 0, 0xfffffffffffffffeull, 0x8000000000000000ull);
  set_v(m, 1, 0x81, 0);
  set_v(m, 2, 0x01, 0);
  clear_fpsr(m);
  exec(m, 0x7e224c20 /* uqshl b0, b1, b2 */);
  EXPECT_V(m, 0, 0xff, 0);
  EXPECT_TRUE(qc(m));
}

TEST(SimdThreeSame, DoublingMultiplyHigh) {
  Machine m;
  set_v(m, 1, 0x4000000080000000ull, 0xffffffff7fffffffull);
  set_v(m, 2, 0x4000000080000000ull, 0x000000017fffffffull);
  clear_fpsr(m);
  exec(m, 0x4ea2b420 /* sqdmulh v0.4s, v1.4s, v2.4s */);
  EXPECT_V(m, 0, 0x200000007fffffffull, 0xffffffff7ffffffeull);
  EXPECT_TRUE(qc(m));
  set_v(m, 1, 0x4000, 0);
  set_v(m, 2, 0x0001, 0);
  clear_fpsr(m);
  exec(m, 0x7e62b420 /* sqrdmulh h0, h1, h2: rounds up to 1 */);
  EXPECT_V(m, 0, 1, 0);
  EXPECT_FALSE(qc(m));
  set_v(m, 0, 0x7fff, 0);
  set_v(m, 1, 0x4000400040004000ull, 0x4000400040004000ull);
  set_v(m, 2, 0x4000400040004000ull, 0x4000400040004000ull);
  exec(m, 0x6e428420 /* sqrdmlah v0.8h, v1.8h, v2.8h */);
  EXPECT_V(m, 0, 0x2000200020007fffull, 0x2000200020002000ull);
  EXPECT_TRUE(qc(m));
}

TEST(SimdThreeSame, ScalarCompareAndReserved) {
  Machine m;
  set_v(m, 1, 0x8000000000000000ull, 0);
  set_v(m, 2, 0x7fffffffffffffffull, 0);
  exec(m, 0x7ee23420 /* cmhi d0, d1, d2: unsigned */);
  EXPECT_V(m, 0, ~u64{0}, 0);
  expect_undefined(m, 0x4ee20420 /* shadd v0.2d: size 11 reserved */);
  expect_undefined(m, 0x4e22b420 /* sqdmulh v0.16b: size 00 reserved */);
  expect_undefined(m, 0x0ee28420 /* add v0.1d: reserved */);
  expect_undefined(m, 0x5e228420 /* add b0, b1, b2: scalar ADD is D only */);
}

TEST(SimdThreeDifferent, LongAndNarrow) {
  Machine m;
  set_v(m, 1, 0x00000000000001ffull, 0x0000000380000000ull);
  set_v(m, 2, 0x00000000000002ffull, 0xfffffffe80000000ull);
  exec(m, 0x2e220020 /* uaddl v0.8h, v1.8b, v2.8b */);
  EXPECT_V(m, 0, 0x00000000000301feull, 0);
  exec(m, 0x4ea2c020 /* smull2 v0.2d, v1.4s, v2.4s */);
  EXPECT_V(m, 0, 0x4000000000000000ull, 0xfffffffffffffffaull);
  set_v(m, 1, 0x8000, 0);
  set_v(m, 2, 0x8000, 0);
  clear_fpsr(m);
  exec(m, 0x5e62d020 /* sqdmull s0, h1, h2 */);
  EXPECT_V(m, 0, 0x7fffffff, 0);
  EXPECT_TRUE(qc(m));
  set_v(m, 0, 0x1122334455667788ull, 0xffffffffffffffffull);
  set_v(m, 1, 0x7f8001807f800180ull, 0x7f8001807f800180ull);
  set_v(m, 2, 0x8000000080000000ull, 0x8000000080000000ull);
  exec(m, 0x6e224020 /* raddhn2 v0.16b, v1.8h, v2.8h: low half kept */);
  EXPECT_V(m, 0, 0x1122334455667788ull, 0x0002000200020002ull);
  expect_undefined(m, 0x0ee20020 /* saddl with size 11: reserved */);
}

TEST(SimdTwoRegMisc, Operations) {
  Machine m;
  set_v(m, 1, 0x000000007fff8180ull, 0);
  clear_fpsr(m);
  exec(m, 0x4e207820 /* sqabs v0.16b, v1.16b */);
  EXPECT_V(m, 0, 0x000000007f017f7full, 0);
  EXPECT_TRUE(qc(m));
  set_v(m, 1, 0x8000000000000000ull, 7);
  exec(m, 0x7ee0b820 /* neg d0, d1: wraps, no saturation */);
  EXPECT_V(m, 0, 0x8000000000000000ull, 0);
  set_v(m, 1, 0x0000000080000000ull, 0xffffffff00000001ull);
  exec(m, 0x4ea0a820 /* cmlt v0.4s, v1.4s, #0 */);
  EXPECT_V(m, 0, 0x00000000ffffffffull, 0xffffffff00000000ull);
  set_v(m, 1, 0x80000001ffff0000ull, 0xe1237fffc0003fffull);
  exec(m, 0x4e604820 /* cls v0.8h, v1.8h */);
  EXPECT_V(m, 0, 0x0000000e000f000full, 0x0002000000010001ull);
  set_v(m, 1, kBytesLo, kBytesHi);
  exec(m, 0x0e205820 /* cnt v0.8b, v1.8b */);
  EXPECT_V(m, 0, 0x0302020102010100ull, 0);
  exec(m, 0x4e600820 /* rev64 v0.8h, v1.8h */);
  EXPECT_V(m, 0, 0x0100030205040706ull, 0x09080b0a0d0c0f0eull);
  set_v(m, 0, 0x0000000200000001ull, 0xffffffff00000003ull);
  set_v(m, 1, ~u64{0}, ~u64{0});
  exec(m, 0x6e606820 /* uadalp v0.4s, v1.8h */);
  EXPECT_V(m, 0, 0x000200000001ffffull, 0x0001fffd00020001ull);
  set_v(m, 0, 0x1122334455667788ull, 0);
  set_v(m, 1, 0xffff7fff00008000ull, 0xffffffff00001234ull);
  clear_fpsr(m);
  exec(m, 0x4e614820 /* sqxtn2 v0.8h, v1.4s */);
  EXPECT_V(m, 0, 0x1122334455667788ull, 0xffff123480007fffull);
  EXPECT_TRUE(qc(m));
  set_v(m, 1, 0xff80, 0);
  clear_fpsr(m);
  exec(m, 0x7e212820 /* sqxtun b0, h1: negative to 0 */);
  EXPECT_V(m, 0, 0, 0);
  EXPECT_TRUE(qc(m));
  set_v(m, 0, 0x7e, 0);
  set_v(m, 1, 0x05, 0);
  clear_fpsr(m);
  exec(m, 0x5e203820 /* suqadd b0, b1 */);
  EXPECT_V(m, 0, 0x7f, 0);
  EXPECT_TRUE(qc(m));
  expect_undefined(m, 0x7e20b820 /* neg b0, b1: scalar NEG is D only */);
}

TEST(SimdAcrossLanes, Reductions) {
  Machine m;
  set_v(m, 1, kBytesLo, kBytesHi);
  exec(m, 0x6e303820 /* uaddlv h0, v1.16b */);
  EXPECT_V(m, 0, 120, 0);
  exec(m, 0x4eb1b820 /* addv s0, v1.4s */);
  EXPECT_V(m, 0, 0x24201c18, 0);
  set_v(m, 1, 0x1020304050607080ull, 0x0f1f2f3f4f5f6f7full);
  exec(m, 0x6e31a820 /* uminv b0, v1.16b */);
  EXPECT_V(m, 0, 0x0f, 0);
  expect_undefined(m, 0x0eb1b820 /* addv s0, v1.2s: reserved */);
}

TEST(SimdShiftImmediate, Operations) {
  Machine m;
  set_v(m, 1, kBytesLo, kBytesHi);
  exec(m, 0x0f0c8420 /* shrn v0.8b, v1.8h, #4 */);
  EXPECT_V(m, 0, 0xf0d0b09070503010ull, 0);
  set_v(m, 1, 0x7fffffff80000000ull, 0x00000001ffffffffull);
  exec(m, 0x4f210420 /* sshr v0.4s, v1.4s, #31 */);
  EXPECT_V(m, 0, 0x00000000ffffffffull, 0x00000000ffffffffull);
  set_v(m, 0, 10, 0);
  set_v(m, 1, 0x8000000000000000ull, 0);
  exec(m, 0x7f403420 /* ursra d0, d1, #64: rounds 2^63 >> 64 up to 1 */);
  EXPECT_V(m, 0, 11, 0);
  set_v(m, 0, ~u64{0}, ~u64{0});
  set_v(m, 1, 0x8080808080808080ull, 0x8080808080808080ull);
  exec(m, 0x6f0d4420 /* sri v0.16b, v1.16b, #3 */);
  EXPECT_V(m, 0, 0xf0f0f0f0f0f0f0f0ull, 0xf0f0f0f0f0f0f0f0ull);
  set_v(m, 1, 0x0001800010000fffull, 0);
  clear_fpsr(m);
  exec(m, 0x6f146420 /* sqshlu v0.8h, v1.8h, #4 */);
  EXPECT_V(m, 0, 0x00100000fffffff0ull, 0);
  EXPECT_TRUE(qc(m));
  set_v(m, 1, 0x1ffffffffull, 0);
  clear_fpsr(m);
  exec(m, 0x7f3f9c20 /* uqrshrn s0, d1, #1 */);
  EXPECT_V(m, 0, 0xffffffff, 0);
  EXPECT_TRUE(qc(m));
  set_v(m, 1, 0, 0x0002ffff00018000ull);
  exec(m, 0x6f10a420 /* uxtl2 v0.4s, v1.8h */);
  EXPECT_V(m, 0, 0x0000000100008000ull, 0x000000020000ffffull);
  expect_undefined(m, 0x5f3f0420 /* sshr s0, s1, #1: scalar SSHR is D only */);
  expect_undefined(m, 0x0f7f0420 /* sshr v0.1d: reserved */);
}

TEST(SimdByElement, Operations) {
  Machine m;
  set_v(m, 1, 0x0000000200000001ull, 0xffffffff80000000ull);
  set_v(m, 2, 0, 0x0000000300000000ull);
  exec(m, 0x4fa28820 /* mul v0.4s, v1.4s, v2.s[3] */);
  EXPECT_V(m, 0, 0x0000000600000003ull, 0xfffffffd80000000ull);
  set_v(m, 0, 0x7fffffff00000001ull, 0x8000000000000005ull);
  set_v(m, 1, 0, 0x0000000000018000ull);
  set_v(m, 15, 0, 0x8000000000000000ull);
  clear_fpsr(m);
  exec(m, 0x4f7f3820 /* sqdmlal2 v0.4s, v1.8h, v15.h[7] */);
  EXPECT_V(m, 0, 0x7ffeffff7fffffffull, 0x8000000000000005ull);
  EXPECT_TRUE(qc(m));
  set_v(m, 1, 0x40000000, 0);
  set_v(m, 2, 0x4000000000000000ull, 0);
  exec(m, 0x5fa2d020 /* sqrdmulh s0, s1, v2.s[1] */);
  EXPECT_V(m, 0, 0x20000000, 0);
  expect_undefined(m, 0x4f228820 /* mul by element, size 00: reserved */);
}

}  // namespace
}  // namespace kvrm::test

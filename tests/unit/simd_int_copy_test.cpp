// Unit tests for Advanced SIMD copy (DUP, SMOV, UMOV, INS), scalar copy and modified immediate
// (MOVI, MVNI, ORR, BIC), and the decoding boundaries of the integer groups against the encodings
// other groups own, on the reference engine.
#include <gtest/gtest.h>

#include "isa/decoder.hpp"
#include "machine.hpp"

namespace kvrm::test {
namespace {

// V1 holds bytes 0x00 .. 0x0f (byte k = k), V0 is all ones.
void bytes_setup(Machine& m) {
  set_v(m, 1, 0x0706050403020100ull, 0x0f0e0d0c0b0a0908ull);
  set_v(m, 0, ~u64{0}, ~u64{0});
}

TEST(SimdCopy, DupElement) {
  Machine m;
  bytes_setup(m);
  exec(m, 0x4e070420 /* dup v0.16b, v1.b[3] */);
  EXPECT_V(m, 0, 0x0303030303030303ull, 0x0303030303030303ull);
  exec(m, 0x0e1e0420 /* dup v0.4h, v1.h[7]: upper half zeroed */);
  EXPECT_V(m, 0, 0x0f0e0f0e0f0e0f0eull, 0);
  exec(m, 0x4e180420 /* dup v0.2d, v1.d[1] */);
  EXPECT_V(m, 0, 0x0f0e0d0c0b0a0908ull, 0x0f0e0d0c0b0a0908ull);
  expect_undefined(m, 0x0e180420 /* dup v0.1d, v1.d[1]: reserved */);
  expect_undefined(m, 0x4e100420 /* imm5 = 10000: reserved */);
}

TEST(SimdCopy, DupScalar) {
  Machine m;
  bytes_setup(m);
  exec(m, 0x5e1f0420 /* mov b0, v1.b[15] */);
  EXPECT_V(m, 0, 0x0f, 0);
  set_v(m, 0, ~u64{0}, ~u64{0});
  exec(m, 0x5e140420 /* mov s0, v1.s[2] */);
  EXPECT_V(m, 0, 0x0b0a0908, 0);
}

TEST(SimdCopy, DupGeneral) {
  Machine m;
  m.set_x(1, 0x123456789abcdef0ull);
  exec(m, 0x4e020c20 /* dup v0.8h, w1 */);
  EXPECT_V(m, 0, 0xdef0def0def0def0ull, 0xdef0def0def0def0ull);
  exec(m, 0x4e080c20 /* dup v0.2d, x1 */);
  EXPECT_V(m, 0, 0x123456789abcdef0ull, 0x123456789abcdef0ull);
  expect_undefined(m, 0x0e080c20 /* dup v0.1d, x1: reserved */);
}

TEST(SimdCopy, MoveToGeneral) {
  Machine m;
  set_v(m, 1, 0x8000000080ff8000ull, 0xfedcba9876543210ull);
  m.set_x(0, ~u64{0});
  exec(m, 0x0e032c20 /* smov w0, v1.b[1]: 0x80 -> W, upper X zeroed */);
  EXPECT_EQ(m.x(0), 0xffffff80u);
  exec(m, 0x4e0a2c20 /* smov x0, v1.h[2] */);
  EXPECT_EQ(m.x(0), 0u);
  exec(m, 0x4e1c2c20 /* smov x0, v1.s[3] */);
  EXPECT_EQ(m.x(0), 0xfffffffffedcba98ull);
  exec(m, 0x0e1f3c20 /* umov w0, v1.b[15] */);
  EXPECT_EQ(m.x(0), 0xfeu);
  exec(m, 0x0e0c3c20 /* umov w0, v1.s[1] */);
  EXPECT_EQ(m.x(0), 0x80000000u);
  exec(m, 0x4e183c20 /* umov x0, v1.d[1] */);
  EXPECT_EQ(m.x(0), 0xfedcba9876543210ull);
  expect_undefined(m, 0x0e1c2c20 /* smov w0, v1.s[3]: reserved */);
  expect_undefined(m, 0x4e0a3c20 /* umov x0, v1.h[2]: reserved */);
  expect_undefined(m, 0x0e183c20 /* umov w0, v1.d[1]: reserved */);
}

TEST(SimdCopy, Insert) {
  Machine m;
  bytes_setup(m);
  m.set_x(1, 0x1122334455667788ull);
  exec(m, 0x4e0c1c20 /* ins v0.s[1], w1: the rest kept */);
  EXPECT_V(m, 0, 0x55667788ffffffffull, ~u64{0});
  exec(m, 0x4e181c20 /* ins v0.d[1], x1 */);
  EXPECT_V(m, 0, 0x55667788ffffffffull, 0x1122334455667788ull);
  exec(m, 0x6e1d1c20 /* ins v0.b[14], v1.b[3] */);
  EXPECT_V(m, 0, 0x55667788ffffffffull, 0x1103334455667788ull);
  exec(m, 0x6e0a7420 /* ins v0.h[2], v1.h[7] */);
  EXPECT_V(m, 0, 0x55660f0effffffffull, 0x1103334455667788ull);
}

TEST(SimdModifiedImmediate, Movi) {
  Machine m;
  set_v(m, 0, ~u64{0}, ~u64{0});
  exec(m, 0x4f05e4a0 /* movi v0.16b, #0xa5 */);
  EXPECT_V(m, 0, 0xa5a5a5a5a5a5a5a5ull, 0xa5a5a5a5a5a5a5a5ull);
  exec(m, 0x0f00a640 /* movi v0.4h, #0x12, lsl #8 */);
  EXPECT_V(m, 0, 0x1200120012001200ull, 0);
  exec(m, 0x4f014680 /* movi v0.4s, #0x34, lsl #16 */);
  EXPECT_V(m, 0, 0x0034000000340000ull, 0x0034000000340000ull);
  exec(m, 0x0f02c6c0 /* movi v0.2s, #0x56, msl #8 */);
  EXPECT_V(m, 0, 0x000056ff000056ffull, 0);
  exec(m, 0x4f02d6c0 /* movi v0.4s, #0x56, msl #16 */);
  EXPECT_V(m, 0, 0x0056ffff0056ffffull, 0x0056ffff0056ffffull);
  exec(m, 0x2f05e4a0 /* movi d0, #0xff00ff0000ff00ff */);
  EXPECT_V(m, 0, 0xff00ff0000ff00ffull, 0);
  exec(m, 0x6f02e400 /* movi v0.2d, #0x00ff000000000000 */);
  EXPECT_V(m, 0, 0x00ff000000000000ull, 0x00ff000000000000ull);
}

TEST(SimdModifiedImmediate, MvniOrrBic) {
  Machine m;
  exec(m, 0x6f008640 /* mvni v0.8h, #0x12 */);
  EXPECT_V(m, 0, 0xffedffedffedffedull, 0xffedffedffedffedull);
  exec(m, 0x2f046400 /* mvni v0.2s, #0x80, lsl #24 */);
  EXPECT_V(m, 0, 0x7fffffff7fffffffull, 0);
  exec(m, 0x6f03d7e0 /* mvni v0.4s, #0x7f, msl #16 */);
  EXPECT_V(m, 0, 0xff800000ff800000ull, 0xff800000ff800000ull);
  set_v(m, 0, 0x1000000010000000ull, 0x2000000020000000ull);
  exec(m, 0x4f003420 /* orr v0.4s, #0x1, lsl #8 */);
  EXPECT_V(m, 0, 0x1000010010000100ull, 0x2000010020000100ull);
  exec(m, 0x0f079600 /* orr v0.4h, #0xf0: Q = 0 zeroes the upper half */);
  EXPECT_V(m, 0, 0x10f001f010f001f0ull, 0);
  set_v(m, 0, ~u64{0}, ~u64{0});
  exec(m, 0x6f07b7e0 /* bic v0.8h, #0xff, lsl #8 */);
  EXPECT_V(m, 0, 0x00ff00ff00ff00ffull, 0x00ff00ff00ff00ffull);
  exec(m, 0x2f001460 /* bic v0.2s, #0x3 */);
  EXPECT_V(m, 0, 0x00ff00fc00ff00fcull, 0);
}

// Words of other groups that the integer entries must leave alone: FMOV (vector, immediate),
// PMULL, URECPE, URSQRTE, the fixed-point conversions, FP by element and three same, SDOT.
TEST(SimdIntDecode, OtherGroupsNotCovered) {
  const u32 first = static_cast<u32>(Op::DUP_elem_vector), last = static_cast<u32>(Op::EXT);
  for (const u32 w :
       {0x4f03f600u /* fmov v0.4s, #1.0 */, 0x6f04f400u /* fmov v0.2d, #-2.0 */,
        0x0f03fe00u /* fmov v0.4h, #1.0 */, 0x0e22e020u /* pmull v0.8h, ... */,
        0x4ee2e020u /* pmull2 v0.1q, ... */, 0x4ea1c820u /* urecpe v0.4s */,
        0x2ea1c820u /* ursqrte v0.2s */, 0x4f3de420u /* scvtf v0.4s, v1.4s, #3 */,
        0x6f7bfc20u /* fcvtzu v0.2d, v1.2d, #5 */, 0x4fa21020u /* fmla v0.4s, v1.4s, v2.s[1] */,
        0x4e829420u /* sdot v0.4s, v1.16b, v2.16b */, 0x4e22d420u /* fadd v0.4s, v1.4s, v2.4s */}) {
    const u32 op = static_cast<u32>(decode(w));
    EXPECT_FALSE(op >= first && op <= last) << std::hex << w << " " << op_name(decode(w));
  }
  EXPECT_EQ(decode(0x4e070420), Op::DUP_elem_vector);
  EXPECT_EQ(decode(0x6f02e400), Op::MOVI_64_vector);
}

}  // namespace
}  // namespace kvrm::test

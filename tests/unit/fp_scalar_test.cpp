// Unit tests for data processing -- scalar floating-point (C4.1.91): each handler through the
// reference engine, with results and FPSR flags computed by hand from the Arm pseudocode (the
// hard cases were cross-checked with qemu-aarch64-static 7.2, -cpu max).
#include <gtest/gtest.h>

#include "fp_test_util.hpp"

namespace kvrm::test {
namespace {

TEST(FpScalar, AddWritesScalarAndZeroesTheRest) {
  FpMachine m;
  m.set_v(0, 0x1111, 0x2222);
  m.set_v(1, D1, 0xdead);
  m.set_v(2, D2);
  EXPECT_EQ(m.exec(0x1e622820 /* fadd d0, d1, d2 */), 0u);
  EXPECT_EQ(m.vlo(0), D3);
  EXPECT_EQ(m.vhi(0), 0u);
  m.set_v(1, 0xffffffff00000000ull | S1);
  m.set_v(2, S2);
  EXPECT_EQ(m.exec(0x1e222820 /* fadd s0, s1, s2 */), 0u);
  EXPECT_EQ(m.vlo(0), S3);
}

TEST(FpScalar, AddRoundingModesAndInexact) {
  FpMachine m;
  m.set_v(1, D1);
  m.set_v(2, 0x3c30000000000000ull);  // 2^-60
  EXPECT_EQ(m.exec(0x1e622820 /* fadd d0, d1, d2 */), kIXC);
  EXPECT_EQ(m.vlo(0), D1);
  m.set_fpcr(kRP);
  EXPECT_EQ(m.exec(0x1e622820 /* fadd d0, d1, d2 */), kIXC);
  EXPECT_EQ(m.vlo(0), 0x3ff0000000000001ull);
  m.set_fpcr(kRM);
  m.set_v(2, 0xbc30000000000000ull);  // -2^-60
  EXPECT_EQ(m.exec(0x1e622820 /* fadd d0, d1, d2 */), kIXC);
  EXPECT_EQ(m.vlo(0), 0x3fefffffffffffffull);
  // x - x is +0, except -0 when rounding towards minus infinity.
  m.set_v(2, D1);
  m.exec(0x1e623820 /* fsub d0, d1, d2 */);
  EXPECT_EQ(m.vlo(0), DM0);
  m.set_fpcr(kRN);
  m.exec(0x1e623820 /* fsub d0, d1, d2 */);
  EXPECT_EQ(m.vlo(0), D0);
}

TEST(FpScalar, NaNPropagation) {
  FpMachine m;
  const u64 qnan = 0x7ff8000000000123ull, snan = 0xfff0000000000456ull;
  m.set_v(1, qnan);
  m.set_v(2, snan);
  // A signalling NaN wins over a quiet one, whatever the operand order; it is quietened.
  EXPECT_EQ(m.exec(0x1e622820 /* fadd d0, d1, d2 */), kIOC);
  EXPECT_EQ(m.vlo(0), 0xfff8000000000456ull);
  m.set_v(2, 0x7ff8000000000777ull);  // two quiet NaNs: the first operand
  EXPECT_EQ(m.exec(0x1e622820 /* fadd d0, d1, d2 */), 0u);
  EXPECT_EQ(m.vlo(0), qnan);
  m.set_fpcr(kDN);
  EXPECT_EQ(m.exec(0x1e622820 /* fadd d0, d1, d2 */), 0u);
  EXPECT_EQ(m.vlo(0), DDNAN);
  m.set_fpcr(0);
  m.set_v(1, DINF);
  m.set_v(2, DMINF);
  EXPECT_EQ(m.exec(0x1e622820 /* fadd d0, d1, d2 */), kIOC);
  EXPECT_EQ(m.vlo(0), DDNAN);
}

TEST(FpScalar, MulOverflowAndUnderflow) {
  FpMachine m;
  m.set_v(1, DMAX);
  m.set_v(2, D2);
  EXPECT_EQ(m.exec(0x1e620820 /* fmul d0, d1, d2 */), kOFC | kIXC);
  EXPECT_EQ(m.vlo(0), DINF);
  m.set_fpcr(kRZ);
  EXPECT_EQ(m.exec(0x1e620820 /* fmul d0, d1, d2 */), kOFC | kIXC);
  EXPECT_EQ(m.vlo(0), DMAX);
  m.set_fpcr(kRM);
  EXPECT_EQ(m.exec(0x1e620820 /* fmul d0, d1, d2 */), kOFC | kIXC);
  EXPECT_EQ(m.vlo(0), DMAX);
  m.set_fpcr(0);
  // An exact denormal result raises nothing; an inexact one Underflow and Inexact.
  m.set_v(1, 0x0018000000000000ull);  // 1.5 * 2^-1022
  m.set_v(2, DH);
  EXPECT_EQ(m.exec(0x1e620820 /* fmul d0, d1, d2 */), 0u);
  EXPECT_EQ(m.vlo(0), 0x000c000000000000ull);
  m.set_v(1, 1);  // 2^-1074 * 0.5: a tie, to even (zero)
  EXPECT_EQ(m.exec(0x1e620820 /* fmul d0, d1, d2 */), kUFC | kIXC);
  EXPECT_EQ(m.vlo(0), D0);
  // Flush-to-zero: a tiny result becomes zero with Underflow only; a denormal input is zero
  // with Input Denormal.
  m.set_fpcr(kFZ);
  m.set_v(1, DMIN);
  EXPECT_EQ(m.exec(0x1e620820 /* fmul d0, d1, d2 */), kUFC);
  EXPECT_EQ(m.vlo(0), D0);
  m.set_v(1, 0x800fffffffffffffull);
  m.set_v(2, D0);
  EXPECT_EQ(m.exec(0x1e622820 /* fadd d0, d1, d2 */), kIDC);
  EXPECT_EQ(m.vlo(0), D0);
}

TEST(FpScalar, DivideAndSqrt) {
  FpMachine m;
  m.set_v(1, D1);
  m.set_v(2, D0);
  EXPECT_EQ(m.exec(0x1e621820 /* fdiv d0, d1, d2 */), kDZC);
  EXPECT_EQ(m.vlo(0), DINF);
  m.set_v(1, DM0);
  EXPECT_EQ(m.exec(0x1e621820 /* fdiv d0, d1, d2 */), kIOC);
  EXPECT_EQ(m.vlo(0), DDNAN);
  m.set_v(1, D1);
  m.set_v(2, D3);
  EXPECT_EQ(m.exec(0x1e621820 /* fdiv d0, d1, d2 */), kIXC);
  EXPECT_EQ(m.vlo(0), 0x3fd5555555555555ull);
  m.set_v(1, D2);
  EXPECT_EQ(m.exec(0x1e61c020 /* fsqrt d0, d1 */), kIXC);
  EXPECT_EQ(m.vlo(0), 0x3ff6a09e667f3bcdull);
  m.set_v(1, DM0);
  EXPECT_EQ(m.exec(0x1e61c020 /* fsqrt d0, d1 */), 0u);
  EXPECT_EQ(m.vlo(0), DM0);
  m.set_v(1, DM1);
  EXPECT_EQ(m.exec(0x1e61c020 /* fsqrt d0, d1 */), kIOC);
  EXPECT_EQ(m.vlo(0), DDNAN);
}

TEST(FpScalar, MaxMinSignedZerosAndNaNs) {
  FpMachine m;
  m.set_v(1, D0);
  m.set_v(2, DM0);
  m.exec(0x1e624820 /* fmax d0, d1, d2 */);
  EXPECT_EQ(m.vlo(0), D0);
  m.exec(0x1e625820 /* fmin d0, d1, d2 */);
  EXPECT_EQ(m.vlo(0), DM0);
  m.set_v(1, 0x7ff8000000000001ull);  // quiet NaN
  m.set_v(2, DM1);
  EXPECT_EQ(m.exec(0x1e624820 /* fmax d0, d1, d2 */), 0u);
  EXPECT_EQ(m.vlo(0), 0x7ff8000000000001ull);
  EXPECT_EQ(m.exec(0x1e626820 /* fmaxnm d0, d1, d2 */), 0u);
  EXPECT_EQ(m.vlo(0), DM1);
  m.set_v(1, 0x7ff0000000000001ull);  // signalling NaN: propagated even by FMAXNM
  EXPECT_EQ(m.exec(0x1e626820 /* fmaxnm d0, d1, d2 */), kIOC);
  EXPECT_EQ(m.vlo(0), 0x7ff8000000000001ull);
  m.set_v(1, S1);
  m.set_v(2, 0xffc00000u);
  m.exec(0x1e227820 /* fminnm s0, s1, s2 */);
  EXPECT_EQ(m.vlo(0), S1);
  m.set_v(1, D2);
  m.set_v(2, D3);
  m.exec(0x1e628820 /* fnmul d0, d1, d2 */);
  EXPECT_EQ(m.vlo(0), 0xc018000000000000ull);
}

TEST(FpScalar, FusedMultiplyAdd) {
  FpMachine m;
  m.set_v(1, D2);
  m.set_v(2, D3);
  m.set_v(3, D1);
  m.exec(0x1f420c20 /* fmadd d0, d1, d2, d3: 1 + 2*3 */);
  EXPECT_EQ(m.vlo(0), 0x401c000000000000ull);
  m.exec(0x1f428c20 /* fmsub d0, d1, d2, d3: 1 - 2*3 */);
  EXPECT_EQ(m.vlo(0), 0xc014000000000000ull);
  m.exec(0x1f620c20 /* fnmadd d0, d1, d2, d3: -1 - 2*3 */);
  EXPECT_EQ(m.vlo(0), 0xc01c000000000000ull);
  m.exec(0x1f628c20 /* fnmsub d0, d1, d2, d3: -1 + 2*3 */);
  EXPECT_EQ(m.vlo(0), 0x4014000000000000ull);
  // One rounding: (1 + 2^-27)^2 - (1 + 2^-26) = 2^-54 exactly, where the product rounded on
  // its own would give 0.
  m.set_v(1, 0x3ff0000002000000ull);
  m.set_v(2, 0x3ff0000002000000ull);
  m.set_v(3, 0xbff0000004000000ull);
  EXPECT_EQ(m.exec(0x1f420c20 /* fmadd d0, d1, d2, d3 */), 0u);
  EXPECT_EQ(m.vlo(0), 0x3c90000000000000ull);
  // FMSUB negates Rn first: a NaN there comes back with its sign flipped.
  m.set_v(1, 0x7ff8000000000123ull);
  m.exec(0x1f428c20 /* fmsub d0, d1, d2, d3 */);
  EXPECT_EQ(m.vlo(0), 0xfff8000000000123ull);
  // A quiet NaN addend with 0 * inf gives the default NaN and Invalid Operation.
  m.set_v(1, D0);
  m.set_v(2, DINF);
  m.set_v(3, 0x7ff8000000000123ull);
  EXPECT_EQ(m.exec(0x1f420c20 /* fmadd d0, d1, d2, d3 */), kIOC);
  EXPECT_EQ(m.vlo(0), DDNAN);
}

TEST(FpScalar, OneSourceMovesAndConversions) {
  FpMachine m;
  m.set_v(1, 0x123456789abcdef0ull, 5);
  m.exec(0x1e604020 /* fmov d0, d1 */);
  EXPECT_EQ(m.vlo(0), 0x123456789abcdef0ull);
  EXPECT_EQ(m.vhi(0), 0u);
  m.exec(0x1ee04020 /* fmov h0, h1 */);
  EXPECT_EQ(m.vlo(0), 0xdef0u);
  m.set_v(1, DMINF | 5);  // a signalling NaN: FABS/FNEG only touch the sign, no flags
  EXPECT_EQ(m.exec(0x1e60c020 /* fabs d0, d1 */), 0u);
  EXPECT_EQ(m.vlo(0), DINF | 5);
  m.set_v(1, S1);
  m.exec(0x1e214020 /* fneg s0, s1 */);
  EXPECT_EQ(m.vlo(0), 0xbf800000u);
  m.set_v(1, 0x3fb999999999999aull);  // 0.1
  EXPECT_EQ(m.exec(0x1e624020 /* fcvt s0, d1 */), kIXC);
  EXPECT_EQ(m.vlo(0), 0x3dcccccdu);
  m.set_v(1, 0x7f800001u);  // signalling NaN: quietened, payload moved up
  EXPECT_EQ(m.exec(0x1e22c020 /* fcvt d0, s1 */), kIOC);
  EXPECT_EQ(m.vlo(0), 0x7ff8000020000000ull);
  m.set_v(1, S1);
  EXPECT_EQ(m.exec(0x1e23c020 /* fcvt h0, s1 */), 0u);
  EXPECT_EQ(m.vlo(0), 0x3c00u);
  m.set_v(1, 0x7c00);
  m.exec(0x1ee24020 /* fcvt s0, h1 */);
  EXPECT_EQ(m.vlo(0), SINF);
  m.set_v(1, 0x0001);  // the smallest half denormal: not flushed even with FZ
  m.set_fpcr(kFZ);
  EXPECT_EQ(m.exec(0x1ee2c020 /* fcvt d0, h1 */), 0u);
  EXPECT_EQ(m.vlo(0), 0x3e70000000000000ull);  // 2^-24
  m.set_fpcr(0);
  m.set_v(1, 0x40effe0000000000ull);  // 65520: rounds up out of half range
  EXPECT_EQ(m.exec(0x1e63c020 /* fcvt h0, d1 */), kOFC | kIXC);
  EXPECT_EQ(m.vlo(0), 0x7c00u);
  // Alternative half precision: no infinities or NaNs.
  m.set_fpcr(kAHP);
  EXPECT_EQ(m.exec(0x1e63c020 /* fcvt h0, d1 */), kIXC);
  EXPECT_EQ(m.vlo(0), 0x7c00u);  // rounds to 65536 = 2^16, representable
  m.set_v(1, SINF);
  EXPECT_EQ(m.exec(0x1e23c020 /* fcvt h0, s1 */), kIOC);
  EXPECT_EQ(m.vlo(0), 0x7fffu);
  m.set_v(1, 0x7c00);
  EXPECT_EQ(m.exec(0x1ee24020 /* fcvt s0, h1 */), 0u);
  EXPECT_EQ(m.vlo(0), 0x47800000u);  // 65536
}

TEST(FpScalar, RoundToIntegral) {
  FpMachine m;
  struct Case {
    u32 word;
    u64 in, out;
  };
  const u64 m2_5 = 0xc004000000000000ull, m3 = 0xc008000000000000ull, m2 = 0xc000000000000000ull;
  const Case cases[] = {
      {0x1e644020 /* frintn d0, d1 */, D2_5, D2},
      {0x1e64c020 /* frintp d0, d1 */, D2_5, D3},
      {0x1e654020 /* frintm d0, d1 */, D2_5, D2},
      {0x1e65c020 /* frintz d0, d1 */, D2_5, D2},
      {0x1e664020 /* frinta d0, d1 */, D2_5, D3},
      {0x1e644020 /* frintn d0, d1 */, m2_5, m2},
      {0x1e654020 /* frintm d0, d1 */, m2_5, m3},
      {0x1e65c020 /* frintz d0, d1 */, m2_5, m2},
      {0x1e664020 /* frinta d0, d1 */, m2_5, m3},
      {0x1e64c020 /* frintp d0, d1 */, m2_5, m2},
      {0x1e644020 /* frintn d0, d1 */, 0xbfe0000000000000ull, DM0},
  };
  for (const Case& t : cases) {
    m.set_v(1, t.in);
    EXPECT_EQ(m.exec(t.word), 0u) << std::hex << t.word;  // not exact: no Inexact
    EXPECT_EQ(m.vlo(0), t.out) << std::hex << t.word << " " << t.in;
  }
  m.set_v(1, D2_5);
  EXPECT_EQ(m.exec(0x1e674020 /* frintx d0, d1 */), kIXC);
  EXPECT_EQ(m.vlo(0), D2);
  m.set_fpcr(kRP);
  EXPECT_EQ(m.exec(0x1e67c020 /* frinti d0, d1 */), 0u);
  EXPECT_EQ(m.vlo(0), D3);
  m.set_v(1, D3);
  EXPECT_EQ(m.exec(0x1e674020 /* frintx d0, d1 */), 0u);
  EXPECT_EQ(m.vlo(0), D3);
}

TEST(FpScalar, CompareSetsNzcv) {
  FpMachine m;
  m.set_v(1, D1);
  m.set_v(2, D2);
  m.exec(0x1e622020 /* fcmp d1, d2 */);
  EXPECT_EQ(m.nzcv(), N);
  m.set_v(2, D1);
  m.exec(0x1e622020 /* fcmp d1, d2 */);
  EXPECT_EQ(m.nzcv(), Z | C);
  m.set_v(2, DM1);
  m.exec(0x1e622020 /* fcmp d1, d2 */);
  EXPECT_EQ(m.nzcv(), C);
  m.set_v(2, 0x7ff8000000000000ull);
  EXPECT_EQ(m.exec(0x1e622020 /* fcmp d1, d2 */), 0u);  // quiet NaN: no exception
  EXPECT_EQ(m.nzcv(), C | V);
  EXPECT_EQ(m.exec(0x1e622030 /* fcmpe d1, d2 */), kIOC);  // FCMPE signals quiet NaNs too
  EXPECT_EQ(m.nzcv(), C | V);
  m.set_v(2, 0x7ff0000000000001ull);
  EXPECT_EQ(m.exec(0x1e622020 /* fcmp d1, d2 */), kIOC);
  m.set_v(1, SM0);
  m.exec(0x1e202028 /* fcmp s1, #0.0 */);
  EXPECT_EQ(m.nzcv(), Z | C);
  m.set_v(1, 0xbf800000u);
  m.exec(0x1e202038 /* fcmpe s1, #0.0 */);
  EXPECT_EQ(m.nzcv(), N);
}

TEST(FpScalar, ConditionalCompareAndSelect) {
  FpMachine m;
  m.set_v(1, D1);
  m.set_v(2, D2);
  m.set_nzcv(0);  // EQ fails: NZCV = #0xf
  m.exec(0x1e62042f /* fccmp d1, d2, #0xf, eq */);
  EXPECT_EQ(m.nzcv(), N | Z | C | V);
  m.set_nzcv(Z);  // EQ holds: compare
  m.exec(0x1e62042f /* fccmp d1, d2, #0xf, eq */);
  EXPECT_EQ(m.nzcv(), N);
  m.set_v(2, 0x7ff8000000000000ull);
  m.set_nzcv(Z);
  EXPECT_EQ(m.exec(0x1e62042f /* fccmp d1, d2, #0xf, eq */), 0u);
  EXPECT_EQ(m.nzcv(), C | V);
  m.set_nzcv(Z);
  EXPECT_EQ(m.exec(0x1e62043f /* fccmpe d1, d2, #0xf, eq */), kIOC);
  m.set_nzcv(0);
  EXPECT_EQ(m.exec(0x1e62043f /* fccmpe d1, d2, #0xf, eq */), 0u);  // not compared
  m.set_v(2, D2, 7);
  m.set_nzcv(Z);
  m.exec(0x1e620c20 /* fcsel d0, d1, d2, eq */);
  EXPECT_EQ(m.vlo(0), D1);
  m.set_nzcv(0);
  m.exec(0x1e620c20 /* fcsel d0, d1, d2, eq */);
  EXPECT_EQ(m.vlo(0), D2);
  EXPECT_EQ(m.vhi(0), 0u);
}

TEST(FpScalar, MoveImmediate) {
  FpMachine m;
  m.exec(0x1e6e1000 /* fmov d0, #1.0 */);
  EXPECT_EQ(m.vlo(0), D1);
  m.exec(0x1e381000 /* fmov s0, #-0.125 */);
  EXPECT_EQ(m.vlo(0), 0xbe000000u);
  m.exec(0x1ee7f000 /* fmov h0, #31.0 */);
  EXPECT_EQ(m.vlo(0), 0x4fc0u);
}

TEST(FpScalar, ConvertToInteger) {
  FpMachine m;
  struct Case {
    u32 word;
    u64 in, out;
    u32 flags;
  };
  const Case cases[] = {
      {0x1e600020 /* fcvtns w0, d1 */, D2_5, 2, kIXC},
      {0x1e600020 /* fcvtns w0, d1 */, 0xc004000000000000ull, 0xfffffffeu, kIXC},
      {0x1e240020 /* fcvtas w0, s1 */, 0x40200000u, 3, kIXC},
      {0x9e680020 /* fcvtps x0, d1 */, 0x3ff199999999999aull, 2, kIXC},
      {0x9e700020 /* fcvtms x0, d1 */, 0xbff199999999999aull, ~u64{1}, kIXC},
      {0x1e310020 /* fcvtmu w0, s1 */, 0x3ff33333u, 1, kIXC},
      {0x1e780020 /* fcvtzs w0, d1 */, 0x4202a05f20000000ull, 0x7fffffffu, kIOC},  // 1e10
      {0x1e780020 /* fcvtzs w0, d1 */, 0xc1e0000000000000ull, 0x80000000u, 0},     // -2^31
      {0x9e790020 /* fcvtzu x0, d1 */, DM1, 0, kIOC},
      {0x9e790020 /* fcvtzu x0, d1 */, 0xbfe0000000000000ull, 0, kIXC},  // -0.5 rounds to 0
      {0x9e610020 /* fcvtnu x0, d1 */, 0x7ff8000000000000ull, 0, kIOC},
      {0x1e690020 /* fcvtpu w0, d1 */, 0x41f0000000000000ull, 0xffffffffu, kIOC},  // 2^32
      {0x9e650020 /* fcvtau x0, d1 */, 0x43e0000000000000ull, u64{1} << 63, 0},    // 2^63
      {0x9e790020 /* fcvtzu x0, d1 */, DINF, ~u64{0}, kIOC},
  };
  for (const Case& t : cases) {
    m.set_v(1, t.in);
    m.set_x(0, 0x5555555555555555ull);
    EXPECT_EQ(m.exec(t.word), t.flags) << std::hex << t.word << " " << t.in;
    EXPECT_EQ(m.x(0), t.out) << std::hex << t.word << " " << t.in;
  }
}

TEST(FpScalar, ConvertFromInteger) {
  FpMachine m;
  m.set_x(1, ~u64{0});
  EXPECT_EQ(m.exec(0x9e620020 /* scvtf d0, x1 */), 0u);
  EXPECT_EQ(m.vlo(0), DM1);
  EXPECT_EQ(m.exec(0x1e230020 /* ucvtf s0, w1 */), kIXC);
  EXPECT_EQ(m.vlo(0), 0x4f800000u);  // 2^32
  EXPECT_EQ(m.exec(0x9e630020 /* ucvtf d0, x1 */), kIXC);
  EXPECT_EQ(m.vlo(0), 0x43f0000000000000ull);  // 2^64
  m.set_x(1, 0x80000000u);
  m.exec(0x1e220020 /* scvtf s0, w1 */);
  EXPECT_EQ(m.vlo(0), 0xcf000000u);
  m.set_x(1, 0);
  m.set_fpcr(kRM);
  m.exec(0x9e620020 /* scvtf d0, x1 */);
  EXPECT_EQ(m.vlo(0), D0);  // integer zero is +0 in every rounding mode
}

TEST(FpScalar, MoveGeneral) {
  FpMachine m;
  m.set_v(1, 0x1122334455667788ull, 0x99aabbccddeeff00ull);
  m.exec(0x1e260020 /* fmov w0, s1 */);
  EXPECT_EQ(m.x(0), 0x55667788u);
  m.exec(0x9e660020 /* fmov x0, d1 */);
  EXPECT_EQ(m.x(0), 0x1122334455667788ull);
  m.exec(0x1ee60020 /* fmov w0, h1 */);
  EXPECT_EQ(m.x(0), 0x7788u);
  m.exec(0x9eae0020 /* fmov x0, v1.d[1] */);
  EXPECT_EQ(m.x(0), 0x99aabbccddeeff00ull);
  m.set_x(1, 0xfedcba9876543210ull);
  m.set_v(0, 1, 2);
  m.exec(0x1e270020 /* fmov s0, w1 */);
  EXPECT_EQ(m.vlo(0), 0x76543210u);
  EXPECT_EQ(m.vhi(0), 0u);
  m.exec(0x9e670020 /* fmov d0, x1 */);
  EXPECT_EQ(m.vlo(0), 0xfedcba9876543210ull);
  m.exec(0x9ee70020 /* fmov h0, x1 */);
  EXPECT_EQ(m.vlo(0), 0x3210u);
  m.set_v(0, 1, 2);
  m.exec(0x9eaf0020 /* fmov v0.d[1], x1 */);
  EXPECT_EQ(m.vlo(0), 1u);  // the lower half is kept
  EXPECT_EQ(m.vhi(0), 0xfedcba9876543210ull);
}

TEST(FpScalar, FixedPoint) {
  FpMachine m;
  m.set_x(1, 0xffffffff00018000ull);
  m.exec(0x1e42c020 /* scvtf d0, w1, #16 */);
  EXPECT_EQ(m.vlo(0), D1_5);
  m.set_x(1, u64{1} << 63);
  m.exec(0x9e030020 /* ucvtf s0, x1, #64 */);
  EXPECT_EQ(m.vlo(0), 0x3f000000u);
  m.set_v(1, D1_5);
  EXPECT_EQ(m.exec(0x9e58e020 /* fcvtzs x0, d1, #8 */), 0u);
  EXPECT_EQ(m.x(0), 384u);
  m.set_v(1, 0xbf60000000000000ull);  // -1/512
  EXPECT_EQ(m.exec(0x9e58e020 /* fcvtzs x0, d1, #8 */), kIXC);
  EXPECT_EQ(m.x(0), 0u);
  m.set_v(1, 0x3f000000u);
  EXPECT_EQ(m.exec(0x1e198020 /* fcvtzu w0, s1, #32 */), 0u);
  EXPECT_EQ(m.x(0), 0x80000000u);
  m.set_v(1, S1);
  EXPECT_EQ(m.exec(0x1e198020 /* fcvtzu w0, s1, #32 */), kIOC);
  EXPECT_EQ(m.x(0), 0xffffffffu);
}

TEST(FpScalar, UnallocatedEncodings) {
  FpMachine m;
  m.expect_undefined(0x1ea22820);  // fadd with ftype = 10
  m.expect_undefined(0x1ee22820);  // fadd h0, h1, h2 (FEAT_FP16 arithmetic, not implemented)
  m.expect_undefined(0x1e224020);  // fcvt s0, s1: same source and destination type
  m.expect_undefined(0x1e42c020 & ~(1u << 15));  // scvtf d0, w1 with scale < 32
  m.expect_undefined(0x9e270020);                // fmov s0, x1: unallocated size combination
  m.expect_undefined(0x1ee20020);                // scvtf h0, w1 (FEAT_FP16)
}

}  // namespace
}  // namespace kvrm::test

// kvrm's soft-float: the Arm ARM's shared floating-point pseudocode (J1: FPUnpack, FPProcessNaN(s),
// FPRound, FPAdd ... FPRSqrtStepFused) on raw bit patterns of 16, 32 or 64 bits, in integer
// arithmetic only, so that host and device give the same bits. Every function takes the FPCR and
// ORs the FPSR cumulative flags it raises into `fl`. FPCR.AH (FEAT_AFP) is taken as 0.
#pragma once

#include "isa/hd.hpp"

// The larger primitives (KVRM_FP_DECL here, defined in softfloat_ops.hpp) are compiled once
// rather than inlined into every handler on the device (KVRM_HD force-inlines there), which keeps
// the CUDA engine's dispatch function small. Translated guest code (compiled at run time,
// src/jit/) sees only their declarations and calls the copies in kvrm's device library,
// so that each module does not compile and optimize them again.
#if defined(__CUDA_ARCH__)
#define KVRM_FP_HD __host__ __device__ __noinline__ inline
#elif defined(__CUDACC__)
#define KVRM_FP_HD __host__ __device__ inline  // nvcc's host pass: GCC's inlining is left free
#else
#define KVRM_FP_HD inline
#endif
#if defined(__CUDACC_RTC__)
#define KVRM_FP_DECL __device__
#else
#define KVRM_FP_DECL KVRM_FP_HD
#endif

namespace kvrm::fp {

// FPSR cumulative flags (the same bit positions as FPSR).
constexpr u32 IOC = 1u << 0, DZC = 1u << 1, OFC = 1u << 2, UFC = 1u << 3, IXC = 1u << 4,
              IDC = 1u << 7;
// FPCR fields.
constexpr u32 kFZ16 = 1u << 19, kFZ = 1u << 24, kDN = 1u << 25, kAHP = 1u << 26;

enum class Rounding : u8 { TieEven = 0, PosInf = 1, NegInf = 2, Zero = 3, TieAway = 4, Odd = 5 };
KVRM_HD constexpr Rounding fpcr_rounding(u32 fpcr) {
  return static_cast<Rounding>((fpcr >> 22) & 3);
}

enum class Type : u8 { Zero, Nonzero, Infinity, QNaN, SNaN };

// Exponent and fraction widths of an N-bit format.
KVRM_HD constexpr int ebits(int n) { return n == 16 ? 5 : n == 32 ? 8 : 11; }
KVRM_HD constexpr int fbits(int n) { return n == 16 ? 10 : n == 32 ? 23 : 52; }

KVRM_HD constexpr u64 zero(bool sign, int n) { return static_cast<u64>(sign) << (n - 1); }
KVRM_HD constexpr u64 infinity(bool sign, int n) {
  return zero(sign, n) | (ones(ebits(n)) << fbits(n));
}
KVRM_HD constexpr u64 max_normal(bool sign, int n) {
  return zero(sign, n) | (ones(ebits(n) - 1) << (fbits(n) + 1)) | ones(fbits(n));
}
KVRM_HD constexpr u64 default_nan(int n) {
  return (ones(ebits(n)) << fbits(n)) | (u64{1} << (fbits(n) - 1));
}
KVRM_HD constexpr u64 two(bool sign, int n) { return zero(sign, n) | (u64{1} << (n - 2)); }
KVRM_HD constexpr u64 one_point_five(bool sign, int n) {
  return zero(sign, n) | (ones(ebits(n) - 1) << fbits(n)) | (u64{1} << (fbits(n) - 1));
}
KVRM_HD constexpr u64 neg(u64 x, int n) { return x ^ (u64{1} << (n - 1)); }
KVRM_HD constexpr u64 abs(u64 x, int n) { return x & ones(n - 1); }

// FPUnpack: a finite nonzero value is mant * 2^exp with mant normalised (bit 63 set).
struct Unpacked {
  Type type;
  bool sign;
  int exp;
  u64 mant;
};
KVRM_HD constexpr bool is_nan(Type t) { return t == Type::QNaN || t == Type::SNaN; }

// FPUnpackBase. For N = 16, FPCR.AHP selects the alternative format and FZ16 flushes; callers
// clear AHP (FPUnpack) or FZ16 (FPUnpackCV) as the pseudocode does.
KVRM_HD Unpacked unpack(u64 x, int n, u32 fpcr, u32& fl) {
  const int E = ebits(n), F = fbits(n);
  const bool sign = (x >> (n - 1)) & 1;
  const u64 e = (x >> F) & ones(E);
  const u64 f = x & ones(F);
  const bool fz = n == 16 ? (fpcr & kFZ16) != 0 : (fpcr & kFZ) != 0;
  const int bias = (1 << (E - 1)) - 1;
  if (e == 0) {
    if (f == 0 || fz) {
      if (f != 0 && n != 16) fl |= IDC;
      return {Type::Zero, sign, 0, 0};
    }
    const int lz = clz64(f);
    return {Type::Nonzero, sign, 1 - bias - F - lz, f << lz};
  }
  if (e == ones(E) && !(n == 16 && (fpcr & kAHP))) {
    if (f == 0) return {Type::Infinity, sign, 0, 0};
    return {((f >> (F - 1)) & 1) ? Type::QNaN : Type::SNaN, sign, 0, 0};
  }
  // value = (2^F + f) * 2^(e - bias - F) = ((2^F + f) << (63 - F)) * 2^(e - bias - 63)
  return {Type::Nonzero, sign, static_cast<int>(e) - bias - 63, ((u64{1} << F) | f) << (63 - F)};
}

// FPProcessNaN.
KVRM_HD u64 process_nan(Type t, u64 x, int n, u32 fpcr, u32& fl) {
  u64 r = x;
  if (t == Type::SNaN) {
    r |= u64{1} << (fbits(n) - 1);
    fl |= IOC;
  }
  if (fpcr & kDN) r = default_nan(n);
  return r;
}

struct NaNResult {
  bool done;
  u64 value;
};
// FPProcessNaNs and FPProcessNaNs3: signalling NaNs first, then quiet ones, in operand order.
KVRM_HD NaNResult process_nans(Type t1, Type t2, u64 a, u64 b, int n, u32 fpcr, u32& fl) {
  if (t1 == Type::SNaN) return {true, process_nan(t1, a, n, fpcr, fl)};
  if (t2 == Type::SNaN) return {true, process_nan(t2, b, n, fpcr, fl)};
  if (t1 == Type::QNaN) return {true, process_nan(t1, a, n, fpcr, fl)};
  if (t2 == Type::QNaN) return {true, process_nan(t2, b, n, fpcr, fl)};
  return {false, 0};
}
KVRM_HD NaNResult process_nans3(Type t1, Type t2, Type t3, u64 a, u64 b, u64 c, int n, u32 fpcr,
                                u32& fl) {
  if (t1 == Type::SNaN) return {true, process_nan(t1, a, n, fpcr, fl)};
  if (t2 == Type::SNaN) return {true, process_nan(t2, b, n, fpcr, fl)};
  if (t3 == Type::SNaN) return {true, process_nan(t3, c, n, fpcr, fl)};
  if (t1 == Type::QNaN) return {true, process_nan(t1, a, n, fpcr, fl)};
  if (t2 == Type::QNaN) return {true, process_nan(t2, b, n, fpcr, fl)};
  if (t3 == Type::QNaN) return {true, process_nan(t3, c, n, fpcr, fl)};
  return {false, 0};
}

// Shifts right by s, collecting the bits shifted out into sticky.
KVRM_HD u64 shr_sticky(u64 x, int s, bool& sticky) {
  if (s <= 0) return x;
  if (s >= 64) {
    sticky |= x != 0;
    return 0;
  }
  sticky |= (x & ones(s)) != 0;
  return x >> s;
}

// FPRound (FPRoundBase) of the nonzero real (mant + a nonzero fraction below it if sticky) *
// 2^exp. `ahp` selects the alternative half-precision format (FPRoundCV only).
KVRM_FP_DECL u64 round(bool sign, int exp, u64 mant, bool sticky, int n, u32 fpcr, Rounding rm,
                       u32& fl);

// ---- exact intermediate arithmetic ----

// A 128-bit unsigned value.
struct U128 {
  u64 hi, lo;
};
KVRM_HD U128 shl128(U128 x, int s) {
  if (s <= 0) return x;
  if (s >= 128) return {0, 0};
  if (s >= 64) return {x.lo << (s - 64), 0};
  return {(x.hi << s) | (x.lo >> (64 - s)), x.lo << s};
}
// Shift right, OR-ing the bits shifted out into bit 0 (jamming).
KVRM_HD U128 shr128_jam(U128 x, int s) {
  if (s <= 0) return x;
  if (s >= 128) return {0, (x.hi | x.lo) != 0 ? u64{1} : u64{0}};
  U128 r;
  bool lost;
  if (s >= 64) {
    lost = x.lo != 0 || (s > 64 && (x.hi & ones(s - 64)) != 0);
    r = {0, s == 64 ? x.hi : x.hi >> (s - 64)};
  } else {
    lost = (x.lo & ones(s)) != 0;
    r = {x.hi >> s, (x.lo >> s) | (x.hi << (64 - s))};
  }
  r.lo |= lost ? 1 : 0;
  return r;
}
KVRM_HD bool lt128(U128 a, U128 b) { return a.hi < b.hi || (a.hi == b.hi && a.lo < b.lo); }
KVRM_HD U128 add128(U128 a, U128 b) {
  const u64 lo = a.lo + b.lo;
  return {a.hi + b.hi + (lo < a.lo ? 1 : 0), lo};
}
KVRM_HD U128 sub128(U128 a, U128 b) { return {a.hi - b.hi - (a.lo < b.lo ? 1 : 0), a.lo - b.lo}; }
KVRM_HD U128 mul64(u64 a, u64 b) { return {umulh64(a, b), a * b}; }

// An exact (or sticky-jammed) real: zero, or (mant [+ sticky]) * 2^exp with mant nonzero.
struct Real {
  bool zero;
  bool sign;
  int exp;
  u64 mant;
  bool sticky;
};
// The top 64 bits of a nonzero 128-bit value, the rest as sticky.
KVRM_HD Real real_from128(bool sign, U128 v, int exp) {
  if (v.hi == 0 && v.lo == 0) return {true, false, 0, 0, false};
  const int lz = v.hi != 0 ? clz64(v.hi) : 64 + clz64(v.lo);
  const U128 t = shl128(v, lz);
  // value = v * 2^exp = t * 2^(exp - lz) = t.hi * 2^(exp - lz + 64) + t.lo * ...
  return {false, sign, exp - lz + 64, t.hi, t.lo != 0};
}

// Sum of two signed terms a * 2^ea and b * 2^eb (a, b < 2^126 as U128), exact up to jamming.
KVRM_HD Real add_terms(bool sa, U128 a, int ea, bool sb, U128 b, int eb) {
  // Bring both to 2^126 scale headroom: normalise the top bit of each to bit 125.
  const bool za = a.hi == 0 && a.lo == 0, zb = b.hi == 0 && b.lo == 0;
  if (za && zb) return {true, false, 0, 0, false};
  if (za) return real_from128(sb, b, eb);
  if (zb) return real_from128(sa, a, ea);
  const int la = (a.hi != 0 ? clz64(a.hi) : 64 + clz64(a.lo)) - 2;
  const int lb = (b.hi != 0 ? clz64(b.hi) : 64 + clz64(b.lo)) - 2;
  a = la >= 0 ? shl128(a, la) : shr128_jam(a, -la);
  b = lb >= 0 ? shl128(b, lb) : shr128_jam(b, -lb);
  ea -= la;
  eb -= lb;
  int e;
  if (ea >= eb) {
    b = shr128_jam(b, ea - eb);
    e = ea;
  } else {
    a = shr128_jam(a, eb - ea);
    e = eb;
  }
  if (sa == sb) return real_from128(sa, add128(a, b), e);
  if (lt128(a, b)) return real_from128(sb, sub128(b, a), e);
  return real_from128(sa, sub128(a, b), e);
}

KVRM_HD U128 to128(u64 m) { return {0, m}; }

// The rounded result of a Real, or the exactly-zero result's sign per the rounding mode.
KVRM_HD u64 round_real(const Real& r, int n, u32 fpcr, Rounding rm, u32& fl) {
  if (r.zero) return zero(rm == Rounding::NegInf, n);
  return round(r.sign, r.exp, r.mant, r.sticky, n, fpcr, rm, fl);
}

// ---- operations (FPAdd ... ), N = 32 or 64 (16 where noted) ----

KVRM_FP_DECL u64 add_sub(u64 a, u64 b, bool subtract, int n, u32 fpcr, u32& fl);
KVRM_HD u64 add(u64 a, u64 b, int n, u32 fpcr, u32& fl) {
  return add_sub(a, b, false, n, fpcr, fl);
}
KVRM_HD u64 sub(u64 a, u64 b, int n, u32 fpcr, u32& fl) { return add_sub(a, b, true, n, fpcr, fl); }

// FPMul and FPMulX (inf * 0 = 2 with the product's sign).
KVRM_FP_DECL u64 mul_x(u64 a, u64 b, bool mulx, int n, u32 fpcr, u32& fl);
KVRM_HD u64 mul(u64 a, u64 b, int n, u32 fpcr, u32& fl) { return mul_x(a, b, false, n, fpcr, fl); }
KVRM_HD u64 mulx(u64 a, u64 b, int n, u32 fpcr, u32& fl) { return mul_x(a, b, true, n, fpcr, fl); }

KVRM_FP_DECL u64 div(u64 a, u64 b, int n, u32 fpcr, u32& fl);

KVRM_FP_DECL u64 sqrt(u64 a, int n, u32 fpcr, u32& fl);

// FPMulAdd: addend + op1 * op2 with one rounding. FRECPS/FRSQRTS use the unrounded core.
struct FmaCore {
  bool done;
  u64 value;
  Real r;
};
KVRM_HD Real fma_real(const Unpacked& c, const Unpacked& a, const Unpacked& b) {
  const bool sp = a.sign != b.sign;
  const U128 p = mul64(a.mant, b.mant);  // < 2^128, times 2^(ea + eb)
  if (c.type == Type::Zero) return real_from128(sp, p, a.exp + b.exp);
  return add_terms(c.sign, to128(c.mant), c.exp, sp, p, a.exp + b.exp);
}

KVRM_FP_DECL u64 muladd(u64 addend, u64 op1, u64 op2, int n, u32 fpcr, u32& fl);

// FPRecipStepFused (2 - op1 * op2) and FPRSqrtStepFused ((3 - op1 * op2) / 2).
KVRM_FP_DECL u64 step_fused(u64 op1, u64 op2, bool rsqrt, int n, u32 fpcr, u32& fl);
KVRM_HD u64 recip_step(u64 a, u64 b, int n, u32 fpcr, u32& fl) {
  return step_fused(a, b, false, n, fpcr, fl);
}
KVRM_HD u64 rsqrt_step(u64 a, u64 b, int n, u32 fpcr, u32& fl) {
  return step_fused(a, b, true, n, fpcr, fl);
}

// Compares two non-NaN unpacked values: -1, 0, 1.
KVRM_HD int compare_values(const Unpacked& x, const Unpacked& y) {
  const bool zx = x.type == Type::Zero, zy = y.type == Type::Zero;
  if (zx && zy) return 0;
  // Magnitude order: zero < finite < infinity.
  auto mag = [](const Unpacked& u, const Unpacked& v) -> int {
    const int ru = u.type == Type::Zero ? 0 : u.type == Type::Infinity ? 2 : 1;
    const int rv = v.type == Type::Zero ? 0 : v.type == Type::Infinity ? 2 : 1;
    if (ru != rv) return ru < rv ? -1 : 1;
    if (ru != 1) return 0;
    if (u.exp != v.exp) return u.exp < v.exp ? -1 : 1;
    if (u.mant != v.mant) return u.mant < v.mant ? -1 : 1;
    return 0;
  };
  const bool sx = zx ? false : x.sign, sy = zy ? false : y.sign;
  if (sx != sy) return sx ? -1 : 1;
  const int m = mag(x, y);
  return sx ? -m : m;
}

// FPMax / FPMin.
KVRM_FP_DECL u64 max_min(u64 a, u64 b, bool is_max, int n, u32 fpcr, u32& fl);
KVRM_HD u64 max(u64 a, u64 b, int n, u32 fpcr, u32& fl) { return max_min(a, b, true, n, fpcr, fl); }
KVRM_HD u64 min(u64 a, u64 b, int n, u32 fpcr, u32& fl) {
  return max_min(a, b, false, n, fpcr, fl);
}
// FPMaxNum / FPMinNum: one quiet NaN is replaced by -inf (max) or +inf (min).
KVRM_FP_DECL u64 max_min_num(u64 a, u64 b, bool is_max, int n, u32 fpcr, u32& fl);
KVRM_HD u64 maxnum(u64 a, u64 b, int n, u32 fpcr, u32& fl) {
  return max_min_num(a, b, true, n, fpcr, fl);
}
KVRM_HD u64 minnum(u64 a, u64 b, int n, u32 fpcr, u32& fl) {
  return max_min_num(a, b, false, n, fpcr, fl);
}

// FPCompare: NZCV in bits 31..28.
KVRM_FP_DECL u32 compare(u64 a, u64 b, bool signal_nans, int n, u32 fpcr, u32& fl);
// FPCompareEQ / GE / GT.
KVRM_FP_DECL bool compare_eq(u64 a, u64 b, int n, u32 fpcr, u32& fl);
KVRM_FP_DECL bool compare_ge_gt(u64 a, u64 b, bool gt, int n, u32 fpcr, u32& fl);

// The integer part of |value| * 2^shift (value = mant * 2^exp) rounded per rm and sign, with the
// fraction's inexactness; `big` when the magnitude reaches 2^64 (saturates anything).
struct IntPart {
  u64 mag;
  bool inexact;
  bool big;
};
KVRM_HD IntPart round_to_integer(bool sign, int exp, u64 mant, Rounding rm) {
  if (exp > 0) return {0, false, true};  // mant has bit 63 set: >= 2^64
  if (exp == 0) return {mant, false, false};
  u64 ip, frac;
  int fb = -exp;  // fraction bits
  bool sticky = false;
  if (fb >= 64) {
    ip = 0;
    // frac: the top 64 bits of the fraction, the rest sticky.
    frac = shr_sticky(mant, fb - 64, sticky);
  } else {
    ip = mant >> fb;
    frac = mant << (64 - fb);
  }
  const u64 half = u64{1} << 63;
  const bool inexact = frac != 0 || sticky;
  const bool gt_half = frac > half || (frac == half && sticky);
  const bool eq_half = frac == half && !sticky;
  bool up = false;
  switch (rm) {
    case Rounding::TieEven: up = gt_half || (eq_half && (ip & 1)); break;
    case Rounding::TieAway: up = gt_half || eq_half; break;
    case Rounding::PosInf: up = inexact && !sign; break;
    case Rounding::NegInf: up = inexact && sign; break;
    case Rounding::Zero:
    case Rounding::Odd: break;
  }
  if (up) {
    if (ip == ~u64{0}) return {0, true, true};
    ++ip;
  }
  return {ip, inexact, false};
}

// FPRoundInt (exact: FRINTX raises Inexact).
KVRM_FP_DECL u64 round_int(u64 a, int n, u32 fpcr, Rounding rm, bool exact, u32& fl);

// FPToFixed: to an M-bit (32 or 64) signed or unsigned integer with fbits fraction bits.
KVRM_FP_DECL u64 to_fixed(u64 a, int n, int frac_bits, bool is_unsigned, int m, u32 fpcr,
                          Rounding rm, u32& fl);

// FixedToFP: an M-bit integer with fbits fraction bits, to N bits.
KVRM_FP_DECL u64 from_fixed(u64 v, int m, int frac_bits, bool is_unsigned, int n, u32 fpcr,
                            Rounding rm, u32& fl);

// FPConvertNaN.
KVRM_HD u64 convert_nan(u64 a, int n, int m) {
  const bool sign = (a >> (n - 1)) & 1;
  u64 frac;  // 51 bits below the quiet bit, left-aligned
  if (n == 64) {
    frac = a & ones(51);
  } else if (n == 32) {
    frac = (a & ones(22)) << 29;
  } else {
    frac = (a & ones(9)) << 42;
  }
  const int F = fbits(m);
  return zero(sign, m) | (ones(ebits(m) + 1) << (F - 1)) | (frac >> (52 - F));
}

// FPConvert from N to M bits (16, 32, 64); FPCR.AHP applies to half precision.
KVRM_FP_DECL u64 convert(u64 a, int n, int m, u32 fpcr, Rounding rm, u32& fl);

// RecipEstimate and RecipSqrtEstimate (the Arm ARM's integer algorithms).
KVRM_HD constexpr u32 recip_estimate(u32 a) {
  a = a * 2 + 1;
  const u32 b = (1u << 19) / a;
  return (b + 1) / 2;
}
KVRM_HD constexpr u32 recip_sqrt_estimate(u32 a) {
  if (a < 256) {
    a = a * 2 + 1;
  } else {
    a = (a >> 1) << 1;
    a = (a + 1) * 2;
  }
  // The largest b in [512, 1024) with a * (b + 1)^2 < 2^28 (b starts at 512).
  u32 lo = 512, hi = 1023;
  while (lo < hi) {
    const u32 mid = (lo + hi + 1) / 2;
    if (static_cast<u64>(a) * mid * mid < (u64{1} << 28)) {
      lo = mid;
    } else {
      hi = mid - 1;
    }
  }
  // The pseudocode's loop stops at b = max(512, largest c with a * c^2 < 2^28) = lo.
  return (lo + 1) / 2;
}

// FPRecipEstimate (N = 32, 64).
KVRM_FP_DECL u64 recip_estimate_fp(u64 op, int n, u32 fpcr, u32& fl);

// FPRSqrtEstimate (N = 32, 64).
KVRM_FP_DECL u64 rsqrt_estimate_fp(u64 op, int n, u32 fpcr, u32& fl);

// FPRecpX.
KVRM_FP_DECL u64 recpx(u64 op, int n, u32 fpcr, u32& fl);

// UnsignedRecipEstimate / UnsignedRSqrtEstimate on a 32-bit element.
KVRM_HD u32 unsigned_recip_estimate(u32 op) {
  if (((op >> 31) & 1) == 0) return 0xffffffffu;
  return (recip_estimate(op >> 23) & 0x1ff) << 23;
}
KVRM_HD u32 unsigned_rsqrt_estimate(u32 op) {
  if ((op >> 30) == 0) return 0xffffffffu;
  return (recip_sqrt_estimate(op >> 23) & 0x1ff) << 23;
}

// VFPExpandImm: the 8-bit FMOV immediate to an N-bit value.
KVRM_HD constexpr u64 expand_imm(u32 imm8, int n) {
  const int E = ebits(n), F = fbits(n);
  const u64 sign = (imm8 >> 7) & 1;
  const u64 b6 = (imm8 >> 6) & 1;
  // exp = NOT(imm8<6>) : Replicate(imm8<6>, E-3) : imm8<5:4>
  const u64 exp = ((b6 ^ 1) << (E - 1)) | ((b6 ? ones(E - 3) : 0) << 2) | ((imm8 >> 4) & 3);
  const u64 frac = static_cast<u64>(imm8 & 0xf) << (F - 4);
  return (sign << (n - 1)) | (exp << F) | frac;
}

}  // namespace kvrm::fp

#if !defined(__CUDACC_RTC__)
#include "isa/fp/softfloat_ops.hpp"
#endif

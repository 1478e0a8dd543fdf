// kvrm's soft-float: the Arm ARM's shared floating-point pseudocode (J1: FPUnpack, FPProcessNaN(s),
// FPRound, FPAdd ... FPRSqrtStepFused) on raw bit patterns of 16, 32 or 64 bits, in integer
// arithmetic only, so that host and device give the same bits. Every function takes the FPCR and
// ORs the FPSR cumulative flags it raises into `fl`. FPCR.AH (FEAT_AFP) is taken as 0.
#pragma once

#include "isa/hd.hpp"

// The larger primitives are compiled once rather than inlined into every handler on the device
// (KVRM_HD force-inlines there), which keeps the CUDA engine's dispatch function small.
#if defined(__CUDACC__)
#define KVRM_FP_HD __host__ __device__ __noinline__ inline
#else
#define KVRM_FP_HD inline
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
KVRM_FP_HD u64 round(bool sign, int exp, u64 mant, bool sticky, int n, u32 fpcr, Rounding rm,
                     u32& fl) {
  const int E = ebits(n), F = fbits(n);
  const int lz = clz64(mant);
  mant <<= lz;
  const int exponent = exp - lz + 63;  // value = 1.xxx * 2^exponent
  const int min_exp = 2 - (1 << (E - 1));
  const bool fz = n == 16 ? (fpcr & kFZ16) != 0 : (fpcr & kFZ) != 0;
  if (fz && exponent < min_exp) {
    fl |= UFC;
    return zero(sign, n);
  }
  int biased = exponent - min_exp + 1;
  if (biased <= 0) {
    mant = shr_sticky(mant, 1 - biased, sticky);
    biased = 0;
  }
  const int gs = 63 - F;
  u64 int_mant = mant >> gs;
  const u64 rem = mant & ones(gs);
  const u64 half = u64{1} << (gs - 1);
  bool inexact = rem != 0 || sticky;
  const bool gt_half = rem > half || (rem == half && sticky);
  const bool eq_half = rem == half && !sticky;
  if (biased == 0 && inexact) fl |= UFC;
  bool round_up = false, overflow_to_inf = false;
  switch (rm) {
    case Rounding::TieEven:
    case Rounding::TieAway:  // not an FPCR mode; FPRound is never asked for it
      round_up = gt_half || (eq_half && (int_mant & 1));
      overflow_to_inf = true;
      break;
    case Rounding::PosInf:
      round_up = inexact && !sign;
      overflow_to_inf = !sign;
      break;
    case Rounding::NegInf:
      round_up = inexact && sign;
      overflow_to_inf = sign;
      break;
    case Rounding::Zero:
    case Rounding::Odd: break;
  }
  if (round_up) {
    ++int_mant;
    if (int_mant == (u64{1} << F)) biased = 1;
    if (int_mant == (u64{1} << (F + 1))) {
      ++biased;
      int_mant >>= 1;
    }
  }
  if (inexact && rm == Rounding::Odd) int_mant |= 1;
  u64 result;
  if (n != 16 || !(fpcr & kAHP)) {
    if (biased >= (1 << E) - 1) {
      result = overflow_to_inf ? infinity(sign, n) : max_normal(sign, n);
      fl |= OFC;
      inexact = true;
    } else {
      result = zero(sign, n) | (static_cast<u64>(biased) << F) | (int_mant & ones(F));
    }
  } else {
    if (biased >= (1 << E)) {
      result = zero(sign, n) | ones(n - 1);
      fl |= IOC;
      inexact = false;
    } else {
      result = zero(sign, n) | (static_cast<u64>(biased) << F) | (int_mant & ones(F));
    }
  }
  if (inexact) fl |= IXC;
  return result;
}

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

KVRM_FP_HD u64 add_sub(u64 a, u64 b, bool subtract, int n, u32 fpcr, u32& fl) {
  fpcr &= ~kAHP;
  const Unpacked x = unpack(a, n, fpcr, fl), y = unpack(b, n, fpcr, fl);
  const NaNResult nr = process_nans(x.type, y.type, a, b, n, fpcr, fl);
  if (nr.done) return nr.value;
  const bool s2 = y.sign != subtract;
  const bool inf1 = x.type == Type::Infinity, inf2 = y.type == Type::Infinity;
  const bool zero1 = x.type == Type::Zero, zero2 = y.type == Type::Zero;
  if (inf1 && inf2 && x.sign != s2) {
    fl |= IOC;
    return default_nan(n);
  }
  if ((inf1 && !x.sign) || (inf2 && !s2)) return infinity(false, n);
  if ((inf1 && x.sign) || (inf2 && s2)) return infinity(true, n);
  if (zero1 && zero2 && x.sign == s2) return zero(x.sign, n);
  const Real r = add_terms(x.sign, to128(x.mant), x.exp, s2, to128(y.mant), y.exp);
  return round_real(r, n, fpcr, fpcr_rounding(fpcr), fl);
}
KVRM_HD u64 add(u64 a, u64 b, int n, u32 fpcr, u32& fl) {
  return add_sub(a, b, false, n, fpcr, fl);
}
KVRM_HD u64 sub(u64 a, u64 b, int n, u32 fpcr, u32& fl) { return add_sub(a, b, true, n, fpcr, fl); }

// FPMul and FPMulX (inf * 0 = 2 with the product's sign).
KVRM_FP_HD u64 mul_x(u64 a, u64 b, bool mulx, int n, u32 fpcr, u32& fl) {
  fpcr &= ~kAHP;
  const Unpacked x = unpack(a, n, fpcr, fl), y = unpack(b, n, fpcr, fl);
  const NaNResult nr = process_nans(x.type, y.type, a, b, n, fpcr, fl);
  if (nr.done) return nr.value;
  const bool inf1 = x.type == Type::Infinity, inf2 = y.type == Type::Infinity;
  const bool zero1 = x.type == Type::Zero, zero2 = y.type == Type::Zero;
  const bool s = x.sign != y.sign;
  if ((inf1 && zero2) || (zero1 && inf2)) {
    if (mulx) return two(s, n);
    fl |= IOC;
    return default_nan(n);
  }
  if (inf1 || inf2) return infinity(s, n);
  if (zero1 || zero2) return zero(s, n);
  const Real r = real_from128(s, mul64(x.mant, y.mant), x.exp + y.exp);
  return round_real(r, n, fpcr, fpcr_rounding(fpcr), fl);
}
KVRM_HD u64 mul(u64 a, u64 b, int n, u32 fpcr, u32& fl) { return mul_x(a, b, false, n, fpcr, fl); }
KVRM_HD u64 mulx(u64 a, u64 b, int n, u32 fpcr, u32& fl) { return mul_x(a, b, true, n, fpcr, fl); }

KVRM_FP_HD u64 div(u64 a, u64 b, int n, u32 fpcr, u32& fl) {
  fpcr &= ~kAHP;
  const Unpacked x = unpack(a, n, fpcr, fl), y = unpack(b, n, fpcr, fl);
  const NaNResult nr = process_nans(x.type, y.type, a, b, n, fpcr, fl);
  if (nr.done) return nr.value;
  const bool inf1 = x.type == Type::Infinity, inf2 = y.type == Type::Infinity;
  const bool zero1 = x.type == Type::Zero, zero2 = y.type == Type::Zero;
  const bool s = x.sign != y.sign;
  if ((inf1 && inf2) || (zero1 && zero2)) {
    fl |= IOC;
    return default_nan(n);
  }
  if (inf1 || zero2) {
    if (!inf1) fl |= DZC;
    return infinity(s, n);
  }
  if (zero1 || inf2) return zero(s, n);
  // Restoring division of the 53-bit significands: 64 quotient bits and a sticky remainder.
  const u64 num = x.mant >> 11, den = y.mant >> 11;
  u64 rem = num, q = 0;
  for (int k = 0; k < 64; ++k) {
    q <<= 1;
    if (rem >= den) {
      rem -= den;
      q |= 1;
    }
    rem <<= 1;
  }
  // num/den = q * 2^-63 (+ rem); value = num/den * 2^(ex - ey)
  return round(s, x.exp - y.exp - 63, q, rem != 0, n, fpcr, fpcr_rounding(fpcr), fl);
}

KVRM_FP_HD u64 sqrt(u64 a, int n, u32 fpcr, u32& fl) {
  fpcr &= ~kAHP;
  const Unpacked x = unpack(a, n, fpcr, fl);
  if (is_nan(x.type)) return process_nan(x.type, a, n, fpcr, fl);
  if (x.type == Type::Zero) return zero(x.sign, n);
  if (x.type == Type::Infinity && !x.sign) return infinity(false, n);
  if (x.sign) {
    fl |= IOC;
    return default_nan(n);
  }
  // value = m * 2^e with m the 53-bit significand; make e even, then take the integer square
  // root of m * 2^(2k) to 62 bits, two radicand bits per step.
  u64 m = x.mant >> 11;
  int e = x.exp + 11;
  if (e & 1) {
    m <<= 1;
    e -= 1;
  }
  // m < 2^55: as 28 bit pairs (56 bits) followed by 32 zero pairs: radicand = m * 2^64; the
  // remainder stays below 2^61, the root below 2^60.
  u64 res = 0, rem = 0;
  for (int k = 0; k < 60; ++k) {
    const int pos = 27 - k;  // bit pair index in m
    const u64 pair = pos >= 0 ? (m >> (2 * pos)) & 3 : 0;
    rem = (rem << 2) | pair;
    const u64 trial = (res << 2) | 1;
    if (rem >= trial) {
      rem -= trial;
      res = (res << 1) | 1;
    } else {
      res <<= 1;
    }
  }
  // sqrt(m * 2^e) = sqrt(m * 2^64) * 2^(e/2 - 32)
  return round(false, e / 2 - 32, res, rem != 0, n, fpcr, fpcr_rounding(fpcr), fl);
}

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

KVRM_FP_HD u64 muladd(u64 addend, u64 op1, u64 op2, int n, u32 fpcr, u32& fl) {
  fpcr &= ~kAHP;
  const Rounding rm = fpcr_rounding(fpcr);
  const Unpacked c = unpack(addend, n, fpcr, fl), a = unpack(op1, n, fpcr, fl),
                 b = unpack(op2, n, fpcr, fl);
  const bool inf1 = c.type == Type::Infinity, inf2 = a.type == Type::Infinity,
             inf3 = b.type == Type::Infinity;
  const bool zero1 = c.type == Type::Zero, zero2 = a.type == Type::Zero,
             zero3 = b.type == Type::Zero;
  NaNResult nr = process_nans3(c.type, a.type, b.type, addend, op1, op2, n, fpcr, fl);
  if (c.type == Type::QNaN && ((inf2 && zero3) || (zero2 && inf3))) {
    nr.value = default_nan(n);
    fl |= IOC;
  }
  if (nr.done) return nr.value;
  const bool infp = inf2 || inf3, zerop = zero2 || zero3;
  const bool sp = a.sign != b.sign;
  if ((inf2 && zero3) || (zero2 && inf3) || (inf1 && infp && c.sign != sp)) {
    fl |= IOC;
    return default_nan(n);
  }
  if ((inf1 && !c.sign) || (infp && !sp)) return infinity(false, n);
  if ((inf1 && c.sign) || (infp && sp)) return infinity(true, n);
  if (zero1 && zerop && c.sign == sp) return zero(c.sign, n);
  Real r;
  if (zerop) {
    r = {zero1, c.sign, c.exp, c.mant, false};  // the addend alone (or an exact zero)
  } else {
    r = fma_real(c, a, b);
  }
  return round_real(r, n, fpcr, rm, fl);
}

// FPRecipStepFused (2 - op1 * op2) and FPRSqrtStepFused ((3 - op1 * op2) / 2).
KVRM_FP_HD u64 step_fused(u64 op1, u64 op2, bool rsqrt, int n, u32 fpcr, u32& fl) {
  fpcr &= ~kAHP;
  op1 = neg(op1, n);
  const Unpacked a = unpack(op1, n, fpcr, fl), b = unpack(op2, n, fpcr, fl);
  const NaNResult nr = process_nans(a.type, b.type, op1, op2, n, fpcr, fl);
  if (nr.done) return nr.value;
  const bool inf1 = a.type == Type::Infinity, inf2 = b.type == Type::Infinity;
  const bool zero1 = a.type == Type::Zero, zero2 = b.type == Type::Zero;
  if ((inf1 && zero2) || (zero1 && inf2)) {
    return rsqrt ? one_point_five(false, n) : two(false, n);
  }
  if (inf1 || inf2) return infinity(a.sign != b.sign, n);
  // The constant 2.0 or 3.0 as an unpacked value.
  const Unpacked k = {Type::Nonzero, false, -62, rsqrt ? (u64{3} << 62) : (u64{1} << 63)};
  Real r;
  if (zero1 || zero2) {
    r = {false, false, k.exp, k.mant, false};
  } else {
    r = fma_real(k, a, b);
  }
  if (rsqrt && !r.zero) r.exp -= 1;
  return round_real(r, n, fpcr, fpcr_rounding(fpcr), fl);
}
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
KVRM_FP_HD u64 max_min(u64 a, u64 b, bool is_max, int n, u32 fpcr, u32& fl) {
  fpcr &= ~kAHP;
  const Unpacked x = unpack(a, n, fpcr, fl), y = unpack(b, n, fpcr, fl);
  const NaNResult nr = process_nans(x.type, y.type, a, b, n, fpcr, fl);
  if (nr.done) return nr.value;
  const int cmp = compare_values(x, y);
  const bool first = is_max ? cmp > 0 : cmp < 0;
  const Unpacked& w = first ? x : y;
  const u64 wb = first ? a : b;
  if (w.type == Type::Infinity) return infinity(w.sign, n);
  if (w.type == Type::Zero) return zero(is_max ? (x.sign && y.sign) : (x.sign || y.sign), n);
  // FPRound of an operand's own value reproduces its bits (a denormal is exact, flags none).
  return wb;
}
KVRM_HD u64 max(u64 a, u64 b, int n, u32 fpcr, u32& fl) { return max_min(a, b, true, n, fpcr, fl); }
KVRM_HD u64 min(u64 a, u64 b, int n, u32 fpcr, u32& fl) {
  return max_min(a, b, false, n, fpcr, fl);
}
// FPMaxNum / FPMinNum: one quiet NaN is replaced by -inf (max) or +inf (min).
KVRM_FP_HD u64 max_min_num(u64 a, u64 b, bool is_max, int n, u32 fpcr, u32& fl) {
  u32 dummy = 0;
  const Type t1 = unpack(a, n, fpcr & ~kAHP, dummy).type;
  const Type t2 = unpack(b, n, fpcr & ~kAHP, dummy).type;
  if (t1 == Type::QNaN && t2 != Type::QNaN) {
    a = infinity(is_max, n);
  } else if (t1 != Type::QNaN && t2 == Type::QNaN) {
    b = infinity(is_max, n);
  }
  return max_min(a, b, is_max, n, fpcr, fl);
}
KVRM_HD u64 maxnum(u64 a, u64 b, int n, u32 fpcr, u32& fl) {
  return max_min_num(a, b, true, n, fpcr, fl);
}
KVRM_HD u64 minnum(u64 a, u64 b, int n, u32 fpcr, u32& fl) {
  return max_min_num(a, b, false, n, fpcr, fl);
}

// FPCompare: NZCV in bits 31..28.
KVRM_FP_HD u32 compare(u64 a, u64 b, bool signal_nans, int n, u32 fpcr, u32& fl) {
  fpcr &= ~kAHP;
  const Unpacked x = unpack(a, n, fpcr, fl), y = unpack(b, n, fpcr, fl);
  if (is_nan(x.type) || is_nan(y.type)) {
    if (x.type == Type::SNaN || y.type == Type::SNaN || signal_nans) fl |= IOC;
    return 0x3u << 28;
  }
  const int cmp = compare_values(x, y);
  return cmp == 0 ? 0x6u << 28 : cmp < 0 ? 0x8u << 28 : 0x2u << 28;
}
// FPCompareEQ / GE / GT.
KVRM_FP_HD bool compare_eq(u64 a, u64 b, int n, u32 fpcr, u32& fl) {
  fpcr &= ~kAHP;
  const Unpacked x = unpack(a, n, fpcr, fl), y = unpack(b, n, fpcr, fl);
  if (is_nan(x.type) || is_nan(y.type)) {
    if (x.type == Type::SNaN || y.type == Type::SNaN) fl |= IOC;
    return false;
  }
  return compare_values(x, y) == 0;
}
KVRM_FP_HD bool compare_ge_gt(u64 a, u64 b, bool gt, int n, u32 fpcr, u32& fl) {
  fpcr &= ~kAHP;
  const Unpacked x = unpack(a, n, fpcr, fl), y = unpack(b, n, fpcr, fl);
  if (is_nan(x.type) || is_nan(y.type)) {
    fl |= IOC;
    return false;
  }
  const int cmp = compare_values(x, y);
  return gt ? cmp > 0 : cmp >= 0;
}

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
KVRM_FP_HD u64 round_int(u64 a, int n, u32 fpcr, Rounding rm, bool exact, u32& fl) {
  fpcr &= ~kAHP;
  const Unpacked x = unpack(a, n, fpcr, fl);
  if (is_nan(x.type)) return process_nan(x.type, a, n, fpcr, fl);
  if (x.type == Type::Infinity) return infinity(x.sign, n);
  if (x.type == Type::Zero) return zero(x.sign, n);
  const IntPart ip = round_to_integer(x.sign, x.exp, x.mant, rm);
  u64 result;
  if (ip.big) {
    result = a;  // |value| >= 2^63: already an integer
  } else if (ip.mag == 0) {
    result = zero(x.sign, n);
  } else {
    result = round(x.sign, 0, ip.mag, false, n, fpcr, Rounding::Zero, fl);
  }
  if (ip.inexact && exact) fl |= IXC;
  return result;
}

// FPToFixed: to an M-bit (32 or 64) signed or unsigned integer with fbits fraction bits.
KVRM_FP_HD u64 to_fixed(u64 a, int n, int frac_bits, bool is_unsigned, int m, u32 fpcr, Rounding rm,
                        u32& fl) {
  fpcr &= ~kAHP;
  const Unpacked x = unpack(a, n, fpcr, fl);
  if (is_nan(x.type)) {
    fl |= IOC;
    return 0;
  }
  IntPart ip{0, false, false};
  if (x.type == Type::Infinity) {
    ip.big = true;
  } else if (x.type == Type::Nonzero) {
    ip = round_to_integer(x.sign, x.exp + frac_bits, x.mant, rm);
  }
  // Saturate (SatQ).
  const u64 limit_pos = is_unsigned ? ones(m) : ones(m - 1);  // largest positive magnitude
  const u64 limit_neg = is_unsigned ? 0 : u64{1} << (m - 1);  // largest negative magnitude
  bool overflow;
  u64 result;
  if (!x.sign) {
    overflow = ip.big || ip.mag > limit_pos;
    result = overflow ? limit_pos : ip.mag;
  } else if (!ip.big && ip.mag == 0) {
    overflow = false;
    result = 0;
  } else {
    overflow = ip.big || ip.mag > limit_neg;
    result = (u64{0} - (overflow ? limit_neg : ip.mag)) & ones(m);
  }
  if (overflow) {
    fl |= IOC;
  } else if (ip.inexact) {
    fl |= IXC;
  }
  return result;
}

// FixedToFP: an M-bit integer with fbits fraction bits, to N bits.
KVRM_FP_HD u64 from_fixed(u64 v, int m, int frac_bits, bool is_unsigned, int n, u32 fpcr,
                          Rounding rm, u32& fl) {
  fpcr &= ~kAHP;
  v &= ones(m);
  bool sign = false;
  if (!is_unsigned && ((v >> (m - 1)) & 1)) {
    sign = true;
    v = (u64{0} - v) & ones(m);
  }
  if (v == 0) return zero(false, n);
  return round(sign, -frac_bits, v, false, n, fpcr, rm, fl);
}

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
KVRM_FP_HD u64 convert(u64 a, int n, int m, u32 fpcr, Rounding rm, u32& fl) {
  fpcr &= ~kFZ16;  // FPUnpackCV / FPRoundCV
  const Unpacked x = unpack(a, n, fpcr, fl);
  const bool alt_hp = m == 16 && (fpcr & kAHP);
  if (is_nan(x.type)) {
    u64 r;
    if (alt_hp) {
      r = zero(x.sign, m);
    } else if (fpcr & kDN) {
      r = default_nan(m);
    } else {
      r = convert_nan(a, n, m);
    }
    if (x.type == Type::SNaN || alt_hp) fl |= IOC;
    return r;
  }
  if (x.type == Type::Infinity) {
    if (alt_hp) {
      fl |= IOC;
      return zero(x.sign, m) | ones(m - 1);
    }
    return infinity(x.sign, m);
  }
  if (x.type == Type::Zero) return zero(x.sign, m);
  return round(x.sign, x.exp, x.mant, false, m, fpcr, rm, fl);
}

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
KVRM_FP_HD u64 recip_estimate_fp(u64 op, int n, u32 fpcr, u32& fl) {
  fpcr &= ~kAHP;
  const Unpacked x = unpack(op, n, fpcr, fl);
  if (is_nan(x.type)) return process_nan(x.type, op, n, fpcr, fl);
  if (x.type == Type::Infinity) return zero(x.sign, n);
  if (x.type == Type::Zero) {
    fl |= DZC;
    return infinity(x.sign, n);
  }
  // |value| = 1.xxx * 2^(exp + 63)
  const int e2 = x.exp + 63;
  const int tiny = n == 32 ? -128 : -1024;
  if (e2 < tiny) {
    const Rounding rm = fpcr_rounding(fpcr);
    const bool to_inf = rm == Rounding::TieEven || (rm == Rounding::PosInf && !x.sign) ||
                        (rm == Rounding::NegInf && x.sign);
    fl |= OFC | IXC;
    return to_inf ? infinity(x.sign, n) : max_normal(x.sign, n);
  }
  if ((fpcr & kFZ) && e2 >= (n == 32 ? 126 : 1022)) {
    fl |= UFC;
    return zero(x.sign, n);
  }
  u64 fraction;
  int exp;
  if (n == 32) {
    fraction = (op & ones(23)) << 29;
    exp = static_cast<int>((op >> 23) & 0xff);
  } else {
    fraction = op & ones(52);
    exp = static_cast<int>((op >> 52) & 0x7ff);
  }
  if (exp == 0) {
    if (((fraction >> 51) & 1) == 0) {
      exp = -1;
      fraction = (fraction << 2) & ones(52);
    } else {
      fraction = (fraction << 1) & ones(52);
    }
  }
  const u32 scaled = static_cast<u32>(0x100 | (fraction >> 44));
  int result_exp = (n == 32 ? 253 : 2045) - exp;
  const u32 estimate = recip_estimate(scaled);
  fraction = static_cast<u64>(estimate & 0xff) << 44;
  if (result_exp == 0) {
    fraction = (u64{1} << 51) | (fraction >> 1);
  } else if (result_exp == -1) {
    fraction = (u64{1} << 50) | (fraction >> 2);
    result_exp = 0;
  }
  const int F = fbits(n);
  return zero(x.sign, n) | (static_cast<u64>(result_exp) << F) | (fraction >> (52 - F));
}

// FPRSqrtEstimate (N = 32, 64).
KVRM_FP_HD u64 rsqrt_estimate_fp(u64 op, int n, u32 fpcr, u32& fl) {
  fpcr &= ~kAHP;
  const Unpacked x = unpack(op, n, fpcr, fl);
  if (is_nan(x.type)) return process_nan(x.type, op, n, fpcr, fl);
  if (x.type == Type::Zero) {
    fl |= DZC;
    return infinity(x.sign, n);
  }
  if (x.sign) {
    fl |= IOC;
    return default_nan(n);
  }
  if (x.type == Type::Infinity) return zero(false, n);
  u64 fraction;
  int exp;
  if (n == 32) {
    fraction = (op & ones(23)) << 29;
    exp = static_cast<int>((op >> 23) & 0xff);
  } else {
    fraction = op & ones(52);
    exp = static_cast<int>((op >> 52) & 0x7ff);
  }
  if (exp == 0) {
    while (((fraction >> 51) & 1) == 0) {
      fraction = (fraction << 1) & ones(52);
      --exp;
    }
    fraction = (fraction << 1) & ones(52);
  }
  const u32 scaled = (exp & 1) == 0 ? static_cast<u32>(0x100 | (fraction >> 44))
                                    : static_cast<u32>(0x80 | (fraction >> 45));
  const int num = (n == 32 ? 380 : 3068) - exp;  // positive
  const int result_exp = num / 2;
  const u32 estimate = recip_sqrt_estimate(scaled);
  const int F = fbits(n);
  return (static_cast<u64>(result_exp) << F) | (static_cast<u64>(estimate & 0xff) << (F - 8));
}

// FPRecpX.
KVRM_FP_HD u64 recpx(u64 op, int n, u32 fpcr, u32& fl) {
  fpcr &= ~kAHP;
  const Unpacked x = unpack(op, n, fpcr, fl);
  if (is_nan(x.type)) return process_nan(x.type, op, n, fpcr, fl);
  const int E = ebits(n), F = fbits(n);
  const u64 exp = (op >> F) & ones(E);
  const u64 r_exp = exp == 0 ? ones(E) - 1 : (~exp & ones(E));
  return zero(x.sign, n) | (r_exp << F);
}

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

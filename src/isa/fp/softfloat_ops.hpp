// The larger soft-float operations declared in softfloat.hpp (KVRM_FP_DECL): FPRound, FPAdd,
// FPMul, FPDiv, FPSqrt, FPMulAdd, the fused steps, max/min, compares, FPRoundInt, the fixed-point
// and format conversions and the estimates, each following its pseudocode in the Arm ARM (J1).
// Included at the end of softfloat.hpp, except in translated guest code, which links to kvrm's
// device library's copies instead.
#pragma once

#include "isa/fp/softfloat.hpp"

namespace kvrm::fp {

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

// The reciprocal estimates' view of a single or double operand: its fraction in the 52 bits
// of a double's, and its biased exponent.
struct EstimateFields {
  u64 fraction;
  int exp;
};
KVRM_HD EstimateFields estimate_fields(u64 op, int n) {
  if (n == 32) return {(op & ones(23)) << 29, static_cast<int>((op >> 23) & 0xff)};
  return {op & ones(52), static_cast<int>((op >> 52) & 0x7ff)};
}

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
  auto [fraction, exp] = estimate_fields(op, n);
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
  auto [fraction, exp] = estimate_fields(op, n);
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

KVRM_FP_HD u64 recpx(u64 op, int n, u32 fpcr, u32& fl) {
  fpcr &= ~kAHP;
  const Unpacked x = unpack(op, n, fpcr, fl);
  if (is_nan(x.type)) return process_nan(x.type, op, n, fpcr, fl);
  const int E = ebits(n), F = fbits(n);
  const u64 exp = (op >> F) & ones(E);
  const u64 r_exp = exp == 0 ? ones(E) - 1 : (~exp & ones(E));
  return zero(x.sign, n) | (r_exp << F);
}

}  // namespace kvrm::fp

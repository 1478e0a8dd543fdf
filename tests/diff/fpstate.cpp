#include "fpstate.hpp"

#include "isa/sysregs.hpp"

namespace kvrm::diff {
namespace {

int msb128(u128 n) {
  int m = 0;
  while (n >>= 1) ++m;
  return m;
}

u64 lane_mask(int bits) { return bits >= 64 ? ~u64{0} : (u64{1} << bits) - 1; }

// A fraction whose low bits end in a rounding pattern at a random position p: exactly half an
// ulp of the p-bit-shorter format (a tie), just below, just above, zero, or all ones. The
// positions where the narrower formats cut are favoured (double -> single: 29 bits, -> half: 42;
// single -> half: 13), and position mbits - e for rounding to integral at exponent e.
u64 tie_fraction(Rng& rng, const FpFormat& f, int* p_out = nullptr) {
  int p;
  switch (rng.below(4)) {
    case 0: p = f.mbits - kSingle.mbits; break;
    case 1: p = f.mbits - kHalf.mbits; break;
    default: p = static_cast<int>(rng.range(1, f.mbits)); break;
  }
  if (p < 1) p = static_cast<int>(rng.range(1, f.mbits));
  if (p_out) *p_out = p;
  const u64 half = u64{1} << (p - 1);
  const u64 low_mask = (p >= 64 ? ~u64{0} : (u64{1} << p) - 1);
  u64 low;
  switch (rng.below(5)) {
    case 0: low = half; break;
    case 1: low = half - 1; break;
    case 2: low = half + 1; break;
    case 3: low = 0; break;
    default: low = low_mask; break;
  }
  return ((rng.next() & ~low_mask) | (low & low_mask)) & f.fraction_mask();
}

}  // namespace

const FpFormat& fp_format(int bits) { return bits == 16 ? kHalf : bits == 32 ? kSingle : kDouble; }

u64 fp_pack(const FpFormat& f, bool negative, u64 exponent, u64 fraction) {
  return (negative ? f.sign_bit() : 0) | ((exponent & f.emax_field()) << f.mbits) |
         (fraction & f.fraction_mask());
}

u64 fp_from_scaled(const FpFormat& f, bool negative, u128 n, int scale) {
  if (n == 0) return fp_pack(f, negative, 0, 0);
  const int m = msb128(n);
  const int biased = m - scale + f.bias();
  if (biased >= static_cast<int>(f.emax_field())) return fp_pack(f, negative, f.emax_field(), 0);
  if (biased <= 0) {
    // Denormal: n * 2^-scale = fraction * 2^(1 - bias - mbits).
    const int shift = f.bias() + f.mbits - 1 - scale;
    u128 fraction;
    if (shift >= 0) {
      fraction = shift >= 127 ? 0 : n << shift;
    } else {
      fraction = -shift >= 128 ? 0 : n >> -shift;
    }
    return fp_pack(f, negative, 0, static_cast<u64>(fraction));
  }
  const u128 aligned = m > f.mbits ? n >> (m - f.mbits) : n << (f.mbits - m);
  return fp_pack(f, negative, static_cast<u64>(biased), static_cast<u64>(aligned));
}

u64 fp_lane(Rng& rng, int bits) {
  const FpFormat& f = fp_format(bits);
  const bool neg = rng.chance(50);
  const u64 frac = rng.next() & f.fraction_mask();
  const u64 top = u64{1} << (f.mbits - 1);  // the quiet bit of a NaN
  const u64 emax = f.emax_field();
  switch (rng.below(20)) {
    case 0: return fp_pack(f, neg, 0, 0);                                     // +-0
    case 1: return fp_pack(f, neg, emax, 0);                                  // +-inf
    case 2: return fp_pack(f, neg, emax, top | (rng.chance(25) ? 0 : frac));  // quiet NaN
    case 3: {                                                                 // signalling NaN
      const u64 payload = frac & (top - 1);
      return fp_pack(f, neg, emax, payload ? payload : 1 + rng.below(4));
    }
    case 4: return fp_pack(f, neg, 0, rng.chance(50) ? 1 : f.fraction_mask());   // denormal edges
    case 5: return fp_pack(f, neg, 0, frac ? frac : 1);                          // random denormal
    case 6: return fp_pack(f, neg, 1, rng.chance(50) ? 0 : rng.below(4));        // smallest normal
    case 7: return fp_pack(f, neg, emax - 1, f.fraction_mask() - rng.below(3));  // largest normal
    case 8: {  // 1.0 and nearby powers of two, exact or one ulp off
      const u64 e = static_cast<u64>(f.bias() + rng.range(-2, 2));
      switch (rng.below(3)) {
        case 0: return fp_pack(f, neg, e, 0);
        case 1: return fp_pack(f, neg, e, 1);
        default: return fp_pack(f, neg, e - 1, f.fraction_mask());
      }
    }
    case 9:
    case 10: {  // integers near 2^k (float <-> integer conversions, their saturation points)
      constexpr int kPowers[] = {0,  1,  7,  8,  10, 11, 12, 15, 16, 23,
                                 24, 25, 31, 32, 52, 53, 54, 63, 64};
      int k = rng.pick(kPowers);
      // Half precision overflows above 2^15: keep some of those (conversions to infinity).
      if (k > f.bias() + 1 && rng.chance(75)) k %= f.bias() + 2;
      const u128 n = (u128{1} << k) + static_cast<u128>(static_cast<i128>(rng.range(-3, 3)));
      return fp_from_scaled(f, neg, n, 0);
    }
    case 11: {  // x.5, x.25, x.75 and neighbours (rounding to integral, conversions)
      const u128 n = static_cast<u128>(rng.chance(50) ? rng.below(8) : rng.next() >> rng.below(64));
      const int scale = static_cast<int>(rng.range(1, 2));
      return fp_from_scaled(f, neg, (n << scale) + 1 + rng.below(3), scale);
    }
    case 12:
    case 13: {  // tie patterns in the fraction at a normal exponent near 1.0 or anywhere
      int p = 0;
      const u64 fr = tie_fraction(rng, f, &p);
      // At exponent mbits - p, fraction bit p - 1 weighs 0.5: the tie falls at the binary point
      // (rounding to integral, conversions to integers).
      u64 e;
      if (rng.chance(40)) {
        e = static_cast<u64>(f.bias() + f.mbits - p);
        if (e >= emax) e = emax - 1;
      } else {
        e = 1 + rng.below(emax - 1);
      }
      return fp_pack(f, neg, e, fr);
    }
    case 14: {  // exponents at the edges: results that overflow, underflow or lose bits
      const u64 b = static_cast<u64>(f.bias());
      const u64 exps[] = {1,
                          2,
                          3,
                          emax - 2,
                          emax - 3,
                          b / 2,
                          b / 2 + 1,
                          b + b / 2,
                          b + b / 2 + 1,
                          b - static_cast<u64>(f.mbits),
                          b + static_cast<u64>(f.mbits)};
      return fp_pack(f, neg, rng.pick(exps), rng.chance(50) ? frac : tie_fraction(rng, f));
    }
    case 15: return fp_pack(f, neg, 1 + rng.below(emax - 1), tie_fraction(rng, f));
    case 16:
    case 17:
    case 18: return fp_pack(f, neg, 1 + rng.below(emax - 1), frac);  // random normal
    default: return rng.next() & lane_mask(bits);                    // any bits
  }
}

u64 int_lane(Rng& rng, int bits) {
  const u64 all = lane_mask(bits);
  const u64 sign = u64{1} << (bits - 1);
  switch (rng.below(14)) {
    case 0: return 0;
    case 1: return 1;
    case 2: return all;                                // -1
    case 3: return sign;                               // INT_MIN
    case 4: return sign - 1;                           // INT_MAX
    case 5: return sign + 1;                           // INT_MIN + 1
    case 6: return (sign - 2) & all;                   // INT_MAX - 1
    case 7: return rng.below(16);                      // small positive
    case 8: return (all - rng.below(16)) & all;        // small negative
    case 9: return (u64{1} << rng.below(bits)) & all;  // a power of two
    case 10: return (rng.chance(50) ? 0x5555555555555555 : 0xaaaaaaaaaaaaaaaa) & all;
    case 11: return (sign >> 1) + rng.below(3) - 1;  // around INT_MAX / 2 (doubling)
    default: return rng.next() & all;
  }
}

u64 fp_conversion_operand(Rng& rng) {
  constexpr int kPowers[] = {11, 12, 15, 16, 24, 25, 31, 32, 53, 54, 62, 63, 64};
  switch (rng.below(4)) {
    case 0:
    case 1: {
      const int k = rng.pick(kPowers);
      const u128 n = (u128{1} << k) + static_cast<u128>(static_cast<i128>(rng.range(-3, 3)));
      const u64 v = static_cast<u64>(n);
      return rng.chance(25) ? ~v + 1 : v;  // sometimes negated (as a signed integer)
    }
    case 2: return fp_lane(rng, 64);
    default: return fp_lane(rng, rng.chance(50) ? 32 : 16);
  }
}

namespace {

int lane_bits(LaneKind k) {
  switch (k) {
    case LaneKind::Fp16:
    case LaneKind::Int16: return 16;
    case LaneKind::Fp32:
    case LaneKind::Int32: return 32;
    case LaneKind::Fp64:
    case LaneKind::Int64: return 64;
    default: return 8;
  }
}
bool is_fp(LaneKind k) { return k == LaneKind::Fp16 || k == LaneKind::Fp32 || k == LaneKind::Fp64; }

// One 64-bit half of a register, lanes of kind `k`. Some lanes repeat an earlier lane or its
// negation (equal operands, x - x, comparisons of equal values).
u64 random_half(Rng& rng, LaneKind k) {
  const int bits = lane_bits(k);
  const u64 mask = lane_mask(bits);
  u64 out = 0;
  u64 lanes[8] = {};
  const int n = 64 / bits;
  for (int i = 0; i < n; ++i) {
    u64 v;
    if (i > 0 && rng.chance(12)) {
      v = lanes[rng.below(static_cast<u64>(i))];
      if (is_fp(k) && rng.chance(50)) v ^= u64{1} << (bits - 1);
    } else {
      v = is_fp(k) ? fp_lane(rng, bits) : int_lane(rng, bits);
    }
    lanes[i] = v & mask;
    out |= (v & mask) << (bits * i);
  }
  return out;
}

LaneKind random_kind(Rng& rng) {
  // FP lanes somewhat more often than integer lanes, single precision most often.
  constexpr LaneKind kKinds[] = {LaneKind::Fp16,  LaneKind::Fp32,  LaneKind::Fp32,
                                 LaneKind::Fp64,  LaneKind::Fp64,  LaneKind::Int8,
                                 LaneKind::Int16, LaneKind::Int32, LaneKind::Int64};
  return rng.pick(kKinds);
}

}  // namespace

void randomize_fp_state(Rng& rng, CoreState& s) {
  // Most registers follow the trial's preferred layout.
  const LaneKind trial_kind = random_kind(rng);
  for (int r = 0; r < 32; ++r) {
    VReg& v = s.v[r];
    const u64 c = rng.below(100);
    if (c < 55) {
      v.lo = random_half(rng, trial_kind);
      v.hi = random_half(rng, trial_kind);
    } else if (c < 70) {
      const LaneKind k = random_kind(rng);
      v.lo = random_half(rng, k);
      v.hi = random_half(rng, k);
    } else if (c < 78) {  // mixed halves
      v.lo = random_half(rng, random_kind(rng));
      v.hi = random_half(rng, random_kind(rng));
    } else if (c < 86) {
      v.lo = rng.next();
      v.hi = rng.next();
    } else if (c < 89) {
      v.lo = v.hi = rng.chance(50) ? 0 : ~u64{0};
    } else if (r > 0) {  // a copy of an earlier register (equal operands), sometimes one half
      v = s.v[rng.below(static_cast<u64>(r))];
      if (rng.chance(30)) v.hi = random_half(rng, trial_kind);
    } else {
      v.lo = random_half(rng, trial_kind);
      v.hi = random_half(rng, trial_kind);
    }
  }

  // FPCR: a quarter of the time Linux's default (round to nearest, no flushing, IEEE NaNs),
  // otherwise any rounding mode with any combination of FZ, DN, AHP and FZ16.
  u32 fpcr = 0;
  if (!rng.chance(25)) {
    fpcr |= static_cast<u32>(rng.below(4)) << 22;  // RMode
    if (rng.chance(40)) fpcr |= 1u << 24;          // FZ
    if (rng.chance(40)) fpcr |= 1u << 25;          // DN
    if (rng.chance(30)) fpcr |= 1u << 26;          // AHP
    if (rng.chance(40)) fpcr |= 1u << 19;          // FZ16
  }
  s.fpcr = fpcr & kFpcrMask;
  // FPSR: clear (flags being raised are visible), all set (flags must be preserved, never
  // cleared), or a random subset of IOC, DZC, OFC, UFC, IXC, IDC and QC.
  const u64 f = rng.below(100);
  if (f < 35) {
    s.fpsr = 0;
  } else if (f < 50) {
    s.fpsr = kFpsrMask;
  } else {
    s.fpsr = static_cast<u32>(rng.next()) & kFpsrMask;
  }
}

}  // namespace kvrm::diff

// Shared element arithmetic of the Advanced SIMD integer groups: a 128-bit two's complement
// value in which every element result is computed exactly (integers of up to 64 bits, their
// sums, doubled products and shifts), SatQ, the shift-by-register pseudocode, and the
// instruction-field accessors and V-register part accessors the groups share.
#pragma once

#include "isa/sem/simd_common.hpp"

namespace kvrm::sem::simd {

// ---- Fields ----
KVRM_HD int rd(u32 i) { return static_cast<int>(bits(i, 4, 0)); }
KVRM_HD int rn(u32 i) { return static_cast<int>(bits(i, 9, 5)); }
KVRM_HD int rm(u32 i) { return static_cast<int>(bits(i, 20, 16)); }
KVRM_HD int size(u32 i) { return static_cast<int>(bits(i, 23, 22)); }
KVRM_HD bool q(u32 i) { return bit(i, 30) != 0; }

// ---- 128-bit two's complement arithmetic ----
struct Wide {
  u64 lo;
  u64 hi;
};
KVRM_HD Wide ws(i64 v) { return {static_cast<u64>(v), v < 0 ? ~u64{0} : 0}; }
KVRM_HD Wide wu(u64 v) { return {v, 0}; }
// An element of `esize` bits as a signed or unsigned integer.
KVRM_HD Wide widen(u64 raw, int esize, bool is_unsigned) {
  return is_unsigned ? wu(raw & ones(esize)) : ws(sext(raw, esize));
}
KVRM_HD Wide wadd(Wide a, Wide b) {
  const u64 lo = a.lo + b.lo;
  return {lo, a.hi + b.hi + (lo < a.lo ? 1u : 0u)};
}
KVRM_HD Wide wneg(Wide a) { return wadd({~a.lo, ~a.hi}, {1, 0}); }
KVRM_HD Wide wsub(Wide a, Wide b) { return wadd(a, wneg(b)); }
KVRM_HD bool wisneg(Wide a) { return (a.hi >> 63) != 0; }
KVRM_HD bool wiszero(Wide a) { return a.lo == 0 && a.hi == 0; }
KVRM_HD bool wlt(Wide a, Wide b) {
  return static_cast<i64>(a.hi) < static_cast<i64>(b.hi) || (a.hi == b.hi && a.lo < b.lo);
}
KVRM_HD Wide wabs(Wide a) { return wisneg(a) ? wneg(a) : a; }
// 2^k, k in 0..126.
KVRM_HD Wide wpow2(int k) { return k < 64 ? Wide{u64{1} << k, 0} : Wide{0, u64{1} << (k - 64)}; }
// a << n, n in 0..127 (bits shifted out of 128 are lost).
KVRM_HD Wide wshl(Wide a, int n) {
  if (n == 0) return a;
  if (n >= 64) return {0, a.lo << (n - 64)};
  return {a.lo << n, (a.hi << n) | (a.lo >> (64 - n))};
}
// a >> n, arithmetic, any n >= 0.
KVRM_HD Wide wsar(Wide a, int n) {
  const u64 sign = wisneg(a) ? ~u64{0} : 0;
  if (n == 0) return a;
  if (n >= 128) return {sign, sign};
  if (n >= 64) return {static_cast<u64>(static_cast<i64>(a.hi) >> (n - 64)), sign};
  return {(a.lo >> n) | (a.hi << (64 - n)), static_cast<u64>(static_cast<i64>(a.hi) >> n)};
}

// SatQ(i, N, unsigned): the value saturated to `esize` bits; `sat` is set when it saturates.
KVRM_HD u64 satq(Wide v, int esize, bool is_unsigned, bool& sat) {
  if (is_unsigned) {
    if (v.hi == 0 && v.lo <= ones(esize)) return v.lo;
    sat = true;
    return wisneg(v) ? 0 : ones(esize);
  }
  const bool fits =
      v.hi == ((v.lo >> 63) ? ~u64{0} : 0) && sext(v.lo, esize) == static_cast<i64>(v.lo);
  if (fits) return v.lo & ones(esize);
  sat = true;
  return wisneg(v) ? u64{1} << (esize - 1) : ones(esize - 1);
}
KVRM_HD u64 lowbits(Wide v, int esize) { return v.lo & ones(esize); }

// `a` shifted left by `shift` (negative: right, rounding when `round`), exactly as the shift-
// by-register pseudocode's unbounded integer arithmetic, for an `esize`-bit element a. A left
// shift by esize or more of a non-zero value gives a value out of every esize-bit range, with the
// sign of a and its low esize bits zero (what both the truncating and saturating forms need).
KVRM_HD Wide shift_exact(Wide a, int shift, bool round, int esize) {
  if (shift >= 0) {
    if (wiszero(a) || shift == 0) return a;
    if (shift >= esize) return {0, wisneg(a) ? u64{1} << 63 : u64{1} << 62};
    return wshl(a, shift);
  }
  const int n = -shift > 65 ? 65 : -shift;  // |a| < 2^64: every n >= 65 gives what 65 gives
  if (round) a = wadd(a, wpow2(n - 1));
  return wsar(a, n);
}
// The shift operand of the shift-by-register instructions: the signed low byte of the element.
KVRM_HD int shift_operand(u64 b) { return static_cast<int>(sext(b & 0xff, 8)); }

// Polynomial (carry-less) multiply of two bytes, low 8 bits of the product.
KVRM_HD u64 pmul8(u64 a, u64 b) {
  u64 r = 0;
  for (int k = 0; k < 8; ++k) {
    if ((b >> k) & 1) r ^= a << k;
  }
  return r & 0xff;
}

// ---- V-register parts ----
// Vpart[n, part]: the low (part 0) or high (part 1) 64 bits.
KVRM_HD u64 vpart(const VReg& v, bool upper) { return upper ? v.hi : v.lo; }
// Writes a 64-bit result to Vd's low half (zeroing the high half) or to its high half (keeping the
// low half), as Vpart[d, part] = result does.
template <class C>
KVRM_HD void write_part(C& c, int d, bool upper, u64 value) {
  VReg v = vget(c, d);
  if (upper) {
    v.hi = value;
  } else {
    v.lo = value;
    v.hi = 0;
  }
  vset(c, d, v);
}
template <class C>
KVRM_HD void raise_qc(C& c, bool sat) {
  if (sat) fpsr_raise(c, kFpsrQC);
}

// Vector size rule of the integer groups: `allowed` is a mask of permitted size values (bit s for
// size s); size 3 in a vector form also needs Q = 1 (a 1D arrangement is reserved).
KVRM_HD bool size_ok(u32 allowed, int sz, bool qbit, bool scalar) {
  if (((allowed >> sz) & 1) == 0) return false;
  return scalar || sz != 3 || qbit;
}
constexpr u32 kB = 1, kH = 2, kS = 4, kD = 8;
constexpr u32 kBHS = kB | kH | kS, kBHSD = kBHS | kD, kHS = kH | kS;

}  // namespace kvrm::sem::simd

// Each Advanced SIMD integer handler is one line of the encoding table and forwards to its
// group's body; simd_int.hpp undefines this after the last group.
#define KVRM_SIMD_HANDLER(NAME, ...) \
  template <class C>                 \
  KVRM_HD Signal NAME(C& c, u32 i) { \
    return simd::__VA_ARGS__;        \
  }

// Helpers shared by the FP and Advanced SIMD groups: access to the V registers as 128-bit
// values, as B/H/S/D scalars and as vector elements, and the FPCR/FPSR fields. Writing a scalar
// or a 64-bit vector zeroes the rest of the 128-bit register, as the architecture requires.
#pragma once

#include "isa/context.hpp"
#include "isa/hd.hpp"

namespace kvrm::sem {

// FPSR cumulative exception bits and QC.
constexpr u32 kFpsrIOC = 1u << 0;  // invalid operation
constexpr u32 kFpsrDZC = 1u << 1;  // divide by zero
constexpr u32 kFpsrOFC = 1u << 2;  // overflow
constexpr u32 kFpsrUFC = 1u << 3;  // underflow
constexpr u32 kFpsrIXC = 1u << 4;  // inexact
constexpr u32 kFpsrIDC = 1u << 7;  // input denormal
constexpr u32 kFpsrQC = 1u << 27;  // saturation (Advanced SIMD)

// FPCR fields.
constexpr u32 kFpcrFZ16 = 1u << 19;
constexpr u32 kFpcrFZ = 1u << 24;
constexpr u32 kFpcrDN = 1u << 25;
constexpr u32 kFpcrAHP = 1u << 26;
KVRM_HD constexpr u32 fpcr_rmode(u32 fpcr) { return (fpcr >> 22) & 3; }  // 0 RN, 1 RP, 2 RM, 3 RZ

// The whole 128-bit register.
template <class C>
KVRM_HD VReg vget(const C& c, int n) {
  return c.s.v[n];
}
template <class C>
KVRM_HD void vset(C& c, int n, VReg v) {
  c.s.v[n] = v;
}

// Element `index` of `esize` bits (8, 16, 32, 64) of a 128-bit value, zero-extended.
KVRM_HD u64 elem(const VReg& v, int index, int esize) {
  const int bit_pos = index * esize;
  const u64 half = bit_pos < 64 ? v.lo : v.hi;
  const int shift = bit_pos & 63;
  return esize == 64 ? half : (half >> shift) & ones(esize);
}
KVRM_HD void set_elem(VReg& v, int index, int esize, u64 value) {
  const int bit_pos = index * esize;
  u64& half = bit_pos < 64 ? v.lo : v.hi;
  const int shift = bit_pos & 63;
  if (esize == 64) {
    half = value;
  } else {
    const u64 m = ones(esize) << shift;
    half = (half & ~m) | ((value << shift) & m);
  }
}

// A scalar of `bits` (8, 16, 32, 64, 128) in V[n]: reads the low bits; writes zero the rest.
template <class C>
KVRM_HD u64 vread_scalar(const C& c, int n, int bits_) {
  return bits_ >= 64 ? c.s.v[n].lo : c.s.v[n].lo & ones(bits_);
}
template <class C>
KVRM_HD void vwrite_scalar(C& c, int n, int bits_, u64 value) {
  c.s.v[n].lo = bits_ >= 64 ? value : value & ones(bits_);
  c.s.v[n].hi = 0;
}
// A vector result of 64 (Q = 0) or 128 (Q = 1) bits: the upper half is zeroed for 64.
template <class C>
KVRM_HD void vwrite_vector(C& c, int n, VReg value, bool q) {
  if (!q) value.hi = 0;
  c.s.v[n] = value;
}

// Raises FPSR cumulative flags.
template <class C>
KVRM_HD void fpsr_raise(C& c, u32 flags) {
  c.s.fpsr |= flags;
}

}  // namespace kvrm::sem

// Helpers shared by the instruction groups, after the Arm ARM's shared pseudocode (J1):
// AddWithCarry, condition evaluation, DecodeBitMasks, ShiftReg, ExtendReg.
#pragma once

#include "isa/context.hpp"
#include "isa/hd.hpp"

namespace kvrm::sem {

constexpr u32 kN = 1u << 31, kZ = 1u << 30, kC = 1u << 29, kV = 1u << 28;

struct AddResult {
  u64 value;
  u32 nzcv;
};

// AddWithCarry(x, y, carry_in) at 32 or 64 bits: the result and the NZCV flags it sets.
KVRM_HD AddResult add_with_carry(u64 x, u64 y, u32 carry_in, int size) {
  x = trunc(x, size);
  y = trunc(y, size);
  u64 r;
  u32 c;
  u32 v;
  if (size == 64) {
    const u64 s1 = x + y;
    const u64 s2 = s1 + carry_in;
    r = s2;
    c = (s1 < x) || (s2 < s1);
    v = static_cast<u32>((~(x ^ y) & (x ^ r)) >> 63);
  } else {
    const u64 s = x + y + carry_in;
    r = s & 0xffffffffu;
    c = static_cast<u32>(s >> 32);
    v = static_cast<u32>(((~(x ^ y) & (x ^ r)) >> 31) & 1);
  }
  const u32 n = static_cast<u32>(r >> (size - 1)) & 1;
  const u32 z = r == 0;
  return {r, (n << 31) | (z << 30) | (c << 29) | (v << 28)};
}

// NZCV flags of a logical result (C and V cleared).
KVRM_HD u32 logic_flags(u64 r, int size) {
  r = trunc(r, size);
  return ((static_cast<u32>(r >> (size - 1)) & 1) << 31) | (r == 0 ? kZ : 0);
}

// ConditionHolds(cond) for the 4-bit condition field.
KVRM_HD bool cond_holds(u32 nzcv, u32 cond) {
  const bool n = nzcv & kN, z = nzcv & kZ, c = nzcv & kC, v = nzcv & kV;
  bool r;
  switch (cond >> 1) {
    case 0: r = z; break;             // EQ / NE
    case 1: r = c; break;             // CS / CC
    case 2: r = n; break;             // MI / PL
    case 3: r = v; break;             // VS / VC
    case 4: r = c && !z; break;       // HI / LS
    case 5: r = n == v; break;        // GE / LT
    case 6: r = n == v && !z; break;  // GT / LE
    default: r = true; break;         // AL / NV (both always true)
  }
  if ((cond & 1) && cond != 15) r = !r;
  return r;
}

struct BitMasks {
  u64 wmask;
  u64 tmask;
  bool valid;
};

// DecodeBitMasks(N, imms, immr, immediate) at datasize `size`.
KVRM_HD BitMasks decode_bit_masks(u32 n, u32 imms, u32 immr, bool immediate, int size) {
  const u32 combined = (n << 6) | (~imms & 0x3f);
  if (combined == 0) return {0, 0, false};
  const int len = 63 - clz64(combined);
  if (len < 1 || (1 << len) > size) return {0, 0, false};
  const u32 levels = (1u << len) - 1;
  if (immediate && (imms & levels) == levels) return {0, 0, false};
  const u32 s = imms & levels;
  const u32 r = immr & levels;
  const int diff = static_cast<int>((s - r) & levels);
  const int esize = 1 << len;
  const int d = diff & static_cast<int>(levels);
  const u64 welem = ones(static_cast<int>(s) + 1);
  const u64 telem = ones(d + 1);
  // Replicate ROR(welem, r) and telem across the datasize.
  const u64 emask = ones(esize);
  u64 wrot = welem;
  if (r != 0) wrot = ((welem >> r) | (welem << (esize - static_cast<int>(r)))) & emask;
  u64 wmask = 0, tmask = 0;
  for (int i = 0; i < size; i += esize) {
    wmask |= wrot << i;
    tmask |= telem << i;
  }
  return {trunc(wmask, size), trunc(tmask, size), true};
}

// ShiftReg: shift type 0 LSL, 1 LSR, 2 ASR, 3 ROR; amount < size.
KVRM_HD u64 shift_reg(u64 v, u32 type, int amount, int size) {
  v = trunc(v, size);
  switch (type) {
    case 0: return trunc(v << amount, size);
    case 1: return v >> amount;
    case 2: return trunc(static_cast<u64>(sext(v, size) >> amount), size);
    default: return ror(v, amount, size);
  }
}

// ExtendReg: option 0..7 = UXTB, UXTH, UXTW, UXTX, SXTB, SXTH, SXTW, SXTX, then LSL by shift.
KVRM_HD u64 extend_reg(u64 v, u32 option, int shift, int size) {
  const int len = 8 << (option & 3);
  u64 e = (option & 4) ? static_cast<u64>(sext(v, len)) : (v & ones(len));
  return trunc(e << shift, size);
}

}  // namespace kvrm::sem

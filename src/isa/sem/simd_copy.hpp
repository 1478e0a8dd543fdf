// Instruction semantics, C4.1.91 Advanced SIMD copy and scalar copy (DUP, INS, SMOV, UMOV),
// and Advanced SIMD modified immediate (MOVI, MVNI, ORR, BIC; FMOV (vector, immediate) is
// the floating-point group's).
#pragma once

#include "isa/sem/simd_int_arith.hpp"

namespace kvrm::sem {

namespace simd {
// imm5 of the copy group: the element size is given by its lowest set bit (0 for B .. 3 for D;
// -1 when imm5<3:0> is zero, reserved) and the element index by the bits above it.
KVRM_HD int copy_size(u32 i) {
  const u32 imm5 = bits(i, 20, 16);
  for (int s = 0; s < 4; ++s) {
    if ((imm5 >> s) & 1) return s;
  }
  return -1;
}
KVRM_HD int copy_index(u32 i, int sz) { return static_cast<int>(bits(i, 20, 16) >> (sz + 1)); }

// Replicates an `esize`-bit value over 128 bits.
KVRM_HD VReg replicate(u64 value, int esize) {
  u64 r = value & ones(esize);
  for (int w = esize; w < 64; w *= 2) r |= r << w;
  return {r, r};
}

// DUP (element), vector and scalar.
template <class C>
KVRM_HD Signal dup_element(C& c, u32 i, bool scalar) {
  const int sz = copy_size(i);
  if (sz < 0 || (!scalar && sz == 3 && !q(i))) return c.undefined(i);
  const int esize = 8 << sz;
  const u64 e = elem(vget(c, rn(i)), copy_index(i, sz), esize);
  if (scalar) {
    vwrite_scalar(c, rd(i), esize, e);
  } else {
    vwrite_vector(c, rd(i), replicate(e, esize), q(i));
  }
  return Signal::Running;
}

// DUP (general).
template <class C>
KVRM_HD Signal dup_general(C& c, u32 i) {
  const int sz = copy_size(i);
  if (sz < 0 || (sz == 3 && !q(i))) return c.undefined(i);
  vwrite_vector(c, rd(i), replicate(c.x(rn(i)), 8 << sz), q(i));
  return Signal::Running;
}

// SMOV and UMOV: Q selects the W (0) or X (1) destination.
template <class C>
KVRM_HD Signal move_to_general(C& c, u32 i, bool is_signed) {
  const int sz = copy_size(i);
  const bool x = q(i);
  const bool ok = is_signed ? (sz >= 0 && sz < (x ? 3 : 2)) : (x ? sz == 3 : (sz >= 0 && sz < 3));
  if (!ok) return c.undefined(i);
  const int esize = 8 << sz;
  const u64 e = elem(vget(c, rn(i)), copy_index(i, sz), esize);
  const int datasize = x ? 64 : 32;
  c.set(rd(i), is_signed ? static_cast<u64>(sext(e, esize)) : e, datasize);
  return Signal::Running;
}

// INS (general) and INS (element): the other elements of Vd are kept.
template <class C>
KVRM_HD Signal insert(C& c, u32 i, bool from_element) {
  const int sz = copy_size(i);
  if (sz < 0) return c.undefined(i);
  const int esize = 8 << sz;
  const u64 e = from_element ? elem(vget(c, rn(i)), static_cast<int>(bits(i, 14, 11) >> sz), esize)
                             : c.x(rn(i));
  VReg v = vget(c, rd(i));
  set_elem(v, copy_index(i, sz), esize, e);
  vset(c, rd(i), v);
  return Signal::Running;
}

// AdvSIMDExpandImm(op, cmode, imm8) for every cmode but 1111 (FMOV).
KVRM_HD u64 expand_imm(u32 op, u32 cmode, u64 imm8) {
  switch (cmode >> 1) {
    case 0: return replicate(imm8, 32).lo;
    case 1: return replicate(imm8 << 8, 32).lo;
    case 2: return replicate(imm8 << 16, 32).lo;
    case 3: return replicate(imm8 << 24, 32).lo;
    case 4: return replicate(imm8, 16).lo;
    case 5: return replicate(imm8 << 8, 16).lo;
    case 6: return replicate((cmode & 1) ? (imm8 << 16) | 0xffff : (imm8 << 8) | 0xff, 32).lo;
    default: break;
  }
  if (op == 0) return replicate(imm8, 8).lo;
  u64 r = 0;
  for (int k = 0; k < 8; ++k) {
    if ((imm8 >> k) & 1) r |= u64{0xff} << (8 * k);
  }
  return r;
}

enum class ImmOp { MOVI, MVNI, ORR, BIC };
template <ImmOp op, class C>
KVRM_HD Signal modified_imm(C& c, u32 i) {
  const u64 imm8 = (bits(i, 18, 16) << 5) | bits(i, 9, 5);
  const u64 imm = expand_imm(bit(i, 29), bits(i, 15, 12), imm8);
  VReg v = vget(c, rd(i));
  if constexpr (op == ImmOp::MOVI) {
    v = {imm, imm};
  } else if constexpr (op == ImmOp::MVNI) {
    v = {~imm, ~imm};
  } else if constexpr (op == ImmOp::ORR) {
    v = {v.lo | imm, v.hi | imm};
  } else {
    v = {v.lo & ~imm, v.hi & ~imm};
  }
  vwrite_vector(c, rd(i), v, q(i));
  return Signal::Running;
}
}  // namespace simd

KVRM_SIMD_HANDLER(DUP_elem_scalar, dup_element(c, i, true))
KVRM_SIMD_HANDLER(DUP_elem_vector, dup_element(c, i, false))
KVRM_SIMD_HANDLER(DUP_general, dup_general(c, i))
KVRM_SIMD_HANDLER(SMOV, move_to_general(c, i, true))
KVRM_SIMD_HANDLER(UMOV, move_to_general(c, i, false))
KVRM_SIMD_HANDLER(INS_general, insert(c, i, false))
KVRM_SIMD_HANDLER(INS_elem, insert(c, i, true))

KVRM_SIMD_HANDLER(MOVI_8, modified_imm<simd::ImmOp::MOVI>(c, i))
KVRM_SIMD_HANDLER(MOVI_16, modified_imm<simd::ImmOp::MOVI>(c, i))
KVRM_SIMD_HANDLER(MOVI_32, modified_imm<simd::ImmOp::MOVI>(c, i))
KVRM_SIMD_HANDLER(MOVI_32_ones, modified_imm<simd::ImmOp::MOVI>(c, i))
KVRM_SIMD_HANDLER(MOVI_64_scalar, modified_imm<simd::ImmOp::MOVI>(c, i))
KVRM_SIMD_HANDLER(MOVI_64_vector, modified_imm<simd::ImmOp::MOVI>(c, i))
KVRM_SIMD_HANDLER(MVNI_16, modified_imm<simd::ImmOp::MVNI>(c, i))
KVRM_SIMD_HANDLER(MVNI_32, modified_imm<simd::ImmOp::MVNI>(c, i))
KVRM_SIMD_HANDLER(MVNI_32_ones, modified_imm<simd::ImmOp::MVNI>(c, i))
KVRM_SIMD_HANDLER(ORR_vector_imm16, modified_imm<simd::ImmOp::ORR>(c, i))
KVRM_SIMD_HANDLER(ORR_vector_imm32, modified_imm<simd::ImmOp::ORR>(c, i))
KVRM_SIMD_HANDLER(BIC_vector_imm16, modified_imm<simd::ImmOp::BIC>(c, i))
KVRM_SIMD_HANDLER(BIC_vector_imm32, modified_imm<simd::ImmOp::BIC>(c, i))

}  // namespace kvrm::sem

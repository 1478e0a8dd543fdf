// Instruction semantics, C4.1.91 Advanced SIMD vector x indexed element and scalar x indexed
// element, integer forms (the floating-point ones are the floating-point group's). The element
// operations are those of three same and three different.
#pragma once

#include "isa/sem/simd_three_diff.hpp"
#include "isa/sem/simd_three_same.hpp"

namespace kvrm::sem {

namespace simd {

// The indexed element of Vm: for H, Vm is V0-V15 (M is an index bit) and the index H:L:M; for S,
// Vm is M:Rm and the index H:L. Other sizes are reserved (returns false).
struct Indexed {
  u64 value;
  bool ok;
};
template <class C>
KVRM_HD Indexed indexed_element(const C& c, u32 i) {
  const int sz = size(i);
  if (sz == 1) {
    const int index = static_cast<int>((bit(i, 11) << 2) | (bit(i, 21) << 1) | bit(i, 20));
    return {elem(vget(c, static_cast<int>(bits(i, 19, 16))), index, 16), true};
  }
  if (sz == 2) {
    const int index = static_cast<int>((bit(i, 11) << 1) | bit(i, 21));
    return {elem(vget(c, rm(i)), index, 32), true};
  }
  return {0, false};
}

// MUL, MLA, MLS, SQDMULH, SQRDMULH, SQRDMLAH, SQRDMLSH (by element), vector and scalar.
template <TS op, class C>
KVRM_HD Signal same_by_element(C& c, u32 i, bool scalar) {
  const Indexed b = indexed_element(c, i);
  if (!b.ok) return c.undefined(i);
  const int esize = 8 << size(i);
  const int elements = (scalar ? esize : q(i) ? 128 : 64) / esize;
  const VReg n = vget(c, rn(i)), d = vget(c, rd(i));
  VReg r{};
  bool sat = false;
  for (int e = 0; e < elements; ++e) {
    set_elem(r, e, esize,
             three_same_elem<op>(elem(n, e, esize), b.value, elem(d, e, esize), esize, sat));
  }
  raise_qc(c, sat);
  vset(c, rd(i), r);
  return Signal::Running;
}

// SMULL, UMULL, SMLAL, UMLAL, SMLSL, UMLSL, SQDMULL, SQDMLAL, SQDMLSL (by element): the low or
// (Q = 1, the "2" forms) high half of Vn; scalar: one element.
template <Long op, class C>
KVRM_HD Signal long_by_element(C& c, u32 i, bool scalar) {
  const Indexed idx = indexed_element(c, i);
  if (!idx.ok) return c.undefined(i);
  constexpr bool u = long_unsigned(op);
  const int esize = 8 << size(i);
  const u64 n = vpart(vget(c, rn(i)), !scalar && q(i));
  const VReg d = vget(c, rd(i));
  const Wide b = widen(idx.value, esize, u);
  VReg r{};
  bool sat = false;
  for (int e = 0; e < (scalar ? 1 : 64 / esize); ++e) {
    const Wide a = widen(n >> (e * esize), esize, u);
    set_elem(r, e, 2 * esize, long_elem<op>(a, b, elem(d, e, 2 * esize), esize, sat));
  }
  raise_qc(c, sat);
  vset(c, rd(i), r);
  return Signal::Running;
}
}  // namespace simd

KVRM_SIMD_HANDLER(MUL_elem_vector, same_by_element<simd::TS::MUL>(c, i, false))
KVRM_SIMD_HANDLER(MLA_elem_vector, same_by_element<simd::TS::MLA>(c, i, false))
KVRM_SIMD_HANDLER(MLS_elem_vector, same_by_element<simd::TS::MLS>(c, i, false))
KVRM_SIMD_HANDLER(SQDMULH_elem_vector, same_by_element<simd::TS::SQDMULH>(c, i, false))
KVRM_SIMD_HANDLER(SQRDMULH_elem_vector, same_by_element<simd::TS::SQRDMULH>(c, i, false))
KVRM_SIMD_HANDLER(SQRDMLAH_elem_vector, same_by_element<simd::TS::SQRDMLAH>(c, i, false))
KVRM_SIMD_HANDLER(SQRDMLSH_elem_vector, same_by_element<simd::TS::SQRDMLSH>(c, i, false))
KVRM_SIMD_HANDLER(SQDMULH_elem_scalar, same_by_element<simd::TS::SQDMULH>(c, i, true))
KVRM_SIMD_HANDLER(SQRDMULH_elem_scalar, same_by_element<simd::TS::SQRDMULH>(c, i, true))
KVRM_SIMD_HANDLER(SQRDMLAH_elem_scalar, same_by_element<simd::TS::SQRDMLAH>(c, i, true))
KVRM_SIMD_HANDLER(SQRDMLSH_elem_scalar, same_by_element<simd::TS::SQRDMLSH>(c, i, true))
KVRM_SIMD_HANDLER(SMULL_elem_vector, long_by_element<simd::Long::SMULL>(c, i, false))
KVRM_SIMD_HANDLER(UMULL_elem_vector, long_by_element<simd::Long::UMULL>(c, i, false))
KVRM_SIMD_HANDLER(SMLAL_elem_vector, long_by_element<simd::Long::SMLAL>(c, i, false))
KVRM_SIMD_HANDLER(UMLAL_elem_vector, long_by_element<simd::Long::UMLAL>(c, i, false))
KVRM_SIMD_HANDLER(SMLSL_elem_vector, long_by_element<simd::Long::SMLSL>(c, i, false))
KVRM_SIMD_HANDLER(UMLSL_elem_vector, long_by_element<simd::Long::UMLSL>(c, i, false))
KVRM_SIMD_HANDLER(SQDMULL_elem_vector, long_by_element<simd::Long::SQDMULL>(c, i, false))
KVRM_SIMD_HANDLER(SQDMLAL_elem_vector, long_by_element<simd::Long::SQDMLAL>(c, i, false))
KVRM_SIMD_HANDLER(SQDMLSL_elem_vector, long_by_element<simd::Long::SQDMLSL>(c, i, false))
KVRM_SIMD_HANDLER(SQDMULL_elem_scalar, long_by_element<simd::Long::SQDMULL>(c, i, true))
KVRM_SIMD_HANDLER(SQDMLAL_elem_scalar, long_by_element<simd::Long::SQDMLAL>(c, i, true))
KVRM_SIMD_HANDLER(SQDMLSL_elem_scalar, long_by_element<simd::Long::SQDMLSL>(c, i, true))

}  // namespace kvrm::sem

// Instruction semantics, C4.1.91 Advanced SIMD three different (long, wide and narrowing high
// half operations; PMULL is the cryptographic group's) and scalar three different (SQDMLAL,
// SQDMLSL, SQDMULL). The long multiplies are shared with the by-element group.
#pragma once

#include "isa/sem/simd_int_arith.hpp"

namespace kvrm::sem {

namespace simd {

enum class Long {
  SADDL,
  UADDL,
  SSUBL,
  USUBL,
  SABAL,
  UABAL,
  SABDL,
  UABDL,
  SMLAL,
  UMLAL,
  SMLSL,
  UMLSL,
  SMULL,
  UMULL,
  SQDMLAL,
  SQDMLSL,
  SQDMULL
};
constexpr bool long_unsigned(Long op) {
  return op == Long::UADDL || op == Long::USUBL || op == Long::UABAL || op == Long::UABDL ||
         op == Long::UMLAL || op == Long::UMLSL || op == Long::UMULL;
}
constexpr bool long_doubling(Long op) {
  return op == Long::SQDMLAL || op == Long::SQDMLSL || op == Long::SQDMULL;
}

// One element of a long operation: a and b are already-extended operands (b of `esize` bits, a of
// esize or, for the wide forms, 2 * esize bits), d the old 2 * esize-bit Vd element.
template <Long op>
KVRM_HD u64 long_elem(Wide a, Wide b, u64 d, int esize, bool& sat) {
  const int wsize = 2 * esize;
  if constexpr (op == Long::SADDL || op == Long::UADDL) {
    return lowbits(wadd(a, b), wsize);
  } else if constexpr (op == Long::SSUBL || op == Long::USUBL) {
    return lowbits(wsub(a, b), wsize);
  } else if constexpr (op == Long::SABDL || op == Long::UABDL) {
    return lowbits(wabs(wsub(a, b)), wsize);
  } else if constexpr (op == Long::SABAL || op == Long::UABAL) {
    return (d + wabs(wsub(a, b)).lo) & ones(wsize);
  } else if constexpr (op == Long::SMULL || op == Long::UMULL) {
    return (a.lo * b.lo) & ones(wsize);
  } else if constexpr (op == Long::SMLAL || op == Long::UMLAL) {
    return (d + a.lo * b.lo) & ones(wsize);
  } else if constexpr (op == Long::SMLSL || op == Long::UMLSL) {
    return (d - a.lo * b.lo) & ones(wsize);
  } else {
    // 2 * a * b saturated to 2 * esize bits; then, for the accumulating forms, added to or
    // subtracted from Vd and saturated again.
    const u64 prod = satq(wshl(ws(static_cast<i64>(a.lo * b.lo)), 1), wsize, false, sat);
    if constexpr (op == Long::SQDMULL) return prod;
    const Wide wp = ws(sext(prod, wsize)), wd = ws(sext(d, wsize));
    return satq(op == Long::SQDMLAL ? wadd(wd, wp) : wsub(wd, wp), wsize, false, sat);
  }
}

// Three different, long and wide forms: Vd.2esize = Vn (.esize part, or .2esize when wide)
// op Vm.esize part. Scalar: one element.
template <Long op, class C>
KVRM_HD Signal three_long(C& c, u32 i, bool wide, bool scalar) {
  const int sz = size(i);
  if (sz == 3 || (long_doubling(op) && sz == 0)) return c.undefined(i);
  constexpr bool u = long_unsigned(op);
  const int esize = 8 << sz;
  const bool upper = !scalar && q(i);
  const int elements = scalar ? 1 : 64 / esize;
  const VReg n = vget(c, rn(i)), m = vget(c, rm(i)), d = vget(c, rd(i));
  VReg r{};
  bool sat = false;
  for (int e = 0; e < elements; ++e) {
    const Wide a = wide ? widen(elem(n, e, 2 * esize), 2 * esize, u)
                        : widen(vpart(n, upper) >> (e * esize), esize, u);
    const Wide b = widen(vpart(m, upper) >> (e * esize), esize, u);
    set_elem(r, e, 2 * esize, long_elem<op>(a, b, elem(d, e, 2 * esize), esize, sat));
  }
  raise_qc(c, sat);
  vset(c, rd(i), r);
  return Signal::Running;
}

// ADDHN, RADDHN, SUBHN, RSUBHN: the high halves of the 2 * esize-bit sums or differences,
// written to the low or (Q = 1, the "2" forms) high half of Vd.
template <class C>
KVRM_HD Signal high_narrow(C& c, u32 i, bool subtract, bool round) {
  const int sz = size(i);
  if (sz == 3) return c.undefined(i);
  const int esize = 8 << sz;
  const VReg n = vget(c, rn(i)), m = vget(c, rm(i));
  u64 r = 0;
  for (int e = 0; e < 64 / esize; ++e) {
    const u64 a = elem(n, e, 2 * esize), b = elem(m, e, 2 * esize);
    Wide s = subtract ? wsub(wu(a), wu(b)) : wadd(wu(a), wu(b));
    if (round) s = wadd(s, wpow2(esize - 1));
    r |= lowbits(wsar(s, esize), esize) << (e * esize);
  }
  write_part(c, rd(i), q(i), r);
  return Signal::Running;
}
}  // namespace simd

#define KVRM_SIMD_LONG(NAME, OP, WIDE, SCALAR) \
  KVRM_SIMD_HANDLER(NAME, three_long<simd::Long::OP>(c, i, WIDE, SCALAR))
KVRM_SIMD_LONG(SADDL_vector, SADDL, false, false)
KVRM_SIMD_LONG(UADDL_vector, UADDL, false, false)
KVRM_SIMD_LONG(SSUBL_vector, SSUBL, false, false)
KVRM_SIMD_LONG(USUBL_vector, USUBL, false, false)
KVRM_SIMD_LONG(SADDW_vector, SADDL, true, false)
KVRM_SIMD_LONG(UADDW_vector, UADDL, true, false)
KVRM_SIMD_LONG(SSUBW_vector, SSUBL, true, false)
KVRM_SIMD_LONG(USUBW_vector, USUBL, true, false)
KVRM_SIMD_LONG(SABAL_vector, SABAL, false, false)
KVRM_SIMD_LONG(UABAL_vector, UABAL, false, false)
KVRM_SIMD_LONG(SABDL_vector, SABDL, false, false)
KVRM_SIMD_LONG(UABDL_vector, UABDL, false, false)
KVRM_SIMD_LONG(SMLAL_vector, SMLAL, false, false)
KVRM_SIMD_LONG(UMLAL_vector, UMLAL, false, false)
KVRM_SIMD_LONG(SMLSL_vector, SMLSL, false, false)
KVRM_SIMD_LONG(UMLSL_vector, UMLSL, false, false)
KVRM_SIMD_LONG(SMULL_vector, SMULL, false, false)
KVRM_SIMD_LONG(UMULL_vector, UMULL, false, false)
KVRM_SIMD_LONG(SQDMLAL_vector, SQDMLAL, false, false)
KVRM_SIMD_LONG(SQDMLSL_vector, SQDMLSL, false, false)
KVRM_SIMD_LONG(SQDMULL_vector, SQDMULL, false, false)
KVRM_SIMD_LONG(SQDMLAL_scalar, SQDMLAL, false, true)
KVRM_SIMD_LONG(SQDMLSL_scalar, SQDMLSL, false, true)
KVRM_SIMD_LONG(SQDMULL_scalar, SQDMULL, false, true)
#undef KVRM_SIMD_LONG
KVRM_SIMD_HANDLER(ADDHN_vector, high_narrow(c, i, false, false))
KVRM_SIMD_HANDLER(RADDHN_vector, high_narrow(c, i, false, true))
KVRM_SIMD_HANDLER(SUBHN_vector, high_narrow(c, i, true, false))
KVRM_SIMD_HANDLER(RSUBHN_vector, high_narrow(c, i, true, true))

}  // namespace kvrm::sem

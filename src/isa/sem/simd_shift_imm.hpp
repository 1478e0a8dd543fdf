// Instruction semantics, C4.1.91 Advanced SIMD shift by immediate and scalar shift by immediate
// (the fixed-point conversions SCVTF, UCVTF, FCVTZS, FCVTZU are the floating-point group's).
// immh (bits 22:19) gives the element size by its highest set bit; immh:immb the shift.
#pragma once

#include "isa/sem/simd_int_arith.hpp"
#include "isa/sem/simd_two_reg_misc.hpp"  // narrow()

namespace kvrm::sem {

namespace simd {

// log2(esize / 8) from immh, -1 when immh is zero.
KVRM_HD int immh_size(u32 i) {
  const u32 immh = bits(i, 22, 19);
  for (int s = 3; s >= 0; --s) {
    if ((immh >> s) & 1) return s;
  }
  return -1;
}
KVRM_HD int immhb(u32 i) { return static_cast<int>(bits(i, 22, 16)); }
KVRM_HD u64 lsr_capped(u64 x, int n) { return n >= 64 ? 0 : x >> n; }

enum class SI {
  SSHR,
  USHR,
  SSRA,
  USRA,
  SRSHR,
  URSHR,
  SRSRA,
  URSRA,
  SRI,
  SHL,
  SLI,
  SQSHL,
  UQSHL,
  SQSHLU
};
constexpr bool si_left(SI op) {
  return op == SI::SHL || op == SI::SLI || op == SI::SQSHL || op == SI::UQSHL || op == SI::SQSHLU;
}
constexpr bool si_unsigned(SI op) {
  return op == SI::USHR || op == SI::USRA || op == SI::URSHR || op == SI::URSRA || op == SI::UQSHL;
}
constexpr bool si_saturating(SI op) {
  return op == SI::SQSHL || op == SI::UQSHL || op == SI::SQSHLU;
}

template <SI op>
KVRM_HD u64 shift_imm_elem(u64 a, u64 d, int shift, int esize, bool& sat) {
  const u64 mask = ones(esize);
  const Wide w = widen(a, esize, si_unsigned(op));
  if constexpr (op == SI::SSHR || op == SI::USHR) {
    return lowbits(shift_exact(w, -shift, false, esize), esize);
  } else if constexpr (op == SI::SRSHR || op == SI::URSHR) {
    return lowbits(shift_exact(w, -shift, true, esize), esize);
  } else if constexpr (op == SI::SSRA || op == SI::USRA) {
    return (d + shift_exact(w, -shift, false, esize).lo) & mask;
  } else if constexpr (op == SI::SRSRA || op == SI::URSRA) {
    return (d + shift_exact(w, -shift, true, esize).lo) & mask;
  } else if constexpr (op == SI::SRI) {
    const u64 m = lsr_capped(mask, shift);
    return (d & mask & ~m) | lsr_capped(a, shift);
  } else if constexpr (op == SI::SHL) {
    return (a << shift) & mask;
  } else if constexpr (op == SI::SLI) {
    const u64 m = (mask << shift) & mask;
    return (d & mask & ~m) | ((a << shift) & m);
  } else if constexpr (op == SI::SQSHL || op == SI::SQSHLU) {
    return satq(shift_exact(w, shift, false, esize), esize, op == SI::SQSHLU, sat);
  } else {
    static_assert(op == SI::UQSHL);
    return satq(shift_exact(w, shift, false, esize), esize, true, sat);
  }
}

// Same-size shifts, vector and scalar. The scalar forms of the non-saturating shifts are 64-bit
// only.
template <SI op, class C>
KVRM_HD Signal shift_imm(C& c, u32 i, bool scalar) {
  const int sz = immh_size(i);
  if (sz < 0 || (!scalar && sz == 3 && !q(i)) || (scalar && !si_saturating(op) && sz != 3)) {
    return c.undefined(i);
  }
  const int esize = 8 << sz;
  const int shift = si_left(op) ? immhb(i) - esize : 2 * esize - immhb(i);
  const int elements = (scalar ? esize : q(i) ? 128 : 64) / esize;
  const VReg n = vget(c, rn(i)), d = vget(c, rd(i));
  VReg r{};
  bool sat = false;
  for (int e = 0; e < elements; ++e) {
    set_elem(r, e, esize,
             shift_imm_elem<op>(elem(n, e, esize), elem(d, e, esize), shift, esize, sat));
  }
  raise_qc(c, sat);
  vset(c, rd(i), r);
  return Signal::Running;
}

// Shift right narrow: SHRN, RSHRN, SQSHRN, UQSHRN, SQRSHRN, UQRSHRN, SQSHRUN, SQRSHRUN.
template <class C>
KVRM_HD Signal shift_right_narrow(C& c, u32 i, bool scalar, bool src_unsigned, bool round,
                                  int sat_mode) {
  const int sz = immh_size(i);
  if (sz < 0 || sz == 3) return c.undefined(i);
  const int esize = 8 << sz;
  return narrow(c, i, esize, scalar, src_unsigned, 2 * esize - immhb(i), round, sat_mode);
}

// SSHLL, USHLL (SXTL, UXTL): the low or high half of Vn widened and shifted left.
template <class C>
KVRM_HD Signal shift_left_long(C& c, u32 i, bool is_unsigned) {
  const int sz = immh_size(i);
  if (sz < 0 || sz == 3) return c.undefined(i);
  const int esize = 8 << sz;
  const int shift = immhb(i) - esize;
  const u64 n = vpart(vget(c, rn(i)), q(i));
  VReg r{};
  for (int e = 0; e < 64 / esize; ++e) {
    const Wide w = widen(n >> (e * esize), esize, is_unsigned);
    set_elem(r, e, 2 * esize, lowbits(wshl(w, shift), 2 * esize));
  }
  vset(c, rd(i), r);
  return Signal::Running;
}
}  // namespace simd

#define KVRM_SIMD_SHIFT(OP)                                                \
  KVRM_SIMD_HANDLER(OP##_imm_vector, shift_imm<simd::SI::OP>(c, i, false)) \
  KVRM_SIMD_HANDLER(OP##_imm_scalar, shift_imm<simd::SI::OP>(c, i, true))
KVRM_SIMD_SHIFT(SSHR)
KVRM_SIMD_SHIFT(USHR)
KVRM_SIMD_SHIFT(SSRA)
KVRM_SIMD_SHIFT(USRA)
KVRM_SIMD_SHIFT(SRSHR)
KVRM_SIMD_SHIFT(URSHR)
KVRM_SIMD_SHIFT(SRSRA)
KVRM_SIMD_SHIFT(URSRA)
KVRM_SIMD_SHIFT(SRI)
KVRM_SIMD_SHIFT(SHL)
KVRM_SIMD_SHIFT(SLI)
KVRM_SIMD_SHIFT(SQSHL)
KVRM_SIMD_SHIFT(UQSHL)
KVRM_SIMD_SHIFT(SQSHLU)
#undef KVRM_SIMD_SHIFT

KVRM_SIMD_HANDLER(SHRN_vector, shift_right_narrow(c, i, false, true, false, 0))
KVRM_SIMD_HANDLER(RSHRN_vector, shift_right_narrow(c, i, false, true, true, 0))
KVRM_SIMD_HANDLER(SQSHRN_vector, shift_right_narrow(c, i, false, false, false, 1))
KVRM_SIMD_HANDLER(SQRSHRN_vector, shift_right_narrow(c, i, false, false, true, 1))
KVRM_SIMD_HANDLER(UQSHRN_vector, shift_right_narrow(c, i, false, true, false, 2))
KVRM_SIMD_HANDLER(UQRSHRN_vector, shift_right_narrow(c, i, false, true, true, 2))
KVRM_SIMD_HANDLER(SQSHRUN_vector, shift_right_narrow(c, i, false, false, false, 2))
KVRM_SIMD_HANDLER(SQRSHRUN_vector, shift_right_narrow(c, i, false, false, true, 2))
KVRM_SIMD_HANDLER(SQSHRN_scalar, shift_right_narrow(c, i, true, false, false, 1))
KVRM_SIMD_HANDLER(SQRSHRN_scalar, shift_right_narrow(c, i, true, false, true, 1))
KVRM_SIMD_HANDLER(UQSHRN_scalar, shift_right_narrow(c, i, true, true, false, 2))
KVRM_SIMD_HANDLER(UQRSHRN_scalar, shift_right_narrow(c, i, true, true, true, 2))
KVRM_SIMD_HANDLER(SQSHRUN_scalar, shift_right_narrow(c, i, true, false, false, 2))
KVRM_SIMD_HANDLER(SQRSHRUN_scalar, shift_right_narrow(c, i, true, false, true, 2))
KVRM_SIMD_HANDLER(SSHLL_vector, shift_left_long(c, i, false))
KVRM_SIMD_HANDLER(USHLL_vector, shift_left_long(c, i, true))

}  // namespace kvrm::sem

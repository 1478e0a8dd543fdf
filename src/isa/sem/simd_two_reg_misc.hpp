// Instruction semantics, C4.1.91 Advanced SIMD two-register miscellaneous (integer; the
// floating-point ones, URECPE and URSQRTE are the floating-point group's), scalar two-register
// miscellaneous (integer), and across lanes (integer).
#pragma once

#include "isa/sem/simd_int_arith.hpp"

namespace kvrm::sem {

namespace simd {

// Element-wise two-register operations.
enum class Misc {
  CLS,
  CLZ,
  CNT,
  NOT,
  RBIT,
  SQABS,
  SQNEG,
  ABS,
  NEG,
  CMGT0,
  CMGE0,
  CMEQ0,
  CMLE0,
  CMLT0,
  SUQADD,
  USQADD
};
// Permitted sizes of the vector and of the scalar form.
constexpr u32 misc_sizes(Misc op, bool scalar) {
  switch (op) {
    case Misc::CLS:
    case Misc::CLZ: return kBHS;
    case Misc::CNT:
    case Misc::NOT: return kB;
    case Misc::RBIT: return kH;  // size 01, byte elements
    case Misc::SQABS:
    case Misc::SQNEG:
    case Misc::SUQADD:
    case Misc::USQADD: return kBHSD;
    default: return scalar ? kD : kBHSD;  // ABS, NEG, compares with zero
  }
}

template <Misc op>
KVRM_HD u64 misc_elem(u64 a, u64 d, int esize, bool& sat) {
  const u64 mask = ones(esize);
  const Wide sa = widen(a, esize, false);
  if constexpr (op == Misc::CLS) {
    const u64 x = (a ^ (a >> 1)) & ones(esize - 1);  // bit k set where bits k and k+1 differ
    return static_cast<u64>(clz64(x) - (64 - esize) - 1);
  } else if constexpr (op == Misc::CLZ) {
    return static_cast<u64>(clz64(a & mask) - (64 - esize));
  } else if constexpr (op == Misc::CNT) {
    return static_cast<u64>(popcount64(a & mask));
  } else if constexpr (op == Misc::NOT) {
    return ~a & mask;
  } else if constexpr (op == Misc::RBIT) {
    return bitreverse64(a) >> (64 - esize);
  } else if constexpr (op == Misc::SQABS) {
    return satq(wabs(sa), esize, false, sat);
  } else if constexpr (op == Misc::SQNEG) {
    return satq(wneg(sa), esize, false, sat);
  } else if constexpr (op == Misc::ABS) {
    return lowbits(wabs(sa), esize);
  } else if constexpr (op == Misc::NEG) {
    return (u64{0} - a) & mask;
  } else if constexpr (op == Misc::CMGT0) {
    return wlt(ws(0), sa) ? mask : 0;
  } else if constexpr (op == Misc::CMGE0) {
    return wisneg(sa) ? 0 : mask;
  } else if constexpr (op == Misc::CMEQ0) {
    return (a & mask) == 0 ? mask : 0;
  } else if constexpr (op == Misc::CMLE0) {
    return wlt(ws(0), sa) ? 0 : mask;
  } else if constexpr (op == Misc::CMLT0) {
    return wisneg(sa) ? mask : 0;
  } else if constexpr (op == Misc::SUQADD) {  // signed Vd + unsigned Vn, signed saturation
    return satq(wadd(widen(d, esize, false), widen(a, esize, true)), esize, false, sat);
  } else {
    static_assert(op == Misc::USQADD);  // unsigned Vd + signed Vn, unsigned saturation
    return satq(wadd(widen(d, esize, true), sa), esize, true, sat);
  }
}

template <Misc op, class C>
KVRM_HD Signal two_reg_misc(C& c, u32 i, bool scalar) {
  const int sz = size(i);
  if (!size_ok(misc_sizes(op, scalar), sz, q(i), scalar)) return c.undefined(i);
  const int esize = op == Misc::RBIT ? 8 : 8 << sz;
  const int elements = (scalar ? esize : q(i) ? 128 : 64) / esize;
  const VReg n = vget(c, rn(i)), d = vget(c, rd(i));
  VReg r{};
  bool sat = false;
  for (int e = 0; e < elements; ++e) {
    set_elem(r, e, esize, misc_elem<op>(elem(n, e, esize), elem(d, e, esize), esize, sat));
  }
  raise_qc(c, sat);
  vset(c, rd(i), r);
  return Signal::Running;
}

// REV16, REV32, REV64: reverse the order of the elements within each 16/32/64-bit container.
template <class C>
KVRM_HD Signal reverse(C& c, u32 i, int container) {
  const int sz = size(i);
  const int esize = 8 << sz;
  if (esize >= container) return c.undefined(i);
  const int per = container / esize;
  const VReg n = vget(c, rn(i));
  VReg r{};
  for (int e = 0; e < (q(i) ? 128 : 64) / esize; ++e) {
    const int base = e - e % per;
    set_elem(r, e, esize, elem(n, base + (per - 1 - e % per), esize));
  }
  vset(c, rd(i), r);
  return Signal::Running;
}

// SADDLP, UADDLP, SADALP, UADALP: sums of adjacent pairs, widened, optionally accumulated.
template <class C>
KVRM_HD Signal add_long_pairwise(C& c, u32 i, bool is_unsigned, bool accumulate) {
  const int sz = size(i);
  if (sz == 3) return c.undefined(i);
  const int esize = 8 << sz;
  const VReg n = vget(c, rn(i)), d = vget(c, rd(i));
  VReg r{};
  for (int e = 0; e < (q(i) ? 64 : 32) / esize; ++e) {
    Wide s = wadd(widen(elem(n, 2 * e, esize), esize, is_unsigned),
                  widen(elem(n, 2 * e + 1, esize), esize, is_unsigned));
    if (accumulate) s = wadd(s, wu(elem(d, e, 2 * esize)));
    set_elem(r, e, 2 * esize, lowbits(s, 2 * esize));
  }
  vset(c, rd(i), r);
  return Signal::Running;
}

// XTN, SQXTN, UQXTN, SQXTUN and the shift-right-narrow family: each 2 * esize-bit element of Vn
// (read as `src_unsigned`), shifted right by `shift` (rounding when `round`), truncated
// (sat_mode 0) or saturated to a signed (1) or unsigned (2) esize-bit element.
KVRM_HD u64 narrow_elem(u64 a, int esize, bool src_unsigned, int shift, bool round, int sat_mode,
                        bool& sat) {
  const Wide w = shift_exact(widen(a, 2 * esize, src_unsigned), -shift, round, 2 * esize);
  return sat_mode == 0 ? lowbits(w, esize) : satq(w, esize, sat_mode == 2, sat);
}
// Writes the narrowed elements of Vn: to the low or (Q = 1) high half of Vd, or as a scalar.
template <class C>
KVRM_HD Signal narrow(C& c, u32 i, int esize, bool scalar, bool src_unsigned, int shift, bool round,
                      int sat_mode) {
  const VReg n = vget(c, rn(i));
  u64 r = 0;
  bool sat = false;
  for (int e = 0; e < (scalar ? 1 : 64 / esize); ++e) {
    r |= narrow_elem(elem(n, e, 2 * esize), esize, src_unsigned, shift, round, sat_mode, sat)
         << (e * esize);
  }
  raise_qc(c, sat);
  write_part(c, rd(i), !scalar && q(i), r);
  return Signal::Running;
}
template <class C>
KVRM_HD Signal extract_narrow(C& c, u32 i, bool scalar, bool src_unsigned, int sat_mode) {
  if (size(i) == 3) return c.undefined(i);
  return narrow(c, i, 8 << size(i), scalar, src_unsigned, 0, false, sat_mode);
}

// SHLL, SHLL2: each element of the low or high half of Vn, widened and shifted left by esize.
template <class C>
KVRM_HD Signal shll(C& c, u32 i) {
  const int sz = size(i);
  if (sz == 3) return c.undefined(i);
  const int esize = 8 << sz;
  const u64 n = vpart(vget(c, rn(i)), q(i));
  VReg r{};
  for (int e = 0; e < 64 / esize; ++e) {
    set_elem(r, e, 2 * esize, ((n >> (e * esize)) & ones(esize)) << esize);
  }
  vset(c, rd(i), r);
  return Signal::Running;
}

// Across lanes: ADDV, SADDLV, UADDLV, SMAXV, UMAXV, SMINV, UMINV. Sizes B and H, and S with
// Q = 1 (4S).
enum class Across { ADDV, SADDLV, UADDLV, SMAXV, UMAXV, SMINV, UMINV };
template <Across op, class C>
KVRM_HD Signal across(C& c, u32 i) {
  const int sz = size(i);
  if (sz == 3 || (sz == 2 && !q(i))) return c.undefined(i);
  constexpr bool u = op == Across::UADDLV || op == Across::UMAXV || op == Across::UMINV;
  const int esize = 8 << sz;
  const VReg n = vget(c, rn(i));
  Wide acc = widen(elem(n, 0, esize), esize, u);
  for (int e = 1; e < (q(i) ? 128 : 64) / esize; ++e) {
    const Wide x = widen(elem(n, e, esize), esize, u);
    if constexpr (op == Across::ADDV || op == Across::SADDLV || op == Across::UADDLV) {
      acc = wadd(acc, x);
    } else if constexpr (op == Across::SMAXV || op == Across::UMAXV) {
      if (wlt(acc, x)) acc = x;
    } else {
      if (wlt(x, acc)) acc = x;
    }
  }
  const bool is_long = op == Across::SADDLV || op == Across::UADDLV;
  const int rsize = is_long ? 2 * esize : esize;
  vwrite_scalar(c, rd(i), rsize, lowbits(acc, rsize));
  return Signal::Running;
}
}  // namespace simd

#define KVRM_SIMD_MISC(NAME, OP, SCALAR) \
  KVRM_SIMD_HANDLER(NAME, two_reg_misc<simd::Misc::OP>(c, i, SCALAR))
KVRM_SIMD_MISC(CLS_vector, CLS, false)
KVRM_SIMD_MISC(CLZ_vector, CLZ, false)
KVRM_SIMD_MISC(CNT_vector, CNT, false)
KVRM_SIMD_MISC(NOT_vector, NOT, false)
KVRM_SIMD_MISC(RBIT_vector, RBIT, false)
KVRM_SIMD_MISC(SQABS_vector, SQABS, false)
KVRM_SIMD_MISC(SQNEG_vector, SQNEG, false)
KVRM_SIMD_MISC(ABS_vector, ABS, false)
KVRM_SIMD_MISC(NEG_vector, NEG, false)
KVRM_SIMD_MISC(CMGT_zero_vector, CMGT0, false)
KVRM_SIMD_MISC(CMGE_zero_vector, CMGE0, false)
KVRM_SIMD_MISC(CMEQ_zero_vector, CMEQ0, false)
KVRM_SIMD_MISC(CMLE_zero_vector, CMLE0, false)
KVRM_SIMD_MISC(CMLT_zero_vector, CMLT0, false)
KVRM_SIMD_MISC(SUQADD_vector, SUQADD, false)
KVRM_SIMD_MISC(USQADD_vector, USQADD, false)
KVRM_SIMD_MISC(SQABS_scalar, SQABS, true)
KVRM_SIMD_MISC(SQNEG_scalar, SQNEG, true)
KVRM_SIMD_MISC(ABS_scalar, ABS, true)
KVRM_SIMD_MISC(NEG_scalar, NEG, true)
KVRM_SIMD_MISC(CMGT_zero_scalar, CMGT0, true)
KVRM_SIMD_MISC(CMGE_zero_scalar, CMGE0, true)
KVRM_SIMD_MISC(CMEQ_zero_scalar, CMEQ0, true)
KVRM_SIMD_MISC(CMLE_zero_scalar, CMLE0, true)
KVRM_SIMD_MISC(CMLT_zero_scalar, CMLT0, true)
KVRM_SIMD_MISC(SUQADD_scalar, SUQADD, true)
KVRM_SIMD_MISC(USQADD_scalar, USQADD, true)
#undef KVRM_SIMD_MISC

KVRM_SIMD_HANDLER(REV16_vector, reverse(c, i, 16))
KVRM_SIMD_HANDLER(REV32_vector, reverse(c, i, 32))
KVRM_SIMD_HANDLER(REV64_vector, reverse(c, i, 64))
KVRM_SIMD_HANDLER(SADDLP_vector, add_long_pairwise(c, i, false, false))
KVRM_SIMD_HANDLER(UADDLP_vector, add_long_pairwise(c, i, true, false))
KVRM_SIMD_HANDLER(SADALP_vector, add_long_pairwise(c, i, false, true))
KVRM_SIMD_HANDLER(UADALP_vector, add_long_pairwise(c, i, true, true))
KVRM_SIMD_HANDLER(XTN_vector, extract_narrow(c, i, false, true, 0))
KVRM_SIMD_HANDLER(SQXTN_vector, extract_narrow(c, i, false, false, 1))
KVRM_SIMD_HANDLER(UQXTN_vector, extract_narrow(c, i, false, true, 2))
KVRM_SIMD_HANDLER(SQXTUN_vector, extract_narrow(c, i, false, false, 2))
KVRM_SIMD_HANDLER(SQXTN_scalar, extract_narrow(c, i, true, false, 1))
KVRM_SIMD_HANDLER(UQXTN_scalar, extract_narrow(c, i, true, true, 2))
KVRM_SIMD_HANDLER(SQXTUN_scalar, extract_narrow(c, i, true, false, 2))
KVRM_SIMD_HANDLER(SHLL_vector, shll(c, i))

KVRM_SIMD_HANDLER(ADDV, across<simd::Across::ADDV>(c, i))
KVRM_SIMD_HANDLER(SADDLV, across<simd::Across::SADDLV>(c, i))
KVRM_SIMD_HANDLER(UADDLV, across<simd::Across::UADDLV>(c, i))
KVRM_SIMD_HANDLER(SMAXV, across<simd::Across::SMAXV>(c, i))
KVRM_SIMD_HANDLER(UMAXV, across<simd::Across::UMAXV>(c, i))
KVRM_SIMD_HANDLER(SMINV, across<simd::Across::SMINV>(c, i))
KVRM_SIMD_HANDLER(UMINV, across<simd::Across::UMINV>(c, i))

}  // namespace kvrm::sem

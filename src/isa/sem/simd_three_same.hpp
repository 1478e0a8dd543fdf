// Instruction semantics, C4.1.91 Advanced SIMD three same (integer), three same extra
// (SQRDMLAH, SQRDMLSH), their scalar forms, and scalar pairwise ADDP.
#pragma once

#include "isa/sem/simd_int_arith.hpp"

namespace kvrm::sem {

namespace simd {

// The integer operations of "three same" (also used by the by-element group).
enum class TS {
  SHADD,
  UHADD,
  SRHADD,
  URHADD,
  SHSUB,
  UHSUB,
  SQADD,
  UQADD,
  SQSUB,
  UQSUB,
  AND,
  BIC,
  ORR,
  ORN,
  EOR,
  BSL,
  BIT,
  BIF,
  CMGT,
  CMHI,
  CMGE,
  CMHS,
  CMEQ,
  CMTST,
  SSHL,
  USHL,
  SRSHL,
  URSHL,
  SQSHL,
  UQSHL,
  SQRSHL,
  UQRSHL,
  SMAX,
  UMAX,
  SMIN,
  UMIN,
  SABD,
  UABD,
  SABA,
  UABA,
  ADD,
  SUB,
  MUL,
  MLA,
  MLS,
  PMUL,
  SMAXP,
  UMAXP,
  SMINP,
  UMINP,
  ADDP,
  SQDMULH,
  SQRDMULH,
  SQRDMLAH,
  SQRDMLSH
};

constexpr bool ts_unsigned(TS op) {
  return op == TS::UHADD || op == TS::URHADD || op == TS::UHSUB || op == TS::UQADD ||
         op == TS::UQSUB || op == TS::CMHI || op == TS::CMHS || op == TS::USHL || op == TS::URSHL ||
         op == TS::UQSHL || op == TS::UQRSHL || op == TS::UMAX || op == TS::UMIN ||
         op == TS::UABD || op == TS::UABA || op == TS::UMAXP || op == TS::UMINP;
}
constexpr bool ts_logical(TS op) {
  return op == TS::AND || op == TS::BIC || op == TS::ORR || op == TS::ORN || op == TS::EOR ||
         op == TS::BSL || op == TS::BIT || op == TS::BIF;
}
constexpr bool ts_pairwise(TS op) {
  return op == TS::SMAXP || op == TS::UMAXP || op == TS::SMINP || op == TS::UMINP || op == TS::ADDP;
}
// Permitted sizes of the vector form.
constexpr u32 ts_sizes(TS op) {
  switch (op) {
    case TS::SQADD:
    case TS::UQADD:
    case TS::SQSUB:
    case TS::UQSUB:
    case TS::CMGT:
    case TS::CMHI:
    case TS::CMGE:
    case TS::CMHS:
    case TS::CMEQ:
    case TS::CMTST:
    case TS::SSHL:
    case TS::USHL:
    case TS::SRSHL:
    case TS::URSHL:
    case TS::SQSHL:
    case TS::UQSHL:
    case TS::SQRSHL:
    case TS::UQRSHL:
    case TS::ADD:
    case TS::SUB:
    case TS::ADDP: return kBHSD;
    case TS::PMUL: return kB;
    case TS::SQDMULH:
    case TS::SQRDMULH:
    case TS::SQRDMLAH:
    case TS::SQRDMLSH: return kHS;
    default: return kBHS;
  }
}
// Permitted sizes of the scalar form: the saturating ones take every size, the others D only,
// the doubling multiplies H and S.
constexpr u32 ts_scalar_sizes(TS op) {
  switch (op) {
    case TS::SQADD:
    case TS::UQADD:
    case TS::SQSUB:
    case TS::UQSUB:
    case TS::SQSHL:
    case TS::UQSHL:
    case TS::SQRSHL:
    case TS::UQRSHL: return kBHSD;
    case TS::SQDMULH:
    case TS::SQRDMULH:
    case TS::SQRDMLAH:
    case TS::SQRDMLSH: return kHS;
    default: return kD;
  }
}

// The doubling multiply-high family: (d << esize) +/- 2 * a * b (+ rounding), >> esize, saturated.
KVRM_HD u64 doubling_mul_high(u64 a, u64 b, u64 d, int esize, bool round, int acc, bool& sat) {
  const Wide prod = wshl(ws(sext(a, esize) * sext(b, esize)), 1);
  Wide sum = acc == 0 ? prod : wadd(wshl(ws(sext(d, esize)), esize), acc > 0 ? prod : wneg(prod));
  if (round) sum = wadd(sum, wpow2(esize - 1));
  return satq(wsar(sum, esize), esize, false, sat);
}

// One element of a three-same operation: a from Vn, b from Vm, d the old Vd element.
template <TS op>
KVRM_HD u64 three_same_elem(u64 a, u64 b, u64 d, int esize, bool& sat) {
  constexpr bool u = ts_unsigned(op);
  const u64 mask = ones(esize);
  const Wide wa = widen(a, esize, u), wb = widen(b, esize, u);
  if constexpr (op == TS::SHADD || op == TS::UHADD) {
    return lowbits(wsar(wadd(wa, wb), 1), esize);
  } else if constexpr (op == TS::SRHADD || op == TS::URHADD) {
    return lowbits(wsar(wadd(wadd(wa, wb), wu(1)), 1), esize);
  } else if constexpr (op == TS::SHSUB || op == TS::UHSUB) {
    return lowbits(wsar(wsub(wa, wb), 1), esize);
  } else if constexpr (op == TS::SQADD || op == TS::UQADD) {
    return satq(wadd(wa, wb), esize, u, sat);
  } else if constexpr (op == TS::SQSUB || op == TS::UQSUB) {
    return satq(wsub(wa, wb), esize, u, sat);
  } else if constexpr (op == TS::AND) {
    return a & b;
  } else if constexpr (op == TS::BIC) {
    return a & ~b;
  } else if constexpr (op == TS::ORR) {
    return a | b;
  } else if constexpr (op == TS::ORN) {
    return a | ~b;
  } else if constexpr (op == TS::EOR) {
    return a ^ b;
  } else if constexpr (op == TS::BSL) {
    return (d & a) | (~d & b);
  } else if constexpr (op == TS::BIT) {
    return (b & a) | (~b & d);
  } else if constexpr (op == TS::BIF) {
    return (~b & a) | (b & d);
  } else if constexpr (op == TS::CMGT || op == TS::CMHI) {
    return wlt(wb, wa) ? mask : 0;
  } else if constexpr (op == TS::CMGE || op == TS::CMHS) {
    return wlt(wa, wb) ? 0 : mask;
  } else if constexpr (op == TS::CMEQ) {
    return (a & mask) == (b & mask) ? mask : 0;
  } else if constexpr (op == TS::CMTST) {
    return (a & b & mask) != 0 ? mask : 0;
  } else if constexpr (op == TS::SSHL || op == TS::USHL) {
    return lowbits(shift_exact(wa, shift_operand(b), false, esize), esize);
  } else if constexpr (op == TS::SRSHL || op == TS::URSHL) {
    return lowbits(shift_exact(wa, shift_operand(b), true, esize), esize);
  } else if constexpr (op == TS::SQSHL || op == TS::UQSHL) {
    return satq(shift_exact(wa, shift_operand(b), false, esize), esize, u, sat);
  } else if constexpr (op == TS::SQRSHL || op == TS::UQRSHL) {
    return satq(shift_exact(wa, shift_operand(b), true, esize), esize, u, sat);
  } else if constexpr (op == TS::SMAX || op == TS::UMAX || op == TS::SMAXP || op == TS::UMAXP) {
    return (wlt(wa, wb) ? b : a) & mask;
  } else if constexpr (op == TS::SMIN || op == TS::UMIN || op == TS::SMINP || op == TS::UMINP) {
    return (wlt(wa, wb) ? a : b) & mask;
  } else if constexpr (op == TS::SABD || op == TS::UABD) {
    return lowbits(wabs(wsub(wa, wb)), esize);
  } else if constexpr (op == TS::SABA || op == TS::UABA) {
    return (d + wabs(wsub(wa, wb)).lo) & mask;
  } else if constexpr (op == TS::ADD || op == TS::ADDP) {
    return (a + b) & mask;
  } else if constexpr (op == TS::SUB) {
    return (a - b) & mask;
  } else if constexpr (op == TS::MUL) {
    return (a * b) & mask;
  } else if constexpr (op == TS::MLA) {
    return (d + a * b) & mask;
  } else if constexpr (op == TS::MLS) {
    return (d - a * b) & mask;
  } else if constexpr (op == TS::PMUL) {
    return pmul8(a, b);
  } else if constexpr (op == TS::SQDMULH) {
    return doubling_mul_high(a, b, d, esize, false, 0, sat);
  } else if constexpr (op == TS::SQRDMULH) {
    return doubling_mul_high(a, b, d, esize, true, 0, sat);
  } else if constexpr (op == TS::SQRDMLAH) {
    return doubling_mul_high(a, b, d, esize, true, 1, sat);
  } else {
    static_assert(op == TS::SQRDMLSH);
    return doubling_mul_high(a, b, d, esize, true, -1, sat);
  }
}

// Vector and scalar three same. Logical operations work on 64-bit chunks (their size field is
// part of the opcode); pairwise ones take adjacent element pairs of the concatenation Vm:Vn.
template <TS op, class C>
KVRM_HD Signal three_same(C& c, u32 i, bool scalar) {
  const int sz = size(i);
  const bool qbit = q(i);
  if (!ts_logical(op) && !size_ok(scalar ? ts_scalar_sizes(op) : ts_sizes(op), sz, qbit, scalar)) {
    return c.undefined(i);
  }
  const int esize = ts_logical(op) ? 64 : 8 << sz;
  const int elements = (scalar ? esize : qbit ? 128 : 64) / esize;
  const VReg n = vget(c, rn(i)), m = vget(c, rm(i)), d = vget(c, rd(i));
  VReg r{};
  bool sat = false;
  for (int e = 0; e < elements; ++e) {
    u64 a, b;
    if constexpr (ts_pairwise(op)) {
      const int k = 2 * e;
      a = k < elements ? elem(n, k, esize) : elem(m, k - elements, esize);
      b = k + 1 < elements ? elem(n, k + 1, esize) : elem(m, k + 1 - elements, esize);
    } else {
      a = elem(n, e, esize);
      b = elem(m, e, esize);
    }
    set_elem(r, e, esize, three_same_elem<op>(a, b, elem(d, e, esize), esize, sat));
  }
  raise_qc(c, sat);
  vset(c, rd(i), r);  // every bit above datasize is zero
  return Signal::Running;
}

// ADDP (scalar): the two D elements of Vn.
template <class C>
KVRM_HD Signal addp_scalar(C& c, u32 i) {
  if (size(i) != 3) return c.undefined(i);
  const VReg n = vget(c, rn(i));
  vwrite_scalar(c, rd(i), 64, n.lo + n.hi);
  return Signal::Running;
}
}  // namespace simd

#define KVRM_SIMD_THREE_SAME(OP) \
  KVRM_SIMD_HANDLER(OP##_vector, three_same<simd::TS::OP>(c, i, false))
#define KVRM_SIMD_THREE_SAME_SCALAR(OP) \
  KVRM_SIMD_THREE_SAME(OP)              \
  KVRM_SIMD_HANDLER(OP##_scalar, three_same<simd::TS::OP>(c, i, true))

KVRM_SIMD_THREE_SAME(SHADD)
KVRM_SIMD_THREE_SAME(UHADD)
KVRM_SIMD_THREE_SAME(SRHADD)
KVRM_SIMD_THREE_SAME(URHADD)
KVRM_SIMD_THREE_SAME(SHSUB)
KVRM_SIMD_THREE_SAME(UHSUB)
KVRM_SIMD_THREE_SAME_SCALAR(SQADD)
KVRM_SIMD_THREE_SAME_SCALAR(UQADD)
KVRM_SIMD_THREE_SAME_SCALAR(SQSUB)
KVRM_SIMD_THREE_SAME_SCALAR(UQSUB)
KVRM_SIMD_THREE_SAME(AND)
KVRM_SIMD_THREE_SAME(BIC)
KVRM_SIMD_THREE_SAME(ORR)
KVRM_SIMD_THREE_SAME(ORN)
KVRM_SIMD_THREE_SAME(EOR)
KVRM_SIMD_THREE_SAME(BSL)
KVRM_SIMD_THREE_SAME(BIT)
KVRM_SIMD_THREE_SAME(BIF)
KVRM_SIMD_THREE_SAME_SCALAR(CMGT)
KVRM_SIMD_THREE_SAME_SCALAR(CMHI)
KVRM_SIMD_THREE_SAME_SCALAR(CMGE)
KVRM_SIMD_THREE_SAME_SCALAR(CMHS)
KVRM_SIMD_THREE_SAME_SCALAR(CMEQ)
KVRM_SIMD_THREE_SAME_SCALAR(CMTST)
KVRM_SIMD_THREE_SAME_SCALAR(SSHL)
KVRM_SIMD_THREE_SAME_SCALAR(USHL)
KVRM_SIMD_THREE_SAME_SCALAR(SRSHL)
KVRM_SIMD_THREE_SAME_SCALAR(URSHL)
KVRM_SIMD_THREE_SAME_SCALAR(SQSHL)
KVRM_SIMD_THREE_SAME_SCALAR(UQSHL)
KVRM_SIMD_THREE_SAME_SCALAR(SQRSHL)
KVRM_SIMD_THREE_SAME_SCALAR(UQRSHL)
KVRM_SIMD_THREE_SAME(SMAX)
KVRM_SIMD_THREE_SAME(UMAX)
KVRM_SIMD_THREE_SAME(SMIN)
KVRM_SIMD_THREE_SAME(UMIN)
KVRM_SIMD_THREE_SAME(SABD)
KVRM_SIMD_THREE_SAME(UABD)
KVRM_SIMD_THREE_SAME(SABA)
KVRM_SIMD_THREE_SAME(UABA)
KVRM_SIMD_THREE_SAME_SCALAR(ADD)
KVRM_SIMD_THREE_SAME_SCALAR(SUB)
KVRM_SIMD_THREE_SAME(MUL)
KVRM_SIMD_THREE_SAME(MLA)
KVRM_SIMD_THREE_SAME(MLS)
KVRM_SIMD_THREE_SAME(PMUL)
KVRM_SIMD_THREE_SAME(SMAXP)
KVRM_SIMD_THREE_SAME(UMAXP)
KVRM_SIMD_THREE_SAME(SMINP)
KVRM_SIMD_THREE_SAME(UMINP)
KVRM_SIMD_THREE_SAME(ADDP)
KVRM_SIMD_THREE_SAME_SCALAR(SQDMULH)
KVRM_SIMD_THREE_SAME_SCALAR(SQRDMULH)
KVRM_SIMD_THREE_SAME_SCALAR(SQRDMLAH)
KVRM_SIMD_THREE_SAME_SCALAR(SQRDMLSH)
KVRM_SIMD_HANDLER(ADDP_scalar, addp_scalar(c, i))

#undef KVRM_SIMD_THREE_SAME_SCALAR
#undef KVRM_SIMD_THREE_SAME

}  // namespace kvrm::sem

// Instruction semantics, C4.1.91 Data processing -- Advanced SIMD, floating-point groups (vector
// and scalar forms), on the FP primitives of isa/fp. Half-precision arithmetic (FEAT_FP16) is not
// implemented: its encodings are UNDEFINED here.
#pragma once

#include "isa/sem/fp_scalar.hpp"
#include "isa/sem/simd_common.hpp"

namespace kvrm::sem {

namespace simdfp {

using fpu::Bin;
using fpu::rd;
using fpu::rm;
using fpu::rn;
using fpu::Un;

KVRM_HD constexpr bool q(u32 i) { return bit(i, 30); }
// The element size of the sz field (bit 22): 32 or 64.
KVRM_HD constexpr int esize(u32 i) { return bit(i, 22) ? 64 : 32; }
// A vector arrangement is valid unless it is 1D (sz = 1, Q = 0).
KVRM_HD constexpr bool vec_ok(u32 i) { return !(bit(i, 22) && !q(i)); }
KVRM_HD constexpr int lanes(u32 i) { return (q(i) ? 128 : 64) / esize(i); }

// What a per-element operation does.
enum class Kind : u8 {
  Binary,  // op(Vn, Vm)
  Unary,   // op(Vn)
  ToInt,   // FCVT<r>S/U to same-size integers (rounding, unsigned, fbits)
  FromInt  // SCVTF/UCVTF from same-size integers (unsigned, fbits)
};
struct ElemOp {
  Kind kind;
  Bin bin;
  Un un;
  fp::Rounding rm;
  bool is_unsigned;
  int frac_bits;
  bool swap;  // Binary: op(Vm, Vn) (FCMLE/FCMLT against zero)
};
KVRM_HD constexpr ElemOp binary(Bin b, bool swap = false) {
  return {Kind::Binary, b, Un::Abs, fp::Rounding::TieEven, false, 0, swap};
}
KVRM_HD constexpr ElemOp unary(Un u) {
  return {Kind::Unary, Bin::Add, u, fp::Rounding::TieEven, false, 0, false};
}
KVRM_HD constexpr ElemOp to_int(fp::Rounding r, bool is_unsigned, int frac_bits = 0) {
  return {Kind::ToInt, Bin::Add, Un::Abs, r, is_unsigned, frac_bits, false};
}
KVRM_HD constexpr ElemOp from_int(bool is_unsigned, int frac_bits = 0) {
  return {Kind::FromInt, Bin::Add, Un::Abs, fp::Rounding::TieEven, is_unsigned, frac_bits, false};
}

KVRM_FP_HD u64 apply(const ElemOp& op, u64 a, u64 b, int n, u32 fpcr, u32& fl) {
  switch (op.kind) {
    case Kind::Binary:
      return op.swap ? fpu::binop(op.bin, b, a, n, fpcr, fl)
                     : fpu::binop(op.bin, a, b, n, fpcr, fl);
    case Kind::Unary: return fpu::unop(op.un, a, n, fpcr, fl);
    case Kind::ToInt: return fp::to_fixed(a, n, op.frac_bits, op.is_unsigned, n, fpcr, op.rm, fl);
    case Kind::FromInt:
      return fp::from_fixed(a, n, op.frac_bits, op.is_unsigned, n, fpcr, fp::fpcr_rounding(fpcr),
                            fl);
  }
  return 0;
}

// Vector form: each element of Vn (and Vm, or zero when `zero_m`).
template <class C>
KVRM_HD Signal vector(C& c, u32 i, ElemOp op, bool zero_m = false) {
  if (!vec_ok(i)) return c.undefined(i);
  const int n = esize(i);
  const VReg a = vget(c, rn(i)), b = vget(c, rm(i));
  VReg r{};
  u32 fl = 0;
  for (int e = 0; e < lanes(i); ++e) {
    set_elem(r, e, n, apply(op, elem(a, e, n), zero_m ? 0 : elem(b, e, n), n, c.s.fpcr, fl));
  }
  fpsr_raise(c, fl);
  vwrite_vector(c, rd(i), r, q(i));
  return Signal::Running;
}
// Scalar form (Advanced SIMD scalar): element 0 of Vn (and Vm, or zero).
template <class C>
KVRM_HD Signal scalar(C& c, u32 i, ElemOp op, bool zero_m = false) {
  const int n = esize(i);
  u32 fl = 0;
  const u64 r =
      apply(op, vread_scalar(c, rn(i), n), zero_m ? 0 : vread_scalar(c, rm(i), n), n, c.s.fpcr, fl);
  fpsr_raise(c, fl);
  vwrite_scalar(c, rd(i), n, r);
  return Signal::Running;
}

// FMLA/FMLS (vector): Vd + (-)Vn * Vm, fused.
template <class C>
KVRM_HD Signal fmla(C& c, u32 i, bool sub) {
  if (!vec_ok(i)) return c.undefined(i);
  const int n = esize(i);
  const VReg a = vget(c, rn(i)), b = vget(c, rm(i)), d = vget(c, rd(i));
  VReg r{};
  u32 fl = 0;
  for (int e = 0; e < lanes(i); ++e) {
    u64 x = elem(a, e, n);
    if (sub) x = fp::neg(x, n);
    set_elem(r, e, n, fp::muladd(elem(d, e, n), x, elem(b, e, n), n, c.s.fpcr, fl));
  }
  fpsr_raise(c, fl);
  vwrite_vector(c, rd(i), r, q(i));
  return Signal::Running;
}

// Pairwise (vector): the pairs of Vm:Vn concatenated, Vn's in the low half of the result.
template <class C>
KVRM_HD Signal pairwise(C& c, u32 i, Bin op) {
  if (!vec_ok(i)) return c.undefined(i);
  const int n = esize(i), count = lanes(i);
  const VReg a = vget(c, rn(i)), b = vget(c, rm(i));
  VReg r{};
  u32 fl = 0;
  for (int e = 0; e < count; ++e) {
    const VReg& src = 2 * e < count ? a : b;
    const int k = (2 * e) % count;
    set_elem(r, e, n, fpu::binop(op, elem(src, k, n), elem(src, k + 1, n), n, c.s.fpcr, fl));
  }
  fpsr_raise(c, fl);
  vwrite_vector(c, rd(i), r, q(i));
  return Signal::Running;
}
// Pairwise (scalar): the two elements of Vn (2S or 2D).
template <class C>
KVRM_HD Signal pairwise_scalar(C& c, u32 i, Bin op) {
  const int n = esize(i);
  const VReg a = vget(c, rn(i));
  u32 fl = 0;
  const u64 r = fpu::binop(op, elem(a, 0, n), elem(a, 1, n), n, c.s.fpcr, fl);
  fpsr_raise(c, fl);
  vwrite_scalar(c, rd(i), n, r);
  return Signal::Running;
}
// Across lanes (4S only): Reduce halves recursively: op(op(e0, e1), op(e2, e3)).
template <class C>
KVRM_HD Signal across(C& c, u32 i, Bin op) {
  if (!q(i) || bit(i, 22)) return c.undefined(i);
  const VReg a = vget(c, rn(i));
  u32 fl = 0;
  const u32 fpcr = c.s.fpcr;
  const u64 lo = fpu::binop(op, elem(a, 0, 32), elem(a, 1, 32), 32, fpcr, fl);
  const u64 hi = fpu::binop(op, elem(a, 2, 32), elem(a, 3, 32), 32, fpcr, fl);
  const u64 r = fpu::binop(op, lo, hi, 32, fpcr, fl);
  fpsr_raise(c, fl);
  vwrite_scalar(c, rd(i), 32, r);
  return Signal::Running;
}

// By element: the index is H:L (single) or H (double, L must be 0); Rm is M:Rm (5 bits).
KVRM_HD constexpr int elem_index(u32 i) {
  return bit(i, 22) ? static_cast<int>(bit(i, 11))
                    : static_cast<int>((bit(i, 11) << 1) | bit(i, 21));
}
KVRM_HD constexpr bool elem_ok(u32 i) { return !(bit(i, 22) && bit(i, 21)); }
enum class ElemMul : u8 { Mla, Mls, Mul, MulX };
KVRM_FP_HD u64 by_elem_op(ElemMul op, u64 d, u64 a, u64 b, int n, u32 fpcr, u32& fl) {
  switch (op) {
    case ElemMul::Mla: return fp::muladd(d, a, b, n, fpcr, fl);
    case ElemMul::Mls: return fp::muladd(d, fp::neg(a, n), b, n, fpcr, fl);
    case ElemMul::Mul: return fp::mul(a, b, n, fpcr, fl);
    case ElemMul::MulX: return fp::mulx(a, b, n, fpcr, fl);
  }
  return 0;
}
template <class C>
KVRM_HD Signal by_element(C& c, u32 i, ElemMul op, bool is_scalar) {
  if (!elem_ok(i) || (!is_scalar && !vec_ok(i))) return c.undefined(i);
  const int n = esize(i);
  const u64 b = elem(vget(c, rm(i)), elem_index(i), n);
  const VReg a = vget(c, rn(i)), d = vget(c, rd(i));
  u32 fl = 0;
  if (is_scalar) {
    const u64 r = by_elem_op(op, elem(d, 0, n), elem(a, 0, n), b, n, c.s.fpcr, fl);
    fpsr_raise(c, fl);
    vwrite_scalar(c, rd(i), n, r);
    return Signal::Running;
  }
  VReg r{};
  for (int e = 0; e < lanes(i); ++e) {
    set_elem(r, e, n, by_elem_op(op, elem(d, e, n), elem(a, e, n), b, n, c.s.fpcr, fl));
  }
  fpsr_raise(c, fl);
  vwrite_vector(c, rd(i), r, q(i));
  return Signal::Running;
}

// Shift by immediate conversions: immh = 1xxx double, 01xx single (001x is FEAT_FP16);
// fbits = 2 * esize - immh:immb.
KVRM_HD constexpr int shift_esize(u32 i) {
  const u32 immh = bits(i, 22, 19);
  return (immh & 8) ? 64 : (immh & 4) ? 32 : 0;
}
template <class C>
KVRM_HD Signal fixed_point(C& c, u32 i, bool to_fixed, bool is_unsigned, bool is_scalar) {
  const int n = shift_esize(i);
  if (n == 0 || (!is_scalar && n == 64 && !q(i))) return c.undefined(i);
  const int frac_bits = 2 * n - static_cast<int>(bits(i, 22, 16));
  const ElemOp op = to_fixed ? to_int(fp::Rounding::Zero, is_unsigned, frac_bits)
                             : from_int(is_unsigned, frac_bits);
  u32 fl = 0;
  if (is_scalar) {
    const u64 r = apply(op, vread_scalar(c, rn(i), n), 0, n, c.s.fpcr, fl);
    fpsr_raise(c, fl);
    vwrite_scalar(c, rd(i), n, r);
    return Signal::Running;
  }
  const VReg a = vget(c, rn(i));
  VReg r{};
  for (int e = 0; e < (q(i) ? 128 : 64) / n; ++e) {
    set_elem(r, e, n, apply(op, elem(a, e, n), 0, n, c.s.fpcr, fl));
  }
  fpsr_raise(c, fl);
  vwrite_vector(c, rd(i), r, q(i));
  return Signal::Running;
}

// FCVTN/FCVTXN (narrow, to the lower or, for "2", upper half) and FCVTL (widen, from the lower or
// upper half). sz = 0: single <-> half; sz = 1: double <-> single.
template <class C>
KVRM_HD Signal narrow(C& c, u32 i, bool round_odd) {
  const int n = bit(i, 22) ? 64 : 32, m = n / 2;
  if (round_odd && n != 64) return c.undefined(i);
  const VReg a = vget(c, rn(i));
  const fp::Rounding rmode = round_odd ? fp::Rounding::Odd : fp::fpcr_rounding(c.s.fpcr);
  u64 half = 0;
  u32 fl = 0;
  for (int e = 0; e < 128 / n; ++e) {
    half |= fp::convert(elem(a, e, n), n, m, c.s.fpcr, rmode, fl) << (e * m);
  }
  fpsr_raise(c, fl);
  VReg r = vget(c, rd(i));
  if (q(i)) {
    r.hi = half;
  } else {
    r = VReg{half, 0};
  }
  vset(c, rd(i), r);
  return Signal::Running;
}
template <class C>
KVRM_HD Signal widen(C& c, u32 i) {
  const int m = bit(i, 22) ? 64 : 32, n = m / 2;
  const VReg a = vget(c, rn(i));
  const u64 src = q(i) ? a.hi : a.lo;
  VReg r{};
  u32 fl = 0;
  for (int e = 0; e < 128 / m; ++e) {
    set_elem(
        r, e, m,
        fp::convert((src >> (e * n)) & ones(n), n, m, c.s.fpcr, fp::fpcr_rounding(c.s.fpcr), fl));
  }
  fpsr_raise(c, fl);
  vset(c, rd(i), r);
  return Signal::Running;
}

// URECPE / URSQRTE: 32-bit elements only.
template <class C>
KVRM_HD Signal unsigned_estimate(C& c, u32 i, bool rsqrt) {
  if (bit(i, 22)) return c.undefined(i);
  const VReg a = vget(c, rn(i));
  VReg r{};
  for (int e = 0; e < (q(i) ? 4 : 2); ++e) {
    const u32 x = static_cast<u32>(elem(a, e, 32));
    set_elem(r, e, 32, rsqrt ? fp::unsigned_rsqrt_estimate(x) : fp::unsigned_recip_estimate(x));
  }
  vwrite_vector(c, rd(i), r, q(i));
  return Signal::Running;
}

// Scalar FCVTXN (Dn to Sd, round to odd).
template <class C>
KVRM_HD Signal narrow_scalar_odd(C& c, u32 i) {
  if (!bit(i, 22)) return c.undefined(i);
  u32 fl = 0;
  const u64 r = fp::convert(vread_scalar(c, rn(i), 64), 64, 32, c.s.fpcr, fp::Rounding::Odd, fl);
  fpsr_raise(c, fl);
  vwrite_scalar(c, rd(i), 32, r);
  return Signal::Running;
}

// FMOV (vector, immediate): o2 (bit 11) selects half precision; op (bit 29) double.
template <class C>
KVRM_HD Signal fmov_imm(C& c, u32 i) {
  const u32 imm8 = (bits(i, 18, 16) << 5) | bits(i, 9, 5);
  const int n = bit(i, 29) ? 64 : bit(i, 11) ? 16 : 32;
  const u64 v = fp::expand_imm(imm8, n);
  u64 half = 0;
  for (int k = 0; k < 64; k += n) half |= v << k;
  vwrite_vector(c, rd(i), VReg{half, half}, q(i));
  return Signal::Running;
}

}  // namespace simdfp

// ---- Advanced SIMD three same (floating-point) ----
#define KVRM_SIMDFP(name, body)      \
  template <class C>                 \
  KVRM_HD Signal name(C& c, u32 i) { \
    return body;                     \
  }
KVRM_SIMDFP(FMAXNM_vector, simdfp::vector(c, i, simdfp::binary(fpu::Bin::MaxNum)))
KVRM_SIMDFP(FMLA_vector, simdfp::fmla(c, i, false))
KVRM_SIMDFP(FADD_vector, simdfp::vector(c, i, simdfp::binary(fpu::Bin::Add)))
KVRM_SIMDFP(FMULX_vector, simdfp::vector(c, i, simdfp::binary(fpu::Bin::MulX)))
KVRM_SIMDFP(FCMEQ_reg_vector, simdfp::vector(c, i, simdfp::binary(fpu::Bin::CmEq)))
KVRM_SIMDFP(FMAX_vector, simdfp::vector(c, i, simdfp::binary(fpu::Bin::Max)))
KVRM_SIMDFP(FRECPS_vector, simdfp::vector(c, i, simdfp::binary(fpu::Bin::RecpS)))
KVRM_SIMDFP(FMINNM_vector, simdfp::vector(c, i, simdfp::binary(fpu::Bin::MinNum)))
KVRM_SIMDFP(FMLS_vector, simdfp::fmla(c, i, true))
KVRM_SIMDFP(FSUB_vector, simdfp::vector(c, i, simdfp::binary(fpu::Bin::Sub)))
KVRM_SIMDFP(FMIN_vector, simdfp::vector(c, i, simdfp::binary(fpu::Bin::Min)))
KVRM_SIMDFP(FRSQRTS_vector, simdfp::vector(c, i, simdfp::binary(fpu::Bin::RSqrtS)))
KVRM_SIMDFP(FMAXNMP_vector, simdfp::pairwise(c, i, fpu::Bin::MaxNum))
KVRM_SIMDFP(FADDP_vector, simdfp::pairwise(c, i, fpu::Bin::Add))
KVRM_SIMDFP(FMUL_vector, simdfp::vector(c, i, simdfp::binary(fpu::Bin::Mul)))
KVRM_SIMDFP(FCMGE_reg_vector, simdfp::vector(c, i, simdfp::binary(fpu::Bin::CmGe)))
KVRM_SIMDFP(FACGE_vector, simdfp::vector(c, i, simdfp::binary(fpu::Bin::AcGe)))
KVRM_SIMDFP(FMAXP_vector, simdfp::pairwise(c, i, fpu::Bin::Max))
KVRM_SIMDFP(FDIV_vector, simdfp::vector(c, i, simdfp::binary(fpu::Bin::Div)))
KVRM_SIMDFP(FMINNMP_vector, simdfp::pairwise(c, i, fpu::Bin::MinNum))
KVRM_SIMDFP(FABD_vector, simdfp::vector(c, i, simdfp::binary(fpu::Bin::Abd)))
KVRM_SIMDFP(FCMGT_reg_vector, simdfp::vector(c, i, simdfp::binary(fpu::Bin::CmGt)))
KVRM_SIMDFP(FACGT_vector, simdfp::vector(c, i, simdfp::binary(fpu::Bin::AcGt)))
KVRM_SIMDFP(FMINP_vector, simdfp::pairwise(c, i, fpu::Bin::Min))

// ---- Advanced SIMD scalar three same (floating-point) ----
KVRM_SIMDFP(FMULX_scalar, simdfp::scalar(c, i, simdfp::binary(fpu::Bin::MulX)))
KVRM_SIMDFP(FCMEQ_reg_scalar, simdfp::scalar(c, i, simdfp::binary(fpu::Bin::CmEq)))
KVRM_SIMDFP(FRECPS_scalar, simdfp::scalar(c, i, simdfp::binary(fpu::Bin::RecpS)))
KVRM_SIMDFP(FRSQRTS_scalar, simdfp::scalar(c, i, simdfp::binary(fpu::Bin::RSqrtS)))
KVRM_SIMDFP(FCMGE_reg_scalar, simdfp::scalar(c, i, simdfp::binary(fpu::Bin::CmGe)))
KVRM_SIMDFP(FACGE_scalar, simdfp::scalar(c, i, simdfp::binary(fpu::Bin::AcGe)))
KVRM_SIMDFP(FABD_scalar, simdfp::scalar(c, i, simdfp::binary(fpu::Bin::Abd)))
KVRM_SIMDFP(FCMGT_reg_scalar, simdfp::scalar(c, i, simdfp::binary(fpu::Bin::CmGt)))
KVRM_SIMDFP(FACGT_scalar, simdfp::scalar(c, i, simdfp::binary(fpu::Bin::AcGt)))

// ---- Advanced SIMD two-register miscellaneous (floating-point) ----
KVRM_SIMDFP(FRINTN_vector, simdfp::vector(c, i, simdfp::unary(fpu::Un::RintN)))
KVRM_SIMDFP(FRINTM_vector, simdfp::vector(c, i, simdfp::unary(fpu::Un::RintM)))
KVRM_SIMDFP(FCVTNS_vector, simdfp::vector(c, i, simdfp::to_int(fp::Rounding::TieEven, false)))
KVRM_SIMDFP(FCVTMS_vector, simdfp::vector(c, i, simdfp::to_int(fp::Rounding::NegInf, false)))
KVRM_SIMDFP(FCVTAS_vector, simdfp::vector(c, i, simdfp::to_int(fp::Rounding::TieAway, false)))
KVRM_SIMDFP(SCVTF_vector_int, simdfp::vector(c, i, simdfp::from_int(false)))
KVRM_SIMDFP(FCVTN, simdfp::narrow(c, i, false))
KVRM_SIMDFP(FCVTL, simdfp::widen(c, i))
KVRM_SIMDFP(FCMGT_zero_vector, simdfp::vector(c, i, simdfp::binary(fpu::Bin::CmGt), true))
KVRM_SIMDFP(FCMEQ_zero_vector, simdfp::vector(c, i, simdfp::binary(fpu::Bin::CmEq), true))
KVRM_SIMDFP(FCMLT_zero_vector, simdfp::vector(c, i, simdfp::binary(fpu::Bin::CmGt, true), true))
KVRM_SIMDFP(FABS_vector, simdfp::vector(c, i, simdfp::unary(fpu::Un::Abs)))
KVRM_SIMDFP(FRINTP_vector, simdfp::vector(c, i, simdfp::unary(fpu::Un::RintP)))
KVRM_SIMDFP(FRINTZ_vector, simdfp::vector(c, i, simdfp::unary(fpu::Un::RintZ)))
KVRM_SIMDFP(FCVTPS_vector, simdfp::vector(c, i, simdfp::to_int(fp::Rounding::PosInf, false)))
KVRM_SIMDFP(FCVTZS_vector_int, simdfp::vector(c, i, simdfp::to_int(fp::Rounding::Zero, false)))
KVRM_SIMDFP(URECPE, simdfp::unsigned_estimate(c, i, false))
KVRM_SIMDFP(FRECPE_vector, simdfp::vector(c, i, simdfp::unary(fpu::Un::RecpE)))
KVRM_SIMDFP(FCVTXN_vector, simdfp::narrow(c, i, true))
KVRM_SIMDFP(FRINTA_vector, simdfp::vector(c, i, simdfp::unary(fpu::Un::RintA)))
KVRM_SIMDFP(FRINTX_vector, simdfp::vector(c, i, simdfp::unary(fpu::Un::RintX)))
KVRM_SIMDFP(FCVTNU_vector, simdfp::vector(c, i, simdfp::to_int(fp::Rounding::TieEven, true)))
KVRM_SIMDFP(FCVTMU_vector, simdfp::vector(c, i, simdfp::to_int(fp::Rounding::NegInf, true)))
KVRM_SIMDFP(FCVTAU_vector, simdfp::vector(c, i, simdfp::to_int(fp::Rounding::TieAway, true)))
KVRM_SIMDFP(UCVTF_vector_int, simdfp::vector(c, i, simdfp::from_int(true)))
KVRM_SIMDFP(FCMGE_zero_vector, simdfp::vector(c, i, simdfp::binary(fpu::Bin::CmGe), true))
KVRM_SIMDFP(FCMLE_zero_vector, simdfp::vector(c, i, simdfp::binary(fpu::Bin::CmGe, true), true))
KVRM_SIMDFP(FNEG_vector, simdfp::vector(c, i, simdfp::unary(fpu::Un::Neg)))
KVRM_SIMDFP(FRINTI_vector, simdfp::vector(c, i, simdfp::unary(fpu::Un::RintI)))
KVRM_SIMDFP(FCVTPU_vector, simdfp::vector(c, i, simdfp::to_int(fp::Rounding::PosInf, true)))
KVRM_SIMDFP(FCVTZU_vector_int, simdfp::vector(c, i, simdfp::to_int(fp::Rounding::Zero, true)))
KVRM_SIMDFP(URSQRTE, simdfp::unsigned_estimate(c, i, true))
KVRM_SIMDFP(FRSQRTE_vector, simdfp::vector(c, i, simdfp::unary(fpu::Un::RSqrtE)))
KVRM_SIMDFP(FSQRT_vector, simdfp::vector(c, i, simdfp::unary(fpu::Un::Sqrt)))

// ---- Advanced SIMD scalar two-register miscellaneous (floating-point) ----
KVRM_SIMDFP(FCVTNS_scalar, simdfp::scalar(c, i, simdfp::to_int(fp::Rounding::TieEven, false)))
KVRM_SIMDFP(FCVTMS_scalar, simdfp::scalar(c, i, simdfp::to_int(fp::Rounding::NegInf, false)))
KVRM_SIMDFP(FCVTAS_scalar, simdfp::scalar(c, i, simdfp::to_int(fp::Rounding::TieAway, false)))
KVRM_SIMDFP(SCVTF_scalar_int, simdfp::scalar(c, i, simdfp::from_int(false)))
KVRM_SIMDFP(FCMGT_zero_scalar, simdfp::scalar(c, i, simdfp::binary(fpu::Bin::CmGt), true))
KVRM_SIMDFP(FCMEQ_zero_scalar, simdfp::scalar(c, i, simdfp::binary(fpu::Bin::CmEq), true))
KVRM_SIMDFP(FCMLT_zero_scalar, simdfp::scalar(c, i, simdfp::binary(fpu::Bin::CmGt, true), true))
KVRM_SIMDFP(FCVTPS_scalar, simdfp::scalar(c, i, simdfp::to_int(fp::Rounding::PosInf, false)))
KVRM_SIMDFP(FCVTZS_scalar_int, simdfp::scalar(c, i, simdfp::to_int(fp::Rounding::Zero, false)))
KVRM_SIMDFP(FRECPE_scalar, simdfp::scalar(c, i, simdfp::unary(fpu::Un::RecpE)))
KVRM_SIMDFP(FRECPX_scalar, simdfp::scalar(c, i, simdfp::unary(fpu::Un::RecpX)))
KVRM_SIMDFP(FCVTXN_scalar, simdfp::narrow_scalar_odd(c, i))
KVRM_SIMDFP(FCVTNU_scalar, simdfp::scalar(c, i, simdfp::to_int(fp::Rounding::TieEven, true)))
KVRM_SIMDFP(FCVTMU_scalar, simdfp::scalar(c, i, simdfp::to_int(fp::Rounding::NegInf, true)))
KVRM_SIMDFP(FCVTAU_scalar, simdfp::scalar(c, i, simdfp::to_int(fp::Rounding::TieAway, true)))
KVRM_SIMDFP(UCVTF_scalar_int, simdfp::scalar(c, i, simdfp::from_int(true)))
KVRM_SIMDFP(FCMGE_zero_scalar, simdfp::scalar(c, i, simdfp::binary(fpu::Bin::CmGe), true))
KVRM_SIMDFP(FCMLE_zero_scalar, simdfp::scalar(c, i, simdfp::binary(fpu::Bin::CmGe, true), true))
KVRM_SIMDFP(FCVTPU_scalar, simdfp::scalar(c, i, simdfp::to_int(fp::Rounding::PosInf, true)))
KVRM_SIMDFP(FCVTZU_scalar_int, simdfp::scalar(c, i, simdfp::to_int(fp::Rounding::Zero, true)))
KVRM_SIMDFP(FRSQRTE_scalar, simdfp::scalar(c, i, simdfp::unary(fpu::Un::RSqrtE)))

// ---- Advanced SIMD scalar pairwise and across lanes (floating-point) ----
KVRM_SIMDFP(FMAXNMP_scalar, simdfp::pairwise_scalar(c, i, fpu::Bin::MaxNum))
KVRM_SIMDFP(FADDP_scalar, simdfp::pairwise_scalar(c, i, fpu::Bin::Add))
KVRM_SIMDFP(FMAXP_scalar, simdfp::pairwise_scalar(c, i, fpu::Bin::Max))
KVRM_SIMDFP(FMINNMP_scalar, simdfp::pairwise_scalar(c, i, fpu::Bin::MinNum))
KVRM_SIMDFP(FMINP_scalar, simdfp::pairwise_scalar(c, i, fpu::Bin::Min))
KVRM_SIMDFP(FMAXNMV, simdfp::across(c, i, fpu::Bin::MaxNum))
KVRM_SIMDFP(FMAXV, simdfp::across(c, i, fpu::Bin::Max))
KVRM_SIMDFP(FMINNMV, simdfp::across(c, i, fpu::Bin::MinNum))
KVRM_SIMDFP(FMINV, simdfp::across(c, i, fpu::Bin::Min))

// ---- Advanced SIMD (scalar) x indexed element (floating-point) ----
KVRM_SIMDFP(FMLA_elem_vector, simdfp::by_element(c, i, simdfp::ElemMul::Mla, false))
KVRM_SIMDFP(FMLS_elem_vector, simdfp::by_element(c, i, simdfp::ElemMul::Mls, false))
KVRM_SIMDFP(FMUL_elem_vector, simdfp::by_element(c, i, simdfp::ElemMul::Mul, false))
KVRM_SIMDFP(FMULX_elem_vector, simdfp::by_element(c, i, simdfp::ElemMul::MulX, false))
KVRM_SIMDFP(FMLA_elem_scalar, simdfp::by_element(c, i, simdfp::ElemMul::Mla, true))
KVRM_SIMDFP(FMLS_elem_scalar, simdfp::by_element(c, i, simdfp::ElemMul::Mls, true))
KVRM_SIMDFP(FMUL_elem_scalar, simdfp::by_element(c, i, simdfp::ElemMul::Mul, true))
KVRM_SIMDFP(FMULX_elem_scalar, simdfp::by_element(c, i, simdfp::ElemMul::MulX, true))

// ---- Advanced SIMD (scalar) shift by immediate: fixed-point conversions ----
KVRM_SIMDFP(SCVTF_vector_fix, simdfp::fixed_point(c, i, false, false, false))
KVRM_SIMDFP(UCVTF_vector_fix, simdfp::fixed_point(c, i, false, true, false))
KVRM_SIMDFP(FCVTZS_vector_fix, simdfp::fixed_point(c, i, true, false, false))
KVRM_SIMDFP(FCVTZU_vector_fix, simdfp::fixed_point(c, i, true, true, false))
KVRM_SIMDFP(SCVTF_scalar_fix, simdfp::fixed_point(c, i, false, false, true))
KVRM_SIMDFP(UCVTF_scalar_fix, simdfp::fixed_point(c, i, false, true, true))
KVRM_SIMDFP(FCVTZS_scalar_fix, simdfp::fixed_point(c, i, true, false, true))
KVRM_SIMDFP(FCVTZU_scalar_fix, simdfp::fixed_point(c, i, true, true, true))

// ---- Advanced SIMD modified immediate: FMOV (vector, immediate) ----
KVRM_SIMDFP(FMOV_imm_vector, simdfp::fmov_imm(c, i))
KVRM_SIMDFP(FMOV_imm_vector_d, simdfp::fmov_imm(c, i))

#undef KVRM_SIMDFP

}  // namespace kvrm::sem

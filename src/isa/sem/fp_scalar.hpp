// Instruction semantics, C4.1.91 Data processing -- scalar floating-point: FMOV, arithmetic,
// fused multiply-add, compare, conditional select, rounding, conversions between precisions and
// to/from integers and fixed point. All arithmetic goes through the soft-float of isa/fp.
#pragma once

#include "isa/fp/softfloat.hpp"
#include "isa/sem/common.hpp"
#include "isa/sem/simd_common.hpp"

namespace kvrm::sem {

// Shared FP helpers (also used by the Advanced SIMD floating-point groups).
namespace fpu {

KVRM_HD constexpr int rd(u32 i) { return static_cast<int>(bits(i, 4, 0)); }
KVRM_HD constexpr int rn(u32 i) { return static_cast<int>(bits(i, 9, 5)); }
KVRM_HD constexpr int rm(u32 i) { return static_cast<int>(bits(i, 20, 16)); }
KVRM_HD constexpr int ra(u32 i) { return static_cast<int>(bits(i, 14, 10)); }

// The ftype field (bits 23:22): 32, 64, 16 (FEAT_FP16 ftype = 11) or 0 (unallocated).
KVRM_HD constexpr int ftype_size(u32 i) {
  switch (bits(i, 23, 22)) {
    case 0: return 32;
    case 1: return 64;
    case 3: return 16;
    default: return 0;
  }
}
// The arithmetic sizes: single and double only (half-precision arithmetic is FEAT_FP16).
KVRM_HD constexpr int arith_size(u32 i) {
  const int n = ftype_size(i);
  return n == 16 ? 0 : n;
}

// The binary operations shared by scalar and vector forms. Comparisons give all ones or zero.
enum class Bin : u8 {
  Add,
  Sub,
  Mul,
  Div,
  Max,
  Min,
  MaxNum,
  MinNum,
  NMul,
  MulX,
  Abd,
  RecpS,
  RSqrtS,
  CmEq,
  CmGe,
  CmGt,
  AcGe,
  AcGt
};

KVRM_FP_HD u64 binop(Bin op, u64 a, u64 b, int n, u32 fpcr, u32& fl) {
  switch (op) {
    case Bin::Add: return fp::add(a, b, n, fpcr, fl);
    case Bin::Sub: return fp::sub(a, b, n, fpcr, fl);
    case Bin::Mul: return fp::mul(a, b, n, fpcr, fl);
    case Bin::Div: return fp::div(a, b, n, fpcr, fl);
    case Bin::Max: return fp::max(a, b, n, fpcr, fl);
    case Bin::Min: return fp::min(a, b, n, fpcr, fl);
    case Bin::MaxNum: return fp::maxnum(a, b, n, fpcr, fl);
    case Bin::MinNum: return fp::minnum(a, b, n, fpcr, fl);
    case Bin::NMul: return fp::neg(fp::mul(a, b, n, fpcr, fl), n);
    case Bin::MulX: return fp::mulx(a, b, n, fpcr, fl);
    case Bin::Abd: return fp::abs(fp::sub(a, b, n, fpcr, fl), n);
    case Bin::RecpS: return fp::recip_step(a, b, n, fpcr, fl);
    case Bin::RSqrtS: return fp::rsqrt_step(a, b, n, fpcr, fl);
    case Bin::CmEq: return fp::compare_eq(a, b, n, fpcr, fl) ? ones(n) : 0;
    case Bin::CmGe: return fp::compare_ge_gt(a, b, false, n, fpcr, fl) ? ones(n) : 0;
    case Bin::CmGt: return fp::compare_ge_gt(a, b, true, n, fpcr, fl) ? ones(n) : 0;
    case Bin::AcGe:
      return fp::compare_ge_gt(fp::abs(a, n), fp::abs(b, n), false, n, fpcr, fl) ? ones(n) : 0;
    case Bin::AcGt:
      return fp::compare_ge_gt(fp::abs(a, n), fp::abs(b, n), true, n, fpcr, fl) ? ones(n) : 0;
  }
  return 0;
}

// The unary operations shared by scalar and vector forms.
enum class Un : u8 {
  Abs,
  Neg,
  Sqrt,
  RintN,
  RintP,
  RintM,
  RintZ,
  RintA,
  RintX,
  RintI,
  RecpE,
  RSqrtE,
  RecpX
};

KVRM_FP_HD u64 unop(Un op, u64 a, int n, u32 fpcr, u32& fl) {
  switch (op) {
    case Un::Abs: return fp::abs(a, n);
    case Un::Neg: return fp::neg(a, n);
    case Un::Sqrt: return fp::sqrt(a, n, fpcr, fl);
    case Un::RintN: return fp::round_int(a, n, fpcr, fp::Rounding::TieEven, false, fl);
    case Un::RintP: return fp::round_int(a, n, fpcr, fp::Rounding::PosInf, false, fl);
    case Un::RintM: return fp::round_int(a, n, fpcr, fp::Rounding::NegInf, false, fl);
    case Un::RintZ: return fp::round_int(a, n, fpcr, fp::Rounding::Zero, false, fl);
    case Un::RintA: return fp::round_int(a, n, fpcr, fp::Rounding::TieAway, false, fl);
    case Un::RintX: return fp::round_int(a, n, fpcr, fp::fpcr_rounding(fpcr), true, fl);
    case Un::RintI: return fp::round_int(a, n, fpcr, fp::fpcr_rounding(fpcr), false, fl);
    case Un::RecpE: return fp::recip_estimate_fp(a, n, fpcr, fl);
    case Un::RSqrtE: return fp::rsqrt_estimate_fp(a, n, fpcr, fl);
    case Un::RecpX: return fp::recpx(a, n, fpcr, fl);
  }
  return 0;
}

// Compare helpers: FPCompare (FCMP/FCMPE) and its flags.
template <class C>
KVRM_HD u32 compare(C& c, u64 a, u64 b, bool signal_nans, int n) {
  u32 fl = 0;
  const u32 nzcv = fp::compare(a, b, signal_nans, n, c.s.fpcr, fl);
  fpsr_raise(c, fl);
  return nzcv;
}

// Data-processing (2 source): Sd = op(Sn, Sm).
template <class C>
KVRM_HD Signal scalar2(C& c, u32 i, Bin op) {
  const int n = arith_size(i);
  if (n == 0) return c.undefined(i);
  u32 fl = 0;
  const u64 r = binop(op, vread_scalar(c, rn(i), n), vread_scalar(c, rm(i), n), n, c.s.fpcr, fl);
  fpsr_raise(c, fl);
  vwrite_scalar(c, rd(i), n, r);
  return Signal::Running;
}

// Data-processing (1 source).
template <class C>
KVRM_HD Signal scalar1(C& c, u32 i, Un op) {
  const int n = arith_size(i);
  if (n == 0) return c.undefined(i);
  u32 fl = 0;
  const u64 r = unop(op, vread_scalar(c, rn(i), n), n, c.s.fpcr, fl);
  fpsr_raise(c, fl);
  vwrite_scalar(c, rd(i), n, r);
  return Signal::Running;
}

// Data-processing (3 source): FMADD/FMSUB/FNMADD/FNMSUB, negating the addend and/or Rn first.
template <class C>
KVRM_HD Signal scalar3(C& c, u32 i, bool negate_addend, bool negate_op1) {
  const int n = arith_size(i);
  if (n == 0) return c.undefined(i);
  u64 a = vread_scalar(c, ra(i), n), x = vread_scalar(c, rn(i), n);
  const u64 y = vread_scalar(c, rm(i), n);
  if (negate_addend) a = fp::neg(a, n);
  if (negate_op1) x = fp::neg(x, n);
  u32 fl = 0;
  const u64 r = fp::muladd(a, x, y, n, c.s.fpcr, fl);
  fpsr_raise(c, fl);
  vwrite_scalar(c, rd(i), n, r);
  return Signal::Running;
}

// Conversion to a general register (FCVT<r>S/U), `fbits` fraction bits (0 for the integer
// forms), rounding `rm`.
template <class C>
KVRM_HD Signal to_int(C& c, u32 i, fp::Rounding rm, bool is_unsigned, int frac_bits) {
  const int n = arith_size(i);
  if (n == 0) return c.undefined(i);
  const int m = bit(i, 31) ? 64 : 32;
  u32 fl = 0;
  const u64 r =
      fp::to_fixed(vread_scalar(c, rn(i), n), n, frac_bits, is_unsigned, m, c.s.fpcr, rm, fl);
  fpsr_raise(c, fl);
  c.set(rd(i), r, m);
  return Signal::Running;
}
// SCVTF/UCVTF from a general register, with `fbits` fraction bits.
template <class C>
KVRM_HD Signal from_int(C& c, u32 i, bool is_unsigned, int frac_bits) {
  const int n = arith_size(i);
  if (n == 0) return c.undefined(i);
  const int m = bit(i, 31) ? 64 : 32;
  u32 fl = 0;
  const u64 r = fp::from_fixed(c.reg(rn(i), m), m, frac_bits, is_unsigned, n, c.s.fpcr,
                               fp::fpcr_rounding(c.s.fpcr), fl);
  fpsr_raise(c, fl);
  vwrite_scalar(c, rd(i), n, r);
  return Signal::Running;
}
// The fixed-point forms: fbits = 64 - scale; a 32-bit register needs scale >= 32.
KVRM_HD constexpr int fix_fbits(u32 i) { return 64 - static_cast<int>(bits(i, 15, 10)); }
KVRM_HD constexpr bool fix_scale_ok(u32 i) { return bit(i, 31) || bit(i, 15); }

}  // namespace fpu

// ---- Floating-point data-processing (2 source) ----
template <class C>
KVRM_HD Signal FMUL_scalar(C& c, u32 i) {
  return fpu::scalar2(c, i, fpu::Bin::Mul);
}
template <class C>
KVRM_HD Signal FDIV_scalar(C& c, u32 i) {
  return fpu::scalar2(c, i, fpu::Bin::Div);
}
template <class C>
KVRM_HD Signal FADD_scalar(C& c, u32 i) {
  return fpu::scalar2(c, i, fpu::Bin::Add);
}
template <class C>
KVRM_HD Signal FSUB_scalar(C& c, u32 i) {
  return fpu::scalar2(c, i, fpu::Bin::Sub);
}
template <class C>
KVRM_HD Signal FMAX_scalar(C& c, u32 i) {
  return fpu::scalar2(c, i, fpu::Bin::Max);
}
template <class C>
KVRM_HD Signal FMIN_scalar(C& c, u32 i) {
  return fpu::scalar2(c, i, fpu::Bin::Min);
}
template <class C>
KVRM_HD Signal FMAXNM_scalar(C& c, u32 i) {
  return fpu::scalar2(c, i, fpu::Bin::MaxNum);
}
template <class C>
KVRM_HD Signal FMINNM_scalar(C& c, u32 i) {
  return fpu::scalar2(c, i, fpu::Bin::MinNum);
}
template <class C>
KVRM_HD Signal FNMUL_scalar(C& c, u32 i) {
  return fpu::scalar2(c, i, fpu::Bin::NMul);
}

// ---- Floating-point data-processing (3 source) ----
template <class C>
KVRM_HD Signal FMADD(C& c, u32 i) {
  return fpu::scalar3(c, i, false, false);
}
template <class C>
KVRM_HD Signal FMSUB(C& c, u32 i) {
  return fpu::scalar3(c, i, false, true);
}
template <class C>
KVRM_HD Signal FNMADD(C& c, u32 i) {
  return fpu::scalar3(c, i, true, true);
}
template <class C>
KVRM_HD Signal FNMSUB(C& c, u32 i) {
  return fpu::scalar3(c, i, true, false);
}

// ---- Floating-point data-processing (1 source) ----
// FMOV (register) also moves half precision (FEAT_FP16 ftype = 11): a plain bit copy.
template <class C>
KVRM_HD Signal FMOV_reg(C& c, u32 i) {
  const int n = fpu::ftype_size(i);
  if (n == 0) return c.undefined(i);
  vwrite_scalar(c, fpu::rd(i), n, vread_scalar(c, fpu::rn(i), n));
  return Signal::Running;
}
template <class C>
KVRM_HD Signal FABS_scalar(C& c, u32 i) {
  return fpu::scalar1(c, i, fpu::Un::Abs);
}
template <class C>
KVRM_HD Signal FNEG_scalar(C& c, u32 i) {
  return fpu::scalar1(c, i, fpu::Un::Neg);
}
template <class C>
KVRM_HD Signal FSQRT_scalar(C& c, u32 i) {
  return fpu::scalar1(c, i, fpu::Un::Sqrt);
}
template <class C>
KVRM_HD Signal FRINTN_scalar(C& c, u32 i) {
  return fpu::scalar1(c, i, fpu::Un::RintN);
}
template <class C>
KVRM_HD Signal FRINTP_scalar(C& c, u32 i) {
  return fpu::scalar1(c, i, fpu::Un::RintP);
}
template <class C>
KVRM_HD Signal FRINTM_scalar(C& c, u32 i) {
  return fpu::scalar1(c, i, fpu::Un::RintM);
}
template <class C>
KVRM_HD Signal FRINTZ_scalar(C& c, u32 i) {
  return fpu::scalar1(c, i, fpu::Un::RintZ);
}
template <class C>
KVRM_HD Signal FRINTA_scalar(C& c, u32 i) {
  return fpu::scalar1(c, i, fpu::Un::RintA);
}
template <class C>
KVRM_HD Signal FRINTX_scalar(C& c, u32 i) {
  return fpu::scalar1(c, i, fpu::Un::RintX);
}
template <class C>
KVRM_HD Signal FRINTI_scalar(C& c, u32 i) {
  return fpu::scalar1(c, i, fpu::Un::RintI);
}
// FCVT between half, single and double: opc (bits 16:15) is the destination type.
template <class C>
KVRM_HD Signal FCVT_scalar(C& c, u32 i) {
  const int n = fpu::ftype_size(i);
  const u32 opc = bits(i, 16, 15);
  const int m = opc == 0 ? 32 : opc == 1 ? 64 : opc == 3 ? 16 : 0;
  if (n == 0 || m == 0 || n == m) return c.undefined(i);
  u32 fl = 0;
  const u64 r =
      fp::convert(vread_scalar(c, fpu::rn(i), n), n, m, c.s.fpcr, fp::fpcr_rounding(c.s.fpcr), fl);
  fpsr_raise(c, fl);
  vwrite_scalar(c, fpu::rd(i), m, r);
  return Signal::Running;
}

// ---- Floating-point compare ----
// Bit 3 selects the compare with #0.0 (Rm is ignored).
template <class C>
KVRM_HD Signal fcmp_common(C& c, u32 i, bool signal_nans) {
  const int n = fpu::arith_size(i);
  if (n == 0) return c.undefined(i);
  const u64 b = bit(i, 3) ? 0 : vread_scalar(c, fpu::rm(i), n);
  c.s.nzcv = fpu::compare(c, vread_scalar(c, fpu::rn(i), n), b, signal_nans, n);
  return Signal::Running;
}
template <class C>
KVRM_HD Signal FCMP(C& c, u32 i) {
  return fcmp_common(c, i, false);
}
template <class C>
KVRM_HD Signal FCMPE(C& c, u32 i) {
  return fcmp_common(c, i, true);
}

// ---- Floating-point conditional compare ----
template <class C>
KVRM_HD Signal fccmp_common(C& c, u32 i, bool signal_nans) {
  const int n = fpu::arith_size(i);
  if (n == 0) return c.undefined(i);
  if (cond_holds(c.s.nzcv, bits(i, 15, 12))) {
    c.s.nzcv = fpu::compare(c, vread_scalar(c, fpu::rn(i), n), vread_scalar(c, fpu::rm(i), n),
                            signal_nans, n);
  } else {
    c.s.nzcv = bits(i, 3, 0) << 28;
  }
  return Signal::Running;
}
template <class C>
KVRM_HD Signal FCCMP(C& c, u32 i) {
  return fccmp_common(c, i, false);
}
template <class C>
KVRM_HD Signal FCCMPE(C& c, u32 i) {
  return fccmp_common(c, i, true);
}

// ---- Floating-point conditional select (half precision too: a bit copy) ----
template <class C>
KVRM_HD Signal FCSEL(C& c, u32 i) {
  const int n = fpu::ftype_size(i);
  if (n == 0) return c.undefined(i);
  const int src = cond_holds(c.s.nzcv, bits(i, 15, 12)) ? fpu::rn(i) : fpu::rm(i);
  vwrite_scalar(c, fpu::rd(i), n, vread_scalar(c, src, n));
  return Signal::Running;
}

// ---- Floating-point immediate (half precision too) ----
template <class C>
KVRM_HD Signal FMOV_imm_scalar(C& c, u32 i) {
  const int n = fpu::ftype_size(i);
  if (n == 0) return c.undefined(i);
  vwrite_scalar(c, fpu::rd(i), n, fp::expand_imm(bits(i, 20, 13), n));
  return Signal::Running;
}

// ---- Conversion between floating-point and integer ----
template <class C>
KVRM_HD Signal FCVTNS_gen(C& c, u32 i) {
  return fpu::to_int(c, i, fp::Rounding::TieEven, false, 0);
}
template <class C>
KVRM_HD Signal FCVTNU_gen(C& c, u32 i) {
  return fpu::to_int(c, i, fp::Rounding::TieEven, true, 0);
}
template <class C>
KVRM_HD Signal FCVTAS_gen(C& c, u32 i) {
  return fpu::to_int(c, i, fp::Rounding::TieAway, false, 0);
}
template <class C>
KVRM_HD Signal FCVTAU_gen(C& c, u32 i) {
  return fpu::to_int(c, i, fp::Rounding::TieAway, true, 0);
}
template <class C>
KVRM_HD Signal FCVTPS_gen(C& c, u32 i) {
  return fpu::to_int(c, i, fp::Rounding::PosInf, false, 0);
}
template <class C>
KVRM_HD Signal FCVTPU_gen(C& c, u32 i) {
  return fpu::to_int(c, i, fp::Rounding::PosInf, true, 0);
}
template <class C>
KVRM_HD Signal FCVTMS_gen(C& c, u32 i) {
  return fpu::to_int(c, i, fp::Rounding::NegInf, false, 0);
}
template <class C>
KVRM_HD Signal FCVTMU_gen(C& c, u32 i) {
  return fpu::to_int(c, i, fp::Rounding::NegInf, true, 0);
}
template <class C>
KVRM_HD Signal FCVTZS_gen(C& c, u32 i) {
  return fpu::to_int(c, i, fp::Rounding::Zero, false, 0);
}
template <class C>
KVRM_HD Signal FCVTZU_gen(C& c, u32 i) {
  return fpu::to_int(c, i, fp::Rounding::Zero, true, 0);
}
template <class C>
KVRM_HD Signal SCVTF_gen(C& c, u32 i) {
  return fpu::from_int(c, i, false, 0);
}
template <class C>
KVRM_HD Signal UCVTF_gen(C& c, u32 i) {
  return fpu::from_int(c, i, true, 0);
}
// FMOV (general): W<->S (sf 0, ftype 00), X<->D (sf 1, ftype 01), W/X<->H (ftype 11).
KVRM_HD constexpr int fmov_gen_size(u32 i) {
  const int n = fpu::ftype_size(i);
  const bool sf = bit(i, 31);
  return (n == 16 || (n == 32 && !sf) || (n == 64 && sf)) ? n : 0;
}
template <class C>
KVRM_HD Signal FMOV_to_gen(C& c, u32 i) {
  const int n = fmov_gen_size(i);
  if (n == 0) return c.undefined(i);
  c.set(fpu::rd(i), vread_scalar(c, fpu::rn(i), n), bit(i, 31) ? 64 : 32);
  return Signal::Running;
}
template <class C>
KVRM_HD Signal FMOV_from_gen(C& c, u32 i) {
  const int n = fmov_gen_size(i);
  if (n == 0) return c.undefined(i);
  vwrite_scalar(c, fpu::rd(i), n, c.x(fpu::rn(i)));
  return Signal::Running;
}
// FMOV Xd, Vn.D[1] and FMOV Vd.D[1], Xn: the top half; the lower half is kept.
template <class C>
KVRM_HD Signal FMOV_to_gen_top(C& c, u32 i) {
  c.set(fpu::rd(i), c.s.v[fpu::rn(i)].hi, 64);
  return Signal::Running;
}
template <class C>
KVRM_HD Signal FMOV_from_gen_top(C& c, u32 i) {
  c.s.v[fpu::rd(i)].hi = c.x(fpu::rn(i));
  return Signal::Running;
}

// ---- Conversion between floating-point and fixed-point ----
template <class C>
KVRM_HD Signal SCVTF_fix(C& c, u32 i) {
  if (!fpu::fix_scale_ok(i)) return c.undefined(i);
  return fpu::from_int(c, i, false, fpu::fix_fbits(i));
}
template <class C>
KVRM_HD Signal UCVTF_fix(C& c, u32 i) {
  if (!fpu::fix_scale_ok(i)) return c.undefined(i);
  return fpu::from_int(c, i, true, fpu::fix_fbits(i));
}
template <class C>
KVRM_HD Signal FCVTZS_fix(C& c, u32 i) {
  if (!fpu::fix_scale_ok(i)) return c.undefined(i);
  return fpu::to_int(c, i, fp::Rounding::Zero, false, fpu::fix_fbits(i));
}
template <class C>
KVRM_HD Signal FCVTZU_fix(C& c, u32 i) {
  if (!fpu::fix_scale_ok(i)) return c.undefined(i);
  return fpu::to_int(c, i, fp::Rounding::Zero, true, fpu::fix_fbits(i));
}

}  // namespace kvrm::sem

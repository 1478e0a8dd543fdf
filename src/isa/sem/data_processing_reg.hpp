// Instruction semantics, C4.1.89 Data processing -- register: 1- and 2-source, logical and
// add/subtract (shifted and extended), with carry, flag manipulation, conditional compare and
// select, 3-source. Register 31 is XZR everywhere except Rd and Rn of add/subtract (extended).
#pragma once

#include "isa/sem/common.hpp"
#include "isa/sem/data_processing_imm.hpp"  // dp:: field accessors, addsub, logic

namespace kvrm::sem {

// ---- Data-processing (2 source) ----
namespace dp {
template <class C>
KVRM_HD Signal divide(C& c, u32 i, bool is_signed) {
  const int size = datasize(i);
  const u64 a = c.reg(rn(i), size), b = c.reg(rm(i), size);
  u64 result;
  if (b == 0) {
    result = 0;
  } else if (!is_signed) {
    result = a / b;
  } else if (size == 32) {
    result = static_cast<u64>(sext(a, 32) / sext(b, 32));  // INT32_MIN / -1 fits in 64 bits
  } else if (b == ~u64{0}) {
    result = u64{0} - a;  // x / -1, wrapping: INT64_MIN / -1 = INT64_MIN
  } else {
    result = static_cast<u64>(static_cast<i64>(a) / static_cast<i64>(b));
  }
  c.set(rd(i), result, size);
  return Signal::Running;
}

// LSLV, LSRV, ASRV, RORV: the shift type is op2 (bits 11:10); the amount is Rm modulo datasize.
template <class C>
KVRM_HD Signal shift_variable(C& c, u32 i) {
  const int size = datasize(i);
  const int amount = static_cast<int>(c.x(rm(i)) % static_cast<u64>(size));
  c.set(rd(i), shift_reg(c.reg(rn(i), size), bits(i, 11, 10), amount, size), size);
  return Signal::Running;
}

// CRC32/CRC32C: the accumulator is Wn, the data the low 8 << sz bits of Rm, bit-reflected (the
// low bit first), with the reflected polynomial.
template <class C>
KVRM_HD Signal crc32(C& c, u32 i, u32 poly) {
  const u32 sz = bits(i, 11, 10);
  if ((sz == 3) != (bit(i, 31) == 1)) return c.undefined(i);
  const int size = 8 << sz;
  u32 crc = static_cast<u32>(c.reg(rn(i), 32));
  const u64 val = c.x(rm(i)) & ones(size);
  for (int k = 0; k < size; ++k) {
    const u32 b = (crc ^ static_cast<u32>(val >> k)) & 1;
    crc = (crc >> 1) ^ (b ? poly : 0);
  }
  c.set(rd(i), crc, 32);
  return Signal::Running;
}
}  // namespace dp
template <class C>
KVRM_HD Signal UDIV(C& c, u32 i) {
  return dp::divide(c, i, false);
}
template <class C>
KVRM_HD Signal SDIV(C& c, u32 i) {
  return dp::divide(c, i, true);
}
template <class C>
KVRM_HD Signal LSLV(C& c, u32 i) {
  return dp::shift_variable(c, i);
}
template <class C>
KVRM_HD Signal LSRV(C& c, u32 i) {
  return dp::shift_variable(c, i);
}
template <class C>
KVRM_HD Signal ASRV(C& c, u32 i) {
  return dp::shift_variable(c, i);
}
template <class C>
KVRM_HD Signal RORV(C& c, u32 i) {
  return dp::shift_variable(c, i);
}
template <class C>
KVRM_HD Signal CRC32(C& c, u32 i) {
  return dp::crc32(c, i, 0xEDB88320u);
}
template <class C>
KVRM_HD Signal CRC32C(C& c, u32 i) {
  return dp::crc32(c, i, 0x82F63B78u);
}

// ---- Data-processing (1 source) ----
namespace dp {
// Reverses the order of the bytes inside each container of `container` bits (16, 32, 64) of a
// zero-extended value: all eight bytes reversed, then the containers put back in order.
KVRM_HD u64 reverse_bytes(u64 v, int container) {
  u64 r = bswap64(v);
  if (container <= 32) r = (r >> 32) | (r << 32);
  if (container <= 16) {
    r = ((r >> 16) & 0x0000ffff0000ffffull) | ((r & 0x0000ffff0000ffffull) << 16);
  }
  return r;
}

template <class C>
KVRM_HD Signal rev(C& c, u32 i, int container) {
  const int size = datasize(i);
  c.set(rd(i), reverse_bytes(c.reg(rn(i), size), container), size);
  return Signal::Running;
}

// CountLeadingZeroBits / CountLeadingSignBits of a `width`-bit value (width 1..64).
KVRM_HD int count_leading_zeros(u64 v, int width) { return clz64(v & ones(width)) - (64 - width); }
KVRM_HD int count_leading_sign_bits(u64 v, int width) {
  return count_leading_zeros((v >> 1) ^ v, width - 1);  // x<N-1:1> EOR x<N-2:0>
}

template <class C>
KVRM_HD Signal count_leading(C& c, u32 i, bool sign) {
  const int size = datasize(i);
  const u64 v = c.reg(rn(i), size);
  c.set(rd(i),
        static_cast<u64>(sign ? count_leading_sign_bits(v, size) : count_leading_zeros(v, size)),
        size);
  return Signal::Running;
}
}  // namespace dp
template <class C>
KVRM_HD Signal RBIT(C& c, u32 i) {
  const int size = dp::datasize(i);
  c.set(dp::rd(i), bitreverse64(c.reg(dp::rn(i), size)) >> (64 - size), size);
  return Signal::Running;
}
template <class C>
KVRM_HD Signal REV16(C& c, u32 i) {
  return dp::rev(c, i, 16);
}
template <class C>
KVRM_HD Signal REV_32(C& c, u32 i) {
  return dp::rev(c, i, 32);
}
template <class C>
KVRM_HD Signal REV32(C& c, u32 i) {
  return dp::rev(c, i, 32);
}
template <class C>
KVRM_HD Signal REV_64(C& c, u32 i) {
  return dp::rev(c, i, 64);
}
template <class C>
KVRM_HD Signal CLZ(C& c, u32 i) {
  return dp::count_leading(c, i, false);
}
template <class C>
KVRM_HD Signal CLS(C& c, u32 i) {
  return dp::count_leading(c, i, true);
}

// ---- Logical (shifted register) ----
// Rd and Rn are XZR; bit 21 (N) inverts the shifted operand.
namespace dp {
template <class C>
KVRM_HD Signal logical_shift(C& c, u32 i, LogicOp op) {
  const int size = datasize(i);
  const u32 amount = bits(i, 15, 10);
  if (size == 32 && (amount & 0x20)) return c.undefined(i);
  u64 op2 = shift_reg(c.reg(rm(i), size), bits(i, 23, 22), static_cast<int>(amount), size);
  if (bit(i, 21)) op2 = ~op2;
  const u64 result = trunc(logic(op, c.reg(rn(i), size), op2), size);
  if (op == LogicOp::Ands) c.s.nzcv = logic_flags(result, size);
  c.set(rd(i), result, size);
  return Signal::Running;
}
}  // namespace dp
template <class C>
KVRM_HD Signal AND_shift(C& c, u32 i) {
  return dp::logical_shift(c, i, dp::LogicOp::And);
}
template <class C>
KVRM_HD Signal BIC_shift(C& c, u32 i) {
  return dp::logical_shift(c, i, dp::LogicOp::And);
}
template <class C>
KVRM_HD Signal ORR_shift(C& c, u32 i) {
  return dp::logical_shift(c, i, dp::LogicOp::Orr);
}
template <class C>
KVRM_HD Signal ORN_shift(C& c, u32 i) {
  return dp::logical_shift(c, i, dp::LogicOp::Orr);
}
template <class C>
KVRM_HD Signal EOR_shift(C& c, u32 i) {
  return dp::logical_shift(c, i, dp::LogicOp::Eor);
}
template <class C>
KVRM_HD Signal EON_shift(C& c, u32 i) {
  return dp::logical_shift(c, i, dp::LogicOp::Eor);
}
template <class C>
KVRM_HD Signal ANDS_shift(C& c, u32 i) {
  return dp::logical_shift(c, i, dp::LogicOp::Ands);
}
template <class C>
KVRM_HD Signal BICS_shift(C& c, u32 i) {
  return dp::logical_shift(c, i, dp::LogicOp::Ands);
}

// ---- Add/subtract (shifted register) ----
// Rd and Rn are XZR; shift type 11 is reserved.
namespace dp {
template <class C>
KVRM_HD Signal addsub_shift(C& c, u32 i, bool sub, bool setflags) {
  const int size = datasize(i);
  const u32 type = bits(i, 23, 22), amount = bits(i, 15, 10);
  if (type == 3 || (size == 32 && (amount & 0x20))) return c.undefined(i);
  const u64 op2 = shift_reg(c.reg(rm(i), size), type, static_cast<int>(amount), size);
  const AddResult r = addsub(c.reg(rn(i), size), op2, sub, size);
  if (setflags) c.s.nzcv = r.nzcv;
  c.set(rd(i), r.value, size);
  return Signal::Running;
}
}  // namespace dp
template <class C>
KVRM_HD Signal ADD_shift(C& c, u32 i) {
  return dp::addsub_shift(c, i, false, false);
}
template <class C>
KVRM_HD Signal ADDS_shift(C& c, u32 i) {
  return dp::addsub_shift(c, i, false, true);
}
template <class C>
KVRM_HD Signal SUB_shift(C& c, u32 i) {
  return dp::addsub_shift(c, i, true, false);
}
template <class C>
KVRM_HD Signal SUBS_shift(C& c, u32 i) {
  return dp::addsub_shift(c, i, true, true);
}

// ---- Add/subtract (extended register) ----
// Rn is SP; Rd is SP without setflags and XZR with it; Rm is XZR; imm3 > 4 is reserved.
namespace dp {
template <class C>
KVRM_HD Signal addsub_ext(C& c, u32 i, bool sub, bool setflags) {
  const int size = datasize(i);
  const u32 shift = bits(i, 12, 10);
  if (shift > 4) return c.undefined(i);
  const u64 op2 = extend_reg(c.x(rm(i)), bits(i, 15, 13), static_cast<int>(shift), size);
  return write_addsub(c, i, addsub(c.reg_sp(rn(i), size), op2, sub, size), setflags, size);
}
}  // namespace dp
template <class C>
KVRM_HD Signal ADD_ext(C& c, u32 i) {
  return dp::addsub_ext(c, i, false, false);
}
template <class C>
KVRM_HD Signal ADDS_ext(C& c, u32 i) {
  return dp::addsub_ext(c, i, false, true);
}
template <class C>
KVRM_HD Signal SUB_ext(C& c, u32 i) {
  return dp::addsub_ext(c, i, true, false);
}
template <class C>
KVRM_HD Signal SUBS_ext(C& c, u32 i) {
  return dp::addsub_ext(c, i, true, true);
}

// ---- Add/subtract (with carry) ----
namespace dp {
template <class C>
KVRM_HD Signal addsub_carry(C& c, u32 i, bool sub, bool setflags) {
  const int size = datasize(i);
  u64 op2 = c.reg(rm(i), size);
  if (sub) op2 = ~op2;
  const AddResult r = add_with_carry(c.reg(rn(i), size), op2, (c.s.nzcv & kC) ? 1u : 0u, size);
  if (setflags) c.s.nzcv = r.nzcv;
  c.set(rd(i), r.value, size);
  return Signal::Running;
}
}  // namespace dp
template <class C>
KVRM_HD Signal ADC(C& c, u32 i) {
  return dp::addsub_carry(c, i, false, false);
}
template <class C>
KVRM_HD Signal ADCS(C& c, u32 i) {
  return dp::addsub_carry(c, i, false, true);
}
template <class C>
KVRM_HD Signal SBC(C& c, u32 i) {
  return dp::addsub_carry(c, i, true, false);
}
template <class C>
KVRM_HD Signal SBCS(C& c, u32 i) {
  return dp::addsub_carry(c, i, true, true);
}

// ---- Rotate right into flags, evaluate into flags (FEAT_FlagM) ----
template <class C>
KVRM_HD Signal RMIF(C& c, u32 i) {
  const u64 tmp = ror(c.x(dp::rn(i)), static_cast<int>(bits(i, 20, 15)), 64);
  const u32 mask = bits(i, 3, 0);  // N, Z, C, V in bits 3..0, as tmp<3:0>
  const u32 flags = static_cast<u32>(tmp & 0xf) << 28;
  c.s.nzcv = (c.s.nzcv & ~(mask << 28)) | (flags & (mask << 28));
  return Signal::Running;
}
namespace dp {
// SETF8 / SETF16: N, Z and V from the low 8 / 16 bits of Wn; C unchanged.
template <class C>
KVRM_HD Signal setf(C& c, u32 i, int msb) {
  const u64 v = c.x(rn(i));
  const u32 n = static_cast<u32>(v >> msb) & 1;
  const u32 z = (v & ones(msb + 1)) == 0;
  const u32 ov = (static_cast<u32>(v >> (msb + 1)) & 1) ^ n;
  c.s.nzcv = (n << 31) | (z << 30) | (c.s.nzcv & kC) | (ov << 28);
  return Signal::Running;
}
}  // namespace dp
template <class C>
KVRM_HD Signal SETF8(C& c, u32 i) {
  return dp::setf(c, i, 7);
}
template <class C>
KVRM_HD Signal SETF16(C& c, u32 i) {
  return dp::setf(c, i, 15);
}

// ---- Conditional compare (register and immediate) ----
// If cond holds, the flags of Rn - op2 (CCMP) or Rn + op2 (CCMN), else the nzcv field. Bit 11
// selects imm5 (in the Rm field) over Rm.
namespace dp {
template <class C>
KVRM_HD Signal cond_compare(C& c, u32 i, bool sub) {
  const int size = datasize(i);
  u32 flags = bits(i, 3, 0) << 28;
  if (cond_holds(c.s.nzcv, bits(i, 15, 12))) {
    const u64 op2 = bit(i, 11) ? static_cast<u64>(bits(i, 20, 16)) : c.reg(rm(i), size);
    flags = addsub(c.reg(rn(i), size), op2, sub, size).nzcv;
  }
  c.s.nzcv = flags;
  return Signal::Running;
}
}  // namespace dp
template <class C>
KVRM_HD Signal CCMN_reg(C& c, u32 i) {
  return dp::cond_compare(c, i, false);
}
template <class C>
KVRM_HD Signal CCMP_reg(C& c, u32 i) {
  return dp::cond_compare(c, i, true);
}
template <class C>
KVRM_HD Signal CCMN_imm(C& c, u32 i) {
  return dp::cond_compare(c, i, false);
}
template <class C>
KVRM_HD Signal CCMP_imm(C& c, u32 i) {
  return dp::cond_compare(c, i, true);
}

// ---- Conditional select ----
// Rn if cond holds, else Rm, inverted (op, bit 30) and/or incremented (o2, bit 10).
namespace dp {
template <class C>
KVRM_HD Signal cond_select(C& c, u32 i) {
  const int size = datasize(i);
  u64 result;
  if (cond_holds(c.s.nzcv, bits(i, 15, 12))) {
    result = c.reg(rn(i), size);
  } else {
    result = c.reg(rm(i), size);
    if (bit(i, 30)) result = ~result;
    if (bit(i, 10)) result = result + 1;
  }
  c.set(rd(i), result, size);
  return Signal::Running;
}
}  // namespace dp
template <class C>
KVRM_HD Signal CSEL(C& c, u32 i) {
  return dp::cond_select(c, i);
}
template <class C>
KVRM_HD Signal CSINC(C& c, u32 i) {
  return dp::cond_select(c, i);
}
template <class C>
KVRM_HD Signal CSINV(C& c, u32 i) {
  return dp::cond_select(c, i);
}
template <class C>
KVRM_HD Signal CSNEG(C& c, u32 i) {
  return dp::cond_select(c, i);
}

// ---- Data-processing (3 source) ----
// Ra +/- Rn * Rm: at datasize (MADD, MSUB), or 64-bit Ra with the sign- or zero-extended
// product of Wn and Wm (SMADDL, SMSUBL, UMADDL, UMSUBL). Products wrap modulo 2^64.
namespace dp {
enum class MulOperands { Same, SignedWords, UnsignedWords };
template <class C>
KVRM_HD Signal multiply_add(C& c, u32 i, bool sub, MulOperands kind) {
  const int size = kind == MulOperands::Same ? datasize(i) : 64;
  u64 a, b;
  if (kind == MulOperands::Same) {
    a = c.reg(rn(i), size);
    b = c.reg(rm(i), size);
  } else if (kind == MulOperands::SignedWords) {
    a = static_cast<u64>(sext(c.x(rn(i)), 32));
    b = static_cast<u64>(sext(c.x(rm(i)), 32));
  } else {
    a = c.reg(rn(i), 32);
    b = c.reg(rm(i), 32);
  }
  const u64 acc = c.reg(static_cast<int>(bits(i, 14, 10)), size);
  const u64 product = a * b;
  c.set(rd(i), sub ? acc - product : acc + product, size);
  return Signal::Running;
}
}  // namespace dp
template <class C>
KVRM_HD Signal MADD(C& c, u32 i) {
  return dp::multiply_add(c, i, false, dp::MulOperands::Same);
}
template <class C>
KVRM_HD Signal MSUB(C& c, u32 i) {
  return dp::multiply_add(c, i, true, dp::MulOperands::Same);
}
template <class C>
KVRM_HD Signal SMADDL(C& c, u32 i) {
  return dp::multiply_add(c, i, false, dp::MulOperands::SignedWords);
}
template <class C>
KVRM_HD Signal SMSUBL(C& c, u32 i) {
  return dp::multiply_add(c, i, true, dp::MulOperands::SignedWords);
}
template <class C>
KVRM_HD Signal UMADDL(C& c, u32 i) {
  return dp::multiply_add(c, i, false, dp::MulOperands::UnsignedWords);
}
template <class C>
KVRM_HD Signal UMSUBL(C& c, u32 i) {
  return dp::multiply_add(c, i, true, dp::MulOperands::UnsignedWords);
}
// SMULH/UMULH: Ra (bits 14:10) is a should-be field, ignored.
template <class C>
KVRM_HD Signal SMULH(C& c, u32 i) {
  const i64 r = smulh64(static_cast<i64>(c.x(dp::rn(i))), static_cast<i64>(c.x(dp::rm(i))));
  c.set(dp::rd(i), static_cast<u64>(r), 64);
  return Signal::Running;
}
template <class C>
KVRM_HD Signal UMULH(C& c, u32 i) {
  c.set(dp::rd(i), umulh64(c.x(dp::rn(i)), c.x(dp::rm(i))), 64);
  return Signal::Running;
}

}  // namespace kvrm::sem

// Instruction semantics, C4.1.86 Data processing -- immediate: PC-relative addressing,
// add/subtract, logical, move wide, bitfield, extract. The add/subtract and logical operations
// here are shared with their register forms (data_processing_reg.hpp).
#pragma once

#include "isa/sem/common.hpp"

namespace kvrm::sem {

// Helpers of the data-processing groups live in sem::dp, apart from other groups' helpers.
namespace dp {

// Datasize of an instruction with an sf field in bit 31.
KVRM_HD constexpr int datasize(u32 i) { return bit(i, 31) ? 64 : 32; }
KVRM_HD constexpr int rd(u32 i) { return static_cast<int>(bits(i, 4, 0)); }
KVRM_HD constexpr int rn(u32 i) { return static_cast<int>(bits(i, 9, 5)); }
KVRM_HD constexpr int rm(u32 i) { return static_cast<int>(bits(i, 20, 16)); }

// The add/subtract shared by the immediate, shifted and extended register forms: operand1 +
// operand2 (sub: operand1 + NOT(operand2) + 1); with setflags the flags are set.
KVRM_HD AddResult addsub(u64 op1, u64 op2, bool sub, int size) {
  return add_with_carry(op1, sub ? ~op2 : op2, sub ? 1u : 0u, size);
}

// Writes an add/subtract result of the forms whose Rd is SP unless they set flags (immediate and
// extended register): with setflags, NZCV and Rd as XZR; without, Rd as SP.
template <class C>
KVRM_HD Signal write_addsub(C& c, u32 i, const AddResult& r, bool setflags, int size) {
  if (setflags) {
    c.s.nzcv = r.nzcv;
    c.set(rd(i), r.value, size);
  } else {
    c.set_sp(rd(i), r.value, size);
  }
  return Signal::Running;
}

// The logical operations shared by the immediate and shifted register forms (opc field).
enum class LogicOp : u32 { And = 0, Orr = 1, Eor = 2, Ands = 3 };
KVRM_HD u64 logic(LogicOp op, u64 a, u64 b) {
  switch (op) {
    case LogicOp::Orr: return a | b;
    case LogicOp::Eor: return a ^ b;
    default: return a & b;  // AND, ANDS
  }
}

}  // namespace dp

// ---- PC-rel. addressing ----
namespace dp {
template <class C>
KVRM_HD Signal pc_rel(C& c, u32 i, bool page) {
  const u64 imm = (static_cast<u64>(bits(i, 23, 5)) << 2) | bits(i, 30, 29);
  u64 base = c.pc;
  u64 offset = static_cast<u64>(sext(imm, 21));
  if (page) {
    base &= ~u64{0xfff};
    offset <<= 12;
  }
  c.set(rd(i), base + offset, 64);
  return Signal::Running;
}
}  // namespace dp
template <class C>
KVRM_HD Signal ADR(C& c, u32 i) {
  return dp::pc_rel(c, i, false);
}
template <class C>
KVRM_HD Signal ADRP(C& c, u32 i) {
  return dp::pc_rel(c, i, true);
}

// ---- Add/subtract (immediate) ----
// Rn is SP; Rd is SP without setflags and XZR with it.
namespace dp {
template <class C>
KVRM_HD Signal addsub_imm(C& c, u32 i, bool sub, bool setflags) {
  const int size = datasize(i);
  const u64 imm = bit(i, 22) ? (static_cast<u64>(bits(i, 21, 10)) << 12) : bits(i, 21, 10);
  return write_addsub(c, i, addsub(c.reg_sp(rn(i), size), imm, sub, size), setflags, size);
}
}  // namespace dp
template <class C>
KVRM_HD Signal ADD_imm(C& c, u32 i) {
  return dp::addsub_imm(c, i, false, false);
}
template <class C>
KVRM_HD Signal ADDS_imm(C& c, u32 i) {
  return dp::addsub_imm(c, i, false, true);
}
template <class C>
KVRM_HD Signal SUB_imm(C& c, u32 i) {
  return dp::addsub_imm(c, i, true, false);
}
template <class C>
KVRM_HD Signal SUBS_imm(C& c, u32 i) {
  return dp::addsub_imm(c, i, true, true);
}

// ---- Logical (immediate) ----
// Rn is XZR; Rd is SP for AND/ORR/EOR and XZR for ANDS.
namespace dp {
template <class C>
KVRM_HD Signal logical_imm(C& c, u32 i, LogicOp op) {
  const int size = datasize(i);
  const u32 n = bit(i, 22);
  if (size == 32 && n) return c.undefined(i);
  const BitMasks m = decode_bit_masks(n, bits(i, 15, 10), bits(i, 21, 16), true, size);
  if (!m.valid) return c.undefined(i);
  const u64 result = trunc(logic(op, c.reg(rn(i), size), m.wmask), size);
  if (op == LogicOp::Ands) {
    c.s.nzcv = logic_flags(result, size);
    c.set(rd(i), result, size);
  } else {
    c.set_sp(rd(i), result, size);
  }
  return Signal::Running;
}
}  // namespace dp
template <class C>
KVRM_HD Signal AND_imm(C& c, u32 i) {
  return dp::logical_imm(c, i, dp::LogicOp::And);
}
template <class C>
KVRM_HD Signal ORR_imm(C& c, u32 i) {
  return dp::logical_imm(c, i, dp::LogicOp::Orr);
}
template <class C>
KVRM_HD Signal EOR_imm(C& c, u32 i) {
  return dp::logical_imm(c, i, dp::LogicOp::Eor);
}
template <class C>
KVRM_HD Signal ANDS_imm(C& c, u32 i) {
  return dp::logical_imm(c, i, dp::LogicOp::Ands);
}

// ---- Move wide (immediate) ----
namespace dp {
enum class MoveWideOp { N, Z, K };
template <class C>
KVRM_HD Signal move_wide(C& c, u32 i, MoveWideOp op) {
  const int size = datasize(i);
  const u32 hw = bits(i, 22, 21);
  if (size == 32 && (hw & 2)) return c.undefined(i);
  const int pos = static_cast<int>(hw << 4);
  const u64 imm = static_cast<u64>(bits(i, 20, 5)) << pos;
  u64 result = op == MoveWideOp::K ? (c.reg(rd(i), size) & ~(u64{0xffff} << pos)) | imm : imm;
  if (op == MoveWideOp::N) result = ~result;
  c.set(rd(i), result, size);
  return Signal::Running;
}
}  // namespace dp
template <class C>
KVRM_HD Signal MOVN(C& c, u32 i) {
  return dp::move_wide(c, i, dp::MoveWideOp::N);
}
template <class C>
KVRM_HD Signal MOVZ(C& c, u32 i) {
  return dp::move_wide(c, i, dp::MoveWideOp::Z);
}
template <class C>
KVRM_HD Signal MOVK(C& c, u32 i) {
  return dp::move_wide(c, i, dp::MoveWideOp::K);
}

// ---- Bitfield ----
// SBFM: inzero, extend; BFM: neither; UBFM: inzero.
namespace dp {
template <class C>
KVRM_HD Signal bitfield(C& c, u32 i, bool inzero, bool extend) {
  const int size = datasize(i);
  const u32 n = bit(i, 22), immr = bits(i, 21, 16), imms = bits(i, 15, 10);
  if (size == 64 && !n) return c.undefined(i);
  if (size == 32 && (n || (immr & 0x20) || (imms & 0x20))) return c.undefined(i);
  const BitMasks m = decode_bit_masks(n, imms, immr, false, size);
  if (!m.valid) return c.undefined(i);
  const u64 dst = inzero ? 0 : c.reg(rd(i), size);
  const u64 src = c.reg(rn(i), size);
  const u64 bot = (dst & ~m.wmask) | (ror(src, static_cast<int>(immr), size) & m.wmask);
  const u64 top = extend ? (((src >> imms) & 1) ? ~u64{0} : 0) : dst;
  c.set(rd(i), (top & ~m.tmask) | (bot & m.tmask), size);
  return Signal::Running;
}
}  // namespace dp
template <class C>
KVRM_HD Signal SBFM(C& c, u32 i) {
  return dp::bitfield(c, i, true, true);
}
template <class C>
KVRM_HD Signal BFM(C& c, u32 i) {
  return dp::bitfield(c, i, false, false);
}
template <class C>
KVRM_HD Signal UBFM(C& c, u32 i) {
  return dp::bitfield(c, i, true, false);
}

// ---- Extract ----
template <class C>
KVRM_HD Signal EXTR(C& c, u32 i) {
  const int size = dp::datasize(i);
  const u32 lsb = bits(i, 15, 10);
  if (bit(i, 22) != bit(i, 31) || (size == 32 && (lsb & 0x20))) return c.undefined(i);
  const u64 hi = c.reg(dp::rn(i), size), lo = c.reg(dp::rm(i), size);
  // (Rn:Rm)<lsb+datasize-1:lsb>
  const u64 result = lsb == 0 ? lo : (lo >> lsb) | (hi << (size - static_cast<int>(lsb)));
  c.set(dp::rd(i), result, size);
  return Signal::Running;
}

}  // namespace kvrm::sem

// A few A64 encodings for hand-written and random test programs (64-bit forms; offsets in
// bytes, relative to the instruction).
#pragma once

#include "isa/hd.hpp"

namespace kvrm::test::a64 {

constexpr u32 movz(int rd, u32 imm16, int hw = 0) {
  return 0xd2800000u | (u32(hw) << 21) | (imm16 << 5) | u32(rd);
}
constexpr u32 add_imm(int rd, int rn, u32 imm12) {
  return 0x91000000u | (imm12 << 10) | (u32(rn) << 5) | u32(rd);
}
constexpr u32 sub_imm(int rd, int rn, u32 imm12) {
  return 0xd1000000u | (imm12 << 10) | (u32(rn) << 5) | u32(rd);
}
constexpr u32 subs_imm(int rd, int rn, u32 imm12) {
  return 0xf1000000u | (imm12 << 10) | (u32(rn) << 5) | u32(rd);
}
constexpr u32 adds_imm(int rd, int rn, u32 imm12) {
  return 0xb1000000u | (imm12 << 10) | (u32(rn) << 5) | u32(rd);
}
// Shifted-register forms: base | shift type << 22 | rm << 16 | amount << 10 | rn << 5 | rd.
constexpr u32 reg3(u32 base, int rd, int rn, int rm, u32 shift = 0, u32 amount = 0) {
  return base | (shift << 22) | (u32(rm) << 16) | (amount << 10) | (u32(rn) << 5) | u32(rd);
}
constexpr u32 kAddReg = 0x8b000000u, kSubReg = 0xcb000000u, kAddsReg = 0xab000000u,
              kSubsReg = 0xeb000000u, kAndReg = 0x8a000000u, kOrrReg = 0xaa000000u,
              kEorReg = 0xca000000u, kAndsReg = 0xea000000u;
constexpr u32 madd(int rd, int rn, int rm, int ra) {
  return 0x9b000000u | (u32(rm) << 16) | (u32(ra) << 10) | (u32(rn) << 5) | u32(rd);
}
constexpr u32 csel(int rd, int rn, int rm, u32 cond) {
  return 0x9a800000u | (u32(rm) << 16) | (cond << 12) | (u32(rn) << 5) | u32(rd);
}
constexpr u32 lslv(int rd, int rn, int rm) {
  return 0x9ac02000u | (u32(rm) << 16) | (u32(rn) << 5) | u32(rd);
}
constexpr u32 udiv(int rd, int rn, int rm) {
  return 0x9ac00800u | (u32(rm) << 16) | (u32(rn) << 5) | u32(rd);
}
// LDR/STR Xt, [Xn, #off] (off a multiple of 8); LDRB/STRB Wt, [Xn, #off].
constexpr u32 ldr(int rt, int rn, u32 off) {
  return 0xf9400000u | ((off / 8) << 10) | (u32(rn) << 5) | u32(rt);
}
constexpr u32 str(int rt, int rn, u32 off) {
  return 0xf9000000u | ((off / 8) << 10) | (u32(rn) << 5) | u32(rt);
}
constexpr u32 ldrb(int rt, int rn, u32 off) {
  return 0x39400000u | (off << 10) | (u32(rn) << 5) | u32(rt);
}
constexpr u32 strb(int rt, int rn, u32 off) {
  return 0x39000000u | (off << 10) | (u32(rn) << 5) | u32(rt);
}
// STP/LDP Xt1, Xt2, [Xn, #off] (off a multiple of 8, -512..504).
constexpr u32 stp(int rt, int rt2, int rn, int off) {
  return 0xa9000000u | ((u32(off / 8) & 0x7f) << 15) | (u32(rt2) << 10) | (u32(rn) << 5) | u32(rt);
}
constexpr u32 ldp(int rt, int rt2, int rn, int off) {
  return 0xa9400000u | ((u32(off / 8) & 0x7f) << 15) | (u32(rt2) << 10) | (u32(rn) << 5) | u32(rt);
}
constexpr u32 b(int off) { return 0x14000000u | (u32(off / 4) & 0x3ffffff); }
constexpr u32 bl(int off) { return 0x94000000u | (u32(off / 4) & 0x3ffffff); }
constexpr u32 b_cond(u32 cond, int off) {
  return 0x54000000u | ((u32(off / 4) & 0x7ffff) << 5) | cond;
}
constexpr u32 cbz(int rt, int off) {
  return 0xb4000000u | ((u32(off / 4) & 0x7ffff) << 5) | u32(rt);
}
constexpr u32 cbnz(int rt, int off) {
  return 0xb5000000u | ((u32(off / 4) & 0x7ffff) << 5) | u32(rt);
}
constexpr u32 tbnz(int rt, u32 bit_no, int off) {
  return 0x37000000u | ((bit_no >> 5) << 31) | ((bit_no & 31) << 19) |
         ((u32(off / 4) & 0x3fff) << 5) | u32(rt);
}
constexpr u32 br(int rn) { return 0xd61f0000u | (u32(rn) << 5); }
constexpr u32 blr(int rn) { return 0xd63f0000u | (u32(rn) << 5); }
constexpr u32 kRet = 0xd65f03c0u;
constexpr u32 kSvc = 0xd4000001u;
constexpr u32 kHlt = 0xd4400000u;
constexpr u32 kBrk = 0xd4200000u;
constexpr u32 kUdf = 0x00000000u;
// FMOV Dd, Xn; FADD Dd, Dn, Dm; ADD Vd.2D, Vn.2D, Vm.2D; FMOV Xd, Dn.
constexpr u32 fmov_to_d(int rd, int rn) { return 0x9e670000u | (u32(rn) << 5) | u32(rd); }
constexpr u32 fadd_d(int rd, int rn, int rm) {
  return 0x1e602800u | (u32(rm) << 16) | (u32(rn) << 5) | u32(rd);
}
constexpr u32 add_2d(int rd, int rn, int rm) {
  return 0x4ee08400u | (u32(rm) << 16) | (u32(rn) << 5) | u32(rd);
}
constexpr u32 fmov_from_d(int rd, int rn) { return 0x9e660000u | (u32(rn) << 5) | u32(rd); }
constexpr u32 adr(int rd, int off) {
  return 0x10000000u | ((u32(off) & 3) << 29) | (((u32(off) >> 2) & 0x7ffff) << 5) | u32(rd);
}

}  // namespace kvrm::test::a64

// Instruction semantics, C4.1.88 Loads and stores of SIMD&FP registers: structures (LD1-LD4,
// ST1-ST4, LDnR) and B/H/S/D/Q registers in every addressing mode.
//
// The rules of load_store.hpp hold here too (base Rn = 31 is SP; ordinary accesses may be
// unaligned; loads read everything into temporaries and write registers only once all of it
// was read; no faulting instruction writes its base back; stores read their registers first and
// write their elements in order, so that a fault may leave earlier elements written). A Q
// register is accessed as two doublewords, the lower address first, as QEMU does. Writing a
// B/H/S/D register zeroes the rest of the 128-bit register, and so does a 64-bit vector load
// (Q = 0) of whole registers; a load to one lane keeps the other lanes.
#pragma once

#include "isa/sem/load_store.hpp"
#include "isa/sem/simd_common.hpp"

namespace kvrm::sem {

namespace simdls {

// Reads `bytes` (1, 2, 4, 8 or 16) at va, zero-extended to 128 bits.
template <class C>
KVRM_HD bool read_v(C& c, u64 va, int bytes, VReg& out) {
  out = VReg{};
  if (bytes == 16) return c.mem.read(va, out.lo) && c.mem.read(va + 8, out.hi);
  return c.mem.read_sized(va, bytes, out.lo);
}

// Writes the low `bytes` (1, 2, 4, 8 or 16) of v at va.
template <class C>
KVRM_HD bool write_v(C& c, u64 va, int bytes, const VReg& v) {
  if (bytes == 16) return c.mem.write(va, v.lo) && c.mem.write(va + 8, v.hi);
  return c.mem.write_sized(va, bytes, v.lo);
}

// ---- Single registers: B, H, S, D, Q ----

// scale = opc<1>:size (i<23>, i<31:30>): 0 B, 1 H, 2 S, 3 D, 4 Q; above 4 unallocated.
KVRM_HD int reg_scale(u32 i) { return static_cast<int>((bit(i, 23) << 2) | bits(i, 31, 30)); }

// Loads (L = opc<0> = i<22>) or stores one register of 1 << scale bytes.
template <class C>
KVRM_HD Signal access_register(C& c, u32 i, u64 offset, ldst::Index idx) {
  const int n = ldst::field_rn(i), t = ldst::field_rt(i);
  const int bytes = 1 << reg_scale(i);
  const ldst::Address a = ldst::index_address(c.xsp(n), offset, idx);
  if (bit(i, 22)) {
    VReg v;
    KVRM_MEM(read_v(c, a.va, bytes, v));
    vset(c, t, v);
  } else {
    KVRM_MEM(write_v(c, a.va, bytes, vget(c, t)));
  }
  ldst::writeback(c, n, idx, a.updated);
  return Signal::Running;
}

// Unscaled, pre- and post-indexed: signed 9-bit byte offset.
template <class C>
KVRM_HD Signal register_imm9(C& c, u32 i, ldst::Index idx) {
  if (reg_scale(i) > 4) return c.undefined(i);
  return access_register(c, i, static_cast<u64>(sext(bits(i, 20, 12), 9)), idx);
}

// Unsigned offset: imm12 scaled by the register size.
template <class C>
KVRM_HD Signal register_uoff(C& c, u32 i) {
  const int scale = reg_scale(i);
  if (scale > 4) return c.undefined(i);
  return access_register(c, i, u64{bits(i, 21, 10)} << scale, ldst::Index::Offset);
}

// Register offset: Rm extended by option (option<1> = 0 unallocated) and, when S = 1, shifted
// by the scale. (ldst::register_offset shifts by size alone, which is wrong for Q, scale 4.)
template <class C>
KVRM_HD Signal register_reg(C& c, u32 i) {
  const int scale = reg_scale(i);
  const u32 option = bits(i, 15, 13);
  if (scale > 4 || !(option & 2)) return c.undefined(i);
  const u64 offset =
      extend_reg(c.x(static_cast<int>(bits(i, 20, 16))), option, bit(i, 12) ? scale : 0, 64);
  return access_register(c, i, offset, ldst::Index::Offset);
}

// LDR (literal, SIMD&FP): opc = i<31:30>: 00 S, 01 D, 10 Q, 11 unallocated.
template <class C>
KVRM_HD Signal load_literal(C& c, u32 i) {
  const u32 opc = bits(i, 31, 30);
  if (opc == 3) return c.undefined(i);
  const u64 va = c.pc + (static_cast<u64>(sext(bits(i, 23, 5), 19)) << 2);
  VReg v;
  KVRM_MEM(read_v(c, va, 4 << opc, v));
  vset(c, ldst::field_rt(i), v);
  return Signal::Running;
}

// LDP/STP/LDNP/STNP (SIMD&FP): opc = i<31:30>: 00 S, 01 D, 10 Q, 11 unallocated; the offset is
// imm7 scaled by the register size. A load writes Vt, then Vt2.
template <class C>
KVRM_HD Signal pair(C& c, u32 i, ldst::Index idx) {
  const u32 opc = bits(i, 31, 30);
  if (opc == 3) return c.undefined(i);
  const int n = ldst::field_rn(i), t = ldst::field_rt(i), t2 = ldst::field_rt2(i);
  const int bytes = 4 << opc;
  const u64 offset = static_cast<u64>(sext(bits(i, 21, 15), 7)) * static_cast<u64>(bytes);
  const ldst::Address a = ldst::index_address(c.xsp(n), offset, idx);
  const u64 second = a.va + static_cast<u64>(bytes);
  if (bit(i, 22)) {
    VReg v1, v2;
    KVRM_MEM(read_v(c, a.va, bytes, v1));
    KVRM_MEM(read_v(c, second, bytes, v2));
    vset(c, t, v1);
    vset(c, t2, v2);
  } else {
    const VReg d1 = vget(c, t), d2 = vget(c, t2);
    KVRM_MEM(write_v(c, a.va, bytes, d1));
    KVRM_MEM(write_v(c, second, bytes, d2));
  }
  ldst::writeback(c, n, idx, a.updated);
  return Signal::Running;
}

// ---- Structures ----

// Post-index writeback of the structure forms: Rm = 31 adds the number of bytes transferred,
// any other Rm adds X[m].
template <class C>
KVRM_HD void struct_writeback(C& c, u32 i, bool post, u64 base, u64 transferred) {
  if (!post) return;
  const int m = static_cast<int>(bits(i, 20, 16));
  c.set_sp(ldst::field_rn(i), base + (m == 31 ? transferred : c.x(m)), 64);
}

// LD1-LD4/ST1-ST4 (multiple structures): `rpt` registers of one element each (LD1/ST1 with 1-4
// registers) or `selem` interleaved registers (LD2-LD4/ST2-ST4), registers Vt, Vt+1, ... modulo
// 32. Elements of 8 << size bits fill 64 (Q = 0) or 128 (Q = 1) bits; size:Q = 110 (1D) is only
// allowed for LD1/ST1.
template <class C>
KVRM_HD Signal multiple(C& c, u32 i, int rpt, int selem, bool post) {
  const bool q = bit(i, 30), load = bit(i, 22);
  const int size = static_cast<int>(bits(i, 11, 10));
  if (size == 3 && !q && selem != 1) return c.undefined(i);
  const int t = ldst::field_rt(i);
  const int esize = 8 << size, ebytes = 1 << size;
  const int elements = (q ? 16 : 8) >> size;
  const int regs = rpt * selem;
  const u64 base = c.xsp(ldst::field_rn(i));
  VReg val[4];
  for (int r = 0; r < regs; ++r) val[r] = load ? VReg{} : vget(c, (t + r) & 31);
  u64 offs = 0;
  for (int r = 0; r < rpt; ++r) {
    for (int e = 0; e < elements; ++e) {
      for (int s = 0; s < selem; ++s) {
        VReg& v = val[r + s];
        if (load) {
          u64 x;
          KVRM_MEM(c.mem.read_sized(base + offs, ebytes, x));
          set_elem(v, e, esize, x);
        } else {
          KVRM_MEM(c.mem.write_sized(base + offs, ebytes, elem(v, e, esize)));
        }
        offs += static_cast<u64>(ebytes);
      }
    }
  }
  if (load) {
    for (int r = 0; r < regs; ++r) vwrite_vector(c, (t + r) & 31, val[r], q);
  }
  struct_writeback(c, i, post, base, offs);
  return Signal::Running;
}

// LD1-LD4/ST1-ST4 (single structure) and LD1R-LD4R: `selem` registers Vt, Vt+1, ... modulo 32.
// opcode<2:1> = i<15:14> gives the element size (0 B, 1 H, 2 S or D, 3 replicate with the size
// field's size); the lane index is made of Q, S and size bits as the Arm ARM decodes it.
// A lane load keeps the register's other lanes; a replicating load fills 64 or 128 bits.
template <class C>
KVRM_HD Signal single(C& c, u32 i, int selem, bool replicate, bool post) {
  const u32 q = bit(i, 30), s_bit = bit(i, 12), size = bits(i, 11, 10);
  const bool load = bit(i, 22);
  int scale = static_cast<int>(bits(i, 15, 14));
  int index = 0;
  if (replicate) {
    scale = static_cast<int>(size);
  } else {
    switch (scale) {
      case 0: index = static_cast<int>((q << 3) | (s_bit << 2) | size); break;
      case 1:
        if (size & 1) return c.undefined(i);
        index = static_cast<int>((q << 2) | (s_bit << 1) | (size >> 1));
        break;
      case 2:
        if (size & 2) return c.undefined(i);
        if (size & 1) {
          if (s_bit) return c.undefined(i);
          index = static_cast<int>(q);
          scale = 3;
        } else {
          index = static_cast<int>((q << 1) | s_bit);
        }
        break;
      default: return c.undefined(i);  // opcode 11x: only LD1R-LD4R (L = 1, S = 0)
    }
  }
  const int t = ldst::field_rt(i);
  const int esize = 8 << scale, ebytes = 1 << scale;
  const u64 base = c.xsp(ldst::field_rn(i));
  VReg val[4];
  u64 offs = 0;
  for (int s = 0; s < selem; ++s) {
    const u64 va = base + offs;
    offs += static_cast<u64>(ebytes);
    if (!load) {
      KVRM_MEM(c.mem.write_sized(va, ebytes, elem(vget(c, (t + s) & 31), index, esize)));
      continue;
    }
    u64 x;
    KVRM_MEM(c.mem.read_sized(va, ebytes, x));
    if (replicate) {
      val[s] = VReg{};
      for (int e = 0; e < 128 / esize; ++e) set_elem(val[s], e, esize, x);
    } else {
      val[s] = vget(c, (t + s) & 31);
      set_elem(val[s], index, esize, x);
    }
  }
  if (load) {
    for (int s = 0; s < selem; ++s) {
      if (replicate) {
        vwrite_vector(c, (t + s) & 31, val[s], q);
      } else {
        vset(c, (t + s) & 31, val[s]);
      }
    }
  }
  struct_writeback(c, i, post, base, offs);
  return Signal::Running;
}

}  // namespace simdls

// ---- LDR/STR (SIMD&FP) in every addressing form, LDUR/STUR, LDR (literal) ----

template <class C>
KVRM_HD Signal STUR_fp(C& c, u32 i) {
  return simdls::register_imm9(c, i, ldst::Index::Offset);
}
template <class C>
KVRM_HD Signal LDUR_fp(C& c, u32 i) {
  return simdls::register_imm9(c, i, ldst::Index::Offset);
}
template <class C>
KVRM_HD Signal STR_fp_post(C& c, u32 i) {
  return simdls::register_imm9(c, i, ldst::Index::Post);
}
template <class C>
KVRM_HD Signal LDR_fp_post(C& c, u32 i) {
  return simdls::register_imm9(c, i, ldst::Index::Post);
}
template <class C>
KVRM_HD Signal STR_fp_pre(C& c, u32 i) {
  return simdls::register_imm9(c, i, ldst::Index::Pre);
}
template <class C>
KVRM_HD Signal LDR_fp_pre(C& c, u32 i) {
  return simdls::register_imm9(c, i, ldst::Index::Pre);
}
template <class C>
KVRM_HD Signal STR_fp_reg(C& c, u32 i) {
  return simdls::register_reg(c, i);
}
template <class C>
KVRM_HD Signal LDR_fp_reg(C& c, u32 i) {
  return simdls::register_reg(c, i);
}
template <class C>
KVRM_HD Signal STR_fp_uoff(C& c, u32 i) {
  return simdls::register_uoff(c, i);
}
template <class C>
KVRM_HD Signal LDR_fp_uoff(C& c, u32 i) {
  return simdls::register_uoff(c, i);
}
template <class C>
KVRM_HD Signal LDR_fp_lit(C& c, u32 i) {
  return simdls::load_literal(c, i);
}

// ---- LDP/STP/LDNP/STNP (SIMD&FP) ----

template <class C>
KVRM_HD Signal STNP_fp(C& c, u32 i) {
  return simdls::pair(c, i, ldst::Index::Offset);
}
template <class C>
KVRM_HD Signal LDNP_fp(C& c, u32 i) {
  return simdls::pair(c, i, ldst::Index::Offset);
}
template <class C>
KVRM_HD Signal STP_fp_post(C& c, u32 i) {
  return simdls::pair(c, i, ldst::Index::Post);
}
template <class C>
KVRM_HD Signal LDP_fp_post(C& c, u32 i) {
  return simdls::pair(c, i, ldst::Index::Post);
}
template <class C>
KVRM_HD Signal STP_fp_off(C& c, u32 i) {
  return simdls::pair(c, i, ldst::Index::Offset);
}
template <class C>
KVRM_HD Signal LDP_fp_off(C& c, u32 i) {
  return simdls::pair(c, i, ldst::Index::Offset);
}
template <class C>
KVRM_HD Signal STP_fp_pre(C& c, u32 i) {
  return simdls::pair(c, i, ldst::Index::Pre);
}
template <class C>
KVRM_HD Signal LDP_fp_pre(C& c, u32 i) {
  return simdls::pair(c, i, ldst::Index::Pre);
}

// ---- Advanced SIMD load/store multiple structures (no offset and post-index) ----
template <class C>
KVRM_HD Signal ST1_mult1(C& c, u32 i) {
  return simdls::multiple(c, i, 1, 1, false);
}
template <class C>
KVRM_HD Signal ST1_mult1_postidx(C& c, u32 i) {
  return simdls::multiple(c, i, 1, 1, true);
}
template <class C>
KVRM_HD Signal ST1_mult2(C& c, u32 i) {
  return simdls::multiple(c, i, 2, 1, false);
}
template <class C>
KVRM_HD Signal ST1_mult2_postidx(C& c, u32 i) {
  return simdls::multiple(c, i, 2, 1, true);
}
template <class C>
KVRM_HD Signal ST1_mult3(C& c, u32 i) {
  return simdls::multiple(c, i, 3, 1, false);
}
template <class C>
KVRM_HD Signal ST1_mult3_postidx(C& c, u32 i) {
  return simdls::multiple(c, i, 3, 1, true);
}
template <class C>
KVRM_HD Signal ST1_mult4(C& c, u32 i) {
  return simdls::multiple(c, i, 4, 1, false);
}
template <class C>
KVRM_HD Signal ST1_mult4_postidx(C& c, u32 i) {
  return simdls::multiple(c, i, 4, 1, true);
}
template <class C>
KVRM_HD Signal ST2_mult(C& c, u32 i) {
  return simdls::multiple(c, i, 1, 2, false);
}
template <class C>
KVRM_HD Signal ST2_mult_postidx(C& c, u32 i) {
  return simdls::multiple(c, i, 1, 2, true);
}
template <class C>
KVRM_HD Signal ST3_mult(C& c, u32 i) {
  return simdls::multiple(c, i, 1, 3, false);
}
template <class C>
KVRM_HD Signal ST3_mult_postidx(C& c, u32 i) {
  return simdls::multiple(c, i, 1, 3, true);
}
template <class C>
KVRM_HD Signal ST4_mult(C& c, u32 i) {
  return simdls::multiple(c, i, 1, 4, false);
}
template <class C>
KVRM_HD Signal ST4_mult_postidx(C& c, u32 i) {
  return simdls::multiple(c, i, 1, 4, true);
}
template <class C>
KVRM_HD Signal LD1_mult1(C& c, u32 i) {
  return simdls::multiple(c, i, 1, 1, false);
}
template <class C>
KVRM_HD Signal LD1_mult1_postidx(C& c, u32 i) {
  return simdls::multiple(c, i, 1, 1, true);
}
template <class C>
KVRM_HD Signal LD1_mult2(C& c, u32 i) {
  return simdls::multiple(c, i, 2, 1, false);
}
template <class C>
KVRM_HD Signal LD1_mult2_postidx(C& c, u32 i) {
  return simdls::multiple(c, i, 2, 1, true);
}
template <class C>
KVRM_HD Signal LD1_mult3(C& c, u32 i) {
  return simdls::multiple(c, i, 3, 1, false);
}
template <class C>
KVRM_HD Signal LD1_mult3_postidx(C& c, u32 i) {
  return simdls::multiple(c, i, 3, 1, true);
}
template <class C>
KVRM_HD Signal LD1_mult4(C& c, u32 i) {
  return simdls::multiple(c, i, 4, 1, false);
}
template <class C>
KVRM_HD Signal LD1_mult4_postidx(C& c, u32 i) {
  return simdls::multiple(c, i, 4, 1, true);
}
template <class C>
KVRM_HD Signal LD2_mult(C& c, u32 i) {
  return simdls::multiple(c, i, 1, 2, false);
}
template <class C>
KVRM_HD Signal LD2_mult_postidx(C& c, u32 i) {
  return simdls::multiple(c, i, 1, 2, true);
}
template <class C>
KVRM_HD Signal LD3_mult(C& c, u32 i) {
  return simdls::multiple(c, i, 1, 3, false);
}
template <class C>
KVRM_HD Signal LD3_mult_postidx(C& c, u32 i) {
  return simdls::multiple(c, i, 1, 3, true);
}
template <class C>
KVRM_HD Signal LD4_mult(C& c, u32 i) {
  return simdls::multiple(c, i, 1, 4, false);
}
template <class C>
KVRM_HD Signal LD4_mult_postidx(C& c, u32 i) {
  return simdls::multiple(c, i, 1, 4, true);
}

// ---- Advanced SIMD load/store single structure (no offset and post-index) ----
template <class C>
KVRM_HD Signal ST1_single(C& c, u32 i) {
  return simdls::single(c, i, 1, false, false);
}
template <class C>
KVRM_HD Signal ST1_single_postidx(C& c, u32 i) {
  return simdls::single(c, i, 1, false, true);
}
template <class C>
KVRM_HD Signal ST2_single(C& c, u32 i) {
  return simdls::single(c, i, 2, false, false);
}
template <class C>
KVRM_HD Signal ST2_single_postidx(C& c, u32 i) {
  return simdls::single(c, i, 2, false, true);
}
template <class C>
KVRM_HD Signal ST3_single(C& c, u32 i) {
  return simdls::single(c, i, 3, false, false);
}
template <class C>
KVRM_HD Signal ST3_single_postidx(C& c, u32 i) {
  return simdls::single(c, i, 3, false, true);
}
template <class C>
KVRM_HD Signal ST4_single(C& c, u32 i) {
  return simdls::single(c, i, 4, false, false);
}
template <class C>
KVRM_HD Signal ST4_single_postidx(C& c, u32 i) {
  return simdls::single(c, i, 4, false, true);
}
template <class C>
KVRM_HD Signal LD1_single(C& c, u32 i) {
  return simdls::single(c, i, 1, false, false);
}
template <class C>
KVRM_HD Signal LD1_single_postidx(C& c, u32 i) {
  return simdls::single(c, i, 1, false, true);
}
template <class C>
KVRM_HD Signal LD2_single(C& c, u32 i) {
  return simdls::single(c, i, 2, false, false);
}
template <class C>
KVRM_HD Signal LD2_single_postidx(C& c, u32 i) {
  return simdls::single(c, i, 2, false, true);
}
template <class C>
KVRM_HD Signal LD3_single(C& c, u32 i) {
  return simdls::single(c, i, 3, false, false);
}
template <class C>
KVRM_HD Signal LD3_single_postidx(C& c, u32 i) {
  return simdls::single(c, i, 3, false, true);
}
template <class C>
KVRM_HD Signal LD4_single(C& c, u32 i) {
  return simdls::single(c, i, 4, false, false);
}
template <class C>
KVRM_HD Signal LD4_single_postidx(C& c, u32 i) {
  return simdls::single(c, i, 4, false, true);
}
template <class C>
KVRM_HD Signal LD1R(C& c, u32 i) {
  return simdls::single(c, i, 1, true, false);
}
template <class C>
KVRM_HD Signal LD1R_postidx(C& c, u32 i) {
  return simdls::single(c, i, 1, true, true);
}
template <class C>
KVRM_HD Signal LD2R(C& c, u32 i) {
  return simdls::single(c, i, 2, true, false);
}
template <class C>
KVRM_HD Signal LD2R_postidx(C& c, u32 i) {
  return simdls::single(c, i, 2, true, true);
}
template <class C>
KVRM_HD Signal LD3R(C& c, u32 i) {
  return simdls::single(c, i, 3, true, false);
}
template <class C>
KVRM_HD Signal LD3R_postidx(C& c, u32 i) {
  return simdls::single(c, i, 3, true, true);
}
template <class C>
KVRM_HD Signal LD4R(C& c, u32 i) {
  return simdls::single(c, i, 4, true, false);
}
template <class C>
KVRM_HD Signal LD4R_postidx(C& c, u32 i) {
  return simdls::single(c, i, 4, true, true);
}

}  // namespace kvrm::sem

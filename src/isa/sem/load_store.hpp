// Instruction semantics, C4.1.88 Loads and stores (general registers): exclusives, ordered,
// compare-and-swap, literal, pairs, single registers in every addressing mode, atomics.
//
// What every form here has in common:
// - the base register Rn = 31 is SP; data registers (Rt, Rt2, Rs) = 31 are XZR/WZR;
// - faults are precise: a load reads every element into temporaries and writes registers only
//   once all of them were read; no faulting instruction writes its base back; a store reads all
//   its data registers first and writes its elements in order (a fault on the second element
//   may leave the first written, as the architecture permits and QEMU does);
// - a load writes Rt, then Rt2, then the base, so a writeback base that is also a loaded
//   register ends up holding the address (CONSTRAINED UNPREDICTABLE; QEMU does the same);
// - ordinary accesses may be unaligned, even across pages; exclusive, acquire/release and
//   atomic accesses fault with cause Alignment unless aligned to their whole size (a pair's
//   to both elements);
// - the SP alignment check of SP-based accesses (SCTLR_EL1.SA0) is not modelled, as in QEMU.
#pragma once

#include "isa/sem/common.hpp"

namespace kvrm::sem {

// ---- Shared helpers ----

namespace ldst {

// How a loaded element becomes a register value.
struct LoadKind {
  int bytes;    // element size: 1, 2, 4 or 8
  bool sign;    // sign-extend it (else zero-extend)
  int regsize;  // 32 (a W register, zero-extended into X) or 64
};

// Reads `count` (1 or 2) consecutive elements at va into v[], writing no register.
template <class C>
KVRM_HD bool read_elements(C& c, u64 va, LoadKind k, int count, u64* v) {
  for (int e = 0; e < count; ++e) {
    u64 raw;
    if (!c.mem.read_sized(va + static_cast<u64>(e * k.bytes), k.bytes, raw)) return false;
    v[e] = trunc(k.sign ? static_cast<u64>(sext(raw, 8 * k.bytes)) : raw, k.regsize);
  }
  return true;
}

// Writes `count` (1 or 2) consecutive elements of `bytes` bytes from d[], in order.
template <class C>
KVRM_HD bool write_elements(C& c, u64 va, int bytes, int count, const u64* d) {
  for (int e = 0; e < count; ++e) {
    if (!c.mem.write_sized(va + static_cast<u64>(e * bytes), bytes, d[e])) return false;
  }
  return true;
}

KVRM_HD int field_rt(u32 i) { return static_cast<int>(bits(i, 4, 0)); }
KVRM_HD int field_rn(u32 i) { return static_cast<int>(bits(i, 9, 5)); }
KVRM_HD int field_rt2(u32 i) { return static_cast<int>(bits(i, 14, 10)); }
KVRM_HD int field_rs(u32 i) { return static_cast<int>(bits(i, 20, 16)); }

// Addressing: the access uses base + offset (Offset, Pre) or the base itself (Post); the
// writeback forms (Pre, Post) then leave base + offset in the base register.
enum class Index : u8 { Offset, Post, Pre };

struct Address {
  u64 va;       // address of the access
  u64 updated;  // base + offset, for writeback
};

KVRM_HD Address index_address(u64 base, u64 offset, Index idx) {
  return {idx == Index::Post ? base : base + offset, base + offset};
}

template <class C>
KVRM_HD void writeback(C& c, int n, Index idx, u64 updated) {
  if (idx != Index::Offset) c.set_sp(n, updated, 64);
}

}  // namespace ldst

// ---- Load/store exclusive register and pair ----

namespace ldst {

// Element size: the size field for the register forms, 4 << sz (i<30>) for pairs, whose
// access covers two elements. A load-exclusive marks [address, address + access size) in the
// local monitor; a store-exclusive stores and writes status 0 to Ws only while that exact
// region is still marked, else stores nothing and writes 1; either way the mark is cleared.
struct ExclusiveShape {
  int esize;  // bytes per element
  int count;  // 1 or 2
};

KVRM_HD ExclusiveShape exclusive_shape(u32 i, bool pair) {
  return pair ? ExclusiveShape{4 << bit(i, 30), 2} : ExclusiveShape{1 << bits(i, 31, 30), 1};
}

template <class C>
KVRM_HD Signal load_exclusive(C& c, u32 i, bool pair) {
  const ExclusiveShape sh = exclusive_shape(i, pair);
  const int total = sh.esize * sh.count;
  const u64 va = c.xsp(field_rn(i));
  KVRM_MEM(c.mem.aligned(va, static_cast<u64>(total), Access::Read));
  const LoadKind k{sh.esize, false, sh.esize == 8 ? 64 : 32};
  u64 v[2] = {0, 0};
  KVRM_MEM(read_elements(c, va, k, sh.count, v));
  c.set(field_rt(i), v[0], k.regsize);
  if (pair) c.set(field_rt2(i), v[1], k.regsize);
  c.s.excl_addr = va;
  c.s.excl_size = static_cast<u32>(total);
  c.s.excl_valid = 1;
  return Signal::Running;
}

template <class C>
KVRM_HD Signal store_exclusive(C& c, u32 i, bool pair) {
  const ExclusiveShape sh = exclusive_shape(i, pair);
  const int total = sh.esize * sh.count;
  const u64 va = c.xsp(field_rn(i));
  // Rt2 is an operand of the pairs only (a should-be field of STXR/STLXR, ignored).
  const u64 d[2] = {c.x(field_rt(i)), pair ? c.x(field_rt2(i)) : 0};
  KVRM_MEM(c.mem.aligned(va, static_cast<u64>(total), Access::Write));
  const bool marked =
      c.s.excl_valid && c.s.excl_addr == va && c.s.excl_size == static_cast<u32>(total);
  if (marked) KVRM_MEM(write_elements(c, va, sh.esize, sh.count, d));
  c.s.excl_valid = 0;
  c.set(field_rs(i), marked ? 0 : 1, 32);
  return Signal::Running;
}

}  // namespace ldst

template <class C>
KVRM_HD Signal STXR(C& c, u32 i) {
  return ldst::store_exclusive(c, i, false);
}
template <class C>
KVRM_HD Signal STLXR(C& c, u32 i) {
  return ldst::store_exclusive(c, i, false);
}
template <class C>
KVRM_HD Signal LDXR(C& c, u32 i) {
  return ldst::load_exclusive(c, i, false);
}
template <class C>
KVRM_HD Signal LDAXR(C& c, u32 i) {
  return ldst::load_exclusive(c, i, false);
}
template <class C>
KVRM_HD Signal STXP(C& c, u32 i) {
  return ldst::store_exclusive(c, i, true);
}
template <class C>
KVRM_HD Signal STLXP(C& c, u32 i) {
  return ldst::store_exclusive(c, i, true);
}
template <class C>
KVRM_HD Signal LDXP(C& c, u32 i) {
  return ldst::load_exclusive(c, i, true);
}
template <class C>
KVRM_HD Signal LDAXP(C& c, u32 i) {
  return ldst::load_exclusive(c, i, true);
}

// ---- Load/store ordered, and LDAPR (RCpc) ----

namespace ldst {

// On a single core the acquire/release orderings change nothing; the accesses must be aligned.
// Rs and Rt2 of LDAR/STLR/LDLAR/STLLR are should-be fields, never read.
template <class C>
KVRM_HD Signal load_acquire(C& c, u32 i) {
  const int bytes = 1 << bits(i, 31, 30);
  const u64 va = c.xsp(field_rn(i));
  KVRM_MEM(c.mem.aligned(va, static_cast<u64>(bytes), Access::Read));
  const LoadKind k{bytes, false, bytes == 8 ? 64 : 32};
  u64 v;
  KVRM_MEM(read_elements(c, va, k, 1, &v));
  c.set(field_rt(i), v, k.regsize);
  return Signal::Running;
}

template <class C>
KVRM_HD Signal store_release(C& c, u32 i) {
  const int bytes = 1 << bits(i, 31, 30);
  const u64 va = c.xsp(field_rn(i));
  const u64 d = c.x(field_rt(i));
  KVRM_MEM(c.mem.aligned(va, static_cast<u64>(bytes), Access::Write));
  KVRM_MEM(write_elements(c, va, bytes, 1, &d));
  return Signal::Running;
}

}  // namespace ldst

template <class C>
KVRM_HD Signal STLLR(C& c, u32 i) {
  return ldst::store_release(c, i);
}
template <class C>
KVRM_HD Signal STLR(C& c, u32 i) {
  return ldst::store_release(c, i);
}
template <class C>
KVRM_HD Signal LDLAR(C& c, u32 i) {
  return ldst::load_acquire(c, i);
}
template <class C>
KVRM_HD Signal LDAR(C& c, u32 i) {
  return ldst::load_acquire(c, i);
}
template <class C>
KVRM_HD Signal LDAPR(C& c, u32 i) {
  return ldst::load_acquire(c, i);
}

// ---- Atomic memory operations and compare and swap (FEAT_LSE) ----

namespace ldst {

// An atomic access must be aligned to its whole size and both readable and writable, which is
// checked before anything else (a CAS whose comparison fails needs write permission too, as
// in QEMU), so that a faulting atomic changes neither memory nor registers. Its alignment
// fault is reported as a write. The A/R ordering bits change nothing on a single core.
template <class C>
KVRM_HD bool atomic_access_ok(C& c, u64 va, int bytes) {
  const u64 size = static_cast<u64>(bytes);
  return c.mem.aligned(va, size, Access::Write) && c.mem.probe(va, size, Access::Read) &&
         c.mem.probe(va, size, Access::Write);
}

enum class AtomicOp : u8 { Add, Clr, Eor, Set, Smax, Smin, Umax, Umin, Swp };

// The value an atomic operation stores, from the old memory value and the operand, both
// zero-extended from `bytes` bytes (the store keeps the low `bytes` bytes of the result).
KVRM_HD u64 atomic_result(AtomicOp op, u64 old, u64 operand, int bytes) {
  const i64 so = sext(old, 8 * bytes), sv = sext(operand, 8 * bytes);
  switch (op) {
    case AtomicOp::Add: return old + operand;
    case AtomicOp::Clr: return old & ~operand;
    case AtomicOp::Eor: return old ^ operand;
    case AtomicOp::Set: return old | operand;
    case AtomicOp::Smax: return so >= sv ? old : operand;
    case AtomicOp::Smin: return so <= sv ? old : operand;
    case AtomicOp::Umax: return old >= operand ? old : operand;
    case AtomicOp::Umin: return old <= operand ? old : operand;
    case AtomicOp::Swp: break;
  }
  return operand;
}

// LDADD ... SWP: Rs is the operand, Rt receives the old value (zero-extended); with Rt = 31
// these are the ST<op> aliases.
template <class C>
KVRM_HD Signal atomic_op(C& c, u32 i, AtomicOp op) {
  const int bytes = 1 << bits(i, 31, 30);
  const u64 va = c.xsp(field_rn(i));
  const u64 operand = c.x(field_rs(i)) & ones(8 * bytes);
  KVRM_MEM(atomic_access_ok(c, va, bytes));
  u64 old;
  KVRM_MEM(c.mem.read_sized(va, bytes, old));
  KVRM_MEM(c.mem.write_sized(va, bytes, atomic_result(op, old, operand, bytes)));
  c.set(field_rt(i), old, 64);
  return Signal::Running;
}

}  // namespace ldst

template <class C>
KVRM_HD Signal LDADD(C& c, u32 i) {
  return ldst::atomic_op(c, i, ldst::AtomicOp::Add);
}
template <class C>
KVRM_HD Signal LDCLR(C& c, u32 i) {
  return ldst::atomic_op(c, i, ldst::AtomicOp::Clr);
}
template <class C>
KVRM_HD Signal LDEOR(C& c, u32 i) {
  return ldst::atomic_op(c, i, ldst::AtomicOp::Eor);
}
template <class C>
KVRM_HD Signal LDSET(C& c, u32 i) {
  return ldst::atomic_op(c, i, ldst::AtomicOp::Set);
}
template <class C>
KVRM_HD Signal LDSMAX(C& c, u32 i) {
  return ldst::atomic_op(c, i, ldst::AtomicOp::Smax);
}
template <class C>
KVRM_HD Signal LDSMIN(C& c, u32 i) {
  return ldst::atomic_op(c, i, ldst::AtomicOp::Smin);
}
template <class C>
KVRM_HD Signal LDUMAX(C& c, u32 i) {
  return ldst::atomic_op(c, i, ldst::AtomicOp::Umax);
}
template <class C>
KVRM_HD Signal LDUMIN(C& c, u32 i) {
  return ldst::atomic_op(c, i, ldst::AtomicOp::Umin);
}
template <class C>
KVRM_HD Signal SWP(C& c, u32 i) {
  return ldst::atomic_op(c, i, ldst::AtomicOp::Swp);
}

namespace ldst {

// CAS (one element of the size field's size) and CASP (two elements, 4 << sz bytes each, in
// the even register pairs Rs:Rs+1 and Rt:Rt+1; the lower address holds Rs/Rt's element): the
// old value goes to Rs (and Rs+1); the new value is stored only if the old one equals Rs (and
// Rs+1) at the element size.
template <class C>
KVRM_HD Signal compare_and_swap(C& c, u32 i, int esize, int count) {
  const int s = field_rs(i), t = field_rt(i);
  const u64 va = c.xsp(field_rn(i));
  const u64 mask = ones(8 * esize);
  u64 expected[2] = {0, 0}, desired[2] = {0, 0}, old[2] = {0, 0};
  for (int e = 0; e < count; ++e) {
    expected[e] = c.x(s + e) & mask;
    desired[e] = c.x(t + e) & mask;
  }
  KVRM_MEM(atomic_access_ok(c, va, esize * count));
  KVRM_MEM(read_elements(c, va, LoadKind{esize, false, 64}, count, old));
  bool equal = true;
  for (int e = 0; e < count; ++e) equal = equal && old[e] == expected[e];
  if (equal) KVRM_MEM(write_elements(c, va, esize, count, desired));
  for (int e = 0; e < count; ++e) c.set(s + e, old[e], 64);
  return Signal::Running;
}

}  // namespace ldst

template <class C>
KVRM_HD Signal CAS(C& c, u32 i) {
  return ldst::compare_and_swap(c, i, 1 << bits(i, 31, 30), 1);
}
template <class C>
KVRM_HD Signal CASP(C& c, u32 i) {
  if ((ldst::field_rs(i) | ldst::field_rt(i)) & 1) return c.undefined(i);
  return ldst::compare_and_swap(c, i, 4 << bit(i, 30), 2);
}

// ---- Load register (literal) ----

namespace ldst {

template <class C>
KVRM_HD Signal load_literal(C& c, u32 i, LoadKind k) {
  const u64 va = c.pc + (static_cast<u64>(sext(bits(i, 23, 5), 19)) << 2);
  u64 v;
  KVRM_MEM(read_elements(c, va, k, 1, &v));
  c.set(field_rt(i), v, k.regsize);
  return Signal::Running;
}

}  // namespace ldst

template <class C>
KVRM_HD Signal LDR_lit(C& c, u32 i) {
  return bit(i, 30) ? ldst::load_literal(c, i, ldst::LoadKind{8, false, 64})
                    : ldst::load_literal(c, i, ldst::LoadKind{4, false, 32});
}
template <class C>
KVRM_HD Signal LDRSW_lit(C& c, u32 i) {
  return ldst::load_literal(c, i, ldst::LoadKind{4, true, 64});
}
// Prefetches (PRFM in every form, PRFUM) have no effect and never fault.
template <class C>
KVRM_HD Signal PRFM_lit(C&, u32) {
  return Signal::Running;
}

// ---- Load/store pair (no-allocate, post-index, signed offset, pre-index) ----

namespace ldst {

// opc = i<31:30>: 00 two W registers, 01 LDPSW (two words sign-extended to X), 10 two X
// registers, 11 unallocated; L = i<22>; the offset is imm7 scaled by the element size.
template <class C>
KVRM_HD Signal load_store_pair(C& c, u32 i, Index idx) {
  const u32 opc = bits(i, 31, 30);
  const bool load = bit(i, 22);
  if (opc == 3 || (opc == 1 && !load)) return c.undefined(i);  // STGP (MTE): not implemented
  const int n = field_rn(i), t = field_rt(i), t2 = field_rt2(i);
  const int bytes = opc == 2 ? 8 : 4;
  const u64 offset = static_cast<u64>(sext(bits(i, 21, 15), 7)) * static_cast<u64>(bytes);
  const Address a = index_address(c.xsp(n), offset, idx);
  if (load) {
    const LoadKind k{bytes, opc == 1, opc == 0 ? 32 : 64};
    u64 v[2];
    KVRM_MEM(read_elements(c, a.va, k, 2, v));
    c.set(t, v[0], k.regsize);
    c.set(t2, v[1], k.regsize);
  } else {
    const u64 d[2] = {c.x(t), c.x(t2)};
    KVRM_MEM(write_elements(c, a.va, bytes, 2, d));
  }
  writeback(c, n, idx, a.updated);
  return Signal::Running;
}

}  // namespace ldst

template <class C>
KVRM_HD Signal STNP(C& c, u32 i) {
  return ldst::load_store_pair(c, i, ldst::Index::Offset);
}
template <class C>
KVRM_HD Signal LDNP(C& c, u32 i) {
  return ldst::load_store_pair(c, i, ldst::Index::Offset);
}
template <class C>
KVRM_HD Signal STP_post(C& c, u32 i) {
  return ldst::load_store_pair(c, i, ldst::Index::Post);
}
template <class C>
KVRM_HD Signal LDP_post(C& c, u32 i) {
  return ldst::load_store_pair(c, i, ldst::Index::Post);
}
template <class C>
KVRM_HD Signal STP_off(C& c, u32 i) {
  return ldst::load_store_pair(c, i, ldst::Index::Offset);
}
template <class C>
KVRM_HD Signal LDP_off(C& c, u32 i) {
  return ldst::load_store_pair(c, i, ldst::Index::Offset);
}
template <class C>
KVRM_HD Signal STP_pre(C& c, u32 i) {
  return ldst::load_store_pair(c, i, ldst::Index::Pre);
}
template <class C>
KVRM_HD Signal LDP_pre(C& c, u32 i) {
  return ldst::load_store_pair(c, i, ldst::Index::Pre);
}
template <class C>
KVRM_HD Signal LDPSW_post(C& c, u32 i) {
  return ldst::load_store_pair(c, i, ldst::Index::Post);
}
template <class C>
KVRM_HD Signal LDPSW_off(C& c, u32 i) {
  return ldst::load_store_pair(c, i, ldst::Index::Offset);
}
template <class C>
KVRM_HD Signal LDPSW_pre(C& c, u32 i) {
  return ldst::load_store_pair(c, i, ldst::Index::Pre);
}

// ---- Load/store register: every single-register addressing form ----

namespace ldst {

// size = i<31:30> (1 << size bytes), opc = i<23:22>: 00 store, 01 load zero-extended, 1x load
// sign-extended to 64 bits (opc<0> = 0) or to 32 bits, zero-extended into X (opc<0> = 1).
// size = 11 with opc = 1x is PRFM/PRFUM where the form has one (the decoder picks those
// first) and unallocated elsewhere; size = 10 with opc = 11 is unallocated. `ordered` forms
// (STLUR, LDAPUR*) must be aligned.
template <class C>
KVRM_HD Signal load_store_register(C& c, u32 i, u64 offset, Index idx, bool ordered) {
  const u32 size = bits(i, 31, 30), opc = bits(i, 23, 22);
  if (opc >= 2 && (size == 3 || (size == 2 && opc == 3))) return c.undefined(i);
  const int n = field_rn(i), t = field_rt(i);
  const int bytes = 1 << size;
  const Address a = index_address(c.xsp(n), offset, idx);
  const Access kind = opc == 0 ? Access::Write : Access::Read;
  if (ordered) KVRM_MEM(c.mem.aligned(a.va, static_cast<u64>(bytes), kind));
  if (opc == 0) {
    const u64 d = c.x(t);
    KVRM_MEM(write_elements(c, a.va, bytes, 1, &d));
  } else {
    const LoadKind k{bytes, opc >= 2, (opc == 3 || (opc == 1 && size != 3)) ? 32 : 64};
    u64 v;
    KVRM_MEM(read_elements(c, a.va, k, 1, &v));
    c.set(t, v, k.regsize);
  }
  writeback(c, n, idx, a.updated);
  return Signal::Running;
}

// Immediate forms with a signed, unscaled 9-bit offset: unscaled, unprivileged (ordinary
// accesses at EL0), pre- and post-indexed, and the RCpc unscaled forms.
template <class C>
KVRM_HD Signal load_store_imm9(C& c, u32 i, Index idx, bool ordered = false) {
  return load_store_register(c, i, static_cast<u64>(sext(bits(i, 20, 12), 9)), idx, ordered);
}

// Register offset: Rm extended by option (UXTW 010, LSL 011, SXTW 110, SXTX 111; option<1> = 0
// is unallocated) and shifted left by the access size's log2 when S = 1.
KVRM_HD bool register_offset(u64 rm, u32 i, u64& offset) {
  const u32 option = bits(i, 15, 13);
  if (!(option & 2)) return false;
  offset = extend_reg(rm, option, bit(i, 12) ? static_cast<int>(bits(i, 31, 30)) : 0, 64);
  return true;
}

template <class C>
KVRM_HD Signal load_store_reg_offset(C& c, u32 i) {
  u64 offset;
  if (!register_offset(c.x(static_cast<int>(bits(i, 20, 16))), i, offset)) return c.undefined(i);
  return load_store_register(c, i, offset, Index::Offset, false);
}

// Unsigned offset: imm12 scaled by the access size.
template <class C>
KVRM_HD Signal load_store_uoff(C& c, u32 i) {
  return load_store_register(c, i, u64{bits(i, 21, 10)} << bits(i, 31, 30), Index::Offset, false);
}

}  // namespace ldst

// LDAPR/STLR (unscaled immediate), FEAT_LRCPC2.
template <class C>
KVRM_HD Signal STLUR(C& c, u32 i) {
  return ldst::load_store_imm9(c, i, ldst::Index::Offset, true);
}
template <class C>
KVRM_HD Signal LDAPUR(C& c, u32 i) {
  return ldst::load_store_imm9(c, i, ldst::Index::Offset, true);
}
template <class C>
KVRM_HD Signal LDAPURS(C& c, u32 i) {
  return ldst::load_store_imm9(c, i, ldst::Index::Offset, true);
}

// Unscaled immediate.
template <class C>
KVRM_HD Signal STUR(C& c, u32 i) {
  return ldst::load_store_imm9(c, i, ldst::Index::Offset);
}
template <class C>
KVRM_HD Signal LDUR(C& c, u32 i) {
  return ldst::load_store_imm9(c, i, ldst::Index::Offset);
}
template <class C>
KVRM_HD Signal LDURS(C& c, u32 i) {
  return ldst::load_store_imm9(c, i, ldst::Index::Offset);
}
template <class C>
KVRM_HD Signal PRFUM(C&, u32) {
  return Signal::Running;
}

// Immediate post-indexed.
template <class C>
KVRM_HD Signal STR_post(C& c, u32 i) {
  return ldst::load_store_imm9(c, i, ldst::Index::Post);
}
template <class C>
KVRM_HD Signal LDR_post(C& c, u32 i) {
  return ldst::load_store_imm9(c, i, ldst::Index::Post);
}
template <class C>
KVRM_HD Signal LDRS_post(C& c, u32 i) {
  return ldst::load_store_imm9(c, i, ldst::Index::Post);
}

// Unprivileged: at EL0 these are ordinary accesses.
template <class C>
KVRM_HD Signal STTR(C& c, u32 i) {
  return ldst::load_store_imm9(c, i, ldst::Index::Offset);
}
template <class C>
KVRM_HD Signal LDTR(C& c, u32 i) {
  return ldst::load_store_imm9(c, i, ldst::Index::Offset);
}
template <class C>
KVRM_HD Signal LDTRS(C& c, u32 i) {
  return ldst::load_store_imm9(c, i, ldst::Index::Offset);
}

// Immediate pre-indexed.
template <class C>
KVRM_HD Signal STR_pre(C& c, u32 i) {
  return ldst::load_store_imm9(c, i, ldst::Index::Pre);
}
template <class C>
KVRM_HD Signal LDR_pre(C& c, u32 i) {
  return ldst::load_store_imm9(c, i, ldst::Index::Pre);
}
template <class C>
KVRM_HD Signal LDRS_pre(C& c, u32 i) {
  return ldst::load_store_imm9(c, i, ldst::Index::Pre);
}

// Register offset.
template <class C>
KVRM_HD Signal STR_reg(C& c, u32 i) {
  return ldst::load_store_reg_offset(c, i);
}
template <class C>
KVRM_HD Signal LDR_reg(C& c, u32 i) {
  return ldst::load_store_reg_offset(c, i);
}
template <class C>
KVRM_HD Signal LDRS_reg(C& c, u32 i) {
  return ldst::load_store_reg_offset(c, i);
}
template <class C>
KVRM_HD Signal PRFM_reg(C& c, u32 i) {
  u64 offset;
  if (!ldst::register_offset(0, i, offset)) return c.undefined(i);
  return Signal::Running;
}

// Unsigned immediate.
template <class C>
KVRM_HD Signal STR_uoff(C& c, u32 i) {
  return ldst::load_store_uoff(c, i);
}
template <class C>
KVRM_HD Signal LDR_uoff(C& c, u32 i) {
  return ldst::load_store_uoff(c, i);
}
template <class C>
KVRM_HD Signal LDRS_uoff(C& c, u32 i) {
  return ldst::load_store_uoff(c, i);
}
template <class C>
KVRM_HD Signal PRFM_uoff(C&, u32) {
  return Signal::Running;
}

}  // namespace kvrm::sem

#include "generator.hpp"

#include <algorithm>
#include <cstring>
#include <initializer_list>

#include "exclusions.hpp"
#include "fpstate.hpp"
#include "isa/sysregs.hpp"

namespace kvrm::diff {
namespace {

// ---- Field access ----------------------------------------------------------------------------

u32 field_mask(const Field& f) { return (f.width() >= 32 ? ~0u : ((1u << f.width()) - 1)) << f.lo; }
u32 get(u32 w, const Field& f) { return (w & field_mask(f)) >> f.lo; }
u32 put(u32 w, const Field& f, u32 v) {
  return (w & ~field_mask(f)) | ((v << f.lo) & field_mask(f));
}

// The register fields an entry may have (nullptr where it has none).
struct Regs {
  const Field* t;   // Rt
  const Field* u;   // Rt2
  const Field* n;   // Rn
  const Field* s;   // Rs (5 bits; a 2-bit 's' run is the size field)
  const Field* sz;  // size (2-bit 's' run at bits 31..30)
  explicit Regs(const Entry& e)
      : t(e.field('t', 5)),
        u(e.field('u', 5)),
        n(e.field('n', 5)),
        s(e.field('s', 5)),
        sz(e.field('s', 2)) {}
};

// ---- Generic field biasing ---------------------------------------------------------------------

// Register fields: small numbers (register aliasing with the few registers other fields use),
// 31 (SP or ZR), the number of a register field drawn before (Rd == Rn and the like), or any.
u32 biased_register(Rng& rng, const std::vector<u32>& earlier) {
  const u64 r = rng.below(100);
  if (r < 30) return static_cast<u32>(rng.below(4));
  if (r < 40) return 31;
  if (r < 55 && !earlier.empty()) return earlier[rng.below(earlier.size())];
  return static_cast<u32>(rng.below(32));
}

// Immediates: the edges of the field's range half of the time, otherwise uniform.
u32 biased_immediate(Rng& rng, int width) {
  const u32 all = width >= 32 ? ~0u : (1u << width) - 1;
  switch (rng.below(16)) {
    case 0: return 0;
    case 1: return all;
    case 2: return 1;
    case 3: return 1u << (width - 1);  // most negative, as a signed field
    case 4: return all >> 1;           // most positive
    case 5: return static_cast<u32>(rng.below(8)) & all;
    case 6: return (all - static_cast<u32>(rng.below(8))) & all;
    case 7: return (1u << (width - 1)) ^ (static_cast<u32>(rng.below(4)) & all);
    default: return rng.next32() & all;
  }
}

bool is_immediate(const Field& f) {
  return f.letter == 'i' || ((f.letter == 'r' || f.letter == 's') && f.width() == 6);
}

// SIMD&FP loads and stores, recognised by their encoding class (the table's handler names for
// them are not assumed): V = bit 26 set in the load/store space.
bool is_simd_load_store(const Entry& e) { return e.fp && e.group == Group::LoadStore; }
// Load/store pair (bits 29..27 = 101): LDP/STP/LDNP/STNP.
bool is_pair_class(const Entry& e) {
  return ((e.mask >> 27) & 7) == 7 && ((e.value >> 27) & 7) == 0b101;
}
// Load register (literal) (bits 29..27 = 011, bits 25..24 = 00).
bool is_literal_class(const Entry& e) {
  return ((e.mask >> 27) & 7) == 7 && ((e.value >> 27) & 7) == 0b011 && ((e.mask >> 24) & 3) == 3 &&
         ((e.value >> 24) & 3) == 0;
}

// ---- Per-entry biasing -------------------------------------------------------------------------

// System registers worth hitting with MRS/MSR. Values are sysreg(op0, op1, CRn, CRm, op2).
// Those kvrm implements (isa/sysregs.hpp):
constexpr u32 kSysregsKvrm[] = {
    sysreg(3, 3, 4, 2, 0),   // NZCV
    sysreg(3, 3, 4, 4, 0),   // FPCR
    sysreg(3, 3, 4, 4, 1),   // FPSR
    sysreg(3, 3, 13, 0, 2),  // TPIDR_EL0
    sysreg(3, 3, 13, 0, 3),  // TPIDRRO_EL0 (read-only at EL0)
    sysreg(3, 3, 14, 0, 0),  // CNTFRQ_EL0 (read-only)
    sysreg(3, 3, 0, 0, 7),   // DCZID_EL0 (read-only)
    sysreg(3, 3, 14, 0, 2),  // CNTVCT_EL0 (read-only; excluded: a clock)
    sysreg(3, 3, 0, 0, 1),   // CTR_EL0 (read-only; excluded: differs by model)
    sysreg(3, 0, 0, 0, 0),   // MIDR_EL1 (excluded: ID register)
};
// EL0-visible or EL0-forbidden neighbours, which must stay UNDEFINED (or that Unicorn's max CPU
// has and kvrm may not):
constexpr u32 kSysregsOther[] = {
    sysreg(3, 3, 4, 2, 1),   // DAIF (EL0 only with SCTLR_EL1.UMA)
    sysreg(3, 3, 4, 2, 5),   // DIT
    sysreg(3, 3, 4, 2, 6),   // SSBS
    sysreg(3, 3, 4, 2, 7),   // TCO
    sysreg(3, 3, 4, 5, 0),   // DSPSR_EL0 (debug state only)
    sysreg(3, 0, 4, 2, 2),   // CurrentEL
    sysreg(3, 0, 4, 2, 0),   // SPSel
    sysreg(3, 0, 4, 2, 3),   // PAN
    sysreg(3, 0, 4, 2, 4),   // UAO
    sysreg(3, 0, 4, 1, 0),   // SP_EL0
    sysreg(3, 3, 13, 0, 5),  // TPIDR2_EL0 (SME)
    sysreg(3, 0, 13, 0, 4),  // TPIDR_EL1
    sysreg(3, 3, 14, 0, 1),  // CNTPCT_EL0
    sysreg(3, 3, 14, 3, 0),  // CNTV_TVAL_EL0
    sysreg(3, 3, 14, 3, 1),  // CNTV_CTL_EL0
    sysreg(3, 3, 14, 3, 2),  // CNTV_CVAL_EL0
    sysreg(3, 3, 14, 2, 1),  // CNTP_CTL_EL0
    sysreg(3, 3, 2, 4, 0),   // RNDR (excluded: random)
    sysreg(3, 3, 2, 4, 1),   // RNDRRS (excluded: random)
    sysreg(3, 3, 9, 12, 0),  // PMCR_EL0
    sysreg(3, 3, 9, 13, 0),  // PMCCNTR_EL0
    sysreg(3, 3, 9, 14, 0),  // PMUSERENR_EL0 (MRS excluded: no PMU in kvrm)
    sysreg(3, 0, 1, 0, 0),   // SCTLR_EL1
    sysreg(3, 0, 0, 6, 0),   // ID_AA64ISAR0_EL1 (excluded: ID register)
    sysreg(2, 3, 0, 1, 0),   // MDCCSR_EL0
    sysreg(2, 3, 0, 4, 0),   // DBGDTR_EL0
    sysreg(2, 3, 0, 5, 0),   // DBGDTRRX_EL0
    sysreg(2, 0, 0, 2, 2),   // MDSCR_EL1
};

u64 data_pointer(Rng& rng);

// Most of the time, keeps reserved field combinations (which only UNDEF) out of the way, so
// that trials mostly exercise the instruction itself; the rest still test the UNDEF checks.
u32 bias_valid(const Entry& e, Rng& rng, u32 w) {
  if (!rng.chance(80)) return w;
  const Field* sf = e.field('z');
  const bool is64 = sf && get(w, *sf);
  auto clear_bit5 = [&](char letter) {
    if (const Field* f = e.field(letter, 6); f && !is64) w = put(w, *f, get(w, *f) & 31);
  };
  switch (e.op) {
    case Op::SBFM:
    case Op::BFM:
    case Op::UBFM:
    case Op::EXTR:
      // N must equal sf; at 32 bits, immr/imms (EXTR: imms) < 32.
      w = put(w, *e.field('N'), is64);
      clear_bit5('r');
      clear_bit5('s');
      break;
    case Op::AND_imm:
    case Op::ORR_imm:
    case Op::EOR_imm:
    case Op::ANDS_imm:
      if (!is64) w = put(w, *e.field('N'), 0);  // N = 1 is a 64-bit element
      break;
    case Op::ADD_shift:
    case Op::ADDS_shift:
    case Op::SUB_shift:
    case Op::SUBS_shift:
      if (get(w, *e.field('h')) == 3) w = put(w, *e.field('h'), static_cast<u32>(rng.below(3)));
      [[fallthrough]];  // ROR is reserved for add/subtract
    case Op::AND_shift:
    case Op::BIC_shift:
    case Op::ORR_shift:
    case Op::ORN_shift:
    case Op::EOR_shift:
    case Op::EON_shift:
    case Op::ANDS_shift:
    case Op::BICS_shift:
      if (!is64) w = put(w, *e.field('i'), get(w, *e.field('i')) & 31);  // shift < 32
      break;
    case Op::MOVN:
    case Op::MOVZ:
    case Op::MOVK:
      if (!is64) w = put(w, *e.field('h'), get(w, *e.field('h')) & 1);  // hw < 2
      break;
    case Op::CRC32:
    case Op::CRC32C:
      w = put(w, *sf, get(w, *e.field('s', 2)) == 3);  // X form iff sf
      break;
    case Op::ADD_ext:
    case Op::ADDS_ext:
    case Op::SUB_ext:
    case Op::SUBS_ext:
      if (get(w, *e.field('i')) > 4) w = put(w, *e.field('i'), static_cast<u32>(rng.below(5)));
      break;
    case Op::STR_reg:
    case Op::LDR_reg:
    case Op::LDRS_reg:
    case Op::PRFM_reg:
      w = put(w, *e.field('x'), get(w, *e.field('x')) | 2);  // option x1x: UXTW, LSL, SXTW, SXTX
      if (e.op != Op::LDRS_reg) break;
      [[fallthrough]];
    case Op::LDRS_post:
    case Op::LDRS_pre:
    case Op::LDRS_uoff:
    case Op::LDURS:
    case Op::LDTRS:
    case Op::LDAPURS: {
      // No sign-extending doubleword load; LDRSW has only the X form.
      const Field& size = *e.field('s', 2);
      if (get(w, size) == 3) w = put(w, size, static_cast<u32>(rng.below(3)));
      if (get(w, size) == 2) w = put(w, *e.field('o'), 0);
      break;
    }
    default: break;
  }
  return w;
}

u32 bias_word(const Entry& e, Rng& rng, u32 w) {
  const Regs r(e);
  w = bias_valid(e, rng, w);
  if (is_simd_load_store(e) && is_literal_class(e) && rng.chance(50)) {
    // LDR (literal, SIMD&FP): as for LDR_lit below.
    const u64 offset = (data_pointer(rng) & ~u64{3}) - kPc;
    w = (w & ~(0x7ffffu << 5)) | ((static_cast<u32>(offset >> 2) & 0x7ffff) << 5);
  }
  switch (e.op) {
    case Op::MRS:
    case Op::MSR_reg:
      // 40% the registers kvrm has, 30% their neighbours, 30% any encoding.
      if (const u64 r = rng.below(100); r < 70) {
        const u32 reg = r < 40 ? rng.pick(kSysregsKvrm) : rng.pick(kSysregsOther);
        w = (w & ~(0x7fffu << 5)) | (reg << 5);
      }
      break;
    case Op::LDR_lit:
    case Op::LDRSW_lit:
    case Op::PRFM_lit:
      // Half the time, a literal in or around the data pages rather than anywhere in +-1 MiB.
      if (rng.chance(50)) {
        const u64 offset = (data_pointer(rng) & ~u64{3}) - kPc;
        w = (w & ~(0x7ffffu << 5)) | ((static_cast<u32>(offset >> 2) & 0x7ffff) << 5);
      }
      break;
    case Op::CASP:
      // Odd Rs or Rt is UNDEFINED: keep that to a fifth of the trials.
      if (rng.chance(80)) w = put(put(w, *r.s, get(w, *r.s) & ~1u), *r.t, get(w, *r.t) & ~1u);
      break;
    default: break;
  }
  return w;
}

// ---- Fix-ups of UNPREDICTABLE operand combinations ----------------------------------------------
// The Arm ARM makes these CONSTRAINED UNPREDICTABLE: an implementation may UNDEF, execute with
// UNKNOWN results, or pick either register, so kvrm and QEMU may legitimately differ. Each
// fix-up moves one register so that the word leaves that territory.

// A register number in 0..30 that is none of `avoid`.
u32 other_register(Rng& rng, std::initializer_list<u32> avoid) {
  for (;;) {
    const u32 v = static_cast<u32>(rng.below(31));
    if (std::find(avoid.begin(), avoid.end(), v) == avoid.end()) return v;
  }
}

u32 fix_up(const Entry& e, Rng& rng, u32 w) {
  const Regs r(e);
  if (is_simd_load_store(e) && r.t && r.u && is_pair_class(e) && ((w >> 22) & 1) &&
      get(w, *r.t) == get(w, *r.u)) {
    // SIMD&FP load pair (LDP/LDNP of S/D/Q registers, L = bit 22): Vt == Vt2 is UNPREDICTABLE.
    w = put(w, *r.u, (get(w, *r.t) + 1 + static_cast<u32>(rng.below(31))) & 31);
  }
  switch (e.op) {
    case Op::STXR:
    case Op::STLXR: {
      // Store-exclusive: Rs == Rt, or Rs == Rn with Rn != SP, is UNPREDICTABLE (the status
      // register overwrites the data or the address).
      const u32 s = get(w, *r.s), t = get(w, *r.t), n = get(w, *r.n);
      if (s == t || (s == n && n != 31)) w = put(w, *r.s, other_register(rng, {t, n}));
      break;
    }
    case Op::STXP:
    case Op::STLXP: {
      // Store-exclusive pair: Rs == Rt, Rs == Rt2, or Rs == Rn with Rn != SP, likewise.
      const u32 s = get(w, *r.s), t = get(w, *r.t), u = get(w, *r.u), n = get(w, *r.n);
      if (s == t || s == u || (s == n && n != 31)) {
        w = put(w, *r.s, other_register(rng, {t, u, n}));
      }
      break;
    }
    case Op::LDXP:
    case Op::LDAXP:
    case Op::LDNP:
    case Op::LDP_off:
    case Op::LDPSW_off: {
      // Load pair: Rt == Rt2 is UNPREDICTABLE (which of the two values ends up there).
      const u32 t = get(w, *r.t), u = get(w, *r.u);
      if (t == u) w = put(w, *r.u, other_register(rng, {t}));
      break;
    }
    case Op::LDP_post:
    case Op::LDP_pre:
    case Op::LDPSW_post:
    case Op::LDPSW_pre: {
      // Load pair with writeback: Rt == Rt2 as above; Rn == Rt or Rn == Rt2 (Rn != SP) is
      // UNPREDICTABLE (loaded value or written-back address).
      u32 t = get(w, *r.t), u = get(w, *r.u);
      const u32 n = get(w, *r.n);
      if (t == u) w = put(w, *r.u, u = other_register(rng, {t, n}));
      if (n != 31 && (n == t || n == u)) w = put(w, *r.n, other_register(rng, {t, u}));
      break;
    }
    case Op::STP_post:
    case Op::STP_pre: {
      // Store pair with writeback: Rn == Rt or Rn == Rt2 (Rn != SP) is UNPREDICTABLE (the
      // value stored may be the old or the updated base).
      const u32 t = get(w, *r.t), u = get(w, *r.u), n = get(w, *r.n);
      if (n != 31 && (n == t || n == u)) w = put(w, *r.n, other_register(rng, {t, u}));
      break;
    }
    case Op::STR_post:
    case Op::STR_pre:
    case Op::LDR_post:
    case Op::LDR_pre:
    case Op::LDRS_post:
    case Op::LDRS_pre: {
      // Single register with writeback: Rn == Rt (Rn != SP) is UNPREDICTABLE.
      const u32 t = get(w, *r.t), n = get(w, *r.n);
      if (n != 31 && n == t) w = put(w, *r.n, other_register(rng, {t}));
      break;
    }
    default: break;
  }
  return w;
}

// ---- Initial state -----------------------------------------------------------------------------

constexpr u64 kEdgeValues[] = {
    0,
    1,
    2,
    ~u64{0},
    u64{1} << 63,
    ~(u64{1} << 63),
    0x7fffffff,
    0x80000000,
    0xffffffff,
    0x100000000,
    0xffffffff80000000,
    0x7fff,
    0x8000,
    0xffff,
    0x7f,
    0x80,
    0xff,
    31,
    32,
    63,
    64,
};

// An address in or around the mapped data: anywhere in it, just before or after a page
// boundary (accesses that cross into the read-only or the unmapped page), aligned, misaligned,
// or in the code page (readable, not writable).
u64 data_pointer(Rng& rng) {
  constexpr u64 kBoundaries[] = {kDataBase, kDataBase + kPageSize, kRoBase, kMappedEnd};
  switch (rng.below(10)) {
    case 0:
    case 1:
    case 2:
    case 3: return kDataBase + rng.below(kDataSize + kRoSize);
    case 4:
    case 5: return rng.pick(kBoundaries) - 16 + rng.below(24);
    case 6:
    case 7: return kDataBase + rng.below((kDataSize + kRoSize) / 16) * 16;
    case 8: return (kDataBase + rng.below(kDataSize)) | static_cast<u64>(rng.range(1, 7));
    default: return kCodeBase + rng.below(kCodeSize);
  }
}

u64 register_value(Rng& rng) {
  const u64 r = rng.below(100);
  if (r < 50) return data_pointer(rng);
  if (r < 70) {
    const u64 v = rng.pick(kEdgeValues);
    return rng.chance(75) ? v : v + static_cast<u64>(rng.range(-2, 2));
  }
  if (r < 80) return rng.chance(50) ? rng.below(256) : ~rng.below(256);
  if (r < 85) return rng.next() & 0xffffffff;
  return rng.next();
}

// An RW data address aligned to `align`, with room for `size` bytes.
u64 aligned_rw(Rng& rng, u64 align, u64 size) {
  return kDataBase + rng.below((kDataSize - size) / align) * align;
}

void store_image(TrialInput& in, u64 addr, u64 v, int bytes) {
  for (int k = 0; k < bytes; ++k) in.mem[addr - kCodeBase + k] = static_cast<u8>(v >> (8 * k));
}

u64 xreg(const CoreState& s, u32 r) { return r == 31 ? 0 : s.x[r]; }

void adjust_state(const Entry& e, Rng& rng, TrialInput& in) {
  const Regs r(e);
  if (requires_alignment(e.op) && rng.chance(60)) {
    // Ordered, exclusive and atomic accesses fault when misaligned: most of the time give them
    // an aligned base (and, for LDAPUR/STLUR, an aligned offset) so their semantics get tested.
    in.state.x[get(in.insn, *r.n)] = aligned_rw(rng, 16, 32);
    if (const Field* imm = e.field('i')) in.insn = put(in.insn, *imm, get(in.insn, *imm) & ~15u);
  }
  const u32 w = in.insn;
  switch (e.op) {
    case Op::STXR:
    case Op::STLXR:
      // Half the time, arm the exclusive monitor for the store's address and size first
      // (LDXR{B,H} ZR, [Rn]), so that the store can succeed.
      if (rng.chance(50)) {
        const u32 n = get(w, *r.n);
        in.state.x[n] = aligned_rw(rng, 16, 16);
        in.preamble = entry(Op::LDXR).canonical | (get(w, *r.sz) << 30) | (n << 5) | 31;
      }
      break;
    case Op::STXP:
    case Op::STLXP:
      // Likewise with LDXP ZR, Xs, [Rn]: Rs is overwritten by the store's status anyway (when
      // Rs is ZR, LDXP ZR, ZR would be an UNPREDICTABLE Rt == Rt2, so no monitor then).
      if (get(w, *r.s) != 31 && rng.chance(50)) {
        const u32 n = get(w, *r.n);
        in.state.x[n] = aligned_rw(rng, 16, 16);
        in.preamble =
            entry(Op::LDXP).canonical | (w & (1u << 30)) | (get(w, *r.s) << 10) | (n << 5) | 31;
      }
      break;
    case Op::CAS:
      // Half the time, make the comparison succeed: memory at [Rn] holds Rs.
      if (rng.chance(50)) {
        const u32 n = get(w, *r.n);
        in.state.x[n] = aligned_rw(rng, 16, 16);
        store_image(in, in.state.x[n], xreg(in.state, get(w, *r.s)), 1 << get(w, *r.sz));
      }
      break;
    case Op::CASP:
      if (rng.chance(50)) {
        const u32 n = get(w, *r.n), s = get(w, *r.s);
        const int bytes = (w & (1u << 30)) ? 8 : 4;
        in.state.x[n] = aligned_rw(rng, 16, 16);
        store_image(in, in.state.x[n], xreg(in.state, s), bytes);
        store_image(in, in.state.x[n] + bytes, xreg(in.state, (s + 1) & 31), bytes);
      }
      break;
    default: break;
  }
}

// A base address for SIMD&FP loads and stores, which access up to 64 bytes (LD1-LD4 and ST1-ST4
// of four Q registers): room for all of it in the RW or read-only data, 16-byte aligned, or
// starting up to 64 bytes before a page boundary (RW to RW, RW to read-only, read-only to
// unmapped), so that the access crosses it; or the code page (readable, not writable). Stores
// get the RW data more often, so that most of them complete.
u64 simd_pointer(Rng& rng, bool store) {
  constexpr u64 kMax = 64;
  constexpr u64 kBoundaries[] = {kDataBase + kPageSize, kRoBase, kMappedEnd};
  if (store && rng.chance(40)) return kDataBase + rng.below(kDataSize - kMax);
  switch (rng.below(8)) {
    case 0:
    case 1: return kDataBase + rng.below(kDataSize - kMax);
    case 2: return kDataBase + rng.below((kDataSize - kMax) / 16) * 16;
    case 3:
    case 4: return rng.pick(kBoundaries) - 1 - rng.below(kMax);
    case 5: return kRoBase + rng.below(kRoSize - kMax);
    case 6: return kCodeBase + rng.below(kCodeSize - kMax);
    default: return data_pointer(rng);
  }
}

// FP/SIMD entries: base and post-index registers of SIMD&FP loads and stores; general-register
// operands of the data-processing instructions (conversions, FMOV, DUP/INS, ...) near the
// integers where conversions round or saturate, or holding FP bit patterns.
void adjust_fp_state(const Entry& e, Rng& rng, TrialInput& in) {
  const Regs r(e);
  CoreState& s = in.state;
  if (is_simd_load_store(e)) {
    // Bit 22 is 0 for the stores of every SIMD&FP load/store class (L, or opc<0> for LDR/STR);
    // the literal loads have no base register.
    const bool store = !((in.insn >> 22) & 1);
    if (r.n && rng.chance(75)) s.x[get(in.insn, *r.n)] = simd_pointer(rng, store);
    // Post-index by register (Rm = 31 selects the immediate form): multiples of the transfer
    // sizes, small odd values, or leave the random value.
    if (const Field* m = e.field('m', 5); m && get(in.insn, *m) != 31 && rng.chance(60)) {
      constexpr i64 kSteps[] = {0, 1, -1, 8, 16, -16, 24, 32, -32, 48, 64, -64, 4096, -4096};
      s.x[get(in.insn, *m)] = static_cast<u64>(rng.pick(kSteps));
    }
    return;
  }
  if (e.group == Group::SimdFp) {
    for (u64& x : s.x) {
      if (rng.chance(30)) x = fp_conversion_operand(rng);
    }
  }
}

}  // namespace

bool generate_word(const Entry& e, Rng& rng, u32& word, RedrawStats& stats) {
  constexpr int kAttempts = 32;
  for (int attempt = 0; attempt < kAttempts; ++attempt) {
    u32 w = e.value | (rng.next32() & ~e.mask);
    std::vector<u32> regs;
    for (const Field& f : e.fields) {
      if (f.is_register()) {
        const u32 v = biased_register(rng, regs);
        regs.push_back(v);
        w = put(w, f, v);
      } else if (f.is_should_be()) {
        // Should-be bits: the Arm ARM's value half the time, any other value otherwise (both
        // engines must ignore them).
        w = put(w, f, rng.chance(50) ? (f.letter == '+' ? ~0u : 0u) : rng.next32());
      } else if (is_immediate(f) && rng.chance(50)) {
        w = put(w, f, biased_immediate(rng, f.width()));
      }
    }
    w = bias_word(e, rng, w);
    w = fix_up(e, rng, w);
    w = (w & ~e.mask) | e.value;
    if (decode(w) != e.op) {  // a more specific entry claims this word
      ++stats.shadowed;
      continue;
    }
    if (const int rule = redraw_rule(e.op, w); rule >= 0) {
      ++stats.per_rule[rule];
      continue;
    }
    word = w;
    return true;
  }
  ++stats.gave_up;
  return false;
}

bool generate_trial(const Entry& e, Rng& rng, TrialInput& in, RedrawStats& stats) {
  if (!generate_word(e, rng, in.insn, stats)) return false;
  in.preamble = kClrex;
  in.state = CoreState{};
  for (u64& x : in.state.x) x = register_value(rng);
  in.state.pc = kPreamblePc;
  in.state.nzcv = rng.next32() & 0xf0000000u;
  in.state.tpidr_el0 = register_value(rng);
  in.state.tpidrro_el0 = register_value(rng);
  // FPCR and FPSR were drawn here before V0-V31 were randomised; the two draws stay so that
  // every trial keeps the word, X registers and memory it had then. The SIMD&FP state comes from
  // a generator forked off this one (fpstate.hpp; canonical FPCR/FPSR values only, the bits both
  // engines keep: MSR is what tests the masking).
  in.state.fpcr = rng.next32() & kFpcrMask;
  in.state.fpsr = rng.next32() & kFpsrMask;
  Rng fp_rng = rng.fork(0x5eed'f9f9'5eed'f9f9ull);
  randomize_fp_state(fp_rng, in.state);
  // The code page holds "UDF #k" words (k = word index): Unicorn translates the block at a
  // branch target before it stops, and QEMU 5.0 aborts on some reserved encodings while
  // translating, so no random words there. Literal loads read distinct values all the same.
  for (u64 k = 0; k < kCodeSize; k += 4) store_image(in, kCodeBase + k, (k / 4) & 0xffff, 4);
  for (u64 k = kCodeSize; k < kImageSize; k += 8) {
    const u64 v = rng.next();
    std::memcpy(&in.mem[k], &v, 8);
  }
  adjust_state(e, rng, in);
  if (e.fp) adjust_fp_state(e, fp_rng, in);
  store_image(in, kPreamblePc, in.preamble, 4);
  store_image(in, kPc, in.insn, 4);
  return true;
}

}  // namespace kvrm::diff

// The differential tester's exclusion list: the places where Unicorn 2.0.1 (QEMU 5.0 inside,
// configured as a bare "max" CPU at EL0) cannot serve as the oracle for what kvrm does, each with
// its justification. Nothing goes here because kvrm is wrong: those cases stay mismatches.
//
// Two kinds of rule:
//  - redraw: words the rule covers are never compared; the generator draws another word of the
//    same entry (counted per rule in the summary);
//  - excuse: after both engines ran, the rule rewrites the oracle's output into what it would
//    have been without the oracle problem, and returns true if it did (a rule that does not
//    apply leaves the output untouched). The trial then still has to match in everything else,
//    so an excuse hides exactly the documented difference.
//
// Unicorn 2.0.1 and the SIMD&FP state, observed before any FP/SIMD semantics existed in kvrm (by
// probing Unicorn directly, with qemu-aarch64 7.2 and the Arm pseudocode as references). These
// are notes for deciding rules once the FP/SIMD entries land, not rules:
//  - V0-V31 (UC_ARM64_REG_Q<n>, 16 bytes), FPCR and FPSR round-trip exactly through the register
//    API; FPCR writes there take effect (rounding mode, FZ, DN, AHP, FZ16 all act), and preset
//    FPSR flags and QC are kept by instructions that raise nothing. Integer instructions leave
//    V0-V31 untouched (200,000 trials of diff_integer with random V state).
//  - FPCR keeps AHP, DN, FZ, RMode, FZ16 and also Len/Stride (bits 18:16, 21:20); FPSR keeps NZCV
//    (31:28): rule fp-aarch32-fields. The trap enables (IOE..IDE, bits 8-12 and 15) read as zero,
//    as do FPCR bits 2:0 (no FEAT_AFP), like kvrm (checked with MSR FPCR/FPSR of random values).
//  - Flush-to-zero and flags agree with the Arm pseudocode and with qemu-aarch64 7.2 wherever
//    probed: FZ flushes single/double denormal inputs with IDC (FADD, FMAX, FCMP, FCVTZS, FCVT,
//    FRECPE: IDC|DZC, FMULX, FMLA) and outputs with UFC only (no IXC); FZ16 flushes half-precision
//    inputs without IDC and outputs with UFC; FZ does not affect half precision; FCVT between
//    precisions ignores FZ16 (FPUnpackCV/FPRoundCV) but not FZ for single/double inputs; exact
//    denormal results raise no UFC; AHP conversions (65536.0 -> 0x7c00, inf -> 0x7fff + IOC,
//    NaN -> 0 + IOC) and DN (0x7fc00000, half 0x7e00) as specified; SQADD/SQDMULH set QC.
//  - Missing in the "max" CPU of QEMU 5.0, so UNDEFINED in Unicorn: FEAT_BF16 (BFCVT, BFCVTN,
//    BFDOT, BFMMLA...), FEAT_I8MM (SMMLA, USDOT...). Present: FP16, FHM (FMLAL), DotProd, RDM,
//    FCMA, JSCVT, FRINTTS, SHA3, SHA512, SM3, SM4.
//  - A faulting SIMD&FP load of several elements or registers (LD1-LD4 across a page boundary)
//    leaves the elements loaded before the faulting one in the V registers (QEMU loads element
//    by element), whereas an all-or-nothing access (like kvrm's Mmu::read_bytes) leaves them
//    unchanged (the destination registers of a load that takes a synchronous Data Abort should be
//    UNKNOWN: to be confirmed in the Arm ARM before a rule accepts this). Likewise a faulting
//    ST1-ST4/STP Q stores every byte before the boundary, up to 63 of them, beyond the 16-byte
//    window of partial-store-on-fault. Both showed up, and nothing else, with temporary
//    (uncommitted) LD1/ST1 handlers.
#pragma once

#include <cstddef>

#include "generator.hpp"
#include "isa/sysregs.hpp"
#include "machine.hpp"

namespace kvrm::diff {

struct Exclusion {
  const char* id;
  const char* reason;
  bool (*redraw)(Op op, u32 word);
  bool (*excuse)(Op op, u32 word, const TrialInput& in, const TrialOutput& kvrm,
                 TrialOutput& oracle);
};

namespace excl {

constexpr bool is_mrs(Op op, u32 w, u32 reg) { return op == Op::MRS && sysreg_field(w) == reg; }
constexpr bool is_msr(Op op, u32 w, u32 reg) { return op == Op::MSR_reg && sysreg_field(w) == reg; }

}  // namespace excl

inline constexpr Exclusion kExclusions[] = {
    {"cntvct", "MRS CNTVCT_EL0 reads a clock: the two engines read it at different times.",
     [](Op op, u32 w) { return excl::is_mrs(op, w, sysreg_id::CNTVCT_EL0); }, nullptr},

    {"ctr-el0",
     "MRS CTR_EL0 reports the cache geometry of the CPU model: Unicorn's max CPU (QEMU 5.0, "
     "Cortex-A57 based) says 0x8444c004, kvrm reports QEMU 7.2's max CPU value 0x80038003 (what "
     "qemu-aarch64 7.2 returns).",
     [](Op op, u32 w) { return excl::is_mrs(op, w, sysreg_id::CTR_EL0); }, nullptr},

    {"id-regs",
     "MRS of the identification registers (op0=3, op1=0, CRn=0: MIDR_EL1, MPIDR_EL1, REVIDR_EL1, "
     "ID_*_EL1): Linux traps and emulates EL0 reads of these (kvrm returns MIDR_EL1 as "
     "qemu-aarch64 does); Unicorn is a bare system-mode CPU, where EL0 reads are UNDEFINED. The "
     "values differ by model anyway.",
     [](Op op, u32 w) { return op == Op::MRS && (sysreg_field(w) >> 7) == 0b1'000'0000; }, nullptr},

    {"pmuserenr",
     "MRS PMUSERENR_EL0: Unicorn's max CPU has FEAT_PMUv3, whose PMUSERENR_EL0 EL0 may always "
     "read; kvrm implements no PMU, and without FEAT_PMUv3 the encoding is UNDEFINED. (The other "
     "PMU registers are UNDEFINED at EL0 in both while PMUSERENR_EL0.EN is 0, and stay tested.)",
     [](Op op, u32 w) { return excl::is_mrs(op, w, sysreg(3, 3, 9, 14, 0)); }, nullptr},

    {"rndr",
     "MRS RNDR/RNDRRS: Unicorn's max CPU has FEAT_RNG and returns random numbers, which cannot be "
     "compared; kvrm does not implement FEAT_RNG (UNDEFINED).",
     [](Op op, u32 w) {
       return excl::is_mrs(op, w, sysreg(3, 3, 2, 4, 0)) ||
              excl::is_mrs(op, w, sysreg(3, 3, 2, 4, 1));
     },
     nullptr},

    {"fp16-arithmetic",
     "Half-precision (ftype = 11) forms of the scalar FP arithmetic, compare, rounding and "
     "conversion instructions belong to FEAT_FP16, which kvrm does not implement (they are "
     "UNDEFINED, and AT_HWCAP does not advertise fphp/asimdhp); Unicorn's max CPU has FEAT_FP16. "
     "The half-precision forms kvrm does implement (FMOV, FCVT between precisions, FCSEL) stay "
     "tested.",
     [](Op op, u32 w) {
       if (((w >> 22) & 3) != 3 || (w & 0x5e000000u) != 0x1e000000u) return false;
       return op != Op::FMOV_to_gen && op != Op::FMOV_from_gen && op != Op::FMOV_reg &&
              op != Op::FMOV_imm_scalar && op != Op::FCVT_scalar && op != Op::FCSEL;
     },
     nullptr},

    {"fp16-fixed-point",
     "SCVTF/UCVTF/FCVTZS/FCVTZU (vector and scalar, fixed-point) with immh = 001x operate on "
     "half precision: FEAT_FP16, not implemented by kvrm (UNDEFINED), implemented by Unicorn's "
     "max CPU.",
     [](Op op, u32 w) {
       const bool fix = op == Op::SCVTF_vector_fix || op == Op::UCVTF_vector_fix ||
                        op == Op::FCVTZS_vector_fix || op == Op::FCVTZU_vector_fix ||
                        op == Op::SCVTF_scalar_fix || op == Op::UCVTF_scalar_fix ||
                        op == Op::FCVTZS_scalar_fix || op == Op::FCVTZU_scalar_fix;
       return fix && ((w >> 20) & 7) == 1;  // immh = 001x
     },
     nullptr},

    {"modimm-o2",
     "Advanced SIMD modified immediate with o2 (bit 11) = 1: only FEAT_FP16's FMOV (vector, "
     "immediate, half precision) is allocated there, which kvrm does not implement; every such "
     "word is UNDEFINED in kvrm. Unicorn implements the FP16 form and QEMU (5.0 and 7.2) ignores "
     "o2 for op = 1, executing FMOV (double).",
     [](Op, u32 w) { return (w & 0x9ff80c00u) == 0x0f000c00u; }, nullptr},

    {"partial-load-on-fault",
     "A load of several SIMD&FP registers (LD1-LD4, LDnR, LDP/LDNP of S/D/Q) that faults part "
     "way: the architecture leaves the registers being loaded UNKNOWN after the abort; QEMU "
     "loads element by element straight into them, kvrm loads into temporaries and changes "
     "nothing. Accepted only when both fault and the only differences are V registers that "
     "kvrm left as they were.",
     nullptr,
     [](Op, u32, const TrialInput& in, const TrialOutput& k, TrialOutput& o) {
       if (k.outcome.signal != Signal::Fault || o.outcome.signal != Signal::Fault) return false;
       bool any = false;
       for (int r = 0; r < 32; ++r) {
         const VReg& kv = k.state.v[r];
         const VReg& ov = o.state.v[r];
         if (kv.lo == ov.lo && kv.hi == ov.hi) continue;
         if (kv.lo != in.state.v[r].lo || kv.hi != in.state.v[r].hi) return false;
         any = true;
       }
       if (any) {
         for (int r = 0; r < 32; ++r) o.state.v[r] = k.state.v[r];
       }
       return any;
     }},

    {"hlt",
     "HLT: QEMU implements it only as a semihosting trap and otherwise raises UNDEFINED, which is "
     "also what the architecture says while halting debug is off; kvrm deliberately stops with "
     "Signal::Halt (its HLT interface). Unicorn's UNDEFINED on an HLT word is read as HALT.",
     nullptr,
     [](Op op, u32, const TrialInput&, const TrialOutput& k, TrialOutput& o) {
       if (op != Op::HLT || o.outcome.signal != Signal::Undefined ||
           k.outcome.signal != Signal::Halt) {
         return false;
       }
       o.outcome.signal = Signal::Halt;
       return true;
     }},

    {"cache-maint-va",
     "DC CVAU/CVAC/CVAP/CVADP/CIVAC and IC IVAU at an address that is not mapped readable: the "
     "architecture translates the address (a read for permission checks), so they fault, and "
     "kvrm faults; QEMU performs these as NOPs without any check (5.0 in Unicorn, and 7.2's "
     "qemu-aarch64 too, where DC CVAP/CVADP are even UNDEFINED).",
     nullptr,
     [](Op op, u32, const TrialInput&, const TrialOutput& k, TrialOutput& o) {
       const bool dc = op == Op::DC_CVAU || op == Op::DC_CVAC || op == Op::DC_CVAP ||
                       op == Op::DC_CVADP || op == Op::DC_CIVAC || op == Op::IC_IVAU;
       if (!dc || k.outcome.signal != Signal::Fault || o.outcome.signal != Signal::Checkpoint ||
           k.outcome.access != Access::Read || k.state.pc != kPc || o.state.pc != kPc + 4) {
         return false;
       }
       o.outcome = k.outcome;
       o.state.pc = kPc;
       return true;
     }},

    {"fault-pc-in-helper",
     "Unicorn 2.0.1 bug: a memory fault raised inside one of QEMU's helper functions (DC ZVA, for "
     "one) comes back as UC_ERR_*_UNMAPPED/PROT with the PC already past the instruction; the "
     "architecture (and QEMU user mode) leave it on the faulting instruction, as kvrm does.",
     nullptr,
     [](Op, u32, const TrialInput&, const TrialOutput& k, TrialOutput& o) {
       if (k.outcome.signal != Signal::Fault || o.outcome.signal != Signal::Fault ||
           k.state.pc != kPc || o.state.pc != kPc + 4) {
         return false;
       }
       o.state.pc = kPc;
       return true;
     }},

    {"partial-store-on-fault",
     "A store that crosses a page boundary (or a store pair whose second half is on the next "
     "page) and faults on the second page: real cores split such stores in two (see e.g. the "
     "Cortex-A35/A77 TRMs), and the architecture leaves the bytes before the boundary UNKNOWN "
     "after the abort. QEMU 5.0 writes them; kvrm writes nothing (it checks both pages first). "
     "Accepted only for bytes within 16 bytes below a page boundary that kvrm left unchanged.",
     nullptr,
     [](Op, u32, const TrialInput& in, const TrialOutput& k, TrialOutput& o) {
       if (k.outcome.signal != Signal::Fault || o.outcome.signal != Signal::Fault) return false;
       constexpr u64 kWindow = 16;
       bool any = false;
       for (u64 i = 0; i < kImageSize; ++i) {  // check everything before changing anything
         if (k.mem[i] == o.mem[i]) continue;
         const u64 to_boundary = kPageSize - ((kCodeBase + i) & kPageMask);
         if (to_boundary > kWindow || k.mem[i] != in.mem[i]) return false;
         any = true;
       }
       if (any) o.mem = k.mem;
       return any;
     }},

    {"alignment-first",
     "Misaligned ordered, exclusive and atomic accesses (LDAR/STLR/LDAPR/LDAPUR/STLUR, LDXR/STXR "
     "and pairs, CAS/CASP, LDADD...): without FEAT_LSE2 the Arm pseudocode checks alignment "
     "before translation (AArch64.CheckAlignment in Mem[], and in ExclusiveMonitorsPass before "
     "the monitor is consulted), so these raise an alignment fault whatever the page; kvrm does. "
     "Unicorn 2.0.1 (QEMU 5.0) translates first (reporting unmapped/protected pages) and lets "
     "misaligned STLR/LDAR through; qemu-aarch64 7.2 raises SIGBUS for all of them (checked with "
     "STLRH, LDAR, LDAPUR, LDXR, LDADD on mapped and unmapped misaligned addresses) except a "
     "store-exclusive whose monitor is clear, which QEMU fails without checking. Accepted only "
     "when kvrm reports an alignment fault and the address really is misaligned.",
     nullptr,
     [](Op op, u32 w, const TrialInput& in, const TrialOutput& k, TrialOutput& o) {
       if (!requires_alignment(op) || k.outcome.signal != Signal::Fault ||
           k.outcome.cause != FaultCause::Alignment) {
         return false;
       }
       const u64 addr = aligned_access_address(op, w, in.state);
       if (addr % required_alignment(op, w) == 0) return false;
       if (o.outcome.signal == k.outcome.signal && o.outcome.cause == k.outcome.cause) {
         return false;
       }
       o = k;
       return true;
     }},

    {"lse-minmax-width",
     "Unicorn 2.0.1 bug (QEMU 5.0): LDSMAX/LDSMIN/LDUMAX/LDUMIN narrower than 64 bits do not "
     "compare the memory value and the register's low 8/16/32 bits as numbers of that width "
     "(the signed forms do not sign-extend, the byte/halfword forms use the whole register), so "
     "the value stored is wrong. qemu-aarch64 7.2 does it right (checked: LDSMAXH of memory "
     "0x6e9e with W12 = 0x004013f6 leaves 0x6e9e, as kvrm does). Accepted only when kvrm stored "
     "exactly the architecturally correct value, computed here independently.",
     nullptr,
     [](Op op, u32 w, const TrialInput& in, const TrialOutput& k, TrialOutput& o) {
       const bool minmax =
           op == Op::LDSMAX || op == Op::LDSMIN || op == Op::LDUMAX || op == Op::LDUMIN;
       const int bytes = 1 << (w >> 30);
       if (!minmax || bytes > 4 || k.outcome.signal != Signal::Checkpoint ||
           o.outcome.signal != Signal::Checkpoint) {
         return false;
       }
       const u64 addr = in.state.x[(w >> 5) & 31];
       if (addr < kCodeBase || addr + bytes > kCodeBase + kImageSize) return false;
       const u64 at = addr - kCodeBase;
       const u32 rs = (w >> 16) & 31;
       const int bits = 8 * bytes;
       const u64 mask = (u64{1} << bits) - 1;
       u64 a = 0;
       for (int i = 0; i < bytes; ++i) a |= u64{in.mem[at + i]} << (8 * i);
       const u64 b = (rs == 31 ? 0 : in.state.x[rs]) & mask;
       const i64 sa = static_cast<i64>(a << (64 - bits)) >> (64 - bits);
       const i64 sb = static_cast<i64>(b << (64 - bits)) >> (64 - bits);
       u64 want;
       if (op == Op::LDSMAX)
         want = sa >= sb ? a : b;
       else if (op == Op::LDSMIN)
         want = sa <= sb ? a : b;
       else if (op == Op::LDUMAX)
         want = a >= b ? a : b;
       else
         want = a <= b ? a : b;
       for (int i = 0; i < bytes; ++i) {
         if (k.mem[at + i] != static_cast<u8>(want >> (8 * i))) return false;
       }
       bool changed = false;
       for (int i = 0; i < bytes; ++i) {
         changed |= o.mem[at + i] != k.mem[at + i];
         o.mem[at + i] = k.mem[at + i];
       }
       return changed;
     }},

    {"exclusive-addr-minus-one",
     "QEMU represents a clear exclusive monitor as exclusive_addr == -1, so a store-exclusive to "
     "address 0xffffffffffffffff after CLREX is taken for a matching monitor and attempts the "
     "store (faulting there). Architecturally the monitor is clear, the store fails with status "
     "1 and nothing is accessed, as in kvrm.",
     nullptr,
     [](Op op, u32 w, const TrialInput& in, const TrialOutput& k, TrialOutput& o) {
       const bool store_ex = op == Op::STXR || op == Op::STLXR || op == Op::STXP || op == Op::STLXP;
       if (!store_ex || in.state.x[(w >> 5) & 31] != ~u64{0} || in.preamble != kClrex ||
           k.outcome.signal != Signal::Checkpoint || o.outcome.signal != Signal::Fault) {
         return false;
       }
       o = k;
       return true;
     }},

    {"fp-aarch32-fields",
     "MSR FPCR/FPSR: FPCR.Len/Stride (bits 18:16, 21:20) and FPSR.N/Z/C/V (bits 31:28) only "
     "exist for AArch32's FPSCR and are RES0 on a core without AArch32, like kvrm's; QEMU's max "
     "CPU has AArch32 EL0 and keeps them (qemu-aarch64 7.2 as well).",
     nullptr,
     [](Op op, u32 w, const TrialInput&, const TrialOutput&, TrialOutput& o) {
       if (excl::is_msr(op, w, sysreg_id::FPCR) && (o.state.fpcr & 0x00370000u)) {
         o.state.fpcr &= ~0x00370000u;
         return true;
       }
       if (excl::is_msr(op, w, sysreg_id::FPSR) && (o.state.fpsr & 0xf0000000u)) {
         o.state.fpsr &= ~0xf0000000u;
         return true;
       }
       return false;
     }},
};

inline constexpr std::size_t kExclusionCount = sizeof(kExclusions) / sizeof(kExclusions[0]);

// The first redraw rule covering the word, or -1.
inline int redraw_rule(Op op, u32 word) {
  for (std::size_t i = 0; i < kExclusionCount; ++i) {
    if (kExclusions[i].redraw && kExclusions[i].redraw(op, word)) return static_cast<int>(i);
  }
  return -1;
}

}  // namespace kvrm::diff

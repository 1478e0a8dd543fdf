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

// The system registers EL0 code may read or write with MRS/MSR, and the identification values
// kvrm reports. A register is named by the 15-bit field o0:op1:CRn:CRm:op2 of the instruction
// (bits 19..5), i.e. op0 = 2 + o0.
#pragma once

#if !defined(__CUDACC_RTC__)
#include <chrono>
#endif

#include "isa/hd.hpp"
#include "isa/state.hpp"

namespace kvrm {

KVRM_HD constexpr u32 sysreg(u32 op0, u32 op1, u32 crn, u32 crm, u32 op2) {
  return ((op0 - 2) << 14) | (op1 << 11) | (crn << 7) | (crm << 3) | op2;
}

namespace sysreg_id {
constexpr u32 NZCV = sysreg(3, 3, 4, 2, 0);
constexpr u32 FPCR = sysreg(3, 3, 4, 4, 0);
constexpr u32 FPSR = sysreg(3, 3, 4, 4, 1);
constexpr u32 TPIDR_EL0 = sysreg(3, 3, 13, 0, 2);
constexpr u32 TPIDRRO_EL0 = sysreg(3, 3, 13, 0, 3);
constexpr u32 CNTFRQ_EL0 = sysreg(3, 3, 14, 0, 0);
constexpr u32 CNTVCT_EL0 = sysreg(3, 3, 14, 0, 2);
constexpr u32 CTR_EL0 = sysreg(3, 3, 0, 0, 1);
constexpr u32 DCZID_EL0 = sysreg(3, 3, 0, 0, 7);
constexpr u32 MIDR_EL1 = sysreg(3, 0, 0, 0, 0);
}  // namespace sysreg_id

// DC ZVA block: 2^4 words = 64 bytes (DCZID_EL0.BS = 4, DZP = 0).
constexpr u64 kDczBlockBytes = 64;
// Identification values: those of QEMU's "max" CPU model as QEMU user mode reports them, so that
// programs see the same machine under kvrm as under the oracle.
constexpr u64 kCtrEl0 = 0x80038003;
constexpr u64 kMidrEl1 = 0x000f0510;
// The generic timer runs at 62.5 MHz (one tick per 16 ns), as QEMU's does.
constexpr u64 kCntFrq = 62500000;

// FPCR bits kvrm keeps: AHP, DN, FZ, RMode, FZ16. Trap enables are RAZ/WI (no FP traps).
constexpr u32 kFpcrMask = 0x07c80000;
// FPSR bits kvrm keeps: QC and the cumulative exception flags IDC, IXC, UFC, OFC, DZC, IOC.
constexpr u32 kFpsrMask = 0x0800009f;

// Virtual counter: nanoseconds of a monotonic clock divided by 16.
KVRM_HD u64 virtual_counter() {
#if defined(__CUDA_ARCH__)
  u64 ns;
  asm volatile("mov.u64 %0, %%globaltimer;" : "=l"(ns));
  return ns / 16;
#else
  const auto t = std::chrono::steady_clock::now().time_since_epoch();
  return static_cast<u64>(std::chrono::duration_cast<std::chrono::nanoseconds>(t).count()) / 16;
#endif
}

KVRM_HD bool read_sysreg(const CoreState& s, u32 id, u64& out) {
  using namespace sysreg_id;
  switch (id) {
    case NZCV: out = s.nzcv; return true;
    case FPCR: out = s.fpcr; return true;
    case FPSR: out = s.fpsr; return true;
    case TPIDR_EL0: out = s.tpidr_el0; return true;
    case TPIDRRO_EL0: out = s.tpidrro_el0; return true;
    case CNTFRQ_EL0: out = kCntFrq; return true;
    case CNTVCT_EL0: out = virtual_counter(); return true;
    case CTR_EL0: out = kCtrEl0; return true;
    case DCZID_EL0: out = 4; return true;
    case MIDR_EL1: out = kMidrEl1; return true;
    default: return false;
  }
}

KVRM_HD bool write_sysreg(CoreState& s, u32 id, u64 v) {
  using namespace sysreg_id;
  switch (id) {
    case NZCV: s.nzcv = static_cast<u32>(v) & 0xf0000000u; return true;
    case FPCR: s.fpcr = static_cast<u32>(v) & kFpcrMask; return true;
    case FPSR: s.fpsr = static_cast<u32>(v) & kFpsrMask; return true;
    case TPIDR_EL0: s.tpidr_el0 = v; return true;
    default: return false;  // read-only at EL0, or not accessible at all
  }
}

}  // namespace kvrm

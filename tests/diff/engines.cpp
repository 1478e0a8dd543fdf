#include "engines.hpp"

#include <unicorn/unicorn.h>

#include <cstddef>
#include <cstdio>
#include <cstring>
#include <stdexcept>
#include <string>

namespace kvrm::diff {

// ---- kvrm ------------------------------------------------------------------------------------

KvrmRunner::KvrmRunner() : engine_(make_reference_engine(u64{64} << 20)) {
  for (const Region& r : kRegions) engine_->map(r.base, r.size, r.perms);
}

void KvrmRunner::run(const TrialInput& in, TrialOutput& out) {
  engine_->write_memory(kCodeBase, in.mem.data(), kImageSize);
  engine_->set_state(in.state);
  // The preamble, then (if it completed) the instruction under test.
  RunResult r = engine_->execute(1);
  if (r.signal == Signal::Checkpoint) r = engine_->execute(1);
  out.outcome = Outcome{};
  out.outcome.signal = r.signal;
  if (r.signal == Signal::Fault) {
    out.outcome.known_cause = true;
    out.outcome.known_access = true;
    out.outcome.cause = r.info.cause;
    out.outcome.access = r.info.access;
    out.outcome.fault_addr = r.info.fault_addr;
  }
  out.outcome.raw = describe(r);
  out.state = engine_->state();
  engine_->read_memory(kCodeBase, out.mem.data(), kImageSize);
}

// ---- Unicorn ---------------------------------------------------------------------------------

namespace {

void check(uc_err e, const char* what) {
  if (e != UC_ERR_OK) {
    throw std::runtime_error(std::string("unicorn: ") + what + ": " + uc_strerror(e));
  }
}

void hook_interrupt(uc_engine* uc, uint32_t intno, void* user) {
  auto* h = static_cast<UnicornOracle::Hooks*>(user);
  h->interrupt = true;
  h->intno = intno;
  uc_emu_stop(uc);
}

bool hook_mem_invalid(uc_engine*, uc_mem_type type, uint64_t addr, int, int64_t, void* user) {
  auto* h = static_cast<UnicornOracle::Hooks*>(user);
  if (!h->mem_invalid) {
    h->mem_invalid = true;
    h->mem_type = type;
    h->mem_addr = addr;
  }
  return false;  // not handled: the access fails and emulation stops with an error
}

uc_arm64_cp_reg cp_reg(u32 op0, u32 op1, u32 crn, u32 crm, u32 op2, u64 val = 0) {
  uc_arm64_cp_reg r{};
  r.op0 = op0;
  r.op1 = op1;
  r.crn = crn;
  r.crm = crm;
  r.op2 = op2;
  r.val = val;
  return r;
}

// SCTLR_EL1 bits (Arm ARM D17.2.118).
constexpr u64 kSctlrUci = u64{1} << 26;   // EL0 cache maintenance by VA
constexpr u64 kSctlrNTwe = u64{1} << 18;  // WFE does not trap from EL0
constexpr u64 kSctlrNTwi = u64{1} << 16;  // WFI does not trap from EL0
constexpr u64 kSctlrUct = u64{1} << 15;   // EL0 reads of CTR_EL0
constexpr u64 kSctlrDze = u64{1} << 14;   // EL0 DC ZVA
constexpr u64 kSctlrEnIA = u64{1} << 31, kSctlrEnIB = u64{1} << 30;
constexpr u64 kSctlrEnDA = u64{1} << 27, kSctlrEnDB = u64{1} << 13;
constexpr u64 kSctlrA = u64{1} << 1;  // alignment checking of every access

constexpr int kXRegs[32] = {
    UC_ARM64_REG_X0,  UC_ARM64_REG_X1,  UC_ARM64_REG_X2,  UC_ARM64_REG_X3,  UC_ARM64_REG_X4,
    UC_ARM64_REG_X5,  UC_ARM64_REG_X6,  UC_ARM64_REG_X7,  UC_ARM64_REG_X8,  UC_ARM64_REG_X9,
    UC_ARM64_REG_X10, UC_ARM64_REG_X11, UC_ARM64_REG_X12, UC_ARM64_REG_X13, UC_ARM64_REG_X14,
    UC_ARM64_REG_X15, UC_ARM64_REG_X16, UC_ARM64_REG_X17, UC_ARM64_REG_X18, UC_ARM64_REG_X19,
    UC_ARM64_REG_X20, UC_ARM64_REG_X21, UC_ARM64_REG_X22, UC_ARM64_REG_X23, UC_ARM64_REG_X24,
    UC_ARM64_REG_X25, UC_ARM64_REG_X26, UC_ARM64_REG_X27, UC_ARM64_REG_X28, UC_ARM64_REG_X29,
    UC_ARM64_REG_X30, UC_ARM64_REG_SP,
};

// V0-V31 as 128-bit registers: Unicorn 2.0.1 transfers 16 bytes for UC_ARM64_REG_Q<n> (and for
// UC_ARM64_REG_V<n>, which it maps onto Q<n>), low doubleword first, as two u64 (VReg's layout).
struct VRegs {
  int ids[32];
  constexpr VRegs() : ids() {
    for (int i = 0; i < 32; ++i) ids[i] = UC_ARM64_REG_Q0 + i;
  }
};
constexpr VRegs kVRegs;
static_assert(UC_ARM64_REG_Q31 - UC_ARM64_REG_Q0 == 31, "Q0-Q31 are consecutive");
static_assert(sizeof(VReg) == 16 && offsetof(VReg, lo) == 0, "VReg is the 16 bytes, low first");

}  // namespace

UnicornOracle::UnicornOracle() {
  check(uc_open(UC_ARCH_ARM64, UC_MODE_ARM, &uc_), "uc_open");
  // Before any other call: the CPU model can only be chosen first.
  check(uc_ctl_set_cpu_model(uc_, UC_CPU_ARM64_MAX), "set CPU model");
  for (const Region& r : kRegions) {
    const u32 perms = ((r.perms & kPermRead) ? UC_PROT_READ : 0) |
                      ((r.perms & kPermWrite) ? UC_PROT_WRITE : 0) |
                      ((r.perms & kPermExec) ? UC_PROT_EXEC : 0);
    check(uc_mem_map(uc_, r.base, r.size, perms), "uc_mem_map");
  }
  uc_hook h;
  check(uc_hook_add(uc_, &h, UC_HOOK_INTR, reinterpret_cast<void*>(hook_interrupt), &hooks, 1, 0),
        "interrupt hook");
  check(uc_hook_add(uc_, &h, UC_HOOK_MEM_INVALID, reinterpret_cast<void*>(hook_mem_invalid), &hooks,
                    1, 0),
        "memory hook");
  enter_el0();
}

UnicornOracle::~UnicornOracle() {
  if (uc_) uc_close(uc_);
}

// Configures the EL1 controls EL0 depends on, then ERETs into EL0. Writing PSTATE.EL directly
// (UC_ARM64_REG_PSTATE) is not enough: Unicorn 2.0.1 does not recompute QEMU's cached hflags
// on that write, so code would still be translated for EL1 (MRS CurrentEL reads 4 and EL1-only
// registers stay accessible). An ERET goes through QEMU's own exception-return path.
void UnicornOracle::enter_el0() {
  uc_arm64_cp_reg sctlr = cp_reg(3, 0, 1, 0, 0);
  check(uc_reg_read(uc_, UC_ARM64_REG_CP_REG, &sctlr), "read SCTLR_EL1");
  sctlr.val |= kSctlrUci | kSctlrNTwe | kSctlrNTwi | kSctlrUct | kSctlrDze;
  sctlr.val &= ~(kSctlrEnIA | kSctlrEnIB | kSctlrEnDA | kSctlrEnDB | kSctlrA);
  check(uc_reg_write(uc_, UC_ARM64_REG_CP_REG, &sctlr), "write SCTLR_EL1");
  uc_arm64_cp_reg cntkctl = cp_reg(3, 0, 14, 1, 0, 2);  // EL0VCTEN: CNTVCT_EL0, CNTFRQ_EL0
  check(uc_reg_write(uc_, UC_ARM64_REG_CP_REG, &cntkctl), "write CNTKCTL_EL1");
  const u32 cpacr = 3u << 20;  // FPEN: no FP/SIMD traps
  check(uc_reg_write(uc_, UC_ARM64_REG_CPACR_EL1, &cpacr), "write CPACR_EL1");
  uc_arm64_cp_reg spsr = cp_reg(3, 0, 4, 0, 0, 0);  // SPSR_EL1: EL0t, nothing masked
  check(uc_reg_write(uc_, UC_ARM64_REG_CP_REG, &spsr), "write SPSR_EL1");
  const u64 elr = kPc;
  check(uc_reg_write(uc_, UC_ARM64_REG_ELR_EL1, &elr), "write ELR_EL1");
  const u32 eret = 0xd69f03e0;
  check(uc_mem_write(uc_, kPreamblePc, &eret, 4), "write ERET");
  check(uc_emu_start(uc_, kPreamblePc, 0, 0, 1), "ERET to EL0");
  u32 pstate = 0;
  u64 pc = 0;
  check(uc_reg_read(uc_, UC_ARM64_REG_PSTATE, &pstate), "read PSTATE");
  check(uc_reg_read(uc_, UC_ARM64_REG_PC, &pc), "read PC");
  if ((pstate & 0xf) != 0 || pc != kPc) throw std::runtime_error("unicorn: ERET did not reach EL0");
  check(uc_ctl_remove_cache(uc_, kCodeBase, kCodeBase + kCodeSize), "flush code");
}

void UnicornOracle::run(const TrialInput& in, TrialOutput& out) {
  check(uc_mem_write(uc_, kCodeBase, in.mem.data(), kImageSize), "write memory");
  // Unicorn does not notice that code it has translated was overwritten: drop those blocks.
  check(uc_ctl_remove_cache(uc_, kCodeBase, kCodeBase + kCodeSize), "flush code");

  const CoreState& s = in.state;
  void* xptr[32];
  u64 xval[32];
  for (int i = 0; i < 32; ++i) {
    xval[i] = s.x[i];
    xptr[i] = &xval[i];
  }
  check(uc_reg_write_batch(uc_, const_cast<int*>(kXRegs), xptr, 32), "write X registers");
  // PSTATE: EL0t with the trial's NZCV; also clears BTYPE, which a BR/BLR of an earlier trial
  // may have left set. (EL stays 0, consistent with the hflags set up by enter_el0.)
  const u32 pstate = s.nzcv & 0xf0000000u;
  check(uc_reg_write(uc_, UC_ARM64_REG_PSTATE, &pstate), "write PSTATE");
  check(uc_reg_write(uc_, UC_ARM64_REG_TPIDR_EL0, &s.tpidr_el0), "write TPIDR_EL0");
  check(uc_reg_write(uc_, UC_ARM64_REG_TPIDRRO_EL0, &s.tpidrro_el0), "write TPIDRRO_EL0");
  check(uc_reg_write(uc_, UC_ARM64_REG_FPCR, &s.fpcr), "write FPCR");
  check(uc_reg_write(uc_, UC_ARM64_REG_FPSR, &s.fpsr), "write FPSR");
  void* vptr[32];
  VReg vval[32];
  for (int i = 0; i < 32; ++i) {
    vval[i] = s.v[i];
    vptr[i] = &vval[i];
  }
  check(uc_reg_write_batch(uc_, const_cast<int*>(kVRegs.ids), vptr, 32), "write V registers");

  hooks = Hooks{};
  const uc_err err = uc_emu_start(uc_, s.pc, 0, 0, 2);

  CoreState& o = out.state;
  o = s;
  for (int i = 0; i < 32; ++i) xptr[i] = &o.x[i];
  check(uc_reg_read_batch(uc_, const_cast<int*>(kXRegs), xptr, 32), "read X registers");
  check(uc_reg_read(uc_, UC_ARM64_REG_PC, &o.pc), "read PC");
  u32 nzcv = 0, ps = 0;
  check(uc_reg_read(uc_, UC_ARM64_REG_NZCV, &nzcv), "read NZCV");
  o.nzcv = nzcv & 0xf0000000u;
  check(uc_reg_read(uc_, UC_ARM64_REG_PSTATE, &ps), "read PSTATE");
  if ((ps & 0xf) != 0) throw std::runtime_error("unicorn: left EL0");
  check(uc_reg_read(uc_, UC_ARM64_REG_TPIDR_EL0, &o.tpidr_el0), "read TPIDR_EL0");
  check(uc_reg_read(uc_, UC_ARM64_REG_TPIDRRO_EL0, &o.tpidrro_el0), "read TPIDRRO_EL0");
  check(uc_reg_read(uc_, UC_ARM64_REG_FPCR, &o.fpcr), "read FPCR");
  check(uc_reg_read(uc_, UC_ARM64_REG_FPSR, &o.fpsr), "read FPSR");
  for (int i = 0; i < 32; ++i) vptr[i] = &o.v[i];
  check(uc_reg_read_batch(uc_, const_cast<int*>(kVRegs.ids), vptr, 32), "read V registers");
  // Unicorn has no exclusive monitor state to read: kvrm's stays as kvrm left it.
  check(uc_mem_read(uc_, kCodeBase, out.mem.data(), kImageSize), "read memory");

  Outcome& oc = out.outcome;
  oc = Outcome{};
  char raw[96];
  if (hooks.interrupt) {
    snprintf(raw, sizeof raw, "interrupt %u", hooks.intno);
    switch (hooks.intno) {
      case 1: oc.signal = Signal::Undefined; break;
      case 2: oc.signal = Signal::Syscall; break;
      case 7: oc.signal = Signal::Breakpoint; break;
      case 4:
        oc.signal = Signal::Fault;
        oc.known_cause = true;
        oc.cause = FaultCause::Alignment;  // the access kind is not known: no syndrome
        break;
      case 3:
        oc.signal = Signal::Fault;
        oc.known_cause = true;
        oc.cause = FaultCause::Alignment;
        oc.known_access = true;
        oc.access = Access::Fetch;
        break;
      default: oc.signal = Signal::Running; break;  // unknown: never matches kvrm
    }
  } else {
    snprintf(raw, sizeof raw, "%s", uc_strerror(err));
    switch (err) {
      case UC_ERR_OK: oc.signal = Signal::Checkpoint; break;
      case UC_ERR_READ_UNMAPPED:
      case UC_ERR_WRITE_UNMAPPED:
      case UC_ERR_READ_PROT:
      case UC_ERR_WRITE_PROT:
        oc.signal = Signal::Fault;
        oc.known_cause = true;
        oc.cause = (err == UC_ERR_READ_PROT || err == UC_ERR_WRITE_PROT) ? FaultCause::Permission
                                                                         : FaultCause::Unmapped;
        oc.known_access = true;
        oc.access = (err == UC_ERR_WRITE_UNMAPPED || err == UC_ERR_WRITE_PROT) ? Access::Write
                                                                               : Access::Read;
        oc.fault_addr = hooks.mem_addr;
        break;
      case UC_ERR_FETCH_UNMAPPED:
      case UC_ERR_FETCH_PROT:
      case UC_ERR_FETCH_UNALIGNED:
        if (o.pc != kPc && o.pc != kPreamblePc) {
          oc.signal = Signal::Checkpoint;  // the fetch after the completed instruction
        } else {
          oc.signal = Signal::Fault;
          oc.known_cause = true;
          oc.cause = err == UC_ERR_FETCH_PROT        ? FaultCause::Permission
                     : err == UC_ERR_FETCH_UNALIGNED ? FaultCause::Alignment
                                                     : FaultCause::Unmapped;
          oc.known_access = true;
          oc.access = Access::Fetch;
          oc.fault_addr = o.pc;
        }
        break;
      default: oc.signal = Signal::Running; break;  // unknown
    }
  }
  if (oc.signal == Signal::Fault) {
    const size_t n = std::strlen(raw);
    snprintf(raw + n, sizeof raw - n, " at 0x%llx",
             static_cast<unsigned long long>(hooks.mem_addr));
  }
  oc.raw = raw;
}

}  // namespace kvrm::diff

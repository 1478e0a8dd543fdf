// Signal delivery, byte by byte: the rt_sigframe kvrm builds (siginfo, ucontext, sigcontext,
// the fpsimd_context and esr_context records, the terminator, the frame record) at the offsets
// of the arm64 uapi, the registers a handler starts with, rt_sigreturn restoring everything,
// the alternate stack, si_code/si_addr/ESR for faults as Linux sets them, and the ways a signal
// ends the process (default action, blocked or ignored fault, bad frame, no room for a frame).
#include <gtest/gtest.h>
#include <unistd.h>

#include <cstring>
#include <memory>
#include <string>

#include "engines/engine.hpp"
#include "isa/mmu.hpp"
#include "os/process.hpp"
#include "os/signals.hpp"
#include "os/syscalls.hpp"
#include "os_program.hpp"

namespace kvrm::os {
namespace {

using namespace test;

constexpr u64 kHandler = 0x400200, kRestorer = 0x400300;
constexpr u64 kFrameSize = 4688;
constexpr u64 kKill = 129, kRtSigaction = 134, kRtSigreturn = 139, kSigaltstack = 132;

class Signals : public ::testing::Test {
 protected:
  static constexpr u64 kScratch = Process::kStackTop - Process::kStackSize + 0x1000;
  void SetUp() override {
    e_ = make_reference_engine(u64{256} << 20);
    ProcessOptions o;
    o.path = write_program("signals", {movz(0, 0), movz(8, 94), kSvc});
    o.argv = {o.path};
    o.stderr_buffer = &err_;
    p_ = std::make_unique<Process>(*e_, std::move(o));
  }
  i64 sys(u64 nr, u64 a0 = 0, u64 a1 = 0, u64 a2 = 0, u64 a3 = 0) {
    const u64 a[6] = {a0, a1, a2, a3, 0, 0};
    return service_syscall(*p_, nr, a);
  }
  void sigaction(int s, u64 handler, u64 flags, u64 mask = 0, u64 restorer = 0) {
    const u64 act[4] = {handler, flags, restorer, mask};
    e_->write_memory(kScratch, act, sizeof act);
    ASSERT_EQ(sys(kRtSigaction, static_cast<u64>(s), kScratch, 0, 8), 0);
  }
  template <class T>
  T at(u64 addr) {
    T v;
    e_->read_memory(addr, &v, sizeof v);
    return v;
  }
  // A recognisable state: X0-X30, V0-V31, NZCV, FPCR, FPSR.
  CoreState marked_state() {
    CoreState s = e_->state();
    for (int k = 0; k < 31; ++k) s.x[k] = 0x1000 + k;
    for (int k = 0; k < 32; ++k) s.v[k] = VReg{0x2000u + k, 0x3000u + k};
    s.nzcv = 0x60000000;
    s.fpcr = 0x00c00000;  // round towards zero
    s.fpsr = 0x00000010;  // IXC
    s.pc = 0x400104;
    e_->set_state(s);
    return s;
  }
  std::string err_;
  std::unique_ptr<Engine> e_;
  std::unique_ptr<Process> p_;
};

TEST_F(Signals, FrameLayoutAndHandlerEntry) {
  sigaction(10 /* SIGUSR1 */, kHandler, sig::kSaSiginfo | sig::kSaRestorer, sig::bit(12),
            kRestorer);
  const CoreState before = marked_state();
  const u64 sp0 = before.x[kSP];
  ASSERT_EQ(sys(kKill, static_cast<u64>(::getpid()), 10), 0);
  p_->deliver_signals();
  const CoreState h = e_->state();
  const u64 next_frame = (sp0 - 16) & ~u64{15};
  const u64 frame = next_frame - kFrameSize;
  EXPECT_EQ(h.pc, kHandler);
  EXPECT_EQ(h.x[0], 10u);
  EXPECT_EQ(h.x[1], frame);        // &frame->info
  EXPECT_EQ(h.x[2], frame + 128);  // &frame->uc
  EXPECT_EQ(h.x[kSP], frame);
  EXPECT_EQ(h.x[29], next_frame);
  EXPECT_EQ(h.x[30], kRestorer);
  EXPECT_EQ(p_->signals.blocked, sig::bit(10) | sig::bit(12));
  // The frame record for unwinders: the interrupted FP and LR.
  EXPECT_EQ(at<u64>(next_frame), before.x[29]);
  EXPECT_EQ(at<u64>(next_frame + 8), before.x[30]);
  // siginfo: signo, errno, code (SI_USER), si_pid, si_uid.
  EXPECT_EQ(at<i32>(frame), 10);
  EXPECT_EQ(at<i32>(frame + 4), 0);
  EXPECT_EQ(at<i32>(frame + 8), 0);
  EXPECT_EQ(at<i32>(frame + 0x10), ::getpid());
  EXPECT_EQ(at<u32>(frame + 0x14), ::getuid());
  // ucontext: uc_flags, uc_link, uc_stack (disabled), uc_sigmask (the mask before).
  const u64 uc = frame + 128;
  EXPECT_EQ(at<u64>(uc), 0u);
  EXPECT_EQ(at<u64>(uc + 8), 0u);
  EXPECT_EQ(at<u64>(uc + 16), 0u);
  EXPECT_EQ(at<i32>(uc + 24), static_cast<i32>(sig::kSsDisable));
  EXPECT_EQ(at<u64>(uc + 32), 0u);
  EXPECT_EQ(at<u64>(uc + 40), 0u);
  // sigcontext at uc + 176: fault_address, regs[31], sp, pc, pstate.
  const u64 mc = uc + 176;
  EXPECT_EQ(at<u64>(mc), 0u);
  for (int k = 0; k < 31; ++k) EXPECT_EQ(at<u64>(mc + 8 + 8 * k), 0x1000u + k) << k;
  EXPECT_EQ(at<u64>(mc + 256), sp0);
  EXPECT_EQ(at<u64>(mc + 264), 0x400104u);
  EXPECT_EQ(at<u64>(mc + 272), 0x60000000u);
  // __reserved at mc + 288 (frame + 592): fpsimd_context, then the terminator.
  const u64 rec = mc + 288;
  EXPECT_EQ(rec, frame + 592);
  EXPECT_EQ(at<u32>(rec), 0x46508001u);
  EXPECT_EQ(at<u32>(rec + 4), 528u);
  EXPECT_EQ(at<u32>(rec + 8), 0x10u);         // fpsr
  EXPECT_EQ(at<u32>(rec + 12), 0x00c00000u);  // fpcr
  for (int k = 0; k < 32; ++k) {
    EXPECT_EQ(at<u64>(rec + 16 + 16 * k), 0x2000u + k);
    EXPECT_EQ(at<u64>(rec + 24 + 16 * k), 0x3000u + k);
  }
  EXPECT_EQ(at<u64>(rec + 528), 0u);  // magic 0, size 0: no esr_context without a fault

  // The handler changes registers; rt_sigreturn (SP at the frame) brings all back.
  CoreState mess = h;
  for (int k = 0; k < 31; ++k) mess.x[k] = 0xdead;
  mess.v[8] = VReg{1, 2};
  mess.nzcv = 0;
  mess.fpcr = 0;
  mess.x[kSP] = frame;
  e_->set_state(mess);
  EXPECT_EQ(sys(kRtSigreturn), static_cast<i64>(0x1000));  // X0 as it was
  const CoreState back = e_->state();
  for (int k = 0; k < 31; ++k) EXPECT_EQ(back.x[k], before.x[k]) << k;
  EXPECT_EQ(back.x[kSP], sp0);
  EXPECT_EQ(back.pc, before.pc);
  EXPECT_EQ(back.nzcv, before.nzcv);
  EXPECT_EQ(back.fpcr, before.fpcr);
  EXPECT_EQ(back.fpsr, before.fpsr);
  EXPECT_EQ(back.v[8].lo, before.v[8].lo);
  EXPECT_EQ(back.v[8].hi, before.v[8].hi);
  EXPECT_EQ(p_->signals.blocked, 0u);
}

TEST_F(Signals, WithoutSaRestorerReturnsThroughTheSigreturnPage) {
  sigaction(10, kHandler, 0);
  sys(kKill, static_cast<u64>(::getpid()), 10);
  p_->deliver_signals();
  const u64 lr = e_->reg(30);
  EXPECT_EQ(at<u32>(lr), 0xd2801168u);      // mov x8, #139
  EXPECT_EQ(at<u32>(lr + 4), 0xd4000001u);  // svc #0
  EXPECT_EQ(e_->reg(1), 0x0u) << "no siginfo pointer without SA_SIGINFO";
}

TEST_F(Signals, SegvFromAFaultCarriesAddressCodeAndEsr) {
  sigaction(11, kHandler, sig::kSaSiginfo);
  marked_state();
  RunResult r;
  r.signal = Signal::Fault;
  r.pc = 0x400104;
  r.info.fault_addr = 0x10;
  r.info.access = Access::Write;
  r.info.cause = FaultCause::Unmapped;
  p_->signal_for_stop(r);
  ASSERT_FALSE(p_->exited()) << err_;
  const u64 frame = e_->reg(kSP);
  EXPECT_EQ(e_->pc(), kHandler);
  EXPECT_EQ(at<i32>(frame), 11);
  EXPECT_EQ(at<i32>(frame + 8), 1);  // SEGV_MAPERR
  EXPECT_EQ(at<u64>(frame + 0x10), 0x10u);
  const u64 mc = frame + 128 + 176;
  EXPECT_EQ(at<u64>(mc), 0x10u);            // fault_address
  EXPECT_EQ(at<u64>(mc + 264), 0x400104u);  // the faulting instruction, to retry
  const u64 esr = frame + 592 + 528;
  EXPECT_EQ(at<u32>(esr), 0x45535201u);
  EXPECT_EQ(at<u32>(esr + 4), 16u);
  EXPECT_EQ(at<u64>(esr + 8), 0x92000047u);  // data abort, EL0, write, translation fault
  EXPECT_EQ(at<u64>(esr + 16), 0u);          // terminator
}

TEST_F(Signals, PermissionFaultIsAccerr) {
  sigaction(11, kHandler, sig::kSaSiginfo);
  RunResult r;
  r.signal = Signal::Fault;
  r.pc = 0x400104;
  r.info.fault_addr = 0x400000;
  r.info.access = Access::Read;
  r.info.cause = FaultCause::Permission;
  p_->signal_for_stop(r);
  const u64 frame = e_->reg(kSP);
  EXPECT_EQ(at<i32>(frame + 8), 2);  // SEGV_ACCERR
  EXPECT_EQ(at<u64>(frame + 592 + 528 + 8), 0x9200000fu);
}

TEST_F(Signals, UndefinedIsIllIllopcAtThePc) {
  sigaction(4, kHandler, sig::kSaSiginfo);
  RunResult r;
  r.signal = Signal::Undefined;
  r.pc = 0x400104;
  p_->signal_for_stop(r);
  const u64 frame = e_->reg(kSP);
  EXPECT_EQ(at<i32>(frame), 4);
  EXPECT_EQ(at<i32>(frame + 8), 1);  // ILL_ILLOPC, as Linux (QEMU says ILL_ILLOPN)
  EXPECT_EQ(at<u64>(frame + 0x10), 0x400104u);
  EXPECT_EQ(at<u64>(frame + 592 + 528), 0u) << "no esr_context for SIGILL";
}

TEST_F(Signals, BlockedOrIgnoredFaultKills) {
  sigaction(11, kHandler, sig::kSaSiginfo);
  p_->signals.blocked = sig::bit(11);
  RunResult r;
  r.signal = Signal::Fault;
  r.info.fault_addr = 0x10;
  r.info.cause = FaultCause::Unmapped;
  p_->signal_for_stop(r);
  EXPECT_TRUE(p_->exited());
  EXPECT_EQ(p_->run(), 139);
  EXPECT_NE(err_.find("uncaught target signal 11 (Segmentation fault) - read of address 0x10"),
            std::string::npos)
      << err_;
}

TEST_F(Signals, NoRoomForTheFrameIsSigsegv) {
  sigaction(10, kHandler, 0);
  CoreState s = e_->state();
  s.x[kSP] = Process::kStackTop - Process::kStackSize + 0x100;  // the frame would not fit
  e_->set_state(s);
  sys(kKill, static_cast<u64>(::getpid()), 10);
  p_->deliver_signals();
  EXPECT_TRUE(p_->exited());
  EXPECT_NE(err_.find("uncaught target signal 11"), std::string::npos) << err_;
  EXPECT_NE(err_.find("no room for the frame of signal 10"), std::string::npos) << err_;
}

TEST_F(Signals, BadFrameOnSigreturnIsSigsegv) {
  CoreState s = e_->state();
  s.x[kSP] += 8;  // misaligned
  e_->set_state(s);
  sys(kRtSigreturn);
  p_->deliver_signals();
  EXPECT_TRUE(p_->exited());
  EXPECT_NE(err_.find("bad signal frame"), std::string::npos) << err_;
}

TEST_F(Signals, DefaultActions) {
  sys(kKill, static_cast<u64>(::getpid()), 17);  // SIGCHLD: ignored
  sys(kKill, static_cast<u64>(::getpid()), 28);  // SIGWINCH: ignored
  p_->deliver_signals();
  EXPECT_FALSE(p_->exited());
  sigaction(15, sig::kIgn, 0);
  sys(kKill, static_cast<u64>(::getpid()), 15);
  p_->deliver_signals();
  EXPECT_FALSE(p_->exited());
  sigaction(15, sig::kDfl, 0);
  sys(kKill, static_cast<u64>(::getpid()), 15);
  p_->deliver_signals();
  EXPECT_TRUE(p_->exited());
  EXPECT_EQ(p_->run(), 143);
}

TEST_F(Signals, KillErrors) {
  EXPECT_EQ(sys(kKill, static_cast<u64>(::getpid()), 65), -EINVAL);
  EXPECT_EQ(sys(kKill, 1, 10), -ESRCH);
  EXPECT_EQ(sys(kKill, static_cast<u64>(-1), 10), -ESRCH);  // every process but itself
  EXPECT_EQ(sys(kKill, static_cast<u64>(::getpid()), 0), 0);
  EXPECT_EQ(sys(131 /* tgkill */, 0, 1, 10), -EINVAL);
  EXPECT_EQ(sys(kRtSigaction, 9, kScratch, 0, 8), -EINVAL);  // SIGKILL
  EXPECT_EQ(sys(kRtSigaction, 10, 0, 0, 4), -EINVAL);        // sigsetsize
}

TEST_F(Signals, AlternateStackWithAutodisarm) {
  const u64 alt = Process::kStackTop - Process::kStackSize + 0x10000, size = 0x8000;
  const u64 ss[3] = {alt, sig::kSsAutodisarm, size};
  e_->write_memory(kScratch + 64, ss, sizeof ss);
  ASSERT_EQ(sys(kSigaltstack, kScratch + 64, 0), 0);
  sigaction(10, kHandler, sig::kSaOnstack);
  const u64 sp0 = e_->reg(kSP);
  sys(kKill, static_cast<u64>(::getpid()), 10);
  p_->deliver_signals();
  const u64 frame = e_->reg(kSP);
  EXPECT_EQ(frame, ((alt + size - 16) & ~u64{15}) - kFrameSize);
  // uc_stack records the alternate stack as it was; SS_AUTODISARM then disabled it.
  EXPECT_EQ(at<u64>(frame + 128 + 16), alt);
  EXPECT_EQ(at<u32>(frame + 128 + 24), sig::kSsAutodisarm);
  EXPECT_EQ(at<u64>(frame + 128 + 32), size);
  EXPECT_EQ(p_->signals.ss_size, 0u);
  EXPECT_EQ(p_->signals.ss_flags, sig::kSsDisable);
  // rt_sigreturn re-arms it.
  sys(kRtSigreturn);
  EXPECT_EQ(e_->reg(kSP), sp0);
  EXPECT_EQ(p_->signals.ss_sp, alt);
  EXPECT_EQ(p_->signals.ss_size, size);
  EXPECT_EQ(p_->signals.ss_flags, sig::kSsAutodisarm);
}

TEST_F(Signals, SigaltstackWhileOnItIsEperm) {
  const u64 alt = Process::kStackTop - Process::kStackSize + 0x10000, size = 0x8000;
  const u64 ss[3] = {alt, 0, size};
  e_->write_memory(kScratch + 64, ss, sizeof ss);
  ASSERT_EQ(sys(kSigaltstack, kScratch + 64, 0), 0);
  CoreState s = e_->state();
  s.x[kSP] = alt + 0x100;
  e_->set_state(s);
  EXPECT_EQ(sys(kSigaltstack, kScratch + 64, kScratch + 128), -EPERM);
  EXPECT_EQ(sys(kSigaltstack, 0, kScratch + 128), 0);
  EXPECT_EQ(at<u32>(kScratch + 128 + 8), sig::kSsOnstack);
}

TEST_F(Signals, AtMinsigstkszIsLinuxArm64Value) {
  // Walk the initial stack: argc, argv..., 0, envp..., 0, then the auxv pairs.
  u64 sp = e_->reg(kSP);
  const u64 argc = at<u64>(sp);
  sp += 8 * (argc + 2);
  while (at<u64>(sp)) sp += 8;
  sp += 8;
  u64 value = 0;
  for (; at<u64>(sp); sp += 16)
    if (at<u64>(sp) == 51) value = at<u64>(sp + 8);
  EXPECT_EQ(value, 4720u);
}

}  // namespace
}  // namespace kvrm::os

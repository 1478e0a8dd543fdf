// Unit tests for branches, exception generation and system instructions (C4.1.87).
#include <gtest/gtest.h>

#include "isa/sysregs.hpp"
#include "machine.hpp"

namespace kvrm::test {
namespace {

TEST(Branch, UnconditionalAndLink) {
  Machine m;
  auto r = m.run({0x94000003 /* bl +12 */}, 1);
  EXPECT_EQ(r.pc, Machine::kCode + 12);
  EXPECT_EQ(m.x(30), Machine::kCode + 4);
  r = m.run({0x17ffffff /* b -4 */}, 1);
  EXPECT_EQ(r.pc, Machine::kCode - 4);
}

TEST(Branch, Conditional) {
  Machine m;
  m.set_nzcv(Z);
  EXPECT_EQ(m.run({0x54000040 /* b.eq +8 */}).pc, Machine::kCode + 8);
  EXPECT_EQ(m.run({0x54000041 /* b.ne +8 */}).pc, Machine::kCode + 4);
  m.set_nzcv(N | V);  // GE holds, GT holds (Z clear)
  EXPECT_EQ(m.run({0x5400004a /* b.ge +8 */}).pc, Machine::kCode + 8);
  EXPECT_EQ(m.run({0x5400004c /* b.gt +8 */}).pc, Machine::kCode + 8);
  m.set_nzcv(N);  // LT
  EXPECT_EQ(m.run({0x5400004b /* b.lt +8 */}).pc, Machine::kCode + 8);
  EXPECT_EQ(m.run({0x5400004e /* b.al +8 */}).pc, Machine::kCode + 8);
  EXPECT_EQ(m.run({0x5400004f /* b.nv +8: NV also means always */}).pc, Machine::kCode + 8);
  m.set_nzcv(C);  // HI needs C && !Z
  EXPECT_EQ(m.run({0x54000048 /* b.hi +8 */}).pc, Machine::kCode + 8);
  m.set_nzcv(C | Z);
  EXPECT_EQ(m.run({0x54000049 /* b.ls +8 */}).pc, Machine::kCode + 8);
}

TEST(Branch, CompareAndTest) {
  Machine m;
  m.set_x(3, 0xffffffff00000000ull);
  EXPECT_EQ(m.run({0x34000043 /* cbz w3, +8 */}).pc, Machine::kCode + 8);
  EXPECT_EQ(m.run({0xb4000043 /* cbz x3, +8 */}).pc, Machine::kCode + 4);
  EXPECT_EQ(m.run({0xb5000043 /* cbnz x3, +8 */}).pc, Machine::kCode + 8);
  EXPECT_EQ(m.run({0xb7f80043 /* tbnz x3, #63, +8 */}).pc, Machine::kCode + 8);
  EXPECT_EQ(m.run({0x36f80043 /* tbz w3, #31, +8 */}).pc, Machine::kCode + 8);
  EXPECT_EQ(m.run({0xb6f80043 /* tbz x3, #63, +8 */}).pc, Machine::kCode + 4);
}

TEST(Branch, Register) {
  Machine m;
  m.set_x(30, Machine::kCode + 0x40);
  EXPECT_EQ(m.run({0xd65f03c0 /* ret */}).pc, Machine::kCode + 0x40);
  m.set_x(30, Machine::kCode + 0x80);
  auto r = m.run({0xd63f03c0 /* blr x30: target read before the link is written */});
  EXPECT_EQ(r.pc, Machine::kCode + 0x80);
  EXPECT_EQ(m.x(30), Machine::kCode + 4);
  m.set_x(5, Machine::kCode + 0x22);  // misaligned target: fetch alignment fault there
  r = m.run({0xd61f00a0 /* br x5 */}, 2);
  EXPECT_EQ(r.signal, Signal::Fault);
  EXPECT_EQ(r.info.cause, FaultCause::Alignment);
  EXPECT_EQ(r.info.access, Access::Fetch);
  EXPECT_EQ(r.pc, Machine::kCode + 0x22);
  EXPECT_EQ(r.cycles, 1u);
}

TEST(Exception, SvcHltBrk) {
  Machine m;
  auto r = m.run({0xd4000821 /* svc #0x41 */}, 5);
  EXPECT_EQ(r.signal, Signal::Syscall);
  EXPECT_EQ(r.info.imm16, 0x41);
  EXPECT_EQ(r.pc, Machine::kCode + 4);  // resumes after the SVC
  EXPECT_EQ(r.cycles, 1u);
  r = m.run({0xd4400020 /* hlt #1 */}, 5);
  EXPECT_EQ(r.signal, Signal::Halt);
  EXPECT_EQ(r.info.imm16, 1);
  EXPECT_EQ(r.pc, Machine::kCode);
  EXPECT_EQ(r.cycles, 0u);
  r = m.run({0xd4200fa0 /* brk #0x7d */}, 5);
  EXPECT_EQ(r.signal, Signal::Breakpoint);
  EXPECT_EQ(r.info.imm16, 0x7d);
  EXPECT_EQ(r.pc, Machine::kCode);
}

TEST(Exception, UndefinedStopsVisibly) {
  Machine m;
  auto r = m.run({0x00000000 /* udf #0 */}, 5);
  EXPECT_EQ(r.signal, Signal::Undefined);
  EXPECT_EQ(r.pc, Machine::kCode);
  EXPECT_EQ(r.info.insn, 0u);
  r = m.run({0xd4000002 /* hvc #0: not at EL0 */}, 5);
  EXPECT_EQ(r.signal, Signal::Undefined);
  EXPECT_EQ(r.info.insn, 0xd4000002u);
}

TEST(System, HintsAndBarriersRetire) {
  Machine m;
  auto r = m.run({0xd503201f /* nop */, 0xd503233f /* paciasp */, 0xd5033bbf /* dmb ish */,
                  0xd5033fdf /* isb */, 0xd503305f /* clrex */, 0xd50330ff /* sb */});
  EXPECT_EQ(r.signal, Signal::Checkpoint);
  EXPECT_EQ(r.cycles, 6u);
  EXPECT_EQ(m.x(30), 0u);  // PACIASP leaves LR alone: FEAT_PAuth is not implemented
}

TEST(System, FlagManipulation) {
  Machine m;
  m.set_nzcv(C);
  m.run({0xd500401f /* cfinv */});
  EXPECT_EQ(m.nzcv(), 0u);
  m.set_nzcv(Z);  // XAFLAG: N=!C&!Z, Z=Z&C, C=C|Z, V=!C&Z
  m.run({0xd500403f /* xaflag */});
  EXPECT_EQ(m.nzcv(), C | V);
  m.set_nzcv(N | C | V);  // AXFLAG: Z=Z|V, C=C&!V, N=V=0
  m.run({0xd500405f /* axflag */});
  EXPECT_EQ(m.nzcv(), Z);
}

TEST(System, SystemRegisters) {
  Machine m;
  m.set_nzcv(N | C);
  m.run({0xd53b4200 /* mrs x0, nzcv */});
  EXPECT_EQ(m.x(0), u64{N | C});
  m.set_x(1, 0xffffffffffffffffull);
  m.run({0xd51b4201 /* msr nzcv, x1 */});
  EXPECT_EQ(m.nzcv(), 0xf0000000u);
  m.set_x(2, 0x1234);
  m.run({0xd51bd042 /* msr tpidr_el0, x2 */, 0xd53bd043 /* mrs x3, tpidr_el0 */});
  EXPECT_EQ(m.x(3), 0x1234u);
  m.run({0xd53b00e4 /* mrs x4, dczid_el0 */});
  EXPECT_EQ(m.x(4), 4u);
  m.run({0xd53be005 /* mrs x5, cntfrq_el0 */});
  EXPECT_EQ(m.x(5), kCntFrq);
  m.run({0xd53be046 /* mrs x6, cntvct_el0 */, 0xd53be047 /* mrs x7, cntvct_el0 */});
  EXPECT_LE(m.x(6), m.x(7));
  EXPECT_GT(m.x(6), 0u);
  // TPIDRRO_EL0 is read-only at EL0; an unknown register is UNDEFINED.
  EXPECT_EQ(m.run({0xd51bd060 /* msr tpidrro_el0, x0 */}).signal, Signal::Undefined);
  EXPECT_EQ(m.run({0xd5381000 /* mrs x0, sctlr_el1 */}).signal, Signal::Undefined);
  m.set_x(8, 0xffffffff);
  m.run({0xd51b4408 /* msr fpcr, x8 */, 0xd53b4409 /* mrs x9, fpcr */});
  EXPECT_EQ(m.x(9), u64{kFpcrMask});
}

TEST(System, DcZvaZeroesTheBlock) {
  Machine m;
  for (u64 a = Machine::kData; a < Machine::kData + 128; a += 8) m.store<u64>(a, ~u64{0});
  m.set_x(0, Machine::kData + 64 + 13);
  m.run({0xd50b7420 /* dc zva, x0 */});
  EXPECT_EQ(m.load<u64>(Machine::kData + 56), ~u64{0});
  for (u64 a = Machine::kData + 64; a < Machine::kData + 128; a += 8) {
    EXPECT_EQ(m.load<u64>(a), 0u);
  }
  m.set_x(0, Machine::kCode);  // not writable
  auto r = m.run({0xd50b7420 /* dc zva, x0 */});
  EXPECT_EQ(r.signal, Signal::Fault);
  EXPECT_EQ(r.info.cause, FaultCause::Permission);
  m.set_x(0, 0x900000);  // cache maintenance of an unmapped address faults
  r = m.run({0xd50b7b20 /* dc cvau, x0 */});
  EXPECT_EQ(r.signal, Signal::Fault);
  EXPECT_EQ(r.info.cause, FaultCause::Unmapped);
}

}  // namespace
}  // namespace kvrm::test

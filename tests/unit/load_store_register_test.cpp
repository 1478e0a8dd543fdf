// Unit tests for single-register loads and stores (C4.1.88): unsigned offset, unscaled, pre-
// and post-index, unprivileged, register offset, literal, RCpc unscaled forms and prefetches.
#include <gtest/gtest.h>

#include "machine.hpp"

namespace kvrm::test {
namespace {

constexpr u64 D = Machine::kData + 0x100;
constexpr u64 kEnd = Machine::kData + Machine::kDataSize;  // first byte past the data region
constexpr u64 kUnmapped = 0x900000;
constexpr u64 kJunk = 0xdeadbeefdeadbeefull;

// Runs one instruction with X0 preset to junk and returns X0.
u64 load1(Machine& m, u32 insn) {
  m.set_x(0, kJunk);
  EXPECT_EQ(m.run({insn}).signal, Signal::Checkpoint);
  return m.x(0);
}

TEST(LoadStoreRegister, ImmediateAddressingModes) {
  Machine m;
  for (u64 k = 0; k < 4; ++k) m.store<u64>(D - 16 + 8 * k, 0x1111111111111111ull * (k + 1));
  m.set_x(1, D);
  EXPECT_EQ(load1(m, 0xf9400420 /* ldr x0, [x1, #8] */), 0x4444444444444444u);
  EXPECT_EQ(m.x(1), D);
  EXPECT_EQ(load1(m, 0xf8408c20 /* ldr x0, [x1, #8]! */), 0x4444444444444444u);
  EXPECT_EQ(m.x(1), D + 8);
  m.set_x(1, D);
  EXPECT_EQ(load1(m, 0xf85f8420 /* ldr x0, [x1], #-8 */), 0x3333333333333333u);
  EXPECT_EQ(m.x(1), D - 8);
  m.set_x(1, D);
  EXPECT_EQ(load1(m, 0xf85ff020 /* ldur x0, [x1, #-1] */), 0x3333333333333322u);
  EXPECT_EQ(m.x(1), D);

  m.set_x(2, 0x0123456789abcdefull);
  m.run({0xb8004c22 /* str w2, [x1, #4]! */});
  EXPECT_EQ(m.x(1), D + 4);
  EXPECT_EQ(m.load<u64>(D), 0x89abcdef33333333u);
  m.store<u64>(D, 0x3333333333333333ull);
  m.run({0x78002422 /* strh w2, [x1], #2 */});
  EXPECT_EQ(m.x(1), D + 6);
  EXPECT_EQ(m.load<u64>(D), 0x3333cdef33333333u);
  m.run({0x39000c22 /* strb w2, [x1, #3] */});
  EXPECT_EQ(m.x(1), D + 6);
  EXPECT_EQ(m.load<u64>(D + 8), 0x444444444444ef44u);
}

TEST(LoadStoreRegister, SignAndZeroExtension) {
  Machine m;
  m.store<u64>(D, 0x1111111180008081ull);
  m.store<u64>(D + 8, 0x7f);
  m.set_x(1, D);
  EXPECT_EQ(load1(m, 0x39400020 /* ldrb w0, [x1] */), 0x81u);
  EXPECT_EQ(load1(m, 0x39c00020 /* ldrsb w0, [x1] */), 0xffffff81u);
  EXPECT_EQ(load1(m, 0x39800020 /* ldrsb x0, [x1] */), 0xffffffffffffff81u);
  EXPECT_EQ(load1(m, 0x79400020 /* ldrh w0, [x1] */), 0x8081u);
  EXPECT_EQ(load1(m, 0x79c00020 /* ldrsh w0, [x1] */), 0xffff8081u);
  EXPECT_EQ(load1(m, 0x79800020 /* ldrsh x0, [x1] */), 0xffffffffffff8081u);
  EXPECT_EQ(load1(m, 0xb9400020 /* ldr w0, [x1] */), 0x80008081u);
  EXPECT_EQ(load1(m, 0xb9800020 /* ldrsw x0, [x1] */), 0xffffffff80008081u);
  EXPECT_EQ(load1(m, 0xf9400020 /* ldr x0, [x1] */), 0x1111111180008081u);
  m.set_x(1, D + 7);
  EXPECT_EQ(load1(m, 0x39800420 /* ldrsb x0, [x1, #1] */), 0x7fu);

  // Unscaled and post/pre-indexed sign-extending forms.
  m.set_x(1, D + 1);
  EXPECT_EQ(load1(m, 0x38dff020 /* ldursb w0, [x1, #-1] */), 0xffffff81u);
  m.set_x(1, D + 2);
  EXPECT_EQ(load1(m, 0x789fe020 /* ldursh x0, [x1, #-2] */), 0xffffffffffff8081u);
  m.set_x(1, D - 1);
  EXPECT_EQ(load1(m, 0xb8801020 /* ldursw x0, [x1, #1] */), 0xffffffff80008081u);
  m.set_x(1, D);
  EXPECT_EQ(load1(m, 0x38801420 /* ldrsb x0, [x1], #1 */), 0xffffffffffffff81u);
  EXPECT_EQ(m.x(1), D + 1);
  m.set_x(1, D + 2);
  EXPECT_EQ(load1(m, 0x78dfec20 /* ldrsh w0, [x1, #-2]! */), 0xffff8081u);
  EXPECT_EQ(m.x(1), D);
  EXPECT_EQ(load1(m, 0xb89fc420 /* ldrsw x0, [x1], #-4 */), 0xffffffff80008081u);
  EXPECT_EQ(m.x(1), D - 4);

  // Stores write only the low bytes of the register.
  m.set_x(1, D + 16);
  m.set_x(2, 0x0123456789abcdefull);
  m.store<u64>(D + 16, ~u64{0});
  m.run({0x39000022 /* strb w2, [x1] */});
  EXPECT_EQ(m.load<u64>(D + 16), 0xffffffffffffffefu);
  m.run({0x79000022 /* strh w2, [x1] */});
  EXPECT_EQ(m.load<u64>(D + 16), 0xffffffffffffcdefu);
  m.run({0xb9000022 /* str w2, [x1] */});
  EXPECT_EQ(m.load<u64>(D + 16), 0xffffffff89abcdefu);
  m.run({0xf9000022 /* str x2, [x1] */});
  EXPECT_EQ(m.load<u64>(D + 16), 0x0123456789abcdefu);
}

TEST(LoadStoreRegister, RegisterOffsetExtendAndShift) {
  Machine m;
  for (u64 a = D - 64; a < D + 128; a += 8) m.store<u64>(a, a);  // each doubleword: its address
  m.set_x(1, D);
  m.set_x(2, 16);
  EXPECT_EQ(load1(m, 0xf8626820 /* ldr x0, [x1, x2] */), D + 16);
  m.set_x(2, 3);
  EXPECT_EQ(load1(m, 0xf8627820 /* ldr x0, [x1, x2, lsl #3] */), D + 24);
  m.set_x(2, 0xffffffff00000004ull);  // UXTW ignores the upper half
  EXPECT_EQ(load1(m, 0xb8625820 /* ldr w0, [x1, w2, uxtw #2] */), D + 16);
  m.set_x(2, 0x12345678fffffffeull);  // w2 = -2
  EXPECT_EQ(load1(m, 0xf862d820 /* ldr x0, [x1, w2, sxtw #3] */), D - 16);
  m.set_x(2, ~u64{3});  // -4, scaled by 2
  EXPECT_EQ(load1(m, 0x7862f820 /* ldrh w0, [x1, x2, sxtx #1] */), (D - 8) & 0xffff);
  m.set_x(2, 9);  // a byte access shifts by 0 even with S = 1
  EXPECT_EQ(load1(m, 0x38627820 /* ldrb w0, [x1, x2, lsl #0] */), ((D + 8) >> 8) & 0xff);
  m.store<u32>(D - 8, 0x90000000u);
  m.set_x(2, 0xfffffff8u);  // w2 = -8
  EXPECT_EQ(load1(m, 0xb8a2c820 /* ldrsw x0, [x1, w2, sxtw] */), 0xffffffff90000000u);
  m.set_x(0, 0xaabbccdd);
  m.set_x(2, 0xffffffff00000020ull);
  m.run({0xb8224820 /* str w0, [x1, w2, uxtw] */});
  EXPECT_EQ(m.load<u64>(D + 32), 0xaabbccddu);  // D + 32 < 2^32: the upper half was 0

  // option<1> = 0 (UXTB/UXTH/SXTB/SXTH) is unallocated, PRFM included.
  for (u32 w : {0xf8622820u /* ldr x0, [x1, w2, uxth] */, 0xf862a820u /* ldr x0, [x1, w2, sxth] */,
                0xf8a20820u /* prfm pldl1keep, [x1, w2, uxtb] */}) {
    const RunResult r = m.run({w});
    EXPECT_EQ(r.signal, Signal::Undefined) << std::hex << w;
    EXPECT_EQ(r.info.insn, w);
  }
}

TEST(LoadStoreRegister, SpBaseAndZeroRegister) {
  Machine m;
  m.set_x(31, D + 0x100);
  m.set_x(3, 0x1234);
  m.run({0xf81f0fe3 /* str x3, [sp, #-16]! */});
  EXPECT_EQ(m.x(31), D + 0xf0);
  EXPECT_EQ(m.load<u64>(D + 0xf0), 0x1234u);
  m.run({0xf84107e4 /* ldr x4, [sp], #16 */});
  EXPECT_EQ(m.x(4), 0x1234u);
  EXPECT_EQ(m.x(31), D + 0x100);
  m.store<u64>(D + 0x108, 77);
  EXPECT_EQ(load1(m, 0xf94007e0 /* ldr x0, [sp, #8] */), 77u);

  // Rt = 31 is XZR: stores zero, a load is discarded (SP unchanged).
  m.set_x(1, D);
  m.store<u64>(D, ~u64{0});
  m.run({0xf900003f /* str xzr, [x1] */});
  EXPECT_EQ(m.load<u64>(D), 0u);
  m.store<u64>(D, 55);
  m.run({0xf940003f /* ldr xzr, [x1] */});
  EXPECT_EQ(m.x(31), D + 0x100);
}

TEST(LoadStoreRegister, WritebackBaseAliasingTheDataRegister) {
  Machine m;
  m.store<u64>(D + 8, 0x5555);
  m.set_x(1, D);
  m.run({0xf8408c21 /* ldr x1, [x1, #8]! (Rt == Rn): the writeback wins */});
  EXPECT_EQ(m.x(1), D + 8);
  m.set_x(1, D);
  m.run({0xf8008c21 /* str x1, [x1, #8]! (Rt == Rn): the old base is stored */});
  EXPECT_EQ(m.load<u64>(D + 8), D);
  EXPECT_EQ(m.x(1), D + 8);
}

TEST(LoadStoreRegister, UnalignedAcrossPages) {
  Machine m;
  const u64 p = Machine::kData + 0x1000;  // a page boundary inside the data region
  m.store<u64>(p - 8, 0x0706050403020100ull);
  m.store<u64>(p, 0x0f0e0d0c0b0a0908ull);
  m.set_x(1, p - 3);
  EXPECT_EQ(load1(m, 0xf9400020 /* ldr x0, [x1] */), 0x0c0b0a0908070605u);
  m.set_x(2, 0x1122334455667788ull);
  m.run({0xf9000022 /* str x2, [x1] */});
  EXPECT_EQ(m.load<u64>(p - 8), 0x6677880403020100u);
  EXPECT_EQ(m.load<u64>(p), 0x0f0e0d1122334455u);

  // Crossing the end of the data region into an unmapped page faults on the next page, with no
  // register or base change; once that page is mapped, the same access works.
  m.store<u32>(kEnd - 4, 0xaabbccdd);
  m.set_x(1, kEnd - 8);
  m.set_x(0, kJunk);
  RunResult r = m.run({0xf8404c20 /* ldr x0, [x1, #4]! */});
  expect_fault(r, FaultCause::Unmapped, Access::Read, kEnd);
  EXPECT_EQ(m.x(0), kJunk);
  EXPECT_EQ(m.x(1), kEnd - 8);
  m.e->map(kEnd, kPageSize, kPermRead | kPermWrite);
  m.store<u32>(kEnd, 0x11223344);
  EXPECT_EQ(load1(m, 0xf8404c20 /* ldr x0, [x1, #4]! */), 0x11223344aabbccddu);
  EXPECT_EQ(m.x(1), kEnd - 4);

  // A store reaching into a read-only page faults on that page and writes nothing.
  m.e->protect(kEnd, kPageSize, kPermRead);
  m.set_x(1, kEnd - 2);
  r = m.run({0xf9000022 /* str x2, [x1] */});
  expect_fault(r, FaultCause::Permission, Access::Write, kEnd);
  EXPECT_EQ(m.load<u32>(kEnd - 4), 0xaabbccddu);
  EXPECT_EQ(m.load<u32>(kEnd), 0x11223344u);
}

TEST(LoadStoreRegister, FaultsChangeNoRegister) {
  Machine m;
  m.set_x(0, kJunk);
  m.set_x(1, kUnmapped);
  expect_fault(m.run({0xf9400020 /* ldr x0, [x1] */}), FaultCause::Unmapped, Access::Read,
               kUnmapped);
  expect_fault(m.run({0xf85f8420 /* ldr x0, [x1], #-8 */}), FaultCause::Unmapped, Access::Read,
               kUnmapped);
  expect_fault(m.run({0x39800420 /* ldrsb x0, [x1, #1] */}), FaultCause::Unmapped, Access::Read,
               kUnmapped + 1);
  EXPECT_EQ(m.x(0), kJunk);
  EXPECT_EQ(m.x(1), kUnmapped);
  // The code region is read-only: a store faults with a write permission fault.
  m.set_x(1, Machine::kCode + 0x100);
  expect_fault(m.run({0xb8004c22 /* str w2, [x1, #4]! */}), FaultCause::Permission, Access::Write,
               Machine::kCode + 0x104);
  EXPECT_EQ(m.x(1), Machine::kCode + 0x100);
}

TEST(LoadStoreRegister, UnallocatedSignExtendingForms) {
  Machine m;
  m.set_x(1, D);
  for (u32 w : {0xf89fc420u /* ldrsw x0, [x1], #-4 with size = 11 */,
                0xf8dfec20u /* ldrsh w0, [x1, #-2]! with size = 11 */,
                0xf8802820u /* ldtrsh x0, [x1, #2] with size = 11 */,
                0xf8c01020u /* ldursw with size = 11, opc = 11 */,
                0xb9c00020u /* ldrsw x0, [x1] with opc = 11 (a "ldrsw w0") */,
                0xd99fc020u /* ldapursw x0, [x1, #-4] with size = 11 */}) {
    const RunResult r = m.run({w});
    EXPECT_EQ(r.signal, Signal::Undefined) << std::hex << w;
    EXPECT_EQ(r.info.insn, w);
  }
}

TEST(LoadStoreRegister, PrefetchesNeverFault) {
  Machine m;
  m.set_x(1, kUnmapped);
  m.set_x(2, 8);
  const RunResult r = m.run(
      {0xf9800020 /* prfm pldl1keep, [x1] */, 0xf89ff020 /* prfum pldl1keep, [x1, #-1] */,
       0xf8a26820 /* prfm pldl1keep, [x1, x2] */, 0xd8fffe00 /* prfm pldl1keep, .-64 (unmapped) */,
       0xf8801020 /* size = 11, opc = 10 of LDURS: prfum */});
  EXPECT_EQ(r.signal, Signal::Checkpoint);
  EXPECT_EQ(r.cycles, 5u);
}

TEST(LoadStoreRegister, Literal) {
  Machine m;
  m.set_x(0, kJunk);
  m.run({0x58000040 /* ldr x0, .+8 */, 0xd503201f /* nop */, 0x89abcdef, 0x01234567}, 1);
  EXPECT_EQ(m.x(0), 0x0123456789abcdefu);
  m.set_x(0, kJunk);
  m.run({0xd503201f /* nop */, 0x18ffffe0 /* ldr w0, .-4 */});
  EXPECT_EQ(m.x(0), 0xd503201fu);
  m.run({0xd503201f /* nop */, 0x98ffffe0 /* ldrsw x0, .-4 */});
  EXPECT_EQ(m.x(0), 0xffffffffd503201fu);
  m.set_x(0, kJunk);
  expect_fault(m.run({0x58ffffe0 /* ldr x0, .-4 */}), FaultCause::Unmapped, Access::Read,
               Machine::kCode - 4);
  EXPECT_EQ(m.x(0), kJunk);
}

TEST(LoadStoreRegister, Unprivileged) {
  Machine m;
  m.store<u64>(D, 0x00000000fedc8001ull);
  m.store<u64>(D + 8, 0x42);
  m.set_x(1, D);
  EXPECT_EQ(load1(m, 0xf8408820 /* ldtr x0, [x1, #8] */), 0x42u);
  EXPECT_EQ(load1(m, 0x78802820 /* ldtrsh x0, [x1, #2] */), 0xfffffffffffffedcu);
  m.set_x(1, D + 1);
  EXPECT_EQ(load1(m, 0x385ff820 /* ldtrb w0, [x1, #-1] */), 0x01u);
  m.set_x(1, D + 4);
  m.set_x(2, 0x12345678);
  m.run({0xb81fc822 /* sttr w2, [x1, #-4] */});
  EXPECT_EQ(m.load<u64>(D), 0x0000000012345678u);
  EXPECT_EQ(m.x(1), D + 4);
}

TEST(LoadStoreRegister, RcpcUnscaledNeedAlignment) {
  Machine m;
  m.store<u64>(D, 0x8877665544332211ull);
  m.store<u64>(D + 8, 0x00000000ff00ff80ull);
  m.set_x(1, D + 3);
  EXPECT_EQ(load1(m, 0xd95fd020 /* ldapur x0, [x1, #-3] */), 0x8877665544332211u);
  m.set_x(1, D);
  m.set_x(0, kJunk);
  expect_fault(m.run({0xd95fd020 /* ldapur x0, [x1, #-3] */}), FaultCause::Alignment, Access::Read,
               D - 3);
  EXPECT_EQ(m.x(0), kJunk);
  m.set_x(1, D + 8);
  EXPECT_EQ(load1(m, 0x19800020 /* ldapursb x0, [x1] */), 0xffffffffffffff80u);
  EXPECT_EQ(load1(m, 0x59c02020 /* ldapursh w0, [x1, #2] */), 0xffffff00u);
  m.set_x(1, D + 12);
  EXPECT_EQ(load1(m, 0x999fc020 /* ldapursw x0, [x1, #-4] */), 0xffffffffff00ff80u);
  m.set_x(1, D);
  EXPECT_EQ(load1(m, 0x19401020 /* ldapurb w0, [x1, #1] */), 0x22u);

  m.set_x(2, 0xabcd1234);
  m.set_x(1, D + 3);
  m.run({0x99001022 /* stlur w2, [x1, #1] */});
  EXPECT_EQ(m.load<u64>(D), 0xabcd123444332211u);
  m.set_x(1, D);
  expect_fault(m.run({0x99001022 /* stlur w2, [x1, #1] */}), FaultCause::Alignment, Access::Write,
               D + 1);
  m.set_x(1, D + 1);
  expect_fault(m.run({0x59002022 /* stlurh w2, [x1, #2] */}), FaultCause::Alignment, Access::Write,
               D + 3);
  EXPECT_EQ(m.load<u64>(D), 0xabcd123444332211u);
}

}  // namespace
}  // namespace kvrm::test

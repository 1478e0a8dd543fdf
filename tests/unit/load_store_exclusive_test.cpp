// Unit tests for load/store exclusive (register and pair) and load/store ordered, LDAPR
// (C4.1.88): the local exclusive monitor and the alignment these accesses require.
#include <gtest/gtest.h>

#include "machine.hpp"

namespace kvrm::test {
namespace {

constexpr u64 D = Machine::kData + 0x200;  // 16-byte aligned
constexpr u64 kJunk = 0xdeadbeefdeadbeefull;

// The last run stopped with this fault (at whichever instruction of the sequence).
void expect_fault_kind(const RunResult& r, FaultCause cause, Access access, u64 addr) {
  EXPECT_EQ(r.signal, Signal::Fault);
  EXPECT_EQ(r.info.cause, cause);
  EXPECT_EQ(r.info.access, access);
  EXPECT_EQ(r.info.fault_addr, addr);
}

TEST(LoadStoreExclusive, StoreSucceedsOnceWhileMarked) {
  Machine m;
  m.store<u64>(D, 0x1111);
  m.set_x(1, D);
  m.set_x(2, kJunk);
  m.set_x(3, 0x2222);
  m.run({0xc85f7c20 /* ldxr x0, [x1] */, 0xc8027c23 /* stxr w2, x3, [x1] */});
  EXPECT_EQ(m.x(0), 0x1111u);
  EXPECT_EQ(m.x(2), 0u);  // status, zero-extended into X2
  EXPECT_EQ(m.load<u64>(D), 0x2222u);
  // The monitor was cleared by the successful store: a second store-exclusive fails.
  m.set_x(3, 0x3333);
  m.run({0xc8027c23 /* stxr w2, x3, [x1] */});
  EXPECT_EQ(m.x(2), 1u);
  EXPECT_EQ(m.load<u64>(D), 0x2222u);
}

TEST(LoadStoreExclusive, StoreFailsWhenTheMarkIsLostOrDifferent) {
  Machine m;
  m.store<u64>(D, 0x1111);
  m.store<u64>(D + 8, 0x4444);
  m.set_x(1, D);
  m.set_x(3, 0x2222);
  m.run(
      {0xc85f7c20 /* ldxr x0, [x1] */, 0xd5033f5f /* clrex */, 0xc8027c23 /* stxr w2, x3, [x1] */});
  EXPECT_EQ(m.x(2), 1u);
  EXPECT_EQ(m.load<u64>(D), 0x1111u);
  // Another address.
  m.set_x(4, D + 8);
  m.run({0xc85f7c20 /* ldxr x0, [x1] */, 0xc8027c83 /* stxr w2, x3, [x4] */});
  EXPECT_EQ(m.x(2), 1u);
  EXPECT_EQ(m.load<u64>(D + 8), 0x4444u);
  // Same address, another size.
  m.run({0x885f7c20 /* ldxr w0, [x1] */, 0xc8027c23 /* stxr w2, x3, [x1] */});
  EXPECT_EQ(m.x(2), 1u);
  EXPECT_EQ(m.load<u64>(D), 0x1111u);
  // A failed store-exclusive clears the mark too.
  m.run({0xc85f7c20 /* ldxr x0, [x1] */, 0xc8027c83 /* stxr w2, x3, [x4] */,
         0xc8027c23 /* stxr w2, x3, [x1] */});
  EXPECT_EQ(m.x(2), 1u);
  EXPECT_EQ(m.load<u64>(D), 0x1111u);
}

TEST(LoadStoreExclusive, SizesOrderingsAndSp) {
  Machine m;
  m.store<u64>(D, 0x8877665544332211ull);
  m.set_x(1, D + 3);
  m.set_x(0, kJunk);
  m.set_x(3, 0xabcdef99);
  m.run({0x085f7c20 /* ldxrb w0, [x1] */, 0x08027c23 /* stxrb w2, w3, [x1] */});
  EXPECT_EQ(m.x(0), 0x44u);
  EXPECT_EQ(m.x(2), 0u);
  EXPECT_EQ(m.load<u64>(D), 0x8877665599332211u);
  m.set_x(1, D + 2);
  m.run({0x485f7c20 /* ldxrh w0, [x1] */, 0x48027c23 /* stxrh w2, w3, [x1] */});
  EXPECT_EQ(m.x(0), 0x9933u);
  EXPECT_EQ(m.x(2), 0u);
  EXPECT_EQ(m.load<u64>(D), 0x88776655ef992211u);
  m.set_x(1, D + 4);
  m.run({0x885f7c20 /* ldxr w0, [x1] */, 0x88027c23 /* stxr w2, w3, [x1] */});
  EXPECT_EQ(m.x(0), 0x88776655u);
  EXPECT_EQ(m.x(2), 0u);
  EXPECT_EQ(m.load<u64>(D), 0xabcdef99ef992211u);
  m.set_x(1, D);
  m.set_x(3, 0x0102030405060708ull);
  m.run({0xc85ffc20 /* ldaxr x0, [x1] */, 0xc802fc23 /* stlxr w2, x3, [x1] */});
  EXPECT_EQ(m.x(0), 0xabcdef99ef992211u);
  EXPECT_EQ(m.x(2), 0u);
  EXPECT_EQ(m.load<u64>(D), 0x0102030405060708u);
  m.set_x(31, D);
  m.set_x(3, 0x55);
  m.run({0xc85f7fe0 /* ldxr x0, [sp] */, 0xc8027fe3 /* stxr w2, x3, [sp] */});
  EXPECT_EQ(m.x(0), 0x0102030405060708u);
  EXPECT_EQ(m.x(2), 0u);
  EXPECT_EQ(m.load<u64>(D), 0x55u);
}

TEST(LoadStoreExclusive, Pairs) {
  Machine m;
  m.store<u64>(D, 0x1111);
  m.store<u64>(D + 8, 0x2222);
  m.set_x(1, D);
  m.set_x(3, 0x3333);
  m.set_x(4, 0x4444);
  m.run({0xc87f1420 /* ldxp x0, x5, [x1] */, 0xc8221023 /* stxp w2, x3, x4, [x1] */});
  EXPECT_EQ(m.x(0), 0x1111u);
  EXPECT_EQ(m.x(5), 0x2222u);
  EXPECT_EQ(m.x(2), 0u);
  EXPECT_EQ(m.load<u64>(D), 0x3333u);
  EXPECT_EQ(m.load<u64>(D + 8), 0x4444u);
  // Word pairs: 8 bytes, low word first.
  m.set_x(1, D + 8);
  m.set_x(3, 0xffffffff00000005ull);
  m.set_x(4, 6);
  m.run({0x887f9420 /* ldaxp w0, w5, [x1] */, 0x88229023 /* stlxp w2, w3, w4, [x1] */});
  EXPECT_EQ(m.x(0), 0x4444u);
  EXPECT_EQ(m.x(5), 0u);
  EXPECT_EQ(m.x(2), 0u);
  EXPECT_EQ(m.load<u64>(D + 8), 0x0000000600000005u);
  // A register mark (8 bytes) does not cover a pair store of 16 bytes.
  m.set_x(1, D);
  m.run({0xc85f7c20 /* ldxr x0, [x1] */, 0xc8221023 /* stxp w2, x3, x4, [x1] */});
  EXPECT_EQ(m.x(2), 1u);
  EXPECT_EQ(m.load<u64>(D), 0x3333u);
}

TEST(LoadStoreExclusive, MisalignedAddressesFault) {
  Machine m;
  m.set_x(0, kJunk);
  m.set_x(2, kJunk);
  m.set_x(5, kJunk);
  struct Case {
    u32 insn;
    u64 addr;
    Access access;
  };
  for (const Case& k : {Case{0xc85f7c20 /* ldxr x0, [x1] */, D + 4, Access::Read},
                        Case{0xc8027c23 /* stxr w2, x3, [x1] */, D + 4, Access::Write},
                        Case{0x485f7c20 /* ldxrh w0, [x1] */, D + 1, Access::Read},
                        Case{0x88027c23 /* stxr w2, w3, [x1] */, D + 2, Access::Write},
                        Case{0xc87f1420 /* ldxp x0, x5, [x1] */, D + 8, Access::Read},
                        Case{0x887f1420 /* ldxp w0, w5, [x1] */, D + 4, Access::Read},
                        Case{0xc8221023 /* stxp w2, x3, x4, [x1] */, D + 8, Access::Write},
                        Case{0x88221023 /* stxp w2, w3, w4, [x1] */, D + 4, Access::Write}}) {
    m.set_x(1, k.addr);
    const RunResult r = m.run({k.insn});
    expect_fault_kind(r, FaultCause::Alignment, k.access, k.addr);
    EXPECT_EQ(r.cycles, 0u);
  }
  EXPECT_EQ(m.x(0), kJunk);
  EXPECT_EQ(m.x(2), kJunk);
  EXPECT_EQ(m.x(5), kJunk);
}

TEST(LoadStoreExclusive, StoreToReadOnlyPage) {
  Machine m;
  m.set_x(1, Machine::kCode + 0x100);
  m.set_x(2, kJunk);
  // Marked: the store happens, and faults.
  RunResult r = m.run({0xc85f7c20 /* ldxr x0, [x1] */, 0xc8027c23 /* stxr w2, x3, [x1] */});
  expect_fault_kind(r, FaultCause::Permission, Access::Write, Machine::kCode + 0x100);
  EXPECT_EQ(r.pc, Machine::kCode + 4);
  EXPECT_EQ(r.cycles, 1u);
  EXPECT_EQ(m.x(2), kJunk);
  // Not marked: no store is attempted, so no fault.
  r = m.run({0xd5033f5f /* clrex */, 0xc8027c23 /* stxr w2, x3, [x1] */});
  EXPECT_EQ(r.signal, Signal::Checkpoint);
  EXPECT_EQ(m.x(2), 1u);
}

TEST(LoadStoreOrdered, AcquireReleaseAndRcpc) {
  Machine m;
  m.store<u64>(D, 0x8877665544332211ull);
  m.set_x(1, D);
  m.run({0xc8dffc20 /* ldar x0, [x1] */});
  EXPECT_EQ(m.x(0), 0x8877665544332211u);
  m.run({0xc8df7c20 /* ldlar x0, [x1] */});
  EXPECT_EQ(m.x(0), 0x8877665544332211u);
  m.run({0xf8bfc020 /* ldapr x0, [x1] */});
  EXPECT_EQ(m.x(0), 0x8877665544332211u);
  m.set_x(1, D + 4);
  m.run({0x88dffc20 /* ldar w0, [x1] */});
  EXPECT_EQ(m.x(0), 0x88776655u);
  m.set_x(1, D + 6);
  m.run({0x48dffc20 /* ldarh w0, [x1] */});
  EXPECT_EQ(m.x(0), 0x8877u);
  m.run({0x78bfc020 /* ldaprh w0, [x1] */});
  EXPECT_EQ(m.x(0), 0x8877u);
  m.set_x(1, D + 7);
  m.run({0x08dffc20 /* ldarb w0, [x1] */});
  EXPECT_EQ(m.x(0), 0x88u);

  m.set_x(3, 0x0123456789abcdefull);
  m.set_x(1, D + 8);
  m.run({0xc89ffc23 /* stlr x3, [x1] */});
  EXPECT_EQ(m.load<u64>(D + 8), 0x0123456789abcdefu);
  m.store<u64>(D + 8, 0);
  m.run({0x889ffc23 /* stlr w3, [x1] */});
  EXPECT_EQ(m.load<u64>(D + 8), 0x89abcdefu);
  m.set_x(1, D + 12);
  m.run({0x889f7c23 /* stllr w3, [x1] */});
  EXPECT_EQ(m.load<u64>(D + 8), 0x89abcdef89abcdefu);
  m.store<u64>(D + 8, 0);
  m.set_x(1, D + 10);
  m.run({0x489ffc23 /* stlrh w3, [x1] */});
  m.set_x(1, D + 13);
  m.run({0x089ffc23 /* stlrb w3, [x1] */});
  EXPECT_EQ(m.load<u64>(D + 8), 0x0000ef00cdef0000u);

  // Misaligned acquire/release accesses fault, changing nothing.
  m.set_x(0, kJunk);
  m.set_x(1, D + 4);
  expect_fault_kind(m.run({0xc8dffc20 /* ldar x0, [x1] */}), FaultCause::Alignment, Access::Read,
                    D + 4);
  m.set_x(1, D + 1);
  expect_fault_kind(m.run({0x78bfc020 /* ldaprh w0, [x1] */}), FaultCause::Alignment, Access::Read,
                    D + 1);
  m.set_x(1, D + 10);
  expect_fault_kind(m.run({0x889ffc23 /* stlr w3, [x1] */}), FaultCause::Alignment, Access::Write,
                    D + 10);
  EXPECT_EQ(m.x(0), kJunk);
  EXPECT_EQ(m.load<u64>(D + 8), 0x0000ef00cdef0000u);
}

}  // namespace
}  // namespace kvrm::test

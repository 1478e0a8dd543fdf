// Unit tests for the FEAT_LSE atomic memory operations and compare-and-swap (C4.1.88): every
// operation at 32 and 64 bits, the smaller sizes, CAS and CASP, and their faults.
#include <gtest/gtest.h>

#include "machine.hpp"

namespace kvrm::test {
namespace {

constexpr u64 D = Machine::kData + 0x300;  // 16-byte aligned
constexpr u64 kUnmapped = 0x900000;
constexpr u64 kJunk = 0xdeadbeefdeadbeefull;

struct AtomicCase {
  u32 w_insn;  // <op> w1, w2, [x3]
  u32 x_insn;  // <op> x1, x2, [x3]
  u32 w_result;
  u64 x_result;
};

// Old memory value 0x80..01 (negative when signed), operand 3.
constexpr AtomicCase kAtomics[] = {
    {0xb8210062 /* ldadd w1, w2, [x3] */, 0xf8210062 /* ldadd x1, x2, [x3] */, 0x80000004u,
     0x8000000000000004u},
    {0xb8211062 /* ldclr w1, w2, [x3] */, 0xf8211062 /* ldclr x1, x2, [x3] */, 0x80000000u,
     0x8000000000000000u},
    {0xb8212062 /* ldeor w1, w2, [x3] */, 0xf8212062 /* ldeor x1, x2, [x3] */, 0x80000002u,
     0x8000000000000002u},
    {0xb8213062 /* ldset w1, w2, [x3] */, 0xf8213062 /* ldset x1, x2, [x3] */, 0x80000003u,
     0x8000000000000003u},
    {0xb8214062 /* ldsmax w1, w2, [x3] */, 0xf8214062 /* ldsmax x1, x2, [x3] */, 3u, 3u},
    {0xb8215062 /* ldsmin w1, w2, [x3] */, 0xf8215062 /* ldsmin x1, x2, [x3] */, 0x80000001u,
     0x8000000000000001u},
    {0xb8216062 /* ldumax w1, w2, [x3] */, 0xf8216062 /* ldumax x1, x2, [x3] */, 0x80000001u,
     0x8000000000000001u},
    {0xb8217062 /* ldumin w1, w2, [x3] */, 0xf8217062 /* ldumin x1, x2, [x3] */, 3u, 3u},
    {0xb8218062 /* swp w1, w2, [x3] */, 0xf8218062 /* swp x1, x2, [x3] */, 3u, 3u},
};

TEST(LoadStoreAtomic, EveryOperationAt32And64Bits) {
  Machine m;
  m.set_x(3, D);
  for (const AtomicCase& k : kAtomics) {
    // 32 bits: the operand's upper half is ignored, the word above is untouched, and Rt gets the
    // old value zero-extended.
    m.store<u64>(D, 0xcccccccc80000001ull);
    m.set_x(1, 0xffffffff00000003ull);
    m.set_x(2, kJunk);
    EXPECT_EQ(m.run({k.w_insn}).signal, Signal::Checkpoint);
    EXPECT_EQ(m.load<u64>(D), 0xcccccccc00000000ull | k.w_result) << std::hex << k.w_insn;
    EXPECT_EQ(m.x(2), 0x80000001u) << std::hex << k.w_insn;
    EXPECT_EQ(m.x(1), 0xffffffff00000003u);

    m.store<u64>(D, 0x8000000000000001ull);
    m.set_x(1, 3);
    m.set_x(2, kJunk);
    EXPECT_EQ(m.run({k.x_insn}).signal, Signal::Checkpoint);
    EXPECT_EQ(m.load<u64>(D), k.x_result) << std::hex << k.x_insn;
    EXPECT_EQ(m.x(2), 0x8000000000000001u) << std::hex << k.x_insn;
  }
}

TEST(LoadStoreAtomic, SmallSizesAndWrapAround) {
  Machine m;
  m.set_x(3, D);
  m.store<u64>(D, 0xccccccccffffffffull);
  m.set_x(1, 1);
  m.run({0xb8210062 /* ldadd w1, w2, [x3]: wraps at 32 bits */});
  EXPECT_EQ(m.load<u64>(D), 0xcccccccc00000000u);
  EXPECT_EQ(m.x(2), 0xffffffffu);

  m.store<u64>(D, 0xccccccccccccccffull);
  m.set_x(1, 0x102);
  m.run({0x38e10062 /* ldaddalb w1, w2, [x3] */});
  EXPECT_EQ(m.load<u64>(D), 0xcccccccccccccc01u);
  EXPECT_EQ(m.x(2), 0xffu);

  m.store<u64>(D, 0xcccccccccccc8000ull);
  m.set_x(1, 1);
  m.run({0x78214062 /* ldsmaxh w1, w2, [x3]: max(-32768, 1) */});
  EXPECT_EQ(m.load<u64>(D), 0xcccccccccccc0001u);
  EXPECT_EQ(m.x(2), 0x8000u);
  m.store<u64>(D, 0xcccccccccccc7fffull);
  m.set_x(1, 0xffff);
  m.run({0x78214062 /* ldsmaxh w1, w2, [x3]: max(32767, -1) */});
  EXPECT_EQ(m.load<u64>(D), 0xcccccccccccc7fffu);

  m.store<u64>(D, 0xcccccccccccccc01ull);
  m.set_x(1, 0x80);
  m.run({0x38215062 /* ldsminb w1, w2, [x3]: min(1, -128) */});
  EXPECT_EQ(m.load<u64>(D), 0xcccccccccccccc80u);
  m.store<u64>(D, 0xcccccccccccccc01ull);
  m.run({0x38216062 /* ldumaxb w1, w2, [x3]: max(1, 128) */});
  EXPECT_EQ(m.load<u64>(D), 0xcccccccccccccc80u);
  m.store<u64>(D, 0xcccccccccccccc90ull);
  m.run({0x38216062 /* ldumaxb w1, w2, [x3]: max(0x90, 0x80) */});
  EXPECT_EQ(m.load<u64>(D), 0xcccccccccccccc90u);
  EXPECT_EQ(m.x(2), 0x90u);

  m.store<u64>(D, 0xcccccccccccc1234ull);
  m.set_x(1, 0xabcd5678);
  m.run({0x78618062 /* swplh w1, w2, [x3] */});
  EXPECT_EQ(m.load<u64>(D), 0xcccccccccccc5678u);
  EXPECT_EQ(m.x(2), 0x1234u);
}

TEST(LoadStoreAtomic, AliasesSpAndRegisterOverlap) {
  Machine m;
  m.set_x(3, D);
  m.set_x(31, D + 16);
  m.store<u64>(D, 100);
  m.set_x(1, 5);
  m.run({0xf821007f /* stadd x1, [x3] (ldadd x1, xzr, [x3]) */});
  EXPECT_EQ(m.load<u64>(D), 105u);
  EXPECT_EQ(m.x(31), D + 16);
  m.store<u64>(D + 16, 7);
  m.run({0xf8a103e2 /* ldadda x1, x2, [sp] */});
  EXPECT_EQ(m.load<u64>(D + 16), 12u);
  EXPECT_EQ(m.x(2), 7u);
  m.run({0xf8210061 /* ldadd x1, x1, [x3] (Rs == Rt): the operand is read first */});
  EXPECT_EQ(m.load<u64>(D), 110u);
  EXPECT_EQ(m.x(1), 105u);
}

TEST(LoadStoreAtomic, FaultsChangeNothing) {
  Machine m;
  m.store<u64>(D, 0x1111);
  m.store<u64>(D + 8, 0x2222);
  m.set_x(1, 1);
  m.set_x(2, kJunk);
  m.set_x(3, D + 4);
  expect_fault(m.run({0xf8210062 /* ldadd x1, x2, [x3] */}), FaultCause::Alignment, Access::Write,
               D + 4);
  m.set_x(3, D + 2);
  expect_fault(m.run({0xb8218062 /* swp w1, w2, [x3] */}), FaultCause::Alignment, Access::Write,
               D + 2);
  m.set_x(3, D + 1);
  expect_fault(m.run({0x78214062 /* ldsmaxh w1, w2, [x3] */}), FaultCause::Alignment, Access::Write,
               D + 1);
  // Readable but not writable: nothing is read into Rt either.
  m.set_x(3, Machine::kCode + 0x100);
  expect_fault(m.run({0xf8210062 /* ldadd x1, x2, [x3] */}), FaultCause::Permission, Access::Write,
               Machine::kCode + 0x100);
  m.set_x(3, kUnmapped);
  expect_fault(m.run({0xf8218062 /* swp x1, x2, [x3] */}), FaultCause::Unmapped, Access::Read,
               kUnmapped);
  EXPECT_EQ(m.x(2), kJunk);
  EXPECT_EQ(m.load<u64>(D), 0x1111u);
  EXPECT_EQ(m.load<u64>(D + 8), 0x2222u);
}

TEST(LoadStoreAtomic, CompareAndSwap) {
  Machine m;
  m.set_x(2, D);
  m.store<u64>(D, 0x10);
  m.set_x(0, 0x10);
  m.set_x(1, 0x20);
  m.run({0xc8a07c41 /* cas x0, x1, [x2]: equal, stores */});
  EXPECT_EQ(m.load<u64>(D), 0x20u);
  EXPECT_EQ(m.x(0), 0x10u);
  m.set_x(0, 0x11);
  m.set_x(1, 0x30);
  m.run({0xc8a07c41 /* cas x0, x1, [x2]: different, no store */});
  EXPECT_EQ(m.load<u64>(D), 0x20u);
  EXPECT_EQ(m.x(0), 0x20u);

  // The comparison is at the access size; Rs gets the old value zero-extended.
  m.store<u64>(D, 0xcccccccc00000005ull);
  m.set_x(0, 0xffffffff00000005ull);
  m.set_x(1, 0x1234567800000009ull);
  m.run({0x88e0fc41 /* casal w0, w1, [x2] */});
  EXPECT_EQ(m.load<u64>(D), 0xcccccccc00000009u);
  EXPECT_EQ(m.x(0), 5u);
  m.store<u64>(D, 0xcccccccc12cccccc);
  m.set_x(2, D + 3);
  m.set_x(0, 0xffffff12u);
  m.set_x(1, 0x77);
  m.run({0x08a07c41 /* casb w0, w1, [x2] */});
  EXPECT_EQ(m.load<u64>(D), 0xcccccccc77ccccccu);
  EXPECT_EQ(m.x(0), 0x12u);

  // Faults: alignment, and write permission even when the comparison would fail.
  m.set_x(0, kJunk);
  m.set_x(2, D + 1);
  expect_fault(m.run({0x48a07c41 /* cash w0, w1, [x2] */}), FaultCause::Alignment, Access::Write,
               D + 1);
  m.set_x(2, D + 4);
  expect_fault(m.run({0xc8a07c41 /* cas x0, x1, [x2] */}), FaultCause::Alignment, Access::Write,
               D + 4);
  m.set_x(2, Machine::kCode + 0x100);
  expect_fault(m.run({0xc8a07c41 /* cas x0, x1, [x2] */}), FaultCause::Permission, Access::Write,
               Machine::kCode + 0x100);
  EXPECT_EQ(m.x(0), kJunk);
}

TEST(LoadStoreAtomic, CompareAndSwapPair) {
  Machine m;
  m.set_x(2, D);
  m.store<u64>(D, 1);
  m.store<u64>(D + 8, 2);
  m.set_x(0, 1);
  m.set_x(1, 2);
  m.set_x(4, 3);
  m.set_x(5, 4);
  m.run({0x48207c44 /* casp x0, x1, x4, x5, [x2]: equal */});
  EXPECT_EQ(m.load<u64>(D), 3u);
  EXPECT_EQ(m.load<u64>(D + 8), 4u);
  EXPECT_EQ(m.x(0), 1u);
  EXPECT_EQ(m.x(1), 2u);
  m.set_x(0, 3);
  m.set_x(1, 5);
  m.run({0x48207c44 /* casp x0, x1, x4, x5, [x2]: second differs */});
  EXPECT_EQ(m.load<u64>(D), 3u);
  EXPECT_EQ(m.load<u64>(D + 8), 4u);
  EXPECT_EQ(m.x(0), 3u);
  EXPECT_EQ(m.x(1), 4u);

  // Word pairs: 8 bytes, Rs/Rt's element at the lower address.
  m.set_x(2, D + 8);
  m.store<u64>(D + 8, 0x0000000200000001ull);
  m.set_x(0, 0xffffffff00000001ull);
  m.set_x(1, 2);
  m.set_x(4, 7);
  m.set_x(5, 8);
  m.run({0x0860fc44 /* caspal w0, w1, w4, w5, [x2] */});
  EXPECT_EQ(m.load<u64>(D + 8), 0x0000000800000007u);
  EXPECT_EQ(m.x(0), 1u);
  EXPECT_EQ(m.x(1), 2u);

  // Rs = 30: the pair is X30 and XZR; the old second element is discarded, not written to SP.
  m.set_x(31, D + 0x100);
  m.set_x(2, D);
  m.store<u64>(D, 9);
  m.store<u64>(D + 8, 0);
  m.set_x(30, 9);
  m.run({0x483e7c44 /* casp x30, xzr, x4, x5, [x2] */});
  EXPECT_EQ(m.load<u64>(D), 7u);
  EXPECT_EQ(m.load<u64>(D + 8), 8u);
  EXPECT_EQ(m.x(30), 9u);
  EXPECT_EQ(m.x(31), D + 0x100);

  // The pair must be aligned to its whole size; odd registers are UNDEFINED.
  m.set_x(2, D + 8);
  expect_fault(m.run({0x48207c44 /* casp x0, x1, x4, x5, [x2] */}), FaultCause::Alignment,
               Access::Write, D + 8);
  m.set_x(2, D + 4);
  expect_fault(m.run({0x0860fc44 /* caspal w0, w1, w4, w5, [x2] */}), FaultCause::Alignment,
               Access::Write, D + 4);
  for (u32 w : {0x48217c44u /* casp with Rs = 1 */, 0x48207c45u /* casp with Rt = 5 */}) {
    const RunResult r = m.run({w});
    EXPECT_EQ(r.signal, Signal::Undefined) << std::hex << w;
    EXPECT_EQ(r.info.insn, w);
  }
}

}  // namespace
}  // namespace kvrm::test

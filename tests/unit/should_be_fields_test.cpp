// Should-be fields (the Arm ARM's (1)/(0) bits, '+' in isa/a64.inc): words with other values
// there decode to the same instruction and execute exactly as the word with the should-be value,
// as QEMU and Arm's cores do; the should-be fields that QEMU treats as unallocated stay
// UNDEFINED (each word below checked against qemu-aarch64 7.2).
#include <gtest/gtest.h>

#include <cstring>

#include "isa/decoder.hpp"
#include "machine.hpp"

namespace kvrm::test {
namespace {

constexpr u64 D = Machine::kData + 0x400;  // 16-byte aligned

// Bits [lo+4:lo] of w replaced by v.
constexpr u32 with_reg_field(u32 w, int lo, u32 v) { return (w & ~(31u << lo)) | (v << lo); }

struct ShouldBe {
  const char* what;
  Op op;
  u32 word;     // as the Arm ARM writes it: the should-be fields all ones
  int lo[2];    // the 5-bit should-be fields (low bit numbers; -1: none)
  u32 prelude;  // run first (0: nothing), e.g. a load-exclusive arming the monitor
};

// x0 = D (the base register); data registers x9, x10; status register w11.
constexpr ShouldBe kCases[] = {
    {"umulh x9, x1, x2 (Ra)", Op::UMULH, 0x9bc27c29, {10, -1}, 0},
    {"smulh x9, x1, x2 (Ra)", Op::SMULH, 0x9b427c29, {10, -1}, 0},
    {"ldxr x9, [x0] (Rs, Rt2)", Op::LDXR, 0xc85f7c09, {16, 10}, 0},
    {"ldxrb w9, [x0] (Rs, Rt2)", Op::LDXR, 0x085f7c09, {16, 10}, 0},
    {"ldaxr w9, [x0] (Rs, Rt2)", Op::LDAXR, 0x885ffc09, {16, 10}, 0},
    {"stxr w11, x9, [x0] (Rt2)", Op::STXR, 0xc80b7c09, {10, -1}, 0xc85f7c0c},
    {"stlxrh w11, w9, [x0] (Rt2)", Op::STLXR, 0x480bfc09, {10, -1}, 0x485f7c0c},
    {"ldxp x9, x10, [x0] (Rs)", Op::LDXP, 0xc87f2809, {16, -1}, 0},
    {"ldaxp w9, w10, [x0] (Rs)", Op::LDAXP, 0x887fa809, {16, -1}, 0},
    {"ldar x9, [x0] (Rs, Rt2)", Op::LDAR, 0xc8dffc09, {16, 10}, 0},
    {"ldlarh w9, [x0] (Rs, Rt2)", Op::LDLAR, 0x48df7c09, {16, 10}, 0},
    {"stlr x9, [x0] (Rs, Rt2)", Op::STLR, 0xc89ffc09, {16, 10}, 0},
    {"stllrb w9, [x0] (Rs, Rt2)", Op::STLLR, 0x089f7c09, {16, 10}, 0},
};

TEST(ShouldBeFields, EveryValueDecodesToTheSameInstruction) {
  for (const ShouldBe& c : kCases) {
    ASSERT_EQ(decode(c.word), c.op) << c.what;
    for (int f = 0; f < 2 && c.lo[f] >= 0; ++f) {
      for (u32 v = 0; v < 32; ++v) {
        EXPECT_EQ(decode(with_reg_field(c.word, c.lo[f], v)), c.op) << c.what << " = " << v;
      }
    }
  }
}

// A machine in a fixed state: x0 = D, other registers distinct values, distinct data at D.
Machine prepared() {
  Machine m;
  for (int r = 1; r < 31; ++r) m.set_x(r, 0x0123456789abcdefull * static_cast<u64>(r) + 0x1111);
  m.set_x(0, D);
  m.store<u64>(D, 0x8877665544332211ull);
  m.store<u64>(D + 8, 0xffeeddccbbaa9988ull);
  return m;
}

// Runs the case's prelude and word on a prepared machine; returns the state and data after.
struct After {
  RunResult r;
  CoreState s;
  u8 data[16];
};
After run_case(const ShouldBe& c, u32 word) {
  Machine m = prepared();
  After a{};
  a.r = c.prelude ? m.run({c.prelude, word}) : m.run({word});
  a.s = m.e->state();
  m.e->read_memory(D, a.data, sizeof a.data);
  return a;
}

TEST(ShouldBeFields, OtherValuesExecuteLikeTheShouldBeValue) {
  for (const ShouldBe& c : kCases) {
    const After want = run_case(c, c.word);
    ASSERT_EQ(want.r.signal, Signal::Checkpoint) << c.what;
    for (int f = 0; f < 2 && c.lo[f] >= 0; ++f) {
      // 0, a register the instruction uses (x0, x9, x11), one it does not (x5), 30.
      for (u32 v : {0u, 5u, 9u, 11u, 30u}) {
        const u32 w = with_reg_field(c.word, c.lo[f], v);
        const After got = run_case(c, w);
        const std::string what = std::string(c.what) + " = " + std::to_string(v);
        EXPECT_EQ(got.r.signal, Signal::Checkpoint) << what;
        EXPECT_EQ(got.r.pc, want.r.pc) << what;
        for (int r = 0; r < 32; ++r) EXPECT_EQ(got.s.x[r], want.s.x[r]) << what << ": x" << r;
        EXPECT_EQ(got.s.excl_valid, want.s.excl_valid) << what;
        EXPECT_EQ(got.s.excl_addr, want.s.excl_addr) << what;
        EXPECT_EQ(got.s.excl_size, want.s.excl_size) << what;
        EXPECT_EQ(std::memcmp(got.data, want.data, sizeof got.data), 0) << what << ": memory";
      }
    }
  }
}

TEST(ShouldBeFields, DirectedResults) {
  {  // UMULH with Ra = 0: the high half of x1 * x2.
    Machine m;
    m.set_x(1, ~u64{0});
    m.set_x(2, 3);
    m.set_x(0, 77);
    exec(m, with_reg_field(0x9bc27c29, 10, 0));
    EXPECT_EQ(m.x(9), 2u);
    EXPECT_EQ(m.x(0), 77u);
  }
  {  // LDXR with Rs = 5 loads, arms the monitor and leaves x5 alone; STXR with Rt2 = 5 stores
     // Rt, not x5, and succeeds.
    Machine m = prepared();
    const u64 x5 = m.x(5);
    m.set_x(9, 0x1234);
    exec(m, with_reg_field(0xc85f7c0c /* ldxr x12, [x0] */, 16, 5));
    EXPECT_EQ(m.x(12), 0x8877665544332211ull);
    EXPECT_EQ(m.x(5), x5);
    exec(m, with_reg_field(0xc80b7c09 /* stxr w11, x9, [x0] */, 10, 5));
    EXPECT_EQ(m.x(11), 0u);
    EXPECT_EQ(m.load<u64>(D), 0x1234u);
  }
  {  // LDXP with Rs = 0 loads both registers and leaves x0 (the base) alone.
    Machine m = prepared();
    exec(m, with_reg_field(0xc87f2809 /* ldxp x9, x10, [x0] */, 16, 0));
    EXPECT_EQ(m.x(9), 0x8877665544332211ull);
    EXPECT_EQ(m.x(10), 0xffeeddccbbaa9988ull);
    EXPECT_EQ(m.x(0), D);
  }
  {  // STLR and LDAR with Rs = Rt2 = 9.
    Machine m = prepared();
    m.set_x(9, 0xabcdef);
    exec(m, with_reg_field(with_reg_field(0xc89ffc09 /* stlr x9, [x0] */, 16, 9), 10, 9));
    EXPECT_EQ(m.load<u64>(D), 0xabcdefu);
    m.store<u64>(D, 0x5555);
    exec(m, with_reg_field(with_reg_field(0xc8dffc09 /* ldar x9, [x0] */, 16, 9), 10, 9));
    EXPECT_EQ(m.x(9), 0x5555u);
  }
}

// Should-be fields that QEMU treats as unallocated, and real opcode bits next to the should-be
// fields: UNDEFINED.
TEST(ShouldBeFields, UnallocatedInQemuStaysUndefined) {
  constexpr u32 kWords[] = {
      0x38a5c009,  // LDAPRB with Rs = 5
      0xf8a5c009,  // LDAPR with Rs = 5
      0x08ac140a,  // CASB with Rt2 = 5
      0xc8ac140a,  // CAS with Rt2 = 5
      0x082c140a,  // CASP (W) with Rt2 = 5
      0x482c140a,  // CASP (X) with Rt2 = 5
      0xd50331ff,  // SB with CRm = 1
      0xd500411f,  // CFINV with CRm = 1
      0xd500413f,  // XAFLAG with CRm = 1
      0xd500415f,  // AXFLAG with CRm = 1
      0x3a00882d,  // SETF8 with bits 20:15 = 1
      0x3a10482d,  // SETF16 with bits 20:15 = 32
      0x9bc2fc29,  // UMULH with o0 (bit 15) = 1
      0x9b42fc29,  // SMULH with o0 = 1
  };
  for (const u32 w : kWords) {
    EXPECT_EQ(decode(w), Op::UNDEFINED) << std::hex << w;
    Machine m = prepared();
    expect_undefined(m, w);
  }
}

}  // namespace
}  // namespace kvrm::test

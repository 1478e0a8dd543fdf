// Unit tests for the Advanced SIMD structure loads and stores (C4.1.88): LD1-LD4/ST1-ST4
// (multiple structures), LD1-LD4/ST1-ST4 (single structure, one lane) and LD1R-LD4R, with and
// without post-index, register numbers wrapping modulo 32, reserved encodings and faults.
#include <gtest/gtest.h>

#include "isa/decoder.hpp"
#include "machine.hpp"

namespace kvrm::test {
namespace {

constexpr u64 D = Machine::kData + 0x400;  // its low byte is 0: byte D + k holds k (k < 256)
constexpr u64 kEnd = Machine::kData + Machine::kDataSize;
constexpr u64 kJunk = 0xdeadbeefdeadbeefull;

void junk_all(Machine& m) {
  CoreState s = m.e->state();
  for (auto& v : s.v) v = VReg{kJunk, kJunk};
  m.e->set_state(s);
}
// Byte a holds a & 0xff.
void fill(Machine& m, u64 from, u64 to) {
  for (u64 a = from; a < to; ++a) m.store<u8>(a, static_cast<u8>(a));
}
// The little-endian value of `bytes` bytes at a under fill()'s pattern.
u64 pattern(u64 a, int bytes) {
  u64 v = 0;
  for (int b = bytes - 1; b >= 0; --b) v = (v << 8) | ((a + static_cast<u64>(b)) & 0xff);
  return v;
}
void put(VReg& v, int index, int ebytes, u64 x) {
  u8 raw[16];
  memcpy(raw, &v.lo, 8);
  memcpy(raw + 8, &v.hi, 8);
  memcpy(raw + index * ebytes, &x, static_cast<size_t>(ebytes));
  memcpy(&v.lo, raw, 8);
  memcpy(&v.hi, raw + 8, 8);
}
// Expected register `s` of an interleaved load of `selem` registers at base (pattern memory).
VReg deinterleaved(u64 base, int s, int selem, int ebytes, bool q) {
  VReg v{};
  const int elements = (q ? 16 : 8) / ebytes;
  for (int e = 0; e < elements; ++e) {
    put(v, e, ebytes, pattern(base + static_cast<u64>((e * selem + s) * ebytes), ebytes));
  }
  return v;
}
void run1(Machine& m, u32 insn) {
  EXPECT_EQ(m.run({insn}).signal, Signal::Checkpoint) << std::hex << insn;
}
void expect_fault(const RunResult& r, Access access, u64 addr) {
  EXPECT_EQ(r.signal, Signal::Fault);
  EXPECT_EQ(r.info.cause, FaultCause::Unmapped);
  EXPECT_EQ(r.info.access, access);
  EXPECT_EQ(r.info.fault_addr, addr);
  EXPECT_EQ(r.pc, Machine::kCode);
}

TEST(SimdLoadStoreStruct, Decode) {
  EXPECT_EQ(decode(0x4c407020), Op::LD1_mult1);           // ld1 {v0.16b}, [x1]
  EXPECT_EQ(decode(0x4c40203e), Op::LD1_mult4);           // ld1 {v30.16b-v1.16b}, [x1]
  EXPECT_EQ(decode(0x0cdf6825), Op::LD1_mult3_postidx);   // ld1 {v5.2s-v7.2s}, [x1], #24
  EXPECT_EQ(decode(0x4c000420), Op::ST4_mult);            // st4 {v0.8h-v3.8h}, [x1]
  EXPECT_EQ(decode(0x4d401c20), Op::LD1_single);          // ld1 {v0.b}[15], [x1]
  EXPECT_EQ(decode(0x0d60a43e), Op::LD4_single);          // ld4 {v30.d-v1.d}[0], [x1]
  EXPECT_EQ(decode(0x4d82a020), Op::ST3_single_postidx);  // st3 {v0.s-v2.s}[2], [x1], x2
  EXPECT_EQ(decode(0x0d40c020), Op::LD1R);                // ld1r {v0.8b}, [x1]
  EXPECT_EQ(decode(0x4de2e020), Op::LD4R_postidx);        // ld4r {v0.16b-v3.16b}, [x1], x2
}

TEST(SimdLoadStoreStruct, LoadMultipleOneElementStructures) {
  Machine m;
  fill(m, D - 0x100, D + 0x100);
  junk_all(m);
  m.set_x(1, D);
  run1(m, 0x4c407020 /* ld1 {v0.16b}, [x1] */);
  expect_v(m, 0, 0x0706050403020100ull, 0x0f0e0d0c0b0a0908ull);
  EXPECT_EQ(m.x(1), D);

  // Four registers wrapping from V30 to V1.
  run1(m, 0x4c40203e /* ld1 {v30.16b, v31.16b, v0.16b, v1.16b}, [x1] */);
  expect_v(m, 30, 0x0706050403020100ull, 0x0f0e0d0c0b0a0908ull);
  expect_v(m, 31, 0x1716151413121110ull, 0x1f1e1d1c1b1a1918ull);
  expect_v(m, 0, 0x2726252423222120ull, 0x2f2e2d2c2b2a2928ull);
  expect_v(m, 1, 0x3736353433323130ull, 0x3f3e3d3c3b3a3938ull);
  expect_v(m, 2, kJunk, kJunk);

  // 64-bit vectors zero the upper halves.
  run1(m, 0x0c40a420 /* ld1 {v0.4h, v1.4h}, [x1] */);
  expect_v(m, 0, 0x0706050403020100ull, 0);
  expect_v(m, 1, 0x0f0e0d0c0b0a0908ull, 0);

  run1(m, 0x0cdf6825 /* ld1 {v5.2s, v6.2s, v7.2s}, [x1], #24 */);
  expect_v(m, 5, 0x0706050403020100ull, 0);
  expect_v(m, 7, 0x1716151413121110ull, 0);
  EXPECT_EQ(m.x(1), D + 24);

  m.set_x(2, static_cast<u64>(-40));
  run1(m, 0x0cc27c20 /* ld1 {v0.1d}, [x1], x2 */);
  expect_v(m, 0, 0x1f1e1d1c1b1a1918ull, 0);
  EXPECT_EQ(m.x(1), D - 16);

  m.set_x(31, D + 0x40);
  run1(m, 0x4cdfafe0 /* ld1 {v0.2d, v1.2d}, [sp], #32 */);
  expect_v(m, 1, 0x5756555453525150ull, 0x5f5e5d5c5b5a5958ull);
  EXPECT_EQ(m.x(31), D + 0x60);
}

TEST(SimdLoadStoreStruct, LoadMultipleInterleaved) {
  Machine m;
  fill(m, D - 0x100, D + 0x100);
  junk_all(m);
  m.set_x(1, D);
  run1(m, 0x4c408420 /* ld2 {v0.8h, v1.8h}, [x1] */);
  expect_v(m, 0, 0x0d0c090805040100ull, 0x1d1c191815141110ull);
  expect_v(m, 1, 0x0f0e0b0a07060302ull, 0x1f1e1b1a17161312ull);

  run1(m, 0x4cdf4820 /* ld3 {v0.4s, v1.4s, v2.4s}, [x1], #48 */);
  expect_v(m, 0, 0x0f0e0d0c03020100ull, 0x272625241b1a1918ull);
  for (int s = 0; s < 3; ++s) {
    const VReg w = deinterleaved(D, s, 3, 4, true);
    expect_v(m, s, w.lo, w.hi);
  }
  EXPECT_EQ(m.x(1), D + 48);

  m.set_x(1, D);
  run1(m, 0x0c400020 /* ld4 {v0.8b, v1.8b, v2.8b, v3.8b}, [x1] */);
  expect_v(m, 0, 0x1c1814100c080400ull, 0);
  expect_v(m, 3, 0x1f1b17130f0b0703ull, 0);

  m.set_x(2, 0x100);
  run1(m, 0x4cc20c3f /* ld4 {v31.2d, v0.2d, v1.2d, v2.2d}, [x1], x2 */);
  expect_v(m, 31, 0x0706050403020100ull, 0x2726252423222120ull);
  expect_v(m, 0, 0x0f0e0d0c0b0a0908ull, 0x2f2e2d2c2b2a2928ull);
  expect_v(m, 2, 0x1f1e1d1c1b1a1918ull, 0x3f3e3d3c3b3a3938ull);
  EXPECT_EQ(m.x(1), D + 0x100);
}

TEST(SimdLoadStoreStruct, StoreMultiple) {
  Machine m;
  fill(m, D, D + 0x100);
  // Load four interleaved registers, store them back elsewhere: the same 64 bytes.
  m.set_x(1, D);
  run1(m, 0x4c400420 /* ld4 {v0.8h, v1.8h, v2.8h, v3.8h}, [x1] */);
  m.set_x(1, D + 0x200);
  run1(m, 0x4c000420 /* st4 {v0.8h, v1.8h, v2.8h, v3.8h}, [x1] */);
  for (int k = 0; k < 64; k += 8) EXPECT_EQ(m.load<u64>(D + 0x200 + k), pattern(D + k, 8));
  EXPECT_EQ(m.load<u64>(D + 0x240), 0u);

  set_v(m, 0, 0x0706050403020100ull, 0x0f0e0d0c0b0a0908ull);
  set_v(m, 1, 0x1716151413121110ull, 0x1f1e1d1c1b1a1918ull);
  set_v(m, 2, 0x2726252423222120ull, 0x2f2e2d2c2b2a2928ull);
  set_v(m, 3, 0x3736353433323130ull, 0x3f3e3d3c3b3a3938ull);
  m.set_x(1, D + 0x300);
  run1(m, 0x4c007020 /* st1 {v0.16b}, [x1] */);
  EXPECT_EQ(m.load<u64>(D + 0x308), 0x0f0e0d0c0b0a0908ull);
  run1(m, 0x0c9f2c20 /* st1 {v0.1d, v1.1d, v2.1d, v3.1d}, [x1], #32 */);
  EXPECT_EQ(m.load<u64>(D + 0x300), 0x0706050403020100ull);
  EXPECT_EQ(m.load<u64>(D + 0x308), 0x1716151413121110ull);
  EXPECT_EQ(m.load<u64>(D + 0x318), 0x3736353433323130ull);
  EXPECT_EQ(m.x(1), D + 0x320);
  run1(m, 0x4c9f8820 /* st2 {v0.4s, v1.4s}, [x1], #32 */);
  EXPECT_EQ(m.load<u64>(D + 0x320), 0x1312111003020100ull);
  EXPECT_EQ(m.load<u64>(D + 0x338), 0x1f1e1d1c0f0e0d0cull);
  EXPECT_EQ(m.x(1), D + 0x340);
  m.store<u64>(D + 0x358, ~u64{0});
  run1(m, 0x0c004020 /* st3 {v0.8b, v1.8b, v2.8b}, [x1] */);
  EXPECT_EQ(m.load<u64>(D + 0x340), 0x1202211101201000ull);
  EXPECT_EQ(m.load<u64>(D + 0x350), 0x2717072616062515ull);
  EXPECT_EQ(m.load<u64>(D + 0x358), ~u64{0});
}

TEST(SimdLoadStoreStruct, SingleLanes) {
  Machine m;
  fill(m, D - 0x100, D + 0x100);
  junk_all(m);
  m.set_x(1, D + 0x10);
  run1(m, 0x4d401c20 /* ld1 {v0.b}[15], [x1] */);
  expect_v(m, 0, kJunk, 0x10adbeefdeadbeefull);
  run1(m, 0x4ddf4820 /* ld1 {v0.h}[5], [x1], #2 */);
  expect_v(m, 0, kJunk, 0x10adbeef1110beefull);
  EXPECT_EQ(m.x(1), D + 0x12);
  run1(m, 0x4d409020 /* ld1 {v0.s}[3], [x1] */);
  expect_v(m, 0, kJunk, 0x151413121110beefull);
  m.set_x(2, 6);
  run1(m, 0x4dc28420 /* ld1 {v0.d}[1], [x1], x2 */);
  expect_v(m, 0, kJunk, 0x1918171615141312ull);
  EXPECT_EQ(m.x(1), D + 0x18);

  // A lane load with Q = 0 keeps the upper half (the whole register is read and written).
  run1(m, 0x0d609020 /* ld2 {v0.s, v1.s}[1], [x1] */);
  expect_v(m, 0, 0x1b1a1918deadbeefull, 0x1918171615141312ull);
  expect_v(m, 1, 0x1f1e1d1cdeadbeefull, kJunk);
  run1(m, 0x4ddf7020 /* ld3 {v0.h, v1.h, v2.h}[6], [x1], #6 */);
  expect_v(m, 1, 0x1f1e1d1cdeadbeefull, 0xdead1b1adeadbeefull);
  expect_v(m, 2, kJunk, 0xdead1d1cdeadbeefull);
  EXPECT_EQ(m.x(1), D + 0x1e);
  run1(m, 0x0d60a43e /* ld4 {v30.d, v31.d, v0.d, v1.d}[0], [x1] */);
  expect_v(m, 30, 0x2524232221201f1eull, kJunk);
  expect_v(m, 1, 0x3d3c3b3a39383736ull, 0xdead1b1adeadbeefull);

  set_v(m, 0, 0x0706050403020100ull, 0x0f0e0d0c0b0a0908ull);
  set_v(m, 1, 0x1716151413121110ull, 0x1f1e1d1c1b1a1918ull);
  set_v(m, 2, 0x2726252423222120ull, 0x2f2e2d2c2b2a2928ull);
  set_v(m, 3, 0x3736353433323130ull, 0x3f3e3d3c3b3a3938ull);
  for (u64 a = D + 0x200; a < D + 0x240; a += 8) m.store<u64>(a, 0);
  m.set_x(1, D + 0x200);
  run1(m, 0x4d9f0420 /* st1 {v0.b}[9], [x1], #1 */);
  EXPECT_EQ(m.load<u64>(D + 0x200), 0x09u);
  EXPECT_EQ(m.x(1), D + 0x201);
  run1(m, 0x4d208420 /* st2 {v0.d, v1.d}[1], [x1] */);
  EXPECT_EQ(m.load<u64>(D + 0x201), 0x0f0e0d0c0b0a0908ull);
  EXPECT_EQ(m.load<u64>(D + 0x209), 0x1f1e1d1c1b1a1918ull);
  m.set_x(1, D + 0x220);
  m.set_x(2, 0x10);
  run1(m, 0x4d82a020 /* st3 {v0.s, v1.s, v2.s}[2], [x1], x2 */);
  EXPECT_EQ(m.load<u64>(D + 0x220), 0x1b1a19180b0a0908ull);
  EXPECT_EQ(m.load<u64>(D + 0x228), 0x2b2a2928u);
  EXPECT_EQ(m.x(1), D + 0x230);
  run1(m, 0x0d207820 /* st4 {v0.h, v1.h, v2.h, v3.h}[3], [x1] */);
  EXPECT_EQ(m.load<u64>(D + 0x230), 0x3736272617160706ull);
}

TEST(SimdLoadStoreStruct, Replicate) {
  Machine m;
  fill(m, D - 0x100, D + 0x100);
  junk_all(m);
  m.set_x(1, D + 0x40);
  run1(m, 0x0d40c020 /* ld1r {v0.8b}, [x1] */);
  expect_v(m, 0, 0x4040404040404040ull, 0);
  run1(m, 0x4ddfc420 /* ld1r {v0.8h}, [x1], #2 */);
  expect_v(m, 0, 0x4140414041404140ull, 0x4140414041404140ull);
  EXPECT_EQ(m.x(1), D + 0x42);
  run1(m, 0x4d60c820 /* ld2r {v0.4s, v1.4s}, [x1] */);
  expect_v(m, 0, 0x4544434245444342ull, 0x4544434245444342ull);
  expect_v(m, 1, 0x4948474649484746ull, 0x4948474649484746ull);
  run1(m, 0x0ddfec20 /* ld3r {v0.1d, v1.1d, v2.1d}, [x1], #24 */);
  expect_v(m, 0, 0x4948474645444342ull, 0);
  expect_v(m, 2, 0x5958575655545352ull, 0);
  EXPECT_EQ(m.x(1), D + 0x5a);
  m.set_x(2, static_cast<u64>(-0x5a));
  run1(m, 0x4de2e020 /* ld4r {v0.16b, v1.16b, v2.16b, v3.16b}, [x1], x2 */);
  expect_v(m, 0, 0x5a5a5a5a5a5a5a5aull, 0x5a5a5a5a5a5a5a5aull);
  expect_v(m, 3, 0x5d5d5d5d5d5d5d5dull, 0x5d5d5d5d5d5d5d5dull);
  EXPECT_EQ(m.x(1), D);
}

TEST(SimdLoadStoreStruct, Unallocated) {
  Machine m;
  expect_undefined(m, 0x0c408c20);  // ld2 {v0.1d, v1.1d}: 1D only for LD1/ST1
  expect_undefined(m, 0x0c004c20);  // st3 .1d
  expect_undefined(m, 0x0cdf0c20);  // ld4 .1d, post-index
  expect_undefined(m, 0x0c401020);  // multiple structures, opcode 0001
  expect_undefined(m, 0x0c417020);  // ld1 multiple, no-offset form with bits 20:16 != 0
  expect_undefined(m, 0x0d404420);  // ld1 {h}: size<0> = 1
  expect_undefined(m, 0x0d408820);  // ld1 {s}: size = 10
  expect_undefined(m, 0x0d409420);  // ld1 {d} with S = 1
  expect_undefined(m, 0x0d00c020);  // st1 single with opcode 110
  expect_undefined(m, 0x0d40d020);  // opcode 110 with S = 1
  expect_undefined(m, 0x0ddf4c20);  // ld1 {h}, post-index, size = 11
}

TEST(SimdLoadStoreStruct, Faults) {
  Machine m;
  fill(m, kEnd - 0x40, kEnd);
  junk_all(m);
  // A load whose last element faults changes no register and no base.
  m.set_x(1, kEnd - 63);
  expect_fault(m.run({0x4cdf0020 /* ld4 {v0.16b-v3.16b}, [x1], #64 */}), Access::Read, kEnd);
  for (int r = 0; r < 4; ++r) expect_v(m, r, kJunk, kJunk);
  EXPECT_EQ(m.x(1), kEnd - 63);
  m.set_x(1, kEnd - 1);
  expect_fault(m.run({0x4d60c820 /* ld2r {v0.4s, v1.4s}, [x1] */}), Access::Read, kEnd);
  expect_fault(m.run({0x0d609020 /* ld2 {v0.s, v1.s}[1], [x1] */}), Access::Read, kEnd);
  expect_v(m, 0, kJunk, kJunk);

  // A store writes its elements in order up to the fault.
  set_v(m, 0, 0x0706050403020100ull, 0x0f0e0d0c0b0a0908ull);
  for (u64 a = kEnd - 8; a < kEnd; ++a) m.store<u8>(a, 0xaa);
  m.set_x(1, kEnd - 4);
  expect_fault(m.run({0x4c9f7020 /* st1 {v0.16b}, [x1], #16 */}), Access::Write, kEnd);
  EXPECT_EQ(m.load<u64>(kEnd - 8), 0x03020100aaaaaaaaull);
  EXPECT_EQ(m.x(1), kEnd - 4);
}

}  // namespace
}  // namespace kvrm::test

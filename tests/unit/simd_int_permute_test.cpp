// Unit tests for Advanced SIMD table lookup (TBL, TBX), permute (ZIP, UZP, TRN) and extract
// (EXT), on the reference engine.
#include <gtest/gtest.h>

#include "machine.hpp"

namespace kvrm::test {
namespace {

// V1 holds bytes 0x00 .. 0x0f, V2 bytes 0x10 .. 0x1f.
void setup(Machine& m) {
  set_v(m, 1, 0x0706050403020100ull, 0x0f0e0d0c0b0a0908ull);
  set_v(m, 2, 0x1716151413121110ull, 0x1f1e1d1c1b1a1918ull);
}

TEST(SimdTableLookup, TblTbx) {
  Machine m;
  setup(m);
  set_v(m, 3, 0x110f05ff20101f00ull, 0x0102030405060708ull);
  exec(m, 0x4e032020 /* tbl v0.16b, {v1.16b, v2.16b}, v3.16b: out of range gives 0 */);
  EXPECT_V(m, 0, 0x110f050000101f00ull, 0x0102030405060708ull);
  set_v(m, 0, 0xaaaaaaaaaaaaaaaaull, 0xaaaaaaaaaaaaaaaaull);
  exec(m, 0x0e031020 /* tbx v0.8b, {v1.16b}, v3.8b: out of range keeps Vd */);
  EXPECT_V(m, 0, 0xaa0f05aaaaaaaa00ull, 0);
}

TEST(SimdPermute, ZipUzpTrn) {
  Machine m;
  setup(m);
  exec(m, 0x4e423820 /* zip1 v0.8h, v1.8h, v2.8h */);
  EXPECT_V(m, 0, 0x1312030211100100ull, 0x1716070615140504ull);
  exec(m, 0x4e825820 /* uzp2 v0.4s, v1.4s, v2.4s */);
  EXPECT_V(m, 0, 0x0f0e0d0c07060504ull, 0x1f1e1d1c17161514ull);
  exec(m, 0x4e022820 /* trn1 v0.16b, v1.16b, v2.16b */);
  EXPECT_V(m, 0, 0x1606140412021000ull, 0x1e0e1c0c1a0a1808ull);
  expect_undefined(m, 0x0ec23820 /* zip1 v0.1d: reserved */);
}

TEST(SimdExtract, Ext) {
  Machine m;
  setup(m);
  exec(m, 0x6e026820 /* ext v0.16b, v1.16b, v2.16b, #13 */);
  EXPECT_V(m, 0, 0x14131211100f0e0dull, 0x1c1b1a1918171615ull);
  expect_undefined(m, 0x2e024020 /* ext v0.8b with imm4 = 8: reserved */);
}

}  // namespace
}  // namespace kvrm::test

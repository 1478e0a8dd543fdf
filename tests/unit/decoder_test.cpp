// Decoder tests: the table parses, no entry is shadowed by a more specific or earlier one, each
// entry decodes its own encodings, and decoding agrees with a plain linear scan of the table.
#include <gtest/gtest.h>

#include <random>

#include "isa/decoder.hpp"

namespace kvrm {
namespace {

// Entry j shadows entry i when every word matching i also matches j and j is tried first.
TEST(Decoder, NoEntryIsShadowed) {
  for (u32 k = 0; k + 1 < kOpCount; ++k) {
    const u32 i = detail::kOrder.op[k];
    for (u32 m = 0; m < k; ++m) {
      const u32 j = detail::kOrder.op[m];
      const Encoding& a = kEncodings[i];
      const Encoding& b = kEncodings[j];
      const bool covers = (b.mask & ~a.mask) == 0 && (a.value & b.mask) == b.value;
      EXPECT_FALSE(covers) << kOpNames[i] << " is shadowed by " << kOpNames[j];
    }
  }
}

TEST(Decoder, EveryEntryDecodesItsOwnEncodings) {
  std::mt19937 rng(1);
  for (u32 op = 1; op < kOpCount; ++op) {
    const Encoding& e = kEncodings[op];
    for (int t = 0; t < 64; ++t) {
      const u32 w = e.value | (static_cast<u32>(rng()) & ~e.mask);
      const Op got = decode(w);
      // Another entry may win only if it is more specific and matches this word as well.
      if (got != static_cast<Op>(op)) {
        const Encoding& g = kEncodings[static_cast<u32>(got)];
        ASSERT_NE(got, Op::UNDEFINED) << kOpNames[op] << " word " << std::hex << w;
        EXPECT_EQ(w & g.mask, g.value);
        EXPECT_GT(__builtin_popcount(g.mask), __builtin_popcount(e.mask))
            << kOpNames[op] << " lost to " << kOpNames[static_cast<u32>(got)];
      }
    }
    // The all-fields-zero and all-fields-one words of each entry decode to it or to a more
    // specific entry; at least one random word must reach the entry itself.
    bool reached = false;
    for (int t = 0; t < 4096 && !reached; ++t) {
      reached = decode(e.value | (static_cast<u32>(rng()) & ~e.mask)) == static_cast<Op>(op);
    }
    EXPECT_TRUE(reached) << kOpNames[op] << " is never decoded";
  }
}

TEST(Decoder, AgreesWithLinearScan) {
  std::mt19937 rng(2);
  for (int t = 0; t < 200000; ++t) {
    const u32 w = static_cast<u32>(rng());
    Op want = Op::UNDEFINED;
    for (u32 k = 0; k + 1 < kOpCount; ++k) {
      const u32 op = detail::kOrder.op[k];
      if ((w & kEncodings[op].mask) == kEncodings[op].value) {
        want = static_cast<Op>(op);
        break;
      }
    }
    ASSERT_EQ(decode(w), want) << std::hex << w;
  }
}

TEST(Decoder, KnownWords) {
  EXPECT_EQ(decode(0x91000421), Op::ADD_imm);    // add x1, x1, #1
  EXPECT_EQ(decode(0x14000000), Op::B);          // b .
  EXPECT_EQ(decode(0xd4000001), Op::SVC);        // svc #0
  EXPECT_EQ(decode(0xd4400000), Op::HLT);        // hlt #0
  EXPECT_EQ(decode(0xd503201f), Op::HINT);       // nop
  EXPECT_EQ(decode(0xf9000020), Op::STR_uoff);   // str x0, [x1]
  EXPECT_EQ(decode(0x00000000), Op::UNDEFINED);  // udf #0
}

}  // namespace
}  // namespace kvrm

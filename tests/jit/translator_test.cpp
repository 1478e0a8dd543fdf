// The block translator without a GPU: block discovery, and translated code (the module's source
// compiled by the host's C++ compiler) against the reference loop on random programs, at
// random budgets and poll intervals, with SVCs, faults, stop requests and untranslated code in
// between; and, where NVRTC is installed, the same source compiled and linked for the GPU.
#include <gtest/gtest.h>

#include <algorithm>
#include <cstdlib>
#include <cstring>
#include <filesystem>
#include <fstream>
#include <iterator>
#include <random>

#include "core/error.hpp"
#include "jit_host.hpp"

#if defined(KVRM_HAVE_CUDA)
#include "jit/compiler.hpp"
#endif

namespace kvrm::test {
namespace {

using namespace a64;

TEST(JitEncodings, DecodeAsIntended) {
  EXPECT_EQ(decode(movz(1, 5)), Op::MOVZ);
  EXPECT_EQ(decode(add_imm(1, 2, 3)), Op::ADD_imm);
  EXPECT_EQ(decode(subs_imm(1, 2, 3)), Op::SUBS_imm);
  EXPECT_EQ(decode(reg3(kEorReg, 1, 2, 3, 1, 5)), Op::EOR_shift);
  EXPECT_EQ(decode(reg3(kSubsReg, 1, 2, 3)), Op::SUBS_shift);
  EXPECT_EQ(decode(madd(1, 2, 3, 4)), Op::MADD);
  EXPECT_EQ(decode(csel(1, 2, 3, 4)), Op::CSEL);
  EXPECT_EQ(decode(lslv(1, 2, 3)), Op::LSLV);
  EXPECT_EQ(decode(udiv(1, 2, 3)), Op::UDIV);
  EXPECT_EQ(decode(ldr(1, 2, 8)), Op::LDR_uoff);
  EXPECT_EQ(decode(strb(1, 2, 8)), Op::STR_uoff);
  EXPECT_EQ(decode(stp(1, 2, 3, -16)), Op::STP_off);
  EXPECT_EQ(decode(b(-8)), Op::B);
  EXPECT_EQ(decode(bl(8)), Op::BL);
  EXPECT_EQ(decode(b_cond(1, -8)), Op::B_cond);
  EXPECT_EQ(decode(cbz(1, 8)), Op::CBZ);
  EXPECT_EQ(decode(tbnz(1, 40, 8)), Op::TBNZ);
  EXPECT_EQ(decode(blr(3)), Op::BLR);
  EXPECT_EQ(decode(kRet), Op::RET);
  EXPECT_EQ(decode(fmov_to_d(0, 1)), Op::FMOV_from_gen);
  EXPECT_EQ(decode(fadd_d(0, 1, 2)), Op::FADD_scalar);
  EXPECT_EQ(decode(add_2d(0, 1, 2)), Op::ADD_vector);
  EXPECT_EQ(decode(fmov_from_d(0, 1)), Op::FMOV_to_gen);
  EXPECT_EQ(decode(adr(1, -128)), Op::ADR);
}

// ---- Block discovery -------------------------------------------------------------------------

struct Code {
  World w;
  explicit Code(u64 at, const std::vector<u32>& words, u8 perms = kPermRead | kPermExec,
                u64 size = 0x2000) {
    w.mem.map(at, size, perms);
    w.mem.write(at, words.data(), words.size() * 4);
  }
};

TEST(JitTranslator, LimitsFromTheEnvironment) {
  const jit::TranslatorLimits d = jit::host_limits();
  ::setenv("KVRM_JIT_LIMITS", "region_weight=400,max_block=32", 1);
  const jit::TranslatorLimits l = jit::host_limits();
  EXPECT_EQ(l.region_weight, 400u);
  EXPECT_EQ(l.max_block, 32u);
  EXPECT_EQ(l.part_weight, d.part_weight);
  for (const char* bad : {"region_weight", "region_weight=", "weight=4", "region_weight=4x",
                          "region_weight=0", "max_block=65"}) {
    ::setenv("KVRM_JIT_LIMITS", bad, 1);
    EXPECT_THROW(jit::host_limits(), Error) << bad;
  }
  ::unsetenv("KVRM_JIT_LIMITS");
}

TEST(JitTranslator, BlocksEndAtBranchesAndFollowDirectSuccessors) {
  const u64 at = 0x10000;
  Code c(at, {add_imm(0, 0, 1), b_cond(0, 12), add_imm(1, 1, 1), kRet, add_imm(2, 2, 1), b(-12)});
  const u64 entry = at;
  const jit::Translation t = jit::translate(std::span(&entry, 1), c.w.reader());
  ASSERT_EQ(t.blocks.size(), 3u);
  EXPECT_EQ(t.blocks[0].pc, at);  // add, b.eq
  EXPECT_EQ(t.blocks[0].end, jit::BlockEnd::Conditional);
  EXPECT_EQ(t.blocks[0].target, at + 16);
  EXPECT_EQ(t.blocks[1].pc, at + 8);  // add, ret
  EXPECT_EQ(t.blocks[1].end, jit::BlockEnd::Indirect);
  EXPECT_EQ(t.blocks[2].pc, at + 16);  // add, b back into the first block's fall-through
  EXPECT_EQ(t.blocks[2].end, jit::BlockEnd::Direct);
  EXPECT_EQ(t.instructions, 6u);
  EXPECT_EQ(t.pages.size(), 1u);
  EXPECT_TRUE(t.touches(at + 0xfff, 1));
  EXPECT_FALSE(t.touches(at + 0x1000, 0x1000));
  ASSERT_FALSE(t.sources.empty());
  EXPECT_NE(t.sources.back().find("ADD_imm"), std::string::npos);
}

TEST(JitTranslator, WritableOrUnmappedCodeAndUndefinedWordsAreLeftToTheInterpreter) {
  const u64 at = 0x20000;
  {
    Code c(at, {add_imm(0, 0, 1), kRet}, kPermRead | kPermWrite | kPermExec);
    const u64 entry = at;
    EXPECT_TRUE(jit::translate(std::span(&entry, 1), c.w.reader()).blocks.empty());
  }
  {
    Code c(at, {add_imm(0, 0, 1), kRet}, kPermRead);  // not executable
    const u64 entry = at;
    EXPECT_TRUE(jit::translate(std::span(&entry, 1), c.w.reader()).blocks.empty());
  }
  {
    Code c(at, {add_imm(0, 0, 1), add_imm(0, 0, 1), kUdf});
    const u64 entries[] = {at, at + 8, 0x900000 /* unmapped */, at + 2 /* misaligned */};
    const jit::Translation t = jit::translate(entries, c.w.reader());
    ASSERT_EQ(t.blocks.size(), 1u);  // the UDF word starts no block and ends the first
    EXPECT_EQ(t.blocks[0].words.size(), 2u);
    EXPECT_EQ(t.blocks[0].end, jit::BlockEnd::Fallthrough);
  }
}

TEST(JitTranslator, BlocksStopAtPageEndsAndLimits) {
  const u64 at = 0x30000;
  std::vector<u32> words(1024 + 8, add_imm(0, 0, 1));
  words.back() = kRet;
  Code c(at, words);
  const u64 entry = at + 0xff0;  // 4 instructions before the page end
  jit::TranslatorLimits lim;
  lim.max_block = 64;
  jit::Translation t = jit::translate(std::span(&entry, 1), c.w.reader(), lim);
  ASSERT_EQ(t.blocks.size(), 2u);
  EXPECT_EQ(t.blocks[0].words.size(), 4u);  // cut at the page end, falls through
  EXPECT_EQ(t.blocks[0].end, jit::BlockEnd::Fallthrough);
  EXPECT_EQ(t.blocks[1].pc, at + 0x1000);
  EXPECT_EQ(t.blocks[1].words.size(), 8u);
  EXPECT_EQ(t.pages.size(), 2u);

  const u64 start = at;
  lim.max_block = 16;
  lim.max_instructions = 40;
  t = jit::translate(std::span(&start, 1), c.w.reader(), lim);
  EXPECT_EQ(t.instructions, 40u);
  for (const auto& b : t.blocks) EXPECT_LE(b.words.size(), 16u);
  lim.follow_depth = 0;
  lim.max_instructions = 8192;
  t = jit::translate(std::span(&start, 1), c.w.reader(), lim);
  EXPECT_EQ(t.blocks.size(), 1u);
}

TEST(JitTranslator, HotTargetsLeftOutOfAFullRoundComeInTheNext) {
  const u64 at = 0x40000, writable = 0x50000;
  std::vector<u32> words;
  for (int f = 0; f < 16; ++f) {  // 16 functions of 15 adds and a ret, 64 bytes apart
    for (int k = 0; k < 15; ++k) words.push_back(add_imm(0, 0, 1));
    words.push_back(kRet);
  }
  Code c(at, words);
  c.w.mem.map(writable, 0x1000, kPermRead | kPermWrite | kPermExec);
  jit::Translator t({.round_instructions = 40});
  jit::HotTargets hot;
  for (int f = 0; f < 16; ++f) EXPECT_TRUE(hot.add(at + 64 * f));
  EXPECT_FALSE(hot.add(at));
  EXPECT_TRUE(hot.add(writable));
  int rounds = 0;
  while (hot.pending()) {
    if (hot.translate_round(t, c.w.reader()) > 0) ++rounds;
    ASSERT_LT(rounds, 100);
  }
  EXPECT_GE(rounds, 6);  // 16 x 16 instructions at most 40 a round (blocks cut at 40 end early)
  for (int f = 0; f < 16; ++f) EXPECT_TRUE(t.has_block(at + 64 * f)) << f;
  EXPECT_FALSE(t.has_block(writable));
  EXPECT_EQ(hot.size(), 17u);
  // The writable page made read/execute: the dropped target is tried again.
  c.w.mem.protect(writable, 0x1000, kPermRead | kPermExec);
  c.w.mem.write(writable, words.data(), 64);
  EXPECT_FALSE(hot.pending());
  hot.forget(writable, 0x1000);
  EXPECT_TRUE(hot.pending());
  EXPECT_GT(hot.translate_round(t, c.w.reader()), 0u);
  EXPECT_TRUE(t.has_block(writable));
  // A translator with no room left drops what it cannot add rather than retrying every round.
  jit::Translator small({.max_instructions = 20, .round_instructions = 40});
  jit::HotTargets later;
  for (int f = 0; f < 4; ++f) later.add(at + 64 * f);
  EXPECT_GT(later.translate_round(small, c.w.reader()), 0u);
  EXPECT_TRUE(later.pending());  // that round was full
  EXPECT_EQ(later.translate_round(small, c.w.reader()), 0u);
  EXPECT_FALSE(later.pending());
  EXPECT_FALSE(small.has_block(at + 64 * 3));
}

// ---- Translated code against the reference loop ------------------------------------------------

struct Fleet {
  std::vector<Program> programs;
  std::vector<u64> seeds;
};

Fleet make_fleet(u64 seed, int n) {
  std::mt19937_64 rng(seed);
  Fleet f;
  for (int i = 0; i < n; ++i) {
    f.programs.push_back(random_program(rng, kProgCode + u64(i) * kProgStride, i % 3 == 0));
    f.seeds.push_back(rng());
  }
  return f;
}

void load_fleet(World& w, const Fleet& f) {
  for (size_t i = 0; i < f.programs.size(); ++i) {
    std::mt19937_64 rng(f.seeds[i]);
    load_program(w, f.programs[i], rng);
  }
}

void expect_same_state(const CoreState& a, const CoreState& b, const std::string& where) {
  for (int i = 0; i < 32; ++i) EXPECT_EQ(a.x[i], b.x[i]) << where << ": x" << i;
  for (int i = 0; i < 32; ++i) {
    EXPECT_EQ(a.v[i].lo, b.v[i].lo) << where << ": v" << i;
    EXPECT_EQ(a.v[i].hi, b.v[i].hi) << where << ": v" << i;
  }
  EXPECT_EQ(a.pc, b.pc) << where;
  EXPECT_EQ(a.nzcv, b.nzcv) << where;
  EXPECT_EQ(a.fpsr, b.fpsr) << where;
  EXPECT_EQ(0, std::memcmp(&a, &b, sizeof a)) << where << ": other state";
}

// Runs every program of the fleet to its end on both, in random slices, and compares after
// each slice. Returns the instructions retired in all.
u64 run_fleet(const Fleet& f, const HostModule& m, u64 seed, InterpCounts& counts) {
  World jw, rw;
  load_fleet(jw, f);
  load_fleet(rw, f);
  std::mt19937_64 rng(seed);
  u64 total = 0;
  const u64 polls[] = {1, 16, 64, 1000, u64{1} << 16};
  for (size_t i = 0; i < f.programs.size(); ++i) {
    jw.s = rw.s = random_state(rng, f.programs[i].entry);
    for (int slice = 0; slice < 100000; ++slice) {
      const u64 budget = rng() % 4 == 0 ? 1 + rng() % 80 : 1 + rng() % 5000;
      const u64 poll = polls[rng() % 5];
      StopInfo ji{}, ri{};
      const RunOutcome j = m.run(jw, ji, budget, poll, counts);
      const RunOutcome r = run_reference(rw, ri, budget);
      const std::string where = "program " + std::to_string(i) + " slice " + std::to_string(slice) +
                                " budget " + std::to_string(budget) + " poll " +
                                std::to_string(poll);
      if (j.signal != r.signal || j.cycles != r.cycles) {
        ADD_FAILURE() << where << ": " << signal_name(j.signal) << " after " << j.cycles
                      << " translated, " << signal_name(r.signal) << " after " << r.cycles
                      << " on the reference";
        return total;
      }
      expect_same_state(jw.s, rw.s, where);
      if (::testing::Test::HasFailure()) return total;
      total += r.cycles;
      if (r.signal == Signal::Syscall) {
        jw.s.x[0] = rw.s.x[0] = rw.s.x[0] * 3 + 1;
        continue;
      }
      if (r.signal == Signal::Checkpoint) continue;
      EXPECT_EQ(ji.fault_addr, ri.fault_addr) << where;
      EXPECT_EQ(ji.insn, ri.insn) << where;
      EXPECT_EQ(static_cast<int>(ji.access), static_cast<int>(ri.access)) << where;
      EXPECT_EQ(static_cast<int>(ji.cause), static_cast<int>(ri.cause)) << where;
      EXPECT_TRUE(r.signal == Signal::Halt || r.signal == Signal::Fault) << where;
      break;
    }
    std::vector<u8> a(kPageSize), b(kPageSize);
    jw.mem.read(f.programs[i].data, a.data(), kPageSize);
    rw.mem.read(f.programs[i].data, b.data(), kPageSize);
    EXPECT_EQ(a, b) << "program " << i << ": data page";
  }
  return total;
}

std::vector<u64> entries_of(const Fleet& f) {
  std::vector<u64> e;
  for (const auto& p : f.programs) e.push_back(p.entry);
  return e;
}

TEST(JitHost, RandomProgramsMatchTheReference) {
  const Fleet f = make_fleet(0x5eed, 40);
  World w;
  load_fleet(w, f);
  const std::vector<u64> entries = entries_of(f);
  const jit::Translation t = jit::translate(entries, w.reader());
  ASSERT_GT(t.blocks.size(), 100u);
  const HostModule m(t.sources);
  InterpCounts counts;
  const u64 total = run_fleet(f, m, 1, counts);
  EXPECT_GT(total, 100000u);
  // Most instructions ran translated (the rest: writable pages, slices too short for a block).
  EXPECT_LT(counts.instructions, total / 2) << counts.instructions << " of " << total;
}

// Translation in rounds, as an engine grows it: each round adds parts and leaves the earlier
// ones as they were (so their compiled objects are reused), and code translated in an early
// round reaches blocks added later through the dispatcher.
TEST(JitHost, TranslationGrownInRoundsMatchesTheReference) {
  const Fleet f = make_fleet(0xfeed, 24);
  World w;
  load_fleet(w, f);
  const std::vector<u64> entries = entries_of(f);
  jit::Translator t({.round_instructions = 300, .follow_depth = 2});
  std::vector<std::string> before;
  int rounds = 0;
  for (size_t from = 0; from < entries.size(); from += 5) {
    const std::vector<u64> some(
        entries.begin() + static_cast<std::ptrdiff_t>(from),
        entries.begin() + static_cast<std::ptrdiff_t>(std::min(from + 5, entries.size())));
    while (t.add(some, w.reader()) > 0) {
      ++rounds;
      const std::vector<std::string> now = t.snapshot()->sources;
      ASSERT_GT(now.size(), before.size());
      for (size_t i = 1; i < before.size(); ++i) EXPECT_EQ(before[i], now[i]) << "part " << i;
      before = now;
    }
  }
  EXPECT_GE(rounds, 5);
  const HostModule m(t.snapshot()->sources);
  InterpCounts counts;
  run_fleet(f, m, 3, counts);
}

TEST(JitHost, MostlyInterpretedProgramsHandOverAtEntries) {
  const Fleet f = make_fleet(0xbeef, 24);
  World w;
  load_fleet(w, f);
  const std::vector<u64> entries = entries_of(f);
  jit::TranslatorLimits lim;
  lim.follow_depth = 1;
  lim.max_block = 5;
  const jit::Translation t = jit::translate(entries, w.reader(), lim);
  const HostModule m(t.sources);
  InterpCounts counts;
  run_fleet(f, m, 2, counts);
  EXPECT_GT(counts.calls, 100u);
}

TEST(JitHost, AStopRequestEndsAtAnExactInstructionCount) {
  const Fleet f = make_fleet(0xcafe, 6);
  World w;
  load_fleet(w, f);
  const std::vector<u64> entries = entries_of(f);
  const HostModule m(jit::translate(entries, w.reader()).sources);
  for (u64 after = 0; after < 6; ++after) {
    for (size_t i = 0; i < f.programs.size(); ++i) {
      World jw, rw;
      load_fleet(jw, f);
      load_fleet(rw, f);
      std::mt19937_64 rng(after * 100 + i);
      jw.s = rw.s = random_state(rng, f.programs[i].entry);
      InterpCounts counts;
      counts.stop_after = after;
      StopInfo ji{}, ri{};
      const RunOutcome j = m.run(jw, ji, 1000000, 64, counts);
      if (j.signal != Signal::Checkpoint) continue;  // stopped by itself first
      EXPECT_LT(j.cycles, 1000000u);
      const RunOutcome r = run_reference(rw, ri, j.cycles);
      EXPECT_EQ(r.cycles, j.cycles);
      expect_same_state(jw.s, rw.s, "stop request after " + std::to_string(after));
    }
  }
}

// Words whose should-be fields (isa/a64.inc '+') hold other values are translated like any
// other word, not left to the interpreter as UNDEFINED, and compute what the reference does.
TEST(JitTranslator, TheFirstRoundIsSmallAndRoundsAreCutForEveryThread) {
  const u64 at = 0x40000;
  std::vector<u32> words;
  for (int f = 0; f < 16; ++f) {  // 16 functions of 15 adds and a ret: a region each
    for (int k = 0; k < 15; ++k) words.push_back(add_imm(0, 0, 1));
    words.push_back(kRet);
  }
  Code c(at, words);
  jit::Translator t({.first_round_instructions = 32, .min_parts = 4});
  std::vector<u64> entries;
  for (int f = 0; f < 16; ++f) entries.push_back(at + 64 * f);
  EXPECT_GT(t.add(entries, c.w.reader()), 0u);
  EXPECT_EQ(t.instructions(), 32u);             // two functions
  EXPECT_EQ(t.snapshot()->sources.size(), 3u);  // the dispatcher and a part per region
  EXPECT_GT(t.add(entries, c.w.reader()), 0u);  // the rest: 14 regions in 4 parts
  EXPECT_EQ(t.instructions(), 256u);
  EXPECT_EQ(t.snapshot()->sources.size(), 7u);
}

// Accesses translated code has no fast path for (unaligned, crossing a page, on more pages than
// the caches hold) leave the region for the interpreter at that instruction, every time, with
// the same results as the reference; a call and its return stay within one region.
TEST(JitHost, AccessesWithoutAFastPathLeaveForTheInterpreter) {
  const u64 at = 0x60000, data = 0x70000;
  std::vector<u32> words = {
      movz(10, 200),           // loop counter
      add_imm(11, 9, 0xffc),   // 4 bytes before the end of the first data page
      add_imm(12, 9, 3),       // unaligned
      ldr(1, 11, 0),           // loop: 8 bytes across the page boundary
      ldr(2, 12, 0),           // unaligned
      reg3(kAddReg, 3, 1, 2),  //
      str(3, 12, 8),           // unaligned store
      str(3, 11, 0),           // page-crossing store
      bl(16),                  // call the function
      subs_imm(10, 10, 1),     //
      b_cond(1, -28),          // b.ne loop
      kHlt,                    //
      add_imm(4, 4, 1),        // the function: loads from four pages of one Tlb set (64 sets)
  };
  for (u32 k = 0; k < 4; ++k) {
    words.insert(words.end(), {movz(13, 4 * k, 1), reg3(kAddReg, 13, 13, 9), ldr(6, 13, 0x10),
                               reg3(kAddReg, 4, 4, 6)});
  }
  words.push_back(kRet);
  auto setup = [&](World& w) {
    w.mem.map(at, 0x1000, kPermRead | kPermExec);
    w.mem.write(at, words.data(), words.size() * 4);
    w.mem.map(data, 0x100000, kPermRead | kPermWrite);
    std::vector<u8> bytes(0x100000);
    for (size_t i = 0; i < bytes.size(); ++i) bytes[i] = static_cast<u8>(i * 7 + 3);
    w.mem.write(data, bytes.data(), bytes.size());
    w.s.x[9] = data;
    w.s.pc = at;
  };
  const auto x = run_side_by_side(setup, at, 100000);
  EXPECT_EQ(x->r.signal, Signal::Halt);
  EXPECT_EQ(x->j.signal, x->r.signal);
  EXPECT_EQ(x->j.cycles, x->r.cycles);
  expect_same_state(x->jw.s, x->rw.s, "side exits");
  std::vector<u8> a(0x100000), b(0x100000);
  x->jw.mem.read(data, a.data(), a.size());
  x->rw.mem.read(data, b.data(), b.size());
  EXPECT_EQ(a, b);
  EXPECT_GE(x->counts.calls, 200u);                // each iteration left for the interpreter
  EXPECT_LT(x->counts.instructions, x->r.cycles);  // and came back to translated code
}

TEST(JitHost, ShouldBeFieldsAreTranslated) {
  const u64 at = 0x50000, data = 0x52000;
  const std::vector<u32> words = {
      0x9bc20029,  // umulh x9, x1, x2 with Ra = 0
      0x9b42142a,  // smulh x10, x1, x2 with Ra = 5
      0xc8457c0b,  // ldxr x11, [x0] with Rs = 5
      0xc80c1409,  // stxr w12, x9, [x0] with Rt2 = 5
      0xc8c5940d,  // ldar x13, [x0] with Rs = Rt2 = 5
      0xc880806a,  // stlr x10, [x3] with Rs = Rt2 = 0
      0xc8603c6e,  // ldxp x14, x15, [x3] with Rs = 0
      kHlt,
  };
  auto setup = [&](World& w) {
    w.mem.map(at, 0x1000, kPermRead | kPermExec);
    w.mem.write(at, words.data(), words.size() * 4);
    w.mem.map(data, 0x1000, kPermRead | kPermWrite);
    const u64 init[2] = {0x1122334455667788ull, 0x99aabbccddeeff00ull};
    w.mem.write(data, init, sizeof init);
    w.s.x[0] = data;
    w.s.x[1] = 0xfedcba9876543210ull;
    w.s.x[2] = 0x0f0f0f0f0f0f0f0full;
    w.s.x[3] = data + 16;
    w.s.x[5] = 0x5555;
    w.s.pc = at;
  };
  const auto x = run_side_by_side(setup, at, 100, {data});  // its data page warm
  ASSERT_EQ(x->t.blocks.size(), 1u);
  EXPECT_EQ(x->t.blocks[0].words.size(), words.size());
  EXPECT_EQ(x->r.signal, Signal::Halt);
  EXPECT_EQ(x->j.signal, x->r.signal);
  EXPECT_EQ(x->j.cycles, x->r.cycles);
  EXPECT_EQ(x->counts.instructions, 0u);  // nothing fell back to the interpreter
  expect_same_state(x->jw.s, x->rw.s, "should-be fields");
  const World& rw = x->rw;
  EXPECT_EQ(rw.s.x[11], 0x1122334455667788ull);  // ldxr
  EXPECT_EQ(rw.s.x[12], 0u);                     // stxr succeeded
  EXPECT_EQ(rw.s.x[13], rw.s.x[9]);              // ldar read back what stxr stored
  EXPECT_EQ(rw.s.x[14], rw.s.x[10]);             // ldxp read back what stlr stored
  EXPECT_EQ(rw.s.x[5], 0x5555u);
}

#if defined(KVRM_HAVE_CUDA)
TEST(JitDevice, ModulesCompileAndLinkForTheGpu) {
  std::string why;
  if (!jit::jit_compiler_available(&why)) GTEST_SKIP() << why;
  const Fleet f = make_fleet(0x5eed, 40);
  World w;
  load_fleet(w, f);
  const std::vector<u64> entries = entries_of(f);
  const jit::Translation t = jit::translate(entries, w.reader());
  char dir[] = "/tmp/kvrm-jit-dump-XXXXXX";  // KVRM_JIT_DUMP keeps what is compiled
  ASSERT_NE(mkdtemp(dir), nullptr);
  setenv("KVRM_JIT_DUMP", dir, 1);
  const jit::CompiledModule m = jit::compile_module(t.sources);
  unsetenv("KVRM_JIT_DUMP");
  std::vector<std::filesystem::path> dumped;
  for (const auto& e : std::filesystem::directory_iterator(dir)) dumped.push_back(e.path());
  std::sort(dumped.begin(), dumped.end());
  ASSERT_EQ(dumped.size(), t.sources.size() + 1);  // the parts and the cubin
  EXPECT_EQ(dumped.back().extension(), ".cubin");
  EXPECT_EQ(std::filesystem::file_size(dumped.back()), m.cubin.size());
  std::ifstream part(dumped.front());
  EXPECT_EQ(std::string(std::istreambuf_iterator<char>(part), {}), t.sources[0]);
  std::filesystem::remove_all(dir);
  std::printf(
      "%zu blocks, %llu instructions, %u regions, %zu parts: compiled in %.2f s, linked in "
      "%.2f s\n",
      t.blocks.size(), static_cast<unsigned long long>(t.instructions), t.regions,
      t.sources.size() - 1, m.compile_seconds, m.link_seconds);
  ASSERT_GT(m.cubin.size(), 4u);
  EXPECT_EQ(0, std::memcmp(m.cubin.data(),
                           "\x7f"
                           "ELF",
                           4));
  EXPECT_FALSE(m.cached);
  EXPECT_TRUE(jit::compile_module(t.sources).cached);
  EXPECT_THROW(jit::compile_module({"this is not C++"}), Error);
}
#endif

}  // namespace
}  // namespace kvrm::test

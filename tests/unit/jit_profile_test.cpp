// A program's rounds of translation, recorded in one run and replayed in the next
// (jit/profile.hpp): the replay writes the same sources as the run recorded, waits
// for code not mapped yet, stops at code that changed, and the profile survives its bytes.
#include "jit/profile.hpp"

#include <gtest/gtest.h>

#include <cstring>
#include <map>
#include <vector>

#include "isa/mmu.hpp"

namespace kvrm::jit {
namespace {

constexpr u64 kMain = 0x400000;
constexpr u64 kLib = 0x7f0000000000;

// A loop: x0 += 1 while x1 counts down, then a call into the other page, then HLT.
const std::vector<u32> kMainCode = {
    0x91000400,  // add x0, x0, #1
    0xf1000421,  // subs x1, x1, #1
    0x54ffffc1,  // b.ne -8
    0xd4400000,  // hlt #0
};
const std::vector<u32> kLibCode = {
    0x91000842,  // add x2, x2, #2
    0xf1000463,  // subs x3, x3, #1
    0x54ffffc1,  // b.ne -8
    0xd65f03c0,  // ret
};

// Guest code pages the translator reads (read-only, executable), some of them mapped.
struct Code {
  std::map<u64, std::vector<u8>> pages;
  void map(u64 va, const std::vector<u32>& words) {
    std::vector<u8>& p = pages[va];
    p.assign(kPageSize, 0);
    std::memcpy(p.data(), words.data(), words.size() * 4);
  }
  jit::CodeReader reader() const {
    return [this](u64 va, jit::CodePage& out) {
      const auto it = pages.find(va);
      if (it == pages.end()) return false;
      out.leaf = make_leaf(static_cast<u32>(va >> 12) & 0xffff, kPermRead | kPermExec);
      out.bytes = it->second.data();
      return true;
    };
  }
};

// One run's translation: hot targets arriving in batches, one round per batch (as a manager
// takes them between compiles).
struct GuestRun {
  jit::Translator t;
  jit::HotTargets hot;
  JitProfile profile;
  void round(const std::vector<u64>& targets, const Code& code) {
    for (const u64 pc : targets) hot.add(pc);
    profile.translate_round(hot, t, code.reader());
  }
};

// The main program's page and the library's, both mapped.
Code main_and_lib() {
  Code code;
  code.map(kMain, kMainCode);
  code.map(kLib, kLibCode);
  return code;
}
// A run that translated the main program in one round and the library in the next.
void main_then_lib(GuestRun& run, const Code& code) {
  run.round({kMain}, code);
  run.round({kLib}, code);
}

std::vector<JitProfile::Round> stored(const JitProfile& p) {
  const auto bytes = p.to_store();
  EXPECT_TRUE(bytes.has_value());
  if (!bytes) return {};
  const auto rounds = JitProfile::parse(*bytes);
  EXPECT_TRUE(rounds.has_value());
  return rounds ? *rounds : std::vector<JitProfile::Round>{};
}

TEST(JitProfile, ReplayWritesTheSameSources) {
  const Code code = main_and_lib();
  GuestRun first;
  first.round({kMain}, code);
  first.round({kLib, kMain + 8}, code);
  ASSERT_EQ(first.profile.rounds(), 2u);
  const auto recorded = first.t.snapshot();
  ASSERT_FALSE(recorded->sources.empty());

  // The next run replays both rounds at once: the same blocks, the same sources.
  GuestRun second;
  second.profile.load(stored(first.profile));
  EXPECT_TRUE(second.profile.replaying());
  u32 added = 0;
  EXPECT_EQ(second.profile.replay(second.t, code.reader(), &added), 2u);
  EXPECT_GT(added, 0u);
  EXPECT_FALSE(second.profile.replaying());
  EXPECT_EQ(second.t.snapshot()->sources, recorded->sources);
  // Nothing new: the stored profile stays as it is.
  EXPECT_FALSE(second.profile.to_store().has_value());
  // A round of its own afterwards: the whole run is stored, replayed rounds first.
  second.round({kMain + 4}, code);
  const auto rounds = stored(second.profile);
  ASSERT_EQ(rounds.size(), 3u);
  EXPECT_EQ(rounds[0].entries, std::vector<u64>{kMain});
  EXPECT_EQ(rounds[2].entries, std::vector<u64>{kMain + 4});
}

TEST(JitProfile, CodeNotMappedYetHoldsTheReplayBack) {
  const Code code = main_and_lib();
  GuestRun first;
  main_then_lib(first, code);
  const auto recorded = first.t.snapshot();

  Code early;  // the library is not mapped yet
  early.map(kMain, kMainCode);
  GuestRun second;
  second.profile.load(stored(first.profile));
  u32 added = 0;
  EXPECT_EQ(second.profile.replay(second.t, early.reader(), &added), 1u);
  EXPECT_GT(added, 0u);
  EXPECT_TRUE(second.profile.replaying());
  EXPECT_EQ(second.profile.replay(second.t, early.reader(), &added), 0u);
  EXPECT_EQ(added, 0u);
  // Mapped now: the rest replays, and the sources are the first run's.
  EXPECT_EQ(second.profile.replay(second.t, code.reader(), &added), 1u);
  EXPECT_EQ(second.t.snapshot()->sources, recorded->sources);
}

TEST(JitProfile, ChangedCodeEndsTheReplay) {
  const Code code = main_and_lib();
  GuestRun first;
  main_then_lib(first, code);

  Code changed = code;
  std::vector<u32> other = kLibCode;
  other[0] = 0x91000c42;  // add x2, x2, #3
  changed.map(kLib, other);
  GuestRun second;
  second.profile.load(stored(first.profile));
  u32 added = 0;
  EXPECT_EQ(second.profile.replay(second.t, changed.reader(), &added), 1u);
  EXPECT_FALSE(second.profile.replaying());  // the library's round is dropped for good
  EXPECT_FALSE(second.t.has_block(kLib));
  // What this run translates from here on is stored in place of the old profile.
  second.round({kLib}, changed);
  EXPECT_TRUE(second.t.has_block(kLib));
  EXPECT_EQ(stored(second.profile).size(), 2u);

  // A changed first page: nothing is replayed.
  Code main_changed = code;
  std::vector<u32> m = kMainCode;
  m[3] = 0xd4400020;  // hlt #1
  main_changed.map(kMain, m);
  GuestRun third;
  third.profile.load(stored(first.profile));
  EXPECT_EQ(third.profile.replay(third.t, main_changed.reader(), &added), 0u);
  EXPECT_EQ(added, 0u);
  EXPECT_FALSE(third.profile.replaying());
}

TEST(JitProfile, KeyNamesTheStartAndItsPage) {
  Code code;
  code.map(kMain, kMainCode);
  const CacheKey build = Sha256().field("build").finish();
  const CacheKey k = JitProfile::key(build, 0, kMain, code.reader());
  EXPECT_EQ(k, JitProfile::key(build, 0, kMain, code.reader()));
  EXPECT_NE(k, JitProfile::key(build, 0, kMain + 4, code.reader()));
  EXPECT_NE(k, JitProfile::key(build, 3, kMain, code.reader()));
  EXPECT_NE(k, JitProfile::key(Sha256().field("other").finish(), 0, kMain, code.reader()));
  Code other;
  std::vector<u32> m = kMainCode;
  m[3] = 0xd4400020;
  other.map(kMain, m);
  EXPECT_NE(k, JitProfile::key(build, 0, kMain, other.reader()));
}

TEST(JitProfile, MalformedBytesAreNoProfile) {
  Code code;
  code.map(kMain, kMainCode);
  GuestRun first;
  first.round({kMain}, code);
  const std::vector<char> bytes = *first.profile.to_store();
  ASSERT_TRUE(JitProfile::parse(bytes).has_value());
  for (size_t len = 0; len < bytes.size(); ++len) {
    EXPECT_FALSE(JitProfile::parse(std::span(bytes.data(), len)).has_value()) << len;
  }
  std::vector<char> longer = bytes;
  longer.push_back(0);
  EXPECT_FALSE(JitProfile::parse(longer).has_value());
  std::vector<char> tag = bytes;
  tag[0] ^= 1;
  EXPECT_FALSE(JitProfile::parse(tag).has_value());
  std::vector<char> huge = bytes;
  huge[8 + 7] = 0x7f;  // a round count far beyond the bytes
  EXPECT_FALSE(JitProfile::parse(huge).has_value());
}

TEST(JitProfile, StartingOverKeepsTheLongestTranslation) {
  const Code code = main_and_lib();
  GuestRun run;
  main_then_lib(run, code);
  run.profile.start_over();  // e.g. the code was unmapped
  run.t = jit::Translator();
  run.hot.retry_all();
  run.round({}, code);  // one round of everything hot, in a new translation
  EXPECT_EQ(stored(run.profile).size(), 2u);
  // Rounds made before a profile is loaded leave no room for it.
  GuestRun late;
  late.round({kMain}, code);
  late.profile.load(stored(run.profile));
  EXPECT_FALSE(late.profile.replaying());
  // No rounds at all: nothing to store.
  EXPECT_FALSE(JitProfile().to_store().has_value());
}

}  // namespace
}  // namespace kvrm::jit

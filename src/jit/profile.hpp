// A program's rounds of translation, recorded in one run and replayed in the next (the
// "profile" that jit/manager.hpp keeps in the translation cache on disk). Rounds
// depend on timing (a round is taken when the compile before it finishes), so a second run
// would translate other rounds, write other sources and miss the cache; replaying the first
// run's rounds makes the translator write the same sources again. Host only, no CUDA.
//
// A round is recorded as the entries given to Translator::add and a hash of every page that
// round read. It is replayed only when those pages read the same now (then the translator,
// from the same state, adds the same blocks); a page not there yet (a library mapped later)
// holds the replay back, a page that changed ends it. Replay only picks what to translate: the
// translator still reads the code as it is.
#pragma once

#include <optional>
#include <span>
#include <utility>
#include <vector>

#include "jit/cache.hpp"
#include "jit/translator.hpp"

namespace kvrm::jit {

class JitProfile {
 public:
  struct Round {
    std::vector<u64> entries;
    // Each page read, with a SHA-256 of its bytes (all zero: absent or not translatable).
    std::vector<std::pair<u64, CacheKey>> pages;
  };
  enum class PageCheck { Same, NotYet, Changed };

  // The profile's name in the cache: kvrm's build (`build`), the frame layout, the start PC
  // and the bytes of the page there.
  static CacheKey key(const CacheKey& build, u32 frame_shift, u64 start, const CodeReader& read);

  // `read`, noting each page it gives in `r` (valid while `read` and `r` are).
  static CodeReader recording(const CodeReader& read, Round& r);
  static PageCheck check(const Round& r, const CodeReader& read);

  // A profile's bytes, and back (nothing when malformed).
  static std::vector<char> serialize(const std::vector<Round>& rounds);
  static std::optional<std::vector<Round>> parse(std::span<const char> bytes);

  // Takes a stored profile to replay (only before any round was made).
  void load(std::vector<Round> rounds);
  // True while rounds of the loaded profile are left to replay.
  bool replaying() const { return replayed_ < replay_.size(); }
  // Replays into `t` the profile's next rounds whose pages read the same now; returns the
  // rounds replayed, with the blocks they added in *added.
  u32 replay(Translator& t, const CodeReader& read, u32* added);

  // One round `hot` makes of `t` (HotTargets::translate_round), recorded; the profile's rounds
  // are not replayed after it (the sources would differ from here on). Returns its blocks.
  u32 translate_round(HotTargets& hot, Translator& t, const CodeReader& read);
  // The translation started over: its rounds so far are kept if they are the most yet.
  void start_over();

  // The rounds to store at the end (the longest of this run's translations), or nothing when
  // storing would change nothing (every round came from the loaded profile) or there is none.
  std::optional<std::vector<char>> to_store() const;
  size_t rounds() const { return rounds_.size(); }

 private:
  std::vector<Round> rounds_, longest_;  // this translation's rounds, and the longest before
  std::vector<Round> replay_;            // the loaded profile
  size_t replayed_ = 0;                  // of replay_
};

}  // namespace kvrm::jit

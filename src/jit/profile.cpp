// A program's rounds of translation, recorded and replayed (profile.hpp).
#include "jit/profile.hpp"

#include <cstring>

#include "isa/mmu.hpp"

namespace kvrm::jit {
namespace {

// The hash of a page as a round saw it (all zero: absent or not translatable).
CacheKey page_hash(u64 va, const CodeReader& read) {
  CodePage p;
  if (!read(va, p) || !translatable(p.leaf) || !p.bytes) return CacheKey{};
  return Sha256().update(p.bytes, kPageSize).finish();
}

// A profile's bytes: a tag, the number of rounds, then per round its entries and its pages
// (little-endian u64s, each page's address and hash).
constexpr u64 kTag = 0x31464f5250544a4bull;  // "KJTPROF1"

void put_u64(std::vector<char>& out, u64 v) {
  for (int i = 0; i < 8; ++i) out.push_back(static_cast<char>(v >> (8 * i)));
}

struct Parser {
  std::span<const char> in;
  bool ok = true;
  u64 u() {
    if (in.size() < 8) {
      ok = false;
      return 0;
    }
    u64 v = 0;
    for (int i = 0; i < 8; ++i) v |= u64{static_cast<u8>(in[i])} << (8 * i);
    in = in.subspan(8);
    return v;
  }
  // A count of items of at least `size` bytes each that the rest can hold.
  u64 count(u64 size) {
    const u64 n = u();
    if (n > in.size() / size) ok = false;
    return ok ? n : 0;
  }
};

}  // namespace

CacheKey JitProfile::key(const CacheKey& build, u32 frame_shift, u64 start,
                         const CodeReader& read) {
  const CacheKey page = page_hash(start & ~kPageMask, read);
  return Sha256()
      .field("profile")
      .update(build.data(), build.size())
      .field(u64{frame_shift})
      .field(start)
      .update(page.data(), page.size())
      .finish();
}

CodeReader JitProfile::recording(const CodeReader& read, Round& r) {
  return [&read, &r](u64 va, CodePage& p) {
    const bool ok = read(va, p);
    CacheKey h{};
    if (ok && translatable(p.leaf) && p.bytes) h = Sha256().update(p.bytes, kPageSize).finish();
    r.pages.emplace_back(va, h);
    return ok;
  };
}

JitProfile::PageCheck JitProfile::check(const Round& r, const CodeReader& read) {
  for (const auto& [va, was] : r.pages) {
    const CacheKey now = page_hash(va, read);
    if (now == was) continue;
    // Code not mapped yet (a library the program loads later) may come; other code changed.
    return now == CacheKey{} ? PageCheck::NotYet : PageCheck::Changed;
  }
  return PageCheck::Same;
}

std::vector<char> JitProfile::serialize(const std::vector<Round>& rounds) {
  std::vector<char> out;
  put_u64(out, kTag);
  put_u64(out, rounds.size());
  for (const Round& r : rounds) {
    put_u64(out, r.entries.size());
    for (const u64 e : r.entries) put_u64(out, e);
    put_u64(out, r.pages.size());
    for (const auto& [va, h] : r.pages) {
      put_u64(out, va);
      out.insert(out.end(), h.begin(), h.end());
    }
  }
  return out;
}

std::optional<std::vector<JitProfile::Round>> JitProfile::parse(std::span<const char> bytes) {
  Parser p{bytes};
  if (p.u() != kTag) return std::nullopt;
  std::vector<Round> rounds;
  for (u64 n = p.count(16); p.ok && n--;) {
    Round r;
    for (u64 k = p.count(8); p.ok && k--;) r.entries.push_back(p.u());
    for (u64 k = p.count(40); p.ok && k--;) {
      const u64 va = p.u();
      CacheKey h{};
      std::memcpy(h.data(), p.in.data(), h.size());  // count() made sure the bytes are there
      p.in = p.in.subspan(h.size());
      r.pages.emplace_back(va, h);
    }
    rounds.push_back(std::move(r));
  }
  if (!p.ok || !p.in.empty()) return std::nullopt;
  return rounds;
}

void JitProfile::load(std::vector<Round> rounds) {
  if (!rounds_.empty()) return;  // rounds made before it: its sources would differ
  replay_ = std::move(rounds);
  replayed_ = 0;
}

u32 JitProfile::replay(Translator& t, const CodeReader& read, u32* added) {
  u32 n = 0;
  *added = 0;
  while (replayed_ < replay_.size()) {
    const Round& r = replay_[replayed_];
    const PageCheck c = check(r, read);
    if (c == PageCheck::NotYet) break;
    if (c == PageCheck::Changed) {
      replay_.clear();
      replayed_ = 0;
      break;
    }
    Round again;
    again.entries = r.entries;
    *added += t.add(again.entries, recording(read, again));
    rounds_.push_back(std::move(again));
    ++replayed_;
    ++n;
  }
  return n;
}

u32 JitProfile::translate_round(HotTargets& hot, Translator& t, const CodeReader& read) {
  Round round;
  round.entries = hot.round_entries(t);
  const u32 added = hot.translate_round(t, recording(read, round));
  if (!round.entries.empty()) {
    rounds_.push_back(std::move(round));
    replay_.clear();
    replayed_ = 0;
  }
  return added;
}

void JitProfile::start_over() {
  if (rounds_.size() > longest_.size()) longest_ = std::move(rounds_);
  rounds_.clear();
  replay_.clear();
  replayed_ = 0;
}

std::optional<std::vector<char>> JitProfile::to_store() const {
  // Every round so far came from the profile (all of it, or those whose code was there): it
  // stays as it is.
  if (!replay_.empty()) return std::nullopt;
  const std::vector<Round>& rounds = rounds_.size() >= longest_.size() ? rounds_ : longest_;
  if (rounds.empty()) return std::nullopt;
  return serialize(rounds);
}

}  // namespace kvrm::jit

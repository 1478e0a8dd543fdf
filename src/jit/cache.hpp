// The translation cache on disk: what the run-time compiler produced (a source part's object, a
// linked module) and the rounds of translation a program went through, kept between runs so
// that a program run again compiles nothing. Plain host C++ (no CUDA), so every build has it.
//
// Entries are files named by their key, a SHA-256 of everything their content depends on (the
// caller's to choose: sources, kvrm's build, the GPU architecture, the compiler's options). An
// entry holds a header (magic, format version, the full key, payload size, the payload's
// SHA-256) and the payload; it is written to a temporary file in the same directory and renamed
// into place, so concurrent runs never see half an entry. A reader checks everything and
// removes an entry that does not check out. The directory is bounded: a put that takes it over
// its size limit evicts the least recently used entries (a hit touches its entry's mtime).
#pragma once

#include <array>
#include <atomic>
#include <memory>
#include <optional>
#include <span>
#include <string>
#include <string_view>
#include <vector>

#include "isa/hd.hpp"

namespace kvrm::jit {

// SHA-256 (FIPS 180-4), incremental.
class Sha256 {
 public:
  using Digest = std::array<u8, 32>;
  Sha256();
  Sha256& update(const void* data, size_t size);
  Sha256& update(std::string_view s) { return update(s.data(), s.size()); }
  // A length-prefixed field: a sequence of fields hashes differently from their concatenation.
  Sha256& field(std::string_view s);
  Sha256& field(u64 v);
  Digest finish();

 private:
  void block(const u8* p);
  std::array<u32, 8> h_;
  std::array<u8, 64> buf_{};
  size_t used_ = 0;
  u64 length_ = 0;
};
using CacheKey = Sha256::Digest;

// Lowercase hexadecimal.
std::string to_hex(std::span<const u8> bytes);

// The cache's place when none is given: $XDG_CACHE_HOME/kvrm, else $HOME/.cache/kvrm ("" when
// neither variable is set).
std::string default_jit_cache_dir();

// The size limit when none is given: KVRM_JIT_CACHE_MAX_BYTES when set (a number of bytes, with
// an optional K, M or G suffix), else 1 GiB. kvrm::Error for a malformed value.
u64 default_jit_cache_max_bytes();

class JitDiskCache {
 public:
  static constexpr u32 kFormatVersion = 1;

  // `setting`: a directory, "" for the default place, or "off". `max_bytes` 0: the default.
  // A directory that cannot be created or written to gets one note on stderr and leaves the
  // cache off (enabled() false); running goes on without it.
  explicit JitDiskCache(const std::string& setting, u64 max_bytes = 0);

  bool enabled() const { return enabled_; }
  const std::string& dir() const { return dir_; }
  u64 max_bytes() const { return max_bytes_; }
  // Why the cache is off ("" when on).
  const std::string& note() const { return note_; }

  // The payload stored under `key`, or nothing (absent, or damaged: then it is removed).
  std::optional<std::vector<char>> get(const CacheKey& key);
  // Stores `payload` under `key` (replacing an entry there) and evicts the least recently used
  // entries while the directory is over its limit. Failing to write only costs the entry (one
  // note on stderr for the first failure).
  void put(const CacheKey& key, std::span<const char> payload);

  // The entry file of `key` (for tests and tools).
  std::string path_of(const CacheKey& key) const;

  // What this instance did.
  u64 hits() const { return hits_; }
  u64 misses() const { return misses_; }
  u64 rejected() const { return rejected_; }  // damaged entries found and removed
  u64 stores() const { return stores_; }
  u64 evicted() const { return evicted_; }

 private:
  void disable(const std::string& why);
  void evict();

  std::string dir_;
  u64 max_bytes_ = 0;
  bool enabled_ = false;
  std::string note_;
  std::atomic<bool> put_warned_{false};
  std::atomic<u64> hits_{0}, misses_{0}, rejected_{0}, stores_{0}, evicted_{0};
};

// The cache for a setting (and size limit, 0: the default), shared by everything in the process
// that uses the same directory (one note on stderr per directory, one set of counters); nullptr
// when the setting is "off" or its directory is unusable.
std::shared_ptr<JitDiskCache> open_jit_cache(const std::string& setting, u64 max_bytes = 0);

}  // namespace kvrm::jit

// The translation cache on disk (jit/cache.hpp): SHA-256, entries that survive
// the process, damaged entries rejected and rebuilt, the size bound, concurrent writers, "off"
// and an unusable directory.
#include "jit/cache.hpp"

#include <gtest/gtest.h>
#include <unistd.h>

#include <chrono>
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <string>
#include <thread>
#include <vector>

#include "core/error.hpp"
#include "temp_dir.hpp"

namespace kvrm::jit {
namespace {
namespace fs = std::filesystem;

using test::TempDir;

// Sets (or with nullptr removes) an environment variable for a scope, then restores it.
class ScopedEnv {
 public:
  ScopedEnv(const char* name, const char* value) : name_(name) {
    const char* old = std::getenv(name);
    if (old) old_ = old;
    had_ = old != nullptr;
    if (value) {
      ::setenv(name, value, 1);
    } else {
      ::unsetenv(name);
    }
  }
  ~ScopedEnv() {
    if (had_) {
      ::setenv(name_, old_.c_str(), 1);
    } else {
      ::unsetenv(name_);
    }
  }

 private:
  const char* name_;
  std::string old_;
  bool had_ = false;
};

CacheKey key_of(const std::string& s) { return Sha256().field(s).finish(); }

std::vector<char> bytes(const std::string& s) { return {s.begin(), s.end()}; }

size_t entry_count(const std::string& dir) {
  size_t n = 0;
  for (const auto& e : fs::directory_iterator(dir)) n += e.path().extension() == ".kvrmjit";
  return n;
}

TEST(JitCacheSha256, KnownDigests) {
  EXPECT_EQ(to_hex(Sha256().finish()),
            "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855");
  EXPECT_EQ(to_hex(Sha256().update("abc").finish()),
            "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad");
  EXPECT_EQ(
      to_hex(Sha256().update("abcdbcdecdefdefgefghfghighijhijkijkljklmklmnlmnomnopnopq").finish()),
      "248d6a61d20638b8e5c026930c3e6039a33ce45964ff2167f6ecedd419db06c1");
  // A million 'a's, fed in uneven pieces: the buffering across blocks.
  Sha256 h;
  const std::string piece(997, 'a');
  size_t left = 1000000;
  while (left) {
    const size_t n = std::min(left, piece.size());
    h.update(piece.data(), n);
    left -= n;
  }
  EXPECT_EQ(to_hex(h.finish()), "cdc76e5c9914fb9281a1c7e284d73e67f1809a48a497200e046d39ccc7112cd0");
}

TEST(JitCacheSha256, FieldsAreDelimited) {
  EXPECT_NE(Sha256().field("ab").field("c").finish(), Sha256().field("a").field("bc").finish());
}

TEST(JitCache, RoundTripAndANewInstance) {
  TempDir d;
  // The directory is made, for its owner alone.
  const std::string dir = d.path() + "/a/kvrm";
  ASSERT_TRUE(JitDiskCache(dir).enabled());
  EXPECT_EQ(fs::status(dir).permissions() & fs::perms::all, fs::perms::owner_all);
  const CacheKey k = key_of("module 1");
  const std::vector<char> payload = bytes(std::string(5000, 'x') + "end");
  {
    JitDiskCache c(d.path());
    ASSERT_TRUE(c.enabled());
    EXPECT_FALSE(c.get(k).has_value());
    c.put(k, payload);
    const auto got = c.get(k);
    ASSERT_TRUE(got.has_value());
    EXPECT_EQ(*got, payload);
    EXPECT_EQ(c.hits(), 1u);
    EXPECT_EQ(c.misses(), 1u);
    EXPECT_EQ(c.stores(), 1u);
  }
  // Another instance (as a second process would open it) finds the entry; other keys miss.
  JitDiskCache again(d.path());
  const auto got = again.get(k);
  ASSERT_TRUE(got.has_value());
  EXPECT_EQ(*got, payload);
  EXPECT_FALSE(again.get(key_of("module 2")).has_value());
  // An empty payload is an entry too.
  again.put(key_of("empty"), {});
  const auto empty = again.get(key_of("empty"));
  ASSERT_TRUE(empty.has_value());
  EXPECT_TRUE(empty->empty());
}

// Overwrites byte `at` of `path` with its complement.
void flip(const std::string& path, size_t at) {
  std::fstream f(path, std::ios::in | std::ios::out | std::ios::binary);
  f.seekg(static_cast<std::streamoff>(at));
  char c = 0;
  f.read(&c, 1);
  c = static_cast<char>(~c);
  f.seekp(static_cast<std::streamoff>(at));
  f.write(&c, 1);
}

TEST(JitCache, DamagedEntriesAreRejectedRemovedAndRebuilt) {
  TempDir d;
  JitDiskCache c(d.path());
  ASSERT_TRUE(c.enabled());
  const CacheKey k = key_of("part");
  const std::vector<char> payload = bytes(std::string(300, 'p'));
  const std::string path = c.path_of(k);
  const size_t size = 88 + payload.size();
  // A flipped byte anywhere (magic, version, key, size, checksum, payload) is caught.
  for (const size_t at :
       {size_t{0}, size_t{9}, size_t{20}, size_t{50}, size_t{60}, size_t{100}, size - 1}) {
    c.put(k, payload);
    ASSERT_EQ(fs::file_size(path), size);
    flip(path, at);
    EXPECT_FALSE(c.get(k).has_value()) << "byte " << at;
    EXPECT_FALSE(fs::exists(path)) << "byte " << at;
  }
  // Truncated, or with bytes appended.
  for (const size_t len : {size_t{0}, size_t{40}, size_t{88}, size - 1, size + 1}) {
    c.put(k, payload);
    fs::resize_file(path, len);
    EXPECT_FALSE(c.get(k).has_value()) << "length " << len;
    EXPECT_FALSE(fs::exists(path));
  }
  EXPECT_EQ(c.rejected(), 12u);
  // Rebuilt: a new put makes it whole again.
  c.put(k, payload);
  EXPECT_EQ(c.get(k), payload);
}

TEST(JitCache, AnEntryUnderAnotherKeysNameIsRejected) {
  TempDir d;
  JitDiskCache c(d.path());
  const CacheKey a = key_of("a"), b = key_of("b");
  c.put(a, bytes("payload of a"));
  // A valid entry of `a` copied to `b`'s name: the key inside does not match.
  fs::copy_file(c.path_of(a), c.path_of(b));
  EXPECT_FALSE(c.get(b).has_value());
  EXPECT_FALSE(fs::exists(c.path_of(b)));
  EXPECT_EQ(c.get(a), bytes("payload of a"));
}

TEST(JitCache, EvictionKeepsTheBoundAndDropsTheLeastRecentlyUsed) {
  TempDir d;
  const size_t entry = 88 + 1000;
  JitDiskCache c(d.path(), 3 * entry + 10);  // room for three entries
  const std::vector<char> payload(1000, 'e');
  const auto t0 = fs::file_time_type::clock::now() - std::chrono::minutes(10);
  for (int i = 0; i < 3; ++i) {
    c.put(key_of(std::to_string(i)), payload);
    fs::last_write_time(c.path_of(key_of(std::to_string(i))), t0 + std::chrono::minutes(i));
  }
  EXPECT_EQ(entry_count(d.path()), 3u);
  // Using entry 0 makes it the most recent; entry 1 is now the oldest and goes first.
  ASSERT_TRUE(c.get(key_of("0")).has_value());
  c.put(key_of("3"), payload);
  EXPECT_EQ(entry_count(d.path()), 3u);
  EXPECT_FALSE(fs::exists(c.path_of(key_of("1"))));
  EXPECT_TRUE(fs::exists(c.path_of(key_of("0"))));
  EXPECT_TRUE(fs::exists(c.path_of(key_of("2"))));
  EXPECT_TRUE(fs::exists(c.path_of(key_of("3"))));
  EXPECT_EQ(c.evicted(), 1u);
  // A payload larger than the whole bound is not stored (and evicts nothing).
  c.put(key_of("huge"), std::vector<char>(4 * entry, 'h'));
  EXPECT_FALSE(fs::exists(c.path_of(key_of("huge"))));
  EXPECT_EQ(entry_count(d.path()), 3u);
  u64 total = 0;
  for (const auto& e : fs::directory_iterator(d.path())) total += fs::file_size(e.path());
  EXPECT_LE(total, c.max_bytes());
}

TEST(JitCache, ConcurrentWritersOfOneKeyLeaveAValidEntry) {
  TempDir d;
  const CacheKey k = key_of("shared");
  const std::vector<char> payload(200000, 's');
  std::vector<std::thread> threads;
  for (int t = 0; t < 8; ++t) {
    threads.emplace_back([&] {
      JitDiskCache c(d.path());  // each its own instance, as separate processes would have
      for (int i = 0; i < 10; ++i) {
        c.put(k, payload);
        const auto got = c.get(k);
        // Another writer's rename may land between; what is read is always whole.
        if (got) {
          EXPECT_EQ(*got, payload);
        }
      }
    });
  }
  for (auto& t : threads) t.join();
  JitDiskCache c(d.path());
  EXPECT_EQ(c.get(k), payload);
  EXPECT_EQ(c.rejected(), 0u);
  // No temporary file is left behind.
  for (const auto& e : fs::directory_iterator(d.path())) {
    EXPECT_EQ(e.path().extension(), ".kvrmjit") << e.path();
  }
}

TEST(JitCache, OffStoresNothing) {
  TempDir d;
  const std::string home = d.path() + "/home";
  const ScopedEnv xdg("XDG_CACHE_HOME", home.c_str());
  JitDiskCache c("off");
  EXPECT_FALSE(c.enabled());
  c.put(key_of("x"), bytes("x"));
  EXPECT_FALSE(c.get(key_of("x")).has_value());
  EXPECT_EQ(open_jit_cache("off"), nullptr);
  EXPECT_FALSE(fs::exists(home));
}

TEST(JitCache, DefaultPlaceFollowsXdgThenHome) {
  const ScopedEnv home("HOME", "/h");
  {
    const ScopedEnv xdg("XDG_CACHE_HOME", "/x/cache");
    EXPECT_EQ(default_jit_cache_dir(), "/x/cache/kvrm");
  }
  const ScopedEnv xdg("XDG_CACHE_HOME", nullptr);
  EXPECT_EQ(default_jit_cache_dir(), "/h/.cache/kvrm");
  const ScopedEnv no_home("HOME", nullptr);
  EXPECT_EQ(default_jit_cache_dir(), "");
  // With no place at all the cache is off, with a note.
  testing::internal::CaptureStderr();
  JitDiskCache c("");
  const std::string err = testing::internal::GetCapturedStderr();
  EXPECT_FALSE(c.enabled());
  EXPECT_NE(err.find("XDG_CACHE_HOME"), std::string::npos) << err;
}

TEST(JitCache, SizeLimitFromTheEnvironment) {
  {
    const ScopedEnv v("KVRM_JIT_CACHE_MAX_BYTES", "64M");
    EXPECT_EQ(default_jit_cache_max_bytes(), u64{64} << 20);
  }
  {
    const ScopedEnv v("KVRM_JIT_CACHE_MAX_BYTES", "12345");
    EXPECT_EQ(default_jit_cache_max_bytes(), 12345u);
    TempDir d;
    EXPECT_EQ(JitDiskCache(d.path()).max_bytes(), 12345u);
    EXPECT_EQ(JitDiskCache(d.path(), 777).max_bytes(), 777u);  // an explicit limit wins
  }
  for (const char* bad : {"lots", "12X", "-5", "1G2", "99999999999999999999"}) {
    const ScopedEnv v("KVRM_JIT_CACHE_MAX_BYTES", bad);
    EXPECT_THROW(default_jit_cache_max_bytes(), Error) << bad;
  }
  const ScopedEnv v("KVRM_JIT_CACHE_MAX_BYTES", nullptr);
  EXPECT_EQ(default_jit_cache_max_bytes(), u64{1} << 30);
}

TEST(JitCache, AnUnusableDirectoryLeavesTheCacheOff) {
  TempDir d;
  // Below a regular file no directory can be made (whoever runs the test, root included).
  const std::string file = d.path() + "/file";
  std::ofstream(file) << "not a directory";
  testing::internal::CaptureStderr();
  JitDiskCache c(file + "/cache");
  const std::string err = testing::internal::GetCapturedStderr();
  EXPECT_FALSE(c.enabled());
  EXPECT_NE(err.find("not usable"), std::string::npos) << err;
  EXPECT_NE(c.note().find(file), std::string::npos);
  c.put(key_of("x"), bytes("x"));  // does nothing, throws nothing
  EXPECT_FALSE(c.get(key_of("x")).has_value());
  // Shared instances say so once per directory.
  testing::internal::CaptureStderr();
  EXPECT_EQ(open_jit_cache(file + "/other"), nullptr);
  EXPECT_EQ(open_jit_cache(file + "/other"), nullptr);
  const std::string once = testing::internal::GetCapturedStderr();
  EXPECT_EQ(once.find("not usable"), once.rfind("not usable")) << once;
  EXPECT_NE(once.find("not usable"), std::string::npos);
}

TEST(JitCache, ADirectoryAnyoneMayWriteToIsNotUsed) {
  // Entries are code the GPU runs: one that someone else could plant is never loaded.
  TempDir d;
  fs::permissions(d.path(), fs::perms::others_write, fs::perm_options::add);
  testing::internal::CaptureStderr();
  JitDiskCache c(d.path());
  const std::string err = testing::internal::GetCapturedStderr();
  EXPECT_FALSE(c.enabled());
  EXPECT_NE(err.find("anyone may write"), std::string::npos) << err;
  fs::permissions(d.path(), fs::perms::others_write, fs::perm_options::remove);
  EXPECT_TRUE(JitDiskCache(d.path()).enabled());
}

TEST(JitCache, SharedInstancesPerDirectory) {
  TempDir d;
  const auto a = open_jit_cache(d.path());
  const auto b = open_jit_cache(d.path());
  ASSERT_NE(a, nullptr);
  EXPECT_EQ(a, b);
}

}  // namespace
}  // namespace kvrm::jit

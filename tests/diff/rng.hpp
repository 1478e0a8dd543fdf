// A small, fast, reproducible random number generator (xoshiro256**, seeded through splitmix64)
// and the draws the differential tester makes with it. Every trial seeds its own generator from
// (seed, trial index), so any single trial can be replayed on its own.
#pragma once

#include <cstdint>

namespace kvrm::diff {

inline std::uint64_t splitmix64(std::uint64_t& x) {
  std::uint64_t z = (x += 0x9e3779b97f4a7c15ull);
  z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9ull;
  z = (z ^ (z >> 27)) * 0x94d049bb133111ebull;
  return z ^ (z >> 31);
}

class Rng {
 public:
  explicit Rng(std::uint64_t seed) {
    for (auto& w : s_) w = splitmix64(seed);
  }
  // The generator of one trial.
  static Rng for_trial(std::uint64_t seed, std::uint64_t trial) {
    std::uint64_t x = seed * 0xd1342543de82ef95ull + trial;
    return Rng(splitmix64(x) ^ trial);
  }

  std::uint64_t next() {
    const std::uint64_t r = rotl(s_[1] * 5, 7) * 9;
    const std::uint64_t t = s_[1] << 17;
    s_[2] ^= s_[0];
    s_[3] ^= s_[1];
    s_[1] ^= s_[2];
    s_[0] ^= s_[3];
    s_[2] ^= t;
    s_[3] = rotl(s_[3], 45);
    return r;
  }
  // An independent generator derived from this one's current state, which stays as it is: a
  // new kind of draw can be added to a trial without changing what the others draw.
  Rng fork(std::uint64_t salt) const {
    std::uint64_t x = s_[0] ^ rotl(s_[1], 17) ^ rotl(s_[2], 31) ^ rotl(s_[3], 47) ^ salt;
    return Rng(splitmix64(x));
  }

  std::uint32_t next32() { return static_cast<std::uint32_t>(next() >> 32); }
  // Uniform in [0, n) (n > 0; the tiny modulo bias is irrelevant here).
  std::uint64_t below(std::uint64_t n) { return next() % n; }
  // Uniform in [lo, hi].
  std::int64_t range(std::int64_t lo, std::int64_t hi) {
    return lo + static_cast<std::int64_t>(below(static_cast<std::uint64_t>(hi - lo) + 1));
  }
  // True with probability percent / 100.
  bool chance(unsigned percent) { return below(100) < percent; }
  template <class T, std::size_t N>
  const T& pick(const T (&a)[N]) {
    return a[below(N)];
  }

 private:
  static std::uint64_t rotl(std::uint64_t x, int k) { return (x << k) | (x >> (64 - k)); }
  std::uint64_t s_[4];
};

}  // namespace kvrm::diff

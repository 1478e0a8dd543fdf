// The translation cache on disk (cache.hpp).
#include "jit/cache.hpp"

#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <filesystem>
#include <map>
#include <mutex>
#include <system_error>

#include "core/error.hpp"

namespace kvrm::jit {
namespace fs = std::filesystem;

// ---- SHA-256 -------------------------------------------------------------------------------
namespace {

constexpr std::array<u32, 64> kRound = {
    0x428a2f98, 0x71374491, 0xb5c0fbcf, 0xe9b5dba5, 0x3956c25b, 0x59f111f1, 0x923f82a4, 0xab1c5ed5,
    0xd807aa98, 0x12835b01, 0x243185be, 0x550c7dc3, 0x72be5d74, 0x80deb1fe, 0x9bdc06a7, 0xc19bf174,
    0xe49b69c1, 0xefbe4786, 0x0fc19dc6, 0x240ca1cc, 0x2de92c6f, 0x4a7484aa, 0x5cb0a9dc, 0x76f988da,
    0x983e5152, 0xa831c66d, 0xb00327c8, 0xbf597fc7, 0xc6e00bf3, 0xd5a79147, 0x06ca6351, 0x14292967,
    0x27b70a85, 0x2e1b2138, 0x4d2c6dfc, 0x53380d13, 0x650a7354, 0x766a0abb, 0x81c2c92e, 0x92722c85,
    0xa2bfe8a1, 0xa81a664b, 0xc24b8b70, 0xc76c51a3, 0xd192e819, 0xd6990624, 0xf40e3585, 0x106aa070,
    0x19a4c116, 0x1e376c08, 0x2748774c, 0x34b0bcb5, 0x391c0cb3, 0x4ed8aa4a, 0x5b9cca4f, 0x682e6ff3,
    0x748f82ee, 0x78a5636f, 0x84c87814, 0x8cc70208, 0x90befffa, 0xa4506ceb, 0xbef9a3f7, 0xc67178f2};

constexpr u32 rotr(u32 x, int n) { return (x >> n) | (x << (32 - n)); }

}  // namespace

Sha256::Sha256()
    : h_{0x6a09e667, 0xbb67ae85, 0x3c6ef372, 0xa54ff53a,
         0x510e527f, 0x9b05688c, 0x1f83d9ab, 0x5be0cd19} {}

void Sha256::block(const u8* p) {
  std::array<u32, 64> w;
  for (int i = 0; i < 16; ++i) {
    w[i] = u32{p[4 * i]} << 24 | u32{p[4 * i + 1]} << 16 | u32{p[4 * i + 2]} << 8 | p[4 * i + 3];
  }
  for (int i = 16; i < 64; ++i) {
    const u32 s0 = rotr(w[i - 15], 7) ^ rotr(w[i - 15], 18) ^ (w[i - 15] >> 3);
    const u32 s1 = rotr(w[i - 2], 17) ^ rotr(w[i - 2], 19) ^ (w[i - 2] >> 10);
    w[i] = w[i - 16] + s0 + w[i - 7] + s1;
  }
  u32 a = h_[0], b = h_[1], c = h_[2], d = h_[3], e = h_[4], f = h_[5], g = h_[6], h = h_[7];
  for (int i = 0; i < 64; ++i) {
    const u32 t1 =
        h + (rotr(e, 6) ^ rotr(e, 11) ^ rotr(e, 25)) + ((e & f) ^ (~e & g)) + kRound[i] + w[i];
    const u32 t2 = (rotr(a, 2) ^ rotr(a, 13) ^ rotr(a, 22)) + ((a & b) ^ (a & c) ^ (b & c));
    h = g;
    g = f;
    f = e;
    e = d + t1;
    d = c;
    c = b;
    b = a;
    a = t1 + t2;
  }
  h_[0] += a;
  h_[1] += b;
  h_[2] += c;
  h_[3] += d;
  h_[4] += e;
  h_[5] += f;
  h_[6] += g;
  h_[7] += h;
}

Sha256& Sha256::update(const void* data, size_t size) {
  const u8* p = static_cast<const u8*>(data);
  length_ += size;
  if (used_) {
    const size_t n = std::min(size, buf_.size() - used_);
    std::memcpy(buf_.data() + used_, p, n);
    used_ += n;
    p += n;
    size -= n;
    if (used_ < buf_.size()) return *this;
    block(buf_.data());
    used_ = 0;
  }
  for (; size >= 64; p += 64, size -= 64) block(p);
  std::memcpy(buf_.data(), p, size);
  used_ = size;
  return *this;
}

Sha256& Sha256::field(std::string_view s) {
  field(u64{s.size()});
  return update(s);
}

Sha256& Sha256::field(u64 v) {
  u8 b[8];
  for (int i = 0; i < 8; ++i) b[i] = static_cast<u8>(v >> (8 * i));
  return update(b, sizeof b);
}

Sha256::Digest Sha256::finish() {
  const u64 bits = length_ * 8;
  const u8 pad = 0x80;
  update(&pad, 1);
  const u8 zero = 0;
  while (used_ != 56) update(&zero, 1);
  u8 len[8];
  for (int i = 0; i < 8; ++i) len[i] = static_cast<u8>(bits >> (56 - 8 * i));
  update(len, sizeof len);
  Digest d;
  for (int i = 0; i < 8; ++i) {
    for (int k = 0; k < 4; ++k) d[4 * i + k] = static_cast<u8>(h_[i] >> (24 - 8 * k));
  }
  return d;
}

std::string to_hex(std::span<const u8> bytes) {
  static const char digits[] = "0123456789abcdef";
  std::string s;
  for (const u8 b : bytes) {
    s += digits[b >> 4];
    s += digits[b & 15];
  }
  return s;
}

// ---- Settings ------------------------------------------------------------------------------

std::string default_jit_cache_dir() {
  const char* xdg = std::getenv("XDG_CACHE_HOME");
  if (xdg && *xdg) return std::string(xdg) + "/kvrm";
  const char* home = std::getenv("HOME");
  if (home && *home) return std::string(home) + "/.cache/kvrm";
  return "";
}

u64 default_jit_cache_max_bytes() {
  const char* v = std::getenv("KVRM_JIT_CACHE_MAX_BYTES");
  if (!v || !*v) return u64{1} << 30;
  char* end = nullptr;
  errno = 0;
  const unsigned long long n = std::strtoull(v, &end, 10);
  u64 scale = 1;
  if (end && (*end == 'K' || *end == 'k')) scale = u64{1} << 10;
  if (end && (*end == 'M' || *end == 'm')) scale = u64{1} << 20;
  if (end && (*end == 'G' || *end == 'g')) scale = u64{1} << 30;
  if (scale != 1) ++end;
  if (errno || end == v || *end || (n && n > ~u64{0} / scale) || *v == '-') {
    throw Error(std::string("KVRM_JIT_CACHE_MAX_BYTES: not a size in bytes: '") + v + "'");
  }
  return n * scale;
}

// ---- Entries -------------------------------------------------------------------------------
namespace {

constexpr char kMagic[8] = {'K', 'V', 'R', 'M', 'J', 'I', 'T', 'C'};
constexpr const char* kSuffix = ".kvrmjit";
constexpr const char* kTempPrefix = ".tmp-";

// The header before the payload (fixed-size fields, little-endian integers).
struct Header {
  char magic[8];
  u8 version[4];
  u8 reserved[4];
  u8 key[32];
  u8 payload_size[8];
  u8 checksum[32];
};
static_assert(sizeof(Header) == 88);

template <size_t N>
void put_le(u8 (&out)[N], u64 v) {
  for (size_t i = 0; i < N; ++i) out[i] = static_cast<u8>(v >> (8 * i));
}
template <size_t N>
u64 get_le(const u8 (&in)[N]) {
  u64 v = 0;
  for (size_t i = 0; i < N; ++i) v |= u64{in[i]} << (8 * i);
  return v;
}

Sha256::Digest checksum(std::span<const char> payload) {
  return Sha256().update(payload.data(), payload.size()).finish();
}

// Reads the whole file at `path` (nothing when it cannot be opened or read).
std::optional<std::vector<char>> read_file(const std::string& path) {
  const int fd = ::open(path.c_str(), O_RDONLY | O_CLOEXEC);
  if (fd < 0) return std::nullopt;
  struct stat st {};
  std::optional<std::vector<char>> out;
  if (::fstat(fd, &st) == 0 && S_ISREG(st.st_mode)) {
    std::vector<char> data(static_cast<size_t>(st.st_size));
    size_t got = 0;
    while (got < data.size()) {
      const ssize_t n = ::read(fd, data.data() + got, data.size() - got);
      if (n < 0 && errno == EINTR) continue;
      if (n <= 0) break;
      got += static_cast<size_t>(n);
    }
    data.resize(got);
    out = std::move(data);
  }
  ::close(fd);
  return out;
}

bool write_all(int fd, const void* data, size_t size) {
  const char* p = static_cast<const char*>(data);
  while (size) {
    const ssize_t n = ::write(fd, p, size);
    if (n < 0 && errno == EINTR) continue;
    if (n <= 0) return false;
    p += n;
    size -= static_cast<size_t>(n);
  }
  return true;
}

}  // namespace

JitDiskCache::JitDiskCache(const std::string& setting, u64 max_bytes)
    : max_bytes_(max_bytes ? max_bytes : default_jit_cache_max_bytes()) {
  if (setting == "off") {
    note_ = "the translation cache is off";
    return;
  }
  dir_ = setting.empty() ? default_jit_cache_dir() : setting;
  if (dir_.empty()) {
    disable("no place for it (neither XDG_CACHE_HOME nor HOME is set; use --jit-cache DIR)");
    return;
  }
  while (dir_.size() > 1 && dir_.back() == '/') dir_.pop_back();
  std::error_code ec;
  const fs::path parent = fs::path(dir_).parent_path();
  if (!parent.empty()) fs::create_directories(parent, ec);
  if (!ec && ::mkdir(dir_.c_str(), 0700) != 0 && errno != EEXIST) {
    ec = std::error_code(errno, std::generic_category());
  }
  if (ec) {
    disable(ec.message());
    return;
  }
  if (!fs::is_directory(dir_, ec)) {
    disable("not a directory");
    return;
  }
  if (::access(dir_.c_str(), W_OK | X_OK) != 0) {
    disable(std::strerror(errno));
    return;
  }
  // What is loaded from here runs on the GPU: not from a directory anyone may write to.
  struct stat st {};
  if (::stat(dir_.c_str(), &st) != 0 || st.st_uid != ::geteuid() || (st.st_mode & S_IWOTH)) {
    disable("it belongs to another user or anyone may write to it");
    return;
  }
  enabled_ = true;
}

void JitDiskCache::disable(const std::string& why) {
  enabled_ = false;
  note_ = "the translation cache in '" + dir_ + "' is not usable: " + why;
  std::fprintf(stderr, "kvrm: %s; running without it\n", note_.c_str());
}

std::string JitDiskCache::path_of(const CacheKey& key) const {
  return dir_ + "/" + to_hex(key) + kSuffix;
}

std::optional<std::vector<char>> JitDiskCache::get(const CacheKey& key) {
  if (!enabled_) return std::nullopt;
  const std::string path = path_of(key);
  std::optional<std::vector<char>> file = read_file(path);
  if (!file) {
    ++misses_;
    return std::nullopt;
  }
  const auto reject = [&] {
    // A damaged entry (torn by a crash, truncated, changed): never loaded, removed so the
    // caller's rebuilt one replaces it.
    std::error_code ec;
    fs::remove(path, ec);
    ++rejected_;
    ++misses_;
    return std::nullopt;
  };
  Header h;
  if (file->size() < sizeof h) return reject();
  std::memcpy(&h, file->data(), sizeof h);
  const std::span<const char> payload(file->data() + sizeof h, file->size() - sizeof h);
  if (std::memcmp(h.magic, kMagic, sizeof kMagic) != 0 || get_le(h.version) != kFormatVersion ||
      std::memcmp(h.key, key.data(), key.size()) != 0 || get_le(h.payload_size) != payload.size() ||
      checksum(payload) != std::to_array(h.checksum)) {
    return reject();
  }
  ::utimensat(AT_FDCWD, path.c_str(), nullptr, 0);  // used now: the last to be evicted
  ++hits_;
  return std::vector<char>(payload.begin(), payload.end());
}

void JitDiskCache::put(const CacheKey& key, std::span<const char> payload) {
  if (!enabled_ || sizeof(Header) + payload.size() > max_bytes_) return;
  Header h{};
  std::memcpy(h.magic, kMagic, sizeof kMagic);
  put_le(h.version, kFormatVersion);
  std::memcpy(h.key, key.data(), key.size());
  put_le(h.payload_size, payload.size());
  const Sha256::Digest sum = checksum(payload);
  std::memcpy(h.checksum, sum.data(), sum.size());

  // A name no other writer (thread or process) uses: the rename makes the entry appear whole.
  static std::atomic<u64> serial{0};
  const std::string temp = dir_ + "/" + kTempPrefix + to_hex(key).substr(0, 16) + "-" +
                           std::to_string(::getpid()) + "-" + std::to_string(++serial);
  const int fd = ::open(temp.c_str(), O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, 0644);
  bool ok = fd >= 0 && write_all(fd, &h, sizeof h) && write_all(fd, payload.data(), payload.size());
  if (fd >= 0) ok = ::close(fd) == 0 && ok;
  ok = ok && ::rename(temp.c_str(), path_of(key).c_str()) == 0;
  if (!ok) {
    const int err = errno;
    ::unlink(temp.c_str());
    if (!put_warned_.exchange(true)) {
      std::fprintf(stderr, "kvrm: cannot write to the translation cache in '%s': %s\n",
                   dir_.c_str(), std::strerror(err));
    }
    return;
  }
  ++stores_;
  evict();
}

void JitDiskCache::evict() {
  struct Entry {
    fs::file_time_type used;
    u64 size;
    fs::path path;
  };
  std::vector<Entry> entries;
  u64 total = 0;
  std::error_code ec;
  const auto now = fs::file_time_type::clock::now();
  for (fs::directory_iterator it(dir_, ec), end; !ec && it != end; it.increment(ec)) {
    const fs::path& p = it->path();
    const std::string name = p.filename().string();
    std::error_code e2;
    const auto used = fs::last_write_time(p, e2);
    if (e2) continue;
    if (name.starts_with(kTempPrefix)) {
      // A temporary file left by a writer that died (writers finish in well under an hour).
      if (now - used > std::chrono::hours(1)) fs::remove(p, e2);
      continue;
    }
    if (!name.ends_with(kSuffix)) continue;
    const u64 size = fs::file_size(p, e2);
    if (e2) continue;
    entries.push_back({used, size, p});
    total += size;
  }
  if (total <= max_bytes_) return;
  std::sort(entries.begin(), entries.end(),
            [](const Entry& a, const Entry& b) { return a.used < b.used; });
  for (const Entry& e : entries) {
    if (total <= max_bytes_) break;
    std::error_code e2;
    if (fs::remove(e.path, e2)) ++evicted_;
    total -= e.size;
  }
}

std::shared_ptr<JitDiskCache> open_jit_cache(const std::string& setting, u64 max_bytes) {
  if (setting == "off") return nullptr;
  static std::mutex mu;
  static std::map<std::pair<std::string, u64>, std::shared_ptr<JitDiskCache>> open;
  const std::string dir = setting.empty() ? default_jit_cache_dir() : setting;
  std::lock_guard lock(mu);
  std::shared_ptr<JitDiskCache>& c = open[{dir, max_bytes}];
  if (!c) c = std::make_shared<JitDiskCache>(dir.empty() ? std::string() : dir, max_bytes);
  return c->enabled() ? c : nullptr;
}

}  // namespace kvrm::jit

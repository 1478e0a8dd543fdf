// The smallest static AArch64 executable the loader takes, as bytes: `code` at 0x400100 (R+X)
// and "err\n" at 0x410000 in a 4 KiB RW page. For the OS-layer tests and fuzzers (no gtest).
#pragma once

#include <cstring>
#include <vector>

#include "core/error.hpp"
#include "isa/hd.hpp"

namespace kvrm::os::test {

constexpr u64 kCode = 0x400100, kData = 0x410000, kBuf = 0x410100;

inline std::vector<u8> tiny_elf(const std::vector<u32>& code) {
  std::vector<u8> f(0x1004, 0);
  auto put = [&](size_t off, auto v) { std::memcpy(f.data() + off, &v, sizeof v); };
  const u8 ident[16] = {0x7f, 'E', 'L', 'F', 2, 1, 1, 0};
  std::memcpy(f.data(), ident, 16);
  put(16, u16{2});    // ET_EXEC
  put(18, u16{183});  // EM_AARCH64
  put(20, u32{1});
  put(24, kCode);
  put(32, u64{64});  // phoff
  put(52, u16{64});
  put(54, u16{56});
  put(56, u16{2});
  auto ph = [&](int k, u32 flags, u64 off, u64 va, u64 fs, u64 ms) {
    const size_t base = 64 + 56 * k;
    put(base, u32{1});  // PT_LOAD
    put(base + 4, flags);
    put(base + 8, off);
    put(base + 16, va);
    put(base + 24, va);
    put(base + 32, fs);
    put(base + 40, ms);
    put(base + 48, u64{0x1000});
  };
  if (0x100 + code.size() * 4 > 0x1000) throw Error("test program too long");
  ph(0, 5, 0, 0x400000, 0x100 + code.size() * 4, 0x100 + code.size() * 4);
  ph(1, 6, 0x1000, kData, 4, 0x1000);
  std::memcpy(f.data() + 0x100, code.data(), code.size() * 4);
  std::memcpy(f.data() + 0x1000, "err\n", 4);
  return f;
}

}  // namespace kvrm::os::test

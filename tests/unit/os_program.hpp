// Tests of the OS layer: tiny static AArch64 programs built by hand (a few instruction
// encodings and a minimal ELF file), for tests that run a Process without a cross compiler.
#pragma once

#include <gtest/gtest.h>
#include <unistd.h>

#include <cstring>
#include <fstream>
#include <string>
#include <vector>

#include "core/error.hpp"
#include "isa/hd.hpp"

namespace kvrm::os::test {

inline u32 movz(int rd, u32 imm, int hw = 0) { return 0xd2800000 | hw << 21 | imm << 5 | rd; }
inline u32 movk(int rd, u32 imm, int hw = 0) { return 0xf2800000 | hw << 21 | imm << 5 | rd; }
inline u32 mov(int rd, int rm) { return 0xaa0003e0 | rm << 16 | rd; }  // ORR rd, xzr, rm
constexpr u32 kSvc = 0xd4000001;
// Branches: `off` in instructions, relative to the branch itself.
inline u32 b(int off) { return 0x14000000 | (static_cast<u32>(off) & 0x3ffffff); }
inline u32 cbz(int rt, int off) { return 0xb4000000 | (static_cast<u32>(off) & 0x7ffff) << 5 | rt; }
inline u32 tbnz63(int rt, int off) {
  return 0xb7f80000 | (static_cast<u32>(off) & 0x3fff) << 5 | rt;
}
constexpr u32 kLdrX0X1 = 0xf9400020;  // ldr x0, [x1]

constexpr u64 kCode = 0x400100, kData = 0x410000, kBuf = 0x410100;

// The programs written by this test process, removed when it ends.
struct TempFiles {
  std::vector<std::string> paths;
  ~TempFiles() {
    for (const auto& p : paths) ::unlink(p.c_str());
  }
};
inline TempFiles temp_files;

// A static executable: `code` at 0x400100 (R+X) and "err\n" at 0x410000 in a 4 KiB RW page,
// written to the test's temporary directory; returns its path.
inline std::string write_program(const std::string& name, const std::vector<u32>& code) {
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
  // One file per test process: ctest runs the tests of one binary as parallel processes.
  const std::string path =
      ::testing::TempDir() + "kvrm_os_test_" + std::to_string(::getpid()) + "_" + name;
  std::ofstream(path, std::ios::binary).write(reinterpret_cast<const char*>(f.data()), f.size());
  temp_files.paths.push_back(path);
  return path;
}

}  // namespace kvrm::os::test

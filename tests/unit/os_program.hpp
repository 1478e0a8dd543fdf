// Tests of the OS layer: tiny static AArch64 programs built by hand (a few instruction
// encodings and a minimal ELF file), for tests that run a Process without a cross compiler.
#pragma once

#include <gtest/gtest.h>
#include <unistd.h>

#include <chrono>
#include <cstring>
#include <fstream>
#include <string>
#include <thread>
#include <vector>

#include "core/error.hpp"
#include "engines/engine.hpp"
#include "isa/hd.hpp"
#include "os/process.hpp"
#include "tiny_elf.hpp"

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
  const std::vector<u8> f = tiny_elf(code);
  // One file per test process: ctest runs the tests of one binary as parallel processes.
  const std::string path =
      ::testing::TempDir() + "kvrm_os_test_" + std::to_string(::getpid()) + "_" + name;
  std::ofstream(path, std::ios::binary).write(reinterpret_cast<const char*>(f.data()), f.size());
  temp_files.paths.push_back(path);
  return path;
}

// What a run of a program on the reference engine gave.
struct Outcome {
  int status = -1;
  double seconds = 0;
  std::string out, err;
};

// Runs `prog` on the reference engine with a timeout (0: none); after `after_ms` (unless
// negative), calls act(p) from another thread.
template <class Act>
Outcome run_and(const std::string& prog, double timeout, int after_ms, Act act) {
  Outcome r;
  auto e = make_reference_engine(u64{64} << 20);
  ProcessOptions o;
  o.path = prog;
  o.argv = {prog};
  o.timeout_seconds = timeout;
  o.stdout_buffer = &r.out;
  o.stderr_buffer = &r.err;
  Process p(*e, std::move(o));
  std::thread t([&] {
    if (after_ms < 0) return;
    std::this_thread::sleep_for(std::chrono::milliseconds(after_ms));
    act(p);
  });
  const auto t0 = std::chrono::steady_clock::now();
  r.status = p.run();
  r.seconds = std::chrono::duration<double>(std::chrono::steady_clock::now() - t0).count();
  t.join();
  return r;
}
inline Outcome run_program(const std::string& prog, double timeout = 10) {
  return run_and(prog, timeout, -1, [](Process&) {});
}

}  // namespace kvrm::os::test

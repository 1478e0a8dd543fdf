// The translation cache on disk with the run-time compiler (jit/cache.hpp,
// jit_compiler.hpp): a module compiled once comes from disk whole the next time (no NVRTC, no
// nvJitLink, the same cubin), a grown translation compiles only its new parts, and a damaged
// entry is compiled again. These need NVRTC but no GPU (skipped without NVRTC). Where a GPU is
// usable, a second engine running the same program replays the first one's rounds of
// translation and compiles nothing.
#if defined(KVRM_HAVE_CUDA)
#include <gtest/gtest.h>

#include <unistd.h>
#include "../unit/temp_dir.hpp"

#include <chrono>
#include <cstring>
#include <filesystem>
#include <fstream>
#include <string>
#include <vector>

#include "engines/cuda/cuda_engine.hpp"
#include "engines/engine.hpp"
#include "isa/mmu.hpp"
#include "jit/cache.hpp"
#include "jit/compiler.hpp"
#include "jit/translator.hpp"
#include "require_gpu.hpp"

namespace kvrm {
namespace {
namespace fs = std::filesystem;

constexpr u64 kCode = 0x400000;

// Two loops: x0 += 1 while x1 counts down, then x2 += 2 while x3 counts down.
const std::vector<u32> kTwoLoops = {
    0x91000400,  // 0:  add x0, x0, #1
    0xf1000421,  // 4:  subs x1, x1, #1
    0x54ffffc1,  // 8:  b.ne 0
    0x91000842,  // 12: add x2, x2, #2
    0xf1000463,  // 16: subs x3, x3, #1
    0x54ffffc1,  // 20: b.ne 12
    0xd4400000,  // 24: hlt #0
};

using test::TempDir;

// The code page, read-only and executable, as the translator reads guest code.
struct Code {
  std::vector<u8> page = std::vector<u8>(kPageSize, 0);
  Code() { std::memcpy(page.data(), kTwoLoops.data(), kTwoLoops.size() * 4); }
  jit::CodeReader reader() const {
    return [this](u64 va, jit::CodePage& p) {
      if (va != kCode) return false;
      p.leaf = make_leaf(1, kPermRead | kPermExec);
      p.bytes = page.data();
      return true;
    };
  }
};

// The sources with a line that makes them this test run's own (so that neither this process
// nor the disk has them compiled already).
std::vector<std::string> own(const std::vector<std::string>& sources, const std::string& tag) {
  std::vector<std::string> out;
  for (const auto& s : sources) out.push_back("// " + tag + "\n" + s);
  return out;
}

std::string run_tag() {
  return "kvrm jit cache test " + std::to_string(::getpid()) + " " +
         std::to_string(std::chrono::steady_clock::now().time_since_epoch().count());
}

TEST(JitCacheCompiler, ASecondCompileComesFromDisk) {
  std::string why;
  if (!jit::jit_compiler_available(&why)) GTEST_SKIP() << why;
  TempDir d;
  jit::JitDiskCache disk(d.path());
  ASSERT_TRUE(disk.enabled());
  const Code code;
  const u64 entry = kCode;
  const std::vector<std::string> sources =
      own(jit::translate(std::span(&entry, 1), code.reader()).sources, run_tag());

  const jit::CompiledModule first = jit::compile_module(sources, &disk);
  EXPECT_FALSE(first.from_disk);
  EXPECT_FALSE(first.cached);
  EXPECT_EQ(first.parts_compiled, sources.size());
  EXPECT_EQ(first.parts_from_disk, 0u);
  EXPECT_GT(first.compile_seconds, 0.0);
  ASSERT_GT(first.cubin.size(), 4u);
  EXPECT_EQ(0, std::memcmp(first.cubin.data(),
                           "\x7f"
                           "ELF",
                           4));

  // As a new process: only the disk has it.
  jit::forget_compiled_modules();
  const jit::CompiledModule second = jit::compile_module(sources, &disk);
  EXPECT_TRUE(second.from_disk);
  EXPECT_EQ(second.parts_compiled, 0u);
  EXPECT_EQ(second.compile_seconds, 0.0);
  EXPECT_EQ(second.link_seconds, 0.0);
  EXPECT_EQ(second.cubin, first.cubin);
  // find_compiled_module answers the same without compiling.
  jit::forget_compiled_modules();
  const auto found = jit::find_compiled_module(sources, &disk);
  ASSERT_TRUE(found.has_value());
  EXPECT_TRUE(found->from_disk);
  EXPECT_EQ(found->cubin, first.cubin);

  // Every entry damaged (its last byte flipped): rejected, compiled again, stored again.
  for (const auto& e : fs::directory_iterator(d.path())) {
    std::fstream f(e.path(), std::ios::in | std::ios::out | std::ios::binary);
    f.seekg(-1, std::ios::end);
    char c = 0;
    f.read(&c, 1);
    c = static_cast<char>(~c);
    f.seekp(-1, std::ios::end);
    f.write(&c, 1);
  }
  jit::forget_compiled_modules();
  EXPECT_FALSE(jit::find_compiled_module(sources, &disk).has_value());
  const jit::CompiledModule third = jit::compile_module(sources, &disk);
  EXPECT_FALSE(third.from_disk);
  EXPECT_EQ(third.parts_compiled, sources.size());
  EXPECT_GE(disk.rejected(), 1 + sources.size());
  EXPECT_EQ(0, std::memcmp(third.cubin.data(),
                           "\x7f"
                           "ELF",
                           4));
  jit::forget_compiled_modules();
  EXPECT_TRUE(jit::compile_module(sources, &disk).from_disk);
}

TEST(JitCacheCompiler, AGrownTranslationCompilesOnlyItsNewParts) {
  std::string why;
  if (!jit::jit_compiler_available(&why)) GTEST_SKIP() << why;
  TempDir d;
  jit::JitDiskCache disk(d.path());
  const Code code;
  const std::string tag = run_tag();
  // Round one translates the first loop, round two the second.
  jit::Translator t(jit::TranslatorLimits{.follow_depth = 0});
  const u64 first_loop = kCode, second_loop = kCode + 12;
  ASSERT_GT(t.add(std::span(&first_loop, 1), code.reader()), 0u);
  const std::vector<std::string> one = own(t.snapshot()->sources, tag);
  ASSERT_GT(t.add(std::span(&second_loop, 1), code.reader()), 0u);
  const std::vector<std::string> two = own(t.snapshot()->sources, tag);
  ASSERT_GT(two.size(), one.size());

  jit::compile_module(one, &disk);
  jit::forget_compiled_modules();
  const jit::CompiledModule grown = jit::compile_module(two, &disk);
  EXPECT_FALSE(grown.from_disk);
  EXPECT_GT(grown.parts_from_disk, 0u);
  EXPECT_EQ(grown.parts_from_disk + grown.parts_compiled, two.size());
}

// Runs kTwoLoops on a CUDA engine translating with `cache` until it halts.
JitStats run_two_loops(const std::string& cache) {
  auto e = make_cuda_engine(
      {.memory_limit = u64{16} << 20,
       .jit = {.mode = JitMode::On, .hot_threshold = 1, .wait = true, .cache = cache}});
  e->map(kCode, 0x1000, kPermRead | kPermExec);
  e->write_memory(kCode, kTwoLoops.data(), kTwoLoops.size() * 4);
  e->set_pc(kCode);
  e->set_reg(1, 100000);
  e->set_reg(3, 100000);
  RunResult r;
  for (int i = 0; i < 100 && r.signal != Signal::Halt; ++i) r = e->execute(20000);
  EXPECT_EQ(r.signal, Signal::Halt);
  EXPECT_EQ(e->reg(0), 100000u);
  EXPECT_EQ(e->reg(2), 200000u);
  const JitStats s = cuda_jit_stats(*e);
  e.reset();  // stores the profile
  return s;
}

TEST(JitCacheEngine, ASecondRunReplaysTheRoundsAndCompilesNothing) {
  KVRM_REQUIRE_GPU();
  std::string why;
  if (!jit::jit_compiler_available(&why)) GTEST_SKIP() << why;
  TempDir d;
  jit::forget_compiled_modules();
  const JitStats first = run_two_loops(d.path());
  EXPECT_GT(first.compiles, 0u);
  EXPECT_EQ(first.rounds_replayed, 0u);
  EXPECT_EQ(first.cache, d.path());

  jit::forget_compiled_modules();  // as a new process
  const JitStats second = run_two_loops(d.path());
  EXPECT_GT(second.rounds_replayed, 0u);
  EXPECT_GT(second.modules_from_disk, 0u);
  EXPECT_EQ(second.parts_compiled, 0u);
  EXPECT_EQ(second.compile_seconds, 0.0);
  EXPECT_EQ(second.link_seconds, 0.0);
  EXPECT_EQ(second.blocks, first.blocks);

  // With the cache off nothing is replayed and nothing is written.
  jit::forget_compiled_modules();
  const JitStats off = run_two_loops("off");
  EXPECT_EQ(off.rounds_replayed, 0u);
  EXPECT_TRUE(off.cache.empty());
}

}  // namespace
}  // namespace kvrm
#endif

// The ELF loader: a well-formed image loads with its permissions and zeroed .bss; every kind of
// malformed input is a clear ExecError, never a crash.
#include <gtest/gtest.h>

#include <cstring>
#include <fstream>
#include <string>
#include <vector>

#include "engines/engine.hpp"
#include "isa/mmu.hpp"
#include "os/elf.hpp"

namespace kvrm::os {
namespace {

template <class T>
void put(std::vector<u8>& f, size_t off, T v) {
  if (f.size() < off + sizeof v) f.resize(off + sizeof v);
  std::memcpy(f.data() + off, &v, sizeof v);
}

// A static AArch64 executable: one R+X segment with a nop at 0x400100 and one RW
// segment at 0x411000 with 4 file bytes and 0x2000 bytes in memory.
std::vector<u8> make_elf(u16 type = 2, u16 machine = 183) {
  std::vector<u8> f(0x1100, 0);
  const u8 ident[16] = {0x7f, 'E', 'L', 'F', 2, 1, 1, 0};
  std::memcpy(f.data(), ident, 16);
  put<u16>(f, 16, type);
  put<u16>(f, 18, machine);
  put<u32>(f, 20, 1);
  put<u64>(f, 24, 0x400100);  // entry
  put<u64>(f, 32, 64);        // phoff
  put<u16>(f, 52, 64);
  put<u16>(f, 54, 56);
  put<u16>(f, 56, 3);
  auto ph = [&](int k, u32 t, u32 flags, u64 off, u64 va, u64 fs, u64 ms) {
    const size_t b = 64 + 56 * k;
    put<u32>(f, b, t);
    put<u32>(f, b + 4, flags);
    put<u64>(f, b + 8, off);
    put<u64>(f, b + 16, va);
    put<u64>(f, b + 24, va);
    put<u64>(f, b + 32, fs);
    put<u64>(f, b + 40, ms);
    put<u64>(f, b + 48, 0x1000);
  };
  ph(0, 1, 5, 0, 0x400000, 0x200, 0x200);
  ph(1, 1, 6, 0x1000, 0x411000, 4, 0x2000);
  ph(2, 0x6474e551, 6, 0, 0, 0, 0);
  put<u32>(f, 0x100, 0xd503201f);  // nop
  put<u32>(f, 0x1000, 0xdeadbeef);
  return f;
}

std::string error_of(const std::vector<u8>& f) {
  try {
    parse_elf(f, "prog");
  } catch (const ExecError& e) {
    EXPECT_EQ(e.status(), kExitNotExecutable);
    return e.what();
  }
  return "";
}

TEST(ElfLoader, LoadsStaticExecutable) {
  auto f = make_elf();
  ElfImage img = parse_elf(f, "prog");
  EXPECT_FALSE(img.pie);
  EXPECT_FALSE(img.exec_stack);
  ASSERT_EQ(img.loads.size(), 2u);
  EXPECT_EQ(img.phdr_vaddr, 0x400040u);
  auto e = make_reference_engine(u64{64} << 20);
  LoadedImage li = load_elf(*e, img, f);
  EXPECT_EQ(li.entry, 0x400100u);
  EXPECT_EQ(li.phdr, 0x400040u);
  EXPECT_EQ(li.high, 0x413000u);
  u32 w = 0;
  e->read_memory(0x411000, &w, 4);
  EXPECT_EQ(w, 0xdeadbeefu);
  e->read_memory(0x411004, &w, 4);
  EXPECT_EQ(w, 0u);
  e->read_memory(0x412ffc, &w, 4);
  EXPECT_EQ(w, 0u);
  EXPECT_TRUE(e->is_mapped(0x400000, 0x1000));
  EXPECT_FALSE(e->is_mapped(0x401000, 0x1000));
}

TEST(ElfLoader, StaticPieLoadsAtFixedBase) {
  auto f = make_elf(3);
  ElfImage img = parse_elf(f, "prog");
  EXPECT_TRUE(img.pie);
  auto e = make_reference_engine(u64{64} << 20);
  LoadedImage li = load_elf(*e, img, f);
  EXPECT_EQ(li.entry, kPieBase + 0x100);
  EXPECT_TRUE(e->is_mapped(kPieBase, 0x1000));
}

TEST(ElfLoader, RejectsEmpty) { EXPECT_NE(error_of({}).find("empty file"), std::string::npos); }

TEST(ElfLoader, RejectsBadMagic) {
  auto f = make_elf();
  f[1] = 'X';
  EXPECT_NE(error_of(f).find("not an ELF file"), std::string::npos);
  EXPECT_NE(error_of({'#', '!', '/', 'b'}).find("not an ELF file"), std::string::npos);
}

TEST(ElfLoader, RejectsTruncated) {
  auto f = make_elf();
  for (size_t n : {size_t{3}, size_t{10}, size_t{40}, size_t{100}, size_t{0x1002}}) {
    std::vector<u8> t(f.begin(), f.begin() + n);
    EXPECT_NE(error_of(t).find("truncated"), std::string::npos) << n << ": " << error_of(t);
  }
}

TEST(ElfLoader, RejectsClassEndianMachineType) {
  auto f = make_elf();
  f[4] = 1;
  EXPECT_NE(error_of(f).find("32-bit"), std::string::npos);
  f = make_elf();
  f[5] = 2;
  EXPECT_NE(error_of(f).find("big-endian"), std::string::npos);
  EXPECT_NE(error_of(make_elf(2, 62)).find("wrong machine: x86-64"), std::string::npos);
  EXPECT_NE(error_of(make_elf(2, 40)).find("32-bit ARM"), std::string::npos);
  EXPECT_NE(error_of(make_elf(1)).find("relocatable"), std::string::npos);
}

TEST(ElfLoader, RejectsBadProgramHeaders) {
  auto f = make_elf();
  put<u64>(f, 32, ~u64{0} - 8);  // phoff near the top: must not wrap
  EXPECT_NE(error_of(f).find("program headers outside"), std::string::npos);
  f = make_elf();
  put<u64>(f, 64 + 56 + 8, ~u64{0});  // segment offset absurd
  EXPECT_NE(error_of(f).find("past the end"), std::string::npos);
  f = make_elf();
  put<u64>(f, 64 + 56 + 16, 0x400040);  // second segment overlaps the first
  EXPECT_NE(error_of(f).find("overlapping"), std::string::npos);
  f = make_elf();
  put<u64>(f, 64 + 56 + 16, ~u64{0} - 0x1000);  // vaddr + memsz wraps
  EXPECT_NE(error_of(f).find("outside the user address space"), std::string::npos);
  f = make_elf();
  put<u64>(f, 64 + 56 + 32, 0x3000);  // filesz > memsz (and past the end)
  EXPECT_FALSE(error_of(f).empty());
  f = make_elf();
  put<u16>(f, 54, 32);
  EXPECT_NE(error_of(f).find("program header size"), std::string::npos);
}

// A dynamically linked program's PT_INTERP is its interpreter's path (the process loads it); one
// that is empty or not NUL-terminated is refused.
TEST(ElfLoader, RecordsTheInterpreter) {
  auto f = make_elf();
  const char interp[] = "/lib/ld-linux-aarch64.so.1";
  std::memcpy(f.data() + 0x1010, interp, sizeof interp);
  const size_t b = 64 + 2 * 56;
  put<u32>(f, b, 3);
  put<u64>(f, b + 8, 0x1010);
  put<u64>(f, b + 32, sizeof interp);
  EXPECT_EQ(parse_elf(f, "prog").interp, interp);
  put<u64>(f, b + 32, sizeof interp - 1);  // no NUL within the segment
  EXPECT_NE(error_of(f).find("program interpreter"), std::string::npos) << error_of(f);
  f[0x1010] = 0;
  put<u64>(f, b + 32, sizeof interp);  // empty
  EXPECT_NE(error_of(f).find("program interpreter"), std::string::npos) << error_of(f);
}

TEST(ElfLoader, GnuStackExecutable) {
  auto f = make_elf();
  put<u32>(f, 64 + 2 * 56 + 4, 7);
  EXPECT_TRUE(parse_elf(f, "prog").exec_stack);
}

TEST(ElfLoader, FileErrors) {
  try {
    read_program_file("/nonexistent/kvrm-test-file");
    FAIL();
  } catch (const ExecError& e) {
    EXPECT_EQ(e.status(), kExitNotFound);
  }
  try {
    read_program_file("/tmp");
    FAIL();
  } catch (const ExecError& e) {
    EXPECT_EQ(e.status(), kExitNotExecutable);
    EXPECT_NE(std::string(e.what()).find("directory"), std::string::npos);
  }
}

// Every truncation and every single-byte corruption of the header area parses or fails cleanly.
TEST(ElfLoader, CorruptionsNeverCrash) {
  const auto f = make_elf();
  for (size_t n = 0; n < 300; ++n) {
    std::vector<u8> t(f.begin(), f.begin() + n);
    EXPECT_THROW(parse_elf(t, "p"), ExecError);
  }
  for (size_t i = 0; i < 64 + 3 * 56; ++i) {
    for (u8 v : {u8{0}, u8{0xff}, u8{0x80}}) {
      auto t = f;
      t[i] = v;
      try {
        ElfImage img = parse_elf(t, "p");
        auto e = make_reference_engine(u64{64} << 20);
        load_elf(*e, img, t);
      } catch (const Error&) {
      }
    }
  }
}

}  // namespace
}  // namespace kvrm::os

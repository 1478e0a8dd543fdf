// How large translated code is: translates functions of a static AArch64 program (by symbol name
// or hex address) as one round, compiles and links the module as the engines do (NVRTC and
// nvJitLink; no GPU needed), and prints the machine code of its region functions per guest
// instruction (sm_90 instructions are 16 bytes; the padding after each function included).
// Usage: kvrm_jit_size PROGRAM FUNCTION|0xADDRESS...
#include <elf.h>

#include <cstdio>
#include <cstring>
#include <fstream>
#include <map>
#include <string>
#include <vector>

#include "core/error.hpp"
#include "jit/compiler.hpp"
#include "jit/translator.hpp"
#include "os/elf.hpp"

namespace {

using namespace kvrm;

template <class T>
const T* at(const std::vector<char>& img, u64 off) {
  if (off + sizeof(T) > img.size()) throw Error("truncated ELF file");
  return reinterpret_cast<const T*>(img.data() + off);
}

// Symbol name -> value, from an ELF file's symbol tables.
std::map<std::string, u64> symbols(const std::vector<char>& img) {
  std::map<std::string, u64> out;
  const auto* eh = at<Elf64_Ehdr>(img, 0);
  for (int i = 0; i < eh->e_shnum; ++i) {
    const auto* sh = at<Elf64_Shdr>(img, eh->e_shoff + static_cast<u64>(i) * eh->e_shentsize);
    if (sh->sh_type != SHT_SYMTAB) continue;
    const auto* strtab = at<Elf64_Shdr>(img, eh->e_shoff + u64{sh->sh_link} * eh->e_shentsize);
    for (u64 k = 0; k < sh->sh_size / sizeof(Elf64_Sym); ++k) {
      const auto* sym = at<Elf64_Sym>(img, sh->sh_offset + k * sizeof(Elf64_Sym));
      const u64 name = strtab->sh_offset + sym->st_name;
      if (name >= img.size()) continue;
      out.emplace(std::string(img.data() + name, strnlen(img.data() + name, img.size() - name)),
                  sym->st_value);
    }
  }
  return out;
}

int run(int argc, char** argv) {
  if (argc < 3) {
    std::fprintf(stderr, "usage: kvrm_jit_size PROGRAM FUNCTION|0xADDRESS...\n");
    return 2;
  }
  // The whole file (os::read_program_file reads only what is loaded; the symbols lie beyond).
  std::ifstream in(argv[1], std::ios::binary);
  if (!in) throw Error(std::string("cannot read ") + argv[1]);
  const std::vector<char> img{std::istreambuf_iterator<char>(in), {}};
  const std::vector<u8> file(img.begin(), img.end());
  const os::ElfImage elf = os::parse_elf(file, argv[1]);
  std::vector<os::ElfSegment> code;
  for (const os::ElfSegment& s : elf.loads) {
    if (s.flags & PF_X) code.push_back(s);
  }
  std::map<u64, std::vector<u8>> pages;
  const jit::CodeReader read = [&](u64 va, jit::CodePage& p) {
    for (const os::ElfSegment& s : code) {
      if (va + kPageSize <= s.vaddr || va >= s.vaddr + s.filesz) continue;
      std::vector<u8>& bytes = pages[va];
      if (bytes.empty()) {
        bytes.assign(kPageSize, 0);
        for (u64 i = 0; i < kPageSize; ++i) {
          if (va + i >= s.vaddr && va + i < s.vaddr + s.filesz)
            bytes[i] = file[s.offset + va + i - s.vaddr];
        }
      }
      p.leaf = make_leaf(1, kPermRead | kPermExec);
      p.bytes = bytes.data();
      return true;
    }
    return false;
  };
  const std::map<std::string, u64> names = symbols(img);
  std::vector<u64> entries;
  for (int i = 2; i < argc; ++i) {
    const std::string a = argv[i];
    const auto it = names.find(a);
    if (it != names.end()) {
      entries.push_back(it->second);
    } else if (a.rfind("0x", 0) == 0) {
      entries.push_back(std::stoull(a, nullptr, 16));
    } else {
      throw Error("no symbol " + a + " in " + argv[1]);
    }
  }
  jit::TranslatorLimits limits;
  limits.round_instructions = 4096;
  const jit::Translation t = jit::translate(entries, read, limits);
  if (t.sources.empty()) throw Error("nothing to translate at those entries");
  std::map<u32, u64> guest;  // region -> its guest instructions
  for (const jit::Block& b : t.blocks) guest[b.region] += b.words.size();
  const jit::CompiledModule m = jit::compile_module(t.sources);
  // The region functions' sizes, from the linked cubin's symbol table.
  u64 bytes = 0, counted = 0;
  const auto* ce = at<Elf64_Ehdr>(m.cubin, 0);
  for (int i = 0; i < ce->e_shnum; ++i) {
    const auto* sh = at<Elf64_Shdr>(m.cubin, ce->e_shoff + static_cast<u64>(i) * ce->e_shentsize);
    if (sh->sh_type != SHT_SYMTAB) continue;
    const auto* strtab = at<Elf64_Shdr>(m.cubin, ce->e_shoff + u64{sh->sh_link} * ce->e_shentsize);
    for (u64 k = 0; k < sh->sh_size / sizeof(Elf64_Sym); ++k) {
      const auto* sym = at<Elf64_Sym>(m.cubin, sh->sh_offset + k * sizeof(Elf64_Sym));
      const char* name = m.cubin.data() + strtab->sh_offset + sym->st_name;
      const char* r = std::strstr(name, "region_");
      if (ELF64_ST_TYPE(sym->st_info) != STT_FUNC || !r) continue;
      bytes += sym->st_size;
      counted += guest[static_cast<u32>(std::strtoul(r + 7, nullptr, 10))];
    }
  }
  if (counted == 0) throw Error("no region functions in the linked module");
  std::printf(
      "%zu blocks, %llu guest instructions, %u regions in %zu parts; compiled in %.2f s, linked "
      "in %.2f s\nregion code: %llu bytes, %.1f bytes = %.1f instructions (%s) per guest "
      "instruction\n",
      t.blocks.size(), static_cast<unsigned long long>(t.instructions), t.regions,
      t.sources.size() - 1, m.compile_seconds, m.link_seconds,
      static_cast<unsigned long long>(bytes), static_cast<double>(bytes) / counted,
      static_cast<double>(bytes) / counted / 16, jit::jit_arch());
  return 0;
}

}  // namespace

int main(int argc, char** argv) {
  try {
    return run(argc, argv);
  } catch (const std::exception& e) {
    std::fprintf(stderr, "kvrm_jit_size: %s\n", e.what());
    return 1;
  }
}

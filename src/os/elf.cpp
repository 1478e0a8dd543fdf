// The ELF64 loader. Every offset and size read from the file is checked against the file's
// length with overflow-safe arithmetic before it is used.
#include "os/elf.hpp"

#include <sys/stat.h>

#include <algorithm>
#include <cerrno>
#include <cstring>
#include <fstream>

#include "engines/engine.hpp"
#include "isa/mmu.hpp"

namespace kvrm::os {
namespace {

constexpr u32 PT_LOAD = 1, PT_INTERP = 3, PT_PHDR = 6, PT_GNU_STACK = 0x6474e551;
constexpr u32 PF_X = 1, PF_W = 2, PF_R = 4;
constexpr u16 EM_AARCH64 = 183;
constexpr u64 kPhentSize = 56;
// Segments must lie below 2^47 (file addresses; a PIE's bias is added on top) and be no larger
// than this in total.
constexpr u64 kUserTop = u64{1} << 47;
constexpr u64 kMaxImage = u64{4} << 30;

template <class T>
T get(std::span<const u8> f, u64 off) {
  T v;
  std::memcpy(&v, f.data() + off, sizeof v);  // callers checked off + sizeof v <= f.size()
  return v;
}

[[noreturn]] void bad(const std::string& name, const std::string& why) {
  throw ExecError(kExitNotExecutable, name + ": " + why);
}

std::string machine_name(u16 m) {
  switch (m) {
    case 2: return "SPARC";
    case 3: return "x86 (i386)";
    case 8: return "MIPS";
    case 20: return "PowerPC";
    case 21: return "PowerPC64";
    case 22: return "S/390";
    case 40: return "32-bit ARM";
    case 43: return "SPARC V9";
    case 62: return "x86-64";
    case 243: return "RISC-V";
    case 258: return "LoongArch";
  }
  return "machine " + std::to_string(m);
}

// True when [off, off+len) lies inside a file of `size` bytes.
bool inside(u64 off, u64 len, u64 size) { return off <= size && len <= size - off; }

u8 perms_of(u32 flags) {
  return static_cast<u8>(((flags & PF_R) ? kPermRead : 0) | ((flags & PF_W) ? kPermWrite : 0) |
                         ((flags & PF_X) ? kPermExec : 0));
}

}  // namespace

std::vector<u8> read_program_file(const std::string& path) {
  struct stat st;
  if (::stat(path.c_str(), &st) != 0) {
    const int err = errno;
    throw ExecError(err == ENOENT || err == ENOTDIR ? kExitNotFound : kExitNotExecutable,
                    path + ": " + std::strerror(err));
  }
  if (S_ISDIR(st.st_mode)) throw ExecError(kExitNotExecutable, path + ": is a directory");
  if (!S_ISREG(st.st_mode)) throw ExecError(kExitNotExecutable, path + ": not a regular file");
  if (static_cast<u64>(st.st_size) > kMaxImage)
    throw ExecError(kExitNotExecutable, path + ": file too large");
  std::ifstream in(path, std::ios::binary);
  if (!in) throw ExecError(kExitNotExecutable, path + ": cannot open: " + std::strerror(errno));
  // Only what the loader reads: the header first (a file that is no ELF64 stops there), then
  // the program headers and the segments they name, never the rest of a large file.
  const u64 size = static_cast<u64>(st.st_size);
  std::vector<u8> data;
  auto read_prefix = [&](u64 n) {
    const u64 have = data.size();
    n = std::min(n, size);
    if (n <= have) return;
    data.resize(n);
    in.seekg(static_cast<std::streamoff>(have));
    in.read(reinterpret_cast<char*>(data.data() + have), static_cast<std::streamsize>(n - have));
    if (static_cast<u64>(in.gcount()) != n - have) throw ExecError(1, path + ": read error");
  };
  read_prefix(64);
  if (data.size() < 64 ||
      std::memcmp(data.data(),
                  "\x7f"
                  "ELF",
                  4) != 0 ||
      data[4] != 2)
    return data;  // parse_elf says what is wrong
  const u64 phoff = get<u64>(data, 32);
  const u64 phnum = get<u16>(data, 56);
  if (phoff > size || phnum * kPhentSize > size - phoff) return data;
  read_prefix(phoff + phnum * kPhentSize);
  u64 extent = data.size();
  for (u64 k = 0; k < phnum; ++k) {
    const u64 ph = phoff + k * kPhentSize;
    const u32 type = get<u32>(data, ph);
    const u64 offset = get<u64>(data, ph + 8), filesz = get<u64>(data, ph + 32);
    if ((type == PT_LOAD || type == PT_INTERP) && offset <= size)
      extent = std::max(extent, offset + std::min(filesz, size - offset));
  }
  read_prefix(extent);
  return data;
}

ElfImage parse_elf(std::span<const u8> f, const std::string& name) {
  static constexpr u8 kMagic[4] = {0x7f, 'E', 'L', 'F'};
  const u64 size = f.size();
  if (size == 0) bad(name, "empty file, not an ELF executable");
  if (std::memcmp(f.data(), kMagic, std::min<u64>(size, 4)) != 0)
    bad(name, "not an ELF file (bad magic)");
  if (size < 16) bad(name, "truncated ELF header");
  if (f[4] != 2) bad(name, f[4] == 1 ? "32-bit ELF, not ELF64" : "bad ELF class");
  if (f[5] != 1)
    bad(name, f[5] == 2 ? "big-endian ELF, not little-endian" : "bad ELF data encoding");
  if (f[6] != 1) bad(name, "bad ELF version");
  if (size < 64) bad(name, "truncated ELF header");
  const u16 type = get<u16>(f, 16);
  const u16 machine = get<u16>(f, 18);
  if (machine != EM_AARCH64)
    bad(name, "wrong machine: " + machine_name(machine) + ", kvrm runs AArch64 programs");
  if (get<u32>(f, 20) != 1) bad(name, "bad ELF version");
  if (type == 1) bad(name, "a relocatable object file, not an executable");
  if (type == 4) bad(name, "a core dump, not an executable");
  if (type != 2 && type != 3)
    bad(name, "not an executable (ELF type " + std::to_string(type) + ")");

  ElfImage img;
  img.pie = type == 3;
  img.entry = get<u64>(f, 24);
  img.phoff = get<u64>(f, 32);
  img.phentsize = get<u16>(f, 54);
  img.phnum = get<u16>(f, 56);
  if (img.phnum == 0) bad(name, "no program headers");
  if (img.phnum == 0xffff) bad(name, "too many program headers (PN_XNUM)");
  if (img.phentsize != kPhentSize) bad(name, "bad program header size");
  if (!inside(img.phoff, u64{img.phnum} * kPhentSize, size))
    bad(name, "program headers outside the file (truncated?)");

  u64 total = 0;
  for (u64 k = 0; k < img.phnum; ++k) {
    const u64 ph = img.phoff + k * kPhentSize;
    const u32 ptype = get<u32>(f, ph);
    const u32 flags = get<u32>(f, ph + 4);
    ElfSegment s{get<u64>(f, ph + 8), get<u64>(f, ph + 16), get<u64>(f, ph + 32),
                 get<u64>(f, ph + 40), flags};
    if (ptype == PT_INTERP) {  // a dynamically linked program: ld.so's path, NUL-terminated
      if (!inside(s.offset, s.filesz, size) || s.filesz < 2 || s.filesz > 4096)
        bad(name, "bad program interpreter (PT_INTERP) segment");
      const char* p = reinterpret_cast<const char*>(f.data() + s.offset);
      const size_t n = strnlen(p, s.filesz);
      if (n == 0 || n == s.filesz) bad(name, "bad program interpreter (PT_INTERP) path");
      img.interp.assign(p, n);
    }
    if (ptype == PT_GNU_STACK) img.exec_stack = (flags & PF_X) != 0;
    if (ptype == PT_PHDR) img.phdr_vaddr = s.vaddr;
    if (ptype != PT_LOAD) continue;
    if (!inside(s.offset, s.filesz, size))
      bad(name, "segment " + std::to_string(k) + " extends past the end of the file (truncated?)");
    if (s.filesz > s.memsz) bad(name, "segment " + std::to_string(k) + " has filesz > memsz");
    if (s.memsz == 0) continue;
    if (s.vaddr >= kUserTop || s.memsz > kUserTop - s.vaddr)
      bad(name, "segment " + std::to_string(k) + " lies outside the user address space");
    total += s.memsz;
    if (s.memsz > kMaxImage || total > kMaxImage)
      bad(name, "segments larger than kvrm supports (4 GiB)");
    img.loads.push_back(s);
  }
  if (img.loads.empty()) bad(name, "no loadable segments");
  std::sort(img.loads.begin(), img.loads.end(),
            [](const ElfSegment& a, const ElfSegment& b) { return a.vaddr < b.vaddr; });
  for (size_t k = 1; k < img.loads.size(); ++k) {
    const auto& a = img.loads[k - 1];
    if (a.vaddr + a.memsz > img.loads[k].vaddr) bad(name, "overlapping segments");
  }
  if (img.phdr_vaddr == 0) {
    for (const auto& s : img.loads) {
      if (img.phoff >= s.offset && img.phoff - s.offset <= s.filesz &&
          u64{img.phnum} * kPhentSize <= s.filesz - (img.phoff - s.offset)) {
        img.phdr_vaddr = s.vaddr + (img.phoff - s.offset);
        break;
      }
    }
  }
  return img;
}

u64 image_span(const ElfImage& img) {
  const ElfSegment& last = img.loads.back();
  return ((last.vaddr + last.memsz + kPageMask) & ~kPageMask) -
         (img.loads.front().vaddr & ~kPageMask);
}

LoadedImage load_elf(Engine& e, const ElfImage& img, std::span<const u8> file, u64 base) {
  LoadedImage out;
  out.bias = img.pie ? base - (img.loads.front().vaddr & ~kPageMask) : 0;
  out.entry = img.entry + out.bias;
  out.phdr = img.phdr_vaddr ? img.phdr_vaddr + out.bias : 0;
  u64 mapped_end = 0;  // end of the pages mapped so far (segments ascend and do not overlap)
  u8 last_perms = 0;
  for (const auto& s : img.loads) {
    const u64 start = s.vaddr + out.bias;
    const u64 end = start + s.memsz;
    u64 pstart = start & ~kPageMask;
    const u64 pend = (end + kPageMask) & ~kPageMask;
    const u8 perms = perms_of(s.flags);
    if (pstart < mapped_end) {
      // The previous segment's last page is shared with this one: it gets both permissions.
      last_perms |= perms;
      e.protect(pstart, kPageSize, last_perms);
      out.ranges.push_back({pstart, pstart + kPageSize});
      out.perms.push_back(last_perms);
      pstart += kPageSize;
    }
    if (pstart < pend) {
      try {
        e.map(pstart, pend - pstart, perms);
      } catch (const Error& err) {
        throw ExecError(1, std::string("cannot load the program: ") + err.what());
      }
      out.ranges.push_back({pstart, pend});
      out.perms.push_back(perms);
      last_perms = perms;
    }
    // Pages are mapped zeroed, so .bss (and the tail of the last file page) is zero already.
    if (s.filesz) e.write_memory(start, file.data() + s.offset, s.filesz);
    mapped_end = pend;
  }
  out.low = out.ranges.front().first;
  out.high = mapped_end;
  return out;
}

}  // namespace kvrm::os

// The ELF64 loader for static AArch64 Linux programs: static executables (ET_EXEC) and
// static-pie (ET_DYN without PT_INTERP). parse_elf() checks a file image completely and never
// reads outside it; load_elf() maps the PT_LOAD segments into an engine with their permissions.
#pragma once

#include <span>
#include <string>
#include <utility>
#include <vector>

#include "core/error.hpp"
#include "isa/hd.hpp"

namespace kvrm {
class Engine;
}

namespace kvrm::os {

// A program that cannot be started. status is the exit status `kvrm run` reports: 127 when the
// file does not exist, 126 when it is not a runnable AArch64 static ELF, 1 otherwise.
class ExecError : public Error {
 public:
  ExecError(int status, const std::string& what) : Error(what), status_(status) {}
  int status() const { return status_; }

 private:
  int status_;
};

constexpr int kExitNotFound = 127;
constexpr int kExitNotExecutable = 126;

struct ElfSegment {
  u64 offset = 0, vaddr = 0, filesz = 0, memsz = 0;
  u32 flags = 0;  // PF_X 1, PF_W 2, PF_R 4
};

struct ElfImage {
  bool pie = false;  // ET_DYN: loaded at a chosen base
  u64 entry = 0;     // as in the file (add the load bias for PIE)
  u64 phoff = 0;
  u16 phentsize = 0, phnum = 0;
  u64 phdr_vaddr = 0;  // where the program headers lie in memory (file addresses), 0 if nowhere
  bool exec_stack = false;
  std::string interp;             // PT_INTERP: the program interpreter's path ("": none)
  std::vector<ElfSegment> loads;  // PT_LOAD segments, ascending vaddr
};

// Reads a whole file; throws ExecError (127 missing, 126 a directory or unreadable as a
// program, 1 other I/O errors).
std::vector<u8> read_program_file(const std::string& path);

// Checks an ELF image; throws ExecError(126, reason) naming what is wrong. `name` prefixes the
// message.
ElfImage parse_elf(std::span<const u8> file, const std::string& name);

struct LoadedImage {
  u64 bias = 0;   // added to every file address
  u64 entry = 0;  // in memory
  u64 phdr = 0;   // AT_PHDR
  u64 low = 0;    // lowest mapped address (page-aligned)
  u64 high = 0;   // end of the highest segment, page-aligned: where brk starts
  // Page ranges mapped, [start, end), with their permissions; a later entry overrides an
  // earlier one (a page shared by two segments gets both segments' permissions).
  std::vector<std::pair<u64, u64>> ranges;
  std::vector<u8> perms;
};

// The base static-pie programs are loaded at (as QEMU does).
constexpr u64 kPieBase = 0x5500000000;

// Maps the segments into the engine (which must have nothing mapped there), copies the file
// bytes and zeroes the rest. A position-independent image's lowest page goes to `base`.
LoadedImage load_elf(Engine& e, const ElfImage& img, std::span<const u8> file, u64 base = kPieBase);

// The bytes an image's segments span, from its lowest page to the end of its highest.
u64 image_span(const ElfImage& img);

}  // namespace kvrm::os

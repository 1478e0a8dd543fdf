// What one differential trial is made of: the guest memory layout both engines map, the input
// (two instruction words, the initial architectural state and the initial memory image) and each
// engine's output (how the run ended, the final state and the final memory image).
//
// Extension point (FP/SIMD): CoreState already carries V0-V31, FPCR and FPSR. The integer tester
// generates canonical FPCR/FPSR values and compares them (MSR/MRS move them); a FP/SIMD
// extension adds V-register generation (generator.cpp, randomize_fp_state), their transfer to and
// from Unicorn (unicorn_oracle.cpp, marked "FP extension point") and turns on
// CompareOptions::vregs (compare.hpp).
#pragma once

#include <array>
#include <cstdint>
#include <string>

#include "isa/mmu.hpp"
#include "isa/state.hpp"

namespace kvrm::diff {

// ---- Guest memory layout --------------------------------------------------------------------
//   0x3ff000  unmapped
//   0x400000  code page, r-x: "UDF #k" words, the preamble at kPreamblePc, the instruction at kPc
//   0x401000  two data pages, rw-: random bytes
//   0x403000  one read-only data page, r--: random bytes
//   0x404000  unmapped from here on (accesses that run off the data fault)
// The whole mapped range is one contiguous image of kImageSize bytes starting at kCodeBase.
constexpr u64 kCodeBase = 0x400000;
constexpr u64 kCodeSize = kPageSize;
constexpr u64 kPc = kCodeBase + 0x800;  // the instruction under test
constexpr u64 kPreamblePc = kPc - 4;    // one instruction run first (CLREX, or a monitor set-up)
constexpr u64 kDataBase = kCodeBase + kCodeSize;
constexpr u64 kDataSize = 2 * kPageSize;
constexpr u64 kRoBase = kDataBase + kDataSize;
constexpr u64 kRoSize = kPageSize;
constexpr u64 kMappedEnd = kRoBase + kRoSize;
constexpr u64 kImageSize = kMappedEnd - kCodeBase;

struct Region {
  u64 base;
  u64 size;
  u8 perms;  // kPermRead / kPermWrite / kPermExec
  const char* name;
};
inline constexpr Region kRegions[] = {
    {kCodeBase, kCodeSize, kPermRead | kPermExec, "code"},
    {kDataBase, kDataSize, kPermRead | kPermWrite, "data"},
    {kRoBase, kRoSize, kPermRead, "rodata"},
};

using Image = std::array<u8, kImageSize>;

// CLREX: the default preamble, so that no exclusive monitor state survives from earlier trials.
constexpr u32 kClrex = 0xd503305f;

struct TrialInput {
  u32 preamble = kClrex;  // executed at kPreamblePc, then the instruction at kPc
  u32 insn = 0;
  CoreState state;  // pc = kPreamblePc
  Image mem;        // code page (holding both words), data pages, read-only page
};

// How a run ended, in kvrm's terms (state.hpp's Signal, with Checkpoint meaning "the
// instruction completed normally"). Unicorn's outcomes are mapped onto these (unicorn_oracle.cpp).
struct Outcome {
  Signal signal = Signal::Checkpoint;
  bool known_cause = false;   // whether cause is known (faults only)
  bool known_access = false;  // whether access is known (not compared either way)
  FaultCause cause = FaultCause::None;
  Access access = Access::Read;
  u64 fault_addr = 0;  // informational: not compared
  std::string raw;     // the engine's own words for it (Unicorn error / interrupt number)
};

struct TrialOutput {
  Outcome outcome;
  CoreState state;
  Image mem;
};

}  // namespace kvrm::diff

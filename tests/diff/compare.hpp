// Comparison of the two engines' outputs, and the mismatch report.
#pragma once

#include <cstdio>
#include <string>
#include <vector>

#include "machine.hpp"
#include "table.hpp"

namespace kvrm::diff {

struct CompareOptions {
  bool fault_cause = true;  // also compare the kind of fault (unmapped / permission / alignment)
  bool vregs = true;        // compare V0-V31 (all 128 bits)
  int lane_bits = 32;       // lane width (8, 16, 32, 64) of V registers in the report
};

// Compared scalar registers: X0-X30, SP, then these.
enum ScalarReg : int {
  kRegSp = 31,
  kRegPc = 32,
  kRegNzcv,
  kRegTpidr,
  kRegTpidrro,
  kRegFpcr,
  kRegFpsr,
  kScalarRegs
};
const char* scalar_name(int r);
u64 scalar_value(const CoreState& s, int r);

struct MemDiff {
  u64 addr;
  u64 len;
};

struct Diff {
  bool signal = false;
  bool cause = false;
  std::vector<int> regs;  // ScalarReg numbers that differ
  std::vector<int> vregs;
  std::vector<MemDiff> mem;  // differing byte ranges
  bool any() const { return signal || cause || !regs.empty() || !vregs.empty() || !mem.empty(); }
  std::string summary() const;
};

Diff compare(const TrialOutput& kvrm, const TrialOutput& oracle, const CompareOptions& opt);

std::string outcome_text(const Outcome& o);

// The full report of one trial: header (trial, seed, word, entry, disassembly), both outcomes,
// the registers side by side (initial, kvrm, Unicorn; differing ones marked), the V registers
// that differ or that either engine changed (hex lanes, differing lanes marked), differing memory.
void print_trial(std::FILE* f, const Entry& e, const TrialInput& in, const TrialOutput& kvrm,
                 const TrialOutput& oracle, const Diff& d, const std::string& repro,
                 const char* excused_by, const CompareOptions& opt);

}  // namespace kvrm::diff

// Random trials drawn from the encoding table: the instruction word (generic field biasing,
// per-entry biasing hooks and fix-ups of UNPREDICTABLE operand combinations), the initial
// register state (biased towards the mapped data) and the initial memory image.
#pragma once

#include <cstdint>
#include <vector>

#include "machine.hpp"
#include "rng.hpp"
#include "table.hpp"

namespace kvrm::diff {

// Per-rule counters of words redrawn because an exclusion rule (exclusions.hpp) covers them.
struct RedrawStats {
  std::vector<std::uint64_t> per_rule;  // indexed like kExclusions
  std::uint64_t shadowed = 0;           // words that decoded to a more specific entry
  std::uint64_t gave_up = 0;            // trials without an acceptable word after all attempts
};

// A random instruction word of `e`: value | (random & ~mask), biased and fixed up. Returns false
// if no acceptable word was found (every attempt excluded or shadowed).
bool generate_word(const Entry& e, Rng& rng, u32& word, RedrawStats& stats);

// The whole trial input for `e`: word, initial state, memory and preamble.
bool generate_trial(const Entry& e, Rng& rng, TrialInput& in, RedrawStats& stats);

// Extension point: random V registers (FP/SIMD). Leaves them zero for the integer tester.
void randomize_fp_state(Rng& rng, CoreState& s);

// A system register number as MRS/MSR encode it in bits 19..5 (o0:op1:CRn:CRm:op2).
constexpr u32 sysreg_field(u32 word) { return (word >> 5) & 0x7fff; }

}  // namespace kvrm::diff

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

// Ordered (acquire/release), exclusive and atomic accesses, which must be naturally aligned
// (no FEAT_LSE2), and the alignment each word needs: its access size, or the whole pair.
constexpr bool requires_alignment(Op op) {
  switch (op) {
    case Op::STXR:
    case Op::STLXR:
    case Op::LDXR:
    case Op::LDAXR:
    case Op::STXP:
    case Op::STLXP:
    case Op::LDXP:
    case Op::LDAXP:
    case Op::STLLR:
    case Op::STLR:
    case Op::LDLAR:
    case Op::LDAR:
    case Op::LDAPR:
    case Op::CAS:
    case Op::CASP:
    case Op::STLUR:
    case Op::LDAPUR:
    case Op::LDAPURS:
    case Op::LDADD:
    case Op::LDCLR:
    case Op::LDEOR:
    case Op::LDSET:
    case Op::LDSMAX:
    case Op::LDSMIN:
    case Op::LDUMAX:
    case Op::LDUMIN:
    case Op::SWP: return true;
    default: return false;
  }
}
constexpr u64 required_alignment(Op op, u32 w) {
  const bool pair =
      op == Op::STXP || op == Op::STLXP || op == Op::LDXP || op == Op::LDAXP || op == Op::CASP;
  return pair ? u64{2} * (u64{4} << ((w >> 30) & 1)) : u64{1} << (w >> 30);
}
// The address such a word accesses: Rn (SP for 31) plus, for LDAPUR/STLUR, the signed imm9.
constexpr u64 aligned_access_address(Op op, u32 w, const CoreState& s) {
  u64 a = s.x[(w >> 5) & 31];
  if (op == Op::STLUR || op == Op::LDAPUR || op == Op::LDAPURS) {
    a += static_cast<u64>(static_cast<std::int64_t>(static_cast<std::int32_t>(w << 11) >> 23));
  }
  return a;
}

// A system register number as MRS/MSR encode it in bits 19..5 (o0:op1:CRn:CRm:op2).
constexpr u32 sysreg_field(u32 word) { return (word >> 5) & 0x7fff; }

}  // namespace kvrm::diff

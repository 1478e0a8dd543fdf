// The A64 decoder, derived at compile time from the encoding table (isa/a64.inc): an Op per
// table line, the (mask, value) pair parsed from each pattern, and a table bucketed on bits
// 31..21 in which each bucket lists its candidate encodings most specific first. The same
// constexpr tables serve the host and, as a __device__ copy, the GPU.
#pragma once

#include "isa/hd.hpp"

namespace kvrm {

enum class Op : u16 {
  UNDEFINED = 0,
#define INST(name, arm_name, pattern) name,
#include "isa/a64.inc"
#undef INST
  kCount
};

constexpr u32 kOpCount = static_cast<u32>(Op::kCount);

struct Encoding {
  u32 mask = 0;   // the fixed bits of the pattern
  u32 value = 0;  // their values
};

namespace detail {

constexpr bool is_letter(char c) { return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z'); }

// Parses a 32-character pattern: '0'/'1' fixed bits, letters operand bits, '+'/'-' should-be
// bits (not matched: decoded whatever their value). Anything malformed stops compilation (a
// throw in a constant expression).
constexpr Encoding parse_pattern(const char* p) {
  Encoding e;
  int n = 0;
  for (; p[n] != '\0'; ++n) {
    if (n >= 32) throw "encoding pattern longer than 32 characters";
    const u32 b = 1u << (31 - n);
    if (p[n] == '0') {
      e.mask |= b;
    } else if (p[n] == '1') {
      e.mask |= b;
      e.value |= b;
    } else if (!is_letter(p[n]) && p[n] != '+' && p[n] != '-') {
      throw "encoding pattern character is not 0, 1, a letter, + or -";
    }
  }
  if (n != 32) throw "encoding pattern shorter than 32 characters";
  return e;
}

constexpr int popcount32(u32 x) {
  int n = 0;
  for (; x; x &= x - 1) ++n;
  return n;
}

}  // namespace detail

// Handler names and the Arm ARM's names, indexed by Op.
inline constexpr const char* kOpNames[] = {
    "UNDEFINED",
#define INST(name, arm_name, pattern) #name,
#include "isa/a64.inc"
#undef INST
};
inline constexpr const char* kOpArmNames[] = {
    "UNDEFINED",
#define INST(name, arm_name, pattern) arm_name,
#include "isa/a64.inc"
#undef INST
};

inline constexpr Encoding kEncodings[] = {
    Encoding{0, 1},  // UNDEFINED matches nothing
#define INST(name, arm_name, pattern) detail::parse_pattern(pattern),
#include "isa/a64.inc"
#undef INST
};
static_assert(sizeof(kEncodings) / sizeof(kEncodings[0]) == kOpCount);

constexpr int kBucketShift = 21;
constexpr u32 kBuckets = 1u << (32 - kBucketShift);

namespace detail {

struct Order {
  u16 op[kOpCount] = {};
};

// Table order, re-sorted most specific (most fixed bits) first; stable, so that among equally
// specific patterns the table's order decides.
constexpr Order specificity_order() {
  Order o;
  u32 n = 0;
  for (int fixed = 32; fixed >= 0; --fixed) {
    for (u32 op = 1; op < kOpCount; ++op) {
      if (popcount32(kEncodings[op].mask) == fixed) o.op[n++] = static_cast<u16>(op);
    }
  }
  return o;
}
inline constexpr Order kOrder = specificity_order();

constexpr u32 bucket_list_size() {
  u32 total = 0;
  for (u32 op = 1; op < kOpCount; ++op) {
    const u32 fixed = kEncodings[op].mask >> kBucketShift;
    total += 1u << ((32 - kBucketShift) - popcount32(fixed));
  }
  return total;
}

}  // namespace detail

constexpr u32 kBucketListSize = detail::bucket_list_size();

struct DecodeTable {
  u32 start[kBuckets + 1] = {};    // bucket b lists list[start[b] .. start[b+1])
  u16 list[kBucketListSize] = {};  // Op numbers
  Encoding enc[kOpCount] = {};
};

namespace detail {

constexpr DecodeTable build_decode_table() {
  DecodeTable t;
  for (u32 i = 0; i < kOpCount; ++i) t.enc[i] = kEncodings[i];
  // Pass 1: bucket sizes. Every bucket value whose fixed bits agree with the pattern's.
  u32 cursor[kBuckets] = {};
  for (u32 op = 1; op < kOpCount; ++op) {
    const u32 fixed = kEncodings[op].mask >> kBucketShift;
    const u32 value = kEncodings[op].value >> kBucketShift;
    const u32 free = ~fixed & (kBuckets - 1);
    for (u32 s = free;; s = (s - 1) & free) {
      ++cursor[value | s];
      if (s == 0) break;
    }
  }
  for (u32 b = 0; b < kBuckets; ++b) {
    t.start[b + 1] = t.start[b] + cursor[b];
    cursor[b] = t.start[b];
  }
  // Pass 2: fill, most specific first.
  for (u32 k = 0; k + 1 < kOpCount; ++k) {
    const u32 op = kOrder.op[k];
    const u32 fixed = kEncodings[op].mask >> kBucketShift;
    const u32 value = kEncodings[op].value >> kBucketShift;
    const u32 free = ~fixed & (kBuckets - 1);
    for (u32 s = free;; s = (s - 1) & free) {
      t.list[cursor[value | s]++] = static_cast<u16>(op);
      if (s == 0) break;
    }
  }
  return t;
}

}  // namespace detail

inline constexpr DecodeTable kDecodeTable = detail::build_decode_table();

#if defined(__CUDACC__)
static __device__ const DecodeTable kDecodeTableDevice = kDecodeTable;
#endif

KVRM_HD const DecodeTable& decode_table() {
#if defined(__CUDA_ARCH__)
  return kDecodeTableDevice;
#else
  return kDecodeTable;
#endif
}

// The Op of an instruction word; Op::UNDEFINED when no table entry matches.
KVRM_HD Op decode(u32 insn) {
  const DecodeTable& t = decode_table();
  const u32 key = insn >> kBucketShift;
  for (u32 i = t.start[key], end = t.start[key + 1]; i < end; ++i) {
    const u16 op = t.list[i];
    if ((insn & t.enc[op].mask) == t.enc[op].value) return static_cast<Op>(op);
  }
  return Op::UNDEFINED;
}

inline constexpr const char* op_name(Op op) { return kOpNames[static_cast<u32>(op)]; }
inline constexpr const char* op_arm_name(Op op) { return kOpArmNames[static_cast<u32>(op)]; }

}  // namespace kvrm

// The contract between an engine's interpreter and translated code (src/jit/): the hooks the
// interpreter loop takes (hot-spot counters, the ring of hot targets it reports, the table of
// translated entries at which it hands over) and the hash that places PCs in those tables.
// Engines and the JIT's modules both include it; it includes nothing of either.
#pragma once

#include "isa/hd.hpp"

namespace kvrm::jit {

// Hot branch targets, GPU -> host: a ring in device memory the interpreter appends to (head
// counts every append, slot head % capacity) and the host copies from now and then (the slots
// between the head it saw last and the head now; a slot reserved but not written yet holds an
// older PC or 0, which costs nothing: hotness is a hint). A slot holds the PC with kHotMark
// set, so that no PC reads as 0.
struct HotRing {
  u32 head;
  u32 capacity;  // a power of two
  u64 pc[1];     // capacity entries (allocated with the ring)
};

// What the interpreter loop does at each taken branch (a branch whose target is not the next
// instruction), when a kernel passes hooks: with `entry_keys`, stop there if the target is the
// entry of a translated block (the translated code continues); with `counts`, count the target
// (a hash-indexed counter; each lane or core adds without atomics, so counts are approximate)
// and append it to `ring` every `threshold` counts.
struct InterpHooks {
  const u64* entry_keys = nullptr;  // open addressing, kEmptyEntry where free
  u32 entry_mask = 0;               // slots - 1
  u32 count_mask = 0;               // counters - 1
  u32* counts = nullptr;
  HotRing* ring = nullptr;
  u32 threshold = 0;
};

constexpr u64 kEmptyEntry = ~u64{0};    // never a PC (PCs are 4-byte aligned)
constexpr u64 kHotMark = u64{1} << 63;  // see HotRing (only PCs below 2^48 are reported)

KVRM_HD u32 pc_hash(u64 pc) { return static_cast<u32>(((pc >> 2) * 0x9e3779b97f4a7c15ull) >> 32); }

KVRM_HD bool is_entry(const InterpHooks& h, u64 pc) {
  for (u32 i = pc_hash(pc) & h.entry_mask;; i = (i + 1) & h.entry_mask) {
    const u64 k = h.entry_keys[i];
    if (k == pc) return true;
    if (k == kEmptyEntry) return false;
  }
}

}  // namespace kvrm::jit

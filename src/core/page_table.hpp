// Building a page table in the PageTableView format (isa/mmu.hpp) on the host: the walk to a
// leaf slot that creates the interior nodes on the way, shared by the engines' AddressSpace and
// the batch engine's lane memory; and whether a page's bytes are all zero.
#pragma once

#include <algorithm>
#include <cstring>
#include <vector>

#include "isa/mmu.hpp"

namespace kvrm {

// True when the kPageSize bytes at `page` are all zero.
inline bool page_is_zero(const u8* page) {
  static const u8 zeros[kPageSize] = {};
  return std::memcmp(page, zeros, kPageSize) == 0;
}

// The leaf slot of `va` in `nodes` (node 0 the root), or nullptr where an interior node is
// missing and `create` is false. With `create`, missing nodes come from new_node(), which
// appends a zeroed node to `nodes` (so it may move them) and returns its index.
template <class NewNode>
u32* table_leaf_slot(std::vector<u32>& nodes, u64 va, bool create, NewNode&& new_node) {
  const u64 vpn = va >> kPageBits;
  u64 node = 0;
  for (int level = 2; level >= 1; --level) {
    const u64 idx = node * kNodeEntries + ((vpn >> (level * kLevelBits)) & (kNodeEntries - 1));
    if (nodes[idx] == 0) {
      if (!create) return nullptr;
      const u32 n = new_node();  // may move nodes
      nodes[idx] = n;
    }
    node = nodes[idx];
  }
  return &nodes[node * kNodeEntries + (vpn & (kNodeEntries - 1))];
}

// Calls fn(va, leaf) for every present leaf of [addr, addr + size) (page-aligned, below 2^48),
// in address order, skipping the subtrees that hold nothing: the cost grows with the pages
// mapped and the interior entries of the range, not with its size (a 64 TiB range holds 4096
// root entries). fn must not add nodes to the table.
template <class Fn>
void table_for_each_present(const u32* nodes, u64 addr, u64 size, Fn&& fn) {
  if (size == 0) return;
  constexpr u64 kIdx = kNodeEntries - 1;
  const u64 first = addr >> kPageBits, last = (addr + size - 1) >> kPageBits;  // page numbers
  for (u64 i2 = first >> (2 * kLevelBits); i2 <= (last >> (2 * kLevelBits)); ++i2) {
    const u32 n1 = nodes[i2 & kIdx];
    if (!n1) continue;
    const u64 base2 = i2 << (2 * kLevelBits);
    const u64 lo1 = std::max(first, base2) >> kLevelBits & kIdx;
    const u64 hi1 = std::min(last, base2 + (u64{1} << (2 * kLevelBits)) - 1) >> kLevelBits & kIdx;
    for (u64 i1 = lo1; i1 <= hi1; ++i1) {
      const u32 n2 = nodes[u64{n1} * kNodeEntries + i1];
      if (!n2) continue;
      const u64 base1 = base2 | i1 << kLevelBits;
      const u64 lo0 = std::max(first, base1) - base1, hi0 = std::min(last, base1 + kIdx) - base1;
      for (u64 i0 = lo0; i0 <= hi0; ++i0) {
        const u32 leaf = nodes[u64{n2} * kNodeEntries + i0];
        if (leaf & kLeafPresent) fn((base1 + i0) << kPageBits, leaf);
      }
    }
  }
}

// True when every page of [addr, addr + size) has a present leaf (an empty range is mapped);
// `leaf_at(va)` gives the leaf slot of va or nullptr.
template <class LeafAt>
bool table_range_present(u64 addr, u64 size, LeafAt&& leaf_at) {
  if (size == 0) return true;
  const u64 last = addr + size - 1;
  if (last < addr || (last >> kVaBits)) return false;
  for (u64 va = addr & ~kPageMask; va <= last; va += kPageSize) {
    const u32* s = leaf_at(va);
    if (!s || !(*s & kLeafPresent)) return false;
  }
  return true;
}

}  // namespace kvrm

// The block translator: turns hot guest code into C++ for the run-time compiler. From a set of
// entry PCs it decodes basic blocks (with kvrm's decoder) and the blocks their direct branches
// reach, groups them into regions (a loop and what it calls directly, up to a size), and writes
// one function per region in which every guest instruction is a call of its sem:: handler with
// the instruction word as a constant: the compiler folds the decoding away, keeps the guest
// registers a region works on in machine registers, and links its blocks by direct jumps. A
// dispatcher, run_translated(), moves between regions and counts the budget. Code it has no
// translation for runs in the interpreter, which hands back at the next taken branch to a
// translated entry (engines/cuda/jit_runtime.cuh has the contract).
//
// Regions are bounded because the run-time compiler's time grows faster than linearly with a
// function's size; the module's source comes in parts (the dispatcher, then groups of regions)
// that are compiled in parallel and linked.
//
// Only code on pages that are executable and not writable is translated, so guest stores can
// never change it; an engine drops a translation when mappings or host writes touch its pages
// (Translation::pages).
#pragma once

#include <functional>
#include <span>
#include <string>
#include <vector>

#include "isa/decoder.hpp"
#include "isa/mmu.hpp"

namespace kvrm::jit {

// A page of guest code as the translator reads it: its leaf entry (frame, present bit,
// permissions) and its bytes.
struct CodePage {
  u32 leaf = 0;
  const u8* bytes = nullptr;
};
// Gives the page at page-aligned `va`; false where none is mapped.
using CodeReader = std::function<bool(u64 va, CodePage& out)>;

// A page is translated only when present, executable and not writable.
bool translatable(u32 leaf);

struct TranslatorLimits {
  u32 max_block = 64;           // instructions per block (also the run's exact-finish window)
  u32 max_instructions = 8192;  // per translation, over all blocks
  u32 follow_depth = 16;        // direct successors followed from an entry
  u32 region_weight = 160;      // per region function (a memory access weighs 6, else 1)
  u32 part_weight = 600;        // per source part, at least (parts compile in parallel)
  u32 max_parts = 16;
};

// How a block ends.
enum class BlockEnd : u8 {
  Direct,       // B, BL: one known target
  Conditional,  // B.cond, CBZ, CBNZ, TBZ, TBNZ: a target or the next instruction
  Indirect,     // BR, BLR, RET: the target is a register
  Stop,         // SVC, HLT, BRK: the run stops there (an SVC resumes at the next instruction)
  Fallthrough,  // the block was cut (length, page end, an undecodable word next): next PC
};

struct Block {
  u64 pc = 0;
  std::vector<u32> words;
  std::vector<Op> ops;
  BlockEnd end = BlockEnd::Fallthrough;
  u64 target = 0;  // Direct and Conditional: the branch target
  u32 region = 0;  // the region function it is compiled in
  u64 next() const { return pc + 4 * words.size(); }
};

struct Translation {
  std::vector<Block> blocks;               // in PC order, starts unique
  std::vector<std::pair<u64, u32>> pages;  // every page a block was read from, with its leaf
  u64 instructions = 0;                    // over all blocks
  u32 regions = 0;
  // The module's C++ (empty when no block): sources[0] the dispatcher, tables and kernels, the
  // others the region functions; each compiles alone, and their concatenation is one valid
  // translation unit too (what the host tests compile).
  std::vector<std::string> sources;

  bool has_block(u64 pc) const;
  // True when a page of the translation intersects [addr, addr + size).
  bool touches(u64 addr, u64 size) const;
};

// Discovers the blocks at `entries` (in that order of priority) and those their direct branches
// and fall-throughs reach, breadth first, within the limits; pages that `read` does not give or
// that are not translatable are left to the interpreter. Writes the module source.
Translation translate(std::span<const u64> entries, const CodeReader& read,
                      const TranslatorLimits& limits = {});

// Groups the blocks (region indices in Block::region) and writes the module's sources for them
// (translate() calls it; the tests too).
std::vector<std::string> emit_module(std::vector<Block>& blocks, const TranslatorLimits& limits,
                                     u32* regions = nullptr);

}  // namespace kvrm::jit

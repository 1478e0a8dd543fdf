// The block translator: turns hot guest code into C++ for the run-time compiler. From a set of
// entry PCs it decodes basic blocks (with kvrm's decoder) and the blocks their direct branches
// reach, groups them into regions (a loop and what it branches to directly, up to a size), and
// writes one function per region in which every guest instruction is a call of its sem::
// handler with the instruction word as a constant: the compiler folds the decoding away, keeps
// what a region works on in machine registers, and links its blocks by direct jumps. A
// dispatcher, run_translated(), moves between regions (through a table of region functions)
// and counts the budget. Code it has no translation for runs in the interpreter, which hands
// back at the next taken branch to a translated entry (jit/runtime.cuh has the
// contract).
//
// Translation grows in rounds: each round adds the blocks that became hot as regions of their
// own, in new source parts, and rewrites only the dispatcher's part, so the run-time compiler
// (whose time grows faster than linearly with a function's size; parts compile in parallel
// and each part's object is cached) compiles only what is new. Exits to code that had no
// translation when a region was written go through the dispatcher, which finds blocks added
// since.
//
// Only code on pages that are executable and not writable is translated, so guest stores can
// never change it; an engine starts over when mappings or host writes touch its pages.
#pragma once

#include <functional>
#include <memory>
#include <span>
#include <string>
#include <unordered_map>
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
  u32 max_block = 64;             // instructions per block (also the run's exact-finish window)
  u32 max_instructions = 65536;   // in all, over all rounds
  u32 round_instructions = 2048;  // new instructions per round (what one compile takes on)
  u32 first_round_instructions = 256;  // the first round's: the hottest code, compiled in well
                                       // under a second, so that a run soon leaves the interpreter
  u32 follow_depth = 16;               // direct successors followed from an entry
  u32 region_weight = 160;             // per region function (a memory access weighs 6, else 1)
  u32 part_weight = 300;               // per source part, at least (parts compile in parallel)
  u32 max_parts = 16;                  // new region parts per round
  u32 min_parts = 1;                   // ...and at least (where there are regions enough): the
                                       // compiling threads the host can run at once
};

// The default limits with min_parts set to the host's hardware threads (at most max_parts).
TranslatorLimits host_limits();

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

// What has been translated so far: blocks, the pages they were read from, and the module's
// sources (sources[0] the dispatcher, tables and kernels, the others region functions; each
// compiles alone, and their concatenation is one valid translation unit too, which the host
// tests compile).
struct Translation {
  std::vector<Block> blocks;               // in PC order, starts unique
  std::vector<std::pair<u64, u32>> pages;  // every page a block was read from, with its leaf
  u64 instructions = 0;                    // over all blocks
  u32 regions = 0;
  std::vector<std::string> sources;  // empty when no block

  // True when a page of the translation intersects [addr, addr + size).
  bool touches(u64 addr, u64 size) const;
};

class Translator {
 public:
  explicit Translator(const TranslatorLimits& limits = {}) : limits_(limits) {}

  // One round: the blocks at `entries` (in that order of priority) not translated yet, and
  // those their direct branches and fall-throughs reach, breadth first, within the limits;
  // pages that `read` does not give or that are not translatable are left to the interpreter.
  // Returns how many blocks were added (0: nothing new; the sources are unchanged).
  u32 add(std::span<const u64> entries, const CodeReader& read);

  bool has_block(u64 pc) const { return index_.count(pc) != 0; }
  u64 instructions() const { return instructions_; }
  // True when the last round stopped for lack of room (entries it did not reach may be
  // translatable in the next round); false once max_instructions is used up.
  bool last_round_full() const { return last_full_; }
  // True when a page translated so far intersects [addr, addr + size).
  bool snapshot_touches(u64 addr, u64 size) const;
  // Everything so far, sources included.
  std::shared_ptr<Translation> snapshot() const;

 private:
  std::string dispatcher_source() const;
  void emit_regions(u32 first_block);

  TranslatorLimits limits_;
  std::vector<Block> blocks_;               // in index order (the dispatcher's block numbers)
  std::unordered_map<u64, u32> index_;      // block start -> index
  std::vector<std::pair<u64, u32>> pages_;  // translatable pages read, with their leaves
  std::vector<u32> entry_of_;               // per block: its entry number in its region
  std::vector<std::string> parts_;          // region functions, append-only
  u32 regions_ = 0;
  u64 instructions_ = 0;
  bool last_full_ = false;
};

// The branch targets an engine found hot, in the order they became hot, and the rounds of
// translation they call for: a target is pending until a round translates it; one a round
// looked at and could not translate (unmapped, writable or undecodable code) is dropped until
// forget() covers it; targets a round had no room for stay pending.
class HotTargets {
 public:
  // Adds a target; true when it is new.
  bool add(u64 pc);
  // True when translate_round() may have work: targets arrived or were left pending.
  bool pending() const { return pending_; }
  // One round of `t` over the pending targets; returns the blocks it added.
  u32 translate_round(Translator& t, const CodeReader& read);
  // The entries translate_round(t, ...) gives Translator::add, in order (pending targets `t`
  // has no block for; none: it does not call add). A run's rounds are recorded with them and
  // replayed in a later run (jit/manager.hpp).
  std::vector<u64> round_entries(const Translator& t) const {
    std::vector<u64> entries;
    for (const u64 pc : order_) {
      const auto it = dropped_.find(pc);
      if (!t.has_block(pc) && !(it != dropped_.end() && it->second)) entries.push_back(pc);
    }
    return entries;
  }
  // The targets dropped within [addr, addr + size) may be translatable now.
  void forget(u64 addr, u64 size);
  // Every target is pending again (the translation starts over).
  void retry_all();
  size_t size() const { return order_.size(); }

 private:
  std::vector<u64> order_;
  std::unordered_map<u64, bool> dropped_;  // target -> dropped (false: pending or translated)
  bool pending_ = false;
};

// Translator(limits).add(entries, read), as a Translation (one round of round_instructions).
Translation translate(std::span<const u64> entries, const CodeReader& read,
                      const TranslatorLimits& limits = {});

}  // namespace kvrm::jit

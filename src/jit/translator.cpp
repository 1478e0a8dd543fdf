// The block translator (translator.hpp): block discovery and the module's source.
#include "jit/translator.hpp"

#include <algorithm>
#include <cstdio>
#include <deque>
#include <map>
#include <set>
#include <unordered_set>

#include "engines/cuda/device_types.cuh"

namespace kvrm::jit {

bool translatable(u32 leaf) {
  return (leaf & kLeafPresent) && (leaf_perms(leaf) & kPermExec) &&
         !(leaf_perms(leaf) & kPermWrite);
}

bool Translation::has_block(u64 pc) const {
  const auto it = std::lower_bound(blocks.begin(), blocks.end(), pc,
                                   [](const Block& b, u64 p) { return b.pc < p; });
  return it != blocks.end() && it->pc == pc;
}

bool Translation::touches(u64 addr, u64 size) const {
  if (size == 0) return false;
  const u64 first = addr & ~kPageMask;
  const u64 last = (addr + size - 1) & ~kPageMask;
  for (const auto& [va, leaf] : pages) {
    if (va >= first && va <= last) return true;
  }
  return false;
}

namespace {

// How an Op ends a block, if it does.
bool ends_block(Op op, BlockEnd& end) {
  switch (op) {
    case Op::B:
    case Op::BL: end = BlockEnd::Direct; return true;
    case Op::B_cond:
    case Op::CBZ:
    case Op::CBNZ:
    case Op::TBZ:
    case Op::TBNZ: end = BlockEnd::Conditional; return true;
    case Op::BR:
    case Op::BLR:
    case Op::RET: end = BlockEnd::Indirect; return true;
    case Op::SVC:
    case Op::HLT:
    case Op::BRK: end = BlockEnd::Stop; return true;
    default: return false;
  }
}

// The target of a direct or conditional branch at pc.
u64 branch_target(Op op, u32 w, u64 pc) {
  switch (op) {
    case Op::B:
    case Op::BL: return pc + (static_cast<u64>(sext(bits(w, 25, 0), 26)) << 2);
    case Op::TBZ:
    case Op::TBNZ: return pc + (static_cast<u64>(sext(bits(w, 18, 5), 14)) << 2);
    default: return pc + (static_cast<u64>(sext(bits(w, 23, 5), 19)) << 2);  // B.cond, CB(N)Z
  }
}

}  // namespace

Translation translate(std::span<const u64> entries, const CodeReader& read,
                      const TranslatorLimits& limits) {
  Translation t;
  std::map<u64, CodePage> pages;  // every page looked at; bytes null where not translatable
  const auto page_of = [&](u64 pc) -> const u8* {
    const u64 va = pc & ~kPageMask;
    auto it = pages.find(va);
    if (it == pages.end()) {
      CodePage p;
      if (!read(va, p) || !translatable(p.leaf) || !p.bytes) p.bytes = nullptr;
      it = pages.emplace(va, p).first;
    }
    return it->second.bytes;
  };

  std::deque<std::pair<u64, u32>> queue;  // (pc, depth)
  for (const u64 e : entries) queue.emplace_back(e, 0);
  std::unordered_set<u64> seen;
  while (!queue.empty() && t.instructions < limits.max_instructions) {
    const auto [pc, depth] = queue.front();
    queue.pop_front();
    if ((pc & 3) || (pc >> kVaBits) || !seen.insert(pc).second) continue;
    const u8* bytes = page_of(pc);
    if (!bytes) continue;
    Block b;
    b.pc = pc;
    for (u64 p = pc;; p += 4) {
      if (b.words.size() >= limits.max_block || (p & ~kPageMask) != (pc & ~kPageMask) ||
          t.instructions + b.words.size() >= limits.max_instructions) {
        break;  // Fallthrough
      }
      const u32 w = load_le<u32>(bytes + (p & kPageMask));
      const Op op = decode(w);
      if (op == Op::UNDEFINED) break;  // the interpreter raises it
      b.words.push_back(w);
      b.ops.push_back(op);
      if (ends_block(op, b.end)) {
        if (b.end == BlockEnd::Direct || b.end == BlockEnd::Conditional)
          b.target = branch_target(op, w, p);
        break;
      }
    }
    if (b.words.empty()) continue;
    t.instructions += b.words.size();
    if (depth < limits.follow_depth) {
      const Op last = b.ops.back();
      if (b.end == BlockEnd::Direct || b.end == BlockEnd::Conditional)
        queue.emplace_back(b.target, depth + 1);
      // The fall-through: also the return point of a call and the resumption after an SVC.
      if (b.end == BlockEnd::Conditional || b.end == BlockEnd::Fallthrough || last == Op::BL ||
          last == Op::BLR || last == Op::SVC) {
        queue.emplace_back(b.next(), depth + 1);
      }
    }
    t.blocks.push_back(std::move(b));
  }
  if (!t.blocks.empty()) t.sources = emit_module(t.blocks, limits, &t.regions);
  std::sort(t.blocks.begin(), t.blocks.end(),
            [](const Block& a, const Block& b) { return a.pc < b.pc; });
  for (const auto& [va, p] : pages) {
    if (p.bytes) t.pages.emplace_back(va, p.leaf);
  }
  return t;
}

namespace {

// Appends printf-style text.
template <class... A>
void put(std::string& out, const char* fmt, A... a) {
  char buf[256];
  const int n = std::snprintf(buf, sizeof buf, fmt, a...);
  out.append(buf, static_cast<size_t>(n));
}

}  // namespace

namespace {

// A block's weight for the region size limit: roughly what it costs the run-time compiler.
u32 weight(const Block& b) {
  u32 w = 0;
  for (const Op op : b.ops) {
    const char* n = op_name(op);
    const bool memory = (n[0] == 'L' && n[1] == 'D') || (n[0] == 'S' && n[1] == 'T') ||
                        (n[0] == 'C' && n[1] == 'A' && n[2] == 'S') ||
                        (n[0] == 'S' && n[1] == 'W' && n[2] == 'P');
    w += memory ? 6 : 1;
  }
  return w;
}

}  // namespace

std::vector<std::string> emit_module(std::vector<Block>& blocks, const TranslatorLimits& limits,
                                     u32* region_count) {
  const u32 n = static_cast<u32>(blocks.size());
  std::unordered_map<u64, u32> index;  // block start -> index (discovery order)
  for (u32 i = 0; i < n; ++i) index.emplace(blocks[i].pc, i);
  u64 instructions = 0;
  for (const Block& b : blocks) instructions += b.words.size();

  // Regions: from each block not yet placed, along direct edges, up to the weight limit.
  constexpr u32 kNone = ~0u;
  std::vector<u32> region(n, kNone);
  std::vector<u32> region_weight;
  for (u32 first = 0; first < n; ++first) {
    if (region[first] != kNone) continue;
    const u32 r = static_cast<u32>(region_weight.size());
    region_weight.push_back(0);
    std::vector<u32> stack{first};
    while (!stack.empty()) {
      const u32 x = stack.back();
      stack.pop_back();
      if (region[x] != kNone) continue;
      const u32 w = weight(blocks[x]);
      if (region_weight[r] > 0 && region_weight[r] + w > limits.region_weight) continue;
      region[x] = r;
      region_weight[r] += w;
      const Block& b = blocks[x];
      const auto edge = [&](u64 to) {
        const auto it = index.find(to);
        if (it != index.end() && region[it->second] == kNone) stack.push_back(it->second);
      };
      if (b.end == BlockEnd::Conditional || b.end == BlockEnd::Fallthrough) edge(b.next());
      if (b.end == BlockEnd::Direct || b.end == BlockEnd::Conditional) edge(b.target);
    }
  }
  const u32 regions = static_cast<u32>(region_weight.size());
  for (u32 i = 0; i < n; ++i) blocks[i].region = region[i];
  if (region_count) *region_count = regions;
  // Each region's blocks, and each block's entry number in its region.
  std::vector<std::vector<u32>> members(regions);
  std::vector<u32> entry_of(n);
  for (u32 i = 0; i < n; ++i) {
    entry_of[i] = static_cast<u32>(members[region[i]].size());
    members[region[i]].push_back(i);
  }

  // Parts: the dispatcher, then the regions spread over parts of similar weight.
  u64 total = 0;
  for (const u32 w : region_weight) total += w;
  const u32 parts = static_cast<u32>(std::clamp<u64>(total / std::max(1u, limits.part_weight), 1,
                                                     std::min(limits.max_parts, regions)));
  std::vector<u64> part_weight(parts, 0);
  std::vector<std::vector<u32>> part_regions(parts);
  std::vector<u32> by_weight(regions);
  for (u32 r = 0; r < regions; ++r) by_weight[r] = r;
  std::stable_sort(by_weight.begin(), by_weight.end(),
                   [&](u32 a, u32 b) { return region_weight[a] > region_weight[b]; });
  for (const u32 r : by_weight) {
    const u32 p = static_cast<u32>(std::min_element(part_weight.begin(), part_weight.end()) -
                                   part_weight.begin());
    part_weight[p] += region_weight[r];
    part_regions[p].push_back(r);
  }

  // The entries as an open-addressing table: PC -> block index.
  u32 slots = 16;
  while (slots < 2 * n) slots *= 2;
  std::vector<u64> keys(slots, cuda::kEmptyEntry);
  std::vector<u32> values(slots, 0);
  for (u32 i = 0; i < n; ++i) {
    u32 h = cuda::pc_hash(blocks[i].pc) & (slots - 1);
    while (keys[h] != cuda::kEmptyEntry) h = (h + 1) & (slots - 1);
    keys[h] = blocks[i].pc;
    values[h] = i;
  }

  std::vector<std::string> out;
  std::string s;
  put(s,
      "// kvrm: translated guest code, %u blocks, %llu instructions, %u regions in %u parts "
      "(src/jit/translator.cpp)\n",
      n, static_cast<unsigned long long>(instructions), regions, parts);
  s += "#include \"engines/cuda/jit_runtime.cuh\"\n\nnamespace kvrm::jit_gen {\n\n";
  put(s, "constexpr u32 kMaxBlock = %u;\nconstexpr u32 kBlockCount = %u;\n", limits.max_block, n);
  put(s, "constexpr u32 kEntryMask = %u;\n", slots - 1);
  s += "KVRM_DEVICE_TABLE const u64 kEntryKeys[] = {";
  for (u32 i = 0; i < slots; ++i) {
    put(s, "%s0x%llxull,", i % 4 ? " " : "\n    ", static_cast<unsigned long long>(keys[i]));
  }
  s += "};\nKVRM_DEVICE_TABLE const u32 kEntryBlocks[] = {";
  for (u32 i = 0; i < slots; ++i) put(s, "%s%u,", i % 8 ? " " : "\n    ", values[i]);
  s += "};\n\n";
  for (u32 r = 0; r < regions; ++r) put(s, "KVRM_JIT_REGION_ATTR KVRM_JIT_REGION(%u);\n", r);
  s += R"(
// Runs from rec.pc until a stop, the budget, or a stop request (run_core()'s conventions).
template <class Env>
KVRM_HD RunOutcome run_translated(Env& env, CoreState& rec, StopInfo& info, Mmu& mem,
                                  u64 max_cycles, u64 poll) {
  JitFrame f;
  f.pc = rec.pc;
  u64 base = 0;  // retired before the current quota
  u32 quota = 0;
  u32 next = 0;
  goto refill;
dispatch:  // to the block at f.pc, if there is one
  next = jit_lookup(kEntryKeys, kEntryBlocks, kEntryMask, f.pc);
  if (next == kJitInterp) goto interp;
run:
  switch (next) {
)";
  for (u32 i = 0; i < n; ++i) {
    put(s, "    case %u: next = region_%u(&rec, &mem, &info, &f, %u); break;\n", i, region[i],
        entry_of[i]);
  }
  s += R"(    default: break;
  }
  if (next < kBlockCount) goto run;
  if (next == kJitDispatch) goto dispatch;
  if (next == kJitRefill) goto refill;
  if (next == kJitStop) {  // instruction k of the block at f.pc stopped (an SVC retired)
    if (f.sig == Signal::Syscall) {
      f.pc += 4;
      f.left -= f.k + 1;
    } else {
      f.left -= f.k;
    }
    rec.pc = f.pc;
    return {f.sig, base + quota - f.left};
  }
interp:  // no translation at f.pc
  rec.pc = f.pc;
  {
    const RunOutcome o = env.interp(rec, info, mem, f.left, true);
    f.left -= static_cast<u32>(o.cycles);
    f.pc = rec.pc;
    if (o.signal == Signal::Running) goto dispatch;  // at a translated entry
    if (o.signal != Signal::Checkpoint) return {o.signal, base + quota - f.left};
  }
refill:  // the quota is used up, or too little is left of it for the next block
  base += quota - f.left;
  quota = f.left = 0;
  rec.pc = f.pc;
  if (base >= max_cycles || (base != 0 && env.stop_requested())) return {Signal::Checkpoint, base};
  if (max_cycles - base < kMaxBlock) {  // the last few instructions, exactly, interpreted
    const RunOutcome o = env.interp(rec, info, mem, max_cycles - base, false);
    return {o.signal, base + o.cycles};
  }
  if (poll < kMaxBlock) poll = kMaxBlock;  // every block fits in a quota
  quota = f.left = static_cast<u32>(max_cycles - base < poll ? max_cycles - base : poll);
  goto dispatch;
}

}  // namespace kvrm::jit_gen

#if defined(__CUDACC__)
KVRM_JIT_KERNELS()
#else
KVRM_JIT_HOST_ENTRY()
#endif
)";
  out.push_back(std::move(s));

  // A jump from a block of region r to a PC: within the region, to another region's block
  // (through the dispatcher's switch), or to the interpreter.
  const auto jump = [&](std::string& o, u32 r, u64 to) {
    const auto it = index.find(to);
    const auto pc = static_cast<unsigned long long>(to);
    if (it == index.end()) {
      put(o, "  f->pc = 0x%llxull;\n  return kJitInterp;\n", pc);
    } else if (region[it->second] == r) {
      put(o, "  goto B_%llx;\n", pc);
    } else {
      put(o, "  return %uu;\n", it->second);
    }
  };
  for (u32 p = 0; p < parts; ++p) {
    std::string o;
    put(o, "// kvrm: translated guest code, part %u of %u\n", p + 1, parts);
    o += "#include \"engines/cuda/jit_runtime.cuh\"\n\nnamespace kvrm::jit_gen {\n";
    for (const u32 r : part_regions[p]) {
      put(o, "\nKVRM_JIT_REGION_ATTR KVRM_JIT_REGION(%u) {\n", r);
      o += "  Context c{*s, *m, *i};\n  Signal sig = Signal::Running;\n  switch (entry) {\n";
      for (const u32 b : members[r]) {
        put(o, "    case %u: goto B_%llx;\n", entry_of[b],
            static_cast<unsigned long long>(blocks[b].pc));
      }
      o += "    default: return kJitDispatch;\n  }\n";
      for (const u32 bi : members[r]) {
        const Block& b = blocks[bi];
        const auto pc = static_cast<unsigned long long>(b.pc);
        const size_t len = b.words.size();
        put(o, "B_%llx:\n  KVRM_JIT_ENTER(0x%llxull, %zuu)\n", pc, pc, len);
        for (size_t k = 0; k < len; ++k) {
          put(o, "  KVRM_JIT_OP(0x%llxull, %s, 0x%08xu, %zuu)\n", pc + 4 * k, op_name(b.ops[k]),
              b.words[k], k);
        }
        put(o, "  f->left -= %zuu;\n", len);
        switch (b.end) {
          case BlockEnd::Direct: jump(o, r, b.target); break;
          case BlockEnd::Conditional:
            put(o, "  if (c.npc != 0x%llxull) {\n", static_cast<unsigned long long>(b.next()));
            jump(o, r, b.target);
            o += "  }\n";
            jump(o, r, b.next());
            break;
          case BlockEnd::Indirect: o += "  f->pc = c.npc;\n  return kJitDispatch;\n"; break;
          case BlockEnd::Stop:  // the handler always stops; never reached
          case BlockEnd::Fallthrough: jump(o, r, b.next()); break;
        }
      }
      o += "}\n";
    }
    o += "\n}  // namespace kvrm::jit_gen\n";
    out.push_back(std::move(o));
  }
  return out;
}

}  // namespace kvrm::jit

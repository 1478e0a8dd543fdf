// The block translator (translator.hpp): block discovery and the module's source.
#include "jit/translator.hpp"

#include <algorithm>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <deque>
#include <map>
#include <set>
#include <string>
#include <thread>
#include <unordered_set>

#include "core/error.hpp"
#include "jit/hooks.hpp"

namespace kvrm::jit {

TranslatorLimits host_limits() {
  TranslatorLimits l;
  // KVRM_JIT_LIMITS="region_weight=400,max_block=32,...": other limits, for measuring them.
  if (const char* spec = std::getenv("KVRM_JIT_LIMITS")) {
    const std::pair<const char*, u32*> fields[] = {
        {"max_block", &l.max_block},
        {"max_instructions", &l.max_instructions},
        {"round_instructions", &l.round_instructions},
        {"first_round_instructions", &l.first_round_instructions},
        {"follow_depth", &l.follow_depth},
        {"region_weight", &l.region_weight},
        {"part_weight", &l.part_weight},
        {"max_parts", &l.max_parts},
    };
    std::string rest = spec;
    while (!rest.empty()) {
      const size_t comma = rest.find(',');
      const std::string item = rest.substr(0, comma);
      rest = comma == std::string::npos ? "" : rest.substr(comma + 1);
      const size_t eq = item.find('=');
      u32* field = nullptr;
      for (const auto& [name, f] : fields) {
        if (item.compare(0, eq, name) == 0 && std::strlen(name) == eq) field = f;
      }
      char* end = nullptr;
      const unsigned long v =
          eq == std::string::npos ? 0 : std::strtoul(item.c_str() + eq + 1, &end, 10);
      if (!field || !end || *end || v == 0 || v > (1u << 20))
        throw Error("KVRM_JIT_LIMITS: '" + item + "' is not NAME=N (N from 1 to 2^20) of a limit");
      *field = static_cast<u32>(v);
    }
    if (l.max_block > 64) throw Error("KVRM_JIT_LIMITS: max_block is at most 64");
  }
  l.min_parts = std::clamp(std::thread::hardware_concurrency(), 1u, l.max_parts);
  return l;
}

bool translatable(u32 leaf) {
  return (leaf & kLeafPresent) && (leaf_perms(leaf) & kPermExec) &&
         !(leaf_perms(leaf) & kPermWrite);
}

namespace {

// True when one of `pages` (page address, leaf) intersects [addr, addr + size).
bool pages_touch(const std::vector<std::pair<u64, u32>>& pages, u64 addr, u64 size) {
  if (size == 0) return false;
  const u64 first = addr & ~kPageMask;
  const u64 last = (addr + size - 1) & ~kPageMask;
  for (const auto& [va, leaf] : pages) {
    if (va >= first && va <= last) return true;
  }
  return false;
}

}  // namespace

bool Translation::touches(u64 addr, u64 size) const { return pages_touch(pages, addr, size); }

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
  TranslatorLimits one_round = limits;  // all of it at once: no smaller first round
  one_round.first_round_instructions = limits.round_instructions;
  Translator t(one_round);
  t.add(entries, read);
  return *t.snapshot();
}

u32 Translator::add(std::span<const u64> entries, const CodeReader& read) {
  const u32 first = static_cast<u32>(blocks_.size());
  std::map<u64, CodePage> pages;  // every page looked at; bytes null where not translatable
  const auto page_of = [&](u64 pc) -> const CodePage* {
    const u64 va = pc & ~kPageMask;
    auto it = pages.find(va);
    if (it == pages.end()) {
      CodePage p;
      if (!read(va, p) || !translatable(p.leaf) || !p.bytes) p.bytes = nullptr;
      it = pages.emplace(va, p).first;
    }
    return it->second.bytes ? &it->second : nullptr;
  };
  const u64 round = instructions_ == 0
                        ? std::min(limits_.first_round_instructions, limits_.round_instructions)
                        : limits_.round_instructions;
  const u64 room = instructions_ < limits_.max_instructions
                       ? std::min<u64>(round, limits_.max_instructions - instructions_)
                       : 0;
  u64 added = 0;
  std::deque<std::pair<u64, u32>> queue;  // (pc, depth)
  for (const u64 e : entries) queue.emplace_back(e, 0);
  std::unordered_set<u64> seen;
  while (!queue.empty() && added < room) {
    const auto [pc, depth] = queue.front();
    queue.pop_front();
    if ((pc & 3) || (pc >> kVaBits) || index_.count(pc) || !seen.insert(pc).second) continue;
    const CodePage* page = page_of(pc);
    if (!page) continue;
    Block b;
    b.pc = pc;
    for (u64 p = pc;; p += 4) {
      if (b.words.size() >= limits_.max_block || (p & ~kPageMask) != (pc & ~kPageMask) ||
          added + b.words.size() >= room) {
        break;  // Fallthrough
      }
      const u32 w = load_le<u32>(page->bytes + (p & kPageMask));
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
    added += b.words.size();
    if (depth < limits_.follow_depth) {
      const Op last = b.ops.back();
      if (b.end == BlockEnd::Direct || b.end == BlockEnd::Conditional)
        queue.emplace_back(b.target, depth + 1);
      // The fall-through: also the return point of a call and the resumption after an SVC.
      if (b.end == BlockEnd::Conditional || b.end == BlockEnd::Fallthrough || last == Op::BL ||
          last == Op::BLR || last == Op::SVC) {
        queue.emplace_back(b.next(), depth + 1);
      }
    }
    const u64 va = pc & ~kPageMask;
    if (std::find_if(pages_.begin(), pages_.end(), [&](const auto& q) { return q.first == va; }) ==
        pages_.end()) {
      pages_.emplace_back(va, page->leaf);
    }
    index_.emplace(pc, static_cast<u32>(blocks_.size()));
    blocks_.push_back(std::move(b));
  }
  instructions_ += added;
  last_full_ = room > 0 && added >= room;  // no room at all: nothing more until start-over
  if (blocks_.size() == first) return 0;
  emit_regions(first);
  return static_cast<u32>(blocks_.size()) - first;
}

bool HotTargets::add(u64 pc) {
  if (!dropped_.emplace(pc, false).second) return false;
  order_.push_back(pc);
  pending_ = true;
  return true;
}

u32 HotTargets::translate_round(Translator& t, const CodeReader& read) {
  pending_ = false;
  const std::vector<u64> entries = round_entries(t);
  if (entries.empty()) return 0;
  const u32 added = t.add(entries, read);
  for (const u64 pc : entries) {
    if (t.has_block(pc)) continue;
    if (t.last_round_full()) {
      pending_ = true;  // no room this round: the next one
    } else {
      dropped_[pc] = true;
    }
  }
  return added;
}

void HotTargets::forget(u64 addr, u64 size) {
  for (auto& [pc, dropped] : dropped_) {
    if (dropped && pc >= (addr & ~kPageMask) && pc < addr + size) {
      dropped = false;
      pending_ = true;
    }
  }
}

void HotTargets::retry_all() {
  for (auto& [pc, dropped] : dropped_) dropped = false;
  pending_ = !order_.empty();
}

bool Translator::snapshot_touches(u64 addr, u64 size) const {
  return pages_touch(pages_, addr, size);
}

std::shared_ptr<Translation> Translator::snapshot() const {
  auto t = std::make_shared<Translation>();
  t->blocks = blocks_;
  std::sort(t->blocks.begin(), t->blocks.end(),
            [](const Block& a, const Block& b) { return a.pc < b.pc; });
  t->pages = pages_;
  std::sort(t->pages.begin(), t->pages.end());
  t->instructions = instructions_;
  t->regions = regions_;
  if (!blocks_.empty()) {
    t->sources.push_back(dispatcher_source());
    t->sources.insert(t->sources.end(), parts_.begin(), parts_.end());
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

void Translator::emit_regions(u32 first) {
  const u32 n = static_cast<u32>(blocks_.size());
  // Regions of the new blocks: from each one not yet placed, along direct edges to other new
  // blocks, up to the weight limit.
  constexpr u32 kNone = ~0u;
  std::vector<u32> region(n - first, kNone);  // by new block
  std::vector<u32> region_weight;
  const auto new_index = [&](u64 pc) -> u32 {
    const auto it = index_.find(pc);
    return it != index_.end() && it->second >= first ? it->second - first : kNone;
  };
  for (u32 start = 0; start < n - first; ++start) {
    if (region[start] != kNone) continue;
    const u32 r = static_cast<u32>(region_weight.size());
    region_weight.push_back(0);
    std::vector<u32> stack{start};
    while (!stack.empty()) {
      const u32 x = stack.back();
      stack.pop_back();
      if (region[x] != kNone) continue;
      const Block& b = blocks_[first + x];
      const u32 w = weight(b);
      if (region_weight[r] > 0 && region_weight[r] + w > limits_.region_weight) continue;
      region[x] = r;
      region_weight[r] += w;
      const auto edge = [&](u64 to) {
        const u32 k = new_index(to);
        if (k != kNone && region[k] == kNone) stack.push_back(k);
      };
      // A call's return point joins its region too, so that the return can jump there.
      const Op last = b.ops.back();
      if (b.end == BlockEnd::Conditional || b.end == BlockEnd::Fallthrough || last == Op::BL ||
          last == Op::BLR) {
        edge(b.next());
      }
      if (b.end == BlockEnd::Direct || b.end == BlockEnd::Conditional) edge(b.target);
    }
  }
  const u32 count = static_cast<u32>(region_weight.size());
  std::vector<std::vector<u32>> members(count);  // block indices
  entry_of_.resize(n);
  for (u32 x = 0; x < n - first; ++x) {
    blocks_[first + x].region = regions_ + region[x];
    entry_of_[first + x] = static_cast<u32>(members[region[x]].size());
    members[region[x]].push_back(first + x);
  }

  // Parts of similar weight.
  u64 total = 0;
  for (const u32 w : region_weight) total += w;
  const u64 by_weight_parts = std::max<u64>(total / std::max(1u, limits_.part_weight),
                                            std::min(limits_.min_parts, limits_.max_parts));
  const u32 parts =
      static_cast<u32>(std::clamp<u64>(by_weight_parts, 1, std::min(limits_.max_parts, count)));
  std::vector<u64> part_weight(parts, 0);
  std::vector<std::vector<u32>> part_regions(parts);
  std::vector<u32> by_weight(count);
  for (u32 r = 0; r < count; ++r) by_weight[r] = r;
  std::stable_sort(by_weight.begin(), by_weight.end(),
                   [&](u32 a, u32 b) { return region_weight[a] > region_weight[b]; });
  for (const u32 r : by_weight) {
    const u32 p = static_cast<u32>(std::min_element(part_weight.begin(), part_weight.end()) -
                                   part_weight.begin());
    part_weight[p] += region_weight[r];
    part_regions[p].push_back(r);
  }

  // A jump from a block of region r to a PC: within the region, to another translated block
  // (through the dispatcher's table), or to the dispatcher, which finds blocks translated
  // later or else interprets.
  const auto jump = [&](std::string& o, u32 r, u64 to) {
    const auto it = index_.find(to);
    const auto pc = static_cast<unsigned long long>(to);
    if (it == index_.end()) {
      put(o, "  KVRM_JIT_LEAVE_AT(0x%llxull)\n", pc);
    } else if (blocks_[it->second].region == r) {
      put(o, "  goto B_%llx;\n", pc);
    } else {
      put(o, "  KVRM_JIT_LEAVE(%uu)\n", it->second);
    }
  };
  // Per region: its blocks that follow a call (BL, BLR) in translated code, where its returns
  // most likely go (at most kReturnPoints).
  constexpr size_t kReturnPoints = 16;
  std::unordered_set<u64> after_call;
  for (const Block& b : blocks_) {
    if (b.ops.back() == Op::BL || b.ops.back() == Op::BLR) after_call.insert(b.next());
  }
  std::vector<std::vector<u64>> return_points(count);
  for (u32 local = 0; local < count; ++local) {
    for (const u32 bi : members[local]) {
      if (after_call.count(blocks_[bi].pc) && return_points[local].size() < kReturnPoints)
        return_points[local].push_back(blocks_[bi].pc);
    }
  }
  for (u32 p = 0; p < parts; ++p) {
    std::string o;
    put(o, "// kvrm: translated guest code, regions of part %zu\n", parts_.size() + 1);
    o += "#include \"jit/runtime.cuh\"\n\nnamespace kvrm::jit_gen {\n";
    for (const u32 local : part_regions[p]) {
      const u32 r = regions_ + local;
      put(o, "\nKVRM_JIT_REGION_ATTR KVRM_JIT_REGION(%u) {\n", r);
      o += "  KVRM_JIT_REGION_START\n  switch (entry) {\n";
      for (const u32 bi : members[local]) {
        put(o, "    case %u: goto B_%llx;\n", entry_of_[bi],
            static_cast<unsigned long long>(blocks_[bi].pc));
      }
      o += "    default: KVRM_JIT_LEAVE(kJitDispatch)\n  }\n";
      for (const u32 bi : members[local]) {
        const Block& b = blocks_[bi];
        const auto pc = static_cast<unsigned long long>(b.pc);
        const size_t len = b.words.size();
        put(o, "B_%llx:\n  KVRM_JIT_ENTER(0x%llxull, %zuu)\n", pc, pc, len);
        for (size_t k = 0; k < len; ++k) {
          put(o, "  KVRM_JIT_OP(0x%llxull, %s, 0x%08xu, %zuu, %zuu)\n", pc + 4 * k,
              op_name(b.ops[k]), b.words[k], k, len - k);
        }
        put(o, "  KVRM_JIT_RETIRE(%zuu)\n", len);
        switch (b.end) {
          case BlockEnd::Direct: jump(o, r, b.target); break;
          case BlockEnd::Conditional:
            put(o, "  if (c.npc != 0x%llxull) {\n", static_cast<unsigned long long>(b.next()));
            jump(o, r, b.target);
            o += "  }\n";
            jump(o, r, b.next());
            break;
          case BlockEnd::Indirect:
            // A return goes straight to a return point of this region when it is one.
            if (b.ops.back() == Op::RET && !return_points[local].empty()) {
              o += "  switch (c.npc) {\n";
              for (const u64 at : return_points[local])
                put(o, "    case 0x%llxull: goto B_%llx;\n", static_cast<unsigned long long>(at),
                    static_cast<unsigned long long>(at));
              o += "  }\n";
            }
            o += "  KVRM_JIT_LEAVE_AT(c.npc)\n";
            break;
          case BlockEnd::Stop:  // the handler always stops; never reached
          case BlockEnd::Fallthrough: jump(o, r, b.next()); break;
        }
      }
      o += "  KVRM_JIT_REGION_END\n}\n";
    }
    o += "\n}  // namespace kvrm::jit_gen\n";
    parts_.push_back(std::move(o));
  }
  regions_ += count;
}

std::string Translator::dispatcher_source() const {
  const u32 n = static_cast<u32>(blocks_.size());
  // The entries as an open-addressing table: PC -> block index.
  u32 slots = 16;
  while (slots < 2 * n) slots *= 2;
  std::vector<u64> keys(slots, kEmptyEntry);
  std::vector<u32> values(slots, 0);
  for (u32 i = 0; i < n; ++i) {
    u32 h = pc_hash(blocks_[i].pc) & (slots - 1);
    while (keys[h] != kEmptyEntry) h = (h + 1) & (slots - 1);
    keys[h] = blocks_[i].pc;
    values[h] = i;
  }
  std::string s;
  s.reserve(4096 + slots * 32 + n * 48 + regions_ * 48);
  put(s,
      "// kvrm: translated guest code, %u blocks, %llu instructions, %u regions in %zu parts "
      "(src/jit/translator.cpp)\n",
      n, static_cast<unsigned long long>(instructions_), regions_, parts_.size());
  s += "#include \"jit/runtime.cuh\"\n\nnamespace kvrm::jit_gen {\n\n";
  put(s, "constexpr u32 kMaxBlock = %u;\nconstexpr u32 kBlockCount = %u;\n", limits_.max_block, n);
  put(s, "constexpr u32 kEntryMask = %u;\n", slots - 1);
  s += "KVRM_DEVICE_TABLE const u64 kEntryKeys[] = {";
  for (u32 i = 0; i < slots; ++i) {
    put(s, "%s0x%llxull,", i % 4 ? " " : "\n    ", static_cast<unsigned long long>(keys[i]));
  }
  s += "};\nKVRM_DEVICE_TABLE const u32 kEntryBlocks[] = {";
  for (u32 i = 0; i < slots; ++i) put(s, "%s%u,", i % 8 ? " " : "\n    ", values[i]);
  s += "};\n\n";
  for (u32 r = 0; r < regions_; ++r) put(s, "KVRM_JIT_REGION_ATTR KVRM_JIT_REGION(%u);\n", r);
  s += "\n// Per block: its region's function and its entry number there.\n";
  s += "KVRM_DEVICE_TABLE RegionFn const kBlockRegion[] = {";
  for (u32 i = 0; i < n; ++i) put(s, "%sregion_%u,", i % 6 ? " " : "\n    ", blocks_[i].region);
  s += "};\nKVRM_DEVICE_TABLE const u32 kBlockEntry[] = {";
  for (u32 i = 0; i < n; ++i) put(s, "%s%u,", i % 12 ? " " : "\n    ", entry_of_[i]);
  s += "};\n";
  s += R"(
// With KVRM_JIT_NVRTC_OPTIONS=-DKVRM_JIT_PROFILE, a core adds up where its run goes (regions
// entered, dispatcher look-ups, side exits, interpreter calls and their share of the clock, the
// PCs the interpreter is entered at most, odd for side exits) and prints the sums at every 2^24
// instructions: for finding what costs time, not for use (one core; lanes would race on them).
#if defined(KVRM_JIT_PROFILE) && defined(__CUDACC__)
struct JitProfile {
  unsigned long long regions = 0, lookups = 0, refills = 0, side_exits = 0, side_instructions = 0,
                     interps = 0, interp_clock = 0, start = clock64();
};
struct JitProfileSums {
  unsigned long long instructions, interpreted, calls, clock, regions, lookups, refills,
      side_exits, side_instructions, interps, interp_clock;
  unsigned long long pc[256], count[256], lost;
};
__device__ JitProfileSums kJitProfileSums;
__device__ void jit_profile_pc(u64 pc, u64 n) {
  JitProfileSums& t = kJitProfileSums;
  const u32 h = pc_hash(pc) & 255;
  if (t.pc[h] == 0) t.pc[h] = pc;
  if (t.pc[h] == pc) t.count[h] += n; else t.lost += n;
}
#define KVRM_JIT_COUNT(F, N) prof.F += (N)
#define KVRM_JIT_CLOCK() clock64()
#define KVRM_JIT_PC(PC, N) jit_profile_pc(PC, N)
#define KVRM_JIT_REPORT(O)                                                                    \
  {                                                                                           \
    JitProfileSums& t = kJitProfileSums;                                                      \
    const unsigned long long before = t.instructions;                                         \
    t.instructions += (O).cycles, t.interpreted += (O).interpreted, t.calls += 1;             \
    t.clock += clock64() - prof.start, t.regions += prof.regions, t.lookups += prof.lookups;  \
    t.refills += prof.refills, t.side_exits += prof.side_exits;                               \
    t.side_instructions += prof.side_instructions, t.interps += prof.interps;                 \
    t.interp_clock += prof.interp_clock;                                                      \
    if ((before >> 24) != (t.instructions >> 24)) {                                           \
      printf("kvrm jit profile: %llu instructions (%llu interpreted, %llu of them in %llu "   \
             "side exits), %llu calls, %llu regions entered, %llu look-ups, %llu refills, "   \
             "%llu interpreter calls taking %.1f%% of %llu clocks\n",                         \
             t.instructions, t.interpreted, t.side_instructions, t.side_exits, t.calls,       \
             t.regions, t.lookups, t.refills, t.interps, 100.0 * t.interp_clock / t.clock,    \
             t.clock);                                                                        \
      for (int r = 0; r < 12; ++r) {                                                          \
        int best = -1;                                                                        \
        for (int j = 0; j < 256; ++j)                                                         \
          if (t.count[j] && (best < 0 || t.count[j] > t.count[best])) best = j;               \
        if (best < 0) break;                                                                  \
        printf("kvrm jit profile:   interpreted from 0x%llx: %llu\n", t.pc[best],             \
               t.count[best]);                                                                \
        t.count[best] = 0, t.pc[best] = 0;                                                    \
      }                                                                                       \
      printf("kvrm jit profile:   elsewhere: %llu\n", t.lost);                                \
    }                                                                                         \
  }
#else
struct JitProfile {};
#define KVRM_JIT_COUNT(F, N)
#define KVRM_JIT_CLOCK() 0
#define KVRM_JIT_PC(PC, N)
#define KVRM_JIT_REPORT(O)
#endif

// Runs from rec.pc until a stop, the budget, or a stop request (run_core()'s conventions).
template <class Env>
KVRM_HD RunOutcome run_translated(Env& env, CoreState& rec, StopInfo& info, Mmu& mem,
                                  u64 max_cycles, u64 poll) {
  JitFrame f;
  f.pc = rec.pc;
  u64 interpreted = 0;  // instructions the interpreter retired
  u64 base = 0;         // retired before the current quota
  u32 quota = 0;
  u32 next = 0;
  RunOutcome out;
  [[maybe_unused]] JitProfile prof;
  goto refill;
dispatch:  // to the block at f.pc, if there is one
  KVRM_JIT_COUNT(lookups, 1);
  next = jit_lookup(kEntryKeys, kEntryBlocks, kEntryMask, f.pc);
  if (next == kJitInterp) goto interp;
run:
  KVRM_JIT_COUNT(regions, 1);
  next = kBlockRegion[next](&rec, &mem, &info, &f, kBlockEntry[next]);
  if (next < kBlockCount) goto run;
  if (next == kJitDispatch) goto dispatch;
  if (next == kJitRefill) goto refill;
  if (next == kJitStop) {  // instruction k of the block at f.pc stopped (an SVC retired)
    if (f.sig == Signal::Fault) {
      // A memory access with no fast path in translated code (isa/mmu.hpp, KVRM_MMU_SIDE_EXIT):
      // the interpreter runs the rest of the block from that instruction (nothing of it done;
      // a fault is reported as such), and translated code goes on after it.
      KVRM_JIT_COUNT(side_exits, 1);
      f.left -= f.k;
      rec.pc = f.pc;
      KVRM_JIT_COUNT(interps, 1);
      [[maybe_unused]] const auto t0 = KVRM_JIT_CLOCK();
      const RunOutcome o = env.interp(rec, info, mem, f.rest, false);
      KVRM_JIT_COUNT(interp_clock, KVRM_JIT_CLOCK() - t0);
      KVRM_JIT_COUNT(side_instructions, o.cycles);
      KVRM_JIT_PC(f.pc | 1, o.cycles);
      f.left -= static_cast<u32>(o.cycles);
      interpreted += o.cycles;
      f.pc = rec.pc;
      if (o.signal == Signal::Checkpoint) goto dispatch;
      out = {o.signal, base + quota - f.left, interpreted};
      goto done;
    }
    if (f.sig == Signal::Syscall) {
      f.pc += 4;
      f.left -= f.k + 1;
    } else {
      f.left -= f.k;
    }
    rec.pc = f.pc;
    out = {f.sig, base + quota - f.left, interpreted};
    goto done;
  }
interp:  // no translation at f.pc
  rec.pc = f.pc;
  {
    KVRM_JIT_COUNT(interps, 1);
    [[maybe_unused]] const auto t0 = KVRM_JIT_CLOCK();
    const RunOutcome o = env.interp(rec, info, mem, f.left, true);
    KVRM_JIT_COUNT(interp_clock, KVRM_JIT_CLOCK() - t0);
    KVRM_JIT_PC(f.pc, o.cycles);
    f.left -= static_cast<u32>(o.cycles);
    interpreted += o.cycles;
    f.pc = rec.pc;
    if (o.signal == Signal::Running) goto dispatch;  // at a translated entry
    if (o.signal != Signal::Checkpoint) {
      out = {o.signal, base + quota - f.left, interpreted};
      goto done;
    }
  }
refill:  // the quota is used up, or too little is left of it for the next block
  KVRM_JIT_COUNT(refills, 1);
  base += quota - f.left;
  quota = f.left = 0;
  rec.pc = f.pc;
  if (base >= max_cycles || (base != 0 && env.stop_requested())) {
    out = {Signal::Checkpoint, base, interpreted};
    goto done;
  }
  if (max_cycles - base < kMaxBlock) {  // the last few instructions, exactly, interpreted
    const RunOutcome o = env.interp(rec, info, mem, max_cycles - base, false);
    out = {o.signal, base + o.cycles, interpreted + o.cycles};
    goto done;
  }
  if (poll < kMaxBlock) poll = kMaxBlock;  // every block fits in a quota
  quota = f.left = static_cast<u32>(max_cycles - base < poll ? max_cycles - base : poll);
  goto dispatch;
done:
  KVRM_JIT_REPORT(out)
  return out;
}

}  // namespace kvrm::jit_gen

KVRM_JIT_MODULE_ENTRY()
)";
  return s;
}

}  // namespace kvrm::jit

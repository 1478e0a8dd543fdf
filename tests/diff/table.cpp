#include "table.hpp"

#include <algorithm>
#include <cstring>
#include <optional>
#include <regex>
#include <sstream>
#include <stdexcept>

namespace kvrm::diff {
namespace {

struct RawEntry {
  Op op;
  const char* pattern;
};

constexpr RawEntry kRaw[] = {
#define INST(name, arm_name, pattern) {Op::name, pattern},
#include "isa/a64.inc"
#undef INST
};

// op0 = bits 28..25 of the encoding (Arm ARM table C4-1).
Group group_of(u32 value) {
  const u32 op0 = (value >> 25) & 0xf;
  if ((op0 & 0b1110) == 0b1000) return Group::DpImm;
  if ((op0 & 0b1110) == 0b1010) return Group::BranchSys;
  if ((op0 & 0b0101) == 0b0100) return Group::LoadStore;
  if ((op0 & 0b0111) == 0b0101) return Group::DpReg;
  if ((op0 & 0b0111) == 0b0111) return Group::SimdFp;
  return Group::Other;
}

std::vector<Field> split_fields(const char* p) {
  std::vector<Field> out;
  for (int i = 0; i < 32;) {
    const char c = p[i];
    int j = i;
    while (j < 32 && p[j] == c) ++j;
    if (c != '0' && c != '1') out.push_back(Field{c, 31 - i, 31 - (j - 1)});
    i = j;
  }
  return out;
}

std::vector<Entry> build() {
  std::vector<Entry> t;
  for (const RawEntry& r : kRaw) {
    Entry e;
    e.op = r.op;
    e.name = op_name(r.op);
    e.arm_name = op_arm_name(r.op);
    e.pattern = r.pattern;
    e.mask = kEncodings[static_cast<u32>(r.op)].mask;
    e.value = kEncodings[static_cast<u32>(r.op)].value;
    e.group = group_of(e.value);
    // Loads and stores with V (bit 26) set move SIMD&FP registers.
    e.fp = e.group == Group::SimdFp ||
           (e.group == Group::LoadStore && (e.mask & e.value & (1u << 26)));
    e.fields = split_fields(r.pattern);
    t.push_back(std::move(e));
  }
  return t;
}

std::vector<std::string> split_list(const std::string& s) {
  std::vector<std::string> out;
  std::stringstream ss(s);
  std::string item;
  while (std::getline(ss, item, ',')) {
    if (!item.empty()) out.push_back(item);
  }
  return out;
}

}  // namespace

bool Field::is_register() const { return width() == 5 && std::strchr("dnmtusa", letter); }

const Field* Entry::field(char letter, int width) const {
  for (const Field& f : fields) {
    if (f.letter == letter && (width == 0 || f.width() == width)) return &f;
  }
  return nullptr;
}

const char* group_section(Group g) {
  switch (g) {
    case Group::DpImm: return "C4.1.86";
    case Group::BranchSys: return "C4.1.87";
    case Group::LoadStore: return "C4.1.88";
    case Group::DpReg: return "C4.1.89";
    case Group::SimdFp: return "C4.1.90";
    case Group::Other: return "other";
  }
  return "?";
}

const char* group_name(Group g) {
  switch (g) {
    case Group::DpImm: return "dp-imm";
    case Group::BranchSys: return "branch-sys";
    case Group::LoadStore: return "ldst";
    case Group::DpReg: return "dp-reg";
    case Group::SimdFp: return "simd-fp";
    case Group::Other: return "other";
  }
  return "?";
}

const std::vector<Entry>& table() {
  static const std::vector<Entry> t = build();
  return t;
}

const Entry& entry(Op op) {
  for (const Entry& e : table()) {
    if (e.op == op) return e;
  }
  throw std::runtime_error("no table entry for op");
}

std::vector<const Entry*> select(const Selection& s) {
  std::optional<std::regex> ops, exclude;
  if (!s.ops.empty()) ops.emplace(s.ops, std::regex::ECMAScript);
  if (!s.exclude_ops.empty()) exclude.emplace(s.exclude_ops, std::regex::ECMAScript);
  const std::vector<std::string> groups = split_list(s.groups);
  for (const std::string& g : groups) {
    bool known = false;
    for (Group k : {Group::DpImm, Group::BranchSys, Group::LoadStore, Group::DpReg, Group::SimdFp,
                    Group::Other}) {
      // C4.1.90 and C4.1.91 are both the SIMD&FP space.
      known |=
          g == group_section(k) || g == group_name(k) || (k == Group::SimdFp && g == "C4.1.91");
    }
    if (!known) throw std::runtime_error("unknown group '" + g + "'");
  }
  if (s.kind != "all" && s.kind != "int" && s.kind != "fp") {
    throw std::runtime_error("--kind must be int, fp or all");
  }
  std::vector<const Entry*> out;
  for (const Entry& e : table()) {
    if (ops && !std::regex_search(e.name, *ops)) continue;
    if (exclude && std::regex_search(e.name, *exclude)) continue;
    if (!groups.empty()) {
      const bool in = std::any_of(groups.begin(), groups.end(), [&](const std::string& g) {
        return g == group_section(e.group) || g == group_name(e.group) ||
               (e.group == Group::SimdFp && g == "C4.1.91");
      });
      if (!in) continue;
    }
    if (s.kind == "int" && e.fp) continue;
    if (s.kind == "fp" && !e.fp) continue;
    out.push_back(&e);
  }
  return out;
}

}  // namespace kvrm::diff

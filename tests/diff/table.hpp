// The encoding table (isa/a64.inc) as the differential tester sees it: one Entry per INST line,
// with its pattern split into operand fields, its instruction group and its selection filters.
#pragma once

#include <string>
#include <vector>

#include "isa/decoder.hpp"

namespace kvrm::diff {

// A run of one letter in a pattern: bits [hi:lo] of the word. Runs of '+' and '-' are the
// should-be-one and should-be-zero bits (decoded whatever their value, ignored by the handler).
struct Field {
  char letter;
  int hi;
  int lo;
  int width() const { return hi - lo + 1; }
  bool is_register() const;  // a 5-bit run of d, n, m, t, u, s or a
  bool is_should_be() const { return letter == '+' || letter == '-'; }
};

// The top-level A64 groups (Arm ARM C4.1, decoded on op0 = bits 28..25).
enum class Group { DpImm, BranchSys, LoadStore, DpReg, SimdFp, Other };
const char* group_section(Group g);  // "C4.1.86" ...
const char* group_name(Group g);     // "dp-imm" ...

struct Entry {
  Op op;
  const char* name;      // handler name (kOpNames)
  const char* arm_name;  // Arm ARM name
  const char* pattern;   // 32 characters, bit 31 first
  u32 mask;
  u32 value;
  u32 canonical;  // value with the should-be-one bits set: the word as the Arm ARM writes it
  Group group;
  bool fp;  // touches the SIMD&FP registers (the FP/SIMD group, or a SIMD&FP load/store)
  const char* section;  // the a64.inc section header it is listed under ("C4.1.88 Loads ...")
  std::vector<Field> fields;

  // Bits [hi:lo] of a word of this entry.
  const Field* field(char letter, int width = 0) const;
};

// Every table entry, in table order.
const std::vector<Entry>& table();
const Entry& entry(Op op);

// The section headers of a64.inc ("// ---- TITLE ----"), in table order, with their number of
// entries (an empty section has none implemented yet).
struct Section {
  const char* title;
  size_t entries;
};
const std::vector<Section>& sections();
// Whether a section holds SIMD&FP instructions: the loads/stores of SIMD&FP registers and every
// section of the SIMD&FP encoding space (C4.1.90/C4.1.91: scalar FP, Advanced SIMD, crypto).
bool is_simd_section(const char* title);

// Entry selection: --ops REGEX (on the handler name), --group LIST (sections or names,
// comma-separated), --section REGEX (on the a64.inc section title), --kind int|fp|simd|all
// (fp and simd are the same: entries with SIMD&FP registers), --exclude-ops REGEX.
struct Selection {
  std::string ops;
  std::string exclude_ops;
  std::string groups;
  std::string section;
  std::string kind = "all";
};
// The selected entries; throws std::runtime_error on a malformed filter.
std::vector<const Entry*> select(const Selection& s);

}  // namespace kvrm::diff

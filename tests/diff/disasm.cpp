#include "disasm.hpp"

#include <capstone/capstone.h>

namespace kvrm::diff {
namespace {

struct Capstone {
  csh handle = 0;
  bool ok = false;
  Capstone() { ok = cs_open(CS_ARCH_ARM64, CS_MODE_ARM, &handle) == CS_ERR_OK; }
  ~Capstone() {
    if (ok) cs_close(&handle);
  }
};

}  // namespace

std::string disassemble(u32 word, u64 pc) {
  static Capstone cs;
  if (!cs.ok) return "<capstone unavailable>";
  u8 bytes[4] = {static_cast<u8>(word), static_cast<u8>(word >> 8), static_cast<u8>(word >> 16),
                 static_cast<u8>(word >> 24)};
  cs_insn* insn = nullptr;
  const size_t n = cs_disasm(cs.handle, bytes, 4, pc, 1, &insn);
  if (n == 0) return "<capstone: invalid>";
  std::string s = insn[0].mnemonic;
  if (insn[0].op_str[0]) s += std::string(" ") + insn[0].op_str;
  cs_free(insn, n);
  return s;
}

}  // namespace kvrm::diff

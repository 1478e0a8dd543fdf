// Capstone disassembly of single A64 words, for reports.
#pragma once

#include <string>

#include "isa/hd.hpp"

namespace kvrm::diff {

// "mnemonic operands", or "<capstone: invalid>" where Capstone 4 does not know the word.
std::string disassemble(u32 word, u64 pc);

}  // namespace kvrm::diff

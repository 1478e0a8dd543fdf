// Instruction semantics, C4.1.86 Data processing -- immediate: PC-relative addressing, add/subtract, logical, move wide, bitfield, extract.
// PENDING: handlers below are placeholders until this group is written.
#pragma once

#include "isa/sem/common.hpp"

namespace kvrm::sem {

KVRM_PENDING(ADR)
KVRM_PENDING(ADRP)
KVRM_PENDING(ADD_imm)
KVRM_PENDING(ADDS_imm)
KVRM_PENDING(SUB_imm)
KVRM_PENDING(SUBS_imm)
KVRM_PENDING(AND_imm)
KVRM_PENDING(ORR_imm)
KVRM_PENDING(EOR_imm)
KVRM_PENDING(ANDS_imm)
KVRM_PENDING(MOVN)
KVRM_PENDING(MOVZ)
KVRM_PENDING(MOVK)
KVRM_PENDING(SBFM)
KVRM_PENDING(BFM)
KVRM_PENDING(UBFM)
KVRM_PENDING(EXTR)

}  // namespace kvrm::sem

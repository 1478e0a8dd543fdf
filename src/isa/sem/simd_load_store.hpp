// Instruction semantics, C4.1.88 Loads and stores of SIMD&FP registers: structures (LD1-LD4,
// ST1-ST4, LDnR) and B/H/S/D/Q registers in every addressing mode.
#pragma once

#include "isa/sem/simd_common.hpp"

namespace kvrm::sem {}  // namespace kvrm::sem

// Instruction semantics, C4.1.91 Data processing -- Advanced SIMD, integer, permute, copy and
// modified-immediate groups, vector and scalar forms.
#pragma once

#include "isa/sem/simd_common.hpp"

namespace kvrm::sem {}  // namespace kvrm::sem

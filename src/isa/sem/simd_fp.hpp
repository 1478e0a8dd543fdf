// Instruction semantics, C4.1.91 Data processing -- Advanced SIMD, floating-point groups (vector
// and scalar forms), on the FP primitives of isa/fp.
#pragma once

#include "isa/sem/simd_common.hpp"

namespace kvrm::sem {}  // namespace kvrm::sem

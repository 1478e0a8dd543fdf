// Instruction semantics, C4.1.91 Data processing -- scalar floating-point: FMOV, arithmetic,
// fused multiply-add, compare, conditional select, rounding, conversions between precisions and
// to/from integers and fixed point.
#pragma once

#include "isa/sem/simd_common.hpp"

namespace kvrm::sem {}  // namespace kvrm::sem

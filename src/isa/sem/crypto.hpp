// Instruction semantics, C4.1.91 Cryptographic extensions: AES, SHA1, SHA256 and polynomial
// multiply long (PMULL).
#pragma once

#include "isa/sem/simd_common.hpp"

namespace kvrm::sem {}  // namespace kvrm::sem

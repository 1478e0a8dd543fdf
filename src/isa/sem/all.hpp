// Every instruction group's semantics, without the decoder: what code that calls handlers by
// name needs (isa/execute.hpp's dispatch, and guest code translated ahead of execution, which
// the run-time compiler builds from these headers alone).
#pragma once

#include "isa/sem/branch_system.hpp"
#include "isa/sem/crypto.hpp"
#include "isa/sem/data_processing_imm.hpp"
#include "isa/sem/data_processing_reg.hpp"
#include "isa/sem/fp_scalar.hpp"
#include "isa/sem/load_store.hpp"
#include "isa/sem/simd_fp.hpp"
#include "isa/sem/simd_int.hpp"
#include "isa/sem/simd_load_store.hpp"

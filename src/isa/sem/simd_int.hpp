// Instruction semantics, C4.1.91 Data processing -- Advanced SIMD, integer, permute, copy and
// modified-immediate groups, vector and scalar forms. Every element operation computes its
// result exactly in a 128-bit two's complement value (simd::Wide), then truncates it or
// saturates it as the pseudocode's SatQ does; FPSR.QC is set when any element saturates.
//
// The groups, each in its own header after the Arm ARM's encoding groups:
//   simd_int_arith.hpp    the shared element arithmetic and the vector loops' helpers
//   simd_copy.hpp         Advanced SIMD (scalar) copy, modified immediate
//   simd_three_same.hpp   three same, three same extra, scalar three same, pairwise
//   simd_three_diff.hpp   three different, scalar three different
//   simd_two_reg_misc.hpp two-register miscellaneous, across lanes, scalar forms
//   simd_shift_imm.hpp    shift by immediate, scalar shift by immediate
//   simd_by_element.hpp   vector and scalar x indexed element (integer)
//   simd_permute.hpp      TBL/TBX, ZIP/UZP/TRN, EXT
#pragma once

#include "isa/sem/simd_by_element.hpp"
#include "isa/sem/simd_copy.hpp"
#include "isa/sem/simd_permute.hpp"
#include "isa/sem/simd_shift_imm.hpp"
#include "isa/sem/simd_three_diff.hpp"
#include "isa/sem/simd_three_same.hpp"
#include "isa/sem/simd_two_reg_misc.hpp"

#undef KVRM_SIMD_HANDLER

// Instruction semantics, C4.1.91 Advanced SIMD table lookup (TBL, TBX), permute (UZP1, UZP2,
// TRN1, TRN2, ZIP1, ZIP2) and extract (EXT).
#pragma once

#include "isa/sem/simd_int_arith.hpp"

namespace kvrm::sem {

namespace simd {

// TBL, TBX: bits 14:13 give the table length minus one; the table registers are Vn, Vn+1, ...
// modulo 32. An out-of-range index gives zero (TBL) or keeps the Vd byte (TBX).
template <class C>
KVRM_HD Signal table_lookup(C& c, u32 i, bool extension) {
  const int regs = static_cast<int>(bits(i, 14, 13)) + 1;
  const VReg idx = vget(c, rm(i)), d = vget(c, rd(i));
  VReg r{};
  for (int e = 0; e < (q(i) ? 16 : 8); ++e) {
    const int index = static_cast<int>(elem(idx, e, 8));
    u64 v = extension ? elem(d, e, 8) : 0;
    if (index < 16 * regs) v = elem(vget(c, (rn(i) + index / 16) % 32), index % 16, 8);
    set_elem(r, e, 8, v);
  }
  vwrite_vector(c, rd(i), r, q(i));
  return Signal::Running;
}

enum class Perm { UZP1, UZP2, TRN1, TRN2, ZIP1, ZIP2 };
template <Perm op, class C>
KVRM_HD Signal permute(C& c, u32 i) {
  const int sz = size(i);
  if (sz == 3 && !q(i)) return c.undefined(i);
  const int esize = 8 << sz;
  const int elements = (q(i) ? 128 : 64) / esize;
  const VReg n = vget(c, rn(i)), m = vget(c, rm(i));
  VReg r{};
  for (int e = 0; e < elements; ++e) {
    u64 v;
    if constexpr (op == Perm::UZP1 || op == Perm::UZP2) {  // even / odd elements of Vm:Vn
      const int k = 2 * e + (op == Perm::UZP2 ? 1 : 0);
      v = k < elements ? elem(n, k, esize) : elem(m, k - elements, esize);
    } else if constexpr (op == Perm::TRN1 || op == Perm::TRN2) {
      const int k = (e & ~1) + (op == Perm::TRN2 ? 1 : 0);
      v = elem((e & 1) ? m : n, k, esize);
    } else {  // ZIP1 / ZIP2: interleave the low / high halves
      const int k = e / 2 + (op == Perm::ZIP2 ? elements / 2 : 0);
      v = elem((e & 1) ? m : n, k, esize);
    }
    set_elem(r, e, esize, v);
  }
  vset(c, rd(i), r);
  return Signal::Running;
}

// EXT: bytes imm4 .. imm4 + datasize/8 - 1 of Vm:Vn (imm4 < 8 when Q = 0).
template <class C>
KVRM_HD Signal ext(C& c, u32 i) {
  const int pos = static_cast<int>(bits(i, 14, 11));
  const int bytes = q(i) ? 16 : 8;
  if (pos >= bytes) return c.undefined(i);
  const VReg n = vget(c, rn(i)), m = vget(c, rm(i));
  VReg r{};
  for (int e = 0; e < bytes; ++e) {
    const int k = pos + e;
    set_elem(r, e, 8, k < bytes ? elem(n, k, 8) : elem(m, k - bytes, 8));
  }
  vset(c, rd(i), r);
  return Signal::Running;
}
}  // namespace simd

KVRM_SIMD_HANDLER(TBL, table_lookup(c, i, false))
KVRM_SIMD_HANDLER(TBX, table_lookup(c, i, true))
KVRM_SIMD_HANDLER(UZP1, permute<simd::Perm::UZP1>(c, i))
KVRM_SIMD_HANDLER(UZP2, permute<simd::Perm::UZP2>(c, i))
KVRM_SIMD_HANDLER(TRN1, permute<simd::Perm::TRN1>(c, i))
KVRM_SIMD_HANDLER(TRN2, permute<simd::Perm::TRN2>(c, i))
KVRM_SIMD_HANDLER(ZIP1, permute<simd::Perm::ZIP1>(c, i))
KVRM_SIMD_HANDLER(ZIP2, permute<simd::Perm::ZIP2>(c, i))
KVRM_SIMD_HANDLER(EXT, ext(c, i))

}  // namespace kvrm::sem

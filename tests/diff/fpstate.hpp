// Random SIMD&FP state for the differential tester: V0-V31 with adversarial lane values
// (floating-point specials, denormals, rounding boundaries, integer edges), FPCR over every
// rounding mode and FZ/DN/AHP/FZ16 combination, FPSR with random cumulative flags.
#pragma once

#include "isa/state.hpp"
#include "rng.hpp"

namespace kvrm::diff {

// 128-bit integers (GCC/Clang), for values around 2^64.
__extension__ typedef unsigned __int128 u128;
__extension__ typedef __int128 i128;

// An IEEE binary format of 16, 32 or 64 bits.
struct FpFormat {
  int bits;
  int ebits;  // exponent field width
  int mbits;  // fraction field width
  int bias() const { return (1 << (ebits - 1)) - 1; }
  u64 emax_field() const { return (u64{1} << ebits) - 1; }  // all ones: infinity or NaN
  u64 sign_bit() const { return u64{1} << (bits - 1); }
  u64 fraction_mask() const { return (u64{1} << mbits) - 1; }
};
constexpr FpFormat kHalf{16, 5, 10}, kSingle{32, 8, 23}, kDouble{64, 11, 52};
const FpFormat& fp_format(int bits);  // 16, 32 or 64

// Sign, exponent field and fraction field put together.
u64 fp_pack(const FpFormat& f, bool negative, u64 exponent, u64 fraction);
// n * 2^-scale, truncated to the format (infinity above its range, denormal or zero below).
u64 fp_from_scaled(const FpFormat& f, bool negative, u128 n, int scale);

// One lane of `bits` (16, 32, 64) holding an adversarial floating-point value: +-0, +-inf,
// quiet and signalling NaNs with random payloads, denormals (smallest, largest, random), the
// smallest and largest normals, 1.0 and small powers of two, integers near 2^k (conversions),
// x.5 values (rounding to integral), fractions ending in tie patterns (rounding and narrowing),
// exponents at the edges of the range (overflow and underflow of results), random values.
u64 fp_lane(Rng& rng, int bits);
// One lane of `bits` (8, 16, 32, 64) holding an integer edge value: 0, 1, -1, the signed and
// unsigned extremes and their neighbours, powers of two, alternating bit patterns, random.
u64 int_lane(Rng& rng, int bits);

// The layout a trial prefers for its V registers (most registers follow it, so that the
// operands of an instruction often hold the lane type it works on).
enum class LaneKind { Fp16, Fp32, Fp64, Int8, Int16, Int32, Int64 };

// V0-V31, FPCR and FPSR of `s`. FPCR gets only the bits kvrm keeps (sysregs.hpp kFpcrMask:
// AHP, DN, FZ, RMode, FZ16), FPSR the cumulative flags and QC (kFpsrMask); MSR tests the rest.
void randomize_fp_state(Rng& rng, CoreState& s);

// An integer as a general register operand of FP conversions (SCVTF, UCVTF, FMOV): values near
// the powers of two where conversions round (2^11, 2^24, 2^53, 2^31, 2^32, 2^63, 2^64), or the
// bits of an adversarial double or float.
u64 fp_conversion_operand(Rng& rng);

}  // namespace kvrm::diff

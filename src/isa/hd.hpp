// Host/device portability layer: the KVRM_HD macro and the bit-twiddling primitives every
// instruction's semantics are written with. Each primitive has one name and, where host and
// device need different intrinsics, a host and a device body behind that name.
#pragma once

#if defined(__CUDACC_RTC__)
// NVRTC (the run-time compiler of translated guest code, src/jit/) has no C++ standard
// library: the fixed-width types are defined here as <cstdint> defines them on 64-bit Linux, so
// that names mangle alike in translated code and in the device library it links with, and memcpy
// is a device builtin.
static_assert(sizeof(long) == 8, "translated code assumes LP64, as kvrm's own device code");
namespace std {
using uint8_t = unsigned char;
using uint16_t = unsigned short;
using uint32_t = unsigned int;
using uint64_t = unsigned long;
using int8_t = signed char;
using int16_t = short;
using int32_t = int;
using int64_t = long;
}  // namespace std
#else
#include <cstdint>
#include <cstring>
#endif

#if defined(__CUDACC__)
#define KVRM_HD __host__ __device__ __forceinline__
#define KVRM_DEVICE_TABLE __device__
#else
#define KVRM_HD inline
#define KVRM_DEVICE_TABLE
#endif

namespace kvrm {

using u8 = std::uint8_t;
using u16 = std::uint16_t;
using u32 = std::uint32_t;
using u64 = std::uint64_t;
using i8 = std::int8_t;
using i16 = std::int16_t;
using i32 = std::int32_t;
using i64 = std::int64_t;

// Bits [hi:lo] of x, as an unsigned value.
KVRM_HD constexpr u32 bits(u32 x, int hi, int lo) {
  return (x >> lo) & ((hi - lo == 31) ? 0xffffffffu : ((1u << (hi - lo + 1)) - 1u));
}
KVRM_HD constexpr u32 bit(u32 x, int n) { return (x >> n) & 1u; }

// A mask of the low n bits (n in 0..64).
KVRM_HD constexpr u64 ones(int n) { return n >= 64 ? ~u64{0} : ((u64{1} << n) - 1); }

// Sign-extends the low `width` bits of x to 64 bits.
KVRM_HD constexpr i64 sext(u64 x, int width) {
  return width >= 64 ? static_cast<i64>(x) : static_cast<i64>(x << (64 - width)) >> (64 - width);
}

// Keeps the low `size` bits of a value; size is 32 or 64 (the W or X form of an instruction).
KVRM_HD constexpr u64 trunc(u64 x, int size) { return size == 64 ? x : (x & 0xffffffffu); }

KVRM_HD constexpr u64 ror(u64 x, int sh, int size) {
  x = trunc(x, size);
  sh %= size;
  if (sh == 0) return trunc(x, size);
  return trunc((x >> sh) | (x << (size - sh)), size);
}

KVRM_HD int clz64(u64 x) {
#if defined(__CUDA_ARCH__)
  return __clzll(static_cast<long long>(x));
#else
  return x == 0 ? 64 : __builtin_clzll(x);
#endif
}

KVRM_HD int popcount64(u64 x) {
#if defined(__CUDA_ARCH__)
  return __popcll(x);
#else
  return __builtin_popcountll(x);
#endif
}

KVRM_HD u64 bswap64(u64 x) {
#if defined(__CUDA_ARCH__)
  const u32 lo = __byte_perm(static_cast<u32>(x), 0, 0x0123);
  const u32 hi = __byte_perm(static_cast<u32>(x >> 32), 0, 0x0123);
  return (static_cast<u64>(lo) << 32) | hi;
#else
  return __builtin_bswap64(x);
#endif
}

KVRM_HD u64 bitreverse64(u64 x) {
#if defined(__CUDA_ARCH__)
  return __brevll(x);
#else
  x = ((x >> 1) & 0x5555555555555555ull) | ((x & 0x5555555555555555ull) << 1);
  x = ((x >> 2) & 0x3333333333333333ull) | ((x & 0x3333333333333333ull) << 2);
  x = ((x >> 4) & 0x0f0f0f0f0f0f0f0full) | ((x & 0x0f0f0f0f0f0f0f0full) << 4);
  return bswap64(x);
#endif
}

// High 64 bits of the 128-bit product.
KVRM_HD u64 umulh64(u64 a, u64 b) {
#if defined(__CUDA_ARCH__)
  return __umul64hi(a, b);
#else
  __extension__ using u128 = unsigned __int128;
  return static_cast<u64>((static_cast<u128>(a) * b) >> 64);
#endif
}

KVRM_HD i64 smulh64(i64 a, i64 b) {
#if defined(__CUDA_ARCH__)
  return __mul64hi(a, b);
#else
  __extension__ using i128 = __int128;
  return static_cast<i64>((static_cast<i128>(a) * b) >> 64);
#endif
}

// Little-endian loads and stores of host-side bytes (guest memory is little-endian, as are the
// x86-64 host and the GPU).
template <class T>
KVRM_HD T load_le(const u8* p) {
#if defined(__CUDA_ARCH__)
  // memcpy becomes byte accesses on the GPU: one access where the address is aligned.
  if ((reinterpret_cast<unsigned long long>(p) & (sizeof(T) - 1)) == 0) {
    return *reinterpret_cast<const T*>(p);
  }
#endif
  T v;
  memcpy(&v, p, sizeof(T));
  return v;
}
// A little-endian load from an address known to be aligned to sizeof(T) (an instruction word in a
// page-aligned frame): one access on the GPU, where the compiler may otherwise merge load_le's
// two paths into the byte-wise one.
template <class T>
KVRM_HD T load_le_aligned(const u8* p) {
#if defined(__CUDA_ARCH__)
  return *reinterpret_cast<const T*>(p);
#else
  return load_le<T>(p);
#endif
}
template <class T>
KVRM_HD void store_le_aligned(u8* p, T v) {
#if defined(__CUDA_ARCH__)
  *reinterpret_cast<T*>(p) = v;
#else
  memcpy(p, &v, sizeof(T));
#endif
}
template <class T>
KVRM_HD void store_le(u8* p, T v) {
#if defined(__CUDA_ARCH__)
  if ((reinterpret_cast<unsigned long long>(p) & (sizeof(T) - 1)) == 0) {
    *reinterpret_cast<T*>(p) = v;
    return;
  }
#endif
  memcpy(p, &v, sizeof(T));
}

// Tells the GPU compiler that a pointer is to global memory (guest frames) or to the thread's
// local memory (a kernel's locals), so that it uses those accesses instead of generic ones and
// knows the two never alias. Nothing on the host.
#if defined(__CUDA_ARCH__)
#define KVRM_ASSUME_GLOBAL(P) __builtin_assume(__isGlobal(P))
#define KVRM_ASSUME_LOCAL(P) __builtin_assume(__isLocal(P))
#else
#define KVRM_ASSUME_GLOBAL(P) ((void)(P))
#define KVRM_ASSUME_LOCAL(P) ((void)(P))
#endif

}  // namespace kvrm

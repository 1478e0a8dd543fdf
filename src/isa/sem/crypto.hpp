// Instruction semantics, C4.1.91 Cryptographic extensions: AES, SHA1, SHA256 and polynomial
// multiply long (PMULL), after the Arm ARM's pseudocode (AESSubBytes, AESShiftRows,
// AESMixColumns and their inverses, SHA1 and SHA256 hash updates, SHAchoose/SHAparity/
// SHAmajority, PolynomialMult).
#pragma once

#include "isa/sem/simd_common.hpp"

namespace kvrm::sem {

namespace crypto {

// ---- AES ----

// Multiplication in GF(2^8) modulo x^8 + x^4 + x^3 + x + 1 (FFmul02, FFmul03, ... of the Arm
// ARM are its tables).
KVRM_HD constexpr u8 gf_mul(u8 a, u8 b) {
  u8 r = 0;
  for (int k = 0; k < 8; ++k) {
    if (b & 1) r = static_cast<u8>(r ^ a);
    const bool carry = a & 0x80;
    a = static_cast<u8>(a << 1);
    if (carry) a = static_cast<u8>(a ^ 0x1b);
    b = static_cast<u8>(b >> 1);
  }
  return r;
}

KVRM_HD constexpr u8 rol8(u8 x, int n) { return static_cast<u8>((x << n) | (x >> (8 - n))); }

// The AES S-box and its inverse (FIPS-197 5.1.1), built at compile time: walking the
// multiplicative group with generator 3 gives each element p with its inverse q.
struct AesTables {
  u8 sbox[256];
  u8 inv_sbox[256];
};

constexpr AesTables make_aes_tables() {
  AesTables t{};
  u8 p = 1, q = 1;
  do {
    p = static_cast<u8>(p ^ static_cast<u8>(p << 1) ^ ((p & 0x80) ? 0x1b : 0));  // p * 3
    q = static_cast<u8>(q ^ (q << 1));                                           // q / 3
    q = static_cast<u8>(q ^ (q << 2));
    q = static_cast<u8>(q ^ (q << 4));
    if (q & 0x80) q = static_cast<u8>(q ^ 0x09);
    const u8 s = static_cast<u8>(q ^ rol8(q, 1) ^ rol8(q, 2) ^ rol8(q, 3) ^ rol8(q, 4) ^ 0x63);
    t.sbox[p] = s;
    t.inv_sbox[s] = p;
  } while (p != 1);
  t.sbox[0] = 0x63;
  t.inv_sbox[0x63] = 0;
  return t;
}

inline constexpr AesTables kAesTables = make_aes_tables();
#if defined(__CUDACC__)
static __device__ const AesTables kAesTablesDevice = kAesTables;
#endif

KVRM_HD const AesTables& aes_tables() {
#if defined(__CUDA_ARCH__)
  return kAesTablesDevice;
#else
  return kAesTables;
#endif
}

// A 128-bit value as its 16 bytes, byte k = bits 8k+7..8k (the AES state, column-major: byte
// r + 4c is row r of column c).
struct Bytes16 {
  u8 b[16];
};

KVRM_HD Bytes16 to_bytes(const VReg& v) {
  Bytes16 r;
  for (int k = 0; k < 8; ++k) {
    r.b[k] = static_cast<u8>(v.lo >> (8 * k));
    r.b[k + 8] = static_cast<u8>(v.hi >> (8 * k));
  }
  return r;
}

KVRM_HD VReg from_bytes(const Bytes16& x) {
  VReg v{};
  for (int k = 0; k < 8; ++k) {
    v.lo |= u64{x.b[k]} << (8 * k);
    v.hi |= u64{x.b[k + 8]} << (8 * k);
  }
  return v;
}

// AESShiftRows / AESInvShiftRows: row r rotates left (right) by r columns.
KVRM_HD Bytes16 shift_rows(const Bytes16& in, bool inverse) {
  Bytes16 out;
  for (int r = 0; r < 4; ++r) {
    for (int col = 0; col < 4; ++col) {
      const int from = inverse ? (col - r) & 3 : (col + r) & 3;
      out.b[r + 4 * col] = in.b[r + 4 * from];
    }
  }
  return out;
}

// AESSubBytes / AESInvSubBytes.
KVRM_HD Bytes16 sub_bytes(const Bytes16& in, bool inverse) {
  const AesTables& t = aes_tables();
  Bytes16 out;
  for (int k = 0; k < 16; ++k) out.b[k] = inverse ? t.inv_sbox[in.b[k]] : t.sbox[in.b[k]];
  return out;
}

// AESMixColumns / AESInvMixColumns: each column times the circulant matrix whose first row is
// {02, 03, 01, 01} (inverse: {0e, 0b, 0d, 09}).
KVRM_HD Bytes16 mix_columns(const Bytes16& in, bool inverse) {
  const u8 fwd[4] = {0x02, 0x03, 0x01, 0x01};
  const u8 inv[4] = {0x0e, 0x0b, 0x0d, 0x09};
  const u8* m = inverse ? inv : fwd;
  Bytes16 out;
  for (int col = 0; col < 4; ++col) {
    for (int r = 0; r < 4; ++r) {
      u8 acc = 0;
      for (int j = 0; j < 4; ++j)
        acc = static_cast<u8>(acc ^ gf_mul(m[(j - r) & 3], in.b[4 * col + j]));
      out.b[4 * col + r] = acc;
    }
  }
  return out;
}

// AESE / AESD: AddRoundKey (Vd EOR Vn), then (Inv)ShiftRows and (Inv)SubBytes.
template <class C>
KVRM_HD Signal aes_round(C& c, u32 i, bool decrypt) {
  const int d = static_cast<int>(bits(i, 4, 0)), n = static_cast<int>(bits(i, 9, 5));
  const VReg x = vget(c, d), k = vget(c, n);
  const Bytes16 state = to_bytes(VReg{x.lo ^ k.lo, x.hi ^ k.hi});
  vset(c, d, from_bytes(sub_bytes(shift_rows(state, decrypt), decrypt)));
  return Signal::Running;
}

// AESMC / AESIMC.
template <class C>
KVRM_HD Signal aes_mix(C& c, u32 i, bool inverse) {
  const int d = static_cast<int>(bits(i, 4, 0)), n = static_cast<int>(bits(i, 9, 5));
  vset(c, d, from_bytes(mix_columns(to_bytes(vget(c, n)), inverse)));
  return Signal::Running;
}

// ---- SHA1 and SHA256 ----

KVRM_HD constexpr u32 rol32(u32 x, int n) { return (x << n) | (x >> (32 - n)); }
KVRM_HD constexpr u32 ror32(u32 x, int n) { return (x >> n) | (x << (32 - n)); }

KVRM_HD constexpr u32 sha_choose(u32 x, u32 y, u32 z) { return ((y ^ z) & x) ^ z; }
KVRM_HD constexpr u32 sha_parity(u32 x, u32 y, u32 z) { return x ^ y ^ z; }
KVRM_HD constexpr u32 sha_majority(u32 x, u32 y, u32 z) { return (x & y) | ((x | y) & z); }

// A 128-bit value as four 32-bit words, word e = bits 32e+31..32e.
struct Words4 {
  u32 w[4];
};

KVRM_HD Words4 to_words(const VReg& v) {
  return Words4{{static_cast<u32>(v.lo), static_cast<u32>(v.lo >> 32), static_cast<u32>(v.hi),
                 static_cast<u32>(v.hi >> 32)}};
}

KVRM_HD VReg from_words(const Words4& x) {
  return VReg{u64{x.w[0]} | (u64{x.w[1]} << 32), u64{x.w[2]} | (u64{x.w[3]} << 32)};
}

enum class Sha1Fn : u8 { Choose, Parity, Majority };

KVRM_HD u32 sha1_fn(Sha1Fn f, u32 x, u32 y, u32 z) {
  switch (f) {
    case Sha1Fn::Choose: return sha_choose(x, y, z);
    case Sha1Fn::Parity: return sha_parity(x, y, z);
    case Sha1Fn::Majority: break;
  }
  return sha_majority(x, y, z);
}

// SHA1C / SHA1P / SHA1M: four rounds on the hash state X = Qd and E = Sn with the four
// schedule words of Vm; <Y, X> = ROL(Y : X, 32) after each.
template <class C>
KVRM_HD Signal sha1_hash(C& c, u32 i, Sha1Fn f) {
  const int d = static_cast<int>(bits(i, 4, 0)), n = static_cast<int>(bits(i, 9, 5));
  const int m = static_cast<int>(bits(i, 20, 16));
  Words4 x = to_words(vget(c, d));
  u32 y = static_cast<u32>(vget(c, n).lo);
  const Words4 w = to_words(vget(c, m));
  for (int e = 0; e < 4; ++e) {
    const u32 t = sha1_fn(f, x.w[1], x.w[2], x.w[3]);
    y = y + rol32(x.w[0], 5) + t + w.w[e];
    x.w[1] = rol32(x.w[1], 30);
    const u32 top = x.w[3];
    x.w[3] = x.w[2];
    x.w[2] = x.w[1];
    x.w[1] = x.w[0];
    x.w[0] = y;
    y = top;
  }
  vset(c, d, from_words(x));
  return Signal::Running;
}

// SHA256hash(X, Y, W, part1): four rounds; <Y, X> = ROL(Y : X, 32) after each.
KVRM_HD Words4 sha256_hash(Words4 x, Words4 y, const Words4& w, bool part1) {
  for (int e = 0; e < 4; ++e) {
    const u32 chs = sha_choose(y.w[0], y.w[1], y.w[2]);
    const u32 maj = sha_majority(x.w[0], x.w[1], x.w[2]);
    const u32 sigma1 = ror32(y.w[0], 6) ^ ror32(y.w[0], 11) ^ ror32(y.w[0], 25);
    const u32 sigma0 = ror32(x.w[0], 2) ^ ror32(x.w[0], 13) ^ ror32(x.w[0], 22);
    const u32 t = y.w[3] + sigma1 + chs + w.w[e];
    x.w[3] = t + x.w[3];
    y.w[3] = t + sigma0 + maj;
    const u32 x_top = x.w[3], y_top = y.w[3];
    for (int k = 3; k > 0; --k) {
      x.w[k] = x.w[k - 1];
      y.w[k] = y.w[k - 1];
    }
    x.w[0] = y_top;
    y.w[0] = x_top;
  }
  return part1 ? x : y;
}

// SHA256H (part 1: X = Qd, Y = Qn) / SHA256H2 (part 2: X = Qn, Y = Qd), schedule words Vm.
template <class C>
KVRM_HD Signal sha256_h(C& c, u32 i, bool part1) {
  const int d = static_cast<int>(bits(i, 4, 0)), n = static_cast<int>(bits(i, 9, 5));
  const int m = static_cast<int>(bits(i, 20, 16));
  const Words4 vd = to_words(vget(c, d)), vn = to_words(vget(c, n)), w = to_words(vget(c, m));
  vset(c, d, from_words(part1 ? sha256_hash(vd, vn, w, true) : sha256_hash(vn, vd, w, false)));
  return Signal::Running;
}

// ---- PMULL ----

// PolynomialMult of two 64-bit values: the 128-bit carry-less product.
KVRM_HD VReg clmul64(u64 a, u64 b) {
  VReg r{};
  for (int k = 0; k < 64; ++k) {
    if ((b >> k) & 1) {
      r.lo ^= a << k;
      if (k != 0) r.hi ^= a >> (64 - k);
    }
  }
  return r;
}

}  // namespace crypto

// ---- Crypto AES ----

template <class C>
KVRM_HD Signal AESE(C& c, u32 i) {
  return crypto::aes_round(c, i, false);
}
template <class C>
KVRM_HD Signal AESD(C& c, u32 i) {
  return crypto::aes_round(c, i, true);
}
template <class C>
KVRM_HD Signal AESMC(C& c, u32 i) {
  return crypto::aes_mix(c, i, false);
}
template <class C>
KVRM_HD Signal AESIMC(C& c, u32 i) {
  return crypto::aes_mix(c, i, true);
}

// ---- Crypto three-register SHA ----

template <class C>
KVRM_HD Signal SHA1C(C& c, u32 i) {
  return crypto::sha1_hash(c, i, crypto::Sha1Fn::Choose);
}
template <class C>
KVRM_HD Signal SHA1P(C& c, u32 i) {
  return crypto::sha1_hash(c, i, crypto::Sha1Fn::Parity);
}
template <class C>
KVRM_HD Signal SHA1M(C& c, u32 i) {
  return crypto::sha1_hash(c, i, crypto::Sha1Fn::Majority);
}

// SHA1SU0: (Vn<63:0> : Vd<127:64>) EOR Vd EOR Vm.
template <class C>
KVRM_HD Signal SHA1SU0(C& c, u32 i) {
  const int d = static_cast<int>(bits(i, 4, 0)), n = static_cast<int>(bits(i, 9, 5));
  const int m = static_cast<int>(bits(i, 20, 16));
  const VReg op1 = vget(c, d), op2 = vget(c, n), op3 = vget(c, m);
  vset(c, d, VReg{op1.hi ^ op1.lo ^ op3.lo, op2.lo ^ op1.hi ^ op3.hi});
  return Signal::Running;
}

template <class C>
KVRM_HD Signal SHA256H(C& c, u32 i) {
  return crypto::sha256_h(c, i, true);
}
template <class C>
KVRM_HD Signal SHA256H2(C& c, u32 i) {
  return crypto::sha256_h(c, i, false);
}

// SHA256SU1: the second half of the SHA256 message schedule update.
template <class C>
KVRM_HD Signal SHA256SU1(C& c, u32 i) {
  const int d = static_cast<int>(bits(i, 4, 0)), n = static_cast<int>(bits(i, 9, 5));
  const int m = static_cast<int>(bits(i, 20, 16));
  const crypto::Words4 op1 = crypto::to_words(vget(c, d)), op2 = crypto::to_words(vget(c, n)),
                       op3 = crypto::to_words(vget(c, m));
  const u32 t0[4] = {op2.w[1], op2.w[2], op2.w[3], op3.w[0]};  // op3<31:0> : op2<127:32>
  crypto::Words4 result{};
  for (int e = 0; e < 4; ++e) {
    // Elements 0 and 1 take T1 = op3<127:64>; elements 2 and 3 the two just computed.
    const u32 x = e < 2 ? op3.w[e + 2] : result.w[e - 2];
    const u32 s1 = crypto::ror32(x, 17) ^ crypto::ror32(x, 19) ^ (x >> 10);
    result.w[e] = s1 + op1.w[e] + t0[e];
  }
  vset(c, d, crypto::from_words(result));
  return Signal::Running;
}

// ---- Crypto two-register SHA ----

// SHA1H: ROL(Sn, 30) into Sd.
template <class C>
KVRM_HD Signal SHA1H(C& c, u32 i) {
  const u32 x = static_cast<u32>(vget(c, static_cast<int>(bits(i, 9, 5))).lo);
  vwrite_scalar(c, static_cast<int>(bits(i, 4, 0)), 32, crypto::rol32(x, 30));
  return Signal::Running;
}

// SHA1SU1: T = Vd EOR (Vn >> 32), each word rotated left by 1, the top one also EOR the
// bottom word of T rotated left by 2.
template <class C>
KVRM_HD Signal SHA1SU1(C& c, u32 i) {
  const int d = static_cast<int>(bits(i, 4, 0)), n = static_cast<int>(bits(i, 9, 5));
  const crypto::Words4 x = crypto::to_words(vget(c, d)), y = crypto::to_words(vget(c, n));
  const u32 t[4] = {x.w[0] ^ y.w[1], x.w[1] ^ y.w[2], x.w[2] ^ y.w[3], x.w[3]};
  crypto::Words4 result{};
  for (int e = 0; e < 4; ++e) result.w[e] = crypto::rol32(t[e], 1);
  result.w[3] ^= crypto::rol32(t[0], 2);
  vset(c, d, crypto::from_words(result));
  return Signal::Running;
}

// SHA256SU0: the first half of the SHA256 message schedule update.
template <class C>
KVRM_HD Signal SHA256SU0(C& c, u32 i) {
  const int d = static_cast<int>(bits(i, 4, 0)), n = static_cast<int>(bits(i, 9, 5));
  const crypto::Words4 op1 = crypto::to_words(vget(c, d)), op2 = crypto::to_words(vget(c, n));
  const u32 t[4] = {op1.w[1], op1.w[2], op1.w[3], op2.w[0]};  // op2<31:0> : op1<127:32>
  crypto::Words4 result{};
  for (int e = 0; e < 4; ++e) {
    const u32 s0 = crypto::ror32(t[e], 7) ^ crypto::ror32(t[e], 18) ^ (t[e] >> 3);
    result.w[e] = s0 + op1.w[e];
  }
  vset(c, d, crypto::from_words(result));
  return Signal::Running;
}

// ---- PMULL/PMULL2 (Advanced SIMD three different, U = 0, opcode 1110) ----

// size 00: eight 8x8 -> 16-bit products; size 11 (FEAT_PMULL): one 64x64 -> 128-bit product;
// sizes 01 and 10 are reserved. PMULL2 (Q = 1) takes the upper halves of Vn and Vm.
template <class C>
KVRM_HD Signal PMULL(C& c, u32 i) {
  const u32 size = bits(i, 23, 22);
  if (size == 1 || size == 2) return c.undefined(i);
  const bool upper = bit(i, 30);
  const VReg vn = vget(c, static_cast<int>(bits(i, 9, 5)));
  const VReg vm = vget(c, static_cast<int>(bits(i, 20, 16)));
  const u64 a = upper ? vn.hi : vn.lo, b = upper ? vm.hi : vm.lo;
  VReg result{};
  if (size == 3) {
    result = crypto::clmul64(a, b);
  } else {
    for (int e = 0; e < 8; ++e) {
      // An 8x8-bit product fits the low 15 bits of the 64-bit one.
      const u64 p = crypto::clmul64((a >> (8 * e)) & 0xff, (b >> (8 * e)) & 0xff).lo;
      set_elem(result, e, 16, p);
    }
  }
  vset(c, static_cast<int>(bits(i, 4, 0)), result);
  return Signal::Running;
}

}  // namespace kvrm::sem

// Unit tests for the cryptographic extensions (C4.1.91): AES, SHA1, SHA256 and PMULL. Known
// answers: FIPS-197 AES-128 (Appendix B's first round, Appendix C.1's whole cipher, encrypting
// with AESE+AESMC and decrypting with AESD+AESIMC), SHA-1 and SHA-256 of "abc" through the
// instruction sequences real implementations use, single-instruction vectors taken from
// qemu-aarch64-static 7.2 (-cpu max), and PMULL against a bitwise carry-less multiply.
#include <gtest/gtest.h>

#include <cstring>
#include <random>

#include "isa/decoder.hpp"
#include "machine.hpp"

namespace kvrm::test {
namespace {

// Runs one instruction with V0 = d, V1 = n, V2 = m and returns V0. Every instruction word
// below uses d = 0, n = 1, m = 2.
VReg op(Machine& m, u32 insn, VReg d, VReg n, VReg mm = VReg{}) {
  CoreState s = m.e->state();
  s.v[0] = d;
  s.v[1] = n;
  s.v[2] = mm;
  m.e->set_state(s);
  EXPECT_EQ(m.run({insn}).signal, Signal::Checkpoint) << std::hex << insn;
  return m.e->state().v[0];
}

constexpr u32 kAese = 0x4e284820;       // aese v0.16b, v1.16b
constexpr u32 kAesd = 0x4e285820;       // aesd v0.16b, v1.16b
constexpr u32 kAesmc = 0x4e286820;      // aesmc v0.16b, v1.16b
constexpr u32 kAesimc = 0x4e287820;     // aesimc v0.16b, v1.16b
constexpr u32 kSha1c = 0x5e020020;      // sha1c q0, s1, v2.4s
constexpr u32 kSha1p = 0x5e021020;      // sha1p q0, s1, v2.4s
constexpr u32 kSha1m = 0x5e022020;      // sha1m q0, s1, v2.4s
constexpr u32 kSha1su0 = 0x5e023020;    // sha1su0 v0.4s, v1.4s, v2.4s
constexpr u32 kSha256h = 0x5e024020;    // sha256h q0, q1, v2.4s
constexpr u32 kSha256h2 = 0x5e025020;   // sha256h2 q0, q1, v2.4s
constexpr u32 kSha256su1 = 0x5e026020;  // sha256su1 v0.4s, v1.4s, v2.4s
constexpr u32 kSha1h = 0x5e280820;      // sha1h s0, s1
constexpr u32 kSha1su1 = 0x5e281820;    // sha1su1 v0.4s, v1.4s
constexpr u32 kSha256su0 = 0x5e282820;  // sha256su0 v0.4s, v1.4s
constexpr u32 kPmull8 = 0x0e22e020;     // pmull v0.8h, v1.8b, v2.8b
constexpr u32 kPmull8_2 = 0x4e22e020;   // pmull2 v0.8h, v1.16b, v2.16b
constexpr u32 kPmull64 = 0x0ee2e020;    // pmull v0.1q, v1.1d, v2.1d
constexpr u32 kPmull64_2 = 0x4ee2e020;  // pmull2 v0.1q, v1.2d, v2.2d

// 16 bytes in memory order as a register value (byte 0 lowest).
VReg from_bytes(const u8* b) {
  VReg v;
  memcpy(&v.lo, b, 8);
  memcpy(&v.hi, b + 8, 8);
  return v;
}
VReg from_hex(const char* hex) {
  u8 b[16];
  for (int k = 0; k < 16; ++k) {
    unsigned x;
    sscanf(hex + 2 * k, "%2x", &x);
    b[k] = static_cast<u8>(x);
  }
  return from_bytes(b);
}
VReg vxor(VReg a, VReg b) { return VReg{a.lo ^ b.lo, a.hi ^ b.hi}; }
VReg words(u32 w0, u32 w1, u32 w2, u32 w3) {
  return VReg{w0 | (u64{w1} << 32), w2 | (u64{w3} << 32)};
}
u32 word(VReg v, int e) { return static_cast<u32>((e < 2 ? v.lo : v.hi) >> (32 * (e & 1))); }
VReg add32(VReg a, VReg b) {
  return words(word(a, 0) + word(b, 0), word(a, 1) + word(b, 1), word(a, 2) + word(b, 2),
               word(a, 3) + word(b, 3));
}
void expect_eq(VReg got, VReg want, const char* what) {
  EXPECT_EQ(got.lo, want.lo) << what << " low";
  EXPECT_EQ(got.hi, want.hi) << what << " high";
}

TEST(Crypto, Decode) {
  EXPECT_EQ(decode(kAese), Op::AESE);
  EXPECT_EQ(decode(kAesimc), Op::AESIMC);
  EXPECT_EQ(decode(kSha1m), Op::SHA1M);
  EXPECT_EQ(decode(kSha256su1), Op::SHA256SU1);
  EXPECT_EQ(decode(kSha256su0), Op::SHA256SU0);
  EXPECT_EQ(decode(kPmull64_2), Op::PMULL);
  EXPECT_EQ(decode(0x5e027020), Op::UNDEFINED);  // three-register SHA, opcode 111
  EXPECT_EQ(decode(0x4e684820), Op::UNDEFINED);  // AESE with size = 01
}

// ---- AES ----

// An independent S-box for the key schedule: brute-force inverse in GF(2^8), then the affine
// transformation of FIPS-197 5.1.1.
u8 gmul(u8 a, u8 b) {
  u8 r = 0;
  for (int k = 0; k < 8; ++k) {
    if (b & (1 << k)) r ^= a;
    a = static_cast<u8>((a << 1) ^ ((a & 0x80) ? 0x1b : 0));
  }
  return r;
}
u8 sbox(u8 x) {
  u8 inv = 0;
  for (int y = 1; y < 256 && x; ++y) {
    if (gmul(x, static_cast<u8>(y)) == 1) inv = static_cast<u8>(y);
  }
  u8 s = 0x63;
  for (int b = 0; b < 8; ++b) {
    const int bitv = ((inv >> b) ^ (inv >> ((b + 4) % 8)) ^ (inv >> ((b + 5) % 8)) ^
                      (inv >> ((b + 6) % 8)) ^ (inv >> ((b + 7) % 8))) &
                     1;
    s ^= static_cast<u8>(bitv << b);
  }
  return s;
}

// FIPS-197 5.2 key expansion for AES-128: 11 round keys.
void expand_key(const u8* key, VReg* rk) {
  u8 w[176];
  memcpy(w, key, 16);
  u8 rcon = 1;
  for (int i = 4; i < 44; ++i) {
    u8 t[4];
    memcpy(t, w + 4 * (i - 1), 4);
    if (i % 4 == 0) {
      const u8 t0 = t[0];
      t[0] = static_cast<u8>(sbox(t[1]) ^ rcon);
      t[1] = sbox(t[2]);
      t[2] = sbox(t[3]);
      t[3] = sbox(t0);
      rcon = gmul(rcon, 2);
    }
    for (int k = 0; k < 4; ++k) w[4 * i + k] = w[4 * (i - 4) + k] ^ t[k];
  }
  for (int r = 0; r < 11; ++r) rk[r] = from_bytes(w + 16 * r);
}

TEST(Crypto, AesFips197AppendixBRoundOne) {
  Machine m;
  EXPECT_EQ(sbox(0x00), 0x63);
  EXPECT_EQ(sbox(0x53), 0xed);
  // The state at the start of round 1 (after the initial AddRoundKey); AESE with a zero key is
  // SubBytes then ShiftRows, AESMC is MixColumns.
  const VReg start = from_hex("193de3bea0f4e22b9ac68d2ae9f84808");
  const VReg shifted = op(m, kAese, start, VReg{});
  expect_eq(shifted, from_hex("d4bf5d30e0b452aeb84111f11e2798e5"), "after ShiftRows");
  expect_eq(op(m, kAesmc, VReg{}, shifted), from_hex("046681e5e0cb199a48f8d37a2806264c"),
            "after MixColumns");
  // AESE includes AddRoundKey: the input and key of Appendix B.
  expect_eq(op(m, kAese, from_hex("3243f6a8885a308d313198a2e0370734"),
               from_hex("2b7e151628aed2a6abf7158809cf4f3c")),
            from_hex("d4bf5d30e0b452aeb84111f11e2798e5"), "AESE with the key");
}

TEST(Crypto, AesFips197AppendixC1) {
  Machine m;
  u8 key[16];
  for (int k = 0; k < 16; ++k) key[k] = static_cast<u8>(k);
  VReg rk[11];
  expand_key(key, rk);
  expect_eq(rk[10], from_hex("13111d7fe3944a17f307a78b4d2b30c5"), "round key 10");
  const VReg plain = from_hex("00112233445566778899aabbccddeeff");
  const VReg cipher = from_hex("69c4e0d86a7b0430d8cdb78070b4c55a");

  // Encryption: nine rounds of AESE + AESMC, then AESE and the last AddRoundKey.
  VReg s = plain;
  for (int r = 0; r < 9; ++r) s = op(m, kAesmc, VReg{}, op(m, kAese, s, rk[r]));
  s = vxor(op(m, kAese, s, rk[9]), rk[10]);
  expect_eq(s, cipher, "ciphertext");

  // Decryption, the equivalent inverse cipher: AESD + AESIMC with InvMixColumns'd middle
  // round keys (made with AESIMC too).
  s = op(m, kAesimc, VReg{}, op(m, kAesd, cipher, rk[10]));
  for (int r = 9; r >= 2; --r) {
    const VReg k = op(m, kAesimc, VReg{}, rk[r]);
    s = op(m, kAesimc, VReg{}, op(m, kAesd, s, k));
  }
  s = vxor(op(m, kAesd, s, op(m, kAesimc, VReg{}, rk[1])), rk[0]);
  expect_eq(s, plain, "plaintext");
}

// ---- SHA ----

// Bytes of a 64-byte block as the four big-endian-word vectors SHA implementations load
// (LD1 + REV32).
void message_words(const u8* block, VReg* msg) {
  for (int q = 0; q < 4; ++q) {
    u32 w[4];
    for (int e = 0; e < 4; ++e) {
      const u8* p = block + 16 * q + 4 * e;
      w[e] = (u32{p[0]} << 24) | (u32{p[1]} << 16) | (u32{p[2]} << 8) | p[3];
    }
    msg[q] = words(w[0], w[1], w[2], w[3]);
  }
}
void abc_block(u8* block) {
  memset(block, 0, 64);
  block[0] = 'a';
  block[1] = 'b';
  block[2] = 'c';
  block[3] = 0x80;
  block[63] = 24;  // length in bits
}

TEST(Crypto, Sha1Abc) {
  Machine m;
  u8 block[64];
  abc_block(block);
  VReg msg[4];
  message_words(block, msg);
  const VReg h0 = words(0x67452301, 0xefcdab89, 0x98badcfe, 0x10325476);
  const u32 e0 = 0xc3d2e1f0;
  const u32 k[4] = {0x5a827999, 0x6ed9eba1, 0x8f1bbcdc, 0xca62c1d6};
  VReg abcd = h0;
  VReg e = VReg{e0, 0};
  for (int g = 0; g < 20; ++g) {  // 20 groups of four rounds
    if (g >= 4) {
      VReg& w = msg[g % 4];
      w = op(m, kSha1su0, w, msg[(g + 1) % 4], msg[(g + 2) % 4]);
      w = op(m, kSha1su1, w, msg[(g + 3) % 4]);
    }
    const u32 kk = k[g / 5];
    const VReg wk = add32(msg[g % 4], words(kk, kk, kk, kk));
    const VReg e_next = op(m, kSha1h, VReg{0xdeadbeefdeadbeefull, 0xdeadbeefdeadbeefull}, abcd);
    const u32 hash = g < 5 ? kSha1c : (g >= 10 && g < 15) ? kSha1m : kSha1p;
    abcd = op(m, hash, abcd, e, wk);
    e = e_next;
  }
  abcd = add32(abcd, h0);
  EXPECT_EQ(word(abcd, 0), 0xa9993e36u);
  EXPECT_EQ(word(abcd, 1), 0x4706816au);
  EXPECT_EQ(word(abcd, 2), 0xba3e2571u);
  EXPECT_EQ(word(abcd, 3), 0x7850c26cu);
  EXPECT_EQ(word(e, 0) + e0, 0x9cd0d89du);
  EXPECT_EQ(e.hi, 0u);  // SHA1H writes an S register
}

// floor(frac(root(p)) * 2^32) for the SHA-256 constants, exactly, by integer search:
// the largest x with x^k <= p * 2^(32k).
u32 root_frac(u32 p, int k) {
  __extension__ using u128 = unsigned __int128;
  u64 lo = 0, hi = u64{1} << 40;
  const u128 target = static_cast<u128>(p) << (32 * k);
  while (lo < hi) {
    const u64 mid = (lo + hi + 1) / 2;
    u128 pow = 1;
    for (int j = 0; j < k; ++j) pow *= mid;
    if (pow <= target) {
      lo = mid;
    } else {
      hi = mid - 1;
    }
  }
  return static_cast<u32>(lo);
}

TEST(Crypto, Sha256Abc) {
  Machine m;
  u32 primes[64];
  for (int n = 2, count = 0; count < 64; ++n) {
    bool prime = true;
    for (int d = 2; d * d <= n; ++d) prime = prime && n % d != 0;
    if (prime) primes[count++] = static_cast<u32>(n);
  }
  u32 k[64];
  for (int j = 0; j < 64; ++j) k[j] = root_frac(primes[j], 3);
  EXPECT_EQ(k[0], 0x428a2f98u);
  EXPECT_EQ(k[63], 0xc67178f2u);
  u32 h[8];
  for (int j = 0; j < 8; ++j) h[j] = root_frac(primes[j], 2);
  EXPECT_EQ(h[0], 0x6a09e667u);

  u8 block[64];
  abc_block(block);
  VReg msg[4];
  message_words(block, msg);
  const VReg h_abcd = words(h[0], h[1], h[2], h[3]), h_efgh = words(h[4], h[5], h[6], h[7]);
  VReg s0 = h_abcd, s1 = h_efgh;
  for (int g = 0; g < 16; ++g) {
    const VReg wk = add32(msg[g % 4], words(k[4 * g], k[4 * g + 1], k[4 * g + 2], k[4 * g + 3]));
    const VReg save = s0;
    s0 = op(m, kSha256h, s0, s1, wk);
    s1 = op(m, kSha256h2, s1, save, wk);
    if (g < 12) {
      VReg& w = msg[g % 4];
      w = op(m, kSha256su0, w, msg[(g + 1) % 4]);
      w = op(m, kSha256su1, w, msg[(g + 2) % 4], msg[(g + 3) % 4]);
    }
  }
  s0 = add32(s0, h_abcd);
  s1 = add32(s1, h_efgh);
  const u32 want[8] = {0xba7816bf, 0x8f01cfea, 0x414140de, 0x5dae2223,
                       0xb00361a3, 0x96177a9c, 0xb410ff61, 0xf20015ad};
  for (int j = 0; j < 4; ++j) {
    EXPECT_EQ(word(s0, j), want[j]) << j;
    EXPECT_EQ(word(s1, j), want[4 + j]) << 4 + j;
  }
}

// ---- Single-instruction vectors from qemu-aarch64-static 7.2 ----

TEST(Crypto, MatchesQemu) {
  Machine m;
  const VReg a{0x0123456789abcdefull, 0xfedcba9876543210ull};
  const VReg b{0x0f1e2d3c4b5a6978ull, 0x8796a5b4c3d2e1f0ull};
  const VReg c{0xdeadbeefcafebabeull, 0x0badf00d12345678ull};
  const struct {
    u32 insn;
    VReg want;
    const char* name;
  } cases[] = {
      {kAese, {0x25d66639b6444588ull, 0xd5274971aba1c0e1ull}, "aese"},
      {kAesd, {0xd25c1d57d7dccb85ull, 0xa88ba942af2bf7a0ull}, "aesd"},
      {kAesmc, {0x693c4b1e2d780f5aull, 0xe1b4c396a5f087d2ull}, "aesmc"},
      {kAesimc, {0xe1b4c396a5f087d2ull, 0x693c4b1e2d780f5aull}, "aesimc"},
      {kSha1c, {0x8653f32859211db1ull, 0xd2abe72f4a76c132ull}, "sha1c"},
      {kSha1p, {0x22da7bb5c1692c83ull, 0xb55fac05f345eac1ull}, "sha1p"},
      {kSha1m, {0xa1ad951fe45336b3ull, 0xf089c50d38ad7476ull}, "sha1m"},
      {kSha1su0, {0x2152411035014541ull, 0xfa6f67a92f3a0d10ull}, "sha1su0"},
      {kSha256h, {0x26306be9e382cdb0ull, 0x64850e61737bafbeull}, "sha256h"},
      {kSha256h2, {0xc30c3fe035deeb98ull, 0x9f1b000b448fa30dull}, "sha256h2"},
      {kSha256su1, {0x0afbf7363ac18174ull, 0x4f5af035ee85021cull}, "sha256su1"},
      {kSha1h, {0x0000000012d69a5eull, 0}, "sha1h"},
      {kSha1su1, {0x85e3492f0d6bc1a7ull, 0xe76ef67fe3852f49ull}, "sha1su1"},
      {kSha256su0, {0x23c5791aa92bbc5dull, 0x6280a5c376d443a1ull}, "sha256su0"},
      {kPmull8, {0x358e366c3caa3650ull, 0x04ea0c56107617d4ull}, "pmull 8"},
      {kPmull8_2, {0x0db6142834162a80ull, 0x05b15fbe653007c4ull}, "pmull2 8"},
      {kPmull64, {0x9b2cda247c1c8850ull, 0x04e5eb032f1975bbull}, "pmull 64"},
      {kPmull64_2, {0xefefc15693ba7280ull, 0x05e1e89fe02dc2d0ull}, "pmull2 64"},
  };
  for (const auto& k : cases) expect_eq(op(m, k.insn, a, b, c), k.want, k.name);
}

// ---- PMULL ----

VReg clmul_ref(u64 a, u64 b) {
  VReg r{};
  for (int i = 0; i < 64; ++i) {
    for (int j = 0; j < 64; ++j) {
      if (((a >> i) & 1) && ((b >> j) & 1)) {
        const int p = i + j;
        if (p < 64) {
          r.lo ^= u64{1} << p;
        } else {
          r.hi ^= u64{1} << (p - 64);
        }
      }
    }
  }
  return r;
}

TEST(Crypto, PmullAgainstBitwiseReference) {
  Machine m;
  expect_eq(op(m, kPmull64, VReg{}, VReg{0x8000000000000000ull, 0}, VReg{2, 0}), VReg{0, 1},
            "x^63 * x");
  expect_eq(op(m, kPmull64, VReg{}, VReg{~u64{0}, 0}, VReg{~u64{0}, 0}),
            VReg{0x5555555555555555ull, 0x5555555555555555ull}, "all ones squared");
  expect_eq(op(m, kPmull8, VReg{}, VReg{0xff, 0}, VReg{0xff, 0}), VReg{0x5555, 0}, "0xff^2");
  std::mt19937_64 rng(7);
  for (int t = 0; t < 50; ++t) {
    const VReg n{rng(), rng()}, mm{rng(), rng()};
    expect_eq(op(m, kPmull64, VReg{}, n, mm), clmul_ref(n.lo, mm.lo), "pmull 64");
    expect_eq(op(m, kPmull64_2, VReg{}, n, mm), clmul_ref(n.hi, mm.hi), "pmull2 64");
    VReg lo8{}, hi8{};
    for (int e = 0; e < 8; ++e) {
      const u64 pl = clmul_ref((n.lo >> (8 * e)) & 0xff, (mm.lo >> (8 * e)) & 0xff).lo;
      const u64 ph = clmul_ref((n.hi >> (8 * e)) & 0xff, (mm.hi >> (8 * e)) & 0xff).lo;
      (e < 4 ? lo8.lo : lo8.hi) |= pl << (16 * (e & 3));
      (e < 4 ? hi8.lo : hi8.hi) |= ph << (16 * (e & 3));
    }
    expect_eq(op(m, kPmull8, VReg{}, n, mm), lo8, "pmull 8");
    expect_eq(op(m, kPmull8_2, VReg{}, n, mm), hi8, "pmull2 8");
  }
  // Sizes 01 and 10 are reserved.
  for (u32 insn : {0x0e62e020u /* size 01 */, 0x4ea2e020u /* size 10 */}) {
    const RunResult r = m.run({insn});
    EXPECT_EQ(r.signal, Signal::Undefined);
    EXPECT_EQ(r.info.insn, insn);
  }
}

// Destination registers may alias sources: every operand is read before the write.
TEST(Crypto, Aliasing) {
  Machine m;
  CoreState s = m.e->state();
  s.v[3] = VReg{0x0123456789abcdefull, 0xfedcba9876543210ull};
  m.e->set_state(s);
  EXPECT_EQ(m.run({0x0ee3e063 /* pmull v3.1q, v3.1d, v3.1d */}).signal, Signal::Checkpoint);
  const VReg want = clmul_ref(0x0123456789abcdefull, 0x0123456789abcdefull);
  EXPECT_EQ(m.e->state().v[3].lo, want.lo);
  EXPECT_EQ(m.e->state().v[3].hi, want.hi);
}

}  // namespace
}  // namespace kvrm::test

// Helpers for the FP and Advanced SIMD floating-point unit tests: V registers, FPCR, FPSR and
// running one instruction word on the reference engine.
#pragma once

#include <gtest/gtest.h>

#include "machine.hpp"

namespace kvrm::test {

struct FpMachine : Machine {
  void set_v(int n, u64 lo, u64 hi = 0) {
    CoreState s = e->state();
    s.v[n] = VReg{lo, hi};
    e->set_state(s);
  }
  u64 vlo(int n) const { return e->state().v[n].lo; }
  u64 vhi(int n) const { return e->state().v[n].hi; }
  void set_fpcr(u32 v) {
    CoreState s = e->state();
    s.fpcr = v;
    e->set_state(s);
  }
  u32 fpsr() const { return e->state().fpsr; }
  void set_fpsr(u32 v) {
    CoreState s = e->state();
    s.fpsr = v;
    e->set_state(s);
  }
  // Runs one word that must retire, with FPSR cleared first; returns the FPSR it leaves.
  u32 exec(u32 word) {
    set_fpsr(0);
    const RunResult r = run({word});
    EXPECT_EQ(r.signal, Signal::Checkpoint) << std::hex << word;
    EXPECT_EQ(r.pc, Machine::kCode + 4) << std::hex << word;
    return fpsr();
  }
  void expect_undefined(u32 word) {
    const RunResult r = run({word});
    EXPECT_EQ(r.signal, Signal::Undefined) << std::hex << word;
    EXPECT_EQ(r.pc, Machine::kCode) << std::hex << word;
  }
};

// FPSR flags and FPCR fields for expectations.
constexpr u32 kIOC = 1u << 0, kDZC = 1u << 1, kOFC = 1u << 2, kUFC = 1u << 3, kIXC = 1u << 4,
              kIDC = 1u << 7;
constexpr u32 kRN = 0, kRP = 1u << 22, kRM = 2u << 22, kRZ = 3u << 22;
constexpr u32 kFZ = 1u << 24, kDN = 1u << 25, kAHP = 1u << 26;

// Some doubles and singles as bit patterns.
constexpr u64 D0 = 0, DM0 = 0x8000000000000000ull, D1 = 0x3ff0000000000000ull,
              D2 = 0x4000000000000000ull, D3 = 0x4008000000000000ull, DH = 0x3fe0000000000000ull,
              D1_5 = 0x3ff8000000000000ull, D2_5 = 0x4004000000000000ull,
              DM1 = 0xbff0000000000000ull, DINF = 0x7ff0000000000000ull,
              DMINF = 0xfff0000000000000ull, DMAX = 0x7fefffffffffffffull,
              DMIN = 0x0010000000000000ull, DDNAN = 0x7ff8000000000000ull;
constexpr u64 S0 = 0, SM0 = 0x80000000u, S1 = 0x3f800000u, S2 = 0x40000000u, S3 = 0x40400000u,
              SINF = 0x7f800000u, SDNAN = 0x7fc00000u;

}  // namespace kvrm::test

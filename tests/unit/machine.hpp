// Test fixture: a reference-engine machine with a code region and a data region, to run a few
// hand-assembled instruction words and inspect the result.
#pragma once

#include <gtest/gtest.h>

#include <initializer_list>
#include <memory>
#include <vector>

#include "engines/engine.hpp"
#include "isa/mmu.hpp"

namespace kvrm::test {

struct Machine {
  static constexpr u64 kCode = 0x10000;
  static constexpr u64 kData = 0x40000;  // 64 KiB read/write
  static constexpr u64 kDataSize = 0x10000;

  std::unique_ptr<Engine> e;

  explicit Machine(std::unique_ptr<Engine> engine = make_reference_engine(u64{64} << 20))
      : e(std::move(engine)) {
    e->map(kCode, 0x10000, kPermRead | kPermExec);
    e->map(kData, kDataSize, kPermRead | kPermWrite);
  }

  // Loads the words at kCode, sets PC there and runs at most `max` instructions (default: as
  // many as there are words).
  RunResult run(std::initializer_list<u32> code, u64 max = 0) {
    std::vector<u32> words(code);
    e->write_memory(kCode, words.data(), words.size() * 4);
    e->set_pc(kCode);
    return e->execute(max ? max : words.size());
  }

  u64 x(int n) const { return e->reg(n); }
  void set_x(int n, u64 v) { e->set_reg(n, v); }
  u32 nzcv() const { return e->state().nzcv; }
  void set_nzcv(u32 v) {
    CoreState s = e->state();
    s.nzcv = v;
    e->set_state(s);
  }
  template <class T>
  T load(u64 addr) const {
    T v;
    e->read_memory(addr, &v, sizeof v);
    return v;
  }
  template <class T>
  void store(u64 addr, T v) {
    e->write_memory(addr, &v, sizeof v);
  }
};

// V registers, and running one word that must retire or must be UNDEFINED.
inline VReg vreg(const Machine& m, int n) { return m.e->state().v[n]; }
inline void set_v(Machine& m, int n, u64 lo, u64 hi = 0) {
  CoreState s = m.e->state();
  s.v[n] = VReg{lo, hi};
  m.e->set_state(s);
}
inline void expect_v(const Machine& m, int n, u64 lo, u64 hi) {
  EXPECT_EQ(vreg(m, n).lo, lo) << "V" << n << " low";
  EXPECT_EQ(vreg(m, n).hi, hi) << "V" << n << " high";
}
#define EXPECT_V(m, n, LO, HI) ::kvrm::test::expect_v(m, n, u64{LO}, u64{HI})
inline void exec(Machine& m, u32 word) {
  const RunResult r = m.run({word});
  EXPECT_EQ(r.signal, Signal::Checkpoint) << std::hex << word;
  EXPECT_EQ(r.cycles, 1u) << std::hex << word;
  EXPECT_EQ(r.pc, Machine::kCode + 4) << std::hex << word;
}
// The word must stop with UNDEFINED, reporting itself, and change no register.
inline void expect_undefined(Machine& m, u32 word) {
  const CoreState before = m.e->state();
  const RunResult r = m.run({word});
  EXPECT_EQ(r.signal, Signal::Undefined) << std::hex << word;
  EXPECT_EQ(r.info.insn, word);
  EXPECT_EQ(r.pc, Machine::kCode) << std::hex << word;
  EXPECT_EQ(r.cycles, 0u);
  const CoreState after = m.e->state();
  for (int i = 0; i < 32; ++i) {
    EXPECT_EQ(after.x[i], before.x[i]) << std::hex << word << " changed x" << std::dec << i;
    EXPECT_EQ(after.v[i].lo, before.v[i].lo) << std::hex << word << " changed v" << std::dec << i;
    EXPECT_EQ(after.v[i].hi, before.v[i].hi) << std::hex << word << " changed v" << std::dec << i;
  }
  EXPECT_EQ(after.nzcv, before.nzcv) << std::hex << word;
  EXPECT_EQ(after.fpsr, before.fpsr) << std::hex << word;
}

// The one-word run stopped on its first instruction with this fault, having retired nothing.
inline void expect_fault(const RunResult& r, FaultCause cause, Access access, u64 addr) {
  EXPECT_EQ(r.signal, Signal::Fault);
  EXPECT_EQ(r.info.cause, cause);
  EXPECT_EQ(r.info.access, access);
  EXPECT_EQ(r.info.fault_addr, addr);
  EXPECT_EQ(r.pc, Machine::kCode);
  EXPECT_EQ(r.cycles, 0u);
}

// NZCV values for expectations.
constexpr u32 N = 1u << 31, Z = 1u << 30, C = 1u << 29, V = 1u << 28;

}  // namespace kvrm::test

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

// NZCV values for expectations.
constexpr u32 N = 1u << 31, Z = 1u << 30, C = 1u << 29, V = 1u << 28;

}  // namespace kvrm::test

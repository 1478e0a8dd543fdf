// Translated code on the host: the environment run_translated() gets when a module's source is
// compiled by the host's C++ compiler instead of the run-time CUDA compiler (the tests do this,
// so that CI, which has no GPU, runs every translated block against the reference engine), and
// the module's host entry point.
#pragma once

#include "isa/context.hpp"
#include "jit/hooks.hpp"

namespace kvrm::jit {

// The interpreter and the stop request, as function pointers the test provides. The entries are
// the module's own (the entry point sets them).
struct HostJitEnv {
  RunOutcome (*interp_fn)(const HostJitEnv& env, CoreState& s, StopInfo& info, Mmu& mmu, u64 budget,
                          bool to_entry) = nullptr;
  bool (*stop_fn)(const HostJitEnv& env) = nullptr;
  const u64* entry_keys = nullptr;
  u32 entry_mask = 0;
  void* user = nullptr;

  RunOutcome interp(CoreState& s, StopInfo& info, Mmu& mmu, u64 budget, bool to_entry) const {
    return interp_fn(*this, s, info, mmu, budget, to_entry);
  }
  bool stop_requested() const { return stop_fn(*this); }
  bool is_entry(u64 pc) const {
    return jit::is_entry(InterpHooks{.entry_keys = entry_keys, .entry_mask = entry_mask}, pc);
  }
};

using HostRunFn = RunOutcome (*)(HostJitEnv& env, CoreState& s, StopInfo& info, Mmu& mmu,
                                 u64 max_cycles, u64 poll);

}  // namespace kvrm::jit

// A module's host entry point, kvrm_jit_host_run (a HostRunFn).
#define KVRM_JIT_MODULE_ENTRY()                                                           \
  extern "C" __attribute__((visibility("default"))) ::kvrm::RunOutcome kvrm_jit_host_run( \
      ::kvrm::jit::HostJitEnv& env, ::kvrm::CoreState& s, ::kvrm::StopInfo& info,         \
      ::kvrm::Mmu& mmu, ::kvrm::u64 max_cycles, ::kvrm::u64 poll) {                       \
    env.entry_keys = ::kvrm::jit_gen::kEntryKeys;                                         \
    env.entry_mask = ::kvrm::jit_gen::kEntryMask;                                         \
    return ::kvrm::jit_gen::run_translated(env, s, info, mmu, max_cycles, poll);          \
  }

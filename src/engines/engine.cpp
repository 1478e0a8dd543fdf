// Engine conveniences shared by every engine.
#include "engines/engine.hpp"

#include <algorithm>
#include <chrono>
#include <cstdio>

namespace kvrm {

std::string describe(const RunResult& r) {
  char buf[256];
  switch (r.signal) {
    case Signal::Fault:
      snprintf(buf, sizeof buf, "FAULT: %s of %s address 0x%llx at pc 0x%llx",
               access_name(r.info.access),
               r.info.cause == FaultCause::Unmapped    ? "unmapped"
               : r.info.cause == FaultCause::Alignment ? "misaligned"
                                                       : "protected",
               static_cast<unsigned long long>(r.info.fault_addr),
               static_cast<unsigned long long>(r.pc));
      break;
    case Signal::Undefined:
      snprintf(buf, sizeof buf, "UNDEFINED: instruction 0x%08x at pc 0x%llx", r.info.insn,
               static_cast<unsigned long long>(r.pc));
      break;
    case Signal::Syscall:
    case Signal::Halt:
    case Signal::Breakpoint:
      snprintf(buf, sizeof buf, "%s #0x%x at pc 0x%llx", r.signal_name(), r.info.imm16,
               static_cast<unsigned long long>(r.pc));
      break;
    default:
      snprintf(buf, sizeof buf, "%s at pc 0x%llx", r.signal_name(),
               static_cast<unsigned long long>(r.pc));
  }
  return buf;
}

RunResult Engine::execute_continuous(u64 cycles_per_batch, u64 max_batches,
                                     double timeout_seconds) {
  if (cycles_per_batch == 0) throw Error("cycles_per_batch must be positive");
  const auto t0 = std::chrono::steady_clock::now();
  const auto elapsed = [&] {
    return std::chrono::duration<double>(std::chrono::steady_clock::now() - t0).count();
  };
  RunResult total;
  total.batch_count = 0;
  total.pc = pc();
  // A batch runs in pieces of about 10 ms, so that the timeout ends it within 100 ms however
  // many instructions a batch has.
  u64 piece = u64{1} << 20;
  while (total.batch_count < max_batches && elapsed() < timeout_seconds) {
    RunResult r;
    bool timed_out = false;
    for (u64 done = 0; done < cycles_per_batch;) {
      const double before = elapsed();
      r = execute(std::min(piece, cycles_per_batch - done));
      const double took = elapsed() - before;
      done += r.cycles;
      total.cycles += r.cycles;
      if (r.signal != Signal::Checkpoint) break;
      if (took < 0.005) piece = std::min(piece * 2, u64{1} << 34);
      if (took > 0.02) piece = std::max(piece / 2, u64{1} << 10);
      if (done < cycles_per_batch && elapsed() >= timeout_seconds) {
        timed_out = true;
        break;
      }
    }
    ++total.batch_count;
    total.signal = r.signal;
    total.pc = r.pc;
    total.info = r.info;
    if (r.signal != Signal::Checkpoint || timed_out) break;
  }
  total.elapsed_seconds = elapsed();
  return total;
}

RunResult Engine::execute_persistent(u64 total_cycles, double timeout_seconds,
                                     const SyscallHandler& on_syscall) {
  if (!on_syscall) throw Error("execute_persistent needs a syscall handler");
  const auto t0 = std::chrono::steady_clock::now();
  const auto elapsed = [&] {
    return std::chrono::duration<double>(std::chrono::steady_clock::now() - t0).count();
  };
  // With a timeout, run in pieces of about 10 ms so that it is checked often enough.
  u64 piece = timeout_seconds > 0 ? u64{1} << 20 : ~u64{0};
  RunResult total;
  total.pc = pc();
  while (true) {
    const u64 left = total_cycles - total.cycles;
    if (left == 0 || (timeout_seconds > 0 && elapsed() >= timeout_seconds)) {
      total.signal = Signal::Checkpoint;
      break;
    }
    const double before = elapsed();
    const RunResult r = execute(std::min(left, piece));
    if (timeout_seconds > 0 && r.signal == Signal::Checkpoint) {
      const double took = elapsed() - before;
      if (took < 0.005) piece = std::min(piece * 2, u64{1} << 34);
      if (took > 0.02) piece = std::max(piece / 2, u64{1} << 10);
    }
    total.cycles += r.cycles;
    total.signal = r.signal;
    total.pc = r.pc;
    total.info = r.info;
    if (r.signal == Signal::Syscall) {
      ++total.syscalls;
      if (!on_syscall(*this)) break;
      total.pc = pc();
      continue;
    }
    if (r.signal != Signal::Checkpoint) break;
  }
  total.elapsed_seconds = elapsed();
  return total;
}

void Engine::set_pc(u64 pc) {
  CoreState s = state();
  s.pc = pc;
  set_state(s);
}

u64 Engine::reg(int n) const {
  if (n < 0 || n > 31) throw Error("register number " + std::to_string(n) + " is not 0-31");
  return state().x[n];
}

void Engine::set_reg(int n, u64 v) {
  if (n < 0 || n > 31) throw Error("register number " + std::to_string(n) + " is not 0-31");
  CoreState s = state();
  s.x[n] = v;
  set_state(s);
}

}  // namespace kvrm

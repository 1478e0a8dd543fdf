// The host loop of one lane and the LaneEngine adapter.
#include "batch/lane_engine.hpp"

#include <chrono>
#include <string>

#include "isa/execute.hpp"

namespace kvrm::batch {

RunResult run_lane_on_host(LaneMemory& mem, CoreState& state, u64 max_cycles, bool resolve_cow) {
  const auto t0 = std::chrono::steady_clock::now();
  RunResult r;
  u64 done = 0;
  for (;;) {
    r.info = StopInfo{};
    Mmu mmu{mem.view(), &r.info};
    Context c{state, mmu, r.info};
    const RunOutcome o = run_plain_steps(c, max_cycles - done);
    done += o.cycles;
    r.signal = o.signal;
    if (resolve_cow && o.signal == Signal::Fault && r.info.access == Access::Write &&
        r.info.cause == FaultCause::Permission &&
        mem.resolve_cow(r.info.fault_addr) == LaneMemory::CowResult::Copied) {
      continue;  // the store runs again on the lane's own copy
    }
    break;
  }
  r.cycles = done;
  r.pc = state.pc;
  r.elapsed_seconds = std::chrono::duration<double>(std::chrono::steady_clock::now() - t0).count();
  return r;
}

u64 LaneEngine::reg(int n) const {
  if (n < 0 || n > 31) throw Error("register number " + std::to_string(n) + " is not 0-31");
  return state_.x[n];
}

void LaneEngine::set_reg(int n, u64 v) {
  if (n < 0 || n > 31) throw Error("register number " + std::to_string(n) + " is not 0-31");
  state_.x[n] = v;
}

RunResult LaneEngine::execute_persistent(u64 total_cycles, double timeout_seconds,
                                         const SyscallHandler& on_syscall) {
  if (!driven_) return Engine::execute_persistent(total_cycles, timeout_seconds, on_syscall);
  if (!posted_) throw LaneYield{};
  RunResult r = *posted_;
  posted_.reset();
  if (r.signal == Signal::Syscall) {
    r.syscalls = 1;
    on_syscall(*this);  // the process may have ended: Process::run() looks
  }
  return r;
}

RunResult LaneEngine::execute(u64 max_cycles) {
  if (posted_) {
    const RunResult r = *posted_;
    posted_.reset();
    return r;
  }
  if (driven_) throw LaneYield{};
  return run_lane_on_host(mem_, state_, max_cycles);
}

}  // namespace kvrm::batch

// One lane as an Engine (engines/engine.hpp), so that os::Process runs on a lane unchanged; and
// the host loop that executes a lane: the shared step loop (isa/execute.hpp) over the lane's
// page table, with copy-on-write faults resolved on the way.
#pragma once

#include <optional>

#include "batch/lane_memory.hpp"
#include "engines/engine.hpp"

namespace kvrm::batch {

// Executes the lane on the calling thread until a stop or max_cycles retired instructions, as
// the reference engine would. With resolve_cow, a write fault on a copy-on-write page copies
// the page and runs the instruction again (the fault never shows); when the copy fails (the
// lane's memory limit), the FAULT is returned and mem.out_of_memory() is true.
RunResult run_lane_on_host(LaneMemory& mem, CoreState& state, u64 max_cycles,
                           bool resolve_cow = true);

// Thrown by LaneEngine::execute() when the batch scheduler drives the lane and has no result
// for it yet: the process's run loop gives control back to the scheduler. Not an Error, so that
// no handler inside the OS layer can take it for one.
struct LaneYield {};

class LaneEngine final : public Engine {
 public:
  // mem and state belong to the caller and outlive the engine.
  LaneEngine(LaneMemory& mem, CoreState& state) : mem_(mem), state_(state) {}

  const char* name() const override { return "lane"; }
  void map(u64 addr, u64 size, u8 perms) override { mem_.map(addr, size, perms); }
  void unmap(u64 addr, u64 size) override { mem_.unmap(addr, size); }
  void protect(u64 addr, u64 size, u8 perms) override { mem_.protect(addr, size, perms); }
  bool is_mapped(u64 addr, u64 size) const override { return mem_.is_mapped(addr, size); }
  void read_memory(u64 addr, void* dst, u64 size) const override { mem_.read(addr, dst, size); }
  void write_memory(u64 addr, const void* src, u64 size) override { mem_.write(addr, src, size); }
  CoreState state() const override { return state_; }
  void set_state(const CoreState& s) override { state_ = s; }
  u64 reg(int n) const override;
  void set_reg(int n, u64 v) override;

  // Standalone (the default): runs the lane here (run_lane_on_host). Driven by a scheduler
  // (set_driven(true)): returns the result post()ed for the lane, once; with none, throws
  // LaneYield.
  RunResult execute(u64 max_cycles) override;
  // Driven: the posted stop, once (an SVC serviced through on_syscall first, counted in the
  // result's syscalls); with none, throws LaneYield. So os::Process::run() services exactly one
  // stop per post and gives control back when it asks for the next. Standalone: the base loop.
  RunResult execute_persistent(u64 total_cycles, double timeout_seconds,
                               const SyscallHandler& on_syscall) override;

  void set_driven(bool on) { driven_ = on; }
  void post(const RunResult& r) { posted_ = r; }
  bool has_posted() const { return posted_.has_value(); }

  LaneMemory& memory() { return mem_; }
  CoreState& core() { return state_; }

 private:
  LaneMemory& mem_;
  CoreState& state_;
  bool driven_ = false;
  std::optional<RunResult> posted_;
};

}  // namespace kvrm::batch

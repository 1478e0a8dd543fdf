// The engine interface shared by the reference engine (host CPU) and the CUDA engine: guest
// memory management, register access, and execute(max_cycles). Hosts drive either through this
// one API; both run the same instruction semantics (isa/) and give the same results.
#pragma once

#include <functional>
#include <memory>
#include <string>

#include "core/error.hpp"
#include "isa/state.hpp"

namespace kvrm {

// The outcome of one execute() call.
struct RunResult {
  u64 cycles = 0;  // instructions retired by this call (an SVC counts; a stopping HLT/BRK/UDF,
                   // a faulting or UNDEFINED instruction does not)
  Signal signal = Signal::Checkpoint;
  u64 pc = 0;  // final PC (see Signal for what it addresses)
  StopInfo info;
  u64 batch_count = 1;  // kernel launches or loop rounds (1 for the reference engine)
  u64 syscalls = 0;     // SVCs serviced inside the run (execute_persistent only)
  double elapsed_seconds = 0;

  const char* signal_name() const { return kvrm::signal_name(signal); }
  double ips() const { return elapsed_seconds > 0 ? cycles / elapsed_seconds : 0.0; }
};

// One-line description of a stop, e.g. "FAULT: write to unmapped address 0x10 at pc 0x400080".
std::string describe(const RunResult& r);

class Engine {
 public:
  virtual ~Engine() = default;
  virtual const char* name() const = 0;

  // Guest memory; ranges are page-aligned. perms is a combination of kPermRead/Write/Exec.
  virtual void map(u64 addr, u64 size, u8 perms) = 0;
  virtual void unmap(u64 addr, u64 size) = 0;
  virtual void protect(u64 addr, u64 size, u8 perms) = 0;
  virtual bool is_mapped(u64 addr, u64 size) const = 0;
  // Host-side access ignoring permissions; throws kvrm::Error where a byte is not mapped.
  virtual void read_memory(u64 addr, void* dst, u64 size) const = 0;
  virtual void write_memory(u64 addr, const void* src, u64 size) = 0;

  // The whole architectural state.
  virtual CoreState state() const = 0;
  virtual void set_state(const CoreState& s) = 0;

  // Standard dispatch: runs until a stop signal or until max_cycles instructions have retired
  // (CHECKPOINT).
  virtual RunResult execute(u64 max_cycles) = 0;
  // Continuous dispatch: batch after batch of cycles_per_batch instructions, until a stop
  // signal, max_batches batches, or timeout_seconds (a batch still running then is stopped
  // within 100 ms, CHECKPOINT, and counted). The result's batch_count says how many batches
  // ran; its cycles are the total.
  virtual RunResult execute_continuous(u64 cycles_per_batch, u64 max_batches,
                                       double timeout_seconds);
  // Mega dispatch: the whole budget in one go.
  virtual RunResult execute_mega(u64 total_cycles) { return execute(total_cycles); }

  // Services one SVC while a persistent run waits: called on the calling host thread with the
  // registers and memory of the stopped core available through this Engine (state(),
  // set_state(), read_memory(), write_memory(), map(), ...). PC is the instruction after the
  // SVC. Returns false to end the run (e.g. the process exited).
  using SyscallHandler = std::function<bool(Engine&)>;
  // Persistent dispatch (the seed's GPU-autonomous execution): like execute_mega, but an SVC
  // does not end the run: `on_syscall` services it and execution continues (the CUDA engine's
  // kernel stays resident and waits on a mailbox). Ends on any other stop signal, when
  // total_cycles instructions have retired (CHECKPOINT), after timeout_seconds (0: none;
  // CHECKPOINT), or with SYSCALL when on_syscall returned false. Exceptions thrown by
  // on_syscall end the run (the engine is left stopped after the SVC) and propagate.
  // This base version loops over execute(); engines with a resident mode override it.
  virtual RunResult execute_persistent(u64 total_cycles, double timeout_seconds,
                                       const SyscallHandler& on_syscall);

  // The program's own entry point (AT_ENTRY), before the first run: what names it for engines
  // that keep what they learn of a program between runs (the CUDA engine's translation
  // profile). A dynamically linked program starts in its interpreter, which all of them share;
  // without this call the first run's PC names the program.
  virtual void set_program_entry(u64 /*entry*/) {}

  // Conveniences over state()/set_state().
  u64 pc() const { return state().pc; }
  void set_pc(u64 pc);
  // Registers 0-30 are X0-X30; 31 is SP. Engines may serve these faster than state().
  virtual u64 reg(int n) const;
  virtual void set_reg(int n, u64 v);
};

// The reference engine: the shared semantics in a loop on the calling host thread.
std::unique_ptr<Engine> make_reference_engine(u64 memory_limit = u64{4} << 30);

}  // namespace kvrm

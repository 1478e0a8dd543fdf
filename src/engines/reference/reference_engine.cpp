// The reference engine: the shared fetch-decode-execute step (isa/execute.hpp) in a host loop,
// over an AddressSpace in host memory.
#include <chrono>

#include "core/address_space.hpp"
#include "engines/engine.hpp"
#include "isa/execute.hpp"

namespace kvrm {
namespace {

class ReferenceEngine final : public Engine {
 public:
  explicit ReferenceEngine(u64 memory_limit) : mem_(memory_limit) {}

  const char* name() const override { return "cpu"; }
  void map(u64 addr, u64 size, u8 perms) override { mem_.map(addr, size, perms); }
  void unmap(u64 addr, u64 size) override { mem_.unmap(addr, size); }
  void protect(u64 addr, u64 size, u8 perms) override { mem_.protect(addr, size, perms); }
  bool is_mapped(u64 addr, u64 size) const override { return mem_.is_mapped(addr, size); }
  void read_memory(u64 addr, void* dst, u64 size) const override { mem_.read(addr, dst, size); }
  void write_memory(u64 addr, const void* src, u64 size) override { mem_.write(addr, src, size); }
  CoreState state() const override { return state_; }
  void set_state(const CoreState& s) override { state_ = s; }

  RunResult execute(u64 max_cycles) override {
    const auto t0 = std::chrono::steady_clock::now();
    RunResult r;
    Mmu mmu{mem_.view(), &r.info};
    Context c{state_, mmu, r.info};
    const RunOutcome o = run_plain_steps(c, max_cycles);
    r.cycles = o.cycles;
    r.signal = o.signal;
    r.pc = state_.pc;
    r.elapsed_seconds =
        std::chrono::duration<double>(std::chrono::steady_clock::now() - t0).count();
    return r;
  }

 private:
  AddressSpace mem_;
  CoreState state_;
};

}  // namespace

std::unique_ptr<Engine> make_reference_engine(u64 memory_limit) {
  return std::make_unique<ReferenceEngine>(memory_limit);
}

}  // namespace kvrm

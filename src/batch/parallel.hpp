// The bare-metal batch (the seed's ParallelMetalCPU, kvrm.ParallelCudaCPU in Python): N lanes
// that share one memory image and each have their own registers, PC, flags and cycle count.
// A lane's writes go to its own copies of the pages it writes (copy on write); everything else
// stays shared. execute(max_cycles) runs every lane until it stops or has retired max_cycles
// instructions; there is no OS layer (SVC just stops the lane with SYSCALL).
//
//   kvrm::batch::ParallelMachine m({.lanes = 1024});   // 4 MiB RWX at address 0, shared
//   m.load_program(code, sizeof code, 0);
//   m.set_pc_all(0);
//   for (u32 i = 0; i < m.lanes(); ++i) m.set_reg(i, 0, i);
//   kvrm::batch::ParallelResult r = m.execute(1'000'000);   // r.lanes[i].cycles, .signal, .pc
#pragma once

#include <memory>
#include <string>
#include <vector>

#include "batch/lane_memory.hpp"
#include "engines/cuda/cuda_engine.hpp"
#include "isa/state.hpp"

namespace kvrm::batch {

class Backend;
class ThreadPool;

struct ParallelOptions {
  u32 lanes = 128;
  u64 memory_size = u64{4} << 20;  // mapped read/write/execute at address 0 in the image (0: none)
  u64 lane_memory_limit = u64{64} << 20;  // bytes of pages one lane may own (write)
  std::string backend = "auto";           // "auto", "cpu", "cuda"
  unsigned threads = 0;                   // host threads (0: one per CPU)
  bool device_style_cow = false;          // tests: copy-on-write faults come back to the host
  std::vector<int> devices{};  // CUDA devices the lanes are sharded over (empty: all visible)
  u32 frame_shift = 0;         // CUDA: the device's frame layout (BackendOptions)
  JitOptions jit{};            // CUDA: block translation of hot code
};

// One lane's part of an execute() call.
struct LaneRunResult {
  u64 cycles = 0;  // instructions retired by this call
  Signal signal = Signal::Checkpoint;
  u64 pc = 0;
  StopInfo info{};
  bool out_of_memory = false;  // a write needed a page past lane_memory_limit (signal FAULT)
};

struct ParallelResult {
  std::vector<LaneRunResult> lanes{};
  u64 total_cycles = 0;
  double elapsed_seconds = 0;
  double ips() const { return elapsed_seconds > 0 ? total_cycles / elapsed_seconds : 0.0; }
};

class ParallelMachine {
 public:
  explicit ParallelMachine(ParallelOptions o = {});
  ~ParallelMachine();
  ParallelMachine(const ParallelMachine&) = delete;
  ParallelMachine& operator=(const ParallelMachine&) = delete;

  u32 lanes() const { return static_cast<u32>(states_.size()); }
  const char* backend_name() const;
  // What block translation has done (the CUDA backend; zeros elsewhere).
  JitStats jit_stats() const;

  // Memory of every lane (the shared image; lanes that own a copy of a page get the change in
  // their copy too). Ranges page-aligned; errors as in the Engine interface (kvrm::Error).
  void map(u64 addr, u64 size, u8 perms);
  void unmap(u64 addr, u64 size);
  void protect(u64 addr, u64 size, u8 perms);
  void write_memory(u64 addr, const void* src, u64 size);
  void load_program(const void* code, u64 size, u64 addr) { write_memory(addr, code, size); }
  // One lane's memory as that lane sees it.
  void read_memory(u32 lane, u64 addr, void* dst, u64 size) const;
  void write_memory(u32 lane, u64 addr, const void* src, u64 size);

  // Registers: 0-30 are X0-X30, 31 is SP.
  CoreState state(u32 lane) const;
  void set_state(u32 lane, const CoreState& s);
  u64 reg(u32 lane, int n) const;
  void set_reg(u32 lane, int n, u64 v);
  void set_reg_all(int n, u64 v);
  u64 pc(u32 lane) const;
  void set_pc(u32 lane, u64 pc);
  void set_pc_all(u64 pc);

  // Runs every lane from its PC until a stop signal or max_cycles retired instructions.
  ParallelResult execute(u64 max_cycles);

  // Memory figures: the image's bytes, and the bytes of pages lane `lane` owns.
  u64 image_bytes() const;
  u64 lane_private_bytes(u32 lane) const;
  const LaneMemory& lane_memory(u32 lane) const;

 private:
  void check_lane(u32 lane) const;
  void check_reg(int n) const;

  ParallelOptions o_;
  std::unique_ptr<FramePool> pool_{};
  std::unique_ptr<SharedImage> image_{};
  std::vector<std::unique_ptr<LaneMemory>> mems_{};
  std::vector<CoreState> states_{};
  std::unique_ptr<ThreadPool> threads_{};
  std::unique_ptr<Backend> backend_{};
};

}  // namespace kvrm::batch

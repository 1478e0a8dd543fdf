// What executes the lanes of a batch: the interface a batch backend implements (the host CPU one
// and the CUDA one), and the factory that picks one by name.
#pragma once

#include <memory>
#include <span>
#include <string>
#include <vector>

#include "batch/lane_memory.hpp"
#include "batch/thread_pool.hpp"
#include "engines/cuda/cuda_engine.hpp"
#include "engines/engine.hpp"

namespace kvrm::batch {

// One lane as a backend sees it: its memory (page table in the PageTableView format, frames in
// the pool every lane shares) and its registers. Both live in host memory and belong to the
// batch; `id` is the lane's number in the batch.
struct LaneRef {
  LaneMemory* memory = nullptr;
  CoreState* state = nullptr;
  u32 id = 0;
};

// Where a device backend's time went (seconds, summed over devices and calls).
struct BackendTimes {
  double kernel = 0;    // lanes executing (launch until their records are back)
  double transfer = 0;  // frames, tables and records moved between host and devices
  double jit = 0;       // translating hot code (and waiting for its compile with JitOptions::wait)
};

struct BackendOptions {
  // The CPU backend returns copy-on-write faults to the host as a device backend does (tests).
  bool device_style_cow = false;
  // CUDA: the devices the lanes are sharded over (empty: every visible one). A device may be
  // named more than once: it then runs several shards at once (each with its own stream).
  std::vector<int> devices{};
  // CUDA: a launch ends once this fraction (0..1] of its lanes has stopped by itself (syscall,
  // fault, exit...); the others stop early with CHECKPOINT and go on in the next round, so
  // lanes waiting for the host do not wait for the slowest lane. 1: only when all have.
  double end_fraction = 1.0;
  // CUDA: lanes are placed on threads in the order of their PCs, so that lanes at the same
  // point of the program share warps (false: in lane order).
  bool order_by_pc = true;
  // CUDA: lanes per warp, 1..32 (0: automatic, as few as let all of a launch's lanes be resident
  // at once; see cuda::make_lane_runner).
  u32 lanes_per_warp = 0;
  // CUDA (and host-mirror): the layout of a runner's copy of the frames, 0..kMaxFrameShift
  // (isa/mmu.hpp, frame_start): 0 linear, s > 0 frames in groups of 2^s interleaved 8 bytes at a
  // time, so that lanes sharing a warp that touch the same address of their own pages touch
  // adjacent memory (with FramePool's frame classes, which a batch sets per lane). Interleaved
  // pays for lanes in step (the store loop of `kvrm bench batch`: 2.4x on an H200) and costs
  // lanes that part ways, each of which then spreads its own accesses over more cache lines
  // (docs/PERFORMANCE.md); linear is the default.
  u32 frame_shift = 0;
  // CUDA: block translation of hot code (engines/cuda/cuda_engine.hpp).
  JitOptions jit{};
};

class Backend {
 public:
  virtual ~Backend() = default;
  virtual const char* name() const = 0;

  // How many lanes the backend wants resident (started, with memory and registers) at once;
  // 0: all of the batch's.
  virtual u32 preferred_resident_lanes() const = 0;
  // True when run() may be called from several host threads at once, one lane per call (the
  // CPU backend): the scheduler then executes and services each lane on one thread in turn
  // (the fused schedule) instead of all lanes, then all services (the phased schedule).
  virtual bool lanes_independent() const = 0;

  // Executes every lanes[i] until it stops or has retired budgets[i] (>= 1) instructions, and
  // writes why it stopped to stops[i] (a RunResult as Engine::execute returns it: signal, cycles
  // retired, final PC, StopInfo). Lanes are independent: one stopping does not stop the others.
  // A device backend may end a lane early with CHECKPOINT (BackendOptions::end_fraction).
  //  - On entry each lane's CoreState and memory are as the host left them (the host may have
  //    changed registers, the table and frames since the last call: LaneMemory::table_version
  //    differs from the one a device copy was made at; FramePool::take_dirty lists the frames
  //    the host wrote, with FramePool::set_dirty_tracking(true)). Lanes that shadow a
  //    SharedImage share one table (same table() pointer and version).
  //  - On return each lane's CoreState on the host is current, and every frame the lane wrote
  //    reads correctly through LaneMemory::read (a device backend copies the frames back, or
  //    registers with the pool so that it can do so before the host reads them).
  //  - A write to a copy-on-write page (leaf with kLeafCow) may stop the lane with FAULT
  //    (Write, Permission) at that address, the store not done: the host then copies the page
  //    (LaneMemory::resolve_cow) and the lane runs the store again on the next call. The CPU
  //    backend copies the page itself and goes on.
  virtual void run(std::span<const LaneRef> lanes, std::span<const u64> budgets,
                   std::span<RunResult> stops) = 0;

  // Lane `id` has ended and its LaneMemory is gone (its frames are back in the pool, to be
  // handed to other lanes): drop what is kept for it. Called on the scheduler's thread.
  virtual void release(u32 id) { (void)id; }

  virtual BackendTimes times() const { return {}; }
  // Block translation's figures, summed over devices (zeros where there is none).
  virtual JitStats jit_stats() const { return {}; }
};

// The reference backend: each lane runs the shared step loop (isa/execute.hpp) on one of the
// pool's threads. With resolve_cow false, copy-on-write faults are returned to the host like a
// device backend returns them (used by the tests of that path).
std::unique_ptr<Backend> make_cpu_backend(ThreadPool& pool, bool resolve_cow = true);

// "cpu"; "cuda" (kvrm::Error where no GPU is usable or a named device does not exist); "auto":
// the best one available (the GPU when one is usable, else the CPU); "host-mirror" (for tests;
// not offered to users): the CUDA backend's scheduling over host runners that keep their own
// copies of frames and tables as GPUs do (batch/host_lane_runner.hpp), one per entry of
// options.devices (at least one). Throws kvrm::Error for any other name.
std::unique_ptr<Backend> make_backend(const std::string& name, ThreadPool& pool,
                                      const BackendOptions& options = {});

// The backend names make_backend accepts.
const char* const* backend_names();

}  // namespace kvrm::batch

// Many independent guest cores ("lanes") on the GPU in one launch, one per thread, for the batch
// engine (src/batch): each lane has its own registers and page table (the PageTableView format,
// child node indices relative to the table), and all lanes share one frame array, which the
// host owns and this runner mirrors in device memory. The runner knows nothing of processes or
// copy-on-write: a lane stops on its own signals exactly as the single-core engine does (a
// write to a page without write permission is a FAULT, which the batch resolves).
#pragma once

#include <memory>
#include <span>
#include <vector>

#include "engines/cuda/cuda_engine.hpp"
#include "engines/engine.hpp"
#include "isa/mmu.hpp"

namespace kvrm::cuda {

// A page table, identified by a version that changes whenever its contents change. With an
// id (batch::LaneMemory::table_id, node_changed), a copy follows the table node by node: the
// same id is the same table at a later version, node_changed[k] > V says node k changed after
// version V (nodes past a copy's length are new).
struct LaneTable {
  const u32* nodes = nullptr;
  u64 words = 0;
  u64 version = 0;
  u64 id = 0;
  const u64* node_changed = nullptr;

  // What identifies the table's copies: the id, else the version (the two never collide).
  u64 key() const { return id ? id : version; }
  // The nodes a copy made at `version` with `words` words lacks (all without an id).
  std::vector<u32> stale_nodes(u64 copy_version, u64 copy_words) const {
    std::vector<u32> out;
    const u64 count = words / kNodeEntries;
    for (u64 k = 0; k < count; ++k) {
      if (!node_changed || (k + 1) * kNodeEntries > copy_words || node_changed[k] > copy_version)
        out.push_back(static_cast<u32>(k));
    }
    return out;
  }
};

// Where a runner's time went, summed over its calls (host wall clock).
struct LaneRunnerTimes {
  double kernel = 0;    // from the launch until the lanes' records are back
  double transfer = 0;  // frames, tables and records to the device; written frames back
  double jit = 0;       // translating hot code and waiting for its compile (JitOptions::wait)
};

class LaneRunner {
 public:
  virtual ~LaneRunner() = default;

  // Runs lane i (states[i], on tables[lane_table[i]]) until it stops or has retired budgets[i]
  // instructions; stops[i] says how (as Engine::execute does). `frames` is the host frame array
  // of which the first `n_frames` are in use; `host_dirty` lists the frames changed behind the
  // runner's back since the previous call (written by the host or by another runner; all are
  // uploaded on the first call, and frames past the previous call's n_frames always).
  // `end_after` (1..n, else n): the launch ends once that many lanes have stopped by themselves
  // (syscall, fault, halt...); the others then stop early with CHECKPOINT, their work kept, so
  // that lanes waiting for the host do not wait for the slowest lane. On return states, stops
  // and every frame a lane wrote (copied into `frames`) are current; returns those frames'
  // indices. Throws kvrm::Error on CUDA errors and on inconsistent arguments.
  std::vector<u32> run(u8* frames, u64 n_frames, std::span<const u32> host_dirty,
                       std::span<const LaneTable> tables, std::span<const u32> lane_table,
                       std::span<CoreState> states, std::span<const u64> budgets,
                       std::span<RunResult> stops, u32 end_after) {
    const u64 n = states.size();
    if (lane_table.size() != n || budgets.size() != n || stops.size() != n)
      throw Error("lane runner: lanes, tables, budgets and stops differ in length");
    for (const u32 t : lane_table) {
      if (t >= tables.size()) throw Error("lane runner: table index out of range");
    }
    if (n == 0) return {};
    if (end_after == 0 || end_after > n) end_after = static_cast<u32>(n);
    return run_lanes(frames, n_frames, host_dirty, tables, lane_table, states, budgets, stops,
                     end_after);
  }

  virtual const LaneRunnerTimes& times() const = 0;
  // What block translation has done on this runner (zeros for runners without it).
  virtual JitStats jit_stats() const { return {}; }

 protected:
  // run() once its arguments are checked: at least one lane, every table index valid,
  // end_after in 1..n.
  virtual std::vector<u32> run_lanes(u8* frames, u64 n_frames, std::span<const u32> host_dirty,
                                     std::span<const LaneTable> tables,
                                     std::span<const u32> lane_table, std::span<CoreState> states,
                                     std::span<const u64> budgets, std::span<RunResult> stops,
                                     u32 end_after) = 0;
};

// A runner on CUDA device `device`. Several runners may share one device (each has its own
// stream and device copies) and may run at once from different host threads.
// lanes_per_warp (1..32): how many lanes share a warp; 0: as few as let every lane of a call be
// resident at once (lanes sharing a warp serialise where their paths differ, so a batch that
// fits gets a warp per lane; a bigger one packs up to 32). `jit`: block translation, as for the
// single-core engine (code hot in any lane is translated once for all; a lane whose code pages
// are not those translated runs interpreted). `frame_shift` (0..kMaxFrameShift): the layout of
// the device's copy of the frames (isa/mmu.hpp, frame_start; 0 linear). Throws kvrm::Error when
// no GPU is usable, the device does not exist, or kvrm was built without CUDA.
std::unique_ptr<LaneRunner> make_lane_runner(int device = 0, u32 lanes_per_warp = 0,
                                             const JitOptions& jit = {}, u32 frame_shift = 0);

// The number of CUDA devices usable (0 without a GPU or without CUDA).
int cuda_device_count();

}  // namespace kvrm::cuda

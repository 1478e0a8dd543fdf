// Many independent guest cores ("lanes") on the GPU in one launch, one per thread, for the batch
// engine (src/batch): each lane has its own registers and page table (the PageTableView format,
// child node indices relative to the table), and all lanes share one frame array, which the
// host owns and this runner mirrors in device memory. The runner knows nothing of processes or
// copy-on-write: a lane stops on its own signals exactly as the single-core engine does (a
// write to a page without write permission is a FAULT, which the batch resolves).
#pragma once

#include <memory>
#include <span>

#include "engines/engine.hpp"

namespace kvrm::cuda {

// A page table, identified by a version that changes whenever its contents change.
struct LaneTable {
  const u32* nodes = nullptr;
  u64 words = 0;
  u64 version = 0;
};

class LaneRunner {
 public:
  virtual ~LaneRunner() = default;

  // Runs lane i (states[i], on tables[lane_table[i]]) until it stops or has retired budgets[i]
  // instructions; stops[i] says how (as Engine::execute does). `frames` is the host frame array
  // of which the first `n_frames` are in use; `host_dirty` lists the frames the host wrote
  // since the previous call (all are uploaded on the first call, and frames past the previous
  // call's n_frames always). On return states, stops and every frame a lane wrote (copied
  // into `frames`) are current. Throws kvrm::Error on CUDA errors.
  virtual void run(u8* frames, u64 n_frames, std::span<const u32> host_dirty,
                   std::span<const LaneTable> tables, std::span<const u32> lane_table,
                   std::span<CoreState> states, std::span<const u64> budgets,
                   std::span<RunResult> stops) = 0;
};

// Throws kvrm::Error when no GPU is usable or kvrm was built without CUDA.
std::unique_ptr<LaneRunner> make_lane_runner(int device = 0);

}  // namespace kvrm::cuda

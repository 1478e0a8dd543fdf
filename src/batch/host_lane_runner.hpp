// A LaneRunner (engines/cuda/lane_runner.hpp) on the host: it keeps its own copy of the frames
// and page tables, brought up to date only through what the runner interface passes (new
// frames, the frames listed as changed, tables by version) and copies back only the frames its
// lanes wrote, exactly as a device runner does. The CUDA backend's scheduling (shards, frame
// hand-over between runners, launches that end early) runs over these in the tests, where no
// GPU exists; a mistake in what reaches a runner shows up as a lane reading stale memory.
#pragma once

#include <memory>

#include "engines/cuda/lane_runner.hpp"

namespace kvrm::batch {

// `frame_shift`: the layout of the runner's copy of the frames, as for cuda::make_lane_runner.
std::unique_ptr<cuda::LaneRunner> make_host_lane_runner(u32 frame_shift = 0);

}  // namespace kvrm::batch

// The host LaneRunner (host_lane_runner.hpp): lanes one after the other on the reference step
// loop, over the runner's own copies of frames and tables.
#include "batch/host_lane_runner.hpp"

#include <algorithm>
#include <chrono>
#include <cstring>
#include <unordered_map>
#include <vector>

#include "isa/execute.hpp"

namespace kvrm::batch {
namespace {

// After `end_after` lanes have stopped by themselves, the lanes still to run get at most this
// many instructions and then CHECKPOINT, as device lanes that see the stop flag at a poll.
constexpr u64 kPollAfterEnd = 1024;

class HostLaneRunner final : public cuda::LaneRunner {
 public:
  explicit HostLaneRunner(u32 shift) : shift_(shift) {}
  const cuda::LaneRunnerTimes& times() const override { return times_; }

  std::vector<u32> run_lanes(u8* frames, u64 n_frames, std::span<const u32> host_dirty,
                             std::span<const cuda::LaneTable> tables,
                             std::span<const u32> lane_table, std::span<CoreState> states,
                             std::span<const u64> budgets, std::span<RunResult> stops,
                             u32 end_after) override {
    const u64 n = states.size();
    auto t = std::chrono::steady_clock::now();
    auto lap = [&t] {
      const auto now = std::chrono::steady_clock::now();
      const double s = std::chrono::duration<double>(now - t).count();
      t = now;
      return s;
    };

    // Frames: the new ones and the changed ones below the old mark, in the copy's layout
    // (whole groups of frames).
    const u64 had = valid_;
    if (n_frames > had) {
      mirror_.resize(frame_memory_bytes(n_frames, shift_));
      for (u64 f = had; f < n_frames; ++f) put(frames, static_cast<u32>(f));
      valid_ = n_frames;
    }
    for (const u32 f : host_dirty) {
      if (f < had) put(frames, f);
    }
    // Tables: a copy per table (LaneTable::key), brought up to date node by node as a GPU's
    // copies are; only this call's are kept.
    std::unordered_map<u64, TableCopy> keep;
    for (const auto& tb : tables) {
      auto it = copies_.find(tb.key());
      TableCopy c = it != copies_.end() ? std::move(it->second) : TableCopy{};
      if (c.version != tb.version) {
        for (const u32 k : tb.stale_nodes(c.version, c.words.size())) {
          c.words.resize(std::max<u64>(c.words.size(), (u64{k} + 1) * kNodeEntries));
          std::memcpy(c.words.data() + u64{k} * kNodeEntries, tb.nodes + u64{k} * kNodeEntries,
                      kNodeEntries * sizeof(u32));
        }
        c.words.resize(tb.words);
        c.version = tb.version;
      }
      keep[tb.key()] = std::move(c);
    }
    copies_ = std::move(keep);
    times_.transfer += lap();

    std::vector<u8> written(valid_, 0);
    u32 stopped = 0;
    for (u64 i = 0; i < n; ++i) {
      const u64 budget =
          stopped >= end_after ? std::min<u64>(budgets[i], kPollAfterEnd) : budgets[i];
      RunResult& r = stops[i];
      r = RunResult{};
      Mmu mmu{PageTableView{copies_.at(tables[lane_table[i]].key()).words.data(), mirror_.data(),
                            shift_},
              &r.info};
      mmu.written = written.data();
      Context c{states[i], mmu, r.info};
      const RunOutcome o = run_plain_steps(c, budget);
      r.cycles = o.cycles;
      r.signal = o.signal;
      r.pc = states[i].pc;
      if (o.signal != Signal::Checkpoint) ++stopped;
    }
    times_.kernel += lap();

    std::vector<u32> list;
    for (u64 f = 0; f < valid_; ++f) {
      if (!written[f]) continue;
      frame_read(mirror_.data() + frame_start(static_cast<u32>(f), shift_), 0,
                 frames + f * kPageSize, kPageSize, shift_);
      list.push_back(static_cast<u32>(f));
    }
    times_.transfer += lap();
    return list;
  }

 private:
  void put(const u8* frames, u32 f) {
    frame_write(mirror_.data() + frame_start(f, shift_), 0, frames + u64{f} * kPageSize, kPageSize,
                shift_);
  }

  u32 shift_;               // the copy's layout (frame_start)
  std::vector<u8> mirror_;  // this runner's copy of the frames
  u64 valid_ = 0;           // frames of the copy that mirror the host's
  struct TableCopy {
    std::vector<u32> words;
    u64 version = 0;
  };
  std::unordered_map<u64, TableCopy> copies_;  // LaneTable::key() -> copy of the table
  cuda::LaneRunnerTimes times_;
};

}  // namespace

std::unique_ptr<cuda::LaneRunner> make_host_lane_runner(u32 frame_shift) {
  return std::make_unique<HostLaneRunner>(frame_shift);
}

}  // namespace kvrm::batch

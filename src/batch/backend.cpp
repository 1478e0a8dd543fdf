// The host CPU batch backend, the CUDA one (over engines/cuda/lane_runner.hpp) and the factory.
#include "batch/backend.hpp"

#include <algorithm>
#include <cmath>
#include <exception>
#include <numeric>
#include <string>
#include <thread>
#include <unordered_map>
#include <vector>

#include "batch/host_lane_runner.hpp"
#include "batch/lane_engine.hpp"
#include "engines/cuda/cuda_engine.hpp"
#include "engines/cuda/lane_runner.hpp"

namespace kvrm::batch {
namespace {

class CpuBackend final : public Backend {
 public:
  CpuBackend(ThreadPool& pool, bool resolve_cow) : pool_(pool), resolve_cow_(resolve_cow) {}

  const char* name() const override { return "cpu"; }
  u32 preferred_resident_lanes() const override { return pool_.size() * 4; }
  bool lanes_independent() const override { return true; }

  void run(std::span<const LaneRef> lanes, std::span<const u64> budgets,
           std::span<RunResult> stops) override {
    if (budgets.size() != lanes.size() || stops.size() != lanes.size())
      throw Error("backend run: lanes, budgets and stops differ in length");
    auto one = [&](size_t i) {
      stops[i] = run_lane_on_host(*lanes[i].memory, *lanes[i].state, budgets[i], resolve_cow_);
    };
    if (lanes.size() == 1) {
      one(0);  // called from a scheduler thread (the fused schedule)
    } else {
      pool_.parallel_for(lanes.size(), one);
    }
  }

 private:
  ThreadPool& pool_;
  bool resolve_cow_;
};

// The lanes on LaneRunners (engines/cuda/lane_runner.hpp): one per GPU for the CUDA backend,
// host ones for "host-mirror". The phased schedule; copy-on-write faults come back to the host.
// Lanes are ordered by PC (so that lanes at the same point of the program share warps) and cut
// into one contiguous shard per runner; runners run their shards at once, each from its own
// host thread. Every runner mirrors the frame pool: the frames the host wrote go to all of
// them, the frames one runner's lanes wrote go to the others before their next launch (a lane
// may change shards between rounds).
class RunnerBackend final : public Backend {
 public:
  RunnerBackend(const char* name, std::vector<std::unique_ptr<cuda::LaneRunner>> runners,
                const BackendOptions& o)
      : name_(name), o_(o), runners_(std::move(runners)) {
    if (runners_.empty()) throw Error("a batch backend needs at least one lane runner");
    pending_.resize(runners_.size());
  }

  const char* name() const override { return name_; }
  u32 preferred_resident_lanes() const override { return 0; }
  bool lanes_independent() const override { return false; }

  BackendTimes times() const override {
    BackendTimes t;
    for (const auto& r : runners_) {
      t.kernel += r->times().kernel;
      t.transfer += r->times().transfer;
      t.jit += r->times().jit;
    }
    return t;
  }

  JitStats jit_stats() const override {
    JitStats total;
    for (const auto& r : runners_) {
      const JitStats s = r->jit_stats();
      total.active = total.active || s.active;
      total.compiles += s.compiles;
      total.blocks = std::max(total.blocks, s.blocks);
      total.instructions = std::max(total.instructions, s.instructions);
      total.hot_targets = std::max(total.hot_targets, s.hot_targets);
      total.compile_seconds += s.compile_seconds;
      total.link_seconds += s.link_seconds;
      total.parts_compiled += s.parts_compiled;
      total.parts_from_disk += s.parts_from_disk;
      total.modules_from_disk += s.modules_from_disk;
      total.rounds_replayed += s.rounds_replayed;
      if (total.cache.empty()) total.cache = s.cache;
      total.translated_run += s.translated_run;
      total.interpreted_run += s.interpreted_run;
      total.interpreted_lanes += s.interpreted_lanes;
      if (total.note.empty()) total.note = s.note;
    }
    return total;
  }

  void run(std::span<const LaneRef> lanes, std::span<const u64> budgets,
           std::span<RunResult> stops) override {
    if (budgets.size() != lanes.size() || stops.size() != lanes.size())
      throw Error("backend run: lanes, budgets and stops differ in length");
    if (lanes.empty()) return;
    FramePool& pool = lanes[0].memory->pool();
    if (!tracking_) {
      pool.set_dirty_tracking(true);  // the first call uploads every frame anyway
      (void)pool.take_dirty();
      tracking_ = true;
    }
    for (const LaneRef& l : lanes) {
      if (&l.memory->pool() != &pool) throw Error("backend run: lanes of different frame pools");
    }
    std::vector<u32> order(lanes.size());
    std::iota(order.begin(), order.end(), 0u);
    if (o_.order_by_pc) {
      std::stable_sort(order.begin(), order.end(),
                       [&](u32 a, u32 b) { return lanes[a].state->pc < lanes[b].state->pc; });
    }
    const std::vector<u32> dirty = pool.take_dirty();
    const size_t k = std::min(runners_.size(), lanes.size());
    std::vector<Shard> shards(k);
    for (size_t r = 0; r < k; ++r) {
      const size_t from = lanes.size() * r / k, to = lanes.size() * (r + 1) / k;
      shards[r].fill(lanes, budgets, std::span(order).subspan(from, to - from), o_.end_fraction);
      std::vector<u32>& up = pending_[r];
      up.insert(up.end(), dirty.begin(), dirty.end());
      std::sort(up.begin(), up.end());
      up.erase(std::unique(up.begin(), up.end()), up.end());
    }
    auto go = [&](size_t r) {
      Shard& sh = shards[r];
      sh.written = runners_[r]->run(pool.frames(), pool.high_water(), pending_[r], sh.tables,
                                    sh.lane_table, sh.states, sh.budgets, sh.stops, sh.end_after);
    };
    if (k == 1) {
      go(0);
    } else {
      std::vector<std::exception_ptr> errors(k);
      std::vector<std::thread> threads;
      for (size_t r = 0; r < k; ++r) {
        threads.emplace_back([&, r] {
          try {
            go(r);
          } catch (...) {
            errors[r] = std::current_exception();
          }
        });
      }
      for (auto& t : threads) t.join();
      for (const auto& e : errors) {
        if (e) std::rethrow_exception(e);
      }
    }
    for (size_t r = 0; r < k; ++r) pending_[r].clear();  // uploaded; before the others add
    for (size_t r = 0; r < k; ++r) {
      const Shard& sh = shards[r];
      for (size_t j = 0; j < sh.lanes.size(); ++j) {
        *lanes[sh.lanes[j]].state = sh.states[j];
        stops[sh.lanes[j]] = sh.stops[j];
      }
      for (size_t q = 0; q < runners_.size(); ++q) {
        if (q != r) pending_[q].insert(pending_[q].end(), sh.written.begin(), sh.written.end());
      }
    }
  }

 private:
  // One runner's part of a call: its lanes (indices into the call's), their distinct tables.
  struct Shard {
    std::vector<u32> lanes;
    std::vector<cuda::LaneTable> tables;
    std::vector<u32> lane_table;
    std::vector<CoreState> states;
    std::vector<u64> budgets;
    std::vector<RunResult> stops;
    std::vector<u32> written;
    u32 end_after = 0;

    void fill(std::span<const LaneRef> all, std::span<const u64> all_budgets,
              std::span<const u32> which, double end_fraction) {
      lanes.assign(which.begin(), which.end());
      std::unordered_map<u64, u32> index;  // table version -> position in tables
      for (const u32 i : lanes) {
        const LaneMemory& m = *all[i].memory;
        const u64 v = m.table_version();
        auto [it, fresh] = index.try_emplace(v, static_cast<u32>(tables.size()));
        if (fresh)
          tables.push_back({m.table(), m.table_words(), v, m.table_id(), m.node_changed()});
        lane_table.push_back(it->second);
        states.push_back(*all[i].state);
        budgets.push_back(all_budgets[i]);
      }
      stops.resize(lanes.size());
      end_after = static_cast<u32>(
          std::clamp<double>(std::ceil(end_fraction * lanes.size()), 1, lanes.size()));
    }
  };

  const char* name_;
  BackendOptions o_;
  std::vector<std::unique_ptr<cuda::LaneRunner>> runners_;
  std::vector<std::vector<u32>> pending_;  // per runner: frames to upload before its next launch
  bool tracking_ = false;
};

constexpr const char* kBackendNames[] = {"auto", "cpu", "cuda", nullptr};

}  // namespace

std::unique_ptr<Backend> make_cpu_backend(ThreadPool& pool, bool resolve_cow) {
  return std::make_unique<CpuBackend>(pool, resolve_cow);
}

namespace {

std::unique_ptr<Backend> make_cuda_backend(const BackendOptions& o) {
  std::vector<int> devices = o.devices;
  if (devices.empty()) {
    for (int d = 0; d < cuda::cuda_device_count(); ++d) devices.push_back(d);
    if (devices.empty()) devices.push_back(0);  // make_lane_runner says why it cannot be
  }
  std::vector<std::unique_ptr<cuda::LaneRunner>> runners;
  for (const int d : devices) {
    runners.push_back(cuda::make_lane_runner(d, o.lanes_per_warp, o.jit, o.frame_shift));
  }
  return std::make_unique<RunnerBackend>("cuda", std::move(runners), o);
}

}  // namespace

std::unique_ptr<Backend> make_backend(const std::string& name, ThreadPool& pool,
                                      const BackendOptions& options) {
  // Checked whatever the backend, so that a batch's options mean the same on every machine.
  if (!(options.end_fraction > 0 && options.end_fraction <= 1))
    throw Error("the launch end fraction must be in (0, 1]");
  if (options.lanes_per_warp > 32) throw Error("lanes per warp must be 0 (automatic) or 1 to 32");
  if (options.jit.hot_threshold == 0) throw Error("the translation threshold must be at least 1");
  if (options.frame_shift > kMaxFrameShift)
    throw Error("the frame layout's shift must be 0 (linear) to " + std::to_string(kMaxFrameShift));
  if (name == "cuda") return make_cuda_backend(options);
  if (name == "auto" && cuda_available()) return make_cuda_backend(options);
  if (name == "host-mirror") {
    std::vector<std::unique_ptr<cuda::LaneRunner>> runners;
    for (size_t i = 0; i < std::max<size_t>(1, options.devices.size()); ++i)
      runners.push_back(make_host_lane_runner(options.frame_shift));
    return std::make_unique<RunnerBackend>("host-mirror", std::move(runners), options);
  }
  if (name == "cpu" || name == "auto") return make_cpu_backend(pool, !options.device_style_cow);
  throw Error("unknown batch backend '" + name + "' (use auto, cpu or cuda)");
}

const char* const* backend_names() { return kBackendNames; }

}  // namespace kvrm::batch

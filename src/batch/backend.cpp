// The host CPU batch backend and the backend factory.
#include "batch/backend.hpp"

#include <unordered_map>
#include <vector>

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

// The lanes on the GPU (engines/cuda/lane_runner.hpp): all lanes of a call in one launch, the
// phased schedule; copy-on-write faults come back to the host.
class CudaBackend final : public Backend {
 public:
  CudaBackend() : runner_(cuda::make_lane_runner()) {}

  const char* name() const override { return "cuda"; }
  u32 preferred_resident_lanes() const override { return 0; }
  bool lanes_independent() const override { return false; }

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
    std::vector<cuda::LaneTable> tables;
    std::unordered_map<u64, u32> index;  // table version -> position in tables
    std::vector<u32> lane_table(lanes.size());
    std::vector<CoreState> states(lanes.size());
    for (size_t i = 0; i < lanes.size(); ++i) {
      const LaneMemory& m = *lanes[i].memory;
      if (&m.pool() != &pool) throw Error("backend run: lanes of different frame pools");
      const u64 v = m.table_version();
      auto [it, fresh] = index.try_emplace(v, static_cast<u32>(tables.size()));
      if (fresh) tables.push_back({m.table(), m.table_words(), v});
      lane_table[i] = it->second;
      states[i] = *lanes[i].state;
    }
    const std::vector<u32> dirty = pool.take_dirty();
    runner_->run(pool.frames(), pool.high_water(), dirty, tables, lane_table, states, budgets,
                 stops);
    for (size_t i = 0; i < lanes.size(); ++i) *lanes[i].state = states[i];
  }

 private:
  std::unique_ptr<cuda::LaneRunner> runner_;
  bool tracking_ = false;
};

constexpr const char* kBackendNames[] = {"auto", "cpu", "cuda", nullptr};

}  // namespace

std::unique_ptr<Backend> make_cpu_backend(ThreadPool& pool, bool resolve_cow) {
  return std::make_unique<CpuBackend>(pool, resolve_cow);
}

std::unique_ptr<Backend> make_backend(const std::string& name, ThreadPool& pool,
                                      bool device_style_cow) {
  if (name == "cuda") return std::make_unique<CudaBackend>();
  if (name == "auto" && cuda_available()) return std::make_unique<CudaBackend>();
  if (name == "cpu" || name == "auto") return make_cpu_backend(pool, !device_style_cow);
  throw Error("unknown batch backend '" + name + "' (use auto, cpu or cuda)");
}

const char* const* backend_names() { return kBackendNames; }

}  // namespace kvrm::batch

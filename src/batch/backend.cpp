// The host CPU batch backend and the backend factory.
#include "batch/backend.hpp"

#include "batch/lane_engine.hpp"

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

constexpr const char* kBackendNames[] = {"auto", "cpu", "cuda", nullptr};

}  // namespace

std::unique_ptr<Backend> make_cpu_backend(ThreadPool& pool, bool resolve_cow) {
  return std::make_unique<CpuBackend>(pool, resolve_cow);
}

std::unique_ptr<Backend> make_backend(const std::string& name, ThreadPool& pool,
                                      bool device_style_cow) {
  if (name == "cpu" || name == "auto") return make_cpu_backend(pool, !device_style_cow);
  if (name == "cuda")
    throw Error("the CUDA batch backend is not available yet (use --backend cpu)");
  throw Error("unknown batch backend '" + name + "' (use auto, cpu or cuda)");
}

const char* const* backend_names() { return kBackendNames; }

}  // namespace kvrm::batch

// `kvrm bench`: the seed's benchmark loops (ADD + B, and ADD + STR + B), timed on each engine
// and printed as a table and, on request, as JSON.
#include <algorithm>
#include <cstdio>
#include <fstream>
#include <memory>

#include "cli/commands.hpp"
#include "core/error.hpp"
#include "engines/cuda/cuda_engine.hpp"
#include "engines/engine.hpp"
#include "isa/mmu.hpp"

namespace kvrm::cli {
namespace {

constexpr u64 kCode = 0x10000;
constexpr u64 kData = 0x20000;

struct Workload {
  const char* name;
  const char* description;
  std::vector<u32> code;
};

const Workload kWorkloads[] = {
    {"add_b", "ADD + B (tight loop)", {0x91000400 /* add x0, x0, #1 */, 0x17ffffff /* b .-4 */}},
    {"add_str_b",
     "ADD + STR + B (loop with a store)",
     {0x91000400 /* add x0, x0, #1 */, 0xf9000020 /* str x0, [x1] */, 0x17fffffe /* b .-8 */}},
};

std::unique_ptr<Engine> make_engine(const std::string& backend) {
  if (backend == "cpu") return make_reference_engine(u64{64} << 20);
  if (backend == "cuda") return make_cuda_engine({.memory_limit = u64{64} << 20});
  throw Error("unknown backend '" + backend + "' (use cpu or cuda)");
}

// The dispatch modes timed per backend: the reference engine has one loop; the CUDA engine the
// seed's standard (one launch, stop reason read back), continuous (batches of
// cycles_per_batch, atomic signal flag) and mega (one launch, atomic signal flag).
std::vector<std::string> modes_of(const std::string& backend) {
  if (backend == "cuda") return {"standard", "continuous", "mega"};
  return {"standard"};
}

RunResult run_mode(Engine& e, const std::string& mode, u64 cycles, u64 cycles_per_batch) {
  if (mode == "continuous") {
    const u64 batches = (cycles + cycles_per_batch - 1) / cycles_per_batch;
    return e.execute_continuous(cycles_per_batch, batches, 3600.0);
  }
  if (mode == "mega") return e.execute_mega(cycles);
  return e.execute(cycles);
}

struct Row {
  std::string backend, mode, workload;
  u64 cycles;
  double seconds, ips;
};

Row time_one(const std::string& backend, const std::string& mode, const Workload& w,
             const BenchOptions& o) {
  const u64 cycles = o.cycles;
  auto e = make_engine(backend);
  e->map(kCode, 0x1000, kPermRead | kPermExec);
  e->map(kData, 0x1000, kPermRead | kPermWrite);
  e->write_memory(kCode, w.code.data(), w.code.size() * 4);
  double best = 0;
  u64 done = 0;
  for (int r = 0; r < o.repeat; ++r) {
    e->set_pc(kCode);
    e->set_reg(0, 0);
    e->set_reg(1, kData);
    const RunResult res = run_mode(*e, mode, cycles, std::min(cycles, o.cycles_per_batch));
    if (res.signal != Signal::Checkpoint || res.cycles != cycles) {
      throw Error(std::string("benchmark ") + w.name + " stopped early: " + describe(res));
    }
    if (e->reg(0) != cycles / w.code.size() + (cycles % w.code.size() ? 1 : 0)) {
      throw Error(std::string("benchmark ") + w.name + " computed a wrong result");
    }
    if (res.ips() > best) {
      best = res.ips();
      done = res.cycles;
    }
  }
  return {backend, mode, w.name, done, done / best, best};
}

}  // namespace

void add_bench_command(CLI::App& app, BenchOptions& o) {
  auto* b = app.add_subcommand("bench", "Run the seed's benchmark loops and print IPS");
  b->add_option("--backend", o.backends, "Engines to time: cpu, cuda (repeatable)")->delimiter(',');
  b->add_option("--workload", o.workloads, "add_b, add_str_b")->delimiter(',');
  b->add_option("--cycles", o.cycles, "Instructions per run")->check(CLI::PositiveNumber);
  b->add_option("--repeat", o.repeat, "Runs per figure (the best is reported)")
      ->check(CLI::Range(1, 100));
  b->add_option("--cycles-per-batch", o.cycles_per_batch, "Batch size of continuous mode")
      ->check(CLI::PositiveNumber);
  b->add_option("--json", o.json_path, "Also write the figures as JSON to this file");
  b->add_flag("--list-backends", o.list_backends, "Print the backends usable here and exit");
}

int run_bench(const BenchOptions& o) {
  if (o.list_backends) {
    std::puts("cpu");
    if (cuda_available()) std::puts("cuda");
    return 0;
  }
  std::vector<Row> rows;
  for (const auto& name : o.workloads) {
    const Workload* w = nullptr;
    for (const auto& k : kWorkloads) {
      if (name == k.name) w = &k;
    }
    if (!w) throw Error("unknown workload '" + name + "'");
    for (const auto& backend : o.backends) {
      for (const auto& mode : modes_of(backend)) rows.push_back(time_one(backend, mode, *w, o));
    }
  }
  std::printf("%-8s %-12s %-12s %14s %10s %16s\n", "backend", "mode", "workload", "cycles",
              "seconds", "IPS");
  for (const auto& r : rows) {
    std::printf("%-8s %-12s %-12s %14llu %10.3f %16.0f\n", r.backend.c_str(), r.mode.c_str(),
                r.workload.c_str(), static_cast<unsigned long long>(r.cycles), r.seconds, r.ips);
  }
  if (!o.json_path.empty()) {
    std::ofstream f(o.json_path);
    if (!f) throw Error("cannot write " + o.json_path);
    f << "[\n";
    for (size_t i = 0; i < rows.size(); ++i) {
      const auto& r = rows[i];
      f << "  {\"backend\": \"" << r.backend << "\", \"mode\": \"" << r.mode
        << "\", \"workload\": \"" << r.workload << "\", \"cycles\": " << r.cycles
        << ", \"seconds\": " << r.seconds << ", \"ips\": " << r.ips << "}"
        << (i + 1 < rows.size() ? ",\n" : "\n");
    }
    f << "]\n";
  }
  return 0;
}

}  // namespace kvrm::cli

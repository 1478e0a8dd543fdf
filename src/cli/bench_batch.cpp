// `kvrm bench batch`: aggregate IPS of the seed's two loops (ADD + B, ADD + STR + B) run on
// 1..N lanes of the bare-metal batch (batch/parallel.hpp), every lane checked, optionally on
// 1, 2, 4... GPUs with the scaling over one GPU; a table and, on request, JSON.
#include <algorithm>
#include <cstdio>
#include <fstream>
#include <string>
#include <vector>

#include "batch/parallel.hpp"
#include "cli/commands.hpp"
#include "core/error.hpp"
#include "engines/cuda/lane_runner.hpp"
#include "isa/mmu.hpp"

namespace kvrm::cli {
namespace {

constexpr u64 kCode = 0x10000;
constexpr u64 kData = 0x20000;

// The seed's loops, as `kvrm bench` runs them (cli/bench.cpp).
struct Workload {
  const char* name;
  std::vector<u32> code;
};
const Workload kWorkloads[] = {
    {"add_b", {0x91000400 /* add x0, x0, #1 */, 0x17ffffff /* b .-4 */}},
    {"add_str_b",
     {0x91000400 /* add x0, x0, #1 */, 0xf9000020 /* str x0, [x1] */, 0x17fffffe /* b .-8 */}},
};

struct Row {
  std::string backend, workload;
  u32 lanes;
  u64 cycles_per_lane, total_cycles;
  double seconds, ips;
  u64 lane_bytes;         // pages the lanes own, all together
  std::string devices;    // "0,1" ("" for all visible ones or the CPU)
  u32 n_devices = 0;      // 0: not a scaling run
  double scaling = 0;     // ips / (n_devices x the one-device ips), where that was timed
  std::string jit = "-";  // CUDA: "on" when the loop ran translated, "off" when interpreted
};

std::string device_list(const std::vector<int>& d) {
  std::string s;
  for (const int x : d) s += (s.empty() ? "" : ",") + std::to_string(x);
  return s;
}

Row time_one(const BenchBatchOptions& o, const Workload& w, u32 lanes,
             const std::vector<int>& devices) {
  const u64 per_lane =
      o.cycles ? o.cycles : std::max<u64>(o.min_cycles, o.total_cycles / std::max<u32>(lanes, 1));
  // The GPU translates what is hot before each launch (JitOptions::wait): a warm-up run
  // compiles the loop, the timed runs use it.
  JitOptions jit = jit_options(o.jit);
  jit.wait = true;
  batch::ParallelMachine m({.lanes = lanes,
                            .memory_size = 0,
                            .backend = o.backend,
                            .threads = o.threads,
                            .devices = devices,
                            .frame_shift = frame_shift(o.frame_layout),
                            .jit = jit});
  m.map(kCode, kPageSize, kPermRead | kPermExec);
  m.map(kData, kPageSize, kPermRead | kPermWrite);
  m.load_program(w.code.data(), w.code.size() * 4, kCode);
  const u64 expect_x0 = per_lane / w.code.size() + (per_lane % w.code.size() ? 1 : 0);
  std::string jit_state = "-";
  if (std::string(m.backend_name()) == "cuda") {
    m.set_pc_all(kCode);
    m.set_reg_all(1, kData);
    (void)m.execute(1000);
    jit_state = m.jit_stats().blocks ? "on" : "off";
  }
  double best = 0;
  for (int r = 0; r < o.repeat; ++r) {
    m.set_pc_all(kCode);
    m.set_reg_all(0, 0);
    m.set_reg_all(1, kData);
    const batch::ParallelResult res = m.execute(per_lane);
    for (u32 i = 0; i < lanes; ++i) {
      const auto& l = res.lanes[i];
      if (l.signal != Signal::Checkpoint || l.cycles != per_lane)
        throw Error(std::string("bench batch: ") + w.name + " lane " + std::to_string(i) +
                    " stopped early (" + signal_name(l.signal) + " after " +
                    std::to_string(l.cycles) + " instructions)");
      if (m.reg(i, 0) != expect_x0)
        throw Error(std::string("bench batch: ") + w.name + " lane " + std::to_string(i) +
                    " computed a wrong result");
    }
    best = std::max(best, res.ips());
  }
  u64 lane_bytes = 0;
  for (u32 i = 0; i < lanes; ++i) lane_bytes += m.lane_private_bytes(i);
  const u64 total = per_lane * lanes;
  Row row{m.backend_name(),    w.name, lanes, per_lane, total, total / best, best, lane_bytes,
          device_list(devices)};
  row.jit = jit_state;
  return row;
}

// The device sets to time: o.devices as given, or the first N devices (of o.devices, else of
// the visible ones) for each N of o.device_counts.
std::vector<std::vector<int>> device_sets(const BenchBatchOptions& o) {
  if (o.device_counts.empty()) return {o.devices};
  if (o.backend == "cpu") throw Error("bench batch: --device-counts needs the cuda backend");
  std::vector<int> pool = o.devices;
  if (pool.empty()) {
    for (int d = 0; d < cuda::cuda_device_count(); ++d) pool.push_back(d);
  }
  std::vector<std::vector<int>> sets;
  for (const u32 n : o.device_counts) {
    if (n > pool.size())
      throw Error("bench batch: " + std::to_string(n) + " devices asked for, " +
                  std::to_string(pool.size()) + (o.devices.empty() ? " visible" : " named"));
    sets.emplace_back(pool.begin(), pool.begin() + n);
  }
  return sets;
}

}  // namespace

void add_bench_batch_command(CLI::App& bench, BenchBatchOptions& o) {
  auto* b = bench.add_subcommand(
      "batch", "Aggregate IPS of the seed's loops on 1..N lanes of the batch engine");
  b->add_option("--lanes", o.lanes, "Lane counts to time (comma-separated)")
      ->delimiter(',')
      ->check(CLI::PositiveNumber);
  b->add_option("--workload", o.workloads, "add_b, add_str_b")->delimiter(',');
  b->add_option("--backend", o.backend, "auto, cpu or cuda")
      ->check(CLI::IsMember({"auto", "cpu", "cuda"}));
  b->add_option("--threads", o.threads, "Host threads (default: one per CPU)")
      ->check(CLI::Range(1u, 4096u));
  b->add_option("--cycles", o.cycles,
                "Instructions per lane (default: --total-cycles spread over the lanes)");
  b->add_option("--total-cycles", o.total_cycles, "Instructions per figure, all lanes together")
      ->check(CLI::PositiveNumber);
  b->add_option("--min-cycles", o.min_cycles, "Fewest instructions per lane (default 10000)")
      ->check(CLI::PositiveNumber);
  b->add_option("--repeat", o.repeat, "Runs per figure (the best is reported)")
      ->check(CLI::Range(1, 100));
  b->add_option("--json", o.json_path, "Also write the figures as JSON to this file");
  b->add_option("--devices", o.devices, "CUDA devices to shard the lanes over (default: all)")
      ->delimiter(',')
      ->check(CLI::NonNegativeNumber);
  b->add_option("--device-counts", o.device_counts,
                "Time each figure on the first N devices for each N, e.g. 1,2,4,8, with the "
                "scaling over one device")
      ->delimiter(',')
      ->check(CLI::PositiveNumber);
  add_frame_layout_option(b, o.frame_layout);
  add_jit_options(b, o.jit);
}

int run_bench_batch(const BenchBatchOptions& o) {
  std::vector<Row> rows;
  for (const auto& name : o.workloads) {
    const Workload* w = nullptr;
    for (const auto& k : kWorkloads) {
      if (name == k.name) w = &k;
    }
    if (!w) throw Error("unknown workload '" + name + "' (add_b, add_str_b)");
    for (const u32 lanes : o.lanes) {
      double one = 0;  // the one-device figure of this workload and lane count
      for (const auto& set : device_sets(o)) {
        Row r = time_one(o, *w, lanes, set);
        if (!o.device_counts.empty()) {
          r.n_devices = static_cast<u32>(set.size());
          if (r.n_devices == 1) one = r.ips;
          if (one > 0) r.scaling = r.ips / (one * r.n_devices);
        }
        rows.push_back(r);
      }
    }
  }
  std::printf("%-8s %-10s %-4s %8s %12s %14s %9s %16s %14s %10s %-12s %8s\n", "backend", "workload",
              "jit", "lanes", "cycles/lane", "cycles", "seconds", "aggregate IPS", "IPS/lane",
              "lane KiB", "devices", "scaling");
  for (const auto& r : rows) {
    char scaling[16] = "-";
    if (r.scaling > 0) std::snprintf(scaling, sizeof scaling, "%.1f%%", 100 * r.scaling);
    std::printf("%-8s %-10s %-4s %8u %12llu %14llu %9.3f %16.0f %14.0f %10llu %-12s %8s\n",
                r.backend.c_str(), r.workload.c_str(), r.jit.c_str(), r.lanes,
                static_cast<unsigned long long>(r.cycles_per_lane),
                static_cast<unsigned long long>(r.total_cycles), r.seconds, r.ips, r.ips / r.lanes,
                static_cast<unsigned long long>(r.lane_bytes / 1024),
                r.devices.empty() ? (r.backend == "cpu" ? "-" : "all") : r.devices.c_str(),
                scaling);
  }
  if (!o.json_path.empty()) {
    std::ofstream f(o.json_path);
    if (!f) throw Error("cannot write " + o.json_path);
    f << "[\n";
    for (size_t i = 0; i < rows.size(); ++i) {
      const auto& r = rows[i];
      f << "  {\"backend\": \"" << r.backend << "\", \"workload\": \"" << r.workload
        << "\", \"jit\": \"" << r.jit << "\", \"lanes\": " << r.lanes
        << ", \"cycles_per_lane\": " << r.cycles_per_lane << ", \"cycles\": " << r.total_cycles
        << ", \"seconds\": " << r.seconds << ", \"ips\": " << r.ips
        << ", \"lane_bytes\": " << r.lane_bytes << ", \"devices\": \"" << r.devices
        << "\", \"scaling\": " << r.scaling << "}" << (i + 1 < rows.size() ? ",\n" : "\n");
    }
    f << "]\n";
    if (!f) throw Error("cannot write " + o.json_path);
  }
  return 0;
}

}  // namespace kvrm::cli

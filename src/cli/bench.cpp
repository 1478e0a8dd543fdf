// `kvrm bench`: the seed's benchmark loops (ADD + B, and ADD + STR + B), timed on each engine
// and printed as a table and, on request, as JSON.
#include <unistd.h>

#include <algorithm>
#include <chrono>
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

// The CUDA engine translates before each launch what is hot (JitOptions::wait), so that a
// warm-up run compiles the loop and the timed runs use it.
std::unique_ptr<Engine> make_engine(const std::string& backend, const JitCliOptions& jit) {
  if (backend == "cpu") return make_reference_engine(u64{64} << 20);
  if (backend == "cuda") {
    JitOptions j = jit_options(jit);
    j.wait = true;
    return make_cuda_engine({.memory_limit = u64{64} << 20, .jit = j});
  }
  throw Error("unknown backend '" + backend + "' (use cpu or cuda)");
}

// The dispatch modes timed per backend: the reference engine has one loop; the CUDA engine the
// seed's standard (one launch, stop reason read back), continuous (batches of
// cycles_per_batch, atomic signal flag), mega (one launch, atomic signal flag) and persistent
// (one resident launch with the syscall mailbox; these loops make no syscall).
std::vector<std::string> modes_of(const std::string& backend) {
  if (backend == "cuda") return {"standard", "continuous", "mega", "persistent"};
  return {"standard"};
}

// A syscall handler for loops that must not make any.
bool no_syscall(Engine& e) {
  throw Error("benchmark loop made a syscall at pc " + std::to_string(e.pc()));
}

RunResult run_mode(Engine& e, const std::string& mode, u64 cycles, u64 cycles_per_batch) {
  if (mode == "continuous") {
    const u64 batches = (cycles + cycles_per_batch - 1) / cycles_per_batch;
    return e.execute_continuous(cycles_per_batch, batches, 3600.0);
  }
  if (mode == "mega") return e.execute_mega(cycles);
  if (mode == "persistent") return e.execute_persistent(cycles, 0, no_syscall);
  return e.execute(cycles);
}

struct Row {
  std::string backend, mode, workload;
  u64 cycles;
  double seconds, ips;
  std::string jit;  // "-" (not the CUDA engine), "off" (interpreted) or "on" (translated)
  double compile_seconds = 0;  // the translation's compile, in the warm-up
};

Row time_one(const std::string& backend, const std::string& mode, const Workload& w,
             const BenchOptions& o) {
  const u64 cycles = o.cycles;
  auto e = make_engine(backend, o.jit);
  e->map(kCode, 0x1000, kPermRead | kPermExec);
  e->map(kData, 0x1000, kPermRead | kPermWrite);
  e->write_memory(kCode, w.code.data(), w.code.size() * 4);
  std::string jit = "-";
  double compile = 0;
  if (backend == "cuda") {  // warm-up (untimed): the loop becomes hot and is translated
    e->set_pc(kCode);
    e->set_reg(1, kData);
    (void)e->execute(100000);
    const JitStats js = cuda_jit_stats(*e);
    jit = js.blocks ? "on" : "off";
    compile = js.compile_seconds + js.link_seconds;
  }
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
  return {backend, mode, w.name, done, done / best, best, jit, compile};
}

// The syscall round trip: a guest loop of getpid calls (MOV X8, #172; SVC #0; B), serviced on
// the host with the real getpid(). "persistent": the kernel stays resident and posts each call
// to the mailbox; "relaunch": each SVC ends the launch, the host services it and launches again.
// The figure is the time between consecutive calls reaching the host: one full round trip.
const std::vector<u32> kGetpidLoop = {0xd2801588 /* mov x8, #172 */, 0xd4000001 /* svc #0 */,
                                      0x17fffffe /* b .-8 */};

struct SyscallRow {
  std::string backend, mode;
  u64 calls;
  double median_us, mean_us;
};

SyscallRow time_syscalls(const std::string& backend, const std::string& mode, u64 calls,
                         const JitCliOptions& jit) {
  auto e = make_engine(backend, jit);
  e->map(kCode, 0x1000, kPermRead | kPermExec);
  e->write_memory(kCode, kGetpidLoop.data(), kGetpidLoop.size() * 4);
  e->set_pc(kCode);
  using Clock = std::chrono::steady_clock;
  std::vector<double> gaps;
  gaps.reserve(calls);
  Clock::time_point last{};
  u64 seen = 0;
  const auto service = [&](Engine& eng) {
    const auto now = Clock::now();
    if (seen > 0) gaps.push_back(std::chrono::duration<double, std::micro>(now - last).count());
    // Register by register, as the Linux layer's do_syscall() reads and answers a call.
    if (eng.reg(8) != 172) {
      throw Error("syscall benchmark: unexpected syscall " + std::to_string(eng.reg(8)));
    }
    eng.set_reg(0, static_cast<u64>(::getpid()));
    last = now;
    return ++seen <= calls;
  };
  if (mode == "persistent") {
    const RunResult r = e->execute_persistent(~u64{0} >> 1, 600.0, service);
    if (r.signal != Signal::Syscall) throw Error("syscall benchmark stopped: " + describe(r));
  } else {
    while (true) {
      const RunResult r = e->execute(~u64{0} >> 1);
      if (r.signal != Signal::Syscall) throw Error("syscall benchmark stopped: " + describe(r));
      if (!service(*e)) break;
    }
  }
  if (gaps.empty()) throw Error("syscall benchmark: no round trip measured");
  std::vector<double> sorted = gaps;
  std::sort(sorted.begin(), sorted.end());
  double sum = 0;
  for (double g : gaps) sum += g;
  return {backend, mode, gaps.size(), sorted[sorted.size() / 2], sum / gaps.size()};
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
  b->add_option("--syscalls", o.syscalls,
                "Round trips timed by the getpid syscall benchmark (0: skip it)");
  b->add_option("--json", o.json_path, "Also write the figures as JSON to this file");
  b->add_flag("--list-backends", o.list_backends, "Print the backends usable here and exit");
  add_jit_options(b, o.jit);
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
  std::printf("%-8s %-12s %-12s %-4s %14s %10s %16s\n", "backend", "mode", "workload", "jit",
              "cycles", "seconds", "IPS");
  double compile = 0;
  for (const auto& r : rows) {
    std::printf("%-8s %-12s %-12s %-4s %14llu %10.3f %16.0f\n", r.backend.c_str(), r.mode.c_str(),
                r.workload.c_str(), r.jit.c_str(), static_cast<unsigned long long>(r.cycles),
                r.seconds, r.ips);
    compile = std::max(compile, r.compile_seconds);
  }
  if (compile > 0) {
    std::printf(
        "(jit on: the loop translated in an untimed warm-up run; compiling and linking "
        "it took %.2f s the first time)\n",
        compile);
  }
  std::vector<SyscallRow> srows;
  if (o.syscalls > 0) {
    for (const auto& backend : o.backends) {
      for (const char* mode : {"persistent", "relaunch"}) {
        srows.push_back(time_syscalls(backend, mode, o.syscalls, o.jit));
      }
    }
    std::printf("\nsyscall round trip (getpid loop)\n%-8s %-12s %10s %12s %12s\n", "backend",
                "mode", "calls", "median us", "mean us");
    for (const auto& r : srows) {
      std::printf("%-8s %-12s %10llu %12.2f %12.2f\n", r.backend.c_str(), r.mode.c_str(),
                  static_cast<unsigned long long>(r.calls), r.median_us, r.mean_us);
    }
  }
  if (!o.json_path.empty()) {
    std::ofstream f(o.json_path);
    if (!f) throw Error("cannot write " + o.json_path);
    f << "[\n";
    const size_t n = rows.size() + srows.size();
    size_t i = 0;
    for (const auto& r : rows) {
      f << "  {\"backend\": \"" << r.backend << "\", \"mode\": \"" << r.mode
        << "\", \"workload\": \"" << r.workload << "\", \"jit\": \"" << r.jit
        << "\", \"cycles\": " << r.cycles << ", \"seconds\": " << r.seconds
        << ", \"ips\": " << r.ips << "}" << (++i < n ? ",\n" : "\n");
    }
    for (const auto& r : srows) {
      f << "  {\"backend\": \"" << r.backend << "\", \"mode\": \"" << r.mode
        << "\", \"workload\": \"syscall_getpid\", \"calls\": " << r.calls
        << ", \"median_us\": " << r.median_us << ", \"mean_us\": " << r.mean_us << "}"
        << (++i < n ? ",\n" : "\n");
    }
    f << "]\n";
  }
  return 0;
}

}  // namespace kvrm::cli

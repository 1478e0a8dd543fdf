// The subcommands of the kvrm program.
#pragma once

#include <CLI/CLI.hpp>
#include <string>
#include <vector>

#include "engines/cuda/cuda_engine.hpp"
#include "isa/hd.hpp"

namespace kvrm::cli {

// Block translation on the CUDA backends (--jit, --jit-threshold, --jit-cache; JitOptions).
struct JitCliOptions {
  std::string mode = "auto";
  u32 threshold = 64;
  std::string cache;  // "": the default place
};
void add_jit_options(CLI::App* app, JitCliOptions& o);
JitOptions jit_options(const JitCliOptions& o);
// The batch GPU backend's frame layout (--frame-layout linear|interleaved; BackendOptions).
void add_frame_layout_option(CLI::App* app, std::string& layout);
u32 frame_shift(const std::string& layout);
// One line about what the translator did, for --stats.
std::string describe_jit(const JitStats& s);

struct BenchOptions {
  std::vector<std::string> backends{"cpu"};
  std::vector<std::string> workloads{"add_b", "add_str_b"};
  u64 cycles = 100'000'000;
  int repeat = 3;
  u64 cycles_per_batch = 10'000'000;
  u64 syscalls = 20'000;  // round trips timed by the syscall benchmark (0: skip it)
  bool list_backends = false;
  std::string json_path;
  JitCliOptions jit{};
};
void add_bench_command(CLI::App& app, BenchOptions& o);
int run_bench(const BenchOptions& o);

struct RunOptions {
  std::string backend = "auto";
  std::string syscalls = "persistent";  // persistent | relaunch
  bool strace = false;
  bool stats = false;
  u64 max_instructions = 0;
  double timeout = 0;
  std::vector<std::string> set_env, unset_env;
  std::string root = "/";            // --root: the guest's "/"
  std::vector<std::string> rw_dirs;  // --rw: where the guest may write
  std::string ld_prefix;             // -L (else KVRM_LD_PREFIX): the target's sysroot
  JitCliOptions jit{};
  std::string program;
  std::vector<std::string> args;
  CLI::App* app = nullptr;  // the subcommand, for the program and its arguments
};
void add_run_command(CLI::App& app, RunOptions& o);
// The host's environment with -U names removed and -E VAR=VALUE set (kvrm run, kvrm batch).
std::vector<std::string> guest_environment(const std::vector<std::string>& set_env,
                                           const std::vector<std::string>& unset_env);
int run_run(RunOptions& o);

struct BatchCliOptions {
  std::string program;
  std::vector<std::string> args;
  u64 lanes = 0;
  std::string stdin_dir, args_file, out_dir;
  bool json = false;
  std::string backend = "auto";
  unsigned threads = 0;
  bool stats = false;
  u64 max_instructions = 0;
  double timeout = 0;
  std::string memory_limit = "256M";
  u64 slice = 0;
  std::vector<int> devices;
  double launch_end = -1;  // < 0: the library's default
  std::string lane_order = "pc";
  u32 lanes_per_warp = 0;
  std::string frame_layout = "linear";
  bool no_progress = false;
  std::vector<std::string> set_env, unset_env;
  std::string root = "/";
  std::vector<std::string> rw_dirs;
  JitCliOptions jit{};
};
void add_batch_command(CLI::App& app, BatchCliOptions& o);

struct BenchBatchOptions {
  std::vector<u32> lanes{1, 4, 16, 64, 256, 1024, 4096};
  std::vector<std::string> workloads{"add_b", "add_str_b"};
  std::string backend = "auto";
  unsigned threads = 0;
  u64 cycles = 0;  // per lane; 0: total_cycles / lanes, at least min_cycles
  u64 total_cycles = 100'000'000;
  u64 min_cycles = 10'000;
  int repeat = 3;
  std::string json_path;
  std::vector<int> devices;        // CUDA devices (empty: all visible)
  std::vector<u32> device_counts;  // time on the first N of them for each N (scaling)
  std::string frame_layout = "linear";
  JitCliOptions jit{};
};
// `kvrm bench batch`: a subcommand of `bench` (cli/bench_batch.cpp).
void add_bench_batch_command(CLI::App& bench, BenchBatchOptions& o);
int run_bench_batch(const BenchBatchOptions& o);
int run_batch_command(BatchCliOptions& o);

}  // namespace kvrm::cli

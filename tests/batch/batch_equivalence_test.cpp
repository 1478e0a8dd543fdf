// The batch engine lane by lane against the reference engine: every lane's stdout, stderr, exit
// status, instruction and syscall counts must equal those of the same input run alone as an
// os::Process on make_reference_engine(), for lanes that exit early, fault, abort, run long,
// make many syscalls and read different inputs; under every schedule (fused, phased with
// device-style copy-on-write, one thread, tiny slices, one lane resident at a time). Also the
// limits (instructions, memory, timeout), lanes blocked in the host (sleeping, waiting for a
// stdin FIFO) beside others, and the errors. The guest program (tests/batch/lanes.c) is built
// at test time; without the AArch64 cross compiler the tests skip, saying so.
#include <gtest/gtest.h>

#include <sys/stat.h>
#include <unistd.h>
#include <algorithm>
#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <string>
#include <thread>
#include <vector>

#include "batch/batch.hpp"
#include "engines/cuda/cuda_engine.hpp"
#include "engines/engine.hpp"
#include "os/elf.hpp"
#include "os/process.hpp"

namespace kvrm::batch {
namespace {

std::string lanes_program() {
  const char* p = std::getenv("KVRM_BATCH_LANES");
  struct stat st;
  if (!p || ::stat(p, &st) != 0) return "";
  return p;
}

#define REQUIRE_GUEST(prog)                                                                   \
  const std::string prog = lanes_program();                                                   \
  if (prog.empty())                                                                           \
    GTEST_SKIP() << "no guest program: KVRM_BATCH_LANES unset or missing (needs the aarch64-" \
                    "linux-gnu-gcc cross compiler at build time)";

const std::vector<std::string> kEnv = {"PATH=/usr/bin:/bin", "HOME=/", "LANG=C"};

struct Outcome {
  int status = 0;
  std::string out, err;
  u64 instructions = 0, syscalls = 0;
};

// The oracle: one input alone on the reference engine.
Outcome reference(const std::string& prog, const LaneSpec& spec, u64 max_instructions = 0) {
  auto e = make_reference_engine();
  Outcome o;
  os::ProcessOptions po;
  po.path = prog;
  po.argv = {prog};
  po.argv.insert(po.argv.end(), spec.args.begin(), spec.args.end());
  po.envp = kEnv;
  for (const auto& v : spec.env) {
    const std::string key = v.substr(0, v.find('=') + 1);
    std::erase_if(po.envp, [&](const std::string& s) { return s.rfind(key, 0) == 0; });
    po.envp.push_back(v);
  }
  po.max_instructions = max_instructions;
  po.stdin_data = &spec.stdin_data;
  po.stdout_buffer = &o.out;
  po.stderr_buffer = &o.err;
  os::Process p(*e, po);
  o.status = p.run();
  o.instructions = p.stats().instructions;
  o.syscalls = p.stats().syscalls;
  return o;
}

LaneSpec lane(std::vector<std::string> args, std::string in = "",
              std::vector<std::string> env = {}) {
  return LaneSpec{.args = std::move(args), .stdin_data = std::move(in), .env = std::move(env)};
}

std::string text_input(int seed, int lines) {
  std::string s;
  u64 x = 0x9e3779b97f4a7c15ull * (seed + 1);
  for (int i = 0; i < lines; ++i) {
    x ^= x << 13, x ^= x >> 7, x ^= x << 17;
    s += "item-" + std::to_string(x % 100000) + " " + std::to_string(i) + "\n";
  }
  return s;
}

std::vector<LaneSpec> mixed_lanes() {
  std::vector<LaneSpec> v;
  v.push_back(lane({"hello", "one", "two words", ""}, "", {"LANE_VAR=first"}));
  v.push_back(lane({"exit", "0"}));
  v.push_back(lane({"exit", "3"}));
  v.push_back(lane({"loop", "300000"}));  // runs long: a few million instructions
  v.push_back(lane({"segv", "0"}));
  v.push_back(lane({"exit", "255"}));
  v.push_back(lane({"syscalls", "400"}));
  v.push_back(lane({"abort"}));
  v.push_back(lane({"stdin"}, text_input(1, 2000)));
  v.push_back(lane({"trap"}));
  v.push_back(lane({"segv", "0x1234"}));
  v.push_back(lane({"stdin"}, ""));
  v.push_back(lane({"malloc", "3"}));
  v.push_back(lane({"nonsense"}));
  v.push_back(lane({"hello"}, "", {"LANE_VAR=second", "HOME=/tmp"}));
  v.push_back(lane({}));
  for (int i = 0; i < 12; ++i) {
    v.push_back(lane({"stdin"}, text_input(i + 10, 10 * i + 1)));
    v.push_back(lane({"loop", std::to_string(1000 * i)}));
  }
  v.push_back(lane({"syscalls", "33"}));
  v.push_back(lane({"signals", "25"}));  // faults a handler recovers from: the lane goes on
  return v;
}

// Lane i's result is what the reference engine gave for its input alone.
void expect_lane_same(const Outcome& ref, const LaneResult& l, const std::string& what, size_t i) {
  EXPECT_EQ(l.exit_status, ref.status) << what << " lane " << i;
  EXPECT_EQ(l.stdout_data, ref.out) << what << " lane " << i;
  EXPECT_EQ(l.stderr_data, ref.err) << what << " lane " << i;
  EXPECT_EQ(l.instructions, ref.instructions) << what << " lane " << i;
  EXPECT_EQ(l.syscalls, ref.syscalls) << what << " lane " << i;
}

void expect_same(const std::vector<Outcome>& ref, const BatchResult& r, const std::string& what) {
  ASSERT_EQ(r.lanes.size(), ref.size());
  u64 instructions = 0;
  for (size_t i = 0; i < ref.size(); ++i) {
    const LaneResult& l = r.lanes[i];
    expect_lane_same(ref[i], l, what, i);
    EXPECT_NE(l.end, LaneEnd::NotRun);
    instructions += l.instructions;
  }
  EXPECT_EQ(r.stats.instructions, instructions) << what;
}

TEST(BatchEquivalence, MixedLanesMatchTheReferenceEngine) {
  REQUIRE_GUEST(prog);
  const std::vector<LaneSpec> specs = mixed_lanes();
  std::vector<Outcome> ref;
  for (const auto& s : specs) ref.push_back(reference(prog, s));
  // The lanes really differ.
  EXPECT_EQ(ref[1].status, 0);
  EXPECT_EQ(ref[2].status, 3);
  EXPECT_EQ(ref[4].status, 139);
  EXPECT_EQ(ref[7].status, 134);
  EXPECT_EQ(ref[9].status, 133);
  EXPECT_GT(ref[3].instructions, 2'000'000u);
  EXPECT_GT(ref[6].syscalls, 400u);
  EXPECT_EQ(ref.back().out, "usr1 handled: 10\nrecovered from 25 faults\n");

  struct Config {
    const char* name;
    unsigned threads;
    bool phased, device_cow;
    u64 slice;
    u32 resident;
  };
  const Config configs[] = {
      {"fused", 2, false, false, u64{1} << 22, 0},
      {"phased, device-style copy on write", 2, true, true, u64{1} << 22, 0},
      {"one thread, 1000-instruction slices", 1, false, false, 1000, 0},
      {"phased, 777-instruction slices, all lanes resident", 2, true, false, 777, 1000},
      {"one lane resident", 2, false, true, u64{1} << 20, 1},
  };
  for (const Config& c : configs) {
    std::vector<u32> order;
    BatchOptions o{.program = prog,
                   .env = kEnv,
                   .lanes = specs,
                   .backend = "cpu",
                   .threads = c.threads,
                   .slice_instructions = c.slice,
                   .max_resident_lanes = c.resident,
                   .phased = c.phased,
                   .device_style_cow = c.device_cow,
                   .on_lane_done = [&](u32 lane, LaneResult&) { order.push_back(lane); }};
    const BatchResult r = run_batch(o);
    expect_same(ref, r, c.name);
    EXPECT_EQ(r.stats.schedule, c.phased ? "phased" : "fused") << c.name;
    EXPECT_EQ(order.size(), specs.size()) << c.name;  // every lane reported, once
    std::sort(order.begin(), order.end());
    EXPECT_TRUE(std::adjacent_find(order.begin(), order.end()) == order.end()) << c.name;
    if (c.resident) {
      EXPECT_LE(r.stats.peak_resident_lanes, c.resident) << c.name;
    }
    // How the lanes ended.
    EXPECT_EQ(r.lanes[1].end, LaneEnd::Exited);
    EXPECT_EQ(r.lanes[4].end, LaneEnd::Signaled);
    EXPECT_EQ(r.lanes[4].signal, 11);
    EXPECT_NE(r.lanes[4].description.find("FAULT: write of unmapped address 0x0"),
              std::string::npos)
        << r.lanes[4].description;
    EXPECT_EQ(r.lanes[7].end, LaneEnd::Signaled);
    EXPECT_EQ(r.lanes[7].signal, 6);
    EXPECT_EQ(r.lanes[9].signal, 5);
  }
}

// The mixed lanes on a runner backend ("cuda", or "host-mirror": the same scheduling over host
// runners that keep their own copies of frames and tables, as GPUs do) under each scheduling
// choice: two slice sizes; launches that end when the first lane stops, or only when all have;
// lanes in PC or lane order; 1, 3, 32 or the automatic number of lanes per warp; sharded over
// three runners (lanes change shards between rounds, so frames one runner's lanes wrote must
// reach the others); and the runners' copies of the frames linear, interleaved in groups of 4
// or of 32 (isa/mmu.hpp, frame_start).
void check_runner_backend(const std::string& prog, const std::string& backend) {
  const std::vector<LaneSpec> specs = mixed_lanes();
  std::vector<Outcome> ref;
  for (const auto& s : specs) ref.push_back(reference(prog, s));
  struct Choice {
    u64 slice;
    double end;
    bool by_pc;
    std::vector<int> devices;
    u32 per_warp;
    u32 shift;
  };
  const double first = 1.0 / static_cast<double>(specs.size());
  for (const Choice& c :
       {Choice{u64{1} << 22, 0.5, true, {}, 0, 5}, Choice{777, 0.5, true, {}, 32, 5},
        Choice{u64{1} << 22, first, true, {}, 0, 0}, Choice{5000, 1.0, false, {}, 3, 2},
        Choice{3000, first, true, {0, 0, 0}, 1, 5}, Choice{3000, first, true, {0, 0}, 1, 0}}) {
    const BatchResult r = run_batch({.program = prog,
                                     .env = kEnv,
                                     .lanes = specs,
                                     .backend = backend,
                                     .threads = 2,
                                     .timeout_seconds = 300,  // a wrong result may never end
                                     .slice_instructions = c.slice,
                                     .devices = c.devices,
                                     .launch_end_fraction = c.end,
                                     .order_by_pc = c.by_pc,
                                     .lanes_per_warp = c.per_warp,
                                     .frame_shift = c.shift});
    const std::string what = backend + ", slice " + std::to_string(c.slice) + ", end " +
                             std::to_string(c.end) + (c.by_pc ? ", by pc" : ", by lane") + ", " +
                             std::to_string(c.devices.size()) + " devices named, " +
                             std::to_string(c.per_warp) + " lanes per warp, frame shift " +
                             std::to_string(c.shift);
    expect_same(ref, r, what.c_str());
    EXPECT_EQ(r.stats.backend, backend);
    EXPECT_EQ(r.stats.schedule, "phased");
    EXPECT_EQ(r.lanes[4].signal, 11);
    EXPECT_EQ(r.lanes[7].signal, 6);
    EXPECT_GT(r.stats.kernel_seconds, 0);
    EXPECT_GT(r.stats.transfer_seconds, 0);
  }
}

// On the GPU (the CUDA lane runner: all lanes of a shard in one launch per round). Skipped
// without a GPU.
TEST(BatchEquivalence, MixedLanesOnTheGpuMatchTheReferenceEngine) {
  REQUIRE_GUEST(prog);
  std::string why;
  if (!cuda_available(&why)) GTEST_SKIP() << why;
  check_runner_backend(prog, "cuda");
  EXPECT_THROW(
      Batch({.program = prog, .lanes = {LaneSpec{}}, .backend = "cuda", .devices = {1000}}), Error);
}

// The CUDA backend's host side without a GPU: a stale copy on a runner would show as a lane
// reading old memory.
TEST(BatchEquivalence, MixedLanesOnMirroringRunnersMatchTheReferenceEngine) {
  REQUIRE_GUEST(prog);
  check_runner_backend(prog, "host-mirror");
}

TEST(BatchEquivalence, InstructionLimitMatchesTheReference) {
  REQUIRE_GUEST(prog);
  const std::vector<LaneSpec> specs = {lane({"loop", "1000000"}), lane({"exit", "4"}),
                                       lane({"syscalls", "5000"}), lane({"loop", "10"})};
  constexpr u64 kLimit = 60'000;
  std::vector<Outcome> ref;
  for (const auto& s : specs) ref.push_back(reference(prog, s, kLimit));
  EXPECT_EQ(ref[0].status, os::kExitTimeout);
  for (const bool phased : {false, true}) {
    const BatchResult r = run_batch({.program = prog,
                                     .env = kEnv,
                                     .lanes = specs,
                                     .backend = "cpu",
                                     .max_instructions = kLimit,
                                     .slice_instructions = 7000,
                                     .phased = phased});
    expect_same(ref, r, phased ? "phased" : "fused");
    EXPECT_EQ(r.lanes[0].end, LaneEnd::InstructionLimit);
    EXPECT_EQ(r.lanes[0].instructions, kLimit);
    EXPECT_EQ(r.lanes[1].end, LaneEnd::Exited);
    EXPECT_EQ(r.lanes[2].end, LaneEnd::InstructionLimit);
  }
}

TEST(BatchEquivalence, OutOfMemoryEndsOnlyThatLane) {
  REQUIRE_GUEST(prog);
  const std::vector<LaneSpec> specs = {lane({"malloc", "16"}), lane({"hello"}),
                                       lane({"malloc", "1"})};
  for (const bool device_cow : {false, true}) {
    const BatchResult r = run_batch({.program = prog,
                                     .env = kEnv,
                                     .lanes = specs,
                                     .backend = "cpu",
                                     .lane_memory_limit = u64{4} << 20,
                                     .device_style_cow = device_cow});
    EXPECT_EQ(r.lanes[0].end, LaneEnd::OutOfMemory);
    EXPECT_EQ(r.lanes[0].exit_status, 137);
    EXPECT_EQ(r.lanes[0].signal, 9);
    EXPECT_NE(r.lanes[0].stderr_data.find("kvrm: out of memory: the lane's limit of 4194304"),
              std::string::npos)
        << r.lanes[0].stderr_data;
    EXPECT_LE(r.lanes[0].peak_memory, u64{4} << 20);
    const Outcome ref = reference(prog, specs[1]);
    EXPECT_EQ(r.lanes[1].stdout_data, ref.out);
    EXPECT_EQ(r.lanes[1].exit_status, 0);
    EXPECT_EQ(r.lanes[2].stdout_data, "touched 1 MiB, sum 32640\n");
    EXPECT_EQ(r.lanes[2].exit_status, 0);
  }
}

TEST(BatchEquivalence, TimeoutEndsTheBatch) {
  REQUIRE_GUEST(prog);
  const std::vector<LaneSpec> specs(3, lane({"loop", "1000000000"}));
  const BatchResult r = run_batch({.program = prog,
                                   .env = kEnv,
                                   .lanes = specs,
                                   .backend = "cpu",
                                   .timeout_seconds = 0.3,
                                   .slice_instructions = 100'000,
                                   .max_resident_lanes = 1});
  EXPECT_LT(r.stats.seconds, 5.0);
  EXPECT_EQ(r.lanes[0].end, LaneEnd::Timeout);
  EXPECT_EQ(r.lanes[0].exit_status, os::kExitTimeout);
  EXPECT_NE(r.lanes[0].stderr_data.find("kvrm: timeout (0.3 s) reached at pc 0x"),
            std::string::npos);
  EXPECT_GT(r.lanes[0].instructions, 0u);
  for (int i = 1; i < 3; ++i) {
    EXPECT_EQ(r.lanes[i].end, LaneEnd::NotRun);
    EXPECT_EQ(r.lanes[i].exit_status, os::kExitTimeout);
    EXPECT_EQ(r.lanes[i].instructions, 0u);
  }
}

// The schedules a lane can run under: fused on host threads, phased on host threads, phased on
// the runners that mirror a GPU's (the CUDA backend's host side), and on the GPU where there is
// one.
struct Schedule {
  const char* backend;
  bool phased;
};
std::vector<Schedule> schedules() {
  std::vector<Schedule> v = {{"cpu", false}, {"cpu", true}, {"host-mirror", false}};
  if (cuda_available()) v.push_back({"cuda", false});
  return v;
}

double seconds_since(std::chrono::steady_clock::time_point t0) {
  return std::chrono::duration<double>(std::chrono::steady_clock::now() - t0).count();
}

// A lane blocked in the host holds no other. Two lanes sleep in nanosleep (30 s, and a few times
// as long as the quick lanes take alone, at least 1 s) among quick ones, with room for four
// lanes at once: on every schedule the quick lanes end, with the reference engine's results,
// before the short sleeper wakes (the sleepers, parked, leave their room to the others); the
// short sleeper then ends with its own result; the batch's timeout ends the long one, blocked,
// with 124 and the batch's message within 100 ms (the bound checked with room for a loaded
// host).
TEST(BatchEquivalence, BlockedLanesHoldNoOther) {
  REQUIRE_GUEST(prog);
  std::vector<LaneSpec> quick;
  for (int i = 0; i < 40; ++i) {
    const std::string n = std::to_string(i);
    switch (i % 4) {
      case 0: quick.push_back(lane({"hello", n})); break;
      case 1: quick.push_back(lane({"exit", n})); break;
      case 2: quick.push_back(lane({"loop", std::to_string(1000 * i)})); break;
      default: quick.push_back(lane({"syscalls", "20"})); break;
    }
  }
  // How long the quick lanes take alone (with the room the sleepers leave them) on this host
  // and build: the short sleeper sleeps several times that.
  double alone = 0;
  for (const Schedule& sc : schedules()) {
    const auto t0 = std::chrono::steady_clock::now();
    run_batch({.program = prog,
               .env = kEnv,
               .lanes = quick,
               .backend = sc.backend,
               .threads = 2,
               .max_resident_lanes = 2,
               .phased = sc.phased});
    alone = std::max(alone, seconds_since(t0));
  }
  const int short_ms = std::max(1000, static_cast<int>(4000 * alone) + 200);
  const double timeout = short_ms / 1000.0 + 1.0;
  std::vector<LaneSpec> specs = {lane({"sleep", "30000"}),
                                 lane({"sleep", std::to_string(short_ms)})};
  specs.insert(specs.end(), quick.begin(), quick.end());
  std::vector<Outcome> ref(specs.size());  // the 30-second sleeper has none
  for (size_t i = 1; i < specs.size(); ++i) ref[i] = reference(prog, specs[i]);
  EXPECT_EQ(ref[1].out, "slept " + std::to_string(short_ms) + " ms: 0\n");
  char message[64];
  std::snprintf(message, sizeof message, "kvrm: timeout (%g s) reached at pc 0x", timeout);
  for (const Schedule& sc : schedules()) {
    const std::string what = std::string(sc.backend) + (sc.phased ? ", phased" : "");
    std::vector<double> done_at(specs.size(), -1);
    const auto t0 = std::chrono::steady_clock::now();
    const BatchResult r = run_batch(
        {.program = prog,
         .env = kEnv,
         .lanes = specs,
         .backend = sc.backend,
         .threads = 2,
         .timeout_seconds = timeout,
         .max_resident_lanes = 4,
         .phased = sc.phased,
         .on_lane_done = [&](u32 lane, LaneResult&) { done_at[lane] = seconds_since(t0); }});
    const double total = seconds_since(t0);
    for (size_t i = 1; i < specs.size(); ++i) {
      expect_lane_same(ref[i], r.lanes[i], what, i);
      if (i >= 2) {
        EXPECT_LT(done_at[i], short_ms / 1000.0)
            << what << " lane " << i << " waited for a sleeper (alone: " << alone << " s)";
      }
    }
    EXPECT_EQ(r.lanes[1].end, LaneEnd::Exited) << what;
    EXPECT_GE(done_at[1], short_ms / 1000.0) << what;
    const LaneResult& sleeper = r.lanes[0];
    EXPECT_EQ(sleeper.end, LaneEnd::Timeout) << what;
    EXPECT_EQ(sleeper.exit_status, os::kExitTimeout) << what;
    EXPECT_EQ(sleeper.stdout_data, "") << what;
    EXPECT_EQ(sleeper.stderr_data.rfind(message, 0), 0u) << what << ": " << sleeper.stderr_data;
    EXPECT_EQ(std::count(sleeper.stderr_data.begin(), sleeper.stderr_data.end(), '\n'), 1)
        << what << ": " << sleeper.stderr_data;
    EXPECT_GE(done_at[0], timeout) << what;
    EXPECT_LT(total, timeout + 0.4) << what;
    EXPECT_LE(r.stats.peak_resident_lanes, 5u) << what;  // 4, and a sleeper once it wakes
  }
}

// Lanes still executing at the batch's timeout end within 100 ms of it, whatever the slice
// (bound checked with room for a loaded host); a lane that ended before keeps its result.
TEST(BatchEquivalence, TimeoutEndsRunningLanesPromptly) {
  REQUIRE_GUEST(prog);
  const std::vector<LaneSpec> specs = {lane({"loop", "1000000000"}), lane({"exit", "7"}),
                                       lane({"loop", "1000000000"})};
  for (const Schedule& sc : schedules()) {
    for (const u64 slice : {u64{1} << 22, u64{1} << 40}) {
      const std::string what = std::string(sc.backend) + (sc.phased ? ", phased" : "") +
                               ", slice " + std::to_string(slice);
      const auto t0 = std::chrono::steady_clock::now();
      const BatchResult r = run_batch({.program = prog,
                                       .env = kEnv,
                                       .lanes = specs,
                                       .backend = sc.backend,
                                       .threads = 2,
                                       .timeout_seconds = 0.5,
                                       .slice_instructions = slice,
                                       .phased = sc.phased});
      EXPECT_LT(seconds_since(t0), 0.5 + 0.3) << what;
      for (const int i : {0, 2}) {
        EXPECT_EQ(r.lanes[i].end, LaneEnd::Timeout) << what;
        EXPECT_EQ(r.lanes[i].exit_status, os::kExitTimeout) << what;
        EXPECT_GT(r.lanes[i].instructions, 0u) << what;
      }
      EXPECT_EQ(r.lanes[1].end, LaneEnd::Exited) << what;
      EXPECT_EQ(r.lanes[1].exit_status, 7) << what;
    }
  }
}

// A lane's stdin file may be a FIFO: the lane starts once its writer has written and closed it,
// without holding the other lanes, and the batch's timeout ends the wait for one that no writer
// opens (the lane counts as not started).
TEST(BatchEquivalence, StdinFifosWaitForTheirWriter) {
  REQUIRE_GUEST(prog);
  char dir[] = "/tmp/kvrm-fifo-XXXXXX";
  ASSERT_NE(::mkdtemp(dir), nullptr);
  const std::string fed = std::string(dir) + "/fed", never = std::string(dir) + "/never";
  ASSERT_EQ(::mkfifo(fed.c_str(), 0600), 0);
  ASSERT_EQ(::mkfifo(never.c_str(), 0600), 0);
  const std::string input = text_input(7, 50);
  std::thread writer([&] {
    std::this_thread::sleep_for(std::chrono::milliseconds(600));
    FILE* f = std::fopen(fed.c_str(), "w");
    if (!f) return;
    std::fwrite(input.data(), 1, input.size(), f);
    std::fclose(f);
  });
  std::vector<double> done_at(3, -1);
  const auto t0 = std::chrono::steady_clock::now();
  const BatchResult r = run_batch(
      {.program = prog,
       .env = kEnv,
       .lanes = {LaneSpec{.args = {"stdin"}, .stdin_path = fed},
                 LaneSpec{.args = {"stdin"}, .stdin_path = never}, lane({"exit", "3"})},
       .backend = "cpu",
       .threads = 2,
       .timeout_seconds = 1.5,
       .on_lane_done = [&](u32 lane, LaneResult&) { done_at[lane] = seconds_since(t0); }});
  writer.join();
  ::unlink(fed.c_str());
  ::unlink(never.c_str());
  ::rmdir(dir);
  const Outcome ref = reference(prog, lane({"stdin"}, input));
  EXPECT_EQ(r.lanes[0].stdout_data, ref.out);
  EXPECT_EQ(r.lanes[0].exit_status, 0);
  EXPECT_EQ(r.lanes[0].instructions, ref.instructions);
  EXPECT_GE(done_at[0], 0.6);
  EXPECT_EQ(r.lanes[1].end, LaneEnd::NotRun);
  EXPECT_EQ(r.lanes[1].exit_status, os::kExitTimeout);
  EXPECT_EQ(r.lanes[1].stderr_data, "kvrm: timeout (1.5 s) reached before the lane started\n");
  EXPECT_EQ(r.lanes[2].exit_status, 3);
  EXPECT_LT(done_at[2], done_at[0]);  // did not wait for a FIFO
  EXPECT_LT(r.stats.seconds, 1.5 + 0.4);
}

TEST(BatchEquivalence, ManyLanesStayWithinTheResidentSet) {
  REQUIRE_GUEST(prog);
  std::vector<LaneSpec> specs;
  for (int i = 0; i < 1500; ++i) specs.push_back(lane({"exit", std::to_string(i % 200)}));
  const BatchResult r =
      run_batch({.program = prog, .env = kEnv, .lanes = specs, .backend = "cpu", .threads = 2});
  for (int i = 0; i < 1500; ++i) {
    ASSERT_EQ(r.lanes[i].exit_status, i % 200) << i;
    ASSERT_EQ(r.lanes[i].end, LaneEnd::Exited);
  }
  EXPECT_LE(r.stats.peak_resident_lanes, 8u);
  // Lane pages at most: a resident set's worth, not 1500 lanes' worth.
  EXPECT_LT(r.stats.peak_pool_bytes, u64{32} << 20);
  EXPECT_GT(r.stats.image_bytes, 0u);
}

TEST(BatchEquivalence, LaneInputErrors) {
  REQUIRE_GUEST(prog);
  const LaneSpec missing{.args = {"stdin"}, .stdin_path = "/nonexistent/input"};
  // One lane resident at a time: lanes that fail to start must not end the batch early.
  const BatchResult r = run_batch({.program = prog,
                                   .env = kEnv,
                                   .lanes = {missing, missing, lane({"exit", "1"})},
                                   .backend = "cpu",
                                   .max_resident_lanes = 1});
  for (int i = 0; i < 2; ++i) {
    EXPECT_EQ(r.lanes[i].end, LaneEnd::ExecFailed);
    EXPECT_EQ(r.lanes[i].exit_status, 1);
    EXPECT_NE(r.lanes[i].stderr_data.find("/nonexistent/input"), std::string::npos);
  }
  EXPECT_EQ(r.lanes[2].exit_status, 1);
  EXPECT_EQ(r.lanes[2].end, LaneEnd::Exited);
}

TEST(BatchErrors, ProgramAndOptions) {
  try {
    Batch b({.program = "/nonexistent/program", .lanes = {LaneSpec{}}, .backend = "cpu"});
    FAIL() << "a missing program must not start";
  } catch (const os::ExecError& e) {
    EXPECT_EQ(e.status(), os::kExitNotFound);
  }
  try {
    Batch b({.program = "/etc/passwd", .lanes = {LaneSpec{}}, .backend = "cpu"});
    FAIL() << "a text file must not start";
  } catch (const os::ExecError& e) {
    EXPECT_EQ(e.status(), os::kExitNotExecutable);
  }
  EXPECT_THROW(Batch({.program = "/etc/passwd", .backend = "cpu"}), Error);  // no lanes
  EXPECT_THROW(Batch({.program = "/etc/passwd",
                      .lanes = {LaneSpec{}},
                      .backend = "cpu",
                      .launch_end_fraction = 0}),
               Error);
  EXPECT_THROW(Batch({.program = "/etc/passwd", .lanes = {LaneSpec{}}, .backend = "gpu"}), Error);
  if (!cuda_available()) {
    try {
      Batch b({.program = "/etc/passwd", .lanes = {LaneSpec{}}, .backend = "cuda"});
      FAIL() << "a CUDA batch without a GPU";
    } catch (const os::ExecError&) {
      FAIL() << "the backend is checked first";
    } catch (const Error& e) {
      EXPECT_NE(std::string(e.what()).find("not available"), std::string::npos);
    }
  }
  EXPECT_THROW(
      Batch(
          {.program = "/etc/passwd", .env = {"NOEQUALS"}, .lanes = {LaneSpec{}}, .backend = "cpu"}),
      Error);
}

}  // namespace
}  // namespace kvrm::batch

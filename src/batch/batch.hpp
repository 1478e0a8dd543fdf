// kvrm's batch engine for Linux programs: one static AArch64 program run as N independent
// processes ("lanes"), each with its own arguments, environment, standard input, memory and
// exit status, over one shared copy of the loaded program (pages copied on write). Lanes execute
// in rounds on a Backend (backend.hpp) and their syscalls are serviced in between by the host's
// OS layer (os::Process); a lane that exits or faults ends alone, and a lane blocked in the host
// (a sleep, a wait) sits out the rounds until its syscall returns, never holding the others.
//
//   kvrm::batch::BatchOptions o{.program = "./sum", .args = {"-v"}};
//   o.lanes.push_back({.stdin_data = "1 2 3\n"});
//   o.lanes.push_back({.args = {"--hex"}, .stdin_path = "input2.txt"});
//   kvrm::batch::BatchResult r = kvrm::batch::run_batch(o);
//   // r.lanes[1].exit_status, r.lanes[1].stdout_data, r.stats.instructions ...
#pragma once

#include <functional>
#include <memory>
#include <string>
#include <vector>

#include "batch/lane_memory.hpp"
#include "engines/cuda/cuda_engine.hpp"
#include "isa/hd.hpp"
#include "os/sandbox.hpp"

namespace kvrm::batch {

// One lane's input.
struct LaneSpec {
  std::vector<std::string> args{};  // arguments after BatchOptions::args
  std::string stdin_data{};         // what the lane reads on fd 0 (then EOF)...
  std::string stdin_path{};         // ...or, when set, this host file's contents (read when the
                                    // lane starts)
  std::vector<std::string> env{};   // VAR=VALUE, added to (or replacing in) BatchOptions::env
};

// How a lane ended.
enum class LaneEnd : u8 {
  NotRun = 0,        // never started (the batch's timeout came first)
  Exited = 1,        // exit/exit_group: exit_status is the guest's
  Signaled = 2,      // a fatal signal (fault, UNDEFINED, BRK, kill/abort): 128 + signal
  InstructionLimit,  // BatchOptions::max_instructions used up: 124
  Timeout,           // BatchOptions::timeout_seconds passed: 124
  OutOfMemory,       // the lane's memory limit was reached: 137 (as if SIGKILLed)
  ExecFailed,        // the process could not be started: 127, 126 or 1 as `kvrm run` says
  InternalError,     // a kvrm error while servicing the lane: 70
};
const char* lane_end_name(LaneEnd e);

struct LaneResult {
  LaneEnd end = LaneEnd::NotRun;
  int exit_status = -1;  // as `kvrm run` would return it for this input
  int signal = 0;        // the fatal signal (Signaled, OutOfMemory), else 0
  std::string stdout_data{};
  std::string stderr_data{};  // the guest's fd 2 and kvrm's messages about the lane
  u64 instructions = 0;
  u64 syscalls = 0;
  u64 peak_memory = 0;        // most bytes of pages the lane owned (written) at once; on a
                              // GPU also fresh pages taken ahead of writes (LaneMemory::
                              // resolve_cow), so it may exceed the CPU backend's figure
  std::string description{};  // one line: "exited with status 0", "FAULT: write to unmapped ..."
};

struct BatchStats {
  u32 lanes = 0;
  u64 instructions = 0;  // all lanes together
  u64 syscalls = 0;
  u64 rounds = 0;  // execute/service rounds the scheduler ran
  u64 cow_copies = 0;
  double seconds = 0;           // wall time of run()
  double ips = 0;               // instructions / seconds
  double execute_seconds = 0;   // of which lanes executing on the backend (wall time)...
  double service_seconds = 0;   // ...and the host starting lanes and servicing their stops
  double kernel_seconds = 0;    // device backends: launches (summed over devices)...
  double transfer_seconds = 0;  // ...and moving frames, tables and lane records
  double jit_seconds = 0;       // ...and translating hot code on the host
  JitStats jit{};               // block translation (device backends)
  u32 peak_resident_lanes = 0;  // lanes parked (blocked in the host) not counted
  u64 peak_pool_bytes = 0;      // most frame memory in use at once (private pages of all lanes)
  u64 image_bytes = 0;          // the shared program image
  std::string backend{};        // the backend that ran it
  std::string schedule{};       // "fused" or "phased"
  u32 threads = 0;
};

struct BatchProgress {
  u32 lanes = 0, done = 0, running = 0;
  u64 instructions = 0;
  double seconds = 0;
};

struct BatchOptions {
  std::string program{};            // host path of the static AArch64 program (also argv[0])
  std::vector<std::string> args{};  // arguments every lane gets first
  std::vector<std::string> env{};   // the guest environment (VAR=VALUE); LaneSpec::env on top
  std::vector<LaneSpec> lanes{};    // one entry per lane
  std::string backend = "auto";     // "auto", "cpu", "cuda"
  unsigned threads = 0;             // host threads (0: one per CPU)
  u64 max_instructions = 0;         // per lane; 0: none
  double timeout_seconds = 0;       // for the whole batch; 0: none. Lanes that ended by then
                                    // keep their results; the others end with 124 (Timeout)
                                    // within 100 ms, lanes blocked in the host included
  u64 lane_memory_limit = u64{256} << 20;  // bytes of pages one lane may own (write)
  u64 slice_instructions = u64{1} << 22;   // most instructions a lane runs per round
  u32 max_resident_lanes = 0;              // lanes started at once (0: the backend's preference);
                                           // lanes blocked in the host (a sleep, a wait)
                                           // for 100 ms not counted, up to 256 of them
  bool phased = false;            // always the phased schedule (execute all, then service all)
  bool device_style_cow = false;  // tests: copy-on-write faults come back to the host
  // GPU backend (batch/backend.hpp, BackendOptions): the devices the lanes are sharded over
  // (empty: every visible one; a device may be named twice), the fraction of a launch's lanes
  // that must have stopped for the host before the launch ends, whether lanes at the same PC
  // are placed in the same warps, how many lanes share a warp (0: automatic), and the layout of
  // the device's copy of the lanes' pages.
  std::vector<int> devices{};
  double launch_end_fraction = 0.5;
  bool order_by_pc = true;
  u32 lanes_per_warp = 0;
  u32 frame_shift = 0;
  JitOptions jit{};              // GPU backend: block translation of hot code
  os::SandboxOptions sandbox{};  // the guest's view of the file system (default /, read-only)
  // Called on the calling thread as each lane ends, in the order they end; it may move the
  // output out of the result.
  std::function<void(u32 lane, LaneResult& result)> on_lane_done{};
  // Called on the calling thread about every progress_interval seconds.
  std::function<void(const BatchProgress&)> on_progress{};
  double progress_interval = 0.5;
};

struct BatchResult {
  std::vector<LaneResult> lanes{};
  BatchStats stats{};
};

class Batch {
 public:
  // Reads and checks the program and loads the image the lanes share. Throws os::ExecError
  // (status 127 missing, 126 not a static AArch64 executable) or kvrm::Error (bad options).
  explicit Batch(BatchOptions options);
  ~Batch();
  Batch(const Batch&) = delete;
  Batch& operator=(const Batch&) = delete;

  // Runs every lane to its end. Once per Batch.
  BatchResult run();

 private:
  struct Impl;
  std::unique_ptr<Impl> impl_{};
};

// Batch(options).run().
BatchResult run_batch(BatchOptions options);

}  // namespace kvrm::batch

// The batch scheduler: starts lanes (an os::Process on a LaneEngine each), executes them round
// by round on the backend, services their stops (syscalls, faults, copy-on-write) on the host
// threads, and collects each lane's result as it ends.
#include "batch/batch.hpp"

#include <algorithm>
#include <atomic>
#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <fstream>
#include <sstream>

#include "batch/backend.hpp"
#include "batch/lane_engine.hpp"
#include "os/elf.hpp"
#include "os/process.hpp"

namespace kvrm::batch {

const char* lane_end_name(LaneEnd e) {
  switch (e) {
    case LaneEnd::NotRun: return "not-run";
    case LaneEnd::Exited: return "exited";
    case LaneEnd::Signaled: return "signaled";
    case LaneEnd::InstructionLimit: return "instruction-limit";
    case LaneEnd::Timeout: return "timeout";
    case LaneEnd::OutOfMemory: return "out-of-memory";
    case LaneEnd::ExecFailed: return "exec-failed";
    case LaneEnd::InternalError: return "internal-error";
  }
  return "unknown";
}

namespace {

using Clock = std::chrono::steady_clock;

constexpr int kSigKill = 9;
constexpr int kExitInternal = 70;
constexpr u64 kNoSyscall = ~u64{0};
// Fresh pages made a lane's along with one it wrote (LaneMemory::resolve_cow): every fault
// costs a lane on a GPU a round trip to the host, and fresh memory is mostly written in order.
constexpr u32 kCowFaultAround = 15;

// Process::run() stops servicing a lane here while the lane waits for its next round: the
// scheduler posts each stop to the lane's LaneEngine and calls run(), which services it and,
// asking the engine for more, gets LaneYield.
struct Lane {
  u32 id = 0;
  std::unique_ptr<LaneMemory> mem;
  CoreState state;
  std::unique_ptr<LaneEngine> engine;
  std::unique_ptr<os::Process> process;
  std::string stdin_data, out, err;
  u64 instructions = 0;
  u64 pending = 0;  // cycles of checkpoints and copy-on-write stops not posted to the process
  RunResult last;   // the last stop posted to the process
  u64 last_syscall = kNoSyscall;
  u64 load_copies = 0;  // pages copied while the process loaded (deduplicated since)
  bool done = false;
};

std::string read_file(const std::string& path) {
  std::ifstream f(path, std::ios::binary);
  if (!f) throw Error("cannot read " + path + ": " + std::strerror(errno));
  std::ostringstream s;
  s << f.rdbuf();
  if (f.bad()) throw Error("cannot read " + path);
  return s.str();
}

void merge_env(std::vector<std::string>& env, const std::vector<std::string>& extra) {
  for (const auto& s : extra) {
    const auto eq = s.find('=');
    if (eq == std::string::npos || eq == 0)
      throw Error("environment entries are VAR=VALUE, not '" + s + "'");
    const std::string key = s.substr(0, eq + 1);
    std::erase_if(env, [&](const std::string& v) { return v.compare(0, key.size(), key) == 0; });
    env.push_back(s);
  }
}

}  // namespace

struct Batch::Impl {
  BatchOptions o;
  FramePool pool;
  std::unique_ptr<SharedImage> image;
  ThreadPool threads;
  std::unique_ptr<Backend> backend;
  std::vector<LaneResult> results;
  std::vector<std::unique_ptr<Lane>> resident;
  u32 next_lane = 0;
  u32 done_lanes = 0;
  bool ran = false;
  // KVRM_BATCH_TRACE: 1 a line per round (and per GPU launch) on stderr, 2 also per lane stop
  int trace = 0;
  BatchStats stats;
  std::atomic<u64> cow_copies{0};

  explicit Impl(BatchOptions opts) : o(std::move(opts)), threads(o.threads) {
    if (o.lanes.empty()) throw Error("a batch needs at least one lane");
    if (o.lanes.size() > (u64{1} << 31)) throw Error("too many lanes");
    if (o.slice_instructions == 0) throw Error("slice_instructions must be at least 1");
    if (o.lane_memory_limit < kPageSize)
      throw Error("the lane memory limit must be at least one page (4096 bytes)");
    std::vector<std::string> env;
    merge_env(env, o.env);  // checks every entry is VAR=VALUE
    for (const auto& l : o.lanes) {
      std::vector<std::string> e;
      merge_env(e, l.env);
    }
    backend = make_backend(o.backend, threads,
                           {.device_style_cow = o.device_style_cow,
                            .devices = o.devices,
                            .end_fraction = o.launch_end_fraction,
                            .order_by_pc = o.order_by_pc,
                            .lanes_per_warp = o.lanes_per_warp,
                            .frame_shift = o.frame_shift,
                            .jit = o.jit});
    // The image: the program's segments, loaded once; each lane's own load is deduplicated
    // against it (LaneMemory::dedup) as the lane starts.
    const std::vector<u8> file = os::read_program_file(o.program);
    const os::ElfImage elf = os::parse_elf(file, o.program);
    image = std::make_unique<SharedImage>(pool);
    CoreState unused;
    LaneEngine loader(image->pages(), unused);
    os::load_elf(loader, elf, file);
    image->publish();
    results.resize(o.lanes.size());
    stats.lanes = static_cast<u32>(o.lanes.size());
    stats.backend = backend->name();
    stats.threads = threads.size();
    stats.image_bytes = image->pages().mapped_bytes();
  }

  u64 budget_of(const Lane& l) const {
    u64 b = o.slice_instructions;
    if (o.max_instructions)
      b = std::min(b, o.max_instructions - std::min(o.max_instructions, l.instructions));
    return b;
  }

  // ---- Starting and ending lanes ----

  void start(Lane& l) {
    const LaneSpec& spec = o.lanes[l.id];
    LaneResult& res = results[l.id];
    try {
      l.stdin_data = spec.stdin_path.empty() ? spec.stdin_data : read_file(spec.stdin_path);
      l.mem = std::make_unique<LaneMemory>(pool, LaneLimits{.memory_limit = o.lane_memory_limit});
      l.mem->set_frame_class(l.id);
      l.engine = std::make_unique<LaneEngine>(*l.mem, l.state);
      os::ProcessOptions po;
      po.path = o.program;
      po.argv.push_back(o.program);
      po.argv.insert(po.argv.end(), o.args.begin(), o.args.end());
      po.argv.insert(po.argv.end(), spec.args.begin(), spec.args.end());
      po.envp = o.env;
      merge_env(po.envp, spec.env);
      po.max_instructions = o.max_instructions;
      po.sandbox = o.sandbox;
      po.stdin_data = &l.stdin_data;
      po.stdout_buffer = &l.out;
      po.stderr_buffer = &l.err;
      l.process = std::make_unique<os::Process>(*l.engine, std::move(po));
      l.mem->dedup(image->pages());
      l.load_copies = l.mem->copies();
      l.engine->set_driven(true);
    } catch (const os::ExecError& e) {
      fail(l, LaneEnd::ExecFailed, e.status(), std::string("kvrm: ") + e.what());
    } catch (const LaneOutOfMemory& e) {
      fail(l, LaneEnd::OutOfMemory, 128 + kSigKill, std::string("kvrm: ") + e.what());
      res.signal = kSigKill;
    } catch (const std::exception& e) {
      fail(l, LaneEnd::ExecFailed, 1, std::string("kvrm: ") + e.what());
    }
  }

  // Ends a lane that cannot go on, with a message of kvrm's on its stderr.
  void fail(Lane& l, LaneEnd end, int status, const std::string& message) {
    l.err += message + "\n";
    LaneResult& r = results[l.id];
    r.end = end;
    r.exit_status = status;
    r.description = message.substr(message.rfind("kvrm: ") == 0 ? 6 : 0);
    retire(l);
  }

  void kill_out_of_memory(Lane& l) {
    char msg[160];
    std::snprintf(msg, sizeof msg,
                  "kvrm: out of memory: the lane's limit of %llu bytes is reached at pc 0x%llx",
                  static_cast<unsigned long long>(o.lane_memory_limit),
                  static_cast<unsigned long long>(l.state.pc));
    fail(l, LaneEnd::OutOfMemory, 128 + kSigKill, msg);
    results[l.id].signal = kSigKill;
  }

  // The process ended by itself with `status`: tell how.
  void finish(Lane& l, int status) {
    LaneResult& r = results[l.id];
    r.exit_status = status;
    char d[160];
    const Signal s = l.last.signal;
    if (s == Signal::Fault || s == Signal::Undefined || s == Signal::Halt ||
        s == Signal::Breakpoint) {
      r.end = LaneEnd::Signaled;
      r.signal = status - 128;
      r.description = describe(l.last);
    } else if (o.max_instructions && l.instructions >= o.max_instructions &&
               status == os::kExitTimeout) {
      r.end = LaneEnd::InstructionLimit;
      std::snprintf(d, sizeof d, "instruction limit (%llu) reached at pc 0x%llx",
                    static_cast<unsigned long long>(o.max_instructions),
                    static_cast<unsigned long long>(l.state.pc));
      r.description = d;
    } else if (status > 128 && l.last_syscall != 93 && l.last_syscall != 94) {
      // Not exit/exit_group: a signal the process raised (abort, kill, tgkill) ended it.
      r.end = LaneEnd::Signaled;
      r.signal = status - 128;
      std::snprintf(d, sizeof d, "killed by signal %d (%s)", r.signal, strsignal(r.signal));
      r.description = d;
    } else {
      r.end = LaneEnd::Exited;
      r.description = "exited with status " + std::to_string(status);
    }
    retire(l);
  }

  // Moves the lane's output and figures into its result and frees what it held.
  void retire(Lane& l) {
    LaneResult& r = results[l.id];
    r.stdout_data = std::move(l.out);
    r.stderr_data = std::move(l.err);
    r.instructions = l.instructions;
    if (l.process) r.syscalls = l.process->stats().syscalls;
    if (l.mem) {
      r.peak_memory = l.mem->peak_private_bytes();
      cow_copies += l.mem->copies() - l.load_copies;
    }
    l.process.reset();
    l.engine.reset();
    l.mem.reset();
    l.stdin_data.clear();
    l.stdin_data.shrink_to_fit();
    l.done = true;
  }

  // ---- Servicing a stop ----

  void service(Lane& l, RunResult r) {
    l.instructions += r.cycles;
    if (r.signal == Signal::Fault && r.info.access == Access::Write &&
        r.info.cause == FaultCause::Permission) {
      const auto c = l.mem->resolve_cow(r.info.fault_addr, kCowFaultAround);
      if (c == LaneMemory::CowResult::Copied) {
        l.pending += r.cycles;
        return;
      }
      if (c == LaneMemory::CowResult::OutOfMemory) return kill_out_of_memory(l);
    }
    if (l.mem->out_of_memory()) return kill_out_of_memory(l);
    const bool at_limit = o.max_instructions && l.instructions >= o.max_instructions;
    if (r.signal == Signal::Checkpoint && !at_limit) {
      l.pending += r.cycles;
      return;
    }
    r.cycles += l.pending;
    l.pending = 0;
    l.last = r;
    l.last_syscall = r.signal == Signal::Syscall ? l.state.x[8] : kNoSyscall;
    l.engine->post(r);
    try {
      const int status = l.process->run();
      finish(l, status);
    } catch (const LaneYield&) {
      if (l.mem->out_of_memory()) kill_out_of_memory(l);
    } catch (const LaneOutOfMemory&) {
      kill_out_of_memory(l);
    } catch (const PoolExhausted&) {
      kill_out_of_memory(l);
    } catch (const std::exception& e) {
      fail(l, LaneEnd::InternalError, kExitInternal,
           std::string("kvrm: internal error while servicing the lane: ") + e.what());
    }
  }

  // One round of a lane in the fused schedule: execute and service in turn until the slice is
  // used or the lane ends.
  void run_fused(Lane& l) {
    u64 used = 0;
    while (!l.done && used < o.slice_instructions) {
      const u64 budget = std::min(budget_of(l), o.slice_instructions - used);
      RunResult r;
      if (budget == 0) {
        r.signal = Signal::Checkpoint;
        r.pc = l.state.pc;
      } else {
        const LaneRef ref{l.mem.get(), &l.state, l.id};
        backend->run({&ref, 1}, {&budget, 1}, {&r, 1});
      }
      used += r.cycles;
      service(l, r);
      if (r.cycles == 0 && r.signal == Signal::Checkpoint) break;
    }
  }

  void run_phased(std::vector<Lane*>& lanes) {
    std::vector<LaneRef> refs;
    std::vector<u64> budgets;
    std::vector<RunResult> stops(lanes.size());
    std::vector<size_t> idle;  // lanes at their instruction limit: nothing to execute
    for (size_t i = 0; i < lanes.size(); ++i) {
      const u64 b = budget_of(*lanes[i]);
      if (b == 0) {
        idle.push_back(i);
        continue;
      }
      refs.push_back({lanes[i]->mem.get(), &lanes[i]->state, lanes[i]->id});
      budgets.push_back(b);
    }
    std::vector<RunResult> ran(refs.size());
    const auto t0 = Clock::now();
    if (!refs.empty()) backend->run(refs, budgets, ran);
    const auto t1 = Clock::now();
    stats.execute_seconds += std::chrono::duration<double>(t1 - t0).count();
    for (size_t i = 0, k = 0, j = 0; i < lanes.size(); ++i) {
      if (j < idle.size() && idle[j] == i) {
        stops[i].signal = Signal::Checkpoint;
        stops[i].cycles = 0;
        stops[i].pc = lanes[i]->state.pc;
        ++j;
      } else {
        stops[i] = ran[k++];
      }
      if (trace >= 2) {
        std::fprintf(stderr, "kvrm: batch:   lane %u: %s after %llu at pc 0x%llx\n", lanes[i]->id,
                     signal_name(stops[i].signal), static_cast<unsigned long long>(stops[i].cycles),
                     static_cast<unsigned long long>(stops[i].pc));
      }
    }
    threads.parallel_for(lanes.size(), [&](size_t i) { service(*lanes[i], stops[i]); });
    stats.service_seconds += std::chrono::duration<double>(Clock::now() - t1).count();
  }

  // ---- The run ----

  void time_out_all() {
    char msg[128];
    for (auto& l : resident) {
      if (l->done) continue;
      std::snprintf(msg, sizeof msg, "kvrm: timeout (%g s) reached at pc 0x%llx", o.timeout_seconds,
                    static_cast<unsigned long long>(l->state.pc));
      fail(*l, LaneEnd::Timeout, os::kExitTimeout, msg);
    }
    std::snprintf(msg, sizeof msg, "kvrm: timeout (%g s) reached before the lane started\n",
                  o.timeout_seconds);
    for (; next_lane < results.size(); ++next_lane) {
      LaneResult& r = results[next_lane];
      r.end = LaneEnd::NotRun;
      r.exit_status = os::kExitTimeout;
      r.stderr_data = msg;
      r.description = "timeout before the lane started";
      if (o.on_lane_done) o.on_lane_done(next_lane, r);
      ++done_lanes;
    }
  }

  // Hands the results of lanes that ended to the caller and drops them from the resident set.
  void collect() {
    std::erase_if(resident, [&](const std::unique_ptr<Lane>& l) {
      if (!l->done) return false;
      LaneResult& r = results[l->id];
      stats.instructions += r.instructions;
      stats.syscalls += r.syscalls;
      ++done_lanes;
      backend->release(l->id);
      if (o.on_lane_done) o.on_lane_done(l->id, r);
      return true;
    });
  }

  BatchResult run() {
    if (ran) throw Error("a batch runs once");
    ran = true;
    const auto t0 = Clock::now();
    auto elapsed = [&] { return std::chrono::duration<double>(Clock::now() - t0).count(); };
    u32 max_resident =
        o.max_resident_lanes ? o.max_resident_lanes : backend->preferred_resident_lanes();
    if (max_resident == 0) max_resident = static_cast<u32>(results.size());
    const bool fused = backend->lanes_independent() && !o.phased;
    const char* trace_env = std::getenv("KVRM_BATCH_TRACE");
    trace = trace_env ? std::max(0, std::atoi(trace_env)) : 0;
    stats.schedule = fused ? "fused" : "phased";
    double next_progress = o.progress_interval;
    for (;;) {
      if (o.timeout_seconds > 0 && elapsed() > o.timeout_seconds) {
        time_out_all();
        collect();
        break;
      }
      // Start lanes up to the resident limit.
      std::vector<Lane*> starting;
      while (resident.size() < max_resident && next_lane < results.size()) {
        resident.push_back(std::make_unique<Lane>());
        resident.back()->id = next_lane++;
        starting.push_back(resident.back().get());
      }
      const auto ts = Clock::now();
      threads.parallel_for(starting.size(), [&](size_t i) { start(*starting[i]); });
      stats.service_seconds += std::chrono::duration<double>(Clock::now() - ts).count();
      collect();
      if (resident.empty()) {
        if (next_lane < results.size()) continue;  // every lane started here ended at once
        break;
      }
      stats.peak_resident_lanes =
          std::max(stats.peak_resident_lanes, static_cast<u32>(resident.size()));
      std::vector<Lane*> lanes;
      for (auto& l : resident) lanes.push_back(l.get());
      if (fused) {
        threads.parallel_for(lanes.size(), [&](size_t i) { run_fused(*lanes[i]); });
      } else {
        run_phased(lanes);
      }
      ++stats.rounds;
      const double round_end = elapsed();
      collect();
      if (trace) {
        std::fprintf(stderr,
                     "kvrm: batch: round %llu: %zu lanes, %.6f s (results handed over in %.3f s)\n",
                     static_cast<unsigned long long>(stats.rounds), lanes.size(), round_end,
                     elapsed() - round_end);
      }
      if (o.on_progress && elapsed() >= next_progress) {
        next_progress = elapsed() + o.progress_interval;
        u64 running_instr = 0;
        for (auto& l : resident) running_instr += l->instructions;
        o.on_progress({static_cast<u32>(results.size()), done_lanes,
                       static_cast<u32>(resident.size()), stats.instructions + running_instr,
                       elapsed()});
      }
    }
    stats.seconds = elapsed();
    stats.ips = stats.seconds > 0 ? stats.instructions / stats.seconds : 0;
    stats.cow_copies = cow_copies.load();
    const BackendTimes bt = backend->times();
    stats.kernel_seconds = bt.kernel;
    stats.transfer_seconds = bt.transfer;
    stats.jit_seconds = bt.jit;
    stats.jit = backend->jit_stats();
    stats.peak_pool_bytes = pool.peak_frames_in_use() * kPageSize;
    BatchResult out;
    out.lanes = std::move(results);
    out.stats = stats;
    return out;
  }
};

Batch::Batch(BatchOptions options) : impl_(std::make_unique<Impl>(std::move(options))) {}
Batch::~Batch() = default;
BatchResult Batch::run() { return impl_->run(); }

BatchResult run_batch(BatchOptions options) { return Batch(std::move(options)).run(); }

}  // namespace kvrm::batch

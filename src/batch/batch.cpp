// The batch scheduler: starts lanes (an os::Process on a LaneEngine each), executes them round
// by round on the backend, services their stops (syscalls, faults, copy-on-write) on the host
// threads, and collects each lane's result as it ends. Starting and servicing run as jobs on
// LaneWorkers: a round ends once every job is done or blocked in the host (a sleep, a wait), and
// a blocked lane sits out the rounds until its job is done, so that it never holds the others.
#include "batch/batch.hpp"

#include <fcntl.h>
#include <poll.h>
#include <unistd.h>

#include <algorithm>
#include <atomic>
#include <chrono>
#include <condition_variable>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <functional>
#include <mutex>
#include <optional>

#include "batch/backend.hpp"
#include "batch/lane_engine.hpp"
#include "batch/lane_workers.hpp"
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
// Lanes blocked in the host for this long (parked) do not count against the resident limit, up
// to this many (a shorter wait may be a thread the host did not run for a while).
constexpr auto kParkedAfter = std::chrono::milliseconds(100);
constexpr size_t kMaxParkedLanes = 256;
// With a batch timeout, a lane executes at most about this long between looks at the clock, so
// that the batch ends within 100 ms of its deadline; until its speed is known, a probe budget.
constexpr double kDeadlineStep = 0.02;
constexpr u64 kProbeBudget = u64{1} << 16;
constexpr u64 kMinDeadlineBudget = u64{1} << 12;

// With a batch timeout: how many instructions a lane (or a launch's lanes) may run before the
// scheduler looks at the clock again. Learnt from the speed of runs that used their budget in
// full, and at most doubling from one run to the next, since a speed measured on a short run
// may not hold on a longer one.
struct DeadlinePace {
  double rate = 0;  // instructions per second (0: not known yet)
  u64 last = 0;     // the budget the rate was measured with

  u64 budget(double seconds) const {
    if (rate <= 0) return kProbeBudget;
    const double b = std::min({rate * seconds, 2.0 * static_cast<double>(last), 0x1p62});
    return std::max(kMinDeadlineBudget, static_cast<u64>(b));
  }
  // A run given `given` instructions retired `cycles` (the most of its lanes) in `seconds`.
  void learn(u64 given, u64 cycles, double seconds) {
    if (given < kMinDeadlineBudget || cycles < given || seconds <= 0) return;
    rate = static_cast<double>(cycles) / seconds;
    last = given;
  }
};

// How os::Process says that cancel() ended it.
constexpr const char* kCancelLine = "kvrm: timeout: the run was cancelled";

// What a lane's job does (Batch::Impl::run_job).
enum class Job : u8 { Start, Fused, Service };

// Process::run() stops servicing a lane here while the lane waits for its next round: the
// scheduler posts each stop to the lane's LaneEngine and calls run(), which services it and,
// asking the engine for more, gets LaneYield.
// A lane is touched by one thread at a time: the scheduler's, or that of the job it has handed
// the lane to (busy). Only `instructions` (progress) and `process` (to cancel it) are read across.
struct Lane {
  u32 id = 0;
  std::unique_ptr<LaneMemory> mem;
  CoreState state;
  std::unique_ptr<LaneEngine> engine;
  std::unique_ptr<os::Process> process;  // set and reset under cancel_mu
  std::string stdin_data, out, err;
  std::atomic<u64> instructions{0};
  u64 pending = 0;  // cycles of checkpoints and copy-on-write stops not posted to the process
  RunResult last;   // the last stop posted to the process
  u64 last_syscall = kNoSyscall;
  u64 load_copies = 0;  // pages copied while the process loaded (deduplicated since)
  DeadlinePace pace;    // with a batch timeout: how far it runs between looks at the clock
  bool done = false;
  bool busy = false;                                   // the scheduler's: a job holds the lane
  std::chrono::steady_clock::time_point busy_since{};  // since then,
  Job job = Job::Start;                                // to do this
  RunResult stop;                                      // (Service: with this stop)
  std::mutex cancel_mu;
};

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
  Clock::time_point deadline = Clock::time_point::max();
  std::atomic<bool> stopping{false};  // the deadline has passed: jobs return at once
  DeadlinePace launch_pace;           // the phased schedule's launches (DeadlinePace)
  // Jobs hand their lanes back here.
  std::mutex done_mu;
  std::condition_variable done_cv;
  std::vector<Lane*> handed_back;
  // Last, so that it is gone (its jobs finished) before everything they touch.
  LaneWorkers workers;

  explicit Impl(BatchOptions opts) : o(std::move(opts)), threads(o.threads), workers(o.threads) {
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
    if (!elf.interp.empty()) {
      throw os::ExecError(
          os::kExitNotExecutable,
          o.program + ": dynamically linked (interpreter " + elf.interp +
              "); kvrm batch runs statically linked programs only (kvrm run -L runs "
              "dynamic ones)");
    }
    // A backend that mirrors frames (a GPU) needs every write recorded, those of jobs that run
    // beside its first launch too (a lane blocked in the host).
    if (!backend->lanes_independent()) pool.set_dirty_tracking(true);
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
      b = std::min(b, o.max_instructions - std::min(o.max_instructions, l.instructions.load()));
    return b;
  }

  bool has_deadline() const { return deadline != Clock::time_point::max(); }

  // With a deadline, the most instructions a run at `pace` may take before the clock is looked
  // at again: a step, or with `halves` half the time left while that is longer (fewer, longer
  // launches far from the deadline).
  u64 deadline_budget(const DeadlinePace& pace, bool halves) const {
    if (!has_deadline()) return ~u64{0};
    const double left = std::chrono::duration<double>(deadline - Clock::now()).count();
    return pace.budget(halves ? std::max(kDeadlineStep, left / 2) : kDeadlineStep);
  }

  // ---- Starting and ending lanes ----

  // A lane's stdin file, read in full as it comes (a FIFO waits for its writer to finish), in
  // waits of at most 50 ms; nothing when the batch's timeout comes first.
  std::optional<std::string> read_input(const std::string& path) {
    const int fd = ::open(path.c_str(), O_RDONLY | O_NONBLOCK | O_CLOEXEC);
    if (fd < 0) throw Error("cannot read " + path + ": " + std::strerror(errno));
    struct Closer {
      int fd;
      ~Closer() { ::close(fd); }
    } closer{fd};
    std::string data;
    std::vector<char> buf(u64{1} << 16);
    for (;;) {
      if (stopping.load(std::memory_order_relaxed)) return std::nullopt;
      // A FIFO no writer has opened yet reads as at its end: only poll tells it apart.
      struct pollfd p = {fd, POLLIN, 0};
      if (::poll(&p, 1, 50) <= 0) continue;
      const ssize_t n = ::read(fd, buf.data(), buf.size());
      if (n > 0) {
        data.append(buf.data(), static_cast<size_t>(n));
      } else if (n == 0) {
        return data;
      } else if (errno != EAGAIN && errno != EINTR) {
        throw Error("cannot read " + path + ": " + std::strerror(errno));
      }
    }
  }

  void start(Lane& l) {
    const LaneSpec& spec = o.lanes[l.id];
    LaneResult& res = results[l.id];
    try {
      if (spec.stdin_path.empty()) {
        l.stdin_data = spec.stdin_data;
      } else {
        LaneWorkers::Blocking blocking(workers);  // the file may be slow to read
        std::optional<std::string> in = read_input(spec.stdin_path);
        if (!in) return;  // the batch's timeout came first: the lane did not start
        l.stdin_data = std::move(*in);
      }
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
      po.threads = false;  // a lane is one core state the scheduler drives: clone is refused
      auto process = std::make_unique<os::Process>(*l.engine, std::move(po));
      {
        std::lock_guard<std::mutex> lock(l.cancel_mu);
        l.process = std::move(process);
      }
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
    {
      std::lock_guard<std::mutex> lock(l.cancel_mu);
      l.process.reset();
    }
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
      const size_t err_before = l.err.size();
      int status;
      {
        LaneWorkers::Blocking blocking(workers);  // a syscall may sleep or wait
        status = l.process->run();
      }
      if (l.process->cancelled() && status == os::kExitTimeout) {
        // The batch's timeout cancelled the process: its line about that gives way to the
        // batch's own (time_out), the same for every lane that was still running.
        const size_t at = l.err.find(kCancelLine, err_before);
        if (at != std::string::npos && (at == 0 || l.err[at - 1] == '\n')) {
          l.err.erase(at);
          return time_out(l);
        }
      }
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

  // The batch's timeout ends a lane that has not ended by itself.
  void time_out(Lane& l) {
    char msg[128];
    std::snprintf(msg, sizeof msg, "kvrm: timeout (%g s) reached at pc 0x%llx", o.timeout_seconds,
                  static_cast<unsigned long long>(l.state.pc));
    fail(l, LaneEnd::Timeout, os::kExitTimeout, msg);
  }

  // ---- Jobs ----

  // Hands each lane to a job on the workers (Lane::job says which); a lane is the job's until
  // the job hands it back.
  void hand_out(const std::vector<Lane*>& lanes, Job job) {
    std::vector<std::function<void()>> jobs;
    jobs.reserve(lanes.size());
    const auto now = Clock::now();
    for (Lane* l : lanes) {
      l->busy = true;
      l->busy_since = now;
      l->job = job;
      jobs.emplace_back([this, l] { run_job(*l); });
    }
    workers.submit(std::move(jobs));
  }

  void run_job(Lane& l) {
    try {
      switch (l.job) {
        case Job::Start: start(l); break;
        case Job::Fused: run_fused(l); break;
        case Job::Service: service(l, l.stop); break;
      }
    } catch (const std::exception& e) {
      if (!l.done)
        fail(l, LaneEnd::InternalError, kExitInternal,
             std::string("kvrm: internal error while running the lane: ") + e.what());
    } catch (...) {
      if (!l.done)
        fail(l, LaneEnd::InternalError, kExitInternal,
             "kvrm: internal error while running the lane");
    }
    {
      std::lock_guard<std::mutex> lock(done_mu);
      handed_back.push_back(&l);
    }
    done_cv.notify_all();
  }

  // The lanes whose jobs are done are the scheduler's again.
  void take_back() {
    std::vector<Lane*> back;
    {
      std::lock_guard<std::mutex> lock(done_mu);
      back.swap(handed_back);
    }
    for (Lane* l : back) l->busy = false;
  }

  // Waits until some job hands its lane back, or until `until`.
  void wait_hand_back(Clock::time_point until) {
    std::unique_lock<std::mutex> lock(done_mu);
    done_cv.wait_until(lock, until, [&] { return !handed_back.empty(); });
  }

  // Waits until every job is done or blocked in the host, or until the deadline.
  void settle() { workers.wait_settled(deadline); }

  // One round of a lane in the fused schedule: execute and service in turn until the slice is
  // used or the lane ends; with a deadline, in steps short enough to look at the clock.
  void run_fused(Lane& l) {
    u64 used = 0;
    while (!l.done && used < o.slice_instructions && !stopping.load(std::memory_order_relaxed)) {
      const u64 budget =
          std::min({budget_of(l), o.slice_instructions - used, deadline_budget(l.pace, false)});
      RunResult r;
      if (budget == 0) {
        r.signal = Signal::Checkpoint;
        r.pc = l.state.pc;
      } else {
        const LaneRef ref{l.mem.get(), &l.state, l.id};
        backend->run({&ref, 1}, {&budget, 1}, {&r, 1});
        if (has_deadline()) l.pace.learn(budget, r.cycles, r.elapsed_seconds);
      }
      used += r.cycles;
      service(l, r);
      if (r.cycles == 0 && r.signal == Signal::Checkpoint) break;
    }
  }

  // The phased schedule: the lanes execute together on the backend (on this thread), then each
  // stop is serviced by a job.
  void run_phased(std::vector<Lane*>& lanes) {
    std::vector<LaneRef> refs;
    std::vector<u64> budgets;
    std::vector<RunResult> stops(lanes.size());
    std::vector<size_t> idle;  // lanes at their instruction limit: nothing to execute
    const u64 cap = deadline_budget(launch_pace, true);
    for (size_t i = 0; i < lanes.size(); ++i) {
      const u64 b = std::min(budget_of(*lanes[i]), cap);
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
    const double launch = std::chrono::duration<double>(t1 - t0).count();
    stats.execute_seconds += launch;
    u64 most = 0;
    for (const RunResult& r : ran) most = std::max(most, r.cycles);
    if (has_deadline()) launch_pace.learn(cap, most, launch);
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
    for (size_t i = 0; i < lanes.size(); ++i) lanes[i]->stop = stops[i];
    hand_out(lanes, Job::Service);
  }

  // ---- The run ----

  // Makes every job return soon and waits until all have: executing lanes stop at their next
  // look at the clock, processes are cancelled (asked again while their jobs hold them, for a
  // process that is still being made).
  void cancel_jobs() {
    stopping = true;
    for (;;) {
      take_back();
      bool busy = false;
      for (auto& l : resident) {
        if (!l->busy) continue;
        busy = true;
        std::lock_guard<std::mutex> lock(l->cancel_mu);
        if (l->process) l->process->cancel();
      }
      if (!busy) return;
      wait_hand_back(Clock::now() + std::chrono::milliseconds(5));
    }
  }

  // At the deadline: every lane still running ends with the timeout (a lane blocked in the host
  // through os::Process::cancel), every lane not started yet too.
  void stop_all() {
    cancel_jobs();
    for (auto& l : resident) {
      if (l->done) continue;
      if (l->process) {
        time_out(*l);
      } else {  // still reading its stdin file
        retire(*l);
        not_started(results[l->id]);
      }
    }
    for (; next_lane < results.size(); ++next_lane) {
      not_started(results[next_lane]);
      if (o.on_lane_done) o.on_lane_done(next_lane, results[next_lane]);
      ++done_lanes;
    }
  }

  void not_started(LaneResult& r) const {
    char msg[128];
    std::snprintf(msg, sizeof msg, "kvrm: timeout (%g s) reached before the lane started\n",
                  o.timeout_seconds);
    r = LaneResult{};
    r.end = LaneEnd::NotRun;
    r.exit_status = os::kExitTimeout;
    r.stderr_data = msg;
    r.description = "timeout before the lane started";
  }

  // Hands the results of lanes that ended to the caller and drops them from the resident set.
  void collect() {
    std::erase_if(resident, [&](const std::unique_ptr<Lane>& l) {
      if (l->busy || !l->done) return false;
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
    try {
      schedule();
    } catch (...) {
      cancel_jobs();  // jobs still hold lanes (blocked in the host, maybe): end them first
      throw;
    }
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

  void schedule() {
    const auto t0 = Clock::now();
    auto elapsed = [&] { return std::chrono::duration<double>(Clock::now() - t0).count(); };
    if (o.timeout_seconds > 0 && o.timeout_seconds < 3e9)  // beyond a century: none
      deadline = t0 + std::chrono::duration_cast<Clock::duration>(
                          std::chrono::duration<double>(o.timeout_seconds));
    u32 max_resident =
        o.max_resident_lanes ? o.max_resident_lanes : backend->preferred_resident_lanes();
    if (max_resident == 0) max_resident = static_cast<u32>(results.size());
    const bool fused = backend->lanes_independent() && !o.phased;
    const char* trace_env = std::getenv("KVRM_BATCH_TRACE");
    trace = trace_env ? std::max(0, std::atoi(trace_env)) : 0;
    stats.schedule = fused ? "fused" : "phased";
    double next_progress = o.progress_interval;
    auto progress = [&] {
      if (!o.on_progress || elapsed() < next_progress) return;
      next_progress = elapsed() + o.progress_interval;
      u64 running_instr = 0;
      for (auto& l : resident) running_instr += l->instructions;
      o.on_progress({static_cast<u32>(results.size()), done_lanes,
                     static_cast<u32>(resident.size()), stats.instructions + running_instr,
                     elapsed()});
    };
    for (;;) {
      // Here every lane a job still holds is blocked in the host (past the workers' grace).
      take_back();
      collect();
      if (Clock::now() >= deadline) {
        stop_all();
        collect();
        break;
      }
      // Start lanes up to the resident limit, parked lanes not counted (up to a bound).
      size_t parked = 0;
      const auto now = Clock::now();
      for (auto& l : resident) parked += l->busy && now - l->busy_since >= kParkedAfter;
      parked = std::min(parked, kMaxParkedLanes);
      std::vector<Lane*> starting;
      while (resident.size() - parked < max_resident && next_lane < results.size()) {
        resident.push_back(std::make_unique<Lane>());
        resident.back()->id = next_lane++;
        starting.push_back(resident.back().get());
      }
      stats.peak_resident_lanes =
          std::max(stats.peak_resident_lanes, static_cast<u32>(resident.size() - parked));
      if (!starting.empty()) {
        hand_out(starting, Job::Start);
        const auto ts = Clock::now();
        settle();
        stats.service_seconds += std::chrono::duration<double>(Clock::now() - ts).count();
        continue;
      }
      if (resident.empty()) break;  // every lane has ended
      std::vector<Lane*> lanes;
      for (auto& l : resident) {
        if (!l->busy && !l->done) lanes.push_back(l.get());
      }
      if (lanes.empty()) {  // all blocked in the host: wait for one
        wait_hand_back(std::min(deadline, Clock::now() + std::chrono::milliseconds(50)));
        progress();
        continue;
      }
      if (fused) {
        hand_out(lanes, Job::Fused);
        settle();
      } else {
        run_phased(lanes);
        const auto ts = Clock::now();
        settle();
        stats.service_seconds += std::chrono::duration<double>(Clock::now() - ts).count();
      }
      ++stats.rounds;
      const double round_end = elapsed();
      take_back();
      collect();
      if (trace) {
        std::fprintf(stderr,
                     "kvrm: batch: round %llu: %zu lanes, %.6f s (results handed over in %.3f s)\n",
                     static_cast<unsigned long long>(stats.rounds), lanes.size(), round_end,
                     elapsed() - round_end);
      }
      progress();
    }
    stats.seconds = elapsed();
    stats.ips = stats.seconds > 0 ? stats.instructions / stats.seconds : 0;
  }
};

Batch::Batch(BatchOptions options) : impl_(std::make_unique<Impl>(std::move(options))) {}
Batch::~Batch() = default;
BatchResult Batch::run() { return impl_->run(); }

BatchResult run_batch(BatchOptions options) { return Batch(std::move(options)).run(); }

}  // namespace kvrm::batch

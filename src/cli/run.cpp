// `kvrm run PROGRAM [ARGS...]`: runs a static AArch64 Linux program like qemu-aarch64 does, on
// the host CPU (reference engine) or the GPU (CUDA engine).
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <memory>

#include "cli/commands.hpp"
#include "core/error.hpp"
#include "engines/cuda/cuda_engine.hpp"
#include "engines/engine.hpp"
#include "isa/mmu.hpp"
#include "os/host_signals.hpp"
#include "os/process.hpp"

extern char** environ;

namespace kvrm::cli {

void add_run_command(CLI::App& app, RunOptions& o) {
  auto* r = app.add_subcommand("run", "Run a static AArch64 Linux program");
  r->add_option("--backend", o.backend, "auto (the GPU when present), cpu or cuda")
      ->check(CLI::IsMember({"auto", "cpu", "cuda"}));
  r->add_option("--syscalls", o.syscalls,
                "How syscalls reach the host on the GPU: persistent (default; the kernel stays "
                "resident and posts them to a mailbox) or relaunch (each SVC ends the launch)")
      ->check(CLI::IsMember({"persistent", "relaunch"}));
  r->add_flag("--strace", o.strace, "Print one line per syscall on stderr");
  r->add_flag("--stats", o.stats, "Print instructions, wall time, IPS and syscalls at exit");
  r->add_option("--max-instructions", o.max_instructions, "Stop after this many instructions");
  r->add_option("--timeout", o.timeout, "Stop after this many seconds")
      ->check(CLI::NonNegativeNumber);
  r->add_option("-E", o.set_env, "Set VAR=VALUE in the guest environment (repeatable)")
      ->allow_extra_args(false);
  r->add_option("-U", o.unset_env, "Remove VAR from the guest environment (repeatable)")
      ->allow_extra_args(false);
  r->add_option("--root", o.root, "Host directory the guest sees as / (default: /, read-only)")
      ->allow_extra_args(false);
  r->add_option("-L", o.ld_prefix,
                "Target sysroot, as qemu-aarch64 -L: absolute guest paths name its files first "
                "(the program interpreter, libraries); default $KVRM_LD_PREFIX")
      ->allow_extra_args(false);
  add_jit_options(r, o.jit);
  r->add_option("--rw", o.rw_dirs, "Host directory below which the guest may write (repeatable)")
      ->allow_extra_args(false);
  // The first argument that is not an option is the program; it and everything after it belong
  // to the guest (fetched with remaining() in run_run).
  r->prefix_command(true);
  r->footer("Usage: kvrm run [OPTIONS] PROGRAM [ARGS...]");
  o.app = r;
}

std::vector<std::string> guest_environment(const std::vector<std::string>& set_env,
                                           const std::vector<std::string>& unset_env) {
  std::vector<std::string> env;
  for (char** e = environ; e && *e; ++e) env.emplace_back(*e);
  auto remove = [&](const std::string& name) {
    std::erase_if(
        env, [&](const std::string& v) { return v.compare(0, name.size() + 1, name + "=") == 0; });
  };
  for (const auto& u : unset_env) remove(u);
  for (const auto& s : set_env) {
    const auto eq = s.find('=');
    if (eq == std::string::npos || eq == 0) throw Error("-E expects VAR=VALUE, got '" + s + "'");
    remove(s.substr(0, eq));
    env.push_back(s);
  }
  return env;
}

void add_jit_options(CLI::App* app, JitCliOptions& o) {
  app->add_option("--jit", o.mode,
                  "CUDA: translate hot code into native GPU code: auto (when the CUDA run-time "
                  "compiler is installed), on, off")
      ->check(CLI::IsMember({"auto", "on", "off"}));
  app->add_option("--jit-threshold", o.threshold,
                  "CUDA: taken branches to a target that make it hot (default 64)")
      ->check(CLI::Range(1u, 1u << 30));
  app->add_option("--jit-cache", o.cache,
                  "CUDA: where translated code is kept between runs (default "
                  "$XDG_CACHE_HOME/kvrm, else ~/.cache/kvrm), or off; the size limit is "
                  "KVRM_JIT_CACHE_MAX_BYTES (default 1G)");
}

JitOptions jit_options(const JitCliOptions& o) {
  return {.mode = parse_jit_mode(o.mode), .hot_threshold = o.threshold, .cache = o.cache};
}

void add_frame_layout_option(CLI::App* app, std::string& layout) {
  app->add_option("--frame-layout", layout,
                  "GPU backend: lanes' pages in device memory one after the other (linear, the "
                  "default: best for lanes that take different paths) or 32 lanes' interleaved "
                  "8 bytes at a time (interleaved: lanes of a warp in step that touch the same "
                  "address of their own pages touch adjacent words)")
      ->check(CLI::IsMember({"linear", "interleaved"}));
}

u32 frame_shift(const std::string& layout) { return layout == "linear" ? 0 : kMaxFrameShift; }

std::string describe_jit(const JitStats& s) {
  char buf[256];
  if (!s.active && s.compiles == 0) return "no code translated (" + s.note + ")";
  std::snprintf(buf, sizeof buf,
                "%llu instructions in %llu blocks translated (%llu hot targets, %llu modules, "
                "%.2f s compiling, %.2f s linking)",
                static_cast<unsigned long long>(s.instructions),
                static_cast<unsigned long long>(s.blocks),
                static_cast<unsigned long long>(s.hot_targets),
                static_cast<unsigned long long>(s.compiles), s.compile_seconds, s.link_seconds);
  std::string out = buf;
  const u64 run = s.translated_run + s.interpreted_run;
  if (run) {
    std::snprintf(buf, sizeof buf, "; %.1f%% of the instructions ran translated",
                  100.0 * static_cast<double>(s.translated_run) / static_cast<double>(run));
    out += buf;
  }
  if (s.interpreted_lanes) {
    out += "; " + std::to_string(s.interpreted_lanes) + " lane launches interpreted only";
  }
  if (s.cache.empty()) {
    out += "; no translation cache";
  } else {
    std::snprintf(buf, sizeof buf,
                  "; jit cache: %llu parts from disk, %llu compiled, %llu modules from disk, "
                  "%llu rounds replayed (",
                  static_cast<unsigned long long>(s.parts_from_disk),
                  static_cast<unsigned long long>(s.parts_compiled),
                  static_cast<unsigned long long>(s.modules_from_disk),
                  static_cast<unsigned long long>(s.rounds_replayed));
    out += buf + s.cache + ")";
  }
  if (!s.active) out += "; translation stopped: " + s.note;
  return out;
}

int run_run(RunOptions& o) {
  std::vector<std::string> rest = o.app->remaining();
  // The first argument kvrm does not know starts the guest's command line (like qemu-aarch64):
  // one that looks like an option is a mistyped option (a program named "-x" runs as ./-x).
  if (!rest.empty() && rest.front().size() > 1 && rest.front()[0] == '-')
    throw Error("run: unknown option '" + rest.front() + "' (kvrm run --help lists them)");
  if (rest.empty()) throw Error("run: no program given (kvrm run [OPTIONS] PROGRAM [ARGS...])");
  o.program = rest.front();
  o.args.assign(rest.begin() + 1, rest.end());
  std::string backend = o.backend;
  if (backend == "auto") backend = cuda_available() ? "cuda" : "cpu";
  std::unique_ptr<Engine> e =
      backend == "cuda"
          ? make_cuda_engine({.memory_limit = u64{2} << 30, .jit = jit_options(o.jit)})
          : make_reference_engine();
  os::ProcessOptions po;
  po.path = o.program;
  po.argv.push_back(o.program);
  po.argv.insert(po.argv.end(), o.args.begin(), o.args.end());
  po.envp = guest_environment(o.set_env, o.unset_env);
  po.max_instructions = o.max_instructions;
  po.timeout_seconds = o.timeout;
  po.strace = o.strace;
  po.relaunch_per_syscall = o.syscalls == "relaunch";
  po.sandbox.root = o.root;
  po.sandbox.rw_dirs = o.rw_dirs;
  po.sandbox.ld_prefix = o.ld_prefix;
  if (po.sandbox.ld_prefix.empty()) {
    if (const char* v = std::getenv("KVRM_LD_PREFIX")) po.sandbox.ld_prefix = v;
  }
  try {
    os::Process p(*e, std::move(po));
    int status;
    {
      // SIGINT, SIGTERM, SIGHUP, ... sent to kvrm go to the guest while it runs.
      os::HostSignalForwarder forward(p);
      status = p.run();
    }
    if (o.stats) {
      const auto& s = p.stats();
      std::fprintf(stderr,
                   "kvrm: %s: %llu instructions, %.3f s, %.0f IPS, %llu syscalls, exit status %d\n",
                   backend.c_str(), static_cast<unsigned long long>(s.instructions), s.seconds,
                   s.seconds > 0 ? s.instructions / s.seconds : 0.0,
                   static_cast<unsigned long long>(s.syscalls), status);
      if (backend == "cuda") {
        std::fprintf(stderr, "kvrm: cuda: %s\n", describe_jit(cuda_jit_stats(*e)).c_str());
      }
    }
    return status;
  } catch (const os::ExecError& err) {
    std::fprintf(stderr, "kvrm: %s\n", err.what());
    return err.status();
  }
}

}  // namespace kvrm::cli

// The kvrm command-line program: `kvrm bench` (the seed's benchmarks) and, as the Linux layer
// lands, `kvrm run PROGRAM` (cli/run.cpp).
#include <CLI/CLI.hpp>
#include <cstdio>
#include <exception>

#include "cli/commands.hpp"
#include "core/error.hpp"
#include "os/sandbox.hpp"

int main(int argc, char** argv) {
  kvrm::os::reserve_standard_fds();  // a guest's stdio closed at start stays closed (EBADF)
  CLI::App app{"kvrm: an AArch64 CPU emulator for NVIDIA GPUs and the host CPU"};
  app.require_subcommand(1);
  app.set_version_flag("--version", "kvrm 0.1.0");
  kvrm::cli::BenchOptions bench;
  kvrm::cli::add_bench_command(app, bench);
  kvrm::cli::RunOptions run;
  kvrm::cli::add_run_command(app, run);
  kvrm::cli::BatchCliOptions batch;
  kvrm::cli::add_batch_command(app, batch);
  kvrm::cli::BenchBatchOptions bench_batch;
  kvrm::cli::add_bench_batch_command(*app.get_subcommand("bench"), bench_batch);
  try {
    app.parse(argc, argv);
  } catch (const CLI::ParseError& e) {
    // --help and --version print and succeed; a bad command line gets CLI11's message and exit
    // status 1, like kvrm's other input errors (and qemu-aarch64's bad options), not CLI11's own
    // codes (105 and up), which a guest's exit status could be mistaken for.
    return app.exit(e) == 0 ? 0 : 1;
  }
  try {
    if (app.got_subcommand("bench")) {
      if (app.get_subcommand("bench")->got_subcommand("batch"))
        return kvrm::cli::run_bench_batch(bench_batch);
      return kvrm::cli::run_bench(bench);
    }
    if (app.got_subcommand("run")) return kvrm::cli::run_run(run);
    if (app.got_subcommand("batch")) return kvrm::cli::run_batch_command(batch);
  } catch (const kvrm::Error& e) {
    std::fprintf(stderr, "kvrm: %s\n", e.what());
    return 1;
  } catch (const std::exception& e) {
    std::fprintf(stderr, "kvrm: internal error: %s\n", e.what());
    return 70;
  }
  return 0;
}

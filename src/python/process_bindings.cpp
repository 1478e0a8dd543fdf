// kvrm.run's C++ side: _kvrm.run_process runs a static AArch64 Linux program as a guest process
// (os::Process, as `kvrm run` does) with in-memory standard streams: fd 0 reads the given bytes,
// fds 1 and 2 are captured. The GIL is released while the guest runs.
#include <pybind11/stl.h>

#include <memory>
#include <string>
#include <utility>
#include <vector>

#include "bindings.hpp"
#include "engines/cuda/cuda_engine.hpp"
#include "engines/engine.hpp"
#include "os/process.hpp"

namespace kvrm::python {

namespace {

struct ProcessOutcome {
  int exit_status = 0;
  std::string out, err;
  u64 instructions = 0;
  u64 syscalls = 0;
  double seconds = 0;
  std::string backend;
};

std::unique_ptr<Engine> engine_for(const std::string& backend, std::string& chosen) {
  if (backend != "auto" && backend != "cpu" && backend != "cuda") {
    throw py::value_error("backend must be 'auto', 'cpu' or 'cuda', not '" + backend + "'");
  }
  std::string why;
  const bool cuda = cuda_available(&why);
  if (backend == "cuda" && !cuda) {
    throw CudaUnavailable("the CUDA engine is not available: " + why);
  }
  chosen = backend == "auto" ? (cuda ? "cuda" : "cpu") : backend;
  if (chosen == "cuda") return make_cuda_engine({.memory_limit = u64{2} << 30});
  return make_reference_engine();
}

}  // namespace

void bind_process(py::module_& m) {
  py::class_<ProcessOutcome>(m, "ProcessOutcome", "What run_process returns (see kvrm.run).")
      .def_readonly("exit_status", &ProcessOutcome::exit_status, "The exit status.")
      .def_property_readonly(
          "stdout", [](const ProcessOutcome& o) { return py::bytes(o.out); },
          "The guest's standard output.")
      .def_property_readonly(
          "stderr", [](const ProcessOutcome& o) { return py::bytes(o.err); },
          "The guest's standard error and kvrm's messages about the guest.")
      .def_readonly("instructions", &ProcessOutcome::instructions, "Instructions executed.")
      .def_readonly("syscalls", &ProcessOutcome::syscalls, "System calls made.")
      .def_readonly("elapsed_seconds", &ProcessOutcome::seconds, "Wall time.")
      .def_readonly("backend", &ProcessOutcome::backend, "'cpu' or 'cuda'.");

  m.def(
      "run_process",
      [](std::string path, std::vector<std::string> argv, std::vector<std::string> envp,
         py::bytes stdin_bytes, const std::string& backend, std::string root,
         std::vector<std::string> rw_dirs, std::string ld_prefix, u64 max_instructions,
         double timeout_seconds, bool strace) {
        ProcessOutcome o;
        std::unique_ptr<Engine> e = engine_for(backend, o.backend);
        const std::string input = stdin_bytes;  // a copy the guest reads while the GIL is free
        os::ProcessOptions po;
        po.path = std::move(path);
        po.argv = std::move(argv);
        po.envp = std::move(envp);
        po.max_instructions = max_instructions;
        po.timeout_seconds = timeout_seconds;
        po.strace = strace;
        po.sandbox.root = std::move(root);
        po.sandbox.rw_dirs = std::move(rw_dirs);
        po.sandbox.ld_prefix = std::move(ld_prefix);
        po.stdin_data = &input;
        po.stdout_buffer = &o.out;
        po.stderr_buffer = &o.err;
        {
          py::gil_scoped_release nogil;
          os::Process p(*e, std::move(po));  // ExecError -> kvrm.ExecError
          o.exit_status = p.run();
          o.instructions = p.stats().instructions;
          o.syscalls = p.stats().syscalls;
          o.seconds = p.stats().seconds;
        }
        return o;
      },
      py::arg("path"), py::arg("argv"), py::arg("envp"), py::arg("stdin"), py::arg("backend"),
      py::arg("root"), py::arg("rw_dirs"), py::arg("ld_prefix"), py::arg("max_instructions"),
      py::arg("timeout_seconds"), py::arg("strace"),
      "Runs an AArch64 Linux program to its end with in-memory standard streams; "
      "kvrm.run is the documented way to call it.");
}

}  // namespace kvrm::python

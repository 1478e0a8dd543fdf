// The extension module kvrm._kvrm: kvrm's exceptions, its enums (Signal, Access, FaultCause) as
// Python IntEnum classes, and the bindings of the engine API, the core state, the Linux
// process layer and the batch engine. The package kvrm (python/kvrm/) builds the seed's classes on
// top of it.
#include <cstdio>
#include <utility>
#include <vector>

#include "bindings.hpp"
#include "isa/mmu.hpp"
#include "os/elf.hpp"

namespace kvrm::python {

namespace {

// Created once per interpreter and never destroyed (they must outlive every kvrm object).
py::handle g_signal, g_access, g_fault_cause;

py::handle make_int_enum(py::module_& m, const char* name, const char* doc,
                         const std::vector<std::pair<const char*, int>>& members) {
  py::list items;
  for (const auto& [n, v] : members) items.append(py::make_tuple(n, v));
  py::object cls = py::module_::import("enum").attr("IntEnum")(name, items);
  cls.attr("__module__") = "kvrm";
  cls.attr("__doc__") = doc;
  m.attr(name) = cls;
  return cls.release();
}

}  // namespace

std::string hex(u64 v) {
  char buf[32];
  std::snprintf(buf, sizeof buf, "0x%llx", static_cast<unsigned long long>(v));
  return buf;
}

py::object signal_enum(Signal s) { return g_signal(static_cast<int>(s)); }
py::object access_enum(Access a) { return g_access(static_cast<int>(a)); }
py::object fault_cause_enum(FaultCause c) { return g_fault_cause(static_cast<int>(c)); }

void bind_enums(py::module_& m) {
  g_signal = make_int_enum(m, "Signal",
                           "Why execution stopped (the seed's Signal values first).\n\n"
                           "RUNNING 0: never the result of a finished run.\n"
                           "HALT 1: HLT executed; the PC is the HLT instruction.\n"
                           "SYSCALL 2: SVC executed; the PC is the instruction after it.\n"
                           "CHECKPOINT 3: the cycle budget (or a batch limit or timeout) ran "
                           "out; the PC is the next instruction.\n"
                           "FAULT 4: memory fault (see StopInfo); the PC is the faulting "
                           "instruction.\n"
                           "UNDEFINED 5: an encoding kvrm does not implement or that is "
                           "unallocated; StopInfo.insn is its word.\n"
                           "BREAKPOINT 6: BRK executed; the PC is the BRK instruction.",
                           {{"RUNNING", 0},
                            {"HALT", 1},
                            {"SYSCALL", 2},
                            {"CHECKPOINT", 3},
                            {"FAULT", 4},
                            {"UNDEFINED", 5},
                            {"BREAKPOINT", 6}});
  g_access = make_int_enum(m, "Access", "The kind of memory access that faulted.",
                           {{"READ", 0}, {"WRITE", 1}, {"FETCH", 2}});
  g_fault_cause =
      make_int_enum(m, "FaultCause",
                    "Why a memory access faulted: NONE (no fault), UNMAPPED (no page "
                    "there), PERMISSION (the page does not allow the access), "
                    "ALIGNMENT (the instruction requires an aligned address).",
                    {{"NONE", 0}, {"UNMAPPED", 1}, {"PERMISSION", 2}, {"ALIGNMENT", 3}});
}

}  // namespace kvrm::python

PYBIND11_MODULE(_kvrm, m) {
  namespace py = pybind11;
  using namespace kvrm::python;
  m.doc() =
      "kvrm's C++ core: the engine API (reference engine on the host CPU, CUDA engine on NVIDIA "
      "GPUs), the AArch64 core state, the Linux process layer and the batch engine. Use it "
      "through the package kvrm.";
  m.attr("__version__") = KVRM_VERSION;
  m.attr("PERM_NONE") = static_cast<int>(kvrm::kPermNone);
  m.attr("PERM_READ") = static_cast<int>(kvrm::kPermRead);
  m.attr("PERM_WRITE") = static_cast<int>(kvrm::kPermWrite);
  m.attr("PERM_EXEC") = static_cast<int>(kvrm::kPermExec);
  m.attr("PERM_RWX") = static_cast<int>(kvrm::kPermRead | kvrm::kPermWrite | kvrm::kPermExec);

  // Exceptions: the base first; pybind11 tries the translators registered last first, so the
  // subclasses below take precedence for their C++ types. Local: other modules' exceptions are
  // not affected.
  auto& kvrm_error = py::register_local_exception<kvrm::Error>(m, "KvrmError", PyExc_RuntimeError);
  kvrm_error.attr("__doc__") =
      "An error of the kvrm emulator (address not mapped, out of guest memory, no GPU, a "
      "program that cannot be started, ...). A subclass of RuntimeError.";
  auto& cuda_error =
      py::register_local_exception<CudaUnavailable>(m, "CudaUnavailableError", kvrm_error.ptr());
  cuda_error.attr("__doc__") =
      "The CUDA engine was asked for, but this build of kvrm has no CUDA engine or no usable "
      "NVIDIA GPU is present. The message says which.";
  static auto& exec_error =
      py::register_local_exception<kvrm::os::ExecError>(m, "ExecError", kvrm_error.ptr());
  exec_error.attr("__doc__") =
      "kvrm.run could not start the program. Its attribute `status` is the exit status the "
      "kvrm program reports for it: 127 (not found), 126 (not a static AArch64 executable), 1 "
      "(another I/O error).";
  // Tried before the plain translation above: adds the exit status.
  py::register_local_exception_translator([](std::exception_ptr p) {
    try {
      if (p) std::rethrow_exception(p);
    } catch (const kvrm::os::ExecError& e) {
      py::object exc = py::reinterpret_borrow<py::object>(exec_error.ptr())(e.what());
      exc.attr("status") = e.status();
      PyErr_SetObject(exec_error.ptr(), exc.ptr());
    }
  });

  bind_enums(m);
  bind_state(m);
  bind_engine(m);
  bind_process(m);
  bind_batch(m);
}

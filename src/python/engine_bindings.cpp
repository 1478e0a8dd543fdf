// kvrm.Engine and its results (RunResult, StopInfo): the C++ engine API (engines/engine.hpp) as
// Python sees it, plus the factories for the reference engine and the CUDA engine. Every call
// into an engine releases the GIL (other Python threads run meanwhile) and holds the engine's
// own lock, so two threads sharing one engine take turns instead of racing.
#include <memory>
#include <mutex>
#include <sstream>
#include <string>
#include <utility>

#include "bindings.hpp"
#include "engines/cuda/cuda_engine.hpp"
#include "engines/engine.hpp"
#include "isa/mmu.hpp"

namespace kvrm::python {

namespace {

class PyEngine {
 public:
  explicit PyEngine(std::unique_ptr<Engine> e) : e_(std::move(e)) {}

  // Runs f(engine) with the GIL released and the engine locked.
  template <class F>
  decltype(auto) with(F&& f) {
    py::gil_scoped_release nogil;
    std::lock_guard<std::mutex> lock(m_);
    return f(*e_);
  }
  const char* name() const { return e_->name(); }

 private:
  std::unique_ptr<Engine> e_;
  std::mutex m_;
};

int checked_reg(int n) {
  if (n < 0 || n > 31) {
    throw py::index_error("register number " + std::to_string(n) + " is not 0-31 (31 is SP)");
  }
  return n;
}

[[noreturn]] void not_mapped(const char* verb, u64 addr, u64 size) {
  throw Error(std::string("cannot ") + verb + " " + std::to_string(size) + " bytes at " +
              hex(addr) + ": address not mapped");
}

std::string stop_info_repr(const StopInfo& i) {
  std::ostringstream o;
  o << "StopInfo(fault_addr=" << hex(i.fault_addr) << ", insn=" << hex(i.insn)
    << ", imm16=" << hex(i.imm16) << ", access=" << access_name(i.access)
    << ", cause=" << fault_cause_name(i.cause) << ")";
  return o.str();
}

}  // namespace

void bind_engine(py::module_& m) {
  py::class_<StopInfo>(m, "StopInfo",
                       "What came with a stop: the instruction word at the PC, the 16-bit "
                       "immediate of SVC/HLT/BRK, and for FAULT the address, access and cause.")
      .def_readonly("fault_addr", &StopInfo::fault_addr, "FAULT: the address accessed.")
      .def_readonly("insn", &StopInfo::insn, "The instruction word at the PC (UNDEFINED).")
      .def_readonly("imm16", &StopInfo::imm16, "The immediate of SVC, HLT or BRK.")
      .def_property_readonly(
          "access", [](const StopInfo& i) { return access_enum(i.access); },
          "FAULT: the kind of access (Access).")
      .def_property_readonly(
          "cause", [](const StopInfo& i) { return fault_cause_enum(i.cause); },
          "FAULT: why it faulted (FaultCause); NONE otherwise.")
      .def("__repr__", &stop_info_repr);

  py::class_<RunResult>(m, "RunResult", "The outcome of one Engine.execute* call.")
      .def_readonly("cycles", &RunResult::cycles,
                    "Instructions retired by the call (an SVC counts; a stopping HLT/BRK, a "
                    "faulting or UNDEFINED instruction does not).")
      .def_property_readonly(
          "signal", [](const RunResult& r) { return signal_enum(r.signal); },
          "Why it stopped (Signal).")
      .def_property_readonly("signal_name", &RunResult::signal_name,
                             "The signal's name: 'HALT', 'SYSCALL', 'CHECKPOINT', ...")
      .def_readonly("pc", &RunResult::pc, "The final PC (see Signal for what it addresses).")
      .def_readonly("info", &RunResult::info, "StopInfo: details of the stop.")
      .def_readonly("batch_count", &RunResult::batch_count,
                    "Batches (kernel launches or loop rounds) the call ran.")
      .def_readonly("elapsed_seconds", &RunResult::elapsed_seconds, "Wall time of the call.")
      .def_property_readonly("ips", &RunResult::ips, "Instructions per second (cycles/elapsed).")
      .def_property_readonly(
          "description", [](const RunResult& r) { return describe(r); },
          "One line, e.g. 'FAULT: write of unmapped address 0x10 at pc 0x400080'.")
      .def("__repr__", [](const RunResult& r) {
        std::ostringstream o;
        o << "RunResult(" << describe(r) << ", cycles=" << r.cycles
          << ", batch_count=" << r.batch_count << ", elapsed_seconds=" << r.elapsed_seconds << ")";
        return o.str();
      });

  py::class_<PyEngine>(m, "Engine",
                       "One emulated AArch64 core with its guest memory: the reference engine "
                       "(host CPU) or the CUDA engine (GPU), made by reference_engine() or "
                       "cuda_engine(). Both execute the same instruction semantics and give the "
                       "same results.")
      .def_property_readonly("name", &PyEngine::name, "'cpu' or 'cuda'.")
      .def(
          "map",
          [](PyEngine& e, u64 address, u64 size, u8 perms) {
            e.with([&](Engine& g) { g.map(address, size, perms); });
          },
          py::arg("address"), py::arg("size"),
          py::arg("perms") = kPermRead | kPermWrite | kPermExec,
          "Maps [address, address+size) (page-aligned, 4 KiB pages), zero-filled, with perms "
          "(a combination of PERM_READ, PERM_WRITE, PERM_EXEC). KvrmError when a page is already "
          "mapped, the range is not page-aligned, or the memory limit is reached.")
      .def(
          "unmap",
          [](PyEngine& e, u64 address, u64 size) {
            e.with([&](Engine& g) { g.unmap(address, size); });
          },
          py::arg("address"), py::arg("size"),
          "Unmaps the pages of [address, address+size) (page-aligned); unmapped pages are "
          "skipped.")
      .def(
          "protect",
          [](PyEngine& e, u64 address, u64 size, u8 perms) {
            e.with([&](Engine& g) { g.protect(address, size, perms); });
          },
          py::arg("address"), py::arg("size"), py::arg("perms"),
          "Changes the permissions of mapped pages; KvrmError where a page is not mapped.")
      .def(
          "is_mapped",
          [](PyEngine& e, u64 address, u64 size) {
            return e.with([&](Engine& g) { return g.is_mapped(address, size); });
          },
          py::arg("address"), py::arg("size") = 1,
          "True when every byte of [address, address+size) is mapped.")
      .def(
          "read_memory",
          [](PyEngine& e, u64 address, u64 size) {
            if (!e.with([&](Engine& g) { return g.is_mapped(address, size); })) {
              not_mapped("read", address, size);
            }
            py::bytes out(nullptr, static_cast<py::ssize_t>(size));
            char* dst = PyBytes_AsString(out.ptr());
            e.with([&](Engine& g) { g.read_memory(address, dst, size); });
            return out;
          },
          py::arg("address"), py::arg("size"),
          "Reads guest memory (ignoring permissions) as bytes. KvrmError where a byte is not "
          "mapped.")
      .def(
          "read_memory_into",
          [](PyEngine& e, u64 address, py::handle buffer) {
            BufferRef b(buffer, true);
            e.with([&](Engine& g) { g.read_memory(address, b.data(), b.size()); });
          },
          py::arg("address"), py::arg("buffer"),
          "Reads len(buffer) bytes of guest memory straight into a writable, C-contiguous "
          "buffer (bytearray, memoryview, numpy array): no intermediate copy.")
      .def(
          "write_memory",
          [](PyEngine& e, u64 address, py::handle data) {
            BufferRef b(data, false);
            e.with([&](Engine& g) { g.write_memory(address, b.data(), b.size()); });
          },
          py::arg("address"), py::arg("data"),
          "Writes a bytes-like object (bytes, bytearray, memoryview, C-contiguous numpy array) "
          "into guest memory, ignoring permissions. KvrmError where a byte is not mapped.")
      .def(
          "state", [](PyEngine& e) { return e.with([](Engine& g) { return g.state(); }); },
          "A copy of the whole architectural state (CoreState).")
      .def(
          "set_state",
          [](PyEngine& e, const CoreState& s) {
            const CoreState copy = s;
            e.with([&](Engine& g) { g.set_state(copy); });
          },
          py::arg("state"), "Replaces the whole architectural state.")
      .def_property(
          "pc", [](PyEngine& e) { return e.with([](Engine& g) { return g.pc(); }); },
          [](PyEngine& e, u64 pc) { e.with([&](Engine& g) { g.set_pc(pc); }); },
          "The program counter.")
      .def(
          "reg",
          [](PyEngine& e, int n) {
            checked_reg(n);
            return e.with([&](Engine& g) { return g.reg(n); });
          },
          py::arg("n"), "X<n> for n in 0-30; 31 is SP. IndexError for other numbers.")
      .def(
          "set_reg",
          [](PyEngine& e, int n, u64 value) {
            checked_reg(n);
            e.with([&](Engine& g) { g.set_reg(n, value); });
          },
          py::arg("n"), py::arg("value"), "Sets X<n> (0-30) or SP (31).")
      .def(
          "execute",
          [](PyEngine& e, u64 max_cycles) {
            return e.with([&](Engine& g) { return g.execute(max_cycles); });
          },
          py::arg("max_cycles"),
          "Standard dispatch: runs until a stop signal or until max_cycles instructions have "
          "retired (CHECKPOINT). Returns a RunResult.")
      .def(
          "execute_continuous",
          [](PyEngine& e, u64 cycles_per_batch, u64 max_batches, double timeout_seconds) {
            return e.with([&](Engine& g) {
              return g.execute_continuous(cycles_per_batch, max_batches, timeout_seconds);
            });
          },
          py::arg("cycles_per_batch"), py::arg("max_batches"), py::arg("timeout_seconds"),
          "Continuous dispatch: batches of cycles_per_batch instructions until a stop signal, "
          "max_batches batches, or timeout_seconds (a batch still running then stops within "
          "100 ms).")
      .def(
          "execute_mega",
          [](PyEngine& e, u64 total_cycles) {
            return e.with([&](Engine& g) { return g.execute_mega(total_cycles); });
          },
          py::arg("total_cycles"), "Mega dispatch: the whole budget in one go.")
      .def("__repr__",
           [](const PyEngine& e) { return std::string("<kvrm.Engine ") + e.name() + ">"; });

  m.def(
      "reference_engine",
      [](u64 memory_limit) {
        return std::make_unique<PyEngine>(make_reference_engine(memory_limit));
      },
      py::arg("memory_limit") = u64{4} << 30,
      "The reference engine: the shared instruction semantics in a loop on the host CPU. "
      "memory_limit caps the guest memory that can be mapped (4 KiB to 64 GiB).");
  m.def(
      "cuda_engine",
      [](u64 memory_limit, int device, double watchdog_seconds, const std::string& jit,
         u32 jit_threshold, const std::string& jit_cache) {
        const JitMode mode = parse_jit_mode(jit);  // a bad name is an error with or without GPU
        if (jit_threshold == 0) throw Error("jit_threshold must be at least 1");
        std::string why;
        if (!cuda_available(&why))
          throw CudaUnavailable("the CUDA engine is not available: " + why);
        return std::make_unique<PyEngine>(make_cuda_engine(
            {.memory_limit = memory_limit,
             .device = device,
             .watchdog_seconds = watchdog_seconds,
             .jit = {.mode = mode, .hot_threshold = jit_threshold, .cache = jit_cache}}));
      },
      py::arg("memory_limit") = u64{1} << 30, py::arg("device") = 0,
      py::arg("watchdog_seconds") = 0.0, py::arg("jit") = "auto", py::arg("jit_threshold") = 64,
      py::arg("jit_cache") = "",
      "The CUDA engine on GPU `device`. memory_limit bytes of guest memory are reserved on the "
      "GPU. watchdog_seconds > 0 stops a launch that runs longer (CHECKPOINT). jit: 'auto' "
      "(translate hot code on read-only executable pages into native GPU code when the CUDA "
      "run-time compiler is installed), 'on' (an error where it is not) or 'off'; "
      "jit_threshold: taken branches that make a target hot; jit_cache: where translated code "
      "is kept between runs ('' for $XDG_CACHE_HOME/kvrm, else ~/.cache/kvrm; 'off': nowhere; "
      "the size limit is KVRM_JIT_CACHE_MAX_BYTES). Raises CudaUnavailableError "
      "where this build has no CUDA engine or no GPU is usable.");
  m.def(
      "cuda_available", [] { return cuda_available(nullptr); },
      "True when this build has the CUDA engine and a usable NVIDIA GPU is present.");
  m.def(
      "cuda_unavailable_reason",
      []() -> py::object {
        std::string why;
        if (cuda_available(&why)) return py::none();
        return py::str(why);
      },
      "Why the CUDA engine cannot be used (a sentence), or None when it can.");
}

}  // namespace kvrm::python

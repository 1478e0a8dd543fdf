// The batch engine (src/batch/) as Python sees it: kvrm._kvrm.ParallelMachine (the bare-metal
// batch, under kvrm.ParallelCudaCPU) with its results ParallelResult and LaneRunResult, and
// run_batch (a Linux program as N processes, under kvrm.run_batch) with its BatchOutcome. Runs
// and memory copies release the GIL; a machine's own lock makes threads sharing one take turns.
// Per-lane arrays (registers, PCs, cycles, signals) come back as memoryviews over new
// bytearrays ('Q' or 'B', native order), which numpy views without copying.
#include <pybind11/stl.h>

#include <cstring>
#include <memory>
#include <mutex>
#include <sstream>
#include <string>
#include <tuple>
#include <utility>
#include <vector>

#include "batch/batch.hpp"
#include "batch/parallel.hpp"
#include "bindings.hpp"
#include "engines/cuda/cuda_engine.hpp"
#include "engines/engine.hpp"
#include "isa/mmu.hpp"

namespace kvrm::python {

namespace {

using batch::BatchOptions;
using batch::BatchResult;
using batch::BatchStats;
using batch::LaneResult;
using batch::LaneRunResult;
using batch::ParallelMachine;
using batch::ParallelOptions;
using batch::ParallelResult;

// The backend names the batch engine takes; "cuda" without a usable GPU (or in a build without
// the CUDA engine) is CudaUnavailableError here, before the engine is asked.
void check_backend(const std::string& backend) {
  if (backend != "auto" && backend != "cpu" && backend != "cuda") {
    throw py::value_error("backend must be 'auto', 'cpu' or 'cuda', not '" + backend + "'");
  }
  std::string why;
  if (backend == "cuda" && !cuda_available(&why)) {
    throw CudaUnavailable("the CUDA batch backend is not available: " + why);
  }
}

// A memoryview of `count` items of `format` ('Q' or 'B') over a new bytearray, filled by
// fill(char* bytes).
template <class F>
py::object new_array(u64 count, u64 item_size, const char* format, F&& fill) {
  py::bytearray buffer(nullptr, 0);
  if (PyByteArray_Resize(buffer.ptr(), static_cast<py::ssize_t>(count * item_size)) != 0) {
    throw py::error_already_set();
  }
  fill(PyByteArray_AsString(buffer.ptr()));
  return py::memoryview(buffer).attr("cast")(format);
}

std::string lane_description(const LaneRunResult& l) {
  RunResult r;
  r.cycles = l.cycles;
  r.signal = l.signal;
  r.pc = l.pc;
  r.info = l.info;
  std::string d = describe(r);
  if (l.out_of_memory) d += " (the lane's memory limit is reached)";
  return d;
}

class PyParallel {
 public:
  explicit PyParallel(const ParallelOptions& o) : m_(std::make_unique<ParallelMachine>(o)) {}

  // Runs f(machine) with the GIL released and the machine locked.
  template <class F>
  decltype(auto) with(F&& f) {
    py::gil_scoped_release nogil;
    std::lock_guard<std::mutex> lock(mu_);
    return f(*m_);
  }
  u32 lanes() const { return m_->lanes(); }
  const char* backend() const { return m_->backend_name(); }

  u32 lane(i64 i) const {
    if (i < 0 || i >= static_cast<i64>(m_->lanes())) {
      throw py::index_error("lane " + std::to_string(i) + " is not 0-" +
                            std::to_string(m_->lanes() - 1));
    }
    return static_cast<u32>(i);
  }

 private:
  std::unique_ptr<ParallelMachine> m_;
  std::mutex mu_;
};

int checked_reg(int n) {
  if (n < 0 || n > 31) {
    throw py::index_error("register number " + std::to_string(n) + " is not 0-31 (31 is SP)");
  }
  return n;
}

// What _kvrm.run_batch returns: each lane's result and the batch's figures.
struct BatchOutcome {
  std::vector<LaneResult> lanes;
  BatchStats stats;
};

// One lane's input as _kvrm.run_batch takes it: (args, stdin bytes, stdin path, env entries).
using LaneTuple =
    std::tuple<std::vector<std::string>, py::bytes, std::string, std::vector<std::string>>;

void bind_parallel(py::module_& m) {
  py::class_<LaneRunResult>(m, "LaneRunResult",
                            "One lane's part of a ParallelMachine.execute call (see "
                            "kvrm.ParallelCudaCPU).")
      .def_readonly("cycles", &LaneRunResult::cycles,
                    "Instructions the lane retired in the call (as RunResult.cycles).")
      .def_property_readonly(
          "signal", [](const LaneRunResult& l) { return signal_enum(l.signal); },
          "Why the lane stopped (Signal); CHECKPOINT when max_cycles ran out.")
      .def_property_readonly(
          "signal_name", [](const LaneRunResult& l) { return std::string(signal_name(l.signal)); },
          "The signal's name: 'HALT', 'SYSCALL', 'CHECKPOINT', 'FAULT', ...")
      .def_readonly("pc", &LaneRunResult::pc, "The lane's final PC (see Signal).")
      .def_readonly("info", &LaneRunResult::info, "StopInfo: details of the stop.")
      .def_readonly("out_of_memory", &LaneRunResult::out_of_memory,
                    "True when a write needed a page past the lane's memory limit (signal "
                    "FAULT).")
      .def_property_readonly("description", &lane_description,
                             "One line, e.g. 'FAULT: write of unmapped address 0x10 at pc 0x8'.")
      .def("__repr__", [](const LaneRunResult& l) {
        std::ostringstream o;
        o << "LaneRunResult(" << lane_description(l) << ", cycles=" << l.cycles << ")";
        return o.str();
      });

  py::class_<ParallelResult>(m, "ParallelResult",
                             "The outcome of ParallelMachine.execute: one LaneRunResult per lane "
                             "(result[i], len(result), iteration, .lanes) and the totals. "
                             "cycles, pcs and signals give one column for all lanes as a "
                             "memoryview (numpy.asarray views it).")
      .def_property_readonly(
          "lanes",
          [](const ParallelResult& r) {
            py::list l(r.lanes.size());
            for (size_t i = 0; i < r.lanes.size(); ++i) l[i] = py::cast(r.lanes[i]);
            return l;
          },
          "A list of every lane's LaneRunResult (a new list each time).")
      .def_readonly("total_cycles", &ParallelResult::total_cycles,
                    "Instructions retired by all lanes together.")
      .def_readonly("elapsed_seconds", &ParallelResult::elapsed_seconds, "Wall time of the call.")
      .def_property_readonly("ips", &ParallelResult::ips,
                             "Aggregate instructions per second (total_cycles / elapsed).")
      .def_property_readonly(
          "cycles",
          [](const ParallelResult& r) {
            return new_array(r.lanes.size(), 8, "Q", [&](char* p) {
              for (const auto& l : r.lanes) std::memcpy(p, &l.cycles, 8), p += 8;
            });
          },
          "Each lane's cycles as a memoryview of unsigned 64-bit integers ('Q').")
      .def_property_readonly(
          "pcs",
          [](const ParallelResult& r) {
            return new_array(r.lanes.size(), 8, "Q", [&](char* p) {
              for (const auto& l : r.lanes) std::memcpy(p, &l.pc, 8), p += 8;
            });
          },
          "Each lane's final PC as a memoryview ('Q').")
      .def_property_readonly(
          "signals",
          [](const ParallelResult& r) {
            return new_array(r.lanes.size(), 1, "B", [&](char* p) {
              for (const auto& l : r.lanes) *p++ = static_cast<char>(l.signal);
            });
          },
          "Each lane's signal number (Signal values) as a memoryview of bytes ('B').")
      .def("__len__", [](const ParallelResult& r) { return r.lanes.size(); })
      .def("__getitem__",
           [](const ParallelResult& r, py::ssize_t i) {
             const auto n = static_cast<py::ssize_t>(r.lanes.size());
             if (i < 0) i += n;
             if (i < 0 || i >= n) throw py::index_error("lane index out of range");
             return r.lanes[static_cast<size_t>(i)];
           })
      .def("__repr__", [](const ParallelResult& r) {
        std::ostringstream o;
        o << "ParallelResult(lanes=" << r.lanes.size() << ", total_cycles=" << r.total_cycles
          << ", elapsed_seconds=" << r.elapsed_seconds << ")";
        return o.str();
      });

  py::class_<PyParallel>(m, "ParallelMachine",
                         "N AArch64 lanes sharing one memory image (copy on write: a lane's "
                         "writes go to its own copies of the pages it writes), each with its own "
                         "registers, PC, flags and cycle count; no OS layer (SVC stops the lane "
                         "with SYSCALL). kvrm.ParallelCudaCPU is the documented way to use it.")
      .def(
          py::init([](u32 lanes, u64 memory_size, const std::string& backend, u64 lane_memory_limit,
                      unsigned threads, std::vector<int> devices, const std::string& frame_layout) {
            check_backend(backend);
            if (frame_layout != "linear" && frame_layout != "interleaved")
              throw py::value_error("frame_layout must be 'linear' or 'interleaved', not '" +
                                    frame_layout + "'");
            ParallelOptions o{.lanes = lanes,
                              .memory_size = memory_size,
                              .lane_memory_limit = lane_memory_limit,
                              .backend = backend,
                              .threads = threads,
                              .devices = std::move(devices),
                              .frame_shift = frame_layout == "linear" ? 0 : kMaxFrameShift};
            py::gil_scoped_release nogil;
            return std::make_unique<PyParallel>(o);
          }),
          py::arg("lanes"), py::arg("memory_size") = u64{4} << 20, py::arg("backend") = "auto",
          py::arg("lane_memory_limit") = u64{64} << 20, py::arg("threads") = 0u,
          py::arg("devices") = std::vector<int>{}, py::arg("frame_layout") = "linear",
          "lanes lanes over an image with memory_size bytes mapped read/write/execute at "
          "address 0 (0: nothing mapped). backend 'cpu' (lanes on host threads; threads: how "
          "many, 0 one per CPU), 'cuda' (devices: the CUDA devices to shard the lanes over, "
          "empty: all visible; frame_layout: 'linear' or 'interleaved', how the lanes' pages "
          "lie in GPU memory) or 'auto'. lane_memory_limit: bytes of pages one lane "
          "may own (write). Raises CudaUnavailableError for 'cuda' without a usable GPU, "
          "KvrmError when the engine cannot provide the backend.")
      .def_property_readonly("lanes", &PyParallel::lanes, "The number of lanes.")
      .def_property_readonly("backend", &PyParallel::backend, "The backend running the lanes.")
      .def(
          "map",
          [](PyParallel& p, u64 address, u64 size, u8 perms) {
            p.with([&](ParallelMachine& m) { m.map(address, size, perms); });
          },
          py::arg("address"), py::arg("size"),
          py::arg("perms") = kPermRead | kPermWrite | kPermExec,
          "Maps [address, address+size) (page-aligned) zero-filled in the image and every lane.")
      .def(
          "unmap",
          [](PyParallel& p, u64 address, u64 size) {
            p.with([&](ParallelMachine& m) { m.unmap(address, size); });
          },
          py::arg("address"), py::arg("size"),
          "Unmaps the pages of [address, address+size) in the image and every lane.")
      .def(
          "protect",
          [](PyParallel& p, u64 address, u64 size, u8 perms) {
            p.with([&](ParallelMachine& m) { m.protect(address, size, perms); });
          },
          py::arg("address"), py::arg("size"), py::arg("perms"),
          "Changes the permissions of mapped pages in the image and every lane.")
      .def(
          "write_memory",
          [](PyParallel& p, u64 address, py::handle data, py::object lane) {
            BufferRef b(data, false);
            if (lane.is_none()) {
              p.with([&](ParallelMachine& m) { m.write_memory(address, b.data(), b.size()); });
            } else {
              const u32 l = p.lane(lane.cast<i64>());
              p.with([&](ParallelMachine& m) { m.write_memory(l, address, b.data(), b.size()); });
            }
          },
          py::arg("address"), py::arg("data"), py::arg("lane") = py::none(),
          "Writes a bytes-like object at address, ignoring permissions: lane=None writes the "
          "image, which every lane sees (lanes that own a copy of a page get the change in their "
          "copy too); a lane number writes only that lane's memory (its own copy of the pages). "
          "KvrmError where a byte is not mapped.")
      .def(
          "read_memory",
          [](PyParallel& p, u64 address, u64 size, i64 lane) {
            const u32 l = p.lane(lane);
            py::bytes out(nullptr, static_cast<py::ssize_t>(size));
            char* dst = PyBytes_AsString(out.ptr());
            p.with([&](ParallelMachine& m) { m.read_memory(l, address, dst, size); });
            return out;
          },
          py::arg("address"), py::arg("size"), py::arg("lane"),
          "size bytes of lane `lane`'s memory at address as bytes (permissions ignored). "
          "KvrmError where a byte is not mapped.")
      .def(
          "read_memory_into",
          [](PyParallel& p, u64 address, py::handle buffer, i64 lane) {
            const u32 l = p.lane(lane);
            BufferRef b(buffer, true);
            p.with([&](ParallelMachine& m) { m.read_memory(l, address, b.data(), b.size()); });
          },
          py::arg("address"), py::arg("buffer"), py::arg("lane"),
          "Reads len(buffer) bytes of lane `lane`'s memory into a writable, C-contiguous buffer.")
      .def(
          "state",
          [](PyParallel& p, i64 lane) {
            const u32 l = p.lane(lane);
            return p.with([&](ParallelMachine& m) { return m.state(l); });
          },
          py::arg("lane"), "A copy of lane `lane`'s architectural state (CoreState).")
      .def(
          "set_state",
          [](PyParallel& p, i64 lane, const CoreState& s) {
            const u32 l = p.lane(lane);
            const CoreState copy = s;
            p.with([&](ParallelMachine& m) { m.set_state(l, copy); });
          },
          py::arg("lane"), py::arg("state"), "Replaces lane `lane`'s architectural state.")
      .def(
          "reg",
          [](PyParallel& p, i64 lane, int n) {
            const u32 l = p.lane(lane);
            checked_reg(n);
            return p.with([&](ParallelMachine& m) { return m.reg(l, n); });
          },
          py::arg("lane"), py::arg("n"), "Lane `lane`'s X<n> (0-30) or SP (31).")
      .def(
          "set_reg",
          [](PyParallel& p, i64 lane, int n, u64 value) {
            const u32 l = p.lane(lane);
            checked_reg(n);
            p.with([&](ParallelMachine& m) { m.set_reg(l, n, value); });
          },
          py::arg("lane"), py::arg("n"), py::arg("value"), "Sets lane `lane`'s X<n> or SP (31).")
      .def(
          "set_reg_all",
          [](PyParallel& p, int n, u64 value) {
            checked_reg(n);
            p.with([&](ParallelMachine& m) { m.set_reg_all(n, value); });
          },
          py::arg("n"), py::arg("value"), "Sets X<n> (or SP, 31) of every lane to value.")
      .def(
          "set_reg_each",
          [](PyParallel& p, int n, py::handle values) {
            checked_reg(n);
            BufferRef b(values, false);
            if (b.size() != u64{p.lanes()} * 8) {
              throw py::value_error("set_reg_each takes " + std::to_string(p.lanes()) +
                                    " 64-bit values (" + std::to_string(u64{p.lanes()} * 8) +
                                    " bytes), not " + std::to_string(b.size()) + " bytes");
            }
            p.with([&](ParallelMachine& m) {
              const char* src = static_cast<const char*>(b.data());
              for (u32 i = 0; i < m.lanes(); ++i) {
                u64 v;
                std::memcpy(&v, src + u64{i} * 8, 8);
                m.set_reg(i, n, v);
              }
            });
          },
          py::arg("n"), py::arg("values"),
          "Sets X<n> (or SP, 31) of lane i to values[i]: a buffer of one 64-bit integer per "
          "lane (array('Q'), a uint64/int64 numpy array).")
      .def(
          "reg_column",
          [](PyParallel& p, int n) {
            checked_reg(n);
            return new_array(p.lanes(), 8, "Q", [&](char* dst) {
              p.with([&](ParallelMachine& m) {
                for (u32 i = 0; i < m.lanes(); ++i) {
                  const u64 v = m.reg(i, n);
                  std::memcpy(dst + u64{i} * 8, &v, 8);
                }
              });
            });
          },
          py::arg("n"), "X<n> (or SP, 31) of every lane as a memoryview ('Q', one per lane).")
      .def(
          "registers",
          [](PyParallel& p) {
            py::object flat = new_array(u64{p.lanes()} * 32, 8, "Q", [&](char* dst) {
              p.with([&](ParallelMachine& m) {
                for (u32 i = 0; i < m.lanes(); ++i) {
                  const CoreState s = m.state(i);
                  std::memcpy(dst + u64{i} * 256, s.x, 256);
                }
              });
            });
            return flat.attr("cast")("B").attr("cast")("Q", py::make_tuple(p.lanes(), 32));
          },
          "A snapshot of X0-X30 and SP of every lane: a memoryview of shape (lanes, 32) ('Q'); "
          "row i is lane i, column 31 is SP. numpy.asarray views it without copying.")
      .def(
          "set_registers",
          [](PyParallel& p, py::handle values) {
            BufferRef b(values, false);
            if (b.size() != u64{p.lanes()} * 256) {
              throw py::value_error("set_registers takes lanes x 32 64-bit values (" +
                                    std::to_string(u64{p.lanes()} * 256) + " bytes), not " +
                                    std::to_string(b.size()) + " bytes");
            }
            p.with([&](ParallelMachine& m) {
              const char* src = static_cast<const char*>(b.data());
              for (u32 i = 0; i < m.lanes(); ++i) {
                CoreState s = m.state(i);
                std::memcpy(s.x, src + u64{i} * 256, 256);
                m.set_state(i, s);
              }
            });
          },
          py::arg("values"),
          "Sets X0-X30 and SP of every lane from a C-contiguous buffer of lanes x 32 64-bit "
          "integers (the layout registers() returns).")
      .def(
          "pc",
          [](PyParallel& p, i64 lane) {
            const u32 l = p.lane(lane);
            return p.with([&](ParallelMachine& m) { return m.pc(l); });
          },
          py::arg("lane"), "Lane `lane`'s PC.")
      .def(
          "set_pc",
          [](PyParallel& p, i64 lane, u64 pc) {
            const u32 l = p.lane(lane);
            p.with([&](ParallelMachine& m) { m.set_pc(l, pc); });
          },
          py::arg("lane"), py::arg("pc"), "Sets lane `lane`'s PC.")
      .def(
          "set_pc_all",
          [](PyParallel& p, u64 pc) { p.with([&](ParallelMachine& m) { m.set_pc_all(pc); }); },
          py::arg("pc"), "Sets every lane's PC.")
      .def(
          "pcs",
          [](PyParallel& p) {
            return new_array(p.lanes(), 8, "Q", [&](char* dst) {
              p.with([&](ParallelMachine& m) {
                for (u32 i = 0; i < m.lanes(); ++i) {
                  const u64 v = m.pc(i);
                  std::memcpy(dst + u64{i} * 8, &v, 8);
                }
              });
            });
          },
          "Every lane's PC as a memoryview ('Q').")
      .def(
          "execute",
          [](PyParallel& p, u64 max_cycles) {
            return p.with([&](ParallelMachine& m) { return m.execute(max_cycles); });
          },
          py::arg("max_cycles"),
          "Runs every lane from its PC until a stop signal or max_cycles retired instructions "
          "(CHECKPOINT). Lanes are independent: one stopping (a fault, HLT, SVC) does not stop "
          "the others. Returns a ParallelResult.")
      .def_property_readonly(
          "image_bytes",
          [](PyParallel& p) { return p.with([](ParallelMachine& m) { return m.image_bytes(); }); },
          "Bytes mapped in the shared image.")
      .def(
          "lane_private_bytes",
          [](PyParallel& p, i64 lane) {
            const u32 l = p.lane(lane);
            return p.with([&](ParallelMachine& m) { return m.lane_private_bytes(l); });
          },
          py::arg("lane"), "Bytes of the pages lane `lane` owns (has written: copies of its own).")
      .def("__repr__", [](const PyParallel& p) {
        return "<kvrm.ParallelMachine " + std::to_string(p.lanes()) + " lanes, " + p.backend() +
               ">";
      });
}

void bind_run_batch(py::module_& m) {
  py::class_<LaneResult>(m, "BatchLaneOutcome", "One lane of run_batch (see kvrm.run_batch).")
      .def_property_readonly(
          "end", [](const LaneResult& r) { return std::string(batch::lane_end_name(r.end)); },
          "How the lane ended: 'exited', 'signaled', 'instruction-limit', 'timeout', "
          "'out-of-memory', 'exec-failed', 'internal-error' or 'not-run'.")
      .def_readonly("exit_status", &LaneResult::exit_status,
                    "The exit status `kvrm run` would give this input.")
      .def_readonly("signal", &LaneResult::signal, "The fatal signal's number, else 0.")
      .def_property_readonly(
          "stdout", [](const LaneResult& r) { return py::bytes(r.stdout_data); },
          "The lane's standard output.")
      .def_property_readonly(
          "stderr", [](const LaneResult& r) { return py::bytes(r.stderr_data); },
          "The lane's standard error and kvrm's messages about it.")
      .def_readonly("instructions", &LaneResult::instructions, "Instructions executed.")
      .def_readonly("syscalls", &LaneResult::syscalls, "System calls made.")
      .def_readonly("peak_memory", &LaneResult::peak_memory,
                    "Most bytes of pages the lane owned at once.")
      .def_readonly("description", &LaneResult::description, "One line about the lane's end.");

  py::class_<BatchStats>(m, "BatchStats", "The figures of a whole run_batch call.")
      .def_readonly("lanes", &BatchStats::lanes, "Lanes in the batch.")
      .def_readonly("instructions", &BatchStats::instructions, "Instructions of all lanes.")
      .def_readonly("syscalls", &BatchStats::syscalls, "System calls of all lanes.")
      .def_readonly("rounds", &BatchStats::rounds, "Execute/service rounds of the scheduler.")
      .def_readonly("cow_copies", &BatchStats::cow_copies, "Pages copied on write.")
      .def_readonly("elapsed_seconds", &BatchStats::seconds, "Wall time.")
      .def_readonly("ips", &BatchStats::ips, "Aggregate instructions per second.")
      .def_readonly("peak_resident_lanes", &BatchStats::peak_resident_lanes,
                    "Most lanes started at once.")
      .def_readonly("peak_pool_bytes", &BatchStats::peak_pool_bytes,
                    "Most private page memory of all lanes at once.")
      .def_readonly("image_bytes", &BatchStats::image_bytes, "The shared program image.")
      .def_readonly("backend", &BatchStats::backend, "The backend that ran the batch.")
      .def_readonly("schedule", &BatchStats::schedule, "'fused' or 'phased'.")
      .def_readonly("threads", &BatchStats::threads, "Host threads used.")
      .def_readonly("execute_seconds", &BatchStats::execute_seconds,
                    "Phased schedule: wall time of the lanes executing on the backend.")
      .def_readonly("service_seconds", &BatchStats::service_seconds,
                    "Phased schedule: wall time of the host starting lanes and servicing stops.")
      .def_readonly("kernel_seconds", &BatchStats::kernel_seconds,
                    "GPU backend: time in launches (summed over devices).")
      .def_readonly("transfer_seconds", &BatchStats::transfer_seconds,
                    "GPU backend: time moving frames, tables and lane records.");

  py::class_<BatchOutcome>(m, "BatchOutcome", "What _kvrm.run_batch returns.")
      .def_readonly("lanes", &BatchOutcome::lanes, "BatchLaneOutcome per lane, in lane order.")
      .def_readonly("stats", &BatchOutcome::stats, "BatchStats.");

  m.def(
      "run_batch",
      [](std::string path, std::vector<std::string> args, std::vector<std::string> envp,
         std::vector<LaneTuple> lanes, const std::string& backend, unsigned threads,
         std::string root, std::vector<std::string> rw_dirs, u64 max_instructions,
         double timeout_seconds, u64 lane_memory_limit, std::vector<int> devices) {
        check_backend(backend);
        BatchOptions o;
        o.program = std::move(path);
        o.args = std::move(args);
        o.env = std::move(envp);
        o.backend = backend;
        o.threads = threads;
        o.max_instructions = max_instructions;
        o.timeout_seconds = timeout_seconds;
        o.lane_memory_limit = lane_memory_limit;
        o.devices = std::move(devices);
        o.sandbox.root = std::move(root);
        o.sandbox.rw_dirs = std::move(rw_dirs);
        o.lanes.reserve(lanes.size());
        for (auto& [a, in, in_path, env] : lanes) {
          o.lanes.push_back({.args = std::move(a),
                             .stdin_data = std::string(in),
                             .stdin_path = std::move(in_path),
                             .env = std::move(env)});
        }
        BatchOutcome out;
        {
          py::gil_scoped_release nogil;
          BatchResult r = batch::run_batch(std::move(o));  // ExecError -> kvrm.ExecError
          out.lanes = std::move(r.lanes);
          out.stats = std::move(r.stats);
        }
        return out;
      },
      py::arg("path"), py::arg("args"), py::arg("envp"), py::arg("lanes"), py::arg("backend"),
      py::arg("threads"), py::arg("root"), py::arg("rw_dirs"), py::arg("max_instructions"),
      py::arg("timeout_seconds"), py::arg("lane_memory_limit"), py::arg("devices"),
      "Runs a static AArch64 Linux program once per lane, each lane (args, stdin bytes, stdin "
      "path, env entries) its own process; kvrm.run_batch is the documented way to call it.");
}

}  // namespace

void bind_batch(py::module_& m) {
  bind_parallel(m);
  bind_run_batch(m);
}

}  // namespace kvrm::python

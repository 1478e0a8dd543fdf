// kvrm.CoreState: one AArch64 core's architectural state as a Python object, with the general
// registers (X0-X30 and SP) and the vector registers (V0-V31) as arrays that the buffer protocol
// exposes without copying (memoryview(state.x), numpy.asarray(state.v)).
#include <pybind11/operators.h>

#include <cstring>
#include <sstream>

#include "bindings.hpp"

namespace kvrm::python {

namespace {

// Normalises a Python index into [0, n) or raises IndexError.
int checked_index(py::ssize_t i, int n, const char* what) {
  if (i < 0) i += n;
  if (i < 0 || i >= n) {
    throw py::index_error(std::string(what) + " index out of range (0-" + std::to_string(n - 1) +
                          ")");
  }
  return static_cast<int>(i);
}

// state.x: the 32 64-bit general registers of a CoreState (index 31 is SP). Keeps the
// CoreState alive; reads and writes go to it directly.
struct XRegisters {
  py::object owner;
  u64* x;
};

// state.v: the 32 128-bit vector registers, 16 little-endian bytes each (byte 0 is the lowest
// byte of lane 0).
struct VRegisters {
  py::object owner;
  VReg* v;
};

u8* vreg_bytes(VReg* v, int i) { return reinterpret_cast<u8*>(&v[i]); }

// Bytes (exactly 16) or an int (0 <= value < 2**128) as a vector register's value.
VReg vreg_from_object(py::handle value) {
  VReg r;
  if (py::isinstance<py::int_>(value)) {
    py::int_ big = py::reinterpret_borrow<py::int_>(value);
    if (py::int_(0) > big || big >= (py::int_(1) << py::int_(128))) {
      throw py::value_error("a vector register holds 0 <= value < 2**128");
    }
    const py::int_ mask(~u64{0});
    r.lo = (big & mask).cast<u64>();
    r.hi = (big >> py::int_(64)).cast<u64>();
    return r;
  }
  BufferRef b(value, false);
  if (b.size() != 16) {
    throw py::value_error("a vector register takes 16 bytes, not " + std::to_string(b.size()));
  }
  std::memcpy(&r, b.data(), 16);
  return r;
}

}  // namespace

void bind_state(py::module_& m) {
  py::class_<XRegisters>(m, "XRegisters", py::buffer_protocol(),
                         "The 32 general registers of a CoreState as unsigned 64-bit integers "
                         "(index 31 is SP). A view: writes change the CoreState. Supports the "
                         "buffer protocol (format 'Q', shape (32,)) for memoryview and numpy.")
      .def_buffer([](XRegisters& r) {
        return py::buffer_info(r.x, sizeof(u64), py::format_descriptor<u64>::format(), 1, {32},
                               {sizeof(u64)});
      })
      .def("__len__", [](const XRegisters&) { return 32; })
      .def("__getitem__",
           [](const XRegisters& r, py::ssize_t i) { return r.x[checked_index(i, 32, "register")]; })
      .def("__setitem__",
           [](XRegisters& r, py::ssize_t i, u64 v) { r.x[checked_index(i, 32, "register")] = v; })
      .def("tolist", [](const XRegisters& r) {
        py::list l;
        for (int i = 0; i < 32; ++i) l.append(r.x[i]);
        return l;
      });

  py::class_<VRegisters>(m, "VRegisters", py::buffer_protocol(),
                         "The 32 vector registers of a CoreState, 16 little-endian bytes each. "
                         "Indexing gives bytes; assigning takes 16 bytes or an int below 2**128. "
                         "A view: writes change the CoreState. Supports the buffer protocol "
                         "(format 'B', shape (32, 16)).")
      .def_buffer([](VRegisters& r) {
        return py::buffer_info(vreg_bytes(r.v, 0), 1, py::format_descriptor<u8>::format(), 2,
                               {32, 16}, {16, 1});
      })
      .def("__len__", [](const VRegisters&) { return 32; })
      .def("__getitem__",
           [](const VRegisters& r, py::ssize_t i) {
             const int n = checked_index(i, 32, "vector register");
             return py::bytes(reinterpret_cast<const char*>(vreg_bytes(r.v, n)), 16);
           })
      .def("__setitem__", [](VRegisters& r, py::ssize_t i, py::handle value) {
        r.v[checked_index(i, 32, "vector register")] = vreg_from_object(value);
      });

  py::class_<CoreState>(m, "CoreState",
                        "The architectural state of one AArch64 core: X0-X30, SP, PC, NZCV, "
                        "FPCR, FPSR, TPIDR_EL0, TPIDRRO_EL0, V0-V31 and the exclusive monitor. "
                        "Engine.state() returns a copy; Engine.set_state() writes one back.")
      .def(py::init<>(), "A zeroed state.")
      .def_property_readonly(
          "x",
          [](py::object self) {
            return XRegisters{self, self.cast<CoreState&>().x};
          },
          "X0-X30 and SP (index 31) as a view (XRegisters).")
      .def_property_readonly(
          "v",
          [](py::object self) {
            return VRegisters{self, self.cast<CoreState&>().v};
          },
          "V0-V31 as a view (VRegisters).")
      .def_readwrite("pc", &CoreState::pc, "The program counter.")
      .def_property(
          "sp", [](const CoreState& s) { return s.sp(); }, [](CoreState& s, u64 v) { s.sp() = v; },
          "The stack pointer (SP_EL0), also x[31].")
      .def_readwrite("nzcv", &CoreState::nzcv,
                     "The flags N, Z, C, V in bits 31..28, as MRS NZCV reads them.")
      .def_readwrite("fpcr", &CoreState::fpcr, "The floating-point control register.")
      .def_readwrite("fpsr", &CoreState::fpsr, "The floating-point status register.")
      .def_readwrite("tpidr_el0", &CoreState::tpidr_el0, "The thread pointer (TPIDR_EL0).")
      .def_readwrite("tpidrro_el0", &CoreState::tpidrro_el0, "TPIDRRO_EL0 (read-only at EL0).")
      .def_readwrite("exclusive_address", &CoreState::excl_addr,
                     "The exclusive monitor's address (set by load-exclusive).")
      .def_readwrite("exclusive_size", &CoreState::excl_size, "Bytes the exclusive monitor covers.")
      .def_property(
          "exclusive_valid", [](const CoreState& s) { return s.excl_valid != 0; },
          [](CoreState& s, bool v) { s.excl_valid = v ? 1 : 0; },
          "Whether the exclusive monitor is set.")
      .def(
          "copy", [](const CoreState& s) { return s; }, "An independent copy.")
      .def("__copy__", [](const CoreState& s) { return s; })
      .def("__deepcopy__", [](const CoreState& s, py::handle) { return s; })
      .def(
          "__eq__",
          [](const CoreState& a, const CoreState& b) {
            return std::memcmp(a.x, b.x, sizeof a.x) == 0 && a.pc == b.pc && a.nzcv == b.nzcv &&
                   a.fpcr == b.fpcr && a.fpsr == b.fpsr && a.tpidr_el0 == b.tpidr_el0 &&
                   a.tpidrro_el0 == b.tpidrro_el0 && std::memcmp(a.v, b.v, sizeof a.v) == 0 &&
                   a.excl_addr == b.excl_addr && a.excl_size == b.excl_size &&
                   a.excl_valid == b.excl_valid;
          },
          py::is_operator())
      .def("__repr__", [](const CoreState& s) {
        std::ostringstream o;
        o << "CoreState(pc=" << hex(s.pc) << ", sp=" << hex(s.sp()) << ", nzcv=" << hex(s.nzcv)
          << ", x=[";
        for (int i = 0; i < 31; ++i) o << (i ? ", " : "") << hex(s.x[i]);
        o << "])";
        return o.str();
      });
}

}  // namespace kvrm::python

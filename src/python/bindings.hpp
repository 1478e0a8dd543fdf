// Shared pieces of the Python extension kvrm._kvrm: the IntEnum classes created at import, the
// C++ exception types that map to kvrm's Python exceptions, a guard for the buffer protocol, and
// the functions that bind each part of the C++ API (one .cpp file each).
#pragma once

#include <pybind11/pybind11.h>

#include <string>

#include "core/error.hpp"
#include "isa/state.hpp"

namespace kvrm::python {

namespace py = pybind11;

// kvrm.CudaUnavailableError (a subclass of kvrm.KvrmError): the CUDA engine was asked for where
// this build or this machine has none.
class CudaUnavailable : public Error {
 public:
  using Error::Error;
};

// The Python IntEnum classes kvrm.Signal, kvrm.Access and kvrm.FaultCause (created once at import
// and kept for the life of the interpreter).
py::object signal_enum(Signal s);
py::object access_enum(Access a);
py::object fault_cause_enum(FaultCause c);

// A Python object's memory through the buffer protocol, C-contiguous, released on destruction.
// Throws py::error_already_set (TypeError/BufferError) where the object cannot provide it.
class BufferRef {
 public:
  BufferRef(py::handle obj, bool writable) {
    const int flags = PyBUF_C_CONTIGUOUS | (writable ? PyBUF_WRITABLE : 0);
    if (PyObject_GetBuffer(obj.ptr(), &view_, flags) != 0) throw py::error_already_set();
  }
  ~BufferRef() { PyBuffer_Release(&view_); }
  BufferRef(const BufferRef&) = delete;
  BufferRef& operator=(const BufferRef&) = delete;

  void* data() const { return view_.buf; }
  u64 size() const { return static_cast<u64>(view_.len); }

 private:
  Py_buffer view_{};
};

// "0x1234" for error messages.
std::string hex(u64 v);

void bind_enums(py::module_& m);
void bind_state(py::module_& m);
void bind_engine(py::module_& m);
void bind_process(py::module_& m);
void bind_batch(py::module_& m);

}  // namespace kvrm::python

// kvrm.run's C++ side: a static AArch64 Linux program run as a guest process (os/process.hpp).
#include "bindings.hpp"

namespace kvrm::python {

void bind_process(py::module_&) {}

}  // namespace kvrm::python

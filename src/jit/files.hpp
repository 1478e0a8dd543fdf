// What kvrm carries inside itself for the run-time compiler (compiler.cpp): the headers a
// module of translated code includes (generated into the build at build time from src/), the
// name of the engine's header among them that gives modules their kernels, and the engine's
// device library (the interpreter and cold path as relocatable device code: the kvrm_device
// archive, embedded whole). The build chooses them (CMakeLists.txt); the JIT names no engine.
#pragma once

#include <cstddef>

namespace kvrm::jit {

struct JitHeader {
  const char* name;  // as modules include it, e.g. "isa/mmu.hpp"
  const char* text;
};

struct JitFiles {
  const JitHeader* headers;
  size_t header_count;
  // The header among them that gives a module its entry points (the engine's kernels around
  // run_translated(): jit/runtime.cuh includes it as KVRM_JIT_MODULE).
  const char* module_header;
  const unsigned char* device_library;  // an ar archive of host objects with device code
  size_t device_library_size;
};

const JitFiles& jit_files();

}  // namespace kvrm::jit

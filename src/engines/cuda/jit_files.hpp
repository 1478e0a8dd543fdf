// What kvrm carries inside itself for the run-time compiler (jit_compiler.cpp): the headers a
// module of translated code includes (generated into the build at build time from src/) and
// kvrm's device library (the interpreter and cold path as relocatable device code: the
// kvrm_device archive, embedded whole).
#pragma once

#include <cstddef>

namespace kvrm::cuda {

struct JitHeader {
  const char* name;  // as modules include it, e.g. "isa/mmu.hpp"
  const char* text;
};

struct JitFiles {
  const JitHeader* headers;
  size_t header_count;
  const unsigned char* device_library;  // an ar archive of host objects with device code
  size_t device_library_size;
};

const JitFiles& jit_files();

}  // namespace kvrm::cuda

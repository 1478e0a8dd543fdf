// The files kvrm carries for the run-time compiler (jit_files.hpp): the device library archive,
// included byte for byte by the assembler from the path the build gives
// (KVRM_DEVICE_LIBRARY_PATH), and the headers from the generated jit_headers.cpp.
#include "engines/cuda/jit_files.hpp"

#ifndef KVRM_DEVICE_LIBRARY_PATH
#error "KVRM_DEVICE_LIBRARY_PATH must name the kvrm_device archive"
#endif

asm(".section .rodata\n"
    ".balign 16\n"
    ".global kvrm_jit_device_library_begin\n"
    "kvrm_jit_device_library_begin:\n"
    ".incbin \"" KVRM_DEVICE_LIBRARY_PATH
    "\"\n"
    ".global kvrm_jit_device_library_end\n"
    "kvrm_jit_device_library_end:\n"
    ".previous\n");

extern "C" const unsigned char kvrm_jit_device_library_begin[];
extern "C" const unsigned char kvrm_jit_device_library_end[];

namespace kvrm::cuda {

extern const JitHeader kJitHeaders[];
extern const size_t kJitHeaderCount;

const JitFiles& jit_files() {
  static const JitFiles files{
      kJitHeaders, kJitHeaderCount, kvrm_jit_device_library_begin,
      static_cast<size_t>(kvrm_jit_device_library_end - kvrm_jit_device_library_begin)};
  return files;
}

}  // namespace kvrm::cuda

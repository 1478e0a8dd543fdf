// The files kvrm carries for the run-time compiler (files.hpp): the device library archive,
// included byte for byte by the assembler from the path the build gives
// (KVRM_DEVICE_LIBRARY_PATH), the headers from the generated jit_headers.cpp, and the module
// header's name (KVRM_JIT_MODULE_HEADER).
#include "jit/files.hpp"

#ifndef KVRM_DEVICE_LIBRARY_PATH
#error "KVRM_DEVICE_LIBRARY_PATH must name the kvrm_device archive"
#endif
#ifndef KVRM_JIT_MODULE_HEADER
#error "KVRM_JIT_MODULE_HEADER must name the header that gives modules their entry points"
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

namespace kvrm::jit {

extern const JitHeader kJitHeaders[];
extern const size_t kJitHeaderCount;

const JitFiles& jit_files() {
  static const JitFiles files{
      kJitHeaders, kJitHeaderCount, KVRM_JIT_MODULE_HEADER, kvrm_jit_device_library_begin,
      static_cast<size_t>(kvrm_jit_device_library_end - kvrm_jit_device_library_begin)};
  return files;
}

}  // namespace kvrm::jit

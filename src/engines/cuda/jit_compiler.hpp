// The run-time compiler of translated guest code: NVRTC compiles a module's source (written by
// src/jit/translator.hpp) against kvrm's own headers, which kvrm carries inside itself, and
// nvJitLink links the result with kvrm's interpreter and cold path (compiled into kvrm as
// relocatable device code, also carried inside). Both libraries are loaded when first needed
// (dlopen), so kvrm runs without them, only without translation. Neither needs a GPU: CI
// compiles and links modules too.
#pragma once

#include <string>
#include <vector>

#include "isa/hd.hpp"

namespace kvrm::cuda {

// True when NVRTC and nvJitLink can be loaded; otherwise false with the reason in *why.
bool jit_compiler_available(std::string* why = nullptr);

struct CompiledModule {
  std::vector<char> cubin;  // linked, loadable (cudaLibraryLoadData)
  double compile_seconds = 0;
  double link_seconds = 0;
  bool cached = false;  // an identical source was compiled before in this process
};

// Compiles a module's sources (each its own program, in parallel) for the GPU architecture kvrm
// was built for and links them with kvrm's device library. Identical sources are compiled
// once per process. Throws kvrm::Error with the compiler's or linker's log.
CompiledModule compile_module(const std::vector<std::string>& sources);

// The architecture modules are built for, e.g. "sm_90".
const char* jit_arch();

}  // namespace kvrm::cuda

// The run-time compiler of translated guest code: NVRTC compiles a module's source (written by
// src/jit/translator.hpp) against kvrm's own headers, which kvrm carries inside itself, and
// nvJitLink links the result with kvrm's interpreter and cold path (compiled into kvrm as
// relocatable device code, also carried inside). Both libraries are loaded when first needed
// (dlopen), so kvrm runs without them, only without translation. Neither needs a GPU: CI
// compiles and links modules too.
#pragma once

#include <optional>
#include <string>
#include <vector>

#include "isa/hd.hpp"
#include "jit/cache.hpp"

namespace kvrm::jit {

// True when NVRTC and nvJitLink can be loaded; otherwise false with the reason in *why.
bool jit_compiler_available(std::string* why = nullptr);

struct CompiledModule {
  std::vector<char> cubin;  // linked, loadable (cudaLibraryLoadData)
  double compile_seconds = 0;
  double link_seconds = 0;
  bool cached = false;      // an identical source was compiled before in this process
  bool from_disk = false;   // the linked module came from the translation cache on disk
  u64 parts_compiled = 0;   // source parts NVRTC compiled for it
  u64 parts_from_disk = 0;  // ...and parts whose object came from the cache on disk
};

// Compiles a module's sources (each its own program, in parallel) for the GPU architecture kvrm
// was built for and links them with kvrm's device library. Identical sources are compiled
// once per process; with `disk`, parts' objects and linked modules are also looked for there
// (and stored there), so a module found whole on disk costs neither NVRTC nor nvJitLink.
// Throws kvrm::Error with the compiler's or linker's log.
CompiledModule compile_module(const std::vector<std::string>& sources,
                              JitDiskCache* disk = nullptr);
// The linked module of `sources` when it is cached (in this process or in `disk`); nothing when
// it would have to be compiled or linked.
std::optional<CompiledModule> find_compiled_module(const std::vector<std::string>& sources,
                                                   JitDiskCache* disk);

// Empties this process's caches of objects and modules, as if it were a new process (for tests
// of the cache on disk).
void forget_compiled_modules();

// What every cached item of this kvrm depends on besides its own bytes: the headers and device
// library kvrm carries (files.hpp), the GPU architecture and the compiler's and linker's
// options (KVRM_JIT_NVRTC_OPTIONS included).
const CacheKey& jit_build_key();

// The architecture modules are built for, e.g. "sm_90".
const char* jit_arch();

}  // namespace kvrm::jit

// The CUDA engine: guest cores executing on an NVIDIA GPU through the shared instruction
// semantics. Guest memory and core state live in device memory; the host keeps a mirror of the
// page tables and frames and moves only what changed between runs.
#pragma once

#include <memory>
#include <string>

#include "engines/engine.hpp"
#include "jit/options.hpp"

namespace kvrm {

struct CudaEngineOptions {
  u64 memory_limit = u64{1} << 30;  // bytes of guest memory (device and host mirror)
  int device = 0;                   // CUDA device ordinal
  double watchdog_seconds = 0;      // >0: a launch running longer is asked to stop (CHECKPOINT)
  JitOptions jit{};
};

// True when this build has the CUDA engine and a usable NVIDIA GPU is present; otherwise false
// with the reason in *why.
bool cuda_available(std::string* why = nullptr);

// Throws kvrm::Error with a clear message when no GPU is usable or kvrm was built without CUDA.
std::unique_ptr<Engine> make_cuda_engine(const CudaEngineOptions& options = {});

// The translator's figures for an engine made by make_cuda_engine (zeros for other engines).
JitStats cuda_jit_stats(const Engine& engine);

}  // namespace kvrm

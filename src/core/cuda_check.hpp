// CUDA runtime errors as kvrm::Error exceptions naming the call that failed.
#pragma once

#include <cuda_runtime.h>

#include <string>

#include "core/error.hpp"

namespace kvrm::cuda {

inline void check(cudaError_t e, const char* what) {
  if (e != cudaSuccess) {
    throw Error(std::string("CUDA error in ") + what + ": " + cudaGetErrorName(e) + " (" +
                cudaGetErrorString(e) + ")");
  }
}

}  // namespace kvrm::cuda

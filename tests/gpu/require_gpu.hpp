// What the GPU tests share: skipping a test where no NVIDIA GPU is usable.
#pragma once

#include <gtest/gtest.h>

#include <string>

#include "engines/cuda/cuda_engine.hpp"

// Skips the calling test where no GPU is usable (GTEST_SKIP returns from the test itself).
#define KVRM_REQUIRE_GPU()                                  \
  do {                                                      \
    std::string why;                                        \
    if (!::kvrm::cuda_available(&why)) GTEST_SKIP() << why; \
  } while (0)

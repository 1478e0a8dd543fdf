// The CUDA engine's entry points in a build without CUDA (no nvcc found, or KVRM_CUDA=OFF):
// asking for the engine is a clear error.
#include "engines/cuda/cuda_engine.hpp"
#include "engines/cuda/lane_runner.hpp"

namespace kvrm {

bool cuda_available(std::string* why) {
  if (why) *why = "kvrm was built without CUDA (no nvcc was found at build time)";
  return false;
}

std::unique_ptr<Engine> make_cuda_engine(const CudaEngineOptions&) {
  throw Error("the CUDA engine is not available: kvrm was built without CUDA");
}

JitStats cuda_jit_stats(const Engine&) { return {}; }

}  // namespace kvrm

namespace kvrm::cuda {

std::unique_ptr<LaneRunner> make_lane_runner(int, u32, const JitOptions&, u32) {
  throw Error("the CUDA batch backend is not available: kvrm was built without CUDA");
}

int cuda_device_count() { return 0; }

}  // namespace kvrm::cuda

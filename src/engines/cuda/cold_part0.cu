// Part 0 of the CUDA engines' cold path (see cold_dispatch.cuh).
#define KVRM_COLD_PART 0
#include "engines/cuda/cold_dispatch.cuh"

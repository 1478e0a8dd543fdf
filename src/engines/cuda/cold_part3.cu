// Part 3 of the CUDA engines' cold path (see cold_dispatch.cuh).
#define KVRM_COLD_PART 3
#include "engines/cuda/cold_dispatch.cuh"

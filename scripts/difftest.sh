#!/usr/bin/env bash
# Builds kvrm_difftest and runs it: kvrm's reference engine against Unicorn 2, one random
# instruction from the encoding table at a time (see tests/diff/README.md).
#
# Usage: scripts/difftest.sh [SEED] [COUNT] [extra kvrm_difftest arguments...]
#   SEED   random seed (default: a new one each run, printed); "-" for the default
#   COUNT  number of trials (default 100000)
#   e.g.   scripts/difftest.sh 42 200000 --group C4.1.88 --max-failures 3
#          scripts/difftest.sh 42 0 --trial 1234 --group C4.1.88     (replay one trial)
#          scripts/difftest.sh 42 100000 --kind simd --allow-empty  (every FP/SIMD entry)
# Environment: BUILD_DIR (default build), JOBS (default 2).
set -euo pipefail

root=$(cd "$(dirname "$0")/.." && pwd)
build=${BUILD_DIR:-$root/build}
jobs=${JOBS:-2}

seed=${1:--}
count=${2:--}
shift $(( $# < 2 ? $# : 2 ))
if [ "$seed" = "-" ]; then seed=$(( ($(date +%s) * 1000003 + $$) % 4294967296 )); fi
if [ "$count" = "-" ]; then count=100000; fi

if [ ! -f "$build/CMakeCache.txt" ]; then
  cmake -S "$root" -B "$build" -G Ninja -DKVRM_CUDA=OFF -DKVRM_DIFF_TESTS=ON
fi
cmake --build "$build" -j"$jobs" --target kvrm_difftest

echo "kvrm_difftest: seed $seed, $count trials" >&2
exec "$build/tests/diff/kvrm_difftest" --seed "$seed" --count "$count" "$@"

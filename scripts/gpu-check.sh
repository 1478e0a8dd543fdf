#!/usr/bin/env bash
# Runs on the GPU machine over a build folder made on the development machine (nvcc, sm_90):
# the GPU tests, the unit tests, then the benchmarks; prints a short table last.
# Usage: scripts/gpu-check.sh [BUILD_DIR] [BENCH_CYCLES]
set -uo pipefail
cd "$(dirname "$0")/.."
build=${1:-build-cuda}
cycles=${2:-100000000}
out=${OUT:-/tmp}
nvidia-smi --query-gpu=name,driver_version,memory.total --format=csv,noheader || true
status=()
run() {  # name, command...
  local name=$1
  shift
  if "$@" >"$out/$name.log" 2>&1; then status+=("$name: ok"); else status+=("$name: FAILED ($?)"); fi
  tail -n 3 "$out/$name.log"
}
run gpu_tests "$build/tests/kvrm_gpu_tests"
run unit_tests "$build/tests/kvrm_unit_tests"
run bench "$build/kvrm" bench --backend cuda,cpu --cycles "$cycles" --repeat 3 --json "$out/bench.json"
echo
echo "== summary =="
printf '%s\n' "${status[@]}"
grep -h "SKIPPED\|FAILED\|PASSED" "$out/gpu_tests.log" | tail -n 3
cat "$out/bench.log"

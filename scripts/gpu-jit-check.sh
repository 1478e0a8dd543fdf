#!/usr/bin/env bash
# On the GPU machine: the block translator's checks and figures in one go (over what
# scripts/gpu-prepare.sh gathered): the toolchain, the translator's tests (host and device
# compiles), the GPU tests of translated code, the seed's loops and the batch loops with and
# without translation. Logs under $OUT; a short table last.
# Usage: scripts/gpu-jit-check.sh [DIR] [STEPS...]
#   (steps: tools jit gpu bench batch unit batchtests guest vsqemu; INPUTS_COUNT for vsqemu,
#   default 2000)
set -uo pipefail
cd "$(dirname "$0")/.."
dir=${1:-.gpu}
shift 2>/dev/null || true
steps=${*:-tools jit gpu bench batch unit batchtests guest vsqemu}
out=${OUT:-/tmp}
[ -d "$dir" ] || [ ! -f "$dir.tar.xz" ] || tar xJf "$dir.tar.xz"
export KVRM_TEST_SRC=$(pwd)/src KVRM_TEST_CXX=c++
summary=()
step() {  # name, timeout, command...
  local name=$1 limit=$2
  shift 2
  local t0=$SECONDS
  timeout "$limit" "$@" >"$out/$name.log" 2>&1
  local rc=$?
  summary+=("$name: rc $rc, $((SECONDS - t0)) s")
  tail -n 25 "$out/$name.log"
}
if [[ " $steps " == *" tools "* ]]; then
  nvidia-smi --query-gpu=name,driver_version --format=csv,noheader
  ls /usr/local/cuda/lib64 | grep -E "nvrtc|nvJitLink" | head -5
  nproc
fi
[[ " $steps " == *" jit "* ]] && step jit_tests 300 "$dir/kvrm_jit_tests"
[[ " $steps " == *" gpu "* ]] && step gpu_tests 400 "$dir/kvrm_gpu_tests"
[[ " $steps " == *" bench "* ]] && step bench 300 "$dir/kvrm" bench --backend cuda \
  --cycles "${CYCLES:-20000000}" --repeat 3 --syscalls "${SYSCALLS:-5000}" --json "$out/bench.json"
[[ " $steps " == *" batch "* ]] && step bench_batch 300 "$dir/kvrm" bench batch --backend cuda \
  --lanes "${LANES:-1024,16384,65536}" --cycles "${BATCH_CYCLES:-200000}" --json "$out/bench_batch.json"
[[ " $steps " == *" unit "* ]] && step unit_tests 300 "$dir/kvrm_unit_tests" --gtest_filter='BatchParallel.*'
[[ " $steps " == *" batchtests "* ]] && step batch_tests 300 env KVRM_BATCH_LANES="$dir/lanes" \
  "$dir/kvrm_batch_tests"
if [[ " $steps " == *" guest "* ]]; then
  JITFLAGS=${JITFLAGS-"--jit on --jit-threshold 4"} OUT="$out" timeout 400 \
    scripts/gpu-check.sh "$dir" 0 guest >"$out/guest.log" 2>&1
  summary+=("guest (cpu vs cuda --jit on): $(grep -c ': same' "$out/guest.log") same, $(grep -c 'DIFFERENT' "$out/guest.log") different")
fi
if [[ " $steps " == *" vsqemu "* ]]; then
  step vsqemu 500 env BACKEND=cuda bench/batch_vs_qemu.sh "$dir/kvrm" "$dir/qemu-aarch64-static" \
    "$dir/workload" "${INPUTS_COUNT:-2000}" -- --stats
fi
echo
echo "== summary =="
printf '%s\n' "${summary[@]}"
for f in jit_tests gpu_tests unit_tests batch_tests; do
  [ -f "$out/$f.log" ] && grep -h "PASSED\|FAILED\|SKIPPED \[" "$out/$f.log" | tail -n 6
done
[ -f "$out/jit_tests.log" ] && grep -h "blocks, " "$out/jit_tests.log"
[ -f "$out/bench.log" ] && cat "$out/bench.log"
[ -f "$out/bench_batch.log" ] && cat "$out/bench_batch.log"
[ -f "$out/guest.log" ] && grep -h "guest " "$out/guest.log" | head -40
[ -f "$out/vsqemu.log" ] && tail -n 12 "$out/vsqemu.log"
exit 0

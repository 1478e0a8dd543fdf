#!/usr/bin/env bash
# Runs on the GPU machine over what scripts/gpu-prepare.sh gathered on the development machine
# (default .gpu/, unpacked from .gpu.tar.xz when only that is there): the GPU tests, the unit
# tests, the `gpu`-labelled guest tests (kvrm --backend cuda against qemu-aarch64-static), guest
# programs and busybox compared between `kvrm run --backend cpu` and `--backend cuda` (both
# syscall modes), the Python tests marked gpu, then the benchmarks; prints a short table last.
# Usage: scripts/gpu-check.sh [DIR] [BENCH_CYCLES] [STEPS...]   (steps: tests ctest guest python
# batch security fuzz vsqemu bench; all but fuzz by default; fuzz runs FUZZ_SEEDS x FUZZ_CALLS
# fuzzed syscalls, default 200 x 5000, on the CUDA engine). Environment: LANES and BATCH_CYCLES (bench batch),
# INPUTS_COUNT and VARIANTS (the workload against QEMU; VSQEMU_BACKEND=cpu times the host backend),
# JITFLAGS (extra options of the guest programs' cuda runs, e.g. "--jit on --jit-threshold 4").
set -uo pipefail
cd "$(dirname "$0")/.."
dir=${1:-.gpu}
cycles=${2:-100000000}
shift 2 2>/dev/null || shift $#
steps=${*:-tests ctest guest python batch security vsqemu bench}
out=${OUT:-/tmp}
[ -d "$dir" ] || [ ! -f "$dir.tar.xz" ] || tar xJf "$dir.tar.xz"
nvidia-smi --query-gpu=name,driver_version,memory.total --format=csv,noheader || true
status=()
# Each result also goes to $OUT/summary.txt as it comes, so a call cut short keeps what ran.
: >"$out/summary.txt"
note() {
  status+=("$1")
  echo "$1" >>"$out/summary.txt"
}
run() {  # name, command...
  local name=$1
  shift
  if "$@" >"$out/$name.log" 2>&1; then note "$name: ok"; else note "$name: FAILED ($?)"; fi
  tail -n 3 "$out/$name.log"
}
# Same stdout, stderr and exit status on both engines.
same() {  # name, program args...
  local name=$1
  shift
  local t
  t=$(mktemp -d)
  : >"$t/in"
  "$dir/kvrm" run --backend cpu "$@" <"$t/in" >"$t/c.out" 2>"$t/c.err"
  local c=$?
  "$dir/kvrm" run --backend cuda --stats ${SYSCALLS:+--syscalls $SYSCALLS} ${JITFLAGS:-} "$@" <"$t/in" \
    >"$t/g.out" 2>"$t/g.err"
  local g=$?
  grep -v '^kvrm: cuda: ' "$t/g.err" >"$t/g.err2" || true
  if [ "$c" = "$g" ] && cmp -s "$t/c.out" "$t/g.out" && cmp -s "$t/c.err" "$t/g.err2"; then
    note "guest $name: same (status $c, $(wc -c <"$t/c.out") bytes) $(grep -o 'cuda: [0-9]* instructions.*syscalls' "$t/g.err")"
  else
    note "guest $name: DIFFERENT (cpu $c, cuda $g)"
    diff "$t/c.out" "$t/g.out" | head -5
    diff "$t/c.err" "$t/g.err2" | head -5
  fi
  rm -rf "$t"
}
if [[ " $steps " == *" tests "* ]]; then
  run gpu_tests "$dir/kvrm_gpu_tests"
  run unit_tests "$dir/kvrm_unit_tests"
  run jit_tests env KVRM_TEST_SRC="$(pwd)/src" KVRM_TEST_CXX=c++ "$dir/kvrm_jit_tests"
fi
if [[ " $steps " == *" ctest "* ]] && [ -f "$dir/gpu-ctest.txt" ]; then
  passed=0 failed=()
  while IFS=$'\t' read -r -a cmd; do
    KVRM_TEST_GONE=gone timeout 300 "${cmd[@]:1}" >"$out/ctest.log" 2>&1
    rc=$?
    echo "${cmd[0]}: $rc" >>"$out/summary.txt"
    if [ $rc = 0 ]; then
      passed=$((passed + 1))
    elif [ $rc = 77 ]; then
      failed+=("${cmd[0]}(skipped)")
    else
      failed+=("${cmd[0]}")
      cat "$out/ctest.log"
    fi
  done <"$dir/gpu-ctest.txt"
  note "guest tests on cuda vs qemu: $passed passed, ${#failed[@]} failed ${failed[*]}"
fi
if [[ " $steps " == *" python "* ]]; then
  run python scripts/gpu-python.sh "$dir"
fi
if [[ " $steps " == *" guest "* ]]; then
  for p in "$dir"/guest/*_O2; do
    n=$(basename "$p")
    case $n in
      filesum_O2) same "$n" "$p" scripts/gpu-check.sh README.md ;;
      listdir_O2) same "$n" "$p" scripts ;;
      fdops_O2) same "$n" "$p" README.md ;;
      *) same "$n" "$p" a "b c" ;;
    esac
  done
  SYSCALLS=relaunch same hello_O2_relaunch "$dir/guest/hello_O2"
  SYSCALLS=relaunch same fdops_O2_relaunch "$dir/guest/fdops_O2" README.md
  if [ -x "$dir/busybox" ]; then
    same busybox_sha256sum "$dir/busybox" sha256sum README.md
    same busybox_sort "$dir/busybox" sort README.md
    same busybox_awk "$dir/busybox" awk '{ n += length($0) } END { print n, NR }' README.md
  fi
fi
if [[ " $steps " == *" batch "* ]]; then
  run batch_tests env KVRM_BATCH_LANES="$dir/lanes" "$dir/kvrm_batch_tests"
  run bench_batch "$dir/kvrm" bench batch --backend cuda --lanes "${LANES:-1024,16384,65536,262144}" \
    --cycles "${BATCH_CYCLES:-200000}" --json "$out/bench_batch.json"
fi
if [[ " $steps " == *" security "* ]]; then
  # The sandbox probe, the limits' blocking cases and a short fuzz run on the CUDA engine. A
  # timeout counts from the guest's start: the blocking cases may take what a run of hello takes
  # beyond it (the GPU's start and end); the CUDA driver alone holds ~0.5 GiB of host memory.
  t0=$(date +%s%N)
  "$dir/kvrm" run --backend cuda "$dir/guest/hello_O2" >/dev/null 2>&1
  hello_ms=$((($(date +%s%N) - t0) / 1000000))
  note "kvrm run --backend cuda hello: $hello_ms ms in all"
  run security_escape env KVRM_BACKEND=cuda tests/security/sandbox/escape.sh "$dir/kvrm" \
    "$dir/security/escape_probe"
  for p in sleep read; do
    run "security_timeout_$p" env KVRM_BACKEND=cuda tests/security/limits/limits.sh timeout \
      "$dir/kvrm" 1 $((1400 + hello_ms)) "$dir/security/limits_$p"
  done
  run security_fuzz_blocking tests/security/fuzz_syscalls.sh "$dir/kvrm" \
    "$dir/security/syscall_fuzz" --backend cuda --seeds 4 --first 101 --calls 1000 --mode b \
    --timeout 2 --margin 8 --rss-mb 1024
fi
if [[ " $steps " == *" fuzz "* ]]; then
  run fuzz_cuda tests/security/fuzz_syscalls.sh "$dir/kvrm" "$dir/security/syscall_fuzz" \
    --backend cuda --seeds "${FUZZ_SEEDS:-200}" --calls "${FUZZ_CALLS:-5000}" --timeout 60 \
    --rss-mb 1024
fi
if [[ " $steps " == *" vsqemu "* ]]; then
  run batch_vs_qemu env BACKEND="${VSQEMU_BACKEND:-cuda}" JSON="$out/batch_vs_qemu.json" bench/batch_vs_qemu.sh \
    "$dir/kvrm" "$dir/qemu-aarch64-static" "$dir/workload" "${INPUTS_COUNT:-10000}"
fi
if [[ " $steps " == *" bench "* ]]; then
  run bench "$dir/kvrm" bench --backend cuda,cpu --cycles "$cycles" --repeat 3 --json "$out/bench.json"
fi
echo
echo "== summary =="
printf '%s\n' "${status[@]}"
[ -f "$out/gpu_tests.log" ] && grep -h "SKIPPED\|FAILED\|PASSED" "$out/gpu_tests.log" | tail -n 5
[ -f "$out/bench.log" ] && cat "$out/bench.log"
[ -f "$out/batch_tests.log" ] && grep -h "PASSED\|FAILED\|SKIPPED" "$out/batch_tests.log" | tail -n 5
[ -f "$out/bench_batch.log" ] && cat "$out/bench_batch.log"
[ -f "$out/batch_vs_qemu.log" ] && tail -n 8 "$out/batch_vs_qemu.log"
for f in "$out"/security_*.log "$out"/fuzz_cuda.log; do [ -f "$f" ] && tail -n 2 "$f"; done
exit 0

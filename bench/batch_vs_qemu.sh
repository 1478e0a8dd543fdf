#!/usr/bin/env bash
# The batch benchmark: the same AArch64 workload over COUNT different inputs, timed side by side
# in one run as `kvrm batch` (all inputs as lanes of one batch) and as qemu-aarch64-static (one
# process per input, JOBS of them at a time through xargs -P: all host cores by default). Every
# input's output must be the same under both; prints both times and their ratio.
#
# Usage: bench/batch_vs_qemu.sh KVRM QEMU WORKLOAD [COUNT] [-- KVRM-BATCH-OPTIONS...]
#   KVRM      the kvrm program (build/kvrm)
#   QEMU      qemu-aarch64-static (a static binary: copy it along to the GPU machine)
#   WORKLOAD  the workload built for AArch64 (build/bench/workload, from bench/workload.c)
#   COUNT     how many inputs (default 10000)
# Environment: BACKEND (kvrm's, default auto), JOBS (default: nproc), INPUTS (a directory of
# inputs to use instead of generating them), KEEP=1 (keep the work directory), JSON=FILE (also
# write the figures as JSON, one object per kvrm run), VARIANTS (several kvrm runs over the same
# inputs, their extra options separated by ';', e.g. "--launch-end 1 --lane-order index;": each
# is timed, checked and compared with the one QEMU run).
set -euo pipefail

if [ $# -lt 3 ]; then
  sed -n '2,19p' "$0" | sed 's/^# \{0,1\}//'
  exit 2
fi
kvrm=$(realpath "$1")
qemu=$(command -v "$2" || true)
workload=$(realpath "$3")
shift 3
count=10000
if [ $# -gt 0 ] && [ "$1" != "--" ]; then
  count=$1
  shift
fi
[ $# -gt 0 ] && [ "$1" = "--" ] && shift
extra=("$@")
[ -x "$kvrm" ] || { echo "batch_vs_qemu: $kvrm is not an executable" >&2; exit 2; }
[ -n "$qemu" ] && [ -x "$qemu" ] || { echo "batch_vs_qemu: QEMU '$2' not found" >&2; exit 2; }
[ -f "$workload" ] || { echo "batch_vs_qemu: workload $workload not found" >&2; exit 2; }
[[ "$count" =~ ^[1-9][0-9]*$ ]] || { echo "batch_vs_qemu: COUNT must be a positive number" >&2; exit 2; }
backend=${BACKEND:-auto}
jobs=${JOBS:-$(nproc)}
here=$(cd "$(dirname "$0")" && pwd)

work=$(mktemp -d "${TMPDIR:-/tmp}/kvrm-batch-bench.XXXXXX")
if [ "${KEEP:-0}" = 1 ]; then
  echo "work directory: $work"
else
  trap 'rm -rf "$work"' EXIT
fi

if [ -n "${INPUTS:-}" ]; then
  in=$(realpath "$INPUTS")
else
  in=$work/in
  python3 "$here/gen_inputs.py" "$in" "$count"
fi
mapfile -t files < <(cd "$in" && LC_ALL=C ls -p | grep -v / | head -n "$count")
count=${#files[@]}
bytes=$(cat "${files[@]/#/$in/}" | wc -c)
echo "inputs: $count files, $bytes bytes; host: $(nproc) CPUs ($(grep -m1 'model name' /proc/cpuinfo | cut -d: -f2 | sed 's/^ *//'))"

now() { date +%s.%N; }

# QEMU: one process per input, $jobs at a time; input i's output goes to lane-i.* as kvrm's.
mkdir "$work/qemu"
t2=$(now)
for i in "${!files[@]}"; do printf '%s\0%s\0' "$i" "${files[$i]}"; done |
  xargs -0 -n 2 -P "$jobs" sh -c \
    'exec "$0" "$1" <"$2/$5" >"$3/lane-$4.stdout" 2>"$3/lane-$4.stderr"' \
    "$qemu" "$workload" "$in" "$work/qemu" || true
t3=$(now)
qemu_s=$(awk -v a="$t2" -v b="$t3" 'BEGIN { printf "%.6f", b - a }')
printf 'qemu-aarch64-static (xargs -P %s): %.3f s\n' "$jobs" "$qemu_s"

# kvrm: one batch per variant, lane i = the i-th input in sorted order.
if [ -n "${VARIANTS:-}" ]; then
  IFS=';' read -r -a variants <<<"$VARIANTS"
  [[ "$VARIANTS" == *";" ]] && variants+=("")
else
  variants=("")
fi
[ -n "${JSON:-}" ] && : >"$JSON"
total_mismatch=0
for v in "${variants[@]}"; do
  read -r -a vopts <<<"$v"
  rm -rf "$work/kvrm"
  t0=$(now)
  "$kvrm" batch "$workload" --lanes "$count" --stdin-dir "$in" --out "$work/kvrm" \
    --backend "$backend" --no-progress --stats "${extra[@]}" "${vopts[@]}" 2>"$work/kvrm.stats" || {
    st=$?
    [ "$st" = 123 ] || { cat "$work/kvrm.stats" >&2; echo "kvrm batch failed ($st)" >&2; exit 1; }
  }
  t1=$(now)
  cat "$work/kvrm.stats"
  kvrm_s=$(awk -v a="$t0" -v b="$t1" 'BEGIN { printf "%.6f", b - a }')
  ratio=$(awk -v k="$kvrm_s" -v q="$qemu_s" 'BEGIN { printf "%.4f", q / k }')
  printf 'kvrm batch (--backend %s %s): %.3f s; ratio qemu/kvrm: %.3f (above 1: kvrm is faster)\n' \
    "$backend" "${extra[*]} $v" "$kvrm_s" "$ratio"
  # Same output for every input (the lanes' .status files have no QEMU counterpart).
  mismatch=$( (diff -rq -x '*.status' "$work/kvrm" "$work/qemu" || true) | tee "$work/diff.txt" |
    wc -l)
  head -n 5 "$work/diff.txt" >&2
  printf '%s of %s output files (stdout and stderr of %s inputs) differ\n' "$mismatch" \
    "$((2 * count))" "$count"
  total_mismatch=$((total_mismatch + mismatch))
  if [ -n "${JSON:-}" ]; then
    printf '{"inputs": %s, "bytes": %s, "backend": "%s", "options": "%s", "kvrm_seconds": %.6f, "qemu_seconds": %.6f, "qemu_jobs": %s, "ratio": %.4f, "mismatches": %s}\n' \
      "$count" "$bytes" "$backend" "${extra[*]} $v" "$kvrm_s" "$qemu_s" "$jobs" "$ratio" "$mismatch" >>"$JSON"
  fi
done
if [ "$total_mismatch" != 0 ]; then
  echo "$total_mismatch outputs differ between kvrm and QEMU" >&2
  exit 1
fi

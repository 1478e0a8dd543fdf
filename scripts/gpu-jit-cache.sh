#!/usr/bin/env bash
# The translation cache on the GPU machine: runs a guest program twice with
# `kvrm run --backend cuda --stats --jit-cache DIR` on one fresh cache directory and prints, for
# each run, its wall time, the seconds NVRTC compiled and what came from the cache. The second
# run should compile nothing (its rounds replayed, its modules from disk) and print the same.
# (Code that turned hot while the first run's last compile ran was never translated there; the
# second run translates it, and only a third compiles nothing: RUNS=3.)
#
# Usage: scripts/gpu-jit-cache.sh BUILD_DIR PROGRAM [ARGS...]
#   env: TIMEOUT  seconds per run (default 600)
#        CACHE    the cache directory to use (default: a fresh one under /tmp, removed after)
#        STDIN    a file for the program's standard input (default /dev/null)
#        RUNS     how many runs (default 2)
# Exit status: 0 when all runs succeeded alike and the last compiled nothing, 1 otherwise, 2 for
# bad usage.
set -u
if [ $# -lt 2 ]; then
  echo "usage: $0 BUILD_DIR PROGRAM [ARGS...]" >&2
  exit 2
fi
kvrm=$1/kvrm
shift
[ -x "$kvrm" ] || { echo "$0: no kvrm in $kvrm" >&2; exit 2; }
limit=${TIMEOUT:-600}
input=${STDIN:-/dev/null}
runs=${RUNS:-2}
work=$(timeout 10 mktemp -d /tmp/kvrm-jit-cache-run-XXXXXX) || exit 1
if [ -n "${CACHE:-}" ]; then
  cache=$CACHE
else
  cache=$work/cache
fi
trap 'timeout 60 rm -rf "$work"' EXIT

status=0
for run in $(seq 1 "$runs"); do
  start=$(date +%s.%N)
  timeout "$limit" "$kvrm" run --backend cuda --jit on --stats --jit-cache "$cache" "$@" \
    <"$input" >"$work/out$run" 2>"$work/err$run"
  rc=$?
  end=$(date +%s.%N)
  echo "run $run: exit status $rc, $(awk -v a="$start" -v b="$end" 'BEGIN { printf "%.2f", b - a }') s wall"
  if [ "$rc" = 124 ]; then
    echo "run $run: timed out after $limit s"
    status=1
  fi
  # The translator's --stats line: "... translated (..., N modules, X s compiling, Y s linking)
  # ...; jit cache: P parts from disk, C compiled, M modules from disk, R rounds replayed (DIR)".
  line=$(grep -E '^kvrm: cuda: .*(translated|no code)' "$work/err$run" | tail -n 1)
  if [ -z "$line" ]; then
    echo "run $run: no translation statistics; its stderr ends with:"
    timeout 10 tail -n 5 "$work/err$run" | sed 's/^/  /'
    status=1
    continue
  fi
  compile=$(sed -nE 's/.* ([0-9.]+) s compiling.*/\1/p' <<<"$line")
  link=$(sed -nE 's/.* ([0-9.]+) s linking.*/\1/p' <<<"$line")
  cached=$(sed -nE 's/.*jit cache: ([^(]*) \(.*/\1/p' <<<"$line")
  echo "run $run: ${compile:-?} s compiling, ${link:-?} s linking; cache: ${cached:-none}"
  echo "  (${line#kvrm: cuda: })"
  if [ "$run" -gt 1 ]; then
    if ! cmp -s "$work/out1" "$work/out$run"; then
      echo "run $run printed other output than run 1"
      status=1
    fi
    first_rc=$(sed -nE 's/.*exit status (-?[0-9]+)$/\1/p' "$work/err1" | tail -n 1)
    this_rc=$(sed -nE 's/.*exit status (-?[0-9]+)$/\1/p' "$work/err$run" | tail -n 1)
    [ "$first_rc" = "$this_rc" ] || { echo "exit statuses differ: $first_rc, $this_rc"; status=1; }
  fi
  if [ "$run" = "$runs" ] && [ "$runs" -gt 1 ]; then
    parts=$(sed -nE 's/.*, ([0-9]+) compiled,.*/\1/p' <<<"$line")
    if [ "${parts:-x}" != 0 ] || [ "${compile:-x}" != "0.00" ]; then
      echo "run $run compiled: ${parts:-?} parts, ${compile:-?} s"
      status=1
    else
      echo "run $run: 0 s compiling"
    fi
  fi
done
echo "cache: $(timeout 30 du -sh "$cache" 2>/dev/null | cut -f1) in $(timeout 30 find "$cache" -name '*.kvrmjit' 2>/dev/null | wc -l) entries ($cache)"
exit $status

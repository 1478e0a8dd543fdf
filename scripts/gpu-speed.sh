#!/usr/bin/env bash
# On the GPU machine: one guest core's speed in one go: kvrm bench's loops (translated, then
# interpreted), then scripts/gpu-real.sh twice over one fresh translation cache (the first run
# of each program compiles; the second replays its rounds from the cache). KVRM_JIT_PROFILE is
# compiled into the modules unless KVRM_JIT_NVRTC_OPTIONS says otherwise, and every run's
# stderr (its profile lines) goes to $OUT/real-stderr.tar.gz.
# Usage: scripts/gpu-speed.sh [DIR] [SCALE]   (DIR as for gpu-real.sh)
set -uo pipefail
cd "$(dirname "$0")/.."
dir=${1:-.gpu}
scale=${2:-1}
[ -d "$dir" ] || [ ! -f "$dir.tar.xz" ] || tar xJf "$dir.tar.xz"
out=${OUT:-/tmp}
XDG_CACHE_HOME=$(mktemp -d /tmp/kvrm-speed-XXXXXX)
export XDG_CACHE_HOME
export KVRM_JIT_NVRTC_OPTIONS=${KVRM_JIT_NVRTC_OPTIONS--DKVRM_JIT_PROFILE}
timeout 90 "$dir/kvrm" bench --backend cuda --cycles 20000000 --repeat 2 | grep persistent
timeout 60 "$dir/kvrm" bench --backend cuda --jit off --cycles 5000000 --repeat 1 |
  grep persistent
logs=$(mktemp -d /tmp/kvrm-speed-logs-XXXXXX)
for pass in 1 2; do
  echo "== pass $pass (translation cache $([ $pass = 1 ] && echo empty || echo warm))"
  timeout 240 scripts/gpu-real.sh "$dir" "$scale"
  mkdir -p "$logs/pass$pass" && cp /tmp/kvrm-real/*.err "$logs/pass$pass/" 2>/dev/null
done
tar czf "$out/real-stderr.tar.gz" -C "$logs" .
grep -h "jit profile" "$logs"/pass2/*.err | head -20

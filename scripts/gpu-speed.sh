#!/usr/bin/env bash
# On the GPU machine: one guest core's speed in one go: kvrm bench's loops (translated, then
# interpreted), then scripts/gpu-real.sh twice over one fresh translation cache (the first run
# of each program compiles; the second replays its rounds from the cache). KVRM_JIT_PROFILE is
# compiled into the modules unless KVRM_JIT_NVRTC_OPTIONS says otherwise, and every run's
# stderr (its profile lines) goes to $OUT/real-stderr.tar.gz; the translated code, disassembled,
# with that of any .cubin files named, to $OUT/sass.tar.xz.
# Usage: scripts/gpu-speed.sh [DIR] [SCALE] [FILE.cubin...]   (DIR as for gpu-real.sh)
set -uo pipefail
cd "$(dirname "$0")/.."
dir=${1:-.gpu}
scale=${2:-1}
shift 2 2>/dev/null || shift $#
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
# The translated code the runs compiled, disassembled (scripts/gpu-sass.sh).
if command -v cuobjdump >/dev/null; then
  scripts/gpu-sass.sh "$logs/sass" "$XDG_CACHE_HOME" "$@" | sort -t, -k2 -n | tail -3
  tar cJf "$out/sass.tar.xz" -C "$logs" sass
fi
for f in "$logs"/pass2/*.err; do  # each program's last sums (the PCs are in the archive)
  echo "$(basename "$f" .err): $(grep "jit profile: [0-9]" "$f" | tail -1 | cut -c19-)"
done

#!/usr/bin/env bash
# On the GPU machine: where a batch's time goes. Runs the batch benchmark's workload over
# generated inputs under `kvrm batch --backend cuda --stats` with KVRM_BATCH_TRACE=1 (a line per
# round and per launch) once per configuration, keeps each trace under $OUT and prints the
# --stats lines and a per-phase summary of the traces.
# Usage: scripts/gpu-batch-profile.sh [DIR] [COUNT] [CONFIG...]
#   DIR     what scripts/gpu-prepare.sh gathered (default .gpu; DIR.tar.xz is unpacked)
#   COUNT   inputs (default 10000)
#   CONFIG  NAME=OPTIONS: kvrm batch options, or ENV=VALUE words first (default: "default=");
#           KVRM=PATH among the ENV words runs another kvrm (e.g. a build with other flags)
set -uo pipefail
cd "$(dirname "$0")/.."
dir=${1:-.gpu}
count=${2:-10000}
shift 2 2>/dev/null || shift $#
[ $# -gt 0 ] || set -- "default="
out=${OUT:-/tmp}
[ -d "$dir" ] || [ ! -f "$dir.tar.xz" ] || tar xJf "$dir.tar.xz"
in=/tmp/kvrm-profile-in-$count
[ -d "$in" ] || python3 bench/gen_inputs.py "$in" "$count" >/dev/null
nvidia-smi --query-gpu=name --format=csv,noheader
for cfg in "$@"; do
  name=${cfg%%=*}
  opts=${cfg#*=}
  envs=()
  args=()
  for w in $opts; do
    if [[ ${#args[@]} -eq 0 && "$w" == [A-Z]*=* ]]; then envs+=("$w"); else args+=("$w"); fi
  done
  echo "== $name: ${envs[*]} ${args[*]}"
  # A fresh output folder per configuration, all removed at the end: with one folder emptied
  # between configurations, every configuration after the first of a call spent 5-10 s more
  # writing its 30,000 files ("results handed over" in KVRM_BATCH_TRACE's round lines).
  res=/tmp/kvrm-profile-out-$name
  rm -rf "$res"
  kvrm=$dir/kvrm
  for e in "${envs[@]}"; do [[ "$e" == KVRM=* ]] && kvrm=${e#KVRM=}; done
  env KVRM_BATCH_TRACE=1 "${envs[@]}" timeout 300 "$kvrm" batch --backend cuda --no-progress \
    --stats --out "$res" --stdin-dir "$in" "${args[@]}" "$dir/workload" \
    2>"$out/trace-$name.log"
  echo "rc $?"
  grep -v "^kvrm: lanes on GPU\|^kvrm: batch: round" "$out/trace-$name.log" | tail -6
  grep "^kvrm: lanes on GPU" "$out/trace-$name.log" | python3 -c '
import re, sys
n = 0; t = {"up": 0.0, "records": 0.0, "kernel": 0.0, "down": 0.0}; first = None
for line in sys.stdin:
    n += 1
    m = re.search(r"\((\d+) a warp, (\w+): (\d+) registers, (\d+) bytes of stack, (\d+) warps", line)
    if m and first is None: first = m.groups()
    for k, pat in (("up", r"table nodes up \d+ \(([\d.]+) ms"), ("records", r"records ([\d.]+) ms"),
                   ("kernel", r"kernel ([\d.]+) ms"), ("down", r"down \d+ \(([\d.]+) ms")):
        mm = re.search(pat, line)
        if mm: t[k] += float(mm.group(1)) / 1e3
print(f"launches {n}: " + ", ".join(f"{k} {v:.2f} s" for k, v in t.items()))
if first: print("first launch: %s a warp, %s, %s registers, %s bytes of stack, %s warps resident" % first)
' 
  grep "^kvrm: lanes on GPU" "$out/trace-$name.log" | grep translated | head -1 | \
    grep -o "([0-9]* a warp, translated[^)]*)"
done
rm -rf /tmp/kvrm-profile-out-*

#!/usr/bin/env bash
# On the GPU machine: several builds of kvrm timed in one call, each over its own fresh
# translation cache: kvrm bench's loops, then scripts/gpu-real.sh twice (the second run of
# each program starts translated from the cache, which is the speed of translated code and its
# side exits). KVRM_JIT_PROFILE is compiled into the modules (as in gpu-speed.sh). Logs go to
# $OUT/compare-NAME/; the last lines are one table of the second runs, builds side by side.
# Usage: scripts/gpu-compare.sh DIR SCALE NAME=KVRM [NAME=KVRM...]
#   ($PROGRAMS as for gpu-real.sh; BENCH=0 leaves the bench loops out)
#   (e.g. .gpu 0.25 main=.gpu/kvrm tlb=.gpu/kvrm-tlb; NAME=KVRM@VAR=VALUE@... also sets those
#   variables for that build, e.g. main400=.gpu/kvrm@KVRM_JIT_LIMITS=region_weight=400)
set -uo pipefail
cd "$(dirname "$0")/.."
dir=${1:-.gpu}
scale=${2:-0.25}
shift 2
[ -d "$dir" ] || [ ! -f "$dir.tar.xz" ] || tar xJf "$dir.tar.xz"
out=${OUT:-/tmp}
names=()
for v in "$@"; do
  name=${v%%=*}
  spec=${v#*=}
  bin=${spec%%@*}
  unset KVRM_JIT_LIMITS
  export KVRM_JIT_NVRTC_OPTIONS=-DKVRM_JIT_PROFILE
  IFS=@ read -r -a vars <<<"${spec#"$bin"}"
  for a in "${vars[@]}"; do [ -n "$a" ] && export "${a?}"; done
  names+=("$name")
  log=$out/compare-$name
  mkdir -p "$log"
  XDG_CACHE_HOME=$(mktemp -d /tmp/kvrm-compare-XXXXXX)
  export XDG_CACHE_HOME KVRM=$bin
  echo "== $name ($bin ${vars[*]})"
  if [ "${BENCH:-1}" = 1 ]; then
    timeout 60 "$bin" bench --backend cuda --cycles 20000000 --repeat 2 | grep persistent |
      tee "$log/bench.txt"
    timeout 40 "$bin" bench --backend cuda --jit off --cycles 5000000 --repeat 1 |
      grep persistent | tee -a "$log/bench.txt"
  fi
  for pass in 1 2; do
    REAL_TIMEOUT=${REAL_TIMEOUT:-60} timeout 200 scripts/gpu-real.sh "$dir" "$scale" >"$log/pass$pass.txt" 2>&1
    mkdir -p "$log/pass$pass" && cp /tmp/kvrm-real/*.err "$log/pass$pass/" 2>/dev/null
  done
  cat "$log/pass2.txt"
  for f in "$log"/pass2/*.err; do  # each program's last profile sums
    echo "$(basename "$f" .err): $(grep "jit profile: [0-9]" "$f" | tail -1 | cut -c19-)"
  done >"$log/profile.txt"
  rm -rf "$XDG_CACHE_HOME"
done
# The second runs side by side: seconds and share translated per build.
echo "== second runs (cache warm), scale $scale: seconds (translated %)"
python3 - "$out" "${names[@]}" <<'PY'
import sys
out, names = sys.argv[1], sys.argv[2:]
rows = {}
for n in names:
    for line in open(f"{out}/compare-{n}/pass2.txt"):
        f = line.split()
        if len(f) < 9 or f[0] == "program":
            continue
        rows.setdefault(f[0], {"qemu": f[6], "n": f[1]})[n] = f"{f[2]} ({f[4]}) {f[8]}"
print(f"{'program':10} {'instructions':>12} " + " ".join(f"{n:>24}" for n in names) + f" {'qemu_s':>8}")
for p, r in rows.items():
    print(f"{p:10} {r['n']:>12} " + " ".join(f"{r.get(n, '-'):>24}" for n in names) + f" {r['qemu']:>8}")
PY
# Where the second runs went (KVRM_JIT_PROFILE's last sums): per million instructions, the
# interpreted ones, side exits, regions entered, dispatcher look-ups; the interpreter's share
# of the clock.
echo "== profile of the second runs: per M instructions interpreted / side exits / regions / look-ups; interpreter clock %"
python3 - "$out" "${names[@]}" <<'PY'
import re, sys
out, names = sys.argv[1], sys.argv[2:]
pat = re.compile(r"(\d+) instructions \((\d+) interpreted, (\d+) of them in (\d+) side exits\), "
                 r"(\d+) calls, (\d+) regions entered, (\d+) look-ups, (\d+) refills, (\d+) "
                 r"interpreter calls taking ([\d.]+)% of")
for n in names:
    for line in open(f"{out}/compare-{n}/profile.txt"):
        prog, _, rest = line.partition(":")
        m = pat.search(rest)
        if not m:
            continue
        v = [int(x) for x in m.groups()[:9]]
        per = lambda x: f"{x * 1e6 / v[0]:9.0f}"
        print(f"{n:8} {prog:10} {v[0] / 1e6:8.1f}M {per(v[1])} {per(v[3])} {per(v[5])} "
              f"{per(v[6])} {float(m.group(10)):5.1f}%")
PY

#!/usr/bin/env bash
# On the GPU machine: one guest core on real programs of tens to hundreds of millions of
# instructions (Debian's busybox hashing, sorting and compressing generated data, the batch
# workload over one large input, a guest qsort), each under `kvrm run --backend cuda --stats`
# and under qemu-aarch64-static on one host core, outputs compared. Prints a table: instructions,
# kvrm's time and IPS, the share translated, compile time, QEMU's time, the ratio.
# Usage: scripts/gpu-real.sh [DIR] [SCALE] [kvrm run options...]
#   DIR    what scripts/gpu-prepare.sh gathered (default .gpu; DIR.tar.xz is unpacked)
#   SCALE  input size factor (default 1: inputs of a few MB; fractions shrink them)
#   $KVRM  the kvrm to time (default DIR/kvrm); $REAL_TIMEOUT: seconds per run (default 300);
#   $PROGRAMS  the names of the programs to run (default all)
set -uo pipefail
cd "$(dirname "$0")/.."
dir=${1:-.gpu}
scale=${2:-1}
shift 2 2>/dev/null || shift $#
[ -d "$dir" ] || [ ! -f "$dir.tar.xz" ] || tar xJf "$dir.tar.xz"
kvrm=${KVRM:-$dir/kvrm}
work=/tmp/kvrm-real
rm -rf "$work" && mkdir -p "$work"
python3 - "$work" "$scale" <<'PY'
import random, sys
work, scale = sys.argv[1], float(sys.argv[2])
r = random.Random(7)
open(f"{work}/random.bin", "wb").write(r.randbytes(int(4_000_000 * scale)))
open(f"{work}/numbers.txt", "w").write("".join(f"{r.randint(-10**9, 10**9)}\n" for _ in range(int(20_000 * scale))))
words = ["alpha", "beta", "gamma", "delta", "kvrm", "gpu", "lane", "warp", "guest", "host"]
open(f"{work}/text.txt", "w").write("".join(" ".join(r.choice(words) for _ in range(12)) + f" {i}\n" for i in range(int(10_000 * scale))))
open(f"{work}/records.csv", "w").write("".join(f"{r.choice(words)}{r.randint(0, 999)},{r.randint(1, 99)},{r.randint(1, 9999) / 100:.2f}\n" for _ in range(int(20_000 * scale))))
PY
bb=$dir/busybox
progs=(
  "sha256sum|$bb sha256sum $work/random.bin|"
  "md5sum|$bb md5sum $work/random.bin|"
  "sort-n|$bb sort -n $work/numbers.txt|"
  "gzip-6|$bb gzip -6 -c $work/text.txt|"
  "awk|$bb awk {s+=\$NF;c[\$1]++;t+=length(\$0)}END{print(s,t,c[\"kvrm\"],c[\"gpu\"])} $work/text.txt|"
  "workload|$dir/workload|$work/records.csv"
  "qsort|$dir/guest/qsort_O2|"
)
printf '%-10s %12s %9s %10s %8s %9s %9s %8s %s\n' program instructions kvrm_s kvrm_IPS transl compile_s qemu_s ratio output
for p in "${progs[@]}"; do
  IFS='|' read -r name cmd input <<<"$p"
  [ -z "${PROGRAMS:-}" ] || [[ " $PROGRAMS " == *" $name "* ]] || continue
  in=${input:-/dev/null}
  # shellcheck disable=SC2086
  timeout "${REAL_TIMEOUT:-300}" "$kvrm" run --backend cuda --stats "$@" $cmd <"$in" >"$work/$name.kvrm" 2>"$work/$name.err"
  krc=$?
  # KVRM_JIT_PROFILE's lines come on stdout (device printf): keep them with stderr.
  python3 - "$work/$name.kvrm" "$work/$name.err" <<'PY'
import sys
out, err = sys.argv[1], sys.argv[2]
data = open(out, "rb").read()
keep, prof = [], []
for line in data.splitlines(keepends=True):
    (prof if line.startswith(b"kvrm jit profile") else keep).append(line)
if prof:
    open(out, "wb").write(b"".join(keep))
    open(err, "ab").write(b"".join(prof))
PY
  t0=$(date +%s.%N)
  # shellcheck disable=SC2086
  timeout "${REAL_TIMEOUT:-300}" "$dir/qemu-aarch64-static" $cmd <"$in" >"$work/$name.qemu" 2>/dev/null
  t1=$(date +%s.%N)
  same=$(cmp -s "$work/$name.kvrm" "$work/$name.qemu" && echo same || echo DIFFERENT)
  line=$(grep -h "instructions, .* IPS" "$work/$name.err" | tail -1)
  jit=$(grep -h "kvrm: cuda:" "$work/$name.err" | tail -1)
  n=$(sed -n 's/.*cuda: \([0-9]*\) instructions.*/\1/p' <<<"$line")
  ks=$(sed -n 's/.*instructions, \([0-9.]*\) s.*/\1/p' <<<"$line")
  ips=$(sed -n 's/.* s, \([0-9]*\) IPS.*/\1/p' <<<"$line")
  tr=$(sed -n 's/.*; \([0-9.]*\)% of the instructions ran translated.*/\1/p' <<<"$jit")
  cs=$(sed -n 's/.*, \([0-9.]*\) s compiling.*/\1/p' <<<"$jit")
  qs=$(python3 -c "print(f'{$t1 - $t0:.3f}')")
  ratio=$(python3 -c "print(f'{${ks:-0} / max($qs, 1e-3):.1f}')")
  printf '%-10s %12s %9s %10s %7s%% %9s %9.3f %7sx %s (rc %s)\n' "$name" "${n:-?}" "${ks:-?}" \
    "$(awk -v x="${ips:-0}" 'BEGIN{printf "%.1fM", x/1e6}')" "${tr:-?}" "${cs:-?}" "$qs" \
    "${ratio:-?}" "$same" "$krc"
  [ "$same" = same ] || head -c 600 "$work/$name.err"
done

#!/usr/bin/env bash
# `kvrm batch` on the command line: lane i reads the i-th file of --stdin-dir (sorted by name) and
# gets line i of --args-file as extra arguments; each lane's stdout, stderr and exit status (--out
# files, --json lines) must equal `kvrm run` of the same input. Then the exit statuses of
# kvrm batch itself and its errors on bad input.
# Usage: cli.sh KVRM LANES_PROGRAM
set -u
kvrm=$1
prog=$2
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
failures=0
fail() {
  echo "FAIL: $*"
  failures=$((failures + 1))
}

# ---- Inputs: names whose sorted order is not their creation order ----------------------------
mkdir "$tmp/in"
names=(zeta a10 a2 beta m-1 m_1 B 0001 q.txt r s.bin x)
for k in "${!names[@]}"; do
  for ((j = 0; j < k * 37 + 1; ++j)); do echo "line $(((j * 7919 + k) % 1000)) of ${names[$k]}"; done \
    >"$tmp/in/${names[$k]}"
done
printf 'first\n\xff\xfe not utf-8\n' >"$tmp/in/s.bin"
mkdir "$tmp/in/a-directory-is-skipped"
cat >"$tmp/args" <<'EOF'
stdin
hello "two words" 'single quoted' back\ slash ""
stdin
segv 0x10
loop 20000
syscalls 50
stdin extra-arg-ignored
abort
exit 42
stdin

trap
EOF
mapfile -t sorted < <(cd "$tmp/in" && LC_ALL=C ls -p | grep -v /)
[ "${#sorted[@]}" = 12 ] || fail "expected 12 input files, got ${#sorted[@]}"

# ---- --out: every lane against kvrm run --------------------------------------------------------
"$kvrm" batch "$prog" --stdin-dir "$tmp/in" --args-file "$tmp/args" --out "$tmp/out" \
  --threads 2 --no-progress -E LANE_VAR=batch 2>"$tmp/batch.err"
st=$?
[ "$st" = 123 ] || fail "kvrm batch with failing lanes: status $st, expected 123"
[ -s "$tmp/batch.err" ] && fail "kvrm batch wrote to stderr: $(cat "$tmp/batch.err")"
lane=0
while IFS= read -r line || [ -n "$line" ]; do
  eval "set -- $line"
  LANE_VAR=batch "$kvrm" run --backend cpu "$prog" "$@" <"$tmp/in/${sorted[$lane]}" \
    >"$tmp/run.out" 2>"$tmp/run.err"
  rst=$?
  cmp -s "$tmp/run.out" "$tmp/out/lane-$lane.stdout" || fail "lane $lane ($line): stdout differs"
  cmp -s "$tmp/run.err" "$tmp/out/lane-$lane.stderr" || fail "lane $lane ($line): stderr differs"
  [ "$rst" = "$(cat "$tmp/out/lane-$lane.status")" ] ||
    fail "lane $lane ($line): status $(cat "$tmp/out/lane-$lane.status"), kvrm run says $rst"
  lane=$((lane + 1))
done <"$tmp/args"
[ "$lane" = 12 ] || fail "args file has $lane lines"
grep -q "two words\] \[single quoted\] \[back slash\] \[\]" "$tmp/out/lane-1.stdout" ||
  fail "--args-file quoting: $(cat "$tmp/out/lane-1.stdout")"
grep -q "LANE_VAR=batch" "$tmp/out/lane-1.stdout" || fail "-E did not reach the lanes"
[ -e "$tmp/out/lane-12.status" ] && fail "a 13th lane ran"

# ---- --json: the same results as JSON lines ----------------------------------------------------
"$kvrm" batch "$prog" --stdin-dir "$tmp/in" --args-file "$tmp/args" --json --no-progress \
  -E LANE_VAR=batch >"$tmp/lanes.json"
st=$?
[ "$st" = 123 ] || fail "kvrm batch --json: status $st, expected 123"
if command -v python3 >/dev/null; then
  python3 - "$tmp" <<'EOF' || fail "--json lines do not match the --out files"
import base64, json, sys
tmp = sys.argv[1]
lines = open(tmp + "/lanes.json", encoding="utf-8").read().splitlines()
assert len(lines) == 12, len(lines)
for i, line in enumerate(lines):
    j = json.loads(line)
    assert j["lane"] == i, (i, j["lane"])
    assert j["status"] == int(open(f"{tmp}/out/lane-{i}.status").read()), i
    for key in ("stdout", "stderr"):
        want = open(f"{tmp}/out/lane-{i}.{key}", "rb").read()
        got = j[key].encode() if key in j else base64.b64decode(j[key + "_base64"])
        assert got == want, (i, key, got[:80], want[:80])
    assert j["instructions"] > 0 and j["end"] in ("exited", "signaled"), j
binary = json.loads(lines[9])  # s.bin: not UTF-8
assert "stdout_base64" in binary, binary.keys()
assert json.loads(lines[3])["signal"] == 11
EOF
else
  echo "note: python3 missing, --json lines not parsed"
fi

# ---- Exit statuses and errors -----------------------------------------------------------------
expect() {  # expect STATUS MESSAGE-PART COMMAND...
  local want=$1 msg=$2
  shift 2
  "$@" >"$tmp/e.out" 2>"$tmp/e.err"
  local got=$?
  [ "$got" = "$want" ] || fail "$* -> status $got, expected $want ($(head -c 300 "$tmp/e.err"))"
  [ -z "$msg" ] || grep -q -- "$msg" "$tmp/e.err" ||
    fail "$* -> stderr lacks '$msg': $(head -c 300 "$tmp/e.err")"
}
expect 0 "" "$kvrm" batch "$prog" exit 0 --lanes 5
[ "$(wc -l <"$tmp/e.out")" = 5 ] || fail "5 lanes, $(wc -l <"$tmp/e.out") summary lines"
expect 0 "kvrm: batch: 3 lanes on cpu" "$kvrm" batch --stats --lanes 3 "$prog" -- hello -x
expect 0 "" "$kvrm" batch --lanes 3 --stdin-dir "$tmp/in" "$prog" stdin  # fewer lanes than files
expect 127 "No such file" "$kvrm" batch /nonexistent/program --lanes 2
expect 126 "" "$kvrm" batch /etc/passwd --lanes 2
expect 1 "say how many lanes" "$kvrm" batch "$prog" exit 0
expect 1 "has 12 files for 20 lanes" "$kvrm" batch "$prog" --lanes 20 --stdin-dir "$tmp/in"
expect 1 "has 12 lines for 13 lanes" "$kvrm" batch "$prog" --lanes 13 --args-file "$tmp/args"
expect 1 "is not a directory" "$kvrm" batch "$prog" --stdin-dir /nonexistent
expect 1 "cannot read" "$kvrm" batch "$prog" --args-file /nonexistent
expect 1 "exclude each other" "$kvrm" batch "$prog" --lanes 1 --out "$tmp/o2" --json
if ! "$kvrm" bench --list-backends | grep -qx cuda; then
  expect 1 "not available" "$kvrm" batch "$prog" --lanes 1 --backend cuda
fi
expect 1 "not a size" "$kvrm" batch "$prog" --lanes 1 --memory-limit 12Q
expect 1 "end fraction must be in" "$kvrm" batch "$prog" --lanes 1 --launch-end 0
expect 1 "launch-end" "$kvrm" batch "$prog" --lanes 1 --launch-end 1.5
expect 1 "lane-order" "$kvrm" batch "$prog" --lanes 1 --lane-order random
# Command-line errors of every subcommand: a message and status 1; --help and --version: 0.
expect 1 "no-such-option" "$kvrm" run --no-such-option "$prog"
expect 1 "no-such-option" "$kvrm" bench --no-such-option
expect 1 "" "$kvrm"
expect 0 "" "$kvrm" run --help
expect 0 "" "$kvrm" --version
expect 0 "" "$kvrm" bench batch --backend cpu --lanes 1,3 --total-cycles 30000 --repeat 1 \
  --workload add_b,add_str_b
[ "$(grep -c '^cpu  *add_' "$tmp/e.out")" = 4 ] || fail "bench batch: not 4 rows: $(cat "$tmp/e.out")"
expect 1 "needs the cuda backend" "$kvrm" bench batch --backend cpu --device-counts 1,2
# GPU-only options are accepted (and have no effect) on the host backend.
expect 0 "" "$kvrm" batch "$prog" exit 0 --lanes 2 --backend cpu --devices 0,1 --launch-end 1 \
  --lane-order index
printf 'hello "unterminated\n' >"$tmp/badargs"
expect 1 "line 1: unterminated" "$kvrm" batch "$prog" --args-file "$tmp/badargs"
: >"$tmp/empty"
expect 1 "gives no lanes" "$kvrm" batch "$prog" --args-file "$tmp/empty"
expect 1 "cannot create directory" "$kvrm" batch "$prog" --lanes 1 --out /proc/version/x
# Limits: each lane ends alone with 124 / 137; the others are unaffected.
printf 'loop 100000000\nexit 0\n' >"$tmp/limit"
"$kvrm" batch "$prog" --args-file "$tmp/limit" --max-instructions 100000 --out "$tmp/lim" \
  --no-progress
[ "$(cat "$tmp/lim/lane-0.status")" = 124 ] || fail "--max-instructions: lane 0 not 124"
[ "$(cat "$tmp/lim/lane-1.status")" = 0 ] || fail "--max-instructions: lane 1 not 0"
grep -q "instruction limit (100000) reached" "$tmp/lim/lane-0.stderr" || fail "no limit message"
printf 'malloc 64\nexit 0\n' >"$tmp/mem"
"$kvrm" batch "$prog" --args-file "$tmp/mem" --memory-limit 8M --out "$tmp/mem.out" --no-progress
[ "$(cat "$tmp/mem.out/lane-0.status")" = 137 ] || fail "--memory-limit: lane 0 not 137"
[ "$(cat "$tmp/mem.out/lane-1.status")" = 0 ] || fail "--memory-limit: lane 1 not 0"
printf 'loop 1000000000\nloop 1000000000\n' >"$tmp/long"
start=$(date +%s)
"$kvrm" batch "$prog" --args-file "$tmp/long" --timeout 0.5 --out "$tmp/to" --no-progress
[ $(($(date +%s) - start)) -lt 10 ] || fail "--timeout 0.5 took more than 10 s"
[ "$(cat "$tmp/to/lane-0.status")" = 124 ] || fail "--timeout: lane 0 not 124"
grep -q "timeout (0.5 s) reached" "$tmp/to/lane-0.stderr" || fail "no timeout message"
# A lane blocked in the host holds no other. With a lane sleeping 30 s, --timeout 2 ends the batch
# after about 2 s: the sleeper with 124 and the batch's message, the quick lanes with what
# `kvrm run` gives. Without a timeout, the quick lanes' files are written before a sleeper of
# 1.5 s wakes, and the sleeper ends with its own result.
printf 'sleep 30000\nexit 5\nhello one\nloop 20000\n' >"$tmp/sleepy"
start=$(date +%s%N)
"$kvrm" batch "$prog" --args-file "$tmp/sleepy" --timeout 2 --out "$tmp/sl" --no-progress \
  --threads 2
took=$((($(date +%s%N) - start) / 1000000))
[ "$took" -lt 2600 ] || fail "--timeout 2 with a sleeping lane took $took ms"
[ "$(cat "$tmp/sl/lane-0.status")" = 124 ] || fail "sleeping lane: not 124"
grep -q "^kvrm: timeout (2 s) reached at pc" "$tmp/sl/lane-0.stderr" ||
  fail "sleeping lane: $(cat "$tmp/sl/lane-0.stderr")"
for lane in 1 2 3; do
  line=$(sed -n "$((lane + 1))p" "$tmp/sleepy")
  # shellcheck disable=SC2086 # the line is the lane's arguments
  "$kvrm" run --backend cpu "$prog" $line </dev/null >"$tmp/run.out" 2>"$tmp/run.err"
  rst=$?
  cmp -s "$tmp/run.out" "$tmp/sl/lane-$lane.stdout" || fail "beside a sleeper, lane $lane: stdout"
  cmp -s "$tmp/run.err" "$tmp/sl/lane-$lane.stderr" || fail "beside a sleeper, lane $lane: stderr"
  [ "$rst" = "$(cat "$tmp/sl/lane-$lane.status")" ] || fail "beside a sleeper, lane $lane: status"
done
printf 'sleep 1500\nexit 5\nhello one\nloop 20000\n' >"$tmp/sleepy2"
"$kvrm" batch "$prog" --args-file "$tmp/sleepy2" --out "$tmp/sl2" --no-progress --threads 2
[ "$(cat "$tmp/sl2/lane-0.status")" = 0 ] || fail "short sleeper: not 0"
[ "$(cat "$tmp/sl2/lane-0.stdout")" = "slept 1500 ms: 0" ] || fail "short sleeper: stdout"
woke=$(date -r "$tmp/sl2/lane-0.status" +%s%N)
for lane in 1 2 3; do
  cmp -s "$tmp/sl/lane-$lane.stdout" "$tmp/sl2/lane-$lane.stdout" || fail "lane $lane differs"
  at=$(date -r "$tmp/sl2/lane-$lane.status" +%s%N)
  [ $(((woke - at) / 1000000)) -gt 1000 ] ||
    fail "lane $lane ended $(((woke - at) / 1000000)) ms before the sleeper woke: it waited"
done

if [ "$failures" != 0 ]; then
  echo "$failures failure(s)"
  exit 1
fi
echo "kvrm batch CLI: all checks passed"

#!/usr/bin/env bash
# Guest threads beyond the comparison with QEMU (compare.sh runs threads.c once each way):
# - the threaded program run RUNS times gives the same stdout and exit status (3) every time;
# - threads that all wait on futexes end with kvrm's deadlock message and status 1;
# - a thread made through the raw clone3 syscall, and a robust mutex whose owner died (qemu-aarch64
#   7.2 has neither, so the expected lines are written here);
# - kvrm batch refuses clone with a message.
# With BACKEND cuda and no usable GPU it exits 77 (ctest's skip).
# Usage: threads.sh KVRM PROGRAM BACKEND RUNS
set -u
kvrm=$1 prog=$2 backend=$3 runs=$4
if [ "$backend" = cuda ] && ! "$kvrm" bench --list-backends | grep -qx cuda; then
  echo "skipped: no usable GPU here (kvrm bench --list-backends does not list cuda)"
  exit 77
fi
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
fail=0
run() { "$kvrm" run --backend "$backend" --timeout 60 "$@" </dev/null; }

run "$prog" >"$tmp/first" 2>"$tmp/first.err"
status=$?
if [ $status != 3 ] || [ -s "$tmp/first.err" ]; then
  echo "first run: status $status (expected 3), stderr:"; head -5 "$tmp/first.err"; fail=1
fi
for ((k = 2; k <= runs; ++k)); do
  run "$prog" >"$tmp/out" 2>&1
  s=$?
  if [ $s != 3 ] || ! cmp -s "$tmp/out" "$tmp/first"; then
    echo "run $k: status $s, output differs from the first run's:"; diff "$tmp/first" "$tmp/out" | head -10
    fail=1
    break
  fi
done
[ $fail = 0 ] && echo "$runs runs: identical output, status 3"

check() {  # check NAME EXPECTED_STATUS EXPECTED_OUTPUT ARGS...
  local name=$1 want_status=$2 want=$3
  shift 3
  local out s
  out=$(run "$prog" "$@" 2>&1)
  s=$?
  if [ $s != "$want_status" ] || [ "$out" != "$want" ]; then
    printf '%s: status %s (expected %s), output:\n%s\nexpected:\n%s\n' "$name" $s "$want_status" "$out" "$want"
    fail=1
  else
    echo "$name: as expected"
  fi
}
check deadlock 1 "kvrm: deadlock: all threads wait on futexes" deadlock
check clone3 0 "clone3: a tid 1, parent_tid 1, the thread ran 1, child_tid cleared 1
clone3 with CLONE_DETACHED: EINVAL
clone3 of a process: ENOSYS
fork: -1 ENOSYS" clone3
check robust 0 "robust mutex: lock after the owner died: EOWNERDEAD, consistent 0, unlock 0" robust

# kvrm batch refuses threads, with its message (pthread_create then fails: the program says so).
"$kvrm" batch --backend "$backend" --lanes 1 --out "$tmp/batch" "$prog" >/dev/null 2>&1
if grep -q "kvrm: clone: guest threads are not supported by this engine" "$tmp/batch/lane-0.stderr" &&
   grep -q "FAILED: pthread_create" "$tmp/batch/lane-0.stdout"; then
  echo "batch: clone refused with the message"
else
  echo "batch: expected the refusal of clone, got:"; cat "$tmp/batch/lane-0.stderr" "$tmp/batch/lane-0.stdout"
  fail=1
fi
exit $fail

#!/usr/bin/env bash
# Limits and host signals for `kvrm run` (tests/security/limits/CMakeLists.txt runs each case):
#   timeout KVRM SECONDS MAX_MS PROGRAM [ARGS...]  the guest blocks (stdin: a pipe whose writer
#       stays open and silent): `--timeout SECONDS` must end it with 124 and kvrm's message
#       within MAX_MS milliseconds
#   fast KVRM MAX_MS EXPECTED PROGRAM [ARGS...]    runs under --timeout 10: stdout must be the
#       file EXPECTED, status 0, in MAX_MS milliseconds
#   signal EMU KIND SIG WAIT_FOR PROGRAM [ARGS...] runs PROGRAM under EMU (KIND kvrm or qemu),
#       stdin a silent pipe; once stdout holds WAIT_FOR, sends SIG to the emulator, then writes
#       "data" to the pipe and closes it; prints the exit status, stdout and the filtered stderr
#   signal-compare KVRM QEMU SIG WAIT_FOR PROGRAM [ARGS...]  both of the above must agree
set -u
backend=${KVRM_BACKEND:-cpu}  # the engine under test (the GPU machine runs cuda)
mode=$1
shift
tmp=$(mktemp -d)
holder=
cleanup() {
  [ -n "$holder" ] && kill "$holder" 2>/dev/null
  rm -rf "$tmp"
}
trap cleanup EXIT
now_ms() { echo $(($(date +%s%N) / 1000000)); }

case $mode in
timeout)
  kvrm=$1 secs=$2 max_ms=$3
  shift 3
  mkfifo "$tmp/fifo"
  exec 3<>"$tmp/fifo"  # a writer that stays open and writes nothing
  t0=$(now_ms)
  "$kvrm" run --backend "$backend" --timeout "$secs" "$@" <"$tmp/fifo" >"$tmp/out" 2>"$tmp/err"
  status=$?
  ms=$(($(now_ms) - t0))
  exec 3>&-
  echo "status $status after $ms ms; stdout: $(head -c 200 "$tmp/out"); stderr: $(cat "$tmp/err")"
  [ "$status" = 124 ] || { echo "FAIL: status $status, not 124"; exit 1; }
  [ "$ms" -le "$max_ms" ] || { echo "FAIL: took $ms ms (at most $max_ms)"; exit 1; }
  grep -q "^kvrm: timeout ($secs s) reached" "$tmp/err" || { echo "FAIL: no timeout message"; exit 1; }
  [ -s "$tmp/out" ] || { echo "FAIL: the guest's output before it blocked is missing"; exit 1; }
  ;;
fast)
  kvrm=$1 max_ms=$2 expected=$3
  shift 3
  t0=$(now_ms)
  "$kvrm" run --backend "$backend" --timeout 10 "$@" </dev/null >"$tmp/out" 2>"$tmp/err"
  status=$?
  ms=$(($(now_ms) - t0))
  echo "status $status after $ms ms"
  cat "$tmp/out" "$tmp/err"
  [ "$status" = 0 ] || { echo "FAIL: status $status"; exit 1; }
  [ "$ms" -le "$max_ms" ] || { echo "FAIL: took $ms ms (at most $max_ms)"; exit 1; }
  diff "$expected" "$tmp/out" || { echo "FAIL: stdout differs from $expected"; exit 1; }
  ;;
signal)
  set -m  # job control: the background emulator does not start with SIGINT ignored
  emu=$1 kind=$2 sig=$3 wait_for=$4
  shift 4
  mkfifo "$tmp/fifo"
  exec 3<>"$tmp/fifo"
  if [ "$kind" = kvrm ]; then
    "$emu" run --backend "$backend" --timeout 20 "$@" <"$tmp/fifo" >"$tmp/out" 2>"$tmp/err" &
  else
    "$emu" "$@" <"$tmp/fifo" >"$tmp/out" 2>"$tmp/err" &
  fi
  pid=$!
  for _ in $(seq 100); do grep -q "$wait_for" "$tmp/out" 2>/dev/null && break; sleep 0.05; done
  sleep 0.1  # into the blocking call
  kill -s "$sig" "$pid"
  sleep 0.3
  echo data >&3
  exec 3>&-
  wait "$pid"
  echo "status $?"
  cat "$tmp/out"
  grep -v -E '^(kvrm|qemu): uncaught target signal' "$tmp/err"
  grep -q -E '^kvrm: uncaught target signal' "$tmp/err" && echo "(kvrm named the signal)"
  exit 0
  ;;
signal-compare)
  kvrm=$1 qemu=$2
  shift 2
  self=$(readlink -f "$0")
  "$self" signal "$kvrm" kvrm "$@" >"$tmp/k"
  "$self" signal "$qemu" qemu "$@" >"$tmp/q"
  cat "$tmp/k"
  # kvrm names a fatal signal on stderr (qemu-aarch64 only for those that dump core).
  grep -v '^(kvrm named the signal)$' "$tmp/k" >"$tmp/k2"
  if ! diff "$tmp/k2" "$tmp/q"; then echo "FAIL: kvrm and qemu-aarch64 differ"; exit 1; fi
  status=$(head -1 "$tmp/k" | cut -d' ' -f2)
  if [ "$status" -gt 128 ] && ! grep -q '^(kvrm named the signal)$' "$tmp/k"; then
    echo "FAIL: kvrm ended by a signal without saying so"
    exit 1
  fi
  ;;
*)
  echo "unknown mode $mode"
  exit 2
  ;;
esac
exit 0

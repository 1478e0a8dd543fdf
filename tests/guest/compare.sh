#!/usr/bin/env bash
# Runs one guest program under `kvrm run` and under qemu-aarch64-static and fails unless stdout,
# stderr and the exit status are the same. The emulators' own "uncaught target signal" lines
# differ in wording and are left out of the stderr comparison; the exit status of a program
# killed by a signal is compared as 128+signal.
# With BACKEND cuda and no usable GPU it exits 77 (ctest's skip).
# Usage: compare.sh KVRM QEMU BACKEND [--stdin FILE] [--tmpdir]
#                   [-E VAR=VALUE | -U VAR | -L SYSROOT]... PROGRAM [ARGS...]
# (--stdin: both read FILE on stdin; /dev/null otherwise. --tmpdir: each emulator gets a fresh
# empty directory, written @TMPDIR@ in the arguments, which kvrm may write to: --rw.)
set -u
kvrm=$1 qemu=$2 backend=$3
shift 3
input=/dev/null
if [ "${1:-}" = --stdin ]; then input=$2; shift 2; fi
tmpdir=0
if [ "${1:-}" = --tmpdir ]; then tmpdir=1; shift; fi
opts=()
while [ $# -gt 0 ] && { [ "$1" = -E ] || [ "$1" = -U ] || [ "$1" = -L ]; }; do
  opts+=("$1" "$2")
  shift 2
done
if [ "$backend" = cuda ] && ! "$kvrm" bench --list-backends | grep -qx cuda; then
  echo "skipped: no usable GPU here (kvrm bench --list-backends does not list cuda)"
  exit 77
fi
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
kargs=("$@") qargs=("$@") kopts=()
if [ $tmpdir = 1 ]; then
  mkdir "$tmp/kdir" "$tmp/qdir"
  kargs=("${@//@TMPDIR@/$tmp/kdir}") qargs=("${@//@TMPDIR@/$tmp/qdir}") kopts=(--rw "$tmp/kdir")
fi
"$kvrm" run --backend "$backend" "${kopts[@]}" "${opts[@]}" "${kargs[@]}" <"$input" >"$tmp/k.out" 2>"$tmp/k.err"
k=$?
(exec "$qemu" "${opts[@]}" "${qargs[@]}" <"$input" >"$tmp/q.out" 2>"$tmp/q.err") 2>/dev/null
q=$?
filter() { grep -v -E '^(kvrm|qemu): uncaught target signal' "$1" || true; }
fail=0
if [ "$k" != "$q" ]; then echo "exit status: kvrm $k, qemu $q"; fail=1; fi
if ! cmp -s "$tmp/k.out" "$tmp/q.out"; then
  echo "stdout differs:"; diff "$tmp/k.out" "$tmp/q.out" | head -20; fail=1
fi
if ! diff <(filter "$tmp/k.err") <(filter "$tmp/q.err") >"$tmp/err.diff"; then
  echo "stderr differs:"; head -20 "$tmp/err.diff"; fail=1
fi
[ $fail = 0 ] && echo "identical: status $k, $(wc -c <"$tmp/k.out") bytes of stdout"
exit $fail

#!/usr/bin/env bash
# Runs one dynamically linked program of the sysroot (tests/dynamic/fetch.sh) under
# `kvrm run -L SYSROOT` and under `qemu-aarch64-static -L SYSROOT` (tests/guest/compare.sh) and
# fails unless stdout, stderr and the exit status are the same. Skipped (77) when the sysroot is
# missing, i.e. when fetch.sh could not build it.
# Usage: run.sh KVRM QEMU BACKEND DEST [--status N] [--stdin FILE] [--tmpdir] PROGRAM [ARGS...]
#        (PROGRAM relative to the sysroot, e.g. usr/bin/sort; --status: the exit status both
#        must give, 0 by default; --tmpdir as for tests/guest/compare.sh)
set -u
kvrm=$1 qemu=$2 backend=$3 dest=$4
shift 4
here=$(cd "$(dirname "$0")" && pwd)
root=$dest/sysroot
if [ ! -f "$root/.complete" ]; then
  echo "sysroot not available: $root is missing (the dynamic_fetch test says why)"
  exit 77
fi
want=0
if [ "${1:-}" = --status ]; then want=$2; shift 2; fi
stdin=()
if [ "${1:-}" = --stdin ]; then stdin=(--stdin "$2"); shift 2; fi
if [ "${1:-}" = --tmpdir ]; then stdin+=(--tmpdir); shift; fi
program=$root/$1
shift
out=$("$here/../guest/compare.sh" "$kvrm" "$qemu" "$backend" "${stdin[@]}" -L "$root" \
  "$program" "$@")
rc=$?
echo "$out"
[ $rc = 0 ] || exit $rc
# Every case has the status it is expected to have: a failure on both sides is no test.
case $out in "identical: status $want,"*) exit 0 ;; esac
echo "the program did not end with status $want"
exit 1

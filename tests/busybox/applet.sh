#!/usr/bin/env bash
# Runs one busybox applet under `kvrm run` and under qemu-aarch64-static (tests/guest/compare.sh)
# and fails unless stdout, stderr and the exit status are the same. Skipped (77) when
# DEST/busybox is missing, i.e. when tests/busybox/fetch.sh could not fetch it.
# Usage: applet.sh KVRM QEMU DEST [--stdin FILE] APPLET [ARGS...]
#        applet.sh KVRM QEMU DEST --gunzip FILE   (gzip -c FILE under kvrm, then gunzip -c of
#                                                   that compared, and checked against FILE)
set -u
kvrm=$1 qemu=$2 dest=$3
shift 3
here=$(cd "$(dirname "$0")" && pwd)
bb=$dest/busybox
if [ ! -x "$bb" ]; then
  echo "busybox not available: $bb is missing (the busybox_fetch test says why)"
  exit 77
fi
if [ "${1:-}" = --gunzip ]; then
  tmp=$(mktemp -d)
  trap 'rm -rf "$tmp"' EXIT
  "$kvrm" run --backend cpu "$bb" gzip -c "$2" >"$tmp/f.gz" || { echo "kvrm: gzip failed"; exit 1; }
  out=$("$here/../guest/compare.sh" "$kvrm" "$qemu" cpu "$bb" gunzip -c "$tmp/f.gz") || { echo "$out"; exit 1; }
  echo "$out"
  "$kvrm" run --backend cpu "$bb" gunzip -c "$tmp/f.gz" | cmp - "$2" || { echo "round trip differs"; exit 1; }
  exit 0
fi
stdin=()
if [ "${1:-}" = --stdin ]; then stdin=(--stdin "$2"); shift 2; fi
# Every case is expected to succeed: a usage error on both sides is no test.
out=$("$here/../guest/compare.sh" "$kvrm" "$qemu" cpu "${stdin[@]}" "$bb" "$@")
rc=$?
echo "$out"
[ $rc = 0 ] || exit 1
case $out in "identical: status 0,"*) exit 0 ;; esac
echo "the applet did not succeed (exit status not 0)"
exit 1

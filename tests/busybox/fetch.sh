#!/usr/bin/env bash
# Obtains Debian's busybox-static for arm64 into DEST/busybox (idempotent: an existing
# DEST/busybox is reused). Adds the arm64 architecture to dpkg only for the download and always
# removes it again, also on failure. Needs root (as CI runs) and network access.
# Usage: tests/busybox/fetch.sh DEST
# Exit status: 0 done; 77 could not be fetched (no root, no network, no package), with the reason
# on stderr.
set -u
dest=${1:?usage: fetch.sh DEST}
mkdir -p "$dest"
if [ -x "$dest/busybox" ]; then exit 0; fi
skip() { echo "busybox: cannot fetch busybox-static:arm64: $*" >&2; exit 77; }
command -v dpkg >/dev/null && command -v apt-get >/dev/null || skip "no dpkg/apt-get"
[ "$(id -u)" -eq 0 ] || skip "not root"

work=$(mktemp -d)
added=0
cleanup() {
  if [ $added = 1 ]; then dpkg --remove-architecture arm64 || true; fi
  rm -rf "$work"
}
trap cleanup EXIT
if ! dpkg --print-foreign-architectures | grep -qx arm64; then
  dpkg --add-architecture arm64 || skip "dpkg --add-architecture arm64 failed"
  added=1
fi
apt-get update -qq >"$work/update.log" 2>&1 || skip "apt-get update failed: $(tail -1 "$work/update.log")"
(cd "$work" && apt-get download -qq busybox-static:arm64) >"$work/dl.log" 2>&1 ||
  skip "apt-get download failed: $(tail -1 "$work/dl.log")"
deb=$(ls "$work"/busybox-static_*_arm64.deb 2>/dev/null | head -1)
[ -n "$deb" ] || skip "no .deb downloaded"
dpkg -x "$deb" "$work/x" || skip "dpkg -x failed"
[ -f "$work/x/bin/busybox" ] || skip "the package holds no bin/busybox"
cp "$work/x/bin/busybox" "$dest/busybox.tmp" && chmod 755 "$dest/busybox.tmp" &&
  mv "$dest/busybox.tmp" "$dest/busybox"

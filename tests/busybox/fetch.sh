#!/usr/bin/env bash
# Obtains Debian's busybox-static for arm64 into DEST/busybox (idempotent: an existing
# DEST/busybox is reused). The download: tests/debian_arm64.sh. Needs root (as CI runs) and
# network access.
# Usage: tests/busybox/fetch.sh DEST
# Exit status: 0 done; 77 could not be fetched (no root, no network, no package), with the reason
# on stderr.
set -u
dest=${1:?usage: fetch.sh DEST}
mkdir -p "$dest"
if [ -x "$dest/busybox" ]; then exit 0; fi
skip() { echo "busybox: cannot fetch busybox-static:arm64: $*" >&2; exit 77; }
. "$(dirname "$0")/../debian_arm64.sh"
work=$(mktemp -d)
trap 'debian_arm64_cleanup; rm -rf "$work"' EXIT
debian_arm64_download "$work" busybox-static
deb=$(ls "$work"/busybox-static_*_arm64.deb 2>/dev/null | head -1)
[ -n "$deb" ] || skip "no .deb downloaded"
dpkg -x "$deb" "$work/x" || skip "dpkg -x failed"
[ -f "$work/x/bin/busybox" ] || skip "the package holds no bin/busybox"
cp "$work/x/bin/busybox" "$dest/busybox.tmp" && chmod 755 "$dest/busybox.tmp" &&
  mv "$dest/busybox.tmp" "$dest/busybox"

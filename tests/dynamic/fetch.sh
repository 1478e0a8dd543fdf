#!/usr/bin/env bash
# Builds an arm64 sysroot of Debian's packages in DEST/sysroot: glibc and dynamically linked
# programs (coreutils, grep, sed, gawk, bc, gzip, find, diff, tar, dash, perl, xz, jq, sqlite3)
# with the libraries they need, unpacked with
# dpkg -x (idempotent: an existing DEST/sysroot/.complete is reused). Adds the arm64
# architecture to dpkg only for the download and always removes it again, also on failure.
# Needs root (as CI runs) and network access.
# Usage: tests/dynamic/fetch.sh DEST
# Exit status: 0 done; 77 could not be fetched (no root, no network, no package), with the reason
# on stderr.
set -u
dest=${1:?usage: fetch.sh DEST}
mkdir -p "$dest"
if [ -f "$dest/sysroot/.complete" ]; then exit 0; fi
skip() { echo "dynamic: cannot build the arm64 sysroot: $*" >&2; exit 77; }
command -v dpkg >/dev/null && command -v apt-get >/dev/null || skip "no dpkg/apt-get"
[ "$(id -u)" -eq 0 ] || skip "not root"
packages=(libc6 coreutils grep sed gzip gawk bc findutils diffutils tar dash perl-base xz-utils
  jq sqlite3 libpcre2-8-0 libacl1 libattr1 libselinux1 libgmp10 libmpfr6 libsigsegv2
  libreadline8 libtinfo6 liblzma5 libjq1 libonig5 libsqlite3-0 zlib1g libcrypt1)

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
(cd "$work" && apt-get download -qq "${packages[@]/%/:arm64}") >"$work/dl.log" 2>&1 ||
  skip "apt-get download failed: $(tail -1 "$work/dl.log")"
rm -rf "$dest/sysroot.tmp"
for deb in "$work"/*_arm64.deb; do
  dpkg -x "$deb" "$dest/sysroot.tmp" || skip "dpkg -x $(basename "$deb") failed"
done
[ -e "$dest/sysroot.tmp/lib/ld-linux-aarch64.so.1" ] || skip "no ld-linux-aarch64.so.1 unpacked"
touch "$dest/sysroot.tmp/.complete"
rm -rf "$dest/sysroot" && mv "$dest/sysroot.tmp" "$dest/sysroot"

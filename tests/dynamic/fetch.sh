#!/usr/bin/env bash
# Builds an arm64 sysroot of Debian's packages in DEST/sysroot: glibc and dynamically linked
# programs (coreutils, grep, sed, gawk, bc, gzip, find, diff, tar, dash, perl, xz, jq, sqlite3)
# with the libraries they need, unpacked with dpkg -x, and its /etc/ld.so.cache (idempotent: an
# existing DEST/sysroot/.complete is reused). The download: tests/debian_arm64.sh. Needs root (as CI
# runs) and network access.
# Usage: tests/dynamic/fetch.sh DEST
# Exit status: 0 done; 77 could not be fetched (no root, no network, no package), with the reason
# on stderr.
set -u
dest=${1:?usage: fetch.sh DEST}
mkdir -p "$dest"
if [ -f "$dest/sysroot/.complete" ]; then exit 0; fi
skip() { echo "dynamic: cannot build the arm64 sysroot: $*" >&2; exit 77; }
packages=(libc6 coreutils grep sed gzip gawk bc findutils diffutils tar dash perl-base xz-utils
  jq sqlite3 libpcre2-8-0 libacl1 libattr1 libselinux1 libgmp10 libmpfr6 libsigsegv2
  libreadline8 libtinfo6 liblzma5 libjq1 libonig5 libsqlite3-0 zlib1g libcrypt1 libc-bin)
. "$(dirname "$0")/../debian_arm64.sh"
work=$(mktemp -d)
trap 'debian_arm64_cleanup; rm -rf "$work"' EXIT
debian_arm64_download "$work" "${packages[@]}"
rm -rf "$dest/sysroot.tmp"
for deb in "$work"/*_arm64.deb; do
  dpkg -x "$deb" "$dest/sysroot.tmp" || skip "dpkg -x $(basename "$deb") failed"
done
[ -e "$dest/sysroot.tmp/lib/ld-linux-aarch64.so.1" ] || skip "no ld-linux-aarch64.so.1 unpacked"
# /etc/ld.so.cache, as an installed system has it, built by the sysroot's own ldconfig under
# qemu-aarch64 (the dynamic guest programs of tests/guest run without one).
if qemu=$(command -v qemu-aarch64-static); then
  "$qemu" -L "$dest/sysroot.tmp" "$dest/sysroot.tmp/sbin/ldconfig" \
    -C "$dest/sysroot.tmp/etc/ld.so.cache" || skip "ldconfig failed"
fi
touch "$dest/sysroot.tmp/.complete"
rm -rf "$dest/sysroot" && mv "$dest/sysroot.tmp" "$dest/sysroot"

# Sourced by the test-time fetch scripts (tests/busybox/fetch.sh, tests/dynamic/fetch.sh):
# debian_arm64_download DIR PACKAGE... downloads Debian's arm64 .debs of the packages into DIR,
# adding the arm64 architecture to dpkg only for the download and always removing it again (the
# caller's EXIT trap runs debian_arm64_cleanup), also on failure. Needs root and network access;
# on any failure it calls the caller's skip function with the reason.
debian_arm64_added=0
debian_arm64_cleanup() {
  if [ $debian_arm64_added = 1 ]; then dpkg --remove-architecture arm64 || true; fi
  debian_arm64_added=0
}
debian_arm64_download() {
  local dir=$1
  shift
  command -v dpkg >/dev/null && command -v apt-get >/dev/null || skip "no dpkg/apt-get"
  [ "$(id -u)" -eq 0 ] || skip "not root"
  if ! dpkg --print-foreign-architectures | grep -qx arm64; then
    dpkg --add-architecture arm64 || skip "dpkg --add-architecture arm64 failed"
    debian_arm64_added=1
  fi
  apt-get update -qq >"$dir/update.log" 2>&1 ||
    skip "apt-get update failed: $(tail -1 "$dir/update.log")"
  local p pkgs=()
  for p in "$@"; do pkgs+=("$p:arm64"); done
  (cd "$dir" && apt-get download -qq "${pkgs[@]}") >"$dir/dl.log" 2>&1 ||
    skip "apt-get download failed: $(tail -1 "$dir/dl.log")"
  debian_arm64_cleanup
}

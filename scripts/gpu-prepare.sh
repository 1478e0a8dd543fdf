#!/usr/bin/env bash
# On the development machine: gathers what scripts/gpu-check.sh needs on the GPU machine into a
# folder (default .gpu/, which git ignores; pass it to the device tool with `carry`): kvrm, the
# test programs, the static libraries for the Python module, the guest programs, busybox,
# qemu-aarch64-static (the oracle of the guest tests), the cross compiler's glibc (for the
# dynamically linked guest programs' -L), and gpu-ctest.txt, the `gpu`-labelled
# ctest commands of the build rewritten to paths relative to the repository root.
# Usage: scripts/gpu-prepare.sh [BUILD_DIR] [DIR]   (also writes DIR.tar.xz)
set -euo pipefail
cd "$(dirname "$0")/.."
build=${1:-build-cuda}
dir=${2:-.gpu}
root=$(pwd)
rm -rf "$dir"
mkdir -p "$dir/guest"
cp "$build/kvrm" "$build/tests/kvrm_gpu_tests" "$build/tests/kvrm_unit_tests" \
  "$build/tests/jit/kvrm_jit_tests" "$build/libkvrm_core.a" "$build/libkvrm_os.a" \
  "$build/libkvrm_batch.a" "$build/libkvrm_jit.a" "$dir/"
cp "$build"/tests/guest/*_O2 "$dir/guest/"
cp "$build"/tests/guest/*_dyn "$dir/guest/" 2>/dev/null || true  # dynamically linked (-L)
cp "$build/tests/batch/kvrm_batch_tests" "$build/tests/batch/lanes" "$build/bench/workload" "$dir/"
[ -x "$build/tests/busybox/busybox" ] && cp "$build/tests/busybox/busybox" "$dir/"
# The security suite's guests (tests/security: the syscall fuzzer, the sandbox probe, limits).
mkdir -p "$dir/security"
cp "$build/tests/security/syscall_fuzz" "$build/tests/security/sandbox/escape_probe" \
  "$build"/tests/security/limits/limits_* "$dir/security/"
qemu=$(command -v qemu-aarch64-static)
cp "$qemu" "$dir/"
aarch64-linux-gnu-gcc -static -O1 -o "$dir/guest_echo" tests/python/guest_echo.c
# The cross compiler's glibc, what the dynamically linked guest programs run on (-L): only the
# loader, the libraries they link, and libgcc_s, which glibc loads for pthread_cancel.
mkdir -p "$dir/sysroot/lib"
for lib in ld-linux-aarch64.so.1 libc.so.6 libm.so.6 libgcc_s.so.1; do
  cp -L "/usr/aarch64-linux-gnu/lib/$lib" "$dir/sysroot/lib/"
done
# One line per test: name, then the command (arguments separated by tabs). The gtest and
# Python ones run separately (gpu-check.sh, gpu-python.sh).
ctest --test-dir "$build" -L gpu --show-only=json-v1 | python3 -c '
import json, sys
root, build, dir, qemu = sys.argv[1:5]
for t in json.load(sys.stdin)["tests"]:
    cmd = t.get("command") or []
    if not cmd or not cmd[0].endswith(("compare.sh", "applet.sh", "threads.sh")):
        continue
    def fix(a):
        a = a.replace(qemu, dir + "/qemu-aarch64-static")
        a = a.replace(root + "/" + build + "/tests/guest/", dir + "/guest/")
        a = a.replace("/usr/aarch64-linux-gnu", dir + "/sysroot")
        a = a.replace(root + "/" + build + "/kvrm", dir + "/kvrm")
        return a.replace(root + "/", "")
    print("\t".join([t["name"]] + [fix(a) for a in cmd]))
' "$root" "$build" "$dir" "$qemu" >"$dir/gpu-ctest.txt"
echo "$(wc -l <"$dir/gpu-ctest.txt") guest tests; $(du -sh "$dir" | cut -f1) in $dir"
# The device tool carries at most 64 MiB: pack it (unpack there with `tar xJf DIR.tar.xz`).
tar cJf "$dir.tar.xz" "$dir"
echo "packed: $(du -sh "$dir.tar.xz" | cut -f1) in $dir.tar.xz"

#!/usr/bin/env bash
# Adversarial checks of `kvrm run`'s sandbox (README.md, "Files and the sandbox"): descriptor
# names that would write outside --rw, the host's /proc and /dev, host pids, metadata read
# through paths swapped under kvrm, closed stdio and huge non-programs.
# Usage: [KVRM_BACKEND=cpu|cuda] escape.sh KVRM PROBE (PROBE: probe.c built for aarch64)
set -u
kvrm=$1 probe=$2
backend=${KVRM_BACKEND:-cpu}  # the engine under test (the GPU machine runs cuda)
t=$(mktemp -d)
flipper=
trap '[ -n "$flipper" ] && kill $flipper 2>/dev/null; chmod -R u+w "$t"; rm -rf "$t"' EXIT
mkdir -p "$t/root/rw" "$t/root/d" "$t/outside/d"
cp "$probe" "$t/root/probe"
echo "keep me" >"$t/outside/stdin.txt"
printf x >"$t/root/d/f"
head -c 12345 /dev/zero >"$t/outside/d/f"
fail=0
check() {  # check NAME EXPECTED-OUTPUT -- kvrm-run-args... (stdin from $stdin)
  local name=$1 want=$2
  shift 3
  local got st
  got=$("$kvrm" run --backend "$backend" "$@" <"${stdin:-/dev/null}" 2>&1)
  st=$?
  if [ "$got" != "$want" ] || [ $st != 0 ]; then
    echo "FAIL $name (status $st)"; diff <(echo "$want") <(echo "$got"); fail=1
  else
    echo "ok   $name"
  fi
}
same() {  # same NAME FILE CONTENT
  if [ "$(cat "$2")" != "$3" ]; then echo "FAIL $1: $2 changed"; fail=1; else echo "ok   $1"; fi
}

# 1. Names of a descriptor (stdin redirected from a host file outside --root and --rw) give no
#    write access to that file: O_TRUNC, O_WRONLY and O_APPEND follow the sandbox's rule.
stdin=$t/outside/stdin.txt
check "descriptor names do not truncate or write a file outside --rw" \
"trunc /dev/stdin -> EROFS
trunc /proc/self/fd/0 -> EROFS
trunc /dev/fd/0 -> EROFS
trunc /proc/thread-self/fd/0 -> EROFS
trunc /proc/self/../self/fd/0 -> EROFS
wronly /dev/stdin -> EROFS
append /proc/self/fd/0 -> EROFS" \
  -- --root "$t/root" --rw "$t/root/rw" "$t/root/probe" trunc:/dev/stdin trunc:/proc/self/fd/0 \
  trunc:/dev/fd/0 trunc:/proc/thread-self/fd/0 trunc:/proc/self/../self/fd/0 wronly:/dev/stdin \
  append:/proc/self/fd/0
same "stdin file intact (--root)" "$t/outside/stdin.txt" "keep me"
check "the same under the host's root" \
"trunc /dev/stdin -> EROFS
trunc /proc/self/fd/0 -> EROFS" \
  -- "$t/root/probe" trunc:/dev/stdin trunc:/proc/self/fd/0
same "stdin file intact (/)" "$t/outside/stdin.txt" "keep me"
check "a file below --rw may be truncated through its descriptor's name" \
"trunc /dev/stdin -> ok" -- --rw "$t/outside" "$t/root/probe" trunc:/dev/stdin
same "truncated below --rw" "$t/outside/stdin.txt" ""
echo "keep me" >"$t/outside/stdin.txt"

# 2. /proc/self is the guest's; nothing of the host process or other processes is reachable.
stdin=/dev/null
check "/proc/self describes the guest" \
"mapsok /proc/self/maps -> marker 1 stack 1
mapsok /proc/thread-self/maps -> marker 1 stack 1
grep /proc/self/maps=kvrm -> no
grep /proc/self/status=Name:	probe -> yes
grep /proc/self/comm=probe -> yes
grep /proc/self/cmdline=/probe -> yes
mem /proc/self/mem -> marker
mem /proc/self/mem unmapped -> EIO
mem /proc/self/mem mmap -> ENODEV
readlink /proc/self/exe -> '/probe'
readlink /proc/self/cwd -> '/'
open /proc/1/environ -> ENOENT
open /proc/1/maps -> ENOENT
stat /proc/2 -> ENOENT
open /proc/kcore -> ENOENT
open /proc/self/task -> ENOENT
cpuclock 1 -> EINVAL
cpuclock 0 -> ok" \
  -- --root "$t/root" "$t/root/probe" mapsok:/proc/self/maps mapsok:/proc/thread-self/maps \
  grep:/proc/self/maps=kvrm "grep:/proc/self/status=Name:	probe" grep:/proc/self/comm=probe \
  grep:/proc/self/cmdline=/probe mem:/proc/self/mem readlink:/proc/self/exe \
  readlink:/proc/self/cwd open:/proc/1/environ open:/proc/1/maps stat:/proc/2 \
  open:/proc/kcore open:/proc/self/task cpuclock:1 cpuclock:0
if [ -d /proc/self ]; then
  check "the host's /proc and /dev under the default root" \
"lsdigits /proc -> digits 0 self 1
open /proc/1/environ -> ENOENT
open /proc/kcore -> ENOENT
open /proc/cpuinfo -> ok
grep /proc/self/maps=kvrm -> no
mapsok /proc/self/maps -> marker 1 stack 1
open /dev/mem -> ENOENT
open /dev/null -> ok
stat /dev/urandom -> ok" \
    -- "$t/root/probe" lsdigits:/proc open:/proc/1/environ open:/proc/kcore open:/proc/cpuinfo \
    grep:/proc/self/maps=kvrm mapsok:/proc/self/maps open:/dev/mem open:/dev/null stat:/dev/urandom
fi

# 3. A standard descriptor closed for kvrm is closed for the guest (not kvrm's own handle).
got=$("$kvrm" run --backend "$backend" --root "$t/root" "$t/root/probe" fd:0 fd:1 <&- 2>&1)
if [ "$got" = "fd 0 -> EBADF
fd 1 -> open" ]; then echo "ok   closed stdin is EBADF"; else echo "FAIL closed stdin: $got"; fail=1; fi

# 4. Links read as guest paths, never host paths outside the root.
stdin=$t/outside/stdin.txt
check "readlink shows no host path outside the root" \
"readlink /proc/self/fd/0 -> '/(unreachable)/stdin.txt'
readlink /dev/fd/0 -> '/(unreachable)/stdin.txt'" \
  -- --root "$t/root" "$t/root/probe" readlink:/proc/self/fd/0 readlink:/dev/fd/0
stdin=/dev/null
cp "$probe" "$t/outside/probe-out"
check "/proc/self/exe of a program outside the root" \
"readlink /proc/self/exe -> '/(unreachable)/probe-out'" \
  -- --root "$t/root" "$t/outside/probe-out" readlink:/proc/self/exe

# 5. Metadata through a path a host process swaps (a directory and a symlink to outside the
#    root, exchanged with renameat2(RENAME_EXCHANGE)): never the outside file's.
ln -s "$t/outside/d" "$t/root/swap"
if command -v python3 >/dev/null; then
  python3 - "$t/root/d" "$t/root/swap" <<'EOF' &
import ctypes, sys, time
libc = ctypes.CDLL(None, use_errno=True)
a, b = (s.encode() for s in sys.argv[1:3])
end = time.time() + 30
while time.time() < end:
    libc.renameat2(-100, a, -100, b, 2)  # RENAME_EXCHANGE
EOF
  flipper=$!
  got=$("$kvrm" run --backend "$backend" --timeout 60 --root "$t/root" "$t/root/probe" race:/d/f 2>&1)
  kill $flipper 2>/dev/null; wait $flipper 2>/dev/null; flipper=
  case "$got" in
    "race /d/f -> largest 1" | "race /d/f -> largest -1") echo "ok   metadata race ($got)" ;;
    *) echo "FAIL metadata race: $got"; fail=1 ;;
  esac
fi

# 6. Opening a FIFO that has no other end waits as on Linux, but not past --timeout; a writer
#    arriving releases it.
mkfifo "$t/root/fifo"
start=$(date +%s%N)
"$kvrm" run --backend "$backend" --timeout 1 --root "$t/root" "$t/root/probe" open:/fifo >/dev/null 2>&1
st=$?
ms=$(( ($(date +%s%N) - start) / 1000000 ))
if [ $st = 124 ] && [ $ms -lt 3000 ]; then echo "ok   FIFO open ends with the timeout ($ms ms)"
else echo "FAIL FIFO open: status $st after $ms ms"; fail=1; fi
(sleep 0.3; echo hi >"$t/root/fifo") &
check "a FIFO open returns when the writer comes" "open /fifo -> ok" \
  -- --timeout 10 --root "$t/root" "$t/root/probe" open:/fifo
wait

# 7. -L (a target sysroot): an absolute path names the sysroot's file where there is one, the
#    root's otherwise; symlinks in the sysroot stay inside it (absolute targets re-rooted there,
#    ".." stops at its top), and it is read-only.
mkdir -p "$t/sys/d" "$t/sys/lib"
printf 'from the sysroot' >"$t/sys/d/f"
ln -s /d/f "$t/sys/lib/abs"
ln -s ../../../outside/d/f "$t/sys/lib/up"
check "-L: the sysroot's file first, the root's where it has none, links kept inside" \
"grep /d/f=sysroot -> yes
open /probe -> ok
grep /lib/abs=sysroot -> yes
open /lib/up -> ENOENT
trunc /d/f -> EROFS" \
  -- --root "$t/root" --rw "$t/root/rw" -L "$t/sys" "$t/root/probe" grep:/d/f=sysroot \
  open:/probe grep:/lib/abs=sysroot open:/lib/up trunc:/d/f
same "sysroot file intact" "$t/sys/d/f" "from the sysroot"
# Changing an entry acts on the directory it was found in: --rw on the root's /e does not make
# the sysroot's /e/g writable (nor reach the root's file of that name), --rw on the sysroot's does.
mkdir -p "$t/root/e" "$t/sys/e"
printf 'root' >"$t/root/e/g"
printf 'sysroot' >"$t/sys/e/g"
check "-L: --rw on the root's directory leaves the sysroot's entry read-only" "unlink /e/g -> EROFS" \
  -- --root "$t/root" --rw "$t/root/e" -L "$t/sys" "$t/root/probe" unlink:/e/g
same "sysroot file kept" "$t/sys/e/g" "sysroot"
same "root file of that name kept" "$t/root/e/g" "root"
check "-L: --rw on the sysroot's directory changes the sysroot's entry" "unlink /e/g -> ok" \
  -- --root "$t/root" --rw "$t/sys/e" -L "$t/sys" "$t/root/probe" unlink:/e/g
if [ -e "$t/sys/e/g" ] || [ "$(cat "$t/root/e/g")" != root ]; then
  echo "FAIL -L unlink: the wrong file went"; fail=1
else
  echo "ok   -L unlink removed the sysroot's file only"
fi

# 8. A huge file that is no program is refused from its header, not read whole.
truncate -s 4G "$t/big"
start=$(date +%s%N)
out=$(timeout 20 "$kvrm" run --backend "$backend" "$t/big" 2>&1)
st=$?
ms=$(( ($(date +%s%N) - start) / 1000000 ))
if [ $st = 126 ] && [ $ms -lt 5000 ] && [[ $out == *"not an ELF file"* ]]; then
  echo "ok   4 GiB sparse non-program refused in $ms ms"
else
  echo "FAIL 4 GiB sparse file: status $st in $ms ms: $out"; fail=1
fi

exit $fail

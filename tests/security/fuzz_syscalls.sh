#!/usr/bin/env bash
# Runs the syscall fuzzer (syscall_fuzz.c) under `kvrm run --root ROOT --rw ROOT/rw` for a range
# of seeds and checks each run: kvrm did not crash (a status above 128 comes with kvrm's
# "uncaught target signal" line, else the host process died), it ended within --timeout plus a
# margin, its peak RSS stayed below a bound, nothing outside ROOT/rw changed (the read-only part
# of the root and a sentinel directory outside it, checksummed before and after every run), and
# the guest finished (its summary line; with --mode b a run may also end by the timeout).
# A failing seed is reported with the command that reproduces it (add the `t` mode letter to see
# each call before it is made).
#
# Usage: fuzz_syscalls.sh KVRM FUZZER [--seeds N] [--first S] [--calls N] [--backend cpu|cuda]
#          [--timeout SECONDS] [--margin SECONDS] [--rss-mb MB] [--mode LETTERS] [--keep]
#   --seeds 20 --first 1 --calls 2000 --backend cpu --timeout 20 --margin 10 --rss-mb 512
#   by default; --mode b lets the guest block (long sleeps, pipes, a fifo: the timeout ends the
#   run); --keep keeps the temporary tree of a failing run. Exit status: 0 when every seed
#   passed, 1 otherwise, 77 (skip) for --backend cuda without a usable GPU.
set -u
kvrm=$(realpath "$1") fuzzer=$(realpath "$2")
shift 2
seeds=20 first=1 calls=2000 backend=cpu timeout=20 margin=10 rss_mb=512 mode="" keep=0
while [ $# -gt 0 ]; do
  case $1 in
    --seeds) seeds=$2; shift 2 ;;
    --first) first=$2; shift 2 ;;
    --calls) calls=$2; shift 2 ;;
    --backend) backend=$2; shift 2 ;;
    --timeout) timeout=$2; shift 2 ;;
    --margin) margin=$2; shift 2 ;;
    --rss-mb) rss_mb=$2; shift 2 ;;
    --mode) mode=$2; shift 2 ;;
    --keep) keep=1; shift ;;
    *) echo "fuzz_syscalls.sh: unknown option $1" >&2; exit 2 ;;
  esac
done
if [ "$backend" = cuda ] && ! "$kvrm" bench --list-backends | grep -qx cuda; then
  echo "skipped: no usable GPU here (kvrm bench --list-backends does not list cuda)"
  exit 77
fi

t=$(mktemp -d)
cleanup() { chmod -R u+rwx "$t" 2>/dev/null; rm -rf "$t"; }
trap cleanup EXIT
# The tree: outside/ (a sentinel the guest must never reach), world/root (the guest's /) with a
# read-only part and rw/ (the only writable place).
out=$t/outside root=$t/world/root
logs=$t/logs
mkdir -p "$logs" "$out/dir" "$root/etc" "$root/ro/dir/sub" "$root/rw" "$root/bin"
echo "outside sentinel" >"$out/sentinel"
echo "outside secret" >"$out/dir/secret"
echo "root:x:0:0:guest passwd:/:/bin/sh" >"$root/etc/passwd"
echo "read-only file" >"$root/ro/file"
echo "read-only too" >"$root/ro/dir/f"
chmod 0444 "$root/ro/file"
ln -s ../../.. "$root/up"                  # ".." past the root
ln -s "$out" "$root/out"                   # a host path outside the root
ln -s /etc "$root/abs"                     # absolute: re-rooted
ln -s ../../../../../outside "$root/ro/dir/link"
ln -s "$out/sentinel" "$root/ro/dir/sentinel-link"
ln "$root/ro/file" "$root/ro/hardlink" 2>/dev/null || true
mkfifo "$root/fifo"
cp "$fuzzer" "$root/bin/syscall_fuzz"
fuzz=$root/bin/syscall_fuzz

# Everything outside rw/: names, types, modes, sizes, link targets, contents.
snapshot() {
  (cd "$t" && find ./outside ./world -path ./world/root/rw -prune -o -printf '%p %y %m %s %l\n' | sort &&
    find ./outside ./world -path ./world/root/rw -prune -o -type f -print0 | sort -z | xargs -0 sha256sum)
}
before=$(snapshot)

fail=0 done_runs=0 timed_out=0 ended_early=0 total_calls=0 max_rss=0 max_wall=0
limit=$((timeout + margin))
for ((seed = first; seed < first + seeds; seed++)); do
  chmod -R u+rwx "$root/rw" 2>/dev/null
  rm -rf "$root/rw" && mkdir "$root/rw"
  # Half the runs start in rw/, half in the read-only part (relative paths differ).
  if [ $((seed % 2)) = 1 ]; then cwd=$root/rw; else cwd=$root/ro/dir; fi
  cmd=("$kvrm" run --backend "$backend" --timeout "$timeout" --root "$root" --rw "$root/rw"
       "$fuzz" "$seed" "$calls" /rw ${mode:+"$mode"})
  start=$(date +%s%N)
  # The guest's stdout and stderr are pipes (it may seek, truncate or write a lot on them); the
  # last 64 KiB of each are kept.
  rm -f "$logs/stdout" "$logs/stderr" "$logs/o" "$logs/e" && mkfifo "$logs/o" "$logs/e"
  tail -c 65536 <"$logs/o" >"$logs/stdout" &
  tail_o=$!
  tail -c 65536 <"$logs/e" >"$logs/stderr" &
  tail_e=$!
  (cd "$cwd" && exec "${cmd[@]}" </dev/null >"$logs/o" 2>"$logs/e") &
  pid=$!
  rss=0 killed=0
  while kill -0 "$pid" 2>/dev/null; do
    hwm=$(awk '/^VmHWM/ {print $2}' "/proc/$pid/status" 2>/dev/null)
    [ -n "$hwm" ] && [ "$hwm" -gt "$rss" ] && rss=$hwm
    if [ $(($(date +%s%N) - start)) -gt $((limit * 1000000000)) ]; then
      kill -KILL "$pid" 2>/dev/null
      killed=1
      break
    fi
    sleep 0.05
  done
  { wait "$pid"; } 2>/dev/null  # no "Killed" line from bash
  st=$?
  wait "$tail_o" "$tail_e"
  wall_ms=$((($(date +%s%N) - start) / 1000000))
  [ "$rss" -gt "$max_rss" ] && max_rss=$rss
  [ "$wall_ms" -gt "$max_wall" ] && max_wall=$wall_ms
  summary=$(grep -a '^syscall_fuzz: seed ' "$logs/stdout" | tail -1)
  problem=""
  if [ $killed = 1 ]; then
    problem="hang: still running after ${limit} s (--timeout $timeout)"
  elif [ $st -gt 128 ] && ! grep -aq '^kvrm: uncaught target signal' "$logs/stderr"; then
    problem="host crash: kvrm ended with status $st and no guest signal message"
  elif grep -aqE 'AddressSanitizer|runtime error:|terminate called' "$logs/stderr"; then
    problem="host error report on stderr"
  elif [ $st -gt 128 ]; then
    problem="guest killed: $(grep -a '^kvrm: uncaught target signal' "$logs/stderr" | tail -1)"
  elif [ "$rss" -gt $((rss_mb * 1024)) ]; then
    problem="host memory: peak RSS ${rss} KiB above ${rss_mb} MiB"
  elif [ -n "$summary" ] && [ $st = 0 ]; then
    total_calls=$((total_calls + calls))
  elif [ $st = 124 ] && [[ $mode == *b* ]]; then
    timed_out=$((timed_out + 1))
  elif [ $st = 1 ] && [[ $mode == *b* ]] && grep -aq '^kvrm: ' "$logs/stderr"; then
    ended_early=$((ended_early + 1))  # a wait nothing can end, ended with kvrm's message
  else
    problem="guest did not finish: status $st, $(grep -a '^kvrm: ' "$logs/stderr" | tail -1)"
  fi
  after=$(snapshot)
  if [ "$after" != "$before" ]; then
    problem="${problem:+$problem; }changed outside --rw: $(diff <(echo "$before") <(echo "$after") | head -5 | tr '\n' ' ')"
    before=$after
  fi
  done_runs=$((done_runs + 1))
  if [ -n "$problem" ]; then
    fail=1
    echo "FAIL seed $seed: $problem"
    echo "  reproduce: cd $cwd && ${cmd[*]} (add the mode letter t to trace each call)"
    tail -3 "$logs/stderr" | sed 's/^/  stderr: /' | cut -c1-200
    if [ $keep = 1 ]; then
      kept=$(mktemp -d /tmp/kvrm-fuzz-seed$seed.XXXX)
      cp -a "$t/." "$kept/" && echo "  kept: $kept"
    fi
  fi
done
echo "fuzz_syscalls: $done_runs runs (seeds $first..$((first + seeds - 1)), $calls calls each," \
     "backend $backend${mode:+, mode $mode}): $total_calls calls in finished runs," \
     "$timed_out ended by the timeout, $ended_early ended by kvrm's message;" \
     "peak RSS $((max_rss / 1024)) MiB, longest run $((max_wall / 1000)).$((max_wall % 1000 / 100)) s;" \
     "$([ $fail = 0 ] && echo "all passed" || echo "FAILURES above")"
exit $fail

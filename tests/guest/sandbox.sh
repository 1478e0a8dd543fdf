#!/usr/bin/env bash
# The sandbox of `kvrm run` (README.md, "Files and the sandbox"): escapes through "..",
# absolute paths and symlinks stay inside --root; writes outside --rw fail with EROFS.
# Usage: sandbox.sh KVRM PROBE (PROBE: sandbox.c built for aarch64)
set -u
kvrm=$1 probe=$2
t=$(mktemp -d)
trap 'chmod -R u+w "$t"; rm -rf "$t"' EXIT
mkdir -p "$t/root/etc" "$t/root/rw" "$t/root/sub/deeper" "$t/outside"
echo "inside passwd" >"$t/root/etc/passwd"
echo "outside secret" >"$t/outside/secret"
ln -s /etc/passwd "$t/root/abs-link"                 # absolute: re-rooted under --root
ln -s ../../../../../../etc/passwd "$t/root/sub/rel-link"  # ".." past the root: stays at /
ln -s "$t/outside/secret" "$t/root/out-link"          # names a host path outside the root
ln -s "$t/outside" "$t/root/rw/out-dir"               # a --rw dir linking outside
ln -s loop2 "$t/root/loop1"
ln -s loop1 "$t/root/loop2"
cp "$probe" "$t/root/probe"
passwd_mode=$(stat -c %a "$t/root/etc/passwd")
fail=0
check() {  # check NAME EXPECTED-OUTPUT -- kvrm args...
  local name=$1 want=$2
  shift 3
  local got
  got=$("$kvrm" run --backend cpu "$@" 2>&1)
  local st=$?
  if [ "$got" != "$want" ] || [ $st != 0 ]; then
    echo "FAIL $name (status $st)"; diff <(echo "$want") <(echo "$got"); fail=1
  else
    echo "ok   $name"
  fi
}

cd "$t/root/sub" || exit 1
check "dot-dot, absolute paths and symlinks stay in --root" \
"read ../../../../etc/passwd -> 'inside passwd'
read /etc/passwd -> 'inside passwd'
read /abs-link -> 'inside passwd'
read rel-link -> 'inside passwd'
read /out-link -> ENOENT
read $t/outside/secret -> ENOENT
read /rw/out-dir/secret -> ENOENT
read /loop1 -> ELOOP
nofollow /abs-link -> ELOOP
chdir ../../.. -> cwd /
readlink /proc/self/exe -> '/probe'" \
  -- --root "$t/root" "$t/root/probe" read:../../../../etc/passwd read:/etc/passwd \
  read:/abs-link read:rel-link read:/out-link "read:$t/outside/secret" read:/rw/out-dir/secret \
  read:/loop1 nofollow:/abs-link chdir:../../.. readlink:/proc/self/exe

check "writes only below --rw" \
"write /rw/new -> ok
read /rw/new -> 'written'
append /rw/new -> ok
excl /rw/new -> EEXIST
mkdir /rw/d -> ok
unlink /rw/new -> ok
access_w /rw -> ok
write /etc/passwd -> EROFS
append /etc/passwd -> EROFS
write /new -> EROFS
mkdir /d -> EROFS
unlink /etc/passwd -> EROFS
access_w /etc/passwd -> EROFS
write /rw/../etc/passwd -> EROFS
write /rw/out-dir/secret -> ENOENT
read /etc/passwd -> 'inside passwd'" \
  -- --root "$t/root" --rw "$t/root/rw" "$t/root/probe" write:/rw/new read:/rw/new \
  append:/rw/new excl:/rw/new mkdir:/rw/d unlink:/rw/new access_w:/rw write:/etc/passwd \
  append:/etc/passwd write:/new mkdir:/d unlink:/etc/passwd access_w:/etc/passwd \
  write:/rw/../etc/passwd write:/rw/out-dir/secret read:/etc/passwd

check "rename, link, symlink, mode, owner, times, size" \
"write /rw/a -> ok
rename /rw/a>/rw/b -> ok
read /rw/b -> 'written'
read /rw/a -> ENOENT
write /rw/c -> ok
renamenr /rw/b>/rw/c -> EEXIST
renamex /rw/b>/rw/c -> EINVAL
rename /rw/b>/etc/b -> EROFS
rename /etc/passwd>/rw/p -> EROFS
rename /rw/missing>/rw/x -> ENOENT
rename /etc/missing>/rw/x -> EROFS
rename /rw>/rw2 -> EROFS
rename /rw/.>/rw/x -> EBUSY
link /rw/b>/rw/l -> ok
read /rw/l -> 'written'
link /etc/passwd>/rw/pw -> EXDEV
link /rw/b>/etc/l -> EROFS
link /rw/b>/rw/c -> EEXIST
symlink /etc/passwd>/rw/s -> ok
readlink /rw/s -> '/etc/passwd'
read /rw/s -> 'inside passwd'
write /rw/s -> EROFS
symlink x>/etc/s -> EROFS
symlink x>/rw/c -> EEXIST
chmod /rw/b -> mode 600
chmod /etc/passwd -> EROFS
chmod /rw/missing -> ENOENT
chownsame /rw/b -> ok
chownother /rw/b -> EPERM
chownsame /etc/passwd -> EROFS
utime /rw/b -> mtime 1000000000
utime /etc/passwd -> EROFS
truncate /rw/b -> size 3
truncate /etc/passwd -> EROFS
truncate /rw -> EISDIR
fsync /rw/b -> ok
fsync /etc/passwd -> ok
mmapshared /rw/b -> ENODEV
mkdir /rw/e -> ok
rmdir /rw/e -> ok
rmdir /rw/e -> ENOENT
rmdir /etc -> EROFS
unlink /etc/missing -> EROFS
unlink /rw/missing -> ENOENT
unlink /rw/l -> ok
unlink /rw/s -> ok
read /etc/passwd -> 'inside passwd'" \
  -- --root "$t/root" --rw "$t/root/rw" "$t/root/probe" write:/rw/a "rename:/rw/a>/rw/b" \
  read:/rw/b read:/rw/a write:/rw/c "renamenr:/rw/b>/rw/c" "renamex:/rw/b>/rw/c" \
  "rename:/rw/b>/etc/b" "rename:/etc/passwd>/rw/p" "rename:/rw/missing>/rw/x" \
  "rename:/etc/missing>/rw/x" "rename:/rw>/rw2" "rename:/rw/.>/rw/x" "link:/rw/b>/rw/l" \
  read:/rw/l "link:/etc/passwd>/rw/pw" "link:/rw/b>/etc/l" "link:/rw/b>/rw/c" \
  "symlink:/etc/passwd>/rw/s" readlink:/rw/s read:/rw/s write:/rw/s "symlink:x>/etc/s" \
  "symlink:x>/rw/c" chmod:/rw/b chmod:/etc/passwd chmod:/rw/missing chownsame:/rw/b \
  chownother:/rw/b chownsame:/etc/passwd utime:/rw/b utime:/etc/passwd truncate:/rw/b \
  truncate:/etc/passwd truncate:/rw fsync:/rw/b fsync:/etc/passwd mmapshared:/rw/b \
  mkdir:/rw/e rmdir:/rw/e rmdir:/rw/e rmdir:/etc unlink:/etc/missing unlink:/rw/missing \
  unlink:/rw/l unlink:/rw/s read:/etc/passwd
[ "$(cat "$t/root/etc/passwd")" = "inside passwd" ] && [ ! -e "$t/root/etc/b" ] &&
  [ ! -e "$t/root/rw2" ] && [ -d "$t/root/rw" ] || { echo "FAIL: a file outside --rw changed"; fail=1; }
[ "$(stat -c %a "$t/root/etc/passwd")" = "$passwd_mode" ] || { echo "FAIL: mode changed outside --rw"; fail=1; }

check "default: the host read-only" \
"read $t/outside/secret -> 'outside secret'
write $t/outside/new -> EROFS
write $t/outside/secret -> EROFS
unlink $t/outside/secret -> EROFS
write $t/root/rw/x -> ok
write $t/root/rw/out-dir/x -> EROFS
write $t/root/rw/../x -> EROFS
write /dev/null -> ok" \
  -- --rw "$t/root/rw" "$t/root/probe" "read:$t/outside/secret" "write:$t/outside/new" \
  "write:$t/outside/secret" "unlink:$t/outside/secret" "write:$t/root/rw/x" \
  "write:$t/root/rw/out-dir/x" "write:$t/root/rw/../x" write:/dev/null

[ -e "$t/outside/new" ] || [ -e "$t/outside/x" ] || [ -e "$t/root/x" ] && { echo "FAIL: a file was written outside --rw"; fail=1; }
[ "$(cat "$t/outside/secret")" = "outside secret" ] || { echo "FAIL: outside file changed"; fail=1; }
exit $fail

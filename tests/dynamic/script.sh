# A POSIX shell script for tests/dynamic (dash under kvrm run -L against qemu-aarch64 -L):
# arithmetic, loops, functions, parameter expansion, here-documents and builtins (no external
# commands: those would need fork and exec).
x=6
echo $((x * 7)) $((x << 3)) $((100 % x))
for w in alpha beta gamma; do printf '%s-' "$w"; done
echo
greet() { echo "hello, ${1:-nobody} (${#1} letters)"; }
greet kvrm
greet
path=/usr/lib/aarch64-linux-gnu/libc.so.6
echo "${path##*/} ${path%/*} ${path#/usr}"
set -- one two three
echo "$# args, second: $2"
while read -r name count; do
  [ "$count" -gt 5 ] && echo "big: $name"
done <<EOF2
banana 3
apple 10
cherry 7
EOF2
case $x in [0-5]) echo small ;; *) echo large ;; esac

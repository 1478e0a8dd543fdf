# Sums, string functions and floating-point formatting over input.txt (busybox awk under kvrm vs
# QEMU; Debian's busybox awk has no sqrt/exp).
{
  s += $2
  printf "%-10s %8.3f %e %d %s\n", $1, $2 / 7, $2 * 1.5e10, length($0), toupper(substr($3, 1, 3))
}
END { print s, NR, s / NR, int(s / 7), s % 7 }

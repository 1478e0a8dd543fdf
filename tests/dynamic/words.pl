# Letter counts, sorted hashes, sprintf and a regex over the lines of the file given (for
# tests/dynamic: perl under kvrm run -L against qemu-aarch64 -L).
my %count;
my $lines = 0;
while (my $line = <>) {
  $lines++;
  $count{$_}++ for grep { /[a-z]/ } split //, lc $line;
  print "match: $1\n" if $line =~ /^(\w+)\s+(\d+)/ && $2 > 5;
}
print join(",", map { "$_=$count{$_}" } sort keys %count), "\n";
printf("%d lines, pi %.12f, %s\n", $lines, atan2(1, 1) * 4, scalar reverse "kvrm");

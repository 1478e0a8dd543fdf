// Processes stdin: counts lines, words and bytes, upper-cases every line and echoes it, and
// pipes a message through pipe2.
#define _GNU_SOURCE
#include <ctype.h>
#include <fcntl.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>

int main(void) {
  char line[1024];
  long lines = 0, words = 0, bytes = 0;
  while (fgets(line, sizeof line, stdin)) {
    ++lines;
    bytes += strlen(line);
    int in = 0;
    for (char* p = line; *p; ++p) {
      if (isspace((unsigned char)*p)) in = 0;
      else if (!in) in = 1, ++words;
      *p = toupper((unsigned char)*p);
    }
    fputs(line, stdout);
  }
  printf("%ld %ld %ld\n", lines, words, bytes);
  int p[2];
  if (pipe2(p, O_CLOEXEC) == 0) {
    write(p[1], "through a pipe", 14);
    close(p[1]);
    char b[32] = {0};
    long n = read(p[0], b, sizeof b - 1);
    printf("pipe %ld '%s' eof %ld\n", n, b, (long)read(p[0], b, 1));
  }
  return 0;
}

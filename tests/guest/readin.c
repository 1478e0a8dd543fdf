// Reading stdin in different ways (the first argument): "lines" with fgets into a small buffer
// and then getline, "blocks" with fread of 7-byte blocks, "scanf" of integers and doubles until
// the input ends or does not match, "chars" with getchar; an empty stdin ends each at once.
#define _GNU_SOURCE
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

int main(int argc, char** argv) {
  const char* mode = argc > 1 ? argv[1] : "lines";
  if (!strcmp(mode, "lines")) {
    char small[8];
    int pieces = 0;
    while (pieces < 4 && fgets(small, sizeof small, stdin))
      printf("piece %d: '%s' (%zu)\n", ++pieces, small, strlen(small));
    char* line = 0;
    size_t cap = 0;
    ssize_t n;
    int lines = 0;
    while ((n = getline(&line, &cap, stdin)) >= 0)
      printf("line %d (%zd bytes, newline %d): %.*s\n", ++lines, n, n > 0 && line[n - 1] == '\n',
             (int)(n > 0 && line[n - 1] == '\n' ? n - 1 : n), line);
    free(line);
    printf("eof %d error %d after %d pieces and %d lines\n", feof(stdin), ferror(stdin), pieces,
           lines);
  } else if (!strcmp(mode, "blocks")) {
    char block[7];
    size_t n, total = 0;
    unsigned sum = 0;
    int blocks = 0;
    while ((n = fread(block, 1, sizeof block, stdin)) > 0) {
      ++blocks;
      total += n;
      for (size_t k = 0; k < n; ++k) sum = sum * 31 + (unsigned char)block[k];
      if (n < sizeof block) printf("short block of %zu\n", n);
    }
    printf("%d blocks, %zu bytes, sum %08x, eof %d\n", blocks, total, sum, feof(stdin));
  } else if (!strcmp(mode, "scanf")) {
    long isum = 0;
    double dsum = 0;
    int ints = 0, doubles = 0, r;
    char word[32];
    for (;;) {
      long i;
      double d;
      if ((r = scanf("%ld", &i)) == 1) {
        isum += i;
        ++ints;
      } else if (r == 0 && scanf("%lf", &d) == 1) {
        dsum += d;
        ++doubles;
      } else if (r == 0 && scanf("%31s", word) == 1) {
        printf("word '%s'\n", word);
      } else {
        break;
      }
    }
    printf("%d integers sum %ld, %d doubles sum %.17g, last %d\n", ints, isum, doubles, dsum, r);
  } else if (!strcmp(mode, "chars")) {
    int c, counts[3] = {0, 0, 0};
    while ((c = getchar()) != EOF) ++counts[c == '\n' ? 0 : c == ' ' ? 1 : 2];
    printf("newlines %d spaces %d others %d\n", counts[0], counts[1], counts[2]);
  } else {
    return 2;
  }
  return 0;
}

// Guest program for kvrm.run's tests (built at test time with aarch64-linux-gnu-gcc -static):
// upper-cases stdin to stdout, prints its arguments and $KVRM_PY_VAR, writes a line to stderr,
// then does what argv[1] says: a number is the exit status; "segv" faults, "loop" spins,
// "cat FILE" prints FILE, "write FILE" creates FILE and reports errno when it cannot, "sleep"
// sleeps 20 s, "read FILE" reads FILE once (a FIFO nobody writes blocks it).
#include <ctype.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

int main(int argc, char** argv) {
  long n = 0;
  for (int c; (c = getchar()) != EOF; ++n) putchar(toupper(c));
  printf("read %ld\n", n);
  for (int i = 1; i < argc; ++i) printf("arg%d=%s\n", i, argv[i]);
  const char* v = getenv("KVRM_PY_VAR");
  printf("KVRM_PY_VAR=%s\n", v ? v : "(unset)");
  fprintf(stderr, "to stderr\n");
  const char* what = argc > 1 ? argv[1] : "0";
  if (strcmp(what, "segv") == 0) {
    fflush(stdout);
    *(volatile int*)16 = 1;
  }
  if (strcmp(what, "loop") == 0) {
    for (volatile long i = 0;; ++i) {
    }
  }
  if (strcmp(what, "cat") == 0 && argc > 2) {
    FILE* f = fopen(argv[2], "r");
    if (!f) return printf("cannot open: errno %d\n", errno), 2;
    for (int c; (c = getc(f)) != EOF;) putchar(c);
    return 0;
  }
  if (strcmp(what, "write") == 0 && argc > 2) {
    FILE* f = fopen(argv[2], "w");
    if (!f) return printf("cannot create: errno %d\n", errno), 2;
    fputs("written by the guest\n", f);
    return fclose(f) == 0 ? 0 : 3;
  }
  if (strcmp(what, "sleep") == 0) {
    fflush(stdout);
    struct timespec t = {20, 0};
    nanosleep(&t, 0);
    return 0;
  }
  if (strcmp(what, "read") == 0 && argc > 2) {
    fflush(stdout);
    FILE* f = fopen(argv[2], "r");
    if (!f) return printf("cannot open: errno %d\n", errno), 2;
    char buf[16];
    return (int)read(fileno(f), buf, sizeof buf);
  }
  return atoi(what);
}

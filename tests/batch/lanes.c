// A guest program for the batch engine's tests: its first argument picks what the lane does
// (exit early, fault, abort, run long, make many syscalls, process its stdin, allocate, sleep), so
// that one batch holds lanes that behave very differently. Every output is deterministic.
#include <setjmp.h>
#include <signal.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <time.h>
#include <unistd.h>

static uint64_t fnv(const void* data, size_t n, uint64_t h) {
  const unsigned char* p = data;
  for (size_t i = 0; i < n; ++i) h = (h ^ p[i]) * 0x100000001b3ull;
  return h;
}

static int cmp_lines(const void* a, const void* b) {
  return strcmp(*(char* const*)a, *(char* const*)b);
}

// Reads all of stdin, sorts its lines, prints how many and a hash of them in order.
static int do_stdin(void) {
  size_t cap = 4096, len = 0;
  char* buf = malloc(cap);
  for (;;) {
    if (len == cap) buf = realloc(buf, cap *= 2);
    ssize_t n = read(0, buf + len, cap - len);
    if (n < 0) {
      perror("read");
      return 1;
    }
    if (n == 0) break;
    len += (size_t)n;
  }
  buf = realloc(buf, len + 1);
  buf[len] = 0;
  size_t count = 0;
  char** lines = malloc(sizeof(char*) * (len + 1));
  for (char* s = strtok(buf, "\n"); s; s = strtok(NULL, "\n")) lines[count++] = s;
  qsort(lines, count, sizeof(char*), cmp_lines);
  uint64_t h = 0xcbf29ce484222325ull;
  for (size_t i = 0; i < count; ++i) h = fnv(lines[i], strlen(lines[i]) + 1, h);
  printf("%zu bytes, %zu lines, sorted hash %016llx\n", len, count, (unsigned long long)h);
  if (count) printf("first %s\nlast %s\n", lines[0], lines[count - 1]);
  return 0;
}

// Many small syscalls: writes to stdout and stderr, mmap/munmap, brk through malloc, clocks.
static int do_syscalls(long n) {
  for (long i = 0; i < n; ++i) {
    char line[64];
    int k = snprintf(line, sizeof line, "line %ld\n", i);
    if (write(1, line, (size_t)k) != k) return 1;
    if (i % 16 == 0) {
      k = snprintf(line, sizeof line, "err %ld\n", i);
      if (write(2, line, (size_t)k) != k) return 1;
      void* p = mmap(NULL, 8192, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
      if (p == MAP_FAILED) return 2;
      memset(p, (int)i, 8192);
      munmap(p, 8192);
      struct timespec ts;
      clock_gettime(CLOCK_MONOTONIC, &ts);
      free(malloc((size_t)(i * 64 + 1)));
    }
  }
  return 0;
}

static sigjmp_buf recover;
static volatile sig_atomic_t usr1;
static void on_usr1(int sig) { usr1 = sig; }
static void on_segv(int sig) { siglongjmp(recover, sig); }

// Signals that do not end the lane: a handler for a raised SIGUSR1, and a SIGSEGV handler that
// recovers from n faulting writes.
static int do_signals(long n) {
  signal(SIGUSR1, on_usr1);
  raise(SIGUSR1);
  printf("usr1 handled: %d\n", (int)usr1);
  signal(SIGSEGV, on_segv);
  volatile long recovered = 0;  // i and recovered change between sigsetjmp and siglongjmp
  for (volatile long i = 0; i < n; ++i) {
    if (sigsetjmp(recover, 1) == 0) {
      *(volatile long*)(16 * (i + 1)) = i;
    } else {
      ++recovered;
    }
  }
  printf("recovered from %ld faults\n", recovered);
  return 0;
}

int main(int argc, char** argv) {
  if (argc < 2) {
    fprintf(stderr, "usage: lanes MODE [N]\n");
    return 2;
  }
  const char* mode = argv[1];
  long n = argc > 2 ? strtol(argv[2], NULL, 0) : 0;
  if (!strcmp(mode, "exit")) return (int)n;
  if (!strcmp(mode, "hello")) {
    printf("hello from %s", argv[0][0] ? "a lane" : "?");
    for (int i = 2; i < argc; ++i) printf(" [%s]", argv[i]);
    const char* v = getenv("LANE_VAR");
    printf("\nLANE_VAR=%s\n", v ? v : "(unset)");
    return 0;
  }
  if (!strcmp(mode, "segv")) {
    printf("about to write to %#lx\n", n);
    fflush(stdout);
    *(volatile long*)n = 1;
    return 0;
  }
  if (!strcmp(mode, "abort")) {
    fputs("aborting\n", stderr);
    abort();
  }
  if (!strcmp(mode, "trap")) __builtin_trap();
  if (!strcmp(mode, "loop")) {
    uint64_t h = 0xcbf29ce484222325ull;
    for (long i = 0; i < n; ++i) h = fnv(&i, sizeof i, h);
    printf("loop %ld: %016llx\n", n, (unsigned long long)h);
    return (int)(h & 0x7f);
  }
  if (!strcmp(mode, "syscalls")) return do_syscalls(n);
  if (!strcmp(mode, "sleep")) {  // blocks in the host for n milliseconds
    struct timespec ts = {n / 1000, (n % 1000) * 1000000};
    int r = nanosleep(&ts, NULL);
    printf("slept %ld ms: %d\n", n, r);
    return r ? 1 : 0;
  }
  if (!strcmp(mode, "signals")) return do_signals(n);
  if (!strcmp(mode, "stdin")) return do_stdin();
  if (!strcmp(mode, "malloc")) {
    size_t bytes = (size_t)n << 20;
    unsigned char* p = malloc(bytes);
    if (!p) {
      puts("malloc failed");
      return 3;
    }
    uint64_t sum = 0;
    for (size_t i = 0; i < bytes; i += 4096) p[i] = (unsigned char)(i >> 12), sum += p[i];
    printf("touched %ld MiB, sum %llu\n", n, (unsigned long long)sum);
    return 0;
  }
  fprintf(stderr, "lanes: unknown mode %s\n", mode);
  return 2;
}

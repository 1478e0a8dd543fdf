// Cheap syscalls: clock_getres, gettimeofday, nanosleep, clock_nanosleep, sched_yield,
// sigaltstack, prctl names, getrlimit, sysinfo, times, mremap, umask.
#define _GNU_SOURCE
#include <errno.h>
#include <sched.h>
#include <signal.h>
#include <stdio.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/prctl.h>
#include <sys/resource.h>
#include <sys/stat.h>
#include <sys/sysinfo.h>
#include <sys/time.h>
#include <sys/times.h>
#include <time.h>

int main(void) {
  struct timespec res;
  printf("getres %d ok %d\n", clock_getres(CLOCK_MONOTONIC, &res), res.tv_sec == 0 && res.tv_nsec > 0);
  struct timeval tv;
  printf("gettimeofday %d ok %d\n", gettimeofday(&tv, 0), tv.tv_sec > 1600000000 && tv.tv_usec < 1000000);
  struct timespec d = {0, 1000000};
  printf("nanosleep %d\n", nanosleep(&d, 0));
  d.tv_nsec = 2000000000;
  printf("nanosleep(bad) %d errno %d\n", nanosleep(&d, 0), errno);
  d.tv_nsec = 1000;
  printf("clock_nanosleep %d\n", clock_nanosleep(CLOCK_MONOTONIC, 0, &d, 0));
  printf("sched_yield %d\n", sched_yield());
  static char alt[65536];
  stack_t ss = {.ss_sp = alt, .ss_size = sizeof alt, .ss_flags = 0}, old;
  printf("sigaltstack %d\n", sigaltstack(&ss, &old));
  printf("old disabled %d\n", old.ss_flags == SS_DISABLE);
  sigaltstack(0, &old);
  printf("now sp ok %d size %zu\n", old.ss_sp == alt, old.ss_size);
  ss.ss_size = 100;
  printf("sigaltstack(small) %d errno %d\n", sigaltstack(&ss, 0), errno);
  char name[16] = {0};
  printf("set_name %d\n", prctl(PR_SET_NAME, "kvrm-test-name-long"));
  printf("get_name %d '%s'\n", prctl(PR_GET_NAME, name), name);
  printf("prctl(bad) %d errno %d\n", prctl(9999, 0), errno);
  struct rlimit rl;
  printf("getrlimit %d\n", getrlimit(RLIMIT_NOFILE, &rl));
  struct sysinfo si;
  printf("sysinfo %d ram %d\n", sysinfo(&si), si.totalram > 0);
  struct tms t;
  printf("times ok %d\n", times(&t) != (clock_t)-1);
  char* m = mmap(0, 8192, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
  strcpy(m, "kept across mremap");
  char* g = mremap(m, 8192, 1 << 20, MREMAP_MAYMOVE);
  printf("mremap grow %d '%s' tail %d\n", g != MAP_FAILED, g, g[(1 << 20) - 1]);
  g[(1 << 20) - 1] = 1;
  char* s = mremap(g, 1 << 20, 4096, 0);
  printf("mremap shrink same %d '%s'\n", s == g, s);
  printf("mremap(bad) %d errno %d\n", mremap(m + 1, 4096, 8192, 0) == MAP_FAILED, errno);
  mode_t u = umask(027);
  printf("umask %o then %o\n", u, umask(u));
  return 0;
}

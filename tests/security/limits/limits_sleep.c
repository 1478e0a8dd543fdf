// Sleeps 20 s in one nanosleep (or, with "clock", clock_nanosleep on CLOCK_MONOTONIC with an
// absolute time): a --timeout of 1 s must end it after 1 s, not 20.
#include <stdio.h>
#include <time.h>

int main(int argc, char** argv) {
  printf("sleeping\n");
  fflush(stdout);
  struct timespec t = {20, 0};
  if (argc > 1) {
    struct timespec now;
    clock_gettime(CLOCK_MONOTONIC, &now);
    t.tv_sec += now.tv_sec;
    t.tv_nsec = now.tv_nsec;
    clock_nanosleep(CLOCK_MONOTONIC, TIMER_ABSTIME, &t, 0);
  } else {
    nanosleep(&t, 0);
  }
  printf("woke up\n");
  return 0;
}

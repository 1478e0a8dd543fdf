// Waits in nanosleep for a signal sent to the emulator (SIGTERM, or SIGINT, SIGHUP): with "h" a
// handler takes it (nanosleep returns EINTR), else its default action ends the process (128+sig).
#include <errno.h>
#include <signal.h>
#include <stdio.h>
#include <string.h>
#include <time.h>

static volatile sig_atomic_t got;
static void handler(int sig) { got = sig; }

int main(int argc, char** argv) {
  if (argc > 1) {
    struct sigaction sa;
    memset(&sa, 0, sizeof sa);
    sa.sa_handler = handler;
    sigaction(SIGTERM, &sa, 0);
    sigaction(SIGINT, &sa, 0);
    sigaction(SIGHUP, &sa, 0);
  }
  printf("ready\n");
  fflush(stdout);
  struct timespec t = {20, 0};
  int r = nanosleep(&t, 0);
  printf("nanosleep %d errno %d got %d\n", r, r ? errno : 0, (int)got);
  return 0;
}

// abort() with a SIGABRT handler that returns: glibc resets SIGABRT to SIG_DFL and raises it
// again, so the process ends by SIGABRT (status 134), its output flushed by hand before.
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static void on_abort(int s) {
  printf("handler for %d ran\n", s);
  fflush(stdout);
}

int main(void) {
  struct sigaction sa;
  memset(&sa, 0, sizeof sa);
  sa.sa_handler = on_abort;
  sigaction(SIGABRT, &sa, 0);
  sigset_t block;
  sigemptyset(&block);
  sigaddset(&block, SIGABRT);
  sigprocmask(SIG_BLOCK, &block, 0);  // abort() unblocks it
  printf("calling abort\n");
  fflush(stdout);
  abort();
}

// Default actions: SIGTERM sent to itself with kill() ends the process with status 143 after
// ignored signals and a blocked-then-unblocked one; nothing after the kill runs.
#include <signal.h>
#include <stdio.h>
#include <unistd.h>

int main(void) {
  setvbuf(stdout, 0, _IONBF, 0);
  printf("SIGCHLD by default: %d\n", kill(getpid(), SIGCHLD));
  signal(SIGTERM, SIG_IGN);
  printf("SIGTERM ignored: %d\n", kill(getpid(), SIGTERM));
  signal(SIGTERM, SIG_DFL);
  sigset_t set;
  sigemptyset(&set);
  sigaddset(&set, SIGTERM);
  sigprocmask(SIG_BLOCK, &set, 0);
  printf("SIGTERM blocked: %d\n", kill(getpid(), SIGTERM));
  printf("unblocking it\n");
  sigprocmask(SIG_UNBLOCK, &set, 0);
  printf("not reached\n");
  return 0;
}

// Writes to a pipe whose reader is gone: with SIGPIPE ignored (EPIPE), handled (the handler
// runs, then EPIPE), or at its default action (the process ends, 128+13, without a message).
// Output written before the write must come out whole. Compared with qemu-aarch64.
#include <errno.h>
#include <signal.h>
#include <stdio.h>
#include <string.h>
#include <sys/uio.h>
#include <unistd.h>

static volatile sig_atomic_t hits, code;

static void handler(int sig, siginfo_t* si, void* uc) {
  (void)uc;
  hits++;
  code = si->si_code;
  static const char msg[] = "handler: SIGPIPE\n";
  if (sig == SIGPIPE) write(1, msg, sizeof msg - 1);
}

int main(int argc, char** argv) {
  const char mode = argc > 1 ? argv[1][0] : 'd';
  // Some output first: it must not be lost whatever happens next.
  for (int k = 0; k < 2000; ++k) printf("line %d of the output before the write\n", k);
  fflush(stdout);
  if (mode == 'i') signal(SIGPIPE, SIG_IGN);
  if (mode == 'h') {
    struct sigaction sa;
    memset(&sa, 0, sizeof sa);
    sa.sa_sigaction = handler;
    sa.sa_flags = SA_SIGINFO;
    sigaction(SIGPIPE, &sa, 0);
  }
  int fds[2];
  if (pipe(fds) != 0) return 2;
  close(fds[0]);
  errno = 0;
  ssize_t r = write(fds[1], "x", 1);
  printf("write %zd errno %d (EPIPE %d) hits %d code %d\n", r, errno, EPIPE, (int)hits, (int)code);
  char big[100000];
  memset(big, 'y', sizeof big);
  struct iovec iov[2] = {{big, 10}, {big, sizeof big}};
  errno = 0;
  r = writev(fds[1], iov, 2);
  printf("writev %zd errno %d hits %d\n", r, errno, (int)hits);
  // A blocked SIGPIPE stays pending: the write still fails with EPIPE.
  sigset_t set, pend;
  sigemptyset(&set);
  sigaddset(&set, SIGPIPE);
  sigprocmask(SIG_BLOCK, &set, 0);
  errno = 0;
  r = write(fds[1], "x", 1);
  sigpending(&pend);
  printf("blocked: write %zd errno %d pending %d\n", r, errno, sigismember(&pend, SIGPIPE));
  fflush(stdout);
  sigprocmask(SIG_UNBLOCK, &set, 0);  // the default action ends the process here
  printf("end hits %d\n", (int)hits);
  return 0;
}

// Blocks in read() on stdin (a pipe whose writer stays silent): a --timeout must end it. With
// "usr1" a SIGUSR1 handler is installed (flags from argv[2]: "restart" adds SA_RESTART) and the
// read's result is printed: restarted reads get the data written after the signal, others EINTR.
#include <errno.h>
#include <signal.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>

static volatile sig_atomic_t hits;
static void handler(int sig) {
  (void)sig;
  hits++;
}

int main(int argc, char** argv) {
  if (argc > 1) {
    struct sigaction sa;
    memset(&sa, 0, sizeof sa);
    sa.sa_handler = handler;
    sa.sa_flags = argc > 2 && strcmp(argv[2], "restart") == 0 ? SA_RESTART : 0;
    sigaction(SIGUSR1, &sa, 0);
  }
  printf("reading\n");
  fflush(stdout);
  char buf[64];
  errno = 0;
  ssize_t r = read(0, buf, sizeof buf);
  printf("read %zd errno %d hits %d\n", r, r < 0 ? errno : 0, (int)hits);
  return 0;
}

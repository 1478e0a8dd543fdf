// Blocks in read() on stdin (a pipe whose writer stays silent): a --timeout must end it. With
// "usr1" a SIGUSR1 handler is installed (flags from argv[2]: "restart" adds SA_RESTART) and the
// read's result is printed: restarted reads get the data written after the signal, others EINTR.
// With "nonblock", reads of an empty O_NONBLOCK pipe must fail at once with EAGAIN instead.
#define _GNU_SOURCE
#include <errno.h>
#include <fcntl.h>
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
  if (argc > 1 && strcmp(argv[1], "nonblock") == 0) {
    int fds[2];
    if (pipe2(fds, O_NONBLOCK) != 0) return 2;
    char c;
    errno = 0;
    ssize_t r = read(fds[0], &c, 1);
    printf("nonblocking read %zd errno %d (EAGAIN %d)\n", r, errno, EAGAIN);
    // A full pipe: a nonblocking write takes what fits, then EAGAIN.
    static char big[1 << 20];
    ssize_t w = write(fds[1], big, sizeof big);
    errno = 0;
    ssize_t w2 = write(fds[1], big, 1);
    printf("nonblocking writes: first %s, then %zd errno %d\n",
           w > 0 && w < (ssize_t)sizeof big ? "partial" : "?", w2, errno);
    return 0;
  }
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

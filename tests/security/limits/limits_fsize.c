// Writes past RLIMIT_FSIZE (the test sets `ulimit -f 1`: 1024 bytes): the first write is cut
// short, the next fails with EFBIG and raises SIGXFSZ, handled ("handle"), ignored ("ignore") or
// at its default action ("default": the process ends, 128+25). Compared with qemu-aarch64.
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
  if (argc < 2) return 2;
  if (argc > 2 && argv[2][0] != 'd') signal(SIGXFSZ, argv[2][0] == 'i' ? SIG_IGN : handler);
  char path[4096];
  snprintf(path, sizeof path, "%s/big", argv[1]);
  int fd = open(path, O_WRONLY | O_CREAT | O_TRUNC, 0644);
  if (fd < 0) return 3;
  char buf[4096];
  memset(buf, 'a', sizeof buf);
  ssize_t r = write(fd, buf, sizeof buf);
  printf("write %zd\n", r);
  fflush(stdout);
  errno = 0;
  r = write(fd, buf, sizeof buf);
  printf("write %zd errno %d (EFBIG %d) hits %d\n", r, errno, EFBIG, (int)hits);
  return 0;
}

// Descriptor operations: fcntl flags (F_GETFL translation of O_DIRECTORY/O_LARGEFILE),
// F_SETFL, F_DUPFD, dup3, statx, faccessat, readlinkat, isatty on a file, lseek whences.
#define _GNU_SOURCE
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/stat.h>
#include <unistd.h>

int main(int argc, char** argv) {
  const char* file = argv[1];
  int fd = open(file, O_RDONLY);
  printf("getfl 0%o\n", fcntl(fd, F_GETFL));
  int dfd = open(".", O_RDONLY | O_DIRECTORY | O_CLOEXEC);
  printf("dir getfl 0%o getfd %d\n", fcntl(dfd, F_GETFL), fcntl(dfd, F_GETFD));
  printf("setfl %d getfl 0%o\n", fcntl(fd, F_SETFL, O_NONBLOCK), fcntl(fd, F_GETFL));
  printf("dupfd %d\n", fcntl(fd, F_DUPFD, 50));
  printf("dupfd_cloexec getfd %d\n", fcntl(fcntl(fd, F_DUPFD_CLOEXEC, 0), F_GETFD));
  printf("dup3 %d getfd %d\n", dup3(fd, 40, O_CLOEXEC), fcntl(40, F_GETFD));
  printf("dup3(same) %d errno %d\n", dup3(fd, fd, 0), errno);
  printf("bad fd %d errno %d\n", fcntl(999, F_GETFD), errno);
  struct statx sx;
  int r = statx(AT_FDCWD, file, 0, STATX_SIZE | STATX_MODE, &sx);
  struct stat st;
  stat(file, &st);
  printf("statx %d size same %d mode same %d\n", r, sx.stx_size == (unsigned long long)st.st_size,
         sx.stx_mode == st.st_mode);
  r = statx(fd, "", AT_EMPTY_PATH, STATX_SIZE, &sx);
  printf("statx(fd) %d size same %d\n", r, sx.stx_size == (unsigned long long)st.st_size);
  printf("fstatat(dfd) %d\n", fstatat(dfd, ".", &st, 0));
  printf("faccessat R %d X %d missing %d errno %d\n", faccessat(AT_FDCWD, file, R_OK, 0),
         faccessat(AT_FDCWD, "/", X_OK, 0), faccessat(AT_FDCWD, "nope", R_OK, 0), errno);
  char buf[16];
  printf("readlink(file) %ld errno %d\n", (long)readlink(file, buf, sizeof buf), errno);
  errno = 0;
  printf("isatty(file) %d errno %d\n", isatty(fd), errno);
  struct winsize ws;
  printf("winsz(file) %d errno %d\n", ioctl(fd, TIOCGWINSZ, &ws), errno);
  printf("lseek set %ld cur %ld end>0 %d\n", (long)lseek(fd, 5, SEEK_SET), (long)lseek(fd, 2, SEEK_CUR),
         lseek(fd, 0, SEEK_END) > 0);
  printf("lseek bad %ld errno %d\n", (long)lseek(fd, -100, SEEK_SET), errno);
  printf("close %d again %d errno %d\n", close(fd), close(fd), errno);
  printf("write ro %ld\n", (long)write(dfd, "x", 1));
  return 0;
}

// The guest's descriptors by name: /dev/stdin, /dev/stdout, /dev/stderr, /dev/fd/N and
// /proc/self/fd/N open, stat and readlink what the program's own descriptors refer to.
// Argument: a text file; stdin is a file too.
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

static void same(const char* name, int fd) {
  struct stat a, b;
  int r = stat(name, &a);
  fstat(fd, &b);
  printf("stat %s: %d, same as its descriptor: %d\n", name, r,
         r == 0 && a.st_ino == b.st_ino && a.st_dev == b.st_dev && a.st_mode == b.st_mode);
}

int main(int argc, char** argv) {
  if (argc < 2) return 2;
  setvbuf(stdout, 0, _IONBF, 0);
  int out = open("/dev/stdout", O_WRONLY | O_APPEND);
  printf("open /dev/stdout: %d\n", out >= 0);
  write(out, "written through /dev/stdout\n", 28);
  close(out);
  lseek(1, 0, SEEK_END);  // a file: the reopened one wrote at its end, past fd 1's offset
  int err = open("/proc/self/fd/2", O_WRONLY | O_APPEND);
  write(err, "written through /proc/self/fd/2\n", 32);
  close(err);
  lseek(2, 0, SEEK_END);
  FILE* e = fopen("/dev/stderr", "a");
  fprintf(e, "and through fopen(/dev/stderr)\n");
  fclose(e);
  lseek(2, 0, SEEK_END);

  char buf[64] = {0};
  int in = open("/dev/stdin", O_RDONLY);
  long n = read(in, buf, 10);
  printf("read /dev/stdin: %ld '%.*s'\n", n, (int)n, buf);
  close(in);
  same("/dev/stdin", 0);
  same("/dev/stdout", 1);
  same("/proc/self/fd/2", 2);

  int f = open(argv[1], O_RDONLY);
  dup2(f, 7);
  lseek(7, 5, SEEK_SET);
  int again = open("/dev/fd/7", O_RDONLY);
  n = read(again, buf, 9);
  printf("reopened /dev/fd/7 starts at 0: '%.*s', the original at %ld\n", (int)n, buf,
         (long)lseek(7, 0, SEEK_CUR));
  same("/proc/self/fd/7", f);
  char link[4096];
  n = readlink("/proc/self/fd/7", link, sizeof link);
  printf("readlink /proc/self/fd/7 is the file: %d\n",
         n > 0 && strncmp(link, argv[1], n) == 0 && (long)strlen(argv[1]) == n);
  n = readlink("/dev/stdout", link, sizeof link);
  printf("readlink /dev/stdout: '%.*s'\n", (int)n, link);
  struct stat st;
  lstat("/proc/self/fd/7", &st);
  printf("lstat /proc/self/fd/7: link %d mode %o\n", S_ISLNK(st.st_mode), st.st_mode & 0777);
  printf("access /dev/stdout W_OK: %d\n", access("/dev/stdout", W_OK));

  errno = 0;
  printf("open /proc/self/fd/99: %d errno %d\n", open("/proc/self/fd/99", O_RDONLY), errno);
  printf("stat /dev/fd/98: %d errno %d\n", stat("/dev/fd/98", &st), errno);
  close(7);
  printf("after close: open /dev/fd/7 errno %d\n", open("/dev/fd/7", O_RDONLY) < 0 ? errno : 0);
  return 0;
}

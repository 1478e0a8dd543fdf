// Reads the files named on the command line (stdio and raw read/lseek/pread/fstat) and prints
// each one's size and checksum; a missing file prints its errno.
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

int main(int argc, char** argv) {
  for (int k = 1; k < argc; ++k) {
    FILE* f = fopen(argv[k], "rb");
    if (!f) {
      printf("%s: errno %d (%s)\n", argv[k], errno, strerror(errno));
      continue;
    }
    unsigned long sum = 0, size = 0;
    int c;
    while ((c = getc(f)) != EOF) {
      sum = sum * 31 + (unsigned)c;
      ++size;
    }
    fclose(f);
    int fd = open(argv[k], O_RDONLY | O_CLOEXEC);
    struct stat st;
    fstat(fd, &st);
    char b[4] = {0};
    long pr = pread(fd, b, 3, 1);
    long end = lseek(fd, 0, SEEK_END);
    int fl = fcntl(fd, F_GETFD);
    int d = dup(fd);
    printf("%s: size %lu sum %lu st_size %ld regular %d pread %ld end %ld cloexec %d dup>fd %d\n",
           argv[k], size, sum, (long)st.st_size, S_ISREG(st.st_mode), pr, end, fl, d > fd);
    close(d);
    close(fd);
  }
  return 0;
}

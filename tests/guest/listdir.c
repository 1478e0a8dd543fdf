// Lists a directory with opendir/readdir (sorted), stats each entry, and checks getcwd, chdir
// and fchdir.
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

static int cmp(const void* a, const void* b) {
  return strcmp(*(char* const*)a, *(char* const*)b);
}

int main(int argc, char** argv) {
  const char* dir = argc > 1 ? argv[1] : ".";
  DIR* d = opendir(dir);
  if (!d) {
    printf("opendir: errno %d\n", errno);
    return 1;
  }
  char* names[4096];
  int n = 0;
  struct dirent* e;
  while ((e = readdir(d)) && n < 4096) names[n++] = strdup(e->d_name);
  closedir(d);
  qsort(names, n, sizeof names[0], cmp);
  if (chdir(dir) != 0) printf("chdir: errno %d\n", errno);
  for (int k = 0; k < n; ++k) {
    struct stat st;
    int r = lstat(names[k], &st);
    printf("%s %s\n", names[k], r ? "?" : S_ISDIR(st.st_mode) ? "dir" : S_ISLNK(st.st_mode) ? "link" : "file");
  }
  int fd = open("..", O_RDONLY | O_DIRECTORY);
  printf("fchdir %d\n", fchdir(fd));
  char cwd1[4096], cwd2[4096];
  getcwd(cwd1, sizeof cwd1);
  chdir(dir);
  getcwd(cwd2, sizeof cwd2);
  printf("cwd changes %d\n", strcmp(cwd1, cwd2) != 0);
  printf("getcwd(small) %p errno %d\n", (void*)getcwd(cwd1, 1), errno);
  printf("open missing %d errno %d\n", open("no-such-file", O_RDONLY), errno);
  printf("opendir file %d errno %d\n", open(names[0], O_RDONLY | O_DIRECTORY) >= 0, errno);
  return 0;
}

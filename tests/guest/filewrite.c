// Writing files in a directory given as the argument (kvrm runs it with --rw there): create,
// write, rename (and RENAME_NOREPLACE), hard links, symlinks, readlink, chmod/fchmod and the
// umask, chown to the same owner, utimensat, truncate/ftruncate, fsync/fdatasync/sync, mkdir,
// rmdir, unlink, and the errors each gives. Only names relative to the directory are printed.
#define _GNU_SOURCE
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <unistd.h>

static void result(const char* what, int r) {
  if (r < 0)
    printf("%s: errno %d (%s)\n", what, errno, strerror(errno));
  else
    printf("%s: %d\n", what, r);
}

static void show(const char* name) {
  struct stat st;
  if (lstat(name, &st) != 0) {
    printf("  %s: missing (errno %d)\n", name, errno);
    return;
  }
  printf("  %s: %s mode %o links %ld size %ld\n", name,
         S_ISDIR(st.st_mode) ? "dir" : S_ISLNK(st.st_mode) ? "symlink" : "file",
         st.st_mode & 07777, (long)st.st_nlink, S_ISDIR(st.st_mode) ? 0l : (long)st.st_size);
}

static int by_name(const void* a, const void* b) {
  return strcmp(*(char* const*)a, *(char* const*)b);
}

static void list(void) {
  DIR* d = opendir(".");
  char* names[64];
  int n = 0;
  struct dirent* e;
  while ((e = readdir(d)) && n < 64)
    if (strcmp(e->d_name, ".") && strcmp(e->d_name, "..")) names[n++] = strdup(e->d_name);
  closedir(d);
  qsort(names, n, sizeof names[0], by_name);
  printf("listing:");
  for (int k = 0; k < n; ++k) printf(" %s", names[k]), free(names[k]);
  printf("\n");
}

static int write_file(const char* name, const char* text, mode_t mode) {
  int fd = open(name, O_WRONLY | O_CREAT | O_TRUNC, mode);
  if (fd < 0) return -1;
  int r = write(fd, text, strlen(text));
  close(fd);
  return r;
}

int main(int argc, char** argv) {
  if (argc < 2 || chdir(argv[1]) != 0) return 2;
  umask(022);
  result("create a", write_file("a", "alpha\n", 0666));
  show("a");
  umask(0);
  result("create b with umask 0", write_file("b", "bravo bravo\n", 0666));
  show("b");
  umask(077);
  result("create c with umask 077", write_file("c", "c\n", 0666));
  show("c");
  umask(022);
  result("mkdir d", mkdir("d", 0777));
  show("d");
  result("mkdir d again", mkdir("d", 0777));

  result("rename a -> d/a2", rename("a", "d/a2"));
  show("a");
  show("d/a2");
  result("rename b over c", rename("b", "c"));
  show("c");
  result("renameat2 NOREPLACE c -> d/a2",
         syscall(SYS_renameat2, AT_FDCWD, "c", AT_FDCWD, "d/a2", 1));
  result("rename missing", rename("missing", "x"));
  result("rename dir over file", rename("d", "c"));
  result("rename into itself", rename("d", "d/sub"));

  result("link c -> hard", link("c", "hard"));
  show("c");
  result("link to existing", link("c", "hard"));
  result("link a directory", link("d", "dlink"));
  result("symlink -> soft", symlink("c", "soft"));
  result("symlink dangling", symlink("nowhere/at/all", "dangling"));
  char buf[256];
  ssize_t n = readlink("soft", buf, sizeof buf);
  printf("readlink soft: %.*s\n", (int)n, buf);
  n = readlink("dangling", buf, sizeof buf);
  printf("readlink dangling: %.*s\n", (int)n, buf);
  result("readlink a file", readlink("c", buf, sizeof buf));
  show("soft");
  int fd = open("soft", O_RDONLY);
  n = read(fd, buf, sizeof buf);
  close(fd);
  printf("through the symlink: %.*s", (int)n, buf);
  result("open dangling", open("dangling", O_RDONLY));

  result("chmod c 0640", chmod("c", 0640));
  show("hard");
  fd = open("c", O_RDWR);
  result("fchmod 0600", fchmod(fd, 0600));
  result("fchown to the same owner", fchown(fd, getuid(), getgid()));
  result("ftruncate 5", ftruncate(fd, 5));
  result("fsync", fsync(fd));
  result("fdatasync", fdatasync(fd));
  close(fd);
  show("c");
  result("truncate 20", truncate("c", 20));
  show("c");
  result("truncate a directory", truncate("d", 0));
  struct timespec times[2] = {{1000000000, 0}, {1200000000, 500}};
  result("utimensat", utimensat(AT_FDCWD, "c", times, 0));
  struct stat st;
  stat("c", &st);
  printf("  atime %ld mtime %ld.%09ld\n", (long)st.st_atime, (long)st.st_mtim.tv_sec,
         st.st_mtim.tv_nsec);
  result("utimensat bad nsec", utimensat(AT_FDCWD, "c", (struct timespec[2]){{0, -5}, {0, 0}}, 0));
  sync();

  list();
  result("rmdir non-empty d", rmdir("d"));
  result("unlink a directory", unlink("d"));
  result("rmdir a file", rmdir("c"));
  result("unlink d/a2", unlink("d/a2"));
  result("rmdir d", rmdir("d"));
  result("unlink soft", unlink("soft"));
  result("unlink dangling", unlink("dangling"));
  result("unlink hard", unlink("hard"));
  show("c");
  result("unlink c", unlink("c"));
  result("unlink c again", unlink("c"));
  list();
  return 0;
}

// Sandbox probe: each argument is OP:PATH; prints "OP PATH -> RESULT" with the first line read
// (read), "ok", or the errno name. Run by sandbox.sh, which checks the results kvrm gives
// under --root and --rw (QEMU has no sandbox to compare with).
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

static const char* ename(int e) {
  switch (e) {
    case ENOENT: return "ENOENT";
    case EROFS: return "EROFS";
    case EACCES: return "EACCES";
    case ELOOP: return "ELOOP";
    case EEXIST: return "EEXIST";
    case ENOTDIR: return "ENOTDIR";
    case EISDIR: return "EISDIR";
    default: return strerror(e);
  }
}

int main(int argc, char** argv) {
  for (int k = 1; k < argc; ++k) {
    char op[16] = {0};
    const char* colon = strchr(argv[k], ':');
    if (!colon || colon - argv[k] >= 16) return 2;
    memcpy(op, argv[k], colon - argv[k]);
    const char* path = colon + 1;
    char buf[4096] = {0};
    int r = -1;
    if (!strcmp(op, "read")) {
      int fd = open(path, O_RDONLY);
      if (fd >= 0) {
        long n = read(fd, buf, sizeof buf - 1);
        close(fd);
        buf[n > 0 ? n : 0] = 0;
        char* nl = strchr(buf, '\n');
        if (nl) *nl = 0;
        printf("%s %s -> '%s'\n", op, path, buf);
        continue;
      }
    } else if (!strcmp(op, "write")) {
      int fd = open(path, O_WRONLY | O_CREAT | O_TRUNC, 0644);
      if (fd >= 0) r = (write(fd, "written\n", 8) == 8 ? 0 : -1), close(fd);
    } else if (!strcmp(op, "append")) {
      int fd = open(path, O_WRONLY | O_APPEND);
      if (fd >= 0) r = (write(fd, "more\n", 5) == 5 ? 0 : -1), close(fd);
    } else if (!strcmp(op, "excl")) {
      int fd = open(path, O_WRONLY | O_CREAT | O_EXCL, 0644);
      if (fd >= 0) r = 0, close(fd);
    } else if (!strcmp(op, "nofollow")) {
      int fd = open(path, O_RDONLY | O_NOFOLLOW);
      if (fd >= 0) r = 0, close(fd);
    } else if (!strcmp(op, "mkdir")) {
      r = mkdir(path, 0755);
    } else if (!strcmp(op, "unlink")) {
      r = unlink(path);
    } else if (!strcmp(op, "access_w")) {
      r = access(path, W_OK);
    } else if (!strcmp(op, "stat")) {
      struct stat st;
      r = stat(path, &st);
    } else if (!strcmp(op, "chdir")) {
      r = chdir(path);
      if (r == 0) {
        getcwd(buf, sizeof buf);
        printf("%s %s -> cwd %s\n", op, path, buf);
        continue;
      }
    } else if (!strcmp(op, "readlink")) {
      long n = readlink(path, buf, sizeof buf - 1);
      if (n >= 0) {
        buf[n] = 0;
        printf("%s %s -> '%s'\n", op, path, buf);
        continue;
      }
    } else {
      return 2;
    }
    printf("%s %s -> %s\n", op, path, r == 0 ? "ok" : ename(errno));
  }
  return 0;
}

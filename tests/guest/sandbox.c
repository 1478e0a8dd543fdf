// Sandbox probe: each argument is OP:PATH (OP:FROM>TO for rename, link and symlink); prints
// "OP PATH -> RESULT" with the first line read (read), the new mode, time or size (chmod,
// utime, truncate), "ok", or the errno name. Run by sandbox.sh, which checks the results kvrm gives
// under --root and --rw (QEMU has no sandbox to compare with).
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <sys/time.h>
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
    case EXDEV: return "EXDEV";
    case EPERM: return "EPERM";
    case EINVAL: return "EINVAL";
    case EBUSY: return "EBUSY";
    case ENODEV: return "ENODEV";
    case ENOTEMPTY: return "ENOTEMPTY";
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
    char from[4096] = {0};
    const char* to = strchr(path, '>');  // two paths: FROM>TO
    if (to) {
      memcpy(from, path, to - path);
      ++to;
    }
    struct stat st;
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
    } else if (!strcmp(op, "rename") && to) {
      r = rename(from, to);
    } else if (!strcmp(op, "renamenr") && to) {
      r = syscall(SYS_renameat2, AT_FDCWD, from, AT_FDCWD, to, 1 /* RENAME_NOREPLACE */);
    } else if (!strcmp(op, "renamex") && to) {
      r = syscall(SYS_renameat2, AT_FDCWD, from, AT_FDCWD, to, 2 /* RENAME_EXCHANGE */);
    } else if (!strcmp(op, "link") && to) {
      r = link(from, to);
    } else if (!strcmp(op, "symlink") && to) {
      r = symlink(from, to);
    } else if (!strcmp(op, "rmdir")) {
      r = rmdir(path);
    } else if (!strcmp(op, "chmod")) {
      r = chmod(path, 0600);
      if (r == 0 && stat(path, &st) == 0) {
        printf("%s %s -> mode %o\n", op, path, st.st_mode & 07777);
        continue;
      }
    } else if (!strcmp(op, "chownsame")) {
      r = stat(path, &st) == 0 ? chown(path, st.st_uid, st.st_gid) : -1;
    } else if (!strcmp(op, "chownother")) {
      r = chown(path, getuid() + 1, -1);
    } else if (!strcmp(op, "utime")) {
      struct timeval tv[2] = {{1000000000, 0}, {1000000000, 0}};
      r = utimes(path, tv);
      if (r == 0 && stat(path, &st) == 0) {
        printf("%s %s -> mtime %ld\n", op, path, (long)st.st_mtime);
        continue;
      }
    } else if (!strcmp(op, "truncate")) {
      r = truncate(path, 3);
      if (r == 0 && stat(path, &st) == 0) {
        printf("%s %s -> size %ld\n", op, path, (long)st.st_size);
        continue;
      }
    } else if (!strcmp(op, "fsync")) {
      int fd = open(path, O_RDONLY);
      if (fd >= 0) r = fsync(fd), close(fd);
    } else if (!strcmp(op, "mmapshared")) {
      int fd = open(path, O_RDWR);
      if (fd >= 0) {
        void* m = mmap(0, 4096, PROT_READ | PROT_WRITE, MAP_SHARED, fd, 0);
        r = m == MAP_FAILED ? -1 : 0;
        close(fd);
      }
    } else {
      return 2;
    }
    printf("%s %s -> %s\n", op, path, r == 0 ? "ok" : ename(errno));
  }
  return 0;
}

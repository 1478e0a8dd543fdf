// Adversarial sandbox probe (issue: descriptor names, /proc, host pids, metadata races, closed
// stdio). Each argument is OP:ARG; prints "OP ARG -> RESULT" (the data or "ok", or the errno
// name). Run by escape.sh, which knows what kvrm must answer under --root and --rw.
#define _GNU_SOURCE
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <time.h>
#include <unistd.h>

static const char* ename(int e) {
  switch (e) {
    case ENOENT: return "ENOENT";
    case EROFS: return "EROFS";
    case EACCES: return "EACCES";
    case ELOOP: return "ELOOP";
    case EBADF: return "EBADF";
    case EISDIR: return "EISDIR";
    case EINVAL: return "EINVAL";
    case ENODEV: return "ENODEV";
    case EIO: return "EIO";
    case ENOTDIR: return "ENOTDIR";
    case EPERM: return "EPERM";
    default: return strerror(e);
  }
}

static int fail(const char* op, const char* arg) {
  printf("%s %s -> %s\n", op, arg, ename(errno));
  return 0;
}

static long read_all(int fd, char* buf, long cap) {
  long n = 0, k;
  while (n < cap && (k = read(fd, buf + n, cap - n)) > 0) n += k;
  return n;
}

// A marker in the guest's own memory for /proc/self/mem to find.
static const char marker[] = "kvrm-guest-marker";

static int run(const char* op, const char* arg) {
  static char buf[1 << 16];
  if (!strcmp(op, "trunc")) {  // open a name of a descriptor for writing or truncation
    int fd = open(arg, O_RDONLY | O_TRUNC);
    if (fd < 0) return fail(op, arg);
    close(fd);
    printf("%s %s -> ok\n", op, arg);
  } else if (!strcmp(op, "wronly") || !strcmp(op, "append")) {
    int fd = open(arg, (!strcmp(op, "append") ? O_APPEND : 0) | O_WRONLY);
    if (fd < 0) return fail(op, arg);
    close(fd);
    printf("%s %s -> ok\n", op, arg);
  } else if (!strcmp(op, "grep")) {  // does the file's text contain the word after '='?
    char path[256];
    const char* eq = strchr(arg, '=');
    snprintf(path, sizeof path, "%.*s", (int)(eq - arg), arg);
    int fd = open(path, O_RDONLY);
    if (fd < 0) return fail(op, arg);
    long n = read_all(fd, buf, sizeof buf - 1);
    close(fd);
    buf[n > 0 ? n : 0] = 0;
    printf("%s %s -> %s\n", op, arg, strstr(buf, eq + 1) ? "yes" : "no");
  } else if (!strcmp(op, "mapsok")) {  // /proc/self/maps: the marker's page and the stack
    int fd = open(arg, O_RDONLY);
    if (fd < 0) return fail(op, arg);
    long n = read_all(fd, buf, sizeof buf - 1);
    close(fd);
    buf[n > 0 ? n : 0] = 0;
    uintptr_t m = (uintptr_t)marker, sp = (uintptr_t)&fd;
    int has_marker = 0, has_stack = 0;
    for (char* line = strtok(buf, "\n"); line; line = strtok(NULL, "\n")) {
      unsigned long lo, hi;
      if (sscanf(line, "%lx-%lx", &lo, &hi) != 2) continue;
      if (m >= lo && m < hi) has_marker = 1;
      if (sp >= lo && sp < hi && strstr(line, "[stack]")) has_stack = 1;
    }
    printf("%s %s -> marker %d stack %d\n", op, arg, has_marker, has_stack);
  } else if (!strcmp(op, "mem")) {  // pread the marker through /proc/self/mem
    int fd = open(arg, O_RDONLY);
    if (fd < 0) return fail(op, arg);
    char got[sizeof marker] = {0};
    long n = pread(fd, got, sizeof marker, (off_t)(uintptr_t)marker);
    printf("%s %s -> %s\n", op, arg, n == sizeof marker && !memcmp(got, marker, n) ? "marker" : "other");
    n = pread(fd, got, 8, (off_t)0x10);  // nothing is mapped there
    printf("%s %s unmapped -> %s\n", op, arg, n < 0 ? ename(errno) : "read");
    void* p = mmap(NULL, 4096, PROT_READ, MAP_SHARED, fd, 0);
    printf("%s %s mmap -> %s\n", op, arg, p == MAP_FAILED ? ename(errno) : "mapped");
    close(fd);
  } else if (!strcmp(op, "open")) {
    int fd = open(arg, O_RDONLY);
    if (fd < 0) return fail(op, arg);
    close(fd);
    printf("%s %s -> ok\n", op, arg);
  } else if (!strcmp(op, "stat")) {
    struct stat st;
    if (stat(arg, &st) != 0) return fail(op, arg);
    printf("%s %s -> ok\n", op, arg);
  } else if (!strcmp(op, "readlink")) {
    long n = readlink(arg, buf, sizeof buf - 1);
    if (n < 0) return fail(op, arg);
    buf[n] = 0;
    printf("%s %s -> '%s'\n", op, arg, buf);
  } else if (!strcmp(op, "lsdigits")) {  // does a listing show process directories?
    DIR* d = opendir(arg);
    if (!d) return fail(op, arg);
    int digits = 0, self = 0;
    for (struct dirent* e; (e = readdir(d));) {
      if (e->d_name[0] >= '0' && e->d_name[0] <= '9') ++digits;
      if (!strcmp(e->d_name, "self")) self = 1;
    }
    closedir(d);
    printf("%s %s -> digits %d self %d\n", op, arg, digits, self);
  } else if (!strcmp(op, "ls")) {
    DIR* d = opendir(arg);
    if (!d) return fail(op, arg);
    int n = 0;
    for (struct dirent* e; (e = readdir(d));) n += e->d_name[0] != '.';
    closedir(d);
    printf("%s %s -> %d entries\n", op, arg, n);
  } else if (!strcmp(op, "cpuclock")) {  // another process's CPU clock (pid ARG)
    struct timespec ts;
    clockid_t id = (clockid_t)((~(long)atoi(arg)) << 3) | 2;
    if (clock_gettime(id, &ts) != 0) return fail(op, arg);
    printf("%s %s -> ok\n", op, arg);
  } else if (!strcmp(op, "fd")) {  // is descriptor ARG open?
    struct stat st;
    if (fstat(atoi(arg), &st) != 0) return fail(op, arg);
    printf("%s %s -> open\n", op, arg);
  } else if (!strcmp(op, "unlink")) {
    if (unlink(arg) != 0) return fail(op, arg);
    printf("%s %s -> ok\n", op, arg);
  } else if (!strcmp(op, "race")) {  // stat ARG many times: the largest size seen
    long max = -1;
    for (int k = 0; k < 20000; ++k) {
      struct stat st;
      if (stat(arg, &st) == 0 && st.st_size > max) max = st.st_size;
      if (lstat(arg, &st) == 0 && st.st_size > max) max = st.st_size;
      char t[64];
      if (readlink(arg, t, sizeof t) > 0) max = 1 << 30;
      if (access(arg, R_OK) == 0 && max < 0) max = 0;
    }
    printf("%s %s -> largest %ld\n", op, arg, max);
  } else {
    return 2;
  }
  return 0;
}

int main(int argc, char** argv) {
  setvbuf(stdout, NULL, _IOLBF, 0);
  for (int k = 1; k < argc; ++k) {
    char op[32] = {0};
    const char* colon = strchr(argv[k], ':');
    if (!colon || colon - argv[k] >= (long)sizeof op) return 2;
    memcpy(op, argv[k], colon - argv[k]);
    if (run(op, colon + 1)) return 2;
  }
  return 0;
}

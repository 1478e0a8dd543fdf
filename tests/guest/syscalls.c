// Syscall edge cases: bad pointers give EFAULT, unknown numbers ENOSYS, anonymous mmap,
// mprotect and munmap, uname, clocks, getrandom, isatty on a non-terminal.
#include <errno.h>
#include <stdio.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/syscall.h>
#include <sys/utsname.h>
#include <time.h>
#include <unistd.h>

int main(void) {
  long r = syscall(SYS_write, 1, (void*)8, 5);
  printf("write(bad) = %ld errno %d\n", r, r < 0 ? errno : 0);
  r = syscall(SYS_write, 99, "x", 1);
  printf("write(99) = %ld errno %d\n", r, r < 0 ? errno : 0);
  r = syscall(400);
  printf("syscall(400) = %ld errno %d\n", r, r < 0 ? errno : 0);
  struct utsname u;
  uname(&u);
  printf("machine %s sysname %s\n", u.machine, u.sysname);
  char* m = mmap(0, 3 * 4096, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
  printf("mmap ok %d zero %d\n", m != MAP_FAILED, m[5000]);
  m[5000] = 7;
  printf("mprotect %d\n", mprotect(m, 4096, PROT_READ));
  r = syscall(SYS_read, 0, m, 10);  // read into a read-only page
  printf("read(ro) = %ld errno %d\n", r, r < 0 ? errno : 0);
  char* f = mmap(m + 4096, 4096, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS | MAP_FIXED,
                 -1, 0);
  printf("fixed same %d value %d\n", f == m + 4096, m[5000]);
  printf("munmap %d %d\n", munmap(m, 3 * 4096), munmap(m + 1, 4096) == -1 && errno == EINVAL);
  struct timespec ts;
  printf("clock %d %d\n", clock_gettime(CLOCK_MONOTONIC, &ts), ts.tv_nsec < 1000000000);
  unsigned char buf[16];
  printf("getrandom %ld\n", syscall(SYS_getrandom, buf, sizeof buf, 0));
  errno = 0;
  printf("isatty(0) %d errno %d\n", isatty(0), errno);
  printf("pid ok %d\n", getpid() > 0 && getpid() == (pid_t)syscall(SYS_gettid));
  return 0;
}

// File mappings: MAP_PRIVATE of a file (contents at the offset, zeros after the end of the file
// in the last page, private writes that never reach the file), MAP_SHARED read-only, /dev/zero,
// mprotect and munmap afterwards, and the errors (unaligned offset, bad descriptor, a directory,
// a pipe, PROT_WRITE on a shared mapping of a read-only descriptor, mprotect to writable of such
// a mapping). Arguments: a text file. The program maps itself (argv[0]) for a larger file.
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <unistd.h>

static unsigned hash(const unsigned char* p, size_t n) {
  unsigned h = 2166136261u;
  for (size_t k = 0; k < n; ++k) h = (h ^ p[k]) * 16777619u;
  return h;
}

static void show(const char* what, void* r) {
  if (r == MAP_FAILED)
    printf("%s: failed, errno %d\n", what, errno);
  else
    printf("%s: mapped\n", what);
}

int main(int argc, char** argv) {
  if (argc < 2) return 2;
  int fd = open(argv[1], O_RDONLY);
  struct stat st;
  fstat(fd, &st);
  size_t size = st.st_size;
  unsigned char* m = mmap(0, size, PROT_READ, MAP_PRIVATE, fd, 0);
  show("private read-only", m);
  char buf[65536];
  long n = pread(fd, buf, sizeof buf, 0);
  printf("same as read: %d (%ld bytes, hash %08x)\n", memcmp(m, buf, n) == 0, n, hash(m, size));
  int tail_zero = 1;
  for (size_t k = size; k < ((size + 4095) & ~4095ul); ++k) tail_zero &= m[k] == 0;
  printf("rest of the last page zero: %d\n", tail_zero);
  printf("munmap %d\n", munmap(m, size));

  // Private and writable on a read-only descriptor: writes stay in memory.
  m = mmap(0, size, PROT_READ | PROT_WRITE, MAP_PRIVATE, fd, 0);
  show("private writable", m);
  memcpy(m, "CHANGED", 7);
  pread(fd, buf, 7, 0);
  printf("mapping '%.7s', file '%.7s'\n", m, buf);
  printf("mprotect read-only %d, none %d, munmap %d\n", mprotect(m, 4096, PROT_READ),
         mprotect(m, 4096, PROT_NONE), munmap(m, size));

  // Shared, read-only.
  m = mmap(0, size, PROT_READ, MAP_SHARED, fd, 0);
  show("shared read-only", m);
  printf("same as read: %d\n", memcmp(m, buf, n) == 0);
  printf("mprotect writable: %d errno %d\n", mprotect(m, 4096, PROT_READ | PROT_WRITE), errno);
  munmap(m, size);
  errno = 0;
  show("shared writable on O_RDONLY", mmap(0, 4096, PROT_READ | PROT_WRITE, MAP_SHARED, fd, 0));

  // An offset into a larger file: the program itself.
  int self = open(argv[0], O_RDONLY);
  fstat(self, &st);
  unsigned char* s = mmap(0, 3 * 4096, PROT_READ | PROT_EXEC, MAP_PRIVATE, self, 8192);
  show("program at 8192", s);
  static unsigned char want[3 * 4096];
  pread(self, want, sizeof want, 8192);
  printf("same as pread: %d\n", memcmp(s, want, sizeof want) == 0);
  // The last pages of the program: the end of the file falls inside the mapping.
  off_t last = (st.st_size - 1) & ~4095l;
  s = mmap(0, 4096, PROT_READ, MAP_PRIVATE, self, last);
  long got = pread(self, want, 4096, last);
  int ok = memcmp(s, want, got) == 0;
  for (long k = got; k < 4096; ++k) ok &= s[k] == 0;
  printf("last page: %d\n", ok);

  // MAP_FIXED over an anonymous mapping.
  unsigned char* area = mmap(0, 4 * 4096, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
  memset(area, 0xaa, 4 * 4096);
  unsigned char* fixed = mmap(area + 4096, 4096, PROT_READ, MAP_PRIVATE | MAP_FIXED, fd, 0);
  printf("fixed at the address %d, neighbours kept %d %d, content %d\n", fixed == area + 4096,
         area[0] == 0xaa, area[2 * 4096] == 0xaa, memcmp(fixed, "CHANGED", 7) != 0 && fixed[0] == buf[0]);

  // /dev/zero: anonymous memory.
  int z = open("/dev/zero", O_RDWR);
  unsigned char* zm = mmap(0, 8192, PROT_READ | PROT_WRITE, MAP_SHARED, z, 0);
  show("/dev/zero shared", zm);
  printf("zero %d\n", zm[0] == 0 && zm[8191] == 0);
  zm[5] = 1;

  // Errors.
  errno = 0;
  show("unaligned offset", mmap(0, 4096, PROT_READ, MAP_PRIVATE, fd, 100));
  show("bad descriptor", mmap(0, 4096, PROT_READ, MAP_PRIVATE, 99, 0));
  int dir = open("/", O_RDONLY | O_DIRECTORY);
  show("directory", mmap(0, 4096, PROT_READ, MAP_PRIVATE, dir, 0));
  int pfd[2];
  pipe(pfd);
  show("pipe", mmap(0, 4096, PROT_READ, MAP_PRIVATE, pfd[0], 0));
  show("write end of a pipe", mmap(0, 4096, PROT_READ, MAP_PRIVATE, pfd[1], 0));
  return 0;
}

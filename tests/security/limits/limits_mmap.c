// Operations on huge address ranges must cost what is mapped, not the range: a 64 TiB anonymous
// mapping (kvrm cannot back it: ENOMEM at once; Linux grants MAP_NORESERVE), a 64 TiB munmap,
// mprotect and madvise over mostly unmapped ranges, a MAP_FIXED mapping over a huge range.
#include <errno.h>
#include <stdio.h>
#include <sys/mman.h>

int main(void) {
  const size_t huge = (size_t)1 << 46;  // 64 TiB
  errno = 0;
  void* p =
      mmap(0, huge, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS | MAP_NORESERVE, -1, 0);
  printf("mmap 64 TiB: %s errno %d\n", p == MAP_FAILED ? "failed" : "mapped", errno);
  if (p != MAP_FAILED) munmap(p, huge);
  char* small = mmap(0, 1 << 20, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
  if (small == MAP_FAILED) return 2;
  small[0] = 1;
  char* base = (char*)0x100000000000;  // 16 TiB
  int r = munmap(base, huge);
  printf("munmap 64 TiB of nothing: %d\n", r);
  errno = 0;
  r = mprotect(base, huge, PROT_READ);
  printf("mprotect 64 TiB unmapped: %d errno %d\n", r, errno);
  errno = 0;
  r = madvise(base, huge, MADV_DONTNEED);
  printf("madvise 64 TiB unmapped: %d errno %d\n", r, errno);
  errno = 0;
  p = mmap(base, huge, PROT_READ, MAP_PRIVATE | MAP_ANONYMOUS | MAP_FIXED | MAP_NORESERVE, -1, 0);
  printf("mmap 64 TiB fixed: %s errno %d\n", p == MAP_FAILED ? "failed" : "mapped", errno);
  // [1 TiB, 120 TiB): below the stack and the mappings near it, above the program and its heap.
  r = munmap((char*)((size_t)1 << 40), ((size_t)119 << 40));
  printf("munmap 119 TiB: %d\n", r);
  small[1] = 2;
  printf("done\n");
  return 0;
}

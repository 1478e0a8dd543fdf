// malloc/free/realloc of small blocks (brk) and large blocks (mmap).
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

int main(void) {
  unsigned long sum = 0;
  char* small[1000];
  for (int i = 0; i < 1000; ++i) {
    small[i] = malloc(16 + i);
    memset(small[i], i & 0xff, 16 + i);
  }
  for (int i = 0; i < 1000; i += 2) free(small[i]);
  for (int i = 1; i < 1000; i += 2) sum += (unsigned char)small[i][i];
  for (int i = 1; i < 1000; i += 2) free(small[i]);
  for (int round = 0; round < 4; ++round) {
    size_t n = (size_t)(1 + round) << 20;  // 1-4 MiB: mmap path
    unsigned char* big = malloc(n);
    if (!big) return 2;
    for (size_t k = 0; k < n; k += 4096) big[k] = (unsigned char)(k >> 12);
    for (size_t k = 0; k < n; k += 4096) sum += big[k];
    big = realloc(big, n * 2);
    sum += big[n - 4096];
    free(big);
  }
  char* p = calloc(100000, 1);
  for (int i = 0; i < 100000; ++i) sum += p[i];
  free(p);
  printf("sum=%lu\n", sum);
  return 0;
}

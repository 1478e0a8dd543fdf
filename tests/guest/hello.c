// printf of integers, strings and doubles.
#include <stdio.h>

int main(void) {
  printf("hello, world\n");
  printf("%d %i %u %x %X %o %ld %lld\n", 42, -17, 3000000000u, 0xbeef, 0xCAFE, 8, -1234567890123L,
         9223372036854775807LL);
  printf("[%5d] [%-5d] [%05d] [%+d] [%s] [%10s] [%-10s] [%.3s] [%c]\n", 7, 7, 7, 7, "str", "right",
         "left", "truncate", 'z');
  printf("%f %.2f %e %g %g %a\n", 3.14159265358979, 2.5, 12345.678, 0.0001, 1e100, 1.0);
  printf("%.17g %.17g %g\n", 0.1 + 0.2, 1.0 / 3.0, -0.0);
  fprintf(stderr, "to stderr: %d\n", 99);
  return 0;
}

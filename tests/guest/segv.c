// Writes through a null pointer: SIGSEGV, exit status 139.
#include <stdio.h>

int main(int argc, char** argv) {
  puts("before the fault");
  fflush(stdout);
  volatile int* p = (volatile int*)(long)(argc - 1);
  *p = 1;
  puts("not reached");
  return 0;
}

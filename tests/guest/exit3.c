// Exits with status 3 after writing to stdout.
#include <stdio.h>
#include <stdlib.h>

int main(void) {
  puts("exiting with 3");
  exit(3);
}

// argv and the environment.
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

int main(int argc, char** argv, char** envp) {
  printf("argc=%d\n", argc);
  for (int i = 1; i < argc; ++i) printf("argv[%d]=%s\n", i, argv[i]);
  const char* v = getenv("KVRM_TEST_VAR");
  printf("KVRM_TEST_VAR=%s\n", v ? v : "(unset)");
  int n = 0;
  for (char** e = envp; *e; ++e)
    if (strncmp(*e, "KVRM_TEST_", 10) == 0) ++n;
  printf("KVRM_TEST_ vars: %d\n", n);
  return 0;
}

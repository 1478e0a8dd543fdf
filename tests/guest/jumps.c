// setjmp/longjmp: a jump out of nested calls, the value 0 turned into 1, volatile locals kept,
// jumping repeatedly to the same buffer; sigsetjmp/siglongjmp out of signal handlers (SIGSEGV,
// SIGUSR1) with and without the signal mask saved.
#include <setjmp.h>
#include <signal.h>
#include <stdio.h>
#include <string.h>

static jmp_buf env;
static sigjmp_buf senv;
static int depth_reached;

static void dive(int depth) {
  depth_reached = depth;
  if (depth == 50) longjmp(env, depth);
  char pad[64];
  memset(pad, depth, sizeof pad);
  if (depth < 1000) dive(depth + 1);
  printf("not reached %d\n", pad[0]);
}

static void zero(void) { longjmp(env, 0); }

static void segv(int s) { siglongjmp(senv, s); }
static void usr1(int s) { siglongjmp(senv, 100 + s); }

static int usr1_blocked(void) {
  sigset_t now;
  sigprocmask(SIG_BLOCK, 0, &now);
  return sigismember(&now, SIGUSR1);
}

int main(void) {
  volatile int counter = 0;
  int r = setjmp(env);
  printf("setjmp returned %d (counter %d)\n", r, counter);
  if (counter++ < 3) longjmp(env, counter * 10);

  if ((r = setjmp(env)) == 0) dive(0);
  printf("out of the recursion with %d at depth %d\n", r, depth_reached);
  if ((r = setjmp(env)) == 0) zero();
  printf("longjmp(0) arrives as %d\n", r);

  struct sigaction sa;
  memset(&sa, 0, sizeof sa);
  sa.sa_handler = segv;
  sigaction(SIGSEGV, &sa, 0);
  sa.sa_handler = usr1;
  sigaction(SIGUSR1, &sa, 0);
  for (int k = 0; k < 3; ++k) {
    if ((r = sigsetjmp(senv, 1)) == 0) {
      volatile int* bad = (volatile int*)(long)(16 * (k + 1));
      *bad = k;
    }
    printf("fault %d: back with %d\n", k, r);
  }
  if ((r = sigsetjmp(senv, 1)) == 0) raise(SIGUSR1);
  printf("from the SIGUSR1 handler with %d, mask restored: blocked %d\n", r, usr1_blocked());
  if ((r = sigsetjmp(senv, 0)) == 0) raise(SIGUSR1);
  printf("without the mask saved: %d, still blocked %d\n", r, usr1_blocked());
  return 0;
}

// Signals: handlers (plain and SA_SIGINFO), siginfo fields, the blocked mask during a handler,
// sa_mask, SA_NODEFER, SA_RESETHAND, SIG_IGN and ignored-by-default signals, pending standard
// signals coalescing and real-time ones queueing with their values, sigpending, sigsuspend,
// sigtimedwait, sigaltstack with SA_ONSTACK, faults (SIGSEGV for unmapped and read-only memory,
// SIGILL, SIGTRAP) caught and left with siglongjmp, a handler that fixes the fault and returns,
// a handler that moves the PC on through its ucontext, and FP state (d8, the rounding mode)
// restored after a handler changed it. Output is deterministic; compared with QEMU.
#define _GNU_SOURCE
#include <errno.h>
#include <fenv.h>
#include <setjmp.h>
#include <signal.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>
#include <sys/mman.h>
#include <ucontext.h>
#include <unistd.h>

static volatile int hits, last_sig, last_code, nested_seen, was_blocked, other_blocked, on_alt;
static volatile long last_value;
static void* volatile last_addr;
static sigjmp_buf jump;
static char alt_stack[65536];

static void plain(int s) {
  ++hits;
  last_sig = s;
}

static void with_info(int s, siginfo_t* si, void* uc) {
  ++hits;
  last_sig = s;
  last_code = si->si_code;
  last_value = si->si_value.sival_int;
  last_addr = si->si_addr;
  (void)uc;
}

static void check_mask(int s) {
  sigset_t cur;
  sigprocmask(SIG_BLOCK, 0, &cur);
  was_blocked = sigismember(&cur, s);
  other_blocked = sigismember(&cur, SIGUSR2);
  ++hits;
}

static void nesting(int s) {
  ++hits;
  if (s == SIGUSR1) {
    raise(SIGUSR2);             // runs now, inside this handler
    nested_seen = hits;         // SIGUSR2's handler has run
  }
}

static void alt_handler(int s) {
  char local;
  on_alt = &local >= alt_stack && &local < alt_stack + sizeof alt_stack;
  stack_t now;
  sigaltstack(0, &now);
  on_alt += (now.ss_flags & SS_ONSTACK) ? 10 : 0;
  (void)s;
}

static void fault_jump(int s, siginfo_t* si, void* uc) {
  last_sig = s;
  last_code = si->si_code;
  last_addr = si->si_addr;
  (void)uc;
  siglongjmp(jump, 1);
}

static char* ro_page;
static void fix_fault(int s, siginfo_t* si, void* uc) {
  ++hits;
  last_addr = si->si_addr;
  mprotect(ro_page, 4096, PROT_READ | PROT_WRITE);  // the store is retried and succeeds
  (void)s;
  (void)uc;
}

static void skip_insn(int s, siginfo_t* si, void* ctx) {
  ucontext_t* uc = ctx;
  ++hits;
  last_addr = si->si_addr;
  last_code = (uintptr_t)si->si_addr == uc->uc_mcontext.pc;
  uc->uc_mcontext.pc += 4;  // resume after the undefined instruction
  (void)s;
}

static void clobber_fp(int s) {
  __asm__ volatile("fmov d8, xzr");  // d8 is callee-saved: only the sigreturn brings it back
  fesetround(FE_UPWARD);
  (void)s;
}

static void install(int s, void (*h)(int), int flags, int also_block) {
  struct sigaction sa;
  memset(&sa, 0, sizeof sa);
  sa.sa_handler = h;
  sa.sa_flags = flags;
  sigemptyset(&sa.sa_mask);
  if (also_block) sigaddset(&sa.sa_mask, also_block);
  sigaction(s, &sa, 0);
}

static void install_info(int s, void (*h)(int, siginfo_t*, void*), int flags) {
  struct sigaction sa;
  memset(&sa, 0, sizeof sa);
  sa.sa_sigaction = h;
  sa.sa_flags = SA_SIGINFO | flags;
  sigemptyset(&sa.sa_mask);
  sigaction(s, &sa, 0);
}

static void block(int s, int how) {
  sigset_t set;
  sigemptyset(&set);
  sigaddset(&set, s);
  sigprocmask(how, &set, 0);
}

int main(void) {
  setvbuf(stdout, 0, _IONBF, 0);

  // A plain handler through raise, and through kill.
  install(SIGUSR1, plain, 0, 0);
  int r = raise(SIGUSR1);
  printf("raise %d hits %d sig %d\n", r, hits, last_sig);
  r = kill(getpid(), SIGUSR1);
  printf("kill %d hits %d\n", r, hits);

  // siginfo: raise is tgkill (SI_TKILL), kill is SI_USER, sigqueue carries a value.
  install_info(SIGUSR2, with_info, 0);
  raise(SIGUSR2);
  printf("raise: code %d (SI_TKILL %d)\n", last_code, SI_TKILL);
  kill(getpid(), SIGUSR2);
  printf("kill: code %d (SI_USER %d)\n", last_code, SI_USER);
  union sigval v = {.sival_int = 42};
  sigqueue(getpid(), SIGUSR2, v);
  printf("sigqueue: code %d (SI_QUEUE %d) value %ld\n", last_code, SI_QUEUE, last_value);

  // The signal is blocked in its handler, and so is sa_mask; SA_NODEFER leaves it unblocked.
  install(SIGUSR1, check_mask, 0, SIGUSR2);
  raise(SIGUSR1);
  printf("in handler: self blocked %d, sa_mask blocked %d\n", was_blocked, other_blocked);
  install(SIGUSR1, check_mask, SA_NODEFER, 0);
  raise(SIGUSR1);
  printf("SA_NODEFER: self blocked %d, other blocked %d\n", was_blocked, other_blocked);
  sigset_t now;
  sigprocmask(SIG_BLOCK, 0, &now);
  printf("after: usr1 blocked %d usr2 blocked %d\n", sigismember(&now, SIGUSR1),
         sigismember(&now, SIGUSR2));

  // A handler raising another signal: it runs nested.
  hits = 0;
  install(SIGUSR1, nesting, 0, 0);
  install(SIGUSR2, nesting, 0, 0);
  raise(SIGUSR1);
  printf("nested: hits %d, inner ran before the outer went on %d\n", hits, nested_seen == 2);

  // SA_RESETHAND: the handler runs once, then SIG_DFL (SIGURG: ignored by default).
  hits = 0;
  install(SIGURG, plain, SA_RESETHAND, 0);
  raise(SIGURG);
  raise(SIGURG);
  struct sigaction old;
  sigaction(SIGURG, 0, &old);
  printf("SA_RESETHAND: hits %d, now default %d\n", hits, old.sa_handler == SIG_DFL);

  // SIG_IGN and signals ignored by default.
  signal(SIGUSR1, SIG_IGN);
  printf("ignored raise %d\n", raise(SIGUSR1));
  printf("SIGCHLD %d SIGWINCH %d SIGCONT %d\n", raise(SIGCHLD), raise(SIGWINCH), raise(SIGCONT));

  // Pending: standard signals coalesce, real-time ones queue in order with their values.
  hits = 0;
  install(SIGUSR1, plain, 0, 0);
  block(SIGUSR1, SIG_BLOCK);
  raise(SIGUSR1);
  raise(SIGUSR1);
  raise(SIGUSR1);
  sigset_t pend;
  sigpending(&pend);
  printf("pending usr1 %d usr2 %d, hits %d\n", sigismember(&pend, SIGUSR1),
         sigismember(&pend, SIGUSR2), hits);
  block(SIGUSR1, SIG_UNBLOCK);
  printf("unblocked: hits %d\n", hits);
  hits = 0;
  install_info(SIGRTMIN + 1, with_info, 0);
  block(SIGRTMIN + 1, SIG_BLOCK);
  for (int k = 1; k <= 3; ++k) {
    v.sival_int = k * 100;
    sigqueue(getpid(), SIGRTMIN + 1, v);
  }
  block(SIGRTMIN + 1, SIG_UNBLOCK);
  printf("real-time: hits %d, last value %ld\n", hits, last_value);

  // sigsuspend ends with the pending signal's handler and restores the mask.
  hits = 0;
  block(SIGUSR1, SIG_BLOCK);
  raise(SIGUSR1);
  sigset_t none;
  sigemptyset(&none);
  r = sigsuspend(&none);
  printf("sigsuspend %d errno %d (EINTR %d) hits %d\n", r, errno, EINTR, hits);
  sigprocmask(SIG_BLOCK, 0, &now);
  printf("mask restored: usr1 blocked %d\n", sigismember(&now, SIGUSR1));

  // sigtimedwait takes a pending signal without its handler; nothing pending: EAGAIN.
  raise(SIGUSR1);
  sigset_t want;
  sigemptyset(&want);
  sigaddset(&want, SIGUSR1);
  siginfo_t si;
  struct timespec zero = {0, 0};
  r = sigtimedwait(&want, &si, &zero);
  printf("sigtimedwait %d code %d hits %d\n", r, si.si_code, hits);
  r = sigtimedwait(&want, &si, &zero);
  printf("sigtimedwait(empty) %d errno %d (EAGAIN %d)\n", r, errno, EAGAIN);
  block(SIGUSR1, SIG_UNBLOCK);

  // SA_ONSTACK: the handler runs on the alternate stack, which reports SS_ONSTACK there.
  stack_t ss = {.ss_sp = alt_stack, .ss_size = sizeof alt_stack, .ss_flags = 0};
  sigaltstack(&ss, 0);
  install(SIGUSR2, alt_handler, SA_ONSTACK, 0);
  raise(SIGUSR2);
  printf("on the alternate stack %d, SS_ONSTACK seen %d\n", on_alt % 10, on_alt / 10);
  install(SIGUSR2, alt_handler, 0, 0);
  raise(SIGUSR2);
  printf("without SA_ONSTACK: on it %d\n", on_alt);
  stack_t cur;
  sigaltstack(0, &cur);
  printf("outside the handler: flags %d\n", cur.ss_flags);

  // Faults caught and left with siglongjmp.
  install_info(SIGSEGV, fault_jump, 0);
  int* volatile bad = (int*)8;
  if (sigsetjmp(jump, 1) == 0) *bad = 1;
  printf("SIGSEGV write: sig %d code %d (SEGV_MAPERR %d) addr %p\n", last_sig, last_code,
         SEGV_MAPERR, (void*)last_addr);
  ro_page = mmap(0, 4096, PROT_READ, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
  if (sigsetjmp(jump, 1) == 0) ro_page[16] = 1;
  printf("SIGSEGV read-only: code %d (SEGV_ACCERR %d) addr is page+16 %d\n", last_code,
         SEGV_ACCERR, (char*)last_addr == ro_page + 16);
  sigprocmask(SIG_BLOCK, 0, &now);
  printf("siglongjmp restored the mask: segv blocked %d\n", sigismember(&now, SIGSEGV));
  install_info(SIGILL, fault_jump, 0);
  if (sigsetjmp(jump, 1) == 0) __asm__ volatile(".inst 0x00000000");  // UDF #0
  // Linux says ILL_ILLOPC for an undefined instruction, QEMU ILL_ILLOPN (the unit tests check
  // kvrm's value).
  printf("SIGILL: sig %d code ILL_ILLOPC or ILL_ILLOPN %d\n", last_sig,
         last_code == ILL_ILLOPC || last_code == ILL_ILLOPN);
  install_info(SIGTRAP, fault_jump, 0);
  if (sigsetjmp(jump, 1) == 0) __asm__ volatile("brk #7");
  printf("SIGTRAP: sig %d code %d (TRAP_BRKPT %d)\n", last_sig, last_code, TRAP_BRKPT);

  // A handler that makes the page writable and returns: the store is executed again.
  hits = 0;
  install_info(SIGSEGV, fix_fault, 0);
  mprotect(ro_page, 4096, PROT_READ);
  ro_page[100] = 7;
  printf("fixed and retried: hits %d value %d addr ok %d\n", hits, ro_page[100],
         (char*)last_addr == ro_page + 100);

  // A handler that moves the PC past the faulting instruction through its ucontext.
  hits = 0;
  install_info(SIGILL, skip_insn, 0);
  __asm__ volatile(".inst 0x00000000");
  printf("skipped: hits %d, si_addr was the pc %d\n", hits, last_code);

  // FP state: d8 and the rounding mode come back after the handler changed them.
  install(SIGUSR1, clobber_fp, 0, 0);
  double d8;
  __asm__ volatile("fmov d8, #1.5" ::: "d8");
  raise(SIGUSR1);
  __asm__ volatile("fmov %d0, d8" : "=w"(d8));
  printf("d8 %g, rounding to nearest %d\n", d8, fegetround() == FE_TONEAREST);
  return 0;
}

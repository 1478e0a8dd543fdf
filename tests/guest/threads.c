// POSIX threads on the guest: create/join, mutexes and condition variables, barriers, TLS and
// key destructors, C11 atomics and an LDXR/STXR loop under contention, cancellation, a timed
// wait that times out, pthread_kill, sched_yield, detached threads, a pipe between threads, and
// the futex syscall's edge cases. Everything printed is deterministic (main prints after the
// joins), so the output is compared with QEMU's. With the argument "deadlock" it waits forever
// on a futex instead (kvrm reports the deadlock); with "clone3" it makes a thread through the
// raw clone3 syscall, with "robust" it locks a robust mutex whose owner died (checked by
// threads.sh: qemu-aarch64 7.2 has neither clone3 nor robust lists).
#define _GNU_SOURCE
#include <errno.h>
#include <linux/futex.h>
#include <linux/sched.h>
#include <pthread.h>
#include <sched.h>
#include <semaphore.h>
#include <signal.h>
#include <stdatomic.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/syscall.h>
#include <time.h>
#include <unistd.h>

#define CHECK(c)                                                    \
  do {                                                              \
    if (!(c)) {                                                     \
      printf("FAILED: %s (line %d)\n", #c, __LINE__);               \
      exit(1);                                                      \
    }                                                               \
  } while (0)

static long futex(uint32_t* uaddr, int op, uint32_t val, const struct timespec* ts,
                  uint32_t* uaddr2, uint32_t val3) {
  return syscall(SYS_futex, uaddr, op, val, ts, uaddr2, val3);
}

// ---- create / join ----

static void* sum_range(void* arg) {
  long n = (long)arg, s = 0;
  for (long k = 1; k <= n; ++k) s += k;
  return (void*)s;
}

static void test_create_join(void) {
  pthread_t t[8];
  for (long k = 0; k < 8; ++k) CHECK(pthread_create(&t[k], NULL, sum_range, (void*)(1000 * (k + 1))) == 0);
  long total = 0;
  for (int k = 0; k < 8; ++k) {
    void* r;
    CHECK(pthread_join(t[k], &r) == 0);
    total += (long)r;
  }
  printf("create/join: total %ld\n", total);
}

// ---- producer / consumer ----

#define QSIZE 8
static struct {
  pthread_mutex_t mu;
  pthread_cond_t not_full, not_empty;
  int buf[QSIZE], head, count, done_producers;
} q = {PTHREAD_MUTEX_INITIALIZER, PTHREAD_COND_INITIALIZER, PTHREAD_COND_INITIALIZER};

static void* producer(void* arg) {
  int base = (int)(long)arg;
  for (int k = 1; k <= 2000; ++k) {
    pthread_mutex_lock(&q.mu);
    while (q.count == QSIZE) pthread_cond_wait(&q.not_full, &q.mu);
    q.buf[(q.head + q.count) % QSIZE] = base + k;
    ++q.count;
    pthread_cond_signal(&q.not_empty);
    pthread_mutex_unlock(&q.mu);
  }
  pthread_mutex_lock(&q.mu);
  ++q.done_producers;
  pthread_cond_broadcast(&q.not_empty);
  pthread_mutex_unlock(&q.mu);
  return NULL;
}

static atomic_long consumed_sum;

static void* consumer(void* arg) {
  long sum = 0, n = 0;
  (void)arg;
  for (;;) {
    pthread_mutex_lock(&q.mu);
    while (q.count == 0 && q.done_producers < 3) pthread_cond_wait(&q.not_empty, &q.mu);
    if (q.count == 0) {
      pthread_mutex_unlock(&q.mu);
      break;
    }
    sum += q.buf[q.head];
    q.head = (q.head + 1) % QSIZE;
    --q.count;
    ++n;
    pthread_cond_signal(&q.not_full);
    pthread_mutex_unlock(&q.mu);
  }
  atomic_fetch_add(&consumed_sum, sum);
  return (void*)n;
}

static void test_producer_consumer(void) {
  pthread_t p[3], c[2];
  for (long k = 0; k < 3; ++k) pthread_create(&p[k], NULL, producer, (void*)(k * 100000));
  for (int k = 0; k < 2; ++k) pthread_create(&c[k], NULL, consumer, NULL);
  long items = 0;
  for (int k = 0; k < 3; ++k) pthread_join(p[k], NULL);
  for (int k = 0; k < 2; ++k) {
    void* r;
    pthread_join(c[k], &r);
    items += (long)r;
  }
  printf("producer/consumer: %ld items, sum %ld, queue empty %d\n", items,
         atomic_load(&consumed_sum), q.count == 0);
}

// ---- barrier ----

static pthread_barrier_t barrier;
static int phase_seen[4][3];
static atomic_int phase_count[3];

static void* barrier_worker(void* arg) {
  int id = (int)(long)arg;
  for (int round = 0; round < 3; ++round) {
    atomic_fetch_add(&phase_count[round], 1);
    pthread_barrier_wait(&barrier);
    phase_seen[id][round] = atomic_load(&phase_count[round]);  // everyone arrived: 4
    pthread_barrier_wait(&barrier);
  }
  return NULL;
}

static void test_barrier(void) {
  pthread_t t[4];
  pthread_barrier_init(&barrier, NULL, 4);
  for (long k = 0; k < 4; ++k) pthread_create(&t[k], NULL, barrier_worker, (void*)k);
  for (int k = 0; k < 4; ++k) pthread_join(t[k], NULL);
  int ok = 1;
  for (int k = 0; k < 4; ++k)
    for (int r = 0; r < 3; ++r) ok &= phase_seen[k][r] == 4;
  printf("barrier: %s\n", ok ? "every thread saw all 4 arrive in each of 3 rounds" : "WRONG");
  pthread_barrier_destroy(&barrier);
}

// ---- TLS and key destructors ----

static __thread int tls_value = 7;
static pthread_key_t key;
static atomic_int destructor_calls, destructor_sum;

static void key_destructor(void* v) {
  atomic_fetch_add(&destructor_calls, 1);
  atomic_fetch_add(&destructor_sum, (int)(long)v);
}

static void* tls_worker(void* arg) {
  int id = (int)(long)arg;
  CHECK(tls_value == 7);  // each thread starts from the initial image
  tls_value = id * 10;
  pthread_setspecific(key, (void*)(long)(id + 1));
  sched_yield();
  return (void*)(long)(tls_value + (int)(long)pthread_getspecific(key));
}

static void test_tls(void) {
  pthread_t t[4];
  pthread_key_create(&key, key_destructor);
  tls_value = 99;
  for (long k = 0; k < 4; ++k) pthread_create(&t[k], NULL, tls_worker, (void*)k);
  long sum = 0;
  for (int k = 0; k < 4; ++k) {
    void* r;
    pthread_join(t[k], &r);
    sum += (long)r;
  }
  printf("tls: main's value %d, threads' sum %ld, destructors %d (sum %d)\n", tls_value, sum,
         atomic_load(&destructor_calls), atomic_load(&destructor_sum));
}

// ---- atomics and exclusives ----

static atomic_long c11_counter;
static long excl_counter;

// A counter incremented with a hand-written load-exclusive / store-exclusive loop.
static void excl_add(long* p, long v) {
  long tmp;
  unsigned fail;
  __asm__ volatile(
      "1: ldxr %0, [%2]\n"
      "   add %0, %0, %3\n"
      "   stxr %w1, %0, [%2]\n"
      "   cbnz %w1, 1b\n"
      : "=&r"(tmp), "=&r"(fail)
      : "r"(p), "r"(v)
      : "memory");
}

static void* atomic_worker(void* arg) {
  (void)arg;
  for (int k = 0; k < 50000; ++k) {
    atomic_fetch_add(&c11_counter, 1);
    excl_add(&excl_counter, 2);
  }
  return NULL;
}

static void test_atomics(void) {
  pthread_t t[4];
  for (int k = 0; k < 4; ++k) pthread_create(&t[k], NULL, atomic_worker, NULL);
  for (int k = 0; k < 4; ++k) pthread_join(t[k], NULL);
  printf("atomics: c11 %ld, ldxr/stxr %ld\n", atomic_load(&c11_counter), excl_counter);
}

// ---- cancellation ----

static atomic_int cancel_cleanup;

static void cleanup(void* arg) { atomic_store(&cancel_cleanup, (int)(long)arg); }

static void* cancel_worker(void* arg) {
  (void)arg;
  pthread_cleanup_push(cleanup, (void*)42);
  for (;;) {
    struct timespec ts = {0, 1000000};
    nanosleep(&ts, NULL);  // a cancellation point
  }
  pthread_cleanup_pop(0);
  return NULL;
}

static void test_cancel(void) {
  pthread_t t;
  pthread_create(&t, NULL, cancel_worker, NULL);
  struct timespec ts = {0, 5000000};
  nanosleep(&ts, NULL);
  CHECK(pthread_cancel(t) == 0);
  void* r;
  pthread_join(t, &r);
  printf("cancel: %s, cleanup handler got %d\n", r == PTHREAD_CANCELED ? "canceled" : "NOT canceled",
         atomic_load(&cancel_cleanup));
}

// ---- timed wait ----

static void test_timedwait(void) {
  pthread_mutex_t mu = PTHREAD_MUTEX_INITIALIZER;
  pthread_cond_t cv = PTHREAD_COND_INITIALIZER;
  struct timespec start, until, end;
  clock_gettime(CLOCK_REALTIME, &start);
  until = start;
  until.tv_nsec += 50000000;
  if (until.tv_nsec >= 1000000000) {
    until.tv_nsec -= 1000000000;
    ++until.tv_sec;
  }
  pthread_mutex_lock(&mu);
  int r = pthread_cond_timedwait(&cv, &mu, &until);
  pthread_mutex_unlock(&mu);
  clock_gettime(CLOCK_REALTIME, &end);
  long ms = (end.tv_sec - start.tv_sec) * 1000 + (end.tv_nsec - start.tv_nsec) / 1000000;
  printf("timedwait: %s, waited at least 50 ms: %s\n", r == ETIMEDOUT ? "ETIMEDOUT" : strerror(r),
         ms >= 49 ? "yes" : "no");
}

// ---- pthread_kill ----

static volatile sig_atomic_t got_signal;
static pthread_t signal_target;
static atomic_int handler_in_target;

static void on_usr1(int s) {
  got_signal = s;
  atomic_store(&handler_in_target, pthread_equal(pthread_self(), signal_target) ? 1 : 2);
}

static void* signal_worker(void* arg) {
  (void)arg;
  while (!got_signal) sched_yield();
  return NULL;
}

static void* signal_bystander(void* arg) {
  (void)arg;
  while (!got_signal) sched_yield();
  return NULL;
}

static void test_pthread_kill(void) {
  struct sigaction sa;
  memset(&sa, 0, sizeof sa);
  sa.sa_handler = on_usr1;
  sigaction(SIGUSR1, &sa, NULL);
  pthread_t by;
  pthread_create(&by, NULL, signal_bystander, NULL);
  pthread_create(&signal_target, NULL, signal_worker, NULL);
  CHECK(pthread_kill(signal_target, SIGUSR1) == 0);
  pthread_join(signal_target, NULL);
  pthread_join(by, NULL);
  printf("pthread_kill: signal %d handled in the target thread: %s\n", (int)got_signal,
         atomic_load(&handler_in_target) == 1 ? "yes" : "no");
}

// ---- sched_yield: strict alternation ----

static atomic_int turn;
static char order[41];

static void* alternate(void* arg) {
  int me = (int)(long)arg;
  for (int k = 0; k < 20; ++k) {
    while (atomic_load(&turn) % 2 != me) sched_yield();
    int t = atomic_load(&turn);
    order[t] = (char)('A' + me);
    atomic_store(&turn, t + 1);
  }
  return NULL;
}

static void test_yield(void) {
  pthread_t a, b;
  pthread_create(&a, NULL, alternate, (void*)0);
  pthread_create(&b, NULL, alternate, (void*)1);
  pthread_join(a, NULL);
  pthread_join(b, NULL);
  printf("sched_yield: %s\n", order);
}

// ---- detached threads ----

static sem_t detached_done;
static atomic_int detached_sum;

static void* detached_worker(void* arg) {
  atomic_fetch_add(&detached_sum, (int)(long)arg);
  sem_post(&detached_done);
  return NULL;
}

static void test_detached(void) {
  sem_init(&detached_done, 0, 0);
  pthread_attr_t attr;
  pthread_attr_init(&attr);
  pthread_attr_setdetachstate(&attr, PTHREAD_CREATE_DETACHED);
  for (long k = 1; k <= 10; ++k) {
    pthread_t t;
    CHECK(pthread_create(&t, &attr, detached_worker, (void*)k) == 0);
  }
  for (int k = 0; k < 10; ++k) sem_wait(&detached_done);
  printf("detached: sum %d\n", atomic_load(&detached_sum));
}

// ---- a pipe between two threads ----

static int pipefd[2];
#define PIPE_BYTES (300 * 1024)  // more than a pipe holds: the writer blocks

// Half in pieces of 4 KiB, half in one write (which blocks until the reader has taken most).
static void* pipe_writer(void* arg) {
  (void)arg;
  static unsigned char buf[PIPE_BYTES];
  for (size_t k = 0; k < sizeof buf; ++k) buf[k] = (unsigned char)(k * 7);
  const int half = PIPE_BYTES / 2;
  for (int done = 0; done < half; done += 4096)
    CHECK(write(pipefd[1], buf + done, 4096) == 4096);
  CHECK(write(pipefd[1], buf + half, PIPE_BYTES - half) == PIPE_BYTES - half);
  close(pipefd[1]);
  return NULL;
}

static void* pipe_reader(void* arg) {
  (void)arg;
  unsigned char buf[1000];
  unsigned long sum = 0, n = 0;
  ssize_t r;
  while ((r = read(pipefd[0], buf, sizeof buf)) > 0)
    for (ssize_t k = 0; k < r; ++k) sum = sum * 31 + buf[k], ++n;
  return (void*)(n == PIPE_BYTES ? sum : 0);
}

static void test_pipe(void) {
  CHECK(pipe(pipefd) == 0);
  pthread_t w, r;
  pthread_create(&r, NULL, pipe_reader, NULL);
  pthread_create(&w, NULL, pipe_writer, NULL);
  void* sum;
  pthread_join(w, NULL);
  pthread_join(r, &sum);
  close(pipefd[0]);
  printf("pipe: %d bytes, checksum %lx\n", PIPE_BYTES, (unsigned long)sum);
}

// ---- futex edge cases ----

static uint32_t f1, f2;
static atomic_int f_waiting;

static void* futex_waiter(void* arg) {
  uint32_t* f = arg;
  atomic_fetch_add(&f_waiting, 1);
  long r = futex(f, FUTEX_WAIT_PRIVATE, 0, NULL, NULL, 0);
  return (void*)(r == 0 ? 1L : -errno);
}

static void test_futex(void) {
  uint32_t word = 5;
  long r = futex(&word, FUTEX_WAIT_PRIVATE, 6, NULL, NULL, 0);
  printf("futex: wait on a changed value: %ld %s\n", r, r < 0 ? strerrorname_np(errno) : "");
  struct timespec ts = {0, 20000000};
  r = futex(&word, FUTEX_WAIT_PRIVATE, 5, &ts, NULL, 0);
  printf("futex: wait with a 20 ms timeout: %ld %s\n", r, r < 0 ? strerrorname_np(errno) : "");
  struct timespec abs;
  clock_gettime(CLOCK_MONOTONIC, &abs);
  abs.tv_nsec += 10000000;
  if (abs.tv_nsec >= 1000000000) abs.tv_nsec -= 1000000000, ++abs.tv_sec;
  r = futex(&word, FUTEX_WAIT_BITSET_PRIVATE, 5, &abs, NULL, FUTEX_BITSET_MATCH_ANY);
  printf("futex: wait_bitset to an absolute time: %ld %s\n", r, r < 0 ? strerrorname_np(errno) : "");
  r = futex(&word, FUTEX_WAKE_PRIVATE, 1, NULL, NULL, 0);
  printf("futex: wake with no waiter: %ld\n", r);
  r = futex(&word, FUTEX_WAIT_BITSET_PRIVATE, 5, NULL, NULL, 0);
  printf("futex: wait_bitset with an empty bitset: %ld %s\n", r, r < 0 ? strerrorname_np(errno) : "");
  r = futex((uint32_t*)((char*)&word + 1), FUTEX_WAKE_PRIVATE, 1, NULL, NULL, 0);
  printf("futex: unaligned: %ld %s\n", r, r < 0 ? strerrorname_np(errno) : "");

  // Three waiters on f1, all moved to f2 (CMP_REQUEUE waking none, until the three are
  // queued), then woken through WAKE_OP, CMP_REQUEUE back to f1 and WAKE.
  pthread_t t[3];
  for (int k = 0; k < 3; ++k) pthread_create(&t[k], NULL, futex_waiter, &f1);
  long moved = 0;
  while (moved < 3) {
    r = futex(&f1, FUTEX_CMP_REQUEUE_PRIVATE, 0, (struct timespec*)10L, &f2, 0);
    CHECK(r >= 0);
    moved += r;
    if (moved < 3) sched_yield();
  }
  printf("futex: requeued to f2: %ld\n", moved);
  r = futex(&f2, FUTEX_CMP_REQUEUE_PRIVATE, 1, (struct timespec*)1L, &f1, 7);
  printf("futex: cmp_requeue with a changed value: %ld %s\n", r, r < 0 ? strerrorname_np(errno) : "");
  r = futex(&f1, FUTEX_WAKE_PRIVATE, 10, NULL, NULL, 0);
  printf("futex: wake on the old word: %ld\n", r);
  // WAKE_OP: f2 += 1 (its old value 0 == 0: one waiter of f2 is woken too).
  r = futex(&f1, FUTEX_WAKE_OP_PRIVATE, 1, (struct timespec*)1L, &f2,
            FUTEX_OP(FUTEX_OP_ADD, 1, FUTEX_OP_CMP_EQ, 0));
  printf("futex: wake_op: %ld, f2 now %u\n", r, f2);
  r = futex(&f2, FUTEX_CMP_REQUEUE_PRIVATE, 1, (struct timespec*)1L, &f1, 1);
  printf("futex: cmp_requeue: woken + requeued %ld\n", r);
  r = futex(&f1, FUTEX_WAKE_PRIVATE, 10, NULL, NULL, 0);
  printf("futex: wake the last: %ld\n", r);
  long ok = 0;
  for (int k = 0; k < 3; ++k) {
    void* v;
    pthread_join(t[k], &v);
    ok += (long)v;
  }
  printf("futex: waiters woken normally: %ld\n", ok);
}

// ---- gettid ----

static void* tid_worker(void* arg) {
  (void)arg;
  return (void*)(long)(gettid() != getpid() && gettid() > 0);
}

static void test_gettid(void) {
  pthread_t t;
  void* r;
  pthread_create(&t, NULL, tid_worker, NULL);
  pthread_join(t, &r);
  printf("gettid: main's is the pid: %d, a thread's is its own: %d\n", gettid() == getpid(),
         (int)(long)r);
}

// ---- a robust mutex whose owner exits (kvrm only: qemu-aarch64 has no robust lists) ----

static pthread_mutex_t robust;

static void* robust_owner(void* arg) {
  (void)arg;
  pthread_mutex_lock(&robust);
  return NULL;  // exits holding it: the kernel marks it FUTEX_OWNER_DIED
}

static void test_robust(void) {
  pthread_mutexattr_t a;
  pthread_mutexattr_init(&a);
  pthread_mutexattr_setrobust(&a, PTHREAD_MUTEX_ROBUST);
  pthread_mutex_init(&robust, &a);
  pthread_t t;
  pthread_create(&t, NULL, robust_owner, NULL);
  pthread_join(t, NULL);
  int r = pthread_mutex_lock(&robust);
  printf("robust mutex: lock after the owner died: %s", r == EOWNERDEAD ? "EOWNERDEAD" : strerror(r));
  printf(", consistent %d, unlock %d\n", pthread_mutex_consistent(&robust),
         pthread_mutex_unlock(&robust));
}

// ---- a signal for a thread that waits on a futex (sem_wait): without SA_RESTART the wait
// fails with EINTR (or the signal came first: no EINTR), with SA_RESTART it is restarted ----

static sem_t sem;
static volatile sig_atomic_t got_hup;

static void on_hup(int s) { got_hup = s; }

static void* sem_waiter(void* arg) {
  (void)arg;
  long eintr = 0;
  while (sem_wait(&sem) != 0 && errno == EINTR) ++eintr;
  return (void*)eintr;
}

static void test_signal_wakes_waiter(int flags) {
  struct sigaction sa;
  memset(&sa, 0, sizeof sa);
  sa.sa_handler = on_hup;
  sa.sa_flags = flags;
  sigaction(SIGHUP, &sa, NULL);
  sem_init(&sem, 0, 0);
  got_hup = 0;
  pthread_t t;
  pthread_create(&t, NULL, sem_waiter, NULL);
  struct timespec ts = {0, 10000000};
  nanosleep(&ts, NULL);  // the waiter is in sem_wait by now (most likely)
  pthread_kill(t, SIGHUP);
  nanosleep(&ts, NULL);
  sem_post(&sem);
  void* eintr;
  pthread_join(t, &eintr);
  if (flags & SA_RESTART)
    printf("signal to a waiting thread (SA_RESTART): handler ran for %d, EINTR %ld times\n",
           (int)got_hup, (long)eintr);
  else
    printf("signal to a waiting thread: handler ran for %d, then sem_wait succeeded\n",
           (int)got_hup);
}

// ---- sigaltstack is per thread ----

static char main_alt[65536], thread_alt[65536];
static volatile int on_thread_alt;

static void on_urg(int s) {
  char here;
  (void)s;
  on_thread_alt = &here >= thread_alt && &here < thread_alt + sizeof thread_alt;
}

static void* altstack_worker(void* arg) {
  (void)arg;
  stack_t cur;
  sigaltstack(NULL, &cur);
  long inherited = !(cur.ss_flags & SS_DISABLE);  // a new thread has none
  stack_t mine = {.ss_sp = thread_alt, .ss_size = sizeof thread_alt, .ss_flags = 0};
  sigaltstack(&mine, NULL);
  pthread_kill(pthread_self(), SIGURG);
  return (void*)inherited;
}

static void test_altstack(void) {
  stack_t st = {.ss_sp = main_alt, .ss_size = sizeof main_alt, .ss_flags = 0};
  sigaltstack(&st, NULL);
  struct sigaction sa;
  memset(&sa, 0, sizeof sa);
  sa.sa_handler = on_urg;
  sa.sa_flags = SA_ONSTACK;
  sigaction(SIGURG, &sa, NULL);
  pthread_t t;
  void* inherited;
  pthread_create(&t, NULL, altstack_worker, NULL);
  pthread_join(t, &inherited);
  stack_t now;
  sigaltstack(NULL, &now);
  printf("sigaltstack: a new thread inherits one: %ld, its handler ran on its own: %d, main's "
         "kept: %d\n",
         (long)inherited, on_thread_alt, now.ss_sp == main_alt && !(now.ss_flags & SS_DISABLE));
  st.ss_flags = SS_DISABLE;
  sigaltstack(&st, NULL);
}

// ---- a signal for the process, taken by the thread that does not block it ----

static volatile sig_atomic_t got_usr2;
static pthread_t usr2_thread;
static atomic_int usr2_in_thread;

static void on_usr2(int s) {
  got_usr2 = s;
  atomic_store(&usr2_in_thread, pthread_equal(pthread_self(), usr2_thread) ? 1 : 2);
}

static void* usr2_worker(void* arg) {
  (void)arg;
  sigset_t none;
  sigemptyset(&none);
  while (!got_usr2) sigsuspend(&none);
  return NULL;
}

static void test_process_signal(void) {
  struct sigaction sa;
  memset(&sa, 0, sizeof sa);
  sa.sa_handler = on_usr2;
  sigaction(SIGUSR2, &sa, NULL);
  sigset_t usr2, old;
  sigemptyset(&usr2);
  sigaddset(&usr2, SIGUSR2);
  pthread_sigmask(SIG_BLOCK, &usr2, &old);  // the worker inherits the mask: it unblocks it
  pthread_create(&usr2_thread, NULL, usr2_worker, NULL);
  kill(getpid(), SIGUSR2);
  pthread_join(usr2_thread, NULL);
  pthread_sigmask(SIG_SETMASK, &old, NULL);
  printf("kill: signal %d taken by the thread that does not block it: %s\n", (int)got_usr2,
         atomic_load(&usr2_in_thread) == 1 ? "yes" : "no");
}

// ---- clone3 (kvrm only: qemu-aarch64 7.2 answers ENOSYS) ----

// A thread through the raw syscall: it sets *flag and exits, on its own stack.
static long raw_clone3(struct clone_args* ca, volatile int* flag) {
  register long x0 __asm__("x0") = (long)ca;
  register long x1 __asm__("x1") = sizeof *ca;
  register long x2 __asm__("x2") = (long)flag;
  register long x8 __asm__("x8") = 435;
  __asm__ volatile(
      "svc #0\n"
      "cbnz x0, 1f\n"
      "mov w9, #1\n"
      "str w9, [x2]\n"
      "mov x0, #0\n"
      "mov x8, #93\n"
      "svc #0\n"
      "1:\n"
      : "+r"(x0)
      : "r"(x1), "r"(x2), "r"(x8)
      : "x9", "memory");
  return x0;
}

static int test_clone3(void) {
  static volatile int flag, ctid = 1, ptid;  // ctid: CHILD_SETTID, then 0 at its exit
  struct clone_args ca;
  memset(&ca, 0, sizeof ca);
  ca.flags = CLONE_VM | CLONE_FS | CLONE_FILES | CLONE_SIGHAND | CLONE_THREAD | CLONE_SYSVSEM |
             CLONE_PARENT_SETTID | CLONE_CHILD_SETTID | CLONE_CHILD_CLEARTID;
  ca.child_tid = (unsigned long)&ctid;
  ca.parent_tid = (unsigned long)&ptid;
  ca.stack = (unsigned long)malloc(65536);
  ca.stack_size = 65536;
  long r = raw_clone3(&ca, &flag);
  if (r < 0) {
    printf("clone3: %s\n", strerrorname_np((int)-r));
    return 1;
  }
  int v;
  while ((v = ctid) != 0) futex((uint32_t*)&ctid, FUTEX_WAIT, (uint32_t)v, NULL, NULL, 0);
  printf("clone3: a tid %d, parent_tid %d, the thread ran %d, child_tid cleared %d\n", r > 0,
         ptid == r, flag, ctid == 0);
  ca.flags |= CLONE_DETACHED;
  printf("clone3 with CLONE_DETACHED: %s\n", strerrorname_np((int)-raw_clone3(&ca, &flag)));
  ca.flags &= ~(CLONE_DETACHED | CLONE_THREAD | CLONE_SIGHAND | CLONE_VM);
  printf("clone3 of a process: %s\n", strerrorname_np((int)-raw_clone3(&ca, &flag)));
  errno = 0;
  pid_t f = fork();
  if (f == 0) _exit(0);
  printf("fork: %d %s\n", (int)f, strerrorname_np(errno));
  return 0;
}

// ---- deadlock (kvrm only: QEMU would wait forever) ----

static void* deadlock_worker(void* arg) {
  (void)arg;
  uint32_t w = 0;
  futex(&w, FUTEX_WAIT_PRIVATE, 0, NULL, NULL, 0);
  return NULL;
}

int main(int argc, char** argv) {
  setvbuf(stdout, NULL, _IOLBF, 0);
  if (argc > 1 && strcmp(argv[1], "deadlock") == 0) {
    pthread_t t;
    pthread_create(&t, NULL, deadlock_worker, NULL);
    pthread_join(t, NULL);
    return 0;
  }
  if (argc > 1 && strcmp(argv[1], "clone3") == 0) return test_clone3();
  if (argc > 1 && strcmp(argv[1], "robust") == 0) {
    test_robust();
    return 0;
  }
  test_create_join();
  test_producer_consumer();
  test_barrier();
  test_tls();
  test_atomics();
  test_cancel();
  test_timedwait();
  test_pthread_kill();
  test_yield();
  test_detached();
  test_pipe();
  test_futex();
  test_gettid();
  test_process_signal();
  test_signal_wakes_waiter(0);
  test_signal_wakes_waiter(SA_RESTART);
  test_altstack();
  return 3;
}

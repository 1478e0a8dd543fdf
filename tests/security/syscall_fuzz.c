// Syscall fuzzer, a static AArch64 guest without libc (nothing for a fuzzed call to corrupt but
// the fuzzer's own few variables): issues N syscalls with random numbers and arguments drawn from
// edge cases, seeded, then prints one summary line on fd 1:
//   syscall_fuzz: seed S calls N ok K errors E enosys U signals G
// Usage: syscall_fuzz SEED N [RW_DIR [MODE]]
//   RW_DIR: the guest path of the writable scratch directory (default /rw); created paths go
//   there. MODE, letters: b (blocking) also issues calls that may wait without end (long
//   sleeps, blocking pipes, the fifo /fifo) and memory calls over terabytes of unmapped address
//   space, so the run may end by kvrm's --timeout; t (trace)
//   prints each call on fd 1 before it is made ("call I nr NR ARGS").
// Nine calls in ten follow a signature for their number (paths where a path goes, descriptors
// where a descriptor goes; each argument one time in eight from any pool); one in ten is a
// number from 0..459 or beyond the table with arguments from any pool.
//
// The fuzzer avoids only what would end it or make further progress impossible on Linux too:
// exit/exit_group, execve/execveat (replace the program), clone/clone3/vfork (another process
// would run the same loop), rt_sigreturn (restores a garbage context), rt_sigsuspend (waits for
// a signal nobody sends); SIGKILL is never sent (it cannot be caught); handlers are its own
// (SIG_IGN or a counting handler, never SA_RESETHAND or a foreign restorer); memory calls
// (mmap with MAP_FIXED, munmap, mprotect, mremap, madvise) touch only the victim window, never
// the fuzzer's code, data, scratch or stack; the alternate stack is a valid one or none; futex
// waits always carry a timeout; fd 1 (the summary) is never closed or replaced.
typedef unsigned long u64;
typedef long i64;
typedef unsigned int u32;

// Fixed places: the scratch buffer (RW), then a read-only page, then an unmapped page; the victim
// window, the only memory the fuzzed memory calls may change.
#define SCRATCH 0x10000000UL
#define SCRATCH_SIZE 0x10000UL
#define RO_PAGE (SCRATCH + SCRATCH_SIZE)
#define GAP_PAGE (RO_PAGE + 0x1000UL)
#define VICTIM 0x20000000UL
#define VICTIM_SIZE 0x100000UL
#define ALTSTACK 0x30000000UL
#define ALTSTACK_SIZE 0x10000UL
#define EMPTY_SPAN 0x100000000000UL
// Scratch layout: random bytes, then strings, then prepared structures (timespecs, iovecs, the
// sigaction, the stack_t, open_how).
#define STR_AREA (SCRATCH + 0x8000UL)
#define STRUCT_AREA (SCRATCH + 0xc000UL)

static i64 sys6(u64 nr, u64 a0, u64 a1, u64 a2, u64 a3, u64 a4, u64 a5) {
  register u64 x8 __asm__("x8") = nr;
  register u64 x0 __asm__("x0") = a0;
  register u64 x1 __asm__("x1") = a1;
  register u64 x2 __asm__("x2") = a2;
  register u64 x3 __asm__("x3") = a3;
  register u64 x4 __asm__("x4") = a4;
  register u64 x5 __asm__("x5") = a5;
  __asm__ volatile("svc #0"
                   : "+r"(x0)
                   : "r"(x8), "r"(x1), "r"(x2), "r"(x3), "r"(x4), "r"(x5)
                   : "memory");
  return (i64)x0;
}

// The compiler may emit calls to these for loops and structure copies.
void* memset(void* d, int c, unsigned long n) {
  volatile unsigned char* p = d;
  while (n--) *p++ = (unsigned char)c;
  return d;
}
void* memcpy(void* d, const void* s, unsigned long n) {
  volatile unsigned char* p = d;
  const unsigned char* q = s;
  while (n--) *p++ = *q++;
  return d;
}

static u64 slen(const char* s) {
  u64 n = 0;
  while (s[n]) ++n;
  return n;
}
// Writes all of s to fd 1, waiting out EAGAIN (a fuzzed fcntl may have made it non-blocking).
static void put(const char* s) {
  u64 n = slen(s);
  for (int tries = 0; n && tries < 100000; ++tries) {
    i64 r = sys6(64, 1, (u64)s, n, 0, 0, 0);
    if (r > 0)
      s += r, n -= (u64)r;
    else if (r != -11 && r != -4)
      return;
  }
}
static void put_u(u64 v) {
  char b[24];
  int k = 23;
  b[k] = 0;
  do b[--k] = (char)('0' + v % 10);
  while (v /= 10);
  put(b + k);
}
static void put_x(u64 v) {
  char b[20];
  int k = 19;
  b[k] = 0;
  do b[--k] = "0123456789abcdef"[v & 15];
  while (v >>= 4);
  b[--k] = 'x';
  b[--k] = '0';
  put(b + k);
}
static u64 parse_u(const char* s) {
  u64 v = 0;
  while (*s >= '0' && *s <= '9') v = v * 10 + (u64)(*s++ - '0');
  return v;
}
static int has(const char* s, char c) {
  while (*s && *s != c) ++s;
  return *s == c;
}
static void die(const char* why) {
  put("syscall_fuzz: ");
  put(why);
  put("\n");
  sys6(94, 2, 0, 0, 0, 0, 0);
}

// xorshift64*: the whole run follows from the seed.
static u64 rng;
static u64 rnd(void) {
  rng ^= rng >> 12;
  rng ^= rng << 25;
  rng ^= rng >> 27;
  return rng * 0x2545f4914f6cdd1dUL;
}
static u64 below(u64 n) { return rnd() % n; }
#define PICK(arr) (arr)[below(sizeof(arr) / sizeof((arr)[0]))]

static volatile u64 signals_seen;
static void on_signal(int sig) {
  (void)sig;
  ++signals_seen;
}

static int blocking, trace;
static u64 my_pid;
static const char* rw = "/rw";
static int recent_fds[8];  // descriptors calls returned lately: favoured as arguments

// ---- Strings: written into the scratch buffer before each call (calls may overwrite it) ----
#define NSTR 40
static u64 str_ptr[NSTR];
static int nstr;
static char* str_next;
static void add_str(const char* a, const char* b) {
  char* p = str_next;
  str_ptr[nstr++] = (u64)p;
  while (*a) *p++ = *a++;
  if (b)
    while (*b) *p++ = *b++;
  *p++ = 0;
  str_next = p;
}
static void add_long(char c, u64 n, int slashes) {
  char* p = str_next;
  str_ptr[nstr++] = (u64)p;
  for (u64 k = 0; k < n; ++k) *p++ = (slashes && k % 2) ? '/' : c;
  *p++ = 0;
  str_next = p;
}
static void write_strings(void) {
  nstr = 0;
  str_next = (char*)STR_AREA;
  static const char* const plain[] = {"/",
                                      ".",
                                      "..",
                                      "",
                                      "../../..",
                                      "/..",
                                      "/etc/passwd",
                                      "/etc",
                                      "/proc/self/mem",
                                      "/proc/self/exe",
                                      "/proc/self/fd/0",
                                      "/proc/self/fd/3",
                                      "/proc/self/fd/1",
                                      "/dev/stdin",
                                      "/dev/fd/4",
                                      "/dev/null",
                                      "/up",
                                      "/up/etc/passwd",
                                      "/out",
                                      "/out/sentinel",
                                      "/abs",
                                      "/ro/file",
                                      "/ro/dir",
                                      "/ro/dir/link",
                                      "a",
                                      "sub/x",
                                      "/rw"};
  for (u64 k = 0; k < sizeof plain / sizeof plain[0]; ++k) add_str(plain[k], 0);
  add_str(rw, "/a");
  add_str(rw, "/b");
  add_str(rw, "/d");
  add_str(rw, "/d/x");
  add_str(rw, "/link");
  add_str(rw, "/../ro/file");
  add_str(rw, "/d/../../up/x");
  if (blocking) add_str("/fifo", 0);
  add_long('a', 255, 0);
  add_long('b', 256, 0);
  add_long('c', 4200, 1);
}

static u64 str_arg(void) {
  if (below(16) == 0) return RO_PAGE + 0x1000 - 5;  // "abcde" then the unmapped page
  if (below(32) == 0) return 0;
  return str_ptr[below((u64)nstr)];
}

// ---- Argument pools ----
static u64 fd_arg(void) {
  static const u64 odd[] = {1023, 1024, (u64)-1, (u64)-100, 0x7fffffff, 0x100000003UL, 65536};
  u64 r = below(16);
  if (r < 7) return (u64)recent_fds[below(8)];
  if (r < 14) return below(16);
  return PICK(odd);
}
static u64 dirfd_arg(void) { return below(2) ? (u64)-100 : fd_arg(); }
static u64 size_arg(void) {
  static const u64 s[] = {0,         1,      2,     7,    8,     16,        64,           255,
                          256,       4095,   4096,  4097, 65536, 1UL << 31, 0xffffffffUL, (u64)-1,
                          1UL << 63, 0x8000, 0x7fff};
  return below(8) ? PICK(s) : rnd() & (below(2) ? 0xffff : ~0UL);
}
static u64 buf_arg(void) {
  switch (below(14)) {
    case 0: return 0;
    case 1: return RO_PAGE + below(0x1000);
    case 2: return RO_PAGE - 1 - below(16);               // RW then RO
    case 3: return GAP_PAGE - 1 - below(16);              // RO then unmapped
    case 4: return GAP_PAGE + below(0x1000);              // unmapped
    case 5: return 0xffff000000000000UL + below(0x1000);  // kernel half
    case 6: return (u64)-1 - below(64);
    case 7: return 0x800000000000UL - below(2) * 8;  // the end of user space
    case 8: return VICTIM + below(VICTIM_SIZE);
    case 9: return STR_AREA + below(0x100);
    default: return SCRATCH + (below(2) ? below(0x8000) : below(0x8000) & ~7UL);
  }
}
static u64 flags_arg(void) {
  static const u64 f[] = {0,     1,      2,       0x100,   0x200,     0x400,
                          0x800, 0x1000, 0x80000, (u64)-1, 0x7fffffff};
  u64 r = below(4);
  if (r == 0) return PICK(f);
  if (r == 1) return 1UL << below(64);
  if (r == 2) return rnd() & 0xffffffffUL;
  return rnd();
}
static u64 open_flags_arg(void) {
  static const u64 f[] = {0,      1,      2,       0x40,    0x80,     0x200,    0x400, 0x800,
                          0x4000, 0x8000, 0x10000, 0x80000, 0x200000, 0x404000, 0x1000};
  u64 v = 0;
  for (u64 n = below(4); n--;) v |= PICK(f);
  if (below(16) == 0) v |= rnd() & 0xffffffff;
  if (!blocking) v |= 0x800;  // O_NONBLOCK: a fifo or a pipe reopened never waits
  return v;
}
static u64 mode_arg(void) {
  static const u64 m[] = {0, 0777, 0644, 0600, 07777, 0xffffffff, 0100644, 020000};
  return below(4) ? PICK(m) : rnd();
}
static u64 int_arg(void) {
  static const u64 v[] = {(u64)-1, 0x80000000UL, 0x7fffffff, 0xffffffff, 1UL << 32, (u64)-2};
  u64 r = below(8);
  if (r < 5) return below(22);
  if (r < 7) return PICK(v);
  return rnd();
}
static u64 off_arg(void) {
  static const u64 o[] = {
      0, 1, (u64)-1, 4096, 1UL << 62, (u64)-4096, 0x7fffffffffffffffUL, 1UL << 31, 1UL << 32};
  return below(4) ? PICK(o) : rnd() & 0xfffff;
}
static u64 sig_arg(void) {
  u64 r = below(8);
  if (r < 5) return 1 + below(64);
  if (r == 5) return 0;
  if (r == 6) return 65 + below(4);
  return rnd();
}
static u64 pid_arg(void) {
  static const u64 p[] = {0, (u64)-1, 1, 0x7fffffff, 0x80000000UL, 2};
  return below(2) ? my_pid : PICK(p);
}
// A timespec: a few fixed ones in the structure area, or a bad pointer.
static u64 time_arg(void) {
  i64* t = (i64*)STRUCT_AREA;
  static const i64 v[][2] = {{0, 0}, {0, 1000}, {0, 999999}, {0, 1000000000}, {-1, 0}, {0, -1}};
  u64 k = below(8);
  if (k < 6) {
    t[0] = v[k][0], t[1] = v[k][1];
    return (u64)t;
  }
  if (k == 6 && blocking) {
    t[0] = 1000000000, t[1] = 0;  // about 31 years
    return (u64)t;
  }
  return buf_arg();
}
// An iovec array in the structure area over scratch or bad buffers.
static u64 iov_arg(void) {
  u64* v = (u64*)(STRUCT_AREA + 0x100);
  for (int k = 0; k < 8; ++k) {
    v[2 * k] = buf_arg();
    v[2 * k + 1] = below(2) ? below(0x200) : size_arg();
  }
  return below(8) ? (u64)v : buf_arg();
}
// Memory calls: an (address, length) inside the victim window, or one no kernel accepts.
static void victim_range(u64* addr, u64* len) {
  u64 r = below(8);
  if (r < 6) {
    u64 a = VICTIM + (below(VICTIM_SIZE / 0x1000) << 12);
    if (r == 0) a += 1 + below(0xfff);  // unaligned
    u64 room = VICTIM + VICTIM_SIZE - a;
    *addr = a;
    *len = below(4) ? (below(room / 0x1000 + 1) << 12) : below(room + 1);
  } else if (r == 6 && blocking && below(2)) {
    // Terabytes of address space with nothing mapped (far below the mmap area, far above
    // brk): as cheap on Linux as any other range.
    *addr = EMPTY_SPAN;
    *len = (below(EMPTY_SPAN >> 12) + 1) << 12;
  } else if (r == 6) {
    *addr = 0xffff000000000000UL + (below(16) << 12);
    *len = size_arg();
  } else {
    *addr = VICTIM + (below(VICTIM_SIZE / 0x1000) << 12);
    *len = 1UL << (48 + below(16));  // past the user address space: EINVAL/ENOMEM
  }
}

// ---- Signatures: f fd, F dirfd, p path, b buffer, n size, o open flags, m mode, i small int,
// l flags, w offset, t timespec, s signal, P pid, v iovec, x anything ----
struct sig {
  unsigned short nr;
  char args[7];
};
static const struct sig sigs[] = {
    {17, "bn"},     {23, "f"},      {24, "ffl"},    {25, "fix"},     {29, "fxb"},    {32, "fi"},
    {33, "Fpmx"},   {34, "Fpm"},    {35, "Fpl"},    {36, "pFp"},     {37, "FpFpl"},  {38, "FpFp"},
    {43, "pb"},     {44, "fb"},     {45, "pw"},     {46, "fw"},      {47, "fiww"},   {48, "Fpi"},
    {49, "p"},      {50, "f"},      {51, "p"},      {52, "fm"},      {53, "Fpml"},   {54, "Fpiil"},
    {55, "fii"},    {56, "Fpom"},   {57, "f"},      {59, "bo"},      {61, "fbn"},    {62, "fwi"},
    {63, "fbn"},    {64, "fbn"},    {65, "fvi"},    {66, "fvi"},     {67, "fbnw"},   {68, "fbnw"},
    {69, "fviw"},   {70, "fviw"},   {71, "ffbn"},   {72, "ibbbtb"},  {73, "bitbn"},  {76, "fbfbnl"},
    {78, "Fpbn"},   {79, "Fpbl"},   {80, "fb"},     {81, ""},        {82, "f"},      {83, "f"},
    {88, "Fpbl"},   {96, "b"},      {98, "bixtbx"}, {99, "bn"},      {101, "tb"},    {113, "ib"},
    {114, "ib"},    {115, "iltb"},  {123, "Pnb"},   {124, ""},       {129, "Ps"},    {130, "Ps"},
    {131, "PPs"},   {132, "xb"},    {134, "sxbn"},  {135, "ibbn"},   {136, "bn"},    {137, "bbtn"},
    {138, "Psb"},   {153, "b"},     {160, "b"},     {163, "ib"},     {164, "ib"},    {166, "m"},
    {167, "ixxxx"}, {169, "bb"},    {172, ""},      {173, ""},       {174, ""},      {175, ""},
    {176, ""},      {177, ""},      {178, ""},      {179, "b"},      {214, "x"},     {215, "x"},
    {216, "x"},     {222, "x"},     {226, "x"},     {233, "x"},      {240, "PPsb"},  {261, "Pibb"},
    {267, "f"},     {276, "FpFpl"}, {278, "bnl"},   {285, "fbfbnl"}, {291, "Fplxb"}, {293, "bnlx"},
    {436, "ffl"},   {437, "Fpbn"},  {439, "Fpil"},  {452, "Fpml"},
};

static u64 any_arg(void);
static u64 typed(char c) {
  switch (c) {
    case 'f': return fd_arg();
    case 'F': return dirfd_arg();
    case 'p': return str_arg();
    case 'b': return buf_arg();
    case 'n': return size_arg();
    case 'o': return open_flags_arg();
    case 'm': return mode_arg();
    case 'i': return int_arg();
    case 'l': return flags_arg();
    case 'w': return off_arg();
    case 't': return time_arg();
    case 's': return sig_arg();
    case 'P': return pid_arg();
    case 'v': return iov_arg();
    default: return any_arg();
  }
}
static u64 any_arg(void) {
  switch (below(12)) {
    case 0: return fd_arg();
    case 1: return str_arg();
    case 2:
    case 3: return buf_arg();
    case 4: return size_arg();
    case 5: return flags_arg();
    case 6: return int_arg();
    case 7: return off_arg();
    case 8: return time_arg();
    case 9: return mode_arg();
    default: return rnd();
  }
}

// True for the numbers the fuzzer never issues (see the top of the file).
static int skipped(u64 nr) {
  return nr == 93 || nr == 94 || nr == 139 || nr == 133 || nr == 220 || nr == 435 || nr == 221 ||
         nr == 281 || nr == 1079;
}

// The fix-ups that keep the run going (see the top of the file).
static void fix_up(u64 nr, u64* a) {
  switch (nr) {
    case 57:  // close: never fd 1
      if ((u32)a[0] == 1 && a[0] >> 32 == 0) a[0] = 1023;
      break;
    case 24:  // dup3: never onto fd 1
      if ((u32)a[1] == 1) a[1] = 1023;
      break;
    case 436:  // close_range: never over fd 1
      if ((u32)a[0] <= 1) a[0] = 2;
      break;
    case 25:  // fcntl F_DUPFD(_CLOEXEC) is harmless; F_SETFL keeps pipes non-blocking
      if (!blocking && a[1] == 4) a[2] |= 0x800;
      break;
    case 59:  // pipe2
      if (!blocking) a[1] |= 0x800;
      break;
    case 98:  // futex: a wait always carries a timeout (no thread could wake it), bounded unless
              // blocking (at most 1 ms relative; an absolute one of that size is long past)
      a[3] = time_arg();
      if (!a[3]) a[3] = STRUCT_AREA;
      if (!blocking) {
        i64* t = (i64*)(STRUCT_AREA + 0x40);
        t[0] = 0, t[1] = (i64)below(1000000);
        a[3] = (u64)t;
      }
      break;
    case 101:
    case 115:
    case 137:
    case 72:
    case 73:  // waits: bounded unless blocking
      if (!blocking) {
        i64* t = (i64*)(STRUCT_AREA + 0x40);
        t[0] = 0, t[1] = (i64)below(1000000);
        if (nr == 101) a[0] = (u64)t;
        // Relative, on CLOCK_REALTIME or CLOCK_MONOTONIC: the CPU-time clocks of a sleeping
        // single-threaded process never advance, an absolute time may lie years ahead.
        if (nr == 115) a[0] = below(2), a[1] &= ~1UL, a[2] = (u64)t;
        if (nr == 137 || nr == 73) a[2] = (u64)t;
        if (nr == 72) a[4] = (u64)t;
      }
      break;
    case 129:
    case 130:  // kill, tkill: never SIGKILL
      if ((u32)a[1] == 9) a[1] = 0;
      break;
    case 131:
    case 138:
      if (nr == 131 ? (u32)a[2] == 9 : (u32)a[1] == 9) nr == 131 ? (a[2] = 0) : (a[1] = 0);
      break;
    case 240:
      if ((u32)a[2] == 9) a[2] = 0;
      break;
    case 132: {  // sigaltstack: none, a query, or the valid alternate stack
      u64* ss = (u64*)(STRUCT_AREA + 0x200);
      ss[0] = ALTSTACK, ss[1] = below(4) ? 0 : 1 + below(4), ss[2] = ALTSTACK_SIZE;
      if (below(4) == 0) ss[2] = below(0x4000);  // too small: ENOMEM
      a[0] = below(2) ? (u64)ss : 0;
      break;
    }
    case 134: {  // rt_sigaction: the fuzzer's own handler or SIG_IGN, random mask and flags
      u64* sa = (u64*)(STRUCT_AREA + 0x240);
      sa[0] = below(2) ? (u64)on_signal : 1;
      // SA_SIGINFO, SA_ONSTACK, SA_RESTART, SA_NODEFER, SA_NOCLDSTOP, SA_NOCLDWAIT
      sa[1] = rnd() & (4 | 0x08000000 | 0x10000000 | 0x40000000 | 1 | 2);
      sa[2] = 0;
      sa[3] = rnd();
      a[1] = below(4) ? (u64)sa : 0;
      break;
    }
    case 214: break;  // brk: anything (the fuzzer has no heap)
    case 215:
    case 226:
    case 233: victim_range(&a[0], &a[1]); break;
    case 216: {  // mremap: old range in the window; a new fixed address too
      victim_range(&a[0], &a[1]);
      u64 na, nl;
      victim_range(&na, &nl);
      a[2] = below(2) ? nl : size_arg();
      a[3] = below(4);
      a[4] = na;
      if (a[3] & 2) a[2] = nl;  // MREMAP_FIXED: stays in the window
      break;
    }
    case 222: {  // mmap: MAP_FIXED only in the window
      u64 addr, len;
      victim_range(&addr, &len);
      a[0] = below(4) ? addr : 0;
      a[1] = below(4) ? len : size_arg();
      a[2] = below(8);
      static const u64 fl[] = {0x22, 0x32, 0x02, 0x01, 0x03, 0x100022, 0x4022, 0x20};
      a[3] = below(8) ? PICK(fl) : rnd() & 0xfffff;
      if ((a[3] & 0x10) &&
          (a[0] < VICTIM || a[0] + a[1] > VICTIM + VICTIM_SIZE || a[0] + a[1] < a[0]))
        a[3] &= ~0x10UL;
      if (a[3] & 0x10 && !(a[0] >= VICTIM && a[0] < VICTIM + VICTIM_SIZE)) a[3] &= ~0x10UL;
      a[4] = below(2) ? (u64)-1 : fd_arg();
      a[5] = below(2) ? 0 : off_arg();
      break;
    }
  }
}

static void setup_memory(void) {
  // mmap(addr, len, prot, MAP_PRIVATE | MAP_ANONYMOUS | MAP_FIXED, -1, 0)
  if (sys6(222, SCRATCH, SCRATCH_SIZE + 0x1000, 3, 0x32, (u64)-1, 0) != (i64)SCRATCH ||
      sys6(222, VICTIM, VICTIM_SIZE, 3, 0x32, (u64)-1, 0) != (i64)VICTIM ||
      sys6(222, ALTSTACK, ALTSTACK_SIZE, 3, 0x32, (u64)-1, 0) != (i64)ALTSTACK)
    die("cannot map the scratch memory");
  char* tail = (char*)(RO_PAGE + 0x1000 - 5);
  for (int k = 0; k < 5; ++k) tail[k] = (char)('a' + k);
  sys6(215, GAP_PAGE, 0x1000, 0, 0, 0, 0);
  if (sys6(226, RO_PAGE, 0x1000, 1, 0, 0, 0) != 0) die("cannot protect the read-only page");
  // Every catchable signal: the counting handler (no SA_RESTORER: kvrm's trampoline returns).
  u64 sa[4] = {(u64)on_signal, 0x10000000 /* SA_RESTART */, 0, 0};
  for (u64 s = 1; s <= 64; ++s)
    if (s != 9 && s != 19) sys6(134, s, (u64)sa, 0, 8, 0, 0);
}

static void run(u64 seed, u64 n) {
  u64 ok = 0, errors = 0, enosys = 0;
  rng = seed * 0x9e3779b97f4a7c15UL + 1;
  for (int k = 0; k < 8; ++k) recent_fds[k] = k < 3 ? k : 3 + k;
  // A few files to work on, opened read-only and inside the scratch directory.
  static const char* const start[] = {"/etc/passwd", "/ro/dir", "/"};
  for (u64 k = 0; k < 3; ++k) {
    write_strings();
    i64 fd = sys6(56, (u64)-100, (u64)start[k], 0, 0, 0, 0);
    if (fd >= 0) recent_fds[3 + k] = (int)fd;
  }
  for (u64 i = 0; i < n; ++i) {
    write_strings();
    // A few random bytes in the scratch buffer for calls that read structures from it.
    u64* junk = (u64*)(SCRATCH + (below(0x80) << 8));
    for (int k = 0; k < 32; ++k) junk[k] = below(2) ? rnd() : below(64);
    u64 nr, a[6];
    u64 r = below(10);
    if (r < 9) {
      const struct sig* s = &sigs[below(sizeof sigs / sizeof sigs[0])];
      nr = s->nr;
      int k = 0;
      for (; s->args[k] && k < 6; ++k) a[k] = below(8) ? typed(s->args[k]) : any_arg();
      for (; k < 6; ++k) a[k] = any_arg();
    } else {
      static const u64 odd[] = {
          460, 461, 500, 511, 512, 1024, 0xffffffffUL, (u64)-1, 0x100000000UL + 172, 1UL << 63};
      nr = below(8) ? below(460) : PICK(odd);
      for (int k = 0; k < 6; ++k) a[k] = any_arg();
    }
    if (skipped(nr)) continue;
    fix_up(nr, a);
    if (trace) {
      put("call ");
      put_u(i);
      put(" nr ");
      put_u(nr);
      for (int k = 0; k < 6; ++k) put(" "), put_x(a[k]);
      put("\n");
    }
    i64 ret = sys6(nr, a[0], a[1], a[2], a[3], a[4], a[5]);
    if (ret == -38)
      ++enosys;
    else if (ret < 0 && ret > -4096)
      ++errors;
    else
      ++ok;
    if (ret >= 0 && ret < 1024 &&
        (nr == 56 || nr == 23 || nr == 24 || nr == 437 ||
         (nr == 25 && (a[1] == 0 || a[1] == 1030))))
      recent_fds[below(8)] = (int)ret;
  }
  put("\nsyscall_fuzz: seed ");
  put_u(seed);
  put(" calls ");
  put_u(n);
  put(" ok ");
  put_u(ok);
  put(" errors ");
  put_u(errors);
  put(" enosys ");
  put_u(enosys);
  put(" signals ");
  put_u(signals_seen);
  put("\n");
}

__attribute__((used)) static void start_c(u64* sp) {
  u64 argc = sp[0];
  char** argv = (char**)(sp + 1);
  if (argc < 3) die("usage: syscall_fuzz SEED N [RW_DIR [MODE]]");
  if (argc > 3) rw = argv[3];
  blocking = argc > 4 && has(argv[4], 'b');
  trace = argc > 4 && has(argv[4], 't');
  my_pid = (u64)sys6(172, 0, 0, 0, 0, 0, 0);
  setup_memory();
  run(parse_u(argv[1]), parse_u(argv[2]));
  sys6(94, 0, 0, 0, 0, 0, 0);
}

// The entry: sp points at argc; no libc to initialise.
__asm__(
    ".globl _start\n"
    "_start:\n"
    "  mov x0, sp\n"
    "  and sp, x0, #~15\n"
    "  bl start_c\n"
    "  brk #0\n");

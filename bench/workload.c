// The batch benchmark's workload: a small data-processing job of the kind one runs over
// thousands of inputs. It reads CSV records "name,quantity,price" from stdin, sorts them by name
// and quantity, sums them up per name, prints the five names with the highest turnover and a
// SHA-256 digest of the sorted records. Built static for AArch64 (bench/CMakeLists.txt); run
// over bench/gen_inputs.py's inputs by bench/batch_vs_qemu.sh.
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

// ---- SHA-256 (FIPS 180-4) -------------------------------------------------------------------

typedef struct {
  uint32_t h[8];
  uint64_t len;
  unsigned char buf[64];
  size_t used;
} Sha256;

static const uint32_t K[64] = {
    0x428a2f98, 0x71374491, 0xb5c0fbcf, 0xe9b5dba5, 0x3956c25b, 0x59f111f1, 0x923f82a4,
    0xab1c5ed5, 0xd807aa98, 0x12835b01, 0x243185be, 0x550c7dc3, 0x72be5d74, 0x80deb1fe,
    0x9bdc06a7, 0xc19bf174, 0xe49b69c1, 0xefbe4786, 0x0fc19dc6, 0x240ca1cc, 0x2de92c6f,
    0x4a7484aa, 0x5cb0a9dc, 0x76f988da, 0x983e5152, 0xa831c66d, 0xb00327c8, 0xbf597fc7,
    0xc6e00bf3, 0xd5a79147, 0x06ca6351, 0x14292967, 0x27b70a85, 0x2e1b2138, 0x4d2c6dfc,
    0x53380d13, 0x650a7354, 0x766a0abb, 0x81c2c92e, 0x92722c85, 0xa2bfe8a1, 0xa81a664b,
    0xc24b8b70, 0xc76c51a3, 0xd192e819, 0xd6990624, 0xf40e3585, 0x106aa070, 0x19a4c116,
    0x1e376c08, 0x2748774c, 0x34b0bcb5, 0x391c0cb3, 0x4ed8aa4a, 0x5b9cca4f, 0x682e6ff3,
    0x748f82ee, 0x78a5636f, 0x84c87814, 0x8cc70208, 0x90befffa, 0xa4506ceb, 0xbef9a3f7,
    0xc67178f2};

static uint32_t ror(uint32_t x, int n) { return (x >> n) | (x << (32 - n)); }

static void sha_block(Sha256* s, const unsigned char* p) {
  uint32_t w[64];
  for (int i = 0; i < 16; ++i)
    w[i] = (uint32_t)p[4 * i] << 24 | (uint32_t)p[4 * i + 1] << 16 | (uint32_t)p[4 * i + 2] << 8 |
           p[4 * i + 3];
  for (int i = 16; i < 64; ++i) {
    uint32_t s0 = ror(w[i - 15], 7) ^ ror(w[i - 15], 18) ^ (w[i - 15] >> 3);
    uint32_t s1 = ror(w[i - 2], 17) ^ ror(w[i - 2], 19) ^ (w[i - 2] >> 10);
    w[i] = w[i - 16] + s0 + w[i - 7] + s1;
  }
  uint32_t a = s->h[0], b = s->h[1], c = s->h[2], d = s->h[3], e = s->h[4], f = s->h[5],
           g = s->h[6], h = s->h[7];
  for (int i = 0; i < 64; ++i) {
    uint32_t t1 = h + (ror(e, 6) ^ ror(e, 11) ^ ror(e, 25)) + ((e & f) ^ (~e & g)) + K[i] + w[i];
    uint32_t t2 = (ror(a, 2) ^ ror(a, 13) ^ ror(a, 22)) + ((a & b) ^ (a & c) ^ (b & c));
    h = g, g = f, f = e, e = d + t1, d = c, c = b, b = a, a = t1 + t2;
  }
  s->h[0] += a, s->h[1] += b, s->h[2] += c, s->h[3] += d;
  s->h[4] += e, s->h[5] += f, s->h[6] += g, s->h[7] += h;
}

static void sha_init(Sha256* s) {
  static const uint32_t iv[8] = {0x6a09e667, 0xbb67ae85, 0x3c6ef372, 0xa54ff53a,
                                 0x510e527f, 0x9b05688c, 0x1f83d9ab, 0x5be0cd19};
  memcpy(s->h, iv, sizeof iv);
  s->len = 0;
  s->used = 0;
}

static void sha_update(Sha256* s, const void* data, size_t n) {
  const unsigned char* p = data;
  s->len += n;
  while (n > 0) {
    size_t k = 64 - s->used < n ? 64 - s->used : n;
    memcpy(s->buf + s->used, p, k);
    s->used += k, p += k, n -= k;
    if (s->used == 64) sha_block(s, s->buf), s->used = 0;
  }
}

static void sha_final(Sha256* s, unsigned char out[32]) {
  uint64_t bits = s->len * 8;
  unsigned char pad = 0x80;
  sha_update(s, &pad, 1);
  pad = 0;
  while (s->used != 56) sha_update(s, &pad, 1);
  unsigned char len[8];
  for (int i = 0; i < 8; ++i) len[i] = (unsigned char)(bits >> (56 - 8 * i));
  sha_update(s, len, 8);
  for (int i = 0; i < 8; ++i)
    for (int j = 0; j < 4; ++j) out[4 * i + j] = (unsigned char)(s->h[i] >> (24 - 8 * j));
}

// ---- Records ------------------------------------------------------------------------------------

typedef struct {
  char name[24];
  long quantity;
  long price;  // cents
} Record;

typedef struct {
  const char* name;
  long count, quantity;
  long long turnover;
} Total;

static int by_name_quantity(const void* a, const void* b) {
  const Record *x = a, *y = b;
  int c = strcmp(x->name, y->name);
  if (c) return c;
  return (x->quantity > y->quantity) - (x->quantity < y->quantity);
}

static int by_turnover(const void* a, const void* b) {
  const Total *x = a, *y = b;
  if (x->turnover != y->turnover) return x->turnover < y->turnover ? 1 : -1;
  return strcmp(x->name, y->name);
}

static char* read_all(size_t* len) {
  size_t cap = 1 << 16;
  char* buf = malloc(cap + 1);
  *len = 0;
  for (;;) {
    if (*len == cap) buf = realloc(buf, (cap *= 2) + 1);
    ssize_t n = read(0, buf + *len, cap - *len);
    if (n < 0) {
      perror("workload: read");
      exit(1);
    }
    if (n == 0) break;
    *len += (size_t)n;
  }
  buf[*len] = 0;
  return buf;
}

int main(void) {
  size_t len;
  char* text = read_all(&len);
  size_t cap = 1024, n = 0, bad = 0;
  Record* recs = malloc(cap * sizeof *recs);
  for (char* line = strtok(text, "\n"); line; line = strtok(NULL, "\n")) {
    char* c1 = strchr(line, ',');
    char* c2 = c1 ? strchr(c1 + 1, ',') : NULL;
    if (!c2 || c1 - line >= (long)sizeof recs[0].name || c1 == line) {
      ++bad;
      continue;
    }
    if (n == cap) recs = realloc(recs, (cap *= 2) * sizeof *recs);
    memcpy(recs[n].name, line, (size_t)(c1 - line));
    recs[n].name[c1 - line] = 0;
    recs[n].quantity = strtol(c1 + 1, NULL, 10);
    recs[n].price = strtol(c2 + 1, NULL, 10);
    ++n;
  }
  qsort(recs, n, sizeof *recs, by_name_quantity);

  Sha256 sha;
  sha_init(&sha);
  Total* totals = malloc((n + 1) * sizeof *totals);
  size_t names = 0;
  for (size_t i = 0; i < n; ++i) {
    char line[80];
    int k = snprintf(line, sizeof line, "%s,%ld,%ld\n", recs[i].name, recs[i].quantity,
                     recs[i].price);
    sha_update(&sha, line, (size_t)k);
    if (names == 0 || strcmp(totals[names - 1].name, recs[i].name) != 0) {
      totals[names].name = recs[i].name;
      totals[names].count = totals[names].quantity = totals[names].turnover = 0;
      ++names;
    }
    Total* t = &totals[names - 1];
    t->count += 1;
    t->quantity += recs[i].quantity;
    t->turnover += (long long)recs[i].quantity * recs[i].price;
  }
  unsigned char digest[32];
  sha_final(&sha, digest);
  qsort(totals, names, sizeof *totals, by_turnover);

  printf("records %zu (skipped %zu), names %zu\n", n, bad, names);
  for (size_t i = 0; i < names && i < 5; ++i)
    printf("%zu. %-16s %6ld items %6ld units %12lld.%02lld\n", i + 1, totals[i].name,
           totals[i].count, totals[i].quantity, totals[i].turnover / 100,
           totals[i].turnover % 100);
  printf("sha256 ");
  for (int i = 0; i < 32; ++i) printf("%02x", digest[i]);
  printf("\n");
  return bad ? 2 : 0;
}

// qsort and bsearch: integers (ascending, descending, with duplicates), strings (strcmp and a
// case-insensitive comparator), structs by several keys, sizes from 0 to 10000, an already
// sorted and a reversed array; each result checked and summarised deterministically.
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

static unsigned seed = 12345;
static unsigned next(void) {
  seed = seed * 1103515245u + 12345u;
  return seed >> 8;
}

static int up(const void* a, const void* b) {
  int x = *(const int*)a, y = *(const int*)b;
  return (x > y) - (x < y);
}
static int down(const void* a, const void* b) { return up(b, a); }
static int by_str(const void* a, const void* b) {
  return strcmp(*(char* const*)a, *(char* const*)b);
}
static int by_str_nocase(const void* a, const void* b) {
  int c = strcasecmp(*(char* const*)a, *(char* const*)b);
  return c ? c : strcmp(*(char* const*)a, *(char* const*)b);
}

struct person {
  char name[12];
  int age;
  double score;
  int id;
};
static int by_age_score_id(const void* a, const void* b) {
  const struct person *p = a, *q = b;
  if (p->age != q->age) return p->age - q->age;
  if (p->score != q->score) return p->score < q->score ? 1 : -1;  // higher score first
  return p->id - q->id;
}

static unsigned long digest(const int* v, int n) {
  unsigned long h = 1469598103934665603ul;
  for (int k = 0; k < n; ++k) h = (h ^ (unsigned)v[k]) * 1099511628211ul;
  return h;
}

static void ints(int n, int range, const char* what) {
  int* v = malloc((n ? n : 1) * sizeof *v);
  for (int k = 0; k < n; ++k) v[k] = (int)(next() % range) - range / 2;
  qsort(v, n, sizeof *v, up);
  int ok = 1;
  for (int k = 1; k < n; ++k) ok &= v[k - 1] <= v[k];
  printf("%s n=%d sorted %d digest %016lx", what, n, ok, digest(v, n));
  if (n) printf(" min %d max %d median %d", v[0], v[n - 1], v[n / 2]);
  printf("\n");
  qsort(v, n, sizeof *v, down);
  ok = 1;
  for (int k = 1; k < n; ++k) ok &= v[k - 1] >= v[k];
  printf("  descending %d digest %016lx\n", ok, digest(v, n));
  if (n) {
    qsort(v, n, sizeof *v, up);
    int key = v[n / 3], missing = range;
    int* hit = bsearch(&key, v, n, sizeof *v, up);
    printf("  bsearch %d -> %d, %d -> %s\n", key, hit ? *hit : -1, missing,
           bsearch(&missing, v, n, sizeof *v, up) ? "found" : "absent");
    qsort(v, n, sizeof *v, up);  // already sorted
    printf("  sorted again digest %016lx\n", digest(v, n));
  }
  free(v);
}

int main(void) {
  ints(0, 10, "empty");
  ints(1, 10, "one");
  ints(2, 10, "two");
  ints(17, 5, "few values");
  ints(1000, 1000000, "thousand");
  ints(10000, 100, "many duplicates");
  ints(10000, 2000000000, "ten thousand");

  char* words[] = {"pear", "Apple", "banana", "apple", "Cherry", "cherry", "date", "Banana",
                   "fig", "elderberry", "grape", "", "kiwi", "apple"};
  const int nw = sizeof words / sizeof words[0];
  qsort(words, nw, sizeof words[0], by_str);
  printf("strcmp:");
  for (int k = 0; k < nw; ++k) printf(" '%s'", words[k]);
  printf("\n");
  qsort(words, nw, sizeof words[0], by_str_nocase);
  printf("nocase:");
  for (int k = 0; k < nw; ++k) printf(" '%s'", words[k]);
  printf("\n");
  char* key = "date";
  char** found = bsearch(&key, words, nw, sizeof words[0], by_str_nocase);
  printf("bsearch date at %ld\n", found ? (long)(found - words) : -1l);

  enum { NP = 500 };
  static struct person people[NP];
  for (int k = 0; k < NP; ++k) {
    snprintf(people[k].name, sizeof people[k].name, "p%03u", next() % 1000);
    people[k].age = 18 + next() % 50;
    people[k].score = (next() % 1000) / 10.0;
    people[k].id = k;
  }
  qsort(people, NP, sizeof people[0], by_age_score_id);
  int ok = 1;
  for (int k = 1; k < NP; ++k) ok &= by_age_score_id(&people[k - 1], &people[k]) < 0;
  printf("structs sorted %d\n", ok);
  for (int k = 0; k < NP; k += 50)
    printf("  %s age %d score %.1f id %d\n", people[k].name, people[k].age, people[k].score,
           people[k].id);
  return 0;
}

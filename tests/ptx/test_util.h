/* test_util.h - helpers shared by the PTX engine tests: reading PTX files, a growable memory
 * map of test buffers, parameter packing, launching and checking. */
#ifndef PTX_TEST_UTIL_H
#define PTX_TEST_UTIL_H

#include "ptx.h"

#include <math.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static int tu_failures __attribute__((unused));

#define CHECK(cond, ...)                                                   \
  do {                                                                     \
    if (!(cond)) {                                                         \
      fprintf(stderr, "%s:%d: check failed: %s: ", __FILE__, __LINE__, #cond); \
      fprintf(stderr, __VA_ARGS__);                                        \
      fprintf(stderr, "\n");                                               \
      tu_failures++;                                                       \
    }                                                                      \
  } while (0)

static inline char *tu_read_file(const char *path, size_t *len) {
  FILE *f = fopen(path, "rb");
  if (!f) {
    perror(path);
    exit(2);
  }
  fseek(f, 0, SEEK_END);
  long n = ftell(f);
  fseek(f, 0, SEEK_SET);
  char *buf = malloc((size_t)n + 1);
  if (!buf || fread(buf, 1, (size_t)n, f) != (size_t)n) {
    fprintf(stderr, "cannot read %s\n", path);
    exit(2);
  }
  buf[n] = 0;
  fclose(f);
  *len = (size_t)n;
  return buf;
}

static inline ptx_module *tu_parse_text(const char *text) {
  char err[512];
  ptx_module *m = ptx_module_parse(text, strlen(text), err, sizeof err);
  if (!m) {
    fprintf(stderr, "parse failed: %s\n", err);
    exit(1);
  }
  return m;
}

static inline ptx_module *tu_parse_file(const char *path) {
  size_t len;
  char *text = tu_read_file(path, &len);
  char err[512];
  ptx_module *m = ptx_module_parse(text, len, err, sizeof err);
  free(text);
  if (!m) {
    fprintf(stderr, "parse of %s failed: %s\n", path, err);
    exit(1);
  }
  return m;
}

/* Device memory for tests: every buffer is registered in a sorted memory map. */
#define TU_MAX_RANGES 256
static ptx_range tu_ranges[TU_MAX_RANGES];
static size_t tu_nranges;

static inline void tu_register(void *p, size_t n) {
  uintptr_t b = (uintptr_t)p;
  size_t i = tu_nranges;
  while (i > 0 && tu_ranges[i - 1].base > b) {
    tu_ranges[i] = tu_ranges[i - 1];
    i--;
  }
  tu_ranges[i].base = b;
  tu_ranges[i].end = b + n;
  tu_nranges++;
}

static inline void *tu_alloc(size_t n) {
  void *p = calloc(1, n ? n : 1);
  if (!p) exit(2);
  tu_register(p, n);
  return p;
}

static inline void tu_unregister(void *p) {
  for (size_t i = 0; i < tu_nranges; i++) {
    if (tu_ranges[i].base == (uintptr_t)p) {
      memmove(&tu_ranges[i], &tu_ranges[i + 1], (tu_nranges - i - 1) * sizeof tu_ranges[0]);
      tu_nranges--;
      return;
    }
  }
}

static inline void tu_free(void *p) {
  tu_unregister(p);
  free(p);
}

/* Allocates and binds storage for every module variable. */
static inline void **tu_bind_vars(ptx_module *m) {
  size_t n = ptx_module_var_count(m);
  void **mem = calloc(n + 1, sizeof *mem);
  for (size_t i = 0; i < n; i++) {
    const ptx_var_info *vi = ptx_module_var(m, i);
    mem[i] = tu_alloc(vi->size);
    if (vi->init) memcpy(mem[i], vi->init, vi->size);
    ptx_module_bind_var(m, i, (uintptr_t)mem[i]);
  }
  return mem;
}

static inline void *tu_var(ptx_module *m, void **mem, const char *name) {
  for (size_t i = 0; i < ptx_module_var_count(m); i++)
    if (strcmp(ptx_module_var(m, i)->name, name) == 0) return mem[i];
  fprintf(stderr, "no variable %s\n", name);
  exit(1);
}

/* Parameter buffer packing: values are placed at the kernel's parameter offsets. */
typedef struct {
  unsigned char buf[4096];
  size_t size;
  const ptx_kernel *k;
  size_t next;
} tu_params;

static inline void tu_params_init(tu_params *p, const ptx_kernel *k) {
  memset(p, 0, sizeof *p);
  p->k = k;
  p->size = ptx_kernel_get_info(k)->param_bytes;
}

static inline void tu_param(tu_params *p, const void *v, size_t n) {
  size_t off, sz;
  if (ptx_kernel_param(p->k, p->next, &off, &sz) != PTX_OK || sz != n) {
    fprintf(stderr, "parameter %zu: size %zu does not match\n", p->next, n);
    exit(1);
  }
  memcpy(p->buf + off, v, n);
  p->next++;
}
#define TU_PARAM(p, v) do { __typeof__(v) tv_ = (v); tu_param((p), &tv_, sizeof tv_); } while (0)

/* Packs the next n parameters, all pointers (a kernel's .u64 buffer addresses). */
static inline void tu_param_ptrs(tu_params *p, const void *const *ptrs, size_t n) {
  for (size_t i = 0; i < n; i++) tu_param(p, &ptrs[i], sizeof ptrs[i]);
}

static inline const ptx_kernel *tu_kernel(ptx_module *m, const char *name) {
  const ptx_kernel *k = ptx_module_kernel(m, name);
  if (!k) {
    /* accept a mangled name containing `name` */
    for (size_t i = 0; i < ptx_module_kernel_count(m); i++) {
      const ptx_kernel *c = ptx_module_kernel_at(m, i);
      if (strstr(ptx_kernel_get_info(c)->name, name)) return c;
    }
    fprintf(stderr, "no kernel %s\n", name);
    exit(1);
  }
  return k;
}

static inline ptx_status tu_launch_ex(const ptx_kernel *k, unsigned gx, unsigned gy, unsigned gz, unsigned bx, unsigned by,
                               unsigned bz, size_t dyn, tu_params *p, unsigned workers, char *err, size_t errlen) {
  ptx_launch_config c;
  memset(&c, 0, sizeof c);
  c.grid[0] = gx; c.grid[1] = gy; c.grid[2] = gz;
  c.block[0] = bx; c.block[1] = by; c.block[2] = bz;
  c.dynamic_shared_bytes = dyn;
  c.params = p->buf;
  c.params_size = p->size;
  c.memory.ranges = tu_ranges;
  c.memory.count = tu_nranges;
  c.max_workers = workers;
  return ptx_launch(k, &c, err, errlen);
}

static inline void tu_launch(const ptx_kernel *k, unsigned gx, unsigned bx, size_t dyn, tu_params *p) {
  char err[512];
  ptx_status st = tu_launch_ex(k, gx, 1, 1, bx, 1, 1, dyn, p, 0, err, sizeof err);
  if (st != PTX_OK) {
    fprintf(stderr, "launch of %s failed: %s: %s\n", ptx_kernel_get_info(k)->name, ptx_status_name(st), err);
    exit(1);
  }
}

/* Launches a kernel whose parameters are all pointers, given in order. */
static inline void tu_launch_ptrs(const ptx_kernel *k, unsigned gx, unsigned bx, size_t dyn, const void *const *ptrs,
                                  size_t n) {
  tu_params p;
  tu_params_init(&p, k);
  tu_param_ptrs(&p, ptrs, n);
  tu_launch(k, gx, bx, dyn, &p);
}

/* TU_PTRS(&p, a, b): packs the pointers a, b as the next parameters.
 * TU_LAUNCH_PTRS(k, grid, block, dyn_shared, a, b): launches k with the pointers a, b as its parameters. */
#define TU_PTRS(p, ...)                                                             \
  do {                                                                             \
    const void *ptrs_[] = {__VA_ARGS__};                                           \
    tu_param_ptrs((p), ptrs_, sizeof ptrs_ / sizeof ptrs_[0]);                     \
  } while (0)
#define TU_LAUNCH_PTRS(k, gx, bx, dyn, ...)                                         \
  do {                                                                             \
    const void *ptrs_[] = {__VA_ARGS__};                                           \
    tu_launch_ptrs((k), (gx), (bx), (dyn), ptrs_, sizeof ptrs_ / sizeof ptrs_[0]); \
  } while (0)

static inline int tu_close_f(float a, float b, float rel) {
  if (isnan(a) || isnan(b)) return isnan(a) && isnan(b);
  return fabsf(a - b) <= rel * fmaxf(1.0f, fmaxf(fabsf(a), fabsf(b)));
}

static inline int tu_close_d(double a, double b, double rel) {
  if (isnan(a) || isnan(b)) return isnan(a) && isnan(b);
  return fabs(a - b) <= rel * fmax(1.0, fmax(fabs(a), fabs(b)));
}

/* ---- IEEE half reference (independent of the engine: decode with ldexp, encode by a
 * binary search over the ordered half values) ---- */
static inline double tu_half_value(uint16_t h) {
  int e = (h >> 10) & 0x1f, m = h & 0x3ff;
  double v = e == 0 ? ldexp(m, -24) : e == 31 ? (m ? NAN : INFINITY) : ldexp(1024 + m, e - 25);
  return (h & 0x8000) ? -v : v;
}

/* Half bits of x rounded to nearest-even (mode 0), toward zero (1), down (2) or up (3).
 * NaN gives 0x7fff, the canonical NaN the engine produces. */
static inline uint16_t tu_half_round(double x, int mode) {
  if (isnan(x)) return 0x7fff;
  uint16_t sign = signbit(x) ? 0x8000 : 0;
  double a = fabs(x);
  /* largest finite positive half pattern with value <= a */
  unsigned lo = 0, hi = 0x7bff;
  if (a >= 65504.0) lo = 0x7bff;
  else {
    while (lo < hi) {
      unsigned mid = (lo + hi + 1) / 2;
      if (tu_half_value((uint16_t)mid) <= a) lo = mid;
      else hi = mid - 1;
    }
  }
  double below = tu_half_value((uint16_t)lo);
  unsigned up = lo + 1;                       /* 0x7c00 = infinity past the largest finite */
  double above = up == 0x7c00 ? 65536.0 : tu_half_value((uint16_t)up);
  unsigned pick;
  if (below == a) pick = lo;
  else {
    bool away_up = (mode == 3 && !sign) || (mode == 2 && sign);
    if (mode == 1 || (mode >= 2 && !away_up)) pick = lo;
    else if (mode >= 2) pick = up;
    else if (a - below < above - a) pick = lo;
    else if (a - below > above - a) pick = up;
    else pick = (lo & 1) ? up : lo;
  }
  if (isinf(a)) pick = 0x7c00;
  return (uint16_t)(sign | pick);
}

/* The test programs' cases, chosen by name on the command line. */
typedef struct {
  const char *name;
  void (*fn)(void);
} tu_case;

/* Runs the case named `which`, or every case when which is "all" and match_all is set, printing
 * PASS or FAIL for each; before(i), when given, runs ahead of case i. Returns how many ran. */
static inline int tu_run_cases(const tu_case *cases, size_t n, const char *which, bool match_all,
                               void (*before)(unsigned)) {
  int ran = 0;
  for (size_t i = 0; i < n; i++) {
    if (!(match_all && strcmp(which, "all") == 0) && strcmp(which, cases[i].name) != 0) continue;
    if (before) before((unsigned)i);
    int failures_before = tu_failures;
    cases[i].fn();
    printf("%s %s\n", tu_failures == failures_before ? "PASS" : "FAIL", cases[i].name);
    ran++;
  }
  return ran;
}

/* Exits with status 2 unless the program got at least `need` arguments. */
static inline void tu_require_args(int argc, char **argv, int need, const char *usage) {
  if (argc > need) return;
  fprintf(stderr, "usage: %s %s\n", argv[0], usage);
  exit(2);
}

/* Frees every buffer still registered by tu_alloc. */
static inline void tu_free_all(void) {
  for (size_t i = 0; i < tu_nranges; i++) free((void *)tu_ranges[i].base);
}

#endif

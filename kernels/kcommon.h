/* kcommon.h - what every kernels/ program and the driver-API harness share: a seeded
 * pseudo-random generator for inputs, and comparisons that print the first mismatches.
 *
 * Plain C99 that also compiles as C++ (the .cu programs include it through nvcc's host
 * compiler). Every function is static inline so a file pays only for what it uses.
 */
#ifndef GPUSHIM_KCOMMON_H
#define GPUSHIM_KCOMMON_H

#include <float.h>
#include <math.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>

#define KC_MAX_REPORTED 8   /* mismatches printed per array before we stop listing */

/* ---- pseudo-random inputs (splitmix64: tiny, fast, the same on every machine) ---- */

typedef struct {
  uint64_t state;
} kc_rng;

static inline void kc_rng_seed(kc_rng *r, uint64_t seed) { r->state = seed; }

static inline uint64_t kc_next_u64(kc_rng *r) {
  uint64_t z = (r->state += 0x9E3779B97F4A7C15ull);
  z = (z ^ (z >> 30)) * 0xBF58476D1CE4E5B9ull;
  z = (z ^ (z >> 27)) * 0x94D049BB133111EBull;
  return z ^ (z >> 31);
}

static inline uint32_t kc_next_u32(kc_rng *r) { return (uint32_t)(kc_next_u64(r) >> 32); }

/* Uniform in [lo, hi): 24 random bits, so every value is an exact float. */
static inline float kc_uniform(kc_rng *r, float lo, float hi) {
  float unit = (float)(kc_next_u32(r) >> 8) * (1.0f / 16777216.0f);
  return lo + (hi - lo) * unit;
}

/* Uniform double in [lo, hi) from 53 random bits. */
static inline double kc_uniform_d(kc_rng *r, double lo, double hi) {
  double unit = (double)(kc_next_u64(r) >> 11) * (1.0 / 9007199254740992.0);
  return lo + (hi - lo) * unit;
}

/* Integer in [0, bound) (bound > 0; the tiny modulo bias does not matter for tests). */
static inline uint32_t kc_below(kc_rng *r, uint32_t bound) { return kc_next_u32(r) % bound; }

static inline void kc_fill_uniform(kc_rng *r, float *x, size_t n, float lo, float hi) {
  size_t i;
  for (i = 0; i < n; i++) x[i] = kc_uniform(r, lo, hi);
}

/* ---- units in the last place ---- */

/* Spacing of floats at |x| (x taken as exact): 2^(e-23) for normal x, 2^-149 below. */
static inline double kc_ulp_f32(double x) {
  int e;
  x = fabs(x);
  if (x < (double)FLT_MIN) return ldexp(1.0, -149);
  if (x > (double)FLT_MAX) x = (double)FLT_MAX;
  frexp(x, &e);            /* x = m * 2^e, m in [0.5, 1) */
  return ldexp(1.0, e - 24);
}

/* Spacing of doubles at |x|. */
static inline double kc_ulp_f64(double x) {
  int e;
  x = fabs(x);
  if (x < DBL_MIN) return ldexp(1.0, -1074);
  if (x > DBL_MAX) x = DBL_MAX;
  frexp(x, &e);
  return ldexp(1.0, e - 53);
}

/* ---- comparisons: each returns the number of mismatches and prints the first few ---- */

static inline void kc_report_more(const char *label, size_t bad) {
  if (bad > KC_MAX_REPORTED)
    printf("  %s: %zu mismatches in all\n", label, bad);
}

static inline size_t kc_compare_u32(const char *label, const uint32_t *got, const uint32_t *want,
                                    size_t n) {
  size_t i, bad = 0;
  for (i = 0; i < n; i++) {
    if (got[i] == want[i]) continue;
    if (++bad <= KC_MAX_REPORTED)
      printf("  %s[%zu]: got %u (0x%08x), want %u (0x%08x)\n", label, i, got[i], got[i],
             want[i], want[i]);
  }
  kc_report_more(label, bad);
  return bad;
}

static inline size_t kc_compare_i32(const char *label, const int32_t *got, const int32_t *want,
                                    size_t n) {
  size_t i, bad = 0;
  for (i = 0; i < n; i++) {
    if (got[i] == want[i]) continue;
    if (++bad <= KC_MAX_REPORTED)
      printf("  %s[%zu]: got %d, want %d\n", label, i, got[i], want[i]);
  }
  kc_report_more(label, bad);
  return bad;
}

static inline size_t kc_compare_u64(const char *label, const uint64_t *got, const uint64_t *want,
                                    size_t n) {
  size_t i, bad = 0;
  for (i = 0; i < n; i++) {
    if (got[i] == want[i]) continue;
    if (++bad <= KC_MAX_REPORTED)
      printf("  %s[%zu]: got %llu (0x%016llx), want %llu (0x%016llx)\n", label, i,
             (unsigned long long)got[i], (unsigned long long)got[i],
             (unsigned long long)want[i], (unsigned long long)want[i]);
  }
  kc_report_more(label, bad);
  return bad;
}

static inline size_t kc_compare_i64(const char *label, const int64_t *got, const int64_t *want,
                                    size_t n) {
  size_t i, bad = 0;
  for (i = 0; i < n; i++) {
    if (got[i] == want[i]) continue;
    if (++bad <= KC_MAX_REPORTED)
      printf("  %s[%zu]: got %lld, want %lld\n", label, i, (long long)got[i],
             (long long)want[i]);
  }
  kc_report_more(label, bad);
  return bad;
}

/* Bit-exact float comparison (for results that involve no rounding at all). */
static inline size_t kc_compare_f32_exact(const char *label, const float *got, const float *want,
                                          size_t n) {
  size_t i, bad = 0;
  for (i = 0; i < n; i++) {
    if (memcmp(&got[i], &want[i], sizeof(float)) == 0) continue;
    if (++bad <= KC_MAX_REPORTED)
      printf("  %s[%zu]: got %.9g, want %.9g\n", label, i, (double)got[i], (double)want[i]);
  }
  kc_report_more(label, bad);
  return bad;
}

/* |got - want| <= tol * scale[i], where scale bounds the magnitudes that rounding errors
 * scale with (e.g. sum of |a*b| for a dot product). scale NULL means |want|. NaN fails. */
static inline size_t kc_compare_f32_tol(const char *label, const float *got, const double *want,
                                        const double *scale, size_t n, double tol) {
  size_t i, bad = 0;
  for (i = 0; i < n; i++) {
    double s = scale ? scale[i] : fabs(want[i]);
    double err = fabs((double)got[i] - want[i]);
    if (err <= tol * s) continue;
    if (++bad <= KC_MAX_REPORTED)
      printf("  %s[%zu]: got %.9g, want %.9g (error %.3g > %.3g)\n", label, i,
             (double)got[i], want[i], err, tol * s);
  }
  kc_report_more(label, bad);
  return bad;
}

static inline size_t kc_compare_f64_tol(const char *label, const double *got, const double *want,
                                        const double *scale, size_t n, double tol) {
  size_t i, bad = 0;
  for (i = 0; i < n; i++) {
    double s = scale ? scale[i] : fabs(want[i]);
    double err = fabs(got[i] - want[i]);
    if (err <= tol * s) continue;
    if (++bad <= KC_MAX_REPORTED)
      printf("  %s[%zu]: got %.17g, want %.17g (error %.3g > %.3g)\n", label, i, got[i],
             want[i], err, tol * s);
  }
  kc_report_more(label, bad);
  return bad;
}

/* Float results against an (almost) exact reference, within max_ulps float ulps of it. */
static inline size_t kc_compare_f32_ulps(const char *label, const float *got, const double *exact,
                                         size_t n, double max_ulps) {
  size_t i, bad = 0;
  for (i = 0; i < n; i++) {
    double err = fabs((double)got[i] - exact[i]) / kc_ulp_f32(exact[i]);
    if (err <= max_ulps) continue;    /* NaN compares false and fails */
    if (++bad <= KC_MAX_REPORTED)
      printf("  %s[%zu]: got %.9g, want %.9g (%.2f ulp > %.2f)\n", label, i, (double)got[i],
             exact[i], err, max_ulps);
  }
  kc_report_more(label, bad);
  return bad;
}

static inline size_t kc_compare_f64_ulps(const char *label, const double *got,
                                         const double *exact, size_t n, double max_ulps) {
  size_t i, bad = 0;
  for (i = 0; i < n; i++) {
    double err = fabs(got[i] - exact[i]) / kc_ulp_f64(exact[i]);
    if (err <= max_ulps) continue;
    if (++bad <= KC_MAX_REPORTED)
      printf("  %s[%zu]: got %.17g, want %.17g (%.2f ulp > %.2f)\n", label, i, got[i],
             exact[i], err, max_ulps);
  }
  kc_report_more(label, bad);
  return bad;
}

/* The one closing line every program and harness case prints; returns the exit status. */
static inline int kc_finish(const char *name, size_t mismatches) {
  printf("%s %s\n", mismatches ? "FAIL" : "PASS", name);
  fflush(stdout);
  return mismatches ? 1 : 0;
}

#endif

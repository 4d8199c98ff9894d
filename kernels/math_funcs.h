/* math_funcs.h - inputs and CPU reference of math_funcs: CUDA's single and double precision math
 * functions, each checked in ulps against a double (or long double) reference, allowing
 * the maximum ulp error the CUDA Programming Guide documents for it (non fast-math build):
 *   expf 2, logf 1, sinf 2, cosf 2, sqrtf 0 (IEEE), rsqrtf 2, powf 4, fmaf 0 (IEEE),
 *   __fdividef 2 (for 2^-126 <= |y| <= 2^126), exp 1, log 1, sqrt 0 (IEEE).
 * The documented bound is against the correctly rounded result, which is itself within
 * 0.5 ulp of the exact value: so a function documented N ulp may be N + 0.5 ulp from our
 * reference, and a correctly rounded one 0.5 ulp. (The slack of 0.01 covers the reference's
 * own rounding, below 2^-28 float ulp.) */
#ifndef GPUSHIM_MATH_FUNCS_H
#define GPUSHIM_MATH_FUNCS_H

#include "kcommon.h"

#define MATH_N 8192
#define MATH_BLOCK 128
#define MATH_SEED 0x5EED000Bu

enum { MATH_EXPF, MATH_LOGF, MATH_SINF, MATH_COSF, MATH_SQRTF, MATH_RSQRTF, MATH_POWF,
       MATH_FMAF, MATH_FDIVIDEF, MATH_F32_COUNT };
enum { MATH_EXP, MATH_LOG, MATH_SQRT, MATH_F64_COUNT };

/* One function under test: its name, the ranges of its arguments, its allowed error. */
typedef struct {
  const char *name;
  double lo[3], hi[3];   /* ranges of the (up to three) arguments */
  double max_ulps;       /* against the exact value */
} math_case;

static inline const math_case *math_f32_case(int k) {
  static const math_case cases[MATH_F32_COUNT] = {
    {"expf",       {-20, 0, 0},     {20, 0, 0},     2.51},
    {"logf",       {1e-3, 0, 0},    {1e4, 0, 0},    1.51},
    {"sinf",       {-100, 0, 0},    {100, 0, 0},    2.51},
    {"cosf",       {-100, 0, 0},    {100, 0, 0},    2.51},
    {"sqrtf",      {0, 0, 0},       {1e6, 0, 0},    0.51},
    {"rsqrtf",     {1e-3, 0, 0},    {1e6, 0, 0},    2.51},
    {"powf",       {0.1, -5, 0},    {10, 5, 0},     4.51},
    {"fmaf",       {-10, -10, -10}, {10, 10, 10},   0.51},
    {"__fdividef", {-100, 0.5, 0},  {100, 100, 0},  2.51},
  };
  return &cases[k];
}

static inline const math_case *math_f64_case(int k) {
  static const math_case cases[MATH_F64_COUNT] = {
    {"exp",  {-50, 0, 0},  {50, 0, 0},   1.51},
    {"log",  {1e-5, 0, 0}, {1e5, 0, 0},  1.51},
    {"sqrt", {0, 0, 0},    {1e10, 0, 0}, 0.51},
  };
  return &cases[k];
}

/* Arguments are laid out [argument][function][element]: a[(j * COUNT + k) * n + i]. */
static inline void math_inputs(float *a32, double *a64, int n) {
  kc_rng r;
  int j, k, i;
  kc_rng_seed(&r, MATH_SEED);
  for (j = 0; j < 3; j++)
    for (k = 0; k < MATH_F32_COUNT; k++)
      for (i = 0; i < n; i++) {
        const math_case *c = math_f32_case(k);
        a32[(j * MATH_F32_COUNT + k) * n + i] = kc_uniform(&r, (float)c->lo[j], (float)c->hi[j]);
      }
  for (k = 0; k < MATH_F64_COUNT; k++)
    for (i = 0; i < n; i++) {
      const math_case *c = math_f64_case(k);
      a64[k * n + i] = kc_uniform_d(&r, c->lo[0], c->hi[0]);
    }
}

/* The exact value of float function k at arguments x, y, z (to double precision). */
static inline double math_f32_exact(int k, float x, float y, float z) {
  double a = x, b = y, c = z;
  switch (k) {
    case MATH_EXPF: return exp(a);
    case MATH_LOGF: return log(a);
    case MATH_SINF: return sin(a);
    case MATH_COSF: return cos(a);
    case MATH_SQRTF: return sqrt(a);
    case MATH_RSQRTF: return 1.0 / sqrt(a);
    case MATH_POWF: return pow(a, b);
    case MATH_FMAF: return a * b + c;   /* a*b is exact in double */
    default: return a / b;              /* MATH_FDIVIDEF */
  }
}

/* exp and log are taken in long double and rounded (within 0.5 ulp of exact, plus 2^-11
 * ulp); sqrt is IEEE (correctly rounded) in double itself, and rounding sqrtl's 64-bit
 * result instead could be off by one: long double is not wide enough to round twice. */
static inline double math_f64_exact(int k, double x) {
  switch (k) {
    case MATH_EXP: return (double)expl((long double)x);
    case MATH_LOG: return (double)logl((long double)x);
    default: return sqrt(x);
  }
}

static inline void math_ref(const float *a32, const double *a64, int n, double *want32,
                            double *want64) {
  int k, i;
  for (k = 0; k < MATH_F32_COUNT; k++)
    for (i = 0; i < n; i++)
      want32[k * n + i] = math_f32_exact(k, a32[k * n + i], a32[(MATH_F32_COUNT + k) * n + i],
                                         a32[(2 * MATH_F32_COUNT + k) * n + i]);
  for (k = 0; k < MATH_F64_COUNT; k++)
    for (i = 0; i < n; i++) want64[k * n + i] = math_f64_exact(k, a64[k * n + i]);
}

/* Compares every function's results; returns the mismatch count. */
static inline size_t math_compare(const float *got32, const double *got64, const double *want32,
                                  const double *want64, int n) {
  size_t bad = 0;
  int k;
  for (k = 0; k < MATH_F32_COUNT; k++)
    bad += kc_compare_f32_ulps(math_f32_case(k)->name, got32 + k * n, want32 + k * n, (size_t)n,
                               math_f32_case(k)->max_ulps);
  for (k = 0; k < MATH_F64_COUNT; k++)
    bad += kc_compare_f64_ulps(math_f64_case(k)->name, got64 + k * n, want64 + k * n, (size_t)n,
                               math_f64_case(k)->max_ulps);
  return bad;
}

#endif

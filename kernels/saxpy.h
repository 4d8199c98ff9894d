/* saxpy.h - inputs and CPU reference of saxpy (y = a*x + y). */
#ifndef GPUSHIM_SAXPY_H
#define GPUSHIM_SAXPY_H

#include "kcommon.h"

#define SAXPY_N ((1 << 17) + 7)
#define SAXPY_BLOCK 128
#define SAXPY_A 2.5f
#define SAXPY_SEED 0x5EED0002u
/* nvcc may contract a*x+y into one fma (one rounding) or not (two roundings): both are
 * within 2^-23 of |a*x| + |y|; we allow 2^-22. */
#define SAXPY_TOL (2.0 * FLT_EPSILON)

static inline void saxpy_inputs(float *x, float *y, int n) {
  kc_rng r;
  kc_rng_seed(&r, SAXPY_SEED);
  kc_fill_uniform(&r, x, (size_t)n, -10.0f, 10.0f);
  kc_fill_uniform(&r, y, (size_t)n, -10.0f, 10.0f);
}

/* want = a*x + y computed in double (a*x is exact there), scale = |a*x| + |y|. */
static inline void saxpy_ref(float a, const float *x, const float *y, double *want,
                             double *scale, int n) {
  int i;
  for (i = 0; i < n; i++) {
    double ax = (double)a * (double)x[i];
    want[i] = ax + (double)y[i];
    scale[i] = fabs(ax) + fabs((double)y[i]);
  }
}

#endif

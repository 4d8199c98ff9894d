/* constant.h - inputs and CPU reference of constant: a 1D filter whose taps and offsets
 * live in __constant__ memory (set with cudaMemcpyToSymbol), times a __constant__ gain
 * that keeps its initializer from the source. */
#ifndef GPUSHIM_CONSTANT_H
#define GPUSHIM_CONSTANT_H

#include "kcommon.h"

#define CONSTANT_N 65537
#define CONSTANT_TAPS 16
#define CONSTANT_BLOCK 256
#define CONSTANT_GAIN 2.0f          /* the initializer of c_gain in constant.cu */
#define CONSTANT_SEED 0x5EED000Au
/* 16 products summed in float: error below 16 * 2^-24 = 9.5e-7 of sum |c*x|; gain is exact. */
#define CONSTANT_TOL 2e-6

static inline void constant_inputs(float *x, int n, float *taps, int32_t *offsets) {
  kc_rng r;
  int k;
  kc_rng_seed(&r, CONSTANT_SEED);
  kc_fill_uniform(&r, x, (size_t)n, -1.0f, 1.0f);
  for (k = 0; k < CONSTANT_TAPS; k++) {
    taps[k] = kc_uniform(&r, -0.5f, 0.5f);
    offsets[k] = (int32_t)kc_below(&r, 41) - 20;
  }
}

static inline int constant_clamp(int i, int n) { return i < 0 ? 0 : (i >= n ? n - 1 : i); }

static inline void constant_ref(const float *x, int n, const float *taps, const int32_t *offsets,
                                double *want, double *scale) {
  int i, k;
  for (i = 0; i < n; i++) {
    double sum = 0.0, mag = 0.0;
    for (k = 0; k < CONSTANT_TAPS; k++) {
      double p = (double)taps[k] * (double)x[constant_clamp(i + offsets[k], n)];
      sum += p;
      mag += fabs(p);
    }
    want[i] = sum * CONSTANT_GAIN;
    scale[i] = mag * CONSTANT_GAIN;
  }
}

#endif

/* matmul.h - inputs and CPU reference of the tiled matrix multiply C = A * B.
 * A is M x K, B is K x N, C is M x N, all row-major; sizes are not multiples of the tile. */
#ifndef GPUSHIM_MATMUL_H
#define GPUSHIM_MATMUL_H

#include "kcommon.h"

#define MATMUL_M 100
#define MATMUL_N 120
#define MATMUL_K 80
#define MATMUL_TILE 16
#define MATMUL_SEED 0x5EED0003u
/* A float dot product of K terms (any order, fma or not) is within K * 2^-24 of the sum of
 * |a*b| (the classic gamma_K bound): 80 * 6e-8 = 4.8e-6 < 1e-5. */
#define MATMUL_TOL 1e-5

static inline void matmul_inputs(float *a, float *b) {
  kc_rng r;
  kc_rng_seed(&r, MATMUL_SEED);
  kc_fill_uniform(&r, a, (size_t)MATMUL_M * MATMUL_K, -1.0f, 1.0f);
  kc_fill_uniform(&r, b, (size_t)MATMUL_K * MATMUL_N, -1.0f, 1.0f);
}

/* want = A*B in double; scale = |A|*|B|, what rounding errors are proportional to. */
static inline void matmul_ref(const float *a, const float *b, double *want, double *scale) {
  int i, j, k;
  for (i = 0; i < MATMUL_M; i++)
    for (j = 0; j < MATMUL_N; j++) {
      double sum = 0.0, mag = 0.0;
      for (k = 0; k < MATMUL_K; k++) {
        double p = (double)a[i * MATMUL_K + k] * (double)b[k * MATMUL_N + j];
        sum += p;
        mag += fabs(p);
      }
      want[i * MATMUL_N + j] = sum;
      scale[i * MATMUL_N + j] = mag;
    }
}

#endif

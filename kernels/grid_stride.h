/* grid_stride.h - inputs and CPU reference of grid_stride: a small fixed grid covers a
 * large array with a grid-stride loop (64-bit index); each thread also reports how many
 * iterations it made. */
#ifndef GPUSHIM_GRID_STRIDE_H
#define GPUSHIM_GRID_STRIDE_H

#include "kcommon.h"

#define GRID_STRIDE_N 300007
#define GRID_STRIDE_BLOCK 96
#define GRID_STRIDE_GRID 13
#define GRID_STRIDE_THREADS (GRID_STRIDE_BLOCK * GRID_STRIDE_GRID)
#define GRID_STRIDE_SEED 0x5EED0010u

static inline void grid_stride_inputs(uint32_t *x, int n) {
  kc_rng r;
  int i;
  kc_rng_seed(&r, GRID_STRIDE_SEED);
  for (i = 0; i < n; i++) x[i] = kc_next_u32(&r);
}

static inline void grid_stride_ref(const uint32_t *x, int n, uint32_t *y, uint32_t *iterations) {
  int i, t;
  for (i = 0; i < n; i++) y[i] = x[i] * 2654435761u + (uint32_t)i;
  for (t = 0; t < GRID_STRIDE_THREADS; t++)
    iterations[t] = t < n ? (uint32_t)((n - t + GRID_STRIDE_THREADS - 1) / GRID_STRIDE_THREADS) : 0;
}

#endif

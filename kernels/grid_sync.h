/* grid_sync.h - inputs and CPU references of grid_sync: cooperative launches whose kernels
 * synchronise the whole grid (cooperative_groups::this_grid().sync()). Shared by the program
 * (kernels/grid_sync.cu) and the driver-API harness (tests/kernels).
 *
 * grid_reduce: each block sums a grid-stride slice, then log2(blocks) rounds of a tree across
 * the blocks' partial sums, one grid.sync() per round; every thread then reads the total.
 * grid_stencil: GS_ITERS Jacobi steps of a 1D 3-point integer stencil over GS_N points, the two
 * buffers swapped after a grid.sync() per step (a block reads its neighbours' edges).
 */
#ifndef GPUSHIM_GRID_SYNC_H
#define GPUSHIM_GRID_SYNC_H

#include "kcommon.h"

#define GS_BLOCK 64
#define GS_BLOCKS 8                        /* a power of two: the tree's rounds */
#define GS_THREADS (GS_BLOCK * GS_BLOCKS)
#define GS_N 5000                          /* not a multiple of the grid: ragged slices */
#define GS_ITERS 24
#define GS_SEED 0x6A1D5EEDu

static inline void gs_inputs(int32_t *x, int n) {
  kc_rng r;
  kc_rng_seed(&r, GS_SEED);
  for (int i = 0; i < n; i++) x[i] = (int32_t)(kc_next_u32(&r) % 2001u) - 1000;
}

/* The total every thread of grid_reduce reports, and the partial sums left behind. */
static inline int64_t gs_reduce_ref(const int32_t *x, int n) {
  int64_t sum = 0;
  for (int i = 0; i < n; i++) sum += x[i];
  return sum;
}

/* One step: interior points become (left + 2*centre + right) / 4, the two ends stay. */
static inline void gs_stencil_ref(const int32_t *x, int n, int iters, int32_t *out) {
  int32_t *a = out, tmp[GS_N];
  memcpy(a, x, (size_t)n * sizeof *a);
  for (int it = 0; it < iters; it++) {
    for (int i = 0; i < n; i++)
      tmp[i] = (i == 0 || i == n - 1) ? a[i] : (a[i - 1] + 2 * a[i] + a[i + 1]) / 4;
    memcpy(a, tmp, (size_t)n * sizeof *a);
  }
}

#endif

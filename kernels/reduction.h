/* reduction.h - inputs and CPU reference of the shared-memory tree reduction (sum), for
 * float and double. Pass 1: REDUCTION_GRID blocks, each thread sums a grid-stride slice,
 * then the block reduces in shared memory to one partial. Pass 2: one block sums those. */
#ifndef GPUSHIM_REDUCTION_H
#define GPUSHIM_REDUCTION_H

#include "kcommon.h"

#define REDUCTION_N 200003
#define REDUCTION_BLOCK 256
#define REDUCTION_GRID 64
#define REDUCTION_SEED 0x5EED0004u
/* Each result is a sum of at most ~30 dependent roundings (13 grid-stride terms, 8 tree
 * levels, pass 2's 8 levels), so its error is below 30 u * sum|x|: u = 2^-24 for float
 * (30u = 1.8e-6), 2^-53 for double (3.3e-15). */
#define REDUCTION_TOL_F32 1e-5
#define REDUCTION_TOL_F64 1e-12

static inline void reduction_inputs_f32(float *x, int n) {
  kc_rng r;
  kc_rng_seed(&r, REDUCTION_SEED);
  kc_fill_uniform(&r, x, (size_t)n, -1.0f, 1.0f);
}

static inline void reduction_inputs_f64(double *x, int n) {
  kc_rng r;
  int i;
  kc_rng_seed(&r, REDUCTION_SEED + 1);
  for (i = 0; i < n; i++) x[i] = kc_uniform_d(&r, -1.0, 1.0);
}

/* Compensated (Neumaier) running sum, so the double reference is good to ~1 ulp. */
typedef struct {
  double sum, comp, mag;
} reduction_acc;

static inline void reduction_acc_add(reduction_acc *acc, double v) {
  double t = acc->sum + v;
  if (fabs(acc->sum) >= fabs(v))
    acc->comp += (acc->sum - t) + v;
  else
    acc->comp += (v - t) + acc->sum;
  acc->sum = t;
  acc->mag += fabs(v);
}

/* The block a grid-stride loop hands element i to. */
static inline int reduction_block_of(int i) {
  return (i % (REDUCTION_BLOCK * REDUCTION_GRID)) / REDUCTION_BLOCK;
}

/* want/scale hold REDUCTION_GRID partial sums then the total (REDUCTION_GRID + 1 values);
 * x is read through one of the two pointers (the other NULL). */
static inline void reduction_ref(const float *xf, const double *xd, int n, double *want,
                                 double *scale) {
  reduction_acc part[REDUCTION_GRID], total;
  int i, b;
  memset(part, 0, sizeof part);
  memset(&total, 0, sizeof total);
  for (i = 0; i < n; i++) {
    double v = xf ? (double)xf[i] : xd[i];
    reduction_acc_add(&part[reduction_block_of(i)], v);
    reduction_acc_add(&total, v);
  }
  for (b = 0; b < REDUCTION_GRID; b++) {
    want[b] = part[b].sum + part[b].comp;
    scale[b] = part[b].mag;
  }
  want[REDUCTION_GRID] = total.sum + total.comp;
  scale[REDUCTION_GRID] = total.mag;
}

#endif

/* big_shared.h - inputs and CPU reference of big_shared: each block stages a 60000-byte
 * slice in dynamic shared memory (above the 48 KiB default, so the kernel must opt in
 * with cudaFuncSetAttribute(MaxDynamicSharedMemorySize) first; launching before that must
 * fail with an invalid-value error) and writes it back reversed and doubled. */
#ifndef GPUSHIM_BIG_SHARED_H
#define GPUSHIM_BIG_SHARED_H

#include "kcommon.h"

#define BIG_SHARED_ELEMS 15000                       /* floats per block */
#define BIG_SHARED_BYTES (BIG_SHARED_ELEMS * 4)      /* 60000 > 49152 */
#define BIG_SHARED_BLOCKS 6
#define BIG_SHARED_THREADS 256
#define BIG_SHARED_N (BIG_SHARED_ELEMS * BIG_SHARED_BLOCKS)
#define BIG_SHARED_SEED 0x5EED0016u

static inline void big_shared_inputs(float *x, int n) {
  kc_rng r;
  kc_rng_seed(&r, BIG_SHARED_SEED);
  kc_fill_uniform(&r, x, (size_t)n, -1000.0f, 1000.0f);
}

static inline void big_shared_ref(const float *x, float *y, int n) {
  int i;
  for (i = 0; i < n; i++) {
    int block = i / BIG_SHARED_ELEMS, k = i % BIG_SHARED_ELEMS;
    y[i] = x[block * BIG_SHARED_ELEMS + BIG_SHARED_ELEMS - 1 - k] * 2.0f;
  }
}

#endif

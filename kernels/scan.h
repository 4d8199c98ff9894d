/* scan.h - inputs and CPU reference of the block scan: per block, an inclusive prefix sum
 * (warp shuffles, then a scan of the warp totals), and for the elements divisible by 3
 * their rank among such elements of the block (ballot + popc), -1 for the others. */
#ifndef GPUSHIM_SCAN_H
#define GPUSHIM_SCAN_H

#include "kcommon.h"

#define SCAN_N 50021                /* the last block is partial */
#define SCAN_BLOCK 256
#define SCAN_BLOCKS ((SCAN_N + SCAN_BLOCK - 1) / SCAN_BLOCK)
#define SCAN_SEED 0x5EED0006u

static inline void scan_inputs(int32_t *x, int n) {
  kc_rng r;
  int i;
  kc_rng_seed(&r, SCAN_SEED);
  for (i = 0; i < n; i++) x[i] = (int32_t)kc_below(&r, 201) - 100;
}

static inline int scan_flagged(int32_t v) { return v % 3 == 0; }

static inline void scan_ref(const int32_t *x, int n, int32_t *scan, int32_t *rank,
                            int32_t *block_counts) {
  int b, i;
  for (b = 0; b * SCAN_BLOCK < n; b++) {
    int32_t sum = 0, count = 0;
    for (i = b * SCAN_BLOCK; i < n && i < (b + 1) * SCAN_BLOCK; i++) {
      sum += x[i];
      scan[i] = sum;
      rank[i] = scan_flagged(x[i]) ? count : -1;
      count += scan_flagged(x[i]);
    }
    block_counts[b] = count;
  }
}

#endif

/* sync_count.h - inputs and CPU reference of sync_count: __syncthreads_count, _or and _and
 * over a per-thread predicate. Every thread records what it was told, so the test also
 * checks that all threads of a block got the same answer. Blocks are all-false, all-true
 * or mixed in turn. */
#ifndef GPUSHIM_SYNC_COUNT_H
#define GPUSHIM_SYNC_COUNT_H

#include "kcommon.h"

#define SYNC_COUNT_BLOCK 192        /* six warps */
#define SYNC_COUNT_BLOCKS 48
#define SYNC_COUNT_N (SYNC_COUNT_BLOCK * SYNC_COUNT_BLOCKS)
#define SYNC_COUNT_SEED 0x5EED0011u

enum { SC_COUNT, SC_OR, SC_AND, SC_COLUMNS };

static inline void sync_count_inputs(int32_t *x, int n) {
  kc_rng r;
  int i;
  kc_rng_seed(&r, SYNC_COUNT_SEED);
  for (i = 0; i < n; i++) {
    int mode = (i / SYNC_COUNT_BLOCK) % 4;   /* 0: all false, 1: all true, else mixed */
    int32_t v = (int32_t)kc_below(&r, 1000);
    x[i] = mode == 0 ? -1 - v : (mode == 1 ? v + 1 : v - 500);
  }
}

static inline int sync_count_pred(int32_t v) { return v > 0; }

/* out[column * n + i]: the answer thread i must have received. */
static inline void sync_count_ref(const int32_t *x, int n, int32_t *out) {
  int b, i;
  for (b = 0; b * SYNC_COUNT_BLOCK < n; b++) {
    int32_t count = 0;
    for (i = b * SYNC_COUNT_BLOCK; i < (b + 1) * SYNC_COUNT_BLOCK; i++) count += sync_count_pred(x[i]);
    for (i = b * SYNC_COUNT_BLOCK; i < (b + 1) * SYNC_COUNT_BLOCK; i++) {
      out[SC_COUNT * n + i] = count;
      out[SC_OR * n + i] = count > 0;
      out[SC_AND * n + i] = count == SYNC_COUNT_BLOCK;
    }
  }
}

static inline size_t sync_count_compare(const int32_t *got, const int32_t *want, int n) {
  static const char *names[SC_COLUMNS] = {"__syncthreads_count", "__syncthreads_or",
                                          "__syncthreads_and"};
  size_t bad = 0;
  int c;
  for (c = 0; c < SC_COLUMNS; c++) bad += kc_compare_i32(names[c], got + c * n, want + c * n, (size_t)n);
  return bad;
}

#endif

/* coop_groups.h - inputs and CPU reference of coop_groups: cooperative groups as modern
 * CUDA code uses them. The block is split into tiles of 16 threads; per thread we record
 * the tile's cg::reduce sum, a tile.shfl_down sum (a thread whose source rank is past the
 * tile reads its own value), tile.ballot, tile.any/all, the tile's meta-group rank and
 * size, and the whole block's sum gathered through shared memory after block.sync(). */
#ifndef GPUSHIM_COOP_GROUPS_H
#define GPUSHIM_COOP_GROUPS_H

#include "kcommon.h"

#define COOP_TILE 16
#define COOP_BLOCK 128
#define COOP_BLOCKS 32
#define COOP_N (COOP_BLOCK * COOP_BLOCKS)     /* whole blocks: every thread takes part */
#define COOP_SEED 0x5EED0017u

enum { CG_REDUCE, CG_DOWN, CG_BALLOT, CG_ANY_ALL, CG_META, CG_BLOCK_SUM, CG_COLUMNS };

static inline const char *coop_name(int c) {
  static const char *names[CG_COLUMNS] = {"cg::reduce", "tile.shfl_down sum", "tile.ballot",
                                          "tile.any/all", "meta_group rank/size", "block sum"};
  return names[c];
}

/* Values in [-999, 999]; every fifth tile all positive, so tile.all is sometimes true. */
static inline void coop_inputs(int32_t *x, int n) {
  kc_rng r;
  int i;
  kc_rng_seed(&r, COOP_SEED);
  for (i = 0; i < n; i++) {
    int32_t v = (int32_t)kc_below(&r, 1999) - 999;
    x[i] = (i / COOP_TILE) % 5 == 0 ? (v < 0 ? -v : v) + 1 : v;
  }
}

static inline void coop_ref(const int32_t *x, int n, uint32_t *out) {
  int t, k, d, b;
  for (t = 0; t < n; t += COOP_TILE) {
    const int32_t *v = x + t;
    int32_t sum = 0, down[COOP_TILE], next[COOP_TILE];
    uint32_t ballot = 0, any = 0, all = 1;
    for (k = 0; k < COOP_TILE; k++) {
      sum += v[k];
      down[k] = v[k];
      ballot |= (uint32_t)(v[k] > 0) << k;
      any |= v[k] > 500;
      all &= v[k] > 0;
    }
    for (d = COOP_TILE / 2; d >= 1; d /= 2) {
      for (k = 0; k < COOP_TILE; k++) next[k] = down[k] + (k + d < COOP_TILE ? down[k + d] : down[k]);
      memcpy(down, next, sizeof down);
    }
    for (k = 0; k < COOP_TILE; k++) {
      out[CG_REDUCE * n + t + k] = (uint32_t)sum;
      out[CG_DOWN * n + t + k] = (uint32_t)down[k];
      out[CG_BALLOT * n + t + k] = ballot;
      out[CG_ANY_ALL * n + t + k] = any | all << 1;
      out[CG_META * n + t + k] = (uint32_t)((t % COOP_BLOCK) / COOP_TILE) | (COOP_BLOCK / COOP_TILE) << 8;
    }
  }
  for (b = 0; b < n / COOP_BLOCK; b++) {
    int32_t sum = 0;
    for (k = 0; k < COOP_BLOCK; k++) sum += x[b * COOP_BLOCK + k];
    for (k = 0; k < COOP_BLOCK; k++) out[CG_BLOCK_SUM * n + b * COOP_BLOCK + k] = (uint32_t)sum;
  }
}

static inline size_t coop_compare(const uint32_t *got, const uint32_t *want, int n) {
  size_t bad = 0;
  int c;
  for (c = 0; c < CG_COLUMNS; c++) bad += kc_compare_u32(coop_name(c), got + c * n, want + c * n, (size_t)n);
  return bad;
}

#endif

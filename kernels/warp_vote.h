/* warp_vote.h - inputs and CPU reference of warp_vote: warp-level intrinsics lane by lane,
 * with divergence. Per thread: __ballot_sync, __all_sync/__any_sync, a __shfl_xor_sync
 * butterfly sum, a __shfl_down_sync sum (lanes past 31 read their own value), a
 * __shfl_sync broadcast, __match_any_sync and __match_all_sync, __shfl_sync with partial
 * masks inside both sides of a divergent branch, and a data-dependent loop with continue
 * and break whose results are summed across the reconverged warp.
 * Warps take turns being all-odd, all-even or mixed, so all/any/match see every case. */
#ifndef GPUSHIM_WARP_VOTE_H
#define GPUSHIM_WARP_VOTE_H

#include "kcommon.h"

#define WARP_VOTE_BLOCK 128
#define WARP_VOTE_BLOCKS 40
#define WARP_VOTE_N (WARP_VOTE_BLOCK * WARP_VOTE_BLOCKS)   /* whole warps only */
#define WARP_VOTE_SEED 0x5EED0014u

enum { WV_BALLOT, WV_ALL_ANY, WV_XOR_SUM, WV_DOWN_SUM, WV_BROADCAST, WV_MATCH_ANY, WV_MATCH_ALL,
       WV_DIVERGENT, WV_LOOP, WV_LOOP_SUM, WV_COLUMNS };

static inline const char *warp_vote_name(int c) {
  static const char *names[WV_COLUMNS] = {"__ballot_sync", "__all_sync/__any_sync",
      "__shfl_xor_sync sum", "__shfl_down_sync sum", "__shfl_sync broadcast", "__match_any_sync",
      "__match_all_sync", "divergent __shfl_sync", "loop with break/continue", "loop sum"};
  return names[c];
}

static inline void warp_vote_inputs(int32_t *x, int n) {
  kc_rng r;
  int i;
  kc_rng_seed(&r, WARP_VOTE_SEED);
  for (i = 0; i < n; i++) {
    int mode = (i / 32) % 3;   /* 0: all odd, 1: all even, 2: mixed */
    int32_t v = (int32_t)kc_below(&r, 1000);
    x[i] = mode == 0 ? (v | 1) : (mode == 1 ? (v & ~1) : v);
  }
}

/* The match key: few distinct values so lanes group; a constant in all-even warps. */
static inline int32_t warp_vote_key(int32_t v, int warp) { return (warp % 3 == 1) ? 7 : v % 5; }

/* The per-lane loop: its trip count, skips and exit depend on the data and the lane. */
static inline int32_t warp_vote_loop(int32_t v, int lane) {
  int32_t acc = 0, k;
  for (k = 0; k < v % 13; k++) {
    if ((k + lane) % 3 == 0) continue;
    acc += k * lane;
    if (acc > 200) break;
  }
  return acc;
}

/* Lowest and highest lane named in a non-zero mask. */
static inline int wv_lowest_lane(uint32_t mask) {
  int lane = 0;
  while (!((mask >> lane) & 1)) lane++;
  return lane;
}

static inline int wv_highest_lane(uint32_t mask) {
  int lane = 31;
  while (!((mask >> lane) & 1)) lane--;
  return lane;
}

static inline void warp_vote_ref(const int32_t *x, int n, uint32_t *out) {
  int base, lane, d;
  for (base = 0; base < n; base += 32) {
    const int32_t *v = x + base;
    int warp = base / 32;
    uint32_t ballot = 0, match_all = 1, divergent_src_odd, divergent_src_even;
    int32_t sum = 0, loop_sum = 0, down[32], loops[32];
    for (lane = 0; lane < 32; lane++) {
      ballot |= (uint32_t)(v[lane] & 1) << lane;
      sum += v[lane];
      loops[lane] = warp_vote_loop(v[lane], lane);
      loop_sum += loops[lane];
      down[lane] = v[lane];
      if (warp_vote_key(v[lane], warp) != warp_vote_key(v[0], warp)) match_all = 0;
    }
    for (d = 16; d >= 1; d /= 2) {   /* simultaneous steps, as the warp does them */
      int32_t next[32];
      for (lane = 0; lane < 32; lane++) next[lane] = down[lane] + (lane + d < 32 ? down[lane + d] : down[lane]);
      memcpy(down, next, sizeof down);
    }
    divergent_src_odd = ballot ? (uint32_t)wv_lowest_lane(ballot) : 0;
    divergent_src_even = ~ballot ? (uint32_t)wv_highest_lane(~ballot) : 0;
    for (lane = 0; lane < 32; lane++) {
      uint32_t match = 0;
      int other;
      for (other = 0; other < 32; other++)
        if (warp_vote_key(v[other], warp) == warp_vote_key(v[lane], warp)) match |= 1u << other;
      out[WV_BALLOT * n + base + lane] = ballot;
      out[WV_ALL_ANY * n + base + lane] = (ballot == 0xFFFFFFFFu) | (uint32_t)(ballot != 0) << 1;
      out[WV_XOR_SUM * n + base + lane] = (uint32_t)sum;
      out[WV_DOWN_SUM * n + base + lane] = (uint32_t)down[lane];
      out[WV_BROADCAST * n + base + lane] = (uint32_t)v[warp % 32];
      out[WV_MATCH_ANY * n + base + lane] = match;
      out[WV_MATCH_ALL * n + base + lane] = match_all ? 0xFFFFFFFFu ^ 1u : 0u;
      out[WV_DIVERGENT * n + base + lane] =
          (uint32_t)((v[lane] & 1) ? v[divergent_src_odd] : v[divergent_src_even]);
      out[WV_LOOP * n + base + lane] = (uint32_t)loops[lane];
      out[WV_LOOP_SUM * n + base + lane] = (uint32_t)loop_sum;
    }
  }
}

static inline size_t warp_vote_compare(const uint32_t *got, const uint32_t *want, int n) {
  size_t bad = 0;
  int c;
  for (c = 0; c < WV_COLUMNS; c++)
    bad += kc_compare_u32(warp_vote_name(c), got + c * n, want + c * n, (size_t)n);
  return bad;
}

#endif

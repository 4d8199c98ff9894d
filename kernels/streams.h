/* streams.h - inputs and CPU reference of streams: two streams each square-and-increment
 * their half of the data; the second then waits (through an event) for the first and adds
 * the first half's result into its own. Values are small multiples of 1/4, so every
 * result is exact. */
#ifndef GPUSHIM_STREAMS_H
#define GPUSHIM_STREAMS_H

#include "kcommon.h"

#define STREAMS_HALF 32771          /* elements per stream */
#define STREAMS_BLOCK 256
#define STREAMS_SEED 0x5EED0012u

static inline void streams_inputs(float *x0, float *x1, int n) {
  kc_rng r;
  int i;
  kc_rng_seed(&r, STREAMS_SEED);
  for (i = 0; i < n; i++) {
    x0[i] = (float)((int)kc_below(&r, 513) - 256) * 0.25f;
    x1[i] = (float)((int)kc_below(&r, 513) - 256) * 0.25f;
  }
}

/* y0 = x0^2 + 1; y1 = x1^2 + 1 + y0. */
static inline void streams_ref(const float *x0, const float *x1, float *y0, float *y1, int n) {
  int i;
  for (i = 0; i < n; i++) {
    y0[i] = x0[i] * x0[i] + 1.0f;
    y1[i] = x1[i] * x1[i] + 1.0f + y0[i];
  }
}

#endif

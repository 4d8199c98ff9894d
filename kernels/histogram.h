/* histogram.h - inputs and CPU reference of the histogram (global and shared atomics).
 * Half of the values land in one bin, so atomics on it are heavily contended. */
#ifndef GPUSHIM_HISTOGRAM_H
#define GPUSHIM_HISTOGRAM_H

#include "kcommon.h"

#define HISTOGRAM_N ((1 << 18) + 11)
#define HISTOGRAM_BINS 200          /* not a power of two; the shared copy is dynamic */
#define HISTOGRAM_HOT_BIN 7
#define HISTOGRAM_BLOCK 256
#define HISTOGRAM_GRID 64
#define HISTOGRAM_SEED 0x5EED0005u

static inline void histogram_inputs(uint32_t *data, int n) {
  kc_rng r;
  int i;
  kc_rng_seed(&r, HISTOGRAM_SEED);
  for (i = 0; i < n; i++) {
    uint32_t v = kc_next_u32(&r);
    data[i] = (v & 1) ? HISTOGRAM_HOT_BIN : (v >> 1) % HISTOGRAM_BINS;
  }
}

static inline void histogram_ref(const uint32_t *data, int n, uint32_t *bins) {
  int i;
  memset(bins, 0, HISTOGRAM_BINS * sizeof(uint32_t));
  for (i = 0; i < n; i++) bins[data[i]]++;
}

#endif

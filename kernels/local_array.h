/* local_array.h - inputs and CPU reference of local_array: each thread fills a private
 * table, then reads and updates it at data-dependent indices (so it must live in local
 * memory, not registers). */
#ifndef GPUSHIM_LOCAL_ARRAY_H
#define GPUSHIM_LOCAL_ARRAY_H

#include "kcommon.h"

#define LOCAL_ARRAY_N 20011
#define LOCAL_ARRAY_LEN 24
#define LOCAL_ARRAY_ROUNDS 16
#define LOCAL_ARRAY_BLOCK 128
#define LOCAL_ARRAY_SEED 0x5EED0007u

static inline void local_array_inputs(uint32_t *seeds, int n) {
  kc_rng r;
  int i;
  kc_rng_seed(&r, LOCAL_ARRAY_SEED);
  for (i = 0; i < n; i++) seeds[i] = kc_next_u32(&r);
}

/* What one thread computes from its seed (the kernel does the same steps). */
static inline uint32_t local_array_one(uint32_t s) {
  uint32_t table[LOCAL_ARRAY_LEN], acc = 0;
  int k, j;
  for (k = 0; k < LOCAL_ARRAY_LEN; k++) {
    s = s * 1664525u + 1013904223u;
    table[k] = s ^ (uint32_t)k;
  }
  for (j = 0; j < LOCAL_ARRAY_ROUNDS; j++) {
    uint32_t idx = (s >> (j & 15)) % LOCAL_ARRAY_LEN;
    acc += table[idx];
    table[(idx * 7u + (uint32_t)j) % LOCAL_ARRAY_LEN] ^= acc;
    s = s * 1664525u + 1013904223u;
  }
  return acc ^ table[s % LOCAL_ARRAY_LEN];
}

static inline void local_array_ref(const uint32_t *seeds, uint32_t *out, int n) {
  int i;
  for (i = 0; i < n; i++) out[i] = local_array_one(seeds[i]);
}

#endif

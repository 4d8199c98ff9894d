/* fptr.h - inputs and CPU reference of fptr: device function pointers (a table of four
 * operations in a __device__ array, picked per element, so a warp's lanes call different
 * targets) and virtual functions (a three-class hierarchy called through a base pointer). */
#ifndef GPUSHIM_FPTR_H
#define GPUSHIM_FPTR_H

#include "kcommon.h"

#define FPTR_N 5003
#define FPTR_BLOCK 64
#define FPTR_SEED 0x5EED00F1u

static inline uint32_t fp_op(uint32_t k, uint32_t a, uint32_t b) {
  switch (k & 3u) {
  case 0: return a + b * 3u;
  case 1: return a ^ (b << 7);
  case 2: return a * (b | 1u);
  default: return (a >> 5 | a << 27) - b;
  }
}

/* Shape::eval of the three classes; each object holds a scale set from the element. */
static inline uint32_t fp_virt(uint32_t k, uint32_t scale, uint32_t x) {
  switch (k % 3u) {
  case 0: return scale * x + 1u;
  case 1: return (scale ^ x) * 7u;
  default: return scale + x * x;
  }
}

static inline void fptr_inputs(uint32_t *u, int n) {
  kc_rng r;
  int i;
  kc_rng_seed(&r, FPTR_SEED);
  for (i = 0; i < n; i++) u[i] = kc_next_u32(&r);
}

static inline void fptr_ref(const uint32_t *u, uint32_t *out_t, uint32_t *out_v, int n) {
  int i;
  for (i = 0; i < n; i++) {
    out_t[i] = fp_op(u[i], u[i], (uint32_t)i);
    out_v[i] = fp_virt(u[i] >> 8, u[i] & 0xffffu, (uint32_t)i);
  }
}

#endif

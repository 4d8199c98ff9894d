/* vector_add.h - inputs and CPU reference of vector_add (c[i] = a[i] + b[i]). */
#ifndef GPUSHIM_VECTOR_ADD_H
#define GPUSHIM_VECTOR_ADD_H

#include "kcommon.h"

#define VECTOR_ADD_N 100003      /* not a multiple of the block: the tail is bounds-checked */
#define VECTOR_ADD_BLOCK 256
#define VECTOR_ADD_SEED 0x5EED0001u

static inline void vector_add_inputs(float *a, float *b, int n) {
  kc_rng r;
  kc_rng_seed(&r, VECTOR_ADD_SEED);
  kc_fill_uniform(&r, a, (size_t)n, -100.0f, 100.0f);
  kc_fill_uniform(&r, b, (size_t)n, -100.0f, 100.0f);
}

/* One IEEE single addition per element, exactly what the GPU does. */
static inline void vector_add_ref(const float *a, const float *b, float *c, int n) {
  int i;
  for (i = 0; i < n; i++) c[i] = a[i] + b[i];
}

#endif

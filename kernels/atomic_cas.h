/* atomic_cas.h - inputs and CPU reference of atomic_cas: atomics built from atomicCAS
 * loops, as programs write them for operations the hardware lacks: a float atomicMax into
 * ATOMIC_CAS_SLOTS slots (odd slots see only negative values), a 64-bit wrapping sum, and
 * a counter of positive values. All three results are independent of the order. */
#ifndef GPUSHIM_ATOMIC_CAS_H
#define GPUSHIM_ATOMIC_CAS_H

#include "kcommon.h"

#define ATOMIC_CAS_N 40009
#define ATOMIC_CAS_SLOTS 16
#define ATOMIC_CAS_BLOCK 256
#define ATOMIC_CAS_GRID 24
#define ATOMIC_CAS_SEED 0x5EED000Fu

static inline void atomic_cas_inputs(float *x, uint64_t *w, int n) {
  kc_rng r;
  int i;
  kc_rng_seed(&r, ATOMIC_CAS_SEED);
  for (i = 0; i < n; i++) {
    float v = kc_uniform(&r, 0.0f, 1000.0f);
    x[i] = (i % ATOMIC_CAS_SLOTS) % 2 ? -v : v - 500.0f;
    w[i] = kc_next_u64(&r);
  }
}

/* slots: the maximum of x over i = slot mod SLOTS; sum: the wrapping sum of w; positives:
 * how many x are > 0. */
static inline void atomic_cas_ref(const float *x, const uint64_t *w, int n, float *slots,
                                  uint64_t *sum, uint32_t *positives) {
  int i;
  for (i = 0; i < ATOMIC_CAS_SLOTS; i++) slots[i] = -INFINITY;
  *sum = 0;
  *positives = 0;
  for (i = 0; i < n; i++) {
    if (x[i] > slots[i % ATOMIC_CAS_SLOTS]) slots[i % ATOMIC_CAS_SLOTS] = x[i];
    *sum += w[i];
    *positives += x[i] > 0.0f;
  }
}

#endif

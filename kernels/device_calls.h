/* device_calls.h - inputs and CPU reference of device_calls: a chain of __noinline__
 * device functions (taking several arguments, returning a struct, recursing), mirrored
 * here function by function. */
#ifndef GPUSHIM_DEVICE_CALLS_H
#define GPUSHIM_DEVICE_CALLS_H

#include "kcommon.h"

#define DEVICE_CALLS_N 8209
#define DEVICE_CALLS_BLOCK 96       /* three warps */
#define DEVICE_CALLS_SEED 0x5EED0008u

typedef struct {
  uint32_t lo;
  uint32_t hi;
} device_calls_pair;

static inline uint32_t dc_mix(uint32_t a, uint32_t b) { return (a ^ (b << 5)) * 2654435761u + (b >> 3); }

static inline uint32_t dc_mix3(uint32_t a, uint32_t b, uint32_t c) {
  return dc_mix(dc_mix(a, b), c) ^ 0x9E3779B9u;
}

static inline device_calls_pair dc_split(uint64_t v) {
  device_calls_pair p;
  p.lo = (uint32_t)v;
  p.hi = (uint32_t)(v >> 32);
  return p;
}

/* Sum of decimal digits, recursively (depth <= 10). */
static inline uint32_t dc_digit_sum(uint32_t x) { return x < 10 ? x : x % 10 + dc_digit_sum(x / 10); }

/* x * 0.5 is exact, so fused or not this rounds once: the same on any device. */
static inline float dc_half_plus(float x, int k) { return x * 0.5f + (float)k; }

static inline void device_calls_inputs(uint32_t *u, float *f, int n) {
  kc_rng r;
  int i;
  kc_rng_seed(&r, DEVICE_CALLS_SEED);
  for (i = 0; i < n; i++) {
    u[i] = kc_next_u32(&r);
    f[i] = kc_uniform(&r, -100.0f, 100.0f);
  }
}

/* out_u[i]: mix3 chain; out_d[i]: digit sum of the pair's halves; out_f[i]: half_plus. */
static inline void device_calls_ref(const uint32_t *u, const float *f, uint32_t *out_u,
                                    uint32_t *out_d, float *out_f, int n) {
  int i;
  for (i = 0; i < n; i++) {
    uint32_t m = dc_mix3(u[i], (uint32_t)i, 0xABCDEFu);
    device_calls_pair p = dc_split((uint64_t)m * u[i]);
    out_u[i] = m;
    out_d[i] = dc_digit_sum(p.lo) + 100u * dc_digit_sum(p.hi);
    out_f[i] = dc_half_plus(f[i], i % 5);
  }
}

#endif

/* many_params.h - the argument values and CPU reference of many_params, a kernel taking
 * parameters of every common size (char, short, int, long long, float, double, a struct by
 * value, unsigned char, pointers), so parameter-buffer layout and alignment are exercised.
 * The values are chosen so every result is exact (no rounding on any device). */
#ifndef GPUSHIM_MANY_PARAMS_H
#define GPUSHIM_MANY_PARAMS_H

#include "kcommon.h"

#define MANY_PARAMS_N 4099
#define MANY_PARAMS_BLOCK 128
#define MANY_PARAMS_SEED 0x5EED0009u

/* Passed by value: 32 bytes, 8-byte aligned, with padding after a and c. */
typedef struct {
  int32_t a;
  double b;
  char c;
  float v[3];
} many_params_struct;

#define MANY_PARAMS_C ((char)-7)
#define MANY_PARAMS_S ((short)-1234)
#define MANY_PARAMS_I 123456
#define MANY_PARAMS_LL ((1LL << 40) + 5)
#define MANY_PARAMS_F 1.25f
#define MANY_PARAMS_D 0.5
#define MANY_PARAMS_UC ((unsigned char)200)

static inline many_params_struct many_params_struct_value(void) {
  many_params_struct p;
  memset(&p, 0, sizeof p);
  p.a = -99;
  p.b = 3.75;
  p.c = 'A';
  p.v[0] = 0.5f;
  p.v[1] = 0.25f;
  p.v[2] = -2.0f;
  return p;
}

static inline void many_params_inputs(int32_t *in, int n) {
  kc_rng r;
  int i;
  kc_rng_seed(&r, MANY_PARAMS_SEED);
  for (i = 0; i < n; i++) in[i] = (int32_t)kc_below(&r, 2000001) - 1000000;
}

static inline void many_params_ref(const int32_t *in, int64_t *out_ll, double *out_d, int n) {
  many_params_struct p = many_params_struct_value();
  int t;
  for (t = 0; t < n; t++) {
    out_ll[t] = MANY_PARAMS_C + (int64_t)MANY_PARAMS_S * t + MANY_PARAMS_I + MANY_PARAMS_LL +
                p.a + p.c + (int64_t)MANY_PARAMS_UC * t + in[t];
    out_d[t] = MANY_PARAMS_D * t + MANY_PARAMS_F + p.b + p.v[0] + (double)(p.v[1] * (float)t) +
               p.v[2];
  }
}

#endif

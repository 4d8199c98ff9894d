/* half_convert.h - inputs and CPU reference of half_convert: float <-> half conversions
 * (round to nearest even and toward zero, with overflow, subnormals, signed zeros, inf
 * and NaN) and half arithmetic (__hadd, __hsub, __hmul, __hfma, __hadd2).
 *
 * Halves are handled as their 16-bit patterns. The reference rounds exact values once:
 * a sum or product of two halves is exact in double, and so is a*b+c for the operands we
 * generate (|x| in [2^-6, 4]: the bits span 2^5 .. 2^-32), so each result is the correctly
 * rounded one that IEEE half arithmetic produces. */
#ifndef GPUSHIM_HALF_CONVERT_H
#define GPUSHIM_HALF_CONVERT_H

#include "kcommon.h"

#define HALF_N 6007
#define HALF_BLOCK 128
#define HALF_SEED 0x5EED000Eu

/* Result columns (16-bit patterns, widened to 32 bits), and the float results. */
enum { HC_RN, HC_RZ, HC_ADD, HC_SUB, HC_MUL, HC_FMA, HC_ADD2_LO, HC_ADD2_HI, HC_COLUMNS };
enum { HF_BACK, HF_H1, HF_FCOLUMNS };   /* __half2float of the rn result and of h1 */

static inline const char *half_name(int c) {
  static const char *names[HC_COLUMNS] = {"__float2half", "__float2half_rz", "__hadd", "__hsub",
                                          "__hmul", "__hfma", "__hadd2 low", "__hadd2 high"};
  return names[c];
}

/* The value of a half bit pattern (exact in float). */
static inline float half_to_float(uint16_t h) {
  int exp = (h >> 10) & 0x1F, mant = h & 0x3FF;
  double mag;
  if (exp == 31) mag = mant ? NAN : INFINITY;
  else if (exp == 0) mag = ldexp((double)mant, -24);
  else mag = ldexp((double)(mant | 0x400), exp - 25);
  return (float)((h & 0x8000) ? -mag : mag);
}

/* Rounds v to half: to nearest even (toward_zero 0) or toward zero (1). */
static inline uint16_t half_from_double(double v, int toward_zero) {
  uint16_t sign = signbit(v) ? 0x8000 : 0;
  double a = fabs(v), quantum, q;
  int e;
  if (isnan(v)) return (uint16_t)(sign | 0x7E00);
  if (isinf(v)) return (uint16_t)(sign | 0x7C00);
  if (a == 0.0) return sign;
  frexp(a, &e);                       /* a in [2^(e-1), 2^e) */
  quantum = ldexp(1.0, (e - 1 < -14 ? -14 : e - 1) - 10);
  q = a / quantum;                    /* exact: a power-of-two scaling */
  q = toward_zero ? trunc(q) : nearbyint(q);   /* default mode: nearest, ties to even */
  a = q * quantum;
  if (a >= 65536.0) return (uint16_t)(sign | (toward_zero ? 0x7BFF : 0x7C00));
  if (a < ldexp(1.0, -14)) return (uint16_t)(sign | (uint16_t)(a * 16777216.0)); /* subnormal */
  frexp(a, &e);
  return (uint16_t)(sign | (uint16_t)((e + 14) << 10) | (uint16_t)(ldexp(a, 11 - e) - 1024.0));
}

/* Floats for conversion: random over the half range and beyond, plus edge cases. */
static inline float half_pick_float(kc_rng *r, int i) {
  static const float special[] = {0.0f, -0.0f, 65504.0f, 65519.0f, 65520.0f, -65520.0f, 1e6f,
      5.9604645e-8f /* 2^-24 */, 2.9802322e-8f /* 2^-25 */, 4.4703484e-8f /* 1.5 * 2^-25 */,
      6.1035156e-5f /* 2^-14 */, 6.0975552e-5f, 1.0009766f /* 1 + 2^-10 */,
      1.00048828125f /* a tie */, 1.00146484375f /* another tie */, 1e-10f, INFINITY,
      -INFINITY, NAN};
  if (i < (int)(sizeof special / sizeof special[0])) return special[i];
  switch (kc_below(r, 3)) {
    case 0: return kc_uniform(r, -70000.0f, 70000.0f);
    case 1: return kc_uniform(r, -2.0f, 2.0f);
    default: return ldexp(kc_uniform(r, 1.0f, 2.0f), (int)kc_below(r, 50) - 30);
  }
}

/* A half operand with magnitude in [2^-6, 4] (see the top of this file). */
static inline uint16_t half_pick_operand(kc_rng *r) {
  float mag = ldexp(kc_uniform(r, 1.0f, 2.0f), (int)kc_below(r, 8) - 6);
  return half_from_double(kc_below(r, 2) ? -(double)mag : (double)mag, 0);
}

static inline void half_inputs(float *f, uint16_t *h1, uint16_t *h2, uint16_t *h3, int n) {
  kc_rng r;
  int i;
  kc_rng_seed(&r, HALF_SEED);
  for (i = 0; i < n; i++) {
    f[i] = half_pick_float(&r, i);
    h1[i] = half_pick_operand(&r);
    h2[i] = half_pick_operand(&r);
    h3[i] = half_pick_operand(&r);
  }
}

static inline void half_ref(const float *f, const uint16_t *h1, const uint16_t *h2,
                            const uint16_t *h3, uint32_t *out, float *fout, int n) {
  int i;
  for (i = 0; i < n; i++) {
    double a = half_to_float(h1[i]), b = half_to_float(h2[i]), c = half_to_float(h3[i]);
    uint16_t rn = half_from_double(f[i], 0);
    out[HC_RN * n + i] = rn;
    out[HC_RZ * n + i] = half_from_double(f[i], 1);
    out[HC_ADD * n + i] = half_from_double(a + b, 0);
    out[HC_SUB * n + i] = half_from_double(a - b, 0);
    out[HC_MUL * n + i] = half_from_double(a * b, 0);
    out[HC_FMA * n + i] = half_from_double(a * b + c, 0);
    out[HC_ADD2_LO * n + i] = half_from_double(a + c, 0);
    out[HC_ADD2_HI * n + i] = half_from_double(b + a, 0);
    fout[HF_BACK * n + i] = half_to_float(rn);
    fout[HF_H1 * n + i] = (float)a;
  }
}

static inline int half_is_nan(uint32_t h) { return (h & 0x7C00) == 0x7C00 && (h & 0x3FF); }

/* Bit-exact, except that any NaN matches any NaN (NaN payloads are not specified). */
static inline size_t half_compare(const uint32_t *got, const uint32_t *want, const float *fgot,
                                  const float *fwant, int n) {
  size_t bad = 0;
  int c, i;
  for (c = 0; c < HC_COLUMNS; c++) {
    size_t col_bad = 0;
    for (i = 0; i < n; i++) {
      uint32_t g = got[c * n + i], w = want[c * n + i];
      if (g == w || (half_is_nan(g) && half_is_nan(w))) continue;
      if (++col_bad <= KC_MAX_REPORTED)
        printf("  %s[%d]: got 0x%04x, want 0x%04x\n", half_name(c), i, g, w);
    }
    kc_report_more(half_name(c), col_bad);
    bad += col_bad;
  }
  for (c = 0; c < HF_FCOLUMNS; c++)
    for (i = 0; i < n; i++) {
      float g = fgot[c * n + i], w = fwant[c * n + i];
      if (memcmp(&g, &w, sizeof g) == 0 || (isnan(g) && isnan(w))) continue;
      if (++bad <= KC_MAX_REPORTED)
        printf("  __half2float[%d][%d]: got %.9g, want %.9g\n", c, i, (double)g, (double)w);
    }
  return bad;
}

#endif

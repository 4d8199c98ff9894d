/* intdiv.h - inputs and CPU reference of intdiv: signed and unsigned division and modulo,
 * 32 and 64 bit, by run-time divisors (negative operands, extremes, small and huge values)
 * and by constants (which nvcc turns into multiply-high sequences). INT_MIN / -1 and
 * LLONG_MIN / -1 (undefined in C and CUDA) are never generated. C99 and CUDA both truncate
 * toward zero, so the reference is plain C. */
#ifndef GPUSHIM_INTDIV_H
#define GPUSHIM_INTDIV_H

#include <limits.h>
#include "kcommon.h"

#define INTDIV_N 12007
#define INTDIV_BLOCK 128
#define INTDIV_SEED 0x5EED000Cu

/* Result columns, each INTDIV_N long. */
enum { ID32_SDIV, ID32_SREM, ID32_UDIV, ID32_UREM, ID32_SDIV7, ID32_SREM7, ID32_UDIV10,
       ID32_UREM10, ID32_COLUMNS };
enum { ID64_SDIV, ID64_SREM, ID64_UDIV, ID64_UREM, ID64_SDIVK, ID64_UREM3, ID64_COLUMNS };
#define INTDIV_K64 1000003LL

static inline const char *intdiv_name32(int c) {
  static const char *names[ID32_COLUMNS] = {"s32 a/b", "s32 a%b", "u32 a/b", "u32 a%b",
                                            "s32 a/7", "s32 a%-7", "u32 a/10", "u32 a%10"};
  return names[c];
}

static inline const char *intdiv_name64(int c) {
  static const char *names[ID64_COLUMNS] = {"s64 a/b", "s64 a%b", "u64 a/b", "u64 a%b",
                                            "s64 a/1000003", "u64 a%3"};
  return names[c];
}

/* Mostly random bits, often small values, sometimes an extreme. */
static inline int64_t intdiv_pick(kc_rng *r, int bits) {
  static const int64_t special[] = {0, 1, -1, 2, -2, 7, -7, INT_MAX, INT_MIN, LLONG_MAX,
                                    LLONG_MIN};
  uint64_t v;
  switch (kc_below(r, 4)) {
    case 0: v = (uint64_t)special[kc_below(r, sizeof special / sizeof special[0])]; break;
    case 1: v = (uint64_t)((int64_t)kc_below(r, 2001) - 1000); break;
    default: v = kc_next_u64(r); break;
  }
  return bits == 32 ? (int64_t)(int32_t)(uint32_t)v : (int64_t)v;
}

/* Operands: a32[i], b32[i] (used signed and unsigned), a64[i], b64[i] likewise. */
static inline void intdiv_inputs(int32_t *a32, int32_t *b32, int64_t *a64, int64_t *b64, int n) {
  kc_rng r;
  int i;
  kc_rng_seed(&r, INTDIV_SEED);
  for (i = 0; i < n; i++) {
    a32[i] = (int32_t)intdiv_pick(&r, 32);
    b32[i] = (int32_t)intdiv_pick(&r, 32);
    if (b32[i] == 0 || (a32[i] == INT_MIN && b32[i] == -1)) b32[i] = 3;
    a64[i] = intdiv_pick(&r, 64);
    b64[i] = intdiv_pick(&r, 64);
    if (b64[i] == 0 || (a64[i] == LLONG_MIN && b64[i] == -1)) b64[i] = -3;
  }
}

static inline void intdiv_ref(const int32_t *a32, const int32_t *b32, const int64_t *a64,
                              const int64_t *b64, uint32_t *out32, uint64_t *out64, int n) {
  int i;
  for (i = 0; i < n; i++) {
    int32_t a = a32[i], b = b32[i];
    uint32_t ua = (uint32_t)a, ub = (uint32_t)b;
    int64_t A = a64[i], B = b64[i];
    uint64_t UA = (uint64_t)A, UB = (uint64_t)B;
    out32[ID32_SDIV * n + i] = (uint32_t)(a / b);
    out32[ID32_SREM * n + i] = (uint32_t)(a % b);
    out32[ID32_UDIV * n + i] = ua / ub;
    out32[ID32_UREM * n + i] = ua % ub;
    out32[ID32_SDIV7 * n + i] = (uint32_t)(a / 7);
    out32[ID32_SREM7 * n + i] = (uint32_t)(a % -7);
    out32[ID32_UDIV10 * n + i] = ua / 10u;
    out32[ID32_UREM10 * n + i] = ua % 10u;
    out64[ID64_SDIV * n + i] = (uint64_t)(A / B);
    out64[ID64_SREM * n + i] = (uint64_t)(A % B);
    out64[ID64_UDIV * n + i] = UA / UB;
    out64[ID64_UREM * n + i] = UA % UB;
    out64[ID64_SDIVK * n + i] = (uint64_t)(A / INTDIV_K64);
    out64[ID64_UREM3 * n + i] = UA % 3u;
  }
}

static inline size_t intdiv_compare(const uint32_t *got32, const uint32_t *want32,
                                    const uint64_t *got64, const uint64_t *want64, int n) {
  size_t bad = 0;
  int c;
  for (c = 0; c < ID32_COLUMNS; c++)
    bad += kc_compare_u32(intdiv_name32(c), got32 + c * n, want32 + c * n, (size_t)n);
  for (c = 0; c < ID64_COLUMNS; c++)
    bad += kc_compare_u64(intdiv_name64(c), got64 + c * n, want64 + c * n, (size_t)n);
  return bad;
}

#endif

/* atomics.h - inputs and CPU reference of atomics: every CUDA atomic function, on global
 * and on shared memory, 32 and 64 bit, under contention. All results are independent of
 * the order the threads get there: integer folds, float/double sums of small integers
 * (exact), atomicInc/atomicDec (which cycle), and atomicExch, checked as a permutation
 * (the old values returned plus the final value are each exchanged value exactly once). */
#ifndef GPUSHIM_ATOMICS_H
#define GPUSHIM_ATOMICS_H

#include <limits.h>
#include <stdlib.h>
#include "kcommon.h"

#define ATOMICS_BLOCK 256
#define ATOMICS_BLOCKS 48
#define ATOMICS_N (ATOMICS_BLOCK * ATOMICS_BLOCKS)
#define ATOMICS_INC_LIMIT 1000u
#define ATOMICS_DEC_START 500u
#define ATOMICS_SEED 0x5EED0015u

/* 32-bit slots (floats are stored as their bits) and 64-bit slots; the shared-memory copy
 * in every block uses the same layout. */
enum { A32_ADD, A32_SUB, A32_MIN_S, A32_MAX_S, A32_MIN_U, A32_MAX_U, A32_AND, A32_OR, A32_XOR,
       A32_INC, A32_DEC, A32_ADD_F, A32_EXCH, A32_COUNT };
enum { A64_ADD, A64_MIN_S, A64_MAX_S, A64_MIN_U, A64_MAX_U, A64_AND, A64_OR, A64_XOR, A64_ADD_D,
       A64_COUNT };

static inline const char *atomics_name32(int k) {
  static const char *names[A32_COUNT] = {"atomicAdd(int)", "atomicSub(int)", "atomicMin(int)",
      "atomicMax(int)", "atomicMin(unsigned)", "atomicMax(unsigned)", "atomicAnd(unsigned)",
      "atomicOr(unsigned)", "atomicXor(unsigned)", "atomicInc", "atomicDec", "atomicAdd(float)",
      "atomicExch (final)"};
  return names[k];
}

static inline const char *atomics_name64(int k) {
  static const char *names[A64_COUNT] = {"atomicAdd(u64)", "atomicMin(long long)",
      "atomicMax(long long)", "atomicMin(u64)", "atomicMax(u64)", "atomicAnd(u64)", "atomicOr(u64)",
      "atomicXor(u64)", "atomicAdd(double)"};
  return names[k];
}

/* The values slots start from (uploaded for global memory, read by blocks for shared). */
static inline void atomics_initial(uint32_t *s32, uint64_t *s64) {
  float zero_f = 0.0f;
  double zero_d = 0.0;
  memset(s32, 0, A32_COUNT * sizeof *s32);
  memset(s64, 0, A64_COUNT * sizeof *s64);
  s32[A32_MIN_S] = (uint32_t)INT_MAX;
  s32[A32_MAX_S] = (uint32_t)INT_MIN;
  s32[A32_MIN_U] = 0xFFFFFFFFu;
  s32[A32_AND] = 0xFFFFFFFFu;
  s32[A32_DEC] = ATOMICS_DEC_START;
  memcpy(&s32[A32_ADD_F], &zero_f, sizeof zero_f);
  s64[A64_MIN_S] = (uint64_t)LLONG_MAX;
  s64[A64_MAX_S] = (uint64_t)LLONG_MIN;
  s64[A64_MIN_U] = ~0ull;
  s64[A64_AND] = ~0ull;
  memcpy(&s64[A64_ADD_D], &zero_d, sizeof zero_d);
}

/* Per thread: v (small signed), u (32 random bits), w (64 random bits). */
static inline void atomics_inputs(int32_t *v, uint32_t *u, uint64_t *w, int n) {
  kc_rng r;
  int i;
  kc_rng_seed(&r, ATOMICS_SEED);
  for (i = 0; i < n; i++) {
    v[i] = (int32_t)kc_below(&r, 2001) - 1000;
    u[i] = kc_next_u32(&r) | 0x80100000u;   /* a few bits set everywhere: AND stays non-zero */
    w[i] = kc_next_u64(&r) | 0x8000000000000001ull;
  }
}

/* Folds threads [first, first + count) into slots as the atomics would. */
static inline void atomics_fold(const int32_t *v, const uint32_t *u, const uint64_t *w, int first,
                                int count, uint32_t *s32, uint64_t *s64) {
  float sum_f = 0.0f;
  double sum_d = 0.0;
  int i;
  atomics_initial(s32, s64);
  for (i = first; i < first + count; i++) {
    int32_t sv = v[i];
    int64_t sw = (int64_t)w[i];
    s32[A32_ADD] += (uint32_t)sv;
    s32[A32_SUB] -= (uint32_t)sv;
    if (sv < (int32_t)s32[A32_MIN_S]) s32[A32_MIN_S] = (uint32_t)sv;
    if (sv > (int32_t)s32[A32_MAX_S]) s32[A32_MAX_S] = (uint32_t)sv;
    if (u[i] < s32[A32_MIN_U]) s32[A32_MIN_U] = u[i];
    if (u[i] > s32[A32_MAX_U]) s32[A32_MAX_U] = u[i];
    s32[A32_AND] &= u[i];
    s32[A32_OR] |= u[i];
    s32[A32_XOR] ^= u[i];
    s32[A32_INC] = s32[A32_INC] >= ATOMICS_INC_LIMIT ? 0 : s32[A32_INC] + 1;
    s32[A32_DEC] = (s32[A32_DEC] == 0 || s32[A32_DEC] > ATOMICS_INC_LIMIT) ? ATOMICS_INC_LIMIT
                                                                           : s32[A32_DEC] - 1;
    sum_f += (float)sv;                     /* integers below 2^24: exact in any order */
    s64[A64_ADD] += w[i];
    if (sw < (int64_t)s64[A64_MIN_S]) s64[A64_MIN_S] = (uint64_t)sw;
    if (sw > (int64_t)s64[A64_MAX_S]) s64[A64_MAX_S] = (uint64_t)sw;
    if (w[i] < s64[A64_MIN_U]) s64[A64_MIN_U] = w[i];
    if (w[i] > s64[A64_MAX_U]) s64[A64_MAX_U] = w[i];
    s64[A64_AND] &= w[i];
    s64[A64_OR] |= w[i];
    s64[A64_XOR] ^= w[i];
    sum_d += sv * 0.5;                      /* halves of small integers: exact */
  }
  memcpy(&s32[A32_ADD_F], &sum_f, sizeof sum_f);
  memcpy(&s64[A64_ADD_D], &sum_d, sizeof sum_d);
}

/* atomicExch of the values 1..count into a slot starting at 0: the old values returned and
 * the final value must be 0..count, each once. Returns the number of problems. */
static inline size_t atomics_check_exchange(const char *label, const uint32_t *olds, int count,
                                            uint32_t final_value, unsigned char *seen) {
  size_t bad = 0;
  int i;
  memset(seen, 0, (size_t)count + 1);
  for (i = 0; i <= count; i++) {
    uint32_t x = i < count ? olds[i] : final_value;
    if (x > (uint32_t)count || seen[x]++) {
      if (++bad <= KC_MAX_REPORTED) printf("  %s: value %u returned twice or out of range\n", label, x);
    }
  }
  kc_report_more(label, bad);
  return bad;
}

/* Compares the global slots, every block's shared slots, and both exchanges. */
static inline size_t atomics_compare(const int32_t *v, const uint32_t *u, const uint64_t *w,
                                     const uint32_t *g32, const uint64_t *g64,
                                     const uint32_t *b32, const uint64_t *b64,
                                     const uint32_t *g_olds, const uint32_t *s_olds) {
  uint32_t want32[A32_COUNT];
  uint64_t want64[A64_COUNT];
  unsigned char *seen = (unsigned char *)malloc(ATOMICS_N + 1);
  char label[64];
  size_t bad = 0;
  int b, k;
  if (!seen) return 1;
  atomics_fold(v, u, w, 0, ATOMICS_N, want32, want64);
  for (k = 0; k < A32_COUNT; k++) {
    if (k == A32_EXCH) continue;
    snprintf(label, sizeof label, "global %s", atomics_name32(k));
    bad += kc_compare_u32(label, &g32[k], &want32[k], 1);
  }
  for (k = 0; k < A64_COUNT; k++) {
    snprintf(label, sizeof label, "global %s", atomics_name64(k));
    bad += kc_compare_u64(label, &g64[k], &want64[k], 1);
  }
  bad += atomics_check_exchange("global atomicExch", g_olds, ATOMICS_N, g32[A32_EXCH], seen);
  for (b = 0; b < ATOMICS_BLOCKS; b++) {
    atomics_fold(v, u, w, b * ATOMICS_BLOCK, ATOMICS_BLOCK, want32, want64);
    for (k = 0; k < A32_COUNT; k++) {
      if (k == A32_EXCH) continue;
      snprintf(label, sizeof label, "block %d shared %s", b, atomics_name32(k));
      bad += kc_compare_u32(label, &b32[b * A32_COUNT + k], &want32[k], 1);
    }
    for (k = 0; k < A64_COUNT; k++) {
      snprintf(label, sizeof label, "block %d shared %s", b, atomics_name64(k));
      bad += kc_compare_u64(label, &b64[b * A64_COUNT + k], &want64[k], 1);
    }
    snprintf(label, sizeof label, "block %d shared atomicExch", b);
    bad += atomics_check_exchange(label, s_olds + b * ATOMICS_BLOCK, ATOMICS_BLOCK,
                                  b32[b * A32_COUNT + A32_EXCH], seen);
  }
  free(seen);
  return bad;
}

#endif

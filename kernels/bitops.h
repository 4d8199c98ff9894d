/* bitops.h - inputs and CPU reference of bitops: __popc, __popcll, __clz, __clzll, __ffs,
 * __ffsll, __brev, __brevll, __funnelshift_l/_r (shift taken mod 32) and _lc/_rc (shift
 * clamped to 32), written here as plain loops over bits. */
#ifndef GPUSHIM_BITOPS_H
#define GPUSHIM_BITOPS_H

#include "kcommon.h"

#define BITOPS_N 10007
#define BITOPS_BLOCK 64
#define BITOPS_SEED 0x5EED000Du

enum { BO_POPC, BO_CLZ, BO_FFS, BO_BREV, BO_FSHL, BO_FSHR, BO_FSHLC, BO_FSHRC, BO_POPCLL,
       BO_CLZLL, BO_FFSLL, BO_BREVLL_LO, BO_BREVLL_HI, BO_COLUMNS };

static inline const char *bitops_name(int c) {
  static const char *names[BO_COLUMNS] = {"__popc", "__clz", "__ffs", "__brev",
      "__funnelshift_l", "__funnelshift_r", "__funnelshift_lc", "__funnelshift_rc", "__popcll",
      "__clzll", "__ffsll", "__brevll (low word)", "__brevll (high word)"};
  return names[c];
}

/* Random words with a bias toward sparse, dense and edge patterns. */
static inline uint64_t bitops_pick(kc_rng *r) {
  static const uint64_t special[] = {0, 1, 0x80000000u, 0xFFFFFFFFu, 0x8000000000000000ull,
                                     ~0ull, 0x100000000ull};
  switch (kc_below(r, 4)) {
    case 0: return special[kc_below(r, sizeof special / sizeof special[0])];
    case 1: return kc_next_u64(r) & kc_next_u64(r) & kc_next_u64(r);   /* sparse */
    case 2: return 1ull << kc_below(r, 64);
    default: return kc_next_u64(r);
  }
}

/* x[i] and y[i] are 32-bit operands, w[i] a 64-bit one, s[i] a shift in [0, 63]. */
static inline void bitops_inputs(uint32_t *x, uint32_t *y, uint64_t *w, uint32_t *s, int n) {
  kc_rng r;
  int i;
  kc_rng_seed(&r, BITOPS_SEED);
  for (i = 0; i < n; i++) {
    x[i] = (uint32_t)bitops_pick(&r);
    y[i] = (uint32_t)(bitops_pick(&r) >> (kc_below(&r, 2) * 32));
    w[i] = bitops_pick(&r);
    s[i] = kc_below(&r, 64);
  }
}

static inline uint32_t bo_popc64(uint64_t v) {
  uint32_t c = 0;
  for (; v; v >>= 1) c += (uint32_t)(v & 1);
  return c;
}

static inline uint32_t bo_clz(uint64_t v, int bits) {
  int b;
  for (b = bits - 1; b >= 0; b--)
    if ((v >> b) & 1) return (uint32_t)(bits - 1 - b);
  return (uint32_t)bits;
}

static inline uint32_t bo_ffs(uint64_t v, int bits) {
  int b;
  for (b = 0; b < bits; b++)
    if ((v >> b) & 1) return (uint32_t)(b + 1);
  return 0;
}

static inline uint64_t bo_brev(uint64_t v, int bits) {
  uint64_t out = 0;
  int b;
  for (b = 0; b < bits; b++)
    if ((v >> b) & 1) out |= 1ull << (bits - 1 - b);
  return out;
}

/* hi:lo shifted left by sh (0..32), the high word; shifted right, the low word. */
static inline uint32_t bo_funnel_l(uint32_t lo, uint32_t hi, uint32_t sh) {
  return (uint32_t)((((uint64_t)hi << 32 | lo) << sh) >> 32);
}

static inline uint32_t bo_funnel_r(uint32_t lo, uint32_t hi, uint32_t sh) {
  return (uint32_t)(((uint64_t)hi << 32 | lo) >> sh);
}

static inline void bitops_ref(const uint32_t *x, const uint32_t *y, const uint64_t *w,
                              const uint32_t *s, uint32_t *out, int n) {
  int i;
  for (i = 0; i < n; i++) {
    uint32_t clamped = s[i] < 32 ? s[i] : 32;
    uint64_t rev = bo_brev(w[i], 64);
    out[BO_POPC * n + i] = bo_popc64(x[i]);
    out[BO_CLZ * n + i] = bo_clz(x[i], 32);
    out[BO_FFS * n + i] = bo_ffs(x[i], 32);
    out[BO_BREV * n + i] = (uint32_t)bo_brev(x[i], 32);
    out[BO_FSHL * n + i] = bo_funnel_l(x[i], y[i], s[i] & 31);
    out[BO_FSHR * n + i] = bo_funnel_r(x[i], y[i], s[i] & 31);
    out[BO_FSHLC * n + i] = bo_funnel_l(x[i], y[i], clamped);
    out[BO_FSHRC * n + i] = bo_funnel_r(x[i], y[i], clamped);
    out[BO_POPCLL * n + i] = bo_popc64(w[i]);
    out[BO_CLZLL * n + i] = bo_clz(w[i], 64);
    out[BO_FFSLL * n + i] = bo_ffs(w[i], 64);
    out[BO_BREVLL_LO * n + i] = (uint32_t)rev;
    out[BO_BREVLL_HI * n + i] = (uint32_t)(rev >> 32);
  }
}

static inline size_t bitops_compare(const uint32_t *got, const uint32_t *want, int n) {
  size_t bad = 0;
  int c;
  for (c = 0; c < BO_COLUMNS; c++)
    bad += kc_compare_u32(bitops_name(c), got + c * n, want + c * n, (size_t)n);
  return bad;
}

#endif

/* ptx_numeric.c - half (f16) and bfloat16 conversions with PTX rounding modes. */
#include "ptx_internal.h"

#include <math.h>
#include <string.h>

float ptx_half_to_float(uint16_t h) {
  uint32_t sign = (uint32_t)(h & 0x8000) << 16;
  uint32_t exp = (h >> 10) & 0x1f;
  uint32_t man = h & 0x3ff;
  if (exp == 0x1f) return ptx_f32_from_bits(sign | 0x7f800000u | (man << 13));
  if (exp == 0) {
    if (man == 0) return ptx_f32_from_bits(sign);
    float v = ldexpf((float)man, -24);
    return sign ? -v : v;
  }
  return ptx_f32_from_bits(sign | ((exp + 112) << 23) | (man << 13));
}

/* Rounds a non-negative magnitude `m` (an integer count of units) shifted right by `sh` bits. */
static uint32_t round_shift(uint64_t m, int sh, int rnd, int neg) {
  if (sh <= 0) return (uint32_t)(m << -sh);
  if (sh >= 63) return (m && ((rnd == RND_RP && !neg) || (rnd == RND_RM && neg))) ? 1 : 0;
  uint64_t q = m >> sh;
  uint64_t rem = m & ((1ull << sh) - 1);
  uint64_t half = 1ull << (sh - 1);
  switch (rnd) {
  case RND_RZ: break;
  case RND_RM: if (rem && neg) q++; break;
  case RND_RP: if (rem && !neg) q++; break;
  default:
    if (rem > half || (rem == half && (q & 1))) q++;
  }
  return (uint32_t)q;
}

/* Converts a double to IEEE half with the given rounding (exact for all doubles). */
uint16_t ptx_double_to_half(double d, int rnd) {
  uint16_t sign = signbit(d) ? 0x8000 : 0;
  int neg = sign != 0;
  if (isnan(d)) return 0x7fff;
  double a = fabs(d);
  if (isinf(a)) return sign | 0x7c00;
  if (a == 0) return sign;
  int e;
  double fr = frexp(a, &e);          /* a = fr * 2^e, fr in [0.5,1) */
  uint64_t mant = (uint64_t)ldexp(fr, 53);   /* 53-bit integer mantissa */
  int exp = e - 1;                    /* a = 1.xxx * 2^exp */
  uint32_t q;
  if (exp < -14) {
    /* subnormal: the value in units of 2^-24 is mant * 2^(exp - 52 + 24) */
    q = round_shift(mant, 52 - 24 - exp, rnd, neg);
    return (uint16_t)(sign | q);     /* q may carry into the normal range: still right */
  }
  q = round_shift(mant, 53 - 11, rnd, neg); /* 11 bits (or 12 on carry) */
  int he = exp + 15;
  if (q >= 2048) {
    q >>= 1;
    he++;
  }
  if (he >= 31) {
    if (rnd == RND_RZ || (rnd == RND_RM && !neg) || (rnd == RND_RP && neg)) return sign | 0x7bff;
    return sign | 0x7c00;
  }
  return (uint16_t)(sign | (he << 10) | (q & 0x3ff));
}

uint16_t ptx_float_to_half(float f, int rnd) { return ptx_double_to_half((double)f, rnd); }

float ptx_bf16_to_float(uint16_t h) { return ptx_f32_from_bits((uint32_t)h << 16); }

uint16_t ptx_float_to_bf16(float f, int rnd) {
  uint32_t u = ptx_f32_bits(f);
  if (isnan(f)) return 0x7fff;
  int neg = (u >> 31) != 0;
  uint32_t lo = u & 0xffff;
  uint32_t hi = u >> 16;
  switch (rnd) {
  case RND_RZ: break;
  case RND_RM: if (lo && neg) hi++; break;
  case RND_RP: if (lo && !neg) hi++; break;
  default:
    if (lo > 0x8000 || (lo == 0x8000 && (hi & 1))) hi++;
  }
  return (uint16_t)hi;
}

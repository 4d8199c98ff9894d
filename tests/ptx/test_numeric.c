/* test_numeric.c - runs the kernels of cu/numeric.cu (integer ops, rounding modes, half
 * conversions, math functions) through the engine and compares with C references.
 * Usage: test_numeric PTXFILE CASE|all */
#include "test_util.h"

#include <fenv.h>
#include <stdint.h>

static ptx_module *M;

static long long ref_mulhi64(long long a, long long b) { return (long long)(((__int128)a * b) >> 64); }
static unsigned long long ref_umulhi64(unsigned long long a, unsigned long long b) {
  return (unsigned long long)(((unsigned __int128)a * b) >> 64);
}
static unsigned long long ref_brev64(unsigned long long v) {
  unsigned long long r = 0;
  for (int i = 0; i < 64; i++) r |= ((v >> i) & 1) << (63 - i);
  return r;
}

static void t_int64(void) {
  const ptx_kernel *k = tu_kernel(M, "int64_ops");
  int n = 64;
  long long *a = tu_alloc((size_t)n * 8), *b = tu_alloc((size_t)n * 8), *out = tu_alloc((size_t)n * 12 * 8);
  for (int i = 0; i < n; i++) {
    a[i] = (long long)(0x9e3779b97f4a7c15ull * (unsigned long long)(i + 1)) >> (i % 5);
    b[i] = (long long)((i * 2654435761u) % 100000) - 50000 + (i % 2 ? 0x100000000LL * i : 0);
    if (b[i] == 0) b[i] = 7;
  }
  a[3] = 0;
  TU_LAUNCH_PTRS(k, 1, (unsigned)n, 0, a, b, out);
  for (int t = 0; t < n; t++) {
    long long x = a[t], y = b[t];
    unsigned long long ux = (unsigned long long)x, uy = (unsigned long long)y;
    long long want[12] = {x / y, x % y, (long long)(ux / uy), (long long)(ux % uy), ref_mulhi64(x, y),
                          (long long)ref_umulhi64(ux, uy), x >> (t % 63), (long long)(ux >> (t % 63)),
                          __builtin_popcountll(ux) + 100 * (x ? __builtin_clzll(ux) : 64),
                          (long long)ref_brev64(ux), x ? __builtin_ctzll(ux) + 1 : 0,
                          (long long)(ux * uy + (ux ^ uy))};
    for (int j = 0; j < 12; j++) CHECK(out[t * 12 + j] == want[j], "t=%d op %d: %lld want %lld", t, j, out[t * 12 + j], want[j]);
  }
}

static unsigned ref_byte_perm(unsigned x, unsigned y, unsigned s) {
  unsigned long long v = ((unsigned long long)y << 32) | x;
  unsigned r = 0;
  for (int i = 0; i < 4; i++) {
    unsigned sel = (s >> (4 * i)) & 7;
    r |= (unsigned)((v >> (8 * sel)) & 0xff) << (8 * i);
  }
  return r;
}

static void t_int32(void) {
  const ptx_kernel *k = tu_kernel(M, "int32_ops");
  int n = 96;
  int *a = tu_alloc((size_t)n * 4), *b = tu_alloc((size_t)n * 4), *out = tu_alloc((size_t)n * 16 * 4);
  for (int i = 0; i < n; i++) {
    a[i] = (int)(0x9e3779b9u * (unsigned)(i + 3)) >> (i % 3);
    b[i] = (int)((i * 2654435761u) % 2000) - 1000;
    if (b[i] == 0) b[i] = -3;
  }
  a[5] = 0;
  a[6] = INT32_MIN;
  TU_LAUNCH_PTRS(k, 1, (unsigned)n, 0, a, b, out);
  for (int t = 0; t < n; t++) {
    int x = a[t], y = b[t];
    unsigned ux = (unsigned)x, uy = (unsigned)y;
    unsigned long long fs = ((unsigned long long)uy << 32) | ux;
    unsigned shl = (unsigned)t & 31, shlc = (unsigned)(t * 2) > 32 ? 32 : (unsigned)(t * 2);
    int want[16] = {x / y, x % y, (int)(ux / uy), (int)(ux % uy), (int)(((long long)x * y) >> 32),
                    (int)(((unsigned long long)ux * uy) >> 32),
                    __builtin_popcount(ux) + 100 * (x ? __builtin_clz(ux) : 32),
                    (int)(unsigned)(ref_brev64(ux) >> 32), x ? __builtin_ctz(ux) + 1 : 0,
                    (int)(unsigned)((fs << shl) >> 32), (int)(unsigned)(fs >> shl),
                    (int)(unsigned)(shlc == 32 ? (unsigned)(fs) : (unsigned)((fs << shlc) >> 32)),
                    (int)ref_byte_perm(ux, uy, 0x5140u + (unsigned)t), (int)((unsigned)abs(x - y) + 7u),
                    (int)((unsigned)(x < y ? x : y) * 3u + (unsigned)(x > y ? x : y) + (unsigned)(x == INT32_MIN ? x : abs(x))),
                    (int)((ux < uy ? ux : uy) ^ (ux > uy ? ux : uy))};
    if (x == INT32_MIN) want[13] = (int)((unsigned)((long long)y - x) + 7u);
    for (int j = 0; j < 16; j++) CHECK(out[t * 16 + j] == want[j], "t=%d op %d: %d want %d", t, j, out[t * 16 + j], want[j]);
  }
}

static float fr(int mode, float (*f)(float, float), float a, float b) {
  fesetround(mode);
  volatile float r = f(a, b);
  fesetround(FE_TONEAREST);
  return r;
}
static float f_add(float a, float b) { volatile float x = a, y = b; return x + y; }
static float f_mul(float a, float b) { volatile float x = a, y = b; return x * y; }
static float f_div(float a, float b) { volatile float x = a, y = b; return x / y; }

static void t_rounding(void) {
  const ptx_kernel *k = tu_kernel(M, "rounding");
  int n = 64;
  float *a = tu_alloc((size_t)n * 4), *b = tu_alloc((size_t)n * 4), *fo = tu_alloc((size_t)n * 12 * 4);
  int *io = tu_alloc((size_t)n * 6 * 4);
  double *dd = tu_alloc((size_t)n * 8);
  for (int i = 0; i < n; i++) {
    a[i] = (float)(i - 31) / 7.0f + (i % 4 == 0 ? 0.5f : 0);
    b[i] = 1.0f / (float)(i + 3) - 0.1f;
    dd[i] = 1.0 / 3.0 * (i - 20) + (i % 3 ? 1e-9 : 0);
  }
  TU_LAUNCH_PTRS(k, 1, (unsigned)n, 0, a, b, fo, io, dd);
  for (int t = 0; t < n; t++) {
    float x = a[t], y = b[t];
    float want[12];
    want[0] = fr(FE_TONEAREST, f_add, x, y);
    want[1] = fr(FE_TOWARDZERO, f_add, x, y);
    want[2] = fr(FE_DOWNWARD, f_add, x, y);
    want[3] = fr(FE_UPWARD, f_add, x, y);
    want[4] = fr(FE_TOWARDZERO, f_mul, x, y);
    want[5] = fr(FE_UPWARD, f_mul, x, y);
    want[6] = fr(FE_TONEAREST, f_div, x, y);
    want[7] = fr(FE_TOWARDZERO, f_div, x, y);
    volatile float vx = x, vy = y, w8, w9, w10, w11;
    volatile double dv = dd[t];
    volatile int iv = t * 16777217 + 3;
    fesetround(FE_DOWNWARD);
    w8 = fmaf(vx, vy, 1.0f);
    fesetround(FE_UPWARD);
    w9 = sqrtf(fabsf(vx));
    fesetround(FE_TOWARDZERO);
    w10 = (float)dv;
    fesetround(FE_DOWNWARD);
    w11 = (float)iv;
    fesetround(FE_TONEAREST);
    want[8] = w8;
    want[9] = w9;
    want[10] = w10;
    want[11] = w11;
    for (int j = 0; j < 12; j++) CHECK(fo[t * 12 + j] == want[j], "t=%d f%d: %.9g want %.9g", t, j, fo[t * 12 + j], want[j]);
    float v = x * 3.5f;
    int iw[6] = {(int)nearbyintf(v), (int)truncf(v), (int)floorf(v), (int)ceilf(v),
                 (int)(v * 1e9f <= 0 ? 0u : v * 1e9f >= 4294967296.0f ? 0xffffffffu : (unsigned)nearbyintf(x * 1e9f)),
                 (int)fmax(fmin(nearbyint(dd[t] * 1e12), 2147483647.0), -2147483648.0)};
    iw[4] = (int)(x * 1e9f <= 0 ? 0u : x * 1e9f >= 4294967296.0f ? 0xffffffffu : (unsigned)nearbyintf(x * 1e9f));
    for (int j = 0; j < 6; j++) CHECK(io[t * 6 + j] == iw[j], "t=%d i%d: %d want %d", t, j, io[t * 6 + j], iw[j]);
  }
}

static unsigned short ref_half(float f, int mode) { return tu_half_round(f, mode == FE_TOWARDZERO ? 1 : 0); }

static unsigned short ref_bf16(float f) {
  uint32_t u;
  memcpy(&u, &f, 4);
  if (isnan(f)) return 0x7fff;
  uint32_t lsb = (u >> 16) & 1;
  return (unsigned short)((u + 0x7fff + lsb) >> 16);
}

static void t_halfs(void) {
  const ptx_kernel *k = tu_kernel(M, "halfs");
  int n = 128;
  float *a = tu_alloc((size_t)n * 4), *back = tu_alloc((size_t)n * 2 * 4);
  unsigned short *h = tu_alloc((size_t)n * 2 * 2), *bf = tu_alloc((size_t)n * 2);
  for (int i = 0; i < n; i++) a[i] = (i % 2 ? -1.0f : 1.0f) * powf(1.37f, (float)(i - 64)) * 3.1f;
  a[0] = 65504.0f;
  a[1] = 70000.0f;
  a[2] = 1e-8f;
  a[3] = 6.1e-5f;
  a[4] = NAN;
  a[5] = -0.0f;
  TU_LAUNCH_PTRS(k, 1, (unsigned)n, 0, a, h, back, bf);
  for (int t = 0; t < n; t++) {
    unsigned short rn = ref_half(a[t], FE_TONEAREST), rz = ref_half(a[t], FE_TOWARDZERO);
    if (isnan(a[t])) {
      CHECK((h[t * 2] & 0x7c00) == 0x7c00 && (h[t * 2] & 0x3ff), "nan half");
      continue;
    }
    CHECK(h[t * 2] == rn, "t=%d %g: rn %04x want %04x", t, a[t], h[t * 2], rn);
    CHECK(h[t * 2 + 1] == rz, "t=%d %g: rz %04x want %04x", t, a[t], h[t * 2 + 1], rz);
    double hv = tu_half_value(rn);
    CHECK(back[t * 2] == (float)hv, "t=%d back %g want %g", t, back[t * 2], hv);
    double s = tu_half_value(tu_half_round(hv + 1.0, 0));
    CHECK(back[t * 2 + 1] == (float)s, "t=%d hadd %g want %g", t, back[t * 2 + 1], s);
    CHECK(bf[t] == ref_bf16(a[t]), "t=%d bf16 %04x want %04x", t, bf[t], ref_bf16(a[t]));
  }
}

static void t_mathf(void) {
  const ptx_kernel *k = tu_kernel(M, "mathf");
  int n = 96;
  float *a = tu_alloc((size_t)n * 4), *out = tu_alloc((size_t)n * 10 * 4);
  for (int i = 0; i < n; i++) a[i] = (float)(i - 48) * 0.37f + (i % 5) * 0.01f;
  a[7] = 150.0f;   /* sinf/cosf argument reduction slow path */
  a[8] = -3000.5f;
  TU_LAUNCH_PTRS(k, 1, (unsigned)n, 0, a, out);
  for (int t = 0; t < n; t++) {
    float x = a[t];
    double want[10] = {exp(x), log(fabs(x) + 0.5), sin(x), cos(x), sqrt(fabs(x)), 1 / sqrt(fabs(x) + 0.1),
                       pow(fabs(x) + 0.1, 1.7), fma(x, 2.0, 1.0), x / 3.0, tanh(x)};
    for (int j = 0; j < 10; j++) {
      if (isinf(want[j]) || want[j] > 3e38) {
        CHECK(isinf(out[t * 10 + j]) || out[t * 10 + j] > 3e38f, "t=%d f%d overflow", t, j);
        continue;
      }
      double got = out[t * 10 + j];
      double tol = 2e-6 * fmax(fabs(want[j]), j == 2 || j == 3 ? 1.0 : 1e-30);
      CHECK(fabs(got - want[j]) <= tol, "t=%d f%d(%g): %.9g want %.9g", t, j, x, got, want[j]);
    }
  }
}

static void t_mathd(void) {
  const ptx_kernel *k = tu_kernel(M, "mathd");
  int n = 64;
  double *a = tu_alloc((size_t)n * 8), *out = tu_alloc((size_t)n * 5 * 8);
  for (int i = 0; i < n; i++) a[i] = (i - 32) * 0.731 + i * 1e-3;
  TU_LAUNCH_PTRS(k, 1, (unsigned)n, 0, a, out);
  for (int t = 0; t < n; t++) {
    double x = a[t];
    double want[5] = {exp(x), log(fabs(x) + 0.5), sqrt(fabs(x)), sin(x), pow(fabs(x) + 0.1, 0.3)};
    for (int j = 0; j < 5; j++) {
      double got = out[t * 5 + j];
      CHECK(fabs(got - want[j]) <= 1e-14 * fmax(1.0, fabs(want[j])), "t=%d d%d(%g): %.17g want %.17g", t, j, x, got, want[j]);
    }
  }
}

static bool same_float(float a, float b) { return memcmp(&a, &b, sizeof a) == 0; }

/* fastpaths: whole warps in block 0, every fourth lane out in block 1; outputs of lanes that sat
 * out keep their fill value. Floats are compared bit for bit. */
static void t_fastpaths(void) {
  const ptx_kernel *k = tu_kernel(M, "fastpaths");
  enum { N = 128 };
  float *fa = tu_alloc(N * 4), *fb = tu_alloc(N * 4), *fo = tu_alloc(N * 5 * 4);
  int *ia = tu_alloc(N * 4), *ib = tu_alloc(N * 4), *cmp = tu_alloc(N * 24 * 4);
  long long *la = tu_alloc(N * 8), *lb = tu_alloc(N * 8), *misc = tu_alloc(N * 6 * 8);
  signed char *ca = tu_alloc(N), *co = tu_alloc(N);
  short *sa = tu_alloc(N * 2), *so = tu_alloc(N * 2);
  float *f2 = tu_alloc(N * 8), *f2o = tu_alloc(N * 8);
  static const float specials[] = {0.0f, -0.0f, 1.0f, -1.5f, INFINITY, -INFINITY, NAN, 1e-40f, -3e-39f,
                                   3.4e38f, 1.17549435e-38f, 0.1f};
  for (int i = 0; i < N; i++) {
    fa[i] = i % 3 ? specials[i % 12] : (float)(i * 37 % 101) * 0.37f - 9.0f;
    fb[i] = i % 5 ? specials[(i * 7) % 12] : fa[i];
    ia[i] = i % 4 == 0 ? INT32_MIN : i % 4 == 1 ? INT32_MAX : (int)(0x9e3779b9u * (unsigned)i);
    ib[i] = i % 6 == 0 ? ia[i] : i % 6 == 1 ? -1 : (int)(i * 2654435761u) >> (i % 7);
    la[i] = (long long)(0x9e3779b97f4a7c15ull * (unsigned long long)(i + 1)) >> (i % 9);
    lb[i] = i % 5 == 0 ? la[i] : i % 5 == 1 ? INT64_MIN : -(long long)i * 0x100000001LL;
    ca[i] = (signed char)(i * 29 - 100);
    sa[i] = (short)(i * 997 - 30000);
    f2[2 * i] = (float)i * 0.75f - 20.0f;
    f2[2 * i + 1] = (float)(i % 9) * -1.25f;
  }
  memset(cmp, 0x7b, N * 24 * 4);
  memset(fo, 0x7b, N * 5 * 4);
  memset(misc, 0x7b, N * 6 * 8);
  memset(co, 0x7b, N);
  memset(so, 0x7b, N * 2);
  memset(f2o, 0x7b, N * 8);
  TU_LAUNCH_PTRS(k, 2, 64, 0, fa, fb, ia, ib, la, lb, ca, sa, f2, f2o, cmp, fo, misc, co, so);
  for (int t = 0; t < N; t++) {
    bool ran = t < 64 || (t & 3) != 1;
    float x = fa[t], y = fb[t];
    int i = ia[t], j = ib[t];
    unsigned ui = (unsigned)i, uj = (unsigned)j;
    long long p = la[t], q = lb[t];
    unsigned long long up = (unsigned long long)p, uq = (unsigned long long)q;
    int wc[24] = {x < y, x <= y, x > y, x >= y, x == y, x != y, !(x >= y), i < j, i <= j, i > j, i >= j,
                  i == j, i != j, ui < uj, ui <= uj, ui > uj, ui >= uj, p < q, p >= q, up < uq, up >= uq,
                  p == q, p != q, !(x <= y)};
    float wf[5] = {x + y, x - y, x * y, x / y, 0};
    wf[4] = fmaf(x, y, wf[0]);
    long long wm[6] = {(long long)((unsigned long long)la[0] + (unsigned long long)lb[3]), ca[t] * 1000 + sa[t],
                       ia[(t * 7) % 64] + (long long)ib[63 - t % 64] * 3, 0,
                       (long long)((unsigned long long)la[(t * 5) % 64] - (unsigned long long)lb[t]), ((unsigned char *)ca)[t] + ((unsigned short *)sa)[t] * 7};
    int key = t < 64 ? 0x5a5a : 0;   /* block 0 reads shared memory (ia ^ 0x5a5a), block 1 ia */
    wm[3] = t < 64 ? (int)((unsigned)(ia[t] ^ key) + (unsigned)(ia[5] ^ key))
                   : (int)((unsigned)ia[t] + (unsigned)ia[69]);
    if (!ran) {
      CHECK(cmp[t * 24] == 0x7b7b7b7b && co[t] == 0x7b && misc[t * 6] == 0x7b7b7b7b7b7b7b7bLL, "t=%d wrote", t);
      continue;
    }
    for (int c = 0; c < 24; c++) CHECK(cmp[t * 24 + c] == wc[c], "t=%d cmp %d (%g %g %d %d %lld %lld): %d want %d", t, c, x, y, i, j, p, q, cmp[t * 24 + c], wc[c]);
    for (int c = 0; c < 5; c++) CHECK(same_float(fo[t * 5 + c], wf[c]), "t=%d f%d(%g, %g): %a want %a", t, c, x, y, fo[t * 5 + c], wf[c]);
    for (int c = 0; c < 6; c++) CHECK(misc[t * 6 + c] == wm[c], "t=%d misc %d: %lld want %lld", t, c, misc[t * 6 + c], wm[c]);
    CHECK(co[t] == (signed char)(ui * 3u) && so[t] == (short)(uj - ui),   /* wrapping, as in PTX */ "t=%d narrow stores %d %d", t, co[t], so[t]);
    CHECK(f2o[2 * t] == f2[2 * t + 1] * 2.0f && f2o[2 * t + 1] == f2[2 * t] - 1.0f, "t=%d float2", t);
  }
}

static const tu_case cases[] = {
  {"int64", t_int64}, {"int32", t_int32}, {"rounding", t_rounding}, {"halfs", t_halfs},
  {"mathf", t_mathf}, {"mathd", t_mathd}, {"fastpaths", t_fastpaths},
};

int main(int argc, char **argv) {
  tu_require_args(argc, argv, 2, "PTXFILE CASE|all");
  M = tu_parse_file(argv[1]);
  void **vars = tu_bind_vars(M);
  int ran = tu_run_cases(cases, sizeof cases / sizeof cases[0], argv[2], true, NULL);
  ptx_module_free(M);
  tu_free_all();
  free(vars);
  if (!ran) return 2;
  return tu_failures ? 1 : 0;
}

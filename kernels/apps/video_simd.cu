// video_simd: the PTX SIMD video instructions (vadd4, vsub4, vavrg4, vabsdiff4, vmin4, vmax4,
// vset4 and their 2-lane forms) and the scalar ones (vadd, vsub, vabsdiff, vmin, vmax with byte /
// half selectors, .sat, .add/.min/.max or a merge into c) as inline PTX uses them, e.g. a sum of absolute byte differences
// (NVIDIA's stereoDisparity computes its block-matching cost with vabsdiff4 ... .add). Every
// form runs on random words on the device and is compared with a CPU model of the PTX ISA's
// semantics: lane selection from {b, a}, sign extension, .sat, the SIMD merge into c under a
// mask and the .add accumulation.
#include <cstdio>
#include <cstdint>
#include <cstdlib>
#include <climits>
#include <cstdint>
#include <cuda_runtime.h>

#define CHECK(x)                                                                  \
  do {                                                                            \
    cudaError_t e_ = (x);                                                         \
    if (e_ != cudaSuccess) {                                                      \
      printf("FAIL: %s: %s (line %d)\n", #x, cudaGetErrorString(e_), __LINE__);  \
      exit(1);                                                                    \
    }                                                                             \
  } while (0)

// Each case is one instruction; the CPU model below describes it with these fields.
enum Op { ADD, SUB, AVRG, ABSDIFF, MIN, MAX, SET_LT, SET_EQ, SET_GE };
struct Case {
  Op op;
  int lanes;          // 4 (bytes) or 2 (half-words)
  bool dsig, asig, bsig, sat, acc;
  unsigned mask;      // lanes written / accumulated
  int asel[4], bsel[4];   // source lane of {b, a} for each lane (lane 0 first)
};

#define NSIMD 18
#define NCASES (NSIMD + 7)
static const Case cases[NSIMD] = {
  {ABSDIFF, 4, false, false, false, false, true, 0xf, {0, 1, 2, 3}, {4, 5, 6, 7}},
  {ABSDIFF, 4, false, false, false, false, false, 0xf, {0, 1, 2, 3}, {4, 5, 6, 7}},
  {ADD, 4, false, false, false, true, false, 0xf, {0, 1, 2, 3}, {4, 5, 6, 7}},
  {ADD, 4, true, true, true, true, false, 0xf, {0, 1, 2, 3}, {4, 5, 6, 7}},
  {SUB, 4, true, false, false, true, false, 0xf, {0, 1, 2, 3}, {4, 5, 6, 7}},
  {SUB, 4, false, false, false, false, false, 0x5, {0, 1, 2, 3}, {4, 5, 6, 7}},
  {AVRG, 4, true, true, true, false, false, 0xf, {0, 1, 2, 3}, {4, 5, 6, 7}},
  {AVRG, 4, false, false, false, false, false, 0xf, {0, 1, 2, 3}, {4, 5, 6, 7}},
  {MIN, 4, true, true, true, false, false, 0xf, {0, 1, 2, 3}, {4, 5, 6, 7}},
  {MAX, 4, false, false, false, false, true, 0xf, {0, 1, 2, 3}, {4, 5, 6, 7}},
  {MAX, 4, false, false, false, false, false, 0xf, {3, 2, 1, 0}, {4, 4, 7, 0}},
  {SET_LT, 4, false, true, true, false, false, 0xf, {0, 1, 2, 3}, {4, 5, 6, 7}},
  {SET_EQ, 4, false, false, false, false, true, 0xf, {0, 1, 2, 3}, {4, 5, 6, 7}},
  {ABSDIFF, 2, false, false, false, false, true, 0x3, {0, 1}, {2, 3}},
  {ADD, 2, true, true, true, true, false, 0x3, {0, 1}, {2, 3}},
  {SUB, 2, false, false, false, true, false, 0x2, {0, 1}, {2, 3}},
  {MIN, 2, false, false, false, false, false, 0x3, {1, 0}, {3, 0}},
  {SET_GE, 2, false, true, false, false, false, 0x3, {0, 1}, {2, 3}},
};

__global__ void video_kernel(const unsigned *a, const unsigned *b, const unsigned *c,
                             unsigned *out, int n) {
  int i = blockIdx.x * blockDim.x + threadIdx.x;
  if (i >= n) return;
  unsigned x = a[i], y = b[i], z = c[i], r;
  unsigned *o = out + (size_t)i * NCASES;
  // The selector / mask suffixes are written out only where they differ from the defaults.
  asm("vabsdiff4.u32.u32.u32.add %0, %1, %2, %3;" : "=r"(r) : "r"(x), "r"(y), "r"(z)); o[0] = r;
  asm("vabsdiff4.u32.u32.u32 %0, %1, %2, %3;" : "=r"(r) : "r"(x), "r"(y), "r"(z)); o[1] = r;
  asm("vadd4.u32.u32.u32.sat %0, %1, %2, %3;" : "=r"(r) : "r"(x), "r"(y), "r"(z)); o[2] = r;
  asm("vadd4.s32.s32.s32.sat %0, %1, %2, %3;" : "=r"(r) : "r"(x), "r"(y), "r"(z)); o[3] = r;
  asm("vsub4.s32.u32.u32.sat %0, %1, %2, %3;" : "=r"(r) : "r"(x), "r"(y), "r"(z)); o[4] = r;
  asm("vsub4.u32.u32.u32 %0.b20, %1, %2, %3;" : "=r"(r) : "r"(x), "r"(y), "r"(z)); o[5] = r;
  asm("vavrg4.s32.s32.s32 %0, %1, %2, %3;" : "=r"(r) : "r"(x), "r"(y), "r"(z)); o[6] = r;
  asm("vavrg4.u32.u32.u32 %0, %1, %2, %3;" : "=r"(r) : "r"(x), "r"(y), "r"(z)); o[7] = r;
  asm("vmin4.s32.s32.s32 %0, %1, %2, %3;" : "=r"(r) : "r"(x), "r"(y), "r"(z)); o[8] = r;
  asm("vmax4.u32.u32.u32.add %0, %1, %2, %3;" : "=r"(r) : "r"(x), "r"(y), "r"(z)); o[9] = r;
  asm("vmax4.u32.u32.u32 %0, %1.b0123, %2.b0744, %3;" : "=r"(r) : "r"(x), "r"(y), "r"(z)); o[10] = r;
  asm("vset4.s32.s32.lt %0, %1, %2, %3;" : "=r"(r) : "r"(x), "r"(y), "r"(z)); o[11] = r;
  asm("vset4.u32.u32.eq.add %0, %1, %2, %3;" : "=r"(r) : "r"(x), "r"(y), "r"(z)); o[12] = r;
  asm("vabsdiff2.u32.u32.u32.add %0, %1, %2, %3;" : "=r"(r) : "r"(x), "r"(y), "r"(z)); o[13] = r;
  asm("vadd2.s32.s32.s32.sat %0, %1, %2, %3;" : "=r"(r) : "r"(x), "r"(y), "r"(z)); o[14] = r;
  asm("vsub2.u32.u32.u32.sat %0.h1, %1, %2, %3;" : "=r"(r) : "r"(x), "r"(y), "r"(z)); o[15] = r;
  asm("vmin2.u32.u32.u32 %0, %1.h01, %2.h03, %3;" : "=r"(r) : "r"(x), "r"(y), "r"(z)); o[16] = r;
  asm("vset2.s32.u32.ge %0, %1, %2, %3;" : "=r"(r) : "r"(x), "r"(y), "r"(z)); o[17] = r;
  // scalar forms (models in scalar_model)
  asm("vabsdiff.u32.u32.u32.add %0, %1.b1, %2.b2, %3;" : "=r"(r) : "r"(x), "r"(y), "r"(z)); o[18] = r;
  asm("vadd.s32.s32.s32.sat %0, %1, %2;" : "=r"(r) : "r"(x), "r"(y)); o[19] = r;
  asm("vsub.u32.s32.u32.sat %0, %1.h1, %2.b0;" : "=r"(r) : "r"(x), "r"(y)); o[20] = r;
  asm("vmin.s32.s32.s32.max %0, %1.h0, %2.h1, %3;" : "=r"(r) : "r"(x), "r"(y), "r"(z)); o[21] = r;
  asm("vmax.u32.u32.u32.min %0, %1, %2, %3;" : "=r"(r) : "r"(x), "r"(y), "r"(z)); o[22] = r;
  asm("vadd.u32.u32.u32.sat %0.b2, %1.b3, %2.b0, %3;" : "=r"(r) : "r"(x), "r"(y), "r"(z)); o[23] = r;
  asm("vsub.s32.s32.s32.sat %0.h1, %1.b0, %2.h0, %3;" : "=r"(r) : "r"(x), "r"(y), "r"(z)); o[24] = r;
}

// Scalar forms: one part of a and b (whole word, byte k, half k), extended per type.
static long long part(unsigned v, char kind, int k, bool sig) {
  int bits = kind == 'w' ? 32 : kind == 'b' ? 8 : 16, shift = kind == 'w' ? 0 : k * bits;
  long long p = (long long)(((unsigned long long)v >> shift) & ((1ull << bits) - 1));
  if (sig && (p >> (bits - 1))) p -= 1ll << bits;
  return p;
}

static long long clampll(long long t, long long lo, long long hi) { return t < lo ? lo : t > hi ? hi : t; }

static unsigned merge(unsigned c, long long t, int bits, int shift) {
  unsigned pm = (unsigned)((1ull << bits) - 1) << shift;
  return (c & ~pm) | (((unsigned)t << shift) & pm);
}

static unsigned scalar_model(int k, unsigned a, unsigned b, unsigned c) {
  long long x, y, t;
  switch (k) {
    case 18: x = part(a, 'b', 1, false); y = part(b, 'b', 2, false); t = x > y ? x - y : y - x; return (unsigned)(t + c);
    case 19: t = clampll((long long)(int)a + (int)b, INT32_MIN, INT32_MAX); return (unsigned)t;
    case 20: x = part(a, 'h', 1, true); y = part(b, 'b', 0, false); return (unsigned)clampll(x - y, 0, UINT32_MAX);
    case 21: x = part(a, 'h', 0, true); y = part(b, 'h', 1, true); t = x < y ? x : y; return (unsigned)(t > (int)c ? t : (long long)(int)c);
    case 22: t = a > b ? a : b; return (unsigned)(t < (long long)c ? t : (long long)c);
    case 23: t = clampll(part(a, 'b', 3, false) + part(b, 'b', 0, false), 0, 255); return merge(c, t, 8, 16);
    default: t = clampll(part(a, 'b', 0, true) - part(b, 'h', 0, true), -32768, 32767); return merge(c, t, 16, 16);
  }
}

// One lane of {b, a} (lanes of a first), sign- or zero-extended.
static long long lane_of(unsigned a, unsigned b, int sel, int bits, bool sig) {
  unsigned long long both = a | (unsigned long long)b << 32;
  long long v = (long long)((both >> (sel * bits)) & ((1ull << bits) - 1));
  if (sig && (v >> (bits - 1))) v -= 1ll << bits;
  return v;
}

static unsigned model(const Case &k, unsigned a, unsigned b, unsigned c) {
  int bits = 32 / k.lanes;
  long long lo = k.dsig ? -(1ll << (bits - 1)) : 0;
  long long hi = k.dsig ? (1ll << (bits - 1)) - 1 : (1ll << bits) - 1;
  unsigned lane_bits = (unsigned)((1ull << bits) - 1), merged = c, sum = c;
  for (int i = 0; i < k.lanes; i++) {
    if (!((k.mask >> i) & 1)) continue;
    long long x = lane_of(a, b, k.asel[i], bits, k.asig), y = lane_of(a, b, k.bsel[i], bits, k.bsig), t;
    switch (k.op) {
      case ADD: t = x + y; break;
      case SUB: t = x - y; break;
      case AVRG: t = (x + y) >= 0 ? (x + y + 1) >> 1 : (x + y) >> 1; break;   // rounds half up
      case ABSDIFF: t = x > y ? x - y : y - x; break;
      case MIN: t = x < y ? x : y; break;
      case MAX: t = x > y ? x : y; break;
      case SET_LT: t = x < y; break;
      case SET_EQ: t = x == y; break;
      default: t = x >= y; break;
    }
    if (k.sat) t = t < lo ? lo : t > hi ? hi : t;
    sum += (unsigned)t;
    merged = (merged & ~(lane_bits << (i * bits))) | ((unsigned)t & lane_bits) << (i * bits);
  }
  return k.acc ? sum : merged;
}

int main() {
  const int n = 4096;
  unsigned *ha = new unsigned[n], *hb = new unsigned[n], *hc = new unsigned[n];
  unsigned *hout = new unsigned[(size_t)n * NCASES];
  srand(11);
  for (int i = 0; i < n; i++) {
    ha[i] = (unsigned)rand() * 2654435761u ^ (unsigned)rand();
    hb[i] = (unsigned)rand() * 2246822519u ^ (unsigned)rand();
    hc[i] = (unsigned)rand() * 3266489917u ^ (unsigned)rand();
    if (i % 7 == 0) hb[i] = ha[i];               // equal lanes for vset.eq
    if (i % 11 == 0) ha[i] |= 0x80808080u;       // saturating and negative lanes
  }
  unsigned *da, *db, *dc, *dout;
  CHECK(cudaMalloc(&da, n * 4));
  CHECK(cudaMalloc(&db, n * 4));
  CHECK(cudaMalloc(&dc, n * 4));
  CHECK(cudaMalloc(&dout, (size_t)n * NCASES * 4));
  CHECK(cudaMemcpy(da, ha, n * 4, cudaMemcpyHostToDevice));
  CHECK(cudaMemcpy(db, hb, n * 4, cudaMemcpyHostToDevice));
  CHECK(cudaMemcpy(dc, hc, n * 4, cudaMemcpyHostToDevice));
  video_kernel<<<(n + 127) / 128, 128>>>(da, db, dc, dout, n);
  CHECK(cudaGetLastError());
  CHECK(cudaMemcpy(hout, dout, (size_t)n * NCASES * 4, cudaMemcpyDeviceToHost));
  int bad = 0;
  for (int i = 0; i < n; i++)
    for (int k = 0; k < NCASES; k++) {
      unsigned want = k < NSIMD ? model(cases[k], ha[i], hb[i], hc[i]) : scalar_model(k, ha[i], hb[i], hc[i]), got = hout[(size_t)i * NCASES + k];
      if (want != got && bad++ < 10)
        printf("case %d, a=%08x b=%08x c=%08x: got %08x, want %08x\n", k, ha[i], hb[i], hc[i], got, want);
    }
  CHECK(cudaFree(da));
  CHECK(cudaFree(db));
  CHECK(cudaFree(dc));
  CHECK(cudaFree(dout));
  delete[] ha;
  delete[] hb;
  delete[] hc;
  delete[] hout;
  if (bad) {
    printf("FAIL video_simd: %d mismatches\n", bad);
    return 1;
  }
  printf("PASS video_simd (%d SIMD and %d scalar video forms on %d words)\n", NSIMD, NCASES - NSIMD, n);
  return 0;
}

// numeric.cu - kernels for the PTX engine tests: integer and float operations, conversions,
// rounding modes, half precision, math functions.
#include <cuda_fp16.h>
#include <cuda_bf16.h>

extern "C" __global__ void int64_ops(const long long *a, const long long *b, long long *out) {
  int t = threadIdx.x;
  long long x = a[t], y = b[t];
  unsigned long long ux = (unsigned long long)x, uy = (unsigned long long)y;
  long long *o = out + t * 12;
  o[0] = x / y;
  o[1] = x % y;
  o[2] = (long long)(ux / uy);
  o[3] = (long long)(ux % uy);
  o[4] = __mul64hi(x, y);
  o[5] = (long long)__umul64hi(ux, uy);
  o[6] = x >> (t % 63);
  o[7] = (long long)(ux >> (t % 63));
  o[8] = __popcll(ux) + 100 * __clzll(x);
  o[9] = (long long)__brevll(ux);
  o[10] = __ffsll(x);
  o[11] = x * y + (x ^ y);
}

extern "C" __global__ void int32_ops(const int *a, const int *b, int *out) {
  int t = threadIdx.x;
  int x = a[t], y = b[t];
  unsigned ux = (unsigned)x, uy = (unsigned)y;
  int *o = out + t * 16;
  o[0] = x / y;
  o[1] = x % y;
  o[2] = (int)(ux / uy);
  o[3] = (int)(ux % uy);
  o[4] = __mulhi(x, y);
  o[5] = (int)__umulhi(ux, uy);
  o[6] = __popc(ux) + 100 * __clz(x);
  o[7] = (int)__brev(ux);
  o[8] = __ffs(x);
  o[9] = (int)__funnelshift_l(ux, uy, t);
  o[10] = (int)__funnelshift_r(ux, uy, t);
  o[11] = (int)__funnelshift_lc(ux, uy, t * 2);
  o[12] = (int)__byte_perm(ux, uy, 0x5140 + t);
  o[13] = __sad(x, y, 7);
  o[14] = min(x, y) * 3 + max(x, y) + abs(x);
  o[15] = (int)(umin(ux, uy) ^ umax(ux, uy));
}

extern "C" __global__ void rounding(const float *a, const float *b, float *fo, int *io, double *dd) {
  int t = threadIdx.x;
  float x = a[t], y = b[t];
  float *f = fo + t * 12;
  f[0] = __fadd_rn(x, y);
  f[1] = __fadd_rz(x, y);
  f[2] = __fadd_rd(x, y);
  f[3] = __fadd_ru(x, y);
  f[4] = __fmul_rz(x, y);
  f[5] = __fmul_ru(x, y);
  f[6] = __fdiv_rn(x, y);
  f[7] = __fdiv_rz(x, y);
  f[8] = __fmaf_rd(x, y, 1.0f);
  f[9] = __fsqrt_ru(fabsf(x));
  f[10] = __double2float_rz(dd[t]);
  f[11] = __int2float_rd(t * 16777217 + 3);
  int *i = io + t * 6;
  i[0] = __float2int_rn(x * 3.5f);
  i[1] = __float2int_rz(x * 3.5f);
  i[2] = __float2int_rd(x * 3.5f);
  i[3] = __float2int_ru(x * 3.5f);
  i[4] = (int)__float2uint_rn(x * 1e9f);
  i[5] = __double2int_rn(dd[t] * 1e12);
}

extern "C" __global__ void halfs(const float *a, unsigned short *h, float *back, unsigned short *bf) {
  int t = threadIdx.x;
  __half x = __float2half_rn(a[t]);
  __half z = __float2half_rz(a[t]);
  h[t * 2] = __half_as_ushort(x);
  h[t * 2 + 1] = __half_as_ushort(z);
  back[t * 2] = __half2float(x);
  __half s = __hadd(x, __float2half(1.0f));
  back[t * 2 + 1] = __half2float(s);
  __nv_bfloat16 b = __float2bfloat16_rn(a[t]);
  bf[t] = __bfloat16_as_ushort(b);
}

extern "C" __global__ void mathf(const float *a, float *out) {
  int t = threadIdx.x;
  float x = a[t];
  float *o = out + t * 10;
  o[0] = expf(x);
  o[1] = logf(fabsf(x) + 0.5f);
  o[2] = sinf(x);
  o[3] = cosf(x);
  o[4] = sqrtf(fabsf(x));
  o[5] = rsqrtf(fabsf(x) + 0.1f);
  o[6] = powf(fabsf(x) + 0.1f, 1.7f);
  o[7] = fmaf(x, 2.0f, 1.0f);
  o[8] = __fdividef(x, 3.0f);
  o[9] = tanhf(x);
}

extern "C" __global__ void mathd(const double *a, double *out) {
  int t = threadIdx.x;
  double x = a[t];
  double *o = out + t * 5;
  o[0] = exp(x);
  o[1] = log(fabs(x) + 0.5);
  o[2] = sqrt(fabs(x));
  o[3] = sin(x);
  o[4] = pow(fabs(x) + 0.1, 0.3);
}

// Accesses and operations the engine runs through whole-warp fast paths (coalesced, broadcast
// and scattered loads and stores of every width, float2, generic shared pointers, setp, f32
// arithmetic and fma). Block 0 runs full warps; in block 1 every fourth lane sits out, which
// takes the lane-by-lane paths: the results must be the same either way.
extern "C" __global__ void fastpaths(const float *fa, const float *fb, const int *ia, const int *ib,
                                     const long long *la, const long long *lb, const signed char *ca,
                                     const short *sa, const float2 *f2, float2 *f2o, int *cmp, float *fo,
                                     long long *misc, signed char *co, short *so) {
  __shared__ int sh[64];
  int t = blockIdx.x * blockDim.x + threadIdx.x;
  sh[threadIdx.x] = ia[t] ^ 0x5a5a;
  __syncthreads();
  if (blockIdx.x == 0 || (t & 3) != 1) {
    float x = fa[t], y = fb[t];
    int i = ia[t], j = ib[t];
    unsigned ui = (unsigned)i, uj = (unsigned)j;
    long long p = la[t], q = lb[t];
    unsigned long long up = (unsigned long long)p, uq = (unsigned long long)q;
    int *c = cmp + t * 24;
    c[0] = x < y; c[1] = x <= y; c[2] = x > y; c[3] = x >= y; c[4] = x == y; c[5] = x != y;
    c[6] = !(x >= y); c[7] = i < j; c[8] = i <= j; c[9] = i > j; c[10] = i >= j; c[11] = i == j;
    c[12] = i != j; c[13] = ui < uj; c[14] = ui <= uj; c[15] = ui > uj; c[16] = ui >= uj;
    c[17] = p < q; c[18] = p >= q; c[19] = up < uq; c[20] = up >= uq; c[21] = p == q; c[22] = p != q;
    c[23] = !(x <= y);
    float *f = fo + t * 5;
    f[0] = x + y; f[1] = x - y; f[2] = x * y; f[3] = x / y; f[4] = fmaf(x, y, f[0]);
    long long *m = misc + t * 6;
    m[0] = la[0] + lb[3];                       // broadcast loads
    m[1] = ca[t] * 1000 + sa[t];                // coalesced signed 8- and 16-bit loads
    m[2] = ia[(t * 7) % 64] + (long long)ib[63 - t % 64] * 3;   // scattered
    const volatile int *gp = blockIdx.x == 0 ? sh : ia + 64;   // generic: shared, or global
    m[3] = (int)((unsigned)gp[threadIdx.x] + (unsigned)gp[5]);
    m[4] = la[(t * 5) % 64] - lb[t];
    m[5] = ((const unsigned char *)ca)[t] + ((const unsigned short *)sa)[t] * 7;
    co[t] = (signed char)(i * 3);
    so[t] = (short)(j - i);
    float2 v = f2[t];
    f2o[t] = make_float2(v.y * 2.0f, v.x - 1.0f);
  }
}

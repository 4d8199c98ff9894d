// basic.cu - kernels for the PTX engine tests (compiled to PTX by nvcc at build time):
// memory, control flow, divergence, barriers, calls, errors.
#include <cassert>
#include <cstdio>

extern "C" __global__ void vecadd(const float *a, const float *b, float *c, int n) {
  int i = blockIdx.x * blockDim.x + threadIdx.x;
  if (i < n) c[i] = a[i] + b[i];
}

// Divergence inside a loop: each thread iterates a data-dependent number of times, with a
// branch inside the loop body and an early exit.
extern "C" __global__ void loop_diverge(const int *trip, int *out) {
  int t = blockIdx.x * blockDim.x + threadIdx.x;
  int n = trip[t], acc = 0;
#pragma unroll 1
  for (int i = 0; i < n; i++) {
    if ((i + t) % 3 == 0) acc += i * 2;
    else if ((i ^ t) & 1) acc -= i;
    else acc ^= t;
    if (acc > 5000) break;
  }
  out[t] = acc;
}

// Nested divergence with early return of some threads.
extern "C" __global__ void nested_diverge(int *out) {
  int t = threadIdx.x;
  if (t % 7 == 3) return;
  int v = 0;
  if (t & 1) {
    if (t & 2) v = 1;
    else {
      if (t & 4) v = 2;
      else v = 3;
    }
  } else {
    v = 10;
    if (t > 40) {
      v += 5;
      if (t > 50) return;
    }
  }
  out[t] = v * 100 + t;
}

// Barriers across warps: reverse a block through shared memory, then a tree reduction.
extern "C" __global__ void block_reverse_sum(const int *in, int *rev, int *sums) {
  __shared__ int s[512];
  __shared__ int r[512];
  int t = threadIdx.x, n = blockDim.x;
  int g = blockIdx.x * n + t;
  s[t] = in[g];
  r[t] = in[g];
  __syncthreads();
  rev[g] = s[n - 1 - t];
  for (int st = n / 2; st > 0; st >>= 1) {
    if (t < st) r[t] += r[t + st];
    __syncthreads();
  }
  if (t == 0) sums[blockIdx.x] = r[0];
}

// Dynamic shared memory reduction of doubles.
extern "C" __global__ void dyn_reduce(const double *in, double *out) {
  extern __shared__ double sd[];
  int t = threadIdx.x;
  sd[t] = in[blockIdx.x * blockDim.x + t];
  __syncthreads();
  for (int st = blockDim.x / 2; st > 0; st >>= 1) {
    if (t < st) sd[t] += sd[t + st];
    __syncthreads();
  }
  if (t == 0) out[blockIdx.x] = sd[0];
}

// Atomics under contention, global and shared.
extern "C" __global__ void atomics(int *ci, unsigned *cu, unsigned long long *cl, float *cf, double *cd,
                                   int *mn, int *mx, unsigned *bits, unsigned *inc, int *hist, int nbins) {
  extern __shared__ int sh[];
  int t = blockIdx.x * blockDim.x + threadIdx.x;
  for (int i = threadIdx.x; i < nbins; i += blockDim.x) sh[i] = 0;
  __syncthreads();
  atomicAdd(ci, 1);
  atomicAdd(cu, 2u);
  atomicAdd(cl, 3ull);
  atomicAdd(cf, 0.5f);
  atomicAdd(cd, 0.25);
  atomicMin(mn, 1000 - t);
  atomicMax(mx, t * 3);
  atomicOr(&bits[0], 1u << (t % 32));
  atomicAnd(&bits[1], ~(1u << (t % 32)));
  atomicXor(&bits[2], (unsigned)t);
  atomicInc(&inc[0], 99u);
  atomicDec(&inc[1], 1000u);
  atomicAdd(&sh[t % nbins], 1);
  __syncthreads();
  for (int i = threadIdx.x; i < nbins; i += blockDim.x) atomicAdd(&hist[i], sh[i]);
}

// A float atomicMax built from atomicCAS.
__device__ float atomic_max_float(float *addr, float v) {
  int *ia = (int *)addr;
  int old = *ia, assumed;
  do {
    assumed = old;
    if (__int_as_float(assumed) >= v) break;
    old = atomicCAS(ia, assumed, __float_as_int(v));
  } while (assumed != old);
  return __int_as_float(old);
}

extern "C" __global__ void cas_max(const float *in, float *out, int n) {
  int t = blockIdx.x * blockDim.x + threadIdx.x;
  if (t < n) atomic_max_float(out, in[t]);
}

// Warp shuffles in every mode, and with sub-warp widths.
extern "C" __global__ void shuffles(const int *in, int *out) {
  int t = threadIdx.x;
  int v = in[t];
  int *o = out + blockIdx.x * 0 + t * 8;
  o[0] = __shfl_up_sync(0xffffffff, v, 3);
  o[1] = __shfl_down_sync(0xffffffff, v, 5);
  o[2] = __shfl_xor_sync(0xffffffff, v, 6);
  o[3] = __shfl_sync(0xffffffff, v, (t * 7) & 31);
  o[4] = __shfl_up_sync(0xffffffff, v, 2, 8);
  o[5] = __shfl_down_sync(0xffffffff, v, 3, 16);
  o[6] = __shfl_xor_sync(0xffffffff, v, 5, 4);
  o[7] = __shfl_sync(0xffffffff, v, t + 1, 8);
}

// Inclusive warp scan with shuffles, ballot and popc.
extern "C" __global__ void warp_scan(const int *in, int *out, unsigned *ballots, int *popcs) {
  int t = blockIdx.x * blockDim.x + threadIdx.x;
  int lane = threadIdx.x & 31;
  int v = in[t];
  for (int o = 1; o < 32; o <<= 1) {
    int n = __shfl_up_sync(0xffffffff, v, o);
    if (lane >= o) v += n;
  }
  out[t] = v;
  unsigned b = __ballot_sync(0xffffffff, in[t] & 1);
  if (lane == 0) ballots[t / 32] = b;
  popcs[t] = __popc(b & ((1u << lane) - 1));
}

// Votes, match, activemask and the __syncthreads_* reductions.
extern "C" __global__ void votes(const int *in, int *out) {
  int t = threadIdx.x;
  int v = in[t];
  int *o = out + t * 8;
  o[0] = __all_sync(0xffffffff, v > 0);
  o[1] = __any_sync(0xffffffff, v > 90);
  o[2] = (int)__match_any_sync(0xffffffff, v % 4);
  int pred;
  o[3] = (int)__match_all_sync(0xffffffff, v / 1000, &pred);
  o[4] = pred;
  if (t & 1) o[5] = (int)__activemask();
  else o[5] = -(int)__activemask();
  o[6] = __syncthreads_count(v % 3 == 0);
  o[7] = __syncthreads_or(v == 42) * 10 + __syncthreads_and(v >= 0);
}

__device__ __noinline__ int fib(int n) { return n < 2 ? n : fib(n - 1) + fib(n - 2); }
__device__ __noinline__ long long chain3(long long x, int k) { return x * 3 + k; }
__device__ __noinline__ double chain2(double x, long long y) { return x * 0.5 + (double)chain3(y, 7); }
__device__ __noinline__ float chain1(float x, int i) { return (float)chain2(x, i) + 1.0f; }

extern "C" __global__ void calls(int *fibs, float *chains) {
  int t = threadIdx.x;
  fibs[t] = fib(t % 12);   // divergent recursion depth
  chains[t] = chain1((float)t, t * 2);
}

// Local arrays indexed at run time.
extern "C" __global__ void local_array(const int *idx, int *out) {
  int t = threadIdx.x;
  int a[40];
  for (int i = 0; i < 40; i++) a[i] = i * t + 1;
  for (int i = 0; i < 40; i++) a[idx[i]] += a[i];
  int s = 0;
  for (int i = 0; i < 40; i++) s += a[(i * 7 + t) % 40] * (i + 1);
  out[t] = s;
}

// 3D grids and blocks.
extern "C" __global__ void grid3d(int *out, int W, int H) {
  int x = blockIdx.x * blockDim.x + threadIdx.x;
  int y = blockIdx.y * blockDim.y + threadIdx.y;
  int z = blockIdx.z * blockDim.z + threadIdx.z;
  out[(z * H + y) * W + x] = x + 100 * y + 10000 * z + (int)(gridDim.x * 7 + gridDim.y * 11 + gridDim.z * 13);
}

__constant__ float coeffs[4] = {1.5f, -2.0f, 0.25f, 8.0f};
__device__ int table[5] = {3, 1, 4, 1, 5};
__device__ const char *names[2] = {"zero", "one"};

extern "C" __global__ void constants(float *out) {
  int t = threadIdx.x;
  out[t] = coeffs[t % 4] * (float)table[t % 5];
}

struct Mixed {
  char c;
  double d;
  short s;
  int i;
};

extern "C" __global__ void many_params(char c, short s, int i, long long ll, float f, double d, Mixed m,
                                       unsigned char uc, int *out, double *dout) {
  out[0] = c;
  out[1] = s;
  out[2] = i;
  out[3] = (int)(ll >> 32);
  out[4] = (int)ll;
  out[5] = m.c;
  out[6] = m.s;
  out[7] = m.i;
  out[8] = uc;
  dout[0] = f;
  dout[1] = d;
  dout[2] = m.d;
}

extern "C" __global__ void grid_stride(const float *x, float *y, float a, int n) {
  for (int i = blockIdx.x * blockDim.x + threadIdx.x; i < n; i += blockDim.x * gridDim.x) y[i] = a * x[i] + y[i];
}

extern "C" __global__ void oob_write(int *p, int n) {
  int t = blockIdx.x * blockDim.x + threadIdx.x;
  p[t * n] = t;
}

extern "C" __global__ void misaligned(char *p) {
  int *q = (int *)(p + 1 + threadIdx.x * 4);
  *q = 5;
}

extern "C" __global__ void shared_oob(int *out, int k) {
  __shared__ int s[64];
  s[threadIdx.x] = 1;
  __syncthreads();
  out[threadIdx.x] = s[threadIdx.x * k];
}

extern "C" __global__ void do_trap(int *p) {
  if (threadIdx.x == 5) asm volatile("trap;");
  p[threadIdx.x] = 1;
}

extern "C" __global__ void do_assert(const int *p) {
  assert(p[threadIdx.x] < 10);
}

extern "C" __global__ void say(int n, double d) {
  if (threadIdx.x < 2) printf("thread %d of %d: %.2f %s %lld|%5s|\n", threadIdx.x, n, d, "str", (long long)n * 1000000000LL, "ab");
}

// Structs passed to and returned from a function by value (.param byte arrays).
struct V3 {
  float x, y, z;
  int tag;
};

__device__ __noinline__ V3 scale3(V3 v, float s) {
  V3 r = {v.x * s, v.y * s, v.z * s, v.tag + 1};
  return r;
}

extern "C" __global__ void structs(const V3 *in, V3 *out, float s) {
  int t = threadIdx.x;
  if (t % 5 == 2) return;
  out[t] = scale3(in[t], s + (float)t);
}

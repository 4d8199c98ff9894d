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

// Block 0 faults at once; with one worker no other block may run after it.
extern "C" __global__ void fault_stop(int *p, int *done, int far) {
  if (blockIdx.x == 0 && threadIdx.x == 0) p[far] = 1;
  for (int i = 0; i < 100; i++) p[threadIdx.x] += i;
  atomicAdd(done, 1);
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

// Deep recursion through a function with a local array indexed at run time: every call needs
// its own stack frame in local memory.
__device__ __noinline__ int deep(int n, int salt) {
  int buf[24];
  for (int i = 0; i < 24; i++) buf[i] = n * 31 + i + salt;
  int r = n > 0 ? deep(n - 1, salt) : 0;
  return r + buf[(n + salt) % 24];
}

extern "C" __global__ void deep_recursion(int *out, int depth) {
  int t = threadIdx.x;
  out[t] = deep(depth - (t % 5) * 20, t);
}

extern "C" __global__ void clocks(unsigned long long *out) {
  unsigned long long c0 = clock64(), g0;
  asm volatile("mov.u64 %0, %%globaltimer;" : "=l"(g0));
  int acc = 0;
  for (int i = 0; i < 1000; i++) acc += i * (int)threadIdx.x;
  unsigned long long c1 = clock64(), g1;
  asm volatile("mov.u64 %0, %%globaltimer;" : "=l"(g1));
  out[threadIdx.x * 3] = c1 - c0;
  out[threadIdx.x * 3 + 1] = g1 >= g0;
  out[threadIdx.x * 3 + 2] = (unsigned long long)acc;
}

extern "C" __global__ void say_more(unsigned long long big, float f) {
  printf("%c|%x|%llu|%5.1f|%e|%%|%-4d|%p\n", 'Z', 255u, big, f, (double)f * 1e10, -3, (void *)0x1234);
}

// A function with many parameters of mixed sizes (more than eight call arguments).
__device__ __noinline__ double many_args(char a, short b, int c, long long d, float e, double f, unsigned char g,
                                         int h, float i, long long j, short k, double l) {
  return a + b * 2 + c * 3 + (double)d * 4 + e * 5 + f * 6 + g * 7 + h * 8 + i * 9 + (double)j * 10 + k * 11 + l * 12;
}

extern "C" __global__ void many_args_call(double *out) {
  int t = threadIdx.x;
  out[t] = many_args((char)t, (short)(t * 3), t * 5, (long long)t << 33, t * 0.5f, t * 0.25, (unsigned char)(200 + t),
                     -t, 1.5f, -(long long)t, (short)-t, 0.125 * t);
}

// Warp 0 spins on a flag that warp 1 sets, with no barrier in between: warps of a block must
// make progress independently.
extern "C" __global__ void spin_flag(int *out) {
  __shared__ volatile int flag;
  __shared__ volatile int data;
  if (threadIdx.x == 0) flag = 0;
  __syncthreads();
  if (threadIdx.x == 0) {
    while (flag == 0) {
    }
    out[0] = data;
  }
  if (threadIdx.x == 32) {
    data = 42;
    __threadfence_block();
    flag = 1;
  }
  __syncthreads();
  // the same inside one warp: lane 0 waits for lane 1 (independent thread scheduling)
  if (threadIdx.x == 0) flag = 0;
  __syncthreads();
  if (threadIdx.x == 0) {
    while (flag == 0) {
    }
    out[1] = data;
  } else if (threadIdx.x == 1) {
    data = 7;
    __threadfence_block();
    flag = 1;
  }
}

// Thread block cluster registers and barrier.cluster (sm_90): launches here never form
// clusters of more than one CTA, so each CTA is cluster number ctaid of a grid of nctaid
// clusters, at rank 0 of 1, and barrier.cluster.arrive + wait orders the whole CTA.
// Older targets write 0xffffffff (nothing to test there).
extern "C" __global__ void cluster_regs(unsigned *out) {
  unsigned *o = out + (blockIdx.x * blockDim.x + threadIdx.x) * 5;
#if __CUDA_ARCH__ >= 900
  __shared__ unsigned seen[128];
  unsigned rank, nrank, cid, ncid;
  asm volatile("mov.u32 %0, %%cluster_ctarank;" : "=r"(rank));
  asm volatile("mov.u32 %0, %%cluster_nctarank;" : "=r"(nrank));
  asm volatile("mov.u32 %0, %%clusterid.x;" : "=r"(cid));
  asm volatile("mov.u32 %0, %%nclusterid.x;" : "=r"(ncid));
  seen[threadIdx.x] = threadIdx.x * 3 + blockIdx.x;
  asm volatile("barrier.cluster.arrive.release.aligned;\n\tbarrier.cluster.wait.acquire.aligned;" ::: "memory");
  o[0] = rank;
  o[1] = nrank;
  o[2] = cid;
  o[3] = ncid;
  o[4] = seen[blockDim.x - 1 - threadIdx.x];
#else
  for (int i = 0; i < 5; i++) o[i] = 0xffffffffu;
#endif
}

/* calls through a pointer made from an integer: lanes below `split` call fp_twice (its address
 * read from a __device__ table), the others `bad` (kept last: tests match line numbers above) */
__device__ __noinline__ int fp_twice(int x) { return 2 * x; }
__device__ int (*fp_table[1])(int) = {fp_twice};
extern "C" __global__ void bad_fptr(int *p, unsigned long long bad, int split) {
  int t = threadIdx.x;
  int (*f)(int) = t < split ? fp_table[0] : (int (*)(int))bad;
  p[t] = f(t);
}

// Stream compaction by ballot (cdpQuadtree's partition): each warp splits its 256 values into
// those below and not below `pivot`, writing each group densely by ballot rank. nvcc places the
// block after the second `if` before the loop header, so lanes meet at shfl.sync after a
// backward jump, those that skipped the store first: the shfl must wait for the others.
extern "C" __global__ void ballot_compact(const float *in, float *out, int *counts, float pivot) {
  int warp = threadIdx.x / 32, lane = threadIdx.x % 32;
  unsigned lt = (1u << lane) - 1;
  int begin = warp * 256, end = begin + 256, c[2] = {0, 0};
  for (int i = begin + lane; __any_sync(0xffffffffu, i < end); i += 32) {
    bool live = i < end;
    float v = live ? in[i] : 0.0f;
    bool pred = live && v < pivot;
    unsigned vote = __ballot_sync(0xffffffffu, pred);
    if (pred) out[begin + c[0] + __popc(vote & lt)] = v;
    c[0] += __shfl_sync(0xffffffffu, __popc(vote), 0);
    pred = live && v >= pivot;
    vote = __ballot_sync(0xffffffffu, pred);
    if (pred) out[end - 1 - (c[1] + __popc(vote & lt))] = v;
    c[1] += __shfl_sync(0xffffffffu, __popc(vote), 0);
  }
  if (lane == 0) {
    counts[2 * warp] = c[0];
    counts[2 * warp + 1] = c[1];
  }
}

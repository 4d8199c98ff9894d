// device_calls.cu - kernels calling __noinline__ device functions, so the PTX keeps real
// .func bodies and call instructions (arguments, struct return values, recursion).
#include "cuda_check.h"
#include "device_calls.h"

struct Pair {
  unsigned lo, hi;
};

__device__ __noinline__ unsigned mix(unsigned a, unsigned b) { return (a ^ (b << 5)) * 2654435761u + (b >> 3); }

__device__ __noinline__ unsigned mix3(unsigned a, unsigned b, unsigned c) {
  return mix(mix(a, b), c) ^ 0x9E3779B9u;
}

__device__ __noinline__ Pair split(unsigned long long v) {
  Pair p;
  p.lo = (unsigned)v;
  p.hi = (unsigned)(v >> 32);
  return p;
}

__device__ __noinline__ unsigned digit_sum(unsigned x) { return x < 10 ? x : x % 10 + digit_sum(x / 10); }

__device__ __noinline__ float half_plus(float x, int k) { return x * 0.5f + (float)k; }

__global__ void device_calls(const unsigned *u, const float *f, unsigned *out_u, unsigned *out_d,
                             float *out_f, int n) {
  int i = blockIdx.x * blockDim.x + threadIdx.x;
  if (i >= n) return;
  unsigned m = mix3(u[i], (unsigned)i, 0xABCDEFu);
  Pair p = split((unsigned long long)m * u[i]);
  out_u[i] = m;
  out_d[i] = digit_sum(p.lo) + 100u * digit_sum(p.hi);
  out_f[i] = half_plus(f[i], i % 5);
}

int main(void) {
  const int n = DEVICE_CALLS_N;
  const size_t bytes = n * sizeof(unsigned);
  uint32_t *u = (uint32_t *)xmalloc(bytes), *out_u = (uint32_t *)xmalloc(bytes);
  uint32_t *out_d = (uint32_t *)xmalloc(bytes), *want_u = (uint32_t *)xmalloc(bytes);
  uint32_t *want_d = (uint32_t *)xmalloc(bytes);
  float *f = (float *)xmalloc(bytes), *out_f = (float *)xmalloc(bytes), *want_f = (float *)xmalloc(bytes);
  device_calls_inputs(u, f, n);

  unsigned *d_u, *d_out_u, *d_out_d;
  float *d_f, *d_out_f;
  CUDA_CHECK(cudaMalloc(&d_u, bytes));
  CUDA_CHECK(cudaMalloc(&d_f, bytes));
  CUDA_CHECK(cudaMalloc(&d_out_u, bytes));
  CUDA_CHECK(cudaMalloc(&d_out_d, bytes));
  CUDA_CHECK(cudaMalloc(&d_out_f, bytes));
  CUDA_CHECK(cudaMemcpy(d_u, u, bytes, cudaMemcpyHostToDevice));
  CUDA_CHECK(cudaMemcpy(d_f, f, bytes, cudaMemcpyHostToDevice));
  int blocks = (n + DEVICE_CALLS_BLOCK - 1) / DEVICE_CALLS_BLOCK;
  device_calls<<<blocks, DEVICE_CALLS_BLOCK>>>(d_u, d_f, d_out_u, d_out_d, d_out_f, n);
  CUDA_CHECK_LAUNCH();
  CUDA_CHECK(cudaMemcpy(out_u, d_out_u, bytes, cudaMemcpyDeviceToHost));
  CUDA_CHECK(cudaMemcpy(out_d, d_out_d, bytes, cudaMemcpyDeviceToHost));
  CUDA_CHECK(cudaMemcpy(out_f, d_out_f, bytes, cudaMemcpyDeviceToHost));

  device_calls_ref(u, f, want_u, want_d, want_f, n);
  size_t bad = kc_compare_u32("mix3", out_u, want_u, n);
  bad += kc_compare_u32("digit sums", out_d, want_d, n);
  bad += kc_compare_f32_exact("half_plus", out_f, want_f, n);

  CUDA_CHECK(cudaFree(d_u));
  CUDA_CHECK(cudaFree(d_f));
  CUDA_CHECK(cudaFree(d_out_u));
  CUDA_CHECK(cudaFree(d_out_d));
  CUDA_CHECK(cudaFree(d_out_f));
  free(u); free(f); free(out_u); free(out_d); free(out_f); free(want_u); free(want_d); free(want_f);
  return kc_finish("device_calls", bad);
}

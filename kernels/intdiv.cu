// intdiv.cu - integer division and modulo on the device: signed/unsigned, 32/64 bit, by
// run-time divisors and by constants.
#include "cuda_check.h"
#include "intdiv.h"

__global__ void intdiv(const int *a32, const int *b32, const long long *a64, const long long *b64,
                       unsigned *out32, unsigned long long *out64, int n) {
  int i = blockIdx.x * blockDim.x + threadIdx.x;
  if (i >= n) return;
  int a = a32[i], b = b32[i];
  unsigned ua = (unsigned)a, ub = (unsigned)b;
  long long A = a64[i], B = b64[i];
  unsigned long long UA = (unsigned long long)A, UB = (unsigned long long)B;
  out32[ID32_SDIV * n + i] = (unsigned)(a / b);
  out32[ID32_SREM * n + i] = (unsigned)(a % b);
  out32[ID32_UDIV * n + i] = ua / ub;
  out32[ID32_UREM * n + i] = ua % ub;
  out32[ID32_SDIV7 * n + i] = (unsigned)(a / 7);
  out32[ID32_SREM7 * n + i] = (unsigned)(a % -7);
  out32[ID32_UDIV10 * n + i] = ua / 10u;
  out32[ID32_UREM10 * n + i] = ua % 10u;
  out64[ID64_SDIV * n + i] = (unsigned long long)(A / B);
  out64[ID64_SREM * n + i] = (unsigned long long)(A % B);
  out64[ID64_UDIV * n + i] = UA / UB;
  out64[ID64_UREM * n + i] = UA % UB;
  out64[ID64_SDIVK * n + i] = (unsigned long long)(A / INTDIV_K64);
  out64[ID64_UREM3 * n + i] = UA % 3u;
}

int main(void) {
  const int n = INTDIV_N;
  int32_t *a32 = (int32_t *)xmalloc(n * sizeof(int32_t)), *b32 = (int32_t *)xmalloc(n * sizeof(int32_t));
  int64_t *a64 = (int64_t *)xmalloc(n * sizeof(int64_t)), *b64 = (int64_t *)xmalloc(n * sizeof(int64_t));
  const size_t out32_bytes = ID32_COLUMNS * n * sizeof(uint32_t);
  const size_t out64_bytes = ID64_COLUMNS * n * sizeof(uint64_t);
  uint32_t *got32 = (uint32_t *)xmalloc(out32_bytes), *want32 = (uint32_t *)xmalloc(out32_bytes);
  uint64_t *got64 = (uint64_t *)xmalloc(out64_bytes), *want64 = (uint64_t *)xmalloc(out64_bytes);
  intdiv_inputs(a32, b32, a64, b64, n);

  int *d_a32, *d_b32;
  long long *d_a64, *d_b64;
  unsigned *d_out32;
  unsigned long long *d_out64;
  CUDA_CHECK(cudaMalloc(&d_a32, n * sizeof(int)));
  CUDA_CHECK(cudaMalloc(&d_b32, n * sizeof(int)));
  CUDA_CHECK(cudaMalloc(&d_a64, n * sizeof(long long)));
  CUDA_CHECK(cudaMalloc(&d_b64, n * sizeof(long long)));
  CUDA_CHECK(cudaMalloc(&d_out32, out32_bytes));
  CUDA_CHECK(cudaMalloc(&d_out64, out64_bytes));
  CUDA_CHECK(cudaMemcpy(d_a32, a32, n * sizeof(int), cudaMemcpyHostToDevice));
  CUDA_CHECK(cudaMemcpy(d_b32, b32, n * sizeof(int), cudaMemcpyHostToDevice));
  CUDA_CHECK(cudaMemcpy(d_a64, a64, n * sizeof(long long), cudaMemcpyHostToDevice));
  CUDA_CHECK(cudaMemcpy(d_b64, b64, n * sizeof(long long), cudaMemcpyHostToDevice));
  intdiv<<<(n + INTDIV_BLOCK - 1) / INTDIV_BLOCK, INTDIV_BLOCK>>>(d_a32, d_b32, d_a64, d_b64,
                                                                d_out32, d_out64, n);
  CUDA_CHECK_LAUNCH();
  CUDA_CHECK(cudaMemcpy(got32, d_out32, out32_bytes, cudaMemcpyDeviceToHost));
  CUDA_CHECK(cudaMemcpy(got64, d_out64, out64_bytes, cudaMemcpyDeviceToHost));

  intdiv_ref(a32, b32, a64, b64, want32, want64, n);
  size_t bad = intdiv_compare(got32, want32, got64, want64, n);

  CUDA_CHECK(cudaFree(d_a32));
  CUDA_CHECK(cudaFree(d_b32));
  CUDA_CHECK(cudaFree(d_a64));
  CUDA_CHECK(cudaFree(d_b64));
  CUDA_CHECK(cudaFree(d_out32));
  CUDA_CHECK(cudaFree(d_out64));
  free(a32); free(b32); free(a64); free(b64); free(got32); free(want32); free(got64); free(want64);
  return kc_finish("intdiv", bad);
}

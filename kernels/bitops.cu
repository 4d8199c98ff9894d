// bitops.cu - CUDA's bit intrinsics: population count, leading zeros, first set bit, bit
// reversal (32 and 64 bit) and funnel shifts (wrapping and clamping).
#include "cuda_check.h"
#include "bitops.h"

__global__ void bitops(const unsigned *x, const unsigned *y, const unsigned long long *w,
                       const unsigned *s, unsigned *out, int n) {
  int i = blockIdx.x * blockDim.x + threadIdx.x;
  if (i >= n) return;
  unsigned long long rev = __brevll(w[i]);
  out[BO_POPC * n + i] = __popc(x[i]);
  out[BO_CLZ * n + i] = __clz((int)x[i]);
  out[BO_FFS * n + i] = __ffs((int)x[i]);
  out[BO_BREV * n + i] = __brev(x[i]);
  out[BO_FSHL * n + i] = __funnelshift_l(x[i], y[i], s[i]);
  out[BO_FSHR * n + i] = __funnelshift_r(x[i], y[i], s[i]);
  out[BO_FSHLC * n + i] = __funnelshift_lc(x[i], y[i], s[i]);
  out[BO_FSHRC * n + i] = __funnelshift_rc(x[i], y[i], s[i]);
  out[BO_POPCLL * n + i] = __popcll(w[i]);
  out[BO_CLZLL * n + i] = __clzll((long long)w[i]);
  out[BO_FFSLL * n + i] = __ffsll((long long)w[i]);
  out[BO_BREVLL_LO * n + i] = (unsigned)rev;
  out[BO_BREVLL_HI * n + i] = (unsigned)(rev >> 32);
}

int main(void) {
  const int n = BITOPS_N;
  const size_t bytes = n * sizeof(unsigned), out_bytes = BO_COLUMNS * bytes;
  uint32_t *x = (uint32_t *)xmalloc(bytes), *y = (uint32_t *)xmalloc(bytes), *s = (uint32_t *)xmalloc(bytes);
  uint64_t *w = (uint64_t *)xmalloc(n * sizeof(uint64_t));
  uint32_t *got = (uint32_t *)xmalloc(out_bytes), *want = (uint32_t *)xmalloc(out_bytes);
  bitops_inputs(x, y, w, s, n);

  unsigned *d_x, *d_y, *d_s, *d_out;
  unsigned long long *d_w;
  CUDA_CHECK(cudaMalloc(&d_x, bytes));
  CUDA_CHECK(cudaMalloc(&d_y, bytes));
  CUDA_CHECK(cudaMalloc(&d_s, bytes));
  CUDA_CHECK(cudaMalloc(&d_w, n * sizeof(unsigned long long)));
  CUDA_CHECK(cudaMalloc(&d_out, out_bytes));
  CUDA_CHECK(cudaMemcpy(d_x, x, bytes, cudaMemcpyHostToDevice));
  CUDA_CHECK(cudaMemcpy(d_y, y, bytes, cudaMemcpyHostToDevice));
  CUDA_CHECK(cudaMemcpy(d_s, s, bytes, cudaMemcpyHostToDevice));
  CUDA_CHECK(cudaMemcpy(d_w, w, n * sizeof(unsigned long long), cudaMemcpyHostToDevice));
  bitops<<<(n + BITOPS_BLOCK - 1) / BITOPS_BLOCK, BITOPS_BLOCK>>>(d_x, d_y, d_w, d_s, d_out, n);
  CUDA_CHECK_LAUNCH();
  CUDA_CHECK(cudaMemcpy(got, d_out, out_bytes, cudaMemcpyDeviceToHost));

  bitops_ref(x, y, w, s, want, n);
  size_t bad = bitops_compare(got, want, n);

  CUDA_CHECK(cudaFree(d_x));
  CUDA_CHECK(cudaFree(d_y));
  CUDA_CHECK(cudaFree(d_s));
  CUDA_CHECK(cudaFree(d_w));
  CUDA_CHECK(cudaFree(d_out));
  free(x); free(y); free(s); free(w); free(got); free(want);
  return kc_finish("bitops", bad);
}

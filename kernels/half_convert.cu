// half_convert.cu - cuda_fp16.h on the device: float <-> half conversions and half
// arithmetic, results compared bit for bit (see half_convert.h).
#include <cuda_fp16.h>
#include "cuda_check.h"
#include "half_convert.h"

__global__ void half_convert(const float *f, const unsigned short *h1, const unsigned short *h2,
                             const unsigned short *h3, unsigned *out, float *fout, int n) {
  int i = blockIdx.x * blockDim.x + threadIdx.x;
  if (i >= n) return;
  __half a = __ushort_as_half(h1[i]), b = __ushort_as_half(h2[i]), c = __ushort_as_half(h3[i]);
  __half rn = __float2half(f[i]);
  out[HC_RN * n + i] = __half_as_ushort(rn);
  out[HC_RZ * n + i] = __half_as_ushort(__float2half_rz(f[i]));
  out[HC_ADD * n + i] = __half_as_ushort(__hadd(a, b));
  out[HC_SUB * n + i] = __half_as_ushort(a - b);
  out[HC_MUL * n + i] = __half_as_ushort(__hmul(a, b));
  out[HC_FMA * n + i] = __half_as_ushort(__hfma(a, b, c));
  __half2 sum = __hadd2(__halves2half2(a, b), __halves2half2(c, a));
  out[HC_ADD2_LO * n + i] = __half_as_ushort(__low2half(sum));
  out[HC_ADD2_HI * n + i] = __half_as_ushort(__high2half(sum));
  fout[HF_BACK * n + i] = __half2float(rn);
  fout[HF_H1 * n + i] = __half2float(a);
}

int main(void) {
  const int n = HALF_N;
  const size_t hbytes = n * sizeof(uint16_t);
  const size_t out_bytes = HC_COLUMNS * n * sizeof(uint32_t), fout_bytes = HF_FCOLUMNS * n * sizeof(float);
  float *f = (float *)xmalloc(n * sizeof(float));
  uint16_t *h1 = (uint16_t *)xmalloc(hbytes), *h2 = (uint16_t *)xmalloc(hbytes), *h3 = (uint16_t *)xmalloc(hbytes);
  uint32_t *got = (uint32_t *)xmalloc(out_bytes), *want = (uint32_t *)xmalloc(out_bytes);
  float *fgot = (float *)xmalloc(fout_bytes), *fwant = (float *)xmalloc(fout_bytes);
  half_inputs(f, h1, h2, h3, n);

  float *d_f, *d_fout;
  unsigned short *d_h1, *d_h2, *d_h3;
  unsigned *d_out;
  CUDA_CHECK(cudaMalloc(&d_f, n * sizeof(float)));
  CUDA_CHECK(cudaMalloc(&d_h1, hbytes));
  CUDA_CHECK(cudaMalloc(&d_h2, hbytes));
  CUDA_CHECK(cudaMalloc(&d_h3, hbytes));
  CUDA_CHECK(cudaMalloc(&d_out, out_bytes));
  CUDA_CHECK(cudaMalloc(&d_fout, fout_bytes));
  CUDA_CHECK(cudaMemcpy(d_f, f, n * sizeof(float), cudaMemcpyHostToDevice));
  CUDA_CHECK(cudaMemcpy(d_h1, h1, hbytes, cudaMemcpyHostToDevice));
  CUDA_CHECK(cudaMemcpy(d_h2, h2, hbytes, cudaMemcpyHostToDevice));
  CUDA_CHECK(cudaMemcpy(d_h3, h3, hbytes, cudaMemcpyHostToDevice));
  half_convert<<<(n + HALF_BLOCK - 1) / HALF_BLOCK, HALF_BLOCK>>>(d_f, d_h1, d_h2, d_h3, d_out, d_fout, n);
  CUDA_CHECK_LAUNCH();
  CUDA_CHECK(cudaMemcpy(got, d_out, out_bytes, cudaMemcpyDeviceToHost));
  CUDA_CHECK(cudaMemcpy(fgot, d_fout, fout_bytes, cudaMemcpyDeviceToHost));

  half_ref(f, h1, h2, h3, want, fwant, n);
  size_t bad = half_compare(got, want, fgot, fwant, n);

  CUDA_CHECK(cudaFree(d_f));
  CUDA_CHECK(cudaFree(d_h1));
  CUDA_CHECK(cudaFree(d_h2));
  CUDA_CHECK(cudaFree(d_h3));
  CUDA_CHECK(cudaFree(d_out));
  CUDA_CHECK(cudaFree(d_fout));
  free(f); free(h1); free(h2); free(h3); free(got); free(want); free(fgot); free(fwant);
  return kc_finish("half_convert", bad);
}

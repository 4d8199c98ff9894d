// memset.cu - cudaMemset and cudaMemsetAsync (an unaligned byte range) around a kernel that
// writes only some elements, so the bytes it leaves keep the memset pattern.
#include "cuda_check.h"
#include "memset.h"

__global__ void mark_even(unsigned *buf, int n) {
  int i = 2 * (blockIdx.x * blockDim.x + threadIdx.x);
  if (i < n) buf[i] = (unsigned)i;
}

int main(void) {
  const int n = MEMSET_N;
  const size_t bytes = n * sizeof(unsigned);
  uint32_t *got = (uint32_t *)xmalloc(bytes), *want = (uint32_t *)xmalloc(bytes);

  cudaStream_t stream;
  unsigned *d_buf;
  CUDA_CHECK(cudaStreamCreate(&stream));
  CUDA_CHECK(cudaMalloc(&d_buf, bytes));
  CUDA_CHECK(cudaMemset(d_buf, MEMSET_FILL, bytes));
  int threads = (n + 1) / 2;
  mark_even<<<(threads + MEMSET_BLOCK - 1) / MEMSET_BLOCK, MEMSET_BLOCK, 0, stream>>>(d_buf, n);
  CUDA_CHECK_LAUNCH();
  CUDA_CHECK(cudaMemsetAsync((char *)d_buf + MEMSET_CLEAR_OFFSET, 0, MEMSET_CLEAR_BYTES, stream));
  CUDA_CHECK(cudaStreamSynchronize(stream));
  CUDA_CHECK(cudaMemcpy(got, d_buf, bytes, cudaMemcpyDeviceToHost));

  memset_ref(want, n);
  size_t bad = kc_compare_u32("buf", got, want, n);

  CUDA_CHECK(cudaFree(d_buf));
  CUDA_CHECK(cudaStreamDestroy(stream));
  free(got); free(want);
  return kc_finish("memset", bad);
}

// sync_count.cu - barrier reductions: __syncthreads_count, __syncthreads_or, __syncthreads_and.
#include "cuda_check.h"
#include "sync_count.h"

__global__ void sync_count(const int *x, int *out, int n) {
  int i = blockIdx.x * blockDim.x + threadIdx.x;
  int pred = x[i] > 0;
  int count = __syncthreads_count(pred);
  int any = __syncthreads_or(pred);
  int all = __syncthreads_and(pred);
  out[SC_COUNT * n + i] = count;
  out[SC_OR * n + i] = any != 0;
  out[SC_AND * n + i] = all != 0;
}

int main(void) {
  const int n = SYNC_COUNT_N;
  const size_t bytes = n * sizeof(int), out_bytes = SC_COLUMNS * bytes;
  int32_t *x = (int32_t *)xmalloc(bytes), *got = (int32_t *)xmalloc(out_bytes), *want = (int32_t *)xmalloc(out_bytes);
  sync_count_inputs(x, n);

  int *d_x, *d_out;
  CUDA_CHECK(cudaMalloc(&d_x, bytes));
  CUDA_CHECK(cudaMalloc(&d_out, out_bytes));
  CUDA_CHECK(cudaMemcpy(d_x, x, bytes, cudaMemcpyHostToDevice));
  sync_count<<<SYNC_COUNT_BLOCKS, SYNC_COUNT_BLOCK>>>(d_x, d_out, n);
  CUDA_CHECK_LAUNCH();
  CUDA_CHECK(cudaMemcpy(got, d_out, out_bytes, cudaMemcpyDeviceToHost));

  sync_count_ref(x, n, want);
  size_t bad = sync_count_compare(got, want, n);

  CUDA_CHECK(cudaFree(d_x));
  CUDA_CHECK(cudaFree(d_out));
  free(x); free(got); free(want);
  return kc_finish("sync_count", bad);
}

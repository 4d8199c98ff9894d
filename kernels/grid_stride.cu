// grid_stride.cu - the grid-stride loop idiom: 13 blocks of 96 threads cover 300k elements.
#include "cuda_check.h"
#include "grid_stride.h"

__global__ void grid_stride(const unsigned *x, unsigned *y, unsigned *iterations, size_t n) {
  unsigned count = 0;
  size_t stride = (size_t)blockDim.x * gridDim.x;
  for (size_t i = (size_t)blockIdx.x * blockDim.x + threadIdx.x; i < n; i += stride) {
    y[i] = x[i] * 2654435761u + (unsigned)i;
    count++;
  }
  iterations[blockIdx.x * blockDim.x + threadIdx.x] = count;
}

int main(void) {
  const int n = GRID_STRIDE_N;
  const size_t bytes = n * sizeof(unsigned), it_bytes = GRID_STRIDE_THREADS * sizeof(unsigned);
  uint32_t *x = (uint32_t *)xmalloc(bytes), *y = (uint32_t *)xmalloc(bytes), *want = (uint32_t *)xmalloc(bytes);
  uint32_t *it = (uint32_t *)xmalloc(it_bytes), *want_it = (uint32_t *)xmalloc(it_bytes);
  grid_stride_inputs(x, n);

  unsigned *d_x, *d_y, *d_it;
  CUDA_CHECK(cudaMalloc(&d_x, bytes));
  CUDA_CHECK(cudaMalloc(&d_y, bytes));
  CUDA_CHECK(cudaMalloc(&d_it, it_bytes));
  CUDA_CHECK(cudaMemcpy(d_x, x, bytes, cudaMemcpyHostToDevice));
  grid_stride<<<GRID_STRIDE_GRID, GRID_STRIDE_BLOCK>>>(d_x, d_y, d_it, n);
  CUDA_CHECK_LAUNCH();
  CUDA_CHECK(cudaMemcpy(y, d_y, bytes, cudaMemcpyDeviceToHost));
  CUDA_CHECK(cudaMemcpy(it, d_it, it_bytes, cudaMemcpyDeviceToHost));

  grid_stride_ref(x, n, want, want_it);
  size_t bad = kc_compare_u32("y", y, want, n);
  bad += kc_compare_u32("iterations", it, want_it, GRID_STRIDE_THREADS);

  CUDA_CHECK(cudaFree(d_x));
  CUDA_CHECK(cudaFree(d_y));
  CUDA_CHECK(cudaFree(d_it));
  free(x); free(y); free(want); free(it); free(want_it);
  return kc_finish("grid_stride", bad);
}

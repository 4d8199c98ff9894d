// saxpy.cu - y = a*x + y with asynchronous copies on a stream of its own.
#include "cuda_check.h"
#include "saxpy.h"

__global__ void saxpy(int n, float a, const float *x, float *y) {
  int i = blockIdx.x * blockDim.x + threadIdx.x;
  if (i < n) y[i] = a * x[i] + y[i];
}

int main(void) {
  const int n = SAXPY_N;
  const size_t bytes = n * sizeof(float);
  float *x = (float *)xmalloc(bytes), *y = (float *)xmalloc(bytes), *out = (float *)xmalloc(bytes);
  double *want = (double *)xmalloc(n * sizeof(double)), *scale = (double *)xmalloc(n * sizeof(double));
  saxpy_inputs(x, y, n);

  cudaStream_t stream;
  CUDA_CHECK(cudaStreamCreate(&stream));
  float *d_x, *d_y;
  CUDA_CHECK(cudaMalloc(&d_x, bytes));
  CUDA_CHECK(cudaMalloc(&d_y, bytes));
  CUDA_CHECK(cudaMemcpyAsync(d_x, x, bytes, cudaMemcpyHostToDevice, stream));
  CUDA_CHECK(cudaMemcpyAsync(d_y, y, bytes, cudaMemcpyHostToDevice, stream));
  saxpy<<<(n + SAXPY_BLOCK - 1) / SAXPY_BLOCK, SAXPY_BLOCK, 0, stream>>>(n, SAXPY_A, d_x, d_y);
  CUDA_CHECK_LAUNCH();
  CUDA_CHECK(cudaMemcpyAsync(out, d_y, bytes, cudaMemcpyDeviceToHost, stream));
  CUDA_CHECK(cudaStreamSynchronize(stream));

  saxpy_ref(SAXPY_A, x, y, want, scale, n);
  size_t bad = kc_compare_f32_tol("y", out, want, scale, n, SAXPY_TOL);

  CUDA_CHECK(cudaFree(d_x));
  CUDA_CHECK(cudaFree(d_y));
  CUDA_CHECK(cudaStreamDestroy(stream));
  free(x); free(y); free(out); free(want); free(scale);
  return kc_finish("saxpy", bad);
}

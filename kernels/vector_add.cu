// vector_add.cu - the hello world of CUDA: c = a + b on 100k floats, checked on the CPU.
#include "cuda_check.h"
#include "vector_add.h"

__global__ void vector_add(const float *a, const float *b, float *c, int n) {
  int i = blockIdx.x * blockDim.x + threadIdx.x;
  if (i < n) c[i] = a[i] + b[i];
}

int main(void) {
  const int n = VECTOR_ADD_N;
  const size_t bytes = n * sizeof(float);
  float *a = (float *)xmalloc(bytes), *b = (float *)xmalloc(bytes);
  float *c = (float *)xmalloc(bytes), *want = (float *)xmalloc(bytes);
  vector_add_inputs(a, b, n);

  float *d_a, *d_b, *d_c;
  CUDA_CHECK(cudaMalloc(&d_a, bytes));
  CUDA_CHECK(cudaMalloc(&d_b, bytes));
  CUDA_CHECK(cudaMalloc(&d_c, bytes));
  CUDA_CHECK(cudaMemcpy(d_a, a, bytes, cudaMemcpyHostToDevice));
  CUDA_CHECK(cudaMemcpy(d_b, b, bytes, cudaMemcpyHostToDevice));

  int blocks = (n + VECTOR_ADD_BLOCK - 1) / VECTOR_ADD_BLOCK;
  vector_add<<<blocks, VECTOR_ADD_BLOCK>>>(d_a, d_b, d_c, n);
  CUDA_CHECK_LAUNCH();
  CUDA_CHECK(cudaMemcpy(c, d_c, bytes, cudaMemcpyDeviceToHost));

  vector_add_ref(a, b, want, n);
  size_t bad = kc_compare_f32_exact("c", c, want, n);

  CUDA_CHECK(cudaFree(d_a));
  CUDA_CHECK(cudaFree(d_b));
  CUDA_CHECK(cudaFree(d_c));
  free(a); free(b); free(c); free(want);
  return kc_finish("vector_add", bad);
}

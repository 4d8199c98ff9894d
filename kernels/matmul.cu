// matmul.cu - tiled matrix multiply: each block stages TILE x TILE tiles of A and B in
// shared memory and synchronises around their use.
#include "cuda_check.h"
#include "matmul.h"

__global__ void matmul_tiled(const float *a, const float *b, float *c, int m, int n, int k) {
  __shared__ float tile_a[MATMUL_TILE][MATMUL_TILE];
  __shared__ float tile_b[MATMUL_TILE][MATMUL_TILE];
  int row = blockIdx.y * MATMUL_TILE + threadIdx.y;
  int col = blockIdx.x * MATMUL_TILE + threadIdx.x;
  float sum = 0.0f;
  for (int t = 0; t < k; t += MATMUL_TILE) {
    int ak = t + threadIdx.x, bk = t + threadIdx.y;
    tile_a[threadIdx.y][threadIdx.x] = (row < m && ak < k) ? a[row * k + ak] : 0.0f;
    tile_b[threadIdx.y][threadIdx.x] = (bk < k && col < n) ? b[bk * n + col] : 0.0f;
    __syncthreads();
    for (int i = 0; i < MATMUL_TILE; i++) sum += tile_a[threadIdx.y][i] * tile_b[i][threadIdx.x];
    __syncthreads();
  }
  if (row < m && col < n) c[row * n + col] = sum;
}

int main(void) {
  const size_t a_bytes = (size_t)MATMUL_M * MATMUL_K * sizeof(float);
  const size_t b_bytes = (size_t)MATMUL_K * MATMUL_N * sizeof(float);
  const size_t c_count = (size_t)MATMUL_M * MATMUL_N;
  float *a = (float *)xmalloc(a_bytes), *b = (float *)xmalloc(b_bytes);
  float *c = (float *)xmalloc(c_count * sizeof(float));
  double *want = (double *)xmalloc(c_count * sizeof(double));
  double *scale = (double *)xmalloc(c_count * sizeof(double));
  matmul_inputs(a, b);

  float *d_a, *d_b, *d_c;
  CUDA_CHECK(cudaMalloc(&d_a, a_bytes));
  CUDA_CHECK(cudaMalloc(&d_b, b_bytes));
  CUDA_CHECK(cudaMalloc(&d_c, c_count * sizeof(float)));
  CUDA_CHECK(cudaMemcpy(d_a, a, a_bytes, cudaMemcpyHostToDevice));
  CUDA_CHECK(cudaMemcpy(d_b, b, b_bytes, cudaMemcpyHostToDevice));

  dim3 block(MATMUL_TILE, MATMUL_TILE);
  dim3 grid((MATMUL_N + MATMUL_TILE - 1) / MATMUL_TILE, (MATMUL_M + MATMUL_TILE - 1) / MATMUL_TILE);
  matmul_tiled<<<grid, block>>>(d_a, d_b, d_c, MATMUL_M, MATMUL_N, MATMUL_K);
  CUDA_CHECK_LAUNCH();
  CUDA_CHECK(cudaDeviceSynchronize());
  CUDA_CHECK(cudaMemcpy(c, d_c, c_count * sizeof(float), cudaMemcpyDeviceToHost));

  matmul_ref(a, b, want, scale);
  size_t bad = kc_compare_f32_tol("c", c, want, scale, c_count, MATMUL_TOL);

  CUDA_CHECK(cudaFree(d_a));
  CUDA_CHECK(cudaFree(d_b));
  CUDA_CHECK(cudaFree(d_c));
  free(a); free(b); free(c); free(want); free(scale);
  return kc_finish("matmul", bad);
}

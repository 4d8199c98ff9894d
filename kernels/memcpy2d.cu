// memcpy2d.cu - pitched memory: cudaMallocPitch, cudaMemcpy2D in all three directions,
// cudaMemset2D, and a kernel indexing rows through the pitch.
#include "cuda_check.h"
#include "memcpy2d.h"

__global__ void transform_pitched(float *m, size_t pitch, int w, int h) {
  int x = blockIdx.x * blockDim.x + threadIdx.x, y = blockIdx.y * blockDim.y + threadIdx.y;
  if (x >= w || y >= h) return;
  float *row = (float *)((char *)m + y * pitch);
  row[x] = row[x] * 2.0f + (float)y;
}

int main(void) {
  const size_t row_bytes = M2D_W * sizeof(float);
  float *src = (float *)xmalloc(M2D_H * M2D_SRC_PITCH * sizeof(float));
  float *dense = (float *)xmalloc(M2D_H * row_bytes), *want_dense = (float *)xmalloc(M2D_H * row_bytes);
  float *dst = (float *)xmalloc(M2D_H * M2D_DST_PITCH * sizeof(float));
  float *want_dst = (float *)xmalloc(M2D_H * M2D_DST_PITCH * sizeof(float));
  memcpy2d_inputs(src);
  for (int i = 0; i < M2D_H * M2D_DST_PITCH; i++) dst[i] = M2D_SENTINEL;

  float *d_a, *d_b;
  size_t pitch_a, pitch_b;
  CUDA_CHECK(cudaMallocPitch(&d_a, &pitch_a, row_bytes, M2D_H));
  CUDA_CHECK(cudaMallocPitch(&d_b, &pitch_b, row_bytes, M2D_H));
  CUDA_CHECK(cudaMemcpy2D(d_a, pitch_a, src, M2D_SRC_PITCH * sizeof(float), row_bytes, M2D_H,
                          cudaMemcpyHostToDevice));
  dim3 block(M2D_BLOCK_X, M2D_BLOCK_Y);
  dim3 grid((M2D_W + M2D_BLOCK_X - 1) / M2D_BLOCK_X, (M2D_H + M2D_BLOCK_Y - 1) / M2D_BLOCK_Y);
  transform_pitched<<<grid, block>>>(d_a, pitch_a, M2D_W, M2D_H);
  CUDA_CHECK_LAUNCH();

  CUDA_CHECK(cudaMemset2D(d_b, pitch_b, 0, row_bytes, M2D_H));
  const char *sub_src = (const char *)d_a + M2D_SUB_Y * pitch_a + M2D_SUB_X * sizeof(float);
  char *sub_dst = (char *)d_b + M2D_DEST_Y * pitch_b + M2D_DEST_X * sizeof(float);
  CUDA_CHECK(cudaMemcpy2D(sub_dst, pitch_b, sub_src, pitch_a, M2D_SUB_W * sizeof(float), M2D_SUB_H,
                          cudaMemcpyDeviceToDevice));
  CUDA_CHECK(cudaMemcpy2D(dense, row_bytes, d_a, pitch_a, row_bytes, M2D_H, cudaMemcpyDeviceToHost));
  CUDA_CHECK(cudaMemcpy2D(dst, M2D_DST_PITCH * sizeof(float), d_b, pitch_b, row_bytes, M2D_H,
                          cudaMemcpyDeviceToHost));

  memcpy2d_ref(src, want_dense, want_dst);
  size_t bad = kc_compare_f32_exact("transformed", dense, want_dense, M2D_H * M2D_W);
  bad += kc_compare_f32_exact("copied", dst, want_dst, M2D_H * M2D_DST_PITCH);

  CUDA_CHECK(cudaFree(d_a));
  CUDA_CHECK(cudaFree(d_b));
  free(src); free(dense); free(want_dense); free(dst); free(want_dst);
  return kc_finish("memcpy2d", bad);
}

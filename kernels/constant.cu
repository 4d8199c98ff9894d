// constant.cu - __constant__ memory: filter taps and offsets copied in with
// cudaMemcpyToSymbol (and read back with cudaMemcpyFromSymbol), plus an initialised gain.
#include "cuda_check.h"
#include "constant.h"

__constant__ float c_taps[CONSTANT_TAPS];
__constant__ int c_offsets[CONSTANT_TAPS];
__constant__ float c_gain = CONSTANT_GAIN;

__device__ int clamp_index(int i, int n) { return i < 0 ? 0 : (i >= n ? n - 1 : i); }

__global__ void constant_filter(const float *x, float *y, int n) {
  int i = blockIdx.x * blockDim.x + threadIdx.x;
  if (i >= n) return;
  float sum = 0.0f;
  for (int k = 0; k < CONSTANT_TAPS; k++) sum += c_taps[k] * x[clamp_index(i + c_offsets[k], n)];
  y[i] = sum * c_gain;
}

int main(void) {
  const int n = CONSTANT_N;
  float *x = (float *)xmalloc(n * sizeof(float)), *y = (float *)xmalloc(n * sizeof(float));
  double *want = (double *)xmalloc(n * sizeof(double)), *scale = (double *)xmalloc(n * sizeof(double));
  float taps[CONSTANT_TAPS], taps_back[CONSTANT_TAPS];
  int32_t offsets[CONSTANT_TAPS];
  constant_inputs(x, n, taps, offsets);

  CUDA_CHECK(cudaMemcpyToSymbol(c_taps, taps, sizeof taps));
  CUDA_CHECK(cudaMemcpyToSymbol(c_offsets, offsets, sizeof offsets));
  CUDA_CHECK(cudaMemcpyFromSymbol(taps_back, c_taps, sizeof taps_back));
  size_t bad = kc_compare_f32_exact("taps read back", taps_back, taps, CONSTANT_TAPS);

  float *d_x, *d_y;
  CUDA_CHECK(cudaMalloc(&d_x, n * sizeof(float)));
  CUDA_CHECK(cudaMalloc(&d_y, n * sizeof(float)));
  CUDA_CHECK(cudaMemcpy(d_x, x, n * sizeof(float), cudaMemcpyHostToDevice));
  constant_filter<<<(n + CONSTANT_BLOCK - 1) / CONSTANT_BLOCK, CONSTANT_BLOCK>>>(d_x, d_y, n);
  CUDA_CHECK_LAUNCH();
  CUDA_CHECK(cudaMemcpy(y, d_y, n * sizeof(float), cudaMemcpyDeviceToHost));

  constant_ref(x, n, taps, offsets, want, scale);
  bad += kc_compare_f32_tol("y", y, want, scale, n, CONSTANT_TOL);

  CUDA_CHECK(cudaFree(d_x));
  CUDA_CHECK(cudaFree(d_y));
  free(x); free(y); free(want); free(scale);
  return kc_finish("constant", bad);
}

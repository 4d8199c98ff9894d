// math_funcs.cu - CUDA's math library on the device: expf, logf, sinf, cosf, sqrtf, rsqrtf,
// powf, fmaf, __fdividef, and double exp, log, sqrt, checked in ulps (see math_funcs.h).
#include "cuda_check.h"
#include "math_funcs.h"

// a holds three arguments per function: a[(j * MATH_F32_COUNT + k) * n + i].
__global__ void math_f32(const float *a, float *out, int n) {
  int i = blockIdx.x * blockDim.x + threadIdx.x;
  if (i >= n) return;
#define ARG(j, k) a[((j) * MATH_F32_COUNT + (k)) * n + i]
  out[MATH_EXPF * n + i] = expf(ARG(0, MATH_EXPF));
  out[MATH_LOGF * n + i] = logf(ARG(0, MATH_LOGF));
  out[MATH_SINF * n + i] = sinf(ARG(0, MATH_SINF));
  out[MATH_COSF * n + i] = cosf(ARG(0, MATH_COSF));
  out[MATH_SQRTF * n + i] = sqrtf(ARG(0, MATH_SQRTF));
  out[MATH_RSQRTF * n + i] = rsqrtf(ARG(0, MATH_RSQRTF));
  out[MATH_POWF * n + i] = powf(ARG(0, MATH_POWF), ARG(1, MATH_POWF));
  out[MATH_FMAF * n + i] = fmaf(ARG(0, MATH_FMAF), ARG(1, MATH_FMAF), ARG(2, MATH_FMAF));
  out[MATH_FDIVIDEF * n + i] = __fdividef(ARG(0, MATH_FDIVIDEF), ARG(1, MATH_FDIVIDEF));
#undef ARG
}

__global__ void math_f64(const double *a, double *out, int n) {
  int i = blockIdx.x * blockDim.x + threadIdx.x;
  if (i >= n) return;
  out[MATH_EXP * n + i] = exp(a[MATH_EXP * n + i]);
  out[MATH_LOG * n + i] = log(a[MATH_LOG * n + i]);
  out[MATH_SQRT * n + i] = sqrt(a[MATH_SQRT * n + i]);
}

int main(void) {
  const int n = MATH_N;
  const size_t a32_bytes = 3 * MATH_F32_COUNT * n * sizeof(float);
  const size_t out32_bytes = MATH_F32_COUNT * n * sizeof(float);
  const size_t f64_bytes = MATH_F64_COUNT * n * sizeof(double);
  float *a32 = (float *)xmalloc(a32_bytes), *got32 = (float *)xmalloc(out32_bytes);
  double *a64 = (double *)xmalloc(f64_bytes), *got64 = (double *)xmalloc(f64_bytes);
  double *want32 = (double *)xmalloc(MATH_F32_COUNT * n * sizeof(double));
  double *want64 = (double *)xmalloc(f64_bytes);
  math_inputs(a32, a64, n);

  float *d_a32, *d_out32;
  double *d_a64, *d_out64;
  CUDA_CHECK(cudaMalloc(&d_a32, a32_bytes));
  CUDA_CHECK(cudaMalloc(&d_out32, out32_bytes));
  CUDA_CHECK(cudaMalloc(&d_a64, f64_bytes));
  CUDA_CHECK(cudaMalloc(&d_out64, f64_bytes));
  CUDA_CHECK(cudaMemcpy(d_a32, a32, a32_bytes, cudaMemcpyHostToDevice));
  CUDA_CHECK(cudaMemcpy(d_a64, a64, f64_bytes, cudaMemcpyHostToDevice));
  int blocks = (n + MATH_BLOCK - 1) / MATH_BLOCK;
  math_f32<<<blocks, MATH_BLOCK>>>(d_a32, d_out32, n);
  CUDA_CHECK_LAUNCH();
  math_f64<<<blocks, MATH_BLOCK>>>(d_a64, d_out64, n);
  CUDA_CHECK_LAUNCH();
  CUDA_CHECK(cudaMemcpy(got32, d_out32, out32_bytes, cudaMemcpyDeviceToHost));
  CUDA_CHECK(cudaMemcpy(got64, d_out64, f64_bytes, cudaMemcpyDeviceToHost));

  math_ref(a32, a64, n, want32, want64);
  size_t bad = math_compare(got32, got64, want32, want64, n);

  CUDA_CHECK(cudaFree(d_a32));
  CUDA_CHECK(cudaFree(d_out32));
  CUDA_CHECK(cudaFree(d_a64));
  CUDA_CHECK(cudaFree(d_out64));
  free(a32); free(got32); free(a64); free(got64); free(want32); free(want64);
  return kc_finish("math_funcs", bad);
}

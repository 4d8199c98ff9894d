// reduction.cu - a templated shared-memory tree reduction, instantiated for float and
// double (the kernels keep their C++ mangled names, as real programs have them).
#include "cuda_check.h"
#include "reduction.h"

template <typename T, unsigned BLOCK>
__global__ void reduce_sum(const T *in, T *out, unsigned n) {
  __shared__ T partial[BLOCK];
  T sum = 0;
  for (unsigned i = blockIdx.x * BLOCK + threadIdx.x; i < n; i += BLOCK * gridDim.x) sum += in[i];
  partial[threadIdx.x] = sum;
  __syncthreads();
  for (unsigned stride = BLOCK / 2; stride > 0; stride >>= 1) {
    if (threadIdx.x < stride) partial[threadIdx.x] += partial[threadIdx.x + stride];
    __syncthreads();
  }
  if (threadIdx.x == 0) out[blockIdx.x] = partial[0];
}

// Runs both passes; result gets REDUCTION_GRID partials then the total.
template <typename T>
static void reduce_on_device(const T *x, int n, T *result) {
  T *d_in, *d_partial, *d_total;
  CUDA_CHECK(cudaMalloc(&d_in, n * sizeof(T)));
  CUDA_CHECK(cudaMalloc(&d_partial, REDUCTION_GRID * sizeof(T)));
  CUDA_CHECK(cudaMalloc(&d_total, sizeof(T)));
  CUDA_CHECK(cudaMemcpy(d_in, x, n * sizeof(T), cudaMemcpyHostToDevice));
  reduce_sum<T, REDUCTION_BLOCK><<<REDUCTION_GRID, REDUCTION_BLOCK>>>(d_in, d_partial, n);
  CUDA_CHECK_LAUNCH();
  reduce_sum<T, REDUCTION_BLOCK><<<1, REDUCTION_BLOCK>>>(d_partial, d_total, REDUCTION_GRID);
  CUDA_CHECK_LAUNCH();
  CUDA_CHECK(cudaMemcpy(result, d_partial, REDUCTION_GRID * sizeof(T), cudaMemcpyDeviceToHost));
  CUDA_CHECK(cudaMemcpy(result + REDUCTION_GRID, d_total, sizeof(T), cudaMemcpyDeviceToHost));
  CUDA_CHECK(cudaFree(d_in));
  CUDA_CHECK(cudaFree(d_partial));
  CUDA_CHECK(cudaFree(d_total));
}

int main(void) {
  const int n = REDUCTION_N;
  float *xf = (float *)xmalloc(n * sizeof(float));
  double *xd = (double *)xmalloc(n * sizeof(double));
  float got_f[REDUCTION_GRID + 1];
  double got_d[REDUCTION_GRID + 1], want[REDUCTION_GRID + 1], scale[REDUCTION_GRID + 1];
  reduction_inputs_f32(xf, n);
  reduction_inputs_f64(xd, n);

  reduce_on_device<float>(xf, n, got_f);
  reduction_ref(xf, NULL, n, want, scale);
  size_t bad = kc_compare_f32_tol("float sums", got_f, want, scale, REDUCTION_GRID + 1,
                                  REDUCTION_TOL_F32);

  reduce_on_device<double>(xd, n, got_d);
  reduction_ref(NULL, xd, n, want, scale);
  bad += kc_compare_f64_tol("double sums", got_d, want, scale, REDUCTION_GRID + 1,
                            REDUCTION_TOL_F64);

  free(xf); free(xd);
  return kc_finish("reduction", bad);
}

// many_params.cu - one kernel with thirteen parameters of mixed sizes, a struct among them.
#include "cuda_check.h"
#include "many_params.h"

__global__ void many_params(char c, short s, int i, long long ll, float f, double d,
                            many_params_struct p, unsigned char uc, const int *in,
                            long long *out_ll, double *out_d, int n) {
  int t = blockIdx.x * blockDim.x + threadIdx.x;
  if (t >= n) return;
  out_ll[t] = c + (long long)s * t + i + ll + p.a + p.c + (long long)uc * t + in[t];
  out_d[t] = d * t + f + p.b + p.v[0] + (double)(p.v[1] * (float)t) + p.v[2];
}

int main(void) {
  const int n = MANY_PARAMS_N;
  int32_t *in = (int32_t *)xmalloc(n * sizeof(int32_t));
  int64_t *out_ll = (int64_t *)xmalloc(n * sizeof(int64_t)), *want_ll = (int64_t *)xmalloc(n * sizeof(int64_t));
  double *out_d = (double *)xmalloc(n * sizeof(double)), *want_d = (double *)xmalloc(n * sizeof(double));
  many_params_inputs(in, n);

  int *d_in;
  long long *d_out_ll;
  double *d_out_d;
  CUDA_CHECK(cudaMalloc(&d_in, n * sizeof(int)));
  CUDA_CHECK(cudaMalloc(&d_out_ll, n * sizeof(long long)));
  CUDA_CHECK(cudaMalloc(&d_out_d, n * sizeof(double)));
  CUDA_CHECK(cudaMemcpy(d_in, in, n * sizeof(int), cudaMemcpyHostToDevice));
  many_params<<<(n + MANY_PARAMS_BLOCK - 1) / MANY_PARAMS_BLOCK, MANY_PARAMS_BLOCK>>>(
      MANY_PARAMS_C, MANY_PARAMS_S, MANY_PARAMS_I, MANY_PARAMS_LL, MANY_PARAMS_F, MANY_PARAMS_D,
      many_params_struct_value(), MANY_PARAMS_UC, d_in, d_out_ll, d_out_d, n);
  CUDA_CHECK_LAUNCH();
  CUDA_CHECK(cudaMemcpy(out_ll, d_out_ll, n * sizeof(long long), cudaMemcpyDeviceToHost));
  CUDA_CHECK(cudaMemcpy(out_d, d_out_d, n * sizeof(double), cudaMemcpyDeviceToHost));

  many_params_ref(in, want_ll, want_d, n);
  size_t bad = kc_compare_i64("out_ll", out_ll, want_ll, n);
  bad += kc_compare_f64_tol("out_d", out_d, want_d, NULL, n, 0.0);

  CUDA_CHECK(cudaFree(d_in));
  CUDA_CHECK(cudaFree(d_out_ll));
  CUDA_CHECK(cudaFree(d_out_d));
  free(in); free(out_ll); free(want_ll); free(out_d); free(want_d);
  return kc_finish("many_params", bad);
}

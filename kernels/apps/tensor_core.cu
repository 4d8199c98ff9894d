// tensor_core.cu - warp matrix multiply-accumulate (nvcuda::wmma) as tensor-core GEMM programs
// write it (built for sm_90): a tiled half-precision GEMM with f32 accumulation staged through
// shared memory with alpha/beta applied to fragment elements, every shape (16x16x16, 32x8x16,
// 8x32x16) with row- and column-major operands, f16 accumulators, bf16 and tf32 inputs, s8/u8
// with s32 accumulators (wrapping and .satfinite), and f64 (8x8x4); checked against a CPU GEMM
// on the same rounded inputs.
#include "../cuda_check.h"

#include <cuda_bf16.h>
#include <cuda_fp16.h>
#include <math.h>
#include <mma.h>
#include <limits.h>
#include <string.h>

using namespace nvcuda;

// D = alpha * A * B + beta * C for M x N tiles of 16 x 16, A row-major M x K, B col-major K x N.
__global__ void gemm_f16(const half *a, const half *b, const float *c, float *d, int M, int N, int K,
                         float alpha, float beta) {
  __shared__ float stage[16 * 16];
  int tile_m = blockIdx.y * 16, tile_n = blockIdx.x * 16;
  wmma::fragment<wmma::matrix_a, 16, 16, 16, half, wmma::row_major> fa;
  wmma::fragment<wmma::matrix_b, 16, 16, 16, half, wmma::col_major> fb;
  wmma::fragment<wmma::accumulator, 16, 16, 16, float> acc, fc;
  wmma::fill_fragment(acc, 0.0f);
  for (int k = 0; k < K; k += 16) {
    wmma::load_matrix_sync(fa, a + tile_m * K + k, K);
    wmma::load_matrix_sync(fb, b + tile_n * K + k, K);
    wmma::mma_sync(acc, fa, fb, acc);
  }
  wmma::load_matrix_sync(fc, c + tile_m * N + tile_n, N, wmma::mem_row_major);
  for (int i = 0; i < acc.num_elements; i++) acc.x[i] = alpha * acc.x[i] + beta * fc.x[i];
  wmma::store_matrix_sync(stage, acc, 16, wmma::mem_row_major);   // through shared memory
  __syncwarp();
  for (int i = threadIdx.x; i < 256; i += 32) d[(tile_m + i / 16) * N + tile_n + i % 16] = stage[i];
}

// One tile of shape MxNxK with A col-major and B row-major, f16 accumulators, stored col-major.
template <int M, int N, int K>
__global__ void one_tile(const half *a, const half *b, const half *c, half *d) {
  wmma::fragment<wmma::matrix_a, M, N, K, half, wmma::col_major> fa;
  wmma::fragment<wmma::matrix_b, M, N, K, half, wmma::row_major> fb;
  wmma::fragment<wmma::accumulator, M, N, K, half> fc;
  wmma::load_matrix_sync(fa, a, M);
  wmma::load_matrix_sync(fb, b, N);
  wmma::load_matrix_sync(fc, c, M, wmma::mem_col_major);
  wmma::mma_sync(fc, fa, fb, fc);
  wmma::store_matrix_sync(d, fc, M, wmma::mem_col_major);
}

__global__ void tile_bf16(const __nv_bfloat16 *a, const __nv_bfloat16 *b, float *d) {
  wmma::fragment<wmma::matrix_a, 16, 16, 16, __nv_bfloat16, wmma::row_major> fa;
  wmma::fragment<wmma::matrix_b, 16, 16, 16, __nv_bfloat16, wmma::row_major> fb;
  wmma::fragment<wmma::accumulator, 16, 16, 16, float> acc;
  wmma::fill_fragment(acc, 1.0f);
  wmma::load_matrix_sync(fa, a, 16);
  wmma::load_matrix_sync(fb, b, 16);
  wmma::mma_sync(acc, fa, fb, acc);
  wmma::store_matrix_sync(d, acc, 16, wmma::mem_row_major);
}

// tf32 inputs (16x16x8): values with more mantissa bits than tf32 keeps, whose low bits the
// multiply ignores, so the reference truncates them too.
__global__ void tile_tf32(const float *a, const float *b, float *d) {
  wmma::fragment<wmma::matrix_a, 16, 16, 8, wmma::precision::tf32, wmma::row_major> fa;
  wmma::fragment<wmma::matrix_b, 16, 16, 8, wmma::precision::tf32, wmma::col_major> fb;
  wmma::fragment<wmma::accumulator, 16, 16, 8, float> acc;
  wmma::fill_fragment(acc, 0.0f);
  wmma::load_matrix_sync(fa, a, 8);
  wmma::load_matrix_sync(fb, b, 8);
  wmma::mma_sync(acc, fa, fb, acc);
  wmma::store_matrix_sync(d, acc, 16, wmma::mem_row_major);
}

// 8-bit integers (s32 accumulators, wrapping or .satfinite) and doubles (8x8x4).
template <typename T>
__global__ void tile_int8(const T *a, const T *b, const int *c, int *d, bool satf) {
  wmma::fragment<wmma::matrix_a, 16, 16, 16, T, wmma::row_major> fa;
  wmma::fragment<wmma::matrix_b, 16, 16, 16, T, wmma::col_major> fb;
  wmma::fragment<wmma::accumulator, 16, 16, 16, int> acc;
  wmma::load_matrix_sync(fa, a, 16);
  wmma::load_matrix_sync(fb, b, 16);
  wmma::load_matrix_sync(acc, c, 16, wmma::mem_row_major);
  wmma::mma_sync(acc, fa, fb, acc, satf);
  wmma::store_matrix_sync(d, acc, 16, wmma::mem_row_major);
}

__global__ void tile_f64(const double *a, const double *b, const double *c, double *d) {
  wmma::fragment<wmma::matrix_a, 8, 8, 4, double, wmma::row_major> fa;
  wmma::fragment<wmma::matrix_b, 8, 8, 4, double, wmma::row_major> fb;
  wmma::fragment<wmma::accumulator, 8, 8, 4, double> acc;
  wmma::load_matrix_sync(fa, a, 4);
  wmma::load_matrix_sync(fb, b, 8);
  wmma::load_matrix_sync(acc, c, 8, wmma::mem_col_major);
  wmma::mma_sync(acc, fa, fb, acc);
  wmma::store_matrix_sync(d, acc, 8, wmma::mem_col_major);
}

static float small_value(int i, int salt) { return (float)(((i * 37 + salt * 11) % 17) - 8) / 8.0f; }

static int check_gemm() {
  const int M = 32, N = 48, K = 64;
  const float alpha = 1.5f, beta = -0.5f;
  half *ha = (half *)xmalloc(M * K * sizeof(half)), *hb = (half *)xmalloc(K * N * sizeof(half));
  float *hc = (float *)xmalloc(M * N * sizeof(float)), *hd = (float *)xmalloc(M * N * sizeof(float));
  for (int i = 0; i < M * K; i++) ha[i] = __float2half(small_value(i, 1));
  for (int i = 0; i < K * N; i++) hb[i] = __float2half(small_value(i, 2));   // col-major: b[n * K + k]
  for (int i = 0; i < M * N; i++) hc[i] = small_value(i, 3);
  half *da, *db;
  float *dc, *dd;
  CUDA_CHECK(cudaMalloc(&da, M * K * sizeof(half)));
  CUDA_CHECK(cudaMalloc(&db, K * N * sizeof(half)));
  CUDA_CHECK(cudaMalloc(&dc, M * N * sizeof(float)));
  CUDA_CHECK(cudaMalloc(&dd, M * N * sizeof(float)));
  CUDA_CHECK(cudaMemcpy(da, ha, M * K * sizeof(half), cudaMemcpyHostToDevice));
  CUDA_CHECK(cudaMemcpy(db, hb, K * N * sizeof(half), cudaMemcpyHostToDevice));
  CUDA_CHECK(cudaMemcpy(dc, hc, M * N * sizeof(float), cudaMemcpyHostToDevice));
  gemm_f16<<<dim3(N / 16, M / 16), 32>>>(da, db, dc, dd, M, N, K, alpha, beta);
  CUDA_CHECK_LAUNCH();
  CUDA_CHECK(cudaMemcpy(hd, dd, M * N * sizeof(float), cudaMemcpyDeviceToHost));
  int bad = 0;
  for (int m = 0; m < M; m++)
    for (int n = 0; n < N; n++) {
      float ref = 0;
      for (int k = 0; k < K; k++) ref += __half2float(ha[m * K + k]) * __half2float(hb[n * K + k]);
      ref = alpha * ref + beta * hc[m * N + n];
      bad += fabsf(ref - hd[m * N + n]) > 1e-3f;
    }
  CUDA_CHECK(cudaFree(da));
  CUDA_CHECK(cudaFree(db));
  CUDA_CHECK(cudaFree(dc));
  CUDA_CHECK(cudaFree(dd));
  free(ha), free(hb), free(hc), free(hd);
  return bad;
}

template <int M, int N, int K>
static int check_tile() {
  half ha[M * K], hb[K * N], hc[M * N], hd[M * N];
  for (int i = 0; i < M * K; i++) ha[i] = __float2half(small_value(i, 4));   // col-major a[k * M + m]
  for (int i = 0; i < K * N; i++) hb[i] = __float2half(small_value(i, 5));   // row-major b[k * N + n]
  for (int i = 0; i < M * N; i++) hc[i] = __float2half(small_value(i, 6));   // col-major c[n * M + m]
  half *da, *db, *dc, *dd;
  CUDA_CHECK(cudaMalloc(&da, sizeof ha));
  CUDA_CHECK(cudaMalloc(&db, sizeof hb));
  CUDA_CHECK(cudaMalloc(&dc, sizeof hc));
  CUDA_CHECK(cudaMalloc(&dd, sizeof hd));
  CUDA_CHECK(cudaMemcpy(da, ha, sizeof ha, cudaMemcpyHostToDevice));
  CUDA_CHECK(cudaMemcpy(db, hb, sizeof hb, cudaMemcpyHostToDevice));
  CUDA_CHECK(cudaMemcpy(dc, hc, sizeof hc, cudaMemcpyHostToDevice));
  one_tile<M, N, K><<<1, 32>>>(da, db, dc, dd);
  CUDA_CHECK_LAUNCH();
  CUDA_CHECK(cudaMemcpy(hd, dd, sizeof hd, cudaMemcpyDeviceToHost));
  int bad = 0;
  for (int m = 0; m < M; m++)
    for (int n = 0; n < N; n++) {
      float ref = __half2float(hc[n * M + m]);
      for (int k = 0; k < K; k++) ref += __half2float(ha[k * M + m]) * __half2float(hb[k * N + n]);
      bad += fabsf(ref - __half2float(hd[n * M + m])) > 1e-2f;   // the result is rounded to f16
    }
  CUDA_CHECK(cudaFree(da));
  CUDA_CHECK(cudaFree(db));
  CUDA_CHECK(cudaFree(dc));
  CUDA_CHECK(cudaFree(dd));
  return bad;
}

static int check_bf16() {
  __nv_bfloat16 ha[256], hb[256];
  float hd[256];
  for (int i = 0; i < 256; i++) ha[i] = __float2bfloat16(small_value(i, 7));
  for (int i = 0; i < 256; i++) hb[i] = __float2bfloat16(small_value(i, 8));
  __nv_bfloat16 *da, *db;
  float *dd;
  CUDA_CHECK(cudaMalloc(&da, sizeof ha));
  CUDA_CHECK(cudaMalloc(&db, sizeof hb));
  CUDA_CHECK(cudaMalloc(&dd, sizeof hd));
  CUDA_CHECK(cudaMemcpy(da, ha, sizeof ha, cudaMemcpyHostToDevice));
  CUDA_CHECK(cudaMemcpy(db, hb, sizeof hb, cudaMemcpyHostToDevice));
  tile_bf16<<<1, 32>>>(da, db, dd);
  CUDA_CHECK_LAUNCH();
  CUDA_CHECK(cudaMemcpy(hd, dd, sizeof hd, cudaMemcpyDeviceToHost));
  int bad = 0;
  for (int m = 0; m < 16; m++)
    for (int n = 0; n < 16; n++) {
      float ref = 1.0f;
      for (int k = 0; k < 16; k++) ref += __bfloat162float(ha[m * 16 + k]) * __bfloat162float(hb[k * 16 + n]);
      bad += fabsf(ref - hd[m * 16 + n]) > 1e-3f;
    }
  CUDA_CHECK(cudaFree(da));
  CUDA_CHECK(cudaFree(db));
  CUDA_CHECK(cudaFree(dd));
  return bad;
}

static float tf32_truncate(float v) {
  unsigned u;
  memcpy(&u, &v, 4);
  u &= 0xFFFFE000u;
  memcpy(&v, &u, 4);
  return v;
}

static int check_tf32() {
  float ha[16 * 8], hb[8 * 16], hd[256];
  for (int i = 0; i < 128; i++) ha[i] = small_value(i, 9) * (1.0f + 1.0f / 4096);   // row-major a[m * 8 + k]
  for (int i = 0; i < 128; i++) hb[i] = small_value(i, 10);                        // col-major b[n * 8 + k]
  float *da, *db, *dd;
  CUDA_CHECK(cudaMalloc(&da, sizeof ha));
  CUDA_CHECK(cudaMalloc(&db, sizeof hb));
  CUDA_CHECK(cudaMalloc(&dd, sizeof hd));
  CUDA_CHECK(cudaMemcpy(da, ha, sizeof ha, cudaMemcpyHostToDevice));
  CUDA_CHECK(cudaMemcpy(db, hb, sizeof hb, cudaMemcpyHostToDevice));
  tile_tf32<<<1, 32>>>(da, db, dd);
  CUDA_CHECK_LAUNCH();
  CUDA_CHECK(cudaMemcpy(hd, dd, sizeof hd, cudaMemcpyDeviceToHost));
  int bad = 0;
  for (int m = 0; m < 16; m++)
    for (int n = 0; n < 16; n++) {
      float ref = 0;
      for (int k = 0; k < 8; k++) ref += tf32_truncate(ha[m * 8 + k]) * tf32_truncate(hb[n * 8 + k]);
      bad += fabsf(ref - hd[m * 16 + n]) > 1e-5f;
    }
  CUDA_CHECK(cudaFree(da));
  CUDA_CHECK(cudaFree(db));
  CUDA_CHECK(cudaFree(dd));
  return bad;
}

template <typename T>
static int check_int8(bool satf) {
  T ha[256], hb[256];
  int hc[256], hd[256];
  for (int i = 0; i < 256; i++) ha[i] = (T)(((i * 37) % 251) - (sizeof(T) == 1 && (T)-1 < 0 ? 125 : 0));
  for (int i = 0; i < 256; i++) hb[i] = (T)(((i * 53 + 7) % 241) - ((T)-1 < 0 ? 120 : 0));   // col-major b[n * 16 + k]
  for (int i = 0; i < 256; i++) hc[i] = i % 3 == 0 ? 2147480000 - i : i % 3 == 1 ? -2147480000 + i : i * 1000;
  T *da, *db;
  int *dc, *dd;
  CUDA_CHECK(cudaMalloc(&da, sizeof ha));
  CUDA_CHECK(cudaMalloc(&db, sizeof hb));
  CUDA_CHECK(cudaMalloc(&dc, sizeof hc));
  CUDA_CHECK(cudaMalloc(&dd, sizeof hd));
  CUDA_CHECK(cudaMemcpy(da, ha, sizeof ha, cudaMemcpyHostToDevice));
  CUDA_CHECK(cudaMemcpy(db, hb, sizeof hb, cudaMemcpyHostToDevice));
  CUDA_CHECK(cudaMemcpy(dc, hc, sizeof hc, cudaMemcpyHostToDevice));
  tile_int8<T><<<1, 32>>>(da, db, dc, dd, satf);
  CUDA_CHECK_LAUNCH();
  CUDA_CHECK(cudaMemcpy(hd, dd, sizeof hd, cudaMemcpyDeviceToHost));
  int bad = 0;
  for (int m = 0; m < 16; m++)
    for (int n = 0; n < 16; n++) {
      long long ref = hc[m * 16 + n];
      for (int k = 0; k < 16; k++) ref += (long long)ha[m * 16 + k] * hb[n * 16 + k];
      int want = satf ? (int)(ref > INT_MAX ? INT_MAX : ref < INT_MIN ? INT_MIN : ref) : (int)(unsigned)(unsigned long long)ref;
      bad += hd[m * 16 + n] != want;
    }
  CUDA_CHECK(cudaFree(da));
  CUDA_CHECK(cudaFree(db));
  CUDA_CHECK(cudaFree(dc));
  CUDA_CHECK(cudaFree(dd));
  return bad;
}

static int check_f64() {
  double ha[32], hb[32], hc[64], hd[64];
  for (int i = 0; i < 32; i++) ha[i] = 1.0 / (i + 3);          // row-major a[m * 4 + k]
  for (int i = 0; i < 32; i++) hb[i] = (i % 7) - 3.25;          // row-major b[k * 8 + n]
  for (int i = 0; i < 64; i++) hc[i] = i * 0.125;               // col-major c[n * 8 + m]
  double *da, *db, *dc, *dd;
  CUDA_CHECK(cudaMalloc(&da, sizeof ha));
  CUDA_CHECK(cudaMalloc(&db, sizeof hb));
  CUDA_CHECK(cudaMalloc(&dc, sizeof hc));
  CUDA_CHECK(cudaMalloc(&dd, sizeof hd));
  CUDA_CHECK(cudaMemcpy(da, ha, sizeof ha, cudaMemcpyHostToDevice));
  CUDA_CHECK(cudaMemcpy(db, hb, sizeof hb, cudaMemcpyHostToDevice));
  CUDA_CHECK(cudaMemcpy(dc, hc, sizeof hc, cudaMemcpyHostToDevice));
  tile_f64<<<1, 32>>>(da, db, dc, dd);
  CUDA_CHECK_LAUNCH();
  CUDA_CHECK(cudaMemcpy(hd, dd, sizeof hd, cudaMemcpyDeviceToHost));
  int bad = 0;
  for (int m = 0; m < 8; m++)
    for (int n = 0; n < 8; n++) {
      double ref = hc[n * 8 + m];
      for (int k = 0; k < 4; k++) ref += ha[m * 4 + k] * hb[k * 8 + n];
      bad += fabs(ref - hd[n * 8 + m]) > 1e-12;
    }
  CUDA_CHECK(cudaFree(da));
  CUDA_CHECK(cudaFree(db));
  CUDA_CHECK(cudaFree(dc));
  CUDA_CHECK(cudaFree(dd));
  return bad;
}

int main() {
  EXPECT(check_gemm() == 0);
  EXPECT((check_tile<16, 16, 16>() == 0));
  EXPECT((check_tile<32, 8, 16>() == 0));
  EXPECT((check_tile<8, 32, 16>() == 0));
  EXPECT(check_bf16() == 0);
  EXPECT(check_tf32() == 0);
  EXPECT(check_int8<signed char>(false) == 0);
  EXPECT(check_int8<signed char>(true) == 0);
  EXPECT(check_int8<unsigned char>(false) == 0);
  EXPECT(check_f64() == 0);
  printf("%s tensor_core\n", expect_failures ? "FAIL" : "PASS");
  return expect_failures ? 1 : 0;
}

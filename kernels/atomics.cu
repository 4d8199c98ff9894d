// atomics.cu - every CUDA atomic function on global and on shared memory, 32 and 64 bit:
// add (int, u64, float, double), sub, min/max (signed, unsigned, 32/64), and/or/xor,
// inc/dec (wrapping at a limit) and exch, each slot hammered by every thread.
#include "cuda_check.h"
#include "atomics.h"

// Applies every operation to one set of slots (global or shared); returns exch's old value.
__device__ unsigned apply_all(unsigned *s32, unsigned long long *s64, int v, unsigned u,
                              unsigned long long w, unsigned exch_value) {
  atomicAdd((int *)&s32[A32_ADD], v);
  atomicSub((int *)&s32[A32_SUB], v);
  atomicMin((int *)&s32[A32_MIN_S], v);
  atomicMax((int *)&s32[A32_MAX_S], v);
  atomicMin(&s32[A32_MIN_U], u);
  atomicMax(&s32[A32_MAX_U], u);
  atomicAnd(&s32[A32_AND], u);
  atomicOr(&s32[A32_OR], u);
  atomicXor(&s32[A32_XOR], u);
  atomicInc(&s32[A32_INC], ATOMICS_INC_LIMIT);
  atomicDec(&s32[A32_DEC], ATOMICS_INC_LIMIT);
  atomicAdd((float *)&s32[A32_ADD_F], (float)v);
  atomicAdd(&s64[A64_ADD], w);
  atomicMin((long long *)&s64[A64_MIN_S], (long long)w);
  atomicMax((long long *)&s64[A64_MAX_S], (long long)w);
  atomicMin(&s64[A64_MIN_U], w);
  atomicMax(&s64[A64_MAX_U], w);
  atomicAnd(&s64[A64_AND], w);
  atomicOr(&s64[A64_OR], w);
  atomicXor(&s64[A64_XOR], w);
  atomicAdd((double *)&s64[A64_ADD_D], v * 0.5);
  return atomicExch(&s32[A32_EXCH], exch_value);
}

__global__ void atomics(const int *v, const unsigned *u, const unsigned long long *w,
                        const unsigned *init32, const unsigned long long *init64, unsigned *g32,
                        unsigned long long *g64, unsigned *b32, unsigned long long *b64,
                        unsigned *g_olds, unsigned *s_olds) {
  __shared__ unsigned s32[A32_COUNT];
  __shared__ unsigned long long s64[A64_COUNT];
  int i = blockIdx.x * blockDim.x + threadIdx.x;   // the grid covers the inputs exactly
  if (threadIdx.x < A32_COUNT) s32[threadIdx.x] = init32[threadIdx.x];
  if (threadIdx.x < A64_COUNT) s64[threadIdx.x] = init64[threadIdx.x];
  __syncthreads();
  g_olds[i] = apply_all(g32, g64, v[i], u[i], w[i], (unsigned)i + 1);
  s_olds[i] = apply_all(s32, s64, v[i], u[i], w[i], threadIdx.x + 1);
  __syncthreads();
  if (threadIdx.x < A32_COUNT) b32[blockIdx.x * A32_COUNT + threadIdx.x] = s32[threadIdx.x];
  if (threadIdx.x < A64_COUNT) b64[blockIdx.x * A64_COUNT + threadIdx.x] = s64[threadIdx.x];
}

int main(void) {
  const int n = ATOMICS_N;
  int32_t *v = (int32_t *)xmalloc(n * sizeof(int32_t));
  uint32_t *u = (uint32_t *)xmalloc(n * sizeof(uint32_t));
  uint64_t *w = (uint64_t *)xmalloc(n * sizeof(uint64_t));
  uint32_t init32[A32_COUNT], g32[A32_COUNT];
  uint64_t init64[A64_COUNT], g64[A64_COUNT];
  const size_t b32_bytes = ATOMICS_BLOCKS * A32_COUNT * sizeof(uint32_t);
  const size_t b64_bytes = ATOMICS_BLOCKS * A64_COUNT * sizeof(uint64_t);
  uint32_t *b32 = (uint32_t *)xmalloc(b32_bytes), *g_olds = (uint32_t *)xmalloc(n * sizeof(uint32_t));
  uint32_t *s_olds = (uint32_t *)xmalloc(n * sizeof(uint32_t));
  uint64_t *b64 = (uint64_t *)xmalloc(b64_bytes);
  atomics_inputs(v, u, w, n);
  atomics_initial(init32, init64);

  int *d_v;
  unsigned *d_u, *d_init32, *d_g32, *d_b32, *d_g_olds, *d_s_olds;
  unsigned long long *d_w, *d_init64, *d_g64, *d_b64;
  CUDA_CHECK(cudaMalloc(&d_v, n * sizeof(int)));
  CUDA_CHECK(cudaMalloc(&d_u, n * sizeof(unsigned)));
  CUDA_CHECK(cudaMalloc(&d_w, n * sizeof(unsigned long long)));
  CUDA_CHECK(cudaMalloc(&d_init32, sizeof init32));
  CUDA_CHECK(cudaMalloc(&d_init64, sizeof init64));
  CUDA_CHECK(cudaMalloc(&d_g32, sizeof g32));
  CUDA_CHECK(cudaMalloc(&d_g64, sizeof g64));
  CUDA_CHECK(cudaMalloc(&d_b32, b32_bytes));
  CUDA_CHECK(cudaMalloc(&d_b64, b64_bytes));
  CUDA_CHECK(cudaMalloc(&d_g_olds, n * sizeof(unsigned)));
  CUDA_CHECK(cudaMalloc(&d_s_olds, n * sizeof(unsigned)));
  CUDA_CHECK(cudaMemcpy(d_v, v, n * sizeof(int), cudaMemcpyHostToDevice));
  CUDA_CHECK(cudaMemcpy(d_u, u, n * sizeof(unsigned), cudaMemcpyHostToDevice));
  CUDA_CHECK(cudaMemcpy(d_w, w, n * sizeof(unsigned long long), cudaMemcpyHostToDevice));
  CUDA_CHECK(cudaMemcpy(d_init32, init32, sizeof init32, cudaMemcpyHostToDevice));
  CUDA_CHECK(cudaMemcpy(d_init64, init64, sizeof init64, cudaMemcpyHostToDevice));
  CUDA_CHECK(cudaMemcpy(d_g32, init32, sizeof init32, cudaMemcpyHostToDevice));
  CUDA_CHECK(cudaMemcpy(d_g64, init64, sizeof init64, cudaMemcpyHostToDevice));
  atomics<<<ATOMICS_BLOCKS, ATOMICS_BLOCK>>>(d_v, d_u, d_w, d_init32, d_init64, d_g32, d_g64, d_b32,
                                             d_b64, d_g_olds, d_s_olds);
  CUDA_CHECK_LAUNCH();
  CUDA_CHECK(cudaMemcpy(g32, d_g32, sizeof g32, cudaMemcpyDeviceToHost));
  CUDA_CHECK(cudaMemcpy(g64, d_g64, sizeof g64, cudaMemcpyDeviceToHost));
  CUDA_CHECK(cudaMemcpy(b32, d_b32, b32_bytes, cudaMemcpyDeviceToHost));
  CUDA_CHECK(cudaMemcpy(b64, d_b64, b64_bytes, cudaMemcpyDeviceToHost));
  CUDA_CHECK(cudaMemcpy(g_olds, d_g_olds, n * sizeof(unsigned), cudaMemcpyDeviceToHost));
  CUDA_CHECK(cudaMemcpy(s_olds, d_s_olds, n * sizeof(unsigned), cudaMemcpyDeviceToHost));

  size_t bad = atomics_compare(v, u, w, g32, g64, b32, b64, g_olds, s_olds);

  CUDA_CHECK(cudaFree(d_v));
  CUDA_CHECK(cudaFree(d_u));
  CUDA_CHECK(cudaFree(d_w));
  CUDA_CHECK(cudaFree(d_init32));
  CUDA_CHECK(cudaFree(d_init64));
  CUDA_CHECK(cudaFree(d_g32));
  CUDA_CHECK(cudaFree(d_g64));
  CUDA_CHECK(cudaFree(d_b32));
  CUDA_CHECK(cudaFree(d_b64));
  CUDA_CHECK(cudaFree(d_g_olds));
  CUDA_CHECK(cudaFree(d_s_olds));
  free(v); free(u); free(w); free(b32); free(b64); free(g_olds); free(s_olds);
  return kc_finish("atomics", bad);
}

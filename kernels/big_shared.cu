// big_shared.cu - more dynamic shared memory than the default limit: the launch fails until
// the program raises the kernel's limit with cudaFuncSetAttribute, as on a real GPU.
#include "cuda_check.h"
#include "big_shared.h"

__global__ void reverse_blocks(const float *in, float *out, int per_block) {
  extern __shared__ float slice[];
  const float *src = in + (size_t)blockIdx.x * per_block;
  float *dst = out + (size_t)blockIdx.x * per_block;
  for (int k = threadIdx.x; k < per_block; k += blockDim.x) slice[k] = src[k];
  __syncthreads();
  for (int k = threadIdx.x; k < per_block; k += blockDim.x) dst[k] = slice[per_block - 1 - k] * 2.0f;
}

int main(void) {
  const int n = BIG_SHARED_N;
  const size_t bytes = n * sizeof(float);
  float *x = (float *)xmalloc(bytes), *y = (float *)xmalloc(bytes), *want = (float *)xmalloc(bytes);
  big_shared_inputs(x, n);
  size_t bad = 0;

  float *d_x, *d_y;
  CUDA_CHECK(cudaMalloc(&d_x, bytes));
  CUDA_CHECK(cudaMalloc(&d_y, bytes));
  CUDA_CHECK(cudaMemcpy(d_x, x, bytes, cudaMemcpyHostToDevice));

  // Above the default 48 KiB without opting in: the launch itself is refused (not sticky).
  reverse_blocks<<<BIG_SHARED_BLOCKS, BIG_SHARED_THREADS, BIG_SHARED_BYTES>>>(d_x, d_y, BIG_SHARED_ELEMS);
  cudaError_t refused = cudaGetLastError();
  if (refused != cudaErrorInvalidValue) {
    printf("  launch with %d bytes of dynamic shared memory before opting in: %s, want %s\n",
           BIG_SHARED_BYTES, cudaGetErrorName(refused), cudaGetErrorName(cudaErrorInvalidValue));
    bad++;
  }

  CUDA_CHECK(cudaFuncSetAttribute(reverse_blocks, cudaFuncAttributeMaxDynamicSharedMemorySize,
                                  BIG_SHARED_BYTES));
  cudaFuncAttributes attr;
  CUDA_CHECK(cudaFuncGetAttributes(&attr, reverse_blocks));
  if (attr.maxDynamicSharedSizeBytes != BIG_SHARED_BYTES) {
    printf("  maxDynamicSharedSizeBytes is %d after setting %d\n", attr.maxDynamicSharedSizeBytes,
           BIG_SHARED_BYTES);
    bad++;
  }
  reverse_blocks<<<BIG_SHARED_BLOCKS, BIG_SHARED_THREADS, BIG_SHARED_BYTES>>>(d_x, d_y, BIG_SHARED_ELEMS);
  CUDA_CHECK_LAUNCH();
  CUDA_CHECK(cudaMemcpy(y, d_y, bytes, cudaMemcpyDeviceToHost));

  big_shared_ref(x, want, n);
  bad += kc_compare_f32_exact("y", y, want, n);

  CUDA_CHECK(cudaFree(d_x));
  CUDA_CHECK(cudaFree(d_y));
  free(x); free(y); free(want);
  return kc_finish("big_shared", bad);
}

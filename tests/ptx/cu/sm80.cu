// sm80.cu - kernels for the PTX engine tests that need sm_80 instructions: cp.async
// (through the pipeline primitives) and redux.sync (__reduce_*_sync).
#include <cuda_pipeline.h>

extern "C" __global__ void async_copy(const float4 *in, float4 *out) {
  __shared__ float4 s[128];
  int t = threadIdx.x;
  __pipeline_memcpy_async(&s[t], &in[blockIdx.x * blockDim.x + t], sizeof(float4));
  __pipeline_commit();
  __pipeline_wait_prior(0);
  __syncthreads();
  float4 v = s[(t + 1) % blockDim.x];
  v.x += 1.0f;
  out[blockIdx.x * blockDim.x + t] = v;
}

extern "C" __global__ void warp_reduce(const unsigned *in, unsigned *out) {
  int t = threadIdx.x;
  unsigned v = in[t];
  out[t * 4 + 0] = __reduce_add_sync(0xffffffff, v);
  out[t * 4 + 1] = __reduce_min_sync(0xffffffff, v);
  out[t * 4 + 2] = (unsigned)__reduce_max_sync(0xffffffff, (int)v);
  out[t * 4 + 3] = __reduce_xor_sync(0xffffffff, v);
}

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

// Vector accesses are single-copy atomic as a whole (CUB's decoupled look-back stores a tile's
// {status, value} pair with one st.relaxed.gpu.v2.u32 and polls it with one ld.relaxed): block 0
// stores {i, i} pairs (and {i, i, i, i}, {i, i}) while block 1 reads them and counts torn ones.
extern "C" __global__ void vector_tear(unsigned *p2, unsigned *p4, unsigned long long *p2l, unsigned rounds,
                                       unsigned *torn) {
  if (threadIdx.x != 0) return;
  if (blockIdx.x == 0) {
    for (unsigned i = 1; i <= rounds; i++) {
      asm volatile("st.relaxed.gpu.global.v2.u32 [%0], {%1, %1};" ::"l"(p2), "r"(i) : "memory");
      asm volatile("st.relaxed.gpu.global.v4.u32 [%0], {%1, %1, %1, %1};" ::"l"(p4), "r"(i) : "memory");
      asm volatile("st.relaxed.gpu.global.v2.u64 [%0], {%1, %1};" ::"l"(p2l), "l"((unsigned long long)i) : "memory");
    }
    return;
  }
  unsigned bad = 0, a, b, c, d;
  unsigned long long x, y;
  do {
    asm volatile("ld.relaxed.gpu.global.v2.u32 {%0, %1}, [%2];" : "=r"(a), "=r"(b) : "l"(p2) : "memory");
    bad += a != b;
    asm volatile("ld.relaxed.gpu.global.v4.u32 {%0, %1, %2, %3}, [%4];" : "=r"(a), "=r"(b), "=r"(c), "=r"(d) : "l"(p4) : "memory");
    bad += a != b || a != c || a != d;
    asm volatile("ld.relaxed.gpu.global.v2.u64 {%0, %1}, [%2];" : "=l"(x), "=l"(y) : "l"(p2l) : "memory");
    bad += x != y;
  } while (x != rounds);
  *torn = bad;
}

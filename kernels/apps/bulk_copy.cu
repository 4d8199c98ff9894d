// bulk_copy.cu - bulk asynchronous copies (sm_90 cp.async.bulk, non-tensor) as libcu++ and
// hand-written code issue them: cuda::memcpy_async of 16-byte-aligned chunks into shared memory
// completing on a block cuda::barrier (over many phases, tiles streamed through one buffer),
// and explicit PTX copying a shared tile back to global memory through a bulk group. Every
// value is checked against the CPU.
#include "../cuda_check.h"

#include <cuda/barrier>

#include <vector>

constexpr int kTile = 1024;      // floats per tile (4 KB)
constexpr int kThreads = 128;
constexpr int kTilesPerBlock = 24;

// Each block streams its tiles through one shared buffer: threads 0..15 each copy 256 bytes of
// the tile with memcpy_async on the barrier, everyone waits, then out = 2 * in + tile index.
#pragma nv_diag_suppress static_var_with_dynamic_init   // a __shared__ cuda::barrier, as in NVIDIA's samples
__global__ void stream_tiles(const float *in, float *out) {
  __shared__ alignas(16) float buf[kTile];
  __shared__ cuda::barrier<cuda::thread_scope_block> bar;
  if (threadIdx.x == 0) init(&bar, blockDim.x);
  __syncthreads();
  for (int t = 0; t < kTilesPerBlock; t++) {
    size_t tile = (size_t)blockIdx.x * kTilesPerBlock + t;
    const float *src = in + tile * kTile;
    if (threadIdx.x < 16) {
      const int chunk = kTile / 16;   // 64 floats = 256 bytes
      cuda::memcpy_async(buf + threadIdx.x * chunk, src + threadIdx.x * chunk,
                         cuda::aligned_size_t<16>(chunk * sizeof(float)), bar);
    }
    bar.arrive_and_wait();
    for (int i = threadIdx.x; i < kTile; i += blockDim.x) out[tile * kTile + i] = 2.0f * buf[i] + (float)t;
    bar.arrive_and_wait();   // the buffer is reused by the next tile
  }
}

// Fills a shared tile, then one thread sends it to global memory with a bulk copy.
__global__ void bulk_store(float *out) {
  __shared__ alignas(16) float tile[kTile];
  for (int i = threadIdx.x; i < kTile; i += blockDim.x) tile[i] = (float)(blockIdx.x * 10000 + i);
  asm volatile("fence.proxy.async.shared::cta;" ::: "memory");
  __syncthreads();
  if (threadIdx.x == 0) {
    unsigned s = (unsigned)__cvta_generic_to_shared(tile);
    float *g = out + (size_t)blockIdx.x * kTile;
    asm volatile("cp.async.bulk.global.shared::cta.bulk_group [%0], [%1], %2;" ::"l"(g), "r"(s),
                 "r"((unsigned)(kTile * sizeof(float)))
                 : "memory");
    asm volatile("cp.async.bulk.commit_group;" ::: "memory");
    asm volatile("cp.async.bulk.wait_group.read 0;" ::: "memory");
  }
}

int main() {
  const int blocks = 6;
  const size_t n = (size_t)blocks * kTilesPerBlock * kTile;
  std::vector<float> h(n), back(n);
  for (size_t i = 0; i < n; i++) h[i] = (float)((i * 7919) % 1000) * 0.25f;
  float *din, *dout;
  CUDA_CHECK(cudaMalloc(&din, n * sizeof(float)));
  CUDA_CHECK(cudaMalloc(&dout, n * sizeof(float)));
  CUDA_CHECK(cudaMemcpy(din, h.data(), n * sizeof(float), cudaMemcpyHostToDevice));
  stream_tiles<<<blocks, kThreads>>>(din, dout);
  CUDA_CHECK_LAUNCH();
  CUDA_CHECK(cudaMemcpy(back.data(), dout, n * sizeof(float), cudaMemcpyDeviceToHost));
  size_t bad = 0;
  for (size_t i = 0; i < n; i++) {
    size_t tile = i / kTile;
    bad += back[i] != 2.0f * h[i] + (float)(tile % kTilesPerBlock);
  }
  EXPECT(bad == 0);

  CUDA_CHECK(cudaMemset(dout, 0, n * sizeof(float)));
  bulk_store<<<blocks, kThreads>>>(dout);
  CUDA_CHECK_LAUNCH();
  CUDA_CHECK(cudaMemcpy(back.data(), dout, (size_t)blocks * kTile * sizeof(float), cudaMemcpyDeviceToHost));
  bad = 0;
  for (int b = 0; b < blocks; b++)
    for (int i = 0; i < kTile; i++) bad += back[(size_t)b * kTile + i] != (float)(b * 10000 + i);
  EXPECT(bad == 0);

  CUDA_CHECK(cudaFree(din));
  CUDA_CHECK(cudaFree(dout));
  printf("%s bulk_copy\n", expect_failures ? "FAIL" : "PASS");
  return expect_failures ? 1 : 0;
}

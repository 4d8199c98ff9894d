// mem_pools.cu - stream-ordered allocation with memory pools: the device says it supports
// pools, the default pool is current, its attributes read back as set, cudaMallocAsync /
// cudaMallocFromPoolAsync memory works in kernels on a non-blocking stream and is counted in the
// pool's used figures until cudaFreeAsync, and the documented errors come back.
#include "../cuda_check.h"

#include <stdint.h>

__global__ void saxpy(const float *x, float *y, float a, int n) {
  int i = blockIdx.x * blockDim.x + threadIdx.x;
  if (i < n) y[i] = a * x[i] + y[i];
}

static uint64_t pool_u64(cudaMemPool_t pool, cudaMemPoolAttr attr) {
  uint64_t v = ~0ull;
  CUDA_CHECK(cudaMemPoolGetAttribute(pool, attr, &v));
  return v;
}

// One round of allocate / copy in / kernel / copy out / free, all on stream s; checks against
// the CPU and returns the pool's used bytes seen while the blocks were live.
static uint64_t saxpy_round(cudaStream_t s, cudaMemPool_t from, cudaMemPool_t counted, int n) {
  size_t bytes = n * sizeof(float);
  float *hx = (float *)xmalloc(bytes), *hy = (float *)xmalloc(bytes);
  for (int i = 0; i < n; i++) { hx[i] = (float)(i % 97); hy[i] = (float)(i % 13) - 6.0f; }
  float *dx = nullptr, *dy = nullptr;
  if (from) {
    CUDA_CHECK(cudaMallocFromPoolAsync((void **)&dx, bytes, from, s));
    CUDA_CHECK(cudaMallocFromPoolAsync((void **)&dy, bytes, from, s));
  } else {
    CUDA_CHECK(cudaMallocAsync((void **)&dx, bytes, s));
    CUDA_CHECK(cudaMallocAsync((void **)&dy, bytes, s));
  }
  uint64_t used = pool_u64(counted, cudaMemPoolAttrUsedMemCurrent);
  CUDA_CHECK(cudaMemcpyAsync(dx, hx, bytes, cudaMemcpyHostToDevice, s));
  CUDA_CHECK(cudaMemcpyAsync(dy, hy, bytes, cudaMemcpyHostToDevice, s));
  saxpy<<<(n + 127) / 128, 128, 0, s>>>(dx, dy, 2.5f, n);
  CUDA_CHECK_LAUNCH();
  CUDA_CHECK(cudaFreeAsync(dx, s));
  float *out = (float *)xmalloc(bytes);
  CUDA_CHECK(cudaMemcpyAsync(out, dy, bytes, cudaMemcpyDeviceToHost, s));
  CUDA_CHECK(cudaFreeAsync(dy, s));
  CUDA_CHECK(cudaStreamSynchronize(s));
  int bad = 0;
  for (int i = 0; i < n; i++) bad += out[i] != 2.5f * hx[i] + hy[i];
  EXPECT(bad == 0);
  free(hx), free(hy), free(out);
  return used;
}

int main() {
  int supported = 0;
  CUDA_CHECK(cudaDeviceGetAttribute(&supported, cudaDevAttrMemoryPoolsSupported, 0));
  EXPECT(supported == 1);
  cudaDeviceProp prop;
  CUDA_CHECK(cudaGetDeviceProperties(&prop, 0));
  EXPECT(prop.memoryPoolsSupported == 1);

  cudaMemPool_t def = nullptr, cur = nullptr;
  CUDA_CHECK(cudaDeviceGetDefaultMemPool(&def, 0));
  CUDA_CHECK(cudaDeviceGetMemPool(&cur, 0));
  EXPECT(def != nullptr && def == cur);

  // Attributes: defaults, set/get, read-only figures, watermark reset.
  EXPECT(pool_u64(def, cudaMemPoolAttrReleaseThreshold) == 0);
  uint64_t threshold = UINT64_MAX;
  CUDA_CHECK(cudaMemPoolSetAttribute(def, cudaMemPoolAttrReleaseThreshold, &threshold));
  EXPECT(pool_u64(def, cudaMemPoolAttrReleaseThreshold) == UINT64_MAX);
  int reuse = -1;
  CUDA_CHECK(cudaMemPoolGetAttribute(def, cudaMemPoolReuseAllowOpportunistic, &reuse));
  EXPECT(reuse == 1);
  reuse = 0;
  CUDA_CHECK(cudaMemPoolSetAttribute(def, cudaMemPoolReuseAllowOpportunistic, &reuse));
  reuse = -1;
  CUDA_CHECK(cudaMemPoolGetAttribute(def, cudaMemPoolReuseAllowOpportunistic, &reuse));
  EXPECT(reuse == 0);
  uint64_t v = 5;
  EXPECT(cudaMemPoolSetAttribute(def, cudaMemPoolAttrUsedMemCurrent, &v) == cudaErrorInvalidValue);
  EXPECT(cudaMemPoolSetAttribute(def, cudaMemPoolAttrUsedMemHigh, &v) == cudaErrorInvalidValue);
  EXPECT(cudaGetLastError() == cudaErrorInvalidValue);

  cudaStream_t s;
  CUDA_CHECK(cudaStreamCreateWithFlags(&s, cudaStreamNonBlocking));
  const int n = 10000;
  uint64_t before = pool_u64(def, cudaMemPoolAttrUsedMemCurrent);
  for (int round = 0; round < 3; round++) {
    uint64_t live = saxpy_round(s, nullptr, def, n);
    EXPECT(live >= before + 2 * n * sizeof(float));
    EXPECT(pool_u64(def, cudaMemPoolAttrUsedMemCurrent) == before);
  }
  EXPECT(pool_u64(def, cudaMemPoolAttrUsedMemHigh) >= before + 2 * n * sizeof(float));
  v = 0;
  CUDA_CHECK(cudaMemPoolSetAttribute(def, cudaMemPoolAttrUsedMemHigh, &v));
  EXPECT(pool_u64(def, cudaMemPoolAttrUsedMemHigh) == before);
  CUDA_CHECK(cudaMemPoolTrimTo(def, 0));

  // An explicit pool: allocate from it, make it current, destroy it.
  cudaMemPoolProps props = {};
  props.allocType = cudaMemAllocationTypePinned;
  props.location.type = cudaMemLocationTypeDevice;
  props.location.id = 0;
  cudaMemPool_t mine = nullptr;
  CUDA_CHECK(cudaMemPoolCreate(&mine, &props));
  EXPECT(mine != nullptr && mine != def);
  EXPECT(saxpy_round(s, mine, mine, n) >= 2 * n * sizeof(float));
  EXPECT(pool_u64(mine, cudaMemPoolAttrUsedMemCurrent) == 0);
  cudaMemLocation loc = {};
  loc.type = cudaMemLocationTypeDevice;
  cudaMemAccessFlags flags = cudaMemAccessFlagsProtNone;
  CUDA_CHECK(cudaMemPoolGetAccess(&flags, mine, &loc));
  EXPECT(flags == cudaMemAccessFlagsProtReadWrite);
  CUDA_CHECK(cudaDeviceSetMemPool(0, mine));
  CUDA_CHECK(cudaDeviceGetMemPool(&cur, 0));
  EXPECT(cur == mine);
  EXPECT(saxpy_round(s, nullptr, mine, n) >= 2 * n * sizeof(float));
  CUDA_CHECK(cudaMemPoolDestroy(mine));
  CUDA_CHECK(cudaDeviceGetMemPool(&cur, 0));
  EXPECT(cur == def);

  // Documented errors.
  EXPECT(cudaDeviceGetDefaultMemPool(nullptr, 0) == cudaErrorInvalidValue);
  EXPECT(cudaDeviceGetDefaultMemPool(&cur, 99) == cudaErrorInvalidDevice);
  EXPECT(cudaMemPoolDestroy(def) == cudaErrorInvalidValue);
  EXPECT(cudaMallocFromPoolAsync((void **)&cur, 16, nullptr, s) == cudaErrorInvalidValue);
  props.allocType = cudaMemAllocationTypeInvalid;
  EXPECT(cudaMemPoolCreate(&mine, &props) == cudaErrorInvalidValue);
  cudaGetLastError();

  CUDA_CHECK(cudaStreamDestroy(s));
  printf("%s mem_pools\n", expect_failures ? "FAIL" : "PASS");
  return expect_failures ? 1 : 0;
}

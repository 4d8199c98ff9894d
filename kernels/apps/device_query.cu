// device_query.cu - what deviceQuery-style programs ask: counts, versions, every property,
// and that cudaGetDeviceProperties agrees with cudaDeviceGetAttribute field by field.
#include "../cuda_check.h"

static int failures;

static void expect_same(const char *what, long long prop, int attr_value) {
  if (prop != (long long)attr_value) {
    printf("  mismatch %s: prop %lld, attribute %d\n", what, prop, attr_value);
    failures++;
  }
}

static int attr(cudaDeviceAttr a, int dev) {
  int v = -1;
  CUDA_CHECK(cudaDeviceGetAttribute(&v, a, dev));
  return v;
}

int main() {
  int count = 0, driver = 0, runtime = 0;
  CUDA_CHECK(cudaGetDeviceCount(&count));
  CUDA_CHECK(cudaDriverGetVersion(&driver));
  CUDA_CHECK(cudaRuntimeGetVersion(&runtime));
  printf("devices %d, driver %d, runtime %d\n", count, driver, runtime);
  if (count < 1 || driver < 13000 || runtime != CUDART_VERSION) failures++;
  for (int dev = 0; dev < count; dev++) {
    cudaDeviceProp p;
    CUDA_CHECK(cudaGetDeviceProperties(&p, dev));
    printf("device %d: %s, cc %d.%d, %d SMs, %zu MiB, warp %d, %d threads/block\n", dev, p.name,
           p.major, p.minor, p.multiProcessorCount, p.totalGlobalMem >> 20, p.warpSize,
           p.maxThreadsPerBlock);
    expect_same("major", p.major, attr(cudaDevAttrComputeCapabilityMajor, dev));
    expect_same("minor", p.minor, attr(cudaDevAttrComputeCapabilityMinor, dev));
    expect_same("multiProcessorCount", p.multiProcessorCount, attr(cudaDevAttrMultiProcessorCount, dev));
    expect_same("warpSize", p.warpSize, attr(cudaDevAttrWarpSize, dev));
    expect_same("maxThreadsPerBlock", p.maxThreadsPerBlock, attr(cudaDevAttrMaxThreadsPerBlock, dev));
    expect_same("maxThreadsDim[0]", p.maxThreadsDim[0], attr(cudaDevAttrMaxBlockDimX, dev));
    expect_same("maxGridSize[1]", p.maxGridSize[1], attr(cudaDevAttrMaxGridDimY, dev));
    expect_same("sharedMemPerBlock", (long long)p.sharedMemPerBlock, attr(cudaDevAttrMaxSharedMemoryPerBlock, dev));
    expect_same("sharedMemPerBlockOptin", (long long)p.sharedMemPerBlockOptin, attr(cudaDevAttrMaxSharedMemoryPerBlockOptin, dev));
    expect_same("regsPerBlock", p.regsPerBlock, attr(cudaDevAttrMaxRegistersPerBlock, dev));
    expect_same("l2CacheSize", p.l2CacheSize, attr(cudaDevAttrL2CacheSize, dev));
    expect_same("unifiedAddressing", p.unifiedAddressing, attr(cudaDevAttrUnifiedAddressing, dev));
    expect_same("concurrentKernels", p.concurrentKernels, attr(cudaDevAttrConcurrentKernels, dev));
    expect_same("maxThreadsPerMultiProcessor", p.maxThreadsPerMultiProcessor, attr(cudaDevAttrMaxThreadsPerMultiProcessor, dev));
    if (p.warpSize != 32 || p.maxThreadsPerBlock < 1024 || p.totalGlobalMem == 0 || p.name[0] == 0 ||
        p.major < 7)
      failures++;
    size_t free_b = 0, total_b = 0;
    CUDA_CHECK(cudaSetDevice(dev));
    CUDA_CHECK(cudaMemGetInfo(&free_b, &total_b));
    if (total_b != p.totalGlobalMem || free_b > total_b) failures++;
  }
  int bad = 0;
  if (cudaSetDevice(count) != cudaErrorInvalidDevice) failures++;
  if (cudaGetLastError() != cudaErrorInvalidDevice) failures++;
  if (cudaGetLastError() != cudaSuccess) failures++;
  if (cudaGetDeviceProperties(nullptr, 0) != cudaErrorInvalidValue) failures++;
  (void)cudaGetLastError();
  CUDA_CHECK(cudaGetDevice(&bad));
  printf("%s device_query\n", failures ? "FAIL" : "PASS");
  return failures ? 1 : 0;
}

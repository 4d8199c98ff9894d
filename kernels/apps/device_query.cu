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
    // the array limits deviceQuery prints (layered, cubemap, surface, alternate 3D, gather)
    expect_same("maxTexture1DLayered[0]", p.maxTexture1DLayered[0], attr(cudaDevAttrMaxTexture1DLayeredWidth, dev));
    expect_same("maxTexture1DLayered[1]", p.maxTexture1DLayered[1], attr(cudaDevAttrMaxTexture1DLayeredLayers, dev));
    expect_same("maxTexture2DLayered[1]", p.maxTexture2DLayered[1], attr(cudaDevAttrMaxTexture2DLayeredHeight, dev));
    expect_same("maxTexture2DLayered[2]", p.maxTexture2DLayered[2], attr(cudaDevAttrMaxTexture2DLayeredLayers, dev));
    expect_same("maxTextureCubemapLayered[1]", p.maxTextureCubemapLayered[1], attr(cudaDevAttrMaxTextureCubemapLayeredLayers, dev));
    expect_same("maxTexture2DMipmap[1]", p.maxTexture2DMipmap[1], attr(cudaDevAttrMaxTexture2DMipmappedHeight, dev));
    expect_same("maxTexture2DLinear[2]", p.maxTexture2DLinear[2], attr(cudaDevAttrMaxTexture2DLinearPitch, dev));
    expect_same("maxTexture2DGather[0]", p.maxTexture2DGather[0], attr(cudaDevAttrMaxTexture2DGatherWidth, dev));
    expect_same("maxTexture3DAlt[2]", p.maxTexture3DAlt[2], attr(cudaDevAttrMaxTexture3DDepthAlt, dev));
    expect_same("maxSurface3D[2]", p.maxSurface3D[2], attr(cudaDevAttrMaxSurface3DDepth, dev));
    expect_same("maxSurface2DLayered[2]", p.maxSurface2DLayered[2], attr(cudaDevAttrMaxSurface2DLayeredLayers, dev));
    expect_same("maxSurfaceCubemapLayered[0]", p.maxSurfaceCubemapLayered[0], attr(cudaDevAttrMaxSurfaceCubemapLayeredWidth, dev));
    if (p.maxTexture1DLayered[1] <= 0 || p.maxTexture2DLayered[2] <= 0) failures++;   // a CUDA device has layers
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

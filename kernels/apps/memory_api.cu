// memory_api.cu - the runtime memory API beyond cudaMalloc/cudaMemcpy: pinned and registered
// host memory, pointer attributes, pitched 2D copies and memsets, symbols with offsets,
// cudaMemcpyDefault, device-to-device copies, and the documented errors. (Mapped and managed
// memory, which a kernel reaches on the host itself, are in zero_copy.cu.)
#include "../cuda_check.h"

__device__ int dev_table[64];
__constant__ float const_scale[4];

__global__ void use_symbols(float *out) {
  int i = threadIdx.x;
  out[i] = dev_table[i] * const_scale[i % 4];
}

__global__ void fill_pitched(char *base, size_t pitch, int width, int height) {
  int x = blockIdx.x * blockDim.x + threadIdx.x, y = blockIdx.y;
  if (x < width && y < height) ((int *)(base + y * pitch))[x] = y * 1000 + x;
}

int main() {
  const int n = 256;
  // Pointer attributes for each kind of memory.
  int *dev = nullptr;
  CUDA_CHECK(cudaMalloc(&dev, n * sizeof(int)));
  int stack_value = 0;
  cudaPointerAttributes a;
  CUDA_CHECK(cudaPointerGetAttributes(&a, dev));
  EXPECT(a.type == cudaMemoryTypeDevice && a.devicePointer == dev && a.device == 0);
  int *pinned = nullptr;
  CUDA_CHECK(cudaMallocHost(&pinned, n * sizeof(int)));
  CUDA_CHECK(cudaPointerGetAttributes(&a, pinned));
  EXPECT(a.type == cudaMemoryTypeHost);
  CUDA_CHECK(cudaPointerGetAttributes(&a, &stack_value));
  EXPECT(a.type == cudaMemoryTypeUnregistered);

  // Registered host memory, copies with cudaMemcpyDefault and device to device.
  static int registered[n];
  CUDA_CHECK(cudaHostRegister(registered, sizeof registered, cudaHostRegisterDefault));
  for (int i = 0; i < n; i++) registered[i] = 7 * i;
  CUDA_CHECK(cudaMemcpy(dev, registered, sizeof registered, cudaMemcpyDefault));
  int *dev2 = nullptr;
  CUDA_CHECK(cudaMalloc(&dev2, n * sizeof(int)));
  CUDA_CHECK(cudaMemcpy(dev2, dev, sizeof registered, cudaMemcpyDeviceToDevice));
  CUDA_CHECK(cudaMemset(dev, 0, sizeof registered));
  CUDA_CHECK(cudaMemcpy(registered, dev2, sizeof registered, cudaMemcpyDefault));
  for (int i = 0; i < n; i++) EXPECT(registered[i] == 7 * i);
  CUDA_CHECK(cudaMemcpy(registered, dev, sizeof registered, cudaMemcpyDeviceToHost));
  for (int i = 0; i < n; i++) EXPECT(registered[i] == 0);
  CUDA_CHECK(cudaHostUnregister(registered));

  // Symbols: whole and with offsets, addresses and sizes.
  int table[64];
  for (int i = 0; i < 64; i++) table[i] = i + 1;
  float scales[4] = {1.0f, 0.5f, 2.0f, -1.0f};
  CUDA_CHECK(cudaMemcpyToSymbol(dev_table, table, sizeof table));
  CUDA_CHECK(cudaMemcpyToSymbol(const_scale, scales, sizeof scales));
  int patch[2] = {100, 200};
  CUDA_CHECK(cudaMemcpyToSymbol(dev_table, patch, sizeof patch, 10 * sizeof(int)));
  table[10] = 100, table[11] = 200;
  size_t sym_size = 0;
  void *sym_addr = nullptr;
  CUDA_CHECK(cudaGetSymbolSize(&sym_size, dev_table));
  CUDA_CHECK(cudaGetSymbolAddress(&sym_addr, dev_table));
  EXPECT(sym_size == sizeof table && sym_addr != nullptr);
  float *out = nullptr;
  CUDA_CHECK(cudaMalloc(&out, 64 * sizeof(float)));
  use_symbols<<<1, 64>>>(out);
  float got[64];
  CUDA_CHECK(cudaMemcpy(got, out, sizeof got, cudaMemcpyDeviceToHost));
  for (int i = 0; i < 64; i++) EXPECT(got[i] == table[i] * scales[i % 4]);
  int back[2] = {0, 0};
  CUDA_CHECK(cudaMemcpyFromSymbol(back, dev_table, sizeof back, 10 * sizeof(int)));
  EXPECT(back[0] == 100 && back[1] == 200);
  EXPECT(cudaMemcpyToSymbol(dev_table, table, sizeof table, 8) == cudaErrorInvalidValue);
  (void)cudaGetLastError();

  // Pitched memory: 2D copies in every direction and a 2D memset.
  const int width = 37, height = 19;
  char *pitched = nullptr;
  size_t pitch = 0;
  CUDA_CHECK(cudaMallocPitch((void **)&pitched, &pitch, width * sizeof(int), height));
  EXPECT(pitch >= width * sizeof(int));
  fill_pitched<<<dim3(2, height), 32>>>(pitched, pitch, width, height);
  static int host2d[height][width + 3];
  CUDA_CHECK(cudaMemcpy2D(host2d, sizeof host2d[0], pitched, pitch, width * sizeof(int), height,
                          cudaMemcpyDeviceToHost));
  for (int y = 0; y < height; y++)
    for (int x = 0; x < width; x++) EXPECT(host2d[y][x] == y * 1000 + x);
  CUDA_CHECK(cudaMemset2D(pitched, pitch, 0xff, width * sizeof(int), height / 2));
  CUDA_CHECK(cudaMemcpy2D(host2d, sizeof host2d[0], pitched, pitch, width * sizeof(int), height,
                          cudaMemcpyDeviceToHost));
  for (int y = 0; y < height; y++)
    for (int x = 0; x < width; x++) EXPECT(host2d[y][x] == (y < height / 2 ? -1 : y * 1000 + x));
  for (int y = 0; y < height; y++) host2d[y][0] = -y;
  CUDA_CHECK(cudaMemcpy2D(pitched, pitch, host2d, sizeof host2d[0], sizeof(int), height, cudaMemcpyHostToDevice));
  int column[height];
  CUDA_CHECK(cudaMemcpy2D(column, sizeof(int), pitched, pitch, sizeof(int), height, cudaMemcpyDeviceToHost));
  for (int y = 0; y < height; y++) EXPECT(column[y] == -y);

  // Documented errors: bad free, bad direction, out of memory; none of them sticky.
  EXPECT(cudaFree((void *)0x1234) != cudaSuccess);
  EXPECT(cudaGetLastError() != cudaSuccess);
  EXPECT(cudaMemcpy(dev, dev2, 4, (cudaMemcpyKind)42) == cudaErrorInvalidMemcpyDirection);
  void *huge = nullptr;
  EXPECT(cudaMalloc(&huge, (size_t)1 << 50) == cudaErrorMemoryAllocation);
  EXPECT(cudaGetLastError() == cudaErrorMemoryAllocation);
  EXPECT(cudaGetLastError() == cudaSuccess);
  EXPECT(cudaMemset(dev, 1, 4) == cudaSuccess);

  CUDA_CHECK(cudaFree(dev));
  CUDA_CHECK(cudaFree(dev2));
  CUDA_CHECK(cudaFree(out));
  CUDA_CHECK(cudaFree(pitched));
  CUDA_CHECK(cudaFreeHost(pinned));
  printf("%s memory_api\n", expect_failures ? "FAIL" : "PASS");
  return expect_failures ? 1 : 0;
}

// zero_copy.cu - memory that kernels and the host touch directly: mapped pinned memory
// (cudaHostAllocMapped + cudaHostGetDevicePointer) and managed memory (cudaMallocManaged).
// Across a network link gpushim keeps a host copy coherent with the device's at launches and
// synchronizations (docs/remoting.md, "Managed and mapped host memory").
#include "../cuda_check.h"

__global__ void touch(int *p, int n, int add) {
  int i = blockIdx.x * blockDim.x + threadIdx.x;
  if (i < n) p[i] += add;
}

int main() {
  const int n = 256;
  // Mapped pinned memory: the kernel writes host memory through the device alias.
  int *mapped = nullptr, *mapped_dev = nullptr;
  CUDA_CHECK(cudaHostAlloc(&mapped, n * sizeof(int), cudaHostAllocMapped));
  for (int i = 0; i < n; i++) mapped[i] = i;
  CUDA_CHECK(cudaHostGetDevicePointer((void **)&mapped_dev, mapped, 0));
  touch<<<2, 128>>>(mapped_dev, n, 5);
  CUDA_CHECK(cudaDeviceSynchronize());
  for (int i = 0; i < n; i++) EXPECT(mapped[i] == i + 5);
  unsigned flags = 0;
  CUDA_CHECK(cudaHostGetFlags(&flags, mapped));
  EXPECT(flags & cudaHostAllocMapped);

  // Managed memory: written on the host, updated by a kernel, read back on the host.
  int *managed = nullptr;
  CUDA_CHECK(cudaMallocManaged(&managed, n * sizeof(int)));
  for (int i = 0; i < n; i++) managed[i] = 2 * i;
  touch<<<2, 128>>>(managed, n, 1);
  CUDA_CHECK(cudaDeviceSynchronize());
  for (int i = 0; i < n; i++) EXPECT(managed[i] == 2 * i + 1);

  cudaPointerAttributes a;
  CUDA_CHECK(cudaPointerGetAttributes(&a, mapped));
  EXPECT(a.type == cudaMemoryTypeHost);
  CUDA_CHECK(cudaPointerGetAttributes(&a, managed));
  EXPECT(a.type == cudaMemoryTypeManaged);
  CUDA_CHECK(cudaFree(managed));
  CUDA_CHECK(cudaFreeHost(mapped));
  printf("%s zero_copy\n", expect_failures ? "FAIL" : "PASS");
  return expect_failures ? 1 : 0;
}

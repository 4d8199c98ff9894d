// sticky_error.cu - an out-of-bounds write in a kernel: the launch itself succeeds, the next
// synchronizing call reports cudaErrorIllegalAddress, and every later call keeps reporting it
// (the context is lost) until cudaDeviceReset, after which the device works again.
#include "../cuda_check.h"

__global__ void write_far(int *p, long long offset) { p[offset + threadIdx.x] = 42; }
__global__ void fill(int *p, int v) { p[threadIdx.x] = v; }

int main() {
  int failures = 0;
  int *d = nullptr;
  CUDA_CHECK(cudaMalloc(&d, 64 * sizeof(int)));
  write_far<<<1, 32>>>(d, 1ll << 36);
  cudaError_t launch = cudaGetLastError();
  cudaError_t sync = cudaDeviceSynchronize();
  cudaError_t later = cudaMemset(d, 0, 4);
  cudaError_t last = cudaGetLastError();
  printf("launch %s, sync %s, later %s, last %s\n", cudaGetErrorName(launch),
         cudaGetErrorName(sync), cudaGetErrorName(later), cudaGetErrorName(last));
  if (launch != cudaSuccess || sync != cudaErrorIllegalAddress || later != cudaErrorIllegalAddress)
    failures++;
  CUDA_CHECK(cudaDeviceReset());
  CUDA_CHECK(cudaMalloc(&d, 64 * sizeof(int)));
  fill<<<1, 64>>>(d, 9);
  int h[64];
  CUDA_CHECK(cudaMemcpy(h, d, sizeof h, cudaMemcpyDeviceToHost));
  for (int i = 0; i < 64; i++) failures += h[i] != 9;
  CUDA_CHECK(cudaFree(d));
  printf("%s sticky_error\n", failures ? "FAIL" : "PASS");
  return failures ? 1 : 0;
}

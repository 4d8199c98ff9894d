// hold_memory.cu - test helper: allocates MiB of device memory (argv[1]), fills it with a
// kernel, prints READY and then waits (sleeping, or synchronizing in a loop with "--busy") until
// it is killed. Used to show the agent frees what a dead client held, and that a dropped link
// turns into a CUDA error instead of a hang.
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <unistd.h>

__global__ void fill(char *p, size_t n) {
  for (size_t i = blockIdx.x * blockDim.x + threadIdx.x; i < n; i += gridDim.x * blockDim.x) p[i] = 1;
}

int main(int argc, char **argv) {
  size_t mib = argc > 1 ? strtoul(argv[1], nullptr, 10) : 64;
  bool busy = argc > 2 && !strcmp(argv[2], "--busy");
  char *p = nullptr;
  cudaError_t e = cudaMalloc(&p, mib << 20);
  if (e == cudaSuccess) {
    fill<<<64, 256>>>(p, (size_t)1 << 16);
    e = cudaDeviceSynchronize();
  }
  if (e != cudaSuccess) {
    printf("ERROR %s\n", cudaGetErrorName(e));
    return 1;
  }
  printf("READY\n");
  fflush(stdout);
  for (int i = 0; i < 100000; i++) {
    if (busy) {
      fill<<<1, 32>>>(p, 32);
      e = cudaDeviceSynchronize();
      if (e != cudaSuccess) {
        printf("ERROR %s\n", cudaGetErrorName(e));
        fflush(stdout);
        return 3;
      }
    }
    usleep(busy ? 20000 : 100000);
  }
  return 0;
}

// mem_probe.cu - test helper: prints the device's used memory in MiB (total - free), as every
// client of one agent sees it.
#include <cstdio>
int main() {
  size_t free_b = 0, total_b = 0;
  cudaError_t e = cudaMemGetInfo(&free_b, &total_b);
  if (e != cudaSuccess) {
    printf("ERROR %s\n", cudaGetErrorName(e));
    return 1;
  }
  printf("USED_MIB %zu\n", (total_b - free_b) >> 20);
  return 0;
}

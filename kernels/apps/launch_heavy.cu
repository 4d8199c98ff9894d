// launch_heavy.cu - thousands of tiny launches and one synchronization at the end, the
// pattern that makes per-call round trips fatal for remoting. Usage: launch_heavy [LAUNCHES].
#include "../cuda_check.h"

__global__ void bump(int *counter, int *slots, int i) {
  if (threadIdx.x == 0) {
    atomicAdd(counter, 1);
    slots[i] = i;
  }
}

int main(int argc, char **argv) {
  int launches = argc > 1 ? atoi(argv[1]) : 2000;
  int *counter = nullptr, *slots = nullptr;
  CUDA_CHECK(cudaMalloc(&counter, sizeof(int)));
  CUDA_CHECK(cudaMalloc(&slots, launches * sizeof(int)));
  CUDA_CHECK(cudaMemsetAsync(counter, 0, sizeof(int), 0));
  for (int i = 0; i < launches; i++) bump<<<1, 32>>>(counter, slots, i);
  CUDA_CHECK_LAUNCH();
  int total = 0;
  CUDA_CHECK(cudaMemcpy(&total, counter, sizeof total, cudaMemcpyDeviceToHost));
  int *h = (int *)xmalloc(launches * sizeof(int));
  CUDA_CHECK(cudaMemcpy(h, slots, launches * sizeof(int), cudaMemcpyDeviceToHost));
  int failures = total != launches;
  for (int i = 0; i < launches; i++) failures += h[i] != i;
  CUDA_CHECK(cudaFree(counter));
  CUDA_CHECK(cudaFree(slots));
  free(h);
  printf("%s launch_heavy (%d launches, counter %d)\n", failures ? "FAIL" : "PASS", launches, total);
  return failures ? 1 : 0;
}

// per_thread_stream.cu - built with `nvcc --default-stream per-thread`: the program imports the
// _ptsz/_ptds entry points, and each host thread's NULL stream is its own per-thread stream.
#include "../cuda_check.h"
#include <thread>
#include <vector>

__global__ void fill(int *p, int n, int v) {
  int i = blockIdx.x * blockDim.x + threadIdx.x;
  if (i < n) p[i] = v * 1000 + i;
}

static void worker(int v, int *bad) {
  const int n = 2048;
  int *d = nullptr;
  std::vector<int> h(n);
  if (cudaMalloc(&d, n * sizeof(int)) != cudaSuccess) { *bad = 1; return; }
  fill<<<(n + 255) / 256, 256>>>(d, n, v);             // the per-thread default stream
  cudaMemsetAsync(d, 0, 16 * sizeof(int), 0);          // same stream, after the kernel
  cudaMemcpyAsync(h.data(), d, n * sizeof(int), cudaMemcpyDeviceToHost, 0);
  if (cudaStreamSynchronize(0) != cudaSuccess) { *bad = 1; return; }
  for (int i = 0; i < n; i++) *bad += h[i] != (i < 16 ? 0 : v * 1000 + i);
  cudaFree(d);
}

int main() {
  std::vector<std::thread> threads;
  std::vector<int> bad(4, 0);
  for (int t = 0; t < 4; t++) threads.emplace_back(worker, t + 1, &bad[t]);
  for (auto &t : threads) t.join();
  int failures = 0;
  for (int b : bad) failures += b;
  CUDA_CHECK(cudaDeviceSynchronize());
  printf("%s per_thread_stream\n", failures ? "FAIL" : "PASS");
  return failures ? 1 : 0;
}

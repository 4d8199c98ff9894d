// threads.cu - several host threads of one program, each with its own stream and buffers,
// sharing the device; plus the per-thread state the runtime keeps (last error, device).
#include "../cuda_check.h"
#include <thread>
#include <vector>

__global__ void square_plus(int *v, int n, int k) {
  int i = blockIdx.x * blockDim.x + threadIdx.x;
  if (i < n) v[i] = v[i] * v[i] + k;
}

static void worker(int k, int *result) {
  const int n = 4096;
  cudaStream_t s;
  int *d = nullptr;
  std::vector<int> h(n);
  for (int i = 0; i < n; i++) h[i] = i % 100 + k;
  if (cudaStreamCreate(&s) != cudaSuccess || cudaMalloc(&d, n * sizeof(int)) != cudaSuccess) {
    *result = -1;
    return;
  }
  int bad = 0;
  for (int round = 0; round < 10; round++) {
    cudaMemcpyAsync(d, h.data(), n * sizeof(int), cudaMemcpyHostToDevice, s);
    square_plus<<<(n + 255) / 256, 256, 0, s>>>(d, n, k);
    std::vector<int> out(n);
    cudaMemcpyAsync(out.data(), d, n * sizeof(int), cudaMemcpyDeviceToHost, s);
    if (cudaStreamSynchronize(s) != cudaSuccess) bad++;
    for (int i = 0; i < n; i++) bad += out[i] != h[i] * h[i] + k;
  }
  // Last errors are per thread: this one must not leak into other threads.
  square_plus<<<1, 4096, 0, s>>>(d, n, k);
  if (cudaGetLastError() != cudaErrorInvalidConfiguration) bad++;
  cudaFree(d);
  cudaStreamDestroy(s);
  *result = bad;
}

int main() {
  const int threads_n = 6;
  std::vector<std::thread> threads;
  std::vector<int> results(threads_n, -2);
  for (int t = 0; t < threads_n; t++) threads.emplace_back(worker, t + 1, &results[t]);
  for (auto &t : threads) t.join();
  int failures = 0;
  for (int t = 0; t < threads_n; t++)
    if (results[t] != 0) {
      printf("  thread %d: %d failures\n", t, results[t]);
      failures++;
    }
  if (cudaGetLastError() != cudaSuccess) failures++;
  CUDA_CHECK(cudaDeviceSynchronize());
  printf("%s threads\n", failures ? "FAIL" : "PASS");
  return failures ? 1 : 0;
}

// async_streams.cu - streams and events as asyncAPI/simpleStreams use them: pinned memory,
// cudaMemcpyAsync on several streams, cross-stream waits, queries, elapsed time, and host
// callbacks (cudaStreamAddCallback, cudaLaunchHostFunc) that must run in stream order.
#include "../cuda_check.h"
#include <atomic>
#include <vector>

__global__ void scale_add(float *data, int n, float scale, float add) {
  for (int i = blockIdx.x * blockDim.x + threadIdx.x; i < n; i += gridDim.x * blockDim.x)
    data[i] = data[i] * scale + add;
}

static std::atomic<int> callback_order{0};
static int callback_seen[4];

static void CUDART_CB on_stream_done(cudaStream_t, cudaError_t status, void *user) {
  int idx = (int)(size_t)user;
  callback_seen[idx] = status == cudaSuccess ? ++callback_order : -1;
}

static void CUDART_CB on_host_func(void *user) { *(int *)user = ++callback_order; }

int main() {
  const int streams_n = 4, n = 1 << 16;
  float *host = nullptr;
  CUDA_CHECK(cudaMallocHost(&host, sizeof(float) * n * streams_n));
  for (int i = 0; i < n * streams_n; i++) host[i] = (float)(i % 1000);
  float *dev = nullptr;
  CUDA_CHECK(cudaMalloc(&dev, sizeof(float) * n * streams_n));
  cudaStream_t streams[streams_n];
  for (auto &s : streams) CUDA_CHECK(cudaStreamCreateWithFlags(&s, cudaStreamNonBlocking));
  cudaEvent_t start, stop, handoff;
  CUDA_CHECK(cudaEventCreate(&start));
  CUDA_CHECK(cudaEventCreate(&stop));
  CUDA_CHECK(cudaEventCreateWithFlags(&handoff, cudaEventDisableTiming));
  CUDA_CHECK(cudaEventRecord(start, 0));
  for (int s = 0; s < streams_n; s++) {
    float *d = dev + s * n, *h = host + s * n;
    CUDA_CHECK(cudaMemcpyAsync(d, h, sizeof(float) * n, cudaMemcpyHostToDevice, streams[s]));
    scale_add<<<32, 128, 0, streams[s]>>>(d, n, 2.0f, (float)s);
    CUDA_CHECK_LAUNCH();
  }
  // Stream 0 waits for stream 3's kernel, then adds 1 to stream 3's slice.
  CUDA_CHECK(cudaEventRecord(handoff, streams[3]));
  CUDA_CHECK(cudaStreamWaitEvent(streams[0], handoff, 0));
  scale_add<<<16, 128, 0, streams[0]>>>(dev + 3 * n, n, 1.0f, 1.0f);
  CUDA_CHECK_LAUNCH();
  // ...and stream 3 copies its slice back only after stream 0's kernel.
  cudaEvent_t back;
  CUDA_CHECK(cudaEventCreateWithFlags(&back, cudaEventDisableTiming));
  CUDA_CHECK(cudaEventRecord(back, streams[0]));
  CUDA_CHECK(cudaStreamWaitEvent(streams[3], back, 0));
  for (int s = 0; s < streams_n; s++) {
    CUDA_CHECK(cudaMemcpyAsync(host + s * n, dev + s * n, sizeof(float) * n, cudaMemcpyDeviceToHost, streams[s]));
    CUDA_CHECK(cudaStreamAddCallback(streams[s], on_stream_done, (void *)(size_t)s, 0));
  }
  int host_func_order = 0;
  CUDA_CHECK(cudaLaunchHostFunc(streams[1], on_host_func, &host_func_order));
  CUDA_CHECK(cudaEventRecord(stop, 0));
  // The legacy default stream waits for... nothing here: the streams are non-blocking.
  for (auto &s : streams) CUDA_CHECK(cudaStreamSynchronize(s));
  CUDA_CHECK(cudaEventSynchronize(stop));
  float ms = -1;
  CUDA_CHECK(cudaEventElapsedTime(&ms, start, stop));
  cudaError_t q = cudaStreamQuery(streams[2]);
  int failures = 0;
  if (q != cudaSuccess) { printf("stream query after sync: %s\n", cudaGetErrorName(q)); failures++; }
  for (int s = 0; s < streams_n; s++)
    for (int i = 0; i < n; i++) {
      float x = (float)((s * n + i) % 1000);
      float want = x * 2.0f + (float)s + (s == 3 ? 1.0f : 0.0f);
      if (host[s * n + i] != want) {
        if (failures++ < 5) printf("  stream %d [%d]: got %f want %f\n", s, i, host[s * n + i], want);
      }
    }
  for (int s = 0; s < streams_n; s++)
    if (callback_seen[s] <= 0) { printf("  callback %d did not run\n", s); failures++; }
  if (host_func_order <= callback_seen[1]) { printf("  host func ran before stream 1's callback\n"); failures++; }
  if (!(ms >= 0.0f)) { printf("  elapsed time %f\n", ms); failures++; }
  for (auto &s : streams) CUDA_CHECK(cudaStreamDestroy(s));
  CUDA_CHECK(cudaEventDestroy(start));
  CUDA_CHECK(cudaEventDestroy(stop));
  CUDA_CHECK(cudaEventDestroy(handoff));
  CUDA_CHECK(cudaEventDestroy(back));
  CUDA_CHECK(cudaFree(dev));
  CUDA_CHECK(cudaFreeHost(host));
  printf("%s async_streams (%.3f ms)\n", failures ? "FAIL" : "PASS", ms);
  return failures ? 1 : 0;
}

// streams.cu - two non-blocking streams with pinned host memory and async copies, an event
// making one stream wait for the other, and events timing the work (cudaEventElapsedTime).
#include <math.h>
#include "cuda_check.h"
#include "streams.h"

__global__ void square_plus_one(float *x, int n) {
  int i = blockIdx.x * blockDim.x + threadIdx.x;
  if (i < n) x[i] = x[i] * x[i] + 1.0f;
}

__global__ void add_into(float *y, const float *x, int n) {
  int i = blockIdx.x * blockDim.x + threadIdx.x;
  if (i < n) y[i] += x[i];
}

int main(void) {
  const int n = STREAMS_HALF;
  const size_t bytes = n * sizeof(float);
  const int blocks = (n + STREAMS_BLOCK - 1) / STREAMS_BLOCK;
  float *h_x0, *h_x1, *h_y0, *h_y1;
  CUDA_CHECK(cudaMallocHost(&h_x0, bytes));
  CUDA_CHECK(cudaMallocHost(&h_x1, bytes));
  CUDA_CHECK(cudaMallocHost(&h_y0, bytes));
  CUDA_CHECK(cudaMallocHost(&h_y1, bytes));
  float *want0 = (float *)xmalloc(bytes), *want1 = (float *)xmalloc(bytes);
  streams_inputs(h_x0, h_x1, n);

  cudaStream_t s0, s1;
  cudaEvent_t done0, start, stop;
  CUDA_CHECK(cudaStreamCreateWithFlags(&s0, cudaStreamNonBlocking));
  CUDA_CHECK(cudaStreamCreateWithFlags(&s1, cudaStreamNonBlocking));
  CUDA_CHECK(cudaEventCreateWithFlags(&done0, cudaEventDisableTiming));
  CUDA_CHECK(cudaEventCreate(&start));
  CUDA_CHECK(cudaEventCreate(&stop));
  float *d0, *d1;
  CUDA_CHECK(cudaMalloc(&d0, bytes));
  CUDA_CHECK(cudaMalloc(&d1, bytes));

  CUDA_CHECK(cudaEventRecord(start, s1));
  CUDA_CHECK(cudaMemcpyAsync(d0, h_x0, bytes, cudaMemcpyHostToDevice, s0));
  square_plus_one<<<blocks, STREAMS_BLOCK, 0, s0>>>(d0, n);
  CUDA_CHECK_LAUNCH();
  CUDA_CHECK(cudaEventRecord(done0, s0));
  CUDA_CHECK(cudaMemcpyAsync(h_y0, d0, bytes, cudaMemcpyDeviceToHost, s0));

  CUDA_CHECK(cudaMemcpyAsync(d1, h_x1, bytes, cudaMemcpyHostToDevice, s1));
  square_plus_one<<<blocks, STREAMS_BLOCK, 0, s1>>>(d1, n);
  CUDA_CHECK_LAUNCH();
  CUDA_CHECK(cudaStreamWaitEvent(s1, done0, 0));
  add_into<<<blocks, STREAMS_BLOCK, 0, s1>>>(d1, d0, n);
  CUDA_CHECK_LAUNCH();
  CUDA_CHECK(cudaMemcpyAsync(h_y1, d1, bytes, cudaMemcpyDeviceToHost, s1));
  CUDA_CHECK(cudaEventRecord(stop, s1));

  CUDA_CHECK(cudaEventSynchronize(stop));
  CUDA_CHECK(cudaStreamSynchronize(s0));
  size_t bad = 0;
  float ms = -1.0f;
  CUDA_CHECK(cudaEventElapsedTime(&ms, start, stop));
  if (!(ms >= 0.0f) || !isfinite(ms)) {
    printf("  cudaEventElapsedTime gave %g ms\n", (double)ms);
    bad++;
  }
  if (cudaStreamQuery(s0) != cudaSuccess || cudaStreamQuery(s1) != cudaSuccess ||
      cudaEventQuery(done0) != cudaSuccess) {
    printf("  a finished stream or event does not report cudaSuccess\n");
    bad++;
  }

  streams_ref(h_x0, h_x1, want0, want1, n);
  bad += kc_compare_f32_exact("y0", h_y0, want0, n);
  bad += kc_compare_f32_exact("y1", h_y1, want1, n);

  CUDA_CHECK(cudaFree(d0));
  CUDA_CHECK(cudaFree(d1));
  CUDA_CHECK(cudaEventDestroy(done0));
  CUDA_CHECK(cudaEventDestroy(start));
  CUDA_CHECK(cudaEventDestroy(stop));
  CUDA_CHECK(cudaStreamDestroy(s0));
  CUDA_CHECK(cudaStreamDestroy(s1));
  CUDA_CHECK(cudaFreeHost(h_x0));
  CUDA_CHECK(cudaFreeHost(h_x1));
  CUDA_CHECK(cudaFreeHost(h_y0));
  CUDA_CHECK(cudaFreeHost(h_y1));
  free(want0); free(want1);
  return kc_finish("streams", bad);
}

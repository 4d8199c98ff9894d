/* unsupported_call.c - a runtime function gpushim does not implement yet (graphs here) still
 * links and loads; calling it returns cudaErrorNotSupported, recorded as the last error, and
 * the rest of the runtime keeps working. */
#include <cuda_runtime_api.h>
#include <stdio.h>

int main(void) {
  int failures = 0;
  cudaGraph_t graph;
  cudaError_t e = cudaGraphCreate(&graph, 0);
  if (e != cudaErrorNotSupported) { printf("cudaGraphCreate: %s\n", cudaGetErrorName(e)); failures++; }
  if (cudaGetLastError() != cudaErrorNotSupported) failures++;
  if (cudaGetLastError() != cudaSuccess) failures++;
  void *p = NULL;
  if (cudaMalloc(&p, 1024) != cudaSuccess || cudaFree(p) != cudaSuccess) failures++;
  enum cudaStreamCaptureStatus capturing = cudaStreamCaptureStatusActive;
  if (cudaStreamIsCapturing(0, &capturing) != cudaSuccess || capturing != cudaStreamCaptureStatusNone) failures++;
  printf("%d passed, %d failed\n", failures ? 0 : 1, failures ? 1 : 0);
  return failures != 0;
}

/* unsupported_call.c - a runtime function gpushim does not implement yet (conditional graph
 * nodes here) still links and loads; calling it returns cudaErrorNotSupported, recorded as the
 * last error, and the rest of the runtime keeps working. */
#include <cuda_runtime_api.h>
#include <stdio.h>

int main(void) {
  int failures = 0;
  cudaGraph_t graph;
  if (cudaGraphCreate(&graph, 0) != cudaSuccess) failures++;
  cudaGraphConditionalHandle handle;
  cudaError_t e = cudaGraphConditionalHandleCreate(&handle, graph, 0, 0);
  if (e != cudaErrorNotSupported) { printf("cudaGraphConditionalHandleCreate: %s\n", cudaGetErrorName(e)); failures++; }
  if (cudaGetLastError() != cudaErrorNotSupported) failures++;
  if (cudaGetLastError() != cudaSuccess) failures++;
  void *p = NULL;
  if (cudaMalloc(&p, 1024) != cudaSuccess || cudaFree(p) != cudaSuccess) failures++;
  enum cudaStreamCaptureStatus capturing = cudaStreamCaptureStatusActive;
  if (cudaStreamIsCapturing(0, &capturing) != cudaSuccess || capturing != cudaStreamCaptureStatusNone) failures++;
  cudaGraphDestroy(graph);
  printf("%d passed, %d failed\n", failures ? 0 : 1, failures ? 1 : 0);
  return failures != 0;
}

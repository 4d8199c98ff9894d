// fault.cu - a deliberately faulting program: an out-of-bounds write must surface as
// cudaErrorIllegalAddress from cudaDeviceSynchronize and stay (sticky) for later calls.
// Exits 0 when CUDA reports the fault as documented.
#include "cuda_check.h"
#include "fault.h"

__global__ void write_out_of_bounds(int *buf, long long bad_index, int bad_thread) {
  int i = blockIdx.x * blockDim.x + threadIdx.x;
  if (i == bad_thread)
    buf[bad_index] = 42;
  else if (i < FAULT_N)
    buf[i] = i;
}

// Reports whether a call returned the expected error.
static size_t expect(const char *what, cudaError_t got, cudaError_t want) {
  if (got == want) return 0;
  printf("  %s returned %s (%s), want %s\n", what, cudaGetErrorName(got), cudaGetErrorString(got),
         cudaGetErrorName(want));
  return 1;
}

int main(void) {
  int *d_buf;
  CUDA_CHECK(cudaMalloc(&d_buf, FAULT_N * sizeof(int)));
  write_out_of_bounds<<<2, 128>>>(d_buf, FAULT_BAD_INDEX, FAULT_BAD_THREAD);
  size_t bad = expect("the launch", cudaGetLastError(), cudaSuccess);
  bad += expect("cudaDeviceSynchronize", cudaDeviceSynchronize(), cudaErrorIllegalAddress);
  // Sticky: the context is unusable from now on, whatever we ask.
  int *d_more = NULL;
  bad += expect("cudaMalloc after the fault", cudaMalloc(&d_more, 64), cudaErrorIllegalAddress);
  int host[4];
  bad += expect("cudaMemcpy after the fault",
                cudaMemcpy(host, d_buf, sizeof host, cudaMemcpyDeviceToHost), cudaErrorIllegalAddress);
  bad += expect("a second cudaDeviceSynchronize", cudaDeviceSynchronize(), cudaErrorIllegalAddress);
  return kc_finish("fault", bad);
}

// device_printf.cu - printf from device code: every thread of a small launch prints one line;
// the program captures its own stdout around the launch and checks each line arrived once.
#include "cuda_check.h"
#include "device_printf.h"

__global__ void device_printf(void) {
  int id = blockIdx.x * blockDim.x + threadIdx.x;
  printf(DEVICE_PRINTF_FORMAT, (int)blockIdx.x, (int)threadIdx.x, DEVICE_PRINTF_BASE + id,
         (unsigned)id * 7919u, id * 0.25, DEVICE_PRINTF_WORD, 'a' + id % 26);
}

int main(void) {
  CUDA_CHECK(cudaFree(0));   // create the context before capturing, so its messages are not captured
  FILE *file;
  int saved = kc_capture_stdout_begin(&file);
  if (saved < 0) {
    perror("capturing stdout");
    return 1;
  }
  device_printf<<<DEVICE_PRINTF_BLOCKS, DEVICE_PRINTF_THREADS>>>();
  cudaError_t launch = cudaGetLastError(), sync = cudaDeviceSynchronize();
  char *out = kc_capture_stdout_end(file, saved);
  CUDA_CHECK(launch);
  CUDA_CHECK(sync);
  if (!out) {
    fprintf(stderr, "could not read the captured output\n");
    return 1;
  }
  size_t bad = device_printf_check(out);
  free(out);
  return kc_finish("device_printf", bad);
}

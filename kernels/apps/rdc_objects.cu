// rdc_objects.cu - separate compilation (nvcc -rdc=true, what CMake's CUDA_SEPARABLE_COMPILATION
// does): two translation units, each with its own kernels and device variables. nvlink's image
// registered at startup is SASS only; a PTX device must load the objects' own PTX instead.
// Checks kernels and symbols of both units against a CPU reference.
#include "../cuda_check.h"

__device__ int scale_factor;                       // set with cudaMemcpyToSymbol
__global__ void scale(int *v, int n) {
  int i = blockIdx.x * blockDim.x + threadIdx.x;
  if (i < n) v[i] *= scale_factor;
}

void part_shift(int *d, int n);                    // rdc_objects_part.cu
void part_set_offset(int offset);

int main() {
  const int n = 1000, factor = 3, offset = 11;
  int h[n], *d = nullptr;
  for (int i = 0; i < n; i++) h[i] = i - 400;
  CUDA_CHECK(cudaMalloc(&d, sizeof h));
  CUDA_CHECK(cudaMemcpy(d, h, sizeof h, cudaMemcpyHostToDevice));
  CUDA_CHECK(cudaMemcpyToSymbol(scale_factor, &factor, sizeof factor));
  scale<<<(n + 127) / 128, 128>>>(d, n);
  CUDA_CHECK_LAUNCH();
  part_set_offset(offset);
  part_shift(d, n);
  CUDA_CHECK(cudaMemcpy(h, d, sizeof h, cudaMemcpyDeviceToHost));
  int failures = 0;
  for (int i = 0; i < n; i++) failures += h[i] != (i - 400) * factor + offset;
  int back = 0;
  CUDA_CHECK(cudaMemcpyFromSymbol(&back, scale_factor, sizeof back));
  failures += back != factor;
  CUDA_CHECK(cudaFree(d));
  printf("%s rdc_objects (%d mismatches)\n", failures ? "FAIL" : "PASS", failures);
  return failures ? 1 : 0;
}

// rdc_objects_part.cu - the second translation unit of rdc_objects.cu: its own kernel and a
// __constant__ variable, reached from the host code of this unit.
#include "../cuda_check.h"

__constant__ int shift_by;
__global__ void shift(int *v, int n) {
  int i = blockIdx.x * blockDim.x + threadIdx.x;
  if (i < n) v[i] += shift_by;
}

void part_set_offset(int offset) { CUDA_CHECK(cudaMemcpyToSymbol(shift_by, &offset, sizeof offset)); }

void part_shift(int *d, int n) {
  shift<<<(n + 63) / 64, 64>>>(d, n);
  CUDA_CHECK_LAUNCH();
}

// kernels.cu - device code for test_launch: built by nvcc into a fatbin at build time and
// loaded through cuModuleLoadData over the remoting path.
extern "C" __global__ void vecadd(const float *a, const float *b, float *c, int n) {
  int i = blockIdx.x * blockDim.x + threadIdx.x;
  if (i < n) c[i] = a[i] + b[i];
}

extern "C" __global__ void scale_add(double *x, double f, char tag, int n) {
  int i = blockIdx.x * blockDim.x + threadIdx.x;
  if (i < n) x[i] = x[i] * f + tag;
}

extern "C" __global__ void bump(unsigned *counter) {
  if (threadIdx.x == 0 && blockIdx.x == 0) *counter += 1;
}

#include <cstdio>
extern "C" __global__ void hello(int tag) {
  if (threadIdx.x == 1) printf("hello from block %d tag %d\n", blockIdx.x, tag);
}

extern "C" __global__ void write_far(int *p, long long offset) { p[offset + threadIdx.x] = 42; }

// fatbin_kernels.cu - kernels compiled by nvcc into the fatbins the CPU device's tests read.
__device__ int scale = 3;
__constant__ float offsets[4] = {0.5f, 1.5f, 2.5f, 3.5f};

extern "C" __global__ void vadd(const float *a, const float *b, float *c, int n) {
  int i = blockIdx.x * blockDim.x + threadIdx.x;
  if (i < n) c[i] = a[i] + b[i];
}

extern "C" __global__ void scaled(int *out, int n) {
  int i = blockIdx.x * blockDim.x + threadIdx.x;
  if (i < n) out[i] = i * scale + (int)offsets[i % 4];
}

// Writes far outside any allocation: the device must report an illegal address.
extern "C" __global__ void wild_store(int *p) {
  p[(1ll << 40) / sizeof(int)] = 1;
}

// Takes parameters of mixed sizes so the parameter layout matters.
extern "C" __global__ void mixed(char c, short s, long long ll, double d, int *out) {
  out[0] = c;
  out[1] = s;
  out[2] = (int)(ll >> 32);
  out[3] = (int)d;
}

// Fails a device-side assertion when flag is set: the device must report CUDA_ERROR_ASSERT.
#include <assert.h>
extern "C" __global__ void check_flag(const int *flag) {
  assert(*flag == 0);
}

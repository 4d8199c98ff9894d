// rdc_link.cu - separate compilation with device code that crosses translation units
// (nvcc -rdc=true): the kernel here calls a __device__ function and reads a __device__
// variable that rdc_link_part.cu defines, and both files have a file-local function and
// variable of the same source name. nvlink resolves this on a GPU; on a PTX device the
// runtime links the objects' PTX. Checked against a CPU reference.
#include "../cuda_check.h"

extern __device__ int part_bias;                    // rdc_link_part.cu, set from the host
__device__ int part_mix(int x, int i);              // rdc_link_part.cu
static __device__ int table[4] = {10, 20, 30, 40};  // same name as a static there
static __device__ __noinline__ int twice(int x) { return 2 * x + table[x & 3]; }

extern "C" __global__ void mix(int *v, int n) {
  int i = blockIdx.x * blockDim.x + threadIdx.x;
  if (i < n) v[i] = part_mix(twice(v[i]), i) + part_bias;
}

static int twice_ref(int x) { static const int t[4] = {10, 20, 30, 40}; return 2 * x + t[x & 3]; }
static int part_mix_ref(int x, int i) { static const int t[4] = {1, 2, 3, 4}; return (x + x + t[x & 3]) ^ i; }

int main() {
  const int n = 777, bias = -5;
  int h[n], *d = nullptr;
  for (int i = 0; i < n; i++) h[i] = i * 7 - 300;
  CUDA_CHECK(cudaMalloc(&d, sizeof h));
  CUDA_CHECK(cudaMemcpy(d, h, sizeof h, cudaMemcpyHostToDevice));
  int initial = 0;
  CUDA_CHECK(cudaMemcpyFromSymbol(&initial, part_bias, sizeof initial));
  CUDA_CHECK(cudaMemcpyToSymbol(part_bias, &bias, sizeof bias));
  mix<<<(n + 127) / 128, 128>>>(d, n);
  CUDA_CHECK_LAUNCH();
  CUDA_CHECK(cudaMemcpy(h, d, sizeof h, cudaMemcpyDeviceToHost));
  int failures = initial != 7;
  for (int i = 0; i < n; i++) failures += h[i] != part_mix_ref(twice_ref(i * 7 - 300), i) + bias;
  CUDA_CHECK(cudaFree(d));
  printf("%s rdc_link (%d mismatches)\n", failures ? "FAIL" : "PASS", failures);
  return failures ? 1 : 0;
}

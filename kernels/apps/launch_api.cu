// launch_api.cu - launches the way real programs configure them: cudaLaunchKernel by hand,
// occupancy queries (cudaOccupancyMaxPotentialBlockSize), function attributes, opting in to
// more than 48 KiB of dynamic shared memory, cooperative-groups tiles, and the documented errors
// for bad configurations (not sticky: the next launch works).
#include "../cuda_check.h"
#include <cooperative_groups.h>
namespace cg = cooperative_groups;

extern __shared__ float dyn[];

__global__ void big_shared_reverse(const float *in, float *out, int n) {
  for (int i = threadIdx.x; i < n; i += blockDim.x) dyn[i] = in[i];
  __syncthreads();
  for (int i = threadIdx.x; i < n; i += blockDim.x) out[i] = dyn[n - 1 - i];
}

__global__ void tile_sums(const int *in, int *out) {
  cg::thread_block block = cg::this_thread_block();
  cg::thread_block_tile<16> tile = cg::tiled_partition<16>(block);
  int v = in[blockIdx.x * blockDim.x + threadIdx.x];
  for (int offset = tile.size() / 2; offset > 0; offset /= 2) v += tile.shfl_down(v, offset);
  if (tile.thread_rank() == 0) out[(blockIdx.x * blockDim.x + threadIdx.x) / 16] = v;
  block.sync();
}

template <typename T>
__global__ void axpb(T *x, T a, T b, int n) {
  int i = blockIdx.x * blockDim.x + threadIdx.x;
  if (i < n) x[i] = a * x[i] + b;
}

int main() {
  // Occupancy and attributes.
  int min_grid = 0, block = 0;
  CUDA_CHECK(cudaOccupancyMaxPotentialBlockSize(&min_grid, &block, axpb<float>, 0, 0));
  EXPECT(block > 0 && block <= 1024 && block % 32 == 0 && min_grid > 0);
  int active = 0;
  CUDA_CHECK(cudaOccupancyMaxActiveBlocksPerMultiprocessor(&active, axpb<float>, 128, 0));
  EXPECT(active > 0);
  cudaFuncAttributes fa;
  CUDA_CHECK(cudaFuncGetAttributes(&fa, big_shared_reverse));
  EXPECT(fa.maxThreadsPerBlock > 0 && fa.numRegs > 0 && fa.ptxVersion > 0);

  // Templated kernel through cudaLaunchKernel, with explicit argument array.
  const int n = 1000;
  double *x = nullptr;
  CUDA_CHECK(cudaMalloc(&x, n * sizeof(double)));
  double hx[n];
  for (int i = 0; i < n; i++) hx[i] = i * 0.25;
  CUDA_CHECK(cudaMemcpy(x, hx, sizeof hx, cudaMemcpyHostToDevice));
  double a = 3.0, b = -1.5;
  int count = n;
  void *args[] = {&x, &a, &b, &count};
  CUDA_CHECK(cudaLaunchKernel((const void *)axpb<double>, dim3((n + 127) / 128), dim3(128), args, 0, 0));
  CUDA_CHECK(cudaMemcpy(hx, x, sizeof hx, cudaMemcpyDeviceToHost));
  for (int i = 0; i < n; i++) EXPECT(hx[i] == 3.0 * (i * 0.25) - 1.5);

  // More than 48 KiB of dynamic shared memory needs the opt-in attribute first.
  int optin = 0;
  CUDA_CHECK(cudaDeviceGetAttribute(&optin, cudaDevAttrMaxSharedMemoryPerBlockOptin, 0));
  const int floats = 16384;  // 64 KiB
  float *in = nullptr, *out = nullptr;
  CUDA_CHECK(cudaMalloc(&in, floats * sizeof(float)));
  CUDA_CHECK(cudaMalloc(&out, floats * sizeof(float)));
  float *h = (float *)xmalloc(floats * sizeof(float));
  for (int i = 0; i < floats; i++) h[i] = (float)i;
  CUDA_CHECK(cudaMemcpy(in, h, floats * sizeof(float), cudaMemcpyHostToDevice));
  if (optin >= (int)(floats * sizeof(float))) {
    big_shared_reverse<<<1, 256, floats * sizeof(float)>>>(in, out, floats);
    EXPECT(cudaGetLastError() != cudaSuccess);  // not opted in yet
    CUDA_CHECK(cudaFuncSetAttribute(big_shared_reverse, cudaFuncAttributeMaxDynamicSharedMemorySize,
                                    floats * sizeof(float)));
    big_shared_reverse<<<1, 256, floats * sizeof(float)>>>(in, out, floats);
    CUDA_CHECK_LAUNCH();
    CUDA_CHECK(cudaMemcpy(h, out, floats * sizeof(float), cudaMemcpyDeviceToHost));
    for (int i = 0; i < floats; i++) EXPECT(h[i] == (float)(floats - 1 - i));
  } else {
    printf("  device opt-in shared memory %d < 64 KiB: skipped that part\n", optin);
  }

  // Cooperative-groups tiles.
  int hin[256], *din = nullptr, *dout = nullptr, hout[16];
  for (int i = 0; i < 256; i++) hin[i] = i % 7 - 3;
  CUDA_CHECK(cudaMalloc(&din, sizeof hin));
  CUDA_CHECK(cudaMalloc(&dout, sizeof hout));
  CUDA_CHECK(cudaMemcpy(din, hin, sizeof hin, cudaMemcpyHostToDevice));
  tile_sums<<<2, 128>>>(din, dout);
  CUDA_CHECK(cudaMemcpy(hout, dout, sizeof hout, cudaMemcpyDeviceToHost));
  for (int t = 0; t < 16; t++) {
    int want = 0;
    for (int i = 0; i < 16; i++) want += hin[t * 16 + i];
    EXPECT(hout[t] == want);
  }

  // Invalid configurations: reported at launch, cleared by cudaGetLastError, not sticky.
  axpb<double><<<1, 2048>>>(x, 1.0, 0.0, n);
  EXPECT(cudaGetLastError() == cudaErrorInvalidConfiguration);
  axpb<double><<<dim3(1, 70000), 32>>>(x, 1.0, 0.0, n);
  EXPECT(cudaPeekAtLastError() == cudaErrorInvalidConfiguration);
  EXPECT(cudaGetLastError() == cudaErrorInvalidConfiguration);
  axpb<double><<<0, 32>>>(x, 1.0, 0.0, n);
  EXPECT(cudaGetLastError() == cudaErrorInvalidConfiguration);
  axpb<double><<<(n + 127) / 128, 128>>>(x, 1.0, 1.0, n);
  CUDA_CHECK_LAUNCH();
  CUDA_CHECK(cudaDeviceSynchronize());

  CUDA_CHECK(cudaFree(x));
  CUDA_CHECK(cudaFree(in));
  CUDA_CHECK(cudaFree(out));
  CUDA_CHECK(cudaFree(din));
  CUDA_CHECK(cudaFree(dout));
  free(h);
  printf("%s launch_api\n", expect_failures ? "FAIL" : "PASS");
  return expect_failures ? 1 : 0;
}

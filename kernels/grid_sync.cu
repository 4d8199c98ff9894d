// grid_sync.cu - cooperative launches and grid-wide synchronisation: a multi-phase reduction
// (cudaLaunchCooperativeKernel) and an iterative stencil (cudaLaunchKernelEx with
// cudaLaunchAttributeCooperative), both using cg::this_grid().sync(); and the error a grid
// too large to be resident at once gets (cudaErrorCooperativeLaunchTooLarge).
#include <cooperative_groups.h>
#include "cuda_check.h"
#include "grid_sync.h"

namespace cg = cooperative_groups;

__global__ void grid_reduce(const int *x, long long *partial, long long *out, int n) {
  cg::grid_group grid = cg::this_grid();
  cg::thread_block block = cg::this_thread_block();
  __shared__ long long sums[GS_BLOCK];
  long long s = 0;
  for (int i = (int)grid.thread_rank(); i < n; i += (int)grid.size()) s += x[i];
  sums[block.thread_rank()] = s;
  block.sync();
  for (unsigned d = block.size() / 2; d > 0; d /= 2) {
    if (block.thread_rank() < d) sums[block.thread_rank()] += sums[block.thread_rank() + d];
    block.sync();
  }
  unsigned b = blockIdx.x;
  if (block.thread_rank() == 0) partial[b] = sums[0];
  for (unsigned stride = 1; stride < gridDim.x; stride *= 2) {
    grid.sync();   // the round before is complete in every block
    if (block.thread_rank() == 0 && b % (2 * stride) == 0 && b + stride < gridDim.x)
      partial[b] += partial[b + stride];
  }
  grid.sync();
  out[grid.thread_rank()] = partial[0];
}

__global__ void grid_stencil(int *a, int *b, int n, int iters) {
  cg::grid_group grid = cg::this_grid();
  for (int it = 0; it < iters; it++) {
    for (int i = (int)grid.thread_rank(); i < n; i += (int)grid.size())
      b[i] = (i == 0 || i == n - 1) ? a[i] : (a[i - 1] + 2 * a[i] + a[i + 1]) / 4;
    grid.sync();   // every point of this step written before anyone reads it
    int *t = a; a = b; b = t;
  }
}

static size_t check_reduce(const int *d_x, const int32_t *x) {
  long long *d_partial, *d_out;
  int64_t got[GS_THREADS], want[GS_THREADS];
  CUDA_CHECK(cudaMalloc(&d_partial, GS_BLOCKS * sizeof(long long)));
  CUDA_CHECK(cudaMalloc(&d_out, sizeof got));
  int n = GS_N;
  void *args[] = {&d_x, &d_partial, &d_out, &n};
  CUDA_CHECK(cudaLaunchCooperativeKernel((void *)grid_reduce, dim3(GS_BLOCKS), dim3(GS_BLOCK), args, 0, 0));
  CUDA_CHECK_LAUNCH();
  CUDA_CHECK(cudaMemcpy(got, d_out, sizeof got, cudaMemcpyDeviceToHost));
  for (int i = 0; i < GS_THREADS; i++) want[i] = gs_reduce_ref(x, GS_N);
  size_t bad = kc_compare_i64("grid_reduce", got, want, GS_THREADS);
  CUDA_CHECK(cudaFree(d_partial));
  CUDA_CHECK(cudaFree(d_out));
  return bad;
}

static size_t check_stencil(const int32_t *x) {
  int *d_a, *d_b;
  const size_t bytes = GS_N * sizeof(int);
  CUDA_CHECK(cudaMalloc(&d_a, bytes));
  CUDA_CHECK(cudaMalloc(&d_b, bytes));
  CUDA_CHECK(cudaMemcpy(d_a, x, bytes, cudaMemcpyHostToDevice));
  cudaLaunchAttribute attr[1];
  attr[0].id = cudaLaunchAttributeCooperative;
  attr[0].val.cooperative = 1;
  cudaLaunchConfig_t cfg = {};
  cfg.gridDim = dim3(GS_BLOCKS);
  cfg.blockDim = dim3(GS_BLOCK);
  cfg.attrs = attr;
  cfg.numAttrs = 1;
  CUDA_CHECK(cudaLaunchKernelEx(&cfg, grid_stencil, d_a, d_b, (int)GS_N, (int)GS_ITERS));
  CUDA_CHECK_LAUNCH();
  int32_t *got = (int32_t *)xmalloc(bytes), *want = (int32_t *)xmalloc(bytes);
  CUDA_CHECK(cudaMemcpy(got, GS_ITERS % 2 ? d_b : d_a, bytes, cudaMemcpyDeviceToHost));
  gs_stencil_ref(x, GS_N, GS_ITERS, want);
  size_t bad = kc_compare_i32("grid_stencil", got, want, GS_N);
  CUDA_CHECK(cudaFree(d_a));
  CUDA_CHECK(cudaFree(d_b));
  free(got); free(want);
  return bad;
}

/* A grid one block larger than the device holds at once is refused, and the error is not sticky. */
static size_t check_too_large(const int *d_x) {
  int dev, sms, per_sm, supported;
  CUDA_CHECK(cudaGetDevice(&dev));
  CUDA_CHECK(cudaDeviceGetAttribute(&supported, cudaDevAttrCooperativeLaunch, dev));
  CUDA_CHECK(cudaDeviceGetAttribute(&sms, cudaDevAttrMultiProcessorCount, dev));
  CUDA_CHECK(cudaOccupancyMaxActiveBlocksPerMultiprocessor(&per_sm, grid_reduce, GS_BLOCK, 0));
  size_t bad = supported == 1 ? 0 : 1;
  if (per_sm * sms < GS_BLOCKS) {
    printf("grid_sync: only %d x %d blocks fit at once, fewer than %d\n", per_sm, sms, GS_BLOCKS);
    bad++;
  }
  long long *d_partial = NULL, *d_out = NULL;
  int n = GS_N;
  void *args[] = {&d_x, &d_partial, &d_out, &n};
  cudaError_t e = cudaLaunchCooperativeKernel((void *)grid_reduce, dim3(per_sm * sms + 1), dim3(GS_BLOCK), args, 0, 0);
  if (e != cudaErrorCooperativeLaunchTooLarge) {
    printf("grid_sync: too large a grid gave %s\n", cudaGetErrorName(e));
    bad++;
  }
  cudaGetLastError();
  CUDA_CHECK(cudaDeviceSynchronize());
  return bad;
}

int main(void) {
  int32_t *x = (int32_t *)xmalloc(GS_N * sizeof(int32_t));
  gs_inputs(x, GS_N);
  int *d_x;
  CUDA_CHECK(cudaMalloc(&d_x, GS_N * sizeof(int)));
  CUDA_CHECK(cudaMemcpy(d_x, x, GS_N * sizeof(int), cudaMemcpyHostToDevice));
  size_t bad = check_too_large(d_x);
  bad += check_reduce(d_x, x);
  bad += check_stencil(x);
  bad += check_reduce(d_x, x);   // the grid barrier works again in a later launch
  CUDA_CHECK(cudaFree(d_x));
  free(x);
  return kc_finish("grid_sync", bad);
}

// scan.cu - block-wide inclusive scan built from warp shuffles (__shfl_up_sync), and
// stream-compaction ranks from __ballot_sync and __popc.
#include "cuda_check.h"
#include "scan.h"

#define FULL_MASK 0xffffffffu

// Inclusive scan of v across the 32 lanes of a warp.
__device__ int warp_inclusive_scan(int v, int lane) {
  for (int d = 1; d < 32; d <<= 1) {
    int up = __shfl_up_sync(FULL_MASK, v, d);
    if (lane >= d) v += up;
  }
  return v;
}

__global__ void block_scan(const int *in, int *scan, int *rank, int *block_counts, int n) {
  __shared__ int warp_sum[32], warp_count[32];
  int i = blockIdx.x * blockDim.x + threadIdx.x;
  int lane = threadIdx.x & 31, warp = threadIdx.x >> 5, warps = blockDim.x >> 5;
  int v = i < n ? in[i] : 0;
  bool flag = i < n && v % 3 == 0;

  int sum = warp_inclusive_scan(v, lane);
  unsigned ballot = __ballot_sync(FULL_MASK, flag);
  int before = __popc(ballot & ((1u << lane) - 1u));
  if (lane == 31) {
    warp_sum[warp] = sum;
    warp_count[warp] = __popc(ballot);
  }
  __syncthreads();

  if (warp == 0) {  // exclusive scan of the per-warp totals
    int s = lane < warps ? warp_sum[lane] : 0;
    int c = lane < warps ? warp_count[lane] : 0;
    int s_incl = warp_inclusive_scan(s, lane), c_incl = warp_inclusive_scan(c, lane);
    if (lane < warps) {
      warp_sum[lane] = s_incl - s;
      warp_count[lane] = c_incl - c;
    }
  }
  __syncthreads();

  sum += warp_sum[warp];
  before += warp_count[warp];
  if (i < n) {
    scan[i] = sum;
    rank[i] = flag ? before : -1;
  }
  if (threadIdx.x == blockDim.x - 1) block_counts[blockIdx.x] = before + (flag ? 1 : 0);
}

int main(void) {
  const int n = SCAN_N;
  const size_t bytes = n * sizeof(int);
  int32_t *x = (int32_t *)xmalloc(bytes);
  int32_t *scan = (int32_t *)xmalloc(bytes), *rank = (int32_t *)xmalloc(bytes);
  int32_t *want_scan = (int32_t *)xmalloc(bytes), *want_rank = (int32_t *)xmalloc(bytes);
  int32_t counts[SCAN_BLOCKS], want_counts[SCAN_BLOCKS];
  scan_inputs(x, n);

  int *d_x, *d_scan, *d_rank, *d_counts;
  CUDA_CHECK(cudaMalloc(&d_x, bytes));
  CUDA_CHECK(cudaMalloc(&d_scan, bytes));
  CUDA_CHECK(cudaMalloc(&d_rank, bytes));
  CUDA_CHECK(cudaMalloc(&d_counts, sizeof counts));
  CUDA_CHECK(cudaMemcpy(d_x, x, bytes, cudaMemcpyHostToDevice));
  block_scan<<<SCAN_BLOCKS, SCAN_BLOCK>>>(d_x, d_scan, d_rank, d_counts, n);
  CUDA_CHECK_LAUNCH();
  CUDA_CHECK(cudaMemcpy(scan, d_scan, bytes, cudaMemcpyDeviceToHost));
  CUDA_CHECK(cudaMemcpy(rank, d_rank, bytes, cudaMemcpyDeviceToHost));
  CUDA_CHECK(cudaMemcpy(counts, d_counts, sizeof counts, cudaMemcpyDeviceToHost));

  scan_ref(x, n, want_scan, want_rank, want_counts);
  size_t bad = kc_compare_i32("scan", scan, want_scan, n);
  bad += kc_compare_i32("rank", rank, want_rank, n);
  bad += kc_compare_i32("block_counts", counts, want_counts, SCAN_BLOCKS);

  CUDA_CHECK(cudaFree(d_x));
  CUDA_CHECK(cudaFree(d_scan));
  CUDA_CHECK(cudaFree(d_rank));
  CUDA_CHECK(cudaFree(d_counts));
  free(x); free(scan); free(rank); free(want_scan); free(want_rank);
  return kc_finish("scan", bad);
}

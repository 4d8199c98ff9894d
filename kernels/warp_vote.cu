// warp_vote.cu - warp-level intrinsics with divergence: votes, shuffles (xor, down, indexed,
// partial masks in divergent branches), matches, and a divergent loop that reconverges.
#include "cuda_check.h"
#include "warp_vote.h"

#define FULL_MASK 0xffffffffu

__global__ void warp_vote(const int *x, unsigned *out, int n) {
  int i = blockIdx.x * blockDim.x + threadIdx.x;   // n is whole warps: no thread exits early
  int lane = threadIdx.x & 31, warp = i / 32;
  int v = x[i];
  bool odd = v & 1;

  unsigned ballot = __ballot_sync(FULL_MASK, odd);
  out[WV_BALLOT * n + i] = ballot;
  out[WV_ALL_ANY * n + i] = (__all_sync(FULL_MASK, odd) ? 1u : 0u) | (__any_sync(FULL_MASK, odd) ? 2u : 0u);

  int sum = v;
  for (int d = 16; d >= 1; d >>= 1) sum += __shfl_xor_sync(FULL_MASK, sum, d);
  out[WV_XOR_SUM * n + i] = (unsigned)sum;

  int down = v;
  for (int d = 16; d >= 1; d >>= 1) down += __shfl_down_sync(FULL_MASK, down, d);
  out[WV_DOWN_SUM * n + i] = (unsigned)down;

  out[WV_BROADCAST * n + i] = (unsigned)__shfl_sync(FULL_MASK, v, warp % 32);

  int key = (warp % 3 == 1) ? 7 : v % 5;
  out[WV_MATCH_ANY * n + i] = __match_any_sync(FULL_MASK, key);
  int all_equal;
  unsigned match_all = __match_all_sync(FULL_MASK, key, &all_equal);
  out[WV_MATCH_ALL * n + i] = match_all ^ (unsigned)all_equal;

  int got;
  if (odd)
    got = __shfl_sync(ballot, v, __ffs(ballot) - 1);
  else
    got = __shfl_sync(~ballot, v, 31 - __clz(~ballot));
  out[WV_DIVERGENT * n + i] = (unsigned)got;

  int acc = 0;
  for (int k = 0; k < v % 13; k++) {
    if ((k + lane) % 3 == 0) continue;
    acc += k * lane;
    if (acc > 200) break;
  }
  out[WV_LOOP * n + i] = (unsigned)acc;
  __syncwarp();
  for (int d = 16; d >= 1; d >>= 1) acc += __shfl_xor_sync(FULL_MASK, acc, d);
  out[WV_LOOP_SUM * n + i] = (unsigned)acc;
}

int main(void) {
  const int n = WARP_VOTE_N;
  const size_t bytes = n * sizeof(int), out_bytes = WV_COLUMNS * n * sizeof(unsigned);
  int32_t *x = (int32_t *)xmalloc(bytes);
  uint32_t *got = (uint32_t *)xmalloc(out_bytes), *want = (uint32_t *)xmalloc(out_bytes);
  warp_vote_inputs(x, n);

  int *d_x;
  unsigned *d_out;
  CUDA_CHECK(cudaMalloc(&d_x, bytes));
  CUDA_CHECK(cudaMalloc(&d_out, out_bytes));
  CUDA_CHECK(cudaMemcpy(d_x, x, bytes, cudaMemcpyHostToDevice));
  warp_vote<<<WARP_VOTE_BLOCKS, WARP_VOTE_BLOCK>>>(d_x, d_out, n);
  CUDA_CHECK_LAUNCH();
  CUDA_CHECK(cudaMemcpy(got, d_out, out_bytes, cudaMemcpyDeviceToHost));

  warp_vote_ref(x, n, want);
  size_t bad = warp_vote_compare(got, want, n);

  CUDA_CHECK(cudaFree(d_x));
  CUDA_CHECK(cudaFree(d_out));
  free(x); free(got); free(want);
  return kc_finish("warp_vote", bad);
}

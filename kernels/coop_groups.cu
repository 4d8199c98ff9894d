// coop_groups.cu - cooperative groups: thread_block, tiled_partition<16>, cg::reduce, tile
// shuffles and votes, meta-group queries, block.sync().
#include <cooperative_groups.h>
#include <cooperative_groups/reduce.h>
#include "cuda_check.h"
#include "coop_groups.h"

namespace cg = cooperative_groups;

__global__ void coop_groups(const int *x, unsigned *out, int n) {
  __shared__ int tile_sums[COOP_BLOCK / COOP_TILE];
  cg::thread_block block = cg::this_thread_block();
  cg::thread_block_tile<COOP_TILE> tile = cg::tiled_partition<COOP_TILE>(block);
  int i = block.group_index().x * block.size() + block.thread_rank();
  int v = x[i];

  int sum = cg::reduce(tile, v, cg::plus<int>());
  out[CG_REDUCE * n + i] = (unsigned)sum;
  int down = v;
  for (int d = tile.size() / 2; d >= 1; d /= 2) down += tile.shfl_down(down, d);
  out[CG_DOWN * n + i] = (unsigned)down;
  out[CG_BALLOT * n + i] = tile.ballot(v > 0);
  out[CG_ANY_ALL * n + i] = (tile.any(v > 500) ? 1u : 0u) | (tile.all(v > 0) ? 2u : 0u);
  out[CG_META * n + i] = (unsigned)tile.meta_group_rank() | (unsigned)tile.meta_group_size() << 8;

  if (tile.thread_rank() == 0) tile_sums[tile.meta_group_rank()] = sum;
  block.sync();
  int block_sum = 0;
  for (unsigned t = 0; t < tile.meta_group_size(); t++) block_sum += tile_sums[t];
  out[CG_BLOCK_SUM * n + i] = (unsigned)block_sum;
}

int main(void) {
  const int n = COOP_N;
  const size_t bytes = n * sizeof(int), out_bytes = CG_COLUMNS * n * sizeof(unsigned);
  int32_t *x = (int32_t *)xmalloc(bytes);
  uint32_t *got = (uint32_t *)xmalloc(out_bytes), *want = (uint32_t *)xmalloc(out_bytes);
  coop_inputs(x, n);

  int *d_x;
  unsigned *d_out;
  CUDA_CHECK(cudaMalloc(&d_x, bytes));
  CUDA_CHECK(cudaMalloc(&d_out, out_bytes));
  CUDA_CHECK(cudaMemcpy(d_x, x, bytes, cudaMemcpyHostToDevice));
  coop_groups<<<COOP_BLOCKS, COOP_BLOCK>>>(d_x, d_out, n);
  CUDA_CHECK_LAUNCH();
  CUDA_CHECK(cudaMemcpy(got, d_out, out_bytes, cudaMemcpyDeviceToHost));

  coop_ref(x, n, want);
  size_t bad = coop_compare(got, want, n);

  CUDA_CHECK(cudaFree(d_x));
  CUDA_CHECK(cudaFree(d_out));
  free(x); free(got); free(want);
  return kc_finish("coop_groups", bad);
}

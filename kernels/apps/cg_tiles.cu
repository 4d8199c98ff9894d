// cg_tiles: cooperative-groups constructs of NVIDIA's reduction-style samples, built for sm_90.
// Tiles wider than a warp (64..512 threads) keep their barriers in the CTA's reserved shared
// memory (%reserved_smem_offset_1 on sm_80+); cg::reduce over 32-, 64- and 256-thread tiles
// of int, unsigned and double; a warp tile's min/max; a shuffle right after one lane of the
// warp spun on a flag another warp sets. Each result is checked against the CPU.
#include <cooperative_groups.h>
#include <cooperative_groups/reduce.h>

#include <cstdio>
#include <cstdlib>
#include <vector>

namespace cg = cooperative_groups;

#define CHECK(x)                                                                        \
  do {                                                                                  \
    cudaError_t e_ = (x);                                                               \
    if (e_ != cudaSuccess) {                                                            \
      printf("FAIL cg_tiles: %s: %s (line %d)\n", #x, cudaGetErrorString(e_), __LINE__); \
      exit(1);                                                                          \
    }                                                                                   \
  } while (0)

// Each tile writes its sum and its thread count (tile.num_threads()) to its own slot.
template <int TILE, class T>
__global__ void tile_sums(const T *in, T *sums, unsigned *sizes) {
  __shared__ cg::block_tile_memory<512> scratch;
  cg::thread_block block = cg::this_thread_block(scratch);
  cg::thread_block_tile<TILE> tile = cg::tiled_partition<TILE>(block);
  unsigned gid = blockIdx.x * blockDim.x + threadIdx.x;
  T v = in[gid];
  T s = cg::reduce(tile, v, cg::plus<T>());
  unsigned slot = gid / TILE;
  if (tile.thread_rank() == 0) sizes[slot] = tile.num_threads();
  if (tile.thread_rank() == TILE - 1) sums[slot] = s;  // every rank gets the result
  tile.sync();
}

// A warp tile's maximum and minimum (redux.sync for 32-bit integers on sm_80+).
__global__ void warp_extremes(const int *in, int *mx, int *mn) {
  cg::thread_block_tile<32> warp = cg::tiled_partition<32>(cg::this_thread_block());
  unsigned gid = blockIdx.x * blockDim.x + threadIdx.x;
  int hi = cg::reduce(warp, in[gid], cg::greater<int>());
  int lo = cg::reduce(warp, in[gid], cg::less<int>());
  if (warp.thread_rank() == 0) mx[gid / 32] = hi, mn[gid / 32] = lo;
}

// Lane 0 of warp 0 spins until warp 1 raises a flag, then sets the value the whole warp then
// reads with a shuffle: the other lanes of warp 0 must wait for it at __shfl_sync.
__global__ void spin_then_shuffle(int *out) {
  __shared__ volatile int flag;
  if (threadIdx.x == 0) flag = 0;
  __syncthreads();
  int v = threadIdx.x;
  if (threadIdx.x == 32) flag = 1;
  if (threadIdx.x == 0) {
    while (flag == 0) {
    }
    v = flag * 1000;
  }
  out[threadIdx.x] = __shfl_sync(0xffffffffu, v, 0);
}

static int check_spin_shuffle(void) {
  int *d, h[64];
  CHECK(cudaMalloc(&d, sizeof h));
  spin_then_shuffle<<<1, 64>>>(d);
  CHECK(cudaGetLastError());
  CHECK(cudaMemcpy(h, d, sizeof h, cudaMemcpyDeviceToHost));
  CHECK(cudaFree(d));
  int bad = 0;
  for (int i = 0; i < 64; i++) bad += h[i] != (i < 32 ? 1000 : 32);
  if (bad) printf("spin_then_shuffle: lane 1 read %d, lane 33 read %d\n", h[1], h[33]);
  return bad;
}

template <int TILE, class T>
static int check_tiles(const char *type, T (*gen)(unsigned)) {
  const unsigned blocks = 6, threads = 512, n = blocks * threads, tiles = n / TILE;
  std::vector<T> h(n);
  for (unsigned i = 0; i < n; i++) h[i] = gen(i);
  T *din, *dsums;
  unsigned *dsizes;
  CHECK(cudaMalloc(&din, n * sizeof(T)));
  CHECK(cudaMalloc(&dsums, tiles * sizeof(T)));
  CHECK(cudaMalloc(&dsizes, tiles * sizeof(unsigned)));
  CHECK(cudaMemcpy(din, h.data(), n * sizeof(T), cudaMemcpyHostToDevice));
  CHECK(cudaMemset(dsums, 0, tiles * sizeof(T)));
  tile_sums<TILE, T><<<blocks, threads>>>(din, dsums, dsizes);
  CHECK(cudaGetLastError());
  std::vector<T> sums(tiles);
  std::vector<unsigned> sizes(tiles);
  CHECK(cudaMemcpy(sums.data(), dsums, tiles * sizeof(T), cudaMemcpyDeviceToHost));
  CHECK(cudaMemcpy(sizes.data(), dsizes, tiles * sizeof(unsigned), cudaMemcpyDeviceToHost));
  int bad = 0;
  for (unsigned t = 0; t < tiles; t++) {
    T ref = 0;
    for (unsigned i = 0; i < TILE; i++) ref += h[t * TILE + i];
    if (sums[t] != ref || sizes[t] != TILE) {
      if (bad++ < 3) printf("tile<%d> %s #%u: sum %g (want %g), size %u\n", TILE, type, t, (double)sums[t], (double)ref, sizes[t]);
    }
  }
  CHECK(cudaFree(din));
  CHECK(cudaFree(dsums));
  CHECK(cudaFree(dsizes));
  return bad;
}

static int gen_int(unsigned i) { return (int)((i * 2654435761u) >> 20) - 2048; }
static unsigned gen_uint(unsigned i) { return (i * 40503u) ^ (i << 20); }
static double gen_double(unsigned i) { return (double)(i % 97) * 0.25 - 7.0; }

static int check_extremes(void) {
  const unsigned n = 4 * 256, warps = n / 32;
  std::vector<int> h(n);
  for (unsigned i = 0; i < n; i++) h[i] = gen_int(i * 7 + 3);
  int *din, *dmx, *dmn;
  CHECK(cudaMalloc(&din, n * sizeof(int)));
  CHECK(cudaMalloc(&dmx, warps * sizeof(int)));
  CHECK(cudaMalloc(&dmn, warps * sizeof(int)));
  CHECK(cudaMemcpy(din, h.data(), n * sizeof(int), cudaMemcpyHostToDevice));
  warp_extremes<<<4, 256>>>(din, dmx, dmn);
  CHECK(cudaGetLastError());
  std::vector<int> mx(warps), mn(warps);
  CHECK(cudaMemcpy(mx.data(), dmx, warps * sizeof(int), cudaMemcpyDeviceToHost));
  CHECK(cudaMemcpy(mn.data(), dmn, warps * sizeof(int), cudaMemcpyDeviceToHost));
  int bad = 0;
  for (unsigned w = 0; w < warps; w++) {
    int hi = h[w * 32], lo = h[w * 32];
    for (unsigned i = 1; i < 32; i++) hi = h[w * 32 + i] > hi ? h[w * 32 + i] : hi, lo = h[w * 32 + i] < lo ? h[w * 32 + i] : lo;
    if (mx[w] != hi || mn[w] != lo) bad++;
  }
  CHECK(cudaFree(din));
  CHECK(cudaFree(dmx));
  CHECK(cudaFree(dmn));
  return bad;
}

int main() {
  int bad = 0;
  bad += check_tiles<32, int>("int", gen_int);
  bad += check_tiles<64, int>("int", gen_int);
  bad += check_tiles<128, unsigned>("unsigned", gen_uint);
  bad += check_tiles<256, double>("double", gen_double);
  bad += check_tiles<512, int>("int", gen_int);
  bad += check_extremes();
  bad += check_spin_shuffle();
  if (bad) {
    printf("FAIL cg_tiles: %d wrong results\n", bad);
    return 1;
  }
  printf("PASS cg_tiles\n");
  return 0;
}

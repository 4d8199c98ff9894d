// grids.cu - 2D and 3D launch shapes: every thread derives its coordinates and a global id
// from blockIdx, threadIdx, blockDim and gridDim.
#include "cuda_check.h"
#include "grids.h"

__global__ void grid_2d(unsigned *coord, unsigned *id, int w, int h) {
  int x = blockIdx.x * blockDim.x + threadIdx.x;
  int y = blockIdx.y * blockDim.y + threadIdx.y;
  if (x >= w || y >= h) return;
  unsigned block = blockIdx.y * gridDim.x + blockIdx.x;
  unsigned thread = threadIdx.y * blockDim.x + threadIdx.x;
  coord[y * w + x] = (unsigned)y << 16 | (unsigned)x;
  id[y * w + x] = block * (blockDim.x * blockDim.y) + thread;
}

__global__ void grid_3d(unsigned *coord, unsigned *id, int w, int h, int d) {
  int x = blockIdx.x * blockDim.x + threadIdx.x;
  int y = blockIdx.y * blockDim.y + threadIdx.y;
  int z = blockIdx.z * blockDim.z + threadIdx.z;
  if (x >= w || y >= h || z >= d) return;
  unsigned block = (blockIdx.z * gridDim.y + blockIdx.y) * gridDim.x + blockIdx.x;
  unsigned thread = (threadIdx.z * blockDim.y + threadIdx.y) * blockDim.x + threadIdx.x;
  int at = (z * h + y) * w + x;
  coord[at] = (unsigned)z << 20 | (unsigned)y << 10 | (unsigned)x;
  id[at] = block * (blockDim.x * blockDim.y * blockDim.z) + thread;
}

// Runs one shape and compares both outputs; returns the mismatch count.
static size_t check_shape(const char *label, int count, const uint32_t *want_coord,
                          const uint32_t *want_id, bool three_d) {
  size_t bytes = count * sizeof(unsigned);
  uint32_t *coord = (uint32_t *)xmalloc(bytes), *id = (uint32_t *)xmalloc(bytes);
  unsigned *d_coord, *d_id;
  CUDA_CHECK(cudaMalloc(&d_coord, bytes));
  CUDA_CHECK(cudaMalloc(&d_id, bytes));
  if (three_d) {
    dim3 block(GRIDS_BX3, GRIDS_BY3, GRIDS_BZ3), grid(GRIDS_GX3, GRIDS_GY3, GRIDS_GZ3);
    grid_3d<<<grid, block>>>(d_coord, d_id, GRIDS_W3, GRIDS_H3, GRIDS_D3);
  } else {
    dim3 block(GRIDS_BX2, GRIDS_BY2), grid(GRIDS_GX2, GRIDS_GY2);
    grid_2d<<<grid, block>>>(d_coord, d_id, GRIDS_W2, GRIDS_H2);
  }
  CUDA_CHECK_LAUNCH();
  CUDA_CHECK(cudaMemcpy(coord, d_coord, bytes, cudaMemcpyDeviceToHost));
  CUDA_CHECK(cudaMemcpy(id, d_id, bytes, cudaMemcpyDeviceToHost));
  char name[64];
  snprintf(name, sizeof name, "%s coord", label);
  size_t bad = kc_compare_u32(name, coord, want_coord, count);
  snprintf(name, sizeof name, "%s id", label);
  bad += kc_compare_u32(name, id, want_id, count);
  CUDA_CHECK(cudaFree(d_coord));
  CUDA_CHECK(cudaFree(d_id));
  free(coord); free(id);
  return bad;
}

int main(void) {
  const int n2 = GRIDS_W2 * GRIDS_H2, n3 = GRIDS_W3 * GRIDS_H3 * GRIDS_D3;
  uint32_t *coord2 = (uint32_t *)xmalloc(n2 * sizeof(uint32_t)), *id2 = (uint32_t *)xmalloc(n2 * sizeof(uint32_t));
  uint32_t *coord3 = (uint32_t *)xmalloc(n3 * sizeof(uint32_t)), *id3 = (uint32_t *)xmalloc(n3 * sizeof(uint32_t));
  grids_ref_2d(coord2, id2);
  grids_ref_3d(coord3, id3);
  size_t bad = check_shape("2d", n2, coord2, id2, false);
  bad += check_shape("3d", n3, coord3, id3, true);
  free(coord2); free(id2); free(coord3); free(id3);
  return kc_finish("grids", bad);
}

/* custom_occupancy.c - cuOccupancyMaxPotentialBlockSize{,WithFlags} on the client.
 *
 * The caller may pass a function of the block size giving the dynamic shared memory a block of
 * that size needs; it lives in the client's address space, so the search runs here: each
 * candidate block size (a whole number of warps up to the kernel's limit) is asked of the agent
 * through cuOccupancyMaxActiveBlocksPerMultiprocessorWithFlags (cached), and the size that keeps
 * the most threads resident per SM wins, the larger one on ties, as CUDA's own calculator does. */
#include "gs_client.h"

static size_t smem_for(CUoccupancyB2DSize fn, size_t fixed, int threads) {
  return fn ? fn(threads) : fixed;
}

GS_EXPORT CUresult CUDAAPI cuOccupancyMaxPotentialBlockSizeWithFlags(
    int *minGridSize, int *blockSize, CUfunction func, CUoccupancyB2DSize blockSizeToDynamicSMemSize,
    size_t dynamicSMemSize, int blockSizeLimit, unsigned int flags) {
  if (!minGridSize || !blockSize || !func) return CUDA_ERROR_INVALID_VALUE;
  int limit = 0, warp = 32, sms = 0;
  CUdevice dev;
  CUresult e = cuFuncGetAttribute(&limit, CU_FUNC_ATTRIBUTE_MAX_THREADS_PER_BLOCK, func);
  if (!e) e = cuCtxGetDevice(&dev);
  if (!e) e = cuDeviceGetAttribute(&warp, CU_DEVICE_ATTRIBUTE_WARP_SIZE, dev);
  if (!e) e = cuDeviceGetAttribute(&sms, CU_DEVICE_ATTRIBUTE_MULTIPROCESSOR_COUNT, dev);
  if (e) return e;
  if (blockSizeLimit > 0 && blockSizeLimit < limit) limit = blockSizeLimit;
  if (warp <= 0) warp = 32;
  int best_threads = -1, best_size = 0, best_blocks = 0;
  for (int t = limit / warp * warp; t > 0; t -= warp) {
    int blocks = 0;
    e = cuOccupancyMaxActiveBlocksPerMultiprocessorWithFlags(
        &blocks, func, t, smem_for(blockSizeToDynamicSMemSize, dynamicSMemSize, t), flags);
    if (e) return e;
    if (blocks * t > best_threads) {
      best_threads = blocks * t;
      best_size = t;
      best_blocks = blocks;
    }
  }
  *blockSize = best_size;
  *minGridSize = best_blocks * sms;
  return CUDA_SUCCESS;
}

GS_EXPORT CUresult CUDAAPI cuOccupancyMaxPotentialBlockSize(int *minGridSize, int *blockSize,
                                                            CUfunction func,
                                                            CUoccupancyB2DSize blockSizeToDynamicSMemSize,
                                                            size_t dynamicSMemSize, int blockSizeLimit) {
  return cuOccupancyMaxPotentialBlockSizeWithFlags(minGridSize, blockSize, func,
                                                   blockSizeToDynamicSMemSize, dynamicSMemSize,
                                                   blockSizeLimit, CU_OCCUPANCY_DEFAULT);
}

/* driver_launch.c - kernel launches (cuLaunchKernel, cuLaunchKernelEx) and occupancy queries.
 *
 * A launch validates its configuration against the device limits and the kernel, packs the
 * parameters (from kernelParams by the kernel's parameter layout, or from `extra`), and
 * queues an op that runs the grid through ptx_launch with a snapshot of live memory.
 * A fault breaks the context for good (sticky), as on a GPU: later calls return the error
 * until the context is destroyed or the primary context reset.
 */
#include "driver.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

typedef struct {
  const ptx_kernel *kernel;
  const char *name;
  ptx_launch_config cfg;
  uint8_t *params;
} launch_job;

CUresult cpudev_map_ptx_status(ptx_status s, const char *msg) {
  switch (s) {
  case PTX_OK: return CUDA_SUCCESS;
  case PTX_ERR_ILLEGAL_ADDRESS: return CUDA_ERROR_ILLEGAL_ADDRESS;
  case PTX_ERR_MISALIGNED: return CUDA_ERROR_MISALIGNED_ADDRESS;
  case PTX_ERR_ILLEGAL_INSTRUCTION: return CUDA_ERROR_ILLEGAL_INSTRUCTION;
  /* __assertfail traps with the assertion text ("Assertion ... failed"), trap does not */
  case PTX_ERR_TRAP: return msg && strcasestr(msg, "assert") ? CUDA_ERROR_ASSERT : CUDA_ERROR_LAUNCH_FAILED;
  case PTX_ERR_INVALID_VALUE: return CUDA_ERROR_INVALID_VALUE;
  case PTX_ERR_OUT_OF_RESOURCES: return CUDA_ERROR_LAUNCH_OUT_OF_RESOURCES;
  case PTX_ERR_NO_MEMORY: return CUDA_ERROR_OUT_OF_MEMORY;
  default: return CUDA_ERROR_LAUNCH_FAILED;
  }
}

/* Faults that leave the context unusable, as a GPU's do. */
static int is_sticky(CUresult r) {
  return r == CUDA_ERROR_ILLEGAL_ADDRESS || r == CUDA_ERROR_MISALIGNED_ADDRESS ||
         r == CUDA_ERROR_ILLEGAL_INSTRUCTION || r == CUDA_ERROR_ASSERT || r == CUDA_ERROR_LAUNCH_FAILED ||
         r == CUDA_ERROR_HARDWARE_STACK_ERROR || r == CUDA_ERROR_INVALID_PC;
}

static void run_launch(cpudev_op *op) {
  launch_job *j = op->arg;
  size_t n;
  ptx_range *ranges = cpudev_mem_snapshot(op->ctx, &n);
  if (!ranges) {
    cpudev_lock();
    op->ctx->async_error = CUDA_ERROR_OUT_OF_MEMORY;
    cpudev_unlock();
    return;
  }
  j->cfg.memory.ranges = ranges;
  j->cfg.memory.count = n;
  ptx_texture *textures = cpudev_tex_snapshot(op->ctx, ranges, n, &j->cfg.ntextures);
  j->cfg.textures = textures;
  j->cfg.heap = cpudev_heap_of(op->ctx);
  char err[512] = "";
  ptx_status s = ptx_launch(j->kernel, &j->cfg, err, sizeof err);
  free(textures);
  free(ranges);
  if (s == PTX_OK) return;
  CUresult r = cpudev_map_ptx_status(s, err);
  const char *rname = "";
  cuGetErrorName(r, &rname);
  cpudev_diag("kernel %s failed: %s (%s)", j->name, err[0] ? err : ptx_status_name(s), rname);
  cpudev_lock();
  if (is_sticky(r)) {
    if (!op->ctx->sticky) {
      op->ctx->sticky = r;
      snprintf(op->ctx->fault, sizeof op->ctx->fault, "kernel %.48s: %.160s (%.32s)", j->name,
               err[0] ? err : ptx_status_name(s), rname);
    }
  } else if (!op->ctx->async_error) {
    op->ctx->async_error = r;
  }
  cpudev_unlock();
}

/* cudaDeviceGetAttribute in kernels (dynamic parallelism): the device's attribute table. */
static int kernel_device_attribute(int attr, int device, int *value) {
  const cpudev_device *d = cpudev_device_at(device);
  return d ? cpudev_device_attribute(attr, d, value) : -1;
}

static void free_launch(cpudev_op *op) {
  launch_job *j = op->arg;
  if (!j) return;
  free(j->params);
  free(j);
}

/* Checks dimensions and shared memory against the device and the kernel. */
static CUresult check_config(CUfunction f, const unsigned grid[3], const unsigned block[3], unsigned shared) {
  static const unsigned grid_max[3] = {2147483647u, 65535u, 65535u};
  static const unsigned block_max[3] = {1024u, 1024u, 64u};
  for (int i = 0; i < 3; i++) {
    if (grid[i] == 0 || grid[i] > grid_max[i]) return CUDA_ERROR_INVALID_VALUE;
    if (block[i] == 0 || block[i] > block_max[i]) return CUDA_ERROR_INVALID_VALUE;
  }
  unsigned long long threads = (unsigned long long)block[0] * block[1] * block[2];
  unsigned max_threads = f->info->max_threads ? f->info->max_threads : 1024;
  if (threads > 1024) return CUDA_ERROR_INVALID_VALUE;
  if (threads > max_threads) return CUDA_ERROR_LAUNCH_OUT_OF_RESOURCES;
  const unsigned *req = f->info->reqntid;
  if (req[0] && (block[0] != req[0] || block[1] != (req[1] ? req[1] : 1) || block[2] != (req[2] ? req[2] : 1)))
    return CUDA_ERROR_INVALID_VALUE;
  size_t dyn_limit = f->max_dynamic_shared ? (size_t)f->max_dynamic_shared
                                           : CPUDEV_STATIC_SHARED_LIMIT > f->info->static_shared_bytes
                                                 ? CPUDEV_STATIC_SHARED_LIMIT - f->info->static_shared_bytes
                                                 : 0;
  if (shared > dyn_limit) return CUDA_ERROR_INVALID_VALUE;
  return CUDA_SUCCESS;
}

/* Where the last parameter ends: the least buffer size `extra` may pass. */
static size_t params_end(CUfunction f) {
  size_t end = 0, off, size;
  for (size_t i = 0; i < f->info->num_params; i++)
    if (ptx_kernel_param(f->kernel, i, &off, &size) == PTX_OK && off + size > end) end = off + size;
  return end;
}

/* Builds the packed parameter buffer from kernelParams or extra. */
static CUresult pack_params(CUfunction f, void **params, void **extra, uint8_t **out, size_t *out_size) {
  size_t size = f->info->param_bytes;
  if (params && extra) return CUDA_ERROR_INVALID_VALUE;
  uint8_t *buf = calloc(1, size ? size : 1);
  if (!buf) return CUDA_ERROR_OUT_OF_MEMORY;
  if (extra) {
    const void *ptr = NULL;
    const size_t *psize = NULL;
    size_t i = 0;
    for (; extra[i] != CU_LAUNCH_PARAM_END; i += 2) {
      if (extra[i] == CU_LAUNCH_PARAM_BUFFER_POINTER) ptr = extra[i + 1];
      else if (extra[i] == CU_LAUNCH_PARAM_BUFFER_SIZE) psize = extra[i + 1];
      else break;
    }
    size_t needed = params_end(f);   /* the last parameter's end; param_bytes may add padding */
    if (extra[i] != CU_LAUNCH_PARAM_END || (needed && (!ptr || !psize || *psize < needed))) {
      free(buf);
      return CUDA_ERROR_INVALID_VALUE;
    }
    if (needed) memcpy(buf, ptr, *psize < size ? *psize : size);
  } else {
    size_t n = f->info->num_params;
    if (n && !params) {
      free(buf);
      return CUDA_ERROR_INVALID_VALUE;
    }
    for (size_t i = 0; i < n; i++) {
      size_t off, psz;
      if (ptx_kernel_param(f->kernel, i, &off, &psz) != PTX_OK || off + psz > size || !params[i]) {
        free(buf);
        return CUDA_ERROR_INVALID_VALUE;
      }
      memcpy(buf + off, params[i], psz);
    }
  }
  *out = buf;
  *out_size = size;
  return CUDA_SUCCESS;
}

static int blocks_per_sm(CUfunction f, int threads, size_t smem);

/* Cooperative launches: every block resident at once, so the grid may not exceed what the
 * occupancy calculator allows on all SMs (CUDA_ERROR_COOPERATIVE_LAUNCH_TOO_LARGE). */
static CUresult check_cooperative(CUcontext ctx, CUfunction f, const unsigned grid[3], const unsigned block[3],
                                  unsigned shared) {
  const cpudev_device *dev = cpudev_device_at(ctx->device);
  int threads = (int)(block[0] * block[1] * block[2]);
  unsigned long long max = (unsigned long long)blocks_per_sm(f, threads, shared) * (dev ? dev->sm_count : 1);
  unsigned long long n = (unsigned long long)grid[0] * grid[1] * grid[2];
  return n > max ? CUDA_ERROR_COOPERATIVE_LAUNCH_TOO_LARGE : CUDA_SUCCESS;
}

static CUresult launch_grid(CUfunction f, const unsigned grid[3], const unsigned block[3], unsigned shared,
                            CUstream h, void **params, void **extra, int per_thread_default, int coop) {
  CUcontext ctx;
  CUresult r = cpudev_current_ctx(&ctx);
  if (r) return r;
  cpudev_lock();
  int valid = f && cpudev_func_is_valid(f);
  cpudev_unlock();
  if (!valid) return CUDA_ERROR_INVALID_HANDLE;
  if (f->module->ctx != ctx) return CUDA_ERROR_INVALID_CONTEXT;
  r = check_config(f, grid, block, shared);
  if (!r && coop) r = check_cooperative(ctx, f, grid, block, shared);
  if (r) return r;
  launch_job *j = calloc(1, sizeof *j);
  if (!j) return CUDA_ERROR_OUT_OF_MEMORY;
  r = pack_params(f, params, extra, &j->params, &j->cfg.params_size);
  if (r) {
    free(j);
    return r;
  }
  j->kernel = f->kernel;
  j->name = f->info->name;
  memcpy(j->cfg.grid, grid, sizeof j->cfg.grid);
  memcpy(j->cfg.block, block, sizeof j->cfg.block);
  j->cfg.dynamic_shared_bytes = shared;
  j->cfg.params = j->params;
  j->cfg.cooperative = coop;
  cpudev_lock();
  j->cfg.print = ctx->print;
  j->cfg.print_user = ctx->print_user;
  j->cfg.device = ctx->device;
  j->cfg.device_attribute = kernel_device_attribute;
  j->cfg.pending_launch_limit = (unsigned)ctx->limits[CU_LIMIT_DEV_RUNTIME_PENDING_LAUNCH_COUNT];
  cpudev_unlock();
  return cpudev_submit(h, per_thread_default, 0, run_launch, free_launch, j);
}

CUresult cpudev_launch(CUfunction f, const unsigned grid[3], const unsigned block[3], unsigned shared,
                       CUstream h, void **params, void **extra, int per_thread_default) {
  return launch_grid(f, grid, block, shared, h, params, extra, per_thread_default, 0);
}

CPUDEV_API CUresult cuLaunchCooperativeKernel(CUfunction f, unsigned int gridDimX, unsigned int gridDimY,
                                              unsigned int gridDimZ, unsigned int blockDimX, unsigned int blockDimY,
                                              unsigned int blockDimZ, unsigned int sharedMemBytes, CUstream hStream,
                                              void **kernelParams) {
  unsigned grid[3] = {gridDimX, gridDimY, gridDimZ}, block[3] = {blockDimX, blockDimY, blockDimZ};
  return launch_grid(f, grid, block, sharedMemBytes, hStream, kernelParams, NULL, 0, 1);
}

CPUDEV_API CUresult cuLaunchCooperativeKernel_ptsz(CUfunction f, unsigned int gridDimX, unsigned int gridDimY,
                                                   unsigned int gridDimZ, unsigned int blockDimX,
                                                   unsigned int blockDimY, unsigned int blockDimZ,
                                                   unsigned int sharedMemBytes, CUstream hStream,
                                                   void **kernelParams) {
  unsigned grid[3] = {gridDimX, gridDimY, gridDimZ}, block[3] = {blockDimX, blockDimY, blockDimZ};
  return launch_grid(f, grid, block, sharedMemBytes, hStream, kernelParams, NULL, 1, 1);
}

CPUDEV_API CUresult cuLaunchKernel(CUfunction f, unsigned int gridDimX, unsigned int gridDimY, unsigned int gridDimZ,
                                   unsigned int blockDimX, unsigned int blockDimY, unsigned int blockDimZ,
                                   unsigned int sharedMemBytes, CUstream hStream, void **kernelParams,
                                   void **extra) {
  unsigned grid[3] = {gridDimX, gridDimY, gridDimZ}, block[3] = {blockDimX, blockDimY, blockDimZ};
  return cpudev_launch(f, grid, block, sharedMemBytes, hStream, kernelParams, extra, 0);
}

CPUDEV_API CUresult cuLaunchKernel_ptsz(CUfunction f, unsigned int gridDimX, unsigned int gridDimY,
                                        unsigned int gridDimZ, unsigned int blockDimX, unsigned int blockDimY,
                                        unsigned int blockDimZ, unsigned int sharedMemBytes, CUstream hStream,
                                        void **kernelParams, void **extra) {
  unsigned grid[3] = {gridDimX, gridDimY, gridDimZ}, block[3] = {blockDimX, blockDimY, blockDimZ};
  return cpudev_launch(f, grid, block, sharedMemBytes, hStream, kernelParams, extra, 1);
}

/* cuLaunchKernelEx: attributes that change nothing here are accepted; others refused. */
static CUresult launch_ex(const CUlaunchConfig *config, CUfunction f, void **kernelParams, void **extra, int ptds) {
  if (!config) return CUDA_ERROR_INVALID_VALUE;
  int coop = 0;
  for (unsigned i = 0; i < config->numAttrs; i++) {
    const CUlaunchAttribute *a = &config->attrs[i];
    switch (a->id) {
    case CU_LAUNCH_ATTRIBUTE_IGNORE:
    case CU_LAUNCH_ATTRIBUTE_PRIORITY:
    case CU_LAUNCH_ATTRIBUTE_ACCESS_POLICY_WINDOW:
    case CU_LAUNCH_ATTRIBUTE_SYNCHRONIZATION_POLICY:
    case CU_LAUNCH_ATTRIBUTE_MEM_SYNC_DOMAIN:
    case CU_LAUNCH_ATTRIBUTE_MEM_SYNC_DOMAIN_MAP: break;
    case CU_LAUNCH_ATTRIBUTE_CLUSTER_DIMENSION:
      if (a->value.clusterDim.x * a->value.clusterDim.y * a->value.clusterDim.z > 1) return CUDA_ERROR_NOT_SUPPORTED;
      break;
    case CU_LAUNCH_ATTRIBUTE_COOPERATIVE:
      coop = a->value.cooperative != 0;
      break;
    default: return CUDA_ERROR_NOT_SUPPORTED;
    }
  }
  unsigned grid[3] = {config->gridDimX, config->gridDimY, config->gridDimZ};
  unsigned block[3] = {config->blockDimX, config->blockDimY, config->blockDimZ};
  return launch_grid(f, grid, block, config->sharedMemBytes, config->hStream, kernelParams, extra, ptds, coop);
}

CPUDEV_API CUresult cuLaunchKernelEx(const CUlaunchConfig *config, CUfunction f, void **kernelParams, void **extra) {
  return launch_ex(config, f, kernelParams, extra, 0);
}

CPUDEV_API CUresult cuLaunchKernelEx_ptsz(const CUlaunchConfig *config, CUfunction f, void **kernelParams,
                                          void **extra) {
  return launch_ex(config, f, kernelParams, extra, 1);
}

/* ---- occupancy ---- */

static CUresult func_checked(CUfunction f) {
  if (!f) return CUDA_ERROR_INVALID_HANDLE;
  cpudev_lock();
  int ok = cpudev_func_is_valid(f);
  cpudev_unlock();
  return ok ? CUDA_SUCCESS : CUDA_ERROR_INVALID_HANDLE;
}

/* Blocks of `threads` threads using `smem` dynamic shared bytes that fit on one SM. */
static int blocks_per_sm(CUfunction f, int threads, size_t smem) {
  if (threads <= 0) return 0;
  unsigned max_threads = f->info->max_threads ? f->info->max_threads : 1024;
  if ((unsigned)threads > max_threads) return 0;
  int warps = (threads + 31) / 32;
  int by_threads = 2048 / (warps * 32);
  unsigned regs = f->info->num_regs ? f->info->num_regs : 32;
  int by_regs = (int)(65536 / (regs * (unsigned)warps * 32));
  size_t per_block = f->info->static_shared_bytes + smem;
  int by_smem = per_block ? (int)(CPUDEV_SHARED_PER_SM / (per_block + 1024)) : 32;
  int n = 32;
  if (by_threads < n) n = by_threads;
  if (by_regs < n) n = by_regs;
  if (by_smem < n) n = by_smem;
  return n;
}

CPUDEV_API CUresult cuOccupancyMaxActiveBlocksPerMultiprocessorWithFlags(int *numBlocks, CUfunction func,
                                                                         int blockSize, size_t dynamicSMemSize,
                                                                         unsigned int flags) {
  (void)flags;
  if (!numBlocks) return CUDA_ERROR_INVALID_VALUE;
  CUresult r = func_checked(func);
  if (r) return r;
  *numBlocks = blocks_per_sm(func, blockSize, dynamicSMemSize);
  return CUDA_SUCCESS;
}

CPUDEV_API CUresult cuOccupancyMaxActiveBlocksPerMultiprocessor(int *numBlocks, CUfunction func, int blockSize,
                                                                size_t dynamicSMemSize) {
  return cuOccupancyMaxActiveBlocksPerMultiprocessorWithFlags(numBlocks, func, blockSize, dynamicSMemSize, 0);
}

CPUDEV_API CUresult cuOccupancyMaxPotentialBlockSizeWithFlags(int *minGridSize, int *blockSize, CUfunction func,
                                                              CUoccupancyB2DSize blockSizeToDynamicSMemSize,
                                                              size_t dynamicSMemSize, int blockSizeLimit,
                                                              unsigned int flags) {
  (void)flags;
  if (!minGridSize || !blockSize) return CUDA_ERROR_INVALID_VALUE;
  CUresult r = func_checked(func);
  if (r) return r;
  CUcontext ctx;
  r = cpudev_current_ctx(&ctx);
  if (r) return r;
  int limit = (int)(func->info->max_threads ? func->info->max_threads : 1024);
  if (blockSizeLimit > 0 && blockSizeLimit < limit) limit = blockSizeLimit;
  int best_threads = 0, best_size = 0;
  for (int t = 32; t <= limit; t += 32) {
    size_t smem = blockSizeToDynamicSMemSize ? blockSizeToDynamicSMemSize(t) : dynamicSMemSize;
    int active = blocks_per_sm(func, t, smem) * t;
    if (active >= best_threads) {
      best_threads = active;
      best_size = t;
    }
  }
  if (best_size == 0) best_size = limit;
  int per_sm = blocks_per_sm(func, best_size,
                             blockSizeToDynamicSMemSize ? blockSizeToDynamicSMemSize(best_size) : dynamicSMemSize);
  *blockSize = best_size;
  *minGridSize = per_sm * cpudev_device_at(ctx->device)->sm_count;
  return CUDA_SUCCESS;
}

CPUDEV_API CUresult cuOccupancyMaxPotentialBlockSize(int *minGridSize, int *blockSize, CUfunction func,
                                                     CUoccupancyB2DSize blockSizeToDynamicSMemSize,
                                                     size_t dynamicSMemSize, int blockSizeLimit) {
  return cuOccupancyMaxPotentialBlockSizeWithFlags(minGridSize, blockSize, func, blockSizeToDynamicSMemSize,
                                                   dynamicSMemSize, blockSizeLimit, 0);
}

CPUDEV_API CUresult cuOccupancyAvailableDynamicSMemPerBlock(size_t *dynamicSmemSize, CUfunction func, int numBlocks,
                                                            int blockSize) {
  if (!dynamicSmemSize || numBlocks <= 0 || blockSize <= 0) return CUDA_ERROR_INVALID_VALUE;
  CUresult r = func_checked(func);
  if (r) return r;
  if (blocks_per_sm(func, blockSize, 0) < numBlocks) {
    *dynamicSmemSize = 0;
    return CUDA_SUCCESS;
  }
  size_t per_block = CPUDEV_SHARED_PER_SM / (size_t)numBlocks;
  size_t used = func->info->static_shared_bytes + 1024;
  size_t avail = per_block > used ? per_block - used : 0;
  size_t cap = func->max_dynamic_shared ? (size_t)func->max_dynamic_shared : CPUDEV_OPTIN_SHARED_LIMIT;
  *dynamicSmemSize = avail < cap ? avail : cap;
  return CUDA_SUCCESS;
}

/* rt_launch.c - kernel launches: <<<>>> configuration, cudaLaunchKernel, function attributes,
 * occupancy.
 *
 * nvcc 13 host stubs call __cudaPushCallConfiguration (at the <<<>>> site), then in the stub
 * __cudaGetKernel once and __cudaPopCallConfiguration + __cudaLaunchKernel per launch. The
 * configuration is checked here against cached device limits, so a bad launch costs no round
 * trip and reports cudaErrorInvalidConfiguration as CUDA does. */
#include "runtime.h"

#include <stdint.h>
#include <string.h>

#define CONFIG_STACK_DEPTH 32

typedef struct {
  dim3 grid, block;
  size_t shared_mem;
  cudaStream_t stream;
} call_config;

static __thread call_config config_stack[CONFIG_STACK_DEPTH];
static __thread int config_depth;

RT_EXPORT unsigned __cudaPushCallConfiguration(dim3 gridDim, dim3 blockDim, size_t sharedMem,
                                               struct CUstream_st *stream) {
  if (config_depth >= CONFIG_STACK_DEPTH) return 1;
  config_stack[config_depth++] = (call_config){gridDim, blockDim, sharedMem, stream};
  return 0;
}

RT_EXPORT cudaError_t __cudaPopCallConfiguration(dim3 *gridDim, dim3 *blockDim, size_t *sharedMem,
                                                 void *stream) {
  if (config_depth <= 0) return cudaErrorMissingConfiguration;
  call_config c = config_stack[--config_depth];
  *gridDim = c.grid;
  *blockDim = c.block;
  *sharedMem = c.shared_mem;
  *(cudaStream_t *)stream = c.stream;
  return cudaSuccess;
}

static bool dims_within(dim3 d, int max_x, int max_y, int max_z) {
  return d.x > 0 && d.y > 0 && d.z > 0 && d.x <= (unsigned)max_x && d.y <= (unsigned)max_y &&
         d.z <= (unsigned)max_z;
}

static bool configuration_valid(dim3 grid, dim3 block) {
  int dev = rt_current_device();
  int max_threads = rt_device_attribute(dev, CU_DEVICE_ATTRIBUTE_MAX_THREADS_PER_BLOCK);
  uint64_t threads = (uint64_t)block.x * block.y * block.z;
  return dims_within(block, rt_device_attribute(dev, CU_DEVICE_ATTRIBUTE_MAX_BLOCK_DIM_X),
                     rt_device_attribute(dev, CU_DEVICE_ATTRIBUTE_MAX_BLOCK_DIM_Y),
                     rt_device_attribute(dev, CU_DEVICE_ATTRIBUTE_MAX_BLOCK_DIM_Z)) &&
         threads <= (uint64_t)max_threads &&
         dims_within(grid, rt_device_attribute(dev, CU_DEVICE_ATTRIBUTE_MAX_GRID_DIM_X),
                     rt_device_attribute(dev, CU_DEVICE_ATTRIBUTE_MAX_GRID_DIM_Y),
                     rt_device_attribute(dev, CU_DEVICE_ATTRIBUTE_MAX_GRID_DIM_Z));
}

static cudaError_t resolve_function(const void *func, CUfunction *out) {
  cudaError_t err = rt_ensure_context();
  if (err != cudaSuccess) return err;
  rt_function *fn = rt_find_function(func);
  if (!fn) return rt_set_error(cudaErrorInvalidDeviceFunction);
  return rt_function_handle(fn, out);
}

static cudaError_t launch_op(const void *func, dim3 grid, dim3 block, void **args, size_t shared_mem,
                             cudaStream_t stream, bool per_thread, bool coop) {
  CUfunction f;
  cudaError_t err = resolve_function(func, &f);
  if (err != cudaSuccess) return err;
  if (!configuration_valid(grid, block)) return rt_set_error(cudaErrorInvalidConfiguration);
  rt_op op = {.kind = RT_OP_KERNEL};
  op.u.kernel.func = func;
  op.u.kernel.f = f;
  op.u.kernel.grid = grid;
  op.u.kernel.block = block;
  op.u.kernel.shared = (unsigned)shared_mem;
  op.u.kernel.args = args;
  op.u.kernel.coop = coop;
  return rt_submit(stream, per_thread, &op);
}

static cudaError_t launch(const void *func, dim3 grid, dim3 block, void **args, size_t shared_mem,
                          cudaStream_t stream, bool per_thread) {
  return launch_op(func, grid, block, args, shared_mem, stream, per_thread, false);
}

/* Cooperative launches: every block resident at once, so cooperative_groups' grid.sync()
 * works; the driver refuses a grid larger than the device holds at once. */
RT_EXPORT cudaError_t cudaLaunchCooperativeKernel(const void *func, dim3 gridDim, dim3 blockDim,
                                                  void **args, size_t sharedMem, cudaStream_t stream) {
  return launch_op(func, gridDim, blockDim, args, sharedMem, stream, false, true);
}

RT_EXPORT cudaError_t cudaLaunchCooperativeKernel_ptsz(const void *func, dim3 gridDim, dim3 blockDim,
                                                       void **args, size_t sharedMem, cudaStream_t stream) {
  return launch_op(func, gridDim, blockDim, args, sharedMem, stream, true, true);
}

RT_EXPORT cudaError_t __cudaGetKernel(cudaKernel_t *kernel, const void *func) {
  rt_function *fn = rt_find_function(func);
  if (!kernel || !fn) return rt_set_error(cudaErrorInvalidDeviceFunction);
  *kernel = (cudaKernel_t)fn;
  return cudaSuccess;
}

RT_EXPORT cudaError_t __cudaLaunchKernel(cudaKernel_t kernel, dim3 gridDim, dim3 blockDim,
                                         void **args, size_t sharedMem, cudaStream_t stream) {
  return launch(kernel, gridDim, blockDim, args, sharedMem, stream, false);
}

RT_EXPORT cudaError_t __cudaLaunchKernel_ptsz(cudaKernel_t kernel, dim3 gridDim, dim3 blockDim,
                                              void **args, size_t sharedMem, cudaStream_t stream) {
  return launch(kernel, gridDim, blockDim, args, sharedMem, stream, true);
}

RT_EXPORT cudaError_t cudaLaunchKernel(const void *func, dim3 gridDim, dim3 blockDim, void **args,
                                       size_t sharedMem, cudaStream_t stream) {
  return launch(func, gridDim, blockDim, args, sharedMem, stream, false);
}

RT_EXPORT cudaError_t cudaLaunchKernel_ptsz(const void *func, dim3 gridDim, dim3 blockDim,
                                            void **args, size_t sharedMem, cudaStream_t stream) {
  return launch(func, gridDim, blockDim, args, sharedMem, stream, true);
}

/* cudaLaunchKernelEx (a C++ template) lands here. Launch attributes that change scheduling
 * only (priority, access policy) are accepted, cooperative makes a cooperative launch; the rest
 * are not supported yet. */
RT_EXPORT cudaError_t cudaLaunchKernelExC(const cudaLaunchConfig_t *config, const void *func,
                                          void **args) {
  if (!config) return rt_set_error(cudaErrorInvalidValue);
  bool coop = false;
  for (unsigned i = 0; i < config->numAttrs; i++) {
    cudaLaunchAttributeID id = config->attrs[i].id;
    if (id == cudaLaunchAttributeCooperative) coop = config->attrs[i].val.cooperative != 0;
    else if (id != cudaLaunchAttributePriority && id != cudaLaunchAttributeAccessPolicyWindow &&
             id != cudaLaunchAttributeIgnore)
      return rt_set_error(cudaErrorNotSupported);
  }
  return launch_op(func, config->gridDim, config->blockDim, args, config->dynamicSmemBytes,
                   config->stream, false, coop);
}

RT_EXPORT cudaError_t cudaGetFuncBySymbol(cudaFunction_t *functionPtr, const void *symbolPtr) {
  if (!functionPtr) return rt_set_error(cudaErrorInvalidValue);
  CUfunction f;
  cudaError_t err = resolve_function(symbolPtr, &f);
  if (err == cudaSuccess) *functionPtr = (cudaFunction_t)f;
  return err;
}

RT_EXPORT cudaError_t cudaFuncGetName(const char **name, const void *func) {
  rt_function *fn = rt_find_function(func);
  if (!name || !fn) return rt_set_error(!name ? cudaErrorInvalidValue : cudaErrorInvalidDeviceFunction);
  *name = rt_function_name(fn);
  return cudaSuccess;
}

/* ---- function attributes ---- */

typedef struct {
  size_t offset;
  rt_field_kind kind;
  CUfunction_attribute attribute;
} func_attr_field;

#define FATTR(field, kind, attr) {offsetof(struct cudaFuncAttributes, field), kind, attr}

static const func_attr_field func_attr_fields[] = {
  FATTR(sharedSizeBytes, RT_FIELD_SIZE, CU_FUNC_ATTRIBUTE_SHARED_SIZE_BYTES),
  FATTR(constSizeBytes, RT_FIELD_SIZE, CU_FUNC_ATTRIBUTE_CONST_SIZE_BYTES),
  FATTR(localSizeBytes, RT_FIELD_SIZE, CU_FUNC_ATTRIBUTE_LOCAL_SIZE_BYTES),
  FATTR(maxThreadsPerBlock, RT_FIELD_INT, CU_FUNC_ATTRIBUTE_MAX_THREADS_PER_BLOCK),
  FATTR(numRegs, RT_FIELD_INT, CU_FUNC_ATTRIBUTE_NUM_REGS),
  FATTR(ptxVersion, RT_FIELD_INT, CU_FUNC_ATTRIBUTE_PTX_VERSION),
  FATTR(binaryVersion, RT_FIELD_INT, CU_FUNC_ATTRIBUTE_BINARY_VERSION),
  FATTR(cacheModeCA, RT_FIELD_INT, CU_FUNC_ATTRIBUTE_CACHE_MODE_CA),
  FATTR(maxDynamicSharedSizeBytes, RT_FIELD_INT, CU_FUNC_ATTRIBUTE_MAX_DYNAMIC_SHARED_SIZE_BYTES),
  FATTR(preferredShmemCarveout, RT_FIELD_INT, CU_FUNC_ATTRIBUTE_PREFERRED_SHARED_MEMORY_CARVEOUT),
};

RT_EXPORT cudaError_t cudaFuncGetAttributes(struct cudaFuncAttributes *attr, const void *func) {
  if (!attr) return rt_set_error(cudaErrorInvalidValue);
  CUfunction f;
  cudaError_t err = resolve_function(func, &f);
  if (err != cudaSuccess) return err;
  memset(attr, 0, sizeof *attr);
  for (size_t i = 0; i < sizeof func_attr_fields / sizeof func_attr_fields[0]; i++) {
    const func_attr_field *field = &func_attr_fields[i];
    int value = 0;
    CUresult r = cuFuncGetAttribute(&value, field->attribute, f);
    if (r != CUDA_SUCCESS) return rt_check(r);
    rt_store_field(attr, field->offset, field->kind, value);
  }
  return cudaSuccess;
}

RT_EXPORT cudaError_t cudaFuncSetAttribute(const void *func, enum cudaFuncAttribute attr, int value) {
  CUfunction f;
  cudaError_t err = resolve_function(func, &f);
  /* cudaFuncAttribute and CUfunction_attribute share their numbering for settable ones. */
  return err != cudaSuccess ? err : rt_check(cuFuncSetAttribute(f, (CUfunction_attribute)attr, value));
}

RT_EXPORT cudaError_t cudaFuncSetCacheConfig(const void *func, enum cudaFuncCache cacheConfig) {
  CUfunction f;
  cudaError_t err = resolve_function(func, &f);
  return err != cudaSuccess ? err : rt_check(cuFuncSetCacheConfig(f, (CUfunc_cache)cacheConfig));
}

/* ---- occupancy ---- */

RT_EXPORT cudaError_t cudaOccupancyMaxActiveBlocksPerMultiprocessorWithFlags(
    int *numBlocks, const void *func, int blockSize, size_t dynamicSMemSize, unsigned int flags) {
  if (!numBlocks) return rt_set_error(cudaErrorInvalidValue);
  CUfunction f;
  cudaError_t err = resolve_function(func, &f);
  if (err != cudaSuccess) return err;
  return rt_check(cuOccupancyMaxActiveBlocksPerMultiprocessorWithFlags(numBlocks, f, blockSize,
                                                                       dynamicSMemSize, flags));
}

RT_EXPORT cudaError_t cudaOccupancyMaxActiveBlocksPerMultiprocessor(int *numBlocks, const void *func,
                                                                    int blockSize,
                                                                    size_t dynamicSMemSize) {
  return cudaOccupancyMaxActiveBlocksPerMultiprocessorWithFlags(numBlocks, func, blockSize,
                                                                dynamicSMemSize, 0);
}

RT_EXPORT cudaError_t cudaOccupancyAvailableDynamicSMemPerBlock(size_t *dynamicSmemSize,
                                                                const void *func, int numBlocks,
                                                                int blockSize) {
  if (!dynamicSmemSize) return rt_set_error(cudaErrorInvalidValue);
  CUfunction f;
  cudaError_t err = resolve_function(func, &f);
  if (err != cudaSuccess) return err;
  return rt_check(cuOccupancyAvailableDynamicSMemPerBlock(dynamicSmemSize, f, numBlocks, blockSize));
}

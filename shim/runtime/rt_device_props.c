/* rt_device_props.c - cudaGetDeviceProperties, built field by field from device attributes.
 *
 * cudaDeviceProp changes size across CUDA versions, so it never crosses the wire: each field is
 * filled from its CU_DEVICE_ATTRIBUTE_* (cached on the client), by the table below. */
#include "runtime.h"

#include <stddef.h>
#include <string.h>

typedef struct {
  size_t offset;
  rt_field_kind kind;
  CUdevice_attribute attribute;
} prop_field;

#define PROP(field, kind, attr) {offsetof(struct cudaDeviceProp, field), kind, attr}

static const prop_field prop_fields[] = {
  PROP(sharedMemPerBlock, RT_FIELD_SIZE, CU_DEVICE_ATTRIBUTE_MAX_SHARED_MEMORY_PER_BLOCK),
  PROP(regsPerBlock, RT_FIELD_INT, CU_DEVICE_ATTRIBUTE_MAX_REGISTERS_PER_BLOCK),
  PROP(warpSize, RT_FIELD_INT, CU_DEVICE_ATTRIBUTE_WARP_SIZE),
  PROP(memPitch, RT_FIELD_SIZE, CU_DEVICE_ATTRIBUTE_MAX_PITCH),
  PROP(maxThreadsPerBlock, RT_FIELD_INT, CU_DEVICE_ATTRIBUTE_MAX_THREADS_PER_BLOCK),
  PROP(maxThreadsDim[0], RT_FIELD_INT, CU_DEVICE_ATTRIBUTE_MAX_BLOCK_DIM_X),
  PROP(maxThreadsDim[1], RT_FIELD_INT, CU_DEVICE_ATTRIBUTE_MAX_BLOCK_DIM_Y),
  PROP(maxThreadsDim[2], RT_FIELD_INT, CU_DEVICE_ATTRIBUTE_MAX_BLOCK_DIM_Z),
  PROP(maxGridSize[0], RT_FIELD_INT, CU_DEVICE_ATTRIBUTE_MAX_GRID_DIM_X),
  PROP(maxGridSize[1], RT_FIELD_INT, CU_DEVICE_ATTRIBUTE_MAX_GRID_DIM_Y),
  PROP(maxGridSize[2], RT_FIELD_INT, CU_DEVICE_ATTRIBUTE_MAX_GRID_DIM_Z),
  PROP(totalConstMem, RT_FIELD_SIZE, CU_DEVICE_ATTRIBUTE_TOTAL_CONSTANT_MEMORY),
  PROP(major, RT_FIELD_INT, CU_DEVICE_ATTRIBUTE_COMPUTE_CAPABILITY_MAJOR),
  PROP(minor, RT_FIELD_INT, CU_DEVICE_ATTRIBUTE_COMPUTE_CAPABILITY_MINOR),
  PROP(textureAlignment, RT_FIELD_SIZE, CU_DEVICE_ATTRIBUTE_TEXTURE_ALIGNMENT),
  PROP(texturePitchAlignment, RT_FIELD_SIZE, CU_DEVICE_ATTRIBUTE_TEXTURE_PITCH_ALIGNMENT),
  PROP(multiProcessorCount, RT_FIELD_INT, CU_DEVICE_ATTRIBUTE_MULTIPROCESSOR_COUNT),
  PROP(integrated, RT_FIELD_INT, CU_DEVICE_ATTRIBUTE_INTEGRATED),
  PROP(canMapHostMemory, RT_FIELD_INT, CU_DEVICE_ATTRIBUTE_CAN_MAP_HOST_MEMORY),
  PROP(maxTexture1D, RT_FIELD_INT, CU_DEVICE_ATTRIBUTE_MAXIMUM_TEXTURE1D_WIDTH),
  PROP(maxTexture1DMipmap, RT_FIELD_INT, CU_DEVICE_ATTRIBUTE_MAXIMUM_TEXTURE1D_MIPMAPPED_WIDTH),
  PROP(maxTexture2D[0], RT_FIELD_INT, CU_DEVICE_ATTRIBUTE_MAXIMUM_TEXTURE2D_WIDTH),
  PROP(maxTexture2D[1], RT_FIELD_INT, CU_DEVICE_ATTRIBUTE_MAXIMUM_TEXTURE2D_HEIGHT),
  PROP(maxTexture3D[0], RT_FIELD_INT, CU_DEVICE_ATTRIBUTE_MAXIMUM_TEXTURE3D_WIDTH),
  PROP(maxTexture3D[1], RT_FIELD_INT, CU_DEVICE_ATTRIBUTE_MAXIMUM_TEXTURE3D_HEIGHT),
  PROP(maxTexture3D[2], RT_FIELD_INT, CU_DEVICE_ATTRIBUTE_MAXIMUM_TEXTURE3D_DEPTH),
  PROP(maxSurface1D, RT_FIELD_INT, CU_DEVICE_ATTRIBUTE_MAXIMUM_SURFACE1D_WIDTH),
  PROP(maxSurface2D[0], RT_FIELD_INT, CU_DEVICE_ATTRIBUTE_MAXIMUM_SURFACE2D_WIDTH),
  PROP(maxSurface2D[1], RT_FIELD_INT, CU_DEVICE_ATTRIBUTE_MAXIMUM_SURFACE2D_HEIGHT),
  PROP(surfaceAlignment, RT_FIELD_SIZE, CU_DEVICE_ATTRIBUTE_SURFACE_ALIGNMENT),
  PROP(concurrentKernels, RT_FIELD_INT, CU_DEVICE_ATTRIBUTE_CONCURRENT_KERNELS),
  PROP(ECCEnabled, RT_FIELD_INT, CU_DEVICE_ATTRIBUTE_ECC_ENABLED),
  PROP(pciBusID, RT_FIELD_INT, CU_DEVICE_ATTRIBUTE_PCI_BUS_ID),
  PROP(pciDeviceID, RT_FIELD_INT, CU_DEVICE_ATTRIBUTE_PCI_DEVICE_ID),
  PROP(pciDomainID, RT_FIELD_INT, CU_DEVICE_ATTRIBUTE_PCI_DOMAIN_ID),
  PROP(tccDriver, RT_FIELD_INT, CU_DEVICE_ATTRIBUTE_TCC_DRIVER),
  PROP(asyncEngineCount, RT_FIELD_INT, CU_DEVICE_ATTRIBUTE_ASYNC_ENGINE_COUNT),
  PROP(unifiedAddressing, RT_FIELD_INT, CU_DEVICE_ATTRIBUTE_UNIFIED_ADDRESSING),
  PROP(memoryBusWidth, RT_FIELD_INT, CU_DEVICE_ATTRIBUTE_GLOBAL_MEMORY_BUS_WIDTH),
  PROP(l2CacheSize, RT_FIELD_INT, CU_DEVICE_ATTRIBUTE_L2_CACHE_SIZE),
  PROP(persistingL2CacheMaxSize, RT_FIELD_INT, CU_DEVICE_ATTRIBUTE_MAX_PERSISTING_L2_CACHE_SIZE),
  PROP(maxThreadsPerMultiProcessor, RT_FIELD_INT, CU_DEVICE_ATTRIBUTE_MAX_THREADS_PER_MULTIPROCESSOR),
  PROP(streamPrioritiesSupported, RT_FIELD_INT, CU_DEVICE_ATTRIBUTE_STREAM_PRIORITIES_SUPPORTED),
  PROP(globalL1CacheSupported, RT_FIELD_INT, CU_DEVICE_ATTRIBUTE_GLOBAL_L1_CACHE_SUPPORTED),
  PROP(localL1CacheSupported, RT_FIELD_INT, CU_DEVICE_ATTRIBUTE_LOCAL_L1_CACHE_SUPPORTED),
  PROP(sharedMemPerMultiprocessor, RT_FIELD_SIZE, CU_DEVICE_ATTRIBUTE_MAX_SHARED_MEMORY_PER_MULTIPROCESSOR),
  PROP(regsPerMultiprocessor, RT_FIELD_INT, CU_DEVICE_ATTRIBUTE_MAX_REGISTERS_PER_MULTIPROCESSOR),
  PROP(managedMemory, RT_FIELD_INT, CU_DEVICE_ATTRIBUTE_MANAGED_MEMORY),
  PROP(isMultiGpuBoard, RT_FIELD_INT, CU_DEVICE_ATTRIBUTE_MULTI_GPU_BOARD),
  PROP(multiGpuBoardGroupID, RT_FIELD_INT, CU_DEVICE_ATTRIBUTE_MULTI_GPU_BOARD_GROUP_ID),
  PROP(hostNativeAtomicSupported, RT_FIELD_INT, CU_DEVICE_ATTRIBUTE_HOST_NATIVE_ATOMIC_SUPPORTED),
  PROP(pageableMemoryAccess, RT_FIELD_INT, CU_DEVICE_ATTRIBUTE_PAGEABLE_MEMORY_ACCESS),
  PROP(concurrentManagedAccess, RT_FIELD_INT, CU_DEVICE_ATTRIBUTE_CONCURRENT_MANAGED_ACCESS),
  PROP(computePreemptionSupported, RT_FIELD_INT, CU_DEVICE_ATTRIBUTE_COMPUTE_PREEMPTION_SUPPORTED),
  PROP(canUseHostPointerForRegisteredMem, RT_FIELD_INT, CU_DEVICE_ATTRIBUTE_CAN_USE_HOST_POINTER_FOR_REGISTERED_MEM),
  PROP(cooperativeLaunch, RT_FIELD_INT, CU_DEVICE_ATTRIBUTE_COOPERATIVE_LAUNCH),
  PROP(sharedMemPerBlockOptin, RT_FIELD_SIZE, CU_DEVICE_ATTRIBUTE_MAX_SHARED_MEMORY_PER_BLOCK_OPTIN),
  PROP(pageableMemoryAccessUsesHostPageTables, RT_FIELD_INT, CU_DEVICE_ATTRIBUTE_PAGEABLE_MEMORY_ACCESS_USES_HOST_PAGE_TABLES),
  PROP(directManagedMemAccessFromHost, RT_FIELD_INT, CU_DEVICE_ATTRIBUTE_DIRECT_MANAGED_MEM_ACCESS_FROM_HOST),
  PROP(maxBlocksPerMultiProcessor, RT_FIELD_INT, CU_DEVICE_ATTRIBUTE_MAX_BLOCKS_PER_MULTIPROCESSOR),
  PROP(accessPolicyMaxWindowSize, RT_FIELD_INT, CU_DEVICE_ATTRIBUTE_MAX_ACCESS_POLICY_WINDOW_SIZE),
  PROP(reservedSharedMemPerBlock, RT_FIELD_SIZE, CU_DEVICE_ATTRIBUTE_RESERVED_SHARED_MEMORY_PER_BLOCK),
  PROP(hostRegisterSupported, RT_FIELD_INT, CU_DEVICE_ATTRIBUTE_HOST_REGISTER_SUPPORTED),
  PROP(sparseCudaArraySupported, RT_FIELD_INT, CU_DEVICE_ATTRIBUTE_SPARSE_CUDA_ARRAY_SUPPORTED),
  PROP(hostRegisterReadOnlySupported, RT_FIELD_INT, CU_DEVICE_ATTRIBUTE_READ_ONLY_HOST_REGISTER_SUPPORTED),
  PROP(timelineSemaphoreInteropSupported, RT_FIELD_INT, CU_DEVICE_ATTRIBUTE_TIMELINE_SEMAPHORE_INTEROP_SUPPORTED),
  PROP(memoryPoolsSupported, RT_FIELD_INT, CU_DEVICE_ATTRIBUTE_MEMORY_POOLS_SUPPORTED),
  PROP(gpuDirectRDMASupported, RT_FIELD_INT, CU_DEVICE_ATTRIBUTE_GPU_DIRECT_RDMA_SUPPORTED),
  PROP(gpuDirectRDMAFlushWritesOptions, RT_FIELD_UINT, CU_DEVICE_ATTRIBUTE_GPU_DIRECT_RDMA_FLUSH_WRITES_OPTIONS),
  PROP(gpuDirectRDMAWritesOrdering, RT_FIELD_INT, CU_DEVICE_ATTRIBUTE_GPU_DIRECT_RDMA_WRITES_ORDERING),
  PROP(memoryPoolSupportedHandleTypes, RT_FIELD_UINT, CU_DEVICE_ATTRIBUTE_MEMPOOL_SUPPORTED_HANDLE_TYPES),
  PROP(deferredMappingCudaArraySupported, RT_FIELD_INT, CU_DEVICE_ATTRIBUTE_DEFERRED_MAPPING_CUDA_ARRAY_SUPPORTED),
  PROP(ipcEventSupported, RT_FIELD_INT, CU_DEVICE_ATTRIBUTE_IPC_EVENT_SUPPORTED),
  PROP(clusterLaunch, RT_FIELD_INT, CU_DEVICE_ATTRIBUTE_CLUSTER_LAUNCH),
  PROP(unifiedFunctionPointers, RT_FIELD_INT, CU_DEVICE_ATTRIBUTE_UNIFIED_FUNCTION_POINTERS),
  PROP(deviceNumaConfig, RT_FIELD_INT, CU_DEVICE_ATTRIBUTE_NUMA_CONFIG),
  PROP(deviceNumaId, RT_FIELD_INT, CU_DEVICE_ATTRIBUTE_NUMA_ID),
  PROP(mpsEnabled, RT_FIELD_INT, CU_DEVICE_ATTRIBUTE_MPS_ENABLED),
  PROP(hostNumaId, RT_FIELD_INT, CU_DEVICE_ATTRIBUTE_HOST_NUMA_ID),
};

void rt_store_field(void *object, size_t offset, rt_field_kind kind, int value) {
  char *p = (char *)object + offset;
  switch (kind) {
  case RT_FIELD_INT: memcpy(p, &value, sizeof value); break;
  case RT_FIELD_UINT: { unsigned v = (unsigned)value; memcpy(p, &v, sizeof v); break; }
  case RT_FIELD_SIZE: { size_t v = (size_t)(unsigned)value; memcpy(p, &v, sizeof v); break; }
  }
}

RT_EXPORT cudaError_t cudaGetDeviceProperties(struct cudaDeviceProp *prop, int device) {
  if (!prop) return rt_set_error(cudaErrorInvalidValue);
  int count = 0;
  cudaError_t err = cudaGetDeviceCount(&count);
  if (err != cudaSuccess) return err;
  if (device < 0 || device >= count) return rt_set_error(cudaErrorInvalidDevice);
  memset(prop, 0, sizeof *prop);
  CUdevice dev;
  CUresult r = cuDeviceGet(&dev, device);
  if (r == CUDA_SUCCESS) r = cuDeviceGetName(prop->name, sizeof prop->name, dev);
  if (r == CUDA_SUCCESS) r = cuDeviceTotalMem(&prop->totalGlobalMem, dev);
  if (r == CUDA_SUCCESS) {
    CUuuid uuid;
    if (cuDeviceGetUuid(&uuid, dev) == CUDA_SUCCESS) memcpy(&prop->uuid, &uuid, sizeof uuid);
  }
  if (r != CUDA_SUCCESS) return rt_check(r);
  for (size_t i = 0; i < sizeof prop_fields / sizeof prop_fields[0]; i++)
    rt_store_field(prop, prop_fields[i].offset, prop_fields[i].kind,
                   rt_device_attribute(device, prop_fields[i].attribute));
  prop->memoryPoolsSupported = 1; /* the runtime keeps the pools: rt_mempool.c */
  return cudaSuccess;
}

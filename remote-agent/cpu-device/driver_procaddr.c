/* driver_procaddr.c - cuGetProcAddress: every function this libcuda exports, by base name.
 *
 * One row per exported symbol: the base name a caller asks for, the CUDA version that
 * introduced this ABI version of it, the function, and its per-thread-default-stream
 * variant (_ptds / _ptsz) where one exists. A request for (name, cudaVersion) gets the
 * newest row not newer than cudaVersion. tests/cpudev checks that every exported cu*
 * symbol is reachable through this table. cuda.h declares the legacy, _ptds and _ptsz
 * prototypes only with __CUDA_API_VERSION_INTERNAL, hence the define.
 */
#define __CUDA_API_VERSION_INTERNAL 1
#include "driver.h"

#include <string.h>

typedef struct {
  const char *name;
  int version;
  void *fn;
  void *per_thread_fn;
} proc_entry;

static const proc_entry proc_table[] = {
  {"cuCtxCreate", 0, (void *)cuCtxCreate, NULL},
  {"cuCtxCreate", 3020, (void *)cuCtxCreate_v2, NULL},
  {"cuCtxCreate", 11040, (void *)cuCtxCreate_v3, NULL},
  {"cuCtxCreate", 12050, (void *)cuCtxCreate_v4, NULL},
  {"cuCtxDestroy", 0, (void *)cuCtxDestroy, NULL},
  {"cuCtxDestroy", 4000, (void *)cuCtxDestroy_v2, NULL},
  {"cuCtxGetApiVersion", 0, (void *)cuCtxGetApiVersion, NULL},
  {"cuCtxGetCacheConfig", 0, (void *)cuCtxGetCacheConfig, NULL},
  {"cuCtxGetCurrent", 0, (void *)cuCtxGetCurrent, NULL},
  {"cuCtxGetDevice", 0, (void *)cuCtxGetDevice, NULL},
  {"cuCtxGetDevice", 13000, (void *)cuCtxGetDevice_v2, NULL},
  {"cuCtxGetFlags", 0, (void *)cuCtxGetFlags, NULL},
  {"cuCtxGetId", 0, (void *)cuCtxGetId, NULL},
  {"cuCtxGetLimit", 0, (void *)cuCtxGetLimit, NULL},
  {"cuCtxGetStreamPriorityRange", 0, (void *)cuCtxGetStreamPriorityRange, NULL},
  {"cuCtxPopCurrent", 0, (void *)cuCtxPopCurrent, NULL},
  {"cuCtxPopCurrent", 4000, (void *)cuCtxPopCurrent_v2, NULL},
  {"cuCtxPushCurrent", 0, (void *)cuCtxPushCurrent, NULL},
  {"cuCtxPushCurrent", 4000, (void *)cuCtxPushCurrent_v2, NULL},
  {"cuCtxRecordEvent", 0, (void *)cuCtxRecordEvent, NULL},
  {"cuCtxResetPersistingL2Cache", 0, (void *)cuCtxResetPersistingL2Cache, NULL},
  {"cuCtxSetCacheConfig", 0, (void *)cuCtxSetCacheConfig, NULL},
  {"cuCtxSetCurrent", 0, (void *)cuCtxSetCurrent, NULL},
  {"cuCtxSetFlags", 0, (void *)cuCtxSetFlags, NULL},
  {"cuCtxSetLimit", 0, (void *)cuCtxSetLimit, NULL},
  {"cuCtxSynchronize", 0, (void *)cuCtxSynchronize, NULL},
  {"cuCtxWaitEvent", 0, (void *)cuCtxWaitEvent, NULL},
  {"cuDeviceCanAccessPeer", 0, (void *)cuDeviceCanAccessPeer, NULL},
  {"cuDeviceComputeCapability", 0, (void *)cuDeviceComputeCapability, NULL},
  {"cuDeviceGet", 0, (void *)cuDeviceGet, NULL},
  {"cuDeviceGetAttribute", 0, (void *)cuDeviceGetAttribute, NULL},
  {"cuDeviceGetByPCIBusId", 0, (void *)cuDeviceGetByPCIBusId, NULL},
  {"cuDeviceGetCount", 0, (void *)cuDeviceGetCount, NULL},
  {"cuDeviceGetLuid", 0, (void *)cuDeviceGetLuid, NULL},
  {"cuDeviceGetName", 0, (void *)cuDeviceGetName, NULL},
  {"cuDeviceGetPCIBusId", 0, (void *)cuDeviceGetPCIBusId, NULL},
  {"cuDeviceGetProperties", 0, (void *)cuDeviceGetProperties, NULL},
  {"cuDeviceGetTexture1DLinearMaxWidth", 0, (void *)cuDeviceGetTexture1DLinearMaxWidth, NULL},
  {"cuDeviceGetUuid", 0, (void *)cuDeviceGetUuid, NULL},
  {"cuDeviceGetUuid", 11040, (void *)cuDeviceGetUuid_v2, NULL},
  {"cuDevicePrimaryCtxGetState", 0, (void *)cuDevicePrimaryCtxGetState, NULL},
  {"cuDevicePrimaryCtxRelease", 0, (void *)cuDevicePrimaryCtxRelease, NULL},
  {"cuDevicePrimaryCtxRelease", 11000, (void *)cuDevicePrimaryCtxRelease_v2, NULL},
  {"cuDevicePrimaryCtxReset", 0, (void *)cuDevicePrimaryCtxReset, NULL},
  {"cuDevicePrimaryCtxReset", 11000, (void *)cuDevicePrimaryCtxReset_v2, NULL},
  {"cuDevicePrimaryCtxRetain", 0, (void *)cuDevicePrimaryCtxRetain, NULL},
  {"cuDevicePrimaryCtxSetFlags", 0, (void *)cuDevicePrimaryCtxSetFlags, NULL},
  {"cuDevicePrimaryCtxSetFlags", 11000, (void *)cuDevicePrimaryCtxSetFlags_v2, NULL},
  {"cuDeviceTotalMem", 3020, (void *)cuDeviceTotalMem_v2, NULL},
  {"cuDriverGetVersion", 0, (void *)cuDriverGetVersion, NULL},
  {"cuEventCreate", 0, (void *)cuEventCreate, NULL},
  {"cuEventDestroy", 0, (void *)cuEventDestroy, NULL},
  {"cuEventDestroy", 4000, (void *)cuEventDestroy_v2, NULL},
  {"cuEventElapsedTime", 0, (void *)cuEventElapsedTime, NULL},
  {"cuEventElapsedTime", 12080, (void *)cuEventElapsedTime_v2, NULL},
  {"cuEventQuery", 0, (void *)cuEventQuery, NULL},
  {"cuEventRecord", 0, (void *)cuEventRecord, (void *)cuEventRecord_ptsz},
  {"cuEventRecordWithFlags", 0, (void *)cuEventRecordWithFlags, (void *)cuEventRecordWithFlags_ptsz},
  {"cuEventSynchronize", 0, (void *)cuEventSynchronize, NULL},
  {"cuFuncGetAttribute", 0, (void *)cuFuncGetAttribute, NULL},
  {"cuFuncGetModule", 0, (void *)cuFuncGetModule, NULL},
  {"cuFuncGetName", 0, (void *)cuFuncGetName, NULL},
  {"cuFuncGetParamInfo", 0, (void *)cuFuncGetParamInfo, NULL},
  {"cuFuncIsLoaded", 0, (void *)cuFuncIsLoaded, NULL},
  {"cuFuncLoad", 0, (void *)cuFuncLoad, NULL},
  {"cuFuncSetAttribute", 0, (void *)cuFuncSetAttribute, NULL},
  {"cuFuncSetCacheConfig", 0, (void *)cuFuncSetCacheConfig, NULL},
  {"cuGetErrorName", 0, (void *)cuGetErrorName, NULL},
  {"cuGetErrorString", 0, (void *)cuGetErrorString, NULL},
  {"cuGetExportTable", 0, (void *)cuGetExportTable, NULL},
  {"cuGetProcAddress", 0, (void *)cuGetProcAddress, NULL},
  {"cuGetProcAddress", 12000, (void *)cuGetProcAddress_v2, NULL},
  {"cuInit", 0, (void *)cuInit, NULL},
  {"cuKernelGetAttribute", 0, (void *)cuKernelGetAttribute, NULL},
  {"cuKernelGetFunction", 0, (void *)cuKernelGetFunction, NULL},
  {"cuKernelGetLibrary", 0, (void *)cuKernelGetLibrary, NULL},
  {"cuKernelGetName", 0, (void *)cuKernelGetName, NULL},
  {"cuKernelGetParamInfo", 0, (void *)cuKernelGetParamInfo, NULL},
  {"cuKernelSetAttribute", 0, (void *)cuKernelSetAttribute, NULL},
  {"cuKernelSetCacheConfig", 0, (void *)cuKernelSetCacheConfig, NULL},
  {"cuLaunchHostFunc", 0, (void *)cuLaunchHostFunc, (void *)cuLaunchHostFunc_ptsz},
  {"cuLaunchKernel", 0, (void *)cuLaunchKernel, (void *)cuLaunchKernel_ptsz},
  {"cuLaunchKernelEx", 0, (void *)cuLaunchKernelEx, (void *)cuLaunchKernelEx_ptsz},
  {"cuLibraryEnumerateKernels", 0, (void *)cuLibraryEnumerateKernels, NULL},
  {"cuLibraryGetGlobal", 0, (void *)cuLibraryGetGlobal, NULL},
  {"cuLibraryGetKernel", 0, (void *)cuLibraryGetKernel, NULL},
  {"cuLibraryGetKernelCount", 0, (void *)cuLibraryGetKernelCount, NULL},
  {"cuLibraryGetManaged", 0, (void *)cuLibraryGetManaged, NULL},
  {"cuLibraryGetModule", 0, (void *)cuLibraryGetModule, NULL},
  {"cuLibraryLoadData", 0, (void *)cuLibraryLoadData, NULL},
  {"cuLibraryLoadFromFile", 0, (void *)cuLibraryLoadFromFile, NULL},
  {"cuLibraryUnload", 0, (void *)cuLibraryUnload, NULL},
  {"cuMemAlloc", 3020, (void *)cuMemAlloc_v2, NULL},
  {"cuMemAllocHost", 3020, (void *)cuMemAllocHost_v2, NULL},
  {"cuMemAllocManaged", 0, (void *)cuMemAllocManaged, NULL},
  {"cuMemAllocPitch", 3020, (void *)cuMemAllocPitch_v2, NULL},
  {"cuMemFree", 3020, (void *)cuMemFree_v2, NULL},
  {"cuMemFreeHost", 0, (void *)cuMemFreeHost, NULL},
  {"cuMemGetAddressRange", 3020, (void *)cuMemGetAddressRange_v2, NULL},
  {"cuMemGetInfo", 3020, (void *)cuMemGetInfo_v2, NULL},
  {"cuMemHostAlloc", 0, (void *)cuMemHostAlloc, NULL},
  {"cuMemHostGetDevicePointer", 3020, (void *)cuMemHostGetDevicePointer_v2, NULL},
  {"cuMemHostGetFlags", 0, (void *)cuMemHostGetFlags, NULL},
  {"cuMemHostRegister", 0, (void *)cuMemHostRegister, NULL},
  {"cuMemHostRegister", 6050, (void *)cuMemHostRegister_v2, NULL},
  {"cuMemHostUnregister", 0, (void *)cuMemHostUnregister, NULL},
  {"cuMemcpy", 0, (void *)cuMemcpy, (void *)cuMemcpy_ptds},
  {"cuMemcpy2D", 3020, (void *)cuMemcpy2D_v2, (void *)cuMemcpy2D_v2_ptds},
  {"cuMemcpy2DAsync", 3020, (void *)cuMemcpy2DAsync_v2, (void *)cuMemcpy2DAsync_v2_ptsz},
  {"cuMemcpy2DUnaligned", 3020, (void *)cuMemcpy2DUnaligned_v2, (void *)cuMemcpy2DUnaligned_v2_ptds},
  {"cuMemcpy3D", 3020, (void *)cuMemcpy3D_v2, (void *)cuMemcpy3D_v2_ptds},
  {"cuMemcpy3DAsync", 3020, (void *)cuMemcpy3DAsync_v2, (void *)cuMemcpy3DAsync_v2_ptsz},
  {"cuMemcpyAsync", 0, (void *)cuMemcpyAsync, (void *)cuMemcpyAsync_ptsz},
  {"cuMemcpyDtoD", 3020, (void *)cuMemcpyDtoD_v2, (void *)cuMemcpyDtoD_v2_ptds},
  {"cuMemcpyDtoDAsync", 3020, (void *)cuMemcpyDtoDAsync_v2, (void *)cuMemcpyDtoDAsync_v2_ptsz},
  {"cuMemcpyDtoH", 3020, (void *)cuMemcpyDtoH_v2, (void *)cuMemcpyDtoH_v2_ptds},
  {"cuMemcpyDtoHAsync", 3020, (void *)cuMemcpyDtoHAsync_v2, (void *)cuMemcpyDtoHAsync_v2_ptsz},
  {"cuMemcpyHtoD", 3020, (void *)cuMemcpyHtoD_v2, (void *)cuMemcpyHtoD_v2_ptds},
  {"cuMemcpyHtoDAsync", 3020, (void *)cuMemcpyHtoDAsync_v2, (void *)cuMemcpyHtoDAsync_v2_ptsz},
  {"cuMemcpyPeer", 0, (void *)cuMemcpyPeer, NULL},
  {"cuMemcpyPeerAsync", 0, (void *)cuMemcpyPeerAsync, NULL},
  {"cuMemsetD16", 3020, (void *)cuMemsetD16_v2, (void *)cuMemsetD16_v2_ptds},
  {"cuMemsetD16Async", 0, (void *)cuMemsetD16Async, (void *)cuMemsetD16Async_ptsz},
  {"cuMemsetD2D16", 3020, (void *)cuMemsetD2D16_v2, (void *)cuMemsetD2D16_v2_ptds},
  {"cuMemsetD2D16Async", 0, (void *)cuMemsetD2D16Async, (void *)cuMemsetD2D16Async_ptsz},
  {"cuMemsetD2D32", 3020, (void *)cuMemsetD2D32_v2, (void *)cuMemsetD2D32_v2_ptds},
  {"cuMemsetD2D32Async", 0, (void *)cuMemsetD2D32Async, (void *)cuMemsetD2D32Async_ptsz},
  {"cuMemsetD2D8", 3020, (void *)cuMemsetD2D8_v2, (void *)cuMemsetD2D8_v2_ptds},
  {"cuMemsetD2D8Async", 0, (void *)cuMemsetD2D8Async, (void *)cuMemsetD2D8Async_ptsz},
  {"cuMemsetD32", 3020, (void *)cuMemsetD32_v2, (void *)cuMemsetD32_v2_ptds},
  {"cuMemsetD32Async", 0, (void *)cuMemsetD32Async, (void *)cuMemsetD32Async_ptsz},
  {"cuMemsetD8", 3020, (void *)cuMemsetD8_v2, (void *)cuMemsetD8_v2_ptds},
  {"cuMemsetD8Async", 0, (void *)cuMemsetD8Async, (void *)cuMemsetD8Async_ptsz},
  {"cuModuleEnumerateFunctions", 0, (void *)cuModuleEnumerateFunctions, NULL},
  {"cuModuleGetFunction", 0, (void *)cuModuleGetFunction, NULL},
  {"cuModuleGetFunctionCount", 0, (void *)cuModuleGetFunctionCount, NULL},
  {"cuModuleGetGlobal", 3020, (void *)cuModuleGetGlobal_v2, NULL},
  {"cuModuleGetLoadingMode", 0, (void *)cuModuleGetLoadingMode, NULL},
  {"cuModuleLoad", 0, (void *)cuModuleLoad, NULL},
  {"cuModuleLoadData", 0, (void *)cuModuleLoadData, NULL},
  {"cuModuleLoadDataEx", 0, (void *)cuModuleLoadDataEx, NULL},
  {"cuModuleLoadFatBinary", 0, (void *)cuModuleLoadFatBinary, NULL},
  {"cuModuleUnload", 0, (void *)cuModuleUnload, NULL},
  {"cuOccupancyAvailableDynamicSMemPerBlock", 0, (void *)cuOccupancyAvailableDynamicSMemPerBlock, NULL},
  {"cuOccupancyMaxActiveBlocksPerMultiprocessor", 0, (void *)cuOccupancyMaxActiveBlocksPerMultiprocessor, NULL},
  {"cuOccupancyMaxActiveBlocksPerMultiprocessorWithFlags", 0, (void *)cuOccupancyMaxActiveBlocksPerMultiprocessorWithFlags, NULL},
  {"cuOccupancyMaxPotentialBlockSize", 0, (void *)cuOccupancyMaxPotentialBlockSize, NULL},
  {"cuOccupancyMaxPotentialBlockSizeWithFlags", 0, (void *)cuOccupancyMaxPotentialBlockSizeWithFlags, NULL},
  {"cuPointerGetAttribute", 0, (void *)cuPointerGetAttribute, NULL},
  {"cuPointerGetAttributes", 0, (void *)cuPointerGetAttributes, NULL},
  {"cuPointerSetAttribute", 0, (void *)cuPointerSetAttribute, NULL},
  {"cuStreamAddCallback", 0, (void *)cuStreamAddCallback, (void *)cuStreamAddCallback_ptsz},
  {"cuStreamCreate", 0, (void *)cuStreamCreate, NULL},
  {"cuStreamCreateWithPriority", 0, (void *)cuStreamCreateWithPriority, NULL},
  {"cuStreamDestroy", 0, (void *)cuStreamDestroy, NULL},
  {"cuStreamDestroy", 4000, (void *)cuStreamDestroy_v2, NULL},
  {"cuStreamGetCtx", 0, (void *)cuStreamGetCtx, (void *)cuStreamGetCtx_ptsz},
  {"cuStreamGetDevice", 0, (void *)cuStreamGetDevice, (void *)cuStreamGetDevice_ptsz},
  {"cuStreamGetFlags", 0, (void *)cuStreamGetFlags, (void *)cuStreamGetFlags_ptsz},
  {"cuStreamGetId", 0, (void *)cuStreamGetId, (void *)cuStreamGetId_ptsz},
  {"cuStreamGetPriority", 0, (void *)cuStreamGetPriority, (void *)cuStreamGetPriority_ptsz},
  {"cuStreamQuery", 0, (void *)cuStreamQuery, (void *)cuStreamQuery_ptsz},
  {"cuStreamSynchronize", 0, (void *)cuStreamSynchronize, (void *)cuStreamSynchronize_ptsz},
  {"cuStreamWaitEvent", 0, (void *)cuStreamWaitEvent, (void *)cuStreamWaitEvent_ptsz},
  {"cuLinkAddData", 0, (void *)cuLinkAddData, NULL},
  {"cuLinkAddData", 6050, (void *)cuLinkAddData_v2, NULL},
  {"cuLinkAddFile", 0, (void *)cuLinkAddFile, NULL},
  {"cuLinkAddFile", 6050, (void *)cuLinkAddFile_v2, NULL},
  {"cuLinkComplete", 0, (void *)cuLinkComplete, NULL},
  {"cuLinkCreate", 0, (void *)cuLinkCreate, NULL},
  {"cuLinkCreate", 6050, (void *)cuLinkCreate_v2, NULL},
  {"cuLinkDestroy", 0, (void *)cuLinkDestroy, NULL},
  {"cuStreamIsCapturing", 0, (void *)cuStreamIsCapturing, (void *)cuStreamIsCapturing_ptsz},
  {"cuThreadExchangeStreamCaptureMode", 0, (void *)cuThreadExchangeStreamCaptureMode, NULL},
  {"cuMemPrefetchAsync", 12020, (void *)cuMemPrefetchAsync_v2, (void *)cuMemPrefetchAsync_v2_ptsz},
  {"cuMemAdvise", 12020, (void *)cuMemAdvise_v2, NULL},
  {"cuCtxEnablePeerAccess", 0, (void *)cuCtxEnablePeerAccess, NULL},
  {"cuCtxDisablePeerAccess", 0, (void *)cuCtxDisablePeerAccess, NULL},
};

CPUDEV_API CUresult cuGetProcAddress_v2(const char *symbol, void **pfn, int cudaVersion, cuuint64_t flags,
                                        CUdriverProcAddressQueryResult *symbolStatus) {
  if (symbolStatus) *symbolStatus = CU_GET_PROC_ADDRESS_SYMBOL_NOT_FOUND;
  if (!symbol || !pfn) return CUDA_ERROR_INVALID_VALUE;
  if (flags & ~(cuuint64_t)(CU_GET_PROC_ADDRESS_LEGACY_STREAM | CU_GET_PROC_ADDRESS_PER_THREAD_DEFAULT_STREAM))
    return CUDA_ERROR_INVALID_VALUE;
  *pfn = NULL;
  const proc_entry *best = NULL;
  int known = 0;
  for (size_t i = 0; i < sizeof proc_table / sizeof proc_table[0]; i++) {
    const proc_entry *e = &proc_table[i];
    if (strcmp(e->name, symbol) != 0) continue;
    known = 1;
    if (e->version <= cudaVersion && (!best || e->version > best->version)) best = e;
  }
  if (!best) {
    if (symbolStatus && known) *symbolStatus = CU_GET_PROC_ADDRESS_VERSION_NOT_SUFFICIENT;
    return CUDA_ERROR_NOT_FOUND;
  }
  int per_thread = (flags & CU_GET_PROC_ADDRESS_PER_THREAD_DEFAULT_STREAM) != 0;
  *pfn = per_thread && best->per_thread_fn ? best->per_thread_fn : best->fn;
  if (symbolStatus) *symbolStatus = CU_GET_PROC_ADDRESS_SUCCESS;
  return CUDA_SUCCESS;
}

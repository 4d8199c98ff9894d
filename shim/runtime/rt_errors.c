/* rt_errors.c - cudaGetErrorName/String, and mapping driver results to runtime errors.
 *
 * Names come from the generated table (driver_types.h is the spec). The texts are NVIDIA's
 * documented messages for the errors programs print most; any other code reads its name. */
#include "runtime.h"
#include "rt_errors.h"

typedef struct {
  cudaError_t code;
  const char *text;
} error_text;

static const error_text error_texts[] = {
  {cudaSuccess, "no error"},
  {cudaErrorInvalidValue, "invalid argument"},
  {cudaErrorMemoryAllocation, "out of memory"},
  {cudaErrorInitializationError, "initialization error"},
  {cudaErrorCudartUnloading, "driver shutting down"},
  {cudaErrorInvalidConfiguration, "invalid configuration argument"},
  {cudaErrorInvalidPitchValue, "invalid pitch argument"},
  {cudaErrorInvalidSymbol, "invalid device symbol"},
  {cudaErrorInvalidDevicePointer, "invalid device pointer"},
  {cudaErrorInvalidMemcpyDirection, "invalid copy direction for memcpy"},
  {cudaErrorInsufficientDriver, "CUDA driver version is insufficient for CUDA runtime version"},
  {cudaErrorNoDevice, "no CUDA-capable device is detected"},
  {cudaErrorInvalidDevice, "invalid device ordinal"},
  {cudaErrorSetOnActiveProcess, "cannot set while device is active in this process"},
  {cudaErrorNoKernelImageForDevice, "no kernel image is available for execution on the device"},
  {cudaErrorInvalidKernelImage, "device kernel image is invalid"},
  {cudaErrorInvalidPtx, "a PTX JIT compilation failed"},
  {cudaErrorInvalidSource, "device kernel image is invalid"},
  {cudaErrorInvalidResourceHandle, "invalid resource handle"},
  {cudaErrorSymbolNotFound, "named symbol not found"},
  {cudaErrorNotReady, "device not ready"},
  {cudaErrorIllegalAddress, "an illegal memory access was encountered"},
  {cudaErrorLaunchOutOfResources, "too many resources requested for launch"},
  {cudaErrorLaunchTimeout, "the launch timed out and was terminated"},
  {cudaErrorHostMemoryAlreadyRegistered, "part or all of the requested memory range is already mapped"},
  {cudaErrorHostMemoryNotRegistered, "pointer does not correspond to a registered memory region"},
  {cudaErrorAssert, "device-side assert triggered"},
  {cudaErrorIllegalInstruction, "an illegal instruction was encountered"},
  {cudaErrorMisalignedAddress, "misaligned address"},
  {cudaErrorInvalidPc, "invalid program counter"},
  {cudaErrorLaunchFailure, "unspecified launch failure"},
  {cudaErrorNotSupported, "operation not supported"},
  {cudaErrorInvalidDeviceFunction, "invalid device function"},
  {cudaErrorDevicesUnavailable, "CUDA-capable device(s) is/are busy or unavailable"},
  {cudaErrorNotPermitted, "operation not permitted"},
  {cudaErrorUnknown, "unknown error"},
};

static const char *error_name_or_null(int code) {
  for (size_t i = 0; i < rt_error_name_count; i++)
    if (rt_error_names[i].code == code) return rt_error_names[i].name;
  return NULL;
}

RT_EXPORT const char *cudaGetErrorName(cudaError_t error) {
  const char *name = error_name_or_null((int)error);
  return name ? name : "unrecognized error code";
}

RT_EXPORT const char *cudaGetErrorString(cudaError_t error) {
  for (size_t i = 0; i < sizeof error_texts / sizeof error_texts[0]; i++)
    if (error_texts[i].code == error) return error_texts[i].text;
  const char *name = error_name_or_null((int)error);
  return name ? name : "unrecognized error code";
}

/* NVIDIA numbers runtime errors to match the driver's wherever both exist; the few driver
 * results without a runtime twin read as the nearest documented runtime error. */
cudaError_t rt_error_from_driver(CUresult r) {
  switch (r) {
  case CUDA_SUCCESS: return cudaSuccess;
  case CUDA_ERROR_INVALID_CONTEXT: return cudaErrorDeviceUninitialized;
  case CUDA_ERROR_CONTEXT_ALREADY_CURRENT: return cudaErrorInvalidValue;
  case CUDA_ERROR_NOT_FOUND: return cudaErrorSymbolNotFound;
  default: break;
  }
  return error_name_or_null((int)r) ? (cudaError_t)r : cudaErrorUnknown;
}

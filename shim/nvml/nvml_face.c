/* nvml_face.c - libnvidia-ml.so.1 face of libgpushim.so: NVML basics over the driver API.
 *
 * Monitoring tools (nvidia-smi-like scripts, pynvml, framework device probes) see the remote
 * device: its name, UUID, memory and compute capability come from the same driver calls the
 * runtime uses, so they describe whatever device the agent runs. */
#include "nvml_api.h"

#include <cuda.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>

#define NVML_EXPORT __attribute__((visibility("default")))
#define NVML_MAX_DEVICES 64

static int initialized;
static int device_count;

/* Device handles are small integers offset by one, so NULL is never a valid handle. */
static nvmlDevice_t handle_of(int ordinal) { return (nvmlDevice_t)(uintptr_t)(ordinal + 1); }

static int ordinal_of(nvmlDevice_t device) {
  intptr_t v = (intptr_t)(uintptr_t)device - 1;
  return (v >= 0 && v < device_count) ? (int)v : -1;
}

static nvmlReturn_t from_driver(CUresult r) {
  switch (r) {
  case CUDA_SUCCESS: return NVML_SUCCESS;
  case CUDA_ERROR_NO_DEVICE:
  case CUDA_ERROR_NOT_INITIALIZED: return NVML_ERROR_DRIVER_NOT_LOADED;
  case CUDA_ERROR_INVALID_VALUE: return NVML_ERROR_INVALID_ARGUMENT;
  default: return NVML_ERROR_UNKNOWN;
  }
}

NVML_EXPORT nvmlReturn_t nvmlInitWithFlags(unsigned int flags) {
  (void)flags;
  CUresult r = cuInit(0);
  if (r == CUDA_SUCCESS) r = cuDeviceGetCount(&device_count);
  if (r != CUDA_SUCCESS) return from_driver(r);
  if (device_count > NVML_MAX_DEVICES) device_count = NVML_MAX_DEVICES;
  initialized++;
  return NVML_SUCCESS;
}

NVML_EXPORT nvmlReturn_t nvmlInit_v2(void) { return nvmlInitWithFlags(0); }
NVML_EXPORT nvmlReturn_t nvmlInit(void) { return nvmlInitWithFlags(0); }

NVML_EXPORT nvmlReturn_t nvmlShutdown(void) {
  if (!initialized) return NVML_ERROR_UNINITIALIZED;
  initialized--;
  return NVML_SUCCESS;
}

NVML_EXPORT const char *nvmlErrorString(nvmlReturn_t result) {
  switch (result) {
  case NVML_SUCCESS: return "Success";
  case NVML_ERROR_UNINITIALIZED: return "Uninitialized";
  case NVML_ERROR_INVALID_ARGUMENT: return "Invalid Argument";
  case NVML_ERROR_NOT_SUPPORTED: return "Not Supported";
  case NVML_ERROR_NO_PERMISSION: return "Insufficient Permissions";
  case NVML_ERROR_NOT_FOUND: return "Not Found";
  case NVML_ERROR_INSUFFICIENT_SIZE: return "Insufficient Size";
  case NVML_ERROR_DRIVER_NOT_LOADED: return "Driver Not Loaded";
  case NVML_ERROR_GPU_IS_LOST: return "GPU is lost";
  default: return "Unknown Error";
  }
}

static nvmlReturn_t check_device(nvmlDevice_t device, CUdevice *out) {
  if (!initialized) return NVML_ERROR_UNINITIALIZED;
  int ordinal = ordinal_of(device);
  if (ordinal < 0) return NVML_ERROR_INVALID_ARGUMENT;
  return from_driver(cuDeviceGet(out, ordinal));
}

NVML_EXPORT nvmlReturn_t nvmlDeviceGetCount_v2(unsigned int *count) {
  if (!initialized) return NVML_ERROR_UNINITIALIZED;
  if (!count) return NVML_ERROR_INVALID_ARGUMENT;
  *count = (unsigned)device_count;
  return NVML_SUCCESS;
}

NVML_EXPORT nvmlReturn_t nvmlDeviceGetCount(unsigned int *count) { return nvmlDeviceGetCount_v2(count); }

NVML_EXPORT nvmlReturn_t nvmlDeviceGetHandleByIndex_v2(unsigned int index, nvmlDevice_t *device) {
  if (!initialized) return NVML_ERROR_UNINITIALIZED;
  if (!device || index >= (unsigned)device_count) return NVML_ERROR_INVALID_ARGUMENT;
  *device = handle_of((int)index);
  return NVML_SUCCESS;
}

NVML_EXPORT nvmlReturn_t nvmlDeviceGetHandleByIndex(unsigned int index, nvmlDevice_t *device) {
  return nvmlDeviceGetHandleByIndex_v2(index, device);
}

NVML_EXPORT nvmlReturn_t nvmlDeviceGetIndex(nvmlDevice_t device, unsigned int *index) {
  CUdevice dev;
  nvmlReturn_t r = check_device(device, &dev);
  if (r == NVML_SUCCESS && !index) return NVML_ERROR_INVALID_ARGUMENT;
  if (r == NVML_SUCCESS) *index = (unsigned)ordinal_of(device);
  return r;
}

NVML_EXPORT nvmlReturn_t nvmlDeviceGetName(nvmlDevice_t device, char *name, unsigned int length) {
  CUdevice dev;
  nvmlReturn_t r = check_device(device, &dev);
  if (r != NVML_SUCCESS) return r;
  if (!name || length == 0) return NVML_ERROR_INVALID_ARGUMENT;
  char full[256];
  r = from_driver(cuDeviceGetName(full, sizeof full, dev));
  if (r != NVML_SUCCESS) return r;
  if (strlen(full) >= length) return NVML_ERROR_INSUFFICIENT_SIZE;
  strcpy(name, full);
  return NVML_SUCCESS;
}

NVML_EXPORT nvmlReturn_t nvmlDeviceGetUUID(nvmlDevice_t device, char *uuid, unsigned int length) {
  CUdevice dev;
  nvmlReturn_t r = check_device(device, &dev);
  if (r != NVML_SUCCESS) return r;
  if (!uuid) return NVML_ERROR_INVALID_ARGUMENT;
  CUuuid u;
  r = from_driver(cuDeviceGetUuid(&u, dev));
  if (r != NVML_SUCCESS) return r;
  const unsigned char *b = (const unsigned char *)u.bytes;
  char text[NVML_DEVICE_UUID_BUFFER_SIZE];
  snprintf(text, sizeof text,
           "GPU-%02x%02x%02x%02x-%02x%02x-%02x%02x-%02x%02x-%02x%02x%02x%02x%02x%02x", b[0], b[1],
           b[2], b[3], b[4], b[5], b[6], b[7], b[8], b[9], b[10], b[11], b[12], b[13], b[14], b[15]);
  if (strlen(text) >= length) return NVML_ERROR_INSUFFICIENT_SIZE;
  strcpy(uuid, text);
  return NVML_SUCCESS;
}

/* Memory in use is the device's, across every client: ask the driver with a context current. */
static nvmlReturn_t query_memory(nvmlDevice_t device, unsigned long long *total,
                                 unsigned long long *free_bytes) {
  CUdevice dev;
  nvmlReturn_t r = check_device(device, &dev);
  if (r != NVML_SUCCESS) return r;
  CUcontext ctx = NULL;
  CUresult cr = cuDevicePrimaryCtxRetain(&ctx, dev);
  if (cr != CUDA_SUCCESS) return from_driver(cr);
  size_t f = 0, t = 0;
  cr = cuCtxPushCurrent(ctx);
  if (cr == CUDA_SUCCESS) {
    cr = cuMemGetInfo(&f, &t);
    CUcontext popped;
    cuCtxPopCurrent(&popped);
  }
  cuDevicePrimaryCtxRelease(dev);
  *total = t;
  *free_bytes = f;
  return from_driver(cr);
}

NVML_EXPORT nvmlReturn_t nvmlDeviceGetMemoryInfo(nvmlDevice_t device, nvmlMemory_t *memory) {
  if (!memory) return NVML_ERROR_INVALID_ARGUMENT;
  unsigned long long total = 0, free_bytes = 0;
  nvmlReturn_t r = query_memory(device, &total, &free_bytes);
  if (r != NVML_SUCCESS) return r;
  memory->total = total;
  memory->free = free_bytes;
  memory->used = total - free_bytes;
  return NVML_SUCCESS;
}

NVML_EXPORT nvmlReturn_t nvmlDeviceGetMemoryInfo_v2(nvmlDevice_t device, nvmlMemory_v2_t *memory) {
  if (!memory) return NVML_ERROR_INVALID_ARGUMENT;
  unsigned long long total = 0, free_bytes = 0;
  nvmlReturn_t r = query_memory(device, &total, &free_bytes);
  if (r != NVML_SUCCESS) return r;
  memory->total = total;
  memory->reserved = 0;
  memory->free = free_bytes;
  memory->used = total - free_bytes;
  return NVML_SUCCESS;
}

/* The driver API has no utilization query; until the agent reports busy time, a device with
 * no kernels of ours in flight reads as idle. Documented in docs/remoting.md. */
NVML_EXPORT nvmlReturn_t nvmlDeviceGetUtilizationRates(nvmlDevice_t device, nvmlUtilization_t *utilization) {
  CUdevice dev;
  nvmlReturn_t r = check_device(device, &dev);
  if (r != NVML_SUCCESS) return r;
  if (!utilization) return NVML_ERROR_INVALID_ARGUMENT;
  utilization->gpu = 0;
  utilization->memory = 0;
  return NVML_SUCCESS;
}

NVML_EXPORT nvmlReturn_t nvmlDeviceGetCudaComputeCapability(nvmlDevice_t device, int *major, int *minor) {
  CUdevice dev;
  nvmlReturn_t r = check_device(device, &dev);
  if (r != NVML_SUCCESS) return r;
  if (!major || !minor) return NVML_ERROR_INVALID_ARGUMENT;
  r = from_driver(cuDeviceGetAttribute(major, CU_DEVICE_ATTRIBUTE_COMPUTE_CAPABILITY_MAJOR, dev));
  if (r == NVML_SUCCESS)
    r = from_driver(cuDeviceGetAttribute(minor, CU_DEVICE_ATTRIBUTE_COMPUTE_CAPABILITY_MINOR, dev));
  return r;
}

NVML_EXPORT nvmlReturn_t nvmlSystemGetDriverVersion(char *version, unsigned int length) {
  if (!initialized) return NVML_ERROR_UNINITIALIZED;
  int v = 0;
  nvmlReturn_t r = from_driver(cuDriverGetVersion(&v));
  if (r != NVML_SUCCESS) return r;
  char text[32];
  snprintf(text, sizeof text, "%d.%d", v / 1000, (v % 1000) / 10);
  if (!version || strlen(text) >= length) return NVML_ERROR_INSUFFICIENT_SIZE;
  strcpy(version, text);
  return NVML_SUCCESS;
}

NVML_EXPORT nvmlReturn_t nvmlSystemGetCudaDriverVersion(int *version) {
  if (!version) return NVML_ERROR_INVALID_ARGUMENT;
  return from_driver(cuDriverGetVersion(version));
}

NVML_EXPORT nvmlReturn_t nvmlSystemGetCudaDriverVersion_v2(int *version) {
  return nvmlSystemGetCudaDriverVersion(version);
}

NVML_EXPORT nvmlReturn_t nvmlSystemGetNVMLVersion(char *version, unsigned int length) {
  const char *text = "13.0.gpushim";
  if (!version || strlen(text) >= length) return NVML_ERROR_INSUFFICIENT_SIZE;
  strcpy(version, text);
  return NVML_SUCCESS;
}

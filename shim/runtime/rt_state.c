/* rt_state.c - runtime-wide state: driver init, devices, primary contexts, last errors.
 *
 * Like NVIDIA's runtime, we initialise lazily on the first call that needs the device, retain
 * each device's primary context on first use, and keep per-thread the current device and the
 * last error. Device attributes are cached: they never change, and on a remote device each
 * uncached query would cost a round trip. */
#include "runtime.h"

#include <pthread.h>
#include <stdatomic.h>
#include <string.h>

typedef struct {
  pthread_mutex_t lock;
  CUcontext context;           /* retained primary context, or NULL */
  unsigned generation;         /* bumped by cudaDeviceReset */
  int attributes[CU_DEVICE_ATTRIBUTE_MAX];
  _Atomic unsigned char attribute_known[CU_DEVICE_ATTRIBUTE_MAX];
} rt_device;

static pthread_once_t init_once = PTHREAD_ONCE_INIT;
static cudaError_t init_error = cudaSuccess;
static int device_count;
static rt_device devices[RT_MAX_DEVICES];

static __thread int tls_device;
static __thread cudaError_t tls_last_error;
static __thread CUcontext tls_bound_context;
static __thread unsigned tls_bound_generation;

static void init_driver(void) {
  for (int i = 0; i < RT_MAX_DEVICES; i++) pthread_mutex_init(&devices[i].lock, NULL);
  CUresult r = cuInit(0);
  if (r == CUDA_SUCCESS) r = cuDeviceGetCount(&device_count);
  if (r != CUDA_SUCCESS) {
    init_error = (r == CUDA_ERROR_NO_DEVICE || r == CUDA_ERROR_NOT_INITIALIZED)
                     ? cudaErrorNoDevice : rt_error_from_driver(r);
    device_count = 0;
    return;
  }
  if (device_count > RT_MAX_DEVICES) device_count = RT_MAX_DEVICES;
  if (device_count == 0) init_error = cudaErrorNoDevice;
}

static cudaError_t ensure_driver(void) {
  pthread_once(&init_once, init_driver);
  return init_error;
}

cudaError_t rt_set_error(cudaError_t err) {
  if (err != cudaSuccess) tls_last_error = err;
  return err;
}

cudaError_t rt_check(CUresult r) {
  return rt_set_error(rt_error_from_driver(r));
}

int rt_current_device(void) { return tls_device; }

CUcontext rt_device_context(int device) {
  return (device >= 0 && device < device_count) ? devices[device].context : NULL;
}

static cudaError_t retain_primary_context(rt_device *d, int ordinal) {
  pthread_mutex_lock(&d->lock);
  CUresult r = CUDA_SUCCESS;
  if (!d->context) {
    CUdevice dev;
    r = cuDeviceGet(&dev, ordinal);
    if (r == CUDA_SUCCESS) r = cuDevicePrimaryCtxRetain(&d->context, dev);
  }
  pthread_mutex_unlock(&d->lock);
  return rt_error_from_driver(r);
}

cudaError_t rt_ensure_context(void) {
  cudaError_t err = ensure_driver();
  if (err != cudaSuccess) return rt_set_error(err);
  int ordinal = tls_device;
  if (ordinal < 0 || ordinal >= device_count) return rt_set_error(cudaErrorInvalidDevice);
  rt_device *d = &devices[ordinal];
  if (!d->context && (err = retain_primary_context(d, ordinal)) != cudaSuccess)
    return rt_set_error(err);
  if (tls_bound_context != d->context || tls_bound_generation != d->generation) {
    CUresult r = cuCtxSetCurrent(d->context);
    if (r != CUDA_SUCCESS) return rt_check(r);
    tls_bound_context = d->context;
    tls_bound_generation = d->generation;
  }
  return cudaSuccess;
}

int rt_device_attribute(int ordinal, CUdevice_attribute attr) {
  if (ensure_driver() != cudaSuccess || ordinal < 0 || ordinal >= device_count ||
      attr <= 0 || attr >= CU_DEVICE_ATTRIBUTE_MAX)
    return 0;
  rt_device *d = &devices[ordinal];
  if (!atomic_load(&d->attribute_known[attr])) {
    int value = 0;
    CUdevice dev;
    if (cuDeviceGet(&dev, ordinal) != CUDA_SUCCESS ||
        cuDeviceGetAttribute(&value, attr, dev) != CUDA_SUCCESS)
      return 0;
    d->attributes[attr] = value;
    atomic_store(&d->attribute_known[attr], 1);
  }
  return d->attributes[attr];
}

/* ---- runtime API: errors ---- */

RT_EXPORT cudaError_t cudaGetLastError(void) {
  cudaError_t e = tls_last_error;
  tls_last_error = cudaSuccess;
  return e;
}

RT_EXPORT cudaError_t cudaPeekAtLastError(void) { return tls_last_error; }

/* ---- runtime API: device management ---- */

RT_EXPORT cudaError_t cudaGetDeviceCount(int *count) {
  if (!count) return rt_set_error(cudaErrorInvalidValue);
  cudaError_t err = ensure_driver();
  *count = device_count;
  return rt_set_error(err);
}

RT_EXPORT cudaError_t cudaSetDevice(int device) {
  cudaError_t err = ensure_driver();
  if (err != cudaSuccess) return rt_set_error(err);
  if (device < 0 || device >= device_count) return rt_set_error(cudaErrorInvalidDevice);
  tls_device = device;
  return rt_ensure_context();
}

RT_EXPORT cudaError_t cudaInitDevice(int device, unsigned int deviceFlags, unsigned int flags) {
  (void)deviceFlags;
  (void)flags;
  int saved = tls_device;
  cudaError_t err = cudaSetDevice(device);
  tls_device = saved;
  return err;
}

RT_EXPORT cudaError_t cudaGetDevice(int *device) {
  if (!device) return rt_set_error(cudaErrorInvalidValue);
  cudaError_t err = ensure_driver();
  *device = tls_device;
  return rt_set_error(err);
}

RT_EXPORT cudaError_t cudaSetValidDevices(int *device_arr, int len) {
  if (len < 0 || (len > 0 && !device_arr)) return rt_set_error(cudaErrorInvalidValue);
  cudaError_t err = ensure_driver();
  if (err != cudaSuccess) return rt_set_error(err);
  for (int i = 0; i < len; i++)
    if (device_arr[i] < 0 || device_arr[i] >= device_count)
      return rt_set_error(cudaErrorInvalidDevice);
  if (len > 0) tls_device = device_arr[0];
  return cudaSuccess;
}

RT_EXPORT cudaError_t cudaDeviceReset(void) {
  cudaError_t err = ensure_driver();
  if (err != cudaSuccess) return rt_set_error(err);
  int ordinal = tls_device;
  rt_device *d = &devices[ordinal];
  CUdevice dev;
  CUresult r = cuDeviceGet(&dev, ordinal);
  pthread_mutex_lock(&d->lock);
  if (r == CUDA_SUCCESS && d->context) {
    r = cuDevicePrimaryCtxReset(dev);
    if (r == CUDA_SUCCESS) cuDevicePrimaryCtxRelease(dev);
    d->context = NULL;
    d->generation++;
  }
  pthread_mutex_unlock(&d->lock);
  rt_forget_device_modules(ordinal);
  tls_bound_context = NULL;
  tls_last_error = cudaSuccess;
  return rt_check(r);
}

RT_EXPORT cudaError_t cudaDeviceSynchronize(void) {
  cudaError_t err = rt_capture_forbids_unsafe();
  if (err == cudaSuccess) err = rt_ensure_context();
  return err != cudaSuccess ? err : rt_check(cuCtxSynchronize());
}

RT_EXPORT cudaError_t cudaSetDeviceFlags(unsigned int flags) {
  cudaError_t err = ensure_driver();
  if (err != cudaSuccess) return rt_set_error(err);
  CUdevice dev;
  CUresult r = cuDeviceGet(&dev, tls_device);
  if (r == CUDA_SUCCESS) r = cuDevicePrimaryCtxSetFlags(dev, flags & ~(unsigned)cudaDeviceMapHost);
  return rt_check(r);
}

RT_EXPORT cudaError_t cudaGetDeviceFlags(unsigned int *flags) {
  if (!flags) return rt_set_error(cudaErrorInvalidValue);
  cudaError_t err = ensure_driver();
  if (err != cudaSuccess) return rt_set_error(err);
  CUdevice dev;
  int active = 0;
  CUresult r = cuDeviceGet(&dev, tls_device);
  if (r == CUDA_SUCCESS) r = cuDevicePrimaryCtxGetState(dev, flags, &active);
  if (r == CUDA_SUCCESS) *flags |= cudaDeviceMapHost;
  return rt_check(r);
}

RT_EXPORT cudaError_t cudaDeviceGetAttribute(int *value, enum cudaDeviceAttr attr, int device) {
  if (!value) return rt_set_error(cudaErrorInvalidValue);
  cudaError_t err = ensure_driver();
  if (err != cudaSuccess) return rt_set_error(err);
  if (device < 0 || device >= device_count) return rt_set_error(cudaErrorInvalidDevice);
  if ((int)attr <= 0 || (int)attr >= CU_DEVICE_ATTRIBUTE_MAX) return rt_set_error(cudaErrorInvalidValue);
  /* cudaDevAttr* and CU_DEVICE_ATTRIBUTE_* share their numbering. */
  CUdevice dev;
  CUresult r = cuDeviceGet(&dev, device);
  if (r == CUDA_SUCCESS) r = cuDeviceGetAttribute(value, (CUdevice_attribute)attr, dev);
  if (r == CUDA_SUCCESS && attr == cudaDevAttrMemoryPoolsSupported) *value = 1; /* rt_mempool.c */
  return rt_check(r);
}

RT_EXPORT cudaError_t cudaDeviceGetLimit(size_t *value, enum cudaLimit limit) {
  cudaError_t err = rt_ensure_context();
  if (err != cudaSuccess) return err;
  if (!value) return rt_set_error(cudaErrorInvalidValue);
  return rt_check(cuCtxGetLimit(value, (CUlimit)limit));
}

RT_EXPORT cudaError_t cudaDeviceSetLimit(enum cudaLimit limit, size_t value) {
  cudaError_t err = rt_ensure_context();
  return err != cudaSuccess ? err : rt_check(cuCtxSetLimit((CUlimit)limit, value));
}

RT_EXPORT cudaError_t cudaDeviceGetStreamPriorityRange(int *leastPriority, int *greatestPriority) {
  cudaError_t err = rt_ensure_context();
  return err != cudaSuccess ? err : rt_check(cuCtxGetStreamPriorityRange(leastPriority, greatestPriority));
}

RT_EXPORT cudaError_t cudaDeviceGetCacheConfig(enum cudaFuncCache *config) {
  if (!config) return rt_set_error(cudaErrorInvalidValue);
  *config = cudaFuncCachePreferNone;
  return cudaSuccess;
}

RT_EXPORT cudaError_t cudaDeviceSetCacheConfig(enum cudaFuncCache config) {
  (void)config;
  return rt_ensure_context();
}

RT_EXPORT cudaError_t cudaDeviceCanAccessPeer(int *canAccessPeer, int device, int peerDevice) {
  if (!canAccessPeer) return rt_set_error(cudaErrorInvalidValue);
  cudaError_t err = ensure_driver();
  if (err != cudaSuccess) return rt_set_error(err);
  if (device < 0 || device >= device_count || peerDevice < 0 || peerDevice >= device_count)
    return rt_set_error(cudaErrorInvalidDevice);
  *canAccessPeer = 0;
  return cudaSuccess;
}

RT_EXPORT cudaError_t cudaDriverGetVersion(int *driverVersion) {
  if (!driverVersion) return rt_set_error(cudaErrorInvalidValue);
  *driverVersion = 0;
  CUresult r = cuDriverGetVersion(driverVersion);
  return r == CUDA_SUCCESS ? cudaSuccess : rt_check(r);
}

RT_EXPORT cudaError_t cudaRuntimeGetVersion(int *runtimeVersion) {
  if (!runtimeVersion) return rt_set_error(cudaErrorInvalidValue);
  *runtimeVersion = CUDART_VERSION;
  return cudaSuccess;
}

RT_EXPORT cudaError_t cudaChooseDevice(int *device, const struct cudaDeviceProp *prop) {
  if (!device || !prop) return rt_set_error(cudaErrorInvalidValue);
  cudaError_t err = ensure_driver();
  if (err != cudaSuccess) return rt_set_error(err);
  int best = 0, best_score = -1;
  for (int i = 0; i < device_count; i++) {
    int major = rt_device_attribute(i, CU_DEVICE_ATTRIBUTE_COMPUTE_CAPABILITY_MAJOR);
    int minor = rt_device_attribute(i, CU_DEVICE_ATTRIBUTE_COMPUTE_CAPABILITY_MINOR);
    int score = (major > prop->major || (major == prop->major && minor >= prop->minor)) ? 1 : 0;
    if (score > best_score) best = i, best_score = score;
  }
  *device = best;
  return cudaSuccess;
}

RT_EXPORT cudaError_t cudaDeviceGetPCIBusId(char *pciBusId, int len, int device) {
  cudaError_t err = ensure_driver();
  if (err != cudaSuccess) return rt_set_error(err);
  CUdevice dev;
  CUresult r = cuDeviceGet(&dev, device);
  if (r == CUDA_SUCCESS) r = cuDeviceGetPCIBusId(pciBusId, len, dev);
  return rt_check(r);
}

RT_EXPORT cudaError_t cudaDeviceGetByPCIBusId(int *device, const char *pciBusId) {
  cudaError_t err = ensure_driver();
  if (err != cudaSuccess) return rt_set_error(err);
  CUdevice dev;
  CUresult r = cuDeviceGetByPCIBusId(&dev, pciBusId);
  if (r == CUDA_SUCCESS && device) *device = (int)dev;
  return rt_check(r);
}

/* The profiler API: nothing to start on a remote or CPU device, so these succeed. */
RT_EXPORT cudaError_t cudaProfilerStart(void) { return cudaSuccess; }
RT_EXPORT cudaError_t cudaProfilerStop(void) { return cudaSuccess; }

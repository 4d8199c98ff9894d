/* rt_misc.c - runtime API calls with simple answers on this device: memory hints (no-ops:
 * memory does not migrate), peer access (no peers), driver entry points, and the diagnostics
 * for calls we do not support yet. (Stream capture: rt_capture.c.) */
#include "runtime.h"

#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>

/* One line on stderr the first time each unsupported function is called. */
cudaError_t rt_unsupported(const char *name) {
  static pthread_mutex_t lock = PTHREAD_MUTEX_INITIALIZER;
  static const char *reported[128];
  static size_t nreported;
  pthread_mutex_lock(&lock);
  size_t i = 0;
  while (i < nreported && reported[i] != name) i++;
  if (i == nreported && nreported < sizeof reported / sizeof reported[0]) {
    reported[nreported++] = name;
    fprintf(stderr, "gpushim: %s is not supported yet; it returns cudaErrorNotSupported\n", name);
  }
  pthread_mutex_unlock(&lock);
  return rt_set_error(cudaErrorNotSupported);
}

RT_EXPORT cudaError_t cudaMemPrefetchAsync(const void *devPtr, size_t count, struct cudaMemLocation location,
                                           unsigned int flags, cudaStream_t stream) {
  (void)devPtr, (void)count, (void)location, (void)flags, (void)stream;
  return rt_ensure_context();
}

RT_EXPORT cudaError_t cudaMemAdvise(const void *devPtr, size_t count, enum cudaMemoryAdvise advice,
                                    struct cudaMemLocation location) {
  (void)devPtr, (void)count, (void)advice, (void)location;
  return rt_ensure_context();
}

RT_EXPORT cudaError_t cudaStreamAttachMemAsync(cudaStream_t stream, void *devPtr, size_t length,
                                               unsigned int flags) {
  (void)stream, (void)devPtr, (void)length, (void)flags;
  return rt_ensure_context();
}

/* A single device has no peers; CUDA answers a request for a peer that cannot be one so. */
RT_EXPORT cudaError_t cudaDeviceEnablePeerAccess(int peerDevice, unsigned int flags) {
  (void)peerDevice, (void)flags;
  cudaError_t err = rt_ensure_context();
  return err != cudaSuccess ? err : rt_set_error(cudaErrorInvalidDevice);
}

RT_EXPORT cudaError_t cudaDeviceDisablePeerAccess(int peerDevice) {
  (void)peerDevice;
  cudaError_t err = rt_ensure_context();
  return err != cudaSuccess ? err : rt_set_error(cudaErrorPeerAccessNotEnabled);
}

static cudaError_t entry_point(const char *symbol, void **funcPtr, int version, unsigned long long flags,
                               enum cudaDriverEntryPointQueryResult *driverStatus) {
  if (!symbol || !funcPtr) return rt_set_error(cudaErrorInvalidValue);
  CUdriverProcAddressQueryResult status = CU_GET_PROC_ADDRESS_SUCCESS;
  CUresult r = cuGetProcAddress(symbol, funcPtr, version, flags, &status);
  if (driverStatus) *driverStatus = (enum cudaDriverEntryPointQueryResult)status;
  return rt_check(r);
}

RT_EXPORT cudaError_t cudaGetDriverEntryPoint(const char *symbol, void **funcPtr, unsigned long long flags,
                                              enum cudaDriverEntryPointQueryResult *driverStatus) {
  return entry_point(symbol, funcPtr, CUDART_VERSION, flags, driverStatus);
}

RT_EXPORT cudaError_t cudaGetDriverEntryPointByVersion(const char *symbol, void **funcPtr,
                                                       unsigned int cudaVersion, unsigned long long flags,
                                                       enum cudaDriverEntryPointQueryResult *driverStatus) {
  return entry_point(symbol, funcPtr, (int)cudaVersion, flags, driverStatus);
}

/* Not a cudaError_t function, so not generated: a channel descriptor is plain data. */
RT_EXPORT struct cudaChannelFormatDesc cudaCreateChannelDesc(int x, int y, int z, int w,
                                                             enum cudaChannelFormatKind f) {
  struct cudaChannelFormatDesc d = {x, y, z, w, f};
  return d;
}

/* rt_memory.c - the runtime's memory API: allocations, copies in every direction, memsets,
 * symbols, pointer attributes. Each maps onto the driver call with the same meaning; the kind
 * argument of cudaMemcpy* picks the driver copy (cudaMemcpyDefault uses unified addressing). */
#include "runtime.h"

#include <stdint.h>
#include <string.h>

#define DPTR(p) ((CUdeviceptr)(uintptr_t)(p))

static cudaError_t ready(void) { return rt_ensure_context(); }

/* ---- allocation ---- */

RT_EXPORT cudaError_t cudaMalloc(void **devPtr, size_t size) {
  if (!devPtr) return rt_set_error(cudaErrorInvalidValue);
  cudaError_t err = ready();
  if (err != cudaSuccess) return err;
  *devPtr = NULL;
  if (size == 0) return cudaSuccess;
  CUdeviceptr p = 0;
  CUresult r = cuMemAlloc(&p, size);
  if (r == CUDA_SUCCESS) *devPtr = (void *)(uintptr_t)p;
  return rt_check(r);
}

RT_EXPORT cudaError_t cudaFree(void *devPtr) {
  cudaError_t err = ready();
  if (err != cudaSuccess || devPtr == NULL) return err;
  CUresult r = cuMemFree(DPTR(devPtr));
  return rt_set_error(r == CUDA_ERROR_INVALID_VALUE ? cudaErrorInvalidValue : rt_error_from_driver(r));
}

RT_EXPORT cudaError_t cudaMallocPitch(void **devPtr, size_t *pitch, size_t width, size_t height) {
  if (!devPtr || !pitch) return rt_set_error(cudaErrorInvalidValue);
  cudaError_t err = ready();
  if (err != cudaSuccess) return err;
  CUdeviceptr p = 0;
  CUresult r = cuMemAllocPitch(&p, pitch, width, height, 4);
  if (r == CUDA_SUCCESS) *devPtr = (void *)(uintptr_t)p;
  return rt_check(r);
}

RT_EXPORT cudaError_t cudaMallocManaged(void **devPtr, size_t size, unsigned int flags) {
  if (!devPtr) return rt_set_error(cudaErrorInvalidValue);
  cudaError_t err = ready();
  if (err != cudaSuccess) return err;
  CUdeviceptr p = 0;
  CUresult r = cuMemAllocManaged(&p, size, flags ? flags : CU_MEM_ATTACH_GLOBAL);
  if (r == CUDA_SUCCESS) *devPtr = (void *)(uintptr_t)p;
  return rt_check(r);
}

RT_EXPORT cudaError_t cudaMallocAsync(void **devPtr, size_t size, cudaStream_t hStream) {
  (void)hStream; /* allocating at once is within stream order: the memory is ready early */
  return cudaMalloc(devPtr, size);
}

RT_EXPORT cudaError_t cudaFreeAsync(void *devPtr, cudaStream_t hStream) {
  cudaError_t err = ready();
  if (err != cudaSuccess) return err;
  CUresult r = cuStreamSynchronize(rt_stream(hStream, false));
  return r != CUDA_SUCCESS ? rt_check(r) : cudaFree(devPtr);
}

RT_EXPORT cudaError_t cudaMallocHost(void **ptr, size_t size) {
  if (!ptr) return rt_set_error(cudaErrorInvalidValue);
  cudaError_t err = ready();
  return err != cudaSuccess ? err : rt_check(cuMemAllocHost(ptr, size));
}

RT_EXPORT cudaError_t cudaHostAlloc(void **pHost, size_t size, unsigned int flags) {
  if (!pHost) return rt_set_error(cudaErrorInvalidValue);
  cudaError_t err = ready();
  return err != cudaSuccess ? err : rt_check(cuMemHostAlloc(pHost, size, flags));
}

RT_EXPORT cudaError_t cudaFreeHost(void *ptr) {
  cudaError_t err = ready();
  if (err != cudaSuccess || ptr == NULL) return err;
  return rt_check(cuMemFreeHost(ptr));
}

RT_EXPORT cudaError_t cudaHostRegister(void *ptr, size_t size, unsigned int flags) {
  cudaError_t err = ready();
  return err != cudaSuccess ? err : rt_check(cuMemHostRegister(ptr, size, flags));
}

RT_EXPORT cudaError_t cudaHostUnregister(void *ptr) {
  cudaError_t err = ready();
  return err != cudaSuccess ? err : rt_check(cuMemHostUnregister(ptr));
}

RT_EXPORT cudaError_t cudaHostGetDevicePointer(void **pDevice, void *pHost, unsigned int flags) {
  if (!pDevice) return rt_set_error(cudaErrorInvalidValue);
  cudaError_t err = ready();
  if (err != cudaSuccess) return err;
  CUdeviceptr p = 0;
  CUresult r = cuMemHostGetDevicePointer(&p, pHost, flags);
  if (r == CUDA_SUCCESS) *pDevice = (void *)(uintptr_t)p;
  return rt_check(r);
}

RT_EXPORT cudaError_t cudaHostGetFlags(unsigned int *pFlags, void *pHost) {
  cudaError_t err = ready();
  return err != cudaSuccess ? err : rt_check(cuMemHostGetFlags(pFlags, pHost));
}

RT_EXPORT cudaError_t cudaMemGetInfo(size_t *free, size_t *total) {
  cudaError_t err = ready();
  return err != cudaSuccess ? err : rt_check(cuMemGetInfo(free, total));
}

/* ---- copies ---- */

static CUresult copy_async(void *dst, const void *src, size_t count, enum cudaMemcpyKind kind,
                           CUstream stream) {
  switch (kind) {
  case cudaMemcpyHostToDevice: return cuMemcpyHtoDAsync(DPTR(dst), src, count, stream);
  case cudaMemcpyDeviceToHost: return cuMemcpyDtoHAsync(dst, DPTR(src), count, stream);
  case cudaMemcpyDeviceToDevice: return cuMemcpyDtoDAsync(DPTR(dst), DPTR(src), count, stream);
  case cudaMemcpyHostToHost:
  case cudaMemcpyDefault: return cuMemcpyAsync(DPTR(dst), DPTR(src), count, stream);
  }
  return CUDA_ERROR_INVALID_VALUE;
}

static CUresult copy_sync(void *dst, const void *src, size_t count, enum cudaMemcpyKind kind) {
  switch (kind) {
  case cudaMemcpyHostToDevice: return cuMemcpyHtoD(DPTR(dst), src, count);
  case cudaMemcpyDeviceToHost: return cuMemcpyDtoH(dst, DPTR(src), count);
  case cudaMemcpyDeviceToDevice: return cuMemcpyDtoD(DPTR(dst), DPTR(src), count);
  case cudaMemcpyHostToHost: memmove(dst, src, count); return CUDA_SUCCESS;
  case cudaMemcpyDefault: return cuMemcpy(DPTR(dst), DPTR(src), count);
  }
  return CUDA_ERROR_INVALID_VALUE;
}

static bool kind_valid(enum cudaMemcpyKind kind) {
  return kind >= cudaMemcpyHostToHost && kind <= cudaMemcpyDefault;
}

static cudaError_t memcpy_checked(void *dst, const void *src, size_t count,
                                  enum cudaMemcpyKind kind, const CUstream *stream) {
  if (!kind_valid(kind)) return rt_set_error(cudaErrorInvalidMemcpyDirection);
  cudaError_t err = ready();
  if (err != cudaSuccess || count == 0) return err;
  return rt_check(stream ? copy_async(dst, src, count, kind, *stream)
                         : copy_sync(dst, src, count, kind));
}

RT_EXPORT cudaError_t cudaMemcpy(void *dst, const void *src, size_t count, enum cudaMemcpyKind kind) {
  return memcpy_checked(dst, src, count, kind, NULL);
}

RT_EXPORT cudaError_t cudaMemcpy_ptds(void *dst, const void *src, size_t count,
                                      enum cudaMemcpyKind kind) {
  CUstream s = CU_STREAM_PER_THREAD;
  cudaError_t err = memcpy_checked(dst, src, count, kind, &s);
  return err != cudaSuccess ? err : rt_check(cuStreamSynchronize(s));
}

RT_EXPORT cudaError_t cudaMemcpyAsync(void *dst, const void *src, size_t count,
                                      enum cudaMemcpyKind kind, cudaStream_t stream) {
  CUstream s = rt_stream(stream, false);
  return memcpy_checked(dst, src, count, kind, &s);
}

RT_EXPORT cudaError_t cudaMemcpyAsync_ptsz(void *dst, const void *src, size_t count,
                                           enum cudaMemcpyKind kind, cudaStream_t stream) {
  CUstream s = rt_stream(stream, true);
  return memcpy_checked(dst, src, count, kind, &s);
}

RT_EXPORT cudaError_t cudaMemcpyPeer(void *dst, int dstDevice, const void *src, int srcDevice,
                                     size_t count) {
  if (dstDevice != srcDevice) return rt_set_error(cudaErrorNotSupported);
  return cudaMemcpy(dst, src, count, cudaMemcpyDeviceToDevice);
}

static void memory_types(enum cudaMemcpyKind kind, CUmemorytype *src, CUmemorytype *dst) {
  bool src_dev = kind == cudaMemcpyDeviceToHost || kind == cudaMemcpyDeviceToDevice;
  bool dst_dev = kind == cudaMemcpyHostToDevice || kind == cudaMemcpyDeviceToDevice;
  *src = kind == cudaMemcpyDefault ? CU_MEMORYTYPE_UNIFIED : src_dev ? CU_MEMORYTYPE_DEVICE : CU_MEMORYTYPE_HOST;
  *dst = kind == cudaMemcpyDefault ? CU_MEMORYTYPE_UNIFIED : dst_dev ? CU_MEMORYTYPE_DEVICE : CU_MEMORYTYPE_HOST;
}

static void describe_2d(CUDA_MEMCPY2D *c, void *dst, size_t dpitch, const void *src, size_t spitch,
                        size_t width, size_t height, enum cudaMemcpyKind kind) {
  memset(c, 0, sizeof *c);
  memory_types(kind, &c->srcMemoryType, &c->dstMemoryType);
  c->srcHost = src;
  c->srcDevice = DPTR(src);
  c->srcPitch = spitch;
  c->dstHost = dst;
  c->dstDevice = DPTR(dst);
  c->dstPitch = dpitch;
  c->WidthInBytes = width;
  c->Height = height;
}

static cudaError_t memcpy2d(void *dst, size_t dpitch, const void *src, size_t spitch, size_t width,
                            size_t height, enum cudaMemcpyKind kind, const CUstream *stream) {
  if (!kind_valid(kind)) return rt_set_error(cudaErrorInvalidMemcpyDirection);
  if (width > dpitch || width > spitch) return rt_set_error(cudaErrorInvalidPitchValue);
  cudaError_t err = ready();
  if (err != cudaSuccess || width == 0 || height == 0) return err;
  CUDA_MEMCPY2D c;
  describe_2d(&c, dst, dpitch, src, spitch, width, height, kind);
  return rt_check(stream ? cuMemcpy2DAsync(&c, *stream) : cuMemcpy2D(&c));
}

RT_EXPORT cudaError_t cudaMemcpy2D(void *dst, size_t dpitch, const void *src, size_t spitch,
                                   size_t width, size_t height, enum cudaMemcpyKind kind) {
  return memcpy2d(dst, dpitch, src, spitch, width, height, kind, NULL);
}

RT_EXPORT cudaError_t cudaMemcpy2DAsync(void *dst, size_t dpitch, const void *src, size_t spitch,
                                        size_t width, size_t height, enum cudaMemcpyKind kind,
                                        cudaStream_t stream) {
  CUstream s = rt_stream(stream, false);
  return memcpy2d(dst, dpitch, src, spitch, width, height, kind, &s);
}

/* ---- symbols ---- */

static cudaError_t symbol_range(const void *symbol, size_t count, size_t offset, CUdeviceptr *addr) {
  size_t size = 0;
  cudaError_t err = rt_symbol_address(symbol, addr, &size);
  if (err != cudaSuccess) return err;
  if (offset > size || count > size - offset) return rt_set_error(cudaErrorInvalidValue);
  *addr += offset;
  return cudaSuccess;
}

static cudaError_t to_symbol(const void *symbol, const void *src, size_t count, size_t offset,
                             enum cudaMemcpyKind kind, const CUstream *stream) {
  if (kind != cudaMemcpyHostToDevice && kind != cudaMemcpyDeviceToDevice && kind != cudaMemcpyDefault)
    return rt_set_error(cudaErrorInvalidMemcpyDirection);
  CUdeviceptr addr;
  cudaError_t err = symbol_range(symbol, count, offset, &addr);
  if (err != cudaSuccess) return err;
  if (kind == cudaMemcpyHostToDevice)
    return rt_check(stream ? cuMemcpyHtoDAsync(addr, src, count, *stream) : cuMemcpyHtoD(addr, src, count));
  return rt_check(stream ? cuMemcpyAsync(addr, DPTR(src), count, *stream) : cuMemcpy(addr, DPTR(src), count));
}

static cudaError_t from_symbol(void *dst, const void *symbol, size_t count, size_t offset,
                               enum cudaMemcpyKind kind, const CUstream *stream) {
  if (kind != cudaMemcpyDeviceToHost && kind != cudaMemcpyDeviceToDevice && kind != cudaMemcpyDefault)
    return rt_set_error(cudaErrorInvalidMemcpyDirection);
  CUdeviceptr addr;
  cudaError_t err = symbol_range(symbol, count, offset, &addr);
  if (err != cudaSuccess) return err;
  if (kind == cudaMemcpyDeviceToHost)
    return rt_check(stream ? cuMemcpyDtoHAsync(dst, addr, count, *stream) : cuMemcpyDtoH(dst, addr, count));
  return rt_check(stream ? cuMemcpyAsync(DPTR(dst), addr, count, *stream) : cuMemcpy(DPTR(dst), addr, count));
}

RT_EXPORT cudaError_t cudaMemcpyToSymbol(const void *symbol, const void *src, size_t count,
                                         size_t offset, enum cudaMemcpyKind kind) {
  return to_symbol(symbol, src, count, offset, kind, NULL);
}

RT_EXPORT cudaError_t cudaMemcpyToSymbolAsync(const void *symbol, const void *src, size_t count,
                                              size_t offset, enum cudaMemcpyKind kind,
                                              cudaStream_t stream) {
  CUstream s = rt_stream(stream, false);
  return to_symbol(symbol, src, count, offset, kind, &s);
}

RT_EXPORT cudaError_t cudaMemcpyFromSymbol(void *dst, const void *symbol, size_t count,
                                           size_t offset, enum cudaMemcpyKind kind) {
  return from_symbol(dst, symbol, count, offset, kind, NULL);
}

RT_EXPORT cudaError_t cudaMemcpyFromSymbolAsync(void *dst, const void *symbol, size_t count,
                                                size_t offset, enum cudaMemcpyKind kind,
                                                cudaStream_t stream) {
  CUstream s = rt_stream(stream, false);
  return from_symbol(dst, symbol, count, offset, kind, &s);
}

/* ---- memset ---- */

RT_EXPORT cudaError_t cudaMemset(void *devPtr, int value, size_t count) {
  cudaError_t err = ready();
  return err != cudaSuccess ? err : rt_check(cuMemsetD8(DPTR(devPtr), (unsigned char)value, count));
}

RT_EXPORT cudaError_t cudaMemsetAsync(void *devPtr, int value, size_t count, cudaStream_t stream) {
  cudaError_t err = ready();
  return err != cudaSuccess ? err
                            : rt_check(cuMemsetD8Async(DPTR(devPtr), (unsigned char)value, count,
                                                       rt_stream(stream, false)));
}

RT_EXPORT cudaError_t cudaMemset2D(void *devPtr, size_t pitch, int value, size_t width, size_t height) {
  cudaError_t err = ready();
  return err != cudaSuccess ? err
                            : rt_check(cuMemsetD2D8(DPTR(devPtr), pitch, (unsigned char)value, width, height));
}

RT_EXPORT cudaError_t cudaMemset2DAsync(void *devPtr, size_t pitch, int value, size_t width,
                                        size_t height, cudaStream_t stream) {
  cudaError_t err = ready();
  return err != cudaSuccess ? err
                            : rt_check(cuMemsetD2D8Async(DPTR(devPtr), pitch, (unsigned char)value,
                                                         width, height, rt_stream(stream, false)));
}

/* ---- pointer attributes ---- */

RT_EXPORT cudaError_t cudaPointerGetAttributes(struct cudaPointerAttributes *attributes, const void *ptr) {
  if (!attributes) return rt_set_error(cudaErrorInvalidValue);
  cudaError_t err = ready();
  if (err != cudaSuccess) return err;
  CUmemorytype type = 0;
  CUdeviceptr device_pointer = 0;
  void *host_pointer = NULL;
  int ordinal = -1;
  unsigned int managed = 0; /* bool in the docs; 4 bytes is safe for either width */
  CUpointer_attribute which[] = {CU_POINTER_ATTRIBUTE_MEMORY_TYPE, CU_POINTER_ATTRIBUTE_DEVICE_POINTER,
                                 CU_POINTER_ATTRIBUTE_HOST_POINTER, CU_POINTER_ATTRIBUTE_DEVICE_ORDINAL,
                                 CU_POINTER_ATTRIBUTE_IS_MANAGED};
  void *values[] = {&type, &device_pointer, &host_pointer, &ordinal, &managed};
  CUresult r = cuPointerGetAttributes(5, which, values, DPTR(ptr));
  if (r != CUDA_SUCCESS) return rt_check(r);
  memset(attributes, 0, sizeof *attributes);
  attributes->type = managed ? cudaMemoryTypeManaged
                     : type == CU_MEMORYTYPE_DEVICE ? cudaMemoryTypeDevice
                     : type == CU_MEMORYTYPE_HOST ? cudaMemoryTypeHost
                                                  : cudaMemoryTypeUnregistered;
  attributes->device = attributes->type == cudaMemoryTypeUnregistered ? -2 : ordinal;
  attributes->devicePointer = (void *)(uintptr_t)device_pointer;
  attributes->hostPointer = host_pointer;
  return cudaSuccess;
}

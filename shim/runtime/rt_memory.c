/* rt_memory.c - the runtime's memory API: allocations, copies in every direction, memsets,
 * symbols, pointer attributes. Each maps onto the driver call with the same meaning; the kind
 * argument of cudaMemcpy* picks the driver copy (cudaMemcpyDefault uses unified addressing). */
#include "runtime.h"

#include <stdint.h>
#include <string.h>

#define DPTR(p) ((CUdeviceptr)(uintptr_t)(p))

static cudaError_t ready(void) { return rt_ensure_context(); }

/* ---- allocation ---- */

/* cudaMalloc without the capture check: cudaMallocAsync may be captured, cudaMalloc may not. */
static cudaError_t device_alloc(void **devPtr, size_t size) {
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

RT_EXPORT cudaError_t cudaMalloc(void **devPtr, size_t size) {
  cudaError_t err = rt_capture_forbids_unsafe();
  return err != cudaSuccess ? err : device_alloc(devPtr, size);
}

RT_EXPORT cudaError_t cudaFree(void *devPtr) {
  cudaError_t err = rt_capture_forbids_unsafe();
  if (err == cudaSuccess) err = ready();
  if (err != cudaSuccess || devPtr == NULL) return err;
  if (rt_graph_mem_free(devPtr)) return cudaSuccess;
  CUresult r = cuMemFree(DPTR(devPtr));
  if (r == CUDA_SUCCESS) rt_mempool_note_free(devPtr);
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

/* Allocating at once is within stream order: the memory is ready early. On a capturing stream
 * the allocation also becomes the graph's memory-allocation node (docs/graphs.md). */
cudaError_t rt_malloc_async(void **devPtr, size_t size, cudaStream_t hStream, cudaMemPool_t pool) {
  cudaError_t err = device_alloc(devPtr, size);
  if (err != cudaSuccess) return err;
  if (!rt_capturing(hStream, false)) {
    if (*devPtr) rt_mempool_note_alloc(*devPtr, size, pool);
    return err;
  }
  rt_op op = {.kind = RT_OP_MEM_ALLOC};
  op.u.mem.ptr = *devPtr;
  op.u.mem.size = size;
  return rt_submit(hStream, false, &op);
}

RT_EXPORT cudaError_t cudaMallocAsync(void **devPtr, size_t size, cudaStream_t hStream) {
  return rt_malloc_async(devPtr, size, hStream, NULL);
}

RT_EXPORT cudaError_t cudaFreeAsync(void *devPtr, cudaStream_t hStream) {
  cudaError_t err = ready();
  if (err != cudaSuccess) return err;
  if (rt_capturing(hStream, false)) { /* the graph keeps the memory: see docs/graphs.md */
    rt_op op = {.kind = RT_OP_MEM_FREE};
    op.u.mem.ptr = devPtr;
    return rt_submit(hStream, false, &op);
  }
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

CUresult rt_copy_async(void *dst, const void *src, size_t count, enum cudaMemcpyKind kind,
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

/* Stream-ordered work goes through rt_submit (stream capture records it); synchronous calls
 * are refused while a capture forbids them (rt_capture_forbids_unsafe). */
static cudaError_t submit_copy(void *dst, const void *src, size_t count, enum cudaMemcpyKind kind,
                               cudaStream_t stream, bool per_thread) {
  rt_op op = {.kind = RT_OP_MEMCPY};
  op.u.copy.dst = dst;
  op.u.copy.src = src;
  op.u.copy.count = count;
  op.u.copy.kind = kind;
  return rt_submit(stream, per_thread, &op);
}

static cudaError_t memcpy_checked(void *dst, const void *src, size_t count,
                                  enum cudaMemcpyKind kind, const cudaStream_t *stream, bool per_thread) {
  if (!kind_valid(kind)) return rt_set_error(cudaErrorInvalidMemcpyDirection);
  cudaError_t err = stream ? cudaSuccess : rt_capture_forbids_unsafe();
  if (err == cudaSuccess) err = ready();
  if (err != cudaSuccess || count == 0) return err;
  return stream ? submit_copy(dst, src, count, kind, *stream, per_thread)
                : rt_check(copy_sync(dst, src, count, kind));
}

RT_EXPORT cudaError_t cudaMemcpy(void *dst, const void *src, size_t count, enum cudaMemcpyKind kind) {
  return memcpy_checked(dst, src, count, kind, NULL, false);
}

RT_EXPORT cudaError_t cudaMemcpy_ptds(void *dst, const void *src, size_t count,
                                      enum cudaMemcpyKind kind) {
  cudaStream_t s = cudaStreamPerThread;
  cudaError_t err = rt_capture_forbids_unsafe();
  if (err == cudaSuccess) err = memcpy_checked(dst, src, count, kind, &s, true);
  return err != cudaSuccess ? err : rt_check(cuStreamSynchronize(CU_STREAM_PER_THREAD));
}

RT_EXPORT cudaError_t cudaMemcpyAsync(void *dst, const void *src, size_t count,
                                      enum cudaMemcpyKind kind, cudaStream_t stream) {
  return memcpy_checked(dst, src, count, kind, &stream, false);
}

RT_EXPORT cudaError_t cudaMemcpyAsync_ptsz(void *dst, const void *src, size_t count,
                                           enum cudaMemcpyKind kind, cudaStream_t stream) {
  return memcpy_checked(dst, src, count, kind, &stream, true);
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
                            size_t height, enum cudaMemcpyKind kind, const cudaStream_t *stream) {
  if (!kind_valid(kind)) return rt_set_error(cudaErrorInvalidMemcpyDirection);
  if (width > dpitch || width > spitch) return rt_set_error(cudaErrorInvalidPitchValue);
  cudaError_t err = stream ? cudaSuccess : rt_capture_forbids_unsafe();
  if (err == cudaSuccess) err = ready();
  if (err != cudaSuccess || width == 0 || height == 0) return err;
  rt_op op = {.kind = RT_OP_MEMCPY2D};
  describe_2d(&op.u.copy2d, dst, dpitch, src, spitch, width, height, kind);
  return stream ? rt_submit(*stream, false, &op) : rt_check(cuMemcpy2D(&op.u.copy2d));
}

RT_EXPORT cudaError_t cudaMemcpy2D(void *dst, size_t dpitch, const void *src, size_t spitch,
                                   size_t width, size_t height, enum cudaMemcpyKind kind) {
  return memcpy2d(dst, dpitch, src, spitch, width, height, kind, NULL);
}

RT_EXPORT cudaError_t cudaMemcpy2DAsync(void *dst, size_t dpitch, const void *src, size_t spitch,
                                        size_t width, size_t height, enum cudaMemcpyKind kind,
                                        cudaStream_t stream) {
  return memcpy2d(dst, dpitch, src, spitch, width, height, kind, &stream);
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
                             enum cudaMemcpyKind kind, const cudaStream_t *stream) {
  if (kind != cudaMemcpyHostToDevice && kind != cudaMemcpyDeviceToDevice && kind != cudaMemcpyDefault)
    return rt_set_error(cudaErrorInvalidMemcpyDirection);
  CUdeviceptr addr;
  cudaError_t err = symbol_range(symbol, count, offset, &addr);
  if (err != cudaSuccess) return err;
  if (stream)
    return submit_copy((void *)(uintptr_t)addr, src, count,
                       kind == cudaMemcpyHostToDevice ? kind : cudaMemcpyDefault, *stream, false);
  if ((err = rt_capture_forbids_unsafe()) != cudaSuccess) return err;
  if (kind == cudaMemcpyHostToDevice) return rt_check(cuMemcpyHtoD(addr, src, count));
  return rt_check(cuMemcpy(addr, DPTR(src), count));
}

static cudaError_t from_symbol(void *dst, const void *symbol, size_t count, size_t offset,
                               enum cudaMemcpyKind kind, const cudaStream_t *stream) {
  if (kind != cudaMemcpyDeviceToHost && kind != cudaMemcpyDeviceToDevice && kind != cudaMemcpyDefault)
    return rt_set_error(cudaErrorInvalidMemcpyDirection);
  CUdeviceptr addr;
  cudaError_t err = symbol_range(symbol, count, offset, &addr);
  if (err != cudaSuccess) return err;
  if (stream)
    return submit_copy(dst, (const void *)(uintptr_t)addr, count,
                       kind == cudaMemcpyDeviceToHost ? kind : cudaMemcpyDefault, *stream, false);
  if ((err = rt_capture_forbids_unsafe()) != cudaSuccess) return err;
  if (kind == cudaMemcpyDeviceToHost) return rt_check(cuMemcpyDtoH(dst, addr, count));
  return rt_check(cuMemcpy(DPTR(dst), addr, count));
}

RT_EXPORT cudaError_t cudaMemcpyToSymbol(const void *symbol, const void *src, size_t count,
                                         size_t offset, enum cudaMemcpyKind kind) {
  return to_symbol(symbol, src, count, offset, kind, NULL);
}

RT_EXPORT cudaError_t cudaMemcpyToSymbolAsync(const void *symbol, const void *src, size_t count,
                                              size_t offset, enum cudaMemcpyKind kind,
                                              cudaStream_t stream) {
  return to_symbol(symbol, src, count, offset, kind, &stream);
}

RT_EXPORT cudaError_t cudaMemcpyFromSymbol(void *dst, const void *symbol, size_t count,
                                           size_t offset, enum cudaMemcpyKind kind) {
  return from_symbol(dst, symbol, count, offset, kind, NULL);
}

RT_EXPORT cudaError_t cudaMemcpyFromSymbolAsync(void *dst, const void *symbol, size_t count,
                                                size_t offset, enum cudaMemcpyKind kind,
                                                cudaStream_t stream) {
  return from_symbol(dst, symbol, count, offset, kind, &stream);
}

/* ---- memset ---- */

RT_EXPORT cudaError_t cudaMemset(void *devPtr, int value, size_t count) {
  cudaError_t err = rt_capture_forbids_unsafe();
  if (err == cudaSuccess) err = ready();
  return err != cudaSuccess ? err : rt_check(cuMemsetD8(DPTR(devPtr), (unsigned char)value, count));
}

/* Byte memsets in stream order, through rt_submit (captured as memset nodes). */
static cudaError_t submit_memset(void *devPtr, size_t pitch, int value, size_t width, size_t height,
                                 cudaStream_t stream) {
  cudaError_t err = ready();
  if (err != cudaSuccess) return err;
  rt_op op = {.kind = RT_OP_MEMSET};
  op.u.memset = (struct cudaMemsetParams){devPtr, pitch, (unsigned)(unsigned char)value, 1, width, height};
  return rt_submit(stream, false, &op);
}

RT_EXPORT cudaError_t cudaMemsetAsync(void *devPtr, int value, size_t count, cudaStream_t stream) {
  return submit_memset(devPtr, count, value, count, 1, stream);
}

RT_EXPORT cudaError_t cudaMemset2D(void *devPtr, size_t pitch, int value, size_t width, size_t height) {
  cudaError_t err = rt_capture_forbids_unsafe();
  if (err == cudaSuccess) err = ready();
  return err != cudaSuccess ? err
                            : rt_check(cuMemsetD2D8(DPTR(devPtr), pitch, (unsigned char)value, width, height));
}

RT_EXPORT cudaError_t cudaMemset2DAsync(void *devPtr, size_t pitch, int value, size_t width,
                                        size_t height, cudaStream_t stream) {
  return submit_memset(devPtr, pitch, value, width, height, stream);
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

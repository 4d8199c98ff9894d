/* custom_memory.c - memory on the client: the table of device allocations (cuMemcpy's direction,
 * cuMemFree's check), page-locked host memory (plain host memory here: it never leaves this
 * machine), and copies in chunks of GS_CHUNK bytes, zstd-compressed when the first chunk shows
 * it pays (GPUSHIM_COMPRESS=0 turns it off). Copies back are decoded straight into the caller's
 * buffer when their reply arrives: at once for the synchronous forms, at the next
 * synchronizing call for the asynchronous ones. */
#include <pthread.h>
#include <stdlib.h>
#include <string.h>

#include "gs_client.h"

/* ---- device allocations ------------------------------------------------------------------ */

typedef struct {
  CUdeviceptr base;
  uint64_t size;
  int global;
  uint64_t ctx;        /* the context current when it was made */
} alloc;

static pthread_mutex_t alloc_lock = PTHREAD_MUTEX_INITIALIZER;
static alloc *allocs;
static size_t nallocs, capallocs;

void gs_client_note_alloc(CUdeviceptr p, uint64_t size, int global) {
  pthread_mutex_lock(&alloc_lock);
  size_t i;
  for (i = 0; i < nallocs && allocs[i].base != p; i++) {}
  if (i == nallocs && nallocs == capallocs) {
    size_t cap = capallocs ? capallocs * 2 : 64;
    alloc *a = realloc(allocs, cap * sizeof *a);
    if (a) {
      allocs = a;
      capallocs = cap;
    }
  }
  if (i < capallocs) {
    allocs[i] = (alloc){p, size, global, gs_client_current_ctx()};
    if (i == nallocs) nallocs++;
  }
  pthread_mutex_unlock(&alloc_lock);
}

/* Forgets the allocation based at p; `global_too` also forgets one noted as global. */
static int forget(CUdeviceptr p, int global_too) {
  pthread_mutex_lock(&alloc_lock);
  int rc = -1;
  for (size_t i = 0; i < nallocs; i++)
    if (allocs[i].base == p && (global_too || !allocs[i].global)) {
      allocs[i] = allocs[--nallocs];
      rc = 0;
      break;
    }
  pthread_mutex_unlock(&alloc_lock);
  return rc;
}

int gs_client_forget_alloc(CUdeviceptr p) { return forget(p, 0); }
void gs_client_forget_mapping(CUdeviceptr p) { (void)forget(p, 1); }

int gs_client_is_device(CUdeviceptr p) {
  pthread_mutex_lock(&alloc_lock);
  int found = 0;
  for (size_t i = 0; i < nallocs && !found; i++)
    found = p >= allocs[i].base && p - allocs[i].base < allocs[i].size;
  pthread_mutex_unlock(&alloc_lock);
  return found;
}

/* The allocation holding p: 0, or -1 when p is no device address we know. */
static int find_alloc(CUdeviceptr p, alloc *out) {
  pthread_mutex_lock(&alloc_lock);
  int rc = -1;
  for (size_t i = 0; i < nallocs && rc < 0; i++)
    if (p >= allocs[i].base && p - allocs[i].base < allocs[i].size) {
      *out = allocs[i];
      rc = 0;
    }
  pthread_mutex_unlock(&alloc_lock);
  return rc;
}

/* Forgets the allocations made in context ctx (its reset freed them). */
static void forget_allocs_of(uint64_t ctx) {
  pthread_mutex_lock(&alloc_lock);
  for (size_t i = 0; i < nallocs;)
    if (allocs[i].ctx == ctx) allocs[i] = allocs[--nallocs];
    else i++;
  pthread_mutex_unlock(&alloc_lock);
}

/* A reset frees everything made in the primary context on the agent; the client forgets it. */
GS_EXPORT CUresult CUDAAPI cuDevicePrimaryCtxReset(CUdevice dev) {
  CUcontext primary;
  CUresult e = cuDevicePrimaryCtxRetain(&primary, dev);
  if (e) return e;
  cuDevicePrimaryCtxReset_args a = {dev};
  e = gs_call(GS_cuDevicePrimaryCtxReset, GS_F_SYNC,
              (xdrproc_t)xdr_cuDevicePrimaryCtxReset_args, &a, 0, 0);
  if (e == CUDA_SUCCESS) {
    gs_uvm_reset();                   /* before the table forgets the device halves */
    forget_allocs_of((uint64_t)(uintptr_t)primary);
    gs_client_forget_context_errors((uint64_t)(uintptr_t)primary);  /* gone with the old one */
  }
  return e;
}

GS_EXPORT CUresult CUDAAPI cuMemFree(CUdeviceptr dptr) {
  if (dptr == 0) return CUDA_SUCCESS;
  gs_uvm_info u;
  if (gs_uvm_find(dptr, 0, &u) >= 0 && u.kind == GS_UVM_MANAGED)
    return gs_uvm_free(dptr, GS_UVM_MANAGED);
  if (gs_client_forget_alloc(dptr) < 0) return CUDA_ERROR_INVALID_VALUE;
  cuMemFree_args a = {dptr};
  return gs_call(GS_cuMemFree, 0, (xdrproc_t)xdr_cuMemFree_args, &a, 0, 0);
}

/* ---- host memory ------------------------------------------------------------------------- */

/* Page-locked host memory is plain host memory here (it never leaves this machine); the table
 * remembers it so pointer attributes and flags answer as a driver would. */
typedef struct {
  uintptr_t base;
  size_t size;
  unsigned flags;
  int registered;      /* cuMemHostRegister'ed (not ours to free) */
} host_range;

static host_range *hosts;
static size_t nhosts, caphosts;

static int host_note(void *p, size_t size, unsigned flags, int registered) {
  pthread_mutex_lock(&alloc_lock);
  int rc = 0;
  if (nhosts == caphosts) {
    size_t cap = caphosts ? caphosts * 2 : 32;
    host_range *h = realloc(hosts, cap * sizeof *h);
    if (h) {
      hosts = h;
      caphosts = cap;
    }
  }
  if (nhosts < caphosts) hosts[nhosts++] = (host_range){(uintptr_t)p, size, flags, registered};
  else rc = -1;
  pthread_mutex_unlock(&alloc_lock);
  return rc;
}

/* Forgets the range starting at p that was (registered ? registered : allocated). 0 or -1. */
static int host_forget(void *p, int registered) {
  pthread_mutex_lock(&alloc_lock);
  int rc = -1;
  for (size_t i = 0; i < nhosts; i++)
    if (hosts[i].base == (uintptr_t)p && hosts[i].registered == registered) {
      hosts[i] = hosts[--nhosts];
      rc = 0;
      break;
    }
  pthread_mutex_unlock(&alloc_lock);
  return rc;
}

static int host_find(uintptr_t p, host_range *out) {
  pthread_mutex_lock(&alloc_lock);
  int rc = -1;
  for (size_t i = 0; i < nhosts && rc < 0; i++)
    if (p >= hosts[i].base && p - hosts[i].base < hosts[i].size) {
      *out = hosts[i];
      rc = 0;
    }
  pthread_mutex_unlock(&alloc_lock);
  return rc;
}

/* DEVICEMAP memory (in process: all page-locked memory) is shared with the device (uvm.c);
 * other page-locked memory is plain. */
GS_EXPORT CUresult CUDAAPI cuMemHostAlloc(void **pp, size_t bytesize, unsigned int Flags) {
  if (!pp || bytesize == 0) return CUDA_ERROR_INVALID_VALUE;
  /* Under unified addressing every page-locked allocation is mapped, at its host address, and
   * kernels may use the pointer directly. In process that costs nothing (one memory, nothing
   * tracked), so all of them are; across a link only those asked for as mapped are, since a
   * tracked range is pulled back after device work and refuses read() into clean pages. */
  int mapped = (Flags & CU_MEMHOSTALLOC_DEVICEMAP) != 0 || gs_uvm_inprocess();
  if (mapped) {
    CUresult e = gs_uvm_alloc(pp, bytesize, GS_UVM_HOSTALLOC, Flags);
    if (e) return e;
  } else if (posix_memalign(pp, 4096, bytesize) != 0) {
    return CUDA_ERROR_OUT_OF_MEMORY;
  }
  if (host_note(*pp, bytesize, Flags, 0) < 0) {
    if (mapped) gs_uvm_free((uintptr_t)*pp, GS_UVM_HOSTALLOC);
    else free(*pp);
    *pp = NULL;
    return CUDA_ERROR_OUT_OF_MEMORY;
  }
  return CUDA_SUCCESS;
}

GS_EXPORT CUresult CUDAAPI cuMemAllocHost(void **pp, size_t bytesize) {
  return cuMemHostAlloc(pp, bytesize, 0);
}

GS_EXPORT CUresult CUDAAPI cuMemFreeHost(void *p) {
  if (!p) return CUDA_SUCCESS;
  if (host_forget(p, 0) < 0) return CUDA_ERROR_INVALID_VALUE;
  gs_uvm_info u;
  if (gs_uvm_find((uintptr_t)p, 0, &u) >= 0) return gs_uvm_free((uintptr_t)p, GS_UVM_HOSTALLOC);
  free(p);
  return CUDA_SUCCESS;
}

GS_EXPORT CUresult CUDAAPI cuMemHostRegister(void *p, size_t bytesize, unsigned int Flags) {
  if (!p || !bytesize) return CUDA_ERROR_INVALID_VALUE;
  host_range h;
  if (host_find((uintptr_t)p, &h) == 0) return CUDA_ERROR_HOST_MEMORY_ALREADY_REGISTERED;
  if (Flags & CU_MEMHOSTREGISTER_DEVICEMAP) {
    CUresult e = gs_uvm_register(p, bytesize, Flags);
    if (e) return e;
  }
  if (host_note(p, bytesize, Flags, 1) == 0) return CUDA_SUCCESS;
  if (Flags & CU_MEMHOSTREGISTER_DEVICEMAP) gs_uvm_free((uintptr_t)p, GS_UVM_REGISTERED);
  return CUDA_ERROR_OUT_OF_MEMORY;
}

GS_EXPORT CUresult CUDAAPI cuMemHostUnregister(void *p) {
  if (!p) return CUDA_ERROR_INVALID_VALUE;
  if (host_forget(p, 1) < 0) return CUDA_ERROR_HOST_MEMORY_NOT_REGISTERED;
  gs_uvm_info u;
  if (gs_uvm_find((uintptr_t)p, 0, &u) >= 0 && u.kind == GS_UVM_REGISTERED)
    return gs_uvm_free((uintptr_t)p, GS_UVM_REGISTERED);
  return CUDA_SUCCESS;
}

/* Mapped host memory's device address (uvm.c keeps the twin); Flags must be 0. */
GS_EXPORT CUresult CUDAAPI cuMemHostGetDevicePointer(CUdeviceptr *pdptr, void *p,
                                                     unsigned int Flags) {
  gs_uvm_info u;
  if (!pdptr || !p || Flags != 0) return CUDA_ERROR_INVALID_VALUE;
  if (gs_uvm_find((uintptr_t)p, 1, &u) < 0 || u.kind == GS_UVM_MANAGED)
    return CUDA_ERROR_INVALID_VALUE;
  *pdptr = u.dev + ((uintptr_t)p - u.host);
  return CUDA_SUCCESS;
}

GS_EXPORT CUresult CUDAAPI cuMemHostGetFlags(unsigned int *pFlags, void *p) {
  host_range h;
  if (!pFlags || !p || host_find((uintptr_t)p, &h) < 0) return CUDA_ERROR_INVALID_VALUE;
  *pFlags = h.flags;
  return CUDA_SUCCESS;
}

/* Managed memory: a host copy at the device allocation's address, kept coherent (uvm.c). */
GS_EXPORT CUresult CUDAAPI cuMemAllocManaged(CUdeviceptr *dptr, size_t bytesize,
                                             unsigned int flags) {
  if (!dptr || !bytesize || (flags != CU_MEM_ATTACH_GLOBAL && flags != CU_MEM_ATTACH_HOST))
    return CUDA_ERROR_INVALID_VALUE;
  void *p = NULL;
  CUresult e = gs_uvm_alloc(&p, bytesize, GS_UVM_MANAGED, flags);
  if (e == CUDA_SUCCESS) *dptr = (CUdeviceptr)(uintptr_t)p;
  return e;
}

/* ---- pointer attributes, from the client's own table ------------------------------------- */

/* Page-locked host memory: a host pointer, not reachable from the (remote) device. */
static CUresult host_pointer_attribute(void *data, CUpointer_attribute attr, CUdeviceptr ptr,
                                       const host_range *h) {
  gs_uvm_info u;
  if (attr == CU_POINTER_ATTRIBUTE_DEVICE_POINTER && gs_uvm_find(ptr, 1, &u) >= 0) {
    *(CUdeviceptr *)data = u.dev + (ptr - u.host);     /* mapped: its device twin */
    return CUDA_SUCCESS;
  }
  switch (attr) {
  case CU_POINTER_ATTRIBUTE_CONTEXT:
    *(CUcontext *)data = (CUcontext)(uintptr_t)gs_client_current_ctx();
    break;
  case CU_POINTER_ATTRIBUTE_MEMORY_TYPE: *(unsigned *)data = CU_MEMORYTYPE_HOST; break;
  case CU_POINTER_ATTRIBUTE_HOST_POINTER: *(void **)data = (void *)(uintptr_t)ptr; break;
  case CU_POINTER_ATTRIBUTE_IS_MANAGED: *(int *)data = 0; break;
  case CU_POINTER_ATTRIBUTE_MAPPED: *(int *)data = 1; break;
  case CU_POINTER_ATTRIBUTE_DEVICE_ORDINAL: *(int *)data = 0; break;
  case CU_POINTER_ATTRIBUTE_RANGE_START_ADDR: *(CUdeviceptr *)data = h->base; break;
  case CU_POINTER_ATTRIBUTE_RANGE_SIZE: *(size_t *)data = h->size; break;
  default: return CUDA_ERROR_NOT_SUPPORTED;   /* device pointer: host memory is not mapped */
  }
  return CUDA_SUCCESS;
}

/* Managed memory: one address on host and device. */
static CUresult managed_pointer_attribute(void *data, CUpointer_attribute attr, CUdeviceptr ptr,
                                          const gs_uvm_info *u) {
  switch (attr) {
  case CU_POINTER_ATTRIBUTE_CONTEXT:
    *(CUcontext *)data = (CUcontext)(uintptr_t)gs_client_current_ctx();
    break;
  case CU_POINTER_ATTRIBUTE_MEMORY_TYPE: *(unsigned *)data = CU_MEMORYTYPE_DEVICE; break;
  case CU_POINTER_ATTRIBUTE_DEVICE_POINTER: *(CUdeviceptr *)data = ptr; break;
  case CU_POINTER_ATTRIBUTE_HOST_POINTER: *(void **)data = (void *)(uintptr_t)ptr; break;
  case CU_POINTER_ATTRIBUTE_IS_MANAGED: *(int *)data = 1; break;
  case CU_POINTER_ATTRIBUTE_MAPPED: *(int *)data = 1; break;
  case CU_POINTER_ATTRIBUTE_DEVICE_ORDINAL: *(int *)data = 0; break;
  case CU_POINTER_ATTRIBUTE_RANGE_START_ADDR: *(CUdeviceptr *)data = u->host; break;
  case CU_POINTER_ATTRIBUTE_RANGE_SIZE: *(size_t *)data = u->size; break;
  case CU_POINTER_ATTRIBUTE_BUFFER_ID: *(unsigned long long *)data = u->host; break;
  default: return CUDA_ERROR_NOT_SUPPORTED;
  }
  return CUDA_SUCCESS;
}

static CUresult pointer_attribute(void *data, CUpointer_attribute attr, CUdeviceptr ptr) {
  gs_uvm_info u;
  host_range h;
  if (gs_uvm_find(ptr, 1, &u) >= 0) {       /* managed, or mapped host memory */
    if (u.kind == GS_UVM_MANAGED) return managed_pointer_attribute(data, attr, ptr, &u);
    if (host_find(ptr, &h) == 0) return host_pointer_attribute(data, attr, ptr, &h);
  }
  alloc a = {0};
  int device = find_alloc(ptr, &a) == 0;
  if (!device && host_find(ptr, &h) == 0) return host_pointer_attribute(data, attr, ptr, &h);
  if (!device && attr != CU_POINTER_ATTRIBUTE_MEMORY_TYPE && attr != CU_POINTER_ATTRIBUTE_MAPPED &&
      attr != CU_POINTER_ATTRIBUTE_IS_MANAGED)
    return CUDA_ERROR_INVALID_VALUE;                         /* as for unregistered host memory */
  switch (attr) {
  case CU_POINTER_ATTRIBUTE_CONTEXT: *(CUcontext *)data = (CUcontext)(uintptr_t)a.ctx; break;
  case CU_POINTER_ATTRIBUTE_MEMORY_TYPE:
    if (!device) return CUDA_ERROR_INVALID_VALUE;
    *(unsigned *)data = CU_MEMORYTYPE_DEVICE;
    break;
  case CU_POINTER_ATTRIBUTE_DEVICE_POINTER: *(CUdeviceptr *)data = ptr; break;
  case CU_POINTER_ATTRIBUTE_HOST_POINTER: *(void **)data = NULL; break;
  case CU_POINTER_ATTRIBUTE_IS_MANAGED: *(int *)data = 0; break;
  case CU_POINTER_ATTRIBUTE_MAPPED: *(int *)data = device; break;
  case CU_POINTER_ATTRIBUTE_DEVICE_ORDINAL: *(int *)data = 0; break;
  case CU_POINTER_ATTRIBUTE_RANGE_START_ADDR: *(CUdeviceptr *)data = a.base; break;
  case CU_POINTER_ATTRIBUTE_RANGE_SIZE: *(size_t *)data = a.size; break;
  case CU_POINTER_ATTRIBUTE_BUFFER_ID: *(unsigned long long *)data = a.base; break;
  default: return CUDA_ERROR_NOT_SUPPORTED;
  }
  return CUDA_SUCCESS;
}

GS_EXPORT CUresult CUDAAPI cuPointerGetAttribute(void *data, CUpointer_attribute attribute,
                                                 CUdeviceptr ptr) {
  if (!data) return CUDA_ERROR_INVALID_VALUE;
  return pointer_attribute(data, attribute, ptr);
}

/* The plural form fills what it can; unknown pointers read as unregistered host memory. */
GS_EXPORT CUresult CUDAAPI cuPointerGetAttributes(unsigned int numAttributes,
                                                  CUpointer_attribute *attributes, void **data,
                                                  CUdeviceptr ptr) {
  if (!attributes || !data) return CUDA_ERROR_INVALID_VALUE;
  for (unsigned i = 0; i < numAttributes; i++) {
    if (!data[i]) continue;
    if (pointer_attribute(data[i], attributes[i], ptr) != CUDA_SUCCESS) {
      if (attributes[i] == CU_POINTER_ATTRIBUTE_MEMORY_TYPE) *(unsigned *)data[i] = 0;
      else if (attributes[i] == CU_POINTER_ATTRIBUTE_CONTEXT) *(CUcontext *)data[i] = NULL;
      else if (attributes[i] == CU_POINTER_ATTRIBUTE_DEVICE_POINTER ||
               attributes[i] == CU_POINTER_ATTRIBUTE_HOST_POINTER)
        *(void **)data[i] = NULL;
      else if (attributes[i] == CU_POINTER_ATTRIBUTE_DEVICE_ORDINAL) *(int *)data[i] = -2;
      else *(int *)data[i] = 0;
    }
  }
  return CUDA_SUCCESS;
}

/* ---- chunked copies (called between gs_begin and gs_end) --------------------------------- */

static ZSTD_CCtx *zctx;           /* used under the client lock only */

static int compress_wanted(size_t n) {
  const char *c = getenv("GPUSHIM_COMPRESS");
  if (c && (!strcmp(c, "0") || !strcmp(c, "off") || !strcmp(c, "no"))) return 0;
  return n >= GS_COMPRESS_MIN;
}

static CUresult queue_htod(CUdeviceptr dst, const uint8_t *src, size_t n, uint64_t stream) {
  static uint8_t *zbuf;
  int compress = compress_wanted(n);
  if (compress && !zbuf) zbuf = malloc(ZSTD_compressBound(GS_CHUNK));
  if (compress && !zctx) zctx = ZSTD_createCCtx();
  if (!zbuf || !zctx) compress = 0;
  for (size_t off = 0; off < n; off += GS_CHUNK) {
    size_t c = n - off < GS_CHUNK ? n - off : GS_CHUNK;
    gs_memcpy_htod_args a = {dst + off, stream, (u_int)c, GS_CODEC_NONE,
                             {(u_int)c, (char *)(uintptr_t)(src + off)}};
    if (compress) {
      size_t z = ZSTD_compressCCtx(zctx, zbuf, ZSTD_compressBound(GS_CHUNK), src + off, c, 1);
      if (!ZSTD_isError(z) && z < c - c / 8) {
        a.codec = GS_CODEC_ZSTD;
        a.data.data_val = (char *)zbuf;
        a.data.data_len = (u_int)z;
      } else {
        compress = 0;               /* it did not pay: the rest goes as it is */
      }
    }
    gs_pending p = {0};
    CUresult e = gs_enqueue(GS_gs_memcpy_htod, (xdrproc_t)xdr_gs_memcpy_htod_args, &a, &p);
    if (e) return e;
  }
  return CUDA_SUCCESS;
}

static CUresult queue_dtoh(uint8_t *dst, CUdeviceptr src, size_t n, uint64_t stream) {
  int compress = compress_wanted(n);
  for (size_t off = 0; off < n; off += GS_CHUNK) {
    size_t c = n - off < GS_CHUNK ? n - off : GS_CHUNK;
    gs_memcpy_dtoh_args a = {src + off, stream, (u_int)c, compress ? (off == 0 ? 2u : 1u) : 0u};
    gs_pending p = {.decode = gs_decode_dtoh_chunk, .dst = dst + off, .len = (uint32_t)c};
    CUresult e = gs_enqueue(GS_gs_memcpy_dtoh, (xdrproc_t)xdr_gs_memcpy_dtoh_args, &a, &p);
    if (e) return e;
  }
  return CUDA_SUCCESS;
}

static CUresult queue_dtod(CUdeviceptr dst, CUdeviceptr src, size_t n, uint64_t stream) {
  cuMemcpyDtoDAsync_args a = {dst, src, n, stream};
  gs_pending p = {0};
  return gs_enqueue(GS_cuMemcpyDtoDAsync, (xdrproc_t)xdr_cuMemcpyDtoDAsync_args, &a, &p);
}

CUresult gs_client_queue_htod(CUdeviceptr dst, const uint8_t *src, size_t n, uint64_t stream) {
  return queue_htod(dst, src, n, stream);
}

CUresult gs_client_queue_dtoh(uint8_t *dst, CUdeviceptr src, size_t n, uint64_t stream) {
  return queue_dtoh(dst, src, n, stream);
}

enum { DIR_HH, DIR_HD, DIR_DH, DIR_DD };

static int direction(CUdeviceptr dst, CUdeviceptr src) {
  int d = gs_client_is_device(dst), s = gs_client_is_device(src);
  return s ? (d ? DIR_DD : DIR_DH) : (d ? DIR_HD : DIR_HH);
}

static CUresult queue_copy(int dir, CUdeviceptr dst, CUdeviceptr src, size_t n, uint64_t stream) {
  switch (dir) {
  case DIR_HD: return queue_htod(dst, (const uint8_t *)(uintptr_t)src, n, stream);
  case DIR_DH: return queue_dtoh((uint8_t *)(uintptr_t)dst, src, n, stream);
  case DIR_DD: return queue_dtod(dst, src, n, stream);
  default:
    if (n) memmove((void *)(uintptr_t)dst, (const void *)(uintptr_t)src, n);
    return CUDA_SUCCESS;
  }
}

/* One copy: queued, then (sync) sent and waited for. */
static CUresult copy(int dir, CUdeviceptr dst, CUdeviceptr src, size_t n, CUstream stream,
                     int sync) {
  if (n && (!dst || !src)) return CUDA_ERROR_INVALID_VALUE;
  CUresult e = gs_begin();
  if (e) return e;
  if (!sync && (e = gs_sticky_error()) != CUDA_SUCCESS) {
    gs_end();
    return e;
  }
  e = queue_copy(dir, dst, src, n, (uint64_t)(uintptr_t)stream);
  if (e == CUDA_SUCCESS && sync) e = gs_flush(1);
  gs_end();
  return e;
}

GS_EXPORT CUresult CUDAAPI cuMemcpyHtoD(CUdeviceptr dstDevice, const void *srcHost,
                                        size_t ByteCount) {
  return copy(DIR_HD, dstDevice, (CUdeviceptr)(uintptr_t)srcHost, ByteCount, NULL, 1);
}

GS_EXPORT CUresult CUDAAPI cuMemcpyDtoH(void *dstHost, CUdeviceptr srcDevice, size_t ByteCount) {
  return copy(DIR_DH, (CUdeviceptr)(uintptr_t)dstHost, srcDevice, ByteCount, NULL, 1);
}

GS_EXPORT CUresult CUDAAPI cuMemcpyHtoDAsync(CUdeviceptr dstDevice, const void *srcHost,
                                             size_t ByteCount, CUstream hStream) {
  return copy(DIR_HD, dstDevice, (CUdeviceptr)(uintptr_t)srcHost, ByteCount, hStream, 0);
}

GS_EXPORT CUresult CUDAAPI cuMemcpyDtoHAsync(void *dstHost, CUdeviceptr srcDevice,
                                             size_t ByteCount, CUstream hStream) {
  return copy(DIR_DH, (CUdeviceptr)(uintptr_t)dstHost, srcDevice, ByteCount, hStream, 0);
}

GS_EXPORT CUresult CUDAAPI cuMemcpy(CUdeviceptr dst, CUdeviceptr src, size_t ByteCount) {
  return copy(direction(dst, src), dst, src, ByteCount, NULL, 1);
}

GS_EXPORT CUresult CUDAAPI cuMemcpyAsync(CUdeviceptr dst, CUdeviceptr src, size_t ByteCount,
                                         CUstream hStream) {
  return copy(direction(dst, src), dst, src, ByteCount, hStream, 0);
}

/* ---- 2D copies: row by row, or as one run when both sides are contiguous ------------------- */

static int side(CUmemorytype t, CUdeviceptr dev, const void *host, CUdeviceptr *addr) {
  switch (t) {
  case CU_MEMORYTYPE_HOST: *addr = (CUdeviceptr)(uintptr_t)host; return 0;
  case CU_MEMORYTYPE_DEVICE: *addr = dev; return 1;
  case CU_MEMORYTYPE_UNIFIED: *addr = dev; return gs_client_is_device(dev);
  default: return -1;                                    /* arrays: not forwarded yet */
  }
}

static CUresult copy2d(const CUDA_MEMCPY2D *c, CUstream stream, int sync) {
  if (!c) return CUDA_ERROR_INVALID_VALUE;
  CUdeviceptr src = 0, dst = 0;
  int sd = side(c->srcMemoryType, c->srcDevice, c->srcHost, &src);
  int dd = side(c->dstMemoryType, c->dstDevice, c->dstHost, &dst);
  if (c->srcMemoryType == CU_MEMORYTYPE_ARRAY || c->dstMemoryType == CU_MEMORYTYPE_ARRAY)
    return gs_copy2d_array(c, stream);                   /* custom_texture.c */
  if (sd < 0 || dd < 0) return CUDA_ERROR_NOT_SUPPORTED;
  if (c->Height && c->WidthInBytes &&
      (c->srcPitch < c->WidthInBytes || c->dstPitch < c->WidthInBytes || !src || !dst))
    return CUDA_ERROR_INVALID_VALUE;
  int dir = sd ? (dd ? DIR_DD : DIR_DH) : (dd ? DIR_HD : DIR_HH);
  src += c->srcY * c->srcPitch + c->srcXInBytes;
  dst += c->dstY * c->dstPitch + c->dstXInBytes;
  CUresult e = gs_begin();
  if (e) return e;
  uint64_t s = (uint64_t)(uintptr_t)stream;
  if (c->srcPitch == c->WidthInBytes && c->dstPitch == c->WidthInBytes) {
    e = queue_copy(dir, dst, src, c->WidthInBytes * c->Height, s);
  } else {
    for (size_t row = 0; row < c->Height && e == CUDA_SUCCESS; row++)
      e = queue_copy(dir, dst + row * c->dstPitch, src + row * c->srcPitch, c->WidthInBytes, s);
  }
  if (e == CUDA_SUCCESS && sync) e = gs_flush(1);
  gs_end();
  return e;
}

GS_EXPORT CUresult CUDAAPI cuMemcpy2D(const CUDA_MEMCPY2D *pCopy) {
  return copy2d(pCopy, NULL, 1);
}

GS_EXPORT CUresult CUDAAPI cuMemcpy2DAsync(const CUDA_MEMCPY2D *pCopy, CUstream hStream) {
  return copy2d(pCopy, hStream, 0);
}

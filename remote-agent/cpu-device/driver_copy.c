/* driver_copy.c - memory copies (1D, 2D, 3D; sync and async) and memsets (8/16/32-bit, 1D/2D).
 *
 * Every copy or memset is an op on a stream, so it is ordered with kernels. Synchronous
 * forms go to the default stream and wait. Device-side ranges are validated against the
 * allocation table before anything is queued. Async copies from pageable host memory are
 * staged (the caller may reuse its buffer at once, as CUDA allows); async copies into
 * pageable host memory complete before returning, as CUDA documents.
 */
#include "driver.h"

#include <stdlib.h>
#include <string.h>

/* A rectangular copy: depth slices of height rows of width bytes. */
typedef struct {
  uint8_t *dst;
  const uint8_t *src;
  size_t dpitch, spitch;     /* row pitches */
  size_t dslice, sslice;     /* slice pitches */
  size_t width, height, depth;
  uint8_t *staging;          /* owned copy of a pageable source, or NULL */
} copy_job;

typedef struct {
  uint8_t *dst;
  size_t pitch;
  uint32_t value;
  unsigned elem;             /* 1, 2 or 4 bytes */
  size_t width;              /* elements per row */
  size_t height;
} set_job;

typedef enum { SIDE_HOST, SIDE_DEVICE, SIDE_UNIFIED } side_kind;

static void run_copy(cpudev_op *op) {
  copy_job *j = op->arg;
  for (size_t z = 0; z < j->depth; z++)
    for (size_t y = 0; y < j->height; y++)
      memmove(j->dst + z * j->dslice + y * j->dpitch, j->src + z * j->sslice + y * j->spitch, j->width);
}

static void free_copy(cpudev_op *op) {
  copy_job *j = op->arg;
  if (!j) return;
  free(j->staging);
  free(j);
}

static void run_set(cpudev_op *op) {
  set_job *j = op->arg;
  for (size_t y = 0; y < j->height; y++) {
    uint8_t *row = j->dst + y * j->pitch;
    if (j->elem == 1) {
      memset(row, (int)(j->value & 0xff), j->width);
    } else if (j->elem == 2) {
      uint16_t v = (uint16_t)j->value;
      for (size_t x = 0; x < j->width; x++) memcpy(row + 2 * x, &v, 2);
    } else {
      for (size_t x = 0; x < j->width; x++) memcpy(row + 4 * x, &j->value, 4);
    }
  }
}

static void free_set(cpudev_op *op) { free(op->arg); }

/* Bytes a w x h x d region spans from its first byte. */
static size_t span_of(size_t pitch, size_t slice, size_t w, size_t h, size_t d) {
  return (d - 1) * slice + (h - 1) * pitch + w;
}

/* Checks one side of a copy. Device pointers must lie inside one allocation; unified
 * pointers must too when they fall in one; host pointers are the caller's. Sets *pinned
 * when the memory is in the table (so async work may touch it later). */
static CUresult check_side(side_kind kind, uintptr_t p, size_t span, int *in_table) {
  cpudev_alloc a;
  int found = cpudev_mem_find(p, &a);
  *in_table = found;
  if (kind == SIDE_HOST) return p ? CUDA_SUCCESS : CUDA_ERROR_INVALID_VALUE;
  if (!found) return kind == SIDE_UNIFIED && p ? CUDA_SUCCESS : CUDA_ERROR_INVALID_VALUE;
  return span <= a.size - (p - a.base) ? CUDA_SUCCESS : CUDA_ERROR_INVALID_VALUE;
}

static CUresult submit_copy(copy_job tmpl, side_kind dk, side_kind sk, CUstream h, int ptds, int sync) {
  if (tmpl.width == 0 || tmpl.height == 0 || tmpl.depth == 0) {
    CUcontext ctx;
    return cpudev_current_ctx(&ctx);
  }
  int dst_known, src_known;
  size_t dspan = span_of(tmpl.dpitch, tmpl.dslice, tmpl.width, tmpl.height, tmpl.depth);
  size_t sspan = span_of(tmpl.spitch, tmpl.sslice, tmpl.width, tmpl.height, tmpl.depth);
  CUresult r = check_side(dk, (uintptr_t)tmpl.dst, dspan, &dst_known);
  if (!r) r = check_side(sk, (uintptr_t)tmpl.src, sspan, &src_known);
  if (r) return r;
  copy_job *j = malloc(sizeof *j);
  if (!j) return CUDA_ERROR_OUT_OF_MEMORY;
  *j = tmpl;
  if (!sync && !dst_known) sync = 1;   /* into pageable memory: completes before return */
  if (!sync && !src_known) {           /* from pageable memory: stage it now */
    j->staging = malloc(sspan);
    if (!j->staging) {
      free(j);
      return CUDA_ERROR_OUT_OF_MEMORY;
    }
    memcpy(j->staging, tmpl.src, sspan);
    j->src = j->staging;
  }
  return cpudev_submit(h, ptds, sync, run_copy, free_copy, j);
}

static copy_job linear_job(void *dst, const void *src, size_t n) {
  copy_job j = {.dst = dst, .src = src, .width = n, .height = 1, .depth = 1};
  return j;
}

static CUresult copy_linear(void *dst, side_kind dk, const void *src, side_kind sk, size_t n, CUstream h,
                            int ptds, int sync) {
  return submit_copy(linear_job(dst, src, n), dk, sk, h, ptds, sync);
}

#define DP(x) ((void *)(uintptr_t)(x))

/* ---- 1D copies ---- */

CPUDEV_API CUresult cuMemcpyHtoD_v2(CUdeviceptr dstDevice, const void *srcHost, size_t ByteCount) {
  return copy_linear(DP(dstDevice), SIDE_DEVICE, srcHost, SIDE_HOST, ByteCount, NULL, 0, 1);
}
CPUDEV_API CUresult cuMemcpyHtoD_v2_ptds(CUdeviceptr dstDevice, const void *srcHost, size_t ByteCount) {
  return copy_linear(DP(dstDevice), SIDE_DEVICE, srcHost, SIDE_HOST, ByteCount, NULL, 1, 1);
}
CPUDEV_API CUresult cuMemcpyDtoH_v2(void *dstHost, CUdeviceptr srcDevice, size_t ByteCount) {
  return copy_linear(dstHost, SIDE_HOST, DP(srcDevice), SIDE_DEVICE, ByteCount, NULL, 0, 1);
}
CPUDEV_API CUresult cuMemcpyDtoH_v2_ptds(void *dstHost, CUdeviceptr srcDevice, size_t ByteCount) {
  return copy_linear(dstHost, SIDE_HOST, DP(srcDevice), SIDE_DEVICE, ByteCount, NULL, 1, 1);
}
CPUDEV_API CUresult cuMemcpyDtoD_v2(CUdeviceptr dstDevice, CUdeviceptr srcDevice, size_t ByteCount) {
  return copy_linear(DP(dstDevice), SIDE_DEVICE, DP(srcDevice), SIDE_DEVICE, ByteCount, NULL, 0, 1);
}
CPUDEV_API CUresult cuMemcpyDtoD_v2_ptds(CUdeviceptr dstDevice, CUdeviceptr srcDevice, size_t ByteCount) {
  return copy_linear(DP(dstDevice), SIDE_DEVICE, DP(srcDevice), SIDE_DEVICE, ByteCount, NULL, 1, 1);
}
CPUDEV_API CUresult cuMemcpy(CUdeviceptr dst, CUdeviceptr src, size_t ByteCount) {
  return copy_linear(DP(dst), SIDE_UNIFIED, DP(src), SIDE_UNIFIED, ByteCount, NULL, 0, 1);
}
CPUDEV_API CUresult cuMemcpy_ptds(CUdeviceptr dst, CUdeviceptr src, size_t ByteCount) {
  return copy_linear(DP(dst), SIDE_UNIFIED, DP(src), SIDE_UNIFIED, ByteCount, NULL, 1, 1);
}
CPUDEV_API CUresult cuMemcpyPeer(CUdeviceptr dstDevice, CUcontext dstContext, CUdeviceptr srcDevice,
                                 CUcontext srcContext, size_t ByteCount) {
  (void)dstContext;
  (void)srcContext;
  return copy_linear(DP(dstDevice), SIDE_DEVICE, DP(srcDevice), SIDE_DEVICE, ByteCount, NULL, 0, 1);
}

CPUDEV_API CUresult cuMemcpyHtoDAsync_v2(CUdeviceptr dstDevice, const void *srcHost, size_t ByteCount,
                                         CUstream hStream) {
  return copy_linear(DP(dstDevice), SIDE_DEVICE, srcHost, SIDE_HOST, ByteCount, hStream, 0, 0);
}
CPUDEV_API CUresult cuMemcpyHtoDAsync_v2_ptsz(CUdeviceptr dstDevice, const void *srcHost, size_t ByteCount,
                                              CUstream hStream) {
  return copy_linear(DP(dstDevice), SIDE_DEVICE, srcHost, SIDE_HOST, ByteCount, hStream, 1, 0);
}
CPUDEV_API CUresult cuMemcpyDtoHAsync_v2(void *dstHost, CUdeviceptr srcDevice, size_t ByteCount, CUstream hStream) {
  return copy_linear(dstHost, SIDE_HOST, DP(srcDevice), SIDE_DEVICE, ByteCount, hStream, 0, 0);
}
CPUDEV_API CUresult cuMemcpyDtoHAsync_v2_ptsz(void *dstHost, CUdeviceptr srcDevice, size_t ByteCount,
                                              CUstream hStream) {
  return copy_linear(dstHost, SIDE_HOST, DP(srcDevice), SIDE_DEVICE, ByteCount, hStream, 1, 0);
}
CPUDEV_API CUresult cuMemcpyDtoDAsync_v2(CUdeviceptr dstDevice, CUdeviceptr srcDevice, size_t ByteCount,
                                         CUstream hStream) {
  return copy_linear(DP(dstDevice), SIDE_DEVICE, DP(srcDevice), SIDE_DEVICE, ByteCount, hStream, 0, 0);
}
CPUDEV_API CUresult cuMemcpyDtoDAsync_v2_ptsz(CUdeviceptr dstDevice, CUdeviceptr srcDevice, size_t ByteCount,
                                              CUstream hStream) {
  return copy_linear(DP(dstDevice), SIDE_DEVICE, DP(srcDevice), SIDE_DEVICE, ByteCount, hStream, 1, 0);
}
CPUDEV_API CUresult cuMemcpyAsync(CUdeviceptr dst, CUdeviceptr src, size_t ByteCount, CUstream hStream) {
  return copy_linear(DP(dst), SIDE_UNIFIED, DP(src), SIDE_UNIFIED, ByteCount, hStream, 0, 0);
}
CPUDEV_API CUresult cuMemcpyAsync_ptsz(CUdeviceptr dst, CUdeviceptr src, size_t ByteCount, CUstream hStream) {
  return copy_linear(DP(dst), SIDE_UNIFIED, DP(src), SIDE_UNIFIED, ByteCount, hStream, 1, 0);
}
CPUDEV_API CUresult cuMemcpyPeerAsync(CUdeviceptr dstDevice, CUcontext dstContext, CUdeviceptr srcDevice,
                                      CUcontext srcContext, size_t ByteCount, CUstream hStream) {
  (void)dstContext;
  (void)srcContext;
  return copy_linear(DP(dstDevice), SIDE_DEVICE, DP(srcDevice), SIDE_DEVICE, ByteCount, hStream, 0, 0);
}

/* ---- 2D and 3D copies ---- */

/* Resolves one side of a CUDA_MEMCPY2D/3D: its pointer and how to check it. An array side
 * replaces the given pitch and height with the array's own. */
static CUresult resolve_side(CUmemorytype type, const void *host, CUdeviceptr dev, CUarray array,
                             uintptr_t *p, side_kind *kind, size_t *pitch, size_t *height) {
  size_t bytes;
  switch (type) {
  case CU_MEMORYTYPE_HOST: *p = (uintptr_t)host; *kind = SIDE_HOST; return CUDA_SUCCESS;
  case CU_MEMORYTYPE_DEVICE: *p = (uintptr_t)dev; *kind = SIDE_DEVICE; return CUDA_SUCCESS;
  case CU_MEMORYTYPE_UNIFIED: *p = (uintptr_t)dev; *kind = SIDE_UNIFIED; return CUDA_SUCCESS;
  case CU_MEMORYTYPE_ARRAY:
    *kind = SIDE_DEVICE;
    return cpudev_array_layout(array, p, pitch, height, &bytes);
  default: return CUDA_ERROR_INVALID_VALUE;
  }
}

/* The region (x bytes, y, z) + extent of a copy must lie inside an array side (checked before
 * any address arithmetic, so offsets cannot wrap into other memory). */
static CUresult check_array_region(CUmemorytype type, CUarray a, size_t x, size_t y, size_t z, const CUDA_MEMCPY3D *c) {
  uintptr_t data;
  size_t pitch, height, bytes;
  if (type != CU_MEMORYTYPE_ARRAY) return CUDA_SUCCESS;
  CUresult r = cpudev_array_layout(a, &data, &pitch, &height, &bytes);
  if (r) return r;
  size_t depth = bytes / (pitch * height);
  if (x > pitch || c->WidthInBytes > pitch - x || y > height || c->Height > height - y || z > depth ||
      c->Depth > depth - z)
    return CUDA_ERROR_INVALID_VALUE;
  return CUDA_SUCCESS;
}

static CUresult copy_3d(const CUDA_MEMCPY3D *c, CUstream h, int ptds, int sync) {
  if (!c || c->srcLOD || c->dstLOD || c->reserved0 || c->reserved1) return CUDA_ERROR_INVALID_VALUE;
  uintptr_t dst, src;
  side_kind dk, sk;
  size_t dpitch = c->dstPitch ? c->dstPitch : c->WidthInBytes;
  size_t spitch = c->srcPitch ? c->srcPitch : c->WidthInBytes;
  size_t dheight = c->dstHeight ? c->dstHeight : c->Height;
  size_t sheight = c->srcHeight ? c->srcHeight : c->Height;
  CUresult r = resolve_side(c->dstMemoryType, c->dstHost, c->dstDevice, c->dstArray, &dst, &dk, &dpitch, &dheight);
  if (!r) r = resolve_side(c->srcMemoryType, c->srcHost, c->srcDevice, c->srcArray, &src, &sk, &spitch, &sheight);
  if (!r) r = check_array_region(c->dstMemoryType, c->dstArray, c->dstXInBytes, c->dstY, c->dstZ, c);
  if (!r) r = check_array_region(c->srcMemoryType, c->srcArray, c->srcXInBytes, c->srcY, c->srcZ, c);
  if (r) return r;
  if ((c->Height > 1 || c->Depth > 1) && (dpitch < c->WidthInBytes || spitch < c->WidthInBytes))
    return CUDA_ERROR_INVALID_VALUE;
  if (c->Depth > 1 && (dheight < c->Height || sheight < c->Height)) return CUDA_ERROR_INVALID_VALUE;
  copy_job j = {
      .dst = (uint8_t *)(dst + (c->dstZ * dheight + c->dstY) * dpitch + c->dstXInBytes),
      .src = (const uint8_t *)(src + (c->srcZ * sheight + c->srcY) * spitch + c->srcXInBytes),
      .dpitch = dpitch, .spitch = spitch, .dslice = dpitch * dheight, .sslice = spitch * sheight,
      .width = c->WidthInBytes, .height = c->Height, .depth = c->Depth};
  return submit_copy(j, dk, sk, h, ptds, sync);
}

/* A 2D copy is a 3D copy one slice deep. */
static CUresult copy_2d(const CUDA_MEMCPY2D *c, CUstream h, int ptds, int sync) {
  if (!c) return CUDA_ERROR_INVALID_VALUE;
  CUDA_MEMCPY3D m = {
      .srcXInBytes = c->srcXInBytes, .srcY = c->srcY, .srcMemoryType = c->srcMemoryType,
      .srcHost = c->srcHost, .srcDevice = c->srcDevice, .srcArray = c->srcArray, .srcPitch = c->srcPitch,
      .dstXInBytes = c->dstXInBytes, .dstY = c->dstY, .dstMemoryType = c->dstMemoryType,
      .dstHost = c->dstHost, .dstDevice = c->dstDevice, .dstArray = c->dstArray, .dstPitch = c->dstPitch,
      .WidthInBytes = c->WidthInBytes, .Height = c->Height, .Depth = 1};
  return copy_3d(&m, h, ptds, sync);
}

CPUDEV_API CUresult cuMemcpy2D_v2(const CUDA_MEMCPY2D *pCopy) { return copy_2d(pCopy, NULL, 0, 1); }
CPUDEV_API CUresult cuMemcpy2D_v2_ptds(const CUDA_MEMCPY2D *pCopy) { return copy_2d(pCopy, NULL, 1, 1); }
CPUDEV_API CUresult cuMemcpy2DUnaligned_v2(const CUDA_MEMCPY2D *pCopy) { return copy_2d(pCopy, NULL, 0, 1); }
CPUDEV_API CUresult cuMemcpy2DUnaligned_v2_ptds(const CUDA_MEMCPY2D *pCopy) { return copy_2d(pCopy, NULL, 1, 1); }
CPUDEV_API CUresult cuMemcpy2DAsync_v2(const CUDA_MEMCPY2D *pCopy, CUstream hStream) {
  return copy_2d(pCopy, hStream, 0, 0);
}
CPUDEV_API CUresult cuMemcpy2DAsync_v2_ptsz(const CUDA_MEMCPY2D *pCopy, CUstream hStream) {
  return copy_2d(pCopy, hStream, 1, 0);
}
CPUDEV_API CUresult cuMemcpy3D_v2(const CUDA_MEMCPY3D *pCopy) { return copy_3d(pCopy, NULL, 0, 1); }
CPUDEV_API CUresult cuMemcpy3D_v2_ptds(const CUDA_MEMCPY3D *pCopy) { return copy_3d(pCopy, NULL, 1, 1); }
CPUDEV_API CUresult cuMemcpy3DAsync_v2(const CUDA_MEMCPY3D *pCopy, CUstream hStream) {
  return copy_3d(pCopy, hStream, 0, 0);
}
CPUDEV_API CUresult cuMemcpy3DAsync_v2_ptsz(const CUDA_MEMCPY3D *pCopy, CUstream hStream) {
  return copy_3d(pCopy, hStream, 1, 0);
}

/* ---- 1D copies to and from arrays (offsets in bytes from the array's first element) ---- */

/* The address `offset` bytes into array a, if [offset, offset+n) lies inside it. */
static CUresult array_at(CUarray a, size_t offset, size_t n, uint8_t **p) {
  uintptr_t data;
  size_t pitch, height, bytes;
  CUresult r = cpudev_array_layout(a, &data, &pitch, &height, &bytes);
  if (r) return r;
  if (offset > bytes || n > bytes - offset) return CUDA_ERROR_INVALID_VALUE;
  *p = (uint8_t *)data + offset;
  return CUDA_SUCCESS;
}

static CUresult copy_array(CUarray da, size_t doff, void *dst, side_kind dk, CUarray sa, size_t soff,
                           const void *src, side_kind sk, size_t n, CUstream h, int ptds, int sync) {
  uint8_t *p;
  CUresult r;
  if (da) {
    if ((r = array_at(da, doff, n, &p))) return r;
    dst = p;
  }
  if (sa) {
    if ((r = array_at(sa, soff, n, &p))) return r;
    src = p;
  }
  return copy_linear(dst, dk, src, sk, n, h, ptds, sync);
}

CPUDEV_API CUresult cuMemcpyHtoA_v2(CUarray dstArray, size_t dstOffset, const void *srcHost, size_t ByteCount) {
  return copy_array(dstArray, dstOffset, NULL, SIDE_DEVICE, NULL, 0, srcHost, SIDE_HOST, ByteCount, NULL, 0, 1);
}
CPUDEV_API CUresult cuMemcpyAtoH_v2(void *dstHost, CUarray srcArray, size_t srcOffset, size_t ByteCount) {
  return copy_array(NULL, 0, dstHost, SIDE_HOST, srcArray, srcOffset, NULL, SIDE_DEVICE, ByteCount, NULL, 0, 1);
}
CPUDEV_API CUresult cuMemcpyDtoA_v2(CUarray dstArray, size_t dstOffset, CUdeviceptr srcDevice, size_t ByteCount) {
  return copy_array(dstArray, dstOffset, NULL, SIDE_DEVICE, NULL, 0, DP(srcDevice), SIDE_DEVICE, ByteCount, NULL, 0, 1);
}
CPUDEV_API CUresult cuMemcpyAtoD_v2(CUdeviceptr dstDevice, CUarray srcArray, size_t srcOffset, size_t ByteCount) {
  return copy_array(NULL, 0, DP(dstDevice), SIDE_DEVICE, srcArray, srcOffset, NULL, SIDE_DEVICE, ByteCount, NULL, 0, 1);
}
CPUDEV_API CUresult cuMemcpyAtoA_v2(CUarray dstArray, size_t dstOffset, CUarray srcArray, size_t srcOffset,
                                    size_t ByteCount) {
  return copy_array(dstArray, dstOffset, NULL, SIDE_DEVICE, srcArray, srcOffset, NULL, SIDE_DEVICE, ByteCount, NULL, 0, 1);
}
CPUDEV_API CUresult cuMemcpyHtoAAsync_v2(CUarray dstArray, size_t dstOffset, const void *srcHost, size_t ByteCount,
                                         CUstream hStream) {
  return copy_array(dstArray, dstOffset, NULL, SIDE_DEVICE, NULL, 0, srcHost, SIDE_HOST, ByteCount, hStream, 0, 0);
}
CPUDEV_API CUresult cuMemcpyAtoHAsync_v2(void *dstHost, CUarray srcArray, size_t srcOffset, size_t ByteCount,
                                         CUstream hStream) {
  return copy_array(NULL, 0, dstHost, SIDE_HOST, srcArray, srcOffset, NULL, SIDE_DEVICE, ByteCount, hStream, 0, 0);
}

/* ---- memsets ---- */

static CUresult memset_2d(CUdeviceptr dst, size_t pitch, uint32_t value, unsigned elem, size_t width,
                          size_t height, CUstream h, int ptds, int sync) {
  if (width == 0 || height == 0) {
    CUcontext ctx;
    return cpudev_current_ctx(&ctx);
  }
  if ((uintptr_t)dst % elem) return CUDA_ERROR_INVALID_VALUE;
  if (height > 1 && (pitch < width * elem || pitch % elem)) return CUDA_ERROR_INVALID_VALUE;
  if (width > SIZE_MAX / elem) return CUDA_ERROR_INVALID_VALUE;
  int known;
  CUresult r = check_side(SIDE_DEVICE, (uintptr_t)dst, (height - 1) * pitch + width * elem, &known);
  if (r) return r;
  set_job *j = malloc(sizeof *j);
  if (!j) return CUDA_ERROR_OUT_OF_MEMORY;
  *j = (set_job){.dst = DP(dst), .pitch = pitch, .value = value, .elem = elem, .width = width, .height = height};
  return cpudev_submit(h, ptds, sync, run_set, free_set, j);
}

CPUDEV_API CUresult cuMemsetD8_v2(CUdeviceptr d, unsigned char uc, size_t N) {
  return memset_2d(d, 0, uc, 1, N, 1, NULL, 0, 1);
}
CPUDEV_API CUresult cuMemsetD8_v2_ptds(CUdeviceptr d, unsigned char uc, size_t N) {
  return memset_2d(d, 0, uc, 1, N, 1, NULL, 1, 1);
}
CPUDEV_API CUresult cuMemsetD16_v2(CUdeviceptr d, unsigned short us, size_t N) {
  return memset_2d(d, 0, us, 2, N, 1, NULL, 0, 1);
}
CPUDEV_API CUresult cuMemsetD16_v2_ptds(CUdeviceptr d, unsigned short us, size_t N) {
  return memset_2d(d, 0, us, 2, N, 1, NULL, 1, 1);
}
CPUDEV_API CUresult cuMemsetD32_v2(CUdeviceptr d, unsigned int ui, size_t N) {
  return memset_2d(d, 0, ui, 4, N, 1, NULL, 0, 1);
}
CPUDEV_API CUresult cuMemsetD32_v2_ptds(CUdeviceptr d, unsigned int ui, size_t N) {
  return memset_2d(d, 0, ui, 4, N, 1, NULL, 1, 1);
}
CPUDEV_API CUresult cuMemsetD2D8_v2(CUdeviceptr d, size_t pitch, unsigned char uc, size_t w, size_t h) {
  return memset_2d(d, pitch, uc, 1, w, h, NULL, 0, 1);
}
CPUDEV_API CUresult cuMemsetD2D8_v2_ptds(CUdeviceptr d, size_t pitch, unsigned char uc, size_t w, size_t h) {
  return memset_2d(d, pitch, uc, 1, w, h, NULL, 1, 1);
}
CPUDEV_API CUresult cuMemsetD2D16_v2(CUdeviceptr d, size_t pitch, unsigned short us, size_t w, size_t h) {
  return memset_2d(d, pitch, us, 2, w, h, NULL, 0, 1);
}
CPUDEV_API CUresult cuMemsetD2D16_v2_ptds(CUdeviceptr d, size_t pitch, unsigned short us, size_t w, size_t h) {
  return memset_2d(d, pitch, us, 2, w, h, NULL, 1, 1);
}
CPUDEV_API CUresult cuMemsetD2D32_v2(CUdeviceptr d, size_t pitch, unsigned int ui, size_t w, size_t h) {
  return memset_2d(d, pitch, ui, 4, w, h, NULL, 0, 1);
}
CPUDEV_API CUresult cuMemsetD2D32_v2_ptds(CUdeviceptr d, size_t pitch, unsigned int ui, size_t w, size_t h) {
  return memset_2d(d, pitch, ui, 4, w, h, NULL, 1, 1);
}

CPUDEV_API CUresult cuMemsetD8Async(CUdeviceptr d, unsigned char uc, size_t N, CUstream s) {
  return memset_2d(d, 0, uc, 1, N, 1, s, 0, 0);
}
CPUDEV_API CUresult cuMemsetD8Async_ptsz(CUdeviceptr d, unsigned char uc, size_t N, CUstream s) {
  return memset_2d(d, 0, uc, 1, N, 1, s, 1, 0);
}
CPUDEV_API CUresult cuMemsetD16Async(CUdeviceptr d, unsigned short us, size_t N, CUstream s) {
  return memset_2d(d, 0, us, 2, N, 1, s, 0, 0);
}
CPUDEV_API CUresult cuMemsetD16Async_ptsz(CUdeviceptr d, unsigned short us, size_t N, CUstream s) {
  return memset_2d(d, 0, us, 2, N, 1, s, 1, 0);
}
CPUDEV_API CUresult cuMemsetD32Async(CUdeviceptr d, unsigned int ui, size_t N, CUstream s) {
  return memset_2d(d, 0, ui, 4, N, 1, s, 0, 0);
}
CPUDEV_API CUresult cuMemsetD32Async_ptsz(CUdeviceptr d, unsigned int ui, size_t N, CUstream s) {
  return memset_2d(d, 0, ui, 4, N, 1, s, 1, 0);
}
CPUDEV_API CUresult cuMemsetD2D8Async(CUdeviceptr d, size_t pitch, unsigned char uc, size_t w, size_t h,
                                      CUstream s) {
  return memset_2d(d, pitch, uc, 1, w, h, s, 0, 0);
}
CPUDEV_API CUresult cuMemsetD2D8Async_ptsz(CUdeviceptr d, size_t pitch, unsigned char uc, size_t w, size_t h,
                                           CUstream s) {
  return memset_2d(d, pitch, uc, 1, w, h, s, 1, 0);
}
CPUDEV_API CUresult cuMemsetD2D16Async(CUdeviceptr d, size_t pitch, unsigned short us, size_t w, size_t h,
                                       CUstream s) {
  return memset_2d(d, pitch, us, 2, w, h, s, 0, 0);
}
CPUDEV_API CUresult cuMemsetD2D16Async_ptsz(CUdeviceptr d, size_t pitch, unsigned short us, size_t w, size_t h,
                                            CUstream s) {
  return memset_2d(d, pitch, us, 2, w, h, s, 1, 0);
}
CPUDEV_API CUresult cuMemsetD2D32Async(CUdeviceptr d, size_t pitch, unsigned int ui, size_t w, size_t h,
                                       CUstream s) {
  return memset_2d(d, pitch, ui, 4, w, h, s, 0, 0);
}
CPUDEV_API CUresult cuMemsetD2D32Async_ptsz(CUdeviceptr d, size_t pitch, unsigned int ui, size_t w, size_t h,
                                            CUstream s) {
  return memset_2d(d, pitch, ui, 4, w, h, s, 1, 0);
}

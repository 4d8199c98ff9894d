/* custom_texture.c - the client's CUDA arrays, 3D copies and texture/surface objects.
 *
 * Descriptors go over the wire as the bytes of cuda.h's structs (gs_array_create,
 * gs_tex_create). The client remembers each array's descriptor and each object's
 * descriptors, so the Get*Descriptor calls are answered here. Copies with an array or a third
 * dimension become gs_memcpy3d calls of whole rows, at most GS_CHUNK bytes each, synchronous
 * (the async forms are ordered on their stream by the agent and complete before returning):
 * host sides travel packed, device and array sides stay on the agent.
 */
#include <pthread.h>
#include <stdlib.h>
#include <string.h>

#include "gs_client.h"

typedef struct known {
  uint64_t handle;
  int kind;                 /* 0 array, 1 texture object, 2 surface object */
  CUDA_ARRAY3D_DESCRIPTOR array;
  CUDA_RESOURCE_DESC res;
  CUDA_TEXTURE_DESC tex;
  struct known *next;
} known;

static pthread_mutex_t known_lock = PTHREAD_MUTEX_INITIALIZER;
static known *known_list;

static CUresult remember(const known *k) {
  known *n = malloc(sizeof *n);
  if (!n) return CUDA_ERROR_OUT_OF_MEMORY;
  *n = *k;
  pthread_mutex_lock(&known_lock);
  n->next = known_list;
  known_list = n;
  pthread_mutex_unlock(&known_lock);
  return CUDA_SUCCESS;
}

/* Copies out what the client knows about a handle (remove: and forgets it); 0 if unknown. */
static int recall(uint64_t handle, int kind, known *out, int remove) {
  int found = 0;
  pthread_mutex_lock(&known_lock);
  for (known **pp = &known_list; *pp; pp = &(*pp)->next) {
    known *k = *pp;
    if (k->handle != handle || k->kind != kind) continue;
    if (out) *out = *k;
    if (remove) {
      *pp = k->next;
      free(k);
    }
    found = 1;
    break;
  }
  pthread_mutex_unlock(&known_lock);
  return found;
}

/* ---- arrays ---- */

GS_EXPORT CUresult CUDAAPI cuArray3DCreate(CUarray *pHandle, const CUDA_ARRAY3D_DESCRIPTOR *d) {
  if (!pHandle || !d) return CUDA_ERROR_INVALID_VALUE;
  gs_array_create_args a = {{sizeof *d, (char *)d}};
  gs_array_create_res r = {0};
  CUresult e = gs_call(GS_gs_array_create, GS_F_SYNC, (xdrproc_t)xdr_gs_array_create_args, &a,
                       (xdrproc_t)xdr_gs_array_create_res, &r);
  if (e) return e;
  known k = {.handle = r.handle, .kind = 0, .array = *d};
  if ((e = remember(&k))) return e;
  *pHandle = (CUarray)(uintptr_t)r.handle;
  return CUDA_SUCCESS;
}

GS_EXPORT CUresult CUDAAPI cuArrayCreate(CUarray *pHandle, const CUDA_ARRAY_DESCRIPTOR *p) {
  if (!p) return CUDA_ERROR_INVALID_VALUE;
  CUDA_ARRAY3D_DESCRIPTOR d = {.Width = p->Width, .Height = p->Height, .Format = p->Format,
                               .NumChannels = p->NumChannels};
  return cuArray3DCreate(pHandle, &d);
}

GS_EXPORT CUresult CUDAAPI cuArrayDestroy(CUarray hArray) {
  gs_array_destroy_args a = {(uint64_t)(uintptr_t)hArray};
  CUresult e = gs_call(GS_gs_array_destroy, GS_F_SYNC, (xdrproc_t)xdr_gs_array_destroy_args, &a,
                       0, 0);
  if (e == CUDA_SUCCESS) recall(a.handle, 0, NULL, 1);
  return e;
}

GS_EXPORT CUresult CUDAAPI cuArray3DGetDescriptor(CUDA_ARRAY3D_DESCRIPTOR *out, CUarray hArray) {
  known k;
  if (!out) return CUDA_ERROR_INVALID_VALUE;
  if (!recall((uint64_t)(uintptr_t)hArray, 0, &k, 0)) return CUDA_ERROR_INVALID_HANDLE;
  *out = k.array;
  return CUDA_SUCCESS;
}

GS_EXPORT CUresult CUDAAPI cuArrayGetDescriptor(CUDA_ARRAY_DESCRIPTOR *out, CUarray hArray) {
  CUDA_ARRAY3D_DESCRIPTOR d;
  if (!out) return CUDA_ERROR_INVALID_VALUE;
  CUresult e = cuArray3DGetDescriptor(&d, hArray);
  if (e) return e;
  if (d.Depth) return CUDA_ERROR_INVALID_VALUE;
  *out = (CUDA_ARRAY_DESCRIPTOR){.Width = d.Width, .Height = d.Height, .Format = d.Format,
                                 .NumChannels = d.NumChannels};
  return CUDA_SUCCESS;
}

/* ---- copies ---- */

/* One gs_memcpy3d of c (at most GS_CHUNK bytes): host sides given packed. */
static CUresult send_copy(const CUDA_MEMCPY3D *c, CUstream stream, const void *src_packed, void *dst_packed) {
  size_t bytes = c->WidthInBytes * c->Height * c->Depth;
  gs_memcpy3d_args a = {{sizeof *c, (char *)c}, (uint64_t)(uintptr_t)stream,
                        {src_packed ? (u_int)bytes : 0, (char *)src_packed}};
  gs_memcpy3d_res r = {{0, NULL}};
  CUresult e = gs_call(GS_gs_memcpy3d, GS_F_SYNC, (xdrproc_t)xdr_gs_memcpy3d_args, &a,
                       (xdrproc_t)xdr_gs_memcpy3d_res, &r);
  if (e == CUDA_SUCCESS && dst_packed) {
    if (r.back.back_len == bytes) memcpy(dst_packed, r.back.back_val, bytes);
    else e = CUDA_ERROR_UNKNOWN;
  }
  xdr_free((xdrproc_t)xdr_gs_memcpy3d_res, (char *)&r);
  return e;
}

/* Unified sides become host or device ones, as the client's allocation table says. */
static CUmemorytype settle(CUmemorytype t, CUdeviceptr dev) {
  if (t != CU_MEMORYTYPE_UNIFIED) return t;
  return gs_client_is_device(dev) ? CU_MEMORYTYPE_DEVICE : CU_MEMORYTYPE_HOST;
}

/* Address of row (y, z) of a host side. */
static uint8_t *host_row(const void *base, size_t x, size_t y, size_t z, size_t pitch, size_t height) {
  return (uint8_t *)base + (z * height + y) * pitch + x;
}

static CUresult copy3d(const CUDA_MEMCPY3D *in, CUstream stream) {
  if (!in) return CUDA_ERROR_INVALID_VALUE;
  CUDA_MEMCPY3D c = *in;
  c.srcMemoryType = settle(c.srcMemoryType, c.srcDevice);
  c.dstMemoryType = settle(c.dstMemoryType, c.dstDevice);
  if (c.srcMemoryType == CU_MEMORYTYPE_HOST && !c.srcHost && in->srcMemoryType == CU_MEMORYTYPE_UNIFIED)
    c.srcHost = (const void *)(uintptr_t)c.srcDevice;
  if (c.dstMemoryType == CU_MEMORYTYPE_HOST && !c.dstHost && in->dstMemoryType == CU_MEMORYTYPE_UNIFIED)
    c.dstHost = (void *)(uintptr_t)c.dstDevice;
  size_t w = c.WidthInBytes;
  if (!w || !c.Height || !c.Depth) return CUDA_SUCCESS;
  if (w > GS_CHUNK) return CUDA_ERROR_NOT_SUPPORTED;
  int shost = c.srcMemoryType == CU_MEMORYTYPE_HOST, dhost = c.dstMemoryType == CU_MEMORYTYPE_HOST;
  if ((shost && !c.srcHost) || (dhost && !c.dstHost)) return CUDA_ERROR_INVALID_VALUE;
  size_t spitch = c.srcPitch ? c.srcPitch : w, dpitch = c.dstPitch ? c.dstPitch : w;
  size_t sheight = c.srcHeight ? c.srcHeight : c.Height, dheight = c.dstHeight ? c.dstHeight : c.Height;
  size_t rows_per = GS_CHUNK / w;
  uint8_t *buf = (shost || dhost) ? malloc(rows_per * w) : NULL;
  if ((shost || dhost) && !buf) return CUDA_ERROR_OUT_OF_MEMORY;
  CUresult e = CUDA_SUCCESS;
  for (size_t z = 0; z < c.Depth && !e; z++)
    for (size_t y = 0; y < c.Height && !e; y += rows_per) {
      size_t rows = c.Height - y < rows_per ? c.Height - y : rows_per;
      CUDA_MEMCPY3D p = c;
      p.Height = rows;
      p.Depth = 1;
      p.srcY = c.srcY + y;
      p.srcZ = c.srcZ + z;
      p.dstY = c.dstY + y;
      p.dstZ = c.dstZ + z;
      p.srcPitch = spitch;
      p.srcHeight = sheight;
      p.dstPitch = dpitch;
      p.dstHeight = dheight;
      if (shost) {
        for (size_t i = 0; i < rows; i++)
          memcpy(buf + i * w, host_row(c.srcHost, c.srcXInBytes, p.srcY + i, p.srcZ, spitch, sheight), w);
        p.srcHost = NULL;
      }
      if (dhost) p.dstHost = NULL;
      e = send_copy(&p, stream, shost ? buf : NULL, dhost ? buf : NULL);
      if (!e && dhost)
        for (size_t i = 0; i < rows; i++)
          memcpy(host_row(c.dstHost, c.dstXInBytes, p.dstY + i, p.dstZ, dpitch, dheight), buf + i * w, w);
    }
  free(buf);
  return e;
}

GS_EXPORT CUresult CUDAAPI cuMemcpy3D(const CUDA_MEMCPY3D *pCopy) { return copy3d(pCopy, NULL); }
GS_EXPORT CUresult CUDAAPI cuMemcpy3DAsync(const CUDA_MEMCPY3D *pCopy, CUstream hStream) {
  return copy3d(pCopy, hStream);
}

CUresult gs_copy2d_array(const CUDA_MEMCPY2D *c, CUstream stream) {
  CUDA_MEMCPY3D m = {
      .srcXInBytes = c->srcXInBytes, .srcY = c->srcY, .srcMemoryType = c->srcMemoryType,
      .srcHost = c->srcHost, .srcDevice = c->srcDevice, .srcArray = c->srcArray, .srcPitch = c->srcPitch,
      .dstXInBytes = c->dstXInBytes, .dstY = c->dstY, .dstMemoryType = c->dstMemoryType,
      .dstHost = c->dstHost, .dstDevice = c->dstDevice, .dstArray = c->dstArray, .dstPitch = c->dstPitch,
      .WidthInBytes = c->WidthInBytes, .Height = c->Height, .Depth = 1};
  return copy3d(&m, stream);
}

/* Bytes per row of an array, and its rows per slice. */
static CUresult array_rows(CUarray a, size_t *pitch, size_t *height, size_t *slices) {
  CUDA_ARRAY3D_DESCRIPTOR d;
  CUresult e = cuArray3DGetDescriptor(&d, a);
  if (e) return e;
  size_t fb = d.Format == CU_AD_FORMAT_UNSIGNED_INT8 || d.Format == CU_AD_FORMAT_SIGNED_INT8 ? 1
            : d.Format == CU_AD_FORMAT_UNSIGNED_INT16 || d.Format == CU_AD_FORMAT_SIGNED_INT16 ||
                      d.Format == CU_AD_FORMAT_HALF ? 2 : 4;
  *pitch = d.Width * fb * d.NumChannels;
  *height = d.Height ? d.Height : 1;
  *slices = d.Depth ? d.Depth : 1;
  return CUDA_SUCCESS;
}

/* A linear copy of n bytes at byte `offset` of array a, from/to linear memory `other`
 * (host or device): split into runs of whole rows and partial rows. */
static CUresult copy_array_1d(CUarray a, size_t offset, CUmemorytype otype, uintptr_t other, size_t n, int to_array,
                              CUstream stream) {
  size_t pitch, height, slices;
  CUresult e = array_rows(a, &pitch, &height, &slices);
  if (e) return e;
  if (offset > pitch * height * slices || n > pitch * height * slices - offset) return CUDA_ERROR_INVALID_VALUE;
  size_t done = 0;
  while (done < n && !e) {
    size_t at = offset + done, row = at / pitch, x = at % pitch, y = row % height, z = row / height;
    size_t w, rows = 1;
    if (x == 0 && n - done >= pitch) {
      w = pitch;
      rows = (n - done) / pitch;
      if (rows > height - y) rows = height - y;
    } else {
      w = pitch - x < n - done ? pitch - x : n - done;
    }
    CUDA_MEMCPY3D c = {.WidthInBytes = w, .Height = rows, .Depth = 1};
    if (to_array) {
      c.dstMemoryType = CU_MEMORYTYPE_ARRAY; c.dstArray = a; c.dstXInBytes = x; c.dstY = y; c.dstZ = z;
      c.srcMemoryType = otype; c.srcHost = (const void *)(other + done); c.srcDevice = other + done; c.srcPitch = w;
    } else {
      c.srcMemoryType = CU_MEMORYTYPE_ARRAY; c.srcArray = a; c.srcXInBytes = x; c.srcY = y; c.srcZ = z;
      c.dstMemoryType = otype; c.dstHost = (void *)(other + done); c.dstDevice = other + done; c.dstPitch = w;
    }
    e = copy3d(&c, stream);
    done += w * rows;
  }
  return e;
}

GS_EXPORT CUresult CUDAAPI cuMemcpyHtoA(CUarray dstArray, size_t dstOffset, const void *srcHost, size_t ByteCount) {
  return copy_array_1d(dstArray, dstOffset, CU_MEMORYTYPE_HOST, (uintptr_t)srcHost, ByteCount, 1, NULL);
}
GS_EXPORT CUresult CUDAAPI cuMemcpyAtoH(void *dstHost, CUarray srcArray, size_t srcOffset, size_t ByteCount) {
  return copy_array_1d(srcArray, srcOffset, CU_MEMORYTYPE_HOST, (uintptr_t)dstHost, ByteCount, 0, NULL);
}
GS_EXPORT CUresult CUDAAPI cuMemcpyDtoA(CUarray dstArray, size_t dstOffset, CUdeviceptr srcDevice, size_t ByteCount) {
  return copy_array_1d(dstArray, dstOffset, CU_MEMORYTYPE_DEVICE, (uintptr_t)srcDevice, ByteCount, 1, NULL);
}
GS_EXPORT CUresult CUDAAPI cuMemcpyAtoD(CUdeviceptr dstDevice, CUarray srcArray, size_t srcOffset, size_t ByteCount) {
  return copy_array_1d(srcArray, srcOffset, CU_MEMORYTYPE_DEVICE, (uintptr_t)dstDevice, ByteCount, 0, NULL);
}

GS_EXPORT CUresult CUDAAPI cuMemcpyHtoAAsync(CUarray dstArray, size_t dstOffset, const void *srcHost, size_t ByteCount,
                                             CUstream hStream) {
  return copy_array_1d(dstArray, dstOffset, CU_MEMORYTYPE_HOST, (uintptr_t)srcHost, ByteCount, 1, hStream);
}
GS_EXPORT CUresult CUDAAPI cuMemcpyAtoHAsync(void *dstHost, CUarray srcArray, size_t srcOffset, size_t ByteCount,
                                             CUstream hStream) {
  return copy_array_1d(srcArray, srcOffset, CU_MEMORYTYPE_HOST, (uintptr_t)dstHost, ByteCount, 0, hStream);
}

/* ---- texture and surface objects ---- */

static CUresult object_create(uint64_t *out, const CUDA_RESOURCE_DESC *res, const CUDA_TEXTURE_DESC *tex,
                              const CUDA_RESOURCE_VIEW_DESC *view) {
  if (!out || !res) return CUDA_ERROR_INVALID_VALUE;
  if (view) return CUDA_ERROR_NOT_SUPPORTED;
  gs_tex_create_args a = {{sizeof *res, (char *)res}, {tex ? sizeof *tex : 0, (char *)tex}, tex == NULL};
  gs_tex_create_res r = {0};
  CUresult e = gs_call(GS_gs_tex_create, GS_F_SYNC, (xdrproc_t)xdr_gs_tex_create_args, &a,
                       (xdrproc_t)xdr_gs_tex_create_res, &r);
  if (e) return e;
  known k = {.handle = r.handle, .kind = tex ? 1 : 2, .res = *res};
  if (tex) k.tex = *tex;
  if ((e = remember(&k))) return e;
  *out = r.handle;
  return CUDA_SUCCESS;
}

static CUresult object_destroy(uint64_t h, int surface) {
  gs_tex_destroy_args a = {h, (u_int)surface};
  CUresult e = gs_call(GS_gs_tex_destroy, GS_F_SYNC, (xdrproc_t)xdr_gs_tex_destroy_args, &a,
                       0, 0);
  if (e == CUDA_SUCCESS) recall(h, surface ? 2 : 1, NULL, 1);
  return e;
}

GS_EXPORT CUresult CUDAAPI cuTexObjectCreate(CUtexObject *pTexObject, const CUDA_RESOURCE_DESC *pResDesc,
                                             const CUDA_TEXTURE_DESC *pTexDesc,
                                             const CUDA_RESOURCE_VIEW_DESC *pResViewDesc) {
  if (!pTexDesc) return CUDA_ERROR_INVALID_VALUE;
  return object_create((uint64_t *)pTexObject, pResDesc, pTexDesc, pResViewDesc);
}
GS_EXPORT CUresult CUDAAPI cuTexObjectDestroy(CUtexObject texObject) { return object_destroy(texObject, 0); }
GS_EXPORT CUresult CUDAAPI cuSurfObjectCreate(CUsurfObject *pSurfObject, const CUDA_RESOURCE_DESC *pResDesc) {
  return object_create((uint64_t *)pSurfObject, pResDesc, NULL, NULL);
}
GS_EXPORT CUresult CUDAAPI cuSurfObjectDestroy(CUsurfObject surfObject) { return object_destroy(surfObject, 1); }

GS_EXPORT CUresult CUDAAPI cuTexObjectGetResourceDesc(CUDA_RESOURCE_DESC *pResDesc, CUtexObject texObject) {
  known k;
  if (!pResDesc || !recall(texObject, 1, &k, 0)) return CUDA_ERROR_INVALID_VALUE;
  *pResDesc = k.res;
  return CUDA_SUCCESS;
}
GS_EXPORT CUresult CUDAAPI cuTexObjectGetTextureDesc(CUDA_TEXTURE_DESC *pTexDesc, CUtexObject texObject) {
  known k;
  if (!pTexDesc || !recall(texObject, 1, &k, 0)) return CUDA_ERROR_INVALID_VALUE;
  *pTexDesc = k.tex;
  return CUDA_SUCCESS;
}
GS_EXPORT CUresult CUDAAPI cuSurfObjectGetResourceDesc(CUDA_RESOURCE_DESC *pResDesc, CUsurfObject surfObject) {
  known k;
  if (!pResDesc || !recall(surfObject, 2, &k, 0)) return CUDA_ERROR_INVALID_VALUE;
  *pResDesc = k.res;
  return CUDA_SUCCESS;
}

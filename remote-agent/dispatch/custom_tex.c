/* custom_tex.c - the agent's halves of CUDA arrays, 3D copies and texture/surface objects.
 *
 * Descriptors arrive as the bytes of cuda.h's structs. Every handle and pointer in them is
 * checked before the driver sees it: array ids are session handles, device ranges must lie
 * in one session allocation, host sides are the message's own bytes (packed rows). Texture
 * and surface objects are recorded as session handles but the client gets the driver's
 * value, since kernels receive it as a plain 64-bit parameter.
 */
#include <stdlib.h>
#include <string.h>

#include "session.h"

CUresult gs_agent_gs_array_create(agent_session *s, gs_array_create_args *a, gs_array_create_res *r) {
  CUDA_ARRAY3D_DESCRIPTOR d;
  if (a->desc.desc_len != sizeof d) return CUDA_ERROR_INVALID_VALUE;
  memcpy(&d, a->desc.desc_val, sizeof d);
  if (!s->drv->cuArray3DCreate || !s->drv->cuArrayDestroy) return CUDA_ERROR_NOT_SUPPORTED;
  CUarray arr;
  CUresult e = s->drv->cuArray3DCreate(&arr, &d);
  if (e) return e;
  if ((e = gs_handle_new(s, GS_H_ARRAY, arr, &r->handle))) s->drv->cuArrayDestroy(arr);
  return e;
}

CUresult gs_agent_gs_array_destroy(agent_session *s, gs_array_destroy_args *a, void *r) {
  (void)r;
  void *arr;
  CUresult e = gs_handle_get(s, GS_H_ARRAY, a->handle, &arr);
  if (e) return e;
  if (!s->drv->cuArrayDestroy) return CUDA_ERROR_NOT_SUPPORTED;
  if ((e = s->drv->cuArrayDestroy((CUarray)arr))) return e;
  gs_handle_drop(s, GS_H_ARRAY, a->handle);
  return CUDA_SUCCESS;
}

/* ---- 3D copies ---- */

#define SIDE_LIMIT (1ull << 62)

/* Checks one side of a copy and points it at real memory: an array id becomes the array, a
 * device range is checked, a host side becomes `host` (packed rows of the message). */
static CUresult resolve_side(agent_session *s, CUmemorytype *type, CUarray *array, CUdeviceptr dev, size_t x,
                             size_t y, size_t z, size_t pitch, size_t height, const CUDA_MEMCPY3D *c, void *host,
                             const void **hostp, size_t *hx, size_t *hy, size_t *hz, size_t *hpitch,
                             size_t *hheight) {
  void *real;
  CUresult e;
  switch (*type) {
  case CU_MEMORYTYPE_ARRAY:
    if ((e = gs_handle_get(s, GS_H_ARRAY, (uint64_t)(uintptr_t)*array, &real))) return e;
    *array = (CUarray)real;
    return CUDA_SUCCESS;
  case CU_MEMORYTYPE_DEVICE: {
    size_t p = pitch ? pitch : c->WidthInBytes, h = height ? height : c->Height;
    unsigned __int128 start = ((unsigned __int128)z * h + y) * p + x;
    unsigned __int128 span = ((unsigned __int128)(c->Depth - 1) * h + (c->Height - 1)) * p + c->WidthInBytes;
    if (start >= SIDE_LIMIT || span >= SIDE_LIMIT || (c->Height > 1 && p < c->WidthInBytes) ||
        (c->Depth > 1 && h < c->Height))
      return CUDA_ERROR_INVALID_VALUE;
    return gs_range_check(s, dev + (CUdeviceptr)start, (uint64_t)span);
  }
  case CU_MEMORYTYPE_HOST:
    *hostp = host;
    *hx = *hy = *hz = 0;
    *hpitch = c->WidthInBytes;
    *hheight = c->Height;
    return CUDA_SUCCESS;
  default: return CUDA_ERROR_INVALID_VALUE;
  }
}

CUresult gs_agent_gs_memcpy3d(agent_session *s, gs_memcpy3d_args *a, gs_memcpy3d_res *r) {
  CUDA_MEMCPY3D c;
  void *stream;
  CUresult e;
  if (a->copy.copy_len != sizeof c) return CUDA_ERROR_INVALID_VALUE;
  memcpy(&c, a->copy.copy_val, sizeof c);
  if ((e = gs_handle_get(s, GS_H_STREAM, a->stream, &stream))) return e;
  if (!s->drv->cuMemcpy3DAsync) return CUDA_ERROR_NOT_SUPPORTED;
  if (!c.WidthInBytes || !c.Height || !c.Depth) return CUDA_SUCCESS;
  unsigned __int128 bytes = (unsigned __int128)c.WidthInBytes * c.Height * c.Depth;
  if (bytes > GS_MAX_BYTES || c.srcLOD || c.dstLOD) return CUDA_ERROR_INVALID_VALUE;
  if (c.srcMemoryType == CU_MEMORYTYPE_HOST && a->data.data_len != (u_int)bytes) return CUDA_ERROR_INVALID_VALUE;
  uint8_t *back = NULL;
  if (c.dstMemoryType == CU_MEMORYTYPE_HOST && !(back = malloc((size_t)bytes))) return CUDA_ERROR_OUT_OF_MEMORY;
  void *dsth = NULL;
  e = resolve_side(s, &c.srcMemoryType, &c.srcArray, c.srcDevice, c.srcXInBytes, c.srcY, c.srcZ, c.srcPitch,
                   c.srcHeight, &c, a->data.data_val, &c.srcHost, &c.srcXInBytes, &c.srcY, &c.srcZ, &c.srcPitch,
                   &c.srcHeight);
  if (!e)
    e = resolve_side(s, &c.dstMemoryType, &c.dstArray, c.dstDevice, c.dstXInBytes, c.dstY, c.dstZ, c.dstPitch,
                     c.dstHeight, &c, back, (const void **)&dsth, &c.dstXInBytes, &c.dstY, &c.dstZ, &c.dstPitch,
                     &c.dstHeight);
  if (c.dstMemoryType == CU_MEMORYTYPE_HOST) c.dstHost = dsth;
  if (!e) e = s->drv->cuMemcpy3DAsync(&c, (CUstream)stream);
  if (!e) e = s->drv->cuStreamSynchronize((CUstream)stream);
  if (e) {
    free(back);
    return e;
  }
  if (back) {
    r->back.back_val = (char *)back;
    r->back.back_len = (u_int)bytes;
  }
  return CUDA_SUCCESS;
}

/* ---- texture and surface objects ---- */

static size_t format_bytes(CUarray_format f) {
  switch (f) {
  case CU_AD_FORMAT_UNSIGNED_INT8: case CU_AD_FORMAT_SIGNED_INT8: return 1;
  case CU_AD_FORMAT_UNSIGNED_INT16: case CU_AD_FORMAT_SIGNED_INT16: case CU_AD_FORMAT_HALF: return 2;
  default: return 4;
  }
}

/* Translates the array id of a resource and checks the memory of linear ones. */
static CUresult check_resource(agent_session *s, CUDA_RESOURCE_DESC *res) {
  void *real;
  CUresult e;
  switch (res->resType) {
  case CU_RESOURCE_TYPE_ARRAY:
    if ((e = gs_handle_get(s, GS_H_ARRAY, (uint64_t)(uintptr_t)res->res.array.hArray, &real))) return e;
    res->res.array.hArray = (CUarray)real;
    return CUDA_SUCCESS;
  case CU_RESOURCE_TYPE_LINEAR:
    return gs_range_check(s, res->res.linear.devPtr, res->res.linear.sizeInBytes);
  case CU_RESOURCE_TYPE_PITCH2D: {
    const __typeof__(res->res.pitch2D) *p = &res->res.pitch2D;
    if (!p->height || p->pitchInBytes >= SIDE_LIMIT || p->height >= (1u << 20) || p->width >= (1u << 20) ||
        p->numChannels > 4)
      return CUDA_ERROR_INVALID_VALUE;
    return gs_range_check(s, p->devPtr,
                          (uint64_t)p->pitchInBytes * (p->height - 1) + p->width * format_bytes(p->format) * p->numChannels);
  }
  case CU_RESOURCE_TYPE_MIPMAPPED_ARRAY: return CUDA_ERROR_NOT_SUPPORTED;
  default: return CUDA_ERROR_INVALID_VALUE;
  }
}

CUresult gs_agent_gs_tex_create(agent_session *s, gs_tex_create_args *a, gs_tex_create_res *r) {
  CUDA_RESOURCE_DESC res;
  CUDA_TEXTURE_DESC tex;
  CUresult e;
  if (a->res.res_len != sizeof res || (!a->surface && a->tex.tex_len != sizeof tex)) return CUDA_ERROR_INVALID_VALUE;
  memcpy(&res, a->res.res_val, sizeof res);
  if ((e = check_resource(s, &res))) return e;
  int kind = a->surface ? GS_H_SURFOBJ : GS_H_TEXOBJ;
  unsigned long long h = 0;
  uint64_t id;
  if (a->surface) {
    if (!s->drv->cuSurfObjectCreate || !s->drv->cuSurfObjectDestroy) return CUDA_ERROR_NOT_SUPPORTED;
    e = s->drv->cuSurfObjectCreate(&h, &res);
  } else {
    if (!s->drv->cuTexObjectCreate || !s->drv->cuTexObjectDestroy) return CUDA_ERROR_NOT_SUPPORTED;
    memcpy(&tex, a->tex.tex_val, sizeof tex);
    e = s->drv->cuTexObjectCreate(&h, &res, &tex, NULL);
  }
  if (e) return e;
  if (!h || (e = gs_handle_new(s, kind, (void *)(uintptr_t)h, &id))) {
    if (a->surface) s->drv->cuSurfObjectDestroy(h);
    else s->drv->cuTexObjectDestroy(h);
    return h ? e : CUDA_ERROR_UNKNOWN;
  }
  r->handle = h;
  return CUDA_SUCCESS;
}

CUresult gs_agent_gs_tex_destroy(agent_session *s, gs_tex_destroy_args *a, void *r) {
  (void)r;
  int kind = a->surface ? GS_H_SURFOBJ : GS_H_TEXOBJ;
  uint64_t id = a->handle ? gs_handle_find_real(s, kind, (void *)(uintptr_t)a->handle) : 0;
  if (!id) return CUDA_ERROR_INVALID_VALUE;
  CUresult e = a->surface ? s->drv->cuSurfObjectDestroy(a->handle) : s->drv->cuTexObjectDestroy(a->handle);
  if (e) return e;
  gs_handle_drop(s, kind, id);
  return CUDA_SUCCESS;
}

/* driver_array.c - CUDA arrays, texture objects and surface objects of the CPU device.
 *
 * An array is a struct behind CUarray whose elements live in one device allocation of the
 * context (rows packed, pitch = width x element size), so copies and the launch's memory
 * snapshot treat it like any device memory. Texture and surface objects are small integer
 * handles naming a ptx_texture (resource + sampler) in a process-wide list; each launch gets
 * a snapshot of its context's objects whose memory is still live (cpudev_tex_snapshot), and
 * the PTX engine's tex / suld / sust / txq read it. Mipmapped arrays are not supported.
 */
#include "driver.h"

#include <stdlib.h>
#include <string.h>

#define CPUDEV_MAGIC_ARRAY 0x41525231u

struct CUarray_st {
  uint32_t magic;
  CUcontext ctx;
  CUDA_ARRAY3D_DESCRIPTOR desc;
  uintptr_t data;
  size_t pitch, slice, bytes;
  struct CUarray_st *next;
};

typedef struct texobj {
  ptx_texture t;
  CUcontext ctx;
  CUDA_RESOURCE_DESC res;
  CUDA_TEXTURE_DESC tex;
  CUDA_RESOURCE_VIEW_DESC view;
  int has_view;
  struct texobj *next;
} texobj;

static struct CUarray_st *g_arrays;      /* under cpudev_lock */
static texobj *g_objects;
static uint64_t g_next_handle = 1;

/* ---- formats ---- */

static int map_format(CUarray_format f) {
  switch (f) {
  case CU_AD_FORMAT_UNSIGNED_INT8: return PTX_FMT_U8;
  case CU_AD_FORMAT_UNSIGNED_INT16: return PTX_FMT_U16;
  case CU_AD_FORMAT_UNSIGNED_INT32: return PTX_FMT_U32;
  case CU_AD_FORMAT_SIGNED_INT8: return PTX_FMT_S8;
  case CU_AD_FORMAT_SIGNED_INT16: return PTX_FMT_S16;
  case CU_AD_FORMAT_SIGNED_INT32: return PTX_FMT_S32;
  case CU_AD_FORMAT_HALF: return PTX_FMT_F16;
  case CU_AD_FORMAT_FLOAT: return PTX_FMT_F32;
  default: return -1;
  }
}

static size_t element_size(CUarray_format f, unsigned channels) {
  int pf = map_format(f);
  return pf < 0 ? 0 : ptx_texfmt_size(pf) * channels;
}

/* ---- arrays ---- */

static int array_is_live(CUarray a) {   /* lock held */
  for (struct CUarray_st *p = g_arrays; p; p = p->next)
    if (p == a && p->magic == CPUDEV_MAGIC_ARRAY) return 1;
  return 0;
}

static CUresult check_descriptor(const CUDA_ARRAY3D_DESCRIPTOR *d) {
  const unsigned known = CUDA_ARRAY3D_LAYERED | CUDA_ARRAY3D_SURFACE_LDST | CUDA_ARRAY3D_CUBEMAP |
                         CUDA_ARRAY3D_TEXTURE_GATHER;
  if (map_format(d->Format) < 0) return d->Format ? CUDA_ERROR_NOT_SUPPORTED : CUDA_ERROR_INVALID_VALUE;
  if (d->NumChannels != 1 && d->NumChannels != 2 && d->NumChannels != 4) return CUDA_ERROR_INVALID_VALUE;
  if (d->Flags & ~known) return CUDA_ERROR_INVALID_VALUE;
  if (!d->Width || (d->Depth && !d->Height && !(d->Flags & CUDA_ARRAY3D_LAYERED))) return CUDA_ERROR_INVALID_VALUE;
  if (d->Width > 65536 || d->Height > 65536 || d->Depth > 16384) return CUDA_ERROR_INVALID_VALUE;
  if ((d->Flags & CUDA_ARRAY3D_LAYERED) && !d->Depth) return CUDA_ERROR_INVALID_VALUE;
  if (d->Flags & CUDA_ARRAY3D_CUBEMAP) {
    size_t faces = d->Flags & CUDA_ARRAY3D_LAYERED ? d->Depth : 6;
    if (d->Width != d->Height || d->Depth != faces || faces % 6) return CUDA_ERROR_INVALID_VALUE;
  }
  return CUDA_SUCCESS;
}

static CUresult array_create(CUarray *out, const CUDA_ARRAY3D_DESCRIPTOR *d) {
  CUcontext ctx;
  CUresult r = cpudev_current_ctx(&ctx);
  if (r) return r;
  if (!out || !d) return CUDA_ERROR_INVALID_VALUE;
  if ((r = check_descriptor(d))) return r;
  struct CUarray_st *a = calloc(1, sizeof *a);
  if (!a) return CUDA_ERROR_OUT_OF_MEMORY;
  a->magic = CPUDEV_MAGIC_ARRAY;
  a->ctx = ctx;
  a->desc = *d;
  a->pitch = d->Width * element_size(d->Format, d->NumChannels);
  a->slice = a->pitch * (d->Height ? d->Height : 1);
  a->bytes = a->slice * (d->Depth ? d->Depth : 1);
  r = cpudev_mem_alloc(ctx, a->bytes, CPUDEV_MEM_DEVICE, 0, &a->data);
  if (r) {
    free(a);
    return r;
  }
  cpudev_lock();
  a->next = g_arrays;
  g_arrays = a;
  cpudev_unlock();
  *out = a;
  return CUDA_SUCCESS;
}

CPUDEV_API CUresult cuArray3DCreate_v2(CUarray *pHandle, const CUDA_ARRAY3D_DESCRIPTOR *pAllocateArray) {
  return array_create(pHandle, pAllocateArray);
}

CPUDEV_API CUresult cuArrayCreate_v2(CUarray *pHandle, const CUDA_ARRAY_DESCRIPTOR *p) {
  if (!p) return CUDA_ERROR_INVALID_VALUE;
  CUDA_ARRAY3D_DESCRIPTOR d = {.Width = p->Width, .Height = p->Height, .Format = p->Format,
                               .NumChannels = p->NumChannels};
  return array_create(pHandle, &d);
}

/* Unlinks a from the list; lock held. */
static void array_unlink(CUarray a) {
  for (struct CUarray_st **pp = &g_arrays; *pp; pp = &(*pp)->next)
    if (*pp == a) {
      *pp = a->next;
      return;
    }
}

CPUDEV_API CUresult cuArrayDestroy(CUarray hArray) {
  CUcontext ctx;
  CUresult r = cpudev_current_ctx(&ctx);
  if (r) return r;
  cpudev_lock();
  if (!array_is_live(hArray)) {
    cpudev_unlock();
    return CUDA_ERROR_INVALID_HANDLE;
  }
  array_unlink(hArray);
  hArray->magic = 0;
  CUcontext owner = hArray->ctx;
  cpudev_unlock();
  if (cpudev_ctx_is_live_unlocked(owner)) cpudev_ctx_synchronize(owner);
  cpudev_mem_release(hArray->data);
  free(hArray);
  return CUDA_SUCCESS;
}

static CUresult array_descriptor(CUarray a, CUDA_ARRAY3D_DESCRIPTOR *out) {
  CUcontext ctx;
  CUresult r = cpudev_current_ctx(&ctx);
  if (r) return r;
  if (!out) return CUDA_ERROR_INVALID_VALUE;
  cpudev_lock();
  if (!array_is_live(a)) r = CUDA_ERROR_INVALID_HANDLE;
  else *out = a->desc;
  cpudev_unlock();
  return r;
}

CPUDEV_API CUresult cuArray3DGetDescriptor_v2(CUDA_ARRAY3D_DESCRIPTOR *pArrayDescriptor, CUarray hArray) {
  return array_descriptor(hArray, pArrayDescriptor);
}

CPUDEV_API CUresult cuArrayGetDescriptor_v2(CUDA_ARRAY_DESCRIPTOR *pArrayDescriptor, CUarray hArray) {
  CUDA_ARRAY3D_DESCRIPTOR d;
  if (!pArrayDescriptor) return CUDA_ERROR_INVALID_VALUE;
  CUresult r = array_descriptor(hArray, &d);
  if (r) return r;
  if (d.Depth) return CUDA_ERROR_INVALID_VALUE;   /* a 3D array needs the 3D descriptor */
  *pArrayDescriptor = (CUDA_ARRAY_DESCRIPTOR){.Width = d.Width, .Height = d.Height, .Format = d.Format,
                                              .NumChannels = d.NumChannels};
  return CUDA_SUCCESS;
}

CUresult cpudev_array_layout(CUarray a, uintptr_t *data, size_t *pitch, size_t *height, size_t *bytes) {
  CUresult r = CUDA_SUCCESS;
  cpudev_lock();
  if (!array_is_live(a)) {
    r = CUDA_ERROR_INVALID_HANDLE;
  } else {
    *data = a->data;
    *pitch = a->pitch;
    *height = a->desc.Height ? a->desc.Height : 1;
    *bytes = a->bytes;
  }
  cpudev_unlock();
  return r;
}

/* ---- texture and surface objects ---- */

/* Fills the resource half of t from a resource descriptor. Lock held. */
static CUresult describe_resource(const CUDA_RESOURCE_DESC *res, ptx_texture *t) {
  size_t es;
  switch (res->resType) {
  case CU_RESOURCE_TYPE_ARRAY: {
    CUarray a = res->res.array.hArray;
    if (!array_is_live(a)) return CUDA_ERROR_INVALID_HANDLE;
    const CUDA_ARRAY3D_DESCRIPTOR *d = &a->desc;
    t->format = (uint8_t)map_format(d->Format);
    t->channels = (uint8_t)d->NumChannels;
    t->layered = (d->Flags & CUDA_ARRAY3D_LAYERED) != 0;
    t->cubemap = (d->Flags & CUDA_ARRAY3D_CUBEMAP) != 0;
    t->data = (uint8_t *)a->data;
    t->width = d->Width;
    t->height = d->Height ? d->Height : 1;
    t->depth = d->Depth ? d->Depth : 1;
    t->pitch = a->pitch;
    t->slice = a->slice;
    return CUDA_SUCCESS;
  }
  case CU_RESOURCE_TYPE_LINEAR:
    if (map_format(res->res.linear.format) < 0) return CUDA_ERROR_INVALID_VALUE;
    es = element_size(res->res.linear.format, res->res.linear.numChannels);
    if (!res->res.linear.devPtr || !res->res.linear.sizeInBytes || (res->res.linear.numChannels != 1 &&
        res->res.linear.numChannels != 2 && res->res.linear.numChannels != 4))
      return CUDA_ERROR_INVALID_VALUE;
    t->format = (uint8_t)map_format(res->res.linear.format);
    t->channels = (uint8_t)res->res.linear.numChannels;
    t->data = (uint8_t *)(uintptr_t)res->res.linear.devPtr;
    t->width = res->res.linear.sizeInBytes / es;
    t->height = t->depth = 1;
    t->pitch = t->slice = t->width * es;
    return t->width ? CUDA_SUCCESS : CUDA_ERROR_INVALID_VALUE;
  case CU_RESOURCE_TYPE_PITCH2D:
    if (map_format(res->res.pitch2D.format) < 0) return CUDA_ERROR_INVALID_VALUE;
    es = element_size(res->res.pitch2D.format, res->res.pitch2D.numChannels);
    if (!res->res.pitch2D.devPtr || !res->res.pitch2D.width || !res->res.pitch2D.height ||
        res->res.pitch2D.pitchInBytes < res->res.pitch2D.width * es || (res->res.pitch2D.numChannels != 1 &&
        res->res.pitch2D.numChannels != 2 && res->res.pitch2D.numChannels != 4))
      return CUDA_ERROR_INVALID_VALUE;
    t->format = (uint8_t)map_format(res->res.pitch2D.format);
    t->channels = (uint8_t)res->res.pitch2D.numChannels;
    t->data = (uint8_t *)(uintptr_t)res->res.pitch2D.devPtr;
    t->width = res->res.pitch2D.width;
    t->height = res->res.pitch2D.height;
    t->depth = 1;
    t->pitch = res->res.pitch2D.pitchInBytes;
    t->slice = t->pitch * t->height;
    return CUDA_SUCCESS;
  case CU_RESOURCE_TYPE_MIPMAPPED_ARRAY: return CUDA_ERROR_NOT_SUPPORTED;
  default: return CUDA_ERROR_INVALID_VALUE;
  }
}

/* Fills the sampler half of t from a texture descriptor. */
static CUresult describe_sampler(const CUDA_TEXTURE_DESC *d, CUresourcetype type, ptx_texture *t) {
  for (int i = 0; i < 3; i++) {
    if ((unsigned)d->addressMode[i] > CU_TR_ADDRESS_MODE_BORDER) return CUDA_ERROR_INVALID_VALUE;
    t->addr[i] = (uint8_t)d->addressMode[i];
  }
  if ((unsigned)d->filterMode > CU_TR_FILTER_MODE_LINEAR) return CUDA_ERROR_INVALID_VALUE;
  t->linear_filter = d->filterMode == CU_TR_FILTER_MODE_LINEAR;
  t->normalized_coords = (d->flags & CU_TRSF_NORMALIZED_COORDINATES) != 0;
  int small_int = t->format == PTX_FMT_U8 || t->format == PTX_FMT_S8 || t->format == PTX_FMT_U16 ||
                  t->format == PTX_FMT_S16;
  t->read_normalized = small_int && !(d->flags & CU_TRSF_READ_AS_INTEGER);
  t->srgb = (d->flags & CU_TRSF_SRGB) != 0;
  memcpy(t->border, d->borderColor, sizeof t->border);
  if (type == CU_RESOURCE_TYPE_LINEAR) {   /* tex1Dfetch: no filtering; out of range reads zero */
    t->linear_filter = 0;
    t->normalized_coords = 0;
    t->addr[0] = PTX_ADDR_BORDER;
    memset(t->border, 0, sizeof t->border);
  }
  return CUDA_SUCCESS;
}

/* Linear and pitch2D resources must lie inside one allocation (lock not held). */
static CUresult check_linear_memory(const CUDA_RESOURCE_DESC *res) {
  uintptr_t p;
  size_t span;
  if (res->resType == CU_RESOURCE_TYPE_LINEAR) {
    p = (uintptr_t)res->res.linear.devPtr;
    span = res->res.linear.sizeInBytes;
  } else if (res->resType == CU_RESOURCE_TYPE_PITCH2D) {
    const __typeof__(res->res.pitch2D) *q = &res->res.pitch2D;
    size_t es = element_size(q->format, q->numChannels);
    if (!es || !q->height || q->height > 65536 || q->width > 65536 || q->pitchInBytes > ((size_t)1 << 40))
      return CUDA_ERROR_INVALID_VALUE;
    p = (uintptr_t)q->devPtr;
    span = q->pitchInBytes * (q->height - 1) + q->width * es;
  } else {
    return CUDA_SUCCESS;
  }
  cpudev_alloc a;
  if (!cpudev_mem_find(p, &a) || span > a.size - (p - a.base)) return CUDA_ERROR_INVALID_VALUE;
  return CUDA_SUCCESS;
}

static CUresult object_create(uint64_t *out, const CUDA_RESOURCE_DESC *res, const CUDA_TEXTURE_DESC *tex,
                              const CUDA_RESOURCE_VIEW_DESC *view) {
  CUcontext ctx;
  CUresult r = cpudev_current_ctx(&ctx);
  if (r) return r;
  if (!out || !res) return CUDA_ERROR_INVALID_VALUE;
  if (view) return CUDA_ERROR_NOT_SUPPORTED;   /* resource views need mipmapped / BC arrays */
  if ((r = check_linear_memory(res))) return r;
  texobj *o = calloc(1, sizeof *o);
  if (!o) return CUDA_ERROR_OUT_OF_MEMORY;
  o->ctx = ctx;
  o->res = *res;
  o->t.is_surface = tex == NULL;
  cpudev_lock();
  r = describe_resource(res, &o->t);
  if (!r && tex) {
    o->tex = *tex;
    r = describe_sampler(tex, res->resType, &o->t);
  }
  if (!r && !tex && res->resType != CU_RESOURCE_TYPE_ARRAY) r = CUDA_ERROR_INVALID_VALUE;
  if (!r && !tex && !(res->res.array.hArray->desc.Flags & CUDA_ARRAY3D_SURFACE_LDST)) r = CUDA_ERROR_INVALID_VALUE;
  if (r) {
    cpudev_unlock();
    free(o);
    return r;
  }
  o->t.handle = g_next_handle++;
  o->next = g_objects;
  g_objects = o;
  *out = o->t.handle;
  cpudev_unlock();
  return CUDA_SUCCESS;
}

static texobj *object_find(uint64_t h, int surface) {   /* lock held */
  for (texobj *o = g_objects; o; o = o->next)
    if (o->t.handle == h && o->t.is_surface == surface) return o;
  return NULL;
}

/* Launches take their snapshot of objects when they start, so work already queued that may
 * use the object finishes first (an object destroyed right after a launch, as programs do,
 * still reaches that kernel). */
static CUresult object_destroy(uint64_t h, int surface) {
  CUcontext ctx;
  CUresult r = cpudev_current_ctx(&ctx);
  if (r) return r;
  cpudev_lock();
  texobj *found = object_find(h, surface);
  CUcontext owner = found ? found->ctx : NULL;
  cpudev_unlock();
  if (owner && cpudev_ctx_is_live_unlocked(owner)) cpudev_ctx_synchronize(owner);
  cpudev_lock();
  texobj *o = NULL;
  for (texobj **pp = &g_objects; *pp; pp = &(*pp)->next)
    if ((*pp)->t.handle == h && (*pp)->t.is_surface == surface) {
      o = *pp;
      *pp = o->next;
      break;
    }
  cpudev_unlock();
  if (!o) return CUDA_ERROR_INVALID_VALUE;
  free(o);
  return CUDA_SUCCESS;
}

CPUDEV_API CUresult cuTexObjectCreate(CUtexObject *pTexObject, const CUDA_RESOURCE_DESC *pResDesc,
                                      const CUDA_TEXTURE_DESC *pTexDesc, const CUDA_RESOURCE_VIEW_DESC *pResViewDesc) {
  if (!pTexDesc) return CUDA_ERROR_INVALID_VALUE;
  return object_create((uint64_t *)pTexObject, pResDesc, pTexDesc, pResViewDesc);
}

CPUDEV_API CUresult cuTexObjectDestroy(CUtexObject texObject) { return object_destroy(texObject, 0); }

CPUDEV_API CUresult cuSurfObjectCreate(CUsurfObject *pSurfObject, const CUDA_RESOURCE_DESC *pResDesc) {
  return object_create((uint64_t *)pSurfObject, pResDesc, NULL, NULL);
}

CPUDEV_API CUresult cuSurfObjectDestroy(CUsurfObject surfObject) { return object_destroy(surfObject, 1); }

/* Copies one of an object's descriptors out under the lock. */
static CUresult object_get(uint64_t h, int surface, int what, void *out) {
  CUcontext ctx;
  CUresult r = cpudev_current_ctx(&ctx);
  if (r) return r;
  if (!out) return CUDA_ERROR_INVALID_VALUE;
  cpudev_lock();
  texobj *o = object_find(h, surface);
  if (!o) r = CUDA_ERROR_INVALID_VALUE;
  else if (what == 0) memcpy(out, &o->res, sizeof o->res);
  else if (what == 1) memcpy(out, &o->tex, sizeof o->tex);
  else if (o->has_view) memcpy(out, &o->view, sizeof o->view);
  else r = CUDA_ERROR_INVALID_VALUE;
  cpudev_unlock();
  return r;
}

CPUDEV_API CUresult cuTexObjectGetResourceDesc(CUDA_RESOURCE_DESC *pResDesc, CUtexObject texObject) {
  return object_get(texObject, 0, 0, pResDesc);
}
CPUDEV_API CUresult cuTexObjectGetTextureDesc(CUDA_TEXTURE_DESC *pTexDesc, CUtexObject texObject) {
  return object_get(texObject, 0, 1, pTexDesc);
}
CPUDEV_API CUresult cuTexObjectGetResourceViewDesc(CUDA_RESOURCE_VIEW_DESC *pResViewDesc, CUtexObject texObject) {
  return object_get(texObject, 0, 2, pResViewDesc);
}
CPUDEV_API CUresult cuSurfObjectGetResourceDesc(CUDA_RESOURCE_DESC *pResDesc, CUsurfObject surfObject) {
  return object_get(surfObject, 1, 0, pResDesc);
}

/* ---- launches and context teardown ---- */

/* True when [p, p+n) lies inside one of the sorted ranges. */
static int in_ranges(const ptx_range *r, size_t count, uintptr_t p, size_t n) {
  for (size_t i = 0; i < count; i++)
    if (p >= r[i].base && p < r[i].end) return n <= r[i].end - p;
  return 0;
}

ptx_texture *cpudev_tex_snapshot(CUcontext ctx, const ptx_range *ranges, size_t nranges, size_t *count) {
  *count = 0;
  cpudev_lock();
  size_t n = 0;
  for (texobj *o = g_objects; o; o = o->next) n += o->ctx == ctx;
  ptx_texture *out = n ? malloc(n * sizeof *out) : NULL;
  for (texobj *o = g_objects; o && out; o = o->next) {
    if (o->ctx != ctx) continue;
    const ptx_texture *t = &o->t;
    size_t span = t->slice * (t->depth - 1) + t->pitch * (t->height - 1) + t->width * ptx_texfmt_size(t->format) * t->channels;
    if (o->res.resType == CU_RESOURCE_TYPE_ARRAY && !array_is_live(o->res.res.array.hArray)) continue;
    if (!in_ranges(ranges, nranges, (uintptr_t)t->data, span)) continue;   /* memory freed since */
    out[(*count)++] = *t;
  }
  cpudev_unlock();
  return out;
}

void cpudev_array_release_ctx(CUcontext ctx) {
  cpudev_lock();
  for (texobj **pp = &g_objects; *pp;) {
    texobj *o = *pp;
    if (o->ctx == ctx) {
      *pp = o->next;
      free(o);
    } else {
      pp = &o->next;
    }
  }
  for (struct CUarray_st **pp = &g_arrays; *pp;) {
    struct CUarray_st *a = *pp;
    if (a->ctx == ctx) {   /* the memory goes with the context's allocations */
      *pp = a->next;
      a->magic = 0;
      free(a);
    } else {
      pp = &a->next;
    }
  }
  cpudev_unlock();
}

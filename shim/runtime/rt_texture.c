/* rt_texture.c - CUDA arrays, texture objects and surface objects of the runtime API, mapped to
 * the driver's (cuArray3DCreate, cuMemcpy2D/3D with array sides, cuTexObjectCreate,
 * cuSurfObjectCreate). cudaArray_t is the driver's CUarray, as in NVIDIA's runtime; channel
 * descriptors become (CUarray_format, channel count); array offsets and extents given in
 * elements become bytes here. Mipmapped arrays are not supported.
 */
#include "runtime.h"

#include <string.h>

#define DPTR(p) ((CUdeviceptr)(uintptr_t)(p))

static cudaError_t ready(void) {
  cudaError_t err = rt_ensure_context();
  return err == cudaSuccess ? cudaSuccess : rt_set_error(err);
}

/* ---- channel descriptors (cudaCreateChannelDesc is in rt_misc.c) ---- */

/* Channel descriptor -> driver format and channel count; 0 when we cannot represent it. */
static int to_format(const struct cudaChannelFormatDesc *d, CUarray_format *fmt, unsigned *channels) {
  int bits[4] = {d->x, d->y, d->z, d->w}, n = 0;
  while (n < 4 && bits[n]) n++;
  for (int i = 1; i < n; i++)
    if (bits[i] != bits[0]) return 0;
  if (n == 0 || n == 3) return 0;
  *channels = (unsigned)n;
  switch (d->f) {
  case cudaChannelFormatKindUnsigned:
    *fmt = bits[0] == 8 ? CU_AD_FORMAT_UNSIGNED_INT8 : bits[0] == 16 ? CU_AD_FORMAT_UNSIGNED_INT16 : CU_AD_FORMAT_UNSIGNED_INT32;
    return bits[0] == 8 || bits[0] == 16 || bits[0] == 32;
  case cudaChannelFormatKindSigned:
    *fmt = bits[0] == 8 ? CU_AD_FORMAT_SIGNED_INT8 : bits[0] == 16 ? CU_AD_FORMAT_SIGNED_INT16 : CU_AD_FORMAT_SIGNED_INT32;
    return bits[0] == 8 || bits[0] == 16 || bits[0] == 32;
  case cudaChannelFormatKindFloat:
    *fmt = bits[0] == 16 ? CU_AD_FORMAT_HALF : CU_AD_FORMAT_FLOAT;
    return bits[0] == 16 || bits[0] == 32;
  default: return 0;
  }
}

static struct cudaChannelFormatDesc from_format(CUarray_format fmt, unsigned channels) {
  int bits = 32;
  enum cudaChannelFormatKind k = cudaChannelFormatKindUnsigned;
  switch (fmt) {
  case CU_AD_FORMAT_UNSIGNED_INT8: bits = 8; break;
  case CU_AD_FORMAT_UNSIGNED_INT16: bits = 16; break;
  case CU_AD_FORMAT_SIGNED_INT8: bits = 8; k = cudaChannelFormatKindSigned; break;
  case CU_AD_FORMAT_SIGNED_INT16: bits = 16; k = cudaChannelFormatKindSigned; break;
  case CU_AD_FORMAT_SIGNED_INT32: k = cudaChannelFormatKindSigned; break;
  case CU_AD_FORMAT_HALF: bits = 16; k = cudaChannelFormatKindFloat; break;
  case CU_AD_FORMAT_FLOAT: k = cudaChannelFormatKindFloat; break;
  default: break;
  }
  struct cudaChannelFormatDesc d = {bits, channels > 1 ? bits : 0, channels > 2 ? bits : 0,
                                    channels > 3 ? bits : 0, k};
  return d;
}

/* ---- arrays ---- */

static cudaError_t malloc_array(cudaArray_t *array, const struct cudaChannelFormatDesc *desc, size_t w,
                                size_t h, size_t d, unsigned flags) {
  if (!array || !desc) return rt_set_error(cudaErrorInvalidValue);
  CUDA_ARRAY3D_DESCRIPTOR a = {.Width = w, .Height = h, .Depth = d, .Flags = flags};
  if (!to_format(desc, &a.Format, &a.NumChannels)) return rt_set_error(cudaErrorInvalidChannelDescriptor);
  cudaError_t err = ready();
  if (err != cudaSuccess) return err;
  CUarray out;
  err = rt_check(cuArray3DCreate(&out, &a));
  if (err == cudaSuccess) *array = (cudaArray_t)out;
  return err;
}

RT_EXPORT cudaError_t cudaMallocArray(cudaArray_t *array, const struct cudaChannelFormatDesc *desc, size_t width,
                                      size_t height, unsigned int flags) {
  return malloc_array(array, desc, width, height, 0, flags);
}

RT_EXPORT cudaError_t cudaMalloc3DArray(cudaArray_t *array, const struct cudaChannelFormatDesc *desc,
                                        struct cudaExtent extent, unsigned int flags) {
  return malloc_array(array, desc, extent.width, extent.height, extent.depth, flags);
}

RT_EXPORT cudaError_t cudaFreeArray(cudaArray_t array) {
  if (!array) return cudaSuccess;
  cudaError_t err = ready();
  return err != cudaSuccess ? err : rt_check(cuArrayDestroy((CUarray)array));
}

static cudaError_t array_desc(cudaArray_const_t array, CUDA_ARRAY3D_DESCRIPTOR *d) {
  cudaError_t err = ready();
  if (err != cudaSuccess) return err;
  return rt_check(cuArray3DGetDescriptor(d, (CUarray)(uintptr_t)array));
}

RT_EXPORT cudaError_t cudaArrayGetInfo(struct cudaChannelFormatDesc *desc, struct cudaExtent *extent,
                                       unsigned int *flags, cudaArray_t array) {
  CUDA_ARRAY3D_DESCRIPTOR d;
  cudaError_t err = array_desc(array, &d);
  if (err != cudaSuccess) return err;
  if (desc) *desc = from_format(d.Format, d.NumChannels);
  if (extent) *extent = (struct cudaExtent){d.Width, d.Height, d.Depth};
  if (flags) *flags = d.Flags;
  return cudaSuccess;
}

RT_EXPORT cudaError_t cudaGetChannelDesc(struct cudaChannelFormatDesc *desc, cudaArray_const_t array) {
  return cudaArrayGetInfo(desc, NULL, NULL, (cudaArray_t)(uintptr_t)array);
}

/* Bytes per element of an array. */
static cudaError_t element_bytes(cudaArray_const_t array, size_t *out) {
  CUDA_ARRAY3D_DESCRIPTOR d;
  cudaError_t err = array_desc(array, &d);
  if (err != cudaSuccess) return err;
  struct cudaChannelFormatDesc c = from_format(d.Format, d.NumChannels);
  *out = (size_t)c.x / 8 * d.NumChannels;
  return cudaSuccess;
}

/* ---- copies ---- */

static int kind_ok(enum cudaMemcpyKind k) { return k >= cudaMemcpyHostToHost && k <= cudaMemcpyDefault; }

/* Memory type of the linear side of a copy: `to_device` picks which end of `kind` it is. */
static CUmemorytype linear_type(enum cudaMemcpyKind kind, int is_dst) {
  if (kind == cudaMemcpyDefault) return CU_MEMORYTYPE_UNIFIED;
  int dev = is_dst ? (kind == cudaMemcpyHostToDevice || kind == cudaMemcpyDeviceToDevice)
                   : (kind == cudaMemcpyDeviceToHost || kind == cudaMemcpyDeviceToDevice);
  return dev ? CU_MEMORYTYPE_DEVICE : CU_MEMORYTYPE_HOST;
}

static cudaError_t issue_2d(CUDA_MEMCPY2D *c, const cudaStream_t *stream, bool ptsz) {
  if (!stream) {
    cudaError_t err = rt_capture_forbids_unsafe();
    return err != cudaSuccess ? err : rt_check(cuMemcpy2D(c));
  }
  rt_op op = {.kind = RT_OP_MEMCPY2D};
  op.u.copy2d = *c;
  return rt_submit(*stream, ptsz, &op);
}

static cudaError_t to_array_2d(cudaArray_t dst, size_t wOffset, size_t hOffset, const void *src, size_t spitch,
                               size_t width, size_t height, enum cudaMemcpyKind kind, const cudaStream_t *stream,
                               bool ptsz) {
  if (!kind_ok(kind)) return rt_set_error(cudaErrorInvalidMemcpyDirection);
  if (width > spitch && height > 1) return rt_set_error(cudaErrorInvalidPitchValue);
  cudaError_t err = ready();
  if (err != cudaSuccess || !width || !height) return err;
  CUDA_MEMCPY2D c = {.srcMemoryType = linear_type(kind, 0), .srcHost = src, .srcDevice = DPTR(src), .srcPitch = spitch,
                     .dstXInBytes = wOffset, .dstY = hOffset, .dstMemoryType = CU_MEMORYTYPE_ARRAY,
                     .dstArray = (CUarray)dst, .WidthInBytes = width, .Height = height};
  return issue_2d(&c, stream, ptsz);
}

static cudaError_t from_array_2d(void *dst, size_t dpitch, cudaArray_const_t src, size_t wOffset, size_t hOffset,
                                 size_t width, size_t height, enum cudaMemcpyKind kind,
                                 const cudaStream_t *stream, bool ptsz) {
  if (!kind_ok(kind)) return rt_set_error(cudaErrorInvalidMemcpyDirection);
  if (width > dpitch && height > 1) return rt_set_error(cudaErrorInvalidPitchValue);
  cudaError_t err = ready();
  if (err != cudaSuccess || !width || !height) return err;
  CUDA_MEMCPY2D c = {.srcXInBytes = wOffset, .srcY = hOffset, .srcMemoryType = CU_MEMORYTYPE_ARRAY,
                     .srcArray = (CUarray)(uintptr_t)src, .dstMemoryType = linear_type(kind, 1), .dstHost = dst,
                     .dstDevice = DPTR(dst), .dstPitch = dpitch, .WidthInBytes = width, .Height = height};
  return issue_2d(&c, stream, ptsz);
}

RT_EXPORT cudaError_t cudaMemcpy2DToArray(cudaArray_t dst, size_t wOffset, size_t hOffset, const void *src,
                                          size_t spitch, size_t width, size_t height, enum cudaMemcpyKind kind) {
  return to_array_2d(dst, wOffset, hOffset, src, spitch, width, height, kind, NULL, false);
}
RT_EXPORT cudaError_t cudaMemcpy2DToArrayAsync(cudaArray_t dst, size_t wOffset, size_t hOffset, const void *src,
                                               size_t spitch, size_t width, size_t height, enum cudaMemcpyKind kind,
                                               cudaStream_t stream) {
  return to_array_2d(dst, wOffset, hOffset, src, spitch, width, height, kind, &stream, false);
}
RT_EXPORT cudaError_t cudaMemcpy2DFromArray(void *dst, size_t dpitch, cudaArray_const_t src, size_t wOffset,
                                            size_t hOffset, size_t width, size_t height, enum cudaMemcpyKind kind) {
  return from_array_2d(dst, dpitch, src, wOffset, hOffset, width, height, kind, NULL, false);
}
RT_EXPORT cudaError_t cudaMemcpy2DFromArrayAsync(void *dst, size_t dpitch, cudaArray_const_t src, size_t wOffset,
                                                 size_t hOffset, size_t width, size_t height,
                                                 enum cudaMemcpyKind kind, cudaStream_t stream) {
  return from_array_2d(dst, dpitch, src, wOffset, hOffset, width, height, kind, &stream, false);
}

/* The deprecated 1D forms: count bytes from (wOffset, hOffset), wrapping across rows: sent as
 * up to three 2D copies (partial first row, whole rows, partial last row). */
static cudaError_t array_1d(cudaArray_const_t array, size_t wOffset, size_t hOffset, void *linear, size_t count,
                            enum cudaMemcpyKind kind, int to_array, const cudaStream_t *stream, bool ptsz) {
  CUDA_ARRAY3D_DESCRIPTOR d;
  size_t es;
  if (!kind_ok(kind)) return rt_set_error(cudaErrorInvalidMemcpyDirection);
  cudaError_t err = element_bytes(array, &es);
  if (err == cudaSuccess) err = array_desc(array, &d);
  if (err != cudaSuccess) return err;
  size_t row = d.Width * es, x = wOffset, y = hOffset, done = 0;
  if (x >= row) return rt_set_error(cudaErrorInvalidValue);
  while (done < count && err == cudaSuccess) {
    size_t w = x == 0 && count - done >= row ? row : (row - x < count - done ? row - x : count - done);
    size_t rows = w == row ? (count - done) / row : 1;
    char *p = (char *)linear + done;
    err = to_array
              ? to_array_2d((cudaArray_t)(uintptr_t)array, x, y, p, w, w, rows, kind, stream, ptsz)
              : from_array_2d(p, w, array, x, y, w, rows, kind, stream, ptsz);
    done += w * rows;
    x = (x + w) % row;
    y += x == 0 ? rows : 0;
  }
  return err;
}

RT_EXPORT cudaError_t cudaMemcpyToArray(cudaArray_t dst, size_t wOffset, size_t hOffset, const void *src,
                                        size_t count, enum cudaMemcpyKind kind) {
  return array_1d(dst, wOffset, hOffset, (void *)(uintptr_t)src, count, kind, 1, NULL, false);
}
RT_EXPORT cudaError_t cudaMemcpyFromArray(void *dst, cudaArray_const_t src, size_t wOffset, size_t hOffset,
                                          size_t count, enum cudaMemcpyKind kind) {
  return array_1d(src, wOffset, hOffset, dst, count, kind, 0, NULL, false);
}
RT_EXPORT cudaError_t cudaMemcpyToArrayAsync(cudaArray_t dst, size_t wOffset, size_t hOffset, const void *src,
                                             size_t count, enum cudaMemcpyKind kind, cudaStream_t stream) {
  return array_1d(dst, wOffset, hOffset, (void *)(uintptr_t)src, count, kind, 1, &stream, false);
}
RT_EXPORT cudaError_t cudaMemcpyFromArrayAsync(void *dst, cudaArray_const_t src, size_t wOffset, size_t hOffset,
                                               size_t count, enum cudaMemcpyKind kind, cudaStream_t stream) {
  return array_1d(src, wOffset, hOffset, dst, count, kind, 0, &stream, false);
}

RT_EXPORT cudaError_t cudaMemcpy2DArrayToArray(cudaArray_t dst, size_t wOffsetDst, size_t hOffsetDst,
                                               cudaArray_const_t src, size_t wOffsetSrc, size_t hOffsetSrc,
                                               size_t width, size_t height, enum cudaMemcpyKind kind) {
  if (kind != cudaMemcpyDeviceToDevice && kind != cudaMemcpyDefault)
    return rt_set_error(cudaErrorInvalidMemcpyDirection);
  cudaError_t err = ready();
  if (err != cudaSuccess || !width || !height) return err;
  CUDA_MEMCPY2D c = {.srcXInBytes = wOffsetSrc, .srcY = hOffsetSrc, .srcMemoryType = CU_MEMORYTYPE_ARRAY,
                     .srcArray = (CUarray)(uintptr_t)src, .dstXInBytes = wOffsetDst, .dstY = hOffsetDst,
                     .dstMemoryType = CU_MEMORYTYPE_ARRAY, .dstArray = (CUarray)dst, .WidthInBytes = width,
                     .Height = height};
  return issue_2d(&c, NULL, false);
}

/* cudaMemcpy3DParms -> CUDA_MEMCPY3D: array positions and extents count elements. */
static cudaError_t describe_3d(const struct cudaMemcpy3DParms *p, CUDA_MEMCPY3D *c) {
  if (!p || !kind_ok(p->kind) || (p->srcArray && p->srcPtr.ptr) || (p->dstArray && p->dstPtr.ptr))
    return cudaErrorInvalidValue;
  size_t es = 1;
  cudaError_t err;
  if (p->srcArray && (err = element_bytes(p->srcArray, &es)) != cudaSuccess) return err;
  if (p->dstArray && (err = element_bytes(p->dstArray, &es)) != cudaSuccess) return err;
  memset(c, 0, sizeof *c);
  c->WidthInBytes = p->extent.width * ((p->srcArray || p->dstArray) ? es : 1);
  c->Height = p->extent.height;
  c->Depth = p->extent.depth;
  c->srcXInBytes = p->srcPos.x * (p->srcArray ? es : 1);
  c->srcY = p->srcPos.y;
  c->srcZ = p->srcPos.z;
  c->dstXInBytes = p->dstPos.x * (p->dstArray ? es : 1);
  c->dstY = p->dstPos.y;
  c->dstZ = p->dstPos.z;
  if (p->srcArray) {
    c->srcMemoryType = CU_MEMORYTYPE_ARRAY;
    c->srcArray = (CUarray)p->srcArray;
  } else {
    c->srcMemoryType = linear_type(p->kind, 0);
    c->srcHost = p->srcPtr.ptr;
    c->srcDevice = DPTR(p->srcPtr.ptr);
    c->srcPitch = p->srcPtr.pitch;
    c->srcHeight = p->srcPtr.ysize;
  }
  if (p->dstArray) {
    c->dstMemoryType = CU_MEMORYTYPE_ARRAY;
    c->dstArray = (CUarray)p->dstArray;
  } else {
    c->dstMemoryType = linear_type(p->kind, 1);
    c->dstHost = p->dstPtr.ptr;
    c->dstDevice = DPTR(p->dstPtr.ptr);
    c->dstPitch = p->dstPtr.pitch;
    c->dstHeight = p->dstPtr.ysize;
  }
  return cudaSuccess;
}

static cudaError_t memcpy_3d(const struct cudaMemcpy3DParms *p, const cudaStream_t *stream, bool ptsz) {
  cudaError_t err = ready();
  if (err != cudaSuccess) return err;
  CUDA_MEMCPY3D c;
  if ((err = describe_3d(p, &c)) != cudaSuccess) return rt_set_error(err);
  if (!c.WidthInBytes || !c.Height || !c.Depth) return cudaSuccess;
  if (c.Depth == 1 && !c.srcZ && !c.dstZ) {   /* a 2D copy: stream-ordered and capturable */
    CUDA_MEMCPY2D m = {
        .srcXInBytes = c.srcXInBytes, .srcY = c.srcY, .srcMemoryType = c.srcMemoryType, .srcHost = c.srcHost,
        .srcDevice = c.srcDevice, .srcArray = c.srcArray, .srcPitch = c.srcPitch,
        .dstXInBytes = c.dstXInBytes, .dstY = c.dstY, .dstMemoryType = c.dstMemoryType, .dstHost = c.dstHost,
        .dstDevice = c.dstDevice, .dstArray = c.dstArray, .dstPitch = c.dstPitch,
        .WidthInBytes = c.WidthInBytes, .Height = c.Height};
    return issue_2d(&m, stream, ptsz);
  }
  if (!stream) {
    if ((err = rt_capture_forbids_unsafe()) != cudaSuccess) return err;
    return rt_check(cuMemcpy3D(&c));
  }
  return rt_check(cuMemcpy3DAsync(&c, rt_stream(*stream, ptsz)));
}

RT_EXPORT cudaError_t cudaMemcpy3D(const struct cudaMemcpy3DParms *p) { return memcpy_3d(p, NULL, false); }
RT_EXPORT cudaError_t cudaMemcpy3DAsync(const struct cudaMemcpy3DParms *p, cudaStream_t stream) {
  return memcpy_3d(p, &stream, false);
}

/* ---- texture and surface objects ---- */

static cudaError_t to_resource(const struct cudaResourceDesc *r, CUDA_RESOURCE_DESC *out) {
  memset(out, 0, sizeof *out);
  switch (r->resType) {
  case cudaResourceTypeArray:
    out->resType = CU_RESOURCE_TYPE_ARRAY;
    out->res.array.hArray = (CUarray)r->res.array.array;
    return cudaSuccess;
  case cudaResourceTypeLinear:
    out->resType = CU_RESOURCE_TYPE_LINEAR;
    out->res.linear.devPtr = DPTR(r->res.linear.devPtr);
    out->res.linear.sizeInBytes = r->res.linear.sizeInBytes;
    return to_format(&r->res.linear.desc, &out->res.linear.format, &out->res.linear.numChannels)
               ? cudaSuccess : cudaErrorInvalidChannelDescriptor;
  case cudaResourceTypePitch2D:
    out->resType = CU_RESOURCE_TYPE_PITCH2D;
    out->res.pitch2D.devPtr = DPTR(r->res.pitch2D.devPtr);
    out->res.pitch2D.width = r->res.pitch2D.width;
    out->res.pitch2D.height = r->res.pitch2D.height;
    out->res.pitch2D.pitchInBytes = r->res.pitch2D.pitchInBytes;
    return to_format(&r->res.pitch2D.desc, &out->res.pitch2D.format, &out->res.pitch2D.numChannels)
               ? cudaSuccess : cudaErrorInvalidChannelDescriptor;
  case cudaResourceTypeMipmappedArray: return cudaErrorNotSupported;
  default: return cudaErrorInvalidValue;
  }
}

static void from_resource(const CUDA_RESOURCE_DESC *r, struct cudaResourceDesc *out) {
  memset(out, 0, sizeof *out);
  switch (r->resType) {
  case CU_RESOURCE_TYPE_ARRAY:
    out->resType = cudaResourceTypeArray;
    out->res.array.array = (cudaArray_t)r->res.array.hArray;
    break;
  case CU_RESOURCE_TYPE_LINEAR:
    out->resType = cudaResourceTypeLinear;
    out->res.linear.devPtr = (void *)(uintptr_t)r->res.linear.devPtr;
    out->res.linear.sizeInBytes = r->res.linear.sizeInBytes;
    out->res.linear.desc = from_format(r->res.linear.format, r->res.linear.numChannels);
    break;
  default:
    out->resType = cudaResourceTypePitch2D;
    out->res.pitch2D.devPtr = (void *)(uintptr_t)r->res.pitch2D.devPtr;
    out->res.pitch2D.width = r->res.pitch2D.width;
    out->res.pitch2D.height = r->res.pitch2D.height;
    out->res.pitch2D.pitchInBytes = r->res.pitch2D.pitchInBytes;
    out->res.pitch2D.desc = from_format(r->res.pitch2D.format, r->res.pitch2D.numChannels);
    break;
  }
}

RT_EXPORT cudaError_t cudaCreateTextureObject(cudaTextureObject_t *pTexObject, const struct cudaResourceDesc *pResDesc,
                                              const struct cudaTextureDesc *pTexDesc,
                                              const struct cudaResourceViewDesc *pResViewDesc) {
  if (!pTexObject || !pResDesc || !pTexDesc) return rt_set_error(cudaErrorInvalidValue);
  if (pResViewDesc) return rt_set_error(cudaErrorNotSupported);
  cudaError_t err = ready();
  if (err != cudaSuccess) return err;
  CUDA_RESOURCE_DESC res;
  if ((err = to_resource(pResDesc, &res)) != cudaSuccess) return rt_set_error(err);
  CUDA_TEXTURE_DESC td;
  memset(&td, 0, sizeof td);
  for (int i = 0; i < 3; i++) td.addressMode[i] = (CUaddress_mode)pTexDesc->addressMode[i];
  td.filterMode = (CUfilter_mode)pTexDesc->filterMode;
  td.flags = (pTexDesc->readMode == cudaReadModeElementType ? CU_TRSF_READ_AS_INTEGER : 0) |
             (pTexDesc->normalizedCoords ? CU_TRSF_NORMALIZED_COORDINATES : 0) |
             (pTexDesc->sRGB ? CU_TRSF_SRGB : 0) |
             (pTexDesc->disableTrilinearOptimization ? CU_TRSF_DISABLE_TRILINEAR_OPTIMIZATION : 0) |
             (pTexDesc->seamlessCubemap ? CU_TRSF_SEAMLESS_CUBEMAP : 0);
  td.maxAnisotropy = pTexDesc->maxAnisotropy;
  td.mipmapFilterMode = (CUfilter_mode)pTexDesc->mipmapFilterMode;
  td.mipmapLevelBias = pTexDesc->mipmapLevelBias;
  td.minMipmapLevelClamp = pTexDesc->minMipmapLevelClamp;
  td.maxMipmapLevelClamp = pTexDesc->maxMipmapLevelClamp;
  memcpy(td.borderColor, pTexDesc->borderColor, sizeof td.borderColor);
  CUtexObject t;
  err = rt_check(cuTexObjectCreate(&t, &res, &td, NULL));
  if (err == cudaSuccess) *pTexObject = t;
  return err;
}

RT_EXPORT cudaError_t cudaDestroyTextureObject(cudaTextureObject_t texObject) {
  cudaError_t err = ready();
  return err != cudaSuccess ? err : rt_check(cuTexObjectDestroy(texObject));
}

RT_EXPORT cudaError_t cudaGetTextureObjectResourceDesc(struct cudaResourceDesc *pResDesc,
                                                       cudaTextureObject_t texObject) {
  CUDA_RESOURCE_DESC r;
  cudaError_t err = ready();
  if (err == cudaSuccess && !pResDesc) err = rt_set_error(cudaErrorInvalidValue);
  if (err == cudaSuccess) err = rt_check(cuTexObjectGetResourceDesc(&r, texObject));
  if (err == cudaSuccess) from_resource(&r, pResDesc);
  return err;
}

RT_EXPORT cudaError_t cudaGetTextureObjectTextureDesc(struct cudaTextureDesc *pTexDesc,
                                                      cudaTextureObject_t texObject) {
  CUDA_TEXTURE_DESC t;
  cudaError_t err = ready();
  if (err == cudaSuccess && !pTexDesc) err = rt_set_error(cudaErrorInvalidValue);
  if (err == cudaSuccess) err = rt_check(cuTexObjectGetTextureDesc(&t, texObject));
  if (err != cudaSuccess) return err;
  memset(pTexDesc, 0, sizeof *pTexDesc);
  for (int i = 0; i < 3; i++) pTexDesc->addressMode[i] = (enum cudaTextureAddressMode)t.addressMode[i];
  pTexDesc->filterMode = (enum cudaTextureFilterMode)t.filterMode;
  pTexDesc->readMode = t.flags & CU_TRSF_READ_AS_INTEGER ? cudaReadModeElementType : cudaReadModeNormalizedFloat;
  pTexDesc->normalizedCoords = (t.flags & CU_TRSF_NORMALIZED_COORDINATES) != 0;
  pTexDesc->sRGB = (t.flags & CU_TRSF_SRGB) != 0;
  pTexDesc->maxAnisotropy = t.maxAnisotropy;
  memcpy(pTexDesc->borderColor, t.borderColor, sizeof t.borderColor);
  return cudaSuccess;
}

RT_EXPORT cudaError_t cudaCreateSurfaceObject(cudaSurfaceObject_t *pSurfObject, const struct cudaResourceDesc *pResDesc) {
  if (!pSurfObject || !pResDesc) return rt_set_error(cudaErrorInvalidValue);
  if (pResDesc->resType != cudaResourceTypeArray) return rt_set_error(cudaErrorInvalidValue);
  cudaError_t err = ready();
  if (err != cudaSuccess) return err;
  CUDA_RESOURCE_DESC res;
  to_resource(pResDesc, &res);
  CUsurfObject s;
  err = rt_check(cuSurfObjectCreate(&s, &res));
  if (err == cudaSuccess) *pSurfObject = s;
  return err;
}

RT_EXPORT cudaError_t cudaDestroySurfaceObject(cudaSurfaceObject_t surfObject) {
  cudaError_t err = ready();
  return err != cudaSuccess ? err : rt_check(cuSurfObjectDestroy(surfObject));
}

RT_EXPORT cudaError_t cudaGetSurfaceObjectResourceDesc(struct cudaResourceDesc *pResDesc,
                                                       cudaSurfaceObject_t surfObject) {
  CUDA_RESOURCE_DESC r;
  cudaError_t err = ready();
  if (err == cudaSuccess && !pResDesc) err = rt_set_error(cudaErrorInvalidValue);
  if (err == cudaSuccess) err = rt_check(cuSurfObjectGetResourceDesc(&r, surfObject));
  if (err == cudaSuccess) from_resource(&r, pResDesc);
  return err;
}

/* ---- per-thread default stream entry points (nvcc --default-stream per-thread) ---- */

RT_EXPORT cudaError_t cudaMemcpy2DToArray_ptds(cudaArray_t dst, size_t wOffset, size_t hOffset, const void *src,
                                               size_t spitch, size_t width, size_t height, enum cudaMemcpyKind kind) {
  return to_array_2d(dst, wOffset, hOffset, src, spitch, width, height, kind, NULL, false);
}
RT_EXPORT cudaError_t cudaMemcpy2DFromArray_ptds(void *dst, size_t dpitch, cudaArray_const_t src, size_t wOffset,
                                                 size_t hOffset, size_t width, size_t height, enum cudaMemcpyKind kind) {
  return from_array_2d(dst, dpitch, src, wOffset, hOffset, width, height, kind, NULL, false);
}
RT_EXPORT cudaError_t cudaMemcpy3D_ptds(const struct cudaMemcpy3DParms *p) { return memcpy_3d(p, NULL, true); }
RT_EXPORT cudaError_t cudaMemcpy3DAsync_ptsz(const struct cudaMemcpy3DParms *p, cudaStream_t stream) {
  return memcpy_3d(p, &stream, true);
}
RT_EXPORT cudaError_t cudaMemcpy2DToArrayAsync_ptsz(cudaArray_t dst, size_t wOffset, size_t hOffset, const void *src,
                                                    size_t spitch, size_t width, size_t height,
                                                    enum cudaMemcpyKind kind, cudaStream_t stream) {
  return to_array_2d(dst, wOffset, hOffset, src, spitch, width, height, kind, &stream, true);
}
RT_EXPORT cudaError_t cudaMemcpy2DFromArrayAsync_ptsz(void *dst, size_t dpitch, cudaArray_const_t src, size_t wOffset,
                                                      size_t hOffset, size_t width, size_t height,
                                                      enum cudaMemcpyKind kind, cudaStream_t stream) {
  return from_array_2d(dst, dpitch, src, wOffset, hOffset, width, height, kind, &stream, true);
}
RT_EXPORT cudaError_t cudaMemcpyToArray_ptds(cudaArray_t dst, size_t wOffset, size_t hOffset, const void *src,
                                             size_t count, enum cudaMemcpyKind kind) {
  return array_1d(dst, wOffset, hOffset, (void *)(uintptr_t)src, count, kind, 1, NULL, false);
}
RT_EXPORT cudaError_t cudaMemcpyFromArray_ptds(void *dst, cudaArray_const_t src, size_t wOffset, size_t hOffset,
                                               size_t count, enum cudaMemcpyKind kind) {
  return array_1d(src, wOffset, hOffset, dst, count, kind, 0, NULL, false);
}
RT_EXPORT cudaError_t cudaMemcpyToArrayAsync_ptsz(cudaArray_t dst, size_t wOffset, size_t hOffset, const void *src,
                                                  size_t count, enum cudaMemcpyKind kind, cudaStream_t stream) {
  return array_1d(dst, wOffset, hOffset, (void *)(uintptr_t)src, count, kind, 1, &stream, true);
}
RT_EXPORT cudaError_t cudaMemcpyFromArrayAsync_ptsz(void *dst, cudaArray_const_t src, size_t wOffset, size_t hOffset,
                                                    size_t count, enum cudaMemcpyKind kind, cudaStream_t stream) {
  return array_1d(src, wOffset, hOffset, dst, count, kind, 0, &stream, true);
}
RT_EXPORT cudaError_t cudaMemcpy2DArrayToArray_ptds(cudaArray_t dst, size_t wOffsetDst, size_t hOffsetDst,
                                                    cudaArray_const_t src, size_t wOffsetSrc, size_t hOffsetSrc,
                                                    size_t width, size_t height, enum cudaMemcpyKind kind) {
  return cudaMemcpy2DArrayToArray(dst, wOffsetDst, hOffsetDst, src, wOffsetSrc, hOffsetSrc, width, height, kind);
}

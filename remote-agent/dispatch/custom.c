/* custom.c - the agent halves of the table rows flagged cagent: the client's current context,
 * the one device a session sees, contexts, module loading by content hash, parameter layouts,
 * kernel launches and chunked (optionally zstd-compressed) copies. Each checks what the client
 * sent before the driver sees it. */
#include <stdlib.h>
#include <string.h>

#include "session.h"

/* ---- context and device ---------------------------------------------------------------------- */

CUresult gs_agent_gs_set_ctx(agent_session *s, gs_set_ctx_args *a, void *r) {
  (void)r;
  void *real = NULL;
  CUresult e = CUDA_SUCCESS;
  /* an unknown context leaves none current: the calls after it fail instead of running in the
   * previous one */
  if (a->ctx != 0 && (e = gs_handle_get(s, GS_H_CTX, a->ctx, &real))) real = NULL;
  s->cur = real;
  s->drv->cuCtxSetCurrent(s->cur);
  return e;
}

CUresult gs_agent_cuDeviceGet(agent_session *s, cuDeviceGet_args *a, cuDeviceGet_res *r) {
  (void)s;
  if (a->ordinal != 0) return CUDA_ERROR_INVALID_DEVICE;
  r->device = 0;
  return CUDA_SUCCESS;
}

CUresult gs_agent_cuDeviceGetCount(agent_session *s, void *a, cuDeviceGetCount_res *r) {
  (void)s, (void)a;
  r->count = 1;                      /* a session sees exactly the device it was opened on */
  return CUDA_SUCCESS;
}

/* The session's own context plays the primary context: retained, released and reset by the
 * client's runtime without touching other sessions. */
CUresult gs_agent_cuDevicePrimaryCtxRetain(agent_session *s, cuDevicePrimaryCtxRetain_args *a,
                                           cuDevicePrimaryCtxRetain_res *r) {
  CUdevice d;
  CUresult e = gs_device_get(s, a->dev, &d);
  if (e) return e;
  r->pctx = s->ctx_id;
  return CUDA_SUCCESS;
}

CUresult gs_agent_cuDevicePrimaryCtxRelease(agent_session *s, cuDevicePrimaryCtxRelease_args *a,
                                            void *r) {
  (void)r;
  CUdevice d;
  return gs_device_get(s, a->dev, &d);
}

CUresult gs_agent_cuDevicePrimaryCtxReset(agent_session *s, cuDevicePrimaryCtxReset_args *a,
                                          void *r) {
  (void)r;
  CUdevice d;
  CUresult e = gs_device_get(s, a->dev, &d);
  if (e) return e;
  /* as a reset does: all the client made in its primary context goes, and the context is
   * made anew (a device error leaves a context unusable, as on a GPU); its id stays */
  gs_session_release_in(s, s->ctx);
  CUcontext fresh = NULL;
  if ((e = s->drv->cuCtxCreate(&fresh, NULL, 0, s->dev))) return e;
  CUcontext old = s->ctx;
  s->drv->cuCtxSetCurrent(NULL);
  s->drv->cuCtxDestroy(old);
  gs_handle_slot *h = gs_handle_slot_of(s, GS_H_CTX, s->ctx_id);
  if (h) h->real = h->ctx = fresh;
  s->ctx = fresh;
  gs_output_route(s, fresh);
  if (s->cur == old) s->cur = fresh;
  s->drv->cuCtxSetCurrent(s->cur);
  return CUDA_SUCCESS;
}

CUresult gs_agent_cuDevicePrimaryCtxGetState(agent_session *s,
                                             cuDevicePrimaryCtxGetState_args *a,
                                             cuDevicePrimaryCtxGetState_res *r) {
  CUdevice d;
  CUresult e = gs_device_get(s, a->dev, &d);
  if (e) return e;
  r->flags = 0;
  r->active = 1;
  return CUDA_SUCCESS;
}

CUresult gs_agent_cuDevicePrimaryCtxSetFlags(agent_session *s,
                                             cuDevicePrimaryCtxSetFlags_args *a, void *r) {
  (void)r;
  CUdevice d;
  return gs_device_get(s, a->dev, &d);
}

CUresult gs_agent_cuCtxCreate(agent_session *s, cuCtxCreate_args *a, cuCtxCreate_res *r) {
  CUdevice d;
  CUresult e = gs_device_get(s, a->dev, &d);
  if (e) return e;
  CUcontext c = NULL;
  e = s->drv->cuCtxCreate(&c, NULL, a->flags, d);
  if (e) return e;
  gs_output_route(s, c);
  s->drv->cuCtxSetCurrent(s->cur);   /* creation made it current; the client's stack decides */
  CUcontext keep = s->cur;
  s->cur = c;                        /* so the slot records its own context */
  e = gs_handle_new(s, GS_H_CTX, c, &r->pctx);
  s->cur = keep;
  if (e) s->drv->cuCtxDestroy(c);
  return e;
}

CUresult gs_agent_cuCtxDestroy(agent_session *s, cuCtxDestroy_args *a, void *r) {
  (void)r;
  void *c;
  CUresult e = gs_handle_get(s, GS_H_CTX, a->ctx, &c);
  if (e) return e;
  if (c == s->ctx) return CUDA_SUCCESS;        /* the session's context lives as long as it */
  /* what was made in it goes with it */
  for (size_t i = 0; i < s->nslots; i++)
    if (s->slots[i].real && s->slots[i].ctx == c && s->slots[i].kind != GS_H_CTX) {
      free(s->slots[i].params);
      s->slots[i].params = NULL;
      s->slots[i].real = NULL;
    }
  for (size_t i = 0; i < s->nallocs;)
    if (s->allocs[i].ctx == c) s->allocs[i] = s->allocs[--s->nallocs];
    else i++;
  e = s->drv->cuCtxDestroy(c);
  if (s->cur == c) s->cur = NULL;
  s->drv->cuCtxSetCurrent(s->cur);
  gs_handle_drop(s, GS_H_CTX, a->ctx);
  return e;
}

CUresult gs_agent_cuCtxGetDevice(agent_session *s, void *a, cuCtxGetDevice_res *r) {
  (void)a;
  if (!s->cur) return CUDA_ERROR_INVALID_CONTEXT;
  r->device = 0;
  return CUDA_SUCCESS;
}

CUresult gs_agent_cuMemFree(agent_session *s, cuMemFree_args *a, void *r) {
  (void)r;
  CUresult e = gs_alloc_check_base(s, a->dptr);
  if (e || a->dptr == 0) return e;
  e = s->drv->cuMemFree(a->dptr);
  if (e == CUDA_SUCCESS) gs_alloc_forget(s, a->dptr);
  return e;
}

/* ---- modules ------------------------------------------------------------------------------- */

CUresult gs_agent_gs_module_load(agent_session *s, gs_module_load_args *a,
                                 gs_module_load_res *r) {
  if (a->hash.hash_len != GS_HASH_LEN || a->kind > GS_LOAD_LIBRARY)
    return CUDA_ERROR_INVALID_VALUE;
  const uint8_t *hash = (const uint8_t *)a->hash.hash_val;
  if (a->image.image_len > 0) {
    uint8_t check[GS_HASH_LEN];
    gs_sha256(a->image.image_val, a->image.image_len, check);
    if (memcmp(check, hash, GS_HASH_LEN) != 0) return CUDA_ERROR_INVALID_VALUE;
    if (gs_image_cache_put(hash, (const uint8_t *)a->image.image_val, a->image.image_len) < 0)
      return CUDA_ERROR_OUT_OF_MEMORY;
  }
  if (a->kind == GS_LOAD_MODULE ? !s->drv->cuModuleLoadData : !s->drv->cuLibraryLoadData)
    return CUDA_ERROR_NOT_SUPPORTED;
  uint8_t *image;
  size_t len;
  if (gs_image_cache_get(hash, &image, &len) < 0) return (CUresult)GS_STATUS_NEED_IMAGE;
  CUresult e;
  if (a->kind == GS_LOAD_MODULE) {
    CUmodule m = NULL;
    e = s->drv->cuModuleLoadData(&m, image);
    if (e == CUDA_SUCCESS && (e = gs_handle_new(s, GS_H_MOD, m, &r->handle)) &&
        s->drv->cuModuleUnload)
      s->drv->cuModuleUnload(m);
  } else {
    CUlibrary l = NULL;
    e = s->drv->cuLibraryLoadData(&l, image, NULL, NULL, 0, NULL, NULL, 0);
    if (e == CUDA_SUCCESS && (e = gs_handle_new(s, GS_H_LIB, l, &r->handle)) &&
        s->drv->cuLibraryUnload)
      s->drv->cuLibraryUnload(l);
  }
  free(image);
  return e;
}

/* The function's parameter layout, from the driver, kept in its handle slot. */
static CUresult func_params(agent_session *s, uint64_t id, gs_handle_slot **out) {
  gs_handle_slot *h = gs_handle_slot_of(s, GS_H_FUNC, id);
  if (!h) return CUDA_ERROR_INVALID_HANDLE;
  if (!s->drv->cuFuncGetParamInfo || !s->drv->cuLaunchKernel) return CUDA_ERROR_NOT_SUPPORTED;
  if (h->nparams == (uint32_t)-1) {
    uint32_t n = 0, cap = 0, *p = NULL;
    for (;;) {
      size_t off, size;
      CUresult e = s->drv->cuFuncGetParamInfo((CUfunction)h->real, n, &off, &size);
      if (e == CUDA_ERROR_INVALID_VALUE) break;        /* past the last parameter */
      if (e) {
        free(p);
        return e;
      }
      if (n == 4096 || off > UINT32_MAX || size > UINT32_MAX) {
        free(p);
        return CUDA_ERROR_NOT_SUPPORTED;
      }
      if (n == cap) {
        cap = cap ? cap * 2 : 16;
        uint32_t *q = realloc(p, cap * 2 * sizeof *q);
        if (!q) {
          free(p);
          return CUDA_ERROR_OUT_OF_MEMORY;
        }
        p = q;
      }
      p[2 * n] = (uint32_t)off;
      p[2 * n + 1] = (uint32_t)size;
      n++;
    }
    h->params = p;
    h->nparams = n;
  }
  *out = h;
  return CUDA_SUCCESS;
}

/* The layout as the wire carries it: per parameter, offset and size (big-endian u32). */
static CUresult pack_params(agent_session *s, uint64_t func, char **val, u_int *len) {
  gs_handle_slot *h;
  CUresult e = func_params(s, func, &h);
  if (e) return e;
  size_t bytes = (size_t)h->nparams * 8;
  uint8_t *out = malloc(bytes ? bytes : 1);
  if (!out) return CUDA_ERROR_OUT_OF_MEMORY;
  for (uint32_t i = 0; i < 2 * h->nparams; i++) gs_put32(out + 4 * i, h->params[i]);
  *val = (char *)out;
  *len = (u_int)bytes;
  return CUDA_SUCCESS;
}

CUresult gs_agent_gs_func_params(agent_session *s, gs_func_params_args *a,
                                 gs_func_params_res *r) {
  return pack_params(s, a->func, &r->params.params_val, &r->params.params_len);
}

CUresult gs_agent_cuModuleGetFunction(agent_session *s, cuModuleGetFunction_args *a,
                                      cuModuleGetFunction_res *r) {
  void *m;
  CUresult e = gs_handle_get(s, GS_H_MOD, a->hmod, &m);
  if (e) return e;
  if (!s->drv->cuModuleGetFunction) return CUDA_ERROR_NOT_SUPPORTED;
  CUfunction f = NULL;
  if ((e = s->drv->cuModuleGetFunction(&f, (CUmodule)m, a->name))) return e;
  s->parent_hint = a->hmod;
  if ((e = gs_handle_new(s, GS_H_FUNC, f, &r->hfunc))) return e;
  return pack_params(s, r->hfunc, &r->params.params_val, &r->params.params_len);
}

CUresult gs_agent_cuKernelGetFunction(agent_session *s, cuKernelGetFunction_args *a,
                                      cuKernelGetFunction_res *r) {
  void *k;
  CUresult e = gs_handle_get(s, GS_H_KERNEL, a->kernel, &k);
  if (e) return e;
  if (!s->drv->cuKernelGetFunction) return CUDA_ERROR_NOT_SUPPORTED;
  CUfunction f = NULL;
  if ((e = s->drv->cuKernelGetFunction(&f, (CUkernel)k))) return e;
  s->parent_hint = a->kernel;
  if ((e = gs_handle_new(s, GS_H_FUNC, f, &r->pFunc))) return e;
  return pack_params(s, r->pFunc, &r->params.params_val, &r->params.params_len);
}

/* Both launches: cuLaunchKernel, or cuLaunchCooperativeKernel when coop. */
static CUresult launch(agent_session *s, const gs_launch_args *a, int coop) {
  gs_handle_slot *h;
  CUresult e = func_params(s, a->f, &h);
  if (e) return e;
  void *stream;
  if ((e = gs_handle_get(s, GS_H_STREAM, a->stream, &stream))) return e;
  /* each parameter must lie inside the buffer the client sent */
  void *argv_small[64], **argv = argv_small;
  if (h->nparams > 64 && !(argv = malloc(h->nparams * sizeof *argv)))
    return CUDA_ERROR_OUT_OF_MEMORY;
  for (uint32_t i = 0; i < h->nparams; i++) {
    uint64_t off = h->params[2 * i], size = h->params[2 * i + 1];
    if (off + size > a->params.params_len) {
      if (argv != argv_small) free(argv);
      return CUDA_ERROR_INVALID_VALUE;
    }
    argv[i] = a->params.params_val + off;
  }
  if (coop && !s->drv->cuLaunchCooperativeKernel) e = CUDA_ERROR_NOT_SUPPORTED;
  else if (coop)
    e = s->drv->cuLaunchCooperativeKernel((CUfunction)h->real, a->gx, a->gy, a->gz, a->bx, a->by, a->bz,
                                          a->shmem, (CUstream)stream, h->nparams ? argv : NULL);
  else
    e = s->drv->cuLaunchKernel((CUfunction)h->real, a->gx, a->gy, a->gz, a->bx, a->by, a->bz,
                               a->shmem, (CUstream)stream, h->nparams ? argv : NULL, NULL);
  if (argv != argv_small) free(argv);
  return e;
}

CUresult gs_agent_gs_launch(agent_session *s, gs_launch_args *a, void *r) {
  (void)r;
  return launch(s, a, 0);
}

CUresult gs_agent_gs_launch_coop(agent_session *s, gs_launch_coop_args *a, void *r) {
  (void)r;
  gs_launch_args b = {a->f, a->gx, a->gy, a->gz, a->bx, a->by, a->bz, a->shmem, a->stream,
                      {a->params.params_len, a->params.params_val}};
  return launch(s, &b, 1);
}

/* ---- copies -------------------------------------------------------------------------------- */

CUresult gs_agent_gs_memcpy_htod(agent_session *s, gs_memcpy_htod_args *a, void *r) {
  (void)r;
  CUresult e;
  void *stream;
  if (a->raw_len > GS_CHUNK) return CUDA_ERROR_INVALID_VALUE;
  if ((e = gs_range_check(s, a->dst, a->raw_len))) return e;
  if ((e = gs_handle_get(s, GS_H_STREAM, a->stream, &stream))) return e;
  const void *src = a->data.data_val;
  void *raw = NULL;
  if (a->codec == GS_CODEC_ZSTD) {
    if (!(raw = malloc(a->raw_len ? a->raw_len : 1))) return CUDA_ERROR_OUT_OF_MEMORY;
    size_t got = ZSTD_decompressDCtx(s->zd, raw, a->raw_len, a->data.data_val, a->data.data_len);
    if (ZSTD_isError(got) || got != a->raw_len) {
      free(raw);
      return CUDA_ERROR_INVALID_VALUE;
    }
    s->counters.bytes_in_raw += a->raw_len - a->data.data_len;
    src = raw;
  } else if (a->codec != GS_CODEC_NONE || a->data.data_len != a->raw_len) {
    return CUDA_ERROR_INVALID_VALUE;
  }
  /* the staging buffer dies with this call, so the copy completes before we return */
  e = s->drv->cuMemcpyHtoDAsync(a->dst, src, a->raw_len, (CUstream)stream);
  if (e == CUDA_SUCCESS) e = s->drv->cuStreamSynchronize((CUstream)stream);
  free(raw);
  return e;
}

CUresult gs_agent_gs_memcpy_dtoh(agent_session *s, gs_memcpy_dtoh_args *a,
                                 gs_memcpy_dtoh_res *r) {
  CUresult e;
  void *stream;
  if (a->raw_len > GS_CHUNK) return CUDA_ERROR_INVALID_VALUE;
  if ((e = gs_range_check(s, a->src, a->raw_len))) return e;
  if ((e = gs_handle_get(s, GS_H_STREAM, a->stream, &stream))) return e;
  uint8_t *raw = malloc(a->raw_len ? a->raw_len : 1);
  if (!raw) return CUDA_ERROR_OUT_OF_MEMORY;
  e = s->drv->cuMemcpyDtoHAsync(raw, a->src, a->raw_len, (CUstream)stream);
  if (e == CUDA_SUCCESS) e = s->drv->cuStreamSynchronize((CUstream)stream);
  if (e) {
    free(raw);
    return e;
  }
  r->codec = GS_CODEC_NONE;
  r->data.data_val = (char *)raw;
  r->data.data_len = a->raw_len;
  /* try_codec: 2 = first chunk of a copy (probe), 1 = later chunk, 0 = never */
  if (a->try_codec == 2) s->dtoh_compress = 1;
  if (a->try_codec && s->dtoh_compress && a->raw_len >= 4096) {
    size_t bound = ZSTD_compressBound(a->raw_len);
    uint8_t *z = malloc(bound);
    size_t n = z ? ZSTD_compressCCtx(s->zc, z, bound, raw, a->raw_len, 1) : 0;
    if (z && !ZSTD_isError(n) && n < a->raw_len - a->raw_len / 8) {
      free(raw);
      r->codec = GS_CODEC_ZSTD;
      r->data.data_val = (char *)z;
      r->data.data_len = (u_int)n;
      s->counters.bytes_out_raw += a->raw_len - n;
    } else {
      free(z);
      s->dtoh_compress = 0;           /* incompressible: the rest of this copy goes raw */
    }
  }
  return CUDA_SUCCESS;
}

/* ---- device printf --------------------------------------------------------------------------- */

CUresult gs_agent_gs_take_output(agent_session *s, void *a, gs_take_output_res *r) {
  (void)a;
  return gs_output_take(s, &r->text.text_val, &r->text.text_len);
}

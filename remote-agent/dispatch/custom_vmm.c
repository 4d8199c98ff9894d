/* custom_vmm.c - the agent's half of virtual memory management (gs_vmm_* procedures).
 *
 * A session may only touch address space it reserved and physical allocations it created:
 * every map, unmap, access change and free is checked against the session's own lists, so one
 * client can neither map into nor unmap another's memory. A mapping the device was granted
 * access to is entered in the session's allocations as memory the client does not cuMemFree
 * (copies and launches may use it); cuMemUnmap takes it out again. At close, what the client
 * left is unmapped, released and freed. */
#include <stdlib.h>

#include "session.h"

typedef struct {
  CUdeviceptr base;
  uint64_t size;
  int access;          /* mappings: the device may touch it */
} vmm_span;

struct gs_vmm_state {
  vmm_span *resv, *maps;
  size_t nresv, nmaps, capresv, capmaps;
  uint64_t *handles;
  size_t nhandles, caphandles;
};

static struct gs_vmm_state *state_of(agent_session *s) {
  if (!s->vmm) s->vmm = calloc(1, sizeof *s->vmm);
  return s->vmm;
}

static int grow(void **v, size_t *cap, size_t n, size_t elem) {
  if (n < *cap) return 0;
  size_t c = *cap ? *cap * 2 : 16;
  void *p = realloc(*v, c * elem);
  if (!p) return -1;
  *v = p;
  *cap = c;
  return 0;
}

/* The session's reservation holding [p, p+n), or NULL. */
static const vmm_span *reservation_of(const struct gs_vmm_state *v, CUdeviceptr p, uint64_t n) {
  for (size_t i = 0; i < v->nresv; i++)
    if (p >= v->resv[i].base && p - v->resv[i].base <= v->resv[i].size &&
        n <= v->resv[i].size - (p - v->resv[i].base))
      return &v->resv[i];
  return NULL;
}

static int in_reservation(const struct gs_vmm_state *v, CUdeviceptr p, uint64_t n) {
  return reservation_of(v, p, n) != NULL;
}

static int span_cmp(const void *a, const void *b) {
  const vmm_span *x = a, *y = b;
  return x->base < y->base ? -1 : x->base > y->base;
}

/* Rewrites the session's allocations for reservation r: one per run of adjacent mappings the
 * device may touch, so copies may cross from one mapping into the next (as the device allows). */
static CUresult publish(agent_session *s, struct gs_vmm_state *v, vmm_span r) {
  qsort(v->maps, v->nmaps, sizeof *v->maps, span_cmp);
  CUresult e = CUDA_SUCCESS;
  CUdeviceptr run = 0;
  uint64_t len = 0;
  for (size_t i = 0; i <= v->nmaps && !e; i++) {
    const vmm_span *m = i < v->nmaps ? &v->maps[i] : NULL;
    if (m && (m->base < r.base || m->base - r.base >= r.size)) continue;
    if (m) gs_alloc_forget(s, m->base);
    if (m && m->access && len && run + len == m->base) {
      len += m->size;
      continue;
    }
    if (len) e = gs_alloc_note(s, run, len, 1);
    run = m && m->access ? m->base : 0;
    len = m && m->access ? m->size : 0;
  }
  return e;
}

static long handle_index(const struct gs_vmm_state *v, uint64_t h) {
  for (size_t i = 0; i < v->nhandles; i++)
    if (v->handles[i] == h) return (long)i;
  return -1;
}

static CUmemAllocationProp device_prop(CUdevice dev) {
  CUmemAllocationProp prop = {0};
  prop.type = CU_MEM_ALLOCATION_TYPE_PINNED;
  prop.location.type = CU_MEM_LOCATION_TYPE_DEVICE;
  prop.location.id = dev;
  return prop;
}

CUresult gs_agent_gs_vmm_granularity(agent_session *s, gs_vmm_granularity_args *a, gs_vmm_granularity_res *r) {
  CUdevice dev;
  CUresult e = gs_device_get(s, a->device, &dev);
  if (e) return e;
  if (!s->drv->cuMemGetAllocationGranularity) return CUDA_ERROR_NOT_SUPPORTED;
  CUmemAllocationProp prop = device_prop(dev);
  size_t g = 0;
  e = s->drv->cuMemGetAllocationGranularity(&g, &prop, (CUmemAllocationGranularity_flags)a->option);
  r->granularity = g;
  return e;
}

CUresult gs_agent_gs_vmm_reserve(agent_session *s, gs_vmm_reserve_args *a, gs_vmm_reserve_res *r) {
  struct gs_vmm_state *v = state_of(s);
  if (!v || grow((void **)&v->resv, &v->capresv, v->nresv, sizeof *v->resv)) return CUDA_ERROR_OUT_OF_MEMORY;
  if (!s->drv->cuMemAddressReserve) return CUDA_ERROR_NOT_SUPPORTED;
  CUdeviceptr p = 0;
  CUresult e = s->drv->cuMemAddressReserve(&p, a->size, a->alignment, a->addr, 0);
  if (e) return e;
  v->resv[v->nresv++] = (vmm_span){p, a->size, 0};
  r->ptr = p;
  return CUDA_SUCCESS;
}

CUresult gs_agent_gs_vmm_free(agent_session *s, gs_vmm_free_args *a, void *r) {
  (void)r;
  struct gs_vmm_state *v = state_of(s);
  if (!v) return CUDA_ERROR_OUT_OF_MEMORY;
  for (size_t i = 0; i < v->nresv; i++) {
    if (v->resv[i].base != a->ptr || v->resv[i].size != a->size) continue;
    CUresult e = s->drv->cuMemAddressFree(a->ptr, a->size);
    if (!e) v->resv[i] = v->resv[--v->nresv];
    return e;
  }
  return CUDA_ERROR_INVALID_VALUE;
}

CUresult gs_agent_gs_vmm_create(agent_session *s, gs_vmm_create_args *a, gs_vmm_create_res *r) {
  struct gs_vmm_state *v = state_of(s);
  if (!v || grow((void **)&v->handles, &v->caphandles, v->nhandles, sizeof *v->handles))
    return CUDA_ERROR_OUT_OF_MEMORY;
  if (!s->drv->cuMemCreate) return CUDA_ERROR_NOT_SUPPORTED;
  CUdevice dev;
  CUresult e = gs_device_get(s, a->device, &dev);
  if (e) return e;
  CUmemAllocationProp prop = device_prop(dev);
  CUmemGenericAllocationHandle h = 0;
  e = s->drv->cuMemCreate(&h, a->size, &prop, 0);
  if (e) return e;
  v->handles[v->nhandles++] = h;
  r->handle = h;
  return CUDA_SUCCESS;
}

CUresult gs_agent_gs_vmm_release(agent_session *s, gs_vmm_release_args *a, void *r) {
  (void)r;
  struct gs_vmm_state *v = state_of(s);
  long i = v ? handle_index(v, a->handle) : -1;
  if (i < 0) return CUDA_ERROR_INVALID_VALUE;
  CUresult e = s->drv->cuMemRelease(a->handle);
  if (!e) v->handles[i] = v->handles[--v->nhandles];
  return e;
}

CUresult gs_agent_gs_vmm_map(agent_session *s, gs_vmm_map_args *a, void *r) {
  (void)r;
  struct gs_vmm_state *v = state_of(s);
  if (!v || grow((void **)&v->maps, &v->capmaps, v->nmaps, sizeof *v->maps)) return CUDA_ERROR_OUT_OF_MEMORY;
  if (handle_index(v, a->handle) < 0 || !in_reservation(v, a->ptr, a->size)) return CUDA_ERROR_INVALID_VALUE;
  CUresult e = s->drv->cuMemMap(a->ptr, a->size, a->offset, a->handle, 0);
  if (!e) v->maps[v->nmaps++] = (vmm_span){a->ptr, a->size, 0};
  return e;
}

/* Forgets the mappings inside [p, p+n), in the session's allocations too. */
static void forget_maps(agent_session *s, struct gs_vmm_state *v, CUdeviceptr p, uint64_t n) {
  for (size_t i = 0; i < v->nmaps;) {
    if (v->maps[i].base >= p && v->maps[i].base - p < n) {
      gs_alloc_forget(s, v->maps[i].base);
      v->maps[i] = v->maps[--v->nmaps];
    } else {
      i++;
    }
  }
}

CUresult gs_agent_gs_vmm_unmap(agent_session *s, gs_vmm_unmap_args *a, void *r) {
  (void)r;
  struct gs_vmm_state *v = state_of(s);
  const vmm_span *resv = v ? reservation_of(v, a->ptr, a->size) : NULL;
  if (!resv) return CUDA_ERROR_INVALID_VALUE;
  CUresult e = s->drv->cuMemUnmap(a->ptr, a->size);
  if (e) return e;
  forget_maps(s, v, a->ptr, a->size);
  return publish(s, v, *resv);
}

CUresult gs_agent_gs_vmm_set_access(agent_session *s, gs_vmm_set_access_args *a, void *r) {
  (void)r;
  struct gs_vmm_state *v = state_of(s);
  if (!v || !in_reservation(v, a->ptr, a->size)) return CUDA_ERROR_INVALID_VALUE;
  CUdevice dev;
  CUresult e = gs_device_get(s, a->device, &dev);
  if (e) return e;
  CUmemAccessDesc d = {{CU_MEM_LOCATION_TYPE_DEVICE, dev}, (CUmemAccess_flags)a->flags};
  e = s->drv->cuMemSetAccess(a->ptr, a->size, &d, 1);
  if (e) return e;
  /* what the device may now touch is valid for copies and launches; what it may not, is not */
  for (size_t i = 0; i < v->nmaps; i++)
    if (v->maps[i].base < a->ptr + a->size && a->ptr < v->maps[i].base + v->maps[i].size)
      v->maps[i].access = a->flags != CU_MEM_ACCESS_FLAGS_PROT_NONE;
  return publish(s, v, *reservation_of(v, a->ptr, a->size));
}

CUresult gs_agent_gs_vmm_get_access(agent_session *s, gs_vmm_get_access_args *a, gs_vmm_get_access_res *r) {
  struct gs_vmm_state *v = state_of(s);
  if (!v || !in_reservation(v, a->ptr, 1)) return CUDA_ERROR_INVALID_VALUE;
  CUdevice dev;
  CUresult e = gs_device_get(s, a->device, &dev);
  if (e) return e;
  CUmemLocation loc = {CU_MEM_LOCATION_TYPE_DEVICE, dev};
  unsigned long long flags = 0;
  e = s->drv->cuMemGetAccess(&flags, &loc, a->ptr);
  r->flags = flags;
  return e;
}

void gs_vmm_close(agent_session *s) {
  struct gs_vmm_state *v = s->vmm;
  if (!v) return;
  const gs_driver *d = s->drv;
  for (size_t i = 0; i < v->nmaps; i++) d->cuMemUnmap(v->maps[i].base, v->maps[i].size);
  for (size_t i = 0; i < v->nhandles; i++) d->cuMemRelease(v->handles[i]);
  for (size_t i = 0; i < v->nresv; i++) d->cuMemAddressFree(v->resv[i].base, v->resv[i].size);
  free(v->maps);
  free(v->handles);
  free(v->resv);
  free(v);
  s->vmm = NULL;
}

/* driver_vmm.c - virtual memory management: cuMemAddressReserve/Free, cuMemCreate/Release,
 * cuMemMap/Unmap, cuMemSetAccess/GetAccess and their queries.
 *
 * Device memory is host memory here, so the CUDA model maps onto the host's: a reservation is
 * an inaccessible (PROT_NONE) range of address space, a physical allocation is a memfd of the
 * requested size, and cuMemMap maps that file at a fixed address inside a reservation, so the
 * same physical memory mapped twice shows the same bytes at both addresses. Kernels see a
 * mapping only once cuMemSetAccess granted the device access (it then enters the allocation
 * table, kind CPUDEV_MEM_VMM); until then, and after cuMemUnmap, a kernel touching it faults.
 * Physical memory is charged to the device at cuMemCreate and lives until its handle is released
 * and its last mapping unmapped. Granularity is 2 MiB, as on NVIDIA GPUs. */
#include "driver.h"

#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <unistd.h>

#define VMM_GRANULE ((size_t)2 << 20)

typedef struct vmm_phys {
  int fd;
  size_t size;
  int device;
  int handles;           /* cuMemCreate / cuMemRetainAllocationHandle references */
  int maps;              /* live mappings */
  struct vmm_phys *next;
} vmm_phys;

typedef struct vmm_range {   /* a reservation, or a mapping inside one */
  uintptr_t base;
  size_t size;
  vmm_phys *phys;            /* mappings only */
  unsigned access;           /* mappings: CUmemAccess_flags granted to the device */
  CUcontext ctx;             /* mappings: the context that granted it (whose kernels see it) */
  struct vmm_range *next;
} vmm_range;

/* all under cpudev_lock */
static vmm_phys *g_phys;
static vmm_range *g_resv, *g_maps;

static vmm_phys *phys_of(CUmemGenericAllocationHandle h) {
  for (vmm_phys *p = g_phys; p; p = p->next)
    if ((uintptr_t)p == (uintptr_t)h && p->handles > 0) return p;
  return NULL;
}

/* Frees physical memory no handle and no mapping holds. Lock held. */
static void phys_drop_if_unused(vmm_phys *p) {
  if (p->handles > 0 || p->maps > 0) return;
  for (vmm_phys **pp = &g_phys; *pp; pp = &(*pp)->next)
    if (*pp == p) {
      *pp = p->next;
      break;
    }
  cpudev_device *dev = cpudev_device_at(p->device);
  if (dev) dev->used_mem -= p->size;
  close(p->fd);
  free(p);
}

static vmm_range *resv_containing(uintptr_t base, size_t size) {
  for (vmm_range *r = g_resv; r; r = r->next)
    if (base >= r->base && base - r->base <= r->size && size <= r->size - (base - r->base)) return r;
  return NULL;
}

static int overlaps_map(uintptr_t base, size_t size) {
  for (vmm_range *m = g_maps; m; m = m->next)
    if (base < m->base + m->size && m->base < base + size) return 1;
  return 0;
}

static int prop_ok(const CUmemAllocationProp *prop) {
  return prop && prop->type == CU_MEM_ALLOCATION_TYPE_PINNED &&
         prop->location.type == CU_MEM_LOCATION_TYPE_DEVICE && prop->location.id >= 0 &&
         prop->location.id < cpudev_device_count() &&
         (prop->requestedHandleTypes == CU_MEM_HANDLE_TYPE_NONE);
}

CPUDEV_API CUresult cuMemGetAllocationGranularity(size_t *granularity, const CUmemAllocationProp *prop,
                                                  CUmemAllocationGranularity_flags option) {
  if (!cpudev_initialized()) return CUDA_ERROR_NOT_INITIALIZED;
  if (!granularity || !prop_ok(prop) ||
      (option != CU_MEM_ALLOC_GRANULARITY_MINIMUM && option != CU_MEM_ALLOC_GRANULARITY_RECOMMENDED))
    return CUDA_ERROR_INVALID_VALUE;
  *granularity = VMM_GRANULE;
  return CUDA_SUCCESS;
}

CPUDEV_API CUresult cuMemAddressReserve(CUdeviceptr *ptr, size_t size, size_t alignment, CUdeviceptr addr,
                                        unsigned long long flags) {
  if (!cpudev_initialized()) return CUDA_ERROR_NOT_INITIALIZED;
  if (!ptr || size == 0 || size % VMM_GRANULE || (alignment & (alignment - 1)) || flags)
    return CUDA_ERROR_INVALID_VALUE;
  if (alignment < VMM_GRANULE) alignment = VMM_GRANULE;
  /* over-reserve, then trim to the alignment; the address is only a hint */
  size_t span = size + alignment;
  if (span < size) return CUDA_ERROR_OUT_OF_MEMORY;
  void *hint = addr && addr % alignment == 0 ? (void *)(uintptr_t)addr : NULL;
  char *raw = mmap(hint, span, PROT_NONE, MAP_PRIVATE | MAP_ANONYMOUS | MAP_NORESERVE, -1, 0);
  if (raw == MAP_FAILED) return CUDA_ERROR_OUT_OF_MEMORY;
  uintptr_t base = ((uintptr_t)raw + alignment - 1) & ~(uintptr_t)(alignment - 1);
  if (base > (uintptr_t)raw) munmap(raw, base - (uintptr_t)raw);
  uintptr_t end = (uintptr_t)raw + span;
  if (end > base + size) munmap((void *)(base + size), end - (base + size));
  vmm_range *r = calloc(1, sizeof *r);
  if (!r) {
    munmap((void *)base, size);
    return CUDA_ERROR_OUT_OF_MEMORY;
  }
  r->base = base;
  r->size = size;
  cpudev_lock();
  r->next = g_resv;
  g_resv = r;
  cpudev_unlock();
  *ptr = (CUdeviceptr)base;
  return CUDA_SUCCESS;
}

CPUDEV_API CUresult cuMemAddressFree(CUdeviceptr ptr, size_t size) {
  if (!cpudev_initialized()) return CUDA_ERROR_NOT_INITIALIZED;
  cpudev_lock();
  vmm_range **rp = &g_resv;
  while (*rp && !((*rp)->base == ptr && (*rp)->size == size)) rp = &(*rp)->next;
  if (!*rp || overlaps_map(ptr, size)) {   /* unknown, partial, or still mapped */
    cpudev_unlock();
    return CUDA_ERROR_INVALID_VALUE;
  }
  vmm_range *r = *rp;
  *rp = r->next;
  cpudev_unlock();
  munmap((void *)r->base, r->size);
  free(r);
  return CUDA_SUCCESS;
}

CPUDEV_API CUresult cuMemCreate(CUmemGenericAllocationHandle *handle, size_t size, const CUmemAllocationProp *prop,
                                unsigned long long flags) {
  if (!cpudev_initialized()) return CUDA_ERROR_NOT_INITIALIZED;
  if (!handle || size == 0 || size % VMM_GRANULE || flags || !prop_ok(prop)) return CUDA_ERROR_INVALID_VALUE;
  cpudev_device *dev = cpudev_device_at(prop->location.id);
  vmm_phys *p = calloc(1, sizeof *p);
  if (!p) return CUDA_ERROR_OUT_OF_MEMORY;
  p->fd = memfd_create("gpushim-vmm", MFD_CLOEXEC);
  if (p->fd < 0 || ftruncate(p->fd, (off_t)size) != 0) {
    if (p->fd >= 0) close(p->fd);
    free(p);
    return CUDA_ERROR_OUT_OF_MEMORY;
  }
  p->size = size;
  p->device = prop->location.id;
  p->handles = 1;
  cpudev_lock();
  if (size > dev->total_mem - dev->used_mem) {
    cpudev_unlock();
    close(p->fd);
    free(p);
    return CUDA_ERROR_OUT_OF_MEMORY;
  }
  dev->used_mem += size;
  p->next = g_phys;
  g_phys = p;
  cpudev_unlock();
  *handle = (CUmemGenericAllocationHandle)(uintptr_t)p;
  return CUDA_SUCCESS;
}

CPUDEV_API CUresult cuMemRelease(CUmemGenericAllocationHandle handle) {
  if (!cpudev_initialized()) return CUDA_ERROR_NOT_INITIALIZED;
  cpudev_lock();
  vmm_phys *p = phys_of(handle);
  if (p) {
    p->handles--;
    phys_drop_if_unused(p);
  }
  cpudev_unlock();
  return p ? CUDA_SUCCESS : CUDA_ERROR_INVALID_VALUE;
}

CPUDEV_API CUresult cuMemMap(CUdeviceptr ptr, size_t size, size_t offset, CUmemGenericAllocationHandle handle,
                             unsigned long long flags) {
  if (!cpudev_initialized()) return CUDA_ERROR_NOT_INITIALIZED;
  if (size == 0 || size % VMM_GRANULE || offset % VMM_GRANULE || ptr % VMM_GRANULE || flags)
    return CUDA_ERROR_INVALID_VALUE;
  vmm_range *m = calloc(1, sizeof *m);
  if (!m) return CUDA_ERROR_OUT_OF_MEMORY;
  cpudev_lock();
  vmm_phys *p = phys_of(handle);
  CUresult r = CUDA_SUCCESS;
  if (!p || offset > p->size || size > p->size - offset || !resv_containing(ptr, size) ||
      overlaps_map(ptr, size))
    r = CUDA_ERROR_INVALID_VALUE;
  else if (mmap((void *)(uintptr_t)ptr, size, PROT_READ | PROT_WRITE, MAP_SHARED | MAP_FIXED, p->fd,
                (off_t)offset) == MAP_FAILED)
    r = CUDA_ERROR_OUT_OF_MEMORY;
  if (r) {
    cpudev_unlock();
    free(m);
    return r;
  }
  *m = (vmm_range){.base = ptr, .size = size, .phys = p, .next = g_maps};
  g_maps = m;
  p->maps++;
  cpudev_unlock();
  return CUDA_SUCCESS;
}

/* Takes the mappings inside [ptr, ptr+size) out; they must tile it exactly. Lock held. */
static CUresult unmap_range(uintptr_t ptr, size_t size) {
  size_t covered = 0;
  for (vmm_range *m = g_maps; m; m = m->next) {
    if (!(m->base < ptr + size && ptr < m->base + m->size)) continue;
    if (m->base < ptr || m->base + m->size > ptr + size) return CUDA_ERROR_INVALID_VALUE;   /* partial */
    covered += m->size;
  }
  if (covered != size) return CUDA_ERROR_INVALID_VALUE;
  for (vmm_range **mp = &g_maps; *mp;) {
    vmm_range *m = *mp;
    if (m->base < ptr || m->base >= ptr + size) {
      mp = &m->next;
      continue;
    }
    *mp = m->next;
    /* back to reserved, inaccessible address space */
    mmap((void *)m->base, m->size, PROT_NONE, MAP_PRIVATE | MAP_ANONYMOUS | MAP_NORESERVE | MAP_FIXED, -1, 0);
    m->phys->maps--;
    phys_drop_if_unused(m->phys);
    free(m);
  }
  return CUDA_SUCCESS;
}

static int by_base(const void *a, const void *b) {
  const vmm_range *x = *(vmm_range *const *)a, *y = *(vmm_range *const *)b;
  return x->base < y->base ? -1 : x->base > y->base;
}

/* Rewrites the table entries of reservation r: one per run of adjacent accessible mappings of
 * one context, so a copy or an access may cross from one mapping into the next, as on a GPU. */
static CUresult publish(uintptr_t base, size_t size) {
  cpudev_mem_remove_mappings(base, size);
  cpudev_lock();
  size_t n = 0;
  for (vmm_range *m = g_maps; m; m = m->next) n += m->base >= base && m->base - base < size;
  vmm_range **v = malloc((n ? n : 1) * sizeof *v);
  ptx_range *runs = malloc((n ? n : 1) * sizeof *runs);
  CUcontext *owner = malloc((n ? n : 1) * sizeof *owner);
  size_t k = 0, nruns = 0;
  for (vmm_range *m = g_maps; m && v; m = m->next)
    if (m->base >= base && m->base - base < size) v[k++] = m;
  if (v && runs && owner) {
    qsort(v, k, sizeof *v, by_base);
    for (size_t i = 0; i < k; i++) {
      if (v[i]->access == CU_MEM_ACCESS_FLAGS_PROT_NONE || !v[i]->ctx) continue;
      if (nruns && runs[nruns - 1].end == v[i]->base && owner[nruns - 1] == v[i]->ctx) {
        runs[nruns - 1].end += v[i]->size;
        continue;
      }
      runs[nruns] = (ptx_range){v[i]->base, v[i]->base + v[i]->size};
      owner[nruns++] = v[i]->ctx;
    }
  }
  cpudev_unlock();
  CUresult r = v && runs && owner ? CUDA_SUCCESS : CUDA_ERROR_OUT_OF_MEMORY;
  for (size_t i = 0; i < nruns && !r; i++) r = cpudev_mem_add_mapping(owner[i], runs[i].base, runs[i].end - runs[i].base);
  free(v);
  free(runs);
  free(owner);
  return r;
}

/* The reservation holding [p, p+n): its range in *base, *size; 0 if none. */
static int reservation_of(uintptr_t p, size_t n, uintptr_t *base, size_t *size) {
  cpudev_lock();
  vmm_range *r = resv_containing(p, n);
  if (r) {
    *base = r->base;
    *size = r->size;
  }
  cpudev_unlock();
  return r != NULL;
}

CPUDEV_API CUresult cuMemUnmap(CUdeviceptr ptr, size_t size) {
  if (!cpudev_initialized()) return CUDA_ERROR_NOT_INITIALIZED;
  if (size == 0) return CUDA_ERROR_INVALID_VALUE;
  /* work queued before may still read the memory, as the GPU's would until it unmaps */
  CUcontext ctx;
  if (cpudev_current_ctx_unchecked(&ctx) == CUDA_SUCCESS && ctx) cpudev_ctx_synchronize(ctx);
  uintptr_t rb = 0;
  size_t rs = 0;
  if (!reservation_of(ptr, size, &rb, &rs)) return CUDA_ERROR_INVALID_VALUE;
  cpudev_mem_remove_mappings(rb, rs);   /* no launch may see the range while it goes */
  cpudev_lock();
  CUresult r = unmap_range(ptr, size);
  cpudev_unlock();
  CUresult p = publish(rb, rs);         /* what stays mapped (all of it, if r failed) */
  return r ? r : p;
}

CPUDEV_API CUresult cuMemSetAccess(CUdeviceptr ptr, size_t size, const CUmemAccessDesc *desc, size_t count) {
  CUcontext ctx;
  CUresult r = cpudev_current_ctx(&ctx);
  if (r) return r;
  if (!desc || count == 0 || size == 0) return CUDA_ERROR_INVALID_VALUE;
  unsigned flags = CU_MEM_ACCESS_FLAGS_PROT_NONE;
  for (size_t i = 0; i < count; i++) {
    if (desc[i].location.type != CU_MEM_LOCATION_TYPE_DEVICE || desc[i].location.id < 0 ||
        desc[i].location.id >= cpudev_device_count() || desc[i].flags > CU_MEM_ACCESS_FLAGS_PROT_READWRITE)
      return CUDA_ERROR_INVALID_VALUE;
    if (desc[i].location.id == ctx->device) flags = desc[i].flags;
  }
  cpudev_lock();
  size_t covered = 0;   /* the range must be fully mapped */
  for (vmm_range *m = g_maps; m; m = m->next)
    if (m->base < ptr + size && ptr < m->base + m->size) {
      uintptr_t lo = m->base > ptr ? m->base : ptr, hi = m->base + m->size < ptr + size ? m->base + m->size : ptr + size;
      covered += hi - lo;
    }
  if (covered != size) {
    cpudev_unlock();
    return CUDA_ERROR_INVALID_VALUE;
  }
  for (vmm_range *m = g_maps; m; m = m->next)
    if (m->base < ptr + size && ptr < m->base + m->size) {
      m->access = flags;
      m->ctx = ctx;
    }
  vmm_range *resv = resv_containing(ptr, size);
  uintptr_t rb = resv ? resv->base : 0;
  size_t rs = resv ? resv->size : 0;
  cpudev_unlock();
  return resv ? publish(rb, rs) : CUDA_ERROR_INVALID_VALUE;
}

CPUDEV_API CUresult cuMemGetAccess(unsigned long long *flags, const CUmemLocation *location, CUdeviceptr ptr) {
  if (!cpudev_initialized()) return CUDA_ERROR_NOT_INITIALIZED;
  if (!flags || !location || location->type != CU_MEM_LOCATION_TYPE_DEVICE) return CUDA_ERROR_INVALID_VALUE;
  cpudev_lock();
  vmm_range *m = g_maps;
  while (m && !(ptr >= m->base && ptr - m->base < m->size)) m = m->next;
  if (m) *flags = m->access;
  cpudev_unlock();
  return m ? CUDA_SUCCESS : CUDA_ERROR_INVALID_VALUE;
}

CPUDEV_API CUresult cuMemRetainAllocationHandle(CUmemGenericAllocationHandle *handle, void *addr) {
  if (!cpudev_initialized()) return CUDA_ERROR_NOT_INITIALIZED;
  if (!handle) return CUDA_ERROR_INVALID_VALUE;
  cpudev_lock();
  vmm_range *m = g_maps;
  while (m && !((uintptr_t)addr >= m->base && (uintptr_t)addr - m->base < m->size)) m = m->next;
  if (m) {
    m->phys->handles++;
    *handle = (CUmemGenericAllocationHandle)(uintptr_t)m->phys;
  }
  cpudev_unlock();
  return m ? CUDA_SUCCESS : CUDA_ERROR_INVALID_VALUE;
}

CPUDEV_API CUresult cuMemGetAllocationPropertiesFromHandle(CUmemAllocationProp *prop,
                                                           CUmemGenericAllocationHandle handle) {
  if (!cpudev_initialized()) return CUDA_ERROR_NOT_INITIALIZED;
  if (!prop) return CUDA_ERROR_INVALID_VALUE;
  cpudev_lock();
  vmm_phys *p = phys_of(handle);
  if (p) {
    memset(prop, 0, sizeof *prop);
    prop->type = CU_MEM_ALLOCATION_TYPE_PINNED;
    prop->location.type = CU_MEM_LOCATION_TYPE_DEVICE;
    prop->location.id = p->device;
  }
  cpudev_unlock();
  return p ? CUDA_SUCCESS : CUDA_ERROR_INVALID_VALUE;
}

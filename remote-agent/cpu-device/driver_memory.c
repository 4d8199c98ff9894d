/* driver_memory.c - device, pinned, registered and managed memory; the allocation table.
 *
 * A device pointer is the host address of an allocation (unified addressing): device,
 * managed and pinned host memory and module variables are zero-filled, small ones from the
 * C heap, large ones from mmap (committed lazily); registered memory is the user's own. Every allocation is in one
 * sorted table, which validates pointers (a bad free or an out-of-range copy is
 * CUDA_ERROR_INVALID_VALUE, never a crash) and gives each launch its memory map.
 * Device-resident kinds are charged against the device's configured total memory.
 */
#include "driver.h"

#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>

typedef struct {
  cpudev_alloc a;
  size_t mapped;   /* bytes mmap'd at a.base, or 0 */
  int heap;        /* 1: from posix_memalign (small allocations) */
} alloc_entry;

/* Below this size allocations come from the C heap (fast, reused); above, from mmap
 * (committed lazily, so a large device memory costs nothing until touched). */
#define HEAP_LIMIT ((size_t)1 << 20)

static alloc_entry *g_allocs;   /* sorted by base; guarded by cpudev_lock */
static size_t g_nallocs, g_cap;
static unsigned long long g_next_buffer_id = 1;

static int kind_on_device(cpudev_mem_kind k) {
  return k == CPUDEV_MEM_DEVICE || k == CPUDEV_MEM_MANAGED || k == CPUDEV_MEM_MODULE_VAR;
}

/* Index of the allocation containing p, or -1. Lock held. */
static long table_find(uintptr_t p) {
  size_t lo = 0, hi = g_nallocs;
  while (lo < hi) {
    size_t mid = (lo + hi) / 2;
    if (g_allocs[mid].a.base <= p) lo = mid + 1;
    else hi = mid;
  }
  if (lo == 0) return -1;
  const cpudev_alloc *a = &g_allocs[lo - 1].a;
  return p - a->base < (a->size ? a->size : 1) ? (long)(lo - 1) : -1;
}

static int table_insert(const alloc_entry *e) {
  if (g_nallocs == g_cap) {
    size_t cap = g_cap ? g_cap * 2 : 64;
    alloc_entry *n = realloc(g_allocs, cap * sizeof *n);
    if (!n) return -1;
    g_allocs = n;
    g_cap = cap;
  }
  size_t i = g_nallocs;
  while (i > 0 && g_allocs[i - 1].a.base > e->a.base) {
    g_allocs[i] = g_allocs[i - 1];
    i--;
  }
  g_allocs[i] = *e;
  g_nallocs++;
  return 0;
}

static void table_remove(size_t i) {
  memmove(&g_allocs[i], &g_allocs[i + 1], (g_nallocs - i - 1) * sizeof *g_allocs);
  g_nallocs--;
}

static size_t round_up(size_t n, size_t align) { return (n + align - 1) / align * align; }

CUresult cpudev_mem_alloc(CUcontext ctx, size_t size, cpudev_mem_kind kind, unsigned flags,
                          uintptr_t *out) {
  if (size == 0) return CUDA_ERROR_INVALID_VALUE;
  cpudev_device *dev = cpudev_device_at(ctx->device);
  size_t charged = round_up(size, CPUDEV_ALLOC_ALIGN);
  if (charged < size) return CUDA_ERROR_OUT_OF_MEMORY;
  cpudev_lock();
  if (kind_on_device(kind) && charged > dev->total_mem - dev->used_mem) {
    cpudev_unlock();
    return CUDA_ERROR_OUT_OF_MEMORY;
  }
  if (kind_on_device(kind)) dev->used_mem += charged;
  cpudev_unlock();

  size_t mapped = 0;
  void *p = MAP_FAILED;
  int heap = size < HEAP_LIMIT;
  if (heap) {
    void *q;
    if (posix_memalign(&q, CPUDEV_ALLOC_ALIGN, charged) == 0) {
      memset(q, 0, charged);
      p = q;
    }
  } else {
    mapped = round_up(size, 4096);
    p = mmap(NULL, mapped, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS | MAP_NORESERVE, -1, 0);
  }
  alloc_entry e = {.a = {.base = (uintptr_t)p, .size = size, .kind = kind, .ctx = ctx, .flags = flags},
                   .mapped = mapped, .heap = heap};
  cpudev_lock();
  int failed = p == MAP_FAILED;
  if (!failed) {
    e.a.id = g_next_buffer_id++;
    failed = table_insert(&e) != 0;
  }
  if (failed && kind_on_device(kind)) dev->used_mem -= charged;
  cpudev_unlock();
  if (failed) {
    if (p != MAP_FAILED && heap) free(p);
    else if (p != MAP_FAILED) munmap(p, mapped);
    return CUDA_ERROR_OUT_OF_MEMORY;
  }
  *out = (uintptr_t)p;
  return CUDA_SUCCESS;
}

static void unmap_entry(const alloc_entry *e);

/* Removes entry i and releases its memory. Lock held on entry, released inside and retaken. */
static void release_entry(size_t i) {
  alloc_entry e = g_allocs[i];
  table_remove(i);
  if (kind_on_device(e.a.kind)) {
    cpudev_device *dev = cpudev_device_at(e.a.ctx->device);
    dev->used_mem -= round_up(e.a.size, CPUDEV_ALLOC_ALIGN);
  }
  if (e.mapped || e.heap) {
    cpudev_unlock();
    unmap_entry(&e);
    cpudev_lock();
  }
}

CUresult cpudev_mem_release(uintptr_t base) {
  cpudev_lock();
  long i = table_find(base);
  if (i < 0 || g_allocs[i].a.base != base) {
    cpudev_unlock();
    return CUDA_ERROR_INVALID_VALUE;
  }
  release_entry((size_t)i);
  cpudev_unlock();
  return CUDA_SUCCESS;
}

/* Returns the memory of a removed entry to the system. Lock not held. */
static void unmap_entry(const alloc_entry *e) {
  if (e->heap) free((void *)e->a.base);
  else if (e->mapped) munmap((void *)e->a.base, e->mapped);
}

void cpudev_mem_release_ctx(CUcontext ctx) {
  cpudev_lock();
  /* Take the context's entries out of the table in one pass, then free them unlocked. */
  size_t n = 0, kept = 0;
  for (size_t i = 0; i < g_nallocs; i++) n += g_allocs[i].a.ctx == ctx;
  alloc_entry *gone = n ? malloc(n * sizeof *gone) : NULL;
  if (n && !gone) {   /* no memory for the list: one by one */
    for (long i = (long)g_nallocs - 1; i >= 0; i--)
      if ((size_t)i < g_nallocs && g_allocs[i].a.ctx == ctx) release_entry((size_t)i);
    cpudev_unlock();
    return;
  }
  n = 0;
  for (size_t i = 0; i < g_nallocs; i++) {
    alloc_entry *e = &g_allocs[i];
    if (e->a.ctx != ctx) {
      g_allocs[kept++] = *e;
      continue;
    }
    if (kind_on_device(e->a.kind)) cpudev_device_at(ctx->device)->used_mem -= round_up(e->a.size, CPUDEV_ALLOC_ALIGN);
    gone[n++] = *e;
  }
  g_nallocs = kept;
  cpudev_unlock();
  for (size_t i = 0; i < n; i++) unmap_entry(&gone[i]);
  free(gone);
}

CUresult cpudev_mem_add_mapping(CUcontext ctx, uintptr_t base, size_t size) {
  alloc_entry e = {.a = {.base = base, .size = size, .kind = CPUDEV_MEM_VMM, .ctx = ctx}};
  cpudev_lock();
  e.a.id = g_next_buffer_id++;
  int failed = table_insert(&e) != 0;
  cpudev_unlock();
  return failed ? CUDA_ERROR_OUT_OF_MEMORY : CUDA_SUCCESS;
}

void cpudev_mem_remove_mappings(uintptr_t base, size_t size) {
  cpudev_lock();
  for (size_t i = g_nallocs; i-- > 0;) {
    const cpudev_alloc *a = &g_allocs[i].a;
    if (a->kind == CPUDEV_MEM_VMM && a->base >= base && a->base - base < size) table_remove(i);
  }
  cpudev_unlock();
}

int cpudev_mem_find(uintptr_t p, cpudev_alloc *out) {
  cpudev_lock();
  long i = table_find(p);
  if (i >= 0 && out) *out = g_allocs[i].a;
  cpudev_unlock();
  return i >= 0;
}

/* What a kernel of `ctx` may touch: that context's device memory, module variables and managed
 * memory, and page-locked host memory (portable under unified addressing). Other contexts'
 * device memory is absent, so a kernel reaching into it faults, as on a GPU where each context
 * has its own address space: sessions of one agent cannot see each other's data. */
static int visible_to(const cpudev_alloc *a, CUcontext ctx) {
  return a->ctx == ctx || a->kind == CPUDEV_MEM_HOST || a->kind == CPUDEV_MEM_REGISTERED;
}

ptx_range *cpudev_mem_snapshot(CUcontext ctx, size_t *count) {
  cpudev_lock();
  ptx_range *r = malloc((g_nallocs ? g_nallocs : 1) * sizeof *r);
  size_t n = 0;
  if (r)
    for (size_t i = 0; i < g_nallocs; i++) {
      if (!visible_to(&g_allocs[i].a, ctx)) continue;
      r[n].base = g_allocs[i].a.base;
      r[n].end = g_allocs[i].a.base + g_allocs[i].a.size;
      n++;
    }
  *count = n;
  cpudev_unlock();
  return r;
}

/* ---- allocation API ---- */

CPUDEV_API CUresult cuMemAlloc_v2(CUdeviceptr *dptr, size_t bytesize) {
  if (!dptr) return CUDA_ERROR_INVALID_VALUE;
  CUcontext ctx;
  CUresult r = cpudev_current_ctx(&ctx);
  if (r) return r;
  uintptr_t p;
  r = cpudev_mem_alloc(ctx, bytesize, CPUDEV_MEM_DEVICE, 0, &p);
  if (!r) *dptr = (CUdeviceptr)p;
  return r;
}

CPUDEV_API CUresult cuMemAllocPitch_v2(CUdeviceptr *dptr, size_t *pPitch, size_t WidthInBytes, size_t Height,
                                       unsigned int ElementSizeBytes) {
  if (!dptr || !pPitch || WidthInBytes == 0 || Height == 0) return CUDA_ERROR_INVALID_VALUE;
  if (ElementSizeBytes != 4 && ElementSizeBytes != 8 && ElementSizeBytes != 16) return CUDA_ERROR_INVALID_VALUE;
  size_t pitch = round_up(WidthInBytes, 512);
  if (Height > SIZE_MAX / pitch) return CUDA_ERROR_OUT_OF_MEMORY;
  CUresult r = cuMemAlloc_v2(dptr, pitch * Height);
  if (!r) *pPitch = pitch;
  return r;
}

/* Frees after the owning context's work is done, as cudaFree does. */
static CUresult free_kind(uintptr_t p, int want_host) {
  CUcontext ctx;
  CUresult r = cpudev_current_ctx(&ctx);
  if (r) return r;
  cpudev_alloc a;
  if (!cpudev_mem_find(p, &a) || a.base != p) return CUDA_ERROR_INVALID_VALUE;
  int is_host = a.kind == CPUDEV_MEM_HOST;
  if (is_host != want_host || a.kind == CPUDEV_MEM_REGISTERED || a.kind == CPUDEV_MEM_MODULE_VAR ||
      a.kind == CPUDEV_MEM_VMM)
    return CUDA_ERROR_INVALID_VALUE;
  if (cpudev_ctx_is_live_unlocked(a.ctx)) cpudev_ctx_synchronize(a.ctx);
  return cpudev_mem_release(p);
}

CPUDEV_API CUresult cuMemFree_v2(CUdeviceptr dptr) {
  if (dptr == 0) {   /* freeing NULL is a no-op */
    CUcontext ctx;
    return cpudev_current_ctx(&ctx);
  }
  return free_kind((uintptr_t)dptr, 0);
}

CPUDEV_API CUresult cuMemGetInfo_v2(size_t *free_bytes, size_t *total) {
  CUcontext ctx;
  CUresult r = cpudev_current_ctx(&ctx);
  if (r) return r;
  if (!free_bytes || !total) return CUDA_ERROR_INVALID_VALUE;
  cpudev_device *d = cpudev_device_at(ctx->device);
  cpudev_lock();
  *total = d->total_mem;
  *free_bytes = d->total_mem - d->used_mem;
  cpudev_unlock();
  return CUDA_SUCCESS;
}

CPUDEV_API CUresult cuMemGetAddressRange_v2(CUdeviceptr *pbase, size_t *psize, CUdeviceptr dptr) {
  CUcontext ctx;
  CUresult r = cpudev_current_ctx(&ctx);
  if (r) return r;
  cpudev_alloc a;
  if (!cpudev_mem_find((uintptr_t)dptr, &a) || a.kind == CPUDEV_MEM_HOST || a.kind == CPUDEV_MEM_REGISTERED)
    return CUDA_ERROR_NOT_FOUND;
  if (pbase) *pbase = (CUdeviceptr)a.base;
  if (psize) *psize = a.size;
  return CUDA_SUCCESS;
}

CPUDEV_API CUresult cuMemHostAlloc(void **pp, size_t bytesize, unsigned int Flags) {
  unsigned known = CU_MEMHOSTALLOC_PORTABLE | CU_MEMHOSTALLOC_DEVICEMAP | CU_MEMHOSTALLOC_WRITECOMBINED;
  if (!pp || (Flags & ~known)) return CUDA_ERROR_INVALID_VALUE;
  CUcontext ctx;
  CUresult r = cpudev_current_ctx(&ctx);
  if (r) return r;
  uintptr_t p;
  r = cpudev_mem_alloc(ctx, bytesize, CPUDEV_MEM_HOST, Flags | CU_MEMHOSTALLOC_DEVICEMAP, &p);
  if (!r) *pp = (void *)p;
  return r;
}

CPUDEV_API CUresult cuMemAllocHost_v2(void **pp, size_t bytesize) { return cuMemHostAlloc(pp, bytesize, 0); }

CPUDEV_API CUresult cuMemFreeHost(void *p) { return free_kind((uintptr_t)p, 1); }

CPUDEV_API CUresult cuMemAllocManaged(CUdeviceptr *dptr, size_t bytesize, unsigned int flags) {
  if (!dptr || (flags != CU_MEM_ATTACH_GLOBAL && flags != CU_MEM_ATTACH_HOST)) return CUDA_ERROR_INVALID_VALUE;
  CUcontext ctx;
  CUresult r = cpudev_current_ctx(&ctx);
  if (r) return r;
  uintptr_t p;
  r = cpudev_mem_alloc(ctx, bytesize, CPUDEV_MEM_MANAGED, flags, &p);
  if (!r) *dptr = (CUdeviceptr)p;
  return r;
}

CPUDEV_API CUresult cuMemHostRegister_v2(void *p, size_t bytesize, unsigned int Flags) {
  unsigned known = CU_MEMHOSTREGISTER_PORTABLE | CU_MEMHOSTREGISTER_DEVICEMAP | CU_MEMHOSTREGISTER_IOMEMORY |
                   CU_MEMHOSTREGISTER_READ_ONLY;
  if (!p || bytesize == 0 || (Flags & ~known)) return CUDA_ERROR_INVALID_VALUE;
  CUcontext ctx;
  CUresult r = cpudev_current_ctx(&ctx);
  if (r) return r;
  uintptr_t base = (uintptr_t)p;
  if (base + bytesize < base) return CUDA_ERROR_INVALID_VALUE;
  cpudev_lock();
  /* Any overlap with a known range is an error. */
  long i = table_find(base);
  size_t next = 0;
  while (next < g_nallocs && g_allocs[next].a.base < base) next++;
  int overlap = i >= 0 || (next < g_nallocs && g_allocs[next].a.base < base + bytesize);
  alloc_entry e = {.a = {.base = base, .size = bytesize, .kind = CPUDEV_MEM_REGISTERED, .ctx = ctx,
                         .flags = Flags | CU_MEMHOSTREGISTER_DEVICEMAP, .id = g_next_buffer_id++}};
  if (overlap) r = CUDA_ERROR_HOST_MEMORY_ALREADY_REGISTERED;
  else if (table_insert(&e) != 0) r = CUDA_ERROR_OUT_OF_MEMORY;
  cpudev_unlock();
  return r;
}

CPUDEV_API CUresult cuMemHostUnregister(void *p) {
  CUcontext ctx;
  CUresult r = cpudev_current_ctx(&ctx);
  if (r) return r;
  cpudev_alloc a;
  if (!cpudev_mem_find((uintptr_t)p, &a) || a.base != (uintptr_t)p || a.kind != CPUDEV_MEM_REGISTERED)
    return CUDA_ERROR_HOST_MEMORY_NOT_REGISTERED;
  if (cpudev_ctx_is_live_unlocked(a.ctx)) cpudev_ctx_synchronize(a.ctx);
  return cpudev_mem_release(a.base);
}

/* Finds the page-locked host memory (allocated or registered) holding p, in the current
 * context's view: CUDA_ERROR_INVALID_VALUE for any other pointer. */
static CUresult find_page_locked(void *p, cpudev_alloc *a) {
  CUcontext ctx;
  CUresult r = cpudev_current_ctx(&ctx);
  if (r) return r;
  if (!cpudev_mem_find((uintptr_t)p, a)) return CUDA_ERROR_INVALID_VALUE;
  return a->kind == CPUDEV_MEM_HOST || a->kind == CPUDEV_MEM_REGISTERED ? CUDA_SUCCESS : CUDA_ERROR_INVALID_VALUE;
}

CPUDEV_API CUresult cuMemHostGetDevicePointer_v2(CUdeviceptr *pdptr, void *p, unsigned int Flags) {
  if (!pdptr || Flags != 0) return CUDA_ERROR_INVALID_VALUE;
  cpudev_alloc a;
  CUresult r = find_page_locked(p, &a);
  if (r) return r;
  *pdptr = (CUdeviceptr)(uintptr_t)p;
  return CUDA_SUCCESS;
}

CPUDEV_API CUresult cuMemHostGetFlags(unsigned int *pFlags, void *p) {
  if (!pFlags) return CUDA_ERROR_INVALID_VALUE;
  cpudev_alloc a;
  CUresult r = find_page_locked(p, &a);
  if (r) return r;
  *pFlags = a.flags;
  return CUDA_SUCCESS;
}

/* ---- pointer attributes ---- */

static CUmemorytype memory_type_of(const cpudev_alloc *a) {
  return a->kind == CPUDEV_MEM_HOST || a->kind == CPUDEV_MEM_REGISTERED ? CU_MEMORYTYPE_HOST
                                                                        : CU_MEMORYTYPE_DEVICE;
}

/* Writes one attribute of a known allocation (a) or of unknown memory (a == NULL).
 * Returns CUDA_ERROR_INVALID_VALUE for attributes we do not know. */
static CUresult pointer_attribute(void *data, CUpointer_attribute attr, uintptr_t p, const cpudev_alloc *a) {
  switch (attr) {
  case CU_POINTER_ATTRIBUTE_CONTEXT: *(CUcontext *)data = a ? a->ctx : NULL; break;
  case CU_POINTER_ATTRIBUTE_MEMORY_TYPE: *(unsigned *)data = a ? (unsigned)memory_type_of(a) : 0; break;
  case CU_POINTER_ATTRIBUTE_DEVICE_POINTER: *(CUdeviceptr *)data = a ? (CUdeviceptr)p : 0; break;
  case CU_POINTER_ATTRIBUTE_HOST_POINTER:
    *(void **)data = a && (memory_type_of(a) == CU_MEMORYTYPE_HOST || a->kind == CPUDEV_MEM_MANAGED) ? (void *)p : NULL;
    break;
  case CU_POINTER_ATTRIBUTE_SYNC_MEMOPS: *(int *)data = 1; break;
  case CU_POINTER_ATTRIBUTE_BUFFER_ID:
  case CU_POINTER_ATTRIBUTE_MEMORY_BLOCK_ID: *(unsigned long long *)data = a ? a->id : 0; break;
  case CU_POINTER_ATTRIBUTE_IS_MANAGED: *(int *)data = a && a->kind == CPUDEV_MEM_MANAGED; break;
  case CU_POINTER_ATTRIBUTE_DEVICE_ORDINAL: *(int *)data = a ? a->ctx->device : -1; break;
  case CU_POINTER_ATTRIBUTE_IS_LEGACY_CUDA_IPC_CAPABLE: *(int *)data = 0; break;
  case CU_POINTER_ATTRIBUTE_RANGE_START_ADDR:
  case CU_POINTER_ATTRIBUTE_MAPPING_BASE_ADDR: *(CUdeviceptr *)data = a ? (CUdeviceptr)a->base : 0; break;
  case CU_POINTER_ATTRIBUTE_RANGE_SIZE:
  case CU_POINTER_ATTRIBUTE_MAPPING_SIZE: *(size_t *)data = a ? a->size : 0; break;
  case CU_POINTER_ATTRIBUTE_MAPPED: *(int *)data = a != NULL; break;
  case CU_POINTER_ATTRIBUTE_ALLOWED_HANDLE_TYPES: *(unsigned long long *)data = 0; break;
  case CU_POINTER_ATTRIBUTE_IS_GPU_DIRECT_RDMA_CAPABLE: *(int *)data = 0; break;
  case CU_POINTER_ATTRIBUTE_ACCESS_FLAGS:
    *(unsigned *)data = a ? (a->flags & CU_MEMHOSTREGISTER_READ_ONLY && a->kind == CPUDEV_MEM_REGISTERED
                                 ? CU_POINTER_ATTRIBUTE_ACCESS_FLAG_READ
                                 : CU_POINTER_ATTRIBUTE_ACCESS_FLAG_READWRITE)
                          : CU_POINTER_ATTRIBUTE_ACCESS_FLAG_NONE;
    break;
  case CU_POINTER_ATTRIBUTE_MEMPOOL_HANDLE: *(void **)data = NULL; break;
  case CU_POINTER_ATTRIBUTE_IS_HW_DECOMPRESS_CAPABLE: *(int *)data = 0; break;
  default: return CUDA_ERROR_INVALID_VALUE;
  }
  return CUDA_SUCCESS;
}

CPUDEV_API CUresult cuPointerGetAttribute(void *data, CUpointer_attribute attribute, CUdeviceptr ptr) {
  if (!data) return CUDA_ERROR_INVALID_VALUE;
  if (!cpudev_initialized()) return CUDA_ERROR_NOT_INITIALIZED;
  cpudev_alloc a;
  if (!cpudev_mem_find((uintptr_t)ptr, &a)) return CUDA_ERROR_INVALID_VALUE;
  return pointer_attribute(data, attribute, (uintptr_t)ptr, &a);
}

CPUDEV_API CUresult cuPointerGetAttributes(unsigned int numAttributes, CUpointer_attribute *attributes, void **data,
                                           CUdeviceptr ptr) {
  if (!cpudev_initialized()) return CUDA_ERROR_NOT_INITIALIZED;
  if (numAttributes == 0 || !attributes || !data) return CUDA_ERROR_INVALID_VALUE;
  cpudev_alloc a;
  int known = cpudev_mem_find((uintptr_t)ptr, &a);
  for (unsigned i = 0; i < numAttributes; i++) {
    if (!data[i]) continue;
    CUresult r = pointer_attribute(data[i], attributes[i], (uintptr_t)ptr, known ? &a : NULL);
    if (r) return r;
  }
  return CUDA_SUCCESS;
}

CPUDEV_API CUresult cuPointerSetAttribute(const void *value, CUpointer_attribute attribute, CUdeviceptr ptr) {
  if (!value || attribute != CU_POINTER_ATTRIBUTE_SYNC_MEMOPS) return CUDA_ERROR_INVALID_VALUE;
  return cpudev_mem_find((uintptr_t)ptr, NULL) ? CUDA_SUCCESS : CUDA_ERROR_INVALID_VALUE;
}

/* ---- managed-memory hints: one memory here, so they only validate ---- */

static void no_op(cpudev_op *op) { (void)op; }

/* The range must lie in one managed allocation. */
static CUresult check_managed(CUdeviceptr p, size_t count) {
  cpudev_alloc a;
  if (!count || !cpudev_mem_find((uintptr_t)p, &a) || a.kind != CPUDEV_MEM_MANAGED) return CUDA_ERROR_INVALID_VALUE;
  return count <= a.size - ((uintptr_t)p - a.base) ? CUDA_SUCCESS : CUDA_ERROR_INVALID_VALUE;
}

static CUresult prefetch(CUdeviceptr devPtr, size_t count, unsigned flags, CUstream h, int ptds) {
  if (flags != 0) return CUDA_ERROR_INVALID_VALUE;
  CUresult r = check_managed(devPtr, count);
  return r ? r : cpudev_submit(h, ptds, 0, no_op, NULL, NULL);   /* ordered like a copy */
}

CPUDEV_API CUresult cuMemPrefetchAsync_v2(CUdeviceptr devPtr, size_t count, CUmemLocation location, unsigned int flags,
                                          CUstream hStream) {
  (void)location;
  return prefetch(devPtr, count, flags, hStream, 0);
}

CPUDEV_API CUresult cuMemPrefetchAsync_v2_ptsz(CUdeviceptr devPtr, size_t count, CUmemLocation location,
                                               unsigned int flags, CUstream hStream) {
  (void)location;
  return prefetch(devPtr, count, flags, hStream, 1);
}

CPUDEV_API CUresult cuMemAdvise_v2(CUdeviceptr devPtr, size_t count, CUmem_advise advice, CUmemLocation location) {
  (void)advice;
  (void)location;
  CUcontext ctx;
  CUresult r = cpudev_current_ctx(&ctx);
  return r ? r : check_managed(devPtr, count);
}

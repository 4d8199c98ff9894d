/* rt_mempool.c - stream-ordered memory pools: cudaDeviceGet/SetMemPool, cudaMemPool*,
 * cudaMallocFromPoolAsync, and the bookkeeping behind cudaMallocAsync/cudaFreeAsync.
 *
 * cudaMallocAsync allocates at once through cuMemAlloc (ready early is within stream order) and
 * cudaFreeAsync waits for the stream and frees, so a pool here is the runtime's record of what
 * it handed out: its attributes and its used bytes. Each device has a default pool and a current
 * pool (what cudaMallocAsync draws from). Freed memory goes straight back to the device, so the
 * reserved figures equal the used ones; a release threshold is kept and reported, which CUDA
 * allows (the driver *may* hold memory up to it, it never must). */
#include "runtime.h"

#include <pthread.h>
#include <stdint.h>
#include <stdlib.h>

struct CUmemPoolHandle_st {
  int device;
  bool is_default;
  int reuse[3]; /* cudaMemPoolReuseFollowEventDependencies .. ReuseAllowInternalDependencies */
  uint64_t release_threshold, used, used_high, reserved_high;
};

typedef struct pool_block {
  void *ptr;
  size_t size;
  cudaMemPool_t pool;
  struct pool_block *next;
} pool_block;

static pthread_mutex_t lock = PTHREAD_MUTEX_INITIALIZER;
static struct CUmemPoolHandle_st default_pools[RT_MAX_DEVICES];
static cudaMemPool_t current_pools[RT_MAX_DEVICES];
static pool_block *blocks;

static bool valid_device(int device) {
  int count = 0;
  return cudaGetDeviceCount(&count) == cudaSuccess && device >= 0 && device < count;
}

static void pool_init(cudaMemPool_t pool, int device, bool is_default) {
  *pool = (struct CUmemPoolHandle_st){.device = device, .is_default = is_default,
                                      .reuse = {1, 1, 1}};
}

/* The default pool of a device, set up on first use. Caller holds the lock. */
static cudaMemPool_t default_pool(int device) {
  cudaMemPool_t pool = &default_pools[device];
  if (!pool->is_default) pool_init(pool, device, true);
  return pool;
}

static cudaMemPool_t current_pool(int device) {
  if (!current_pools[device]) current_pools[device] = default_pool(device);
  return current_pools[device];
}

RT_EXPORT cudaError_t cudaDeviceGetDefaultMemPool(cudaMemPool_t *memPool, int device) {
  if (!memPool) return rt_set_error(cudaErrorInvalidValue);
  if (!valid_device(device)) return rt_set_error(cudaErrorInvalidDevice);
  pthread_mutex_lock(&lock);
  *memPool = default_pool(device);
  pthread_mutex_unlock(&lock);
  return cudaSuccess;
}

RT_EXPORT cudaError_t cudaDeviceGetMemPool(cudaMemPool_t *memPool, int device) {
  if (!memPool) return rt_set_error(cudaErrorInvalidValue);
  if (!valid_device(device)) return rt_set_error(cudaErrorInvalidDevice);
  pthread_mutex_lock(&lock);
  *memPool = current_pool(device);
  pthread_mutex_unlock(&lock);
  return cudaSuccess;
}

RT_EXPORT cudaError_t cudaDeviceSetMemPool(int device, cudaMemPool_t memPool) {
  if (!valid_device(device)) return rt_set_error(cudaErrorInvalidDevice);
  if (!memPool || memPool->device != device) return rt_set_error(cudaErrorInvalidValue);
  pthread_mutex_lock(&lock);
  current_pools[device] = memPool;
  pthread_mutex_unlock(&lock);
  return cudaSuccess;
}

/* Device-resident pinned pools only: no host pools, no shareable handles (the device reports
 * neither, see CU_DEVICE_ATTRIBUTE_MEMPOOL_SUPPORTED_HANDLE_TYPES). */
RT_EXPORT cudaError_t cudaMemPoolCreate(cudaMemPool_t *memPool, const struct cudaMemPoolProps *props) {
  if (!memPool || !props || props->allocType != cudaMemAllocationTypePinned)
    return rt_set_error(cudaErrorInvalidValue);
  if (props->location.type != cudaMemLocationTypeDevice) return rt_set_error(cudaErrorNotSupported);
  if (!valid_device(props->location.id)) return rt_set_error(cudaErrorInvalidDevice);
  if (props->handleTypes != cudaMemHandleTypeNone) return rt_set_error(cudaErrorNotSupported);
  cudaMemPool_t pool = malloc(sizeof *pool);
  if (!pool) return rt_set_error(cudaErrorMemoryAllocation);
  pool_init(pool, props->location.id, false);
  *memPool = pool;
  return cudaSuccess;
}

/* Destroying a device's current pool makes its default pool current again; blocks still out
 * stay valid until freed (as CUDA defers the destruction until then). */
RT_EXPORT cudaError_t cudaMemPoolDestroy(cudaMemPool_t memPool) {
  if (!memPool || memPool->is_default) return rt_set_error(cudaErrorInvalidValue);
  pthread_mutex_lock(&lock);
  if (current_pools[memPool->device] == memPool) current_pools[memPool->device] = NULL;
  for (pool_block *b = blocks; b; b = b->next)
    if (b->pool == memPool) b->pool = NULL;
  pthread_mutex_unlock(&lock);
  free(memPool);
  return cudaSuccess;
}

RT_EXPORT cudaError_t cudaMemPoolTrimTo(cudaMemPool_t memPool, size_t minBytesToKeep) {
  (void)minBytesToKeep; /* nothing is held beyond what is in use */
  return memPool ? cudaSuccess : rt_set_error(cudaErrorInvalidValue);
}

/* The watermarks can only be reset (set to 0, which makes them the current value); the current
 * figures are read-only. */
static cudaError_t set_attribute(cudaMemPool_t pool, enum cudaMemPoolAttr attr, const void *value) {
  uint64_t v64 = 0;
  switch (attr) {
  case cudaMemPoolReuseFollowEventDependencies:
  case cudaMemPoolReuseAllowOpportunistic:
  case cudaMemPoolReuseAllowInternalDependencies:
    pool->reuse[attr - cudaMemPoolReuseFollowEventDependencies] = *(const int *)value != 0;
    return cudaSuccess;
  case cudaMemPoolAttrReleaseThreshold: pool->release_threshold = *(const uint64_t *)value; return cudaSuccess;
  case cudaMemPoolAttrReservedMemHigh:
  case cudaMemPoolAttrUsedMemHigh:
    v64 = *(const uint64_t *)value;
    if (v64 != 0) return cudaErrorInvalidValue;
    if (attr == cudaMemPoolAttrUsedMemHigh) pool->used_high = pool->used;
    else pool->reserved_high = pool->used;
    return cudaSuccess;
  default: return cudaErrorInvalidValue;
  }
}

static cudaError_t get_attribute(cudaMemPool_t pool, enum cudaMemPoolAttr attr, void *value) {
  switch (attr) {
  case cudaMemPoolReuseFollowEventDependencies:
  case cudaMemPoolReuseAllowOpportunistic:
  case cudaMemPoolReuseAllowInternalDependencies:
    *(int *)value = pool->reuse[attr - cudaMemPoolReuseFollowEventDependencies];
    return cudaSuccess;
  case cudaMemPoolAttrReleaseThreshold: *(uint64_t *)value = pool->release_threshold; return cudaSuccess;
  case cudaMemPoolAttrReservedMemCurrent:
  case cudaMemPoolAttrUsedMemCurrent: *(uint64_t *)value = pool->used; return cudaSuccess;
  case cudaMemPoolAttrReservedMemHigh: *(uint64_t *)value = pool->reserved_high; return cudaSuccess;
  case cudaMemPoolAttrUsedMemHigh: *(uint64_t *)value = pool->used_high; return cudaSuccess;
  default: return cudaErrorInvalidValue;
  }
}

RT_EXPORT cudaError_t cudaMemPoolSetAttribute(cudaMemPool_t memPool, enum cudaMemPoolAttr attr, void *value) {
  if (!memPool || !value) return rt_set_error(cudaErrorInvalidValue);
  pthread_mutex_lock(&lock);
  cudaError_t err = set_attribute(memPool, attr, value);
  pthread_mutex_unlock(&lock);
  return rt_set_error(err);
}

RT_EXPORT cudaError_t cudaMemPoolGetAttribute(cudaMemPool_t memPool, enum cudaMemPoolAttr attr, void *value) {
  if (!memPool || !value) return rt_set_error(cudaErrorInvalidValue);
  pthread_mutex_lock(&lock);
  cudaError_t err = get_attribute(memPool, attr, value);
  pthread_mutex_unlock(&lock);
  return rt_set_error(err);
}

/* Only the pool's own device can reach its memory: read-write there, nothing elsewhere. */
RT_EXPORT cudaError_t cudaMemPoolGetAccess(enum cudaMemAccessFlags *flags, cudaMemPool_t memPool,
                                           struct cudaMemLocation *location) {
  if (!flags || !memPool || !location || location->type != cudaMemLocationTypeDevice)
    return rt_set_error(cudaErrorInvalidValue);
  if (!valid_device(location->id)) return rt_set_error(cudaErrorInvalidDevice);
  *flags = location->id == memPool->device ? cudaMemAccessFlagsProtReadWrite : cudaMemAccessFlagsProtNone;
  return cudaSuccess;
}

RT_EXPORT cudaError_t cudaMemPoolSetAccess(cudaMemPool_t memPool, const struct cudaMemAccessDesc *descList,
                                           size_t count) {
  if (!memPool || (count && !descList)) return rt_set_error(cudaErrorInvalidValue);
  for (size_t i = 0; i < count; i++) {
    if (descList[i].location.type != cudaMemLocationTypeDevice) return rt_set_error(cudaErrorInvalidValue);
    if (!valid_device(descList[i].location.id)) return rt_set_error(cudaErrorInvalidDevice);
    bool own = descList[i].location.id == memPool->device;
    if (own != (descList[i].flags == cudaMemAccessFlagsProtReadWrite))
      return rt_set_error(own ? cudaErrorInvalidValue : cudaErrorNotSupported);
  }
  return cudaSuccess;
}

RT_EXPORT cudaError_t cudaMallocFromPoolAsync(void **ptr, size_t size, cudaMemPool_t memPool, cudaStream_t stream) {
  if (!memPool) return rt_set_error(cudaErrorInvalidValue);
  return rt_malloc_async(ptr, size, stream, memPool);
}

void rt_mempool_note_alloc(void *ptr, size_t size, cudaMemPool_t pool) {
  pool_block *b = malloc(sizeof *b);
  if (!b) return; /* only the statistics lose this block */
  pthread_mutex_lock(&lock);
  if (!pool) pool = current_pool(rt_current_device());
  *b = (pool_block){.ptr = ptr, .size = size, .pool = pool, .next = blocks};
  blocks = b;
  pool->used += size;
  if (pool->used > pool->used_high) pool->used_high = pool->used;
  if (pool->used > pool->reserved_high) pool->reserved_high = pool->used;
  pthread_mutex_unlock(&lock);
}

void rt_mempool_note_free(void *ptr) {
  pool_block *found = NULL;
  pthread_mutex_lock(&lock);
  for (pool_block **p = &blocks; *p; p = &(*p)->next) {
    if ((*p)->ptr != ptr) continue;
    found = *p;
    *p = found->next;
    if (found->pool) found->pool->used -= found->size;
    break;
  }
  pthread_mutex_unlock(&lock);
  free(found);
}

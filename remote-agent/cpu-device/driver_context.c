/* driver_context.c - contexts: primary and created, the per-thread current-context stack,
 * limits, synchronization and the sticky error that a kernel fault leaves behind.
 *
 * Also home of the process-wide lock and progress condition every driver file shares.
 * A primary context's struct lives as long as the process (its handle stays valid across
 * release and reset, as applications expect); created contexts are freed by cuCtxDestroy.
 */
#include "driver.h"

#include <stdlib.h>
#include <string.h>

static pthread_mutex_t g_lock = PTHREAD_MUTEX_INITIALIZER;
static pthread_cond_t g_progress = PTHREAD_COND_INITIALIZER;
static struct CUctx_st *g_contexts;            /* live contexts (created and primary) */
static struct CUctx_st *g_primary[CPUDEV_MAX_DEVICES];
static int g_primary_refs[CPUDEV_MAX_DEVICES];
static unsigned g_primary_flags[CPUDEV_MAX_DEVICES];
static unsigned long long g_next_ctx_id = 1;

#define CTX_STACK_MAX 64
static __thread CUcontext tls_stack[CTX_STACK_MAX];
static __thread int tls_depth;

void cpudev_lock(void) { pthread_mutex_lock(&g_lock); }
void cpudev_unlock(void) { pthread_mutex_unlock(&g_lock); }
void cpudev_wait(void) { pthread_cond_wait(&g_progress, &g_lock); }
void cpudev_broadcast(void) { pthread_cond_broadcast(&g_progress); }

int cpudev_log_enabled(void) {
  const char *v = getenv("GPUSHIM_LOG");
  return v && *v && strcmp(v, "0") != 0;
}

int cpudev_ctx_is_live(CUcontext ctx) {
  for (struct CUctx_st *c = g_contexts; c; c = c->next)
    if (c == ctx) return c->active;
  return 0;
}

int cpudev_ctx_is_live_unlocked(CUcontext ctx) {
  cpudev_lock();
  int live = cpudev_ctx_is_live(ctx);
  cpudev_unlock();
  return live;
}

/* For calls naming a context: CUDA_ERROR_INVALID_CONTEXT unless it is live. */
static CUresult ctx_require_live(CUcontext ctx) {
  return cpudev_ctx_is_live_unlocked(ctx) ? CUDA_SUCCESS : CUDA_ERROR_INVALID_CONTEXT;
}

struct CUctx_st *cpudev_contexts(void) { return g_contexts; }

CUcontext cpudev_stream_owner(struct CUstream_st *s) {
  for (struct CUctx_st *c = g_contexts; c; c = c->next) {
    if (!c->active) continue;
    for (struct CUstream_st *x = c->streams; x; x = x->next)
      if (x == s) return c;
  }
  return NULL;
}

CUcontext cpudev_event_owner(struct CUevent_st *e) {
  for (struct CUctx_st *c = g_contexts; c; c = c->next) {
    if (!c->active) continue;
    for (struct CUevent_st *x = c->events; x; x = x->next)
      if (x == e) return c;
  }
  return NULL;
}

static void ctx_reset_limits(CUcontext c) {
  memset(c->limits, 0, sizeof c->limits);
  c->limits[CU_LIMIT_STACK_SIZE] = 1024;
  c->limits[CU_LIMIT_PRINTF_FIFO_SIZE] = 1 << 20;
  c->limits[CU_LIMIT_MALLOC_HEAP_SIZE] = 8 << 20;
  c->limits[CU_LIMIT_DEV_RUNTIME_SYNC_DEPTH] = 2;
  c->limits[CU_LIMIT_DEV_RUNTIME_PENDING_LAUNCH_COUNT] = 2048;
  c->limits[CU_LIMIT_MAX_L2_FETCH_GRANULARITY] = 64;
  c->limits[CU_LIMIT_SHMEM_SIZE] = CPUDEV_STATIC_SHARED_LIMIT;
}

/* Allocates a context with its legacy default stream and links it in. Lock held. */
static CUcontext ctx_new(int device, unsigned flags, int is_primary) {
  struct CUctx_st *c = calloc(1, sizeof *c);
  if (!c) return NULL;
  c->magic = CPUDEV_MAGIC_CTX;
  c->device = device;
  c->flags = flags;
  c->is_primary = is_primary;
  c->active = 1;
  c->id = g_next_ctx_id++;
  ctx_reset_limits(c);
  c->legacy = cpudev_stream_new(c, 0, 0);
  if (!c->legacy) {
    free(c);
    return NULL;
  }
  c->legacy->is_legacy = 1;
  c->next = g_contexts;
  g_contexts = c;
  return c;
}

/* Frees everything the context holds: streams (after their work), events, modules, memory.
 * The context itself stays. Lock held. */
static void ctx_clear(CUcontext c) {
  while (c->streams) {
    struct CUstream_st *s = c->streams;
    c->streams = s->next;
    cpudev_stream_free(s);
  }
  cpudev_stream_wait_idle(c->legacy);
  while (c->events) {
    struct CUevent_st *e = c->events;
    c->events = e->next;
    cpudev_event_free(e);
  }
  while (c->modules) {
    struct CUmod_st *m = c->modules;
    c->modules = m->next;
    cpudev_module_free(m);
  }
  cpudev_unlock();
  cpudev_array_release_ctx(c);
  cpudev_mem_release_ctx(c);
  cpudev_heap_release(c);
  cpudev_lock();
  c->sticky = CUDA_SUCCESS;
  c->async_error = CUDA_SUCCESS;
  c->fault[0] = '\0';
  c->cache_config = CU_FUNC_CACHE_PREFER_NONE;
  ctx_reset_limits(c);
}

static void ctx_unlink(CUcontext c) {
  for (struct CUctx_st **p = &g_contexts; *p; p = &(*p)->next)
    if (*p == c) {
      *p = c->next;
      return;
    }
}

/* Removes `ctx` from the calling thread's stack wherever it appears. */
static void tls_forget(CUcontext ctx) {
  int j = 0;
  for (int i = 0; i < tls_depth; i++)
    if (tls_stack[i] != ctx) tls_stack[j++] = tls_stack[i];
  tls_depth = j;
}

CUresult cpudev_current_ctx_unchecked(CUcontext *out) {
  if (!cpudev_initialized()) return CUDA_ERROR_NOT_INITIALIZED;
  if (tls_depth == 0 || !tls_stack[tls_depth - 1]) return CUDA_ERROR_INVALID_CONTEXT;
  CUcontext c = tls_stack[tls_depth - 1];
  if (!cpudev_ctx_is_live_unlocked(c)) return CUDA_ERROR_CONTEXT_IS_DESTROYED;
  *out = c;
  return CUDA_SUCCESS;
}

CUresult cpudev_current_ctx(CUcontext *out) {
  CUresult r = cpudev_current_ctx_unchecked(out);
  if (r) return r;
  cpudev_lock();   /* stream workers set it */
  r = (*out)->sticky;
  cpudev_unlock();
  return r;
}

CUresult cpudev_ctx_error(CUcontext ctx) {
  if (ctx->sticky) {
    if (ctx->fault[0]) cpudev_diag_set(ctx->fault);   /* so the caller can read why */
    return ctx->sticky;
  }
  CUresult r = ctx->async_error;
  ctx->async_error = CUDA_SUCCESS;
  return r;
}

CUresult cpudev_ctx_synchronize(CUcontext ctx) {
  cpudev_lock();
  cpudev_ctx_wait_all(ctx, 0);
  CUresult r = cpudev_ctx_error(ctx);
  cpudev_unlock();
  return r;
}

/* ---- created contexts ---- */

static CUresult ctx_create(CUcontext *pctx, unsigned flags, CUdevice dev) {
  if (!cpudev_initialized()) return CUDA_ERROR_NOT_INITIALIZED;
  if (!pctx || (flags & ~(unsigned)CU_CTX_FLAGS_MASK)) return CUDA_ERROR_INVALID_VALUE;
  if (!cpudev_device_at(dev)) return CUDA_ERROR_INVALID_DEVICE;
  if (tls_depth >= CTX_STACK_MAX) return CUDA_ERROR_OUT_OF_MEMORY;
  cpudev_lock();
  CUcontext c = ctx_new(dev, flags, 0);
  cpudev_unlock();
  if (!c) return CUDA_ERROR_OUT_OF_MEMORY;
  tls_stack[tls_depth++] = c;
  *pctx = c;
  return CUDA_SUCCESS;
}

CPUDEV_API CUresult cuCtxCreate_v2(CUcontext *pctx, unsigned int flags, CUdevice dev) {
  return ctx_create(pctx, flags, dev);
}

CPUDEV_API CUresult cuCtxCreate_v3(CUcontext *pctx, CUexecAffinityParam *paramsArray, int numParams,
                                   unsigned int flags, CUdevice dev) {
  if (numParams > 0 && paramsArray) return CUDA_ERROR_UNSUPPORTED_EXEC_AFFINITY;
  return ctx_create(pctx, flags, dev);
}

CPUDEV_API CUresult cuCtxCreate_v4(CUcontext *pctx, CUctxCreateParams *ctxCreateParams, unsigned int flags,
                                   CUdevice dev) {
  if (ctxCreateParams && (ctxCreateParams->numExecAffinityParams > 0 || ctxCreateParams->cigParams))
    return CUDA_ERROR_NOT_SUPPORTED;
  return ctx_create(pctx, flags, dev);
}

CPUDEV_API CUresult cuCtxDestroy_v2(CUcontext ctx) {
  if (!cpudev_initialized()) return CUDA_ERROR_NOT_INITIALIZED;
  if (!ctx) return CUDA_ERROR_INVALID_VALUE;
  cpudev_lock();
  /* only the primary-context API may end a primary context */
  if (!cpudev_ctx_is_live(ctx) || ctx->is_primary) {
    cpudev_unlock();
    return CUDA_ERROR_INVALID_CONTEXT;
  }
  ctx_clear(ctx);
  ctx_unlink(ctx);
  cpudev_stream_free(ctx->legacy);
  cpudev_unlock();
  tls_forget(ctx);
  free(ctx);
  return CUDA_SUCCESS;
}

/* ---- the current-context stack ---- */

CPUDEV_API CUresult cuCtxPushCurrent_v2(CUcontext ctx) {
  if (!cpudev_initialized()) return CUDA_ERROR_NOT_INITIALIZED;
  if (!ctx) return CUDA_ERROR_INVALID_VALUE;
  CUresult r = ctx_require_live(ctx);
  if (r) return r;
  if (tls_depth >= CTX_STACK_MAX) return CUDA_ERROR_OUT_OF_MEMORY;
  tls_stack[tls_depth++] = ctx;
  return CUDA_SUCCESS;
}

CPUDEV_API CUresult cuCtxPopCurrent_v2(CUcontext *pctx) {
  if (!cpudev_initialized()) return CUDA_ERROR_NOT_INITIALIZED;
  if (tls_depth == 0) return CUDA_ERROR_INVALID_CONTEXT;
  CUcontext c = tls_stack[--tls_depth];
  if (pctx) *pctx = c;
  return CUDA_SUCCESS;
}

CPUDEV_API CUresult cuCtxSetCurrent(CUcontext ctx) {
  if (!cpudev_initialized()) return CUDA_ERROR_NOT_INITIALIZED;
  if (!ctx) {   /* unbinds: the top of the stack becomes "no context" */
    if (tls_depth > 0) tls_stack[tls_depth - 1] = NULL;
    return CUDA_SUCCESS;
  }
  CUresult r = ctx_require_live(ctx);
  if (r) return r;
  if (tls_depth == 0) tls_depth = 1;
  tls_stack[tls_depth - 1] = ctx;
  return CUDA_SUCCESS;
}

CPUDEV_API CUresult cuCtxGetCurrent(CUcontext *pctx) {
  if (!cpudev_initialized()) return CUDA_ERROR_NOT_INITIALIZED;
  if (!pctx) return CUDA_ERROR_INVALID_VALUE;
  *pctx = tls_depth > 0 ? tls_stack[tls_depth - 1] : NULL;
  return CUDA_SUCCESS;
}

/* For calls where a NULL context means the current one: resolves it and checks it is live. */
static CUresult ctx_or_current(CUcontext *ctx) {
  if (!*ctx) {
    CUresult r = cpudev_current_ctx_unchecked(ctx);
    if (r) return r;
  }
  return ctx_require_live(*ctx);
}

static CUresult ctx_get_device(CUdevice *device, CUcontext ctx) {
  if (!device) return CUDA_ERROR_INVALID_VALUE;
  CUresult r = ctx_or_current(&ctx);
  if (!r) *device = ctx->device;
  return r;
}

CPUDEV_API CUresult cuCtxGetDevice(CUdevice *device) { return ctx_get_device(device, NULL); }

CPUDEV_API CUresult cuCtxGetDevice_v2(CUdevice *device, CUcontext ctx) { return ctx_get_device(device, ctx); }

CPUDEV_API CUresult cuCtxGetFlags(unsigned int *flags) {
  if (!flags) return CUDA_ERROR_INVALID_VALUE;
  CUcontext c;
  CUresult r = cpudev_current_ctx_unchecked(&c);
  if (r) return r;
  *flags = c->flags;
  return CUDA_SUCCESS;
}

CPUDEV_API CUresult cuCtxSetFlags(unsigned int flags) {
  if (flags & ~(unsigned)CU_CTX_FLAGS_MASK) return CUDA_ERROR_INVALID_VALUE;
  CUcontext c;
  CUresult r = cpudev_current_ctx(&c);
  if (r) return r;
  c->flags = flags;
  return CUDA_SUCCESS;
}

CPUDEV_API CUresult cuCtxGetId(CUcontext ctx, unsigned long long *ctxId) {
  if (!ctxId) return CUDA_ERROR_INVALID_VALUE;
  CUresult r = ctx_or_current(&ctx);
  if (r) return r;
  *ctxId = ctx->id;
  return CUDA_SUCCESS;
}

CPUDEV_API CUresult cuCtxGetApiVersion(CUcontext ctx, unsigned int *version) {
  if (!version) return CUDA_ERROR_INVALID_VALUE;
  CUresult r = ctx_or_current(&ctx);
  if (r) return r;
  *version = 3020;   /* the context ABI every driver since CUDA 3.2 reports */
  return CUDA_SUCCESS;
}

CPUDEV_API CUresult cuCtxSynchronize(void) {
  CUcontext c;
  CUresult r = cpudev_current_ctx_unchecked(&c);
  if (r) return r;
  return cpudev_ctx_synchronize(c);
}

/* Limits: which may be set, and their bounds. */
static int limit_is_settable(CUlimit limit) {
  return limit <= CU_LIMIT_PERSISTING_L2_CACHE_SIZE;
}

CPUDEV_API CUresult cuCtxSetLimit(CUlimit limit, size_t value) {
  CUcontext c;
  CUresult r = cpudev_current_ctx(&c);
  if (r) return r;
  if ((unsigned)limit >= sizeof c->limits / sizeof c->limits[0]) return CUDA_ERROR_INVALID_VALUE;
  if (!limit_is_settable(limit)) return CUDA_ERROR_UNSUPPORTED_LIMIT;
  if (limit == CU_LIMIT_MAX_L2_FETCH_GRANULARITY && value > 128) return CUDA_ERROR_INVALID_VALUE;
  /* the heap's size is fixed once kernels used it (CUDA: cudaErrorInvalidValue) */
  if (limit == CU_LIMIT_MALLOC_HEAP_SIZE && cpudev_heap_in_use(c)) return CUDA_ERROR_INVALID_VALUE;
  c->limits[limit] = value;
  return CUDA_SUCCESS;
}

CPUDEV_API CUresult cuCtxGetLimit(size_t *pvalue, CUlimit limit) {
  if (!pvalue) return CUDA_ERROR_INVALID_VALUE;
  CUcontext c;
  CUresult r = cpudev_current_ctx(&c);
  if (r) return r;
  if ((unsigned)limit >= sizeof c->limits / sizeof c->limits[0]) return CUDA_ERROR_UNSUPPORTED_LIMIT;
  *pvalue = c->limits[limit];
  return CUDA_SUCCESS;
}

CPUDEV_API CUresult cuCtxGetCacheConfig(CUfunc_cache *pconfig) {
  if (!pconfig) return CUDA_ERROR_INVALID_VALUE;
  CUcontext c;
  CUresult r = cpudev_current_ctx(&c);
  if (r) return r;
  *pconfig = c->cache_config;
  return CUDA_SUCCESS;
}

CPUDEV_API CUresult cuCtxSetCacheConfig(CUfunc_cache config) {
  if ((unsigned)config > CU_FUNC_CACHE_PREFER_EQUAL) return CUDA_ERROR_INVALID_VALUE;
  CUcontext c;
  CUresult r = cpudev_current_ctx(&c);
  if (r) return r;
  c->cache_config = config;
  return CUDA_SUCCESS;
}

CPUDEV_API CUresult cuCtxGetStreamPriorityRange(int *leastPriority, int *greatestPriority) {
  CUcontext c;
  CUresult r = cpudev_current_ctx(&c);
  if (r) return r;
  if (leastPriority) *leastPriority = 0;
  if (greatestPriority) *greatestPriority = -5;
  return CUDA_SUCCESS;
}

CPUDEV_API CUresult cuCtxResetPersistingL2Cache(void) {
  CUcontext c;
  return cpudev_current_ctx(&c);
}

/* ---- primary contexts ---- */

/* The checks every primary-context call makes first. */
static CUresult primary_check_device(CUdevice dev) {
  if (!cpudev_initialized()) return CUDA_ERROR_NOT_INITIALIZED;
  return cpudev_device_at(dev) ? CUDA_SUCCESS : CUDA_ERROR_INVALID_DEVICE;
}

/* Sets the flags a device's primary context has, now and when next retained. Lock held. */
static void primary_store_flags(CUdevice dev, unsigned flags) {
  g_primary_flags[dev] = flags;
  if (g_primary[dev]) g_primary[dev]->flags = flags;
}

CPUDEV_API CUresult cuDevicePrimaryCtxRetain(CUcontext *pctx, CUdevice dev) {
  if (!cpudev_initialized()) return CUDA_ERROR_NOT_INITIALIZED;
  if (!pctx) return CUDA_ERROR_INVALID_VALUE;
  if (!cpudev_device_at(dev)) return CUDA_ERROR_INVALID_DEVICE;
  cpudev_lock();
  if (!g_primary[dev]) {
    g_primary[dev] = ctx_new(dev, g_primary_flags[dev], 1);
    if (!g_primary[dev]) {
      cpudev_unlock();
      return CUDA_ERROR_OUT_OF_MEMORY;
    }
  }
  CUcontext c = g_primary[dev];
  g_primary_refs[dev]++;
  c->active = 1;
  c->flags = g_primary_flags[dev];
  cpudev_unlock();
  *pctx = c;
  return CUDA_SUCCESS;
}

CPUDEV_API CUresult cuDevicePrimaryCtxRelease_v2(CUdevice dev) {
  CUresult r = primary_check_device(dev);
  if (r) return r;
  cpudev_lock();
  if (g_primary_refs[dev] == 0) {
    cpudev_unlock();
    return CUDA_ERROR_INVALID_CONTEXT;
  }
  if (--g_primary_refs[dev] == 0) {
    ctx_clear(g_primary[dev]);
    g_primary[dev]->active = 0;
  }
  cpudev_unlock();
  return CUDA_SUCCESS;
}

CPUDEV_API CUresult cuDevicePrimaryCtxReset_v2(CUdevice dev) {
  CUresult r = primary_check_device(dev);
  if (r) return r;
  cpudev_lock();
  if (g_primary[dev]) ctx_clear(g_primary[dev]);
  primary_store_flags(dev, 0);
  cpudev_unlock();
  return CUDA_SUCCESS;
}

CPUDEV_API CUresult cuDevicePrimaryCtxSetFlags_v2(CUdevice dev, unsigned int flags) {
  CUresult r = primary_check_device(dev);
  if (r) return r;
  if (flags & ~(unsigned)CU_CTX_FLAGS_MASK) return CUDA_ERROR_INVALID_VALUE;
  cpudev_lock();
  primary_store_flags(dev, flags);
  cpudev_unlock();
  return CUDA_SUCCESS;
}

CPUDEV_API CUresult cuDevicePrimaryCtxGetState(CUdevice dev, unsigned int *flags, int *active) {
  CUresult r = primary_check_device(dev);
  if (r) return r;
  if (!flags || !active) return CUDA_ERROR_INVALID_VALUE;
  cpudev_lock();
  *flags = g_primary_flags[dev];
  *active = g_primary_refs[dev] > 0;
  cpudev_unlock();
  return CUDA_SUCCESS;
}

/* ---- peers: one device per process view, no peer access ---- */

CPUDEV_API CUresult cuCtxEnablePeerAccess(CUcontext peerContext, unsigned int Flags) {
  (void)peerContext;
  if (Flags != 0) return CUDA_ERROR_INVALID_VALUE;
  CUcontext c;
  CUresult r = cpudev_current_ctx(&c);
  return r ? r : CUDA_ERROR_PEER_ACCESS_UNSUPPORTED;
}

CPUDEV_API CUresult cuCtxDisablePeerAccess(CUcontext peerContext) {
  (void)peerContext;
  CUcontext c;
  CUresult r = cpudev_current_ctx(&c);
  return r ? r : CUDA_ERROR_PEER_ACCESS_NOT_ENABLED;
}

/* gpushim's extension (not in cuda.h): device printf of contexts without their own handler goes
 * to `fn` (NULL: the default, stdout). */
CPUDEV_API void gpushim_cpudev_set_default_print_handler(ptx_print_fn fn, void *user) {
  ptx_set_print_handler(fn, user);
}

/* gpushim's extension (not in cuda.h): device printf of the kernels that `ctx` launches goes to
 * `fn` instead of the process-wide handler, so an agent serving several sessions hands each its
 * own output. NULL restores the default. */
CPUDEV_API CUresult gpushim_cpudev_set_print_handler(CUcontext ctx, ptx_print_fn fn, void *user) {
  cpudev_lock();
  CUresult r = cpudev_ctx_is_live(ctx) ? CUDA_SUCCESS : CUDA_ERROR_INVALID_CONTEXT;
  if (r == CUDA_SUCCESS) {
    ctx->print = fn;
    ctx->print_user = user;
  }
  cpudev_unlock();
  return r;
}

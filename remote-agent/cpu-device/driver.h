/* driver.h - internal declarations shared by the CPU device's driver layer (driver_*.c).
 *
 * The CPU device is a libcuda.so.1 of our own. Its objects (contexts, streams, events,
 * modules, functions, allocations) are plain C structs behind cuda.h's opaque handles.
 * One process-wide mutex (cpudev_lock) guards every list and table; stream worker threads
 * run their operations outside it and signal progress on one condition variable.
 */
#ifndef GPUSHIM_CPUDEV_DRIVER_H
#define GPUSHIM_CPUDEV_DRIVER_H

#include <cuda.h>
#include <pthread.h>
#include <stddef.h>
#include <stdint.h>

#include "ptx.h"

#define CPUDEV_API __attribute__((visibility("default")))

#define CPUDEV_MAX_DEVICES 8
#define CPUDEV_DRIVER_VERSION 13000
#define CPUDEV_ALLOC_ALIGN 256
#define CPUDEV_STATIC_SHARED_LIMIT (48 * 1024)
#define CPUDEV_OPTIN_SHARED_LIMIT (227 * 1024)
#define CPUDEV_SHARED_PER_SM (228 * 1024)

/* ---- devices (driver_device.c) ---- */
typedef struct {
  int ordinal;
  int cc_major, cc_minor;
  int sm_count;
  size_t total_mem;
  size_t used_mem;         /* device, managed and module-variable bytes, under cpudev_lock */
  CUuuid uuid;
} cpudev_device;

int cpudev_device_count(void);
cpudev_device *cpudev_device_at(int ordinal);   /* NULL when out of range */
int cpudev_initialized(void);
int cpudev_device_attribute(int attrib, const cpudev_device *dev, int *value);

/* ---- the global lock (driver_context.c) ---- */
void cpudev_lock(void);
void cpudev_unlock(void);
void cpudev_wait(void);        /* waits on the progress condition; lock held */
void cpudev_broadcast(void);   /* wakes every waiter; lock held */
int cpudev_log_enabled(void);

/* ---- contexts (driver_context.c) ---- */
struct CUstream_st;
struct CUevent_st;
struct CUmod_st;

struct CUctx_st {
  uint32_t magic;
  int device;
  unsigned flags;
  int is_primary;
  int active;                /* 0 for a primary context that is released or reset */
  unsigned long long id;
  CUresult sticky;          /* a fault that broke the context, or CUDA_SUCCESS */
  CUresult async_error;     /* a non-sticky asynchronous error, reported once */
  char fault[256];          /* what the engine said about the sticky fault */
  size_t limits[10];
  CUfunc_cache cache_config;
  struct CUstream_st *legacy;     /* the legacy default stream */
  struct CUstream_st *streams;    /* created and per-thread streams */
  struct CUevent_st *events;
  struct CUmod_st *modules;
  struct cpudev_heap *heap;       /* malloc/free in kernels (driver_heap.c), or NULL */
  ptx_print_fn print;             /* device printf of this context's kernels, or NULL */
  void *print_user;
  struct CUctx_st *next;          /* in the list of live contexts */
};

/* Resolves the calling thread's current context: CUDA_ERROR_NOT_INITIALIZED before cuInit,
 * CUDA_ERROR_INVALID_CONTEXT with none, the sticky error of a broken context. */
CUresult cpudev_current_ctx(CUcontext *out);
CUresult cpudev_current_ctx_unchecked(CUcontext *out);   /* no sticky check */
int cpudev_ctx_is_live(CUcontext ctx);                    /* lock held */
int cpudev_ctx_is_live_unlocked(CUcontext ctx);           /* takes the lock itself */
CUresult cpudev_ctx_error(CUcontext ctx);                 /* sticky, then async (cleared) */
CUresult cpudev_ctx_synchronize(CUcontext ctx);           /* waits for every stream */
struct CUctx_st *cpudev_contexts(void);                 /* head of the live list; lock held */
CUcontext cpudev_stream_owner(struct CUstream_st *s);     /* live context listing s; lock held */
CUcontext cpudev_event_owner(struct CUevent_st *e);       /* live context listing e; lock held */

/* ---- memory (driver_memory.c) ---- */
typedef enum {
  CPUDEV_MEM_DEVICE,
  CPUDEV_MEM_HOST,          /* cuMemAllocHost / cuMemHostAlloc */
  CPUDEV_MEM_REGISTERED,    /* cuMemHostRegister: the user's memory */
  CPUDEV_MEM_MANAGED,
  CPUDEV_MEM_MODULE_VAR,    /* storage of a module's .global / .const variable */
  CPUDEV_MEM_VMM,           /* a cuMemMap mapping made accessible (driver_vmm.c owns the memory) */
} cpudev_mem_kind;

typedef struct {
  uintptr_t base;
  size_t size;
  cpudev_mem_kind kind;
  CUcontext ctx;
  unsigned flags;
  unsigned long long id;
} cpudev_alloc;

/* Allocates zeroed, 256-aligned memory of `kind`, charged to the context's device where the
 * kind lives on the device. */
CUresult cpudev_mem_alloc(CUcontext ctx, size_t size, cpudev_mem_kind kind, unsigned flags,
                          uintptr_t *out);
CUresult cpudev_mem_release(uintptr_t base);                 /* frees or unregisters */
int cpudev_mem_find(uintptr_t p, cpudev_alloc *out);         /* lock taken inside */
void cpudev_mem_release_ctx(CUcontext ctx);                  /* frees all of a context's memory */
ptx_range *cpudev_mem_snapshot(CUcontext ctx, size_t *count); /* malloc'd sorted copy */
/* Virtual memory mappings (driver_vmm.c): enters [base, base+size) in the table for kernels of
 * ctx, or takes every mapping entry inside a range out; the memory itself is left alone. */
CUresult cpudev_mem_add_mapping(CUcontext ctx, uintptr_t base, size_t size);
void cpudev_mem_remove_mappings(uintptr_t base, size_t size);

/* ---- the device heap of malloc/free in kernels (driver_heap.c) ---- */
ptx_heap *cpudev_heap_of(CUcontext ctx);      /* made on first use; lock not held */
void cpudev_heap_release(CUcontext ctx);      /* at context reset/destroy; lock not held */
int cpudev_heap_in_use(CUcontext ctx);        /* a kernel has called malloc; lock not held */

/* ---- arrays, texture and surface objects (driver_array.c) ---- */
/* Where an array's elements live (rows packed: pitch = width x element size). */
CUresult cpudev_array_layout(CUarray a, uintptr_t *data, size_t *pitch, size_t *height, size_t *bytes);
/* The context's texture and surface objects whose memory lies in `ranges` (a launch's
 * snapshot); malloc'd, NULL with *count 0 when there are none. Lock not held. */
ptx_texture *cpudev_tex_snapshot(CUcontext ctx, const ptx_range *ranges, size_t nranges, size_t *count);
void cpudev_array_release_ctx(CUcontext ctx);   /* forgets a context's arrays and objects */

/* ---- streams and events (driver_stream.c) ---- */
typedef struct cpudev_op cpudev_op;
typedef void (*cpudev_op_fn)(cpudev_op *op);

struct cpudev_op {
  int refs;
  int done;
  int started;
  cpudev_op_fn run;          /* the work, run on the stream's worker without the lock */
  cpudev_op_fn cleanup;      /* frees what `arg` holds; may be NULL */
  void *arg;
  CUcontext ctx;
  struct CUstream_st *stream;
  cpudev_op **deps;          /* ops that must be done first (each holds a reference) */
  size_t ndeps;
  double time_ms;            /* completion time, for events */
  cpudev_op *next;           /* in the stream's queue */
};

struct CUstream_st {
  uint32_t magic;
  CUcontext ctx;
  unsigned flags;
  int priority;
  int is_legacy;
  int per_thread;
  pthread_t owner;           /* per-thread default streams: their host thread */
  unsigned long long id;
  cpudev_op *head, *tail;    /* queued, not yet finished */
  cpudev_op *last;           /* most recently enqueued op (a reference), or NULL */
  pthread_t thread;
  int thread_started;
  int stopping;
  struct CUstream_st *next;  /* in ctx->streams */
};

struct CUevent_st {
  uint32_t magic;
  CUcontext ctx;
  unsigned flags;
  cpudev_op *op;             /* the last record (a reference), or NULL if never recorded */
  struct CUevent_st *next;
};

/* Resolves a CUstream handle (NULL, CU_STREAM_LEGACY, CU_STREAM_PER_THREAD or a created
 * stream) for a call on the current context. `per_thread_default` gives NULL the
 * per-thread meaning (the _ptsz / _ptds entry points). Lock held. */
CUresult cpudev_stream_resolve(CUcontext ctx, CUstream h, int per_thread_default,
                               struct CUstream_st **out);
/* Creates an op; enqueue takes ownership. */
cpudev_op *cpudev_op_new(cpudev_op_fn run, cpudev_op_fn cleanup, void *arg);
/* Enqueues on `s` with the default-stream ordering rules plus an optional extra dependency.
 * Lock held. Returns CUDA_ERROR_OUT_OF_MEMORY if no worker thread could start. */
CUresult cpudev_enqueue(struct CUstream_st *s, cpudev_op *op, cpudev_op *extra_dep);
void cpudev_op_unref(cpudev_op *op);                  /* lock held */
void cpudev_op_wait(cpudev_op *op);                   /* lock held */
void cpudev_stream_wait_idle(struct CUstream_st *s);  /* lock held; s must stay alive */
/* Waits for the work enqueued so far on the context's streams (only the legacy and
 * blocking ones if blocking_only). Safe against streams destroyed meanwhile. Lock held. */
void cpudev_ctx_wait_all(CUcontext ctx, int blocking_only);
void cpudev_stream_free(struct CUstream_st *s);       /* drains, joins; lock held */
struct CUstream_st *cpudev_stream_new(CUcontext ctx, unsigned flags, int priority);
void cpudev_event_free(struct CUevent_st *e);         /* lock held */

/* Runs `run(arg)` on stream h in order (sync: and waits for it). Used by copies/memsets. */
CUresult cpudev_submit(CUstream h, int per_thread_default, int sync, cpudev_op_fn run,
                       cpudev_op_fn cleanup, void *arg);

/* ---- modules (driver_module.c) ---- */
struct CUfunc_st {
  uint32_t magic;
  struct CUmod_st *module;
  const ptx_kernel *kernel;
  const ptx_kernel_info *info;
  int max_dynamic_shared;
  int carveout;
  CUfunc_cache cache_config;
};

struct CUmod_st {
  uint32_t magic;
  unsigned long long id;     /* unique per load, so a stale handle never matches a new module */
  CUcontext ctx;
  ptx_module *ptx;
  size_t nfuncs;
  struct CUfunc_st *funcs;
  size_t nvars;
  uintptr_t *var_addr;
  struct CUmod_st *next;     /* in ctx->modules */
};

int cpudev_func_is_valid(CUfunction f);         /* lock held */
void cpudev_module_free(struct CUmod_st *m);    /* lock held */
/* Loads an image (fatbin, fatbin wrapper, PTX text; `size` 0 when unknown) into ctx.
 * On failure writes a message into err (if given). */
CUresult cpudev_module_load(CUcontext ctx, const void *image, size_t size, CUmodule *out, char *err,
                            size_t errlen);
/* Records (and with GPUSHIM_LOG, prints) a one-line diagnostic for the calling thread. */
void cpudev_diag(const char *fmt, ...) __attribute__((format(printf, 1, 2)));
void cpudev_diag_set(const char *msg);   /* records without printing */

/* ---- launch (driver_launch.c) ---- */
CUresult cpudev_launch(CUfunction f, const unsigned grid[3], const unsigned block[3],
                       unsigned shared, CUstream h, void **params, void **extra,
                       int per_thread_default);
CUresult cpudev_map_ptx_status(ptx_status s, const char *msg);

#define CPUDEV_MAGIC_CTX 0x43545831u
#define CPUDEV_MAGIC_STREAM 0x53545231u
#define CPUDEV_MAGIC_EVENT 0x45564e31u
#define CPUDEV_MAGIC_MODULE 0x4d4f4431u
#define CPUDEV_MAGIC_FUNC 0x46554e31u

#endif

/* driver_stream.c - streams and events: in-order work queues, each run by a worker thread.
 *
 * Every piece of stream work is an op (a function plus its argument). An op may depend on
 * other ops; the worker starts it only when they are done. Ordering rules are dependencies:
 *   - an op on the legacy default stream waits for the last op of every blocking stream
 *     of its context; an op on a blocking stream waits for the legacy stream's last op;
 *   - cuStreamWaitEvent enqueues an empty op that depends on the event's recorded op;
 *   - an event is the op its last cuEventRecord enqueued.
 * After a fault breaks the context, queued ops are skipped (their stream still drains).
 */
#include "driver.h"

#include <stdlib.h>
#include <time.h>

static unsigned long long g_next_stream_id = 3;   /* 1 and 2 are the default streams */

static double now_ms(void) {
  struct timespec ts;
  clock_gettime(CLOCK_MONOTONIC, &ts);
  return (double)ts.tv_sec * 1e3 + (double)ts.tv_nsec / 1e6;
}

/* ---- ops ---- */

cpudev_op *cpudev_op_new(cpudev_op_fn run, cpudev_op_fn cleanup, void *arg) {
  cpudev_op *op = calloc(1, sizeof *op);
  if (!op) return NULL;
  op->run = run;
  op->cleanup = cleanup;
  op->arg = arg;
  op->refs = 1;
  return op;
}

void cpudev_op_unref(cpudev_op *op) {
  if (!op || --op->refs > 0) return;
  for (size_t i = 0; i < op->ndeps; i++) cpudev_op_unref(op->deps[i]);
  free(op->deps);
  if (op->cleanup) op->cleanup(op);
  free(op);
}

void cpudev_op_wait(cpudev_op *op) {
  while (!op->done) cpudev_wait();
}

static int op_add_dep(cpudev_op *op, cpudev_op *dep) {
  if (!dep || dep->done || dep == op) return 0;
  cpudev_op **d = realloc(op->deps, (op->ndeps + 1) * sizeof *d);
  if (!d) return -1;
  op->deps = d;
  d[op->ndeps++] = dep;
  dep->refs++;
  return 0;
}

static int op_ready(const cpudev_op *op) {
  for (size_t i = 0; i < op->ndeps; i++)
    if (!op->deps[i]->done) return 0;
  return 1;
}

/* ---- the worker ---- */

/* Runs the head op of s (ready, not yet started) and retires it. Lock held; released
 * while the op runs. */
static void op_execute(struct CUstream_st *s, cpudev_op *op) {
  int skip = s->ctx->sticky != CUDA_SUCCESS;
  op->started = 1;
  cpudev_unlock();
  if (!skip && op->run) op->run(op);
  double t = now_ms();
  cpudev_lock();
  op->time_ms = t;
  op->done = 1;
  s->head = op->next;
  if (!s->head) s->tail = NULL;
  cpudev_broadcast();
  cpudev_op_unref(op);   /* the queue's reference */
}

static void *stream_worker(void *arg) {
  struct CUstream_st *s = arg;
  cpudev_lock();
  for (;;) {
    while (!s->head && !s->stopping) cpudev_wait();
    if (!s->head) break;
    cpudev_op *op = s->head;
    if (op->started || !op_ready(op)) {   /* running inline on a host thread, or waiting */
      cpudev_wait();
      continue;
    }
    op_execute(s, op);
  }
  cpudev_unlock();
  return NULL;
}

static int stream_start_worker(struct CUstream_st *s) {
  if (s->thread_started) return 0;
  if (pthread_create(&s->thread, NULL, stream_worker, s) != 0) return -1;
  s->thread_started = 1;
  return 0;
}

static int stream_is_blocking(const struct CUstream_st *s) {
  return !s->is_legacy && !(s->flags & CU_STREAM_NON_BLOCKING);
}

CUresult cpudev_enqueue(struct CUstream_st *s, cpudev_op *op, cpudev_op *extra_dep) {
  int failed = 0;
  if (s->is_legacy) {
    for (struct CUstream_st *b = s->ctx->streams; b; b = b->next)
      if (stream_is_blocking(b)) failed |= op_add_dep(op, b->last);
  } else if (stream_is_blocking(s)) {
    failed |= op_add_dep(op, s->ctx->legacy->last);
  }
  failed |= op_add_dep(op, extra_dep);
  if (failed || stream_start_worker(s) != 0) {
    cpudev_op_unref(op);
    return CUDA_ERROR_OUT_OF_MEMORY;
  }
  op->ctx = s->ctx;
  op->stream = s;
  if (s->tail) s->tail->next = op;
  else s->head = op;
  s->tail = op;
  if (s->last) cpudev_op_unref(s->last);
  s->last = op;
  op->refs++;   /* one reference for the queue, one for s->last */
  cpudev_broadcast();
  return CUDA_SUCCESS;
}

void cpudev_stream_wait_idle(struct CUstream_st *s) {
  while (s->head) cpudev_wait();
}

struct CUstream_st *cpudev_stream_new(CUcontext ctx, unsigned flags, int priority) {
  struct CUstream_st *s = calloc(1, sizeof *s);
  if (!s) return NULL;
  s->magic = CPUDEV_MAGIC_STREAM;
  s->ctx = ctx;
  s->flags = flags;
  s->priority = priority;
  s->id = g_next_stream_id++;
  return s;
}

void cpudev_stream_free(struct CUstream_st *s) {
  cpudev_stream_wait_idle(s);
  s->stopping = 1;
  cpudev_broadcast();
  if (s->thread_started) {
    cpudev_unlock();
    pthread_join(s->thread, NULL);
    cpudev_lock();
  }
  if (s->last) cpudev_op_unref(s->last);
  s->magic = 0;
  free(s);
}

static struct CUstream_st *per_thread_stream(CUcontext ctx) {
  pthread_t self = pthread_self();
  for (struct CUstream_st *s = ctx->streams; s; s = s->next)
    if (s->per_thread && pthread_equal(s->owner, self)) return s;
  struct CUstream_st *s = cpudev_stream_new(ctx, 0, 0);
  if (!s) return NULL;
  s->per_thread = 1;
  s->owner = self;
  s->id = 2;
  s->next = ctx->streams;
  ctx->streams = s;
  return s;
}

/* A created stream is valid when some live context lists it. Lock held. */
static int stream_is_listed(CUcontext ctx, struct CUstream_st *s) {
  for (struct CUstream_st *x = ctx->streams; x; x = x->next)
    if (x == s) return 1;
  return 0;
}

CUresult cpudev_stream_resolve(CUcontext ctx, CUstream h, int per_thread_default,
                               struct CUstream_st **out) {
  if (h == CU_STREAM_PER_THREAD || (h == NULL && per_thread_default)) {
    *out = per_thread_stream(ctx);
    return *out ? CUDA_SUCCESS : CUDA_ERROR_OUT_OF_MEMORY;
  }
  if (h == NULL || h == CU_STREAM_LEGACY) {
    *out = ctx->legacy;
    return CUDA_SUCCESS;
  }
  if (!stream_is_listed(ctx, (struct CUstream_st *)h)) {
    /* A stream of another context: accept it while that context lives. */
    if (!cpudev_stream_owner((struct CUstream_st *)h)) return CUDA_ERROR_INVALID_HANDLE;
  }
  *out = (struct CUstream_st *)h;
  return CUDA_SUCCESS;
}

CUresult cpudev_submit(CUstream h, int per_thread_default, int sync, cpudev_op_fn run,
                       cpudev_op_fn cleanup, void *arg) {
  CUcontext ctx;
  cpudev_op *op = cpudev_op_new(run, cleanup, arg);
  if (!op) {
    if (cleanup) {
      cpudev_op tmp = {.arg = arg};
      cleanup(&tmp);
    }
    return CUDA_ERROR_OUT_OF_MEMORY;
  }
  CUresult r = cpudev_current_ctx(&ctx);
  cpudev_lock();
  struct CUstream_st *s = NULL;
  if (!r) r = cpudev_stream_resolve(ctx, h, per_thread_default, &s);
  if (r) {
    cpudev_op_unref(op);
    cpudev_unlock();
    return r;
  }
  op->refs++;   /* ours, to wait on */
  r = cpudev_enqueue(s, op, NULL);
  if (r == CUDA_SUCCESS && sync) {
    /* Nothing ahead of it: run it here rather than hand it to the worker and wait. */
    CUcontext owner = s->ctx;   /* s may be destroyed while we wait */
    if (s->head == op && !op->started && op_ready(op)) op_execute(s, op);
    cpudev_op_wait(op);
    r = owner->sticky;
  }
  cpudev_op_unref(op);
  cpudev_unlock();
  return r;
}

/* Finds a live event (of any live context). Lock held. */
static struct CUevent_st *event_find(CUevent h) {
  return h && cpudev_event_owner(h) ? h : NULL;
}

/* Gets the current context and takes the lock; on failure the lock is not held. */
static CUresult lock_current_ctx(CUcontext *ctx) {
  CUresult r = cpudev_current_ctx(ctx);
  if (!r) cpudev_lock();
  return r;
}

/* Finds a live event for an event call, in the current context. Lock held on success. */
static CUresult event_lookup_locked(CUevent h, CUcontext *ctx, struct CUevent_st **out) {
  CUresult r = lock_current_ctx(ctx);
  if (r) return r;
  *out = event_find(h);
  if (*out) return CUDA_SUCCESS;
  cpudev_unlock();
  return CUDA_ERROR_INVALID_HANDLE;
}

/* ---- streams: the API ---- */

static CUresult stream_create(CUstream *phStream, unsigned flags, int priority) {
  if (!phStream || (flags & ~(unsigned)CU_STREAM_NON_BLOCKING)) return CUDA_ERROR_INVALID_VALUE;
  CUcontext ctx;
  CUresult r = cpudev_current_ctx(&ctx);
  if (r) return r;
  if (priority > 0) priority = 0;
  if (priority < -5) priority = -5;
  cpudev_lock();
  struct CUstream_st *s = cpudev_stream_new(ctx, flags, priority);
  if (s) {
    s->next = ctx->streams;
    ctx->streams = s;
  }
  cpudev_unlock();
  if (!s) return CUDA_ERROR_OUT_OF_MEMORY;
  *phStream = s;
  return CUDA_SUCCESS;
}

CPUDEV_API CUresult cuStreamCreate(CUstream *phStream, unsigned int Flags) {
  return stream_create(phStream, Flags, 0);
}

CPUDEV_API CUresult cuStreamCreateWithPriority(CUstream *phStream, unsigned int flags, int priority) {
  return stream_create(phStream, flags, priority);
}

CPUDEV_API CUresult cuStreamDestroy_v2(CUstream hStream) {
  CUcontext ctx;
  CUresult r = cpudev_current_ctx_unchecked(&ctx);
  if (r) return r;
  if (!hStream || hStream == CU_STREAM_LEGACY || hStream == CU_STREAM_PER_THREAD)
    return CUDA_ERROR_INVALID_HANDLE;
  cpudev_lock();
  struct CUstream_st *s = hStream;
  if (!stream_is_listed(ctx, s) || s->per_thread) {
    cpudev_unlock();
    return CUDA_ERROR_INVALID_HANDLE;
  }
  for (struct CUstream_st **p = &ctx->streams; *p; p = &(*p)->next)
    if (*p == s) {
      *p = s->next;
      break;
    }
  cpudev_stream_free(s);
  cpudev_unlock();
  return CUDA_SUCCESS;
}

/* Looks up a stream for a query-style call. Lock held on success. */
static CUresult stream_lookup_locked(CUstream h, int per_thread_default, CUcontext *pctx,
                                     struct CUstream_st **out) {
  CUresult r = cpudev_current_ctx_unchecked(pctx);
  if (r) return r;
  cpudev_lock();
  r = cpudev_stream_resolve(*pctx, h, per_thread_default, out);
  if (r) cpudev_unlock();
  return r;
}

static CUresult stream_query(CUstream h, int ptds) {
  CUcontext ctx;
  struct CUstream_st *s;
  CUresult r = stream_lookup_locked(h, ptds, &ctx, &s);
  if (r) return r;
  r = s->ctx->sticky;
  if (!r && s->head) r = CUDA_ERROR_NOT_READY;
  cpudev_unlock();
  return r;
}

/* Waits for the ops that were last on the given streams when called. The streams may be
 * destroyed meanwhile (waiting releases the lock), so only the ops, which are reference
 * counted, are held across the waits. Returns -1, having waited for nothing, if it had
 * no memory for the list. Lock held. */
static int wait_for_lasts(struct CUstream_st **streams, size_t n) {
  cpudev_op *small[16], **ops = n <= 16 ? small : malloc(n * sizeof *ops);
  if (!ops) return -1;
  size_t k = 0;
  for (size_t i = 0; i < n; i++) {
    cpudev_op *last = streams[i]->last;
    if (!last || last->done) continue;
    last->refs++;
    ops[k++] = last;
  }
  for (size_t i = 0; i < k; i++) {
    cpudev_op_wait(ops[i]);
    cpudev_op_unref(ops[i]);
  }
  if (ops != small) free(ops);
  return 0;
}

/* Without memory for lists: wait until every stream is idle, rescanning after each wait. */
static void wait_until_idle(CUcontext ctx, int blocking_only) {
  for (int busy = 1; busy;) {
    busy = ctx->legacy->head != NULL;
    for (struct CUstream_st *b = ctx->streams; b && !busy; b = b->next)
      busy = (!blocking_only || stream_is_blocking(b)) && b->head != NULL;
    if (busy) cpudev_wait();
  }
}

void cpudev_ctx_wait_all(CUcontext ctx, int blocking_only) {
  size_t n = 1;
  for (struct CUstream_st *b = ctx->streams; b; b = b->next) n++;
  struct CUstream_st *small[16], **list = n <= 16 ? small : malloc(n * sizeof *list);
  if (!list) {
    wait_until_idle(ctx, blocking_only);
    return;
  }
  size_t k = 0;
  list[k++] = ctx->legacy;
  for (struct CUstream_st *b = ctx->streams; b; b = b->next)
    if (!blocking_only || stream_is_blocking(b)) list[k++] = b;
  if (wait_for_lasts(list, k) != 0) wait_until_idle(ctx, blocking_only);
  if (list != small) free(list);
}

static CUresult stream_synchronize(CUstream h, int ptds) {
  CUcontext ctx;
  struct CUstream_st *s;
  CUresult r = stream_lookup_locked(h, ptds, &ctx, &s);
  if (r) return r;
  CUcontext owner = s->ctx;
  if (s->is_legacy)   /* the legacy stream also waits for every blocking stream */
    cpudev_ctx_wait_all(owner, 1);
  else
    wait_for_lasts(&s, 1);
  r = cpudev_ctx_error(owner);
  cpudev_unlock();
  return r;
}

static CUresult stream_wait_event(CUstream h, CUevent ev, unsigned flags, int ptds) {
  if (flags != 0 && flags != CU_EVENT_WAIT_EXTERNAL) return CUDA_ERROR_INVALID_VALUE;
  CUcontext ctx;
  CUresult r = lock_current_ctx(&ctx);
  if (r) return r;
  struct CUstream_st *s;
  r = cpudev_stream_resolve(ctx, h, ptds, &s);
  struct CUevent_st *e = ev;
  if (!r && !event_find(e)) r = CUDA_ERROR_INVALID_HANDLE;
  if (!r && e->op && !e->op->done) {
    cpudev_op *op = cpudev_op_new(NULL, NULL, NULL);
    r = op ? cpudev_enqueue(s, op, e->op) : CUDA_ERROR_OUT_OF_MEMORY;
  }
  cpudev_unlock();
  return r;
}

/* What the cuStreamGet* calls report. */
typedef enum { STREAM_FLAGS, STREAM_PRIORITY, STREAM_CTX, STREAM_DEVICE, STREAM_ID } stream_property;

/* Writes one property of a stream to out, whose type is the one its cuStreamGet* call takes. */
static CUresult stream_get(CUstream h, int ptds, stream_property what, void *out) {
  if (!out) return CUDA_ERROR_INVALID_VALUE;
  CUcontext ctx;
  struct CUstream_st *s;
  CUresult r = stream_lookup_locked(h, ptds, &ctx, &s);
  if (r) return r;
  switch (what) {
  case STREAM_FLAGS: *(unsigned *)out = s->flags; break;
  case STREAM_PRIORITY: *(int *)out = s->priority; break;
  case STREAM_CTX: *(CUcontext *)out = s->ctx; break;
  case STREAM_DEVICE: *(CUdevice *)out = s->ctx->device; break;
  case STREAM_ID: *(unsigned long long *)out = s->is_legacy ? 1 : s->id; break;
  }
  cpudev_unlock();
  return CUDA_SUCCESS;
}

/* Host functions and callbacks run on the stream's worker, in order. */
typedef struct {
  CUhostFn fn;
  CUstreamCallback callback;
  CUstream handle;
  void *user;
} host_call;

static void run_host_call(cpudev_op *op) {
  host_call *h = op->arg;
  if (h->fn) h->fn(h->user);
  else h->callback(h->handle, op->ctx->sticky, h->user);
}

static void free_arg(cpudev_op *op) { free(op->arg); }

static CUresult launch_host(CUstream h, CUhostFn fn, CUstreamCallback cb, void *user, int ptds) {
  if (!fn && !cb) return CUDA_ERROR_INVALID_VALUE;
  host_call *hc = malloc(sizeof *hc);
  if (!hc) return CUDA_ERROR_OUT_OF_MEMORY;
  hc->fn = fn;
  hc->callback = cb;
  hc->handle = h;
  hc->user = user;
  return cpudev_submit(h, ptds, 0, run_host_call, free_arg, hc);
}

static CUresult add_callback(CUstream h, CUstreamCallback cb, void *user, unsigned flags, int ptds) {
  if (flags != 0) return CUDA_ERROR_INVALID_VALUE;
  return launch_host(h, NULL, cb, user, ptds);   /* rejects a NULL callback */
}

CPUDEV_API CUresult cuStreamQuery(CUstream hStream) { return stream_query(hStream, 0); }
CPUDEV_API CUresult cuStreamQuery_ptsz(CUstream hStream) { return stream_query(hStream, 1); }
CPUDEV_API CUresult cuStreamSynchronize(CUstream hStream) { return stream_synchronize(hStream, 0); }
CPUDEV_API CUresult cuStreamSynchronize_ptsz(CUstream hStream) { return stream_synchronize(hStream, 1); }
CPUDEV_API CUresult cuStreamWaitEvent(CUstream hStream, CUevent hEvent, unsigned int Flags) {
  return stream_wait_event(hStream, hEvent, Flags, 0);
}
CPUDEV_API CUresult cuStreamWaitEvent_ptsz(CUstream hStream, CUevent hEvent, unsigned int Flags) {
  return stream_wait_event(hStream, hEvent, Flags, 1);
}
CPUDEV_API CUresult cuStreamGetFlags(CUstream hStream, unsigned int *flags) {
  return stream_get(hStream, 0, STREAM_FLAGS, flags);
}
CPUDEV_API CUresult cuStreamGetFlags_ptsz(CUstream hStream, unsigned int *flags) {
  return stream_get(hStream, 1, STREAM_FLAGS, flags);
}
CPUDEV_API CUresult cuStreamGetPriority(CUstream hStream, int *priority) {
  return stream_get(hStream, 0, STREAM_PRIORITY, priority);
}
CPUDEV_API CUresult cuStreamGetPriority_ptsz(CUstream hStream, int *priority) {
  return stream_get(hStream, 1, STREAM_PRIORITY, priority);
}
CPUDEV_API CUresult cuStreamGetCtx(CUstream hStream, CUcontext *pctx) {
  return stream_get(hStream, 0, STREAM_CTX, pctx);
}
CPUDEV_API CUresult cuStreamGetCtx_ptsz(CUstream hStream, CUcontext *pctx) {
  return stream_get(hStream, 1, STREAM_CTX, pctx);
}
CPUDEV_API CUresult cuStreamGetId(CUstream hStream, unsigned long long *streamId) {
  return stream_get(hStream, 0, STREAM_ID, streamId);
}
CPUDEV_API CUresult cuStreamGetId_ptsz(CUstream hStream, unsigned long long *streamId) {
  return stream_get(hStream, 1, STREAM_ID, streamId);
}
CPUDEV_API CUresult cuStreamGetDevice(CUstream hStream, CUdevice *device) {
  return stream_get(hStream, 0, STREAM_DEVICE, device);
}
CPUDEV_API CUresult cuStreamGetDevice_ptsz(CUstream hStream, CUdevice *device) {
  return stream_get(hStream, 1, STREAM_DEVICE, device);
}
CPUDEV_API CUresult cuStreamAddCallback(CUstream hStream, CUstreamCallback callback, void *userData,
                                        unsigned int flags) {
  return add_callback(hStream, callback, userData, flags, 0);
}
CPUDEV_API CUresult cuStreamAddCallback_ptsz(CUstream hStream, CUstreamCallback callback, void *userData,
                                             unsigned int flags) {
  return add_callback(hStream, callback, userData, flags, 1);
}
CPUDEV_API CUresult cuLaunchHostFunc(CUstream hStream, CUhostFn fn, void *userData) {
  return launch_host(hStream, fn, NULL, userData, 0);
}
CPUDEV_API CUresult cuLaunchHostFunc_ptsz(CUstream hStream, CUhostFn fn, void *userData) {
  return launch_host(hStream, fn, NULL, userData, 1);
}

/* ---- events ---- */

void cpudev_event_free(struct CUevent_st *e) {
  if (e->op) cpudev_op_unref(e->op);
  e->magic = 0;
  free(e);
}

CPUDEV_API CUresult cuEventCreate(CUevent *phEvent, unsigned int Flags) {
  unsigned known = CU_EVENT_BLOCKING_SYNC | CU_EVENT_DISABLE_TIMING | CU_EVENT_INTERPROCESS;
  if (!phEvent || (Flags & ~known)) return CUDA_ERROR_INVALID_VALUE;
  if ((Flags & CU_EVENT_INTERPROCESS) && !(Flags & CU_EVENT_DISABLE_TIMING)) return CUDA_ERROR_INVALID_VALUE;
  CUcontext ctx;
  CUresult r = cpudev_current_ctx(&ctx);
  if (r) return r;
  struct CUevent_st *e = calloc(1, sizeof *e);
  if (!e) return CUDA_ERROR_OUT_OF_MEMORY;
  e->magic = CPUDEV_MAGIC_EVENT;
  e->ctx = ctx;
  e->flags = Flags;
  cpudev_lock();
  e->next = ctx->events;
  ctx->events = e;
  cpudev_unlock();
  *phEvent = e;
  return CUDA_SUCCESS;
}

CPUDEV_API CUresult cuEventDestroy_v2(CUevent hEvent) {
  CUcontext cur;
  CUresult r = cpudev_current_ctx_unchecked(&cur);
  if (r) return r;
  cpudev_lock();
  CUcontext ctx = hEvent ? cpudev_event_owner(hEvent) : NULL;
  r = CUDA_ERROR_INVALID_HANDLE;
  for (struct CUevent_st **p = ctx ? &ctx->events : NULL; p && *p; p = &(*p)->next)
    if (*p == hEvent) {
      *p = hEvent->next;
      cpudev_event_free(hEvent);
      r = CUDA_SUCCESS;
      break;
    }
  cpudev_unlock();
  return r;
}

static CUresult event_record(CUevent hEvent, CUstream hStream, unsigned flags, int ptds) {
  if (flags & ~(unsigned)CU_EVENT_RECORD_EXTERNAL) return CUDA_ERROR_INVALID_VALUE;
  CUcontext ctx;
  struct CUevent_st *e;
  CUresult r = event_lookup_locked(hEvent, &ctx, &e);
  if (r) return r;
  struct CUstream_st *s = NULL;
  r = cpudev_stream_resolve(ctx, hStream, ptds, &s);
  cpudev_op *op = NULL;
  if (!r) {
    op = cpudev_op_new(NULL, NULL, NULL);
    if (!op) r = CUDA_ERROR_OUT_OF_MEMORY;
  }
  if (!r) {
    op->refs++;   /* the event's reference */
    r = cpudev_enqueue(s, op, NULL);
    if (r == CUDA_SUCCESS) {
      if (e->op) cpudev_op_unref(e->op);
      e->op = op;
    }
  }
  cpudev_unlock();
  return r;
}

CPUDEV_API CUresult cuEventRecord(CUevent hEvent, CUstream hStream) { return event_record(hEvent, hStream, 0, 0); }
CPUDEV_API CUresult cuEventRecord_ptsz(CUevent hEvent, CUstream hStream) {
  return event_record(hEvent, hStream, 0, 1);
}
CPUDEV_API CUresult cuEventRecordWithFlags(CUevent hEvent, CUstream hStream, unsigned int flags) {
  return event_record(hEvent, hStream, flags, 0);
}
CPUDEV_API CUresult cuEventRecordWithFlags_ptsz(CUevent hEvent, CUstream hStream, unsigned int flags) {
  return event_record(hEvent, hStream, flags, 1);
}

CPUDEV_API CUresult cuEventQuery(CUevent hEvent) {
  CUcontext ctx;
  struct CUevent_st *e;
  CUresult r = event_lookup_locked(hEvent, &ctx, &e);
  if (r) return r;
  if (e->op && !e->op->done) r = CUDA_ERROR_NOT_READY;
  cpudev_unlock();
  return r;
}

CPUDEV_API CUresult cuEventSynchronize(CUevent hEvent) {
  CUcontext ctx;
  struct CUevent_st *e;
  CUresult r = event_lookup_locked(hEvent, &ctx, &e);
  if (r) return r;
  if (e->op) {
    cpudev_op *op = e->op;
    op->refs++;
    cpudev_op_wait(op);
    cpudev_op_unref(op);
    r = ctx->sticky;
  }
  cpudev_unlock();
  return r;
}

static CUresult event_elapsed(float *ms, CUevent hStart, CUevent hEnd) {
  if (!ms) return CUDA_ERROR_INVALID_VALUE;
  CUcontext ctx;
  CUresult r = lock_current_ctx(&ctx);
  if (r) return r;
  struct CUevent_st *a = event_find(hStart), *b = event_find(hEnd);
  if (!a || !b) r = CUDA_ERROR_INVALID_HANDLE;
  else if ((a->flags | b->flags) & CU_EVENT_DISABLE_TIMING) r = CUDA_ERROR_INVALID_HANDLE;
  else if (!a->op || !b->op) r = CUDA_ERROR_INVALID_HANDLE;
  else if (!a->op->done || !b->op->done) r = CUDA_ERROR_NOT_READY;
  else *ms = (float)(b->op->time_ms - a->op->time_ms);
  cpudev_unlock();
  return r;
}

CPUDEV_API CUresult cuEventElapsedTime_v2(float *pMilliseconds, CUevent hStart, CUevent hEnd) {
  return event_elapsed(pMilliseconds, hStart, hEnd);
}

CPUDEV_API CUresult cuCtxRecordEvent(CUcontext hCtx, CUevent hEvent) {
  (void)hCtx;
  return event_record(hEvent, CU_STREAM_LEGACY, 0, 0);
}

CPUDEV_API CUresult cuCtxWaitEvent(CUcontext hCtx, CUevent hEvent) {
  (void)hCtx;
  return stream_wait_event(CU_STREAM_LEGACY, hEvent, 0, 0);
}

/* Stream capture (graphs) is not offered: streams are never capturing. */
static CUresult stream_is_capturing(CUstream h, CUstreamCaptureStatus *status, int ptds) {
  if (!status) return CUDA_ERROR_INVALID_VALUE;
  CUcontext ctx;
  struct CUstream_st *s;
  CUresult r = stream_lookup_locked(h, ptds, &ctx, &s);
  if (r) return r;
  cpudev_unlock();
  *status = CU_STREAM_CAPTURE_STATUS_NONE;
  return CUDA_SUCCESS;
}

CPUDEV_API CUresult cuStreamIsCapturing(CUstream hStream, CUstreamCaptureStatus *captureStatus) {
  return stream_is_capturing(hStream, captureStatus, 0);
}
CPUDEV_API CUresult cuStreamIsCapturing_ptsz(CUstream hStream, CUstreamCaptureStatus *captureStatus) {
  return stream_is_capturing(hStream, captureStatus, 1);
}
CPUDEV_API CUresult cuThreadExchangeStreamCaptureMode(CUstreamCaptureMode *mode) {
  if (!mode) return CUDA_ERROR_INVALID_VALUE;
  *mode = CU_STREAM_CAPTURE_MODE_GLOBAL;
  return CUDA_SUCCESS;
}

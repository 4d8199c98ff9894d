/* rt_capture.c - stream capture: stream-ordered calls on a capturing stream become graph nodes.
 *
 * Every stream-ordered runtime call (kernel launch, async copy/memset, host function, event
 * record/wait, graph launch) describes itself as an rt_op and ends in rt_submit. With no
 * capture anywhere that is one atomic load and the op is issued. Otherwise, under one lock:
 *   - a capturing stream turns the op into a node depending on the stream's current
 *     dependency set, which becomes {node};
 *   - cudaEventRecord on a capturing stream remembers the stream's dependency set in the event;
 *     cudaStreamWaitEvent on such an event joins the waiting stream to the capture (fork) or
 *     adds the event's set to a capturing stream's (join);
 *   - work on the legacy stream while a blocking stream captures is an implicit dependency:
 *     cudaErrorStreamCaptureImplicit, and the capture is invalidated.
 * cudaStreamEndCapture on the origin stream requires every forked stream to be joined back
 * (cudaErrorStreamCaptureUnjoined otherwise). Potentially unsafe calls (synchronous copies,
 * cudaMalloc, device synchronisation) are refused per the thread's capture mode as CUDA does
 * (cudaThreadExchangeStreamCaptureMode), invalidating the capture they would break. */
#include "runtime.h"

#include <pthread.h>
#include <stdatomic.h>
#include <stdlib.h>
#include <string.h>

typedef struct CUgraphNode_st node;

typedef struct {
  node **v;
  size_t n;
} node_set;

typedef struct capture {
  struct CUgraph_st *graph;
  enum cudaStreamCaptureMode mode;
  bool invalid;
  bool own_graph; /* false for cudaStreamBeginCaptureToGraph: the caller's graph */
  unsigned long long id;
  pthread_t thread; /* the thread that began it */
  CUstream origin;
  struct capture *next;
} capture;

typedef struct stream_state { /* a stream taking part in a capture */
  CUstream stream;
  capture *cap;
  bool blocking; /* synchronises with the legacy stream */
  node_set deps;
  struct stream_state *next;
} stream_state;

typedef struct event_state { /* an event last recorded in a capture */
  CUevent event;
  capture *cap;
  node_set deps;
  struct event_state *next;
} event_state;

static pthread_mutex_t lock = PTHREAD_MUTEX_INITIALIZER;
static atomic_int captures_active; /* fast path: no capture anywhere */
static capture *captures;
static stream_state *streams;
static event_state *events;
static unsigned long long next_capture_id = 1;
static __thread enum cudaStreamCaptureMode thread_mode = cudaStreamCaptureModeGlobal;

/* ---- dependency sets ---- */

static cudaError_t set_assign(node_set *s, node *const *v, size_t n) {
  node **copy = malloc((n ? n : 1) * sizeof *copy);
  if (!copy) return cudaErrorMemoryAllocation;
  if (n) memcpy(copy, v, n * sizeof *copy);
  free(s->v);
  s->v = copy;
  s->n = n;
  return cudaSuccess;
}

static cudaError_t set_union(node_set *s, const node_set *add) {
  node **v = realloc(s->v, (s->n + add->n + 1) * sizeof *v);
  if (!v) return cudaErrorMemoryAllocation;
  s->v = v;
  for (size_t i = 0; i < add->n; i++) {
    size_t j = 0;
    while (j < s->n && s->v[j] != add->v[i]) j++;
    if (j == s->n) s->v[s->n++] = add->v[i];
  }
  return cudaSuccess;
}

/* ---- lookups (lock held) ---- */

static stream_state *find_stream(CUstream s) {
  for (stream_state *st = streams; st; st = st->next)
    if (st->stream == s) return st;
  return NULL;
}

static event_state *find_event(CUevent e) {
  for (event_state *ev = events; ev; ev = ev->next)
    if (ev->event == e) return ev;
  return NULL;
}

static void forget_event(CUevent e) {
  for (event_state **p = &events; *p; p = &(*p)->next)
    if ((*p)->event == e) {
      event_state *ev = *p;
      *p = ev->next;
      free(ev->deps.v);
      free(ev);
      return;
    }
}

static stream_state *join_stream(CUstream s, capture *cap) {
  stream_state *st = calloc(1, sizeof *st);
  if (!st) return NULL;
  unsigned flags = 0;
  st->stream = s;
  st->cap = cap;
  st->blocking = cuStreamGetFlags(s, &flags) == CUDA_SUCCESS && !(flags & CU_STREAM_NON_BLOCKING);
  st->next = streams;
  streams = st;
  return st;
}

/* Forgets every stream and event of cap, and cap itself (its graph goes to the caller). */
static void end_capture(capture *cap) {
  for (stream_state **p = &streams; *p;) {
    stream_state *st = *p;
    if (st->cap != cap) { p = &st->next; continue; }
    *p = st->next;
    free(st->deps.v);
    free(st);
  }
  for (event_state **p = &events; *p;) {
    event_state *ev = *p;
    if (ev->cap != cap) { p = &ev->next; continue; }
    *p = ev->next;
    free(ev->deps.v);
    free(ev);
  }
  for (capture **p = &captures; *p; p = &(*p)->next)
    if (*p == cap) { *p = cap->next; break; }
  free(cap);
  atomic_fetch_sub(&captures_active, 1);
}

/* ---- recording ---- */

static cudaError_t record_event(stream_state *st, CUevent e) {
  event_state *ev = find_event(e);
  if (!ev) {
    if (!(ev = calloc(1, sizeof *ev))) return cudaErrorMemoryAllocation;
    ev->event = e;
    ev->next = events;
    events = ev;
  }
  ev->cap = st->cap;
  return set_assign(&ev->deps, st->deps.v, st->deps.n);
}

/* cudaStreamWaitEvent(s, e) where e was recorded in a capture: s forks from or joins it. */
static cudaError_t wait_captured_event(CUstream s, stream_state *st, event_state *ev) {
  if (st && st->cap != ev->cap) {
    st->cap->invalid = ev->cap->invalid = true;
    return cudaErrorStreamCaptureIsolation;
  }
  if (!st && !(st = join_stream(s, ev->cap))) return cudaErrorMemoryAllocation;
  return set_union(&st->deps, &ev->deps);
}

static cudaError_t record(stream_state *st, const rt_op *op) {
  if (st->cap->invalid) return cudaErrorStreamCaptureInvalidated;
  if (op->kind == RT_OP_EVENT_RECORD && !(op->u.event.flags & cudaEventRecordExternal))
    return record_event(st, op->u.event.event);
  if (op->kind == RT_OP_EVENT_WAIT && !(op->u.event.flags & cudaEventWaitExternal)) {
    event_state *ev = find_event(op->u.event.event);
    if (!ev) { /* an event recorded outside the capture: a dependency across its boundary */
      st->cap->invalid = true;
      return cudaErrorStreamCaptureIsolation;
    }
    return wait_captured_event(st->stream, st, ev);
  }
  node *n;
  cudaError_t err = rt_graph_add(st->cap->graph, op, st->deps.v, st->deps.n, &n);
  return err != cudaSuccess ? err : set_assign(&st->deps, &n, 1);
}

/* Work on the legacy stream would wait for every blocking stream, capturing ones included. */
static bool legacy_conflict(void) {
  bool hit = false;
  for (stream_state *st = streams; st; st = st->next)
    if (st->blocking && !st->cap->invalid) hit = st->cap->invalid = true;
  return hit;
}

cudaError_t rt_submit(cudaStream_t stream, bool per_thread, const rt_op *op) {
  CUstream s = rt_stream(stream, per_thread);
  if (atomic_load(&captures_active) == 0) return rt_check(rt_op_issue(op, s));
  pthread_mutex_lock(&lock);
  stream_state *st = find_stream(s);
  event_state *ev = op->kind == RT_OP_EVENT_WAIT ? find_event(op->u.event.event) : NULL;
  cudaError_t err;
  if (st)
    err = record(st, op);
  else if (ev)
    err = ev->cap->invalid ? cudaErrorStreamCaptureInvalidated : wait_captured_event(s, NULL, ev);
  else if ((s == NULL || s == CU_STREAM_LEGACY) && legacy_conflict())
    err = cudaErrorStreamCaptureImplicit;
  else {
    if (op->kind == RT_OP_EVENT_RECORD) forget_event(op->u.event.event); /* recorded outside again */
    pthread_mutex_unlock(&lock);
    return rt_check(rt_op_issue(op, s));
  }
  pthread_mutex_unlock(&lock);
  return err == cudaSuccess ? err : rt_set_error(err);
}

/* ---- unsafe calls ---- */

/* Whether the calling thread may not make unsafe calls because of cap, per CUDA's rules. */
static bool forbids(const capture *cap) {
  if (thread_mode == cudaStreamCaptureModeRelaxed || cap->invalid) return false;
  if (pthread_equal(cap->thread, pthread_self())) return cap->mode != cudaStreamCaptureModeRelaxed;
  return thread_mode == cudaStreamCaptureModeGlobal && cap->mode == cudaStreamCaptureModeGlobal;
}

cudaError_t rt_capture_forbids_unsafe(void) {
  if (atomic_load(&captures_active) == 0) return cudaSuccess;
  bool hit = false;
  pthread_mutex_lock(&lock);
  for (capture *cap = captures; cap; cap = cap->next)
    if (forbids(cap)) hit = cap->invalid = true;
  pthread_mutex_unlock(&lock);
  return hit ? rt_set_error(cudaErrorStreamCaptureUnsupported) : cudaSuccess;
}

/* Whether every node st captured is already joined back into its capture's origin stream. */
static bool joined(const stream_state *st) {
  const stream_state *origin = find_stream(st->cap->origin);
  for (size_t i = 0; origin && i < st->deps.n; i++)
    if (!rt_graph_reaches(origin->deps.v, origin->deps.n, st->deps.v[i])) return false;
  return origin != NULL;
}

/* A forked stream destroyed mid-capture leaves it; the capture goes on (NVIDIA's
 * graphMemoryNodes destroys its joined helper stream before cudaStreamEndCapture). Work not
 * yet joined stays on the books under a handle no live stream can have (the state's own
 * address), so cudaStreamEndCapture still reports it as cudaErrorStreamCaptureUnjoined. */
static void forget_forked(stream_state *st) {
  if (!joined(st)) {
    st->stream = (CUstream)st;
    return;
  }
  for (stream_state **p = &streams; *p; p = &(*p)->next)
    if (*p == st) {
      *p = st->next;
      break;
    }
  free(st->deps.v);
  free(st);
}

void rt_capture_forget_stream(cudaStream_t stream) {
  if (atomic_load(&captures_active) == 0) return;
  pthread_mutex_lock(&lock);
  stream_state *st = find_stream(rt_stream(stream, false));
  capture *cap = st ? st->cap : NULL;
  if (cap && cap->origin == st->stream) {
    if (cap->own_graph) rt_graph_free(cap->graph);
    end_capture(cap);
  } else if (cap) {
    forget_forked(st);
  }
  pthread_mutex_unlock(&lock);
}

cudaError_t rt_capture_check_event(cudaEvent_t event) {
  if (atomic_load(&captures_active) == 0) return cudaSuccess;
  pthread_mutex_lock(&lock);
  bool captured = find_event((CUevent)event) != NULL;
  pthread_mutex_unlock(&lock);
  return captured ? rt_set_error(cudaErrorCapturedEvent) : cudaSuccess;
}

bool rt_capturing(cudaStream_t stream, bool per_thread) {
  if (atomic_load(&captures_active) == 0) return false;
  pthread_mutex_lock(&lock);
  bool capturing = find_stream(rt_stream(stream, per_thread)) != NULL;
  pthread_mutex_unlock(&lock);
  return capturing;
}

cudaError_t rt_capture_forbids_sync(cudaStream_t stream, bool per_thread) {
  if (atomic_load(&captures_active) == 0) return cudaSuccess;
  CUstream s = rt_stream(stream, per_thread);
  pthread_mutex_lock(&lock);
  stream_state *st = find_stream(s);
  if (st) st->cap->invalid = true;
  pthread_mutex_unlock(&lock);
  if (st) return rt_set_error(cudaErrorStreamCaptureUnsupported);
  return s == NULL || s == CU_STREAM_LEGACY ? rt_capture_forbids_unsafe() : cudaSuccess;
}

/* ---- the capture API ---- */

static cudaError_t begin(cudaStream_t stream, struct CUgraph_st *graph, enum cudaStreamCaptureMode mode,
                         node *const *deps, size_t ndeps) {
  if (mode > cudaStreamCaptureModeRelaxed) return cudaErrorInvalidValue;
  cudaError_t err = rt_ensure_context();
  if (err != cudaSuccess) return err;
  CUstream s = rt_stream(stream, false);
  if (s == NULL || s == CU_STREAM_LEGACY) return cudaErrorStreamCaptureUnsupported;
  capture *cap = calloc(1, sizeof *cap);
  if (!cap || !(cap->graph = graph ? graph : rt_graph_new())) {
    free(cap);
    return cudaErrorMemoryAllocation;
  }
  cap->own_graph = !graph;
  cap->mode = mode;
  cap->thread = pthread_self();
  cap->origin = s;
  pthread_mutex_lock(&lock);
  stream_state *st = NULL;
  err = find_stream(s) ? cudaErrorIllegalState
        : !(st = join_stream(s, cap)) ? cudaErrorMemoryAllocation
                                      : set_assign(&st->deps, deps, ndeps);
  if (err == cudaSuccess) {
    cap->id = next_capture_id++;
    cap->next = captures;
    captures = cap;
    atomic_fetch_add(&captures_active, 1);
  } else if (st) {
    streams = st->next;
    free(st);
  }
  pthread_mutex_unlock(&lock);
  if (err != cudaSuccess) {
    if (cap->own_graph) rt_graph_free(cap->graph);
    free(cap);
  }
  return err;
}

RT_EXPORT cudaError_t cudaStreamBeginCapture(cudaStream_t stream, enum cudaStreamCaptureMode mode) {
  cudaError_t err = begin(stream, NULL, mode, NULL, 0);
  return err == cudaSuccess ? err : rt_set_error(err);
}

RT_EXPORT cudaError_t cudaStreamBeginCaptureToGraph(cudaStream_t stream, cudaGraph_t graph,
                                                    const cudaGraphNode_t *dependencies,
                                                    const cudaGraphEdgeData *dependencyData,
                                                    size_t numDependencies, enum cudaStreamCaptureMode mode) {
  (void)dependencyData;
  if (!graph || (numDependencies && !dependencies)) return rt_set_error(cudaErrorInvalidValue);
  cudaError_t err = begin(stream, graph, mode, dependencies, numDependencies);
  return err == cudaSuccess ? err : rt_set_error(err);
}

/* Every stream that joined cap must have been joined back into the origin stream. */
static bool all_joined(const capture *cap, const stream_state *origin) {
  for (stream_state *st = streams; st; st = st->next) {
    if (st->cap != cap || st == origin) continue;
    for (size_t i = 0; i < st->deps.n; i++)
      if (!rt_graph_reaches(origin->deps.v, origin->deps.n, st->deps.v[i])) return false;
  }
  return true;
}

RT_EXPORT cudaError_t cudaStreamEndCapture(cudaStream_t stream, cudaGraph_t *pGraph) {
  if (!pGraph) return rt_set_error(cudaErrorInvalidValue);
  CUstream s = rt_stream(stream, false);
  pthread_mutex_lock(&lock);
  stream_state *st = find_stream(s);
  if (!st || st->cap->origin != s) {
    pthread_mutex_unlock(&lock);
    return rt_set_error(st ? cudaErrorStreamCaptureUnmatched : cudaErrorIllegalState);
  }
  capture *cap = st->cap;
  cudaError_t err = cap->invalid ? cudaErrorStreamCaptureInvalidated
                    : !all_joined(cap, st) ? cudaErrorStreamCaptureUnjoined
                                           : cudaSuccess;
  if (cap->mode != cudaStreamCaptureModeRelaxed && !pthread_equal(cap->thread, pthread_self()) &&
      err == cudaSuccess)
    err = cudaErrorStreamCaptureWrongThread;
  struct CUgraph_st *graph = cap->graph;
  bool own_graph = cap->own_graph;
  end_capture(cap);
  pthread_mutex_unlock(&lock);
  *pGraph = err == cudaSuccess ? graph : NULL;
  if (err != cudaSuccess) {
    if (own_graph) rt_graph_free(graph);
    return rt_set_error(err);
  }
  return cudaSuccess;
}

static enum cudaStreamCaptureStatus status_of(CUstream s, capture **cap_out) {
  stream_state *st = find_stream(s);
  if (cap_out) *cap_out = st ? st->cap : NULL;
  if (!st) return cudaStreamCaptureStatusNone;
  return st->cap->invalid ? cudaStreamCaptureStatusInvalidated : cudaStreamCaptureStatusActive;
}

RT_EXPORT cudaError_t cudaStreamIsCapturing(cudaStream_t stream, enum cudaStreamCaptureStatus *pCaptureStatus) {
  if (!pCaptureStatus) return rt_set_error(cudaErrorInvalidValue);
  CUstream s = rt_stream(stream, false);
  pthread_mutex_lock(&lock);
  bool implicit = false; /* asking about the legacy stream while a blocking stream captures */
  if (s == NULL || s == CU_STREAM_LEGACY)
    for (stream_state *st = streams; st; st = st->next) implicit |= st->blocking;
  *pCaptureStatus = status_of(s, NULL);
  pthread_mutex_unlock(&lock);
  return implicit ? rt_set_error(cudaErrorStreamCaptureImplicit) : cudaSuccess;
}

/* The dependency array handed out stays valid until the stream's next capture operation, as
 * CUDA documents; it is the stream's own set. */
RT_EXPORT cudaError_t cudaStreamGetCaptureInfo(cudaStream_t stream, enum cudaStreamCaptureStatus *captureStatus_out,
                                               unsigned long long *id_out, cudaGraph_t *graph_out,
                                               const cudaGraphNode_t **dependencies_out,
                                               const cudaGraphEdgeData **edgeData_out,
                                               size_t *numDependencies_out) {
  if (!captureStatus_out) return rt_set_error(cudaErrorInvalidValue);
  CUstream s = rt_stream(stream, false);
  pthread_mutex_lock(&lock);
  capture *cap;
  *captureStatus_out = status_of(s, &cap);
  stream_state *st = find_stream(s);
  if (cap && id_out) *id_out = cap->id;
  if (graph_out) *graph_out = cap ? cap->graph : NULL;
  if (dependencies_out) *dependencies_out = st ? (const cudaGraphNode_t *)st->deps.v : NULL;
  if (edgeData_out) *edgeData_out = NULL; /* all edges default */
  if (numDependencies_out) *numDependencies_out = st ? st->deps.n : 0;
  pthread_mutex_unlock(&lock);
  return cudaSuccess;
}

RT_EXPORT cudaError_t cudaStreamUpdateCaptureDependencies(cudaStream_t stream, cudaGraphNode_t *dependencies,
                                                          const cudaGraphEdgeData *dependencyData,
                                                          size_t numDependencies, unsigned int flags) {
  (void)dependencyData;
  if ((numDependencies && !dependencies) || flags > cudaStreamSetCaptureDependencies)
    return rt_set_error(cudaErrorInvalidValue);
  CUstream s = rt_stream(stream, false);
  pthread_mutex_lock(&lock);
  stream_state *st = find_stream(s);
  cudaError_t err = !st ? cudaErrorIllegalState : st->cap->invalid ? cudaErrorStreamCaptureInvalidated : cudaSuccess;
  node_set add = {dependencies, numDependencies};
  if (err == cudaSuccess)
    err = flags == cudaStreamSetCaptureDependencies ? set_assign(&st->deps, dependencies, numDependencies)
                                                    : set_union(&st->deps, &add);
  pthread_mutex_unlock(&lock);
  return err == cudaSuccess ? err : rt_set_error(err);
}

RT_EXPORT cudaError_t cudaThreadExchangeStreamCaptureMode(enum cudaStreamCaptureMode *mode) {
  if (!mode || *mode > cudaStreamCaptureModeRelaxed) return rt_set_error(cudaErrorInvalidValue);
  enum cudaStreamCaptureMode old = thread_mode;
  thread_mode = *mode;
  *mode = old;
  return cudaSuccess;
}

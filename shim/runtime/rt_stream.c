/* rt_stream.c - streams, events and host callbacks of the runtime API.
 *
 * cudaStream_t and cudaEvent_t are the driver's CUstream and CUevent, and the special stream
 * values (0, cudaStreamLegacy, cudaStreamPerThread) and flag bits share their numbering with the
 * driver's, so most calls map one to one once the context is current. */
#include "runtime.h"

#include <stdint.h>
#include <stdlib.h>

CUstream rt_stream(cudaStream_t s, bool per_thread_default) {
  if (s == NULL) return per_thread_default ? CU_STREAM_PER_THREAD : NULL;
  return (CUstream)s;
}

#define WITH_CONTEXT(expr)                          \
  do {                                              \
    cudaError_t ctx_err_ = rt_ensure_context();     \
    if (ctx_err_ != cudaSuccess) return ctx_err_;   \
    return rt_check(expr);                          \
  } while (0)

RT_EXPORT cudaError_t cudaStreamCreate(cudaStream_t *pStream) {
  if (!pStream) return rt_set_error(cudaErrorInvalidValue);
  WITH_CONTEXT(cuStreamCreate((CUstream *)pStream, CU_STREAM_DEFAULT));
}

RT_EXPORT cudaError_t cudaStreamCreateWithFlags(cudaStream_t *pStream, unsigned int flags) {
  if (!pStream) return rt_set_error(cudaErrorInvalidValue);
  WITH_CONTEXT(cuStreamCreate((CUstream *)pStream, flags));
}

RT_EXPORT cudaError_t cudaStreamCreateWithPriority(cudaStream_t *pStream, unsigned int flags,
                                                   int priority) {
  if (!pStream) return rt_set_error(cudaErrorInvalidValue);
  WITH_CONTEXT(cuStreamCreateWithPriority((CUstream *)pStream, flags, priority));
}

RT_EXPORT cudaError_t cudaStreamDestroy(cudaStream_t stream) {
  if (stream == NULL || stream == cudaStreamLegacy || stream == cudaStreamPerThread)
    return rt_set_error(cudaErrorInvalidResourceHandle);
  rt_capture_forget_stream(stream);
  WITH_CONTEXT(cuStreamDestroy((CUstream)stream));
}

/* Synchronising with or querying a capturing stream is refused (rt_capture_forbids_sync). */
static cudaError_t stream_synchronize(cudaStream_t stream, bool per_thread) {
  cudaError_t err = rt_capture_forbids_sync(stream, per_thread);
  if (err != cudaSuccess) return err;
  WITH_CONTEXT(cuStreamSynchronize(rt_stream(stream, per_thread)));
}

RT_EXPORT cudaError_t cudaStreamSynchronize(cudaStream_t stream) { return stream_synchronize(stream, false); }
RT_EXPORT cudaError_t cudaStreamSynchronize_ptsz(cudaStream_t stream) { return stream_synchronize(stream, true); }

/* cudaErrorNotReady from a query is an answer, not an error: it is not recorded. */
static cudaError_t stream_query(cudaStream_t stream, bool per_thread) {
  cudaError_t err = rt_capture_forbids_sync(stream, per_thread);
  if (err == cudaSuccess) err = rt_ensure_context();
  if (err != cudaSuccess) return err;
  CUresult r = cuStreamQuery(rt_stream(stream, per_thread));
  return r == CUDA_ERROR_NOT_READY ? cudaErrorNotReady : rt_check(r);
}

RT_EXPORT cudaError_t cudaStreamQuery(cudaStream_t stream) { return stream_query(stream, false); }
RT_EXPORT cudaError_t cudaStreamQuery_ptsz(cudaStream_t stream) { return stream_query(stream, true); }

/* Event record/wait and host functions are stream work: they go through rt_submit, so stream
 * capture sees them (forks and joins, host nodes). */
static cudaError_t submit_event(rt_op_kind kind, cudaEvent_t event, cudaStream_t stream, bool per_thread,
                                unsigned flags) {
  cudaError_t err = rt_ensure_context();
  if (err != cudaSuccess) return err;
  rt_op op = {.kind = kind};
  op.u.event.event = (CUevent)event;
  op.u.event.flags = flags;
  return rt_submit(stream, per_thread, &op);
}

static cudaError_t submit_host(cudaStream_t stream, bool per_thread, cudaHostFn_t fn, void *data) {
  cudaError_t err = rt_ensure_context();
  if (err != cudaSuccess) return err;
  rt_op op = {.kind = RT_OP_HOST};
  op.u.host.fn = fn;
  op.u.host.userData = data;
  return rt_submit(stream, per_thread, &op);
}

RT_EXPORT cudaError_t cudaStreamWaitEvent(cudaStream_t stream, cudaEvent_t event, unsigned int flags) {
  return submit_event(RT_OP_EVENT_WAIT, event, stream, false, flags);
}

RT_EXPORT cudaError_t cudaStreamWaitEvent_ptsz(cudaStream_t stream, cudaEvent_t event,
                                               unsigned int flags) {
  return submit_event(RT_OP_EVENT_WAIT, event, stream, true, flags);
}

RT_EXPORT cudaError_t cudaStreamGetFlags(cudaStream_t hStream, unsigned int *flags) {
  if (!flags) return rt_set_error(cudaErrorInvalidValue);
  WITH_CONTEXT(cuStreamGetFlags(rt_stream(hStream, false), flags));
}

RT_EXPORT cudaError_t cudaStreamGetPriority(cudaStream_t hStream, int *priority) {
  if (!priority) return rt_set_error(cudaErrorInvalidValue);
  WITH_CONTEXT(cuStreamGetPriority(rt_stream(hStream, false), priority));
}

RT_EXPORT cudaError_t cudaStreamGetDevice(cudaStream_t hStream, int *device) {
  if (!device) return rt_set_error(cudaErrorInvalidValue);
  (void)hStream;
  cudaError_t err = rt_ensure_context();
  if (err == cudaSuccess) *device = rt_current_device();
  return err;
}

/* Host callbacks run on the client, in stream order. */
RT_EXPORT cudaError_t cudaLaunchHostFunc(cudaStream_t stream, cudaHostFn_t fn, void *userData) {
  if (!fn) return rt_set_error(cudaErrorInvalidValue);
  return submit_host(stream, false, fn, userData);
}

RT_EXPORT cudaError_t cudaLaunchHostFunc_ptsz(cudaStream_t stream, cudaHostFn_t fn, void *userData) {
  if (!fn) return rt_set_error(cudaErrorInvalidValue);
  return submit_host(stream, true, fn, userData);
}

typedef struct {
  cudaStreamCallback_t callback;
  cudaStream_t stream;
  void *user_data;
} stream_callback;

static void run_stream_callback(void *arg) {
  stream_callback *cb = arg;
  cb->callback(cb->stream, cudaSuccess, cb->user_data);
  free(cb);
}

RT_EXPORT cudaError_t cudaStreamAddCallback(cudaStream_t stream, cudaStreamCallback_t callback,
                                            void *userData, unsigned int flags) {
  if (!callback || flags != 0) return rt_set_error(cudaErrorInvalidValue);
  /* Stream callbacks cannot be captured (CUDA: use cudaLaunchHostFunc). */
  cudaError_t err = rt_capture_forbids_sync(stream, false);
  if (err == cudaSuccess) err = rt_ensure_context();
  if (err != cudaSuccess) return err;
  stream_callback *cb = malloc(sizeof *cb);
  if (!cb) return rt_set_error(cudaErrorMemoryAllocation);
  *cb = (stream_callback){callback, stream, userData};
  err = submit_host(stream, false, run_stream_callback, cb);
  if (err != cudaSuccess) free(cb);
  return err;
}

/* ---- events ---- */

RT_EXPORT cudaError_t cudaEventCreate(cudaEvent_t *event) {
  if (!event) return rt_set_error(cudaErrorInvalidValue);
  WITH_CONTEXT(cuEventCreate((CUevent *)event, CU_EVENT_DEFAULT));
}

RT_EXPORT cudaError_t cudaEventCreateWithFlags(cudaEvent_t *event, unsigned int flags) {
  if (!event) return rt_set_error(cudaErrorInvalidValue);
  WITH_CONTEXT(cuEventCreate((CUevent *)event, flags));
}

RT_EXPORT cudaError_t cudaEventRecord(cudaEvent_t event, cudaStream_t stream) {
  return submit_event(RT_OP_EVENT_RECORD, event, stream, false, 0);
}

RT_EXPORT cudaError_t cudaEventRecord_ptsz(cudaEvent_t event, cudaStream_t stream) {
  return submit_event(RT_OP_EVENT_RECORD, event, stream, true, 0);
}

RT_EXPORT cudaError_t cudaEventRecordWithFlags(cudaEvent_t event, cudaStream_t stream,
                                               unsigned int flags) {
  if (flags & ~(unsigned)cudaEventRecordExternal) return rt_set_error(cudaErrorInvalidValue);
  return submit_event(RT_OP_EVENT_RECORD, event, stream, false, flags);
}

RT_EXPORT cudaError_t cudaEventQuery(cudaEvent_t event) {
  cudaError_t err = rt_capture_check_event(event);
  if (err == cudaSuccess) err = rt_ensure_context();
  if (err != cudaSuccess) return err;
  CUresult r = cuEventQuery((CUevent)event);
  return r == CUDA_ERROR_NOT_READY ? cudaErrorNotReady : rt_check(r);
}

RT_EXPORT cudaError_t cudaEventSynchronize(cudaEvent_t event) {
  cudaError_t err = rt_capture_check_event(event);
  if (err == cudaSuccess) err = rt_capture_forbids_unsafe();
  if (err != cudaSuccess) return err;
  WITH_CONTEXT(cuEventSynchronize((CUevent)event));
}

RT_EXPORT cudaError_t cudaEventDestroy(cudaEvent_t event) {
  WITH_CONTEXT(cuEventDestroy((CUevent)event));
}

RT_EXPORT cudaError_t cudaEventElapsedTime(float *ms, cudaEvent_t start, cudaEvent_t end) {
  if (!ms) return rt_set_error(cudaErrorInvalidValue);
  WITH_CONTEXT(cuEventElapsedTime(ms, (CUevent)start, (CUevent)end));
}

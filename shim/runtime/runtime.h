/* runtime.h - internal interface of gpushim's CUDA runtime layer (our libcudart.so.13 face).
 *
 * The runtime keeps CUDA runtime semantics on the client — fatbin registration, the implicit
 * primary context per device, <<<>>> call configuration, last and sticky errors, the legacy
 * default stream — and expresses everything else as CUDA driver calls (cu* from cuda.h). Those
 * driver calls land in whatever libcuda face is linked with the runtime: gpushim's forwarding
 * stubs in libgpushim.so, or any real libcuda.so.1 (the CPU device, NVIDIA's driver).
 */
#ifndef GPUSHIM_RUNTIME_H
#define GPUSHIM_RUNTIME_H

#include <cuda.h>
#include <cuda_runtime_api.h>
#include <cuda_profiler_api.h>
#include <stdbool.h>
#include <stddef.h>

#define RT_EXPORT __attribute__((visibility("default")))
#define RT_MAX_DEVICES 64

/* ---- errors (rt_errors.c, rt_state.c) ---- */
cudaError_t rt_error_from_driver(CUresult r);
/* Records err as the calling thread's last error (unless cudaSuccess) and returns it. */
cudaError_t rt_set_error(cudaError_t err);
/* Maps a driver result, records it, returns it: the one-liner most API functions end with. */
cudaError_t rt_check(CUresult r);

/* One stderr line per unsupported function (first call), then cudaErrorNotSupported. */
cudaError_t rt_unsupported(const char *name);

/* Structs the runtime fills field by field from driver attributes (cudaDeviceProp,
 * cudaFuncAttributes) use one table shape: where the field is, its C type, which attribute. */
typedef enum { RT_FIELD_INT, RT_FIELD_UINT, RT_FIELD_SIZE } rt_field_kind;
void rt_store_field(void *object, size_t offset, rt_field_kind kind, int value);

/* ---- devices and contexts (rt_state.c) ---- */
/* Makes sure the driver is initialised and the calling thread's current device has its primary
 * context retained and current; loads nothing. Returns cudaSuccess or the error to report. */
cudaError_t rt_ensure_context(void);
int rt_current_device(void);
CUcontext rt_device_context(int device);
/* Cached device attribute (device attributes never change); 0 when unavailable. */
int rt_device_attribute(int device, CUdevice_attribute attr);
/* Called by cudaDeviceReset: forget per-device module state so it is reloaded lazily. */
void rt_forget_device_modules(int device);

/* ---- stream-ordered allocation (rt_memory.c, rt_mempool.c) ---- */
/* cudaMallocAsync drawing from pool (NULL: the current device's current pool). */
cudaError_t rt_malloc_async(void **devPtr, size_t size, cudaStream_t hStream, cudaMemPool_t pool);
/* Pool bookkeeping of a block handed out / given back (ptr not from a pool: ignored). */
void rt_mempool_note_alloc(void *ptr, size_t size, cudaMemPool_t pool);
void rt_mempool_note_free(void *ptr);

/* ---- registration (rt_register.c) ---- */
typedef struct rt_function rt_function;
/* The function registered for a host stub (or a cudaKernel_t handle we issued), or NULL. */
rt_function *rt_find_function(const void *host_fun);
/* The CUfunction for the current device, loading its module on first use. */
cudaError_t rt_function_handle(rt_function *fn, CUfunction *out);
const char *rt_function_name(const rt_function *fn);
/* The host stub the function was registered with (what a program knows it by). */
const void *rt_function_host(const rt_function *fn);
/* Device address and size of a registered variable (__device__, __constant__) by host symbol. */
cudaError_t rt_symbol_address(const void *symbol, CUdeviceptr *addr, size_t *size);

/* ---- streams (rt_stream.c) ---- */
/* The driver stream for a runtime stream argument (0 → legacy or per-thread default).
 * Stream work (anything enqueued) goes through rt_submit instead, so stream capture sees it. */
CUstream rt_stream(cudaStream_t s, bool per_thread_default);

/* ---- stream work, graphs and capture (rt_graph.c, rt_capture.c) ---- */
/* One stream-ordered operation, as a direct call issues it and as a graph node keeps it. */
typedef enum {
  RT_OP_KERNEL, RT_OP_MEMCPY, RT_OP_MEMCPY2D, RT_OP_MEMSET, RT_OP_HOST, RT_OP_EVENT_RECORD,
  RT_OP_EVENT_WAIT, RT_OP_GRAPH, RT_OP_EMPTY,
  RT_OP_MEM_ALLOC, RT_OP_MEM_FREE /* graph memory: allocated when the node is made, no-ops */
} rt_op_kind;

typedef struct {
  rt_op_kind kind;
  union {
    struct { const void *func; CUfunction f; dim3 grid, block; unsigned shared; void **args; int coop; } kernel;
    struct { void *dst; const void *src; size_t count; enum cudaMemcpyKind kind; } copy;
    CUDA_MEMCPY2D copy2d;
    struct cudaMemsetParams memset;
    struct cudaHostNodeParams host;
    struct { CUevent event; unsigned flags; } event;
    struct CUgraph_st *graph; /* RT_OP_GRAPH: a child graph, replayed in place */
    struct { void *ptr; size_t size; } mem;
  } u;
} rt_op;

/* Issues op on stream now: the driver calls a direct runtime call makes. */
CUresult rt_op_issue(const rt_op *op, CUstream stream);
/* Where every stream-ordered runtime call ends (context already current): on a capturing
 * stream the op becomes a graph node, otherwise it is issued. Returns the error to report. */
cudaError_t rt_submit(cudaStream_t stream, bool per_thread, const rt_op *op);
/* Potentially unsafe calls (synchronous copies, allocation, device/event sync) ask first:
 * cudaErrorStreamCaptureUnsupported, and the captures concerned invalidated, while the calling
 * thread's capture mode forbids them. */
cudaError_t rt_capture_forbids_unsafe(void);
/* cudaStreamDestroy: a destroyed stream leaves its capture (ending it, if the stream began
 * it); a forked stream's unjoined work still counts at cudaStreamEndCapture. */
void rt_capture_forget_stream(cudaStream_t stream);
/* cudaEventQuery / cudaEventSynchronize: cudaErrorCapturedEvent (recorded) for an event last
 * recorded in a capture that is still going on, else cudaSuccess. */
cudaError_t rt_capture_check_event(cudaEvent_t event);
/* Whether stream takes part in a stream capture (active or invalidated). */
bool rt_capturing(cudaStream_t stream, bool per_thread);
/* cudaStreamSynchronize / cudaStreamQuery on a capturing stream: the error, else cudaSuccess. */
cudaError_t rt_capture_forbids_sync(cudaStream_t stream, bool per_thread);
/* The copy a cudaMemcpy*Async of this kind makes (rt_memory.c). */
CUresult rt_copy_async(void *dst, const void *src, size_t count, enum cudaMemcpyKind kind,
                       CUstream stream);

/* Graph internals shared by rt_graph.c and rt_capture.c. */
struct CUgraph_st *rt_graph_new(void);
void rt_graph_free(struct CUgraph_st *g);
/* cudaFree of graph memory (a graph's memory-allocation node): marks it free, giving it back
 * once no graph holds it; false when ptr is not graph memory. */
bool rt_graph_mem_free(void *ptr);
/* Adds a node running op (kernel arguments copied, child graphs cloned) after deps. */
cudaError_t rt_graph_add(struct CUgraph_st *g, const rt_op *op, struct CUgraphNode_st *const *deps,
                         size_t ndeps, struct CUgraphNode_st **out);
/* Whether target is one of nodes or an ancestor of one (capture join checks). */
bool rt_graph_reaches(struct CUgraphNode_st *const *nodes, size_t n, const struct CUgraphNode_st *target);

#endif

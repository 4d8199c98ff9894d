/* gs_client.h - the client side of the protocol inside shim/driver: the call queue that the
 * generated stubs (gs_client_stubs.c) and the hand-written stubs (custom_*.c) go through.
 *
 * Rules (docs/protocol.md has the long form):
 *  - async rows are encoded into the queue and return CUDA_SUCCESS at once;
 *  - a sync row sends the queue plus itself as one batch and waits for that one reply;
 *  - the first error of a queued call is kept and returned by the next synchronizing call
 *    (rows flagged report: context/stream/event synchronize and query) or synchronous copy
 *    that itself succeeded, as CUDA reports errors of asynchronous work;
 *  - the link opens on the first call; if it cannot, cuInit returns CUDA_ERROR_NO_DEVICE and
 *    every other call CUDA_ERROR_NOT_INITIALIZED, after one line on stderr;
 *  - a device fault (illegal address, trap...) is sticky: once reported, every later call in
 *    that context returns it at once, until cuDevicePrimaryCtxReset / cuCtxDestroy;
 *  - a link lost mid-run makes that call and every later one return CUDA_ERROR_LAUNCH_FAILED
 *    (the error a device that died under the program gives), after one line on stderr.
 * One lock serializes the queue and the link; stubs hold it only while encoding and waiting. */
#ifndef GS_CLIENT_H
#define GS_CLIENT_H

#include <stdint.h>

#include <zstd.h>

#include "gs_api.h"
#include "link.h"
#include "wire.h"

struct gs_pending;
/* Decodes a call's result body (status 0) from the reply: 0, or -1 if the reply is malformed. */
typedef int (*gs_decode_fn)(XDR *x, struct gs_pending *p);

typedef struct gs_pending {
  uint32_t proc;
  gs_decode_fn decode;   /* NULL: the call has no result body */
  xdrproc_t xres;        /* generic decode into res */
  void *res;
  uint8_t *dst;          /* chunk decode: destination and its exact length */
  uint32_t len;
  CUresult *status_out;  /* the waiting caller's status (NULL: a queued call) */
  gs_buffer *capture;    /* raw result bytes, for the answer cache */
} gs_pending;

/* The generated stubs' entry: one call, queued (async) or waited on (GS_F_SYNC). */
CUresult gs_call(uint32_t proc, unsigned flags, xdrproc_t xargs, void *args, xdrproc_t xres,
                 void *res);

/* For hand-written stubs that send several calls as one unit. gs_begin takes the lock and opens
 * the link (on error: the lock is not held and the error is returned); gs_end drops the lock. */
CUresult gs_begin(void);
void gs_end(void);
/* Appends one call (and the current context first, when it changed) to the queue. */
CUresult gs_enqueue(uint32_t proc, xdrproc_t xargs, void *args, const gs_pending *p);
/* Sends the queue; with wait, also reads every reply outstanding. Returns a link failure, or
 * (wait) the first error of a queued call not yet reported. */
CUresult gs_flush(int wait);
/* Result decoder for a gs_memcpy_dtoh chunk: straight into p->dst. */
int gs_decode_dtoh_chunk(XDR *x, gs_pending *p);

/* A 2D copy with an array side (custom_texture.c): sent as 3D copies, synchronously. */
CUresult gs_copy2d_array(const CUDA_MEMCPY2D *c, CUstream stream);

/* The calling thread's current context id (0 = none), kept on the client. */
uint64_t gs_client_current_ctx(void);

/* Device allocations the client knows of (for cuMemcpy direction, cuMemFree checks). */
void gs_client_note_alloc(CUdeviceptr p, uint64_t size, int global);
int gs_client_forget_alloc(CUdeviceptr p);        /* 0, or -1 if p is no allocation's base */
int gs_client_is_device(CUdeviceptr p);
/* Virtual memory mappings (custom_vmm.c) are noted as global (cuMemFree refuses them) and
 * forgotten, global or not, at cuMemUnmap or when access is withdrawn. */
void gs_client_forget_mapping(CUdeviceptr p);

/* Chunked copies for hand-written halves (lock held, between gs_begin and gs_end). */
CUresult gs_client_queue_htod(CUdeviceptr dst, const uint8_t *src, size_t n, uint64_t stream);
CUresult gs_client_queue_dtoh(uint8_t *dst, CUdeviceptr src, size_t n, uint64_t stream);

/* Managed and mapped host memory across the link (uvm.c). */
enum { GS_UVM_MANAGED = 1, GS_UVM_HOSTALLOC, GS_UVM_REGISTERED };
typedef struct {
  int kind;
  unsigned flags;
  uintptr_t host;
  CUdeviceptr dev;
  size_t size;
} gs_uvm_info;
CUresult gs_uvm_alloc(void **pp, size_t size, int kind, unsigned flags);
CUresult gs_uvm_register(void *p, size_t size, unsigned flags);
int gs_uvm_inprocess(void);   /* 1 when the device's memory is this process's (in-process link) */
CUresult gs_uvm_free(uintptr_t p, int kind);
int gs_uvm_find(uintptr_t p, int any, gs_uvm_info *out);  /* slot, or -1 */
CUresult gs_uvm_push(void);              /* lock held: host writes to the device */
void gs_uvm_touch(void);                 /* lock held: device work was queued */
int gs_uvm_queue_pull(int ok);           /* lock held: queue device writes back; count */
void gs_uvm_pulled(void);                /* lock held: the pull's replies are in */
void gs_uvm_reset(void);                 /* the primary context was reset: all ranges gone */

/* cuGetProcAddress("cuCtxCreate", version): the entry point whose signature that version knew. */
void *gs_client_ctx_create_for_version(int cudaVersion);

/* After a reset or destruction of context ctx: its sticky error and any error a queued call
 * left for the next synchronizing call are gone. */
void gs_client_forget_context_errors(uint64_t ctx);
/* The sticky error of the calling thread's context (lock held), or CUDA_SUCCESS. */
CUresult gs_sticky_error(void);

/* Cached device attribute of device 0 (launch checks). */
int gs_client_device_attr(CUdevice_attribute a, int *value);

#endif

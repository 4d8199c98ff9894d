/* session.h - one client's session on the agent: its contexts, the handle table that maps the
 * client's opaque ids to real driver handles, its allocations (every device range a client
 * sends is checked against them), counters, and the driver entry points.
 * Used by the generated dispatch (gs_agent_dispatch.c) and the hand-written halves. */
#ifndef GS_SESSION_H
#define GS_SESSION_H

#include <rpc/rpc.h>
#include <zstd.h>

#include "gs_api.h"
#include "gs_drv.h"
#include "link.h"
#include "wire.h"

/* Kinds of client-visible handles; a handle id carries its kind, so a stream id passed where an
 * event is expected is rejected. */
enum { GS_H_NONE = 0, GS_H_CTX, GS_H_MOD, GS_H_FUNC, GS_H_STREAM, GS_H_EVENT, GS_H_LIB,
       GS_H_KERNEL, GS_H_ARRAY, GS_H_TEXOBJ, GS_H_SURFOBJ, GS_H_KINDS };

typedef struct {
  void *real;          /* the driver's handle; NULL = free slot */
  CUcontext ctx;       /* the context it was made in */
  uint16_t gen;        /* bumped on every reuse, so stale ids miss */
  uint8_t kind;
  uint64_t parent;     /* functions: their module or kernel; kernels: their library */
  uint32_t nparams;    /* functions: param layout, -1u until asked */
  uint32_t *params;    /* nparams x (offset, size) */
} gs_handle_slot;

typedef struct {
  CUdeviceptr base;
  uint64_t size;
  CUcontext ctx;
  int global;          /* a module global: valid for copies, never freed by the client */
} gs_alloc;

struct agent_session {
  const gs_driver *drv;
  CUdevice dev;
  CUcontext ctx;         /* the session's own context (what the client sees as primary) */
  uint64_t ctx_id;
  CUcontext cur;         /* the client's current context, made current around every call */
  gs_handle_slot *slots;
  size_t nslots, capslots;
  gs_alloc *allocs;
  size_t nallocs, capallocs;
  agent_counters counters;
  uint64_t parent_hint;  /* set just before gs_handle_new of a function or kernel */
  int dtoh_compress;     /* did the first chunk of the current D2H copy compress well? */
  ZSTD_CCtx *zc;
  ZSTD_DCtx *zd;
  gs_buffer output;      /* device printf text not yet fetched (gs_take_output) */
  struct gs_vmm_state *vmm;   /* reservations, physical handles, mappings (custom_vmm.c) */
  agent_session *next_live;
};

/* The generated per-procedure table. */
typedef CUresult (*gs_agent_handler)(agent_session *s, void *args, void *res);
typedef struct {
  gs_agent_handler fn;
  xdrproc_t xargs;
  size_t args_size;
  xdrproc_t xres;
  size_t res_size;
} gs_agent_proc;
extern const gs_agent_proc gs_agent_procs[GS_PROC_LIMIT];

/* handles */
CUresult gs_handle_get(agent_session *s, int kind, uint64_t id, void **real);
CUresult gs_handle_new(agent_session *s, int kind, void *real, uint64_t *id);
void gs_handle_drop(agent_session *s, int kind, uint64_t id);
/* The id of the live handle of `kind` whose driver handle is `real`, or 0. */
uint64_t gs_handle_find_real(agent_session *s, int kind, void *real);
gs_handle_slot *gs_handle_slot_of(agent_session *s, int kind, uint64_t id);
CUresult gs_device_get(agent_session *s, int client_ordinal, CUdevice *dev);

/* Destroys what the client made in context ctx: events, streams, memory, modules, libraries
 * (cuDevicePrimaryCtxReset, session close). */
void gs_session_release_in(agent_session *s, CUcontext ctx);

/* allocations */
CUresult gs_range_check(agent_session *s, CUdeviceptr p, uint64_t n);
CUresult gs_alloc_check_base(agent_session *s, CUdeviceptr p);
CUresult gs_alloc_note(agent_session *s, CUdeviceptr p, uint64_t n, int global);
void gs_alloc_forget(agent_session *s, CUdeviceptr p);

/* virtual memory: unmaps, releases and frees what the session left (custom_vmm.c) */
void gs_vmm_close(agent_session *s);

/* module images by content hash, shared by all sessions of the process */
int gs_image_cache_get(const uint8_t hash[GS_HASH_LEN], uint8_t **image, size_t *len);
int gs_image_cache_put(const uint8_t hash[GS_HASH_LEN], const uint8_t *image, size_t len);

/* device printf: text goes to the only live session (several: to the agent's stdout) */
void gs_output_register(agent_session *s);
/* Sends device printf of kernels launched in ctx to s (where the device can tell). */
void gs_output_route(agent_session *s, CUcontext ctx);
void gs_output_unregister(agent_session *s);
CUresult gs_output_take(agent_session *s, char **text, u_int *len);

/* the driver, loaded once per process */
const gs_driver *gs_driver_load(const char *path, char *err, size_t errlen);

#endif

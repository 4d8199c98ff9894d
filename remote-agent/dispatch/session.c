/* session.c - the agent's session (link.h's agent side): opening one on the device, decoding a
 * request message, running each call through the generated dispatch table, encoding the reply,
 * and releasing everything the client owned when it goes away.
 *
 * Never trusts the input: the RPC header, the batch count and every call's arguments are
 * decoded with bounds (rpcgen's XDR over the message bytes); a message that does not parse
 * gets a GARBAGE_ARGS / PROC_UNAVAIL / PROG_* reply, and only a message that is not an RPC
 * call at all makes us ask the transport to drop the connection (-1). */
#include <dlfcn.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "session.h"

/* ---- device printf ------------------------------------------------------------------------
 * The CPU device hands printed text of contexts without their own handler to one process-wide
 * handler (gpushim_cpudev_set_default_print_handler); with one session live (the usual private
 * agent, the in-process link) it is that session's, else it goes to the agent's stderr. A driver that
 * prints to stdout (NVIDIA's) reaches the same place: gpushim-agent turns its stdout into a
 * pipe read into agent_device_output(). */

#define GS_OUTPUT_MAX ((size_t)1 << 20)     /* as a GPU's printf FIFO: the rest is dropped */

static pthread_mutex_t output_lock = PTHREAD_MUTEX_INITIALIZER;
static agent_session *output_live;           /* live sessions, linked through next_live */

static void output_sink(const char *text, size_t len, void *user) {
  (void)user;
  pthread_mutex_lock(&output_lock);
  if (output_live && !output_live->next_live) {
    gs_buffer *b = &output_live->output;
    size_t room = GS_OUTPUT_MAX - b->len;
    gs_buffer_append(b, text, len < room ? len : room);
  } else {
    fwrite(text, 1, len, stderr);
  }
  pthread_mutex_unlock(&output_lock);
}

void agent_device_output(const char *text, size_t len) { output_sink(text, len, NULL); }

/* A device that can say which context printed (our CPU device's per-context handler) hands
 * each session exactly its own output, however many sessions are live. */
typedef CUresult (*set_ctx_print_fn)(CUcontext, void (*)(const char *, size_t, void *), void *);
static set_ctx_print_fn set_ctx_print;

static void session_sink(const char *text, size_t len, void *user) {
  agent_session *s = user;
  pthread_mutex_lock(&output_lock);
  size_t room = GS_OUTPUT_MAX - s->output.len;
  gs_buffer_append(&s->output, text, len < room ? len : room);
  pthread_mutex_unlock(&output_lock);
}

void gs_output_route(agent_session *s, CUcontext ctx) {
  if (set_ctx_print) set_ctx_print(ctx, session_sink, s);
}

void gs_output_register(agent_session *s) {
  pthread_mutex_lock(&output_lock);
  s->next_live = output_live;
  output_live = s;
  pthread_mutex_unlock(&output_lock);
}

void gs_output_unregister(agent_session *s) {
  pthread_mutex_lock(&output_lock);
  for (agent_session **pp = &output_live; *pp; pp = &(*pp)->next_live)
    if (*pp == s) {
      *pp = s->next_live;
      break;
    }
  gs_buffer_free(&s->output);
  pthread_mutex_unlock(&output_lock);
}

CUresult gs_output_take(agent_session *s, char **text, u_int *len) {
  pthread_mutex_lock(&output_lock);
  *text = (char *)s->output.data;
  *len = (u_int)s->output.len;
  s->output.data = NULL;
  s->output.len = s->output.cap = 0;
  pthread_mutex_unlock(&output_lock);
  return CUDA_SUCCESS;
}

/* ---- the driver, once per process ---------------------------------------------------------- */

static pthread_mutex_t driver_lock = PTHREAD_MUTEX_INITIALIZER;
static gs_driver driver;
static void *driver_dl;
static char driver_path_loaded[512];

static int dlopen_flags(void) {
  /* RTLD_DEEPBIND keeps the device's internal cu* calls inside it even when this process also
   * exports cu* (the in-process link); the sanitizers refuse it, so builds with them rely on the
   * device being linked -Bsymbolic. */
#if defined(__SANITIZE_ADDRESS__)
  return RTLD_NOW | RTLD_LOCAL;
#else
  return RTLD_NOW | RTLD_LOCAL | RTLD_DEEPBIND;
#endif
}

const gs_driver *gs_driver_load(const char *path, char *err, size_t errlen) {
  static const char *const symbols[GS_DRIVER_COUNT] = {GS_DRIVER_SYMBOLS};
  if (!path || !*path) path = "libcuda.so.1";
  pthread_mutex_lock(&driver_lock);
  if (driver_dl) {
    int same = strcmp(path, driver_path_loaded) == 0;
    pthread_mutex_unlock(&driver_lock);
    if (same) return &driver;
    snprintf(err, errlen, "this agent already serves the driver %s, not %s",
             driver_path_loaded, path);
    return NULL;
  }
  void *dl = dlopen(path, dlopen_flags());
  if (!dl) {
    snprintf(err, errlen, "cannot load the CUDA driver %s (%s): set --driver or GPUSHIM_DRIVER "
             "to a libcuda.so.1", path, dlerror());
    pthread_mutex_unlock(&driver_lock);
    return NULL;
  }
  void **slots = (void **)&driver;
  for (int i = 0; i < GS_DRIVER_COUNT; i++) slots[i] = dlsym(dl, symbols[i]);
  /* in-process, "libcuda.so.1" by name may be gpushim's own face: forwarding to ourselves
   * would never end */
  Dl_info mine, theirs;
  if (driver.cuInit && dladdr((void *)gs_driver_load, &mine) &&
      dladdr((void *)driver.cuInit, &theirs) && mine.dli_fbase == theirs.dli_fbase) {
    snprintf(err, errlen, "the CUDA driver %s is gpushim itself: set GPUSHIM_DRIVER to the "
             "device's libcuda.so.1 (the CPU device or NVIDIA's)", path);
    memset(&driver, 0, sizeof driver);
    dlclose(dl);
    pthread_mutex_unlock(&driver_lock);
    return NULL;
  }
  /* what a session cannot work without; the rest answer CUDA_ERROR_NOT_SUPPORTED if absent */
  const void *required[] = {driver.cuInit, driver.cuDeviceGet, driver.cuCtxCreate,
                            driver.cuCtxDestroy, driver.cuCtxSetCurrent, driver.cuCtxPopCurrent,
                            driver.cuCtxSynchronize, driver.cuMemFree, driver.cuMemcpyHtoDAsync,
                            driver.cuMemcpyDtoHAsync, driver.cuStreamSynchronize};
  static const char *const required_names[] = {
      "cuInit", "cuDeviceGet", "cuCtxCreate", "cuCtxDestroy", "cuCtxSetCurrent",
      "cuCtxPopCurrent", "cuCtxSynchronize", "cuMemFree", "cuMemcpyHtoDAsync",
      "cuMemcpyDtoHAsync", "cuStreamSynchronize"};
  for (size_t i = 0; i < sizeof required / sizeof *required; i++) {
    if (!required[i]) {
      snprintf(err, errlen, "the CUDA driver %s lacks %s: it is too old or not a libcuda.so.1",
               path, required_names[i]);
      memset(&driver, 0, sizeof driver);
      dlclose(dl);
      pthread_mutex_unlock(&driver_lock);
      return NULL;
    }
  }
  CUresult e = driver.cuInit(0);
  if (e != CUDA_SUCCESS) {
    snprintf(err, errlen, "cuInit of %s failed with error %d: no usable device", path, (int)e);
    memset(&driver, 0, sizeof driver);
    dlclose(dl);
    pthread_mutex_unlock(&driver_lock);
    return NULL;
  }
  typedef void (*set_print_fn)(void (*)(const char *, size_t, void *), void *);
  set_print_fn set_print = (set_print_fn)dlsym(dl, "gpushim_cpudev_set_default_print_handler");
  if (set_print) set_print(output_sink, NULL);
  set_ctx_print = (set_ctx_print_fn)dlsym(dl, "gpushim_cpudev_set_print_handler");
  driver_dl = dl;
  snprintf(driver_path_loaded, sizeof driver_path_loaded, "%s", path);
  pthread_mutex_unlock(&driver_lock);
  return &driver;
}

/* ---- handles ------------------------------------------------------------------------------- */

/* id = kind << 56 | generation << 32 | (slot index + 1): never 0, 1 or 2, which are the
 * default-stream values, and never a pointer the client could guess into. */
static uint64_t make_id(int kind, uint16_t gen, size_t index) {
  return (uint64_t)kind << 56 | (uint64_t)gen << 32 | (uint64_t)(index + 1);
}

gs_handle_slot *gs_handle_slot_of(agent_session *s, int kind, uint64_t id) {
  if ((int)(id >> 56) != kind || (id >> 48 & 0xff) != 0) return NULL;
  uint64_t index = (id & 0xffffffffu);
  if (index == 0 || index > s->nslots) return NULL;
  gs_handle_slot *h = &s->slots[index - 1];
  if (!h->real || h->kind != kind || h->gen != (uint16_t)(id >> 32)) return NULL;
  return h;
}

CUresult gs_handle_get(agent_session *s, int kind, uint64_t id, void **real) {
  if (kind == GS_H_STREAM && id <= 2) {   /* NULL, CU_STREAM_LEGACY, CU_STREAM_PER_THREAD */
    *real = (void *)(uintptr_t)id;
    return CUDA_SUCCESS;
  }
  gs_handle_slot *h = gs_handle_slot_of(s, kind, id);
  if (!h) return kind == GS_H_CTX ? CUDA_ERROR_INVALID_CONTEXT : CUDA_ERROR_INVALID_HANDLE;
  *real = h->real;
  return CUDA_SUCCESS;
}

CUresult gs_handle_new(agent_session *s, int kind, void *real, uint64_t *id) {
  uint64_t parent = s->parent_hint;
  s->parent_hint = 0;
  if (!real) return CUDA_ERROR_UNKNOWN;
  size_t free_slot = s->nslots;
  for (size_t i = 0; i < s->nslots; i++) {
    gs_handle_slot *h = &s->slots[i];
    /* functions and kernels are looked up again and again: give the same id back */
    if (h->real == real && h->kind == kind && h->parent == parent &&
        (kind == GS_H_FUNC || kind == GS_H_KERNEL)) {
      *id = make_id(kind, h->gen, i);
      return CUDA_SUCCESS;
    }
    if (!h->real && free_slot == s->nslots) free_slot = i;
  }
  if (free_slot == s->nslots) {
    if (s->nslots >= 0xffffffu) return CUDA_ERROR_OUT_OF_MEMORY;
    if (s->nslots == s->capslots) {
      size_t cap = s->capslots ? s->capslots * 2 : 64;
      gs_handle_slot *p = realloc(s->slots, cap * sizeof *p);
      if (!p) return CUDA_ERROR_OUT_OF_MEMORY;
      s->slots = p;
      s->capslots = cap;
    }
    memset(&s->slots[s->nslots], 0, sizeof *s->slots);
    s->nslots++;
  }
  gs_handle_slot *h = &s->slots[free_slot];
  h->gen++;
  h->real = real;
  h->kind = (uint8_t)kind;
  h->ctx = s->cur;
  h->parent = parent;
  h->nparams = (uint32_t)-1;
  h->params = NULL;
  *id = make_id(kind, h->gen, free_slot);
  return CUDA_SUCCESS;
}

uint64_t gs_handle_find_real(agent_session *s, int kind, void *real) {
  for (size_t i = 0; i < s->nslots; i++)
    if (s->slots[i].real == real && s->slots[i].kind == kind) return make_id(kind, s->slots[i].gen, i);
  return 0;
}

static void slot_clear(gs_handle_slot *h) {
  free(h->params);
  h->params = NULL;
  h->real = NULL;
}

void gs_handle_drop(agent_session *s, int kind, uint64_t id) {
  gs_handle_slot *h = gs_handle_slot_of(s, kind, id);
  if (!h) return;
  /* a module takes its functions with it, a library its kernels and their functions */
  for (size_t i = 0; i < s->nslots; i++) {
    gs_handle_slot *c = &s->slots[i];
    if (!c->real || c->parent != id) continue;
    if (c->kind == GS_H_KERNEL) gs_handle_drop(s, GS_H_KERNEL, make_id(GS_H_KERNEL, c->gen, i));
    else slot_clear(c);
  }
  slot_clear(h);
}

CUresult gs_device_get(agent_session *s, int client_ordinal, CUdevice *dev) {
  if (client_ordinal != 0) return CUDA_ERROR_INVALID_DEVICE;
  *dev = s->dev;
  return CUDA_SUCCESS;
}

/* ---- allocations --------------------------------------------------------------------------- */

CUresult gs_range_check(agent_session *s, CUdeviceptr p, uint64_t n) {
  if (n == 0) return CUDA_SUCCESS;
  for (size_t i = 0; i < s->nallocs; i++) {
    const gs_alloc *a = &s->allocs[i];
    if (p >= a->base && p - a->base < a->size) {
      return n <= a->size - (p - a->base) ? CUDA_SUCCESS : CUDA_ERROR_INVALID_VALUE;
    }
  }
  return CUDA_ERROR_INVALID_VALUE;
}

CUresult gs_alloc_check_base(agent_session *s, CUdeviceptr p) {
  if (p == 0) return CUDA_SUCCESS;                  /* cuMemFree(0) is a no-op */
  for (size_t i = 0; i < s->nallocs; i++)
    if (s->allocs[i].base == p && !s->allocs[i].global) return CUDA_SUCCESS;
  return CUDA_ERROR_INVALID_VALUE;
}

CUresult gs_alloc_note(agent_session *s, CUdeviceptr p, uint64_t n, int global) {
  for (size_t i = 0; i < s->nallocs; i++)
    if (s->allocs[i].base == p) {                   /* a global looked up again */
      s->allocs[i].size = n;
      return CUDA_SUCCESS;
    }
  if (s->nallocs == s->capallocs) {
    size_t cap = s->capallocs ? s->capallocs * 2 : 64;
    gs_alloc *a = realloc(s->allocs, cap * sizeof *a);
    if (!a) return CUDA_ERROR_OUT_OF_MEMORY;
    s->allocs = a;
    s->capallocs = cap;
  }
  s->allocs[s->nallocs++] = (gs_alloc){p, n, s->cur, global};
  return CUDA_SUCCESS;
}

void gs_alloc_forget(agent_session *s, CUdeviceptr p) {
  for (size_t i = 0; i < s->nallocs; i++)
    if (s->allocs[i].base == p) {
      s->allocs[i] = s->allocs[--s->nallocs];
      return;
    }
}

/* ---- open / close -------------------------------------------------------------------------- */

GS_EXPORT agent_session *agent_session_open(const agent_device_config *cfg, char *err,
                                            size_t errlen) {
  const gs_driver *drv = gs_driver_load(cfg ? cfg->driver_path : NULL, err, errlen);
  if (!drv) return NULL;
  agent_session *s = calloc(1, sizeof *s);
  if (!s) {
    snprintf(err, errlen, "out of memory opening a session");
    return NULL;
  }
  s->drv = drv;
  CUresult e = drv->cuDeviceGet(&s->dev, cfg ? cfg->device_ordinal : 0);
  if (e == CUDA_SUCCESS) e = drv->cuCtxCreate(&s->ctx, NULL, 0, s->dev);
  if (e != CUDA_SUCCESS) {
    snprintf(err, errlen, "cannot create a context on device %d (error %d)",
             cfg ? cfg->device_ordinal : 0, (int)e);
    free(s);
    return NULL;
  }
  CUcontext popped;
  drv->cuCtxPopCurrent(&popped);
  s->cur = s->ctx;
  gs_output_register(s);
  gs_output_route(s, s->ctx);
  s->zc = ZSTD_createCCtx();
  s->zd = ZSTD_createDCtx();
  if (!s->zc || !s->zd || gs_handle_new(s, GS_H_CTX, s->ctx, &s->ctx_id) != CUDA_SUCCESS) {
    snprintf(err, errlen, "out of memory opening a session");
    agent_session_close(s);
    return NULL;
  }
  return s;
}

/* Releases one kind of handle made in ctx (NULL: in any context), each in its own context. */
static void release_kind(agent_session *s, int kind, CUcontext ctx) {
  const gs_driver *d = s->drv;
  for (size_t i = 0; i < s->nslots; i++) {
    gs_handle_slot *h = &s->slots[i];
    if (!h->real || h->kind != kind || (ctx && h->ctx != ctx)) continue;
    d->cuCtxSetCurrent(h->ctx);
    switch (kind) {
    case GS_H_EVENT: if (d->cuEventDestroy) d->cuEventDestroy((CUevent)h->real); break;
    case GS_H_STREAM: if (d->cuStreamDestroy) d->cuStreamDestroy((CUstream)h->real); break;
    case GS_H_MOD: if (d->cuModuleUnload) d->cuModuleUnload((CUmodule)h->real); break;
    case GS_H_LIB: if (d->cuLibraryUnload) d->cuLibraryUnload((CUlibrary)h->real); break;
    case GS_H_TEXOBJ: if (d->cuTexObjectDestroy) d->cuTexObjectDestroy((CUtexObject)(uintptr_t)h->real); break;
    case GS_H_SURFOBJ: if (d->cuSurfObjectDestroy) d->cuSurfObjectDestroy((CUsurfObject)(uintptr_t)h->real); break;
    case GS_H_ARRAY: if (d->cuArrayDestroy) d->cuArrayDestroy((CUarray)h->real); break;
    case GS_H_CTX:
      if (h->real != s->ctx) d->cuCtxDestroy((CUcontext)h->real);
      break;
    default: break;
    }
    if (kind == GS_H_MOD || kind == GS_H_LIB)
      gs_handle_drop(s, kind, make_id(kind, h->gen, i));   /* with its functions and kernels */
    else
      slot_clear(h);
  }
}

static void free_allocations(agent_session *s, CUcontext ctx) {
  for (size_t i = 0; i < s->nallocs;) {
    gs_alloc *a = &s->allocs[i];
    if (ctx && a->ctx != ctx) {
      i++;
      continue;
    }
    if (!a->global) {
      s->drv->cuCtxSetCurrent(a->ctx);
      s->drv->cuMemFree(a->base);
    }
    *a = s->allocs[--s->nallocs];
  }
}

void gs_session_release_in(agent_session *s, CUcontext ctx) {
  s->drv->cuCtxSetCurrent(ctx ? ctx : s->ctx);
  s->drv->cuCtxSynchronize();
  release_kind(s, GS_H_EVENT, ctx);
  release_kind(s, GS_H_STREAM, ctx);
  release_kind(s, GS_H_TEXOBJ, ctx);
  release_kind(s, GS_H_SURFOBJ, ctx);
  release_kind(s, GS_H_ARRAY, ctx);
  free_allocations(s, ctx);
  release_kind(s, GS_H_MOD, ctx);
  release_kind(s, GS_H_LIB, ctx);
  s->drv->cuCtxSetCurrent(s->cur);
}

GS_EXPORT void agent_session_close(agent_session *s) {
  if (!s) return;
  const gs_driver *d = s->drv;
  if (s->ctx) {
    d->cuCtxSetCurrent(s->ctx);
    d->cuCtxSynchronize();                    /* text still being printed lands here first */
    gs_output_unregister(s);
  }
  if (s->ctx) {
    s->cur = NULL;
    gs_session_release_in(s, NULL);          /* everything, in every context */
    gs_vmm_close(s);
    release_kind(s, GS_H_CTX, NULL);
    d->cuCtxSetCurrent(NULL);
    d->cuCtxDestroy(s->ctx);
  }
  for (size_t i = 0; i < s->nslots; i++) free(s->slots[i].params);
  free(s->slots);
  free(s->allocs);
  ZSTD_freeCCtx(s->zc);
  ZSTD_freeDCtx(s->zd);
  free(s);
}

GS_EXPORT void agent_session_counters(const agent_session *s, agent_counters *out) {
  *out = s->counters;
}

/* ---- one message ------------------------------------------------------------------------- */

/* Decodes one call's arguments at the stream position, runs it and appends status and result
 * to the reply. 0, or -1 when the arguments do not decode (GARBAGE_ARGS for the message). */
static int run_call(agent_session *s, XDR *in, uint32_t proc, gs_buffer *reply, int refuse) {
  const gs_agent_proc *p = &gs_agent_procs[proc];
  /* one allocation big enough for any args and res struct */
  union { char c[1024]; long double align; } args, res;
  if (p->args_size > sizeof args || p->res_size > sizeof res) return -1;
  memset(&args, 0, sizeof args);
  memset(&res, 0, sizeof res);
  if (p->xargs && !p->xargs(in, &args, 0)) {
    xdr_free(p->xargs, (char *)&args);
    return -1;
  }
  /* refuse: the reply is already as big as one may be; the call is not run */
  CUresult e = refuse ? CUDA_ERROR_OUT_OF_MEMORY : p->fn(s, &args, &res);
  if (!refuse) s->counters.calls++;
  if (p->xargs) xdr_free(p->xargs, (char *)&args);

  size_t body = (e == CUDA_SUCCESS && p->xres) ? xdr_sizeof(p->xres, &res) : 0;
  int rc = 0;
  if (gs_buffer_reserve(reply, 4 + body) < 0) {
    rc = -1;
  } else {
    gs_put32(reply->data + reply->len, (uint32_t)e);
    reply->len += 4;
    if (body) {
      XDR out;
      xdrmem_create(&out, (char *)reply->data + reply->len, (u_int)body, XDR_ENCODE);
      if (!p->xres(&out, &res, 0)) rc = -1;
      else reply->len += xdr_getpos(&out);
      xdr_destroy(&out);
    }
  }
  if (p->xres) xdr_free(p->xres, (char *)&res);
  return rc;
}

/* Past this many reply bytes the rest of a batch is answered CUDA_ERROR_OUT_OF_MEMORY without
 * running (our client never asks for more than 64 MiB in one reply; the link carries 256). */
#define GS_REPLY_BUDGET (GS_LINK_MAX_MESSAGE / 2)

static int valid_proc(uint32_t proc) {
  return proc >= GS_FIRST_PROC && proc < GS_PROC_LIMIT && gs_agent_procs[proc].fn;
}

static void reply_status_only(gs_buffer *reply, size_t start, uint32_t xid, uint32_t accept) {
  reply->len = start;
  if (gs_buffer_reserve(reply, GS_RPC_REPLY_HEADER) < 0) return;
  gs_rpc_write_reply(reply->data + reply->len, xid, accept);
  reply->len += GS_RPC_REPLY_HEADER;
}

GS_EXPORT int agent_session_handle(agent_session *s, const uint8_t *req, size_t len,
                                   int client_waits, gs_buffer *reply) {
  size_t start = reply->len;
  s->counters.messages++;
  if (client_waits) s->counters.round_trips++;
  s->counters.bytes_in_wire += len;
  s->counters.bytes_in_raw += len;
  if (len > GS_LINK_MAX_MESSAGE || len > UINT32_MAX) return -1;

  uint32_t xid, proc;
  int accept;
  long pos = gs_rpc_read_call(req, len, &xid, &proc, &accept);
  if (pos < 0) return -1;
  if (accept != GS_RPC_SUCCESS) {
    reply_status_only(reply, start, xid, (uint32_t)accept);
    if (accept == GS_RPC_PROG_MISMATCH && gs_buffer_reserve(reply, 8) == 0) {
      gs_put32(reply->data + reply->len, GS_VERSION);       /* low, high */
      gs_put32(reply->data + reply->len + 4, GS_VERSION);
      reply->len += 8;
    }
    return 0;
  }
  if (proc != GS_PROC_BATCH && !valid_proc(proc)) {
    reply_status_only(reply, start, xid, GS_RPC_PROC_UNAVAIL);
    return 0;
  }

  XDR in;
  xdrmem_create(&in, (char *)req + pos, (u_int)(len - (size_t)pos), XDR_DECODE);
  uint32_t count = 1;
  int bad = 0;
  if (proc == GS_PROC_BATCH) {
    /* every call takes at least its 4-byte proc number */
    if (!xdr_u_int(&in, &count) || count > (len - (size_t)pos) / 4) bad = 1;
  }
  if (!bad && gs_buffer_reserve(reply, GS_RPC_REPLY_HEADER + 4) < 0) bad = 1;
  if (!bad) {
    gs_rpc_write_reply(reply->data + reply->len, xid, GS_RPC_SUCCESS);
    gs_put32(reply->data + reply->len + GS_RPC_REPLY_HEADER, count);
    reply->len += GS_RPC_REPLY_HEADER + 4;
  }
  s->drv->cuCtxSetCurrent(s->cur);
  for (uint32_t i = 0; i < count && !bad; i++) {
    uint32_t p = proc;
    if (proc == GS_PROC_BATCH && (!xdr_u_int(&in, &p) || !valid_proc(p))) {
      bad = 1;
      break;
    }
    if (run_call(s, &in, p, reply, reply->len - start > GS_REPLY_BUDGET) < 0) bad = 1;
  }
  /* trailing bytes after the last call mean the message is not what it claims */
  if (!bad && xdr_getpos(&in) != len - (size_t)pos) bad = 1;
  xdr_destroy(&in);
  if (bad) reply_status_only(reply, start, xid, GS_RPC_GARBAGE_ARGS);
  s->counters.bytes_out_wire += reply->len - start;
  s->counters.bytes_out_raw += reply->len - start;
  return 0;
}

/* client.c - the call queue, the link and the answer cache of the driver client (gs_client.h).
 * Calls are encoded once, into the queue that becomes the next batch message; replies are
 * decoded in order into the waiting caller's result or, for copies back, the user's buffer. */
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "gs_client.h"

enum { LINK_CLOSED, LINK_OPEN, LINK_FAILED, LINK_LOST };

/* A queue flushes without waiting beyond these; no more than MAX_UNREAD such messages stay
 * unanswered, so the agent never blocks on replies nobody reads. */
#define FLUSH_BYTES ((size_t)8 << 20)
#define FLUSH_CALLS 16384
#define MAX_UNREAD 2
#define UNREAD_REPLY_BYTES ((size_t)256 << 10)
/* A message whose reply may pass this is sent and its reply read before more is queued: the
 * transport carries at most GS_LINK_MAX_MESSAGE bytes per message. */
#define MAX_REPLY_BYTES ((size_t)64 << 20)

typedef struct {
  gs_pending *pend;
  size_t n;
  uint32_t xid;
} sent_msg;

typedef struct cache_entry {
  struct cache_entry *next;
  size_t key_len, val_len;
  uint8_t *key, *val;
} cache_entry;

#define CACHE_BUCKETS 256

static struct {
  pthread_mutex_t lock;
  int state;
  gs_link *link;
  gs_buffer queue;             /* header room + encoded calls */
  uint32_t nqueued;
  size_t reply_bytes;          /* how big the reply to the queue may be */
  gs_pending *pend;            /* one per queued call */
  size_t npend, cappend;
  sent_msg sent[MAX_UNREAD + 1];
  size_t nsent;
  gs_buffer reply;
  uint32_t xid;
  CUresult deferred;           /* first error of a queued call not yet reported */
  uint64_t sent_ctx;           /* the context the agent will run the next call in */
  int sent_ctx_known;
  cache_entry *cache[CACHE_BUCKETS];
} G = {.lock = PTHREAD_MUTEX_INITIALIZER};

/* ---- sticky errors ------------------------------------------------------------------------
 * A fault on the device (illegal address, trap, ...) leaves its context unusable: once a reply
 * reports one, every later call in that context returns it at once - the queued ones too -
 * until the context is reset or destroyed. */

#define MAX_STICKY 16

static struct {
  uint64_t ctx;
  CUresult err;
} sticky[MAX_STICKY];
static size_t nsticky;

static int is_fatal(CUresult e) {
  switch ((int)e) {
  case CUDA_ERROR_ILLEGAL_ADDRESS: case CUDA_ERROR_LAUNCH_TIMEOUT: case CUDA_ERROR_ASSERT:
  case CUDA_ERROR_HARDWARE_STACK_ERROR: case CUDA_ERROR_ILLEGAL_INSTRUCTION:
  case CUDA_ERROR_MISALIGNED_ADDRESS: case CUDA_ERROR_INVALID_ADDRESS_SPACE:
  case CUDA_ERROR_INVALID_PC: case CUDA_ERROR_LAUNCH_FAILED:
    return 1;
  default:
    return 0;
  }
}

/* lock held */
static void note_fatal(CUresult e) {
  if (!is_fatal(e)) return;
  uint64_t ctx = gs_client_current_ctx();
  for (size_t i = 0; i < nsticky; i++)
    if (sticky[i].ctx == ctx) return;
  if (nsticky < MAX_STICKY) sticky[nsticky++] = (typeof(sticky[0])){ctx, e};
}

/* lock held */
static CUresult sticky_error(void) {
  uint64_t ctx = gs_client_current_ctx();
  for (size_t i = 0; i < nsticky; i++)
    if (sticky[i].ctx == ctx) return sticky[i].err;
  return CUDA_SUCCESS;
}

void gs_client_forget_context_errors(uint64_t ctx) {
  pthread_mutex_lock(&G.lock);
  for (size_t i = 0; i < nsticky;)
    if (sticky[i].ctx == ctx) sticky[i] = sticky[--nsticky];
    else i++;
  G.deferred = CUDA_SUCCESS;
  pthread_mutex_unlock(&G.lock);
}

/* ---- link state -------------------------------------------------------------------------- */

static CUresult link_lost(const char *why) {
  if (G.state != LINK_LOST) fprintf(stderr, "gpushim: %s\n", why);
  G.state = LINK_LOST;
  G.nsent = 0;
  G.queue.len = 0;
  G.nqueued = 0;
  G.npend = 0;
  return CUDA_ERROR_LAUNCH_FAILED;
}

static CUresult ensure_link(void) {
  if (G.state == LINK_OPEN) return CUDA_SUCCESS;
  if (G.state == LINK_CLOSED) {
    char err[512] = "";
    G.link = gs_link_open(err, sizeof err);
    if (!G.link) {
      fprintf(stderr, "gpushim: %s\n", err[0] ? err : "cannot reach a gpushim agent");
      G.state = LINK_FAILED;
      return CUDA_ERROR_NOT_INITIALIZED;
    }
    G.state = LINK_OPEN;
    G.sent_ctx_known = 0;
    return CUDA_SUCCESS;
  }
  return G.state == LINK_FAILED ? CUDA_ERROR_NOT_INITIALIZED : CUDA_ERROR_LAUNCH_FAILED;
}

CUresult gs_begin(void) {
  pthread_mutex_lock(&G.lock);
  CUresult e = ensure_link();
  if (e) pthread_mutex_unlock(&G.lock);
  return e;
}

CUresult gs_sticky_error(void) {
  return sticky_error();
}

void gs_end(void) {
  pthread_mutex_unlock(&G.lock);
}

static int send_queue(int wait);
static CUresult drain(void);

/* ---- encoding ---------------------------------------------------------------------------- */

static int encode_into_queue(uint32_t proc, xdrproc_t xargs, void *args) {
  if (G.queue.len == 0) {
    if (gs_buffer_reserve(&G.queue, GS_RPC_CALL_HEADER + 4) < 0) return -1;
    G.queue.len = GS_RPC_CALL_HEADER + 4;        /* header and count, written at flush */
  }
  size_t n = xargs ? xdr_sizeof(xargs, args) : 0;
  if (gs_buffer_reserve(&G.queue, 4 + n) < 0) return -1;
  gs_put32(G.queue.data + G.queue.len, proc);
  if (n) {
    XDR x;
    xdrmem_create(&x, (char *)G.queue.data + G.queue.len + 4, (u_int)n, XDR_ENCODE);
    int ok = xargs(&x, args, 0);
    xdr_destroy(&x);
    if (!ok) return -1;
  }
  G.queue.len += 4 + n;
  return 0;
}

static int add_pending(const gs_pending *p) {
  if (G.npend == G.cappend) {
    size_t cap = G.cappend ? G.cappend * 2 : 256;
    gs_pending *q = realloc(G.pend, cap * sizeof *q);
    if (!q) return -1;
    G.pend = q;
    G.cappend = cap;
  }
  G.pend[G.npend++] = *p;
  G.nqueued++;
  G.reply_bytes += 8 + (p->decode == gs_decode_dtoh_chunk ? p->len : 0);
  return 0;
}

static CUresult enqueue_one(uint32_t proc, xdrproc_t xargs, void *args, const gs_pending *p) {
  size_t mark = G.queue.len;
  if (encode_into_queue(proc, xargs, args) < 0 || add_pending(p) < 0) {
    G.queue.len = mark;
    return CUDA_ERROR_OUT_OF_MEMORY;
  }
  return CUDA_SUCCESS;
}

/* GPUSHIM_BATCH=0 turns batching off: every call, asynchronous ones too, is sent and waited
 * for at once — synchronous forwarding, as peers without batching do. Benchmarks use it to
 * show what batching saves; an asynchronous call's error still waits for the next
 * synchronizing call. */
static int batching_enabled(void) {
  static int enabled = -1;
  if (enabled < 0) {
    const char *v = getenv("GPUSHIM_BATCH");
    enabled = !(v && strcmp(v, "0") == 0);
  }
  return enabled;
}

static CUresult forward_now(void) {
  if (send_queue(1) < 0) return CUDA_ERROR_LAUNCH_FAILED;
  CUresult e = drain();
  if (e != CUDA_SUCCESS && G.state == LINK_OPEN && G.deferred == CUDA_SUCCESS) G.deferred = e;
  return G.state == LINK_OPEN ? CUDA_SUCCESS : e;
}

CUresult gs_enqueue(uint32_t proc, xdrproc_t xargs, void *args, const gs_pending *p) {
  CUresult pe = gs_uvm_push();          /* managed/mapped host writes go first (uvm.c) */
  if (pe) return pe;
  uint64_t ctx = gs_client_current_ctx();
  if (!G.sent_ctx_known || G.sent_ctx != ctx) {
    gs_set_ctx_args a = {ctx};
    gs_pending sp = {.proc = GS_gs_set_ctx};
    CUresult e = enqueue_one(GS_gs_set_ctx, (xdrproc_t)xdr_gs_set_ctx_args, &a, &sp);
    if (e) return e;
    G.sent_ctx = ctx;
    G.sent_ctx_known = 1;
  }
  gs_pending q = *p;
  q.proc = proc;
  CUresult e = enqueue_one(proc, xargs, args, &q);
  if (e == CUDA_SUCCESS && !p->status_out && !p->decode && proc != GS_gs_set_ctx) gs_uvm_touch();
  if (e != CUDA_SUCCESS || p->status_out) return e;
  if (!batching_enabled()) return forward_now();
  if (G.reply_bytes >= MAX_REPLY_BYTES) return send_queue(1) ? CUDA_ERROR_LAUNCH_FAILED : drain();
  if (G.queue.len >= FLUSH_BYTES || G.nqueued >= FLUSH_CALLS) {
    int wait = G.reply_bytes > UNREAD_REPLY_BYTES;
    if (send_queue(wait) < 0) return CUDA_ERROR_LAUNCH_FAILED;
    if (wait) return drain();
  }
  return CUDA_SUCCESS;
}

/* ---- replies ----------------------------------------------------------------------------- */

static int decode_generic(XDR *x, gs_pending *p) {
  return p->xres(x, p->res, 0) ? 0 : -1;
}

int gs_decode_dtoh_chunk(XDR *x, gs_pending *p) {
  u_int codec, len;
  if (!xdr_u_int(x, &codec) || !xdr_u_int(x, &len)) return -1;
  if (codec == GS_CODEC_NONE) {
    if (len != p->len) return -1;
    return xdr_opaque(x, (char *)p->dst, len) ? 0 : -1;   /* straight into the user's buffer */
  }
  if (codec != GS_CODEC_ZSTD || len > GS_CHUNK + 4096) return -1;
  const char *z = (const char *)xdr_inline(x, (int)((len + 3u) & ~3u));
  if (!z) return -1;
  size_t got = ZSTD_decompress(p->dst, p->len, z, len);
  return (!ZSTD_isError(got) && got == p->len) ? 0 : -1;
}

/* Decodes one reply against the calls of the message it answers. */
static CUresult process_reply(const sent_msg *m) {
  uint32_t xid, accept;
  long pos = gs_rpc_read_reply(G.reply.data, G.reply.len, &xid, &accept);
  if (pos < 0 || xid != m->xid) return link_lost("the agent sent a reply that is not ours");
  if (accept != GS_RPC_SUCCESS) {
    char why[160];
    snprintf(why, sizeof why, "the agent rejected a request (RPC accept status %u): protocol "
             "versions of client and agent differ", accept);
    return link_lost(why);
  }
  XDR x;
  xdrmem_create(&x, (char *)G.reply.data + pos, (u_int)(G.reply.len - (size_t)pos), XDR_DECODE);
  u_int count;
  int bad = !xdr_u_int(&x, &count) || count != m->n;
  for (size_t i = 0; i < m->n && !bad; i++) {
    gs_pending *p = &m->pend[i];
    int status;
    if (!xdr_int(&x, &status)) {
      bad = 1;
      break;
    }
    if (status == 0 && p->decode) {
      u_int start = xdr_getpos(&x);
      if (p->decode(&x, p) < 0) {
        bad = 1;
        break;
      }
      if (p->capture) {
        p->capture->len = 0;
        if (gs_buffer_append(p->capture, G.reply.data + pos + start, xdr_getpos(&x) - start) < 0)
          p->capture = NULL;
      }
    }
    if (p->status_out) *p->status_out = (CUresult)status;
    else if (status != 0 && G.deferred == CUDA_SUCCESS) G.deferred = (CUresult)status;
  }
  xdr_destroy(&x);
  if (bad) return link_lost("the agent sent a malformed reply: link given up");
  return CUDA_SUCCESS;
}

static CUresult read_oldest(void) {
  char err[512] = "";
  if (gs_link_recv(G.link, &G.reply, err, sizeof err) < 0)
    return link_lost(err[0] ? err : "lost the link to the gpushim agent");
  sent_msg m = G.sent[0];
  memmove(&G.sent[0], &G.sent[1], (G.nsent - 1) * sizeof *G.sent);
  G.nsent--;
  CUresult e = process_reply(&m);
  free(m.pend);
  return e;
}

/* Sends the queue as one message (nothing to send: nothing done). 0, or -1 with the link lost. */
static int send_queue(int wait) {
  if (G.state != LINK_OPEN) return -1;
  if (G.nqueued == 0) return 0;
  while (G.nsent >= MAX_UNREAD)
    if (read_oldest() != CUDA_SUCCESS) return -1;
  uint32_t xid = ++G.xid;
  gs_rpc_write_call(G.queue.data, xid, GS_PROC_BATCH);
  gs_put32(G.queue.data + GS_RPC_CALL_HEADER, G.nqueued);
  if (gs_link_send(G.link, G.queue.data, G.queue.len, wait) < 0) {
    link_lost("lost the link to the gpushim agent while sending");
    return -1;
  }
  G.sent[G.nsent++] = (sent_msg){G.pend, G.npend, xid};
  G.pend = NULL;
  G.npend = G.cappend = 0;
  G.queue.len = 0;
  G.nqueued = 0;
  G.reply_bytes = 0;
  return 0;
}

/* Reads every reply outstanding; errors of queued calls stay deferred. */
static CUresult drain(void) {
  while (G.nsent > 0) {
    CUresult e = read_oldest();
    if (e) return e;
  }
  return CUDA_SUCCESS;
}

/* Device printf text the agent held for us: to our stdout, as the driver flushes it at sync
 * points. */
static int decode_output(XDR *x, gs_pending *p) {
  (void)p;
  u_int len;
  if (!xdr_u_int(x, &len) || len > GS_MAX_BYTES) return -1;
  if (len == 0) return 0;
  const char *text = (const char *)xdr_inline(x, (int)((len + 3u) & ~3u));
  if (!text) return -1;
  fwrite(text, 1, len, stdout);
  fflush(stdout);
  return 0;
}

CUresult gs_flush(int wait) {
  if (wait && G.state == LINK_OPEN) {
    gs_pending p = {.decode = decode_output};
    CUresult e = gs_enqueue(GS_gs_take_output, 0, 0, &p);
    if (e) return e;
  }
  if (send_queue(wait) < 0) return CUDA_ERROR_LAUNCH_FAILED;
  if (!wait) return CUDA_SUCCESS;
  CUresult e = drain();
  if (e) return e;
  if (gs_uvm_queue_pull(G.deferred == CUDA_SUCCESS && sticky_error() == CUDA_SUCCESS)) {
    int sent = send_queue(1);           /* the device's writes to managed/mapped memory */
    e = sent < 0 ? CUDA_ERROR_LAUNCH_FAILED : drain();
    gs_uvm_pulled();
    if (e) return e;
  }
  e = G.deferred;
  G.deferred = CUDA_SUCCESS;
  note_fatal(e);
  return e;
}

/* ---- the answer cache -------------------------------------------------------------------- */

static uint32_t hash_bytes(const uint8_t *p, size_t n) {
  uint32_t h = 2166136261u;
  for (size_t i = 0; i < n; i++) h = (h ^ p[i]) * 16777619u;
  return h;
}

static cache_entry *cache_find(const gs_buffer *key) {
  for (cache_entry *c = G.cache[hash_bytes(key->data, key->len) % CACHE_BUCKETS]; c; c = c->next)
    if (c->key_len == key->len && memcmp(c->key, key->data, key->len) == 0) return c;
  return NULL;
}

static void cache_put(const gs_buffer *key, const gs_buffer *val) {
  cache_entry *c = calloc(1, sizeof *c);
  if (!c || !(c->key = malloc(key->len)) || !(c->val = malloc(val->len ? val->len : 1))) {
    if (c) free(c->key);
    free(c);
    return;
  }
  memcpy(c->key, key->data, key->len);
  if (val->len) memcpy(c->val, val->data, val->len);
  c->key_len = key->len;
  c->val_len = val->len;
  uint32_t b = hash_bytes(key->data, key->len) % CACHE_BUCKETS;
  c->next = G.cache[b];
  G.cache[b] = c;
}

static void cache_clear(void) {
  for (int b = 0; b < CACHE_BUCKETS; b++) {
    while (G.cache[b]) {
      cache_entry *c = G.cache[b];
      G.cache[b] = c->next;
      free(c->key);
      free(c->val);
      free(c);
    }
  }
}

/* key = proc number + encoded arguments */
static int cache_key(gs_buffer *key, uint32_t proc, xdrproc_t xargs, void *args) {
  size_t n = xargs ? xdr_sizeof(xargs, args) : 0;
  if (gs_buffer_reserve(key, 4 + n) < 0) return -1;
  gs_put32(key->data, proc);
  key->len = 4;
  if (n) {
    XDR x;
    xdrmem_create(&x, (char *)key->data + 4, (u_int)n, XDR_ENCODE);
    int ok = xargs(&x, args, 0);
    xdr_destroy(&x);
    if (!ok) return -1;
    key->len += n;
  }
  return 0;
}

/* ---- the generated stubs' entry ---------------------------------------------------------- */

CUresult gs_call(uint32_t proc, unsigned flags, xdrproc_t xargs, void *args, xdrproc_t xres,
                 void *res) {
  CUresult e = gs_begin();
  if (e) return (proc == GS_cuInit && e == CUDA_ERROR_NOT_INITIALIZED) ? CUDA_ERROR_NO_DEVICE : e;
  if (flags & GS_F_UNCACHE) cache_clear();
  gs_buffer key = {0}, val = {0};
  int caching = (flags & GS_F_CACHE) && cache_key(&key, proc, xargs, args) == 0;
  if (caching) {
    cache_entry *c = cache_find(&key);
    if (c) {
      int ok = 1;
      if (xres) {
        XDR x;
        xdrmem_create(&x, (char *)c->val, (u_int)c->val_len, XDR_DECODE);
        ok = xres(&x, res, 0);
        xdr_destroy(&x);
      }
      gs_end();
      gs_buffer_free(&key);
      if (ok) return CUDA_SUCCESS;
      return CUDA_ERROR_UNKNOWN;
    }
  }
  if (!(flags & GS_F_SYNC) && (e = sticky_error()) != CUDA_SUCCESS) {
    gs_end();
    gs_buffer_free(&key);
    return e;
  }
  gs_pending p = {0};
  CUresult status = CUDA_ERROR_UNKNOWN;
  if (flags & GS_F_SYNC) {
    p.decode = xres ? decode_generic : NULL;
    p.xres = xres;
    p.res = res;
    p.status_out = &status;
    p.capture = caching ? &val : NULL;
  }
  e = gs_enqueue(proc, xargs, args, &p);
  if (e == CUDA_SUCCESS && (flags & GS_F_SYNC)) {
    e = gs_flush(1);
    if (G.state == LINK_OPEN) {
      /* the call's own error first; an earlier queued call's waits for the next sync call */
      if (status != CUDA_SUCCESS) {
        if (e != CUDA_SUCCESS) G.deferred = e;
        e = status;
      } else {
        if (caching) cache_put(&key, &val);
        if (e != CUDA_SUCCESS && !(flags & GS_F_REPORT)) {
          G.deferred = e;                 /* kept for the next synchronizing call */
          e = CUDA_SUCCESS;
        }
      }
    }
  }
  note_fatal(e);
  gs_end();
  gs_buffer_free(&key);
  gs_buffer_free(&val);
  return e;
}

int gs_client_device_attr(CUdevice_attribute a, int *value) {
  return cuDeviceGetAttribute(value, a, 0) == CUDA_SUCCESS ? 0 : -1;
}

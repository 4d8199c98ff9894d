/* uvm.c - managed memory (cuMemAllocManaged) and mapped host memory (cuMemHostAlloc DEVICEMAP,
 * cuMemHostRegister DEVICEMAP) across a link, with CUDA's semantics for a device whose
 * concurrentManagedAccess is 0: the host must not touch the memory while device work may use it,
 * and sees the device's writes after a synchronizing call.
 *
 * Each range has a host copy (what the app touches) and a device copy. Managed and host-allocated
 * ranges are mapped on the client at the very address of their device allocation (the agent
 * allocates, the client mmaps MAP_FIXED_NOREPLACE there, retrying on a clash), so pointers
 * inside structs work unchanged; registered memory keeps the app's address and gets a device
 * twin at another address (cuMemHostGetDevicePointer tells it).
 *  - host writes: clean pages are read-only; the first write faults, our SIGSEGV handler marks
 *    the page dirty and makes it writable. Before the next call that goes to the agent, dirty
 *    pages are pushed (coalesced runs) and made read-only again;
 *  - device writes: after a call that queued device work (launch, memset, copy...), the next
 *    round trip that waits (synchronize, synchronous copy, any sync call) pulls every range back.
 * In process (GPUSHIM_ENDPOINT=inprocess) the device memory is in this process: it is used
 * directly, nothing moves. docs/remoting.md has the design and its limits. */
#include <pthread.h>
#include <signal.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <unistd.h>

#include "gs_client.h"

#ifndef MAP_FIXED_NOREPLACE
#define MAP_FIXED_NOREPLACE 0x100000
#endif

#define UVM_MAX 1024          /* live ranges at once */
#define UVM_TRIES 16          /* device allocations tried for a free host address */
#define UVM_BIG (((size_t)1 << 20) + 65536)   /* after a clash: above the CPU device's heap */

typedef struct {
  _Atomic int live;
  int kind;                   /* GS_UVM_MANAGED / HOSTALLOC / REGISTERED */
  int shared;                 /* in process: host and device are one memory */
  unsigned flags;
  uintptr_t host;             /* the app's pointer */
  CUdeviceptr dev;            /* device address of host[0] */
  CUdeviceptr alloc;          /* device allocation to free (0: shared memory of the device) */
  size_t size;
  uintptr_t pg0;              /* pages covering [host, host+size) */
  size_t npages;
  _Atomic unsigned char *dirty;
  uint8_t *edge;              /* registered: last pushed/pulled bytes of the partial end pages */
  int edge_valid;             /* edge holds them (not before the first push) */
} uvm_range;

static uvm_range ranges[UVM_MAX];
static _Atomic int nslots;                      /* slots ever used (handler scans these) */
static pthread_mutex_t uvm_lock = PTHREAD_MUTEX_INITIALIZER;
static _Atomic int any_dirty, touched, nlive;
static __thread int quiet;                      /* our own calls: no push, no touch */
static size_t pg;
static struct sigaction old_segv;
static uint64_t bytes_pushed, bytes_pulled, pushes, pulls;

/* ---- the fault handler ------------------------------------------------------------------- */

static void chain_segv(int sig, siginfo_t *si, void *uc) {
  if (old_segv.sa_flags & SA_SIGINFO) {
    if (old_segv.sa_sigaction) old_segv.sa_sigaction(sig, si, uc);
    return;
  }
  if (old_segv.sa_handler == SIG_DFL || old_segv.sa_handler == SIG_IGN) {
    signal(SIGSEGV, SIG_DFL);                   /* the faulting access runs again and kills */
    return;
  }
  old_segv.sa_handler(sig);
}

static void on_segv(int sig, siginfo_t *si, void *uc) {
  uintptr_t a = (uintptr_t)si->si_addr;
  int n = atomic_load(&nslots);
  for (int i = 0; i < n; i++) {
    uvm_range *r = &ranges[i];
    if (!atomic_load(&r->live) || r->shared || a < r->pg0 || a - r->pg0 >= r->npages * pg)
      continue;
    size_t k = (a - r->pg0) / pg;
    if (atomic_exchange(&r->dirty[k], 1)) break; /* already writable: a genuine fault */
    atomic_store(&any_dirty, 1);
    mprotect((void *)(r->pg0 + k * pg), pg, PROT_READ | PROT_WRITE);
    return;
  }
  chain_segv(sig, si, uc);
}

static void print_stats(void) {
  fprintf(stderr, "gpushim: uvm pushed %llu bytes in %llu pushes, pulled %llu bytes in %llu pulls\n",
          (unsigned long long)bytes_pushed, (unsigned long long)pushes,
          (unsigned long long)bytes_pulled, (unsigned long long)pulls);
}

static void install_handler(void) {
  pg = (size_t)sysconf(_SC_PAGESIZE);
  struct sigaction sa;
  memset(&sa, 0, sizeof sa);
  sa.sa_sigaction = on_segv;
  sa.sa_flags = SA_SIGINFO | SA_NODEFER;
  sigemptyset(&sa.sa_mask);
  sigaction(SIGSEGV, &sa, &old_segv);
  const char *s = getenv("GPUSHIM_UVM_STATS");
  if (s && *s && strcmp(s, "0") != 0) atexit(print_stats);
}

static pthread_once_t handler_once = PTHREAD_ONCE_INIT;

static int inprocess(void) {
  const char *e = getenv("GPUSHIM_ENDPOINT");
  return e && strcmp(e, "inprocess") == 0;
}

int gs_uvm_inprocess(void) { return inprocess(); }

/* ---- the table --------------------------------------------------------------------------- */

/* Bookkeeping lives in pages of its own: registered ranges write-protect heap pages, where a
 * malloc'ed bitmap could sit. */
static void *own_pages(size_t n) {
  void *p = mmap(NULL, n, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
  return p == MAP_FAILED ? NULL : p;
}

static int add_range(const uvm_range *src) {
  pthread_once(&handler_once, install_handler);
  pthread_mutex_lock(&uvm_lock);
  int n = atomic_load(&nslots), i = 0;
  while (i < n && atomic_load(&ranges[i].live)) i++;
  if (i == UVM_MAX) {
    pthread_mutex_unlock(&uvm_lock);
    return -1;
  }
  uvm_range *r = &ranges[i];
  r->kind = src->kind, r->shared = src->shared, r->flags = src->flags;
  r->host = src->host, r->dev = src->dev, r->alloc = src->alloc, r->size = src->size;
  r->pg0 = src->host & ~(uintptr_t)(pg - 1);
  r->npages = (src->host + src->size - r->pg0 + pg - 1) / pg;
  r->dirty = r->shared ? NULL : own_pages(r->npages);
  r->edge = r->kind == GS_UVM_REGISTERED ? own_pages(2 * pg) : NULL;
  r->edge_valid = 0;
  if ((!r->shared && !r->dirty) || (r->kind == GS_UVM_REGISTERED && !r->edge)) {
    if (r->dirty) munmap((void *)r->dirty, r->npages);
    if (r->edge) munmap(r->edge, 2 * pg);
    pthread_mutex_unlock(&uvm_lock);
    return -1;
  }
  atomic_store(&r->live, 1);
  if (i == n) atomic_store(&nslots, n + 1);
  atomic_fetch_add(&nlive, 1);
  pthread_mutex_unlock(&uvm_lock);
  return 0;
}

/* The range holding host address p (any = also inside; else p must be its start). */
int gs_uvm_find(uintptr_t p, int any, gs_uvm_info *out) {
  int n = atomic_load(&nslots), found = -1;
  pthread_mutex_lock(&uvm_lock);
  for (int i = 0; i < n && found < 0; i++) {
    uvm_range *r = &ranges[i];
    if (!atomic_load(&r->live)) continue;
    if (any ? (p >= r->host && p - r->host < r->size) : p == r->host) {
      *out = (gs_uvm_info){r->kind, r->flags, r->host, r->dev, r->size};
      found = i;
    }
  }
  pthread_mutex_unlock(&uvm_lock);
  return found;
}

/* Removes the range starting at host p of this kind: its device memory, its host mapping. */
CUresult gs_uvm_free(uintptr_t p, int kind) {
  pthread_mutex_lock(&uvm_lock);
  int n = atomic_load(&nslots);
  uvm_range r = {0};
  int i;
  for (i = 0; i < n; i++)
    if (atomic_load(&ranges[i].live) && ranges[i].host == p && ranges[i].kind == kind) break;
  if (i == n) {
    pthread_mutex_unlock(&uvm_lock);
    return CUDA_ERROR_INVALID_VALUE;
  }
  atomic_store(&ranges[i].live, 0);
  atomic_fetch_sub(&nlive, 1);
  r.kind = ranges[i].kind, r.shared = ranges[i].shared, r.alloc = ranges[i].alloc;
  r.pg0 = ranges[i].pg0, r.npages = ranges[i].npages, r.size = ranges[i].size;
  if (ranges[i].dirty) munmap((void *)ranges[i].dirty, ranges[i].npages);
  if (ranges[i].edge) munmap(ranges[i].edge, 2 * pg);
  ranges[i].dirty = NULL;
  ranges[i].edge = NULL;
  pthread_mutex_unlock(&uvm_lock);
  if (!r.shared && kind == GS_UVM_REGISTERED)
    mprotect((void *)r.pg0, r.npages * pg, PROT_READ | PROT_WRITE);
  else if (!r.shared)
    munmap((void *)r.pg0, r.npages * pg);
  return r.alloc ? cuMemFree(r.alloc) : CUDA_SUCCESS;
}

/* After a context reset freed the device side: every range is gone (host mappings too). */
void gs_uvm_reset(void) {
  int n = atomic_load(&nslots);
  for (int i = 0; i < n; i++) {
    gs_uvm_info u;
    if (atomic_load(&ranges[i].live)) {
      u.host = ranges[i].host, u.kind = ranges[i].kind;
      ranges[i].alloc = 0;                      /* freed by the reset already */
      gs_uvm_free(u.host, u.kind);
    }
  }
  atomic_store(&touched, 0);
  atomic_store(&any_dirty, 0);
}

/* ---- allocation at one address on both sides -------------------------------------------- */

/* A device allocation of size bytes whose page-aligned start is free on the client too,
 * mapped there. *alloc = the allocation to free, *addr = the shared address. */
static CUresult alloc_twin(size_t size, CUdeviceptr *alloc, uintptr_t *addr) {
  CUdeviceptr rejected[UVM_TRIES];
  int nrej = 0;
  CUresult e = CUDA_ERROR_OUT_OF_MEMORY;
  size_t len = (size + pg - 1) & ~(pg - 1);
  while (nrej < UVM_TRIES) {
    CUdeviceptr d = 0;
    size_t want = len + pg;
    if (nrej && want < UVM_BIG) want = UVM_BIG;  /* small ones share a heap: ask elsewhere */
    if ((e = cuMemAlloc(&d, want)) != CUDA_SUCCESS) break;
    uintptr_t a = (d + pg - 1) & ~(uintptr_t)(pg - 1);
    void *m = mmap((void *)a, len, PROT_READ | PROT_WRITE,
                   MAP_PRIVATE | MAP_ANONYMOUS | MAP_FIXED_NOREPLACE, -1, 0);
    if (m == (void *)a) {
      *alloc = d, *addr = a;
      e = CUDA_SUCCESS;
      break;
    }
    if (m != MAP_FAILED) munmap(m, len);        /* an old kernel's hint, not honoured */
    rejected[nrej++] = d;                       /* that address is taken here: try another */
    e = CUDA_ERROR_OUT_OF_MEMORY;
  }
  for (int i = 0; i < nrej; i++) cuMemFree(rejected[i]);
  return e;
}

/* Marks every page of the (live, unshared) range at host address `host` dirty: its whole
 * contents go to the device before the next call. */
static void mark_all_dirty(uintptr_t host) {
  pthread_mutex_lock(&uvm_lock);
  for (int i = 0; i < atomic_load(&nslots); i++)
    if (atomic_load(&ranges[i].live) && ranges[i].host == host && !ranges[i].shared)
      memset((void *)ranges[i].dirty, 1, ranges[i].npages);
  pthread_mutex_unlock(&uvm_lock);
  atomic_store(&any_dirty, 1);
}

/* New managed or host-allocated memory: zero pages, writable and dirty until the first push,
 * so that the host may fill it by any means — stores, or a read()/fread() into it, which a
 * write-protected page would fail with EFAULT instead of faulting. The first push sends it
 * whole (zeros compress to almost nothing); after the first pull it is tracked page by page. */
CUresult gs_uvm_alloc(void **pp, size_t size, int kind, unsigned flags) {
  if (!pp || size == 0) return CUDA_ERROR_INVALID_VALUE;
  pthread_once(&handler_once, install_handler);
  uvm_range r = {.kind = kind, .flags = flags, .size = size, .shared = inprocess()};
  CUresult e;
  if (r.shared) {                               /* the device's memory is ours already */
    CUdeviceptr d = 0;
    if ((e = cuMemAlloc(&d, size)) != CUDA_SUCCESS) return e;
    r.host = d, r.dev = d, r.alloc = d;
  } else {
    if ((e = alloc_twin(size, &r.alloc, &r.host)) != CUDA_SUCCESS) return e;
    r.dev = r.host;
  }
  e = CUDA_SUCCESS;
  if (r.shared) {                               /* one memory: zero it here */
    quiet = 1;
    e = cuMemsetD8(r.dev, 0, size);
    quiet = 0;
    if (e == CUDA_SUCCESS) e = cuCtxSynchronize();
  }
  if (e == CUDA_SUCCESS && add_range(&r) < 0) e = CUDA_ERROR_OUT_OF_MEMORY;
  if (e != CUDA_SUCCESS) {
    if (!r.shared) munmap((void *)r.host, (size + pg - 1) & ~(pg - 1));
    cuMemFree(r.alloc);
    return e;
  }
  if (!r.shared) mark_all_dirty(r.host);
  *pp = (void *)r.host;
  return CUDA_SUCCESS;
}

/* Registered memory mapped for the device: a device twin; all pages start dirty. */
CUresult gs_uvm_register(void *p, size_t size, unsigned flags) {
  pthread_once(&handler_once, install_handler);
  uvm_range r = {.kind = GS_UVM_REGISTERED, .flags = flags, .host = (uintptr_t)p, .size = size};
  CUresult e = cuMemAlloc(&r.alloc, size);
  if (e) return e;
  r.dev = r.alloc;
  if (add_range(&r) < 0) {
    cuMemFree(r.alloc);
    return CUDA_ERROR_OUT_OF_MEMORY;
  }
  mark_all_dirty(r.host);
  return CUDA_SUCCESS;
}

/* ---- coherence (called by client.c with the client lock held) ------------------------------ */

/* Registered memory's first and last pages may hold the app's other data, which it may write
 * at any time: such a page's bytes inside the range go only when they changed since the last
 * push or pull (else a neighbour's write would overwrite what the device wrote). */
static void edge_bounds(const uvm_range *r, int which, uintptr_t *lo, uintptr_t *hi) {
  uintptr_t end = r->host + r->size;
  uintptr_t page = which ? r->pg0 + (r->npages - 1) * pg : r->pg0;
  *lo = page > r->host ? page : r->host;
  *hi = page + pg < end ? page + pg : end;
}

/* Remembers the edge bytes as the device has them now. */
static void edge_save(uvm_range *r) {
  for (int w = 0; r->edge && w < 2; w++) {
    uintptr_t lo, hi;
    edge_bounds(r, w, &lo, &hi);
    memcpy(r->edge + w * pg, (const void *)lo, hi - lo);
    r->edge_valid = 1;
  }
}

/* 1 when edge page k of r holds no change inside the range since the last push or pull. */
static int edge_unchanged(const uvm_range *r, size_t k) {
  int w = k == 0 ? 0 : k == r->npages - 1 ? 1 : -1;
  if (!r->edge || !r->edge_valid || w < 0) return 0;
  uintptr_t lo, hi;
  edge_bounds(r, w, &lo, &hi);
  return memcmp(r->edge + w * pg, (const void *)lo, hi - lo) == 0;
}

/* Pages [k, k+n) of r: the host bytes they hold inside the range, pushed to the device. */
static CUresult push_run(uvm_range *r, size_t k, size_t n) {
  mprotect((void *)(r->pg0 + k * pg), n * pg, PROT_READ);
  if (n && edge_unchanged(r, k)) k++, n--;
  if (n && edge_unchanged(r, k + n - 1)) n--;
  if (!n) return CUDA_SUCCESS;
  uintptr_t lo = r->pg0 + k * pg, hi = lo + n * pg;
  if (lo < r->host) lo = r->host;
  if (hi > r->host + r->size) hi = r->host + r->size;
  bytes_pushed += hi - lo;
  return gs_client_queue_htod(r->dev + (lo - r->host), (const uint8_t *)lo, hi - lo, 0);
}

static CUresult push_range(uvm_range *r) {
  CUresult e = CUDA_SUCCESS;
  for (size_t k = 0; k < r->npages && e == CUDA_SUCCESS;) {
    if (!atomic_load(&r->dirty[k])) {
      k++;
      continue;
    }
    size_t n = 0;
    while (k + n < r->npages && atomic_exchange(&r->dirty[k + n], 0)) n++;
    e = push_run(r, k, n);
    k += n;
  }
  edge_save(r);
  return e;
}

/* Before a call goes to the agent: the host's writes since the last push. */
CUresult gs_uvm_push(void) {
  if (quiet || !atomic_load(&any_dirty)) return CUDA_SUCCESS;
  quiet = 1;
  atomic_store(&any_dirty, 0);
  pushes++;
  CUresult e = CUDA_SUCCESS;
  pthread_mutex_lock(&uvm_lock);
  int n = atomic_load(&nslots);
  for (int i = 0; i < n && e == CUDA_SUCCESS; i++)
    if (atomic_load(&ranges[i].live) && !ranges[i].shared) e = push_range(&ranges[i]);
  pthread_mutex_unlock(&uvm_lock);
  quiet = 0;
  return e;
}

/* A call that may change device memory was queued. */
void gs_uvm_touch(void) {
  if (!quiet && atomic_load(&nlive)) atomic_store(&touched, 1);
}

/* After a waited-for round trip: queues the pull of every range when device work ran since the
 * last one (ok = 0: it failed, nothing to pull). Returns how many ranges it queued. */
int gs_uvm_queue_pull(int ok) {
  if (!atomic_exchange(&touched, 0) || !ok) return 0;
  quiet = 1;
  int queued = 0;
  pthread_mutex_lock(&uvm_lock);
  int n = atomic_load(&nslots);
  for (int i = 0; i < n; i++) {
    uvm_range *r = &ranges[i];
    if (!atomic_load(&r->live) || r->shared) continue;
    mprotect((void *)r->pg0, r->npages * pg, PROT_READ | PROT_WRITE);
    memset((void *)r->dirty, 1, r->npages);  /* writable now; cleaned by gs_uvm_pulled */
    if (gs_client_queue_dtoh((uint8_t *)r->host, r->dev, r->size, 0) != CUDA_SUCCESS) break;
    bytes_pulled += r->size;
    queued++;
  }
  pthread_mutex_unlock(&uvm_lock);
  if (queued) pulls++;
  quiet = 0;
  return queued;
}

/* The pull's replies are in: every page clean and read-only again. */
void gs_uvm_pulled(void) {
  pthread_mutex_lock(&uvm_lock);
  int n = atomic_load(&nslots);
  for (int i = 0; i < n; i++) {
    uvm_range *r = &ranges[i];
    if (!atomic_load(&r->live) || r->shared) continue;
    mprotect((void *)r->pg0, r->npages * pg, PROT_READ);
    memset((void *)r->dirty, 0, r->npages);
    edge_save(r);
  }
  pthread_mutex_unlock(&uvm_lock);
}

/* ptx_launch.c - grid launches: validates the configuration, then spreads the blocks over the
 * calling thread and a persistent pool of worker threads (shared by concurrent launches).
 * Blocks are handed out through an atomic counter; the first fault stops the grid. */
#include "ptx_exec.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <linux/futex.h>
#include <sys/syscall.h>
#include <time.h>
#include <unistd.h>

typedef struct job {
  ptx_launch_state *L;
  int helpers_wanted;     /* worker slots still open */
  int helpers_active;     /* workers running blocks of this job */
  struct job *next;
} job;

static pthread_mutex_t pool_lock = PTHREAD_MUTEX_INITIALIZER;
static pthread_cond_t pool_work = PTHREAD_COND_INITIALIZER;
static pthread_cond_t pool_done = PTHREAD_COND_INITIALIZER;
static job *pool_queue;
static int pool_threads;

#define PTX_MAX_SHARED (228u * 1024u)

_Thread_local uint64_t ptx_thread_insn_count;

static void record_failure(ptx_launch_state *L, ptx_status st, const char *what) {
  pthread_mutex_lock(&L->lock);
  if (L->status == PTX_OK) {
    L->status = st;
    snprintf(L->err, sizeof L->err, "%s in kernel %s: %s", ptx_status_name(st), L->k->name, what);
  }
  pthread_mutex_unlock(&L->lock);
  __atomic_store_n(&L->faulted, 1, __ATOMIC_RELAXED);
}

/* Runs blocks of L until none are left (or a fault stops the grid). */
static void run_blocks(ptx_launch_state *L) {
  ptx_block b;
  memset(&b, 0, sizeof b);
  b.L = L;
  for (;;) {
    if (__atomic_load_n(&L->faulted, __ATOMIC_RELAXED)) break;
    uint64_t idx = __atomic_fetch_add(&L->next_block, 1, __ATOMIC_RELAXED);
    if (idx >= L->nblocks) break;
    ptx_status st = ptx_run_block(&b, idx);
    if (st != PTX_OK) {
      record_failure(L, st, "out of host memory");
      break;
    }
  }
  ptx_block_free(&b);
}

/* ---- cooperative launches ----
 * grid.sync() spins until every block of the grid has arrived, so every block needs a host
 * thread of its own (the driver bounds the grid by occupancy x SMs, as CUDA does). The
 * calling thread runs block 0. A block spinning at the grid barrier (its warps yield after reading
 * the workspace) sleeps on a futex that every atomic on the workspace wakes (the arrivals), so
 * waiters wake as soon as the last block arrives; other spins just sched_yield. */
static void *coop_main(void *arg) {
  run_blocks(arg);
  return NULL;
}

void ptx_coop_wait(ptx_launch_state *L, uint32_t seen) {
  struct timespec ms = {0, 1000000};
  __atomic_add_fetch(&L->coop_waiters, 1, __ATOMIC_SEQ_CST);
  syscall(SYS_futex, &L->coop_gen, FUTEX_WAIT_PRIVATE, seen, &ms, NULL, 0);
  __atomic_sub_fetch(&L->coop_waiters, 1, __ATOMIC_SEQ_CST);
}

void ptx_coop_wake(ptx_launch_state *L) {
  __atomic_add_fetch(&L->coop_gen, 1, __ATOMIC_SEQ_CST);
  if (__atomic_load_n(&L->coop_waiters, __ATOMIC_SEQ_CST) > 0)
    syscall(SYS_futex, &L->coop_gen, FUTEX_WAKE_PRIVATE, INT32_MAX, NULL, NULL, 0);
}

static ptx_status launch_cooperative(ptx_launch_state *L) {
  /* cooperative_groups' grid_workspace: {wsSize, barrier} (details/driver_abi.h) */
  uint32_t ws[PTX_GRID_WS_BYTES / 4] __attribute__((aligned(16))) = {PTX_GRID_WS_BYTES};
  L->grid_ws = ws;
  uint64_t n = L->nblocks - 1, started = 0;
  pthread_t *t = n ? calloc(n, sizeof *t) : NULL;
  if (n && !t) return PTX_ERR_NO_MEMORY;
  pthread_attr_t at;
  pthread_attr_init(&at);
  pthread_attr_setstacksize(&at, 1 << 20);
  for (; started < n; started++)
    if (pthread_create(&t[started], &at, coop_main, L) != 0) break;
  pthread_attr_destroy(&at);
  if (started < n) record_failure(L, PTX_ERR_OUT_OF_RESOURCES, "cannot start a host thread per block");
  run_blocks(L);
  for (uint64_t i = 0; i < started; i++) pthread_join(t[i], NULL);
  free(t);
  L->grid_ws = NULL;
  return L->status;
}

static void *worker_main(void *arg) {
  (void)arg;
  pthread_mutex_lock(&pool_lock);
  for (;;) {
    job *j = pool_queue;
    while (j && j->helpers_wanted == 0) j = j->next;
    if (!j) {
      pthread_cond_wait(&pool_work, &pool_lock);
      continue;
    }
    j->helpers_wanted--;
    j->helpers_active++;
    pthread_mutex_unlock(&pool_lock);
    run_blocks(j->L);
    pthread_mutex_lock(&pool_lock);
    if (--j->helpers_active == 0) pthread_cond_broadcast(&pool_done);
  }
  return NULL;
}

/* Makes sure at least n worker threads exist (called with pool_lock held). */
static void ensure_pool(int n) {
  while (pool_threads < n) {
    pthread_t t;
    pthread_attr_t at;
    pthread_attr_init(&at);
    pthread_attr_setdetachstate(&at, PTHREAD_CREATE_DETACHED);
    pthread_attr_setstacksize(&at, 1 << 20);
    int rc = pthread_create(&t, &at, worker_main, NULL);
    pthread_attr_destroy(&at);
    if (rc != 0) break;
    pool_threads++;
  }
}

static void unlink_job(job *j) {
  for (job **pp = &pool_queue; *pp; pp = &(*pp)->next) {
    if (*pp == j) {
      *pp = j->next;
      return;
    }
  }
}

static unsigned default_workers(void) {
  long n = sysconf(_SC_NPROCESSORS_ONLN);
  return n > 0 ? (unsigned)n : 1;
}

static ptx_status bad_config(char *err, size_t errlen, ptx_status st, const char *fmt, const char *name, unsigned long long v) {
  if (err && errlen) {
    char msg[200];
    snprintf(msg, sizeof msg, fmt, v);
    snprintf(err, errlen, "%s launching %s: %s", ptx_status_name(st), name, msg);
  }
  return st;
}

ptx_status ptx_launch_check(const ptx_func *k, const unsigned grid[3], const unsigned block[3],
                            size_t dynamic_shared, char *err, size_t errlen) {
  unsigned long long nthreads = (unsigned long long)block[0] * block[1] * block[2];
  unsigned long long nblocks = (unsigned long long)grid[0] * grid[1] * grid[2];
  if (nthreads == 0 || nblocks == 0) return bad_config(err, errlen, PTX_ERR_INVALID_VALUE, "empty grid or block (%llu)", k->name, 0);
  if (nthreads > k->info.max_threads)
    return bad_config(err, errlen, PTX_ERR_INVALID_VALUE, "%llu threads per block is more than the kernel allows", k->name, nthreads);
  if (block[2] > 64 || grid[1] > 65535 || grid[2] > 65535)
    return bad_config(err, errlen, PTX_ERR_INVALID_VALUE, "grid/block dimension out of range (%llu)", k->name, 0);
  if (k->reqntid[0] && (block[0] != k->reqntid[0] || block[1] != (k->reqntid[1] ? k->reqntid[1] : 1) ||
                        block[2] != (k->reqntid[2] ? k->reqntid[2] : 1)))
    return bad_config(err, errlen, PTX_ERR_INVALID_VALUE, "block shape differs from .reqntid (%llu)", k->name, 0);
  size_t shared = (((size_t)k->shared_bytes + 15) & ~(size_t)15) + dynamic_shared;
  if (shared > PTX_MAX_SHARED)
    return bad_config(err, errlen, PTX_ERR_OUT_OF_RESOURCES, "%llu bytes of shared memory requested", k->name, (unsigned long long)shared);
  return PTX_OK;
}

/* Runs the blocks of L: all at once (cooperative) or over the worker pool. */
static ptx_status run_grid(ptx_launch_state *L) {
  if (L->cfg.cooperative) return launch_cooperative(L);
  unsigned workers = L->cfg.max_workers ? L->cfg.max_workers : default_workers();
  if (workers > L->nblocks) workers = (unsigned)L->nblocks;
  job j = {L, (int)workers - 1, 0, NULL};
  if (j.helpers_wanted > 0) {
    pthread_mutex_lock(&pool_lock);
    ensure_pool(j.helpers_wanted);
    j.next = pool_queue;
    pool_queue = &j;
    pthread_cond_broadcast(&pool_work);
    pthread_mutex_unlock(&pool_lock);
  }
  run_blocks(L);
  if (workers > 1) {   /* helpers were asked for: wait for them under the pool lock */
    pthread_mutex_lock(&pool_lock);
    unlink_job(&j);
    j.helpers_wanted = 0;
    while (j.helpers_active > 0) pthread_cond_wait(&pool_done, &pool_lock);
    pthread_mutex_unlock(&pool_lock);
  }
  return L->status;
}

/* One grid and, after it, the grids it launched (dynamic parallelism). */
static ptx_status launch_tree(const ptx_func *k, const ptx_launch_config *cfg, ptx_cdp_tree *tree, unsigned depth,
                              char *err, size_t errlen) {
  if (err && errlen) err[0] = 0;
  if (!k || !cfg) return PTX_ERR_INVALID_VALUE;
  ptx_status st = ptx_launch_check(k, cfg->grid, cfg->block, cfg->dynamic_shared_bytes, err, errlen);
  if (st != PTX_OK) return st;
  if (cfg->params_size < k->param_bytes || (k->param_bytes && !cfg->params))
    return bad_config(err, errlen, PTX_ERR_INVALID_VALUE, "parameter buffer has %llu bytes, fewer than the kernel needs", k->name,
                      (unsigned long long)cfg->params_size);
  ptx_launch_state *L = calloc(1, sizeof *L);
  if (!L) return PTX_ERR_NO_MEMORY;
  unsigned long long nthreads = (unsigned long long)cfg->block[0] * cfg->block[1] * cfg->block[2];
  size_t dyn_off = ((size_t)k->shared_bytes + 15) & ~(size_t)15;
  size_t shared = dyn_off + cfg->dynamic_shared_bytes;
  L->k = k;
  L->mod = k->mod;
  L->cfg = *cfg;
  L->nthreads = (unsigned)nthreads;
  L->nwarps = (unsigned)((nthreads + 31) / 32);
  L->nblocks = (unsigned long long)cfg->grid[0] * cfg->grid[1] * cfg->grid[2];
  L->dyn_off = dyn_off;
  L->user_shared = shared;
  L->reserved_off = (shared + 15) & ~(size_t)15;
  L->shared_size = L->reserved_off + PTX_RESERVED_SHARED;
  L->tree = tree;
  L->depth = depth;
  L->cdp_run_end = &L->cdp_run;
  L->cdp_tail_end = &L->cdp_tail;
  pthread_mutex_init(&L->lock, NULL);
  st = ptx_cdp_finish(L, run_grid(L));
  if (st != PTX_OK && err && errlen) snprintf(err, errlen, "%s", L->err);
  ptx_thread_insn_count = L->insn_count;
  pthread_mutex_destroy(&L->lock);
  free(L);
  return st;
}

ptx_status ptx_launch_child(const ptx_func *k, const ptx_launch_config *cfg, ptx_cdp_tree *tree,
                            unsigned depth, char *err, size_t errlen) {
  return launch_tree(k, cfg, tree, depth, err, errlen);
}

__attribute__((visibility("default")))
ptx_status ptx_launch(const ptx_kernel *kern, const ptx_launch_config *cfg, char *err, size_t errlen) {
  ptx_cdp_tree tree = {0, cfg && cfg->pending_launch_limit ? cfg->pending_launch_limit : 2048, 0};
  return launch_tree((const ptx_func *)kern, cfg, &tree, 0, err, errlen);
}

static const char *const status_names[] = {
  [PTX_OK] = "PTX_OK",
  [PTX_ERR_PARSE] = "PTX_ERR_PARSE",
  [PTX_ERR_UNSUPPORTED] = "PTX_ERR_UNSUPPORTED",
  [PTX_ERR_NOT_FOUND] = "PTX_ERR_NOT_FOUND",
  [PTX_ERR_ILLEGAL_ADDRESS] = "PTX_ERR_ILLEGAL_ADDRESS",
  [PTX_ERR_MISALIGNED] = "PTX_ERR_MISALIGNED",
  [PTX_ERR_ILLEGAL_INSTRUCTION] = "PTX_ERR_ILLEGAL_INSTRUCTION",
  [PTX_ERR_TRAP] = "PTX_ERR_TRAP",
  [PTX_ERR_INVALID_VALUE] = "PTX_ERR_INVALID_VALUE",
  [PTX_ERR_OUT_OF_RESOURCES] = "PTX_ERR_OUT_OF_RESOURCES",
  [PTX_ERR_NO_MEMORY] = "PTX_ERR_NO_MEMORY",
};

__attribute__((visibility("default")))
const char *ptx_status_name(ptx_status s) {
  if ((unsigned)s < sizeof status_names / sizeof status_names[0] && status_names[s]) return status_names[s];
  return "PTX_ERR_UNKNOWN";
}

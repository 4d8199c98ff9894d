/* ptx_cdp.c - dynamic parallelism (CDP2): kernels launching kernels through the device runtime.
 *
 * nvcc compiles a device-side <<<>>> to calls of libcudadevrt's __cudaCDP2GetParameterBufferV2
 * (a buffer for the child's parameters, which the parent then fills with ordinary stores) and
 * __cudaCDP2LaunchDeviceV2 (buffer, stream). libcudadevrt is SASS plus PTX for the newest
 * architecture only, and its PTX calls driver syscalls, so the engine provides these entry
 * points itself (ptx_exec.c dispatches the calls here).
 *
 * Schedule: the grids a grid launches run after all its blocks have finished, in launch order,
 * each child together with its own descendants before the next child starts; then the grid's
 * tail launches (cudaStreamTailLaunch), in order. That keeps every order CDP2 promises: a child
 * starts after the launching thread's launch point, a grid is complete only once its children
 * are, launches into one device stream (the per-block NULL stream or a created one) run in
 * order (here all launches do), a tail launch runs after its parent and all the parent's other
 * work. CDP2 device code cannot wait for a child (no device-side cudaDeviceSynchronize), so a
 * parent cannot tell that its children did not run concurrently with it.
 */
#include "ptx_exec.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/* cudaError_t values the device runtime returns */
enum {
  CDP_OK = 0, CDP_INVALID_VALUE = 1, CDP_MEMORY_ALLOCATION = 2, CDP_INVALID_CONFIGURATION = 9,
  CDP_MAX_DEPTH_EXCEEDED = 65, CDP_PENDING_COUNT_EXCEEDED = 69, CDP_INVALID_RESOURCE_HANDLE = 400,
};

#define CDP_MAX_DEPTH 24           /* nesting depth of device launches, as on NVIDIA GPUs */
#define CDP_HANDLE_TAG 0xCD50000000000000ull
#define CDP_HANDLE_TAG_MASK 0xFFFF000000000000ull

struct ptx_cdp_grid {
  ptx_cdp_grid *next;
  const ptx_func *k;             /* NULL until cudaLaunchDevice names it (V1 buffers) */
  unsigned grid[3], block[3];
  unsigned shared;
  size_t size;
  uint8_t *params;               /* 64-byte aligned, zeroed */
};

static void grid_free(ptx_launch_state *L, ptx_cdp_grid *g) {
  __atomic_sub_fetch(&L->tree->pending, 1, __ATOMIC_RELAXED);
  free(g->params);
  free(g);
}

static void free_list(ptx_launch_state *L, ptx_cdp_grid *g) {
  while (g) {
    ptx_cdp_grid *next = g->next;
    grid_free(L, g);
    g = next;
  }
}

void *ptx_cdp_param_buffer(ptx_launch_state *L, const ptx_func *k, const unsigned grid[3],
                           const unsigned block[3], unsigned shared, size_t size, int *err) {
  if (L->depth + 1 > CDP_MAX_DEPTH) {
    *err = CDP_MAX_DEPTH_EXCEEDED;
    return NULL;
  }
  if (k && ptx_launch_check(k, grid, block, shared, NULL, 0) != PTX_OK) {
    *err = CDP_INVALID_CONFIGURATION;
    return NULL;
  }
  /* a launch is pending from its buffer until its grid completes */
  if (__atomic_add_fetch(&L->tree->pending, 1, __ATOMIC_RELAXED) > L->tree->limit) {
    __atomic_sub_fetch(&L->tree->pending, 1, __ATOMIC_RELAXED);
    *err = CDP_PENDING_COUNT_EXCEEDED;
    return NULL;
  }
  ptx_cdp_grid *g = calloc(1, sizeof *g);
  size_t cap = (size + 63) & ~(size_t)63;
  if (g) g->params = aligned_alloc(64, cap ? cap : 64);
  if (!g || !g->params) {
    free(g);
    __atomic_sub_fetch(&L->tree->pending, 1, __ATOMIC_RELAXED);
    *err = CDP_MEMORY_ALLOCATION;
    return NULL;
  }
  memset(g->params, 0, cap ? cap : 64);
  g->k = k;
  if (k) {
    memcpy(g->grid, grid, sizeof g->grid);
    memcpy(g->block, block, sizeof g->block);
  }
  g->shared = shared;
  g->size = size;
  pthread_mutex_lock(&L->lock);
  g->next = L->cdp_open;
  L->cdp_open = g;
  pthread_mutex_unlock(&L->lock);
  *err = CDP_OK;
  return g->params;
}

/* Takes buffer `buf` off the open list (NULL if it is none of this grid's). */
static ptx_cdp_grid *take_open(ptx_launch_state *L, uint64_t buf) {
  ptx_cdp_grid *g = NULL;
  pthread_mutex_lock(&L->lock);
  for (ptx_cdp_grid **pp = &L->cdp_open; *pp; pp = &(*pp)->next) {
    if ((uintptr_t)(*pp)->params == buf) {
      g = *pp;
      *pp = g->next;
      g->next = NULL;   /* it will end the run or tail list */
      break;
    }
  }
  pthread_mutex_unlock(&L->lock);
  return g;
}

static bool stream_ok(uint64_t stream) {
  return stream == 0 || stream == 2 /* cudaStreamPerThread */ || stream == CDP_STREAM_TAIL ||
         stream == CDP_STREAM_FIRE_AND_FORGET || ptx_cdp_handle_ok(stream, CDP_HANDLE_STREAM);
}

int ptx_cdp_launch(ptx_launch_state *L, uint64_t buf, uint64_t stream, const ptx_func *k,
                   const unsigned *grid, const unsigned *block, unsigned shared) {
  ptx_cdp_grid *g = take_open(L, buf);
  if (!g) return CDP_INVALID_VALUE;
  int err = CDP_OK;
  if (k) {   /* cudaLaunchDevice: the configuration comes now */
    if (ptx_launch_check(k, grid, block, shared, NULL, 0) != PTX_OK) err = CDP_INVALID_CONFIGURATION;
    else if (g->size < k->param_bytes) err = CDP_INVALID_VALUE;
    g->k = k;
    memcpy(g->grid, grid, sizeof g->grid);
    memcpy(g->block, block, sizeof g->block);
    g->shared = shared;
  }
  if (!err && (!g->k || !stream_ok(stream))) err = g->k ? CDP_INVALID_RESOURCE_HANDLE : CDP_INVALID_VALUE;
  if (err) {
    grid_free(L, g);
    return err;
  }
  pthread_mutex_lock(&L->lock);
  if (stream == CDP_STREAM_TAIL) {
    *L->cdp_tail_end = g;
    L->cdp_tail_end = &g->next;
  } else {
    *L->cdp_run_end = g;
    L->cdp_run_end = &g->next;
  }
  pthread_mutex_unlock(&L->lock);
  return CDP_OK;
}

uint64_t ptx_cdp_handle(ptx_launch_state *L, int kind) {
  uint64_t n = __atomic_add_fetch(&L->tree->next_handle, 1, __ATOMIC_RELAXED);
  return CDP_HANDLE_TAG | (uint64_t)kind << 40 | (n & 0xFFFFFFFFFFull);
}

bool ptx_cdp_handle_ok(uint64_t h, int kind) {
  return (h & CDP_HANDLE_TAG_MASK) == CDP_HANDLE_TAG && (h >> 40 & 0xFF) == (uint64_t)kind;
}

bool ptx_cdp_buffer_ok(ptx_launch_state *L, uint64_t addr, size_t size) {
  bool ok = false;
  pthread_mutex_lock(&L->lock);
  for (ptx_cdp_grid *g = L->cdp_open; g && !ok; g = g->next) {
    uint64_t b = (uintptr_t)g->params;
    ok = addr >= b && addr + size <= b + g->size && addr + size >= addr;
  }
  pthread_mutex_unlock(&L->lock);
  return ok;
}

/* Runs one child grid (and its descendants) with the parent's memory, textures and output. */
static ptx_status run_child(ptx_launch_state *L, ptx_cdp_grid *g) {
  ptx_launch_config c = L->cfg;
  memcpy(c.grid, g->grid, sizeof c.grid);
  memcpy(c.block, g->block, sizeof c.block);
  c.dynamic_shared_bytes = g->shared;
  c.params = g->params;
  c.params_size = g->size;
  c.cooperative = 0;
  char err[512] = "";
  ptx_status st = ptx_launch_child(g->k, &c, L->tree, L->depth + 1, err, sizeof err);
  if (st != PTX_OK) {
    pthread_mutex_lock(&L->lock);
    if (L->status == PTX_OK) {
      L->status = st;
      snprintf(L->err, sizeof L->err, "%s (in a grid launched by kernel %s)", err[0] ? err : ptx_status_name(st),
               L->k->name);
    }
    pthread_mutex_unlock(&L->lock);
  }
  return st;
}

ptx_status ptx_cdp_finish(ptx_launch_state *L, ptx_status st) {
  free_list(L, L->cdp_open);   /* buffers never launched */
  L->cdp_open = NULL;
  ptx_cdp_grid *lists[2] = {L->cdp_run, L->cdp_tail};
  L->cdp_run = L->cdp_tail = NULL;
  for (int i = 0; i < 2; i++) {
    for (ptx_cdp_grid *g = lists[i]; g;) {
      ptx_cdp_grid *next = g->next;
      if (st == PTX_OK) st = run_child(L, g);
      grid_free(L, g);
      g = next;
    }
  }
  return st;
}

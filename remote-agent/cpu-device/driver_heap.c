/* driver_heap.c - the device heap of a context: what malloc/free and new/delete in kernels
 * allocate from.
 *
 * As on a GPU, the heap has a fixed size, CU_LIMIT_MALLOC_HEAP_SIZE (8 MB unless set), taken
 * when a kernel first calls malloc; a malloc that does not fit returns NULL. Its memory is not
 * a cuMemAlloc allocation (CUDA does not let runtime calls such as cudaMemcpy use it), but every
 * kernel of the context may touch it, so blocks made by one kernel are usable by later ones
 * until freed or the context is reset. First fit over a sorted block list, 16-byte aligned. */
#include "driver.h"

#include <pthread.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>

#define HEAP_ALIGN 16

typedef struct {
  size_t off, size;
  int used;
} heap_block;

struct cpudev_heap {
  ptx_heap h;              /* first: the engine's view */
  pthread_mutex_t mu;
  size_t limit;            /* bytes to reserve at the first malloc */
  heap_block *blocks;      /* sorted by offset, tiling [0, size) */
  size_t n, cap;
};

static int insert_block(struct cpudev_heap *hp, size_t at, heap_block b) {
  if (hp->n == hp->cap) {
    size_t cap = hp->cap ? hp->cap * 2 : 64;
    heap_block *nb = realloc(hp->blocks, cap * sizeof *nb);
    if (!nb) return -1;
    hp->blocks = nb;
    hp->cap = cap;
  }
  memmove(&hp->blocks[at + 1], &hp->blocks[at], (hp->n - at) * sizeof *hp->blocks);
  hp->blocks[at] = b;
  hp->n++;
  return 0;
}

/* Reserves the heap's memory on first use. Lock held. */
static int heap_reserve(struct cpudev_heap *hp) {
  if (hp->h.base) return 0;
  size_t size = (hp->limit + 4095) & ~(size_t)4095;
  if (size == 0) return -1;
  void *p = mmap(NULL, size, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS | MAP_NORESERVE, -1, 0);
  if (p == MAP_FAILED) return -1;
  hp->n = 0;
  if (insert_block(hp, 0, (heap_block){0, size, 0})) {
    munmap(p, size);
    return -1;
  }
  hp->h.size = size;
  __atomic_store_n(&hp->h.base, (uintptr_t)p, __ATOMIC_RELEASE);
  return 0;
}

static uint64_t heap_alloc(ptx_heap *h, uint64_t bytes) {
  struct cpudev_heap *hp = (struct cpudev_heap *)h;
  if (bytes > ((uint64_t)1 << 48)) return 0;
  size_t need = ((size_t)bytes + HEAP_ALIGN - 1) & ~(size_t)(HEAP_ALIGN - 1);
  uint64_t out = 0;
  pthread_mutex_lock(&hp->mu);
  if (heap_reserve(hp) == 0)
    for (size_t i = 0; i < hp->n; i++) {
      heap_block *b = &hp->blocks[i];
      if (b->used || b->size < need) continue;
      if (b->size > need && insert_block(hp, i + 1, (heap_block){b->off + need, b->size - need, 0}))
        break;
      b = &hp->blocks[i];   /* the array may have moved */
      b->size = need;
      b->used = 1;
      out = h->base + b->off;
      break;
    }
  pthread_mutex_unlock(&hp->mu);
  return out;
}

static void heap_free(ptx_heap *h, uint64_t p) {
  struct cpudev_heap *hp = (struct cpudev_heap *)h;
  if (!p) return;
  pthread_mutex_lock(&hp->mu);
  size_t lo = 0, hi = hp->n;   /* the block starting at p */
  while (lo < hi) {
    size_t mid = (lo + hi) / 2;
    if (h->base + hp->blocks[mid].off < p) lo = mid + 1;
    else hi = mid;
  }
  if (lo < hp->n && h->base + hp->blocks[lo].off == p && hp->blocks[lo].used) {
    hp->blocks[lo].used = 0;
    if (lo + 1 < hp->n && !hp->blocks[lo + 1].used) {   /* merge with the next */
      hp->blocks[lo].size += hp->blocks[lo + 1].size;
      memmove(&hp->blocks[lo + 1], &hp->blocks[lo + 2], (hp->n - lo - 2) * sizeof *hp->blocks);
      hp->n--;
    }
    if (lo > 0 && !hp->blocks[lo - 1].used) {            /* and with the previous */
      hp->blocks[lo - 1].size += hp->blocks[lo].size;
      memmove(&hp->blocks[lo], &hp->blocks[lo + 1], (hp->n - lo - 1) * sizeof *hp->blocks);
      hp->n--;
    }
  }
  pthread_mutex_unlock(&hp->mu);
}

ptx_heap *cpudev_heap_of(CUcontext ctx) {
  cpudev_lock();
  struct cpudev_heap *hp = ctx->heap;
  if (!hp && (hp = calloc(1, sizeof *hp))) {
    pthread_mutex_init(&hp->mu, NULL);
    hp->h.alloc = heap_alloc;
    hp->h.free = heap_free;
    ctx->heap = hp;
  }
  if (hp && !hp->h.base) hp->limit = ctx->limits[CU_LIMIT_MALLOC_HEAP_SIZE];
  cpudev_unlock();
  return hp ? &hp->h : NULL;
}

int cpudev_heap_in_use(CUcontext ctx) {
  cpudev_lock();
  int used = ctx->heap && __atomic_load_n(&ctx->heap->h.base, __ATOMIC_ACQUIRE) != 0;
  cpudev_unlock();
  return used;
}

void cpudev_heap_release(CUcontext ctx) {
  cpudev_lock();
  struct cpudev_heap *hp = ctx->heap;
  ctx->heap = NULL;
  cpudev_unlock();
  if (!hp) return;
  if (hp->h.base) munmap((void *)hp->h.base, hp->h.size);
  pthread_mutex_destroy(&hp->mu);
  free(hp->blocks);
  free(hp);
}

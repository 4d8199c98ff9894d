/* image_cache.c - module images by content hash (SHA-256), shared by every session of the agent
 * process, so a client sends an image once and later clients (or later loads) send only the
 * hash. Bounded: the oldest images go when the total passes GS_IMAGE_CACHE_MAX. */
#include <pthread.h>
#include <stdlib.h>
#include <string.h>

#include "session.h"

#define GS_IMAGE_CACHE_MAX ((size_t)256 << 20)
/* zero bytes kept after each image so a reader walking fatbin containers stops there */
#define GS_IMAGE_PAD 64

typedef struct image {
  struct image *next;
  uint8_t hash[GS_HASH_LEN];
  uint8_t *data;
  size_t len;
} image;

static pthread_mutex_t cache_lock = PTHREAD_MUTEX_INITIALIZER;
static image *cache_head;          /* newest first */
static size_t cache_bytes;

static image *find(const uint8_t hash[GS_HASH_LEN]) {
  for (image *i = cache_head; i; i = i->next)
    if (memcmp(i->hash, hash, GS_HASH_LEN) == 0) return i;
  return NULL;
}

static void evict_to(size_t limit) {
  while (cache_bytes > limit && cache_head) {
    image **pp = &cache_head;
    while ((*pp)->next) pp = &(*pp)->next;       /* the oldest is last */
    image *old = *pp;
    *pp = NULL;
    cache_bytes -= old->len;
    free(old->data);
    free(old);
  }
}

int gs_image_cache_put(const uint8_t hash[GS_HASH_LEN], const uint8_t *data, size_t len) {
  if (len > GS_IMAGE_CACHE_MAX) return -1;
  pthread_mutex_lock(&cache_lock);
  int rc = 0;
  if (!find(hash)) {
    image *i = calloc(1, sizeof *i);
    uint8_t *copy = malloc(len + GS_IMAGE_PAD);
    if (!i || !copy) {
      free(i);
      free(copy);
      rc = -1;
    } else {
      memcpy(copy, data, len);
      memset(copy + len, 0, GS_IMAGE_PAD);
      memcpy(i->hash, hash, GS_HASH_LEN);
      i->data = copy;
      i->len = len;
      evict_to(GS_IMAGE_CACHE_MAX - len);
      i->next = cache_head;
      cache_head = i;
      cache_bytes += len;
    }
  }
  pthread_mutex_unlock(&cache_lock);
  return rc;
}

/* A private copy (the cache may evict while the driver reads it). 0, or -1 when absent. */
int gs_image_cache_get(const uint8_t hash[GS_HASH_LEN], uint8_t **data, size_t *len) {
  pthread_mutex_lock(&cache_lock);
  image *i = find(hash);
  int rc = -1;
  if (i && (*data = malloc(i->len + GS_IMAGE_PAD))) {
    memcpy(*data, i->data, i->len + GS_IMAGE_PAD);
    *len = i->len;
    rc = 0;
  }
  pthread_mutex_unlock(&cache_lock);
  return rc;
}

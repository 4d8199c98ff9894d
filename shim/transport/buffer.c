/* buffer.c - gs_buffer (link.h), the growable byte buffer messages travel in.
 *
 * Defined weak: the protocol layer may define the same functions; whichever is linked wins
 * without a duplicate-symbol error, and the transport works on its own in tests.
 */
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "link.h"

__attribute__((weak)) int gs_buffer_reserve(gs_buffer *b, size_t extra) {
  if (extra <= b->cap - b->len) return 0;
  if (extra > SIZE_MAX / 2 - b->len) {
    errno = ENOMEM;
    return -1;
  }
  size_t want = b->len + extra;
  size_t cap = b->cap ? b->cap : 256;
  while (cap < want) cap *= 2;
  uint8_t *p = realloc(b->data, cap);
  if (!p) return -1;
  b->data = p;
  b->cap = cap;
  return 0;
}

__attribute__((weak)) int gs_buffer_append(gs_buffer *b, const void *p, size_t n) {
  if (n == 0) return 0;
  if (gs_buffer_reserve(b, n) < 0) return -1;
  memcpy(b->data + b->len, p, n);
  b->len += n;
  return 0;
}

__attribute__((weak)) void gs_buffer_free(gs_buffer *b) {
  free(b->data);
  b->data = NULL;
  b->len = b->cap = 0;
}

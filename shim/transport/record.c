/* record.c - ONC RPC record marking (RFC 5531 section 11) over a gs_conn.
 *
 * A record is one or more fragments; each fragment starts with a 4-byte big-endian header whose
 * high bit marks the last fragment and whose low 31 bits give the fragment's length. We send
 * fragments of at most GS_FRAGMENT_MAX bytes; we accept any split, but refuse records longer than
 * the caller's limit and records of absurdly many fragments, and never allocate more than the
 * bytes that actually arrived (a header announcing 2 GiB costs the sender 2 GiB of traffic).
 */
#include <string.h>

#include "transport.h"

#define GS_FRAGMENT_MAX (1u << 20)
#define GS_LAST_FRAGMENT 0x80000000u
#define GS_MAX_FRAGMENTS 65536u
#define GS_READ_STEP (1u << 20)
#define GS_COALESCE_MAX 16384u   /* fragments up to this size go out in a single write */

void gs_put32(uint8_t *p, uint32_t v) {
  p[0] = (uint8_t)(v >> 24);
  p[1] = (uint8_t)(v >> 16);
  p[2] = (uint8_t)(v >> 8);
  p[3] = (uint8_t)v;
}

uint32_t gs_get32(const uint8_t *p) {
  return (uint32_t)p[0] << 24 | (uint32_t)p[1] << 16 | (uint32_t)p[2] << 8 | p[3];
}

void gs_put64(uint8_t *p, uint64_t v) {
  gs_put32(p, (uint32_t)(v >> 32));
  gs_put32(p + 4, (uint32_t)v);
}

uint64_t gs_get64(const uint8_t *p) { return (uint64_t)gs_get32(p) << 32 | gs_get32(p + 4); }

/* Writes `len` bytes as fragments; `head` (if any) goes before msg inside the same record. */
static int write_fragments(gs_conn *c, const uint8_t *head, size_t head_len, const uint8_t *msg,
                           size_t len) {
  size_t total = head_len + len, sent = 0;
  do {
    size_t frag = total - sent > GS_FRAGMENT_MAX ? GS_FRAGMENT_MAX : total - sent;
    int last = sent + frag == total;
    uint8_t hdr[4 + 4];
    gs_put32(hdr, (uint32_t)frag | (last ? GS_LAST_FRAGMENT : 0));
    size_t hdr_len = 4;
    size_t body = frag;
    if (sent < head_len) { /* the (tiny) head always fits in the first fragment */
      memcpy(hdr + 4, head, head_len);
      hdr_len += head_len;
      body -= head_len;
    }
    size_t msg_off = sent < head_len ? 0 : sent - head_len;
    if (body && body <= GS_COALESCE_MAX) { /* one write: one TCP segment / one TLS record */
      uint8_t small[8 + GS_COALESCE_MAX];
      memcpy(small, hdr, hdr_len);
      memcpy(small + hdr_len, msg + msg_off, body);
      if (gs_conn_write(c, small, hdr_len + body) < 0) return -1;
    } else {
      if (gs_conn_write(c, hdr, hdr_len) < 0) return -1;
      if (body && gs_conn_write(c, msg + msg_off, body) < 0) return -1;
    }
    sent += frag;
  } while (sent < total);
  return 0;
}

int gs_record_write(gs_conn *c, uint32_t word, const void *msg, size_t len) {
  uint8_t head[4];
  gs_put32(head, word);
  return write_fragments(c, head, sizeof head, msg, len);
}

int gs_record_write_raw(gs_conn *c, const void *msg, size_t len) {
  return write_fragments(c, NULL, 0, msg, len);
}

/* Reads `n` bytes into the buffer's end, growing it only as data arrives. */
static int read_into(gs_conn *c, gs_buffer *buf, size_t n) {
  while (n > 0) {
    size_t step = n > GS_READ_STEP ? GS_READ_STEP : n;
    if (gs_buffer_reserve(buf, step) < 0) return -1;
    if (gs_conn_read(c, buf->data + buf->len, step) < 0) return -1;
    buf->len += step;
    n -= step;
  }
  return 0;
}

int gs_record_read(gs_conn *c, gs_buffer *buf, size_t max_len, int *too_big) {
  *too_big = 0;
  buf->len = 0;
  for (uint32_t fragments = 0;; fragments++) {
    uint8_t hdr[4];
    if (fragments >= GS_MAX_FRAGMENTS) {
      *too_big = 1;
      return -1;
    }
    if (gs_conn_read(c, hdr, 4) < 0) return -1;
    uint32_t h = gs_get32(hdr);
    size_t frag = h & ~GS_LAST_FRAGMENT;
    if (frag > max_len - buf->len) {
      *too_big = 1;
      return -1;
    }
    if (read_into(c, buf, frag) < 0) return -1;
    if (h & GS_LAST_FRAGMENT) return 0;
  }
}

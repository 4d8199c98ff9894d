/* test_record.c - record marking (RFC 5531) over a socketpair: round trips of many sizes,
 * fragments split by hand, and the refusals: oversized records, truncated records, stalls. */
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

#include "transport.h"

#include "check.h"

typedef struct {
  gs_conn *c;
  const uint8_t *msg;
  size_t len;
} writer_args;

static void *writer(void *p) {
  writer_args *a = p;
  gs_record_write(a->c, GS_REC_MESSAGE | GS_REC_FLAG_WAITS, a->msg, a->len);
  return NULL;
}

static void pair(gs_conn **a, gs_conn **b) {
  int sv[2];
  if (socketpair(AF_UNIX, SOCK_STREAM, 0, sv) < 0) abort();
  *a = gs_conn_wrap(sv[0]);
  *b = gs_conn_wrap(sv[1]);
  gs_conn_set_timeout(*a, 2000);
  gs_conn_set_timeout(*b, 2000);
}

/* Writes a message in a thread (it may exceed the socket buffer), reads it back. */
static void test_round_trip(size_t len) {
  gs_conn *a, *b;
  pair(&a, &b);
  uint8_t *msg = malloc(len + 1);
  for (size_t i = 0; i < len; i++) msg[i] = (uint8_t)(i * 31 + len);
  writer_args wa = {a, msg, len};
  pthread_t t;
  pthread_create(&t, NULL, writer, &wa);
  gs_buffer buf = {0};
  int too_big;
  CHECK(gs_record_read(b, &buf, len + 4, &too_big) == 0);
  pthread_join(t, NULL);
  CHECK(buf.len == len + 4);
  CHECK(buf.len >= 4 && gs_get32(buf.data) == (GS_REC_MESSAGE | GS_REC_FLAG_WAITS));
  CHECK(buf.len == len + 4 && memcmp(buf.data + 4, msg, len) == 0);
  gs_buffer_free(&buf);
  free(msg);
  gs_conn_close(a);
  gs_conn_close(b);
}

/* A record split into fragments of 1, 0 and 3 bytes by hand must read as one. */
static void test_hand_fragments(void) {
  int sv[2];
  socketpair(AF_UNIX, SOCK_STREAM, 0, sv);
  const uint8_t raw[] = {0, 0, 0, 1, 'a', 0, 0, 0, 0, 0x80, 0, 0, 3, 'b', 'c', 'd'};
  CHECK(write(sv[0], raw, sizeof raw) == (ssize_t)sizeof raw);
  gs_conn *b = gs_conn_wrap(sv[1]);
  gs_conn_set_timeout(b, 2000);
  gs_buffer buf = {0};
  int too_big;
  CHECK(gs_record_read(b, &buf, 100, &too_big) == 0);
  CHECK(buf.len == 4 && memcmp(buf.data, "abcd", 4) == 0);
  gs_buffer_free(&buf);
  gs_conn_close(b);
  close(sv[0]);
}

/* Sends raw bytes, then either closes or leaves the socket open; returns the read result. */
static int read_after_raw(const uint8_t *raw, size_t n, int close_writer, size_t max_len,
                          int *too_big, int *conn_error) {
  int sv[2];
  socketpair(AF_UNIX, SOCK_STREAM, 0, sv);
  CHECK(write(sv[0], raw, n) == (ssize_t)n);
  if (close_writer) close(sv[0]);
  gs_conn *b = gs_conn_wrap(sv[1]);
  gs_conn_set_timeout(b, 300);
  gs_buffer buf = {0};
  int rc = gs_record_read(b, &buf, max_len, too_big);
  *conn_error = gs_conn_error(b);
  gs_buffer_free(&buf);
  gs_conn_close(b);
  if (!close_writer) close(sv[0]);
  return rc;
}

static void test_refusals(void) {
  int too_big, e;
  /* header announcing 2 GiB - 1: refused before any allocation */
  const uint8_t huge[] = {0xff, 0xff, 0xff, 0xff};
  CHECK(read_after_raw(huge, sizeof huge, 0, 1 << 20, &too_big, &e) < 0 && too_big);
  /* fragments that add up past the limit */
  const uint8_t two[] = {0, 0, 0, 8, 1, 2, 3, 4, 5, 6, 7, 8, 0x80, 0, 0, 8};
  CHECK(read_after_raw(two, sizeof two, 0, 12, &too_big, &e) < 0 && too_big);
  /* truncated: announces 100 bytes, sends 3, closes */
  const uint8_t trunc[] = {0x80, 0, 0, 100, 1, 2, 3};
  CHECK(read_after_raw(trunc, sizeof trunc, 1, 1000, &too_big, &e) < 0 && !too_big &&
        e == GS_CONN_EOF);
  /* stalled: announces 100 bytes, sends 3, stays open: times out */
  CHECK(read_after_raw(trunc, sizeof trunc, 0, 1000, &too_big, &e) < 0 && !too_big &&
        e == GS_CONN_TIMEOUT);
  /* half a header */
  const uint8_t half[] = {0x80, 0};
  CHECK(read_after_raw(half, sizeof half, 1, 1000, &too_big, &e) < 0 && e == GS_CONN_EOF);
}

int main(void) {
  const size_t sizes[] = {0, 1, 3, 4096, (1u << 20) - 4, (1u << 20) - 3, (1u << 20) + 5,
                          3u << 20};
  for (size_t i = 0; i < sizeof sizes / sizeof *sizes; i++) test_round_trip(sizes[i]);
  test_hand_fragments();
  test_refusals();
  if (failures) fprintf(stderr, "%d checks failed\n", failures);
  else printf("record marking: all checks passed\n");
  return failures ? 1 : 0;
}

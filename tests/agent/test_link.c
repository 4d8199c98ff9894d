/* test_link.c - gs_link_* for the tests/agent library: always the in-process link, so these
 * tests exercise stubs, wire and dispatch without the network transport (tests/transport).
 * GS_TEST_LINK_FAIL_AFTER=N makes every send after the N-th fail, as a dropped connection
 * would (test_lostlink). */
#include <stdlib.h>

#include "link.h"

#define EXPORT __attribute__((visibility("default")))

static long sends;

EXPORT gs_link *gs_link_open(char *err, size_t errlen) {
  return gs_inprocess_link_open(err, errlen);
}

EXPORT int gs_link_send(gs_link *l, const uint8_t *msg, size_t len, int client_waits) {
  const char *limit = getenv("GS_TEST_LINK_FAIL_AFTER");
  if (limit && ++sends > atol(limit)) return -1;
  return l->ops->send(l, msg, len, client_waits);
}

EXPORT int gs_link_recv(gs_link *l, gs_buffer *reply, char *err, size_t errlen) {
  return l->ops->recv(l, reply, err, errlen);
}

EXPORT void gs_link_close(gs_link *l) {
  if (l) l->ops->close(l);
}

/* inprocess.c - the in-process link (GPUSHIM_ENDPOINT=inprocess): an agent session inside the
 * application. Messages stay encoded and go through agent_session_handle exactly as they would
 * over a network, so the stubs and the dispatch are the same code with and without an agent.
 * The device comes from GPUSHIM_DRIVER (a libcuda.so.1 path; default: the CPU device path
 * baked in at build time, else "libcuda.so.1" by name). */
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "inprocess.h"
#include "link.h"
#include "wire.h"

#ifndef GS_DEFAULT_DRIVER
#define GS_DEFAULT_DRIVER "libcuda.so.1"
#endif

typedef struct {
  gs_link base;
  agent_session *session;
  pthread_mutex_t lock;
  gs_buffer replies;     /* replies not yet received, each as u32 length + bytes, in order */
  size_t head;           /* read position in replies */
} inproc_link;

static pthread_mutex_t last_lock = PTHREAD_MUTEX_INITIALIZER;
static inproc_link *last_opened;

GS_EXPORT int gs_inprocess_counters(agent_counters *out) {
  pthread_mutex_lock(&last_lock);
  int rc = -1;
  if (last_opened) {
    pthread_mutex_lock(&last_opened->lock);
    agent_session_counters(last_opened->session, out);
    pthread_mutex_unlock(&last_opened->lock);
    rc = 0;
  }
  pthread_mutex_unlock(&last_lock);
  return rc;
}

static int inproc_send(gs_link *base, const uint8_t *msg, size_t len, int client_waits) {
  inproc_link *l = (inproc_link *)base;
  pthread_mutex_lock(&l->lock);
  if (l->head == l->replies.len) l->replies.len = l->head = 0;
  size_t at = l->replies.len;
  int rc = gs_buffer_reserve(&l->replies, 4);
  if (rc == 0) {
    l->replies.len += 4;
    rc = agent_session_handle(l->session, msg, len, client_waits, &l->replies);
  }
  if (rc == 0) gs_put32(l->replies.data + at, (uint32_t)(l->replies.len - at - 4));
  else l->replies.len = at;
  pthread_mutex_unlock(&l->lock);
  return rc;
}

static int inproc_recv(gs_link *base, gs_buffer *reply, char *err, size_t errlen) {
  inproc_link *l = (inproc_link *)base;
  pthread_mutex_lock(&l->lock);
  int rc = -1;
  if (l->replies.len - l->head < 4) {
    snprintf(err, errlen, "in-process link: no reply pending (the session dropped the message)");
  } else {
    uint32_t n = gs_read32(l->replies.data + l->head);
    reply->len = 0;
    rc = gs_buffer_append(reply, l->replies.data + l->head + 4, n);
    l->head += 4 + (size_t)n;
    if (rc < 0) snprintf(err, errlen, "in-process link: out of memory");
  }
  pthread_mutex_unlock(&l->lock);
  return rc;
}

static void inproc_close(gs_link *base) {
  inproc_link *l = (inproc_link *)base;
  pthread_mutex_lock(&last_lock);
  if (last_opened == l) last_opened = NULL;
  pthread_mutex_unlock(&last_lock);
  agent_session_close(l->session);
  gs_buffer_free(&l->replies);
  pthread_mutex_destroy(&l->lock);
  free(l);
}

static const gs_link_ops inproc_ops = {inproc_send, inproc_recv, inproc_close};

GS_EXPORT gs_link *gs_inprocess_link_open(char *err, size_t errlen) {
  const char *driver = getenv("GPUSHIM_DRIVER");
  agent_device_config cfg = {driver && *driver ? driver : GS_DEFAULT_DRIVER, 0};
  inproc_link *l = calloc(1, sizeof *l);
  if (!l) {
    snprintf(err, errlen, "in-process link: out of memory");
    return NULL;
  }
  char why[400];
  l->session = agent_session_open(&cfg, why, sizeof why);
  if (!l->session) {
    snprintf(err, errlen, "GPUSHIM_ENDPOINT=inprocess: %s", why);
    free(l);
    return NULL;
  }
  pthread_mutex_init(&l->lock, NULL);
  l->base.ops = &inproc_ops;
  pthread_mutex_lock(&last_lock);
  last_opened = l;
  pthread_mutex_unlock(&last_lock);
  return &l->base;
}

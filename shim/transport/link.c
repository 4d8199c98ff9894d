/* link.c - gs_link_open and the network link (link.h's client side).
 *
 * Configuration, read once per gs_link_open:
 *   GPUSHIM_ENDPOINT     "inprocess" | HOST:PORT | unset (provisioner or private agent)
 *   GPUSHIM_SECRET_FILE  the agent's secret (needed with HOST:PORT)
 *   GPUSHIM_TIMEOUT      seconds any wait may last (default 60); the agent sends keepalives
 *                        while a request runs long, so this bounds silence, not kernel time
 *   GPUSHIM_TLS          auto (default: TLS unless the endpoint is loopback) | on | off
 *   GPUSHIM_PROVIDER     with no endpoint: ask the provisioner's daemon (gs_provisioner_acquire,
 *                        provisioner/client.h) for an endpoint and a secret file
 * After the handshake every message is one record: a transport word (GS_REC_MESSAGE, plus
 * GS_REC_FLAG_WAITS when the client will block on the reply) followed by the message bytes.
 */
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "private_agent.h"
#include "transport.h"

/* Weak references: the in-process link (protocol layer) and the provisioner's client API.
 * When a piece is not linked in, its configuration gives a clear error instead. */
__attribute__((weak)) gs_link *gs_inprocess_link_open(char *err, size_t errlen);
__attribute__((weak)) int gs_provisioner_acquire(char *endpoint, size_t endpoint_len,
                                                 char *secret_path, size_t secret_len,
                                                 char *err, size_t errlen);
__attribute__((weak)) void gs_provisioner_release(void);

typedef struct {
  gs_link base;
  gs_conn *conn;
  char endpoint[300];
  int timeout_ms;
  int via_provisioner;
  int broken;                  /* after a lost link every call fails at once */
  char broken_why[256];
  int send_failed;             /* sends fail at once; recv still reads what the agent said */
  char send_why[256];
  pthread_mutex_t send_lock, recv_lock;
  gs_buffer scratch;
} net_link;

/* ---- configuration ---- */

int gs_config_timeout_ms(void) {
  const char *t = getenv("GPUSHIM_TIMEOUT");
  double s = t && *t ? atof(t) : GS_DEFAULT_TIMEOUT_S;
  if (s <= 0 || s > 86400) s = GS_DEFAULT_TIMEOUT_S;
  return (int)(s * 1000);
}

/* GPUSHIM_TLS -> what we ask for: on = TLS, off = none, auto = TLS to a remote agent, the
 * agent's choice on loopback (an agent started with --tls on keeps it). -1 on a bad value. */
static int want_tls_for(const gs_endpoint *ep, char *err, size_t errlen) {
  const char *t = getenv("GPUSHIM_TLS");
  int mode = GS_TLS_AUTO;
  if (t && *t && gs_tls_mode_parse(t, &mode) < 0) {
    snprintf(err, errlen, "GPUSHIM_TLS=%s is not one of auto, on, off", t);
    return -1;
  }
  if (mode == GS_TLS_AUTO) return gs_endpoint_is_loopback(ep) ? GS_WANT_TLS_EITHER : 1;
  return mode == GS_TLS_ON;
}

/* ---- the network link's operations ---- */

static void mark_broken(net_link *l, const char *why) {
  if (!l->broken) snprintf(l->broken_why, sizeof l->broken_why, "%s", why);
  l->broken = 1;
}

static void describe_conn_failure(net_link *l, char *out, size_t outlen) {
  if (gs_conn_error(l->conn) == GS_CONN_TIMEOUT)
    snprintf(out, outlen,
             "the gpushim agent at %s sent nothing for %d s: link given up (agent stopped or "
             "network down; raise GPUSHIM_TIMEOUT if it is just slow)",
             l->endpoint, l->timeout_ms / 1000);
  else
    snprintf(out, outlen, "lost the connection to the gpushim agent at %s (%s): restart the "
             "program once the agent is back", l->endpoint, gs_conn_error_text(l->conn));
}

static int net_send(gs_link *base, const uint8_t *msg, size_t len, int client_waits) {
  net_link *l = (net_link *)base;
  if (len > GS_LINK_MAX_MESSAGE) return -1;
  pthread_mutex_lock(&l->send_lock);
  int rc = -1;
  if (!__atomic_load_n(&l->send_failed, __ATOMIC_ACQUIRE)) {
    uint32_t word = GS_REC_MESSAGE | (client_waits ? GS_REC_FLAG_WAITS : 0);
    rc = gs_record_write(l->conn, word, msg, len);
    if (rc < 0) { /* the agent may have said why before closing: recv reads that */
      describe_conn_failure(l, l->send_why, sizeof l->send_why);
      __atomic_store_n(&l->send_failed, 1, __ATOMIC_RELEASE);
    }
  }
  pthread_mutex_unlock(&l->send_lock);
  return rc;
}

/* Reads records until a reply: keepalives reset the silence timeout, an agent ERROR record
 * explains why it drops us. */
static int net_recv_locked(net_link *l, gs_buffer *reply, char *err, size_t errlen) {
  for (;;) {
    int too_big;
    if (gs_record_read(l->conn, &l->scratch, GS_LINK_MAX_MESSAGE + 4, &too_big) < 0) {
      if (too_big)
        snprintf(err, errlen, "the agent at %s sent an oversized reply: link dropped",
                 l->endpoint);
      else
        describe_conn_failure(l, err, errlen);
      return -1;
    }
    if (l->scratch.len < 4) {
      snprintf(err, errlen, "the agent at %s sent a malformed record: link dropped", l->endpoint);
      return -1;
    }
    uint32_t word = gs_get32(l->scratch.data);
    const uint8_t *body = l->scratch.data + 4;
    size_t body_len = l->scratch.len - 4;
    switch (word) {
    case GS_REC_KEEPALIVE:
      continue;
    case GS_REC_ERROR:
      snprintf(err, errlen, "the agent at %s dropped the link: %.*s", l->endpoint,
               (int)(body_len > 400 ? 400 : body_len), (const char *)body);
      return -1;
    case GS_REC_MESSAGE:
      reply->len = 0;
      return gs_buffer_append(reply, body, body_len);
    default:
      snprintf(err, errlen, "the agent at %s sent an unknown record type: link dropped",
               l->endpoint);
      return -1;
    }
  }
}

static int net_recv(gs_link *base, gs_buffer *reply, char *err, size_t errlen) {
  net_link *l = (net_link *)base;
  pthread_mutex_lock(&l->recv_lock);
  int rc = -1;
  if (l->broken) {
    snprintf(err, errlen, "%s", l->broken_why);
  } else {
    rc = net_recv_locked(l, reply, err, errlen);
    if (rc < 0 && __atomic_load_n(&l->send_failed, __ATOMIC_ACQUIRE) && gs_conn_error(l->conn) != GS_CONN_OK &&
        !strstr(err, "dropped the link"))
      snprintf(err, errlen, "%s", l->send_why); /* the first failure names the cause */
    if (rc < 0) mark_broken(l, err);
  }
  pthread_mutex_unlock(&l->recv_lock);
  return rc;
}

static void net_close(gs_link *base) {
  net_link *l = (net_link *)base;
  gs_conn_close(l->conn);
  gs_buffer_free(&l->scratch);
  pthread_mutex_destroy(&l->send_lock);
  pthread_mutex_destroy(&l->recv_lock);
  if (l->via_provisioner && gs_provisioner_release) gs_provisioner_release();
  free(l);
}

static const gs_link_ops net_ops = {net_send, net_recv, net_close};

/* ---- opening ---- */

gs_conn *gs_connect_authenticated(const gs_endpoint *ep, const gs_secret *secret, int purpose,
                                  int timeout_ms, char *err, size_t errlen) {
  char name[300];
  snprintf(name, sizeof name, "%s%s%s:%s", strchr(ep->host, ':') ? "[" : "", ep->host,
           strchr(ep->host, ':') ? "]" : "", ep->port);
  int want_tls = want_tls_for(ep, err, errlen);
  if (want_tls < 0) return NULL;
  int fd = gs_endpoint_connect(ep, timeout_ms, err, errlen);
  if (fd < 0) return NULL;
  gs_conn *c = gs_conn_wrap(fd);
  if (!c) {
    snprintf(err, errlen, "out of memory");
    return NULL;
  }
  gs_conn_set_timeout(c, timeout_ms);
  gs_hello_opts o = {.purpose = purpose, .want_tls = want_tls, .timeout_ms = timeout_ms};
  gs_handshake_result res;
  if (gs_handshake_client(c, secret, &o, name, &res, err, errlen) < 0) {
    gs_conn_close(c);
    return NULL;
  }
  return c;
}

static gs_link *open_network(const gs_endpoint *ep, const gs_secret *secret, int timeout_ms,
                             int via_provisioner, char *err, size_t errlen) {
  gs_conn *c = gs_connect_authenticated(ep, secret, GS_PURPOSE_SESSION, timeout_ms, err, errlen);
  if (!c) return NULL;
  net_link *l = calloc(1, sizeof *l);
  if (!l) {
    gs_conn_close(c);
    snprintf(err, errlen, "out of memory");
    return NULL;
  }
  l->base.ops = &net_ops;
  l->conn = c;
  l->timeout_ms = timeout_ms;
  l->via_provisioner = via_provisioner;
  snprintf(l->endpoint, sizeof l->endpoint, "%s:%s", ep->host, ep->port);
  pthread_mutex_init(&l->send_lock, NULL);
  pthread_mutex_init(&l->recv_lock, NULL);
  return &l->base;
}

/* GPUSHIM_PROVIDER set, no endpoint: the provisioner's daemon brings up an instance and tells
 * us where its agent listens and which secret file to use. */
static int endpoint_from_provisioner(gs_endpoint *ep, gs_secret *secret, char *err,
                                     size_t errlen) {
  char endpoint[300], secret_path[4096];
  if (!gs_provisioner_acquire) {
    snprintf(err, errlen, "GPUSHIM_PROVIDER is set but this gpushim was built without the "
             "provisioner client: set GPUSHIM_ENDPOINT=HOST:PORT instead");
    return -1;
  }
  if (gs_provisioner_acquire(endpoint, sizeof endpoint, secret_path, sizeof secret_path, err,
                             errlen) != 0)
    return -1;
  if (gs_endpoint_parse(endpoint, ep, err, errlen) < 0 ||
      gs_secret_load(secret_path, secret, err, errlen) < 0) {
    if (gs_provisioner_release) gs_provisioner_release();
    return -1;
  }
  return 0;
}

gs_link *gs_link_open(char *err, size_t errlen) {
  const char *endpoint = getenv("GPUSHIM_ENDPOINT");
  const char *provider = getenv("GPUSHIM_PROVIDER");
  int timeout_ms = gs_config_timeout_ms();
  gs_endpoint ep;
  gs_secret secret;
  int via_provisioner = 0;
  gs_link *link = NULL;

  if (endpoint && strcmp(endpoint, "inprocess") == 0) {
    if (gs_inprocess_link_open) return gs_inprocess_link_open(err, errlen);
    snprintf(err, errlen, "GPUSHIM_ENDPOINT=inprocess but this gpushim was built without the "
             "in-process device: set GPUSHIM_ENDPOINT=HOST:PORT or unset it");
    return NULL;
  }
  if (endpoint && *endpoint) {
    const char *secret_file = getenv("GPUSHIM_SECRET_FILE");
    if (gs_endpoint_parse(endpoint, &ep, err, errlen) < 0) return NULL;
    if (!secret_file || !*secret_file) {
      snprintf(err, errlen, "GPUSHIM_ENDPOINT=%s needs GPUSHIM_SECRET_FILE: point it at a copy "
               "of the agent's --secret-file", endpoint);
      return NULL;
    }
    if (gs_secret_load(secret_file, &secret, err, errlen) < 0) return NULL;
  } else if (provider && *provider) {
    if (endpoint_from_provisioner(&ep, &secret, err, errlen) < 0) return NULL;
    via_provisioner = 1;
  } else if (gs_private_agent_start(timeout_ms, &ep, &secret, err, errlen) < 0) {
    return NULL;
  }
  link = open_network(&ep, &secret, timeout_ms, via_provisioner, err, errlen);
  if (!link && via_provisioner && gs_provisioner_release) gs_provisioner_release();
  gs_secret_wipe(&secret);
  return link;
}

int gs_link_send(gs_link *l, const uint8_t *msg,
                                                        size_t len, int client_waits) {
  return l->ops->send(l, msg, len, client_waits);
}

int gs_link_recv(gs_link *l, gs_buffer *reply, char *err,
                                                        size_t errlen) {
  return l->ops->recv(l, reply, err, errlen);
}

void gs_link_close(gs_link *l) {
  if (l) l->ops->close(l);
}

/* test_handshake.c - both halves of the connection handshake over a socketpair: right and
 * wrong secrets, TLS on and off, the TLS policy refusals, a busy agent, and a message carried
 * over the established TLS channel. */
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
  gs_secret secret;
  gs_agent_policy policy;
  gs_handshake_result res;
  int rc;
  char err[256];
  int echo_one;               /* after success, echo one record back */
} agent_args;

static void *agent_thread(void *p) {
  agent_args *a = p;
  a->rc = gs_handshake_agent(a->c, &a->secret, &a->policy, &a->res, a->err, sizeof a->err);
  if (a->rc == 0 && a->echo_one) {
    gs_buffer b = {0};
    int too_big;
    if (gs_record_read(a->c, &b, 1 << 20, &too_big) == 0 && b.len >= 4)
      gs_record_write(a->c, GS_REC_MESSAGE, b.data + 4, b.len - 4);
    gs_buffer_free(&b);
  }
  gs_conn_shutdown(a->c);
  return NULL;
}

static void secret_of(gs_secret *s, const char *text) {
  memset(s, 0, sizeof *s);
  s->len = strlen(text);
  memcpy(s->bytes, text, s->len);
}

typedef struct {
  const char *name;
  const char *agent_secret, *client_secret;
  int tls_mode, loopback, busy;   /* agent policy */
  int want_tls;                   /* client */
  int expect_tls;                 /* when it succeeds */
  int expect_ok;
  const char *client_error;       /* substring of the client's message when refused */
} scenario;

#define S1 "0123456789abcdef0123"
#define S2 "0123456789abcdef0124"
#define EITHER GS_WANT_TLS_EITHER
static const scenario scenarios[] = {
    /* name, agent secret, client secret, agent tls, loopback, busy, client wants, expect tls,
     * expect ok, client error */
    {"plain", S1, S1, GS_TLS_AUTO, 1, 0, 0, 0, 1, NULL},
    {"tls", S1, S1, GS_TLS_ON, 1, 0, 1, 1, 1, NULL},
    {"tls remote", S1, S1, GS_TLS_AUTO, 0, 0, 1, 1, 1, NULL},
    {"either, agent on", S1, S1, GS_TLS_ON, 1, 0, EITHER, 1, 1, NULL},
    {"either, agent auto", S1, S1, GS_TLS_AUTO, 1, 0, EITHER, 0, 1, NULL},
    {"either, agent auto remote", S1, S1, GS_TLS_AUTO, 0, 0, EITHER, 1, 1, NULL},
    {"either, agent off", S1, S1, GS_TLS_OFF, 0, 0, EITHER, 0, 1, NULL},
    {"wrong secret", S1, S2, GS_TLS_OFF, 1, 0, 0, 0, 0, "credential refused"},
    {"wrong secret tls", S1, S2, GS_TLS_ON, 1, 0, 1, 0, 0, "credential refused"},
    {"tls required", S1, S1, GS_TLS_ON, 1, 0, 0, 0, 0, "requires TLS"},
    {"tls required remote", S1, S1, GS_TLS_AUTO, 0, 0, 0, 0, 0, "requires TLS"},
    {"tls unavailable", S1, S1, GS_TLS_OFF, 1, 0, 1, 0, 0, "--tls off"},
    {"busy", S1, S1, GS_TLS_OFF, 1, 1, 0, 0, 0, "maximum number of sessions"},
};

static void run(const scenario *s) {
  int sv[2];
  socketpair(AF_UNIX, SOCK_STREAM, 0, sv);
  agent_args a = {.c = gs_conn_wrap(sv[0]),
                  .policy = {.tls_mode = s->tls_mode, .peer_is_loopback = s->loopback,
                             .busy = s->busy},
                  .echo_one = 1};
  secret_of(&a.secret, s->agent_secret);
  gs_conn *c = gs_conn_wrap(sv[1]);
  gs_conn_set_timeout(a.c, 3000);
  gs_conn_set_timeout(c, 3000);
  pthread_t t;
  pthread_create(&t, NULL, agent_thread, &a);
  gs_secret cs;
  secret_of(&cs, s->client_secret);
  gs_hello_opts o = {.purpose = GS_PURPOSE_SESSION, .want_tls = s->want_tls, .timeout_ms = 3000};
  gs_handshake_result res;
  char err[512] = "";
  int rc = gs_handshake_client(c, &cs, &o, "test-agent", &res, err, sizeof err);
  int echoed = 0;
  if (rc == 0) {
    const char msg[] = "hello over the link";
    gs_buffer b = {0};
    int too_big;
    if (gs_record_write(c, GS_REC_MESSAGE, msg, sizeof msg) == 0 &&
        gs_record_read(c, &b, 1 << 20, &too_big) == 0)
      echoed = b.len == 4 + sizeof msg && memcmp(b.data + 4, msg, sizeof msg) == 0;
    gs_buffer_free(&b);
  }
  pthread_join(t, NULL);
  int ok = s->expect_ok ? rc == 0 && a.rc == 0 && echoed && res.tls == s->expect_tls &&
                              a.res.tls == s->expect_tls &&
                              memcmp(res.psk, a.res.psk, sizeof res.psk) == 0 &&
                              res.version == a.res.version
                        : rc < 0 && a.rc < 0 && strstr(err, s->client_error) != NULL;
  if (!ok)
    fprintf(stderr, "scenario %s: client rc %d (%s), agent rc %d (%s), echoed %d\n", s->name, rc,
            err, a.rc, a.err, echoed);
  CHECK(ok);
  gs_conn_close(c);
  gs_conn_close(a.c);
}

int main(void) {
  for (size_t i = 0; i < sizeof scenarios / sizeof *scenarios; i++) run(&scenarios[i]);
  if (failures) fprintf(stderr, "%d checks failed\n", failures);
  else printf("handshake: %zu scenarios passed\n", sizeof scenarios / sizeof *scenarios);
  return failures ? 1 : 0;
}

/* transport_client.c - a client of the transport for the integration tests: opens the link the
 * environment names (gs_link_open) and runs one scenario against the echo session.
 *
 *   transport_client echo N SIZE   N messages of SIZE random bytes, every reply checked
 *   transport_client batch N       N messages sent back to back, then N replies read in order
 *   transport_client big N         one request whose reply is N bytes, checked
 *   transport_client alloc N       hold N bytes on the agent, print "holding", wait forever
 *   transport_client mem           print the agent's live bytes
 *   transport_client sleep MS      one request the agent works on for MS ms
 *   transport_client bad           a message the session rejects: the link must drop
 *   transport_client text STRING   one message, its reply must be STRING reversed
 *   transport_client env NAME      print the agent's value of environment variable NAME
 * Exit 0 on success, 3 on a link error (the error line on stderr), 4 on a wrong reply.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "link.h"

static char err[512];

static int die_link(const char *what) {
  fprintf(stderr, "gpushim: %s: %s\n", what, err);
  return 3;
}

static int roundtrip(gs_link *l, const void *msg, size_t len, gs_buffer *reply) {
  if (gs_link_send(l, msg, len, 1) < 0) {
    snprintf(err, sizeof err, "send failed");
    gs_link_recv(l, reply, err, sizeof err); /* fills err with the cause */
    return -1;
  }
  return gs_link_recv(l, reply, err, sizeof err);
}

static int is_reversed(const uint8_t *a, const gs_buffer *b, size_t len) {
  if (b->len != len) return 0;
  for (size_t i = 0; i < len; i++)
    if (b->data[i] != a[len - 1 - i]) return 0;
  return 1;
}

/* Random payload that never starts like a command. */
static void fill_random(uint8_t *p, size_t n, unsigned *seed) {
  for (size_t i = 0; i < n; i++) p[i] = (uint8_t)rand_r(seed);
  if (n) p[0] = '#';
}

static int scenario_echo(gs_link *l, int n, size_t size) {
  gs_buffer reply = {0};
  uint8_t *msg = malloc(size ? size : 1);
  unsigned seed = 1234;
  for (int i = 0; i < n; i++) {
    fill_random(msg, size, &seed);
    if (roundtrip(l, msg, size, &reply) < 0) return die_link("echo");
    if (!is_reversed(msg, &reply, size)) {
      fprintf(stderr, "echo %d: wrong reply\n", i);
      return 4;
    }
  }
  free(msg);
  gs_buffer_free(&reply);
  printf("ok\n");
  return 0;
}

static int scenario_batch(gs_link *l, int n) {
  gs_buffer reply = {0};
  char msg[32];
  for (int i = 0; i < n; i++) {
    int len = snprintf(msg, sizeof msg, "#%d", i);
    if (gs_link_send(l, (uint8_t *)msg, (size_t)len, i == n - 1) < 0) return die_link("send");
  }
  for (int i = 0; i < n; i++) {
    int len = snprintf(msg, sizeof msg, "#%d", i);
    if (gs_link_recv(l, &reply, err, sizeof err) < 0) return die_link("batch");
    if (!is_reversed((uint8_t *)msg, &reply, (size_t)len)) {
      fprintf(stderr, "batch %d: reply out of order or wrong\n", i);
      return 4;
    }
  }
  gs_buffer_free(&reply);
  printf("ok\n");
  return 0;
}

static int scenario_big(gs_link *l, size_t n) {
  gs_buffer reply = {0};
  char msg[64];
  int len = snprintf(msg, sizeof msg, "big:%zu", n);
  if (roundtrip(l, msg, (size_t)len, &reply) < 0) return die_link("big");
  if (reply.len != n) return 4;
  for (size_t i = 0; i < n; i++)
    if (reply.data[i] != (uint8_t)(i * 7 % 251)) return 4;
  gs_buffer_free(&reply);
  printf("ok\n");
  return 0;
}

static int scenario_text(gs_link *l, const char *cmd, const char *expect) {
  gs_buffer reply = {0};
  if (roundtrip(l, cmd, strlen(cmd), &reply) < 0) return die_link(cmd);
  printf("%.*s\n", (int)reply.len, (const char *)reply.data);
  fflush(stdout);
  int ok = !expect || (reply.len == strlen(expect) && memcmp(reply.data, expect, reply.len) == 0);
  gs_buffer_free(&reply);
  return ok ? 0 : 4;
}

int main(int argc, char **argv) {
  if (argc < 2) {
    fprintf(stderr, "usage: transport_client echo|batch|big|alloc|mem|sleep|bad [ARGS]\n");
    return 2;
  }
  const char *what = argv[1];
  gs_link *l = gs_link_open(err, sizeof err);
  if (!l) {
    fprintf(stderr, "gpushim: %s\n", err);
    return 3;
  }
  int rc = 2;
  char cmd[64];
  if (strcmp(what, "echo") == 0 && argc == 4)
    rc = scenario_echo(l, atoi(argv[2]), (size_t)atol(argv[3]));
  else if (strcmp(what, "batch") == 0 && argc == 3)
    rc = scenario_batch(l, atoi(argv[2]));
  else if (strcmp(what, "big") == 0 && argc == 3)
    rc = scenario_big(l, (size_t)atol(argv[2]));
  else if (strcmp(what, "alloc") == 0 && argc == 3) {
    snprintf(cmd, sizeof cmd, "alloc:%s", argv[2]);
    rc = scenario_text(l, cmd, "allocated");
    if (rc == 0) {
      printf("holding\n");
      fflush(stdout);
      for (;;) pause();
    }
  } else if (strcmp(what, "mem") == 0)
    rc = scenario_text(l, "mem", NULL);
  else if (strcmp(what, "sleep") == 0 && argc == 3) {
    snprintf(cmd, sizeof cmd, "sleep:%s", argv[2]);
    rc = scenario_text(l, cmd, "slept");
  } else if (strcmp(what, "text") == 0 && argc == 3) {
    gs_buffer reply = {0};
    size_t len = strlen(argv[2]);
    if (roundtrip(l, argv[2], len, &reply) < 0) return die_link("text");
    rc = is_reversed((const uint8_t *)argv[2], &reply, len) ? 0 : 4;
    if (rc == 0) printf("ok\n");
    gs_buffer_free(&reply);
  } else if (strcmp(what, "env") == 0 && argc == 3) {
    snprintf(cmd, sizeof cmd, "env:%s", argv[2]);
    rc = scenario_text(l, cmd, NULL);
  } else if (strcmp(what, "bad") == 0)
    rc = scenario_text(l, "bad", NULL);
  gs_link_close(l);
  return rc;
}

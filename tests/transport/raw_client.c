/* raw_client.c - authenticates like a real client (TLS as GPUSHIM_TLS says), then misbehaves,
 * so that tests can send hostile records through TLS too (Python's ssl has no TLS 1.3 PSK).
 *
 *   raw_client ATTACK     with GPUSHIM_ENDPOINT / GPUSHIM_SECRET_FILE set
 * ATTACK: oversized | badword | garbage | truncated | stall | bad
 * Prints "closed" when the agent then closes the connection (after an optional ERROR record),
 * "open" if it kept it open for 15 s. Exit 0 when closed, 1 when open, 3 on setup errors.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>

#include "transport.h"

static int send_attack(gs_conn *c, const char *attack) {
  uint8_t buf[4096];
  if (strcmp(attack, "oversized") == 0) {
    gs_put32(buf, 0x80000000u | 0x7ffffff0u);
    gs_put32(buf + 4, GS_REC_MESSAGE);
    return gs_conn_write(c, buf, 8);
  }
  if (strcmp(attack, "badword") == 0) return gs_record_write(c, 0xdead, "x", 1);
  if (strcmp(attack, "bad") == 0) return gs_record_write(c, GS_REC_MESSAGE, "bad", 3);
  if (strcmp(attack, "garbage") == 0) {
    unsigned seed = 7;
    for (size_t i = 0; i < sizeof buf; i++) buf[i] = (uint8_t)rand_r(&seed);
    return gs_conn_write(c, buf, sizeof buf);
  }
  if (strcmp(attack, "truncated") == 0 || strcmp(attack, "stall") == 0) {
    gs_put32(buf, 0x80000000u | 1000);
    gs_put32(buf + 4, GS_REC_MESSAGE);
    return gs_conn_write(c, buf, 20);
  }
  return -1;
}

int main(int argc, char **argv) {
  char err[512];
  gs_endpoint ep;
  gs_secret secret;
  if (argc != 2) return 2;
  const char *endpoint = getenv("GPUSHIM_ENDPOINT"), *secret_file = getenv("GPUSHIM_SECRET_FILE");
  if (!endpoint || !secret_file || gs_endpoint_parse(endpoint, &ep, err, sizeof err) < 0 ||
      gs_secret_load(secret_file, &secret, err, sizeof err) < 0) {
    fprintf(stderr, "setup: %s\n", err);
    return 3;
  }
  gs_conn *c = gs_connect_authenticated(&ep, &secret, GS_PURPOSE_SESSION, 15000, err, sizeof err);
  if (!c) {
    fprintf(stderr, "connect: %s\n", err);
    return 3;
  }
  if (send_attack(c, argv[1]) < 0) {
    fprintf(stderr, "unknown attack or write failed\n");
    gs_conn_close(c);
    return 3;
  }
  if (strcmp(argv[1], "truncated") == 0) shutdown(gs_conn_fd(c), SHUT_WR); /* EOF mid-record */
  /* read until the agent closes: records (an ERROR perhaps), then EOF */
  gs_buffer b = {0};
  int too_big, closed = 0;
  gs_conn_set_timeout(c, 15000);
  for (int i = 0; i < 16; i++) {
    if (gs_record_read(c, &b, 1 << 20, &too_big) < 0) {
      closed = gs_conn_error(c) != GS_CONN_TIMEOUT;
      break;
    }
  }
  gs_buffer_free(&b);
  gs_conn_close(c);
  puts(closed ? "closed" : "open");
  return closed ? 0 : 1;
}

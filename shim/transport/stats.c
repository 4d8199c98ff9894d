/* stats.c - agent statistics: wire encoding, the query client, printing (see gs_stats.h).
 *
 * Wire form (big-endian): version(4) uptime_ms(8) sessions_live(4) max_sessions(4)
 * sessions_total(8) auth_failures(8) dropped(8) total counters(8 each, gs_counter_fields order)
 * n_sessions(4), then per session: id(8) age_ms(8) peer(48, NUL-padded) counters.
 */
#include <stddef.h>
#include <stdlib.h>
#include <string.h>

#include "gs_stats.h"
#include "transport.h"

#define STATS_WIRE_VERSION 1u
#define MAX_LISTED_SESSIONS 4096u

const gs_counter_field gs_counter_fields[] = {
    {"messages", offsetof(agent_counters, messages)},
    {"round_trips", offsetof(agent_counters, round_trips)},
    {"calls", offsetof(agent_counters, calls)},
    {"bytes_in_wire", offsetof(agent_counters, bytes_in_wire)},
    {"bytes_in_raw", offsetof(agent_counters, bytes_in_raw)},
    {"bytes_out_wire", offsetof(agent_counters, bytes_out_wire)},
    {"bytes_out_raw", offsetof(agent_counters, bytes_out_raw)},
};
const size_t gs_counter_field_count = sizeof gs_counter_fields / sizeof gs_counter_fields[0];

static uint64_t counter_get(const agent_counters *c, size_t i) {
  return *(const uint64_t *)((const char *)c + gs_counter_fields[i].offset);
}

static void counter_set(agent_counters *c, size_t i, uint64_t v) {
  *(uint64_t *)((char *)c + gs_counter_fields[i].offset) = v;
}

static int put32(gs_buffer *b, uint32_t v) {
  uint8_t x[4];
  gs_put32(x, v);
  return gs_buffer_append(b, x, 4);
}

static int put64(gs_buffer *b, uint64_t v) {
  uint8_t x[8];
  gs_put64(x, v);
  return gs_buffer_append(b, x, 8);
}

static int put_counters(gs_buffer *b, const agent_counters *c) {
  for (size_t i = 0; i < gs_counter_field_count; i++)
    if (put64(b, counter_get(c, i)) < 0) return -1;
  return 0;
}

int gs_agent_stats_encode(const gs_agent_stats *s, gs_buffer *b) {
  int bad = put32(b, STATS_WIRE_VERSION) | put64(b, s->uptime_ms) | put32(b, s->sessions_live) |
            put32(b, s->max_sessions) | put64(b, s->sessions_total) |
            put64(b, s->auth_failures) | put64(b, s->dropped) | put_counters(b, &s->total) |
            put32(b, s->n_sessions);
  for (uint32_t i = 0; i < s->n_sessions && !bad; i++) {
    const gs_session_stats *ss = &s->sessions[i];
    char peer[48] = {0};
    memcpy(peer, ss->peer, strnlen(ss->peer, sizeof peer - 1));
    bad = put64(b, ss->id) | put64(b, ss->age_ms) | gs_buffer_append(b, peer, sizeof peer) |
          put_counters(b, &ss->counters);
  }
  return bad ? -1 : 0;
}

/* A bounds-checked reader over the received bytes. */
typedef struct {
  const uint8_t *p;
  size_t left;
  int bad;
} reader;

static const uint8_t *take(reader *r, size_t n) {
  if (r->bad || r->left < n) {
    r->bad = 1;
    return NULL;
  }
  const uint8_t *p = r->p;
  r->p += n;
  r->left -= n;
  return p;
}

static uint32_t get32(reader *r) {
  const uint8_t *p = take(r, 4);
  return p ? gs_get32(p) : 0;
}

static uint64_t get64(reader *r) {
  const uint8_t *p = take(r, 8);
  return p ? gs_get64(p) : 0;
}

static void get_counters(reader *r, agent_counters *c) {
  for (size_t i = 0; i < gs_counter_field_count; i++) counter_set(c, i, get64(r));
}

int gs_agent_stats_decode(const uint8_t *p, size_t len, gs_agent_stats *s) {
  reader r = {p, len, 0};
  memset(s, 0, sizeof *s);
  if (get32(&r) != STATS_WIRE_VERSION) return -1;
  s->uptime_ms = get64(&r);
  s->sessions_live = get32(&r);
  s->max_sessions = get32(&r);
  s->sessions_total = get64(&r);
  s->auth_failures = get64(&r);
  s->dropped = get64(&r);
  get_counters(&r, &s->total);
  uint32_t n = get32(&r);
  if (r.bad || n > MAX_LISTED_SESSIONS) return -1;
  s->sessions = n ? calloc(n, sizeof *s->sessions) : NULL;
  if (n && !s->sessions) return -1;
  s->n_sessions = n;
  for (uint32_t i = 0; i < n; i++) {
    gs_session_stats *ss = &s->sessions[i];
    ss->id = get64(&r);
    ss->age_ms = get64(&r);
    const uint8_t *peer = take(&r, sizeof ss->peer);
    if (peer) memcpy(ss->peer, peer, sizeof ss->peer - 1);
    get_counters(&r, &ss->counters);
  }
  if (r.bad || r.left) {
    gs_agent_stats_free(s);
    return -1;
  }
  return 0;
}

void gs_agent_stats_free(gs_agent_stats *s) {
  free(s->sessions);
  s->sessions = NULL;
  s->n_sessions = 0;
}

int gs_agent_stats_query(const char *endpoint, const char *secret_file, gs_agent_stats *out,
                         char *err, size_t errlen) {
  if (!endpoint) endpoint = getenv("GPUSHIM_ENDPOINT");
  if (!secret_file) secret_file = getenv("GPUSHIM_SECRET_FILE");
  memset(out, 0, sizeof *out);
  if (!endpoint || !*endpoint || strcmp(endpoint, "inprocess") == 0) {
    snprintf(err, errlen, "no agent to ask: set GPUSHIM_ENDPOINT=HOST:PORT (private agents "
             "live only as long as their program)");
    return -1;
  }
  if (!secret_file || !*secret_file) {
    snprintf(err, errlen, "set GPUSHIM_SECRET_FILE (or --secret-file) to the agent's secret");
    return -1;
  }
  gs_endpoint ep;
  gs_secret secret;
  if (gs_endpoint_parse(endpoint, &ep, err, errlen) < 0 ||
      gs_secret_load(secret_file, &secret, err, errlen) < 0)
    return -1;
  int timeout_ms = gs_config_timeout_ms();
  gs_conn *c = gs_connect_authenticated(&ep, &secret, GS_PURPOSE_STATS, timeout_ms, err, errlen);
  gs_secret_wipe(&secret);
  if (!c) return -1;
  gs_buffer b = {0};
  int too_big, rc = gs_record_read(c, &b, 16u << 20, &too_big);
  if (rc < 0 || b.len < 4 || gs_get32(b.data) != GS_REC_MESSAGE ||
      gs_agent_stats_decode(b.data + 4, b.len - 4, out) < 0) {
    snprintf(err, errlen, "the agent at %s sent no readable statistics (%s)", endpoint,
             rc < 0 ? gs_conn_error_text(c) : "malformed reply");
    rc = -1;
  }
  gs_buffer_free(&b);
  gs_conn_close(c);
  return rc;
}

static void print_counters_json(FILE *f, const agent_counters *c) {
  for (size_t i = 0; i < gs_counter_field_count; i++)
    fprintf(f, "%s\"%s\": %llu", i ? ", " : "", gs_counter_fields[i].name,
            (unsigned long long)counter_get(c, i));
}

static void print_json(FILE *f, const gs_agent_stats *s) {
  fprintf(f,
          "{\"uptime_ms\": %llu, \"sessions\": %u, \"max_sessions\": %u, \"sessions_total\": "
          "%llu, \"auth_failures\": %llu, \"dropped\": %llu, \"total\": {",
          (unsigned long long)s->uptime_ms, s->sessions_live, s->max_sessions,
          (unsigned long long)s->sessions_total, (unsigned long long)s->auth_failures,
          (unsigned long long)s->dropped);
  print_counters_json(f, &s->total);
  fprintf(f, "}, \"live\": [");
  for (uint32_t i = 0; i < s->n_sessions; i++) {
    const gs_session_stats *ss = &s->sessions[i];
    fprintf(f, "%s{\"id\": %llu, \"age_ms\": %llu, \"peer\": \"", i ? ", " : "",
            (unsigned long long)ss->id, (unsigned long long)ss->age_ms);
    for (const char *p = ss->peer; *p; p++) /* addresses are plain, but never trust bytes */
      if (*p >= 0x20 && *p < 0x7f && *p != '"' && *p != '\\') fputc(*p, f);
    fprintf(f, "\", ");
    print_counters_json(f, &ss->counters);
    fprintf(f, "}");
  }
  fprintf(f, "]}\n");
}

static void print_text(FILE *f, const gs_agent_stats *s) {
  fprintf(f, "uptime          %.1f s\n", (double)s->uptime_ms / 1000.0);
  fprintf(f, "sessions        %u live (max %u), %llu in all\n", s->sessions_live,
          s->max_sessions, (unsigned long long)s->sessions_total);
  fprintf(f, "auth failures   %llu\n", (unsigned long long)s->auth_failures);
  fprintf(f, "dropped         %llu\n", (unsigned long long)s->dropped);
  for (size_t i = 0; i < gs_counter_field_count; i++)
    fprintf(f, "%-15s %llu\n", gs_counter_fields[i].name,
            (unsigned long long)counter_get(&s->total, i));
  for (uint32_t i = 0; i < s->n_sessions; i++) {
    const gs_session_stats *ss = &s->sessions[i];
    fprintf(f, "session %llu from %s, %.1f s:", (unsigned long long)ss->id, ss->peer,
            (double)ss->age_ms / 1000.0);
    for (size_t k = 0; k < gs_counter_field_count; k++)
      fprintf(f, " %s=%llu", gs_counter_fields[k].name,
              (unsigned long long)counter_get(&ss->counters, k));
    fputc('\n', f);
  }
}

void gs_agent_stats_print(FILE *f, const gs_agent_stats *s, int json) {
  if (json)
    print_json(f, s);
  else
    print_text(f, s);
}

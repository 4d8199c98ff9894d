/* gs_stats.h - an agent's statistics: what the agent reports and how a client asks for them.
 *
 * The lead's `gpushim stats [--json]` calls gs_agent_stats_query() + gs_agent_stats_print();
 * `gpushim-agent --stats HOST:PORT --secret-file F [--json]` does the same.
 * On the wire: a connection authenticated with purpose "stats" gets one message (stats.c).
 */
#ifndef GPUSHIM_GS_STATS_H
#define GPUSHIM_GS_STATS_H

#include <stdint.h>
#include <stdio.h>

#include "link.h"

typedef struct {
  uint64_t id;                 /* session number, from 1 in order of arrival */
  uint64_t age_ms;
  char peer[48];               /* client address */
  agent_counters counters;
} gs_session_stats;

typedef struct {
  uint64_t uptime_ms;
  uint32_t sessions_live;
  uint32_t max_sessions;
  uint64_t sessions_total;     /* sessions ever opened */
  uint64_t auth_failures;      /* connections refused for a wrong credential */
  uint64_t dropped;            /* connections dropped for malformed/oversized/stalled input */
  agent_counters total;        /* every session, live and ended */
  uint32_t n_sessions;         /* live sessions listed below */
  gs_session_stats *sessions;
} gs_agent_stats;

/* endpoint / secret_file NULL = GPUSHIM_ENDPOINT / GPUSHIM_SECRET_FILE. 0, or -1 + message. */
int gs_agent_stats_query(const char *endpoint, const char *secret_file, gs_agent_stats *out,
                         char *err, size_t errlen);
void gs_agent_stats_free(gs_agent_stats *s);
void gs_agent_stats_print(FILE *f, const gs_agent_stats *s, int json);

/* Wire form, used by the agent (encode) and the query (decode). */
int gs_agent_stats_encode(const gs_agent_stats *s, gs_buffer *out);
int gs_agent_stats_decode(const uint8_t *p, size_t len, gs_agent_stats *out);

/* The counters by name, for printing and encoding (one table, used everywhere). */
typedef struct {
  const char *name;
  size_t offset;
} gs_counter_field;
extern const gs_counter_field gs_counter_fields[];
extern const size_t gs_counter_field_count;

#endif

/* echo_session.c - a stand-in for the agent's device sessions (link.h's agent_session_*), so
 * the transport and gpushim-agent's server are tested on their own.
 *
 * Requests are text commands; the reply of anything else is the request reversed:
 *   "alloc:N"   pretend to allocate N bytes of device memory (held until the session closes)
 *   "mem"       reply with the bytes allocated by all live sessions of this agent, in decimal
 *   "sleep:MS"  take MS milliseconds before replying "slept"
 *   "big:N"     reply with N bytes, byte i = i * 7 mod 251
 *   "bad"       a malformed message: handle returns -1
 *   "env:NAME"  reply with the agent's value of environment variable NAME ("(unset)" if none)
 * A driver path containing "fail-open" makes agent_session_open fail.
 */
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "link.h"

struct agent_session {
  agent_counters counters;
  unsigned long long allocated;
};

static pthread_mutex_t mem_lock = PTHREAD_MUTEX_INITIALIZER;
static unsigned long long live_bytes;

agent_session *agent_session_open(const agent_device_config *cfg, char *err, size_t errlen) {
  if (cfg->driver_path && strstr(cfg->driver_path, "fail-open")) {
    snprintf(err, errlen, "cannot load %s", cfg->driver_path);
    return NULL;
  }
  return calloc(1, sizeof(agent_session));
}

static int reply_text(gs_buffer *reply, const char *text) {
  return gs_buffer_append(reply, text, strlen(text));
}

static int handle_command(agent_session *s, const char *cmd, size_t len, gs_buffer *reply) {
  char text[64];
  if (len >= sizeof text) return 1;
  memcpy(text, cmd, len);
  text[len] = 0;
  if (strncmp(text, "alloc:", 6) == 0) {
    unsigned long long n = strtoull(text + 6, NULL, 10);
    pthread_mutex_lock(&mem_lock);
    live_bytes += n;
    pthread_mutex_unlock(&mem_lock);
    s->allocated += n;
    return reply_text(reply, "allocated");
  }
  if (strcmp(text, "mem") == 0) {
    pthread_mutex_lock(&mem_lock);
    snprintf(text, sizeof text, "%llu", live_bytes);
    pthread_mutex_unlock(&mem_lock);
    return reply_text(reply, text);
  }
  if (strncmp(text, "sleep:", 6) == 0) {
    usleep((useconds_t)atoi(text + 6) * 1000);
    return reply_text(reply, "slept");
  }
  if (strncmp(text, "big:", 4) == 0) {
    size_t n = strtoull(text + 4, NULL, 10);
    if (gs_buffer_reserve(reply, n) < 0) return -1;
    for (size_t i = 0; i < n; i++) reply->data[i] = (uint8_t)(i * 7 % 251);
    reply->len = n;
    return 0;
  }
  if (strcmp(text, "bad") == 0) return -1;
  if (strncmp(text, "env:", 4) == 0) {
    const char *v = getenv(text + 4);
    return reply_text(reply, v ? v : "(unset)");
  }
  return 1; /* not a command */
}

int agent_session_handle(agent_session *s, const uint8_t *req, size_t len, int client_waits,
                         gs_buffer *reply) {
  s->counters.messages++;
  s->counters.round_trips += client_waits != 0;
  s->counters.calls++;
  s->counters.bytes_in_wire += len;
  s->counters.bytes_in_raw += len;
  int rc = handle_command(s, (const char *)req, len, reply);
  if (rc < 0) return -1;
  if (rc > 0) {
    if (gs_buffer_reserve(reply, len) < 0) return -1;
    for (size_t i = 0; i < len; i++) reply->data[i] = req[len - 1 - i];
    reply->len = len;
  }
  s->counters.bytes_out_wire += reply->len;
  s->counters.bytes_out_raw += reply->len;
  return 0;
}

void agent_session_close(agent_session *s) {
  pthread_mutex_lock(&mem_lock);
  live_bytes -= s->allocated;
  pthread_mutex_unlock(&mem_lock);
  free(s);
}

void agent_session_counters(const agent_session *s, agent_counters *out) { *out = s->counters; }

/* The echo session has no device: driver output goes to stderr. */
void agent_device_output(const char *text, size_t len) { fwrite(text, 1, len, stderr); }

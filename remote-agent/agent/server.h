/* server.h - the agent's network server: listening socket, one thread per connection, one
 * session per authenticated connection (link.h's agent_session_*), statistics. */
#ifndef GPUSHIM_AGENT_SERVER_H
#define GPUSHIM_AGENT_SERVER_H

#include <stddef.h>

#include "link.h"
#include "transport.h"

typedef struct {
  gs_endpoint listen;
  gs_secret secret;
  agent_device_config device;
  int tls_mode;              /* GS_TLS_* */
  int exit_when_idle;        /* exit when the last session ends */
  int idle_shutdown_s;       /* exit after this long with no session (0 = never) */
  int max_sessions;
  int ready_fd;              /* write "PORT\n" here once listening (-1 = none) */
  const char *stats_file;    /* rewritten with JSON statistics while running (NULL = none) */
  int read_timeout_ms;       /* a message that has started must finish within this */
  int handshake_timeout_ms;
  size_t max_message;
} agent_options;

/* Serves until SIGTERM/SIGINT or an idle exit. Returns the process exit code. */
int agent_server_run(agent_options *o);

#endif

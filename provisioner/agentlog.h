/* agentlog.h: reading the agent's "listening on HOST:PORT" line from its output. */
#ifndef GS_PROV_AGENTLOG_H
#define GS_PROV_AGENTLOG_H

/* The port from the first line of text that mentions "listen" and ends an address with
 * ":PORT" (or says "port PORT"); 0 when there is none yet. */
int gs_agent_port_from_log(const char *text);

#endif

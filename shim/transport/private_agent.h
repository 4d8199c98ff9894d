/* private_agent.h - starting a private gpushim-agent on loopback (see private_agent.c). */
#ifndef GPUSHIM_PRIVATE_AGENT_H
#define GPUSHIM_PRIVATE_AGENT_H

#include "transport.h"

/* Spawns the agent and waits for its port. Fills the endpoint and the secret to use. */
int gs_private_agent_start(int timeout_ms, gs_endpoint *ep, gs_secret *secret, char *err,
                           size_t errlen);

#endif

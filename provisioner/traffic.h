/* traffic.h: what an instance's agent has moved over the network, read with
 * `gpushim-agent --stats ENDPOINT --secret-file FILE --json` (which the agent also counts
 * as a heartbeat) and written to the ledger, where providers that bill traffic (Vast)
 * turn it into bandwidth cost. */
#ifndef GS_PROV_TRAFFIC_H
#define GS_PROV_TRAFFIC_H

#include "provider.h"

#include <stddef.h>

/* Queries in's agent (timeout seconds) and records its counters for provider/in->id
 * (ledger_traffic). Returns the query's exit status (0 ok; an agent that answers without
 * traffic counters, such as the tests' stand-in, records nothing), with why in err. */
int traffic_sample(const char *provider, const gs_inst *in, double timeout, char *err,
                   size_t n);

#endif

/* cloud.h: what the HTTPS providers (Vast.ai, RunPod, Lambda) share: the bootstrap that
 * starts the agent on the instance, offer filtering, and turning answers into GS_E*. */
#ifndef GS_PROV_CLOUD_H
#define GS_PROV_CLOUD_H

#include "provider.h"

#include <jansson.h>
#include <stddef.h>

/* The shell script run at boot on the instance (config agent_bootstrap overrides it).
 * It reads the secret from $GPUSHIM_SECRET (the instance's environment), writes it to a
 * 0600 file and starts `gpushim-agent --listen 0.0.0.0:${GPUSHIM_AGENT_PORT:-8000}` with
 * --idle-shutdown (the agent's watchdog: grace + margin) in the background. */
void cloud_bootstrap(char *out, size_t n);
/* The port the agent listens on inside the instance (agent_port, default 8000). */
int cloud_agent_port(void);
/* Whether an offer's GPU name matches GPUSHIM_GPU (case-insensitive substring; unset
 * matches all) and its price GPUSHIM_MAX_PRICE (unset or 0: any). */
int cloud_offer_matches(const char *gpu, double price);
/* Maps a non-2xx answer to a code, with the provider's message in err. 404 -> GS_EGONE. */
int cloud_http_error(const char *what, long status, json_t *answer, char *err, size_t n);
/* json helpers that accept numbers or numeric strings. */
double cloud_num(json_t *v);
const char *cloud_str(json_t *v, const char *def);

#endif

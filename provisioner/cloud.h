/* cloud.h: what the HTTPS providers (Vast.ai, RunPod, Lambda) share: the bootstrap that
 * starts the agent on the instance, offer filtering and choice, turning answers into GS_E*,
 * and the calls whose logic is the same for all three, driven by a cloud_api that holds
 * where they differ (URLs, config keys, answer shapes) as data. */
#ifndef GS_PROV_CLOUD_H
#define GS_PROV_CLOUD_H

#include "provider.h"

#include <jansson.h>
#include <stddef.h>

/* One provider status word and the GS_PSTATE_* it stands for. */
typedef struct cloud_state {
    const char *theirs, *ours;
} cloud_state;

/* One HTTPS provider's API, as the shared calls below need it. */
typedef struct cloud_api {
    const char *name;          /* "vast": the provider, in messages and offers */
    const char *url_cfg;       /* config key of the base URL, and its default */
    const char *url_default;
    const char *key_cfg;       /* config key of the Bearer key */
    const char *also_required; /* another config key it cannot work without, or NULL */
    /* The "error" word of a failed answer that means the instance is gone, or NULL. */
    const char *gone_error;
    /* Whether a request may be repeated after a 5xx; NULL: every method but POST. */
    int (*idempotent)(const char *method, const char *path);
    /* Offers: the request's path, the array of offers under offers_key in the answer
     * (NULL: see cloud_items), and what fills an offer (cleared, its provider set) from
     * one item of it: 1 to keep it (it matches GPUSHIM_GPU / GPUSHIM_MAX_PRICE), else 0. */
    const char *offers_path;
    const char *offers_key;
    int (*read_offer)(json_t *item, gs_offer *f);
    /* Choosing an offer at create: what an offer is called in "no ... matches", and the
     * config key that pins the offer id (NULL: the cheapest matching one). */
    const char *offer_noun;
    const char *offer_id_cfg;
    /* Listing ours: GET list_path, the array under list_key (NULL: see cloud_items),
     * our tag in each item's tag_field. */
    const char *list_path;
    const char *list_key;
    const char *tag_field;
    /* Status: GET status_path (a format with %s for the id); the instance is the answer's
     * status_key (NULL: the answer itself; an array: its first item). With
     * status_missing_is_gone, an answer without it means the instance is gone. */
    const char *status_path;
    const char *status_key;
    int status_missing_is_gone;
    /* Fills in from one instance of a list or status answer. */
    void (*parse)(json_t *item, gs_inst *in);
} cloud_api;

/* The shell script run at boot on the instance (config agent_bootstrap overrides it).
 * It reads the secret from $GPUSHIM_SECRET (the instance's environment), writes it to a
 * 0600 file and runs `gpushim-agent --listen 0.0.0.0:${GPUSHIM_AGENT_PORT:-8000}` with
 * --idle-shutdown (the agent's watchdog: grace + margin), then, when the agent has
 * exited, the shell command halt (NULL: none) that stops the instance's billing. With
 * foreground the script itself waits (it is the container's main process: RunPod's
 * args), else the agent and halt run in a background subshell (Vast's onstart, Lambda's
 * user_data). */
void cloud_bootstrap(char *out, size_t n, int foreground, const char *halt);
/* Whether the daemon puts the agent onto instances over SSH after boot
 * (GPUSHIM_BOOTSTRAP=ssh) rather than the image starting it at boot (image, the default).
 * With ssh, create sends the provider neither the secret nor a script that starts it. */
int cloud_bootstrap_ssh(void);
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

/* 1 when api's key (and also_required) are set; else 0 with the missing variable in why. */
int cloud_configured(const cloud_api *api, char *why, size_t n);
/* One call: method on api's base URL + path with body (consumed; may be NULL). *out is
 * the answer (caller frees, also on error); *status the HTTP status unless status is
 * NULL. A non-2xx answer becomes cloud_http_error's code, "<name> METHOD PATH" in err. */
int cloud_call(const cloud_api *api, const char *method, const char *path, json_t *body,
               long *status, json_t **out, char *err, size_t n);
/* The array in an answer: answer[key]; with key NULL the answer itself when it is an
 * array, else the first array among its "data", "gpus", "pods" and "items". */
json_t *cloud_items(json_t *answer, const char *key);
/* The provider's offers() where the answer holds one offer per item: method on
 * api->offers_path with body (consumed; may be NULL), each item through api->read_offer.
 * Returns how many were kept (at most max), or the call's GS_E*. */
int cloud_offers(const cloud_api *api, const char *method, json_t *body, gs_offer *list,
                 int max, char *err, size_t n);
/* Sorts out the provider's matching offers (from its offers call) for a create: the
 * cheapest (the first of equals), restricted to api->offer_id_cfg's id when set. GS_OK
 * with *pick, GS_ECAPACITY when none matches, or the offers call's error. */
int cloud_pick_offer(const cloud_api *api, int (*offers)(gs_offer *, int, char *, size_t),
                     gs_offer *pick, char *err, size_t n);
/* Disk prices are quoted per GB-month; the ledger counts $/hour of a 30-day month. */
#define CLOUD_HOURS_PER_MONTH 720.0
/* Records on in the offer it was created from: gpu, price, storage price and offer id. */
void cloud_take_offer(gs_inst *in, const gs_offer *offer);
/* Sets in->state from a NULL-terminated table; GS_PSTATE_PENDING for other words. */
void cloud_set_state(gs_inst *in, const cloud_state *table, const char *theirs);
/* The provider's status call: refreshes in through api->parse; GS_EGONE (state gone)
 * when the instance no longer exists or its state says it is gone. */
int cloud_status(const cloud_api *api, gs_inst *in, char *err, size_t n);
/* The provider's list_ours: the instances whose tag starts with GS_TAG_PREFIX. */
int cloud_list_ours(const cloud_api *api, gs_inst *list, int max, char *err, size_t n);

#endif

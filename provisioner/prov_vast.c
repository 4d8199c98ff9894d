/* prov_vast.c: Vast.ai over its REST API (console.vast.ai/api/v0, Bearer key).
 * Offers: POST /bundles/ with a query; create: PUT /asks/{offer}/ with the image, an
 * onstart that starts the agent, the secret in the instance's env and label = our tag;
 * status: GET /instances/{id}/; start/stop: PUT /instances/{id}/ {"state":…};
 * destroy: DELETE /instances/{id}/; ours: GET /instances?owner=me filtered by label.
 * A too-low bid leaves a stopped instance behind while answering with an error that
 * carries new_contract: it is destroyed at once. Billing: per second, GPU while running,
 * storage (the offer's storage_cost $/GB-month x vast_disk) while the instance exists.
 * With bootstrap=ssh create sends no secret and no onstart; status reports the SSH endpoint
 * (public IP + 22/tcp, else the proxy's ssh_host/ssh_port) and the daemon starts the agent.
 * Config: vast_api_key, vast_url, vast_image, vast_disk (GB), vast_bid ($/h: interruptible). */
#include "cloud.h"
#include "config.h"
#include "http.h"
#include "provider.h"
#include "util.h"

#include <stdio.h>
#include <string.h>

/* PUT /asks/ (create) is the one call that must never be repeated blindly; POST
 * /bundles/ is a search. */
static int vast_idempotent(const char *method, const char *path)
{
    if (strcmp(path, "/bundles/") == 0)
        return 1;
    return strncmp(path, "/asks/", 6) != 0 && strcmp(method, "POST") != 0;
}

static int read_offer(json_t *o, gs_offer *f);
static void parse_instance(json_t *o, gs_inst *in);

static const cloud_api api = {
    .name = "vast",
    .url_cfg = "vast_url",
    .url_default = "https://console.vast.ai/api/v0",
    .key_cfg = "vast_api_key",
    .gone_error = "no_such_instance",
    .idempotent = vast_idempotent,
    .offers_path = "/bundles/",
    .offers_key = "offers",
    .read_offer = read_offer,
    .offer_noun = "offer",     /* the cheapest: /bundles/ answers ordered by dph_total */
    .list_path = "/instances?owner=me",
    .list_key = "instances",
    .tag_field = "label",
    .status_path = "/instances/%s/",
    .status_key = "instances",
    .status_missing_is_gone = 1,
    .parse = parse_instance,
};

static int vast_configured(char *why, size_t n) { return cloud_configured(&api, why, n); }

static int read_offer(json_t *o, gs_offer *f)
{
    snprintf(f->id, sizeof f->id, "%lld", (long long)cloud_num(json_object_get(o, "id")));
    gs_strlcpy(f->gpu, cloud_str(json_object_get(o, "gpu_name"), "?"), sizeof f->gpu);
    f->num_gpus = (int)cloud_num(json_object_get(o, "num_gpus"));
    f->price = cloud_num(json_object_get(o, "dph_total"));
    /* storage_cost is $/GB-month, billed per second while the instance exists. */
    f->storage_price = cloud_num(json_object_get(o, "storage_cost")) *
                       gs_cfg_num("vast_disk", 16) / CLOUD_HOURS_PER_MONTH;
    /* Internet traffic, $/GB: up = out of the instance, down = into it. */
    f->inet_up_price = cloud_num(json_object_get(o, "inet_up_cost"));
    f->inet_down_price = cloud_num(json_object_get(o, "inet_down_cost"));
    gs_strlcpy(f->region, cloud_str(json_object_get(o, "geolocation"), ""), sizeof f->region);
    return cloud_offer_matches(f->gpu, f->price);
}

static int vast_offers(gs_offer *list, int max, char *err, size_t n)
{
    json_t *q = json_pack("{s:{s:b}, s:{s:b}, s:{s:b}, s:{s:i}, s:{s:i}, s:[[s,s]], s:s}",
                          "verified", "eq", 1, "rentable", "eq", 1, "rented", "eq", 0,
                          "num_gpus", "eq", 1, "direct_port_count", "gte", 1, "order",
                          "dph_total", "asc", "type", gs_cfg("vast_bid", NULL) ? "bid" : "on-demand");
    const char *gpu = gs_cfg("gpu", NULL);
    if (gpu)
        json_object_set_new(q, "gpu_name", json_pack("{s:s}", "eq", gpu));
    double max_price = gs_cfg_num("max_price", 0);
    if (max_price > 0)
        json_object_set_new(q, "dph_total", json_pack("{s:f}", "lte", max_price));
    return cloud_offers(&api, "POST", q, list, max, err, n);
}

static int vast_destroy(gs_inst *in, char *err, size_t n)
{
    char path[256];
    snprintf(path, sizeof path, "/instances/%s/", in->id);
    json_t *a = NULL;
    int rc = cloud_call(&api, "DELETE", path, NULL, NULL, &a, err, n);
    if (rc == GS_OK && json_is_false(json_object_get(a, "success"))) {
        const char *e = cloud_str(json_object_get(a, "error"), "");
        rc = strcmp(e, "no_such_instance") == 0 ? GS_EGONE : GS_EFAIL;
        gs_errf(err, n, "vast destroy %s: %s", in->id, gs_http_error_text(a));
    }
    json_decref(a);
    return rc;
}

static int vast_create(gs_inst *in, char *err, size_t n)
{
    gs_offer pick;
    int rc = cloud_pick_offer(&api, vast_offers, &pick, err, n);
    if (rc != GS_OK)
        return rc;
    char onstart[2048], portmap[64], path[128];
    /* When the agent's watchdog ends it, the instance stops itself with the per-instance
     * key Vast puts in its environment (CONTAINER_ID, CONTAINER_API_KEY), so that GPU
     * billing ends even when no daemon is left to stop it. Needs `vastai` in the image. */
    cloud_bootstrap(onstart, sizeof onstart, 0,
                    "if [ -n \"$CONTAINER_ID\" ] && command -v vastai > /dev/null; then "
                    "vastai stop instance \"$CONTAINER_ID\" --api-key \"$CONTAINER_API_KEY\"; fi");
    snprintf(portmap, sizeof portmap, "-p %d:%d", cloud_agent_port(), cloud_agent_port());
    json_t *body = json_pack("{s:s, s:f, s:s, s:{s:s}, s:s, s:b}", "image",
                             gs_cfg("vast_image", "gpushim/agent:latest"), "disk",
                             gs_cfg_num("vast_disk", 16), "runtype", "ssh_direct", "env",
                             portmap, "1", "label", in->tag, "cancel_unavail", 1);
    if (!cloud_bootstrap_ssh()) {     /* with ssh the daemon starts the agent after boot */
        json_object_set_new(json_object_get(body, "env"), "GPUSHIM_SECRET",
                            json_string(in->secret));
        json_object_set_new(body, "onstart", json_string(onstart));
    }
    double bid = gs_cfg_num("vast_bid", 0);
    if (bid > 0)
        json_object_set_new(body, "price", json_real(bid));
    snprintf(path, sizeof path, "/asks/%s/", pick.id);
    json_t *a = NULL;
    rc = cloud_call(&api, "PUT", path, body, NULL, &a, err, n);
    json_t *contract = json_object_get(a, "new_contract");
    int ok = rc == GS_OK && json_is_true(json_object_get(a, "success")) && contract;
    if (contract)
        snprintf(in->id, sizeof in->id, "%lld", (long long)cloud_num(contract));
    if (!ok && contract) {
        /* A failed bid that left a (stopped) instance behind: destroy it now. */
        const char *msg = gs_http_error_text(a);
        gs_errf(err, n, "vast create: %s (instance %s left behind, destroying it)",
                msg ? msg : "failed", in->id);
        char e2[256];
        vast_destroy(in, e2, sizeof e2);
        in->id[0] = '\0';
        json_decref(a);
        return GS_ECAPACITY;
    }
    if (rc == GS_OK && !ok) {
        const char *msg = gs_http_error_text(a);
        gs_errf(err, n, "vast create: %s", msg ? msg : "no new_contract in the answer");
        rc = GS_EFAIL;
    }
    json_decref(a);
    if (rc != GS_OK)
        return rc;
    cloud_take_offer(in, &pick);
    return GS_OK;
}

/* Fills in from one entry of the instances answer. */
static void parse_instance(json_t *o, gs_inst *in)
{
    snprintf(in->id, sizeof in->id, "%lld", (long long)cloud_num(json_object_get(o, "id")));
    gs_strlcpy(in->tag, cloud_str(json_object_get(o, "label"), ""), sizeof in->tag);
    gs_strlcpy(in->gpu, cloud_str(json_object_get(o, "gpu_name"), in->gpu), sizeof in->gpu);
    double price = cloud_num(json_object_get(o, "dph_total"));
    if (price > 0)
        in->price = price;
    const char *actual = cloud_str(json_object_get(o, "actual_status"), "");
    const char *intended = cloud_str(json_object_get(o, "intended_status"), "");
    gs_strlcpy(in->detail, cloud_str(json_object_get(o, "status_msg"), actual),
               sizeof in->detail);
    gs_strlcpy(in->host, cloud_str(json_object_get(o, "public_ipaddr"), ""), sizeof in->host);
    char portkey[32];
    snprintf(portkey, sizeof portkey, "%d/tcp", cloud_agent_port());
    json_t *mapping = json_array_get(json_object_get(json_object_get(o, "ports"), portkey), 0);
    in->port = (int)cloud_num(json_object_get(mapping, "HostPort"));
    /* SSH: direct (the public IP and the port mapped to 22/tcp), else Vast's proxy
     * (ssh_host, ssh_port). */
    json_t *ssh = json_array_get(json_object_get(json_object_get(o, "ports"), "22/tcp"), 0);
    in->ssh_port = (int)cloud_num(json_object_get(ssh, "HostPort"));
    gs_strlcpy(in->ssh_host, in->host, sizeof in->ssh_host);
    if (!in->ssh_port || !in->ssh_host[0]) {
        gs_strlcpy(in->ssh_host, cloud_str(json_object_get(o, "ssh_host"), ""),
                   sizeof in->ssh_host);
        in->ssh_port = (int)cloud_num(json_object_get(o, "ssh_port"));
    }
    gs_strlcpy(in->ssh_user, "root", sizeof in->ssh_user);
    if (strcmp(actual, "running") == 0)
        gs_strlcpy(in->state, GS_PSTATE_RUNNING, sizeof in->state);
    else if ((strcmp(actual, "stopped") == 0 || strcmp(actual, "exited") == 0 ||
              strcmp(actual, "frozen") == 0) && strcmp(intended, "running") != 0)
        gs_strlcpy(in->state, GS_PSTATE_STOPPED, sizeof in->state);
    else
        gs_strlcpy(in->state, GS_PSTATE_PENDING, sizeof in->state);
}

static int vast_status(gs_inst *in, char *err, size_t n)
{
    return cloud_status(&api, in, err, n);
}

static int set_state(gs_inst *in, const char *state, char *err, size_t n)
{
    char path[256];
    snprintf(path, sizeof path, "/instances/%s/", in->id);
    json_t *a = NULL;
    int rc = cloud_call(&api, "PUT", path, json_pack("{s:s}", "state", state), NULL, &a, err,
                        n);
    if (rc == GS_OK && json_is_false(json_object_get(a, "success"))) {
        gs_errf(err, n, "vast %s %s: %s", state, in->id, gs_http_error_text(a));
        rc = GS_EFAIL;
    }
    json_decref(a);
    return rc;
}

static int vast_start(gs_inst *in, char *err, size_t n) { return set_state(in, "running", err, n); }
static int vast_stop(gs_inst *in, char *err, size_t n) { return set_state(in, "stopped", err, n); }

static int vast_list(gs_inst *list, int max, char *err, size_t n)
{
    return cloud_list_ours(&api, list, max, err, n);
}

const gs_provider gs_provider_vast = {
    .name = "vast",
    .help = "Vast.ai marketplace (REST v0)",
    .can_stop = 1,
    .granularity = "second",
    .min_seconds = 0,
    .ssh_bootstrap = 1,
    .configured = vast_configured,
    .offers = vast_offers,
    .create = vast_create,
    .start = vast_start,
    .stop = vast_stop,
    .destroy = vast_destroy,
    .status = vast_status,
    .list_ours = vast_list,
};

/* prov_runpod.c: RunPod pods over REST v2 (api.runpod.io/v2, Bearer key; v1 at
 * rest.runpod.io/v1 was retired on 2026-11-15). Prices: GET /catalog/gpus; create:
 * POST /pods {name=tag, image, gpu{id,count}, cloud, disk, ports, env{GPUSHIM_SECRET},
 * args=[sh,-c,bootstrap]} -> 201; status GET /pods/{id} (status PROVISIONING, STARTING,
 * RUNNING, EXITED, ERROR, TERMINATED; runtime.ports[{private,public,ip}] once RUNNING);
 * POST /pods/{id}/action {"action":"start"|"stop"} (409 when invalid for the status);
 * DELETE /pods/{id} -> 204; ours: GET /pods filtered by name. Per-second billing: GPU
 * while running, the disk (runpod_storage_price $/GB-month, default 0.20, x runpod_disk)
 * while the pod exists.
 * With bootstrap=ssh create sends no secret and no args (startSsh, 22/tcp mapped); status
 * reports ssh.direct {host, port} and the daemon starts the agent over SSH.
 * v2 is in beta: its shapes here follow providers.md and were only run against our fake.
 * Config: runpod_api_key, runpod_url, runpod_image, runpod_gpu_id, runpod_cloud, runpod_disk,
 * runpod_storage_price. */
#include "cloud.h"
#include "config.h"
#include "provider.h"
#include "util.h"

#include <stdio.h>
#include <string.h>

static int read_gpu_type(json_t *g, gs_offer *f);
static void parse_pod(json_t *o, gs_inst *in);

static const cloud_api api = {
    .name = "runpod",
    .url_cfg = "runpod_url",
    .url_default = "https://api.runpod.io/v2",
    .key_cfg = "runpod_api_key",
    .offers_path = "/catalog/gpus",
    .offers_key = NULL,         /* like list_key */
    .read_offer = read_gpu_type,
    .offer_noun = "GPU type",
    .offer_id_cfg = "runpod_gpu_id",
    .list_path = "/pods",
    .list_key = NULL,           /* an array, or {"data"|"pods"|...: [...]} */
    .tag_field = "name",
    .status_path = "/pods/%s",
    .status_key = NULL,
    .parse = parse_pod,
};

static int runpod_configured(char *why, size_t n) { return cloud_configured(&api, why, n); }

static double gpu_price(json_t *g)
{
    static const char *const keys[] = { "price", "securePrice", "communityPrice",
                                        "pricePerHour" };
    const char *cloud = gs_cfg("runpod_cloud", "SECURE");
    if (strcmp(cloud, "COMMUNITY") == 0 && json_object_get(g, "communityPrice"))
        return cloud_num(json_object_get(g, "communityPrice"));
    for (size_t i = 0; i < sizeof keys / sizeof keys[0]; i++)
        if (json_object_get(g, keys[i]))
            return cloud_num(json_object_get(g, keys[i]));
    return 0;
}

/* One GPU type of the catalog; kept when it has a price and matches. */
static int read_gpu_type(json_t *g, gs_offer *f)
{
    gs_strlcpy(f->id, cloud_str(json_object_get(g, "id"), "?"), sizeof f->id);
    gs_strlcpy(f->gpu, cloud_str(json_object_get(g, "displayName"), f->id), sizeof f->gpu);
    f->num_gpus = 1;
    f->price = gpu_price(g);
    /* The pod's disk, billed per GB-month while the pod exists (stopped included). */
    f->storage_price = gs_cfg_num("runpod_storage_price", 0.20) *
                       gs_cfg_num("runpod_disk", 20) / CLOUD_HOURS_PER_MONTH;
    gs_strlcpy(f->region, gs_cfg("runpod_cloud", "SECURE"), sizeof f->region);
    return f->price > 0 && (cloud_offer_matches(f->gpu, f->price) ||
                            cloud_offer_matches(f->id, f->price));
}

static int runpod_offers(gs_offer *list, int max, char *err, size_t n)
{
    return cloud_offers(&api, "GET", NULL, list, max, err, n);
}

static int runpod_create(gs_inst *in, char *err, size_t n)
{
    gs_offer pick;
    int rc = cloud_pick_offer(&api, runpod_offers, &pick, err, n);
    if (rc != GS_OK)
        return rc;
    char boot[2048], port[32];
    /* The agent is the container's main process: when its watchdog ends it the pod stops
     * itself (runpodctl, with the pod-scoped key RunPod puts in its environment), and
     * exits in any case, so that GPU billing ends even with no daemon left. */
    cloud_bootstrap(boot, sizeof boot, 1,
                    "if [ -n \"$RUNPOD_POD_ID\" ] && command -v runpodctl > /dev/null; then "
                    "runpodctl stop pod \"$RUNPOD_POD_ID\"; fi");
    snprintf(port, sizeof port, "%d/tcp", cloud_agent_port());
    json_t *body = json_pack("{s:s, s:s, s:{s:s, s:i}, s:s, s:f, s:[s], s:{}}",
                             "name", in->tag, "image",
                             gs_cfg("runpod_image", "gpushim/agent:latest"), "gpu", "id",
                             pick.id, "count", 1, "cloud", gs_cfg("runpod_cloud", "SECURE"),
                             "disk", gs_cfg_num("runpod_disk", 20), "ports", port, "env");
    if (cloud_bootstrap_ssh()) {      /* the image's own start; the agent comes over SSH */
        json_array_append_new(json_object_get(body, "ports"), json_string("22/tcp"));
        json_object_set_new(body, "startSsh", json_true());
    } else {
        json_object_set_new(json_object_get(body, "env"), "GPUSHIM_SECRET",
                            json_string(in->secret));
        json_object_set_new(body, "args", json_pack("[s,s,s]", "sh", "-c", boot));
        json_object_set_new(body, "startSsh", json_false());
    }
    json_t *a = NULL;
    rc = cloud_call(&api, "POST", "/pods", body, NULL, &a, err, n);
    const char *id = cloud_str(json_object_get(a, "id"), NULL);
    if (rc == GS_OK && !id) {
        gs_errf(err, n, "runpod create: no pod id in the answer");
        rc = GS_EMAYBE;
    }
    if (rc == GS_OK) {
        gs_strlcpy(in->id, id, sizeof in->id);
        cloud_take_offer(in, &pick);
        double cost = cloud_num(json_object_get(a, "costPerHr"));
        if (cost > 0)
            in->price = cost;
    }
    json_decref(a);
    return rc;
}

static void parse_pod(json_t *o, gs_inst *in)
{
    gs_strlcpy(in->id, cloud_str(json_object_get(o, "id"), in->id), sizeof in->id);
    gs_strlcpy(in->tag, cloud_str(json_object_get(o, "name"), in->tag), sizeof in->tag);
    double cost = cloud_num(json_object_get(o, "costPerHr"));
    if (cost > 0)
        in->price = cost;
    const char *st = cloud_str(json_object_get(o, "status"), "");
    gs_strlcpy(in->detail, st, sizeof in->detail);
    in->port = 0;
    size_t i;
    json_t *p;
    json_array_foreach(json_object_get(json_object_get(o, "runtime"), "ports"), i, p) {
        if ((int)cloud_num(json_object_get(p, "private")) == cloud_agent_port()) {
            in->port = (int)cloud_num(json_object_get(p, "public"));
            gs_strlcpy(in->host, cloud_str(json_object_get(p, "ip"), ""), sizeof in->host);
        }
    }
    /* SSH: ssh.direct {host, port} (the public IP and the port mapped to 22/tcp). */
    json_t *ssh = json_object_get(json_object_get(o, "ssh"), "direct");
    gs_strlcpy(in->ssh_host, cloud_str(json_object_get(ssh, "host"), ""), sizeof in->ssh_host);
    in->ssh_port = (int)cloud_num(json_object_get(ssh, "port"));
    gs_strlcpy(in->ssh_user, "root", sizeof in->ssh_user);
    static const cloud_state states[] = {
        { "RUNNING", GS_PSTATE_RUNNING }, { "PROVISIONING", GS_PSTATE_PENDING },
        { "STARTING", GS_PSTATE_PENDING }, { "EXITED", GS_PSTATE_STOPPED },
        { "ERROR", GS_PSTATE_ERROR },      { "TERMINATED", GS_PSTATE_GONE },
        { NULL, NULL },
    };
    cloud_set_state(in, states, st);
}

static int runpod_status(gs_inst *in, char *err, size_t n)
{
    return cloud_status(&api, in, err, n);
}

static int action(gs_inst *in, const char *what, const char *settled, char *err, size_t n)
{
    char path[256];
    snprintf(path, sizeof path, "/pods/%s/action", in->id);
    json_t *a = NULL;
    long status = 0;
    int rc = cloud_call(&api, "POST", path, json_pack("{s:s}", "action", what), &status, &a,
                        err, n);
    json_decref(a);
    if (rc != GS_OK && status == 409) {
        /* Invalid for its status: fine when it already is where we want it. */
        gs_inst now = *in;
        char e2[256];
        if (runpod_status(&now, e2, sizeof e2) == GS_OK && strcmp(now.state, settled) == 0)
            return GS_OK;
    }
    return rc;
}

static int runpod_start(gs_inst *in, char *err, size_t n)
{
    return action(in, "start", GS_PSTATE_RUNNING, err, n);
}

static int runpod_stop(gs_inst *in, char *err, size_t n)
{
    return action(in, "stop", GS_PSTATE_STOPPED, err, n);
}

static int runpod_destroy(gs_inst *in, char *err, size_t n)
{
    char path[256];
    snprintf(path, sizeof path, "/pods/%s", in->id);
    json_t *a = NULL;
    int rc = cloud_call(&api, "DELETE", path, NULL, NULL, &a, err, n);
    json_decref(a);
    return rc;
}

static int runpod_list(gs_inst *list, int max, char *err, size_t n)
{
    return cloud_list_ours(&api, list, max, err, n);
}

const gs_provider gs_provider_runpod = {
    .name = "runpod",
    .help = "RunPod pods (REST v2)",
    .can_stop = 1,
    .granularity = "second",
    .min_seconds = 0,
    .ssh_bootstrap = 1,
    .configured = runpod_configured,
    .offers = runpod_offers,
    .create = runpod_create,
    .start = runpod_start,
    .stop = runpod_stop,
    .destroy = runpod_destroy,
    .status = runpod_status,
    .list_ours = runpod_list,
};

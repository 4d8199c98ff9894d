/* prov_runpod.c: RunPod pods over REST v2 (api.runpod.io/v2, Bearer key; v1 at
 * rest.runpod.io/v1 was retired on 2026-11-15). Prices: GET /catalog/gpus; create:
 * POST /pods {name=tag, image, gpu{id,count}, cloud, disk, ports, env{GPUSHIM_SECRET},
 * args=[sh,-c,bootstrap]} -> 201; status GET /pods/{id} (status PROVISIONING, STARTING,
 * RUNNING, EXITED, ERROR, TERMINATED; runtime.ports[{private,public,ip}] once RUNNING);
 * POST /pods/{id}/action {"action":"start"|"stop"} (409 when invalid for the status);
 * DELETE /pods/{id} -> 204; ours: GET /pods filtered by name. Per-second billing.
 * v2 is in beta: its shapes here follow providers.md and were only run against our fake.
 * Config: runpod_api_key, runpod_url, runpod_image, runpod_gpu_id, runpod_cloud, runpod_disk. */
#include "cloud.h"
#include "config.h"
#include "http.h"
#include "provider.h"
#include "util.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static const char *base(void) { return gs_cfg("runpod_url", "https://api.runpod.io/v2"); }
static const char *key(void) { return gs_cfg("runpod_api_key", NULL); }

static int runpod_configured(char *why, size_t n)
{
    if (!key()) {
        gs_errf(why, n, "GPUSHIM_RUNPOD_API_KEY");
        return 0;
    }
    return 1;
}

static int call(const char *method, const char *path, json_t *body, long *status, json_t **out,
                char *err, size_t n)
{
    char url[1024];
    gs_url(url, sizeof url, base(), path);
    int rc = gs_http_json(method, url, key(), body, status, out, err, n);
    json_decref(body);
    if (rc != GS_OK)
        return rc;
    if (*status >= 200 && *status < 300)
        return GS_OK;
    char what[300];
    snprintf(what, sizeof what, "runpod %s %s", method, path);
    return cloud_http_error(what, *status, *out, err, n);
}

/* The list inside an answer that is either an array or {"data"|"gpus"|"pods": [...]}. */
static json_t *items_of(json_t *a)
{
    if (json_is_array(a))
        return a;
    static const char *const keys[] = { "data", "gpus", "pods", "items" };
    for (size_t i = 0; i < sizeof keys / sizeof keys[0]; i++)
        if (json_is_array(json_object_get(a, keys[i])))
            return json_object_get(a, keys[i]);
    return NULL;
}

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

static int runpod_offers(gs_offer *list, int max, char *err, size_t n)
{
    json_t *a = NULL;
    long status;
    int rc = call("GET", "/catalog/gpus", NULL, &status, &a, err, n);
    if (rc != GS_OK) {
        json_decref(a);
        return rc;
    }
    int count = 0;
    size_t i;
    json_t *g;
    json_array_foreach(items_of(a), i, g) {
        if (count >= max)
            break;
        gs_offer *f = &list[count];
        memset(f, 0, sizeof *f);
        gs_strlcpy(f->provider, "runpod", sizeof f->provider);
        gs_strlcpy(f->id, cloud_str(json_object_get(g, "id"), "?"), sizeof f->id);
        gs_strlcpy(f->gpu, cloud_str(json_object_get(g, "displayName"), f->id), sizeof f->gpu);
        f->num_gpus = 1;
        f->price = gpu_price(g);
        gs_strlcpy(f->region, gs_cfg("runpod_cloud", "SECURE"), sizeof f->region);
        if (f->price > 0 && (cloud_offer_matches(f->gpu, f->price) ||
                             cloud_offer_matches(f->id, f->price)))
            count++;
    }
    json_decref(a);
    return count;
}

static int by_price(const void *a, const void *b)
{
    double pa = ((const gs_offer *)a)->price, pb = ((const gs_offer *)b)->price;
    return pa < pb ? -1 : pa > pb;
}

static int runpod_create(gs_inst *in, char *err, size_t n)
{
    gs_offer offers[64];
    int found = runpod_offers(offers, 64, err, n);
    if (found < 0)
        return found;
    const char *fixed = gs_cfg("runpod_gpu_id", NULL);
    gs_offer *pick = NULL;
    qsort(offers, (size_t)found, sizeof offers[0], by_price);
    for (int i = 0; i < found && !pick; i++)
        if (!fixed || strcmp(offers[i].id, fixed) == 0)
            pick = &offers[i];
    if (!pick) {
        gs_errf(err, n, "runpod: no GPU type matches GPUSHIM_GPU=%s GPUSHIM_MAX_PRICE=%s",
                gs_cfg("gpu", "(any)"), gs_cfg("max_price", "(any)"));
        return GS_ECAPACITY;
    }
    char boot[2048], port[32];
    cloud_bootstrap(boot, sizeof boot);
    snprintf(port, sizeof port, "%d/tcp", cloud_agent_port());
    json_t *body = json_pack("{s:s, s:s, s:{s:s, s:i}, s:s, s:f, s:[s], s:{s:s}, s:[s,s,s],"
                             " s:b}",
                             "name", in->tag, "image",
                             gs_cfg("runpod_image", "gpushim/agent:latest"), "gpu", "id",
                             pick->id, "count", 1, "cloud", gs_cfg("runpod_cloud", "SECURE"),
                             "disk", gs_cfg_num("runpod_disk", 20), "ports", port, "env",
                             "GPUSHIM_SECRET", in->secret, "args", "sh", "-c", boot,
                             "startSsh", 0);
    json_t *a = NULL;
    long status = 0;
    int rc = call("POST", "/pods", body, &status, &a, err, n);
    const char *id = cloud_str(json_object_get(a, "id"), NULL);
    if (rc == GS_OK && !id) {
        gs_errf(err, n, "runpod create: no pod id in the answer");
        rc = GS_EMAYBE;
    }
    if (rc == GS_OK) {
        gs_strlcpy(in->id, id, sizeof in->id);
        gs_strlcpy(in->gpu, pick->gpu, sizeof in->gpu);
        double cost = cloud_num(json_object_get(a, "costPerHr"));
        in->price = cost > 0 ? cost : pick->price;
        gs_strlcpy(in->offer, pick->id, sizeof in->offer);
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
    static const struct { const char *theirs, *ours; } states[] = {
        { "RUNNING", GS_PSTATE_RUNNING }, { "PROVISIONING", GS_PSTATE_PENDING },
        { "STARTING", GS_PSTATE_PENDING }, { "EXITED", GS_PSTATE_STOPPED },
        { "ERROR", GS_PSTATE_ERROR },      { "TERMINATED", GS_PSTATE_GONE },
    };
    gs_strlcpy(in->state, GS_PSTATE_PENDING, sizeof in->state);
    for (size_t k = 0; k < sizeof states / sizeof states[0]; k++)
        if (strcmp(st, states[k].theirs) == 0)
            gs_strlcpy(in->state, states[k].ours, sizeof in->state);
}

static int runpod_status(gs_inst *in, char *err, size_t n)
{
    char path[256];
    snprintf(path, sizeof path, "/pods/%s", in->id);
    json_t *a = NULL;
    long status;
    int rc = call("GET", path, NULL, &status, &a, err, n);
    if (rc == GS_OK)
        parse_pod(a, in);
    json_decref(a);
    if (rc == GS_EGONE || (rc == GS_OK && strcmp(in->state, GS_PSTATE_GONE) == 0)) {
        gs_strlcpy(in->state, GS_PSTATE_GONE, sizeof in->state);
        return GS_EGONE;
    }
    return rc;
}

static int action(gs_inst *in, const char *what, const char *settled, char *err, size_t n)
{
    char path[256];
    snprintf(path, sizeof path, "/pods/%s/action", in->id);
    json_t *a = NULL;
    long status = 0;
    int rc = call("POST", path, json_pack("{s:s}", "action", what), &status, &a, err, n);
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
    long status;
    int rc = call("DELETE", path, NULL, &status, &a, err, n);
    json_decref(a);
    return rc;
}

static int runpod_list(gs_inst *list, int max, char *err, size_t n)
{
    json_t *a = NULL;
    long status;
    int rc = call("GET", "/pods", NULL, &status, &a, err, n);
    if (rc != GS_OK) {
        json_decref(a);
        return rc;
    }
    int count = 0;
    size_t i;
    json_t *o;
    json_array_foreach(items_of(a), i, o) {
        if (count >= max)
            break;
        if (strncmp(cloud_str(json_object_get(o, "name"), ""), GS_TAG_PREFIX,
                    strlen(GS_TAG_PREFIX)) != 0)
            continue;
        memset(&list[count], 0, sizeof list[count]);
        parse_pod(o, &list[count++]);
    }
    json_decref(a);
    return count;
}

const gs_provider gs_provider_runpod = {
    .name = "runpod",
    .help = "RunPod pods (REST v2)",
    .can_stop = 1,
    .granularity = "second",
    .min_seconds = 0,
    .configured = runpod_configured,
    .offers = runpod_offers,
    .create = runpod_create,
    .start = runpod_start,
    .stop = runpod_stop,
    .destroy = runpod_destroy,
    .status = runpod_status,
    .list_ours = runpod_list,
};

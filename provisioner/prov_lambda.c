/* prov_lambda.c: Lambda Cloud (cloud.lambda.ai/api/v1, Bearer key). No stop/start:
 * after the idle grace the instance is terminated. Offers: GET /instance-types (types
 * with regions_with_capacity_available); create: POST /instance-operations/launch with
 * name = tag and user_data = the bootstrap (carrying the secret: user_data is that
 * instance's own boot environment); status: GET /instances/{id} (booting, active,
 * unhealthy, terminating, terminated); destroy: POST /instance-operations/terminate;
 * ours: GET /instances filtered by name. Billed per minute.
 * Config: lambda_api_key, lambda_url, lambda_ssh_key (an SSH key name launch requires),
 * lambda_region (optional: else the first region with capacity). */
#include "cloud.h"
#include "config.h"
#include "http.h"
#include "provider.h"
#include "util.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static const char *base(void) { return gs_cfg("lambda_url", "https://cloud.lambda.ai/api/v1"); }
static const char *key(void) { return gs_cfg("lambda_api_key", NULL); }

static int lambda_configured(char *why, size_t n)
{
    if (!key() || !gs_cfg("lambda_ssh_key", NULL)) {
        gs_errf(why, n, "%s", key() ? "GPUSHIM_LAMBDA_SSH_KEY" : "GPUSHIM_LAMBDA_API_KEY");
        return 0;
    }
    return 1;
}

static int call(const char *method, const char *path, json_t *body, json_t **out, char *err,
                size_t n)
{
    char url[1024];
    gs_url(url, sizeof url, base(), path);
    long status = 0;
    int rc = gs_http_json(method, url, key(), body, &status, out, err, n);
    json_decref(body);
    if (rc != GS_OK)
        return rc;
    if (status >= 200 && status < 300)
        return GS_OK;
    char what[300];
    snprintf(what, sizeof what, "lambda %s %s", method, path);
    return cloud_http_error(what, status, *out, err, n);
}

static int lambda_offers(gs_offer *list, int max, char *err, size_t n)
{
    json_t *a = NULL;
    int rc = call("GET", "/instance-types", NULL, &a, err, n);
    if (rc != GS_OK) {
        json_decref(a);
        return rc;
    }
    const char *want_region = gs_cfg("lambda_region", NULL);
    int count = 0;
    const char *name;
    json_t *t;
    json_object_foreach(json_object_get(a, "data"), name, t) {
        json_t *it = json_object_get(t, "instance_type");
        size_t i;
        json_t *r;
        json_array_foreach(json_object_get(t, "regions_with_capacity_available"), i, r) {
            const char *region = cloud_str(json_object_get(r, "name"), "");
            if (count >= max || (want_region && strcmp(region, want_region) != 0))
                continue;
            gs_offer *f = &list[count];
            memset(f, 0, sizeof *f);
            gs_strlcpy(f->provider, "lambda", sizeof f->provider);
            gs_strlcpy(f->id, name, sizeof f->id);
            gs_strlcpy(f->gpu, cloud_str(json_object_get(it, "gpu_description"),
                                         cloud_str(json_object_get(it, "description"), name)),
                       sizeof f->gpu);
            f->num_gpus = (int)cloud_num(json_object_get(json_object_get(it, "specs"), "gpus"));
            f->price = cloud_num(json_object_get(it, "price_cents_per_hour")) / 100.0;
            gs_strlcpy(f->region, region, sizeof f->region);
            if (cloud_offer_matches(f->gpu, f->price) || cloud_offer_matches(f->id, f->price))
                count++;
        }
    }
    json_decref(a);
    return count;
}

static int by_price(const void *a, const void *b)
{
    double pa = ((const gs_offer *)a)->price, pb = ((const gs_offer *)b)->price;
    return pa < pb ? -1 : pa > pb;
}

static int lambda_create(gs_inst *in, char *err, size_t n)
{
    gs_offer offers[64];
    int found = lambda_offers(offers, 64, err, n);
    if (found < 0)
        return found;
    if (found == 0) {
        gs_errf(err, n, "lambda: no instance type with capacity matches GPUSHIM_GPU=%s "
                        "GPUSHIM_MAX_PRICE=%s", gs_cfg("gpu", "(any)"),
                gs_cfg("max_price", "(any)"));
        return GS_ECAPACITY;
    }
    qsort(offers, (size_t)found, sizeof offers[0], by_price);
    char boot[2048], user_data[2400];
    cloud_bootstrap(boot, sizeof boot);
    snprintf(user_data, sizeof user_data, "#!/bin/sh\nexport GPUSHIM_SECRET='%s'\n%s\n",
             in->secret, boot);
    json_t *body = json_pack("{s:s, s:s, s:[s], s:i, s:s, s:s}", "region_name",
                             offers[0].region, "instance_type_name", offers[0].id,
                             "ssh_key_names", gs_cfg("lambda_ssh_key", ""), "quantity", 1,
                             "name", in->tag, "user_data", user_data);
    json_t *a = NULL;
    int rc = call("POST", "/instance-operations/launch", body, &a, err, n);
    const char *id = json_string_value(
        json_array_get(json_object_get(json_object_get(a, "data"), "instance_ids"), 0));
    if (rc == GS_OK && !id) {
        gs_errf(err, n, "lambda launch: no instance id in the answer");
        rc = GS_EMAYBE;
    }
    if (rc == GS_OK) {
        gs_strlcpy(in->id, id, sizeof in->id);
        gs_strlcpy(in->gpu, offers[0].gpu, sizeof in->gpu);
        in->price = offers[0].price;
        gs_strlcpy(in->offer, offers[0].id, sizeof in->offer);
    }
    json_decref(a);
    return rc;
}

static void parse_instance(json_t *o, gs_inst *in)
{
    gs_strlcpy(in->id, cloud_str(json_object_get(o, "id"), in->id), sizeof in->id);
    gs_strlcpy(in->tag, cloud_str(json_object_get(o, "name"), in->tag), sizeof in->tag);
    gs_strlcpy(in->host, cloud_str(json_object_get(o, "ip"), ""), sizeof in->host);
    json_t *it = json_object_get(o, "instance_type");
    if (json_object_get(it, "price_cents_per_hour"))
        in->price = cloud_num(json_object_get(it, "price_cents_per_hour")) / 100.0;
    const char *st = cloud_str(json_object_get(o, "status"), "");
    gs_strlcpy(in->detail, st, sizeof in->detail);
    in->port = in->host[0] ? cloud_agent_port() : 0;
    if (strcmp(st, "active") == 0)
        gs_strlcpy(in->state, GS_PSTATE_RUNNING, sizeof in->state);
    else if (strcmp(st, "terminated") == 0 || strcmp(st, "terminating") == 0)
        gs_strlcpy(in->state, GS_PSTATE_GONE, sizeof in->state);
    else
        gs_strlcpy(in->state, GS_PSTATE_PENDING, sizeof in->state);
}

static int lambda_status(gs_inst *in, char *err, size_t n)
{
    char path[256];
    snprintf(path, sizeof path, "/instances/%s", in->id);
    json_t *a = NULL;
    int rc = call("GET", path, NULL, &a, err, n);
    if (rc == GS_OK)
        parse_instance(json_object_get(a, "data"), in);
    json_decref(a);
    if (rc == GS_EGONE || (rc == GS_OK && strcmp(in->state, GS_PSTATE_GONE) == 0)) {
        gs_strlcpy(in->state, GS_PSTATE_GONE, sizeof in->state);
        return GS_EGONE;
    }
    return rc;
}

static int lambda_destroy(gs_inst *in, char *err, size_t n)
{
    json_t *a = NULL;
    int rc = call("POST", "/instance-operations/terminate",
                  json_pack("{s:[s]}", "instance_ids", in->id), &a, err, n);
    json_decref(a);
    return rc;
}

static int lambda_list(gs_inst *list, int max, char *err, size_t n)
{
    json_t *a = NULL;
    int rc = call("GET", "/instances", NULL, &a, err, n);
    if (rc != GS_OK) {
        json_decref(a);
        return rc;
    }
    int count = 0;
    size_t i;
    json_t *o;
    json_array_foreach(json_object_get(a, "data"), i, o) {
        if (count >= max)
            break;
        if (strncmp(cloud_str(json_object_get(o, "name"), ""), GS_TAG_PREFIX,
                    strlen(GS_TAG_PREFIX)) != 0)
            continue;
        memset(&list[count], 0, sizeof list[count]);
        parse_instance(o, &list[count++]);
    }
    json_decref(a);
    return count;
}

const gs_provider gs_provider_lambda = {
    .name = "lambda",
    .help = "Lambda Cloud (no stop: terminated after the idle grace)",
    .can_stop = 0,
    .granularity = "minute",
    .min_seconds = 0,
    .configured = lambda_configured,
    .offers = lambda_offers,
    .create = lambda_create,
    .start = NULL,
    .stop = NULL,
    .destroy = lambda_destroy,
    .status = lambda_status,
    .list_ours = lambda_list,
};

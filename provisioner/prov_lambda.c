/* prov_lambda.c: Lambda Cloud (cloud.lambda.ai/api/v1, Bearer key). No stop/start:
 * after the idle grace the instance is terminated. Offers: GET /instance-types (types
 * with regions_with_capacity_available); create: POST /instance-operations/launch with
 * name = tag and user_data = the bootstrap (carrying the secret: user_data is that
 * instance's own boot environment); status: GET /instances/{id} (booting, active,
 * unhealthy, terminating, terminated); destroy: POST /instance-operations/terminate;
 * ours: GET /instances filtered by name. Billed per minute.
 * With bootstrap=ssh launch sends no user_data; the daemon starts the agent over SSH at
 * the instance's ip (user ubuntu, port lambda_ssh_port, default 22).
 * Config: lambda_api_key, lambda_url, lambda_ssh_key (an SSH key name launch requires),
 * lambda_region (optional: else the first region with capacity), lambda_ssh_port. */
#include "cloud.h"
#include "config.h"
#include "provider.h"
#include "util.h"

#include <stdio.h>
#include <string.h>

static void parse_instance(json_t *o, gs_inst *in);

static const cloud_api api = {
    .name = "lambda",
    .url_cfg = "lambda_url",
    .url_default = "https://cloud.lambda.ai/api/v1",
    .key_cfg = "lambda_api_key",
    .also_required = "lambda_ssh_key",
    .offers_path = "/instance-types",  /* read by lambda_offers: types x regions */
    .offer_noun = "instance type with capacity",
    .list_path = "/instances",
    .list_key = "data",
    .tag_field = "name",
    .status_path = "/instances/%s",
    .status_key = "data",
    .parse = parse_instance,
};

static int lambda_configured(char *why, size_t n) { return cloud_configured(&api, why, n); }

static int lambda_offers(gs_offer *list, int max, char *err, size_t n)
{
    json_t *a = NULL;
    int rc = cloud_call(&api, "GET", api.offers_path, NULL, NULL, &a, err, n);
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
            gs_offer *f = gs_offer_init(&list[count], api.name);
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

static int lambda_create(gs_inst *in, char *err, size_t n)
{
    gs_offer pick;
    int rc = cloud_pick_offer(&api, lambda_offers, &pick, err, n);
    if (rc != GS_OK)
        return rc;
    char boot[2048], user_data[2400];
    /* No halt: Lambda bills a halted VM until it is terminated, and terminating needs the
     * account's key, which never goes onto the instance. The daemon's grace timer and its
     * reconciliation at start are the defence here. */
    cloud_bootstrap(boot, sizeof boot, 0, NULL);
    snprintf(user_data, sizeof user_data, "#!/bin/sh\nexport GPUSHIM_SECRET='%s'\n%s\n",
             in->secret, boot);
    json_t *body = json_pack("{s:s, s:s, s:[s], s:i, s:s}", "region_name",
                             pick.region, "instance_type_name", pick.id,
                             "ssh_key_names", gs_cfg("lambda_ssh_key", ""), "quantity", 1,
                             "name", in->tag);
    if (!cloud_bootstrap_ssh())       /* with ssh the daemon starts the agent after boot */
        json_object_set_new(body, "user_data", json_string(user_data));
    json_t *a = NULL;
    rc = cloud_call(&api, "POST", "/instance-operations/launch", body, NULL, &a, err, n);
    const char *id = json_string_value(
        json_array_get(json_object_get(json_object_get(a, "data"), "instance_ids"), 0));
    if (rc == GS_OK && !id) {
        gs_errf(err, n, "lambda launch: no instance id in the answer");
        rc = GS_EMAYBE;
    }
    if (rc == GS_OK) {
        gs_strlcpy(in->id, id, sizeof in->id);
        cloud_take_offer(in, &pick);
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
    gs_strlcpy(in->ssh_host, in->host, sizeof in->ssh_host);
    in->ssh_port = in->host[0] ? (int)gs_cfg_num("lambda_ssh_port", 22) : 0;
    gs_strlcpy(in->ssh_user, "ubuntu", sizeof in->ssh_user);
    static const cloud_state states[] = {
        { "active", GS_PSTATE_RUNNING }, { "terminated", GS_PSTATE_GONE },
        { "terminating", GS_PSTATE_GONE }, { NULL, NULL },
    };
    cloud_set_state(in, states, st);
}

static int lambda_status(gs_inst *in, char *err, size_t n)
{
    return cloud_status(&api, in, err, n);
}

static int lambda_destroy(gs_inst *in, char *err, size_t n)
{
    json_t *a = NULL;
    int rc = cloud_call(&api, "POST", "/instance-operations/terminate",
                        json_pack("{s:[s]}", "instance_ids", in->id), NULL, &a, err, n);
    json_decref(a);
    return rc;
}

static int lambda_list(gs_inst *list, int max, char *err, size_t n)
{
    return cloud_list_ours(&api, list, max, err, n);
}

const gs_provider gs_provider_lambda = {
    .name = "lambda",
    .help = "Lambda Cloud (no stop: terminated after the idle grace)",
    .can_stop = 0,
    .granularity = "minute",
    .min_seconds = 0,
    .ssh_bootstrap = 1,
    .configured = lambda_configured,
    .offers = lambda_offers,
    .create = lambda_create,
    .start = NULL,
    .stop = NULL,
    .destroy = lambda_destroy,
    .status = lambda_status,
    .list_ours = lambda_list,
};

/* cloud.c: the bootstrap script, offer matching and choice, error mapping, and the
 * calls (status, list) shared by the HTTPS providers, each described by a cloud_api. */
#include "cloud.h"
#include "config.h"
#include "http.h"
#include "util.h"

#include <ctype.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

int cloud_agent_port(void) { return (int)gs_cfg_num("agent_port", 8000); }

int cloud_bootstrap_ssh(void) { return strcmp(gs_cfg("bootstrap", "image"), "ssh") == 0; }

void cloud_bootstrap(char *out, size_t n, int foreground, const char *halt)
{
    const char *custom = gs_cfg("agent_bootstrap", NULL);
    if (custom) {
        gs_strlcpy(out, custom, n);
        return;
    }
    int watchdog = gs_watchdog_seconds();
    char agent[512];
    snprintf(agent, sizeof agent,
             "gpushim-agent --listen \"0.0.0.0:${GPUSHIM_AGENT_PORT:-%d}\" "
             "--secret-file \"$d/secret\" --idle-shutdown %d >> \"$d/agent.log\" 2>&1; "
             "echo \"gpushim: agent exited ($?)\" >> \"$d/agent.log\"",
             cloud_agent_port(), watchdog);
    snprintf(out, n,
             "umask 077; d=\"${HOME:-/root}/.gpushim\"; mkdir -p \"$d\"; "
             "printf '%%s\\n' \"$GPUSHIM_SECRET\" > \"$d/secret\"; unset GPUSHIM_SECRET; "
             "%s%s%s%s%s",
             foreground ? "" : "(trap '' HUP; ", agent, halt ? "; " : "", halt ? halt : "",
             foreground ? "" : ") < /dev/null > /dev/null 2>&1 &");
}

int cloud_offer_matches(const char *gpu, double price)
{
    const char *want = gs_cfg("gpu", NULL);
    double max = gs_cfg_num("max_price", 0);
    if (max > 0 && price > max)
        return 0;
    if (!want || !*want)
        return 1;
    /* case-insensitive substring, ignoring spaces and dashes ("RTX 4090" ~ "rtx-4090") */
    char a[128], b[128];
    size_t i = 0, j = 0;
    for (const char *p = gpu; *p && i + 1 < sizeof a; p++)
        if (*p != ' ' && *p != '-' && *p != '_')
            a[i++] = (char)(*p | 0x20);
    for (const char *p = want; *p && j + 1 < sizeof b; p++)
        if (*p != ' ' && *p != '-' && *p != '_')
            b[j++] = (char)(*p | 0x20);
    a[i] = b[j] = '\0';
    return strstr(a, b) != NULL;
}

int cloud_http_error(const char *what, long status, json_t *answer, char *err, size_t n)
{
    const char *msg = gs_http_error_text(answer);
    gs_errf(err, n, "%s: HTTP %ld%s%s", what, status, msg ? ": " : "", msg ? msg : "");
    if (status == 404)
        return GS_EGONE;
    if (msg && (strcasestr(msg, "capacity") || strcasestr(msg, "unavailable")))
        return GS_ECAPACITY;
    return GS_EFAIL;
}

double cloud_num(json_t *v)
{
    if (json_is_number(v))
        return json_number_value(v);
    if (json_is_string(v))
        return atof(json_string_value(v));
    return 0;
}

const char *cloud_str(json_t *v, const char *def)
{
    const char *s = json_string_value(v);
    return s ? s : def;
}

/* Names in why the variable for a config key: "vast_api_key" -> GPUSHIM_VAST_API_KEY. */
static void name_missing(char *why, size_t n, const char *key)
{
    char var[96] = "GPUSHIM_";
    size_t i = strlen(var);
    for (const char *p = key; *p && i + 1 < sizeof var; p++)
        var[i++] = (char)toupper((unsigned char)*p);
    var[i] = '\0';
    gs_errf(why, n, "%s", var);
}

int cloud_configured(const cloud_api *api, char *why, size_t n)
{
    const char *required[] = { api->key_cfg, api->also_required };
    for (size_t i = 0; i < sizeof required / sizeof required[0]; i++) {
        if (required[i] && !gs_cfg(required[i], NULL)) {
            name_missing(why, n, required[i]);
            return 0;
        }
    }
    const char *bootstrap = gs_cfg("bootstrap", "image");
    if (strcmp(bootstrap, "image") != 0 && strcmp(bootstrap, "ssh") != 0) {
        gs_errf(why, n, "GPUSHIM_BOOTSTRAP is '%s'; it must be image or ssh", bootstrap);
        return 0;
    }
    return 1;
}

int cloud_call(const cloud_api *api, const char *method, const char *path, json_t *body,
               long *status, json_t **out, char *err, size_t n)
{
    char url[1024];
    gs_url(url, sizeof url, gs_cfg(api->url_cfg, api->url_default), path);
    long ignored = 0;
    if (!status)
        status = &ignored;
    int idempotent = api->idempotent ? api->idempotent(method, path)
                                     : strcmp(method, "POST") != 0;
    int rc = gs_http_json_ex(method, url, gs_cfg(api->key_cfg, NULL), body, idempotent,
                             status, out, err, n);
    json_decref(body);
    if (rc != GS_OK)
        return rc;
    if (*status >= 200 && *status < 300)
        return GS_OK;
    char what[300];
    snprintf(what, sizeof what, "%s %s %s", api->name, method, path);
    rc = cloud_http_error(what, *status, *out, err, n);
    if (api->gone_error &&
        strcmp(cloud_str(json_object_get(*out, "error"), ""), api->gone_error) == 0)
        rc = GS_EGONE;
    return rc;
}

json_t *cloud_items(json_t *answer, const char *key)
{
    if (key)
        return json_object_get(answer, key);
    if (json_is_array(answer))
        return answer;
    static const char *const keys[] = { "data", "gpus", "pods", "items" };
    for (size_t i = 0; i < sizeof keys / sizeof keys[0]; i++)
        if (json_is_array(json_object_get(answer, keys[i])))
            return json_object_get(answer, keys[i]);
    return NULL;
}

/* Fills the next free slot of a listing from one item of the answer; 1 when it did. */
typedef int (*slot_filler)(const cloud_api *api, json_t *item, void *slot);

/* Requests method path (body consumed) and hands the items of the array under key to
 * fill, one slot of size bytes of out at a time, until max slots are filled. Returns how
 * many were, or the call's GS_E*. */
static int collect(const cloud_api *api, const char *method, const char *path, json_t *body,
                   const char *key, slot_filler fill, void *out, size_t size, int max,
                   char *err, size_t n)
{
    json_t *a = NULL;
    int rc = cloud_call(api, method, path, body, NULL, &a, err, n);
    json_t *items = rc == GS_OK ? cloud_items(a, key) : NULL;
    int count = 0;
    size_t i;
    json_t *o;
    json_array_foreach(items, i, o) {
        if (count >= max)
            break;
        count += fill(api, o, (char *)out + (size_t)count * size);
    }
    json_decref(a);
    return rc == GS_OK ? count : rc;
}

static int fill_offer(const cloud_api *api, json_t *item, void *slot)
{
    return api->read_offer(item, gs_offer_init(slot, api->name));
}

int cloud_offers(const cloud_api *api, const char *method, json_t *body, gs_offer *list,
                 int max, char *err, size_t n)
{
    return collect(api, method, api->offers_path, body, api->offers_key, fill_offer, list,
                   sizeof *list, max, err, n);
}

int cloud_pick_offer(const cloud_api *api, int (*offers)(gs_offer *, int, char *, size_t),
                     gs_offer *pick, char *err, size_t n)
{
    gs_offer found[64];
    int count = offers(found, 64, err, n);
    if (count < 0)
        return count;
    const char *only = api->offer_id_cfg ? gs_cfg(api->offer_id_cfg, NULL) : NULL;
    const gs_offer *best = NULL;
    for (int i = 0; i < count; i++)
        if ((!only || strcmp(found[i].id, only) == 0) && (!best || found[i].price < best->price))
            best = &found[i];
    if (!best) {
        gs_errf(err, n, "%s: no %s matches GPUSHIM_GPU=%s GPUSHIM_MAX_PRICE=%s", api->name,
                api->offer_noun, gs_cfg("gpu", "(any)"), gs_cfg("max_price", "(any)"));
        return GS_ECAPACITY;
    }
    *pick = *best;
    return GS_OK;
}

void cloud_take_offer(gs_inst *in, const gs_offer *offer)
{
    gs_strlcpy(in->gpu, offer->gpu, sizeof in->gpu);
    in->price = offer->price;
    in->storage_price = offer->storage_price;
    in->inet_down_price = offer->inet_down_price;
    in->inet_up_price = offer->inet_up_price;
    gs_strlcpy(in->offer, offer->id, sizeof in->offer);
}

void cloud_set_state(gs_inst *in, const cloud_state *table, const char *theirs)
{
    gs_strlcpy(in->state, GS_PSTATE_PENDING, sizeof in->state);
    for (const cloud_state *s = table; s->theirs; s++)
        if (strcmp(theirs, s->theirs) == 0)
            gs_strlcpy(in->state, s->ours, sizeof in->state);
}

int cloud_status(const cloud_api *api, gs_inst *in, char *err, size_t n)
{
    char path[256];
    snprintf(path, sizeof path, api->status_path, in->id);
    json_t *a = NULL;
    int rc = cloud_call(api, "GET", path, NULL, NULL, &a, err, n);
    json_t *o = api->status_key ? json_object_get(a, api->status_key) : a;
    if (json_is_array(o))
        o = json_array_get(o, 0);
    if (rc == GS_OK && api->status_missing_is_gone && !json_is_object(o))
        rc = GS_EGONE;
    if (rc == GS_OK)
        api->parse(o, in);
    json_decref(a);
    if (rc == GS_EGONE || (rc == GS_OK && strcmp(in->state, GS_PSTATE_GONE) == 0)) {
        gs_strlcpy(in->state, GS_PSTATE_GONE, sizeof in->state);
        return GS_EGONE;
    }
    return rc;
}

/* Takes an instance whose tag says it is ours. */
static int fill_ours(const cloud_api *api, json_t *item, void *slot)
{
    if (strncmp(cloud_str(json_object_get(item, api->tag_field), ""), GS_TAG_PREFIX,
                strlen(GS_TAG_PREFIX)) != 0)
        return 0;
    memset(slot, 0, sizeof(gs_inst));
    api->parse(item, slot);
    return 1;
}

int cloud_list_ours(const cloud_api *api, gs_inst *list, int max, char *err, size_t n)
{
    return collect(api, "GET", api->list_path, NULL, api->list_key, fill_ours, list,
                   sizeof *list, max, err, n);
}

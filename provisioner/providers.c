/* providers.c: the table of providers and what is common to them (error names, choice of
 * the current provider, offers, billing arithmetic). */
#include "config.h"
#include "provider.h"
#include "util.h"

#include <math.h>
#include <string.h>

extern const gs_provider gs_provider_local, gs_provider_ssh, gs_provider_vast,
    gs_provider_runpod, gs_provider_lambda;
extern gs_provider gs_provider_command_rw;   /* can_stop follows its configuration */

static const gs_provider *const table[] = {
    &gs_provider_local, &gs_provider_ssh,    &gs_provider_command_rw,
    &gs_provider_vast,  &gs_provider_runpod, &gs_provider_lambda,
    NULL,
};

const gs_provider *const *gs_providers(void) { return table; }

const gs_provider *gs_provider_find(const char *name)
{
    for (int i = 0; table[i]; i++)
        if (strcmp(table[i]->name, name) == 0)
            return table[i];
    return NULL;
}

const gs_provider *gs_provider_current(void)
{
    return gs_provider_find(gs_cfg("provider", "local"));
}

static const struct { int code; const char *text; } errors[] = {
    { GS_OK, "ok" },
    { GS_EFAIL, "failed" },
    { GS_EAUTH, "authentication refused" },
    { GS_EGONE, "no such instance" },
    { GS_EMAYBE, "no answer (may have taken effect)" },
    { GS_ECAPACITY, "no capacity" },
    { GS_ECONFIG, "not configured" },
};

const char *gs_strerror(int code)
{
    for (size_t i = 0; i < sizeof errors / sizeof errors[0]; i++)
        if (errors[i].code == code)
            return errors[i].text;
    return "unknown error";
}

gs_offer *gs_offer_init(gs_offer *f, const char *provider)
{
    memset(f, 0, sizeof *f);
    gs_strlcpy(f->provider, provider, sizeof f->provider);
    return f;
}

int gs_single_offer(gs_offer *out, int max, const char *provider, const char *id,
                    const char *gpu, double price, const char *region)
{
    if (max < 1)
        return 0;
    gs_offer_init(out, provider);
    gs_strlcpy(out->id, id, sizeof out->id);
    gs_strlcpy(out->gpu, gpu, sizeof out->gpu);
    out->num_gpus = 1;
    out->price = price;
    gs_strlcpy(out->region, region, sizeof out->region);
    return 1;
}

static const struct { const char *name; double unit; } granularities[] = {
    { "second", 1 }, { "minute", 60 }, { "hour", 3600 },
};

double gs_billed_seconds(double seconds, const char *granularity, int min_seconds)
{
    double unit = 1;
    for (size_t i = 0; i < sizeof granularities / sizeof granularities[0]; i++)
        if (strcmp(granularities[i].name, granularity) == 0)
            unit = granularities[i].unit;
    double billed = ceil(seconds / unit - 1e-9) * unit;
    if (billed < min_seconds)
        billed = min_seconds;
    return billed;
}

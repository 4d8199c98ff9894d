/* cmd_offers.c: gpushim offers (cheapest matching offers across configured providers)
 * and gpushim providers (the table, and whether each is configured). */
#include "cli.h"
#include "config.h"
#include "provider.h"
#include "util.h"

#include <jansson.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define MAX_OFFERS 512

static int by_price(const void *a, const void *b)
{
    double pa = ((const gs_offer *)a)->price, pb = ((const gs_offer *)b)->price;
    return pa < pb ? -1 : pa > pb;
}

int cmd_offers(int argc, char **argv)
{
    if (cli_wants_help("offers", argc, argv))
        return 0;
    int json = 0, limit = 20;
    const char *only = NULL, *v;
    for (int i = 1; i < argc; i++) {
        if (cli_flag(argv[i], "json"))
            json = 1;
        else if ((v = cli_value(argc, argv, &i, "gpu")))
            setenv("GPUSHIM_GPU", v, 1);
        else if ((v = cli_value(argc, argv, &i, "max-price")))
            setenv("GPUSHIM_MAX_PRICE", v, 1);
        else if ((v = cli_value(argc, argv, &i, "provider")))
            only = v;
        else if ((v = cli_value(argc, argv, &i, "limit")))
            limit = atoi(v);
        else
            return cli_bad_option("offers", argv[i]);
    }
    if (only && !gs_provider_find(only)) {
        fprintf(stderr, "gpushim offers: unknown provider '%s'\n", only);
        return EXIT_USAGE;
    }
    static gs_offer offers[MAX_OFFERS];
    int n = 0, failures = 0, auth = 0;
    double max_price = gs_cfg_num("max_price", 0);
    const gs_provider *const *all = gs_providers();
    for (int i = 0; all[i]; i++) {
        char why[512] = "";
        if ((only && strcmp(only, all[i]->name) != 0) || !all[i]->configured(why, sizeof why))
            continue;
        int got = all[i]->offers(offers + n, MAX_OFFERS - n, why, sizeof why);
        if (got < 0) {
            fprintf(stderr, "gpushim offers: %s: %s\n", all[i]->name, why);
            failures++;
            auth |= got == GS_EAUTH;
            continue;
        }
        int kept = n;
        for (int k = 0; k < got; k++)      /* providers filter too; this is the guarantee */
            if (max_price <= 0 || offers[n + k].price <= max_price)
                offers[kept++] = offers[n + k];
        n = kept;
    }
    qsort(offers, (size_t)n, sizeof offers[0], by_price);
    if (limit > 0 && n > limit)
        n = limit;
    if (json) {
        json_t *a = json_array();
        for (int i = 0; i < n; i++)
            json_array_append_new(a, json_pack("{s:s, s:s, s:s, s:i, s:f, s:s}", "provider",
                                               offers[i].provider, "id", offers[i].id, "gpu",
                                               offers[i].gpu, "num_gpus", offers[i].num_gpus,
                                               "price_per_hour", offers[i].price, "region",
                                               offers[i].region));
        char *s = json_dumps(a, JSON_INDENT(1));
        printf("%s\n", s);
        free(s);
        json_decref(a);
    } else {
        printf("%-8s %-14s %-20s %4s %9s  %s\n", "PROVIDER", "OFFER", "GPU", "GPUS", "$/HOUR",
               "REGION");
        for (int i = 0; i < n; i++)
            printf("%-8s %-14.14s %-20.20s %4d %9.4f  %s\n", offers[i].provider, offers[i].id,
                   offers[i].gpu, offers[i].num_gpus, offers[i].price, offers[i].region);
    }
    if (failures && n == 0)
        return auth ? EXIT_AUTH : EXIT_FAILED;
    return 0;
}

int cmd_providers(int argc, char **argv)
{
    int json, done = cli_json_option("providers", argc, argv, &json);
    if (done >= 0)
        return done;
    const gs_provider *cur = gs_provider_current();
    const gs_provider *const *all = gs_providers();
    json_t *a = json_array();
    if (!json)
        printf("%-8s %-8s %-10s %-8s %-7s %s\n", "NAME", "CURRENT", "CONFIGURED", "STOP",
               "BILLING", "DESCRIPTION");
    for (int i = 0; all[i]; i++) {
        char why[256] = "";
        int ok = all[i]->configured(why, sizeof why);
        if (json) {
            json_t *o = json_pack("{s:s, s:b, s:b, s:b, s:s, s:i, s:s}", "name", all[i]->name,
                                  "current", all[i] == cur, "configured", ok, "can_stop",
                                  all[i]->can_stop, "granularity", all[i]->granularity,
                                  "min_seconds", all[i]->min_seconds, "description",
                                  all[i]->help);
            if (!ok)
                json_object_set_new(o, "missing", json_string(why));
            json_array_append_new(a, o);
        } else {
            printf("%-8s %-8s %-10s %-8s %-7s %s%s%s\n", all[i]->name, all[i] == cur ? "*" : "",
                   ok ? "yes" : "no", all[i]->can_stop ? "stop" : "destroy",
                   all[i]->granularity, all[i]->help, ok ? "" : " -- needs ", ok ? "" : why);
        }
    }
    if (json) {
        char *s = json_dumps(a, JSON_INDENT(1));
        printf("%s\n", s);
        free(s);
    }
    json_decref(a);
    if (!cur) {
        fprintf(stderr, "gpushim providers: GPUSHIM_PROVIDER names no provider: '%s'\n",
                gs_cfg("provider", "local"));
        return EXIT_CONFIG;
    }
    return 0;
}

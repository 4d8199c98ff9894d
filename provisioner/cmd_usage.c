/* cmd_usage.c: gpushim usage: the ledger's billed runs as a table, CSV or JSON. Each run
 * carries its compute cost, the storage billed from its start until the next run's start
 * or the instance's destruction, and the traffic its agent moved with its bandwidth cost;
 * cost is their sum. */
#include "cli.h"
#include "ledger.h"
#include "provider.h"
#include "util.h"

#include <jansson.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

enum format { TABLE, CSV, JSON };

struct totals {
    enum format format;
    json_t *array;
    double seconds, compute_cost, storage_cost, bandwidth_cost, cost;
    long long bytes_in, bytes_out;
    int rows;
};

static int print_row(const ledger_usage_row *r, void *arg)
{
    struct totals *t = arg;
    char start[32], stop[32];
    gs_format_time(r->started_at, start, sizeof start);
    gs_format_time(r->stopped_at, stop, sizeof stop);
    t->seconds += r->seconds;
    t->compute_cost += r->compute_cost;
    t->storage_cost += r->storage_cost;
    t->bandwidth_cost += r->bandwidth_cost;
    t->bytes_in += r->bytes_in;
    t->bytes_out += r->bytes_out;
    t->cost += r->cost;
    t->rows++;
    if (t->format == JSON) {
        json_t *o = json_pack("{s:s, s:s, s:s, s:f, s:s, s:i, s:f, s:f, s:f, s:f}",
                              "provider", r->provider, "instance", r->instance, "gpu", r->gpu,
                              "price_per_hour", r->price, "granularity", r->granularity,
                              "min_seconds", r->min_seconds, "started_at", r->started_at,
                              "seconds", r->seconds, "billed_seconds", r->billed_seconds,
                              "cost", r->cost);
        json_object_set_new(o, "compute_cost", json_real(r->compute_cost));
        json_object_set_new(o, "storage_price_per_hour", json_real(r->storage_price));
        json_object_set_new(o, "storage_seconds", json_real(r->storage_seconds));
        json_object_set_new(o, "storage_until", r->storage_until > 0
                                                    ? json_real(r->storage_until)
                                                    : json_null());
        json_object_set_new(o, "storage_cost", json_real(r->storage_cost));
        json_object_set_new(o, "bytes_in", json_integer(r->bytes_in));
        json_object_set_new(o, "bytes_out", json_integer(r->bytes_out));
        json_object_set_new(o, "inet_down_price_per_gb", json_real(r->inet_down_price));
        json_object_set_new(o, "inet_up_price_per_gb", json_real(r->inet_up_price));
        json_object_set_new(o, "bandwidth_cost", json_real(r->bandwidth_cost));
        json_object_set_new(o, "stopped_at", r->stopped_at > 0 ? json_real(r->stopped_at)
                                                               : json_null());
        json_object_set_new(o, "running", json_boolean(r->stopped_at <= 0));
        json_array_append_new(t->array, o);
    } else if (t->format == CSV) {
        printf("%s,%s,%s,%s,%s,%.3f,%.0f,%.6f,%s,%d,%.6f,%.6f,%.6f,%.0f,%.6f,%lld,%lld,%.6f,"
               "%.6f,%.6f\n", r->provider,
               r->instance, r->gpu, start, r->stopped_at > 0 ? stop : "", r->seconds,
               r->billed_seconds, r->price, r->granularity, r->min_seconds, r->cost,
               r->compute_cost, r->storage_price, r->storage_seconds, r->storage_cost,
               r->bytes_in, r->bytes_out, r->inet_down_price, r->inet_up_price,
               r->bandwidth_cost);
    } else {
        printf("%-8s %-24.24s %-14.14s %-19s %-19s %9.0f %9.4f %10.4f %10.4f %9.1f %9.1f "
               "%10.4f %10.4f\n",
               r->provider, r->instance, r->gpu, start, r->stopped_at > 0 ? stop : "(running)",
               r->seconds, r->price, r->compute_cost, r->storage_cost, r->bytes_in / 1e6,
               r->bytes_out / 1e6, r->bandwidth_cost, r->cost);
    }
    return 0;
}

int cmd_usage(int argc, char **argv)
{
    if (cli_wants_help("usage", argc, argv))
        return 0;
    struct totals t = { .format = TABLE };
    double since = 0, until = 0;
    const char *provider = NULL, *v;
    for (int i = 1; i < argc; i++) {
        if (cli_flag(argv[i], "json"))
            t.format = JSON;
        else if (cli_flag(argv[i], "csv"))
            t.format = CSV;
        else if ((v = cli_value(argc, argv, &i, "since"))) {
            if ((since = gs_parse_time(v)) < 0) {
                fprintf(stderr, "gpushim usage: bad time '%s'\n", v);
                return EXIT_USAGE;
            }
        } else if ((v = cli_value(argc, argv, &i, "until"))) {
            if ((until = gs_parse_time(v)) < 0) {
                fprintf(stderr, "gpushim usage: bad time '%s'\n", v);
                return EXIT_USAGE;
            }
        } else if ((v = cli_value(argc, argv, &i, "provider"))) {
            provider = v;
            if (!gs_provider_find(v)) {
                fprintf(stderr, "gpushim usage: unknown provider '%s'\n", v);
                return EXIT_USAGE;
            }
        } else {
            return cli_bad_option("usage", argv[i]);
        }
    }
    char err[512];
    if (ledger_open(err, sizeof err) == -1) {
        fprintf(stderr, "gpushim usage: %s\n", err);
        return EXIT_FAILED;
    }
    if (t.format == JSON)
        t.array = json_array();
    else if (t.format == CSV)
        printf("provider,instance,gpu,started_at,stopped_at,seconds,billed_seconds,"
               "price_per_hour,granularity,min_seconds,cost,compute_cost,"
               "storage_price_per_hour,storage_seconds,storage_cost,bytes_in,bytes_out,"
               "inet_down_price_per_gb,inet_up_price_per_gb,bandwidth_cost\n");
    else
        printf("%-8s %-24s %-14s %-19s %-19s %9s %9s %10s %10s %9s %9s %10s %10s\n",
               "PROVIDER", "INSTANCE", "GPU", "STARTED (UTC)", "STOPPED (UTC)", "SECONDS",
               "$/HOUR", "COMPUTE $", "STORAGE $", "IN MB", "OUT MB", "TRAFFIC $", "COST $");
    int n = ledger_usage(since, until, provider, print_row, &t);
    ledger_close();
    if (n < 0) {
        fprintf(stderr, "gpushim usage: cannot read the ledger\n");
        json_decref(t.array);
        return EXIT_FAILED;
    }
    if (t.format == JSON) {
        char *s = json_dumps(t.array, JSON_INDENT(1));
        printf("%s\n", s);
        free(s);
        json_decref(t.array);
    } else if (t.format == TABLE) {
        printf("%d run(s), %.0f s, %.1f MB in, %.1f MB out; compute $%.4f + storage $%.4f"
               " + bandwidth $%.4f, total $%.4f\n", t.rows, t.seconds, t.bytes_in / 1e6,
               t.bytes_out / 1e6, t.compute_cost, t.storage_cost, t.bandwidth_cost, t.cost);
    }
    return 0;
}

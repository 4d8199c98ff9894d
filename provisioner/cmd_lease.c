/* cmd_lease.c: gpushim up / down / status / daemon: the lease by hand, through the
 * daemon's socket (protocol in client.h). */
#include "cli.h"
#include "client.h"
#include "config.h"
#include "daemon.h"
#include "ledger.h"
#include "provider.h"
#include "util.h"

#include <jansson.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

static int exit_for_error(const char *answer)
{
    static const struct { const char *code; int exit; } map[] = {
        { "busy", EXIT_BUSY }, { "auth", EXIT_AUTH }, { "config", EXIT_CONFIG },
        { "shutdown", EXIT_NO_DAEMON },
    };
    for (size_t i = 0; i < sizeof map / sizeof map[0]; i++)
        if (strncmp(answer, map[i].code, strlen(map[i].code)) == 0)
            return map[i].exit;
    return EXIT_FAILED;
}

/* The text of an ERROR answer without its code word. */
static const char *error_text(const char *answer)
{
    const char *sp = strchr(answer, ' ');
    return sp ? sp + 1 : answer;
}

static int check_provider(void)
{
    if (!gs_provider_current()) {
        fprintf(stderr, "gpushim: unknown provider '%s' (see gpushim providers)\n",
                gs_cfg("provider", "local"));
        return EXIT_CONFIG;
    }
    char why[256] = "";
    if (!gs_provider_current()->configured(why, sizeof why)) {
        fprintf(stderr, "gpushim: provider %s is not configured: %s\n",
                gs_provider_current()->name, why);
        return EXIT_CONFIG;
    }
    return 0;
}

int cmd_up(int argc, char **argv)
{
    if (cli_wants_help("up", argc, argv))
        return 0;
    int json = 0, quiet = getenv("GPUSHIM_QUIET") && strcmp(getenv("GPUSHIM_QUIET"), "0");
    for (int i = 1; i < argc; i++) {
        if (cli_flag(argv[i], "json"))
            json = 1;
        else if (cli_flag(argv[i], "quiet"))
            quiet = 1;
        else
            return cli_bad_option("up", argv[i]);
    }
    int bad = check_provider();
    if (bad)
        return bad;
    char err[512] = "", line[4096];
    int fd = gs_daemon_connect(1, err, sizeof err);
    if (fd < 0) {
        fprintf(stderr, "gpushim up: %s\n", err);
        return EXIT_NO_DAEMON;
    }
    int rc = EXIT_FAILED;
    char req[128];
    snprintf(req, sizeof req, "UP provider=%s", gs_provider_current()->name);
    gs_send_line(fd, req);
    while (gs_read_line(fd, line, sizeof line) == 1) {
        if (strncmp(line, "PROGRESS ", 9) == 0) {
            if (!quiet)
                fprintf(stderr, "%s\n", line + 9);
            continue;
        }
        char ep[512], sp[3000], id[256];
        if (sscanf(line, "READY %511s %2999s %255s", ep, sp, id) == 3) {
            if (json)
                printf("{\"instance\":\"%s\",\"endpoint\":\"%s\",\"secret_path\":\"%s\"}\n", id,
                       ep, sp);
            else
                printf("instance %s ready, agent at %s\n", id, ep);
            rc = 0;
        } else if (strncmp(line, "ERROR ", 6) == 0) {
            fprintf(stderr, "gpushim up: %s\n", error_text(line + 6));
            rc = exit_for_error(line + 6);
        }
        break;
    }
    if (rc == EXIT_FAILED && line[0] == '\0')
        fprintf(stderr, "gpushim up: the daemon closed the connection\n");
    close(fd);
    return rc;
}

int cmd_down(int argc, char **argv)
{
    if (cli_wants_help("down", argc, argv))
        return 0;
    int destroy = 0, force = 0, json = 0, shutdown = 0;
    for (int i = 1; i < argc; i++) {
        if (cli_flag(argv[i], "destroy"))
            destroy = 1;
        else if (cli_flag(argv[i], "force"))
            force = 1;
        else if (cli_flag(argv[i], "json"))
            json = 1;
        else if (cli_flag(argv[i], "exit"))     /* also end the daemon (tests, scripts) */
            shutdown = 1;
        else
            return cli_bad_option("down", argv[i]);
    }
    char err[512] = "", line[4096] = "", req[64];
    /* Starting a daemon here is deliberate: its start reconciles with the provider, so
     * `down` also stops anything a crashed daemon left running. */
    int fd = gs_daemon_connect(1, err, sizeof err);
    if (fd < 0) {
        fprintf(stderr, "gpushim down: %s\n", err);
        return EXIT_NO_DAEMON;
    }
    snprintf(req, sizeof req, "%s%s%s", shutdown ? "SHUTDOWN" : "DOWN",
             destroy ? " destroy" : "", force ? " force" : "");
    gs_send_line(fd, req);
    int rc = EXIT_FAILED, got = gs_read_line(fd, line, sizeof line);
    if (got != 1) {
        /* A daemon that was dying when we connected: ask its successor once. */
        close(fd);
        fd = gs_daemon_connect(1, err, sizeof err);
        if (fd >= 0 && gs_send_line(fd, req) == 0)
            got = gs_read_line(fd, line, sizeof line);
    }
    if (got == 1 && strcmp(line, "OK") == 0) {
        rc = 0;
        if (json)
            printf("{\"ok\":true}\n");
        else
            printf("stopped\n");
    } else if (strncmp(line, "ERROR ", 6) == 0) {
        rc = exit_for_error(line + 6);
        if (json)
            printf("{\"ok\":false,\"error\":\"%s\"}\n", error_text(line + 6));
        fprintf(stderr, "gpushim down: %s\n", error_text(line + 6));
    } else {
        fprintf(stderr, "gpushim down: no answer from the daemon\n");
    }
    if (fd >= 0)
        close(fd);
    return rc;
}

static void print_status_text(json_t *o)
{
    const char *state = json_string_value(json_object_get(o, "state"));
    printf("provider:  %s\n", json_string_value(json_object_get(o, "provider")));
    printf("state:     %s\n", state ? state : "none");
    json_t *inst = json_object_get(o, "instance");
    if (json_is_string(inst)) {
        printf("instance:  %s\n", json_string_value(inst));
        printf("gpu:       %s\n", json_string_value(json_object_get(o, "gpu")));
        printf("price:     $%.4f/h\n", json_real_value(json_object_get(o, "price_per_hour")));
        double storage = json_real_value(json_object_get(o, "storage_price_per_hour"));
        if (storage > 0 || (state && strcmp(state, "stopped") == 0))
            printf("storage:   $%.4f/h%s\n", storage,
                   state && strcmp(state, "stopped") == 0 ? " (billed while stopped)" : "");
    }
    json_t *v;
    if ((v = json_object_get(o, "endpoint")))
        printf("agent:     %s\n", json_string_value(v));
    if ((v = json_object_get(o, "uptime")))
        printf("uptime:    %.0f s\n", json_real_value(v));
    if ((v = json_object_get(o, "cost_so_far")))
        printf("cost:      $%.4f so far (compute $%.4f + storage $%.4f + bandwidth $%.4f)\n",
               json_real_value(v),
               json_real_value(json_object_get(o, "compute_cost_so_far")),
               json_real_value(json_object_get(o, "storage_cost_so_far")),
               json_real_value(json_object_get(o, "bandwidth_cost_so_far")));
    if ((v = json_object_get(o, "bytes_in")))
        printf("traffic:   %.1f MB in, %.1f MB out (at the last heartbeat)\n",
               (double)json_integer_value(v) / 1e6,
               (double)json_integer_value(json_object_get(o, "bytes_out")) / 1e6);
    if ((v = json_object_get(o, "elapsed")))
        printf("starting:  %.0f s\n", json_real_value(v));
    if ((v = json_object_get(o, "sessions")))
        printf("sessions:  %lld\n", (long long)json_integer_value(v));
    if ((v = json_object_get(o, "idle_seconds_left")) && json_is_number(v))
        printf("idle stop: in %.0f s\n", json_real_value(v));
    if ((v = json_object_get(o, "last_error")))
        printf("error:     %s\n", json_string_value(v));
}

/* The instance's latest run as `gpushim usage` bills it (ledger_usage: compute over the
 * run, storage from its start until now while the instance exists, stopped included). */
struct run_cost {
    const char *instance;
    int found;
    ledger_usage_row row;
};

static int find_run(const ledger_usage_row *r, void *arg)
{
    struct run_cost *rc = arg;
    if (strcmp(r->instance, rc->instance) == 0) {
        rc->row = *r;                      /* oldest first: the last match is the latest */
        rc->found = 1;
    }
    return 0;
}

/* Sets cost_so_far (= compute_cost_so_far + storage_cost_so_far + bandwidth_cost_so_far)
 * and the run's bytes_in / bytes_out from the ledger; falls back to the compute of the
 * uptime when the ledger has no run for the instance. */
static void add_cost_so_far(json_t *o)
{
    json_t *inst = json_object_get(o, "instance");
    const char *prov = json_string_value(json_object_get(o, "provider"));
    struct run_cost rc;
    memset(&rc, 0, sizeof rc);
    rc.instance = json_string_value(inst);
    char err[512];
    if (rc.instance && prov && gs_provider_find(prov) && ledger_open(err, sizeof err) == 0) {
        ledger_usage(0, 0, prov, find_run, &rc);
        ledger_close();
    }
    double compute = 0, storage = 0, bandwidth = 0;
    if (rc.found) {
        compute = rc.row.compute_cost;
        storage = rc.row.storage_cost;
        bandwidth = rc.row.bandwidth_cost;
        json_object_set_new(o, "bytes_in", json_integer(rc.row.bytes_in));
        json_object_set_new(o, "bytes_out", json_integer(rc.row.bytes_out));
    } else if (json_is_number(json_object_get(o, "uptime"))) {
        const gs_provider *p = gs_provider_find(prov ? prov : "");
        double up = json_real_value(json_object_get(o, "uptime"));
        if (p)
            compute = gs_billed_seconds(up, p->granularity, p->min_seconds) *
                      json_real_value(json_object_get(o, "price_per_hour")) / 3600.0;
    } else {
        return;
    }
    json_object_set_new(o, "compute_cost_so_far", json_real(compute));
    json_object_set_new(o, "storage_cost_so_far", json_real(storage));
    json_object_set_new(o, "bandwidth_cost_so_far", json_real(bandwidth));
    json_object_set_new(o, "cost_so_far", json_real(compute + storage + bandwidth));
}

int cmd_status(int argc, char **argv)
{
    int json, done = cli_json_option("status", argc, argv, &json);
    if (done >= 0)
        return done;
    char err[512], line[8192] = "";
    int fd = gs_daemon_connect(0, err, sizeof err);
    json_t *o = NULL;
    if (fd >= 0) {
        gs_send_line(fd, "STATUS");
        if (gs_read_line(fd, line, sizeof line) == 1 && strncmp(line, "STATUS ", 7) == 0)
            o = json_loads(line + 7, 0, NULL);
        close(fd);
    }
    if (!o) {
        o = json_pack("{s:s, s:n, s:s, s:b}", "provider", gs_cfg("provider", "local"),
                      "instance", "state", "none", "daemon", 0);
    } else {
        json_object_set_new(o, "daemon", json_true());
    }
    add_cost_so_far(o);
    if (json) {
        char *s = json_dumps(o, JSON_COMPACT);
        printf("%s\n", s);
        free(s);
    } else {
        print_status_text(o);
    }
    json_decref(o);
    return 0;
}

int cmd_daemon(int argc, char **argv)
{
    if (cli_wants_help("daemon", argc, argv))
        return 0;
    if (argc > 1)
        return cli_bad_option("daemon", argv[1]);
    return gs_daemon_main();
}

/* traffic.c: reads an agent's traffic counters (its --stats query) and records them in
 * the ledger. What is counted: the bytes of every session's messages as they cross the
 * connection (after compression) -- `total.bytes_in_wire` / `total.bytes_out_wire`. Not
 * counted: framing, the authentication handshake, TLS records and TCP/IP headers, which
 * the provider's meter at the NIC does see (docs/provisioner.md: "Bandwidth"). */
#include "traffic.h"
#include "config.h"
#include "ledger.h"
#include "util.h"

#include <jansson.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define STATS_OUT_MAX (256 * 1024)

/* The counters in the agent's JSON answer; 0 when it has none. */
static int parse_counters(const char *text, long long *in, long long *out, long long *up)
{
    json_t *o = json_loads(text, 0, NULL);
    json_t *total = json_object_get(o, "total");
    json_t *bin = json_object_get(total, "bytes_in_wire");
    json_t *bout = json_object_get(total, "bytes_out_wire");
    int ok = json_is_integer(bin) && json_is_integer(bout);
    if (ok) {
        *in = json_integer_value(bin);
        *out = json_integer_value(bout);
        *up = json_integer_value(json_object_get(o, "uptime_ms"));
    }
    json_decref(o);
    return ok;
}

int traffic_sample(const char *provider, const gs_inst *in, double timeout, char *err,
                   size_t n)
{
    char ep[320], sp[530];
    snprintf(ep, sizeof ep, "GPUSHIM_HB_ENDPOINT=%s:%d", in->host, in->port);
    snprintf(sp, sizeof sp, "GPUSHIM_HB_SECRET=%s", in->secret_path);
    char *env[] = { ep, sp, NULL };
    char cmd[1200];
    snprintf(cmd, sizeof cmd, "exec %s --stats \"$GPUSHIM_HB_ENDPOINT\" --secret-file "
             "\"$GPUSHIM_HB_SECRET\" --json", gs_agent_cmd());
    char *out = calloc(1, STATS_OUT_MAX);
    if (!out) {
        gs_errf(err, n, "out of memory");
        return -1;
    }
    int rc = gs_run_shell(cmd, env, NULL, out, STATS_OUT_MAX, timeout);
    long long bin, bout, up, din, dout;
    if (rc != 0)
        gs_errf(err, n, "the agent's statistics query failed (status %d)", rc);
    else if (in->id[0] && parse_counters(out, &bin, &bout, &up) &&
             ledger_traffic(provider, in->id, bin, bout, up, &din, &dout) == 0 &&
             (din || dout)) {
        char detail[128];
        snprintf(detail, sizeof detail, "bytes in +%lld out +%lld", din, dout);
        ledger_event(provider, in->id, "traffic", in->price, detail);
    }
    free(out);
    return rc;
}

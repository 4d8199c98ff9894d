/* prov_command.c: the `command` provider: the user's own scripts (any cloud's CLI) do
 * the work. Each is run with /bin/sh -c and this environment:
 *   GPUSHIM_TAG          our tag for the instance (name it so; list prints it back)
 *   GPUSHIM_INSTANCE     the id create printed (not for create)
 *   GPUSHIM_SECRET       the agent's per-instance secret (create and start only)
 * Config keys (env GPUSHIM_COMMAND_*):
 *   command_create   prints the new instance's id on its first line
 *   command_start, command_stop   optional; without both, stop means destroy
 *   command_destroy
 *   command_status   prints "STATE [HOST PORT]", STATE one of pending, running,
 *                    stopped, gone, error
 *   command_list     prints one "ID TAG STATE" line per instance of ours
 *   command_price ($/h), command_storage_price ($/h while the instance exists,
 *   stopped included; default 0), command_gpu (label), command_timeout (s, default 600)
 * Exit status 0 is success; 3 from status/stop/destroy means "no such instance". */
#include "config.h"
#include "provider.h"
#include "util.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static int command_configured(char *why, size_t n)
{
    static const char *const needed[] = { "command_create", "command_destroy",
                                          "command_status", "command_list" };
    for (size_t i = 0; i < sizeof needed / sizeof needed[0]; i++)
        if (!gs_cfg(needed[i], NULL)) {
            gs_errf(why, n, "GPUSHIM_%s", needed[i]);
            for (char *p = why + 8; *p; p++)
                *p = (char)(*p >= 'a' && *p <= 'z' ? *p - 32 : *p);
            return 0;
        }
    return 1;
}

/* Runs the configured script for op; output in out. Returns a GS_* code. */
static int run_op(const char *op, const gs_inst *in, int with_secret, char *out, size_t outsz,
                  char *err, size_t n)
{
    char key[32];
    snprintf(key, sizeof key, "command_%s", op);
    const char *cmd = gs_cfg(key, NULL);
    if (!cmd) {
        gs_errf(err, n, "no %s script configured", op);
        return GS_ECONFIG;
    }
    char tag[96], id[160], secret[96];
    snprintf(tag, sizeof tag, "GPUSHIM_TAG=%s", in ? in->tag : "");
    snprintf(id, sizeof id, "GPUSHIM_INSTANCE=%s", in ? in->id : "");
    snprintf(secret, sizeof secret, "GPUSHIM_SECRET=%s", with_secret && in ? in->secret : "");
    char *env[] = { tag, id, secret, NULL };
    int rc = gs_run_shell(cmd, env, NULL, out, outsz, gs_cfg_num("command_timeout", 600));
    if (rc == 0)
        return GS_OK;
    if (rc == 124) {
        gs_errf(err, n, "the %s script timed out", op);
        return GS_EMAYBE;
    }
    gs_errf(err, n, "the %s script failed with status %d: %.200s", op, rc, out);
    return rc == 3 ? GS_EGONE : GS_EFAIL;
}

static int command_offers(gs_offer *out, int max, char *err, size_t n)
{
    (void)err;
    (void)n;
    return gs_single_offer(out, max, "command", "command", gs_cfg("command_gpu", "gpu"),
                           gs_cfg_num("command_price", 0), "");
}

static int command_create(gs_inst *in, char *err, size_t n)
{
    char out[1024];
    int rc = run_op("create", in, 1, out, sizeof out, err, n);
    if (rc != GS_OK)
        return rc;
    if (sscanf(out, "%127s", in->id) != 1) {
        gs_errf(err, n, "the create script printed no instance id");
        return GS_EMAYBE;
    }
    gs_strlcpy(in->gpu, gs_cfg("command_gpu", "gpu"), sizeof in->gpu);
    in->price = gs_cfg_num("command_price", 0);
    in->storage_price = gs_cfg_num("command_storage_price", 0);
    return GS_OK;
}

static int command_start(gs_inst *in, char *err, size_t n)
{
    char out[1024];
    return run_op("start", in, 1, out, sizeof out, err, n);
}

static int command_stop(gs_inst *in, char *err, size_t n)
{
    char out[1024];
    return run_op(gs_cfg("command_stop", NULL) ? "stop" : "destroy", in, 0, out, sizeof out,
                  err, n);
}

static int command_destroy(gs_inst *in, char *err, size_t n)
{
    char out[1024];
    return run_op("destroy", in, 0, out, sizeof out, err, n);
}

static const char *const known_states[] = { GS_PSTATE_PENDING, GS_PSTATE_RUNNING,
                                            GS_PSTATE_STOPPED, GS_PSTATE_GONE,
                                            GS_PSTATE_ERROR };

static int parse_state(const char *word, gs_inst *in)
{
    for (size_t i = 0; i < sizeof known_states / sizeof known_states[0]; i++)
        if (strcmp(word, known_states[i]) == 0) {
            gs_strlcpy(in->state, word, sizeof in->state);
            return 1;
        }
    return 0;
}

static int command_status(gs_inst *in, char *err, size_t n)
{
    char out[1024], state[32] = "";
    int rc = run_op("status", in, 0, out, sizeof out, err, n);
    if (rc != GS_OK)
        return rc;
    in->port = 0;
    if (sscanf(out, "%31s %255s %d", state, in->host, &in->port) < 1 || !parse_state(state, in)) {
        gs_errf(err, n, "the status script printed no state: %.100s", out);
        return GS_EFAIL;
    }
    return strcmp(in->state, GS_PSTATE_GONE) == 0 ? GS_EGONE : GS_OK;
}

static int command_list(gs_inst *list, int max, char *err, size_t n)
{
    char out[16384];
    int rc = run_op("list", NULL, 0, out, sizeof out, err, n);
    if (rc != GS_OK)
        return rc;
    int count = 0;
    for (char *line = strtok(out, "\n"); line && count < max; line = strtok(NULL, "\n")) {
        gs_inst *in = &list[count];
        memset(in, 0, sizeof *in);
        char state[32];
        if (sscanf(line, "%127s %63s %31s", in->id, in->tag, state) == 3 &&
            strncmp(in->tag, GS_TAG_PREFIX, strlen(GS_TAG_PREFIX)) == 0 &&
            parse_state(state, in)) {
            in->price = gs_cfg_num("command_price", 0);
            in->storage_price = gs_cfg_num("command_storage_price", 0);
            count++;
        }
    }
    return count;
}

static int command_can_stop(void)
{
    return gs_cfg("command_stop", NULL) && gs_cfg("command_start", NULL);
}

/* can_stop depends on configuration; the table entry is filled at first use. */
static int command_configured_hook(char *why, size_t n);

gs_provider gs_provider_command_rw = {
    .name = "command",
    .help = "your own scripts for create/start/stop/destroy/status/list",
    .can_stop = 0,
    .granularity = "second",
    .min_seconds = 0,
    .configured = command_configured_hook,
    .offers = command_offers,
    .create = command_create,
    .start = command_start,
    .stop = command_stop,
    .destroy = command_destroy,
    .status = command_status,
    .list_ours = command_list,
};

static int command_configured_hook(char *why, size_t n)
{
    gs_provider_command_rw.can_stop = command_can_stop();
    const char *g = gs_cfg("command_granularity", "second");
    gs_provider_command_rw.granularity = strcmp(g, "minute") == 0 ? "minute"
                                         : strcmp(g, "hour") == 0 ? "hour" : "second";
    gs_provider_command_rw.min_seconds = (int)gs_cfg_num("command_min_seconds", 0);
    return command_configured(why, n);
}

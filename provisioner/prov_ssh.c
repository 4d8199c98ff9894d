/* prov_ssh.c: the `ssh` provider: a host you own. Creating an instance copies the agent
 * there with the OpenSSH client (scp) into <ssh_dir>/<tag>/, writes the per-instance
 * secret through ssh's stdin (never on a command line) and starts the agent detached;
 * stopping means the agent exits (its directory is removed). list_ours looks at the
 * <ssh_dir>/gpushim-* directories that still have a live agent.
 * Config (env GPUSHIM_SSH_*): ssh_host (required), ssh_port, ssh_user, ssh_key,
 * ssh_known_hosts, ssh_dir (default .gpushim, relative to the remote home),
 * ssh_agent (local agent binary to copy; default: agent_cmd when it is a file),
 * ssh_agent_args (extra agent arguments, e.g. --driver PATH), ssh_listen (address the
 * agent binds, default 0.0.0.0), ssh_price ($/h), ssh_gpu (label). */
#include "agentlog.h"
#include "config.h"
#include "provider.h"
#include "sshboot.h"
#include "util.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

static int ssh_configured(char *why, size_t n)
{
    if (!gs_cfg("ssh_host", NULL)) {
        gs_errf(why, n, "GPUSHIM_SSH_HOST");
        return 0;
    }
    return 1;
}

/* Runs a command on the configured host (the calls themselves are in sshboot.c). */
static int ssh_run(const char *remote_cmd, const char *input, char *out, size_t outsz)
{
    gs_ssh_target t;
    gs_ssh_target_from_config(&t);
    return gs_ssh_run(&t, remote_cmd, input, out, outsz);
}

static const char *remote_dir(void) { return gs_ssh_remote_dir(); }

static int ssh_offers(gs_offer *out, int max, char *err, size_t n)
{
    (void)err;
    (void)n;
    return gs_single_offer(out, max, "ssh", gs_cfg("ssh_host", ""), gs_cfg("ssh_gpu", "gpu"),
                           gs_cfg_num("ssh_price", 0), "");
}

static int ssh_create(gs_inst *in, char *err, size_t n)
{
    gs_ssh_target t;
    gs_ssh_target_from_config(&t);
    int rc = gs_ssh_install_agent(&t, in->tag, in->secret, "0", err, n);
    if (rc != GS_OK)
        return rc;    /* GS_EMAYBE: the directory exists; reconciliation removes it */
    snprintf(in->id, sizeof in->id, "%s", in->tag);
    gs_strlcpy(in->gpu, gs_cfg("ssh_gpu", "gpu"), sizeof in->gpu);
    in->price = gs_cfg_num("ssh_price", 0);
    in->storage_price = gs_cfg_num("ssh_storage_price", 0);
    gs_strlcpy(in->offer, gs_cfg("ssh_host", ""), sizeof in->offer);
    return GS_OK;
}

static int ssh_status(gs_inst *in, char *err, size_t n)
{
    char cmd[1024], out[8192];
    snprintf(cmd, sizeof cmd,
             "d='%s/%s'; [ -d \"$d\" ] || { echo NODIR; exit 0; }; "
             "if kill -0 \"$(cat \"$d/agent.pid\" 2>/dev/null)\" 2>/dev/null; then echo ALIVE; "
             "else echo DEAD; fi; cat \"$d/agent.log\" 2>/dev/null | head -c 4000",
             remote_dir(), in->id);
    int rc = ssh_run(cmd, NULL, out, sizeof out);
    if (rc != 0) {
        gs_errf(err, n, "ssh %s failed (status %d)", gs_cfg("ssh_host", ""), rc);
        return GS_EFAIL;
    }
    gs_strlcpy(in->host, gs_cfg("ssh_host", ""), sizeof in->host);
    if (strncmp(out, "NODIR", 5) == 0) {
        gs_strlcpy(in->state, GS_PSTATE_GONE, sizeof in->state);
        return GS_EGONE;
    }
    char *log = strchr(out, '\n');
    if (strncmp(out, "DEAD", 4) == 0) {
        gs_strlcpy(in->state, GS_PSTATE_ERROR, sizeof in->state);
        gs_errf(err, n, "the agent exited: %.200s", log ? log + 1 : "");
        gs_strlcpy(in->detail, err, sizeof in->detail);
        return GS_OK;
    }
    in->port = log ? gs_agent_port_from_log(log + 1) : 0;
    gs_strlcpy(in->state, in->port ? GS_PSTATE_RUNNING : GS_PSTATE_PENDING, sizeof in->state);
    return GS_OK;
}

static int ssh_destroy(gs_inst *in, char *err, size_t n)
{
    char cmd[1024], out[1024];
    const char *id = in->id[0] ? in->id : in->tag;
    snprintf(cmd, sizeof cmd,
             "d='%s/%s'; [ -d \"$d\" ] || exit 3; p=$(cat \"$d/agent.pid\" 2>/dev/null); "
             "if [ -n \"$p\" ]; then kill \"$p\" 2>/dev/null; i=0; "
             "while kill -0 \"$p\" 2>/dev/null && [ $i -lt 50 ]; do sleep 0.1; i=$((i+1)); done; "
             "kill -9 \"$p\" 2>/dev/null; fi; rm -rf \"$d\"",
             remote_dir(), id);
    int rc = ssh_run(cmd, NULL, out, sizeof out);
    if (rc == 3)
        return GS_EGONE;
    if (rc != 0) {
        gs_errf(err, n, "ssh %s failed (status %d): %.200s", gs_cfg("ssh_host", ""), rc, out);
        return GS_EFAIL;
    }
    return GS_OK;
}

static int ssh_list(gs_inst *list, int max, char *err, size_t n)
{
    char cmd[1024], out[16384];
    snprintf(cmd, sizeof cmd,
             "for d in '%s'/" GS_TAG_PREFIX "*; do [ -d \"$d\" ] || continue; "
             "if kill -0 \"$(cat \"$d/agent.pid\" 2>/dev/null)\" 2>/dev/null; "
             "then echo \"${d##*/} running\"; else echo \"${d##*/} stopped\"; fi; done",
             remote_dir());
    int rc = ssh_run(cmd, NULL, out, sizeof out);
    if (rc != 0) {
        gs_errf(err, n, "ssh %s failed (status %d)", gs_cfg("ssh_host", ""), rc);
        return GS_EFAIL;
    }
    int count = 0;
    for (char *line = strtok(out, "\n"); line && count < max; line = strtok(NULL, "\n")) {
        gs_inst *in = &list[count];
        memset(in, 0, sizeof *in);
        char state[16];
        if (sscanf(line, "%63s %15s", in->tag, state) != 2)
            continue;
        gs_strlcpy(in->id, in->tag, sizeof in->id);
        /* A directory without a live agent is debris: report it running so that it is
         * destroyed (removed) like an orphan. */
        gs_strlcpy(in->state, GS_PSTATE_RUNNING, sizeof in->state);
        in->price = gs_cfg_num("ssh_price", 0);
        in->storage_price = gs_cfg_num("ssh_storage_price", 0);
        count++;
    }
    return count;
}

const gs_provider gs_provider_ssh = {
    .name = "ssh",
    .help = "a host you own: the agent is copied and started over SSH",
    .can_stop = 0,
    .granularity = "second",
    .min_seconds = 0,
    .configured = ssh_configured,
    .offers = ssh_offers,
    .create = ssh_create,
    .start = NULL,
    .stop = NULL,
    .destroy = ssh_destroy,
    .status = ssh_status,
    .list_ours = ssh_list,
};

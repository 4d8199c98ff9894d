/* sshboot.c: the agent copied and started over OpenSSH, shared by the `ssh` provider and
 * the SSH bootstrap of cloud instances (GPUSHIM_BOOTSTRAP=ssh, daemon.c). */
#include "sshboot.h"
#include "config.h"
#include "provider.h"
#include "util.h"

#include <stdio.h>
#include <string.h>
#include <unistd.h>

void gs_ssh_target_from_config(gs_ssh_target *t)
{
    gs_strlcpy(t->host, gs_cfg("ssh_host", ""), sizeof t->host);
    t->port = (int)gs_cfg_num("ssh_port", 22);
    gs_strlcpy(t->user, gs_cfg("ssh_user", ""), sizeof t->user);
}

const char *gs_ssh_remote_dir(void) { return gs_cfg("ssh_dir", ".gpushim"); }

const char *gs_ssh_agent_binary(void)
{
    const char *a = gs_cfg("ssh_agent", NULL);
    if (a)
        return a;
    a = gs_agent_cmd();
    return access(a, R_OK) == 0 ? a : NULL;
}

/* Common client options; argv filled from index a, returns the next index. */
static int ssh_options(const gs_ssh_target *t, char **argv, int a, int scp, char *portbuf,
                       char *khbuf, size_t khn)
{
    static const char *const fixed[] = { "BatchMode=yes", "StrictHostKeyChecking=accept-new",
                                         "ConnectTimeout=15" };
    snprintf(portbuf, 16, "%d", t->port > 0 ? t->port : 22);
    argv[a++] = scp ? "-P" : "-p";
    argv[a++] = portbuf;
    for (size_t i = 0; i < sizeof fixed / sizeof fixed[0]; i++) {
        argv[a++] = "-o";
        argv[a++] = (char *)fixed[i];
    }
    const char *kh = gs_cfg("ssh_known_hosts", NULL);
    if (kh) {
        snprintf(khbuf, khn, "UserKnownHostsFile=%s", kh);
        argv[a++] = "-o";
        argv[a++] = khbuf;
    }
    const char *key = gs_cfg("ssh_key", NULL);
    if (key) {
        argv[a++] = "-i";
        argv[a++] = (char *)key;
    }
    return a;
}

static void destination(const gs_ssh_target *t, char *out, size_t n)
{
    if (t->user[0])
        snprintf(out, n, "%s@%s", t->user, t->host);
    else
        gs_strlcpy(out, t->host, n);
}

int gs_ssh_run(const gs_ssh_target *t, const char *remote_cmd, const char *input, char *out,
               size_t outsz)
{
    char *argv[32], port[16], kh[600], dest[400];
    int a = 0;
    argv[a++] = "ssh";
    a = ssh_options(t, argv, a, 0, port, kh, sizeof kh);
    destination(t, dest, sizeof dest);
    argv[a++] = dest;
    argv[a++] = (char *)remote_cmd;
    argv[a] = NULL;
    return gs_run_argv(argv, NULL, input, out, outsz, gs_cfg_num("ssh_timeout", 60));
}

static int ssh_copy(const gs_ssh_target *t, const char *local, const char *remote, char *err,
                    size_t n)
{
    char *argv[32], port[16], kh[600], dest[1200], out[1024], d[400];
    int a = 0;
    argv[a++] = "scp";
    argv[a++] = "-q";
    a = ssh_options(t, argv, a, 1, port, kh, sizeof kh);
    argv[a++] = (char *)local;
    destination(t, d, sizeof d);
    snprintf(dest, sizeof dest, "%s:%s", d, remote);
    argv[a++] = dest;
    argv[a] = NULL;
    int rc = gs_run_argv(argv, NULL, NULL, out, sizeof out, gs_cfg_num("ssh_timeout", 60) * 5);
    if (rc != 0)
        gs_errf(err, n, "scp of the agent to %s failed (status %d)", d, rc);
    return rc == 0 ? GS_OK : GS_EFAIL;
}

int gs_ssh_install_agent(const gs_ssh_target *t, const char *tag, const char *secret,
                         const char *port, char *err, size_t n)
{
    const char *agent = gs_ssh_agent_binary();
    if (!agent) {
        gs_errf(err, n, "set GPUSHIM_SSH_AGENT to the gpushim-agent binary to copy");
        return GS_ECONFIG;
    }
    char cmd[2048], out[2048], dir[512];
    snprintf(dir, sizeof dir, "%s/%s", gs_ssh_remote_dir(), tag);
    snprintf(cmd, sizeof cmd, "umask 077 && mkdir -p '%s'", dir);
    int rc = gs_ssh_run(t, cmd, NULL, out, sizeof out);
    if (rc != 0) {
        /* Nothing of ours exists there yet (at most an empty directory). */
        gs_errf(err, n, "ssh %s failed (status %d): %.200s", t->host, rc, out);
        return GS_EFAIL;
    }
    char remote[600];
    snprintf(remote, sizeof remote, "%s/gpushim-agent", dir);
    if (ssh_copy(t, agent, remote, err, n) != GS_OK)
        return GS_EMAYBE;
    /* The secret arrives on stdin; the agent starts detached, its pid and output kept. */
    snprintf(cmd, sizeof cmd,
             "cd '%s' && umask 077 && cat > secret && chmod 700 gpushim-agent && { "
             "GPUSHIM_INSTANCE_TAG='%s' nohup setsid ./gpushim-agent --listen \"%s:%s\" "
             "--secret-file \"$PWD/secret\" --idle-shutdown %d %s > agent.log 2>&1 "
             "< /dev/null & echo $! > agent.pid; }",
             dir, tag, gs_cfg("ssh_listen", "0.0.0.0"), port, gs_watchdog_seconds(),
             gs_cfg("ssh_agent_args", ""));
    char line[80];
    snprintf(line, sizeof line, "%s\n", secret);
    rc = gs_ssh_run(t, cmd, line, out, sizeof out);
    if (rc != 0) {
        gs_errf(err, n, "starting the agent over ssh on %s failed (status %d): %.200s",
                t->host, rc, out);
        return GS_EMAYBE;
    }
    return GS_OK;
}

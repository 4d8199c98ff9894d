/* prov_local.c: the `local` provider. An instance is a gpushim-agent process on this
 * machine (with the CPU device, or a local GPU), listening on a loopback port it picks.
 * Its pid and output live in <state dir>/local/<tag>.{pid,log}; the process carries
 * GPUSHIM_INSTANCE_TAG=<tag> in its environment, so after a daemon crash we find our
 * own agents again (list_ours) and never kill a stranger that reused the pid.
 * Config: agent_cmd (GPUSHIM_AGENT_CMD, default gs_agent_cmd()), driver (passed as
 * --driver), local_price ($/h, default 0), local_gpu (label, default "cpu-device"). */
#include "agentlog.h"
#include "config.h"
#include "paths.h"
#include "provider.h"
#include "util.h"

#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <unistd.h>

static int local_file(char *out, size_t n, const char *tag, const char *ext)
{
    char dir[3800];
    if (gs_state_subdir(dir, sizeof dir, "local") == -1)
        return -1;
    snprintf(out, n, "%s/%s%s", dir, tag, ext);
    return 0;
}

static int local_configured(char *why, size_t n)
{
    (void)why;
    (void)n;
    return 1;
}

static int local_offers(gs_offer *out, int max, char *err, size_t n)
{
    (void)err;
    (void)n;
    return gs_single_offer(out, max, "local", "local", gs_cfg("local_gpu", "cpu-device"),
                           gs_cfg_num("local_price", 0), "this machine");
}

/* 1: pid is a live (not zombie) process carrying our tag in its environment; 0: it is
 * dead; -1: alive, but its environment does not show the tag (yet: while a process is in
 * execve, /proc/PID/environ can read empty for a moment). */
static int check_agent_once(pid_t pid, const char *tag)
{
    int status;
    if (waitpid(pid, &status, WNOHANG) == pid)   /* our child that ended: reaped now */
        return 0;
    if (kill(pid, 0) == -1)
        return 0;
    char path[64], want[128];
    snprintf(path, sizeof path, "/proc/%d/stat", (int)pid);
    size_t len = 0;
    char *stat = gs_read_file(path, &len);
    if (stat) {
        char *rp = strrchr(stat, ')');
        int zombie = rp && rp[1] == ' ' && rp[2] == 'Z';
        free(stat);
        if (zombie)
            return 0;
    }
    snprintf(path, sizeof path, "/proc/%d/environ", (int)pid);
    snprintf(want, sizeof want, "GPUSHIM_INSTANCE_TAG=%s", tag);
    char *env = gs_read_file(path, &len);
    int found = 0;
    for (size_t off = 0; env && off < len; off += strlen(env + off) + 1)
        if (strcmp(env + off, want) == 0)
            found = 1;
    free(env);
    return found ? 1 : -1;
}

static int is_our_agent(pid_t pid, const char *tag)
{
    for (int attempt = 0; attempt < 20; attempt++) {
        int r = check_agent_once(pid, tag);
        if (r >= 0)
            return r;
        gs_sleep(0.025);
    }
    return 0;     /* alive but not ours: the pid was reused by a stranger */
}

static pid_t read_pid(const char *tag)
{
    char path[4096];
    if (local_file(path, sizeof path, tag, ".pid") == -1)
        return -1;
    char *s = gs_read_file(path, NULL);
    pid_t pid = s ? (pid_t)atoi(s) : -1;
    free(s);
    return pid > 0 ? pid : -1;
}

static void exec_agent(const gs_inst *in, const char *log)
{
    setsid();
    int fd = open(log, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0600);
    int devnull = open("/dev/null", O_RDONLY);
    if (fd >= 0) {
        dup2(fd, 1);
        dup2(fd, 2);
    }
    if (devnull >= 0)
        dup2(devnull, 0);
    char tagenv[128];
    snprintf(tagenv, sizeof tagenv, "GPUSHIM_INSTANCE_TAG=%s", in->tag);
    putenv(tagenv);
    const char *driver = gs_cfg("driver", NULL);
    char *argv[16];
    int a = 0;
    argv[a++] = "sh";
    argv[a++] = "-c";
    argv[a++] = "exec $GPUSHIM_AGENT_CMD_LINE \"$@\"";
    argv[a++] = "gpushim-agent";
    argv[a++] = "--listen";
    argv[a++] = "127.0.0.1:0";
    argv[a++] = "--secret-file";
    argv[a++] = (char *)in->secret_path;
    if (driver) {
        argv[a++] = "--driver";
        argv[a++] = (char *)driver;
    }
    char watchdog[32];
    snprintf(watchdog, sizeof watchdog, "%d", gs_watchdog_seconds());
    argv[a++] = "--idle-shutdown";
    argv[a++] = watchdog;
    argv[a] = NULL;
    setenv("GPUSHIM_AGENT_CMD_LINE", gs_agent_cmd(), 1);
    execv("/bin/sh", argv);
    _exit(127);
}

static int local_create(gs_inst *in, char *err, size_t n)
{
    char log[4096], pidpath[4096], pidtext[32];
    if (local_file(log, sizeof log, in->tag, ".log") == -1 ||
        local_file(pidpath, sizeof pidpath, in->tag, ".pid") == -1) {
        gs_errf(err, n, "cannot create the local instance directory: %s", strerror(errno));
        return GS_EFAIL;
    }
    /* The pipe's write end closes on exec: reading EOF means the agent's environment
     * (with our tag) is in place, so status can recognise the process from now on. */
    int sync[2];
    if (pipe2(sync, O_CLOEXEC) == -1) {
        gs_errf(err, n, "pipe: %s", strerror(errno));
        return GS_EFAIL;
    }
    pid_t pid = fork();
    if (pid == -1) {
        close(sync[0]);
        close(sync[1]);
        gs_errf(err, n, "fork: %s", strerror(errno));
        return GS_EFAIL;
    }
    if (pid == 0) {
        close(sync[0]);
        exec_agent(in, log);
    }
    close(sync[1]);
    char byte;
    while (read(sync[0], &byte, 1) == -1 && errno == EINTR)
        ;
    close(sync[0]);
    snprintf(pidtext, sizeof pidtext, "%d\n", (int)pid);
    if (gs_write_private_file(pidpath, pidtext) == -1) {
        kill(pid, SIGKILL);
        waitpid(pid, NULL, 0);
        gs_errf(err, n, "cannot write %s: %s", pidpath, strerror(errno));
        return GS_EFAIL;
    }
    gs_strlcpy(in->id, in->tag, sizeof in->id);
    gs_strlcpy(in->gpu, gs_cfg("local_gpu", "cpu-device"), sizeof in->gpu);
    in->price = gs_cfg_num("local_price", 0);
    in->storage_price = gs_cfg_num("local_storage_price", 0);
    gs_strlcpy(in->offer, "local", sizeof in->offer);
    return GS_OK;
}

static int local_status(gs_inst *in, char *err, size_t n)
{
    pid_t pid = read_pid(in->id);
    if (pid < 0 || !is_our_agent(pid, in->id)) {
        gs_strlcpy(in->state, GS_PSTATE_GONE, sizeof in->state);
        char log[4096];
        char *text = local_file(log, sizeof log, in->id, ".log") == 0 ? gs_read_file(log, NULL)
                                                                      : NULL;
        gs_errf(err, n, "the agent is not running%s%.200s", text && *text ? ": " : "",
                text ? text : "");
        gs_strlcpy(in->detail, err, sizeof in->detail);
        free(text);
        return GS_EGONE;
    }
    char log[4096];
    local_file(log, sizeof log, in->id, ".log");
    char *text = gs_read_file(log, NULL);
    in->port = gs_agent_port_from_log(text);
    free(text);
    gs_strlcpy(in->host, "127.0.0.1", sizeof in->host);
    gs_strlcpy(in->state, in->port ? GS_PSTATE_RUNNING : GS_PSTATE_PENDING, sizeof in->state);
    snprintf(in->detail, sizeof in->detail, "pid %d", (int)pid);
    return GS_OK;
}

static int local_destroy(gs_inst *in, char *err, size_t n)
{
    const char *tag = in->id[0] ? in->id : in->tag;
    pid_t pid = read_pid(tag);
    char path[4096];
    if (pid > 0 && is_our_agent(pid, tag)) {
        kill(-pid, SIGTERM);
        kill(pid, SIGTERM);
        for (int i = 0; i < 100 && is_our_agent(pid, tag); i++)
            gs_sleep(0.05);
        if (is_our_agent(pid, tag)) {
            kill(-pid, SIGKILL);
            kill(pid, SIGKILL);
            for (int i = 0; i < 100 && is_our_agent(pid, tag); i++)
                gs_sleep(0.05);
        }
        if (is_our_agent(pid, tag)) {
            gs_errf(err, n, "agent pid %d does not exit", (int)pid);
            return GS_EFAIL;
        }
    }
    if (local_file(path, sizeof path, tag, ".pid") == 0)
        unlink(path);
    return GS_OK;
}

static int local_list_ours(gs_inst *out, int max, char *err, size_t n)
{
    char probe[4096];
    if (local_file(probe, sizeof probe, "x", "") == -1) {
        gs_errf(err, n, "no state directory");
        return GS_EFAIL;
    }
    probe[strlen(probe) - 2] = '\0';          /* the directory itself */
    DIR *d = opendir(probe);
    if (!d)
        return 0;
    int count = 0;
    struct dirent *e;
    while ((e = readdir(d)) && count < max) {
        size_t len = strlen(e->d_name);
        if (len < 5 || strcmp(e->d_name + len - 4, ".pid") != 0 ||
            strncmp(e->d_name, GS_TAG_PREFIX, strlen(GS_TAG_PREFIX)) != 0)
            continue;
        gs_inst *in = &out[count];
        memset(in, 0, sizeof *in);
        snprintf(in->id, sizeof in->id, "%.*s", (int)(len - 4), e->d_name);
        gs_strlcpy(in->tag, in->id, sizeof in->tag);
        char ignored[256];
        if (local_status(in, ignored, sizeof ignored) == GS_OK) {
            in->price = gs_cfg_num("local_price", 0);
            in->storage_price = gs_cfg_num("local_storage_price", 0);
            gs_strlcpy(in->gpu, gs_cfg("local_gpu", "cpu-device"), sizeof in->gpu);
            count++;
        } else {
            char path[4096];
            if (snprintf(path, sizeof path, "%s/%s", probe, e->d_name) < (int)sizeof path)
                unlink(path);      /* a dead agent's pid file */
        }
    }
    closedir(d);
    return count;
}

const gs_provider gs_provider_local = {
    .name = "local",
    .help = "a gpushim-agent process on this machine (CPU device or local GPU)",
    .can_stop = 0,
    .granularity = "second",
    .min_seconds = 0,
    .configured = local_configured,
    .offers = local_offers,
    .create = local_create,
    .start = NULL,
    .stop = NULL,
    .destroy = local_destroy,
    .status = local_status,
    .list_ours = local_list_ours,
};

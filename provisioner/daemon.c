/* daemon.c: the provisioner daemon. It owns the instance of the configured provider and
 * the lease on it, which spans processes:
 *
 *   absent -> creating -> booting -> agent-ready/running -> idle -> stopping -> stopped
 *          (-> destroyed, for providers that cannot stop, or by policy)
 *
 * A session (an ACQUIRE connection) counts as active until it sends RELEASE or its socket
 * closes (the program exited or died). When the last session ends the idle grace
 * (GPUSHIM_IDLE_GRACE seconds) starts; when it runs out the instance is stopped.
 * The main thread multiplexes the socket and the timers with poll(); provider calls,
 * which block for seconds or minutes, run one at a time on a worker thread. Before every
 * provider call the intent is written to the ledger, and at start the daemon reconciles
 * the ledger with each configured provider's own list of our instances. */
#include "daemon.h"
#include "client.h"
#include "cloud.h"
#include "config.h"
#include "ledger.h"
#include "paths.h"
#include "provider.h"
#include "sshboot.h"
#include "traffic.h"
#include "util.h"

#include <errno.h>
#include <fcntl.h>
#include <jansson.h>
#include <poll.h>
#include <pthread.h>
#include <signal.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/file.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/un.h>
#include <unistd.h>

enum dstate { D_RECONCILING, D_ABSENT, D_CREATING, D_BOOTING, D_READY, D_STOPPING, D_STOPPED };

static const char *const dstate_names[] = {
    [D_RECONCILING] = "reconciling", [D_ABSENT] = "absent",   [D_CREATING] = "creating",
    [D_BOOTING] = "booting",         [D_READY] = "running",   [D_STOPPING] = "stopping",
    [D_STOPPED] = "stopped",
};

enum ckind { C_NEW, C_WAIT_ACQUIRE, C_SESSION, C_WAIT_UP, C_WAIT_DOWN };

#define MAX_CLIENTS 256

struct client {
    int fd;
    enum ckind kind;
    char buf[1024];
    size_t len;
    int pid;
    double last_progress;
};

enum job { JOB_NONE, JOB_RECONCILE, JOB_BRINGUP, JOB_STOP };

/* Everything the worker and the main thread share, under `lock`. */
static struct {
    pthread_mutex_t lock;
    enum dstate state;
    const gs_provider *prov;
    gs_inst inst;
    double state_since, ready_since, idle_since;
    int destroy_on_stop;        /* this stop destroys */
    int stop_from_ready;        /* this stop ends a running agent: read its traffic first */
    enum job running_job;       /* JOB_NONE when the worker is free */
    int job_ok;                 /* result of the finished job */
    int job_code;
    char job_err[512];
    char last_error[512];
    volatile sig_atomic_t shutting_down;
    volatile sig_atomic_t cancel_bringup;  /* DOWN while booting: give the instance back */
} D = { .lock = PTHREAD_MUTEX_INITIALIZER };

static struct client clients[MAX_CLIENTS];
static int n_clients;
static int wake_pipe[2] = { -1, -1 };
static volatile sig_atomic_t got_term;

static void logf_(const char *fmt, ...) __attribute__((format(printf, 1, 2)));
static void logf_(const char *fmt, ...)
{
    char ts[32];
    gs_format_time(gs_now(), ts, sizeof ts);
    fprintf(stderr, "%s gpushim-daemon[%d]: ", ts, (int)getpid());
    va_list ap;
    va_start(ap, fmt);
    vfprintf(stderr, fmt, ap);
    va_end(ap);
    fputc('\n', stderr);
    fflush(stderr);
}

static double grace_seconds(void) { return gs_cfg_num("idle_grace", 300); }
static double poll_interval(void) { return gs_cfg_num("poll_interval", 2); }

/* Must hold D.lock. */
static void set_state(enum dstate s)
{
    if (D.state != s)
        logf_("state %s -> %s (%s)", dstate_names[D.state], dstate_names[s],
              D.inst.id[0] ? D.inst.id : "-");
    D.state = s;
    D.state_since = gs_now();
}

/* ---- worker jobs -------------------------------------------------------------------- */

static int secret_file_for(gs_inst *in)
{
    char dir[3800];
    if (gs_state_subdir(dir, sizeof dir, "secrets") == -1)
        return -1;
    if (snprintf(in->secret_path, sizeof in->secret_path, "%s/%s.secret", dir, in->tag) >=
        (int)sizeof in->secret_path) {
        errno = ENAMETOOLONG;
        return -1;
    }
    char text[80];
    snprintf(text, sizeof text, "%s\n", in->secret);
    return gs_write_private_file(in->secret_path, text);
}

static void remove_secret(const gs_inst *in)
{
    if (in->secret_path[0])
        unlink(in->secret_path);
}

/* Finds our instance by tag after a create whose answer was lost. */
static int find_by_tag(const gs_provider *p, gs_inst *in)
{
    gs_inst found[64];
    char err[256];
    for (int attempt = 0; attempt < 5; attempt++) {
        int n = p->list_ours(found, 64, err, sizeof err);
        for (int i = 0; i < n; i++)
            if (strcmp(found[i].tag, in->tag) == 0) {
                gs_strlcpy(in->id, found[i].id, sizeof in->id);
                return 1;
            }
        gs_sleep(poll_interval());
    }
    return 0;
}

/* Closes the billed period and marks the instance stopped or destroyed in the ledger. */
static void record_down(const gs_provider *p, gs_inst *in, int destroyed, const char *why)
{
    ledger_period_close(p->name, in->id, gs_now(), why);
    ledger_set_state(p->name, in->id, destroyed ? "destroyed" : "stopped");
    ledger_event(p->name, in->id, destroyed ? "destroyed" : "stopped", in->price, why);
    if (destroyed)
        remove_secret(in);
}

static volatile int heartbeat_busy;   /* a heartbeat thread is querying the agent */

/* The last reading of a running instance's traffic counters before it stops: what moved
 * since the last heartbeat. An agent that does not answer (gone already) costs a refused
 * connection or the timeout. */
static void final_traffic(const gs_provider *p, const gs_inst *in)
{
    char err[256];
    if (!in->id[0] || !in->host[0] || in->port <= 0 || !in->secret_path[0])
        return;
    /* A heartbeat still reading would land after this reading and look like a reset. */
    for (int i = 0; i < 300 && heartbeat_busy; i++)
        gs_sleep(0.1);
    if (traffic_sample(p->name, in, 10, err, sizeof err) != 0)
        logf_("final traffic reading of %s: %s", in->id, err);
}

static int stop_or_destroy(const gs_provider *p, gs_inst *in, int destroy, const char *why,
                           char *err, size_t n)
{
    destroy = destroy || !p->can_stop;
    ledger_set_state(p->name, in->id, destroy ? "destroying" : "stopping");
    ledger_event(p->name, in->id, destroy ? "intent-destroy" : "intent-stop", in->price, why);
    int rc = GS_EFAIL;
    for (int attempt = 0; attempt < 4; attempt++) {
        rc = destroy ? p->destroy(in, err, n) : p->stop(in, err, n);
        if (rc == GS_EGONE)
            rc = GS_OK;                       /* already gone: nothing runs */
        if (rc == GS_OK || rc == GS_EAUTH || rc == GS_ECONFIG)
            break;
        logf_("%s %s failed (%s), retrying", destroy ? "destroy" : "stop", in->id, err);
        gs_sleep(poll_interval() * (attempt + 1));
    }
    if (rc != GS_OK) {
        ledger_event(p->name, in->id, "error", in->price, err);
        return rc;
    }
    record_down(p, in, destroy, why);
    return GS_OK;
}

/* GPUSHIM_BOOTSTRAP=ssh: once the provider reports the instance running with an SSH
 * endpoint, the agent is copied there and started with the instance's secret (on ssh's
 * stdin) as the `ssh` provider does, listening on the agent port the provider maps.
 * Returns 1 once done (or not wanted), 0 to try again at the next poll (not running or
 * no endpoint yet; sshd not answering: until ssh_boot_timeout s after the first try), -1
 * on failure with err set. */
static int ssh_bootstrap(const gs_provider *p, gs_inst *in, double *first_try, char *err,
                         size_t n)
{
    if (!p->ssh_bootstrap || !cloud_bootstrap_ssh())
        return 1;
    if (in->ssh_port <= 0 || !in->ssh_host[0] || strcmp(in->state, GS_PSTATE_RUNNING) != 0)
        return 0;     /* not up yet */
    gs_ssh_target t;
    gs_strlcpy(t.host, in->ssh_host, sizeof t.host);
    t.port = in->ssh_port;
    gs_strlcpy(t.user, gs_cfg("ssh_user", in->ssh_user), sizeof t.user);
    char port[48];
    snprintf(port, sizeof port, "${GPUSHIM_AGENT_PORT:-%d}", cloud_agent_port());
    char why[512] = "";
    int rc = gs_ssh_install_agent(&t, in->tag, in->secret, port, why, sizeof why);
    if (rc == GS_OK) {
        logf_("agent started on %s over ssh %s:%d", in->id, t.host, t.port);
        return 1;
    }
    if (*first_try == 0)
        *first_try = gs_now();
    if (rc == GS_EFAIL && gs_now() - *first_try < gs_cfg_num("ssh_boot_timeout", 60))
        return 0;
    gs_errf(err, n, "could not start the agent on instance %s over ssh: %s", in->id, why);
    return -1;
}

/* Brings the instance to "agent ready": restart our stopped one, or create a new one,
 * then wait until the provider says running and the agent's port answers. */
static int job_bringup(const gs_provider *p, gs_inst *in, char *err, size_t n)
{
    double asked = gs_now();
    int restarted = 0;
    gs_inst stopped;
    if (p->can_stop && ledger_find_stopped(p->name, &stopped) == 1) {
        *in = stopped;
        /* The agent will be started again with the secret the instance was made with. */
        char *secret = gs_read_file(in->secret_path, NULL);
        if (secret) {
            secret[strcspn(secret, "\n")] = '\0';
            gs_strlcpy(in->secret, secret, sizeof in->secret);
            free(secret);
        }
        ledger_event(p->name, in->id, "intent-start", in->price, NULL);
        ledger_set_state(p->name, in->id, "starting");
        int rc = p->start(in, err, n);
        if (rc == GS_EGONE) {
            record_down(p, in, 1, "vanished while stopped");
        } else if (rc != GS_OK) {
            ledger_set_state(p->name, in->id, "stopped");
            ledger_event(p->name, in->id, "error", in->price, err);
            /* A stopped instance that cannot restart (no capacity on its machine) is
             * destroyed so that its storage stops costing; a new one is created. */
            if (rc == GS_EAUTH || rc == GS_ECONFIG)
                return rc;
            char e2[256];
            stop_or_destroy(p, in, 1, "could not restart", e2, sizeof e2);
        } else {
            restarted = 1;
            ledger_period_open(p->name, in, p->granularity, p->min_seconds, asked);
            ledger_event(p->name, in->id, "started", in->price, NULL);
        }
    }
    if (!restarted) {
        memset(in, 0, sizeof *in);
        char hex[17];
        gs_random_hex(hex, 8);
        snprintf(in->tag, sizeof in->tag, GS_TAG_PREFIX "%s", hex);
        if (gs_random_hex(in->secret, 32) == -1 || secret_file_for(in) == -1) {
            gs_errf(err, n, "cannot create the instance secret: %s", strerror(errno));
            return GS_EFAIL;
        }
        ledger_put_instance(p->name, in, "creating");
        ledger_event(p->name, in->tag, "intent-create", 0, NULL);
        pthread_mutex_lock(&D.lock);
        D.inst = *in;
        pthread_mutex_unlock(&D.lock);
        asked = gs_now();
        int rc = p->create(in, err, n);
        if (rc == GS_EMAYBE) {
            logf_("create of %s got no answer; looking for it by tag", in->tag);
            ledger_event(p->name, in->tag, "create-unanswered", 0, err);
            if (find_by_tag(p, in))
                rc = GS_OK;
        }
        if (rc != GS_OK) {
            if (rc != GS_EMAYBE) {
                char key[160];
                snprintf(key, sizeof key, "pending:%s", in->tag);
                ledger_set_state(p->name, key, "destroyed");
                remove_secret(in);
            }
            ledger_event(p->name, in->tag, "error", 0, err);
            return rc;
        }
        ledger_rename_pending(p->name, in->tag, in->id);
        ledger_put_instance(p->name, in, "booting");
        ledger_period_open(p->name, in, p->granularity, p->min_seconds, asked);
        ledger_event(p->name, in->id, "created", in->price, in->offer);
    }
    pthread_mutex_lock(&D.lock);
    D.inst = *in;
    set_state(D_BOOTING);
    pthread_mutex_unlock(&D.lock);

    double deadline = gs_now() + gs_cfg_num("boot_timeout", 900);
    int agent_started = 0;
    double ssh_first_try = 0;
    while (!D.shutting_down && !D.cancel_bringup) {
        int rc = p->status(in, err, n);
        if (rc == GS_OK && !agent_started) {
            agent_started = ssh_bootstrap(p, in, &ssh_first_try, err, n);
            if (agent_started < 0) {
                ledger_event(p->name, in->id, "error", in->price, err);
                char e2[256];
                stop_or_destroy(p, in, 1, err, e2, sizeof e2);
                return GS_EFAIL;
            }
        }
        if (rc == GS_OK && agent_started && strcmp(in->state, GS_PSTATE_RUNNING) == 0 &&
            in->port > 0 && gs_tcp_probe(in->host, in->port, 2.0)) {
            ledger_put_instance(p->name, in, "running");
            ledger_event(p->name, in->id, "agent-ready", in->price, in->host);
            return GS_OK;
        }
        int dead = rc == GS_EGONE || (rc == GS_OK && (strcmp(in->state, GS_PSTATE_ERROR) == 0 ||
                                                     strcmp(in->state, GS_PSTATE_GONE) == 0));
        if (rc == GS_EAUTH || dead || gs_now() > deadline) {
            if (!dead && rc != GS_EAUTH)
                gs_errf(err, n, "the instance did not become ready in %.0f s (%s)",
                        gs_cfg_num("boot_timeout", 900), in->detail);
            else if (dead && !err[0])
                gs_errf(err, n, "the instance failed while booting: %s", in->detail);
            char e2[256];
            char why[300];
            snprintf(why, sizeof why, "boot failed: %.250s", err);
            stop_or_destroy(p, in, 1, why, e2, sizeof e2);
            return rc == GS_EAUTH ? rc : GS_EFAIL;
        }
        pthread_mutex_lock(&D.lock);
        D.inst = *in;
        pthread_mutex_unlock(&D.lock);
        gs_sleep(poll_interval());
    }
    gs_errf(err, n, "%s", D.shutting_down ? "the daemon is shutting down"
                                           : "cancelled by gpushim down");
    char e2[256];
    stop_or_destroy(p, in, 1, err, e2, sizeof e2);
    return GS_EFAIL;
}

static int is_known(const gs_inst *found, gs_inst *live, int n_live, char states[][16])
{
    for (int i = 0; i < n_live; i++)
        if ((live[i].id[0] && strcmp(live[i].id, found->id) == 0) ||
            (!live[i].id[0] && strcmp(live[i].tag, found->tag) == 0)) {
            if (!live[i].id[0]) {
                gs_strlcpy(live[i].id, found->id, sizeof live[i].id);
                gs_strlcpy(states[i], "creating", 16);
            }
            return i;
        }
    return -1;
}

/* Makes the ledger and one provider agree. Nothing of ours may run after a restart:
 * no session survives the daemon, so running instances are stopped (known ones, when the
 * provider can stop and the policy allows) or destroyed (unknown ones: we lack their
 * secret), and ledger rows whose instance vanished are closed. */
static void reconcile_provider(const gs_provider *p)
{
    gs_inst found[64], live[64];
    char states[64][16];
    char err[512];
    int n_found = p->list_ours(found, 64, err, sizeof err);
    if (n_found < 0) {
        logf_("reconcile %s: cannot list instances: %s", p->name, err);
        ledger_event(p->name, "-", "reconcile-failed", 0, err);
        return;
    }
    int n_live = ledger_live_instances(p->name, live, states, 64);
    int matched[64] = { 0 };
    int destroy_policy = strcmp(gs_cfg("orphan_policy", "stop"), "destroy") == 0;
    for (int i = 0; i < n_found; i++) {
        gs_inst *f = &found[i];
        int k = is_known(f, live, n_live, states);
        if (k >= 0) {
            matched[k] = 1;
            if (!live[k].tag[0])
                gs_strlcpy(live[k].tag, f->tag, sizeof live[k].tag);
            if (strcmp(states[k], "creating") == 0)
                ledger_rename_pending(p->name, live[k].tag, f->id);
        }
        if (strcmp(f->state, GS_PSTATE_GONE) == 0)
            continue;
        int running = strcmp(f->state, GS_PSTATE_STOPPED) != 0;
        if (!running && k >= 0) {
            /* Ours, stopped: kept for a restart. Stopped by itself (the agent's watchdog
             * halted it) while the ledger still counts it running: the run ends now. */
            if (strcmp(states[k], "stopped") != 0) {
                gs_inst in = live[k];
                gs_strlcpy(in.id, f->id, sizeof in.id);
                if (strcmp(states[k], "creating") == 0)
                    ledger_period_open(p->name, &in, p->granularity, p->min_seconds, gs_now());
                logf_("reconcile %s: %s found stopped", p->name, in.id);
                record_down(p, &in, 0, "found stopped (the agent's watchdog)");
            }
            continue;
        }
        int destroy = k < 0 || destroy_policy || !p->can_stop;
        gs_inst in = k >= 0 ? live[k] : *f;
        gs_strlcpy(in.id, f->id, sizeof in.id);
        if (k < 0) {
            ledger_put_instance(p->name, &in, "orphan");
            ledger_event(p->name, in.id, "orphan-found", f->price, f->state);
        } else if (strcmp(states[k], "running") != 0 && strcmp(states[k], "booting") != 0 &&
                   strcmp(states[k], "starting") != 0 && strcmp(states[k], "creating") != 0 &&
                   strcmp(states[k], "stopping") != 0 && strcmp(states[k], "destroying") != 0) {
            ledger_event(p->name, in.id, "found-running", f->price, states[k]);
        }
        if (k >= 0 && strcmp(states[k], "creating") == 0) {
            in.price = in.price > 0 ? in.price : f->price;
            ledger_period_open(p->name, &in, p->granularity, p->min_seconds, gs_now());
        }
        logf_("reconcile %s: %s %s (%s)", p->name, destroy ? "destroying" : "stopping", in.id,
              k < 0 ? "unknown" : "orphaned by a previous daemon");
        if (k >= 0 && running) {
            /* What its agent moved since the crashed daemon's last heartbeat. */
            if (f->host[0] && f->port > 0) {
                gs_strlcpy(in.host, f->host, sizeof in.host);
                in.port = f->port;
            }
            final_traffic(p, &in);
        }
        if (stop_or_destroy(p, &in, destroy, "reconciled after daemon restart", err,
                            sizeof err) != GS_OK)
            logf_("reconcile %s: %s failed: %s", p->name, in.id, err);
    }
    for (int k = 0; k < n_live; k++) {
        if (matched[k])
            continue;
        /* In our ledger, not at the provider: it is gone; stop counting it. */
        const char *key = live[k].id;
        char pending[160];
        if (!key[0]) {
            snprintf(pending, sizeof pending, "pending:%s", live[k].tag);
            key = pending;
        }
        ledger_period_close(p->name, key, gs_now(), "vanished");
        ledger_set_state(p->name, key, "destroyed");
        ledger_event(p->name, key, "vanished", live[k].price, states[k]);
        remove_secret(&live[k]);
    }
}

static void job_reconcile(void)
{
    const gs_provider *const *all = gs_providers();
    for (int i = 0; all[i]; i++) {
        char why[256];
        if (all[i]->configured(why, sizeof why))
            reconcile_provider(all[i]);
    }
}

static void *worker_main(void *arg)
{
    enum job job = (enum job)(long)arg;
    char err[512] = "";
    int rc = GS_OK;
    pthread_mutex_lock(&D.lock);
    const gs_provider *p = D.prov;
    gs_inst in = D.inst;
    int destroy = D.destroy_on_stop;
    int from_ready = D.stop_from_ready;
    pthread_mutex_unlock(&D.lock);
    if (job == JOB_RECONCILE)
        job_reconcile();
    else if (job == JOB_BRINGUP)
        rc = job_bringup(p, &in, err, sizeof err);
    else if (job == JOB_STOP) {
        if (from_ready)
            final_traffic(p, &in);
        rc = stop_or_destroy(p, &in, destroy, destroy ? "down --destroy" : "idle", err,
                             sizeof err);
    }
    pthread_mutex_lock(&D.lock);
    D.inst = in;
    D.job_code = rc;
    D.job_ok = rc == GS_OK;
    gs_strlcpy(D.job_err, err, sizeof D.job_err);
    pthread_mutex_unlock(&D.lock);
    char c = 'j';
    if (write(wake_pipe[1], &c, 1) != 1)
        logf_("wake pipe: %s", strerror(errno));
    return NULL;
}

/* ---- heartbeat ------------------------------------------------------------------------
 * While programs hold sessions the daemon tells the agent it is still wanted, so that the
 * agent's watchdog (--idle-shutdown, grace + margin) only fires when the daemon is gone:
 * a `gpushim-agent --stats ENDPOINT --secret-file FILE --json` query every
 * heartbeat_interval seconds (default 60; 0 disables), which the agent counts as activity.
 * Its answer carries the agent's traffic counters, which go to the ledger (traffic.c). */
static double last_heartbeat;

struct heartbeat {
    char provider[16];
    gs_inst inst;
};

static void *heartbeat_main(void *arg)
{
    struct heartbeat *h = arg;
    char err[256];
    if (traffic_sample(h->provider, &h->inst, 20, err, sizeof err) != 0)
        logf_("heartbeat to %s:%d failed: %s", h->inst.host, h->inst.port, err);
    free(h);
    heartbeat_busy = 0;
    return NULL;
}

/* Must hold D.lock. Also reads the traffic once when the last session has ended, so
 * that an idle instance's cost so far counts all its sessions' bytes. */
static void maybe_heartbeat(double now, int active_sessions)
{
    static int had_sessions;
    double every = gs_cfg_num("heartbeat_interval", 60);
    if (D.state != D_READY) {
        had_sessions = 0;
        return;
    }
    if (active_sessions)
        had_sessions = 1;
    int ended = !active_sessions && had_sessions;
    if (every <= 0 || heartbeat_busy ||
        !(ended || (active_sessions && now - last_heartbeat >= every)))
        return;
    struct heartbeat *h = calloc(1, sizeof *h);
    if (!h)
        return;
    gs_strlcpy(h->provider, D.prov->name, sizeof h->provider);
    h->inst = D.inst;
    last_heartbeat = now;
    had_sessions = active_sessions;
    heartbeat_busy = 1;
    pthread_t t;
    if (pthread_create(&t, NULL, heartbeat_main, h) != 0) {
        free(h);
        heartbeat_busy = 0;
        return;
    }
    pthread_detach(t);
}

/* Must hold D.lock. */
static void start_job(enum job job)
{
    pthread_t t;
    D.running_job = job;
    if (job == JOB_BRINGUP) {
        D.cancel_bringup = 0;
        set_state(D_CREATING);
    }
    else if (job == JOB_STOP) {
        D.stop_from_ready = D.state == D_READY;
        set_state(D_STOPPING);
    }
    if (pthread_create(&t, NULL, worker_main, (void *)(long)job) != 0) {
        logf_("cannot start a worker thread");
        D.running_job = JOB_NONE;
        return;
    }
    pthread_detach(t);
}

/* ---- clients ------------------------------------------------------------------------ */

static int count_kind(enum ckind k)
{
    int c = 0;
    for (int i = 0; i < n_clients; i++)
        c += clients[i].kind == k;
    return c;
}

static int sessions(void) { return count_kind(C_SESSION) + count_kind(C_WAIT_ACQUIRE); }

static void drop_client(int i)
{
    if (clients[i].kind == C_SESSION)
        logf_("session of pid %d ended", clients[i].pid);
    close(clients[i].fd);
    clients[i] = clients[--n_clients];
}

static void reply(struct client *c, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
static void reply(struct client *c, const char *fmt, ...)
{
    char line[4096];
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(line, sizeof line, fmt, ap);
    va_end(ap);
    gs_send_line(c->fd, line);
}

static const char *error_code_name(int code)
{
    switch (code) {
    case GS_EAUTH: return "auth";
    case GS_ECAPACITY: return "capacity";
    case GS_ECONFIG: return "config";
    default: return "provider";
    }
}

static void endpoint_of(const gs_inst *in, char *out, size_t n)
{
    snprintf(out, n, "%s:%d", in->host, in->port);
}

static void send_ready(struct client *c)
{
    char ep[300];
    endpoint_of(&D.inst, ep, sizeof ep);
    reply(c, "READY %s %s %s", ep, D.inst.secret_path, D.inst.id);
}

/* Public state name for status --json. Must hold D.lock. */
static const char *public_state(void)
{
    switch (D.state) {
    case D_RECONCILING:
    case D_ABSENT: return "none";
    case D_CREATING:
    case D_BOOTING: return "starting";
    case D_READY: return sessions() ? "running" : "idle";
    case D_STOPPING: return "stopping";
    case D_STOPPED: return "stopped";
    }
    return "none";
}

static void send_status(struct client *c)
{
    double now = gs_now();
    json_t *o = json_object();
    json_object_set_new(o, "provider", json_string(D.prov ? D.prov->name : "-"));
    int has = D.inst.id[0] && D.state != D_ABSENT && D.state != D_RECONCILING;
    json_object_set_new(o, "instance", has ? json_string(D.inst.id) : json_null());
    json_object_set_new(o, "state", json_string(public_state()));
    json_object_set_new(o, "daemon_state", json_string(dstate_names[D.state]));
    json_object_set_new(o, "gpu", has ? json_string(D.inst.gpu) : json_null());
    json_object_set_new(o, "price_per_hour", json_real(D.inst.price));
    json_object_set_new(o, "storage_price_per_hour", json_real(D.inst.storage_price));
    if (D.state == D_READY) {
        char ep[300];
        endpoint_of(&D.inst, ep, sizeof ep);
        json_object_set_new(o, "endpoint", json_string(ep));
        json_object_set_new(o, "uptime", json_real(now - D.ready_since));
        double left = sessions() ? -1 : grace_seconds() - (now - D.idle_since);
        json_object_set_new(o, "idle_seconds_left",
                            sessions() ? json_null() : json_real(left > 0 ? left : 0));
    }
    if (D.state == D_CREATING || D.state == D_BOOTING)
        json_object_set_new(o, "elapsed", json_real(now - D.state_since));
    json_object_set_new(o, "sessions", json_integer(sessions()));
    json_object_set_new(o, "idle_grace", json_real(grace_seconds()));
    if (D.last_error[0])
        json_object_set_new(o, "last_error", json_string(D.last_error));
    json_object_set_new(o, "daemon_pid", json_integer(getpid()));
    char *s = json_dumps(o, JSON_COMPACT);
    reply(c, "STATUS %s", s);
    free(s);
    json_decref(o);
}

/* Must hold D.lock: an ACQUIRE or UP needs the instance up. */
static void want_instance(void)
{
    if ((D.state == D_ABSENT || D.state == D_STOPPED) && D.running_job == JOB_NONE) {
        D.last_error[0] = '\0';
        start_job(JOB_BRINGUP);
    }
}

/* Answers DOWN/SHUTDOWN requests once nothing runs; starts the stop when the instance
 * is up and the worker free. With --destroy, a stopped instance (ours now, or one a
 * previous daemon left stopped in the ledger) is destroyed too: its storage is billed
 * until then. Must hold D.lock. */
static void settle_down_requests(void)
{
    if (!count_kind(C_WAIT_DOWN) || D.running_job != JOB_NONE)
        return;
    if (D.state == D_READY) {
        start_job(JOB_STOP);
        return;
    }
    if (D.destroy_on_stop && D.prov->can_stop && (D.state == D_STOPPED || D.state == D_ABSENT)) {
        gs_inst stopped;
        if (D.state == D_STOPPED && D.inst.id[0]) {
            start_job(JOB_STOP);
            return;
        }
        if (ledger_find_stopped(D.prov->name, &stopped) == 1) {
            D.inst = stopped;
            start_job(JOB_STOP);
            return;
        }
    }
    for (int i = n_clients - 1; i >= 0; i--)
        if (clients[i].kind == C_WAIT_DOWN) {
            if (D.last_error[0] && D.state != D_ABSENT && D.state != D_STOPPED)
                reply(&clients[i], "ERROR provider %s", D.last_error);
            else
                reply(&clients[i], "OK");
            drop_client(i);
        }
}

static void handle_request(int i, char *line)
{
    struct client *c = &clients[i];
    char word[32] = "";
    sscanf(line, "%31s", word);
    if (strcmp(word, "ACQUIRE") == 0 || strcmp(word, "UP") == 0) {
        if (D.shutting_down) {
            reply(c, "ERROR shutdown the gpushim daemon is shutting down");
            drop_client(i);
            return;
        }
        int acquire = word[0] == 'A';
        const char *want = strstr(line, " provider=");
        if (want && strcmp(want + 10, D.prov->name) != 0) {
            reply(c, "ERROR config the gpushim daemon runs provider %s, not %s; stop it with "
                     "`gpushim down --exit` to switch", D.prov->name, want + 10);
            drop_client(i);
            return;
        }
        if (acquire) {
            sscanf(line, "ACQUIRE %d", &c->pid);
            logf_("session of pid %d begins", c->pid);
        }
        if (D.state == D_READY) {
            send_ready(c);
            if (acquire) {
                c->kind = C_SESSION;
            } else {
                D.idle_since = sessions() ? D.idle_since : gs_now();
                drop_client(i);
            }
            return;
        }
        c->kind = acquire ? C_WAIT_ACQUIRE : C_WAIT_UP;
        c->last_progress = 0;
        want_instance();
    } else if (strcmp(word, "RELEASE") == 0 && c->kind == C_SESSION) {
        reply(c, "OK");
        drop_client(i);
    } else if (strcmp(word, "STATUS") == 0) {
        send_status(c);
        drop_client(i);
    } else if (strcmp(word, "DOWN") == 0 || strcmp(word, "SHUTDOWN") == 0) {
        int force = strstr(line, "force") != NULL || word[0] == 'S';
        if (sessions() && !force) {
            reply(c, "ERROR busy busy: %d session(s) attached; use --force to stop anyway",
                  sessions());
            drop_client(i);
            return;
        }
        if (word[0] == 'S')
            D.shutting_down = 1;
        D.destroy_on_stop = strstr(line, "destroy") != NULL;
        c->kind = C_WAIT_DOWN;
        if (D.running_job == JOB_BRINGUP)
            D.cancel_bringup = 1;
        settle_down_requests();
    } else {
        reply(c, "ERROR protocol unknown request");
        drop_client(i);
    }
}

static void read_client(int i)
{
    struct client *c = &clients[i];
    ssize_t r = read(c->fd, c->buf + c->len, sizeof c->buf - 1 - c->len);
    if (r <= 0) {
        drop_client(i);
        return;
    }
    c->len += (size_t)r;
    c->buf[c->len] = '\0';
    char *nl = strchr(c->buf, '\n');
    if (!nl) {
        if (c->len >= sizeof c->buf - 1)
            drop_client(i);
        return;
    }
    *nl = '\0';
    char line[1024];
    gs_strlcpy(line, c->buf, sizeof line);
    size_t used = (size_t)(nl + 1 - c->buf);
    memmove(c->buf, nl + 1, c->len - used);
    c->len -= used;
    handle_request(i, line);
}

static void accept_client(int lfd)
{
    int fd = accept4(lfd, NULL, NULL, SOCK_CLOEXEC);
    if (fd == -1)
        return;
    struct ucred cred;
    socklen_t len = sizeof cred;
    if (getsockopt(fd, SOL_SOCKET, SO_PEERCRED, &cred, &len) == -1 || cred.uid != getuid() ||
        n_clients >= MAX_CLIENTS) {
        close(fd);
        return;
    }
    clients[n_clients++] = (struct client){ .fd = fd, .kind = C_NEW };
}

/* After the worker finished: move the state machine and answer waiting clients.
 * Must hold D.lock. */
static void after_job(void)
{
    enum job job = D.running_job;
    D.running_job = JOB_NONE;
    if (job == JOB_RECONCILE) {
        gs_inst stopped;
        if (D.prov->can_stop && ledger_find_stopped(D.prov->name, &stopped) == 1) {
            D.inst = stopped;
            set_state(D_STOPPED);
        } else {
            set_state(D_ABSENT);
        }
    } else if (job == JOB_BRINGUP) {
        if (D.job_ok) {
            set_state(D_READY);
            D.ready_since = D.idle_since = gs_now();
        } else {
            gs_strlcpy(D.last_error, D.job_err, sizeof D.last_error);
            logf_("bring-up failed: %s", D.job_err);
            set_state(D_ABSENT);
        }
    } else if (job == JOB_STOP) {
        if (D.job_ok) {
            set_state(D.prov->can_stop && !D.destroy_on_stop ? D_STOPPED : D_ABSENT);
        } else {
            gs_strlcpy(D.last_error, D.job_err, sizeof D.last_error);
            logf_("stop failed: %s", D.job_err);
            set_state(D_READY);           /* still running: the grace logic retries */
            D.idle_since = gs_now();
        }
        D.destroy_on_stop = 0;
    }
    int stop_failed = job == JOB_STOP && !D.job_ok;
    for (int i = n_clients - 1; i >= 0; i--) {
        struct client *c = &clients[i];
        if (c->kind == C_WAIT_DOWN && stop_failed) {
            reply(c, "ERROR provider %s", D.last_error);
            drop_client(i);
        } else if ((c->kind == C_WAIT_ACQUIRE || c->kind == C_WAIT_UP) && job == JOB_BRINGUP) {
            if (D.job_ok) {
                send_ready(c);
                if (c->kind == C_WAIT_ACQUIRE)
                    c->kind = C_SESSION;
                else
                    drop_client(i);
            } else {
                reply(c, "ERROR %s %s", error_code_name(D.job_code), D.last_error);
                drop_client(i);
            }
        }
    }
    settle_down_requests();
    /* Someone still waits for an instance (arrived while stopping): bring it up again. */
    if (!D.shutting_down && D.running_job == JOB_NONE &&
        (count_kind(C_WAIT_ACQUIRE) || count_kind(C_WAIT_UP)))
        want_instance();
    if (D.state == D_READY && !sessions())
        D.idle_since = gs_now();
}

static void send_progress(double now)
{
    for (int i = 0; i < n_clients; i++) {
        struct client *c = &clients[i];
        if ((c->kind != C_WAIT_ACQUIRE && c->kind != C_WAIT_UP) || now - c->last_progress < 1)
            continue;
        c->last_progress = now;
        char price[32] = "";
        if (D.inst.price > 0 || D.state == D_BOOTING)
            snprintf(price, sizeof price, ", $%.3f/h", D.inst.price);
        reply(c, "PROGRESS gpushim: %s %s instance%s%s%s%s: %s, %.0f s", D.state == D_BOOTING ?
              "booting" : "starting", D.prov->name, D.inst.gpu[0] ? " (" : "", D.inst.gpu,
              price, D.inst.gpu[0] ? ")" : "", dstate_names[D.state], now - D.state_since);
    }
}

/* Timers: idle grace, shutdown, linger. Must hold D.lock. Returns 1 to exit. */
static int tick(double now, double *quiet_since)
{
    if (sessions())
        D.idle_since = now;     /* the grace counts from the last session's end */
    maybe_heartbeat(now, sessions());
    if (got_term && !D.shutting_down) {
        logf_("terminating: stopping the instance first");
        D.shutting_down = 1;
    }
    if (D.state == D_READY && D.running_job == JOB_NONE && !sessions() &&
        (D.shutting_down || now - D.idle_since >= grace_seconds())) {
        logf_("idle for %.1f s: stopping %s", now - D.idle_since, D.inst.id);
        start_job(JOB_STOP);
    }
    int settled = D.running_job == JOB_NONE &&
                  (D.state == D_ABSENT || D.state == D_STOPPED);
    if (D.shutting_down && settled && !count_kind(C_WAIT_DOWN))
        return 1;
    if (!settled || n_clients) {
        *quiet_since = now;
        return 0;
    }
    return now - *quiet_since >= gs_cfg_num("daemon_linger", 60);
}

static void on_term(int sig)
{
    (void)sig;
    got_term = 1;
}

static int open_socket(int *lock_fd)
{
    char dir[3900], path[4096], lockp[4096];
    if (gs_runtime_dir(dir, sizeof dir) == -1) {
        logf_("cannot create the runtime directory %s", dir);
        return -1;
    }
    snprintf(lockp, sizeof lockp, "%s/daemon.lock", dir);
    *lock_fd = open(lockp, O_RDWR | O_CREAT | O_CLOEXEC, 0600);
    if (*lock_fd == -1 || flock(*lock_fd, LOCK_EX | LOCK_NB) == -1) {
        logf_("another daemon is running (%s)", lockp);
        return -2;
    }
    snprintf(path, sizeof path, "%s/daemon.sock", dir);
    unlink(path);
    int fd = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0);
    struct sockaddr_un sa = { .sun_family = AF_UNIX };
    if (strlen(path) >= sizeof sa.sun_path) {
        logf_("socket path too long: %s", path);
        return -1;
    }
    gs_strlcpy(sa.sun_path, path, sizeof sa.sun_path);
    mode_t old = umask(077);
    int rc = bind(fd, (struct sockaddr *)&sa, sizeof sa);
    umask(old);
    if (rc == -1 || chmod(path, 0600) == -1 || listen(fd, 64) == -1) {
        logf_("cannot listen on %s: %s", path, strerror(errno));
        close(fd);
        return -1;
    }
    return fd;
}

int gs_daemon_main(void)
{
    gs_cfg_load();
    D.prov = gs_provider_current();
    if (!D.prov) {
        logf_("unknown provider '%s'", gs_cfg("provider", "local"));
        return 2;
    }
    char err[512];
    if (!D.prov->configured(err, sizeof err))
        logf_("provider %s is not configured: %s", D.prov->name, err);
    /* The lock first: a daemon that loses the race to start exits before touching anything. */
    int lock_fd = -1;
    int lfd = open_socket(&lock_fd);
    if (lfd < 0)
        return lfd == -2 ? 0 : 1;
    if (ledger_open(err, sizeof err) == -1) {
        logf_("%s", err);
        return 1;
    }
    if (pipe2(wake_pipe, O_CLOEXEC | O_NONBLOCK) == -1)
        return 1;
    signal(SIGPIPE, SIG_IGN);
    struct sigaction sa = { .sa_handler = on_term };
    sigaction(SIGTERM, &sa, NULL);
    sigaction(SIGINT, &sa, NULL);
    logf_("started: provider %s, idle grace %.1f s", D.prov->name, grace_seconds());
    pthread_mutex_lock(&D.lock);
    D.state = D_RECONCILING;
    D.state_since = gs_now();
    start_job(JOB_RECONCILE);
    pthread_mutex_unlock(&D.lock);
    double quiet_since = gs_now();
    for (;;) {
        struct pollfd pf[MAX_CLIENTS + 2];
        pf[0] = (struct pollfd){ lfd, POLLIN, 0 };
        pf[1] = (struct pollfd){ wake_pipe[0], POLLIN, 0 };
        for (int i = 0; i < n_clients; i++)
            pf[i + 2] = (struct pollfd){ clients[i].fd, POLLIN, 0 };
        int nfds = n_clients + 2;
        int r = poll(pf, (nfds_t)nfds, 200);
        if (r < 0 && errno != EINTR)
            break;
        pthread_mutex_lock(&D.lock);
        /* Clients from the back, so that drop_client's swap cannot skip one. */
        for (int i = nfds - 3; r > 0 && i >= 0; i--)
            if (pf[i + 2].revents & (POLLIN | POLLHUP | POLLERR))
                read_client(i);
        if (r > 0 && (pf[1].revents & POLLIN)) {
            char c;
            while (read(wake_pipe[0], &c, 1) == 1)
                ;
            after_job();
        }
        if (r > 0 && (pf[0].revents & POLLIN))
            accept_client(lfd);
        double now = gs_now();
        send_progress(now);
        int done = tick(now, &quiet_since);
        pthread_mutex_unlock(&D.lock);
        if (done)
            break;
    }
    logf_("exiting");
    pthread_mutex_lock(&D.lock);
    while (n_clients)
        drop_client(0);
    pthread_mutex_unlock(&D.lock);
    close(lfd);
    char path[4096];
    if (gs_socket_path(path, sizeof path) == 0)
        unlink(path);
    ledger_close();
    close(lock_fd);
    return 0;
}

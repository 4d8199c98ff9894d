/* client.c: connecting to (and spawning) the provisioner daemon, and the session API the
 * shim calls on its first CUDA call. The protocol is described in client.h. */
#include "client.h"
#include "paths.h"
#include "util.h"

#include <errno.h>
#include <fcntl.h>
#include <libgen.h>
#include <pthread.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/un.h>
#include <sys/wait.h>
#include <unistd.h>

int gs_send_line(int fd, const char *line)
{
    size_t len = strlen(line), off = 0;
    while (off < len) {
        ssize_t w = send(fd, line + off, len - off, MSG_NOSIGNAL);
        if (w < 0 && errno == EINTR)
            continue;
        if (w <= 0)
            return -1;
        off += (size_t)w;
    }
    return send(fd, "\n", 1, MSG_NOSIGNAL) == 1 ? 0 : -1;
}

int gs_read_line(int fd, char *out, size_t n)
{
    size_t len = 0;
    for (;;) {
        char c;
        ssize_t r = read(fd, &c, 1);
        if (r < 0 && errno == EINTR)
            continue;
        if (r < 0)
            return -1;
        if (r == 0) {
            out[len] = '\0';
            return len ? 1 : 0;
        }
        if (c == '\n')
            break;
        if (len + 1 < n)
            out[len++] = c;
    }
    out[len] = '\0';
    return 1;
}

static int try_connect(const char *path)
{
    int fd = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0);
    if (fd == -1)
        return -1;
    struct sockaddr_un sa = { .sun_family = AF_UNIX };
    gs_strlcpy(sa.sun_path, path, sizeof sa.sun_path);
    if (connect(fd, (struct sockaddr *)&sa, sizeof sa) == -1) {
        close(fd);
        return -1;
    }
    return fd;
}

/* The gpushim executable that runs the daemon. */
static void daemon_binary(char *out, size_t n)
{
    const char *env = getenv("GPUSHIM_BIN");
    if (env && *env) {
        gs_strlcpy(out, env, n);
        return;
    }
    char self[4096];
    ssize_t len = readlink("/proc/self/exe", self, sizeof self - 1);
    if (len > 0) {
        self[len] = '\0';
        if (strcmp(basename(self), "gpushim") == 0) {
            gs_strlcpy(out, self, n);
            return;
        }
    }
    gs_strlcpy(out, "gpushim", n);
}

static int spawn_daemon(char *err, size_t n)
{
    char bin[4096], state[3900], log[4096];
    daemon_binary(bin, sizeof bin);
    if (gs_state_dir(state, sizeof state) == -1) {
        gs_errf(err, n, "cannot create the state directory %s", state);
        return -1;
    }
    snprintf(log, sizeof log, "%s/daemon.log", state);
    /* The caller may be a multithreaded program (the shim): prepare everything before
     * fork, and do only async-signal-safe calls in the child. The daemon never inherits
     * LD_PRELOAD (a session's shim). */
    extern char **environ;
    size_t count = 0;
    while (environ[count])
        count++;
    char **env = calloc(count + 1, sizeof *env);
    if (!env) {
        gs_errf(err, n, "out of memory");
        return -1;
    }
    for (size_t i = 0, j = 0; i < count; i++)
        if (strncmp(environ[i], "LD_PRELOAD=", 11) != 0)
            env[j++] = environ[i];
    char *argv[] = { "gpushim", "daemon", NULL };
    static const char failed[] = "gpushim: cannot run the gpushim daemon (set GPUSHIM_BIN)\n";
    pid_t pid = fork();
    if (pid == -1) {
        free(env);
        gs_errf(err, n, "fork: %s", strerror(errno));
        return -1;
    }
    if (pid == 0) {
        setsid();
        if (fork() != 0)
            _exit(0);
        int fd = open(log, O_WRONLY | O_CREAT | O_APPEND, 0600);
        int devnull = open("/dev/null", O_RDONLY);
        if (devnull >= 0)
            dup2(devnull, 0);
        if (fd >= 0) {
            dup2(fd, 1);
            dup2(fd, 2);
        }
        for (int i = 3; i < 1024; i++)
            close(i);
        execvpe(bin, argv, env);
        if (write(2, failed, sizeof failed - 1) < 0)
            _exit(126);
        _exit(127);
    }
    free(env);
    int status;
    while (waitpid(pid, &status, 0) == -1 && errno == EINTR)
        ;
    return 0;
}

int gs_daemon_connect(int spawn, char *err, size_t n)
{
    char path[4096];
    if (gs_socket_path(path, sizeof path) == -1) {
        gs_errf(err, n, "cannot create the runtime directory for the daemon's socket");
        return -1;
    }
    int fd = try_connect(path);
    if (fd >= 0 || !spawn) {
        if (fd < 0)
            gs_errf(err, n, "no gpushim daemon is running (%s)", path);
        return fd;
    }
    if (spawn_daemon(err, n) == -1)
        return -1;
    for (int i = 1; i <= 300; i++) {         /* up to 30 s: the daemon reconciles first */
        fd = try_connect(path);
        if (fd >= 0)
            return fd;
        gs_sleep(0.1);
        /* A daemon that was still exiting (after `down --exit`) held the lock, so ours gave
         * way and left: spawn again each second. The lock keeps it to one daemon. */
        if (i % 10 == 0 && spawn_daemon(err, n) == -1)
            return -1;
    }
    gs_errf(err, n, "the gpushim daemon did not start (see its log under the state "
                    "directory, daemon.log)");
    return -1;
}

static pthread_mutex_t session_lock = PTHREAD_MUTEX_INITIALIZER;
static int session_fd = -1;

GS_EXPORT int gs_provisioner_acquire(char *endpoint, size_t endpoint_len, char *secret_path,
                                     size_t secret_path_len, char *err, size_t err_len)
{
    if (err && err_len)
        err[0] = '\0';
    pthread_mutex_lock(&session_lock);
    if (session_fd >= 0) {
        close(session_fd);
        session_fd = -1;
    }
    int fd = gs_daemon_connect(1, err, err_len);
    if (fd < 0) {
        pthread_mutex_unlock(&session_lock);
        return -1;
    }
    char line[4096], name[256] = "";
    ssize_t len = readlink("/proc/self/exe", line, sizeof line - 1);
    if (len > 0) {
        line[len] = '\0';
        gs_strlcpy(name, basename(line), sizeof name);
    }
    const char *provider = getenv("GPUSHIM_PROVIDER");
    snprintf(line, sizeof line, "ACQUIRE %d %s%s%s", (int)getpid(), name[0] ? name : "-",
             provider && *provider ? " provider=" : "", provider && *provider ? provider : "");
    const char *quiet = getenv("GPUSHIM_QUIET");
    int show = !(quiet && *quiet && strcmp(quiet, "0") != 0);
    int rc = -1;
    if (gs_send_line(fd, line) == -1) {
        gs_errf(err, err_len, "lost the gpushim daemon: %s", strerror(errno));
    } else {
        while (gs_read_line(fd, line, sizeof line) == 1) {
            if (strncmp(line, "PROGRESS ", 9) == 0) {
                if (show)
                    fprintf(stderr, "%s\n", line + 9);
                continue;
            }
            char ep[512], sp[3000];
            if (sscanf(line, "READY %511s %2999s", ep, sp) == 2) {
                gs_strlcpy(endpoint, ep, endpoint_len);
                gs_strlcpy(secret_path, sp, secret_path_len);
                rc = 0;
            } else if (strncmp(line, "ERROR ", 6) == 0) {
                gs_errf(err, err_len, "%s", line + 6);
            } else {
                gs_errf(err, err_len, "unexpected answer from the daemon: %.200s", line);
            }
            break;
        }
        if (rc == -1 && err && !err[0])
            gs_errf(err, err_len, "the gpushim daemon closed the connection");
    }
    if (rc == 0)
        session_fd = fd;
    else
        close(fd);
    pthread_mutex_unlock(&session_lock);
    return rc;
}

GS_EXPORT void gs_provisioner_release(void)
{
    pthread_mutex_lock(&session_lock);
    if (session_fd >= 0) {
        char line[64];
        if (gs_send_line(session_fd, "RELEASE") == 0)
            gs_read_line(session_fd, line, sizeof line);
        close(session_fd);
        session_fd = -1;
    }
    pthread_mutex_unlock(&session_lock);
}

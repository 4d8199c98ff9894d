/* util.c: small helpers shared by the provisioner (time, strings, files, secrets,
 * child processes with captured output and a time limit, TCP probe). */
#include "util.h"

#include <errno.h>
#include <fcntl.h>
#include <netdb.h>
#include <poll.h>
#include <signal.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>
#include <openssl/rand.h>

double gs_now(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_REALTIME, &ts);
    return (double)ts.tv_sec + ts.tv_nsec / 1e9;
}

void gs_sleep(double seconds)
{
    if (seconds <= 0)
        return;
    struct timespec ts = { (time_t)seconds, (long)((seconds - (time_t)seconds) * 1e9) };
    while (nanosleep(&ts, &ts) == -1 && errno == EINTR)
        ;
}

void gs_strlcpy(char *dst, const char *src, size_t n)
{
    if (n == 0)
        return;
    size_t len = src ? strlen(src) : 0;
    if (len >= n)
        len = n - 1;
    if (len)
        memcpy(dst, src, len);
    dst[len] = '\0';
}

void gs_errf(char *err, size_t n, const char *fmt, ...)
{
    if (!err || n == 0)
        return;
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(err, n, fmt, ap);
    va_end(ap);
}

int gs_mkdir_p(const char *path, mode_t mode)
{
    char buf[4096];
    gs_strlcpy(buf, path, sizeof buf);
    for (char *p = buf + 1; *p; p++) {
        if (*p != '/')
            continue;
        *p = '\0';
        if (mkdir(buf, mode) == -1 && errno != EEXIST)
            return -1;
        *p = '/';
    }
    if (mkdir(buf, mode) == -1 && errno != EEXIST)
        return -1;
    return 0;
}

char *gs_read_file(const char *path, size_t *len)
{
    FILE *f = fopen(path, "rb");
    if (!f)
        return NULL;
    size_t cap = 4096, n = 0;
    char *buf = malloc(cap);
    size_t got;
    while (buf && (got = fread(buf + n, 1, cap - n - 1, f)) > 0) {
        n += got;
        if (cap - n - 1 == 0) {
            char *nb = realloc(buf, cap * 2);
            if (!nb) {
                free(buf);
                buf = NULL;
                break;
            }
            buf = nb;
            cap *= 2;
        }
    }
    fclose(f);
    if (!buf)
        return NULL;
    buf[n] = '\0';
    if (len)
        *len = n;
    return buf;
}

int gs_write_private_file(const char *path, const char *data)
{
    char tmp[4200];
    snprintf(tmp, sizeof tmp, "%s.tmp%d", path, (int)getpid());
    int fd = open(tmp, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0600);
    if (fd == -1)
        return -1;
    size_t len = strlen(data), off = 0;
    while (off < len) {
        ssize_t w = write(fd, data + off, len - off);
        if (w <= 0) {
            close(fd);
            unlink(tmp);
            return -1;
        }
        off += (size_t)w;
    }
    if (fsync(fd) == -1 || close(fd) == -1 || rename(tmp, path) == -1) {
        unlink(tmp);
        return -1;
    }
    return 0;
}

int gs_random_hex(char *out, size_t nbytes)
{
    unsigned char raw[64];
    if (nbytes > sizeof raw || RAND_bytes(raw, (int)nbytes) != 1)
        return -1;
    for (size_t i = 0; i < nbytes; i++)
        sprintf(out + 2 * i, "%02x", raw[i]);
    out[2 * nbytes] = '\0';
    return 0;
}

void gs_format_time(double t, char *out, size_t n)
{
    if (t <= 0) {
        gs_strlcpy(out, "-", n);
        return;
    }
    time_t s = (time_t)t;
    struct tm tm;
    gmtime_r(&s, &tm);
    strftime(out, n, "%Y-%m-%d %H:%M:%S", &tm);
}

double gs_parse_time(const char *s)
{
    struct tm tm;
    memset(&tm, 0, sizeof tm);
    const char *end = strptime(s, "%Y-%m-%d %H:%M:%S", &tm);
    if (!end || *end)
        end = strptime(s, "%Y-%m-%dT%H:%M:%S", &tm);
    if (end && (*end == '\0' || *end == 'Z'))
        return (double)timegm(&tm);
    memset(&tm, 0, sizeof tm);
    end = strptime(s, "%Y-%m-%d", &tm);
    if (end && *end == '\0')
        return (double)timegm(&tm);
    char *e;
    double v = strtod(s, &e);
    if (e != s && *e == '\0' && v >= 0)
        return v;
    return -1;
}

static void set_child_env(char *const *env)
{
    for (; env && *env; env++)
        putenv(*env);
}

static int wait_child(pid_t pid, int outfd, char *out, size_t outsz, double timeout)
{
    size_t n = 0;
    double deadline = gs_now() + timeout;
    int status = 0, timed_out = 0;
    while (outfd >= 0) {
        int ms = (int)((deadline - gs_now()) * 1000);
        if (ms <= 0) {
            timed_out = 1;
            break;
        }
        struct pollfd p = { outfd, POLLIN, 0 };
        int r = poll(&p, 1, ms);
        if (r < 0 && errno == EINTR)
            continue;
        if (r <= 0) {
            timed_out = (r == 0);
            break;
        }
        char buf[4096];
        ssize_t got = read(outfd, buf, sizeof buf);
        if (got <= 0)
            break;
        if (out && n + 1 < outsz) {
            size_t take = (size_t)got < outsz - 1 - n ? (size_t)got : outsz - 1 - n;
            memcpy(out + n, buf, take);
            n += take;
        }
    }
    if (out && outsz)
        out[n] = '\0';
    if (outfd >= 0)
        close(outfd);
    /* The child may still run after closing stdout; wait for it within the deadline. */
    while (!timed_out) {
        pid_t w = waitpid(pid, &status, WNOHANG);
        if (w == pid)
            return WIFEXITED(status) ? WEXITSTATUS(status) : 128 + WTERMSIG(status);
        if (w == -1 && errno != EINTR)
            return -1;
        if (gs_now() > deadline)
            timed_out = 1;
        else
            gs_sleep(0.02);
    }
    kill(-pid, SIGKILL);
    kill(pid, SIGKILL);
    waitpid(pid, &status, 0);
    return 124;
}

static int spawn_and_wait(const char *path, char *const *argv, char *const *env,
                          const char *input, char *out, size_t outsz, double timeout)
{
    int outp[2], inp[2] = { -1, -1 };
    if (pipe2(outp, O_CLOEXEC) == -1)
        return -1;
    if (input && pipe2(inp, O_CLOEXEC) == -1) {
        close(outp[0]);
        close(outp[1]);
        return -1;
    }
    pid_t pid = fork();
    if (pid == -1) {
        close(outp[0]);
        close(outp[1]);
        if (input) {
            close(inp[0]);
            close(inp[1]);
        }
        return -1;
    }
    if (pid == 0) {
        setpgid(0, 0);
        int devnull = open("/dev/null", O_RDWR);
        dup2(input ? inp[0] : devnull, 0);
        dup2(outp[1], 1);
        set_child_env(env);
        execvp(path, argv);
        _exit(127);
    }
    close(outp[1]);
    if (input) {
        close(inp[0]);
        signal(SIGPIPE, SIG_IGN);
        size_t len = strlen(input), off = 0;
        while (off < len) {
            ssize_t w = write(inp[1], input + off, len - off);
            if (w <= 0)
                break;
            off += (size_t)w;
        }
        close(inp[1]);
    }
    return wait_child(pid, outp[0], out, outsz, timeout);
}

int gs_run_shell(const char *cmd, char *const *env, const char *input,
                 char *out, size_t outsz, double timeout)
{
    char *argv[] = { "sh", "-c", (char *)cmd, NULL };
    return spawn_and_wait("/bin/sh", argv, env, input, out, outsz, timeout);
}

int gs_run_argv(char *const *argv, char *const *env, const char *input,
                char *out, size_t outsz, double timeout)
{
    return spawn_and_wait(argv[0], argv, env, input, out, outsz, timeout);
}

int gs_tcp_probe(const char *host, int port, double timeout)
{
    char portstr[16];
    snprintf(portstr, sizeof portstr, "%d", port);
    struct addrinfo hints = { .ai_socktype = SOCK_STREAM }, *res = NULL;
    if (getaddrinfo(host, portstr, &hints, &res) != 0)
        return 0;
    int ok = 0;
    for (struct addrinfo *a = res; a && !ok; a = a->ai_next) {
        int fd = socket(a->ai_family, a->ai_socktype | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
        if (fd == -1)
            continue;
        if (connect(fd, a->ai_addr, a->ai_addrlen) == 0) {
            ok = 1;
        } else if (errno == EINPROGRESS) {
            struct pollfd p = { fd, POLLOUT, 0 };
            int soerr = 0;
            socklen_t sl = sizeof soerr;
            if (poll(&p, 1, (int)(timeout * 1000)) == 1 &&
                getsockopt(fd, SOL_SOCKET, SO_ERROR, &soerr, &sl) == 0 && soerr == 0)
                ok = 1;
        }
        close(fd);
    }
    freeaddrinfo(res);
    return ok;
}

/* private_agent.c - starts a private gpushim-agent on loopback for this process.
 *
 * Used when no endpoint is configured. The agent is found next to the library that holds this
 * code (dladdr), or named by GPUSHIM_AGENT; it gets a fresh secret in a 0600 file (removed once
 * the agent has read it), port 0, and --exit-when-idle, so it ends when our session ends. It
 * reports "PORT\n" (or "error: ...\n") on a pipe (--ready-fd). It is double-forked so that it
 * never becomes a zombie of the application, and it inherits none of the application's file
 * descriptors except the ready pipe; its stdout/stderr go to /dev/null unless GPUSHIM_AGENT_LOG
 * names a file. It runs without LD_PRELOAD and without our directory on LD_LIBRARY_PATH (see
 * agent_environment).
 */
#include <dlfcn.h>
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <poll.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "private_agent.h"

/* Relative places where the agent (and our CPU device) may sit next to this library. */
static const char *const agent_places[] = {
    "gpushim-agent",                          /* installed side by side */
    "../libexec/gpushim/gpushim-agent",       /* installed under lib/ */
    "../bin/gpushim-agent",
    "../remote-agent/agent/gpushim-agent",    /* build tree: shim/libgpushim.so */
    "../../remote-agent/agent/gpushim-agent", /* build tree: one level deeper */
};
static const char *const driver_places[] = {
    "gpushim/libcuda.so.1",
    "../libexec/gpushim/libcuda.so.1",
    "../remote-agent/cpu-device/libcuda.so.1",
    "../../remote-agent/cpu-device/libcuda.so.1",
};

/* Where this code was loaded from: the directory the loader used (may hold symlinks such as
 * the libcuda.so.1 face) and the real file behind it. */
typedef struct {
  char loaded_dir[PATH_MAX];
  char real_dir[PATH_MAX];
  char real_file[PATH_MAX];
} self_location;

static int locate_self(self_location *loc) {
  Dl_info info;
  if (!dladdr((void *)locate_self, &info) || !info.dli_fname) return -1;
  if (!realpath(info.dli_fname, loc->real_file)) return -1;
  char dir[PATH_MAX];
  snprintf(dir, sizeof dir, "%s", info.dli_fname);
  char *slash = strrchr(dir, '/');
  if (slash) *slash = 0;
  if (!realpath(slash ? dir : ".", loc->loaded_dir)) return -1;
  snprintf(loc->real_dir, sizeof loc->real_dir, "%s", loc->real_file);
  slash = strrchr(loc->real_dir, '/');
  if (slash) *slash = 0;
  return 0;
}

static int find_in(const char *dir, const char *const *places, size_t n, int want_exec,
                   char *out, size_t outlen) {
  for (size_t i = 0; i < n; i++) {
    if ((size_t)snprintf(out, outlen, "%s/%s", dir, places[i]) >= outlen) continue;
    if (access(out, want_exec ? X_OK : R_OK) == 0) return 0;
  }
  return -1;
}

static int find_next_to_self(const char *const *places, size_t n, int want_exec, char *out,
                             size_t outlen) {
  self_location loc;
  if (locate_self(&loc) < 0) return -1;
  if (find_in(loc.loaded_dir, places, n, want_exec, out, outlen) == 0) return 0;
  return find_in(loc.real_dir, places, n, want_exec, out, outlen);
}

/* True when a library directory would hand the agent our own library as libcuda.so.1. */
static int dir_serves_us(const char *dir, const self_location *loc) {
  char path[PATH_MAX], real[PATH_MAX];
  if (realpath(dir, real) && strcmp(real, loc->loaded_dir) == 0) return 1;
  if ((size_t)snprintf(path, sizeof path, "%s/libcuda.so.1", dir) >= sizeof path) return 0;
  return realpath(path, real) && strcmp(real, loc->real_file) == 0;
}

static int write_secret_file(const gs_secret *s, char *path, size_t pathlen) {
  const char *dir = getenv("XDG_RUNTIME_DIR");
  if (!dir || access(dir, W_OK) != 0) dir = getenv("TMPDIR");
  if (!dir || access(dir, W_OK) != 0) dir = "/tmp";
  snprintf(path, pathlen, "%s/gpushim-secret-XXXXXX", dir);
  int fd = mkstemp(path);
  if (fd < 0) return -1;
  fchmod(fd, 0600);
  int ok = write(fd, s->bytes, s->len) == (ssize_t)s->len;
  close(fd);
  if (!ok) unlink(path);
  return ok ? 0 : -1;
}

/* In the grandchild: fds 0/1/2 to /dev/null (or the log), ready pipe kept, the rest closed. */
/* The agent's environment: ours without LD_PRELOAD and without our own directory in
 * LD_LIBRARY_PATH, so that the agent never loads libgpushim (its faces are named
 * libcuda.so.1) in place of the device. Returns a NULL-terminated array (leaked on purpose
 * in the parent only until exec; freed by the caller). */
static char **agent_environment(void) {
  extern char **environ;
  self_location loc;
  int have_loc = locate_self(&loc) == 0;
  size_t n = 0;
  while (environ[n]) n++;
  char **env = calloc(n + 1, sizeof *env);
  if (!env) return NULL;
  size_t k = 0;
  for (size_t i = 0; i < n; i++) {
    if (strncmp(environ[i], "LD_PRELOAD=", 11) == 0) continue;
    if (strncmp(environ[i], "LD_LIBRARY_PATH=", 16) != 0 || !have_loc) {
      env[k++] = strdup(environ[i]);
      continue;
    }
    char *copy = strdup(environ[i] + 16), *save = NULL;
    char *out = calloc(1, strlen(environ[i]) + 1);
    if (!copy || !out) {
      free(copy);
      free(out);
      continue;
    }
    strcpy(out, "LD_LIBRARY_PATH=");
    int first = 1;
    for (char *e = strtok_r(copy, ":", &save); e; e = strtok_r(NULL, ":", &save)) {
      if (dir_serves_us(e, &loc)) continue;
      if (!first) strcat(out, ":");
      strcat(out, e);
      first = 0;
    }
    free(copy);
    env[k++] = out;
  }
  env[k] = NULL;
  return env;
}

static void free_environment(char **env) {
  for (size_t i = 0; env && env[i]; i++) free(env[i]);
  free(env);
}

/* Runs between fork and exec: async-signal-safe calls only (the app may have threads). */
static void exec_agent(char *const argv[], char *const envp[], int ready_fd, const char *log) {
  ready_fd = fcntl(ready_fd, F_DUPFD, 10); /* out of the way of 0-3 */
  int null = open("/dev/null", O_RDWR);
  int out = log ? open(log, O_WRONLY | O_CREAT | O_APPEND, 0600) : -1;
  if (out < 0) out = null;
  dup2(null, 0);
  dup2(out, 1);
  dup2(out, 2);
  dup2(ready_fd, 3); /* dup2 clears close-on-exec */
  for (int fd = 4; fd < 1024; fd++) close(fd);
  sigset_t none;
  sigemptyset(&none);
  sigprocmask(SIG_SETMASK, &none, NULL);
  setsid();
  execve(argv[0], argv, envp);
  _exit(127);
}

/* Reads the agent's "PORT\n" / "error: ...\n" line within timeout_ms. */
static int read_ready_line(int fd, int timeout_ms, char *line, size_t linelen) {
  size_t n = 0;
  struct timespec start;
  clock_gettime(CLOCK_MONOTONIC, &start);
  while (n + 1 < linelen) {
    struct timespec now;
    clock_gettime(CLOCK_MONOTONIC, &now);
    long spent = (now.tv_sec - start.tv_sec) * 1000 + (now.tv_nsec - start.tv_nsec) / 1000000;
    if (spent >= timeout_ms) return -2;
    struct pollfd p = {.fd = fd, .events = POLLIN};
    int r = poll(&p, 1, (int)(timeout_ms - spent));
    if (r < 0 && errno == EINTR) continue;
    if (r == 0) return -2;
    ssize_t got = read(fd, line + n, linelen - 1 - n);
    if (got < 0 && errno == EINTR) continue;
    if (got <= 0) break;
    n += (size_t)got;
    if (memchr(line, '\n', n)) break;
  }
  line[n] = 0;
  char *nl = strchr(line, '\n');
  if (nl) *nl = 0;
  return n > 0 ? 0 : -1;
}

int gs_private_agent_start(int timeout_ms, gs_endpoint *ep, gs_secret *secret, char *err,
                           size_t errlen) {
  char agent[PATH_MAX], driver[PATH_MAX], secret_path[PATH_MAX], fdtext[16];
  const char *env_agent = getenv("GPUSHIM_AGENT"), *env_driver = getenv("GPUSHIM_DRIVER");
  if (env_agent && *env_agent)
    snprintf(agent, sizeof agent, "%s", env_agent);
  else if (find_next_to_self(agent_places, sizeof agent_places / sizeof *agent_places, 1, agent,
                             sizeof agent) < 0) {
    snprintf(err, errlen,
             "no GPUSHIM_ENDPOINT is set and gpushim-agent was not found next to libgpushim: "
             "set GPUSHIM_ENDPOINT=HOST:PORT, or GPUSHIM_AGENT=/path/to/gpushim-agent");
    return -1;
  }
  int have_driver = 1;
  if (env_driver && *env_driver)
    snprintf(driver, sizeof driver, "%s", env_driver);
  else if (find_next_to_self(driver_places, sizeof driver_places / sizeof *driver_places, 0,
                             driver, sizeof driver) < 0)
    have_driver = 0; /* the agent has its own default */
  if (gs_secret_generate(secret) < 0 || write_secret_file(secret, secret_path, sizeof secret_path) < 0) {
    snprintf(err, errlen, "cannot create a secret file for the private agent: %s "
             "(set XDG_RUNTIME_DIR or TMPDIR to a writable directory)", strerror(errno));
    return -1;
  }
  int pipefd[2];
  if (pipe2(pipefd, O_CLOEXEC) < 0) {
    snprintf(err, errlen, "cannot start the private agent: pipe: %s", strerror(errno));
    unlink(secret_path);
    return -1;
  }
  char timeout_text[16];
  snprintf(fdtext, sizeof fdtext, "3");
  snprintf(timeout_text, sizeof timeout_text, "%d", (timeout_ms + 999) / 1000);
  char *argv[16];
  int a = 0;
  argv[a++] = agent;
  argv[a++] = "--listen";
  argv[a++] = "127.0.0.1:0";
  argv[a++] = "--secret-file";
  argv[a++] = secret_path;
  argv[a++] = "--exit-when-idle";
  argv[a++] = "--idle-shutdown";
  argv[a++] = timeout_text; /* exits if we never connect */
  argv[a++] = "--tls";
  argv[a++] = "auto";       /* loopback peers only: TLS exactly when GPUSHIM_TLS=on asks */
  argv[a++] = "--ready-fd";
  argv[a++] = fdtext;
  if (have_driver) {
    argv[a++] = "--driver";
    argv[a++] = driver;
  }
  argv[a] = NULL;

  const char *log = getenv("GPUSHIM_AGENT_LOG");
  char **envp = agent_environment();
  pid_t child = envp ? fork() : -1;
  if (child == 0) {
    if (fork() == 0) exec_agent(argv, envp, pipefd[1], log);
    _exit(0);
  }
  free_environment(envp);
  close(pipefd[1]);
  if (child > 0)
    while (waitpid(child, NULL, 0) < 0 && errno == EINTR) {
    }
  char line[256];
  int rc = child < 0 ? -1 : read_ready_line(pipefd[0], timeout_ms, line, sizeof line);
  close(pipefd[0]);
  unlink(secret_path);
  if (rc == -2) {
    snprintf(err, errlen, "the private agent %s did not start within %d s (raise GPUSHIM_TIMEOUT)",
             agent, timeout_ms / 1000);
    return -1;
  }
  if (rc < 0 || strncmp(line, "error: ", 7) == 0 || strspn(line, "0123456789") != strlen(line)) {
    snprintf(err, errlen, "the private agent %s failed to start: %s", agent,
             rc < 0 ? "it exited without a word (set GPUSHIM_AGENT_LOG=FILE to see why)"
                    : line + (strncmp(line, "error: ", 7) == 0 ? 7 : 0));
    return -1;
  }
  snprintf(ep->host, sizeof ep->host, "127.0.0.1");
  snprintf(ep->port, sizeof ep->port, "%s", line);
  return 0;
}

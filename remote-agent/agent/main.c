/* main.c - gpushim-agent: command line, then the server (server.c) or a stats query.
 *
 *   gpushim-agent --listen HOST:PORT --secret-file FILE [options]     serve
 *   gpushim-agent --stats HOST:PORT --secret-file FILE [--json]        print an agent's counters
 */
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "gs_stats.h"
#include "server.h"

static const char usage_text[] =
    "usage: gpushim-agent --listen HOST:PORT --secret-file FILE [options]\n"
    "       gpushim-agent --stats HOST:PORT --secret-file FILE [--json]\n"
    "Serves CUDA sessions for gpushim clients on a device (a libcuda.so.1).\n"
    "  --listen HOST:PORT     address to listen on; port 0 picks one and prints it\n"
    "  --secret-file FILE     shared secret (mode 600; e.g. `openssl rand -hex 32 > FILE`)\n"
    "  --driver PATH          libcuda.so.1 to use (default: $GPUSHIM_DRIVER, the CPU device\n"
    "                         next to this program, else NVIDIA's libcuda.so.1)\n"
    "  --device N             device ordinal (default 0)\n"
    "  --tls on|off|auto      TLS 1.3 (auto: required except from loopback; default auto)\n"
    "  --max-sessions N       concurrent sessions (default 64)\n"
    "  --exit-when-idle       exit when the last session ends\n"
    "  --idle-shutdown SECS   exit after SECS without any session (a --stats query, e.g.\n"
    "                         the provisioner's heartbeat, restarts the count)\n"
    "  --stats-file FILE      keep FILE updated with JSON statistics\n"
    "  --read-timeout SECS    a started message must arrive within SECS (default 30)\n"
    "  --max-message BYTES    largest message accepted (default 256 MiB)\n"
    "  --ready-fd N           write the chosen port (\"PORT\\n\") to fd N once listening\n"
    "  --json                 with --stats: print JSON\n"
    "  --version              print the wire protocol versions spoken\n";

/* The default device: our CPU device next to this executable, else NVIDIA's by name. */
static void default_driver(char *out, size_t outlen) {
  static const char *const places[] = {"libcuda.so.1", "../cpu-device/libcuda.so.1",
                                       "../libexec/gpushim/libcuda.so.1", "gpushim/libcuda.so.1"};
  const char *env = getenv("GPUSHIM_DRIVER");
  char self[PATH_MAX];
  if (env && *env) {
    snprintf(out, outlen, "%s", env);
    return;
  }
  ssize_t n = readlink("/proc/self/exe", self, sizeof self - 1);
  if (n > 0) {
    self[n] = 0;
    char *slash = strrchr(self, '/');
    if (slash) *slash = 0;
    for (size_t i = 0; i < sizeof places / sizeof *places; i++) {
      if ((size_t)snprintf(out, outlen, "%s/%s", self, places[i]) >= outlen) continue;
      if (access(out, R_OK) == 0) return;
    }
  }
  snprintf(out, outlen, "libcuda.so.1");
}

typedef struct {
  const char *listen, *secret_file, *driver, *tls, *stats_endpoint, *stats_file;
  int json, exit_when_idle, device, max_sessions, idle_shutdown, read_timeout, ready_fd;
  long long max_message;
} cli;

/* Options table: name, takes a value, where a string goes or an int goes. */
typedef struct {
  const char *name;
  const char **str;
  int *flag;         /* set to 1 (no value) */
  int *num;          /* integer value */
} option;

static int parse_args(int argc, char **argv, cli *c) {
  const option opts[] = {
      {"--listen", &c->listen, NULL, NULL},         {"--secret-file", &c->secret_file, NULL, NULL},
      {"--driver", &c->driver, NULL, NULL},         {"--tls", &c->tls, NULL, NULL},
      {"--stats", &c->stats_endpoint, NULL, NULL},  {"--stats-file", &c->stats_file, NULL, NULL},
      {"--json", NULL, &c->json, NULL},             {"--exit-when-idle", NULL, &c->exit_when_idle, NULL},
      {"--device", NULL, NULL, &c->device},         {"--max-sessions", NULL, NULL, &c->max_sessions},
      {"--idle-shutdown", NULL, NULL, &c->idle_shutdown},
      {"--read-timeout", NULL, NULL, &c->read_timeout},
      {"--ready-fd", NULL, NULL, &c->ready_fd},
  };
  for (int i = 1; i < argc; i++) {
    if (strcmp(argv[i], "--help") == 0 || strcmp(argv[i], "-h") == 0) {
      fputs(usage_text, stdout);
      exit(0);
    }
    if (strcmp(argv[i], "--version") == 0) {
      printf("gpushim-agent, wire protocol versions %u-%u\n", GS_PROTOCOL_MIN_VERSION,
             GS_PROTOCOL_MAX_VERSION);
      exit(0);
    }
    if (strcmp(argv[i], "--max-message") == 0 && i + 1 < argc) {
      c->max_message = atoll(argv[++i]);
      continue;
    }
    size_t k = 0;
    while (k < sizeof opts / sizeof *opts && strcmp(argv[i], opts[k].name) != 0) k++;
    if (k == sizeof opts / sizeof *opts) {
      fprintf(stderr, "gpushim-agent: unknown option %s (see --help)\n", argv[i]);
      return -1;
    }
    if (opts[k].flag) {
      *opts[k].flag = 1;
      continue;
    }
    if (i + 1 >= argc) {
      fprintf(stderr, "gpushim-agent: %s needs a value (see --help)\n", argv[i]);
      return -1;
    }
    const char *v = argv[++i];
    if (opts[k].str) {
      *opts[k].str = v;
    } else {
      char *end;
      long n = strtol(v, &end, 10);
      if (*end || n < 0 || n > INT_MAX) {
        fprintf(stderr, "gpushim-agent: %s wants a number, not %s\n", opts[k].name, v);
        return -1;
      }
      *opts[k].num = (int)n;
    }
  }
  return 0;
}

static int run_stats(const cli *c) {
  gs_agent_stats s;
  char err[512];
  if (gs_agent_stats_query(c->stats_endpoint, c->secret_file, &s, err, sizeof err) < 0) {
    fprintf(stderr, "gpushim-agent: %s\n", err);
    return 1;
  }
  gs_agent_stats_print(stdout, &s, c->json);
  gs_agent_stats_free(&s);
  return 0;
}

/* Reports a startup failure on stderr and on the ready pipe (the private-agent starter). */
static int fail_start(const cli *c, const char *msg) {
  fprintf(stderr, "gpushim-agent: %s\n", msg);
  if (c->ready_fd >= 0) dprintf(c->ready_fd, "error: %s\n", msg);
  return 2;
}

int main(int argc, char **argv) {
  cli c = {.max_sessions = 64, .read_timeout = 30, .ready_fd = -1, .max_message = 0};
  char err[512], driver[PATH_MAX];
  if (parse_args(argc, argv, &c) < 0) return 2;
  if (c.stats_endpoint) return run_stats(&c);
  if (!c.listen) return fail_start(&c, "--listen HOST:PORT is required (see --help)");
  if (!c.secret_file)
    return fail_start(&c, "refusing to start without --secret-file FILE (create one with "
                          "`umask 077; openssl rand -hex 32 > FILE`)");
  agent_options o = {.max_sessions = c.max_sessions > 0 ? c.max_sessions : 1,
                     .exit_when_idle = c.exit_when_idle,
                     .idle_shutdown_s = c.idle_shutdown,
                     .ready_fd = c.ready_fd,
                     .stats_file = c.stats_file,
                     .read_timeout_ms = (c.read_timeout > 0 ? c.read_timeout : 30) * 1000,
                     .handshake_timeout_ms = 10000,
                     .max_message = c.max_message > 0 && (size_t)c.max_message < GS_LINK_MAX_MESSAGE
                                        ? (size_t)c.max_message
                                        : GS_LINK_MAX_MESSAGE};
  if (gs_endpoint_parse(c.listen, &o.listen, err, sizeof err) < 0) return fail_start(&c, err);
  if (c.tls && gs_tls_mode_parse(c.tls, &o.tls_mode) < 0)
    return fail_start(&c, "--tls wants on, off or auto");
  if (gs_secret_load(c.secret_file, &o.secret, err, sizeof err) < 0) return fail_start(&c, err);
  if (c.driver)
    snprintf(driver, sizeof driver, "%s", c.driver);
  else
    default_driver(driver, sizeof driver);
  o.device.driver_path = driver;
  o.device.device_ordinal = c.device;
  int rc = agent_server_run(&o);
  gs_secret_wipe(&o.secret);
  return rc;
}

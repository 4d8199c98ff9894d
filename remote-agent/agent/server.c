/* server.c - gpushim-agent's server loop.
 *
 * The main thread accepts connections and watches for shutdown and idleness; every connection
 * gets a thread that authenticates it, opens a session, then reads a request, hands it to the
 * session and writes the reply, until the client leaves (or misbehaves: malformed framing,
 * oversized or stalled messages drop that connection only). Whatever way a connection ends,
 * its session is closed, which frees everything it held on the device. A ticker thread sends
 * keepalive records to clients whose request runs long, so a client's silence timeout measures
 * a dead agent, not a slow kernel.
 */
#include <errno.h>
#include <fcntl.h>
#include <stdint.h>
#include <stdarg.h>
#include <netinet/in.h>
#include <poll.h>
#include <pthread.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>
#include <arpa/inet.h>
#include <netdb.h>

#include "gs_stats.h"
#include "server.h"

#define TICK_MS 250
#define MAX_CONNECTIONS_EXTRA 16   /* unauthenticated connections beyond max_sessions */

typedef struct slot {
  struct slot *next;
  uint64_t id;
  char peer[48];
  int64_t started_ms;
  gs_conn *conn;
  pthread_t thread;
  int finished;              /* thread done: join and free */
  int is_session;            /* counted in sessions_live */
  agent_counters counters;   /* copy, refreshed after each request (stats read this) */
  pthread_mutex_t write_lock;
  int busy;                  /* a request is being handled */
  int64_t last_write_ms;
  int keepalive_ms;
} slot;

typedef struct {
  agent_options *opt;
  int listen_fd;
  int64_t started_ms;
  pthread_mutex_t lock;
  slot *slots;
  uint64_t next_id;
  uint32_t connections, sessions_live;
  uint64_t sessions_total, auth_failures, dropped;
  int64_t idle_since_ms;
  agent_counters ended;      /* counters of sessions that are gone */
  int stats_dirty;
} server;

static int stop_requested;   /* set by SIGTERM/SIGINT or the main loop; read by all threads */
static server srv;

static void on_signal(int sig) {
  (void)sig;
  __atomic_store_n(&stop_requested, 1, __ATOMIC_RELAXED); /* lock-free: signal-safe */
}

static int stopping(void) { return __atomic_load_n(&stop_requested, __ATOMIC_RELAXED); }

static int64_t now_ms(void) {
  struct timespec t;
  clock_gettime(CLOCK_MONOTONIC, &t);
  return (int64_t)t.tv_sec * 1000 + t.tv_nsec / 1000000;
}

static void add_counters(agent_counters *sum, const agent_counters *c) {
  sum->messages += c->messages;
  sum->round_trips += c->round_trips;
  sum->calls += c->calls;
  sum->bytes_in_wire += c->bytes_in_wire;
  sum->bytes_in_raw += c->bytes_in_raw;
  sum->bytes_out_wire += c->bytes_out_wire;
  sum->bytes_out_raw += c->bytes_out_raw;
}

static void log_line(const char *fmt, ...) __attribute__((format(printf, 1, 2)));
static void log_line(const char *fmt, ...) {
  char line[512];
  va_list ap;
  va_start(ap, fmt);
  vsnprintf(line, sizeof line, fmt, ap);
  va_end(ap);
  char stamp[32];
  time_t t = time(NULL);
  struct tm tm;
  strftime(stamp, sizeof stamp, "%Y-%m-%dT%H:%M:%SZ", gmtime_r(&t, &tm));
  fprintf(stderr, "%s gpushim-agent: %s\n", stamp, line);
}

/* ---- statistics ---- */

/* Snapshot under the server lock (caller frees s->sessions). */
static void stats_snapshot(gs_agent_stats *s) {
  memset(s, 0, sizeof *s);
  pthread_mutex_lock(&srv.lock);
  int64_t now = now_ms();
  s->uptime_ms = (uint64_t)(now - srv.started_ms);
  s->sessions_live = srv.sessions_live;
  s->max_sessions = (uint32_t)srv.opt->max_sessions;
  s->sessions_total = srv.sessions_total;
  s->auth_failures = srv.auth_failures;
  s->dropped = srv.dropped;
  s->total = srv.ended;
  s->sessions = srv.sessions_live ? calloc(srv.sessions_live, sizeof *s->sessions) : NULL;
  for (slot *sl = srv.slots; sl; sl = sl->next) {
    if (!sl->is_session) continue;
    add_counters(&s->total, &sl->counters);
    if (s->sessions && s->n_sessions < srv.sessions_live) {
      gs_session_stats *ss = &s->sessions[s->n_sessions++];
      ss->id = sl->id;
      ss->age_ms = (uint64_t)(now - sl->started_ms);
      snprintf(ss->peer, sizeof ss->peer, "%s", sl->peer);
      ss->counters = sl->counters;
    }
  }
  pthread_mutex_unlock(&srv.lock);
}

static int take_stats_dirty(void) {
  pthread_mutex_lock(&srv.lock);
  int dirty = srv.stats_dirty;
  srv.stats_dirty = 0;
  pthread_mutex_unlock(&srv.lock);
  return dirty;
}

static void write_stats_file(void) {
  if (!srv.opt->stats_file) return;
  char tmp[4096];
  snprintf(tmp, sizeof tmp, "%s.tmp", srv.opt->stats_file);
  FILE *f = fopen(tmp, "w");
  if (!f) return;
  gs_agent_stats s;
  stats_snapshot(&s);
  gs_agent_stats_print(f, &s, 1);
  gs_agent_stats_free(&s);
  if (fclose(f) == 0) rename(tmp, srv.opt->stats_file);
}

static void serve_stats(slot *sl) {
  gs_agent_stats s;
  gs_buffer b = {0};
  stats_snapshot(&s);
  if (gs_agent_stats_encode(&s, &b) == 0) gs_record_write(sl->conn, GS_REC_MESSAGE, b.data, b.len);
  gs_agent_stats_free(&s);
  gs_buffer_free(&b);
}

/* ---- one connection ---- */

static void send_error(slot *sl, const char *why) {
  pthread_mutex_lock(&sl->write_lock);
  gs_record_write(sl->conn, GS_REC_ERROR, why, strlen(why));
  pthread_mutex_unlock(&sl->write_lock);
}

static void count_drop(void) {
  pthread_mutex_lock(&srv.lock);
  srv.dropped++;
  pthread_mutex_unlock(&srv.lock);
}

/* Waits for the next request: idle clients may think as long as they like, but we look up
 * every tick for a shutdown. 1 = data, 0 = stop, -1 = closed. */
static int wait_for_request(slot *sl) {
  while (!stopping()) {
    int r = gs_conn_wait_readable(sl->conn, TICK_MS);
    if (r != 0) return r > 0 ? 1 : -1;
  }
  return 0;
}

/* Reads one request record; -1 = connection over (already logged/counted when hostile). */
static int read_request(slot *sl, gs_buffer *req, uint32_t *word) {
  int too_big;
  if (gs_record_read(sl->conn, req, srv.opt->max_message + 4, &too_big) < 0) {
    if (too_big) {
      log_line("session %llu: message over %zu bytes, connection dropped",
               (unsigned long long)sl->id, srv.opt->max_message);
      send_error(sl, "message too large");
      count_drop();
    } else if (gs_conn_error(sl->conn) == GS_CONN_TIMEOUT) {
      log_line("session %llu: message stalled for %d ms, connection dropped",
               (unsigned long long)sl->id, srv.opt->read_timeout_ms);
      count_drop();
    } else if (gs_conn_error(sl->conn) != GS_CONN_EOF) {
      log_line("session %llu: %s", (unsigned long long)sl->id, gs_conn_error_text(sl->conn));
      count_drop();
    }
    return -1;
  }
  if (req->len < 4 || (gs_get32(req->data) & ~GS_REC_FLAG_WAITS) != GS_REC_MESSAGE) {
    log_line("session %llu: malformed record, connection dropped", (unsigned long long)sl->id);
    send_error(sl, "malformed record");
    count_drop();
    return -1;
  }
  *word = gs_get32(req->data);
  return 0;
}

static void set_busy(slot *sl, int busy) {
  pthread_mutex_lock(&sl->write_lock);
  sl->busy = busy;
  sl->last_write_ms = now_ms();
  pthread_mutex_unlock(&sl->write_lock);
}

static void refresh_counters(slot *sl, agent_session *s) {
  agent_counters c;
  agent_session_counters(s, &c);
  pthread_mutex_lock(&srv.lock);
  sl->counters = c;
  srv.stats_dirty = 1;
  pthread_mutex_unlock(&srv.lock);
}

static void serve_session(slot *sl, agent_session *s) {
  gs_buffer req = {0}, reply = {0};
  uint32_t word;
  gs_conn_set_timeout(sl->conn, srv.opt->read_timeout_ms); /* bounds started reads/writes */
  for (;;) {
    if (wait_for_request(sl) <= 0) break;
    if (read_request(sl, &req, &word) < 0) break;
    set_busy(sl, 1);
    reply.len = 0;
    int rc = agent_session_handle(s, req.data + 4, req.len - 4,
                                  (word & GS_REC_FLAG_WAITS) != 0, &reply);
    refresh_counters(sl, s);
    pthread_mutex_lock(&sl->write_lock);
    sl->busy = 0;
    if (rc < 0) {
      gs_record_write(sl->conn, GS_REC_ERROR, "malformed message", 17);
    } else {
      rc = gs_record_write(sl->conn, GS_REC_MESSAGE, reply.data, reply.len);
    }
    pthread_mutex_unlock(&sl->write_lock);
    if (rc < 0) {
      log_line("session %llu: %s, connection dropped", (unsigned long long)sl->id,
               gs_conn_error(sl->conn) == GS_CONN_OK ? "malformed message"
                                                     : gs_conn_error_text(sl->conn));
      count_drop();
      break;
    }
  }
  gs_buffer_free(&req);
  gs_buffer_free(&reply);
}

/* Registers a session; refuses one over the limit (the handshake check may have raced). */
static int admit_session(slot *sl) {
  int ok;
  pthread_mutex_lock(&srv.lock);
  ok = srv.sessions_live < (uint32_t)srv.opt->max_sessions;
  if (ok) {
    srv.sessions_live++;
    srv.sessions_total++;
    sl->is_session = 1;
    sl->started_ms = now_ms();
    srv.stats_dirty = 1;
  }
  pthread_mutex_unlock(&srv.lock);
  return ok;
}

static void retire_session(slot *sl) {
  pthread_mutex_lock(&srv.lock);
  add_counters(&srv.ended, &sl->counters);
  memset(&sl->counters, 0, sizeof sl->counters);
  sl->is_session = 0;
  srv.sessions_live--;
  if (srv.sessions_live == 0) srv.idle_since_ms = now_ms();
  srv.stats_dirty = 1;
  pthread_mutex_unlock(&srv.lock);
}

static void *connection_main(void *arg) {
  slot *sl = arg;
  char err[256];
  gs_handshake_result hs;
  struct sockaddr_storage peer;
  socklen_t plen = sizeof peer;
  getpeername(gs_conn_fd(sl->conn), (struct sockaddr *)&peer, &plen);
  gs_agent_policy pol = {.tls_mode = srv.opt->tls_mode,
                         .peer_is_loopback = gs_sockaddr_is_loopback(&peer)};
  pthread_mutex_lock(&srv.lock);
  pol.busy = srv.sessions_live >= (uint32_t)srv.opt->max_sessions;
  pthread_mutex_unlock(&srv.lock);
  gs_conn_set_timeout(sl->conn, srv.opt->handshake_timeout_ms);
  int hs_rc = gs_handshake_agent(sl->conn, &srv.opt->secret, &pol, &hs, err, sizeof err);
  if (hs_rc < 0) {
    log_line("connection from %s refused: %s", sl->peer, err);
    pthread_mutex_lock(&srv.lock);
    if (hs_rc == -2) srv.auth_failures++;
    srv.stats_dirty = 1;
    pthread_mutex_unlock(&srv.lock);
    goto done;
  }
  if (hs.purpose == GS_PURPOSE_STATS) {
    /* a stats query is also the provisioner's heartbeat: it restarts --idle-shutdown */
    pthread_mutex_lock(&srv.lock);
    if (srv.sessions_live == 0) srv.idle_since_ms = now_ms();
    pthread_mutex_unlock(&srv.lock);
    serve_stats(sl);
    goto done;
  }
  if (!admit_session(sl)) {
    send_error(sl, "too many sessions (--max-sessions)");
    goto done;
  }
  /* keepalives well within the client's silence timeout */
  int keepalive_ms = hs.client_timeout_ms > 0 ? hs.client_timeout_ms / 3 : 1000;
  pthread_mutex_lock(&sl->write_lock);
  sl->keepalive_ms = keepalive_ms < 200 ? 200 : keepalive_ms;
  pthread_mutex_unlock(&sl->write_lock);
  agent_session *s = agent_session_open(&srv.opt->device, err, sizeof err);
  if (!s) {
    log_line("session %llu from %s: cannot open a device session: %s",
             (unsigned long long)sl->id, sl->peer, err);
    char line[300];
    snprintf(line, sizeof line, "cannot open a device session: %s", err);
    send_error(sl, line);
  } else {
    serve_session(sl, s);
    agent_session_close(s); /* frees all the session held, whatever way it ended */
  }
  retire_session(sl);
done:
  pthread_mutex_lock(&srv.lock);
  sl->finished = 1;
  pthread_mutex_unlock(&srv.lock);
  return NULL;
}

/* ---- the main thread: accepting, reaping, keepalives, idleness ---- */

static void peer_name(const struct sockaddr_storage *a, char *out, size_t outlen) {
  char host[64] = "?", port[16] = "?";
  getnameinfo((const struct sockaddr *)a, sizeof *a, host, sizeof host, port, sizeof port,
              NI_NUMERICHOST | NI_NUMERICSERV);
  snprintf(out, outlen, "%s:%s", host, port);
}

static void accept_one(void) {
  struct sockaddr_storage peer;
  socklen_t plen = sizeof peer;
  int fd = accept4(srv.listen_fd, (struct sockaddr *)&peer, &plen, SOCK_CLOEXEC);
  if (fd < 0) return;
  pthread_mutex_lock(&srv.lock);
  int full = srv.connections >= (uint32_t)srv.opt->max_sessions + MAX_CONNECTIONS_EXTRA;
  pthread_mutex_unlock(&srv.lock);
  if (full) { /* no thread for it: close at once */
    close(fd);
    return;
  }
  int one = 1;
  setsockopt(fd, IPPROTO_TCP, 1 /* TCP_NODELAY */, &one, sizeof one);
  slot *sl = calloc(1, sizeof *sl);
  gs_conn *c = sl ? gs_conn_wrap(fd) : NULL;
  if (!c) {
    if (!sl) close(fd);
    free(sl);
    return;
  }
  sl->conn = c;
  peer_name(&peer, sl->peer, sizeof sl->peer);
  pthread_mutex_init(&sl->write_lock, NULL);
  pthread_mutex_lock(&srv.lock);
  sl->id = ++srv.next_id;
  sl->next = srv.slots;
  srv.slots = sl;
  srv.connections++;
  pthread_mutex_unlock(&srv.lock);
  pthread_attr_t attr;
  pthread_attr_init(&attr);
  pthread_attr_setstacksize(&attr, 4u << 20); /* the session runs device calls on it */
  if (pthread_create(&sl->thread, &attr, connection_main, sl) != 0) {
    pthread_mutex_lock(&srv.lock);
    sl->finished = 1;
    sl->thread = 0;
    pthread_mutex_unlock(&srv.lock);
  }
  pthread_attr_destroy(&attr);
}

/* Joins finished connection threads and frees their slots. */
static void reap(int wait_all) {
  for (;;) {
    slot *done = NULL;
    pthread_mutex_lock(&srv.lock);
    for (slot **p = &srv.slots; *p; p = &(*p)->next)
      if ((*p)->finished || wait_all) {
        done = *p;
        *p = done->next;
        srv.connections--;
        break;
      }
    pthread_mutex_unlock(&srv.lock);
    if (!done) return;
    if (done->thread) pthread_join(done->thread, NULL);
    gs_conn_close(done->conn);
    pthread_mutex_destroy(&done->write_lock);
    free(done);
  }
}

static void *ticker_main(void *arg) {
  (void)arg;
  while (!stopping()) {
    usleep(TICK_MS * 1000);
    int64_t now = now_ms();
    pthread_mutex_lock(&srv.lock);
    for (slot *sl = srv.slots; sl; sl = sl->next) {
      /* trylock: a connection stuck writing to a client that does not read must not stall
       * the ticker (which holds the server lock) */
      if (pthread_mutex_trylock(&sl->write_lock) != 0) continue;
      if (sl->busy && now - sl->last_write_ms >= sl->keepalive_ms) {
        gs_record_write(sl->conn, GS_REC_KEEPALIVE, NULL, 0);
        sl->last_write_ms = now;
      }
      pthread_mutex_unlock(&sl->write_lock);
    }
    pthread_mutex_unlock(&srv.lock);
  }
  return NULL;
}

/* True when the idle rules say the agent should exit now. */
static int idle_exit_due(int64_t now) {
  pthread_mutex_lock(&srv.lock);
  int idle = srv.sessions_live == 0;
  int due = idle && srv.opt->exit_when_idle && srv.sessions_total > 0;
  if (idle && srv.opt->idle_shutdown_s > 0 &&
      now - srv.idle_since_ms >= (int64_t)srv.opt->idle_shutdown_s * 1000)
    due = 1;
  pthread_mutex_unlock(&srv.lock);
  return due;
}

static int open_listener(const gs_endpoint *ep, char *err, size_t errlen) {
  struct addrinfo hints = {.ai_socktype = SOCK_STREAM, .ai_flags = AI_PASSIVE}, *res = NULL;
  int rc = getaddrinfo(ep->host, ep->port, &hints, &res);
  if (rc != 0) {
    snprintf(err, errlen, "cannot resolve listen address %.200s: %s", ep->host, gai_strerror(rc));
    return -1;
  }
  int fd = -1, e = 0;
  for (struct addrinfo *a = res; a && fd < 0; a = a->ai_next) {
    fd = socket(a->ai_family, a->ai_socktype | SOCK_CLOEXEC, a->ai_protocol);
    if (fd < 0) continue;
    int one = 1;
    setsockopt(fd, SOL_SOCKET, SO_REUSEADDR, &one, sizeof one);
    if (bind(fd, a->ai_addr, a->ai_addrlen) < 0 || listen(fd, 64) < 0) {
      e = errno;
      close(fd);
      fd = -1;
    }
  }
  freeaddrinfo(res);
  if (fd < 0)
    snprintf(err, errlen, "cannot listen on %.200s:%s: %s", ep->host, ep->port, strerror(e));
  return fd;
}

static void report_ready(agent_options *o, int port) {
  int v6 = strchr(o->listen.host, ':') != NULL;
  printf("gpushim-agent: listening on %s%s%s:%d\n", v6 ? "[" : "", o->listen.host, v6 ? "]" : "",
         port);
  fflush(stdout);
  if (o->ready_fd >= 0) {
    char line[32];
    int n = snprintf(line, sizeof line, "%d\n", port);
    if (write(o->ready_fd, line, (size_t)n) < 0) {
    }
    close(o->ready_fd);
    o->ready_fd = -1;
  }
}

/* Device printf: NVIDIA's driver writes it to the process's stdout when the context
 * synchronizes. Once the agent has said where it listens, its stdout becomes a pipe whose text
 * goes to the session it belongs to (agent_device_output), as the CPU device's print hook does;
 * it may arrive with the session's next reply rather than this one. */
static void *read_device_stdout(void *arg) {
  int fd = (int)(intptr_t)arg;
  char buf[4096];
  ssize_t n;
  while ((n = read(fd, buf, sizeof buf)) > 0 || (n < 0 && errno == EINTR))
    if (n > 0) agent_device_output(buf, (size_t)n);
  close(fd);
  return NULL;
}

static void capture_device_stdout(void) {
  int p[2];
  if (pipe2(p, O_CLOEXEC) != 0) return;
  fflush(stdout);
  if (dup2(p[1], STDOUT_FILENO) < 0) {
    close(p[0]);
    close(p[1]);
    return;
  }
  close(p[1]);
  pthread_t t;
  if (pthread_create(&t, NULL, read_device_stdout, (void *)(intptr_t)p[0]) == 0) pthread_detach(t);
  else close(p[0]);
}

static int bound_port(int fd) {
  struct sockaddr_storage a;
  socklen_t len = sizeof a;
  getsockname(fd, (struct sockaddr *)&a, &len);
  if (a.ss_family == AF_INET6) return ntohs(((struct sockaddr_in6 *)&a)->sin6_port);
  return ntohs(((struct sockaddr_in *)&a)->sin_port);
}

static void install_signals(void) {
  struct sigaction sa = {0};
  sa.sa_handler = on_signal;
  sigemptyset(&sa.sa_mask);
  sigaction(SIGTERM, &sa, NULL);
  sigaction(SIGINT, &sa, NULL);
  signal(SIGPIPE, SIG_IGN);
}

int agent_server_run(agent_options *o) {
  char err[512];
  memset(&srv, 0, sizeof srv);
  srv.opt = o;
  pthread_mutex_init(&srv.lock, NULL);
  srv.started_ms = srv.idle_since_ms = now_ms();
  install_signals();
  srv.listen_fd = open_listener(&o->listen, err, sizeof err);
  if (srv.listen_fd < 0) {
    log_line("%s", err);
    if (o->ready_fd >= 0) dprintf(o->ready_fd, "error: %s\n", err);
    return 1;
  }
  report_ready(o, bound_port(srv.listen_fd));
  capture_device_stdout();
  pthread_t ticker;
  int have_ticker = pthread_create(&ticker, NULL, ticker_main, NULL) == 0;
  write_stats_file();
  while (!stopping()) {
    struct pollfd p = {.fd = srv.listen_fd, .events = POLLIN};
    if (poll(&p, 1, TICK_MS) > 0) accept_one();
    reap(0);
    if (take_stats_dirty()) write_stats_file();
    if (idle_exit_due(now_ms())) break;
  }
  __atomic_store_n(&stop_requested, 1, __ATOMIC_RELAXED);
  close(srv.listen_fd);
  /* wake threads blocked in reads; busy ones finish their request first */
  pthread_mutex_lock(&srv.lock);
  for (slot *sl = srv.slots; sl; sl = sl->next) gs_conn_shutdown(sl->conn);
  pthread_mutex_unlock(&srv.lock);
  reap(1);
  if (have_ticker) pthread_join(ticker, NULL);
  write_stats_file();
  pthread_mutex_destroy(&srv.lock);
  return 0;
}

/* conn.c - one connection: a TCP socket, optionally wrapped in TLS, with timed reads and writes.
 *
 * Timeouts come from SO_RCVTIMEO/SO_SNDTIMEO, so they also bound OpenSSL's reads and writes on
 * the (blocking) socket. Writes never raise SIGPIPE in the host program: plain writes use
 * MSG_NOSIGNAL, TLS writes block SIGPIPE on this thread and swallow a pending one afterwards.
 */
#include <errno.h>
#include <poll.h>
#include <pthread.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/time.h>
#include <time.h>
#include <unistd.h>

#include <openssl/err.h>
#include <openssl/ssl.h>

#include "transport.h"

#define GS_CONN_RBUF 16384   /* small reads (record headers, short messages) come from here */

struct gs_conn {
  int fd;
  SSL *ssl;
  size_t rpos, rlen;     /* unread bytes: rbuf[rpos, rlen) */
  uint8_t rbuf[GS_CONN_RBUF];
  int error;             /* GS_CONN_* of the last failure */
  char error_text[160];
};

gs_conn *gs_conn_wrap(int fd) {
  gs_conn *c = calloc(1, sizeof *c);
  if (!c) {
    close(fd);
    return NULL;
  }
  c->fd = fd;
  return c;
}

int gs_conn_fd(const gs_conn *c) { return c->fd; }
int gs_conn_error(const gs_conn *c) { return c->error; }
const char *gs_conn_error_text(const gs_conn *c) { return c->error_text; }

void gs_conn_set_timeout(gs_conn *c, int timeout_ms) {
  struct timeval tv = {.tv_sec = timeout_ms / 1000, .tv_usec = (timeout_ms % 1000) * 1000};
  setsockopt(c->fd, SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof tv);
  setsockopt(c->fd, SOL_SOCKET, SO_SNDTIMEO, &tv, sizeof tv);
}

static int fail(gs_conn *c, int code, const char *what) {
  c->error = code;
  snprintf(c->error_text, sizeof c->error_text, "%s", what);
  return -1;
}

static int fail_errno(gs_conn *c, int e) {
  if (e == EAGAIN || e == EWOULDBLOCK) return fail(c, GS_CONN_TIMEOUT, "timed out");
  if (e == 0) return fail(c, GS_CONN_EOF, "connection closed by peer");
  c->error = GS_CONN_IOERR;
  snprintf(c->error_text, sizeof c->error_text, "%s", strerror(e));
  return -1;
}

int gs_conn_wait_readable(gs_conn *c, int timeout_ms) {
  if (c->rpos < c->rlen) return 1;                   /* buffered here */
  if (c->ssl && SSL_has_pending(c->ssl)) return 1; /* buffered inside OpenSSL */
  struct pollfd p = {.fd = c->fd, .events = POLLIN};
  int r = poll(&p, 1, timeout_ms);
  if (r < 0) return errno == EINTR ? 0 : fail_errno(c, errno);
  return r > 0;
}

/* ---- SIGPIPE guard for OpenSSL's writes ---- */
typedef struct {
  sigset_t old;
  int was_pending;
} sigpipe_guard;

static void sigpipe_block(sigpipe_guard *g) {
  sigset_t pipe_set, pending;
  sigemptyset(&pipe_set);
  sigaddset(&pipe_set, SIGPIPE);
  sigpending(&pending);
  g->was_pending = sigismember(&pending, SIGPIPE);
  pthread_sigmask(SIG_BLOCK, &pipe_set, &g->old);
}

static void sigpipe_restore(sigpipe_guard *g) {
  if (!g->was_pending) {
    sigset_t pending, pipe_set;
    sigpending(&pending);
    if (sigismember(&pending, SIGPIPE)) {
      struct timespec zero = {0, 0};
      sigemptyset(&pipe_set);
      sigaddset(&pipe_set, SIGPIPE);
      while (sigtimedwait(&pipe_set, NULL, &zero) < 0 && errno == EINTR) {
      }
    }
  }
  pthread_sigmask(SIG_SETMASK, &g->old, NULL);
}

/* Maps an SSL_read/SSL_write failure to a conn error. */
static int fail_ssl(gs_conn *c, int ret) {
  int e = errno;
  int code = SSL_get_error(c->ssl, ret);
  if (code == SSL_ERROR_ZERO_RETURN) return fail(c, GS_CONN_EOF, "connection closed by peer");
  if (code == SSL_ERROR_WANT_READ || code == SSL_ERROR_WANT_WRITE)
    return fail(c, GS_CONN_TIMEOUT, "timed out");
  if (code == SSL_ERROR_SYSCALL) {
    ERR_clear_error();
    return fail_errno(c, e);
  }
  unsigned long ssl_err = ERR_get_error();
  ERR_clear_error();
  c->error = GS_CONN_TLSERR;
  snprintf(c->error_text, sizeof c->error_text, "TLS error: %s",
           ssl_err ? ERR_reason_error_string(ssl_err) : "unknown");
  return -1;
}

static ssize_t write_some(gs_conn *c, const uint8_t *p, size_t n) {
  if (!c->ssl) return send(c->fd, p, n, MSG_NOSIGNAL);
  sigpipe_guard g;
  sigpipe_block(&g);
  int chunk = n > (1u << 30) ? (1 << 30) : (int)n;
  int r = SSL_write(c->ssl, p, chunk);
  if (r <= 0) fail_ssl(c, r);
  sigpipe_restore(&g);
  return r <= 0 ? -2 : r;
}

int gs_conn_write(gs_conn *c, const void *buf, size_t n) {
  const uint8_t *p = buf;
  while (n > 0) {
    ssize_t w = write_some(c, p, n);
    if (w == -2) return -1;
    if (w < 0) {
      if (errno == EINTR) continue;
      return fail_errno(c, errno);
    }
    p += w;
    n -= (size_t)w;
  }
  return 0;
}

/* Reads from the socket or TLS into p. */
static ssize_t read_raw(gs_conn *c, uint8_t *p, size_t n) {
  if (!c->ssl) return recv(c->fd, p, n, 0);
  sigpipe_guard g;
  sigpipe_block(&g);
  int chunk = n > (1u << 30) ? (1 << 30) : (int)n;
  int r = SSL_read(c->ssl, p, chunk);
  if (r <= 0) fail_ssl(c, r);
  sigpipe_restore(&g);
  return r <= 0 ? -2 : r;
}

/* Serves small reads from rbuf (refilled with whatever is available), big ones directly. */
static ssize_t read_some(gs_conn *c, uint8_t *p, size_t n) {
  if (c->rpos == c->rlen) {
    if (n >= GS_CONN_RBUF) return read_raw(c, p, n);
    ssize_t r = read_raw(c, c->rbuf, GS_CONN_RBUF);
    if (r <= 0) return r;
    c->rpos = 0;
    c->rlen = (size_t)r;
  }
  size_t take = c->rlen - c->rpos < n ? c->rlen - c->rpos : n;
  memcpy(p, c->rbuf + c->rpos, take);
  c->rpos += take;
  return (ssize_t)take;
}

int gs_conn_read(gs_conn *c, void *buf, size_t n) {
  uint8_t *p = buf;
  while (n > 0) {
    ssize_t r = read_some(c, p, n);
    if (r == -2) return -1;
    if (r == 0) return fail(c, GS_CONN_EOF, "connection closed by peer");
    if (r < 0) {
      if (errno == EINTR) continue;
      return fail_errno(c, errno);
    }
    p += r;
    n -= (size_t)r;
  }
  return 0;
}

int gs_conn_tls_handshake(gs_conn *c, void *ssl, int is_server) {
  /* Bytes already buffered arrived in plaintext before TLS: a well-behaved peer never sends
   * any (each side waits for the other's last handshake record), and serving them later as if
   * they had come through TLS would let an attacker inject data. */
  if (c->rpos < c->rlen) return -2;
  sigpipe_guard g;
  sigpipe_block(&g);
  int r = is_server ? SSL_accept(ssl) : SSL_connect(ssl);
  sigpipe_restore(&g);
  if (r == 1) c->ssl = ssl;
  return r;
}

void gs_conn_shutdown(gs_conn *c) { shutdown(c->fd, SHUT_RDWR); }

void gs_conn_close(gs_conn *c) {
  if (!c) return;
  if (c->ssl) {
    sigpipe_guard g;
    sigpipe_block(&g);
    if (c->error == GS_CONN_OK) SSL_shutdown(c->ssl);
    sigpipe_restore(&g);
    SSL_free(c->ssl);
  }
  close(c->fd);
  free(c);
}

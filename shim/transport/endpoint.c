/* endpoint.c - "HOST:PORT" endpoints: parsing, loopback test, connecting with a timeout. */
#include <errno.h>
#include <fcntl.h>
#include <netdb.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <poll.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

#include "transport.h"

/* Accepts HOST:PORT and [V6ADDR]:PORT. */
int gs_endpoint_parse(const char *text, gs_endpoint *out, char *err, size_t errlen) {
  memset(out, 0, sizeof *out);
  const char *host = text, *colon;
  size_t host_len;
  if (text[0] == '[') {
    const char *close = strchr(text, ']');
    if (!close || close[1] != ':') goto bad;
    host = text + 1;
    host_len = (size_t)(close - host);
    colon = close + 1;
  } else {
    colon = strrchr(text, ':');
    if (!colon) goto bad;
    host_len = (size_t)(colon - text);
  }
  const char *port = colon + 1;
  size_t port_len = strlen(port);
  if (host_len == 0 || host_len >= sizeof out->host || port_len == 0 ||
      port_len >= sizeof out->port || strspn(port, "0123456789") != port_len ||
      atol(port) > 65535)
    goto bad;
  memcpy(out->host, host, host_len);
  memcpy(out->port, port, port_len);
  return 0;
bad:
  snprintf(err, errlen, "endpoint \"%s\" is not HOST:PORT (e.g. 127.0.0.1:7000 or [::1]:7000)",
           text);
  return -1;
}

int gs_sockaddr_is_loopback(const void *sa_) {
  const struct sockaddr *sa = sa_;
  if (sa->sa_family == AF_INET) {
    const struct sockaddr_in *in = sa_;
    return (ntohl(in->sin_addr.s_addr) >> 24) == 127;
  }
  if (sa->sa_family == AF_INET6) {
    const struct sockaddr_in6 *in6 = sa_;
    if (IN6_IS_ADDR_LOOPBACK(&in6->sin6_addr)) return 1;
    if (IN6_IS_ADDR_V4MAPPED(&in6->sin6_addr)) return in6->sin6_addr.s6_addr[12] == 127;
  }
  return 0;
}

/* Loopback when every address the host resolves to is loopback. */
int gs_endpoint_is_loopback(const gs_endpoint *e) {
  struct addrinfo hints = {.ai_socktype = SOCK_STREAM}, *res = NULL;
  if (getaddrinfo(e->host, e->port, &hints, &res) != 0) return 0;
  int all = res != NULL;
  for (struct addrinfo *a = res; a; a = a->ai_next)
    if (!gs_sockaddr_is_loopback(a->ai_addr)) all = 0;
  freeaddrinfo(res);
  return all;
}

static void tune_socket(int fd) {
  int one = 1;
  setsockopt(fd, IPPROTO_TCP, TCP_NODELAY, &one, sizeof one);
  setsockopt(fd, SOL_SOCKET, SO_KEEPALIVE, &one, sizeof one);
}

/* Connects one address within timeout_ms; fd or -1 with errno set. */
static int connect_one(const struct addrinfo *a, int timeout_ms) {
  int fd = socket(a->ai_family, a->ai_socktype | SOCK_CLOEXEC | SOCK_NONBLOCK, a->ai_protocol);
  if (fd < 0) return -1;
  if (connect(fd, a->ai_addr, a->ai_addrlen) < 0) {
    if (errno != EINPROGRESS) goto fail;
    struct pollfd p = {.fd = fd, .events = POLLOUT};
    int r;
    do r = poll(&p, 1, timeout_ms);
    while (r < 0 && errno == EINTR);
    if (r == 0) {
      errno = ETIMEDOUT;
      goto fail;
    }
    int soerr = 0;
    socklen_t len = sizeof soerr;
    getsockopt(fd, SOL_SOCKET, SO_ERROR, &soerr, &len);
    if (r < 0 || soerr) {
      errno = soerr ? soerr : errno;
      goto fail;
    }
  }
  fcntl(fd, F_SETFL, fcntl(fd, F_GETFL) & ~O_NONBLOCK);
  tune_socket(fd);
  return fd;
fail:;
  int e = errno;
  close(fd);
  errno = e;
  return -1;
}

int gs_endpoint_connect(const gs_endpoint *e, int timeout_ms, char *err, size_t errlen) {
  struct addrinfo hints = {.ai_socktype = SOCK_STREAM}, *res = NULL;
  int rc = getaddrinfo(e->host, e->port, &hints, &res);
  if (rc != 0) {
    snprintf(err, errlen, "cannot resolve agent host %s: %s (check GPUSHIM_ENDPOINT)", e->host,
             gai_strerror(rc));
    return -1;
  }
  int fd = -1, last = 0;
  for (struct addrinfo *a = res; a && fd < 0; a = a->ai_next) {
    fd = connect_one(a, timeout_ms);
    if (fd < 0) last = errno;
  }
  freeaddrinfo(res);
  if (fd < 0)
    snprintf(err, errlen,
             "cannot reach the gpushim agent at %s:%s: %s (is gpushim-agent running there and "
             "GPUSHIM_ENDPOINT right?)",
             e->host, e->port, strerror(last));
  return fd;
}

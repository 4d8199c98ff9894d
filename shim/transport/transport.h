/* transport.h - the transport's internal interface, shared by the client link (shim/transport)
 * and the agent server (remote-agent/agent).
 *
 * A connection (gs_conn) is a TCP socket, optionally wrapped in TLS 1.3. On it travel records
 * (ONC RPC record marking, RFC 5531 section 11: 4-byte fragment headers, high bit = last
 * fragment). The first records are the handshake (auth.c), then each record is one message
 * prefixed by a 4-byte transport word (GS_REC_*).
 *
 * Connection setup, in order (auth.c has the byte layouts):
 *   1. client -> HELLO      magic, version range, purpose (session/stats), TLS wish, timeout,
 *                           client nonce
 *   2. agent  -> CHALLENGE  status, chosen version, TLS decision, agent nonce, agent proof
 *   3. client -> PROOF      client proof
 *   4. agent  -> RESULT     status (accepted / refused credential)
 *   5. if TLS: TLS 1.3 handshake on the same socket, PSK derived from the secret and both nonces
 *   6. messages.
 * Proofs are HMAC-SHA256(secret, label || client nonce || agent nonce || version || tls ||
 * purpose), with different labels for the two directions: each side shows it knows the secret
 * without revealing it, and neither proof can be replayed (fresh nonces from both sides).
 */
#ifndef GPUSHIM_TRANSPORT_H
#define GPUSHIM_TRANSPORT_H

#include <stddef.h>
#include <stdint.h>

#include "link.h"

#define GS_PROTOCOL_MIN_VERSION 1u   /* wire versions this build speaks */
#define GS_PROTOCOL_MAX_VERSION 1u
#define GS_SECRET_MAX 256u
#define GS_SECRET_MIN 16u
#define GS_NONCE_LEN 32u
#define GS_PROOF_LEN 32u
#define GS_DEFAULT_TIMEOUT_S 60

/* The transport word in front of every message after the handshake. */
enum {
  GS_REC_MESSAGE = 1,     /* a request (client->agent) or its reply (agent->client) */
  GS_REC_KEEPALIVE = 2,   /* agent->client while a request runs long: "still working" */
  GS_REC_ERROR = 3,       /* agent->client: one line saying why the agent drops the link */
};
#define GS_REC_FLAG_WAITS 0x100u   /* on a request: the client blocks on its reply */

#define GS_WANT_TLS_EITHER 2

/* Why a connection was set up (HELLO purpose). */
enum { GS_PURPOSE_SESSION = 1, GS_PURPOSE_STATS = 2 };

/* CHALLENGE / RESULT status codes. */
enum {
  GS_HS_OK = 0,
  GS_HS_VERSION_MISMATCH = 1,
  GS_HS_TLS_REQUIRED = 2,       /* agent policy demands TLS, client asked for none */
  GS_HS_TLS_UNAVAILABLE = 3,    /* client demands TLS, agent runs with --tls off */
  GS_HS_BUSY = 4,               /* --max-sessions reached */
  GS_HS_BAD_HELLO = 5,
  GS_HS_REFUSED = 6,            /* client proof wrong: credential refused */
};

typedef struct {
  uint8_t bytes[GS_SECRET_MAX];
  size_t len;
} gs_secret;

/* ---- secret.c ---- */
/* Loads a secret file (trailing whitespace dropped). Refuses files readable by group/others. */
int gs_secret_load(const char *path, gs_secret *out, char *err, size_t errlen);
/* Fills `out` with a fresh random secret (hex text, so it is also a valid file content). */
int gs_secret_generate(gs_secret *out);
void gs_secret_wipe(gs_secret *s);

/* ---- conn.c: one socket, plain or TLS; every read/write has a timeout ---- */
typedef struct gs_conn gs_conn;
gs_conn *gs_conn_wrap(int fd);                      /* takes ownership of fd */
int gs_conn_fd(const gs_conn *c);
/* Timeout for a read or write that has started (ms, 0 = none). */
void gs_conn_set_timeout(gs_conn *c, int timeout_ms);
/* Waits up to timeout_ms for readable data (TLS-buffered data counts). 1 ready, 0 timed out,
 * -1 error. */
int gs_conn_wait_readable(gs_conn *c, int timeout_ms);
/* 0 = all written/read; -1 = error/timeout/EOF (gs_conn_error says which). */
int gs_conn_write(gs_conn *c, const void *p, size_t n);
int gs_conn_read(gs_conn *c, void *p, size_t n);
enum { GS_CONN_OK = 0, GS_CONN_EOF, GS_CONN_TIMEOUT, GS_CONN_IOERR, GS_CONN_TLSERR };
int gs_conn_error(const gs_conn *c);
const char *gs_conn_error_text(const gs_conn *c);
/* Interrupts blocked reads/writes from another thread (shutdown(2)); the conn stays valid. */
void gs_conn_shutdown(gs_conn *c);
void gs_conn_close(gs_conn *c);

/* ---- tls.c ---- */
/* Starts TLS 1.3 on the connection with an external PSK (see tls.c for why). */
int gs_tls_start(gs_conn *c, int is_server, const uint8_t psk[32], char *err, size_t errlen);
/* Internal to conn.c/tls.c: runs SSL_accept/SSL_connect on the conn's socket with SIGPIPE
 * guarded; on success (returns 1) the conn owns the SSL object; -2 = plaintext bytes were
 * already buffered (refused). */
int gs_conn_tls_handshake(gs_conn *c, void *ssl, int is_server);

/* ---- record.c: RFC 5531 record marking ---- */
/* Writes one record made of `word` (transport word, big-endian) followed by msg. */
int gs_record_write(gs_conn *c, uint32_t word, const void *msg, size_t len);
/* Writes a record with no transport word (handshake records). */
int gs_record_write_raw(gs_conn *c, const void *msg, size_t len);
/* Reads one whole record into buf (buf->len = record length). Records longer than max_len or
 * made of too many fragments are refused: -1 with *too_big set. */
int gs_record_read(gs_conn *c, gs_buffer *buf, size_t max_len, int *too_big);

/* ---- auth.c: the handshake ---- */
typedef struct {
  int purpose;              /* GS_PURPOSE_* */
  int want_tls;             /* 0 no, 1 yes, GS_WANT_TLS_EITHER: the agent's policy decides */
  int timeout_ms;           /* client's silence timeout (agent sends keepalives well within) */
} gs_hello_opts;

typedef struct {
  uint32_t version;         /* negotiated */
  int tls;                  /* TLS is on */
  int purpose;
  int client_timeout_ms;
  uint8_t psk[32];          /* TLS key for this connection */
} gs_handshake_result;

/* Client side: steps 1-5. On failure a one-line message naming cause and fix. */
int gs_handshake_client(gs_conn *c, const gs_secret *secret, const gs_hello_opts *o,
                        const char *endpoint, gs_handshake_result *res, char *err,
                        size_t errlen);

/* Agent side policy for one connection. */
typedef struct {
  int tls_mode;             /* GS_TLS_ON / OFF / AUTO */
  int peer_is_loopback;
  int busy;                 /* refuse sessions: max reached */
} gs_agent_policy;
enum { GS_TLS_AUTO = 0, GS_TLS_ON = 1, GS_TLS_OFF = 2 };
int gs_tls_mode_parse(const char *s, int *mode);

/* Agent side: steps 1-5; -1 with a one-line reason (for the agent's log) on failure, -2 when
 * the failure is a refused credential (wrong secret). */
int gs_handshake_agent(gs_conn *c, const gs_secret *secret, const gs_agent_policy *p,
                       gs_handshake_result *res, char *err, size_t errlen);

/* ---- endpoint.c ---- */
typedef struct {
  char host[256];
  char port[16];
} gs_endpoint;
int gs_endpoint_parse(const char *text, gs_endpoint *out, char *err, size_t errlen);
int gs_endpoint_is_loopback(const gs_endpoint *e);
/* Connects with a timeout; TCP_NODELAY, keepalive. fd or -1 + message. */
int gs_endpoint_connect(const gs_endpoint *e, int timeout_ms, char *err, size_t errlen);
int gs_sockaddr_is_loopback(const void *sockaddr);

/* ---- link.c ---- */
int gs_config_timeout_ms(void);   /* GPUSHIM_TIMEOUT in ms */
/* Connects, authenticates and (if decided) starts TLS; purpose GS_PURPOSE_*. */
gs_conn *gs_connect_authenticated(const gs_endpoint *ep, const gs_secret *secret, int purpose,
                                  int timeout_ms, char *err, size_t errlen);

/* ---- util ---- */
void gs_put32(uint8_t *p, uint32_t v);
uint32_t gs_get32(const uint8_t *p);
void gs_put64(uint8_t *p, uint64_t v);
uint64_t gs_get64(const uint8_t *p);

#endif

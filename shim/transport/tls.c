/* tls.c - TLS 1.3 on a gs_conn, keyed by an external pre-shared key.
 *
 * Why a PSK and not a pinned self-signed certificate: both ends already hold the shared secret
 * (the provisioner creates one per instance and hands it to both sides), so a key derived from
 * it authenticates both peers inside the TLS handshake itself with nothing more to generate,
 * distribute, pin or rotate. The PSK is derived per connection from the secret and both
 * handshake nonces (auth.c), and OpenSSL's default psk_dhe_ke mode adds an ephemeral (EC)DHE
 * exchange, so traffic keeps forward secrecy even if the secret leaks later. No certificate,
 * no session tickets, TLS 1.3 only.
 */
#include <stdio.h>
#include <string.h>

#include <openssl/err.h>
#include <openssl/ssl.h>

#include "transport.h"

static const unsigned char psk_identity[] = "gpushim-psk-v1";
static const unsigned char tls13_aes128gcm_sha256[] = {0x13, 0x01};

/* Builds the resumption-style session that carries our external PSK. */
static SSL_SESSION *psk_session(SSL *ssl) {
  const uint8_t *psk = SSL_get_app_data(ssl);
  const SSL_CIPHER *cipher = SSL_CIPHER_find(ssl, tls13_aes128gcm_sha256);
  SSL_SESSION *s = SSL_SESSION_new();
  if (!s || !cipher || !SSL_SESSION_set1_master_key(s, psk, 32) ||
      !SSL_SESSION_set_cipher(s, cipher) ||
      !SSL_SESSION_set_protocol_version(s, TLS1_3_VERSION)) {
    SSL_SESSION_free(s);
    return NULL;
  }
  return s;
}

static int client_use_psk(SSL *ssl, const EVP_MD *md, const unsigned char **id, size_t *idlen,
                          SSL_SESSION **sess) {
  SSL_SESSION *s = psk_session(ssl);
  if (!s) return 0;
  if (md && md != SSL_CIPHER_get_handshake_digest(SSL_SESSION_get0_cipher(s))) {
    SSL_SESSION_free(s); /* after a HelloRetryRequest with another hash: offer no PSK */
    *sess = NULL;
    return 1;
  }
  *sess = s;
  *id = psk_identity;
  *idlen = sizeof psk_identity - 1;
  return 1;
}

static int server_find_psk(SSL *ssl, const unsigned char *id, size_t idlen, SSL_SESSION **sess) {
  if (idlen != sizeof psk_identity - 1 || memcmp(id, psk_identity, idlen) != 0) {
    *sess = NULL; /* unknown identity: the handshake fails (we have no certificate) */
    return 1;
  }
  *sess = psk_session(ssl);
  return *sess != NULL;
}

static SSL_CTX *make_ctx(int is_server) {
  SSL_CTX *ctx = SSL_CTX_new(is_server ? TLS_server_method() : TLS_client_method());
  if (!ctx) return NULL;
  SSL_CTX_set_min_proto_version(ctx, TLS1_3_VERSION);
  SSL_CTX_set_max_proto_version(ctx, TLS1_3_VERSION);
  SSL_CTX_set_session_cache_mode(ctx, SSL_SESS_CACHE_OFF);
  /* A program that exits without closing the link is an ordinary end of session, not an
   * error; records carry their own lengths, so a cut-off record is still detected. */
  SSL_CTX_set_options(ctx, SSL_OP_IGNORE_UNEXPECTED_EOF);
  /* Only SHA-256 suites: the server ignores a PSK whose hash differs from the negotiated
   * suite's, and its default preference (AES-256-GCM-SHA384) would do exactly that. */
  SSL_CTX_set_ciphersuites(ctx, "TLS_AES_128_GCM_SHA256:TLS_CHACHA20_POLY1305_SHA256");
  if (is_server) {
    SSL_CTX_set_num_tickets(ctx, 0);
    SSL_CTX_set_psk_find_session_callback(ctx, server_find_psk);
  } else {
    SSL_CTX_set_psk_use_session_callback(ctx, client_use_psk);
  }
  return ctx;
}

static void tls_reason(char *out, size_t outlen) {
  unsigned long e = ERR_get_error();
  const char *r = e ? ERR_reason_error_string(e) : NULL;
  snprintf(out, outlen, "%s", r ? r : "connection closed or timed out during the TLS handshake");
  ERR_clear_error();
}

int gs_tls_start(gs_conn *c, int is_server, const uint8_t psk[32], char *err, size_t errlen) {
  SSL_CTX *ctx = make_ctx(is_server);
  SSL *ssl = ctx ? SSL_new(ctx) : NULL;
  SSL_CTX_free(ctx); /* the SSL keeps its own reference */
  if (!ssl) {
    snprintf(err, errlen, "cannot set up TLS (OpenSSL failed to initialise)");
    ERR_clear_error();
    return -1;
  }
  SSL_set_app_data(ssl, (void *)psk);
  SSL_set_fd(ssl, gs_conn_fd(c));
  int r = gs_conn_tls_handshake(c, ssl, is_server); /* SIGPIPE-guarded, timed */
  if (r != 1) {
    char reason[128];
    if (r == -2)
      snprintf(reason, sizeof reason, "unexpected plaintext data before the TLS handshake");
    else
      tls_reason(reason, sizeof reason);
    snprintf(err, errlen, "%s", reason);
    SSL_free(ssl);
    return -1;
  }
  SSL_set_app_data(ssl, NULL);
  return 0;
}

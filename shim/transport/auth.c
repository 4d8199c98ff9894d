/* auth.c - the connection handshake: version negotiation, TLS decision, mutual
 * challenge-response over HMAC-SHA256 with the shared secret, then TLS when decided.
 *
 * Records (big-endian 32-bit words, ONC RPC record marking around each):
 *   HELLO     magic, 1, min_version, max_version, purpose, want_tls, timeout_ms, client_nonce[32]
 *   CHALLENGE magic, 2, status, version, agent_min, agent_max, tls, agent_nonce[32], proof[32]
 *   PROOF     magic, 3, proof[32]
 *   RESULT    magic, 4, status
 * A CHALLENGE with status != OK ends the connection (nonce and proof are zero).
 * Authentication runs before TLS so that an unauthenticated peer only ever reaches this small
 * fixed-size parser, and so that a wrong secret is reported as exactly that (a failed PSK
 * handshake would only say "decrypt error"). The TLS key is derived from the secret and both
 * nonces, so a man in the middle who relayed the plaintext exchange still cannot speak TLS.
 */
#include <stdio.h>
#include <string.h>

#include <openssl/crypto.h>
#include <openssl/evp.h>
#include <openssl/hmac.h>
#include <openssl/rand.h>

#include "transport.h"

#define GS_MAGIC 0x4753484Du /* "GSHM" */
enum { HS_HELLO = 1, HS_CHALLENGE = 2, HS_PROOF = 3, HS_RESULT = 4 };
enum {
  HELLO_LEN = 28 + GS_NONCE_LEN,
  CHALLENGE_LEN = 28 + GS_NONCE_LEN + GS_PROOF_LEN,
  PROOF_LEN = 8 + GS_PROOF_LEN,
  RESULT_LEN = 12,
};

static const char agent_label[] = "gpushim agent proof v1";
static const char client_label[] = "gpushim client proof v1";
static const char psk_label[] = "gpushim tls psk v1";

typedef struct {
  uint8_t client_nonce[GS_NONCE_LEN];
  uint8_t agent_nonce[GS_NONCE_LEN];
  uint32_t version, tls, purpose;
} proof_input;

/* HMAC-SHA256(secret, label || client nonce || agent nonce [|| version || tls || purpose]). */
static void keyed_digest(const gs_secret *s, const char *label, const proof_input *in,
                         int with_params, uint8_t out[32]) {
  uint8_t data[64 + 2 * GS_NONCE_LEN + 12];
  size_t n = strlen(label);
  memcpy(data, label, n);
  memcpy(data + n, in->client_nonce, GS_NONCE_LEN);
  n += GS_NONCE_LEN;
  memcpy(data + n, in->agent_nonce, GS_NONCE_LEN);
  n += GS_NONCE_LEN;
  if (with_params) {
    gs_put32(data + n, in->version);
    gs_put32(data + n + 4, in->tls);
    gs_put32(data + n + 8, in->purpose);
    n += 12;
  }
  unsigned int len = 32;
  HMAC(EVP_sha256(), s->bytes, (int)s->len, data, n, out, &len);
}

/* Reads one handshake record of exactly `len` bytes with the right magic and type. */
static int read_hs(gs_conn *c, uint8_t *out, size_t len, uint32_t type) {
  gs_buffer b = {0};
  int too_big;
  int rc = gs_record_read(c, &b, 256, &too_big);
  if (rc == 0 && (b.len != len || gs_get32(b.data) != GS_MAGIC || gs_get32(b.data + 4) != type))
    rc = 1; /* well framed, wrong content */
  if (rc == 0) memcpy(out, b.data, len);
  gs_buffer_free(&b);
  return too_big ? 1 : rc;
}

/* ---- client ---- */

static void describe_status(uint32_t status, const uint8_t *ch, const char *ep, char *err,
                            size_t errlen) {
  switch (status) {
  case GS_HS_VERSION_MISMATCH:
    snprintf(err, errlen,
             "protocol version mismatch: this gpushim speaks versions %u-%u, the agent at %s "
             "speaks %u-%u; install the same gpushim release on both sides",
             GS_PROTOCOL_MIN_VERSION, GS_PROTOCOL_MAX_VERSION, ep, gs_get32(ch + 16),
             gs_get32(ch + 20));
    break;
  case GS_HS_TLS_REQUIRED:
    snprintf(err, errlen, "the agent at %s requires TLS: set GPUSHIM_TLS=on (or unset it)", ep);
    break;
  case GS_HS_TLS_UNAVAILABLE:
    snprintf(err, errlen,
             "TLS is required here but the agent at %s runs with --tls off: start it with "
             "--tls auto or on, or set GPUSHIM_TLS=off on a trusted network",
             ep);
    break;
  case GS_HS_BUSY:
    snprintf(err, errlen,
             "the agent at %s already serves its maximum number of sessions (--max-sessions): "
             "retry later or raise the limit",
             ep);
    break;
  case GS_HS_REFUSED:
    snprintf(err, errlen,
             "credential refused by the agent at %s: GPUSHIM_SECRET_FILE does not hold the "
             "agent's secret; use the file given to the agent's --secret-file",
             ep);
    break;
  default:
    snprintf(err, errlen, "the agent at %s rejected the handshake (status %u)", ep, status);
  }
}

static void describe_io(gs_conn *c, const char *ep, int timeout_ms, char *err, size_t errlen) {
  if (gs_conn_error(c) == GS_CONN_TIMEOUT)
    snprintf(err, errlen,
             "the agent at %s did not answer the handshake within %d s (raise GPUSHIM_TIMEOUT, "
             "or check that the endpoint is a gpushim agent)",
             ep, timeout_ms / 1000);
  else
    snprintf(err, errlen,
             "the agent at %s closed the connection during the handshake (%s): is it a "
             "gpushim agent? its log says why",
             ep, gs_conn_error_text(c));
}

int gs_handshake_client(gs_conn *c, const gs_secret *secret, const gs_hello_opts *o,
                        const char *ep, gs_handshake_result *res, char *err, size_t errlen) {
  proof_input in = {.purpose = (uint32_t)o->purpose};
  uint8_t hello[HELLO_LEN], ch[CHALLENGE_LEN], proof[PROOF_LEN], result[RESULT_LEN];
  uint8_t expect[32];
  memset(res, 0, sizeof *res);
  if (RAND_bytes(in.client_nonce, GS_NONCE_LEN) != 1) {
    snprintf(err, errlen, "cannot draw a random nonce (OpenSSL RAND failed)");
    return -1;
  }
  gs_put32(hello, GS_MAGIC);
  gs_put32(hello + 4, HS_HELLO);
  gs_put32(hello + 8, GS_PROTOCOL_MIN_VERSION);
  gs_put32(hello + 12, GS_PROTOCOL_MAX_VERSION);
  gs_put32(hello + 16, (uint32_t)o->purpose);
  gs_put32(hello + 20, (uint32_t)o->want_tls);
  gs_put32(hello + 24, (uint32_t)o->timeout_ms);
  memcpy(hello + 28, in.client_nonce, GS_NONCE_LEN);
  if (gs_record_write_raw(c, hello, sizeof hello) < 0) goto io;
  int rc = read_hs(c, ch, sizeof ch, HS_CHALLENGE);
  if (rc < 0) goto io;
  if (rc > 0) {
    snprintf(err, errlen, "the server at %s is not a gpushim agent (unexpected handshake reply)",
             ep);
    return -1;
  }
  uint32_t status = gs_get32(ch + 8);
  if (status != GS_HS_OK) {
    describe_status(status, ch, ep, err, errlen);
    return -1;
  }
  in.version = gs_get32(ch + 12);
  in.tls = gs_get32(ch + 24);
  memcpy(in.agent_nonce, ch + 28, GS_NONCE_LEN);
  if (in.version < GS_PROTOCOL_MIN_VERSION || in.version > GS_PROTOCOL_MAX_VERSION ||
      in.tls > 1 || (o->want_tls != GS_WANT_TLS_EITHER && (int)in.tls != o->want_tls)) {
    snprintf(err, errlen, "the agent at %s answered the handshake inconsistently", ep);
    return -1;
  }
  keyed_digest(secret, agent_label, &in, 1, expect);
  int agent_ok = CRYPTO_memcmp(expect, ch + 28 + GS_NONCE_LEN, GS_PROOF_LEN) == 0;
  /* Always send our proof, so the agent logs a refused credential too. */
  gs_put32(proof, GS_MAGIC);
  gs_put32(proof + 4, HS_PROOF);
  keyed_digest(secret, client_label, &in, 1, proof + 8);
  if (gs_record_write_raw(c, proof, sizeof proof) < 0) goto io;
  if (!agent_ok) {
    describe_status(GS_HS_REFUSED, ch, ep, err, errlen);
    return -1;
  }
  rc = read_hs(c, result, sizeof result, HS_RESULT);
  if (rc < 0) goto io;
  if (rc > 0 || gs_get32(result + 8) != GS_HS_OK) {
    describe_status(rc > 0 ? 99 : gs_get32(result + 8), ch, ep, err, errlen);
    return -1;
  }
  keyed_digest(secret, psk_label, &in, 0, res->psk);
  res->version = in.version;
  res->tls = (int)in.tls;
  res->purpose = o->purpose;
  if (res->tls) {
    char why[160];
    if (gs_tls_start(c, 0, res->psk, why, sizeof why) < 0) {
      snprintf(err, errlen,
               "TLS handshake with the agent at %s failed: %s (check that both sides run the "
               "same gpushim release; GPUSHIM_TLS=off skips TLS on trusted networks)",
               ep, why);
      return -1;
    }
  }
  return 0;
io:
  describe_io(c, ep, o->timeout_ms, err, errlen);
  return -1;
}

/* ---- agent ---- */

int gs_tls_mode_parse(const char *s, int *mode) {
  static const struct {
    const char *name;
    int mode;
  } modes[] = {{"auto", GS_TLS_AUTO}, {"on", GS_TLS_ON}, {"off", GS_TLS_OFF}};
  for (size_t i = 0; i < sizeof modes / sizeof modes[0]; i++)
    if (strcmp(s, modes[i].name) == 0) {
      *mode = modes[i].mode;
      return 0;
    }
  return -1;
}

/* What the agent answers to a well-formed HELLO, before any secret is involved; decides TLS. */
static uint32_t judge_hello(const uint8_t *h, const gs_agent_policy *p, uint32_t *version,
                            uint32_t *tls) {
  uint32_t lo = gs_get32(h + 8), hi = gs_get32(h + 12), purpose = gs_get32(h + 16);
  uint32_t want = gs_get32(h + 20);
  if (want > GS_WANT_TLS_EITHER || (purpose != GS_PURPOSE_SESSION && purpose != GS_PURPOSE_STATS) ||
      lo > hi)
    return GS_HS_BAD_HELLO;
  *version = hi < GS_PROTOCOL_MAX_VERSION ? hi : GS_PROTOCOL_MAX_VERSION;
  if (*version < lo || *version < GS_PROTOCOL_MIN_VERSION) return GS_HS_VERSION_MISMATCH;
  int required = p->tls_mode == GS_TLS_ON || (p->tls_mode == GS_TLS_AUTO && !p->peer_is_loopback);
  if (want == GS_WANT_TLS_EITHER) want = required || p->tls_mode == GS_TLS_ON;
  if (p->tls_mode == GS_TLS_OFF && want) return GS_HS_TLS_UNAVAILABLE;
  if (required && !want) return GS_HS_TLS_REQUIRED;
  *tls = want;
  if (p->busy && purpose == GS_PURPOSE_SESSION) return GS_HS_BUSY;
  return GS_HS_OK;
}

static const char *status_text(uint32_t s) {
  static const char *const text[] = {
      [GS_HS_OK] = "ok",
      [GS_HS_VERSION_MISMATCH] = "protocol version mismatch",
      [GS_HS_TLS_REQUIRED] = "client did not ask for TLS, which this agent requires",
      [GS_HS_TLS_UNAVAILABLE] = "client asked for TLS, which this agent has off",
      [GS_HS_BUSY] = "too many sessions",
      [GS_HS_BAD_HELLO] = "malformed hello",
      [GS_HS_REFUSED] = "credential refused (wrong secret)",
  };
  return s < sizeof text / sizeof text[0] && text[s] ? text[s] : "?";
}

int gs_handshake_agent(gs_conn *c, const gs_secret *secret, const gs_agent_policy *p,
                       gs_handshake_result *res, char *err, size_t errlen) {
  uint8_t hello[HELLO_LEN], ch[CHALLENGE_LEN] = {0}, proof[PROOF_LEN], result[RESULT_LEN];
  uint8_t expect[32];
  proof_input in = {0};
  memset(res, 0, sizeof *res);
  int rc = read_hs(c, hello, sizeof hello, HS_HELLO);
  if (rc != 0) {
    snprintf(err, errlen, "%s before authentication",
             rc > 0 ? "malformed hello" : gs_conn_error_text(c));
    return -1;
  }
  uint32_t status = judge_hello(hello, p, &in.version, &in.tls);
  gs_put32(ch, GS_MAGIC);
  gs_put32(ch + 4, HS_CHALLENGE);
  gs_put32(ch + 8, status);
  gs_put32(ch + 12, in.version);
  gs_put32(ch + 16, GS_PROTOCOL_MIN_VERSION);
  gs_put32(ch + 20, GS_PROTOCOL_MAX_VERSION);
  if (status != GS_HS_OK) {
    gs_record_write_raw(c, ch, sizeof ch);
    snprintf(err, errlen, "handshake refused: %s", status_text(status));
    return -1;
  }
  in.purpose = gs_get32(hello + 16);
  memcpy(in.client_nonce, hello + 28, GS_NONCE_LEN);
  if (RAND_bytes(in.agent_nonce, GS_NONCE_LEN) != 1) {
    snprintf(err, errlen, "RAND_bytes failed");
    return -1;
  }
  gs_put32(ch + 24, in.tls);
  memcpy(ch + 28, in.agent_nonce, GS_NONCE_LEN);
  keyed_digest(secret, agent_label, &in, 1, ch + 28 + GS_NONCE_LEN);
  if (gs_record_write_raw(c, ch, sizeof ch) < 0) goto io;
  rc = read_hs(c, proof, sizeof proof, HS_PROOF);
  if (rc < 0) goto io;
  keyed_digest(secret, client_label, &in, 1, expect);
  status = rc == 0 && CRYPTO_memcmp(expect, proof + 8, GS_PROOF_LEN) == 0 ? GS_HS_OK
                                                                        : GS_HS_REFUSED;
  gs_put32(result, GS_MAGIC);
  gs_put32(result + 4, HS_RESULT);
  gs_put32(result + 8, status);
  int wrote = gs_record_write_raw(c, result, sizeof result);
  if (status != GS_HS_OK) { /* the refusal counts even if the client has already gone */
    snprintf(err, errlen, "%s", status_text(status));
    return -2;
  }
  if (wrote < 0) goto io;
  keyed_digest(secret, psk_label, &in, 0, res->psk);
  res->version = in.version;
  res->tls = (int)in.tls;
  res->purpose = (int)in.purpose;
  res->client_timeout_ms = (int)(gs_get32(hello + 24) > 3600000u ? 3600000u : gs_get32(hello + 24));
  if (res->tls) {
    char why[160];
    if (gs_tls_start(c, 1, res->psk, why, sizeof why) < 0) {
      snprintf(err, errlen, "TLS handshake failed: %s", why);
      return -1;
    }
  }
  return 0;
io:
  snprintf(err, errlen, "%s during authentication", gs_conn_error_text(c));
  return -1;
}

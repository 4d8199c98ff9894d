/* wire.c - ONC RPC message headers (RFC 5531) for gpushim's requests and replies, and the
 * content hash of module images. Batch bodies are XDR from the generated gpushim_xdr.c. */
#include <string.h>

#include <openssl/sha.h>

#include "gpushim.h"
#include "wire.h"

enum { GS_RPC_MSG_CALL = 0, GS_RPC_MSG_REPLY = 1, GS_RPC_ACCEPTED = 0, GS_AUTH_NONE = 0,
       GS_MAX_AUTH = 400 };

void gs_rpc_write_call(uint8_t *out, uint32_t xid, uint32_t proc) {
  const uint32_t w[10] = {xid, GS_RPC_MSG_CALL, 2, GS_PROGRAM, GS_VERSION, proc, 0, 0, 0, 0};
  for (int i = 0; i < 10; i++) gs_put32(out + 4 * i, w[i]);
}

/* Skips an opaque_auth (flavor, opaque body<400>) at *pos. 0 or -1. */
static int skip_auth(const uint8_t *msg, size_t len, size_t *pos) {
  if (len - *pos < 8) return -1;
  uint32_t body = gs_read32(msg + *pos + 4);
  if (body > GS_MAX_AUTH) return -1;
  size_t padded = (body + 3u) & ~3u;
  if (len - *pos - 8 < padded) return -1;
  *pos += 8 + padded;
  return 0;
}

long gs_rpc_read_call(const uint8_t *msg, size_t len, uint32_t *xid, uint32_t *proc, int *accept) {
  if (len < 24) return -1;
  *xid = gs_read32(msg);
  if (gs_read32(msg + 4) != GS_RPC_MSG_CALL || gs_read32(msg + 8) != 2) return -1;
  uint32_t prog = gs_read32(msg + 12), vers = gs_read32(msg + 16);
  *proc = gs_read32(msg + 20);
  size_t pos = 24;
  if (skip_auth(msg, len, &pos) < 0 || skip_auth(msg, len, &pos) < 0) return -1;
  if (prog != GS_PROGRAM) *accept = GS_RPC_PROG_UNAVAIL;
  else if (vers != GS_VERSION) *accept = GS_RPC_PROG_MISMATCH;
  else *accept = GS_RPC_SUCCESS;
  return (long)pos;
}

void gs_rpc_write_reply(uint8_t *out, uint32_t xid, uint32_t accept_stat) {
  const uint32_t w[6] = {xid, GS_RPC_MSG_REPLY, GS_RPC_ACCEPTED, GS_AUTH_NONE, 0, accept_stat};
  for (int i = 0; i < 6; i++) gs_put32(out + 4 * i, w[i]);
}

long gs_rpc_read_reply(const uint8_t *msg, size_t len, uint32_t *xid, uint32_t *accept) {
  if (len < 12) return -1;
  *xid = gs_read32(msg);
  if (gs_read32(msg + 4) != GS_RPC_MSG_REPLY || gs_read32(msg + 8) != GS_RPC_ACCEPTED) return -1;
  size_t pos = 12;
  if (skip_auth(msg, len, &pos) < 0 || len - pos < 4) return -1;
  *accept = gs_read32(msg + pos);
  return (long)(pos + 4);
}

void gs_sha256(const void *p, size_t n, uint8_t out[GS_HASH_LEN]) {
  SHA256(p, n, out);
}

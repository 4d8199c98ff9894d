/* wire.h - what both halves of the protocol share besides the generated XDR: the ONC RPC
 * message header (RFC 5531), the batch framing, status codes of our own, chunk and codec
 * constants, and small checked arithmetic used on sizes that came off the wire.
 *
 * A request:  RPC call header (xid, CALL, rpcvers 2, GS_PROGRAM, GS_VERSION, proc, AUTH_NONE
 *             cred and verf), then for proc GS_PROC_BATCH: unsigned count, count x (int proc,
 *             NAME_args); for any other proc: NAME_args of that proc (a single call).
 * A reply:    RPC accepted-reply header (xid, REPLY, MSG_ACCEPTED, AUTH_NONE verf, accept_stat),
 *             then for SUCCESS: unsigned count, count x (int status, NAME_res when status is 0);
 *             a single call's reply has count 1.
 */
#ifndef GS_WIRE_H
#define GS_WIRE_H

#include <stddef.h>
#include <stdint.h>

#define GS_EXPORT __attribute__((visibility("default")))

#define GS_RPC_CALL_HEADER 40   /* bytes of a call header with AUTH_NONE cred and verf */
#define GS_RPC_REPLY_HEADER 24  /* bytes of an accepted reply header with AUTH_NONE verf */

/* accept_stat values (RFC 5531) */
enum { GS_RPC_SUCCESS = 0, GS_RPC_PROG_UNAVAIL = 1, GS_RPC_PROG_MISMATCH = 2,
       GS_RPC_PROC_UNAVAIL = 3, GS_RPC_GARBAGE_ARGS = 4, GS_RPC_SYSTEM_ERR = 5 };

/* Statuses of our own in a reply item, outside CUresult's range. */
#define GS_STATUS_NEED_IMAGE 0x47530001   /* gs_module_load: agent lacks that content hash */

/* Copies travel in chunks of at most this many raw bytes, one call each. */
#define GS_CHUNK ((size_t)1 << 20)
/* Below this a copy is never compressed. */
#define GS_COMPRESS_MIN ((size_t)64 << 10)
enum { GS_CODEC_NONE = 0, GS_CODEC_ZSTD = 1 };
/* gs_module_load kinds */
enum { GS_LOAD_MODULE = 0, GS_LOAD_LIBRARY = 1 };
#define GS_HASH_LEN 32                    /* SHA-256 of a module image */

static inline uint64_t gs_mul_sat(uint64_t a, uint64_t b) {
  uint64_t r;
  return __builtin_mul_overflow(a, b, &r) ? UINT64_MAX : r;
}

static inline uint64_t gs_add_sat(uint64_t a, uint64_t b) {
  uint64_t r;
  return __builtin_add_overflow(a, b, &r) ? UINT64_MAX : r;
}

/* Bytes spanned by a pitched 2D region of `height` rows of `width` elements of `elem` bytes. */
static inline uint64_t gs_pitched_size(uint64_t pitch, uint64_t width, uint64_t height,
                                       uint64_t elem) {
  if (height == 0 || width == 0) return 0;
  uint64_t row = gs_mul_sat(width, elem);
  if (height > 1 && pitch < row) return UINT64_MAX;   /* rows may not overlap: never valid */
  return gs_add_sat(gs_mul_sat(pitch, height - 1), row);
}

static inline void gs_put32(uint8_t *p, uint32_t v) {
  p[0] = (uint8_t)(v >> 24); p[1] = (uint8_t)(v >> 16); p[2] = (uint8_t)(v >> 8); p[3] = (uint8_t)v;
}

static inline uint32_t gs_read32(const uint8_t *p) {
  return (uint32_t)p[0] << 24 | (uint32_t)p[1] << 16 | (uint32_t)p[2] << 8 | p[3];
}

/* Writes a call header for `proc` into out[GS_RPC_CALL_HEADER]. */
void gs_rpc_write_call(uint8_t *out, uint32_t xid, uint32_t proc);
/* Parses a call header. Returns bytes consumed, or -1 when it is not an RPC call at all (drop).
 * *accept gets GS_RPC_SUCCESS or the accept_stat to answer with (wrong program/version). */
long gs_rpc_read_call(const uint8_t *msg, size_t len, uint32_t *xid, uint32_t *proc, int *accept);
/* Writes an accepted reply header into out[GS_RPC_REPLY_HEADER]. */
void gs_rpc_write_reply(uint8_t *out, uint32_t xid, uint32_t accept_stat);
/* Parses a reply header: bytes consumed, or -1 if malformed; *accept gets the accept_stat. */
long gs_rpc_read_reply(const uint8_t *msg, size_t len, uint32_t *xid, uint32_t *accept);

/* SHA-256 of a buffer (content hash of module images). */
void gs_sha256(const void *p, size_t n, uint8_t out[GS_HASH_LEN]);

#endif

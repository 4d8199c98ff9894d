/* test_malformed.c - the agent's dispatch fed hostile messages directly (agent_session_handle):
 * truncated at every length, corrupted at random, unknown procedures and programs, absurd
 * counts and lengths, made-up and stale handles, device ranges outside the session's
 * allocations, another session's pointers. Every one gets an error reply or a drop (-1), never
 * a crash (ASan watches), and the session keeps serving valid calls afterwards.
 * argv[1]: the libcuda to open sessions on. */
#include <stdint.h>
#include <string.h>

#include "check.h"
#include "gs_api.h"
#include "link.h"
#include "wire.h"

static uint32_t next_xid = 1;

/* A message: call header + batch of `n` calls given as (proc, xdrproc, args). */
typedef struct {
  uint32_t proc;
  xdrproc_t x;
  void *args;
} call;

static void build(gs_buffer *m, const call *calls, int n) {
  m->len = 0;
  CHECK(gs_buffer_reserve(m, GS_RPC_CALL_HEADER + 4) == 0);
  gs_rpc_write_call(m->data, next_xid++, GS_PROC_BATCH);
  gs_put32(m->data + GS_RPC_CALL_HEADER, (uint32_t)n);
  m->len = GS_RPC_CALL_HEADER + 4;
  for (int i = 0; i < n; i++) {
    size_t sz = calls[i].x ? xdr_sizeof(calls[i].x, calls[i].args) : 0;
    CHECK(gs_buffer_reserve(m, 4 + sz) == 0);
    gs_put32(m->data + m->len, calls[i].proc);
    if (sz) {
      XDR x;
      xdrmem_create(&x, (char *)m->data + m->len + 4, (u_int)sz, XDR_ENCODE);
      CHECK(calls[i].x(&x, calls[i].args, 0));
      xdr_destroy(&x);
    }
    m->len += 4 + sz;
  }
}

/* Sends and parses the reply: accept_stat, and the status of call `k` (or -1 if absent);
 * the result body of the last call is left at *body. */
typedef struct {
  int dropped;
  uint32_t accept;
  uint32_t count;
  int status[8];
  const uint8_t *body;
  size_t body_len;
} reply_info;

static gs_buffer reply;

static reply_info send_msg(agent_session *s, const uint8_t *msg, size_t len) {
  reply_info r;
  memset(&r, 0, sizeof r);
  reply.len = 0;
  if (agent_session_handle(s, msg, len, 1, &reply) < 0) {
    r.dropped = 1;
    return r;
  }
  uint32_t xid;
  long pos = gs_rpc_read_reply(reply.data, reply.len, &xid, &r.accept);
  CHECK(pos > 0);
  if (r.accept == GS_RPC_SUCCESS) {
    CHECK(reply.len >= (size_t)pos + 4);
    r.count = gs_read32(reply.data + pos);
    if (r.count >= 1 && reply.len >= (size_t)pos + 8) r.status[0] = (int)gs_read32(reply.data + pos + 4);
    r.body = reply.data + pos + 8;
    r.body_len = reply.len - (size_t)pos - 8;
  }
  return r;
}

static reply_info one(agent_session *s, uint32_t proc, xdrproc_t x, void *args) {
  gs_buffer m = {0};
  call c = {proc, x, args};
  build(&m, &c, 1);
  reply_info r = send_msg(s, m.data, m.len);
  gs_buffer_free(&m);
  return r;
}

static CUdeviceptr alloc_on(agent_session *s, uint64_t n) {
  cuMemAlloc_args a = {n};
  reply_info r = one(s, GS_cuMemAlloc, (xdrproc_t)xdr_cuMemAlloc_args, &a);
  CHECK(r.accept == GS_RPC_SUCCESS && r.count == 1 && r.status[0] == 0 && r.body_len == 8);
  return (CUdeviceptr)((uint64_t)gs_read32(r.body) << 32 | gs_read32(r.body + 4));
}

/* the session still answers a plain valid call, once its client names its context again
 * (a corrupted gs_set_ctx may have left none current) */
static void still_serving(agent_session *s) {
  cuDevicePrimaryCtxRetain_args pa = {0};
  reply_info r = one(s, GS_cuDevicePrimaryCtxRetain, (xdrproc_t)xdr_cuDevicePrimaryCtxRetain_args,
                     &pa);
  CHECK(r.accept == GS_RPC_SUCCESS && r.status[0] == 0 && r.body_len == 8);
  gs_set_ctx_args sc = {(uint64_t)gs_read32(r.body) << 32 | gs_read32(r.body + 4)};
  r = one(s, GS_gs_set_ctx, (xdrproc_t)xdr_gs_set_ctx_args, &sc);
  CHECK(r.accept == GS_RPC_SUCCESS && r.status[0] == 0);
  r = one(s, GS_cuMemGetInfo, 0, 0);
  CHECK(!r.dropped && r.accept == GS_RPC_SUCCESS && r.count == 1 && r.status[0] == 0);
}

static void test_truncation_and_corruption(agent_session *s, CUdeviceptr d) {
  static uint8_t payload[256];
  memset(payload, 0x11, sizeof payload);
  cuMemsetD8_args ms = {d, 0x22, 64};
  gs_memcpy_htod_args h = {d, 0, sizeof payload, GS_CODEC_NONE, {sizeof payload, (char *)payload}};
  cuDeviceGetName_args dn = {64, 0};
  call calls[3] = {{GS_cuMemsetD8, (xdrproc_t)xdr_cuMemsetD8_args, &ms},
                   {GS_gs_memcpy_htod, (xdrproc_t)xdr_gs_memcpy_htod_args, &h},
                   {GS_cuDeviceGetName, (xdrproc_t)xdr_cuDeviceGetName_args, &dn}};
  gs_buffer m = {0};
  build(&m, calls, 3);
  reply_info full = send_msg(s, m.data, m.len);
  CHECK(full.accept == GS_RPC_SUCCESS && full.count == 3);

  for (size_t len = 0; len < m.len; len++) {
    uint8_t *copy = malloc(len ? len : 1);          /* exact size: ASan sees any over-read */
    memcpy(copy, m.data, len);
    reply_info r = send_msg(s, copy, len);
    CHECK(r.dropped || r.accept != GS_RPC_SUCCESS);
    free(copy);
  }
  still_serving(s);

  uint64_t seed = 12345;
  for (int iter = 0; iter < 3000; iter++) {
    uint8_t *copy = malloc(m.len);
    memcpy(copy, m.data, m.len);
    int flips = 1 + (int)(test_rand(&seed) % 4);
    for (int f = 0; f < flips; f++) copy[test_rand(&seed) % m.len] ^= (uint8_t)(1 + test_rand(&seed) % 255);
    send_msg(s, copy, m.len);                        /* any answer, as long as we survive */
    free(copy);
  }
  still_serving(s);
  gs_buffer_free(&m);
}

static void test_header_errors(agent_session *s) {
  gs_buffer m = {0};
  build(&m, NULL, 0);
  reply_info r = send_msg(s, m.data, m.len);
  CHECK(r.accept == GS_RPC_SUCCESS && r.count == 0);            /* an empty batch is fine */
  gs_put32(m.data + 12, 0x20000001);                            /* another program */
  CHECK(send_msg(s, m.data, m.len).accept == GS_RPC_PROG_UNAVAIL);
  gs_rpc_write_call(m.data, 7, GS_PROC_BATCH);
  gs_put32(m.data + 16, 99);                                    /* another version */
  CHECK(send_msg(s, m.data, m.len).accept == GS_RPC_PROG_MISMATCH);
  gs_rpc_write_call(m.data, 7, 9999);                           /* no such procedure */
  CHECK(send_msg(s, m.data, m.len).accept == GS_RPC_PROC_UNAVAIL);
  gs_rpc_write_call(m.data, 7, GS_PROC_BATCH);
  gs_put32(m.data + GS_RPC_CALL_HEADER, 0xFFFFFFFFu);           /* absurd count */
  CHECK(send_msg(s, m.data, m.len).accept == GS_RPC_GARBAGE_ARGS);
  gs_put32(m.data + 4, 1);                                      /* not a call at all */
  CHECK(send_msg(s, m.data, m.len).dropped);
  /* a batch naming a procedure that does not exist */
  gs_buffer_free(&m);
  call c = {4242, 0, 0};
  build(&m, &c, 1);
  CHECK(send_msg(s, m.data, m.len).accept == GS_RPC_GARBAGE_ARGS);
  /* a huge opaque length inside the arguments */
  gs_buffer_free(&m);
  static uint8_t byte[4];
  gs_memcpy_htod_args h = {0, 0, 4, GS_CODEC_NONE, {4, (char *)byte}};
  call hc = {GS_gs_memcpy_htod, (xdrproc_t)xdr_gs_memcpy_htod_args, &h};
  build(&m, &hc, 1);
  gs_put32(m.data + m.len - 8, 0xFFFFFFF0u);                    /* the opaque's length word */
  CHECK(send_msg(s, m.data, m.len).accept == GS_RPC_GARBAGE_ARGS);
  gs_buffer_free(&m);
  still_serving(s);
}

static void test_validation(agent_session *s, agent_session *other, CUdeviceptr d) {
  /* an unknown context: refused, and no call runs in the previous one by mistake */
  gs_set_ctx_args bad = {0x0100000500000007ull};
  CHECK(one(s, GS_gs_set_ctx, (xdrproc_t)xdr_gs_set_ctx_args, &bad).status[0] ==
        CUDA_ERROR_INVALID_CONTEXT);
  cuMemAlloc_args ma = {64};
  CHECK(one(s, GS_cuMemAlloc, (xdrproc_t)xdr_cuMemAlloc_args, &ma).status[0] ==
        CUDA_ERROR_INVALID_CONTEXT);
  still_serving(s);

  /* made-up, wrong-kind and stale handles */
  cuStreamSynchronize_args ss = {0x0400000100000001ull};
  CHECK(one(s, GS_cuStreamSynchronize, (xdrproc_t)xdr_cuStreamSynchronize_args, &ss).status[0] ==
        CUDA_ERROR_INVALID_HANDLE);
  cuStreamCreate_args sc = {0};
  reply_info r = one(s, GS_cuStreamCreate, (xdrproc_t)xdr_cuStreamCreate_args, &sc);
  CHECK(r.status[0] == 0 && r.body_len == 8);
  uint64_t stream = (uint64_t)gs_read32(r.body) << 32 | gs_read32(r.body + 4);
  cuEventQuery_args eq = {stream};                               /* a stream passed as event */
  CHECK(one(s, GS_cuEventQuery, (xdrproc_t)xdr_cuEventQuery_args, &eq).status[0] ==
        CUDA_ERROR_INVALID_HANDLE);
  cuStreamDestroy_args sd = {stream};
  CHECK(one(s, GS_cuStreamDestroy, (xdrproc_t)xdr_cuStreamDestroy_args, &sd).status[0] == 0);
  ss.hStream = stream;
  CHECK(one(s, GS_cuStreamSynchronize, (xdrproc_t)xdr_cuStreamSynchronize_args, &ss).status[0] ==
        CUDA_ERROR_INVALID_HANDLE);
  /* a session's stream is nothing to another session */
  r = one(s, GS_cuStreamCreate, (xdrproc_t)xdr_cuStreamCreate_args, &sc);
  ss.hStream = (uint64_t)gs_read32(r.body) << 32 | gs_read32(r.body + 4);
  CHECK(one(other, GS_cuStreamSynchronize, (xdrproc_t)xdr_cuStreamSynchronize_args, &ss)
            .status[0] == CUDA_ERROR_INVALID_HANDLE);

  /* device ranges: outside, straddling the end, overflowing, another session's */
  cuMemsetD8_args ms = {d + 4096, 0, 1};
  CHECK(one(s, GS_cuMemsetD8, (xdrproc_t)xdr_cuMemsetD8_args, &ms).status[0] ==
        CUDA_ERROR_INVALID_VALUE);
  ms.dstDevice = d + 4000;
  ms.N = 200;
  CHECK(one(s, GS_cuMemsetD8, (xdrproc_t)xdr_cuMemsetD8_args, &ms).status[0] ==
        CUDA_ERROR_INVALID_VALUE);
  cuMemsetD32_args m32 = {d, 0, 0x4000000000000001ull};          /* N*4 overflows 64 bits */
  CHECK(one(s, GS_cuMemsetD32, (xdrproc_t)xdr_cuMemsetD32_args, &m32).status[0] ==
        CUDA_ERROR_INVALID_VALUE);
  ms.dstDevice = 0x10;
  ms.N = 1;
  CHECK(one(s, GS_cuMemsetD8, (xdrproc_t)xdr_cuMemsetD8_args, &ms).status[0] ==
        CUDA_ERROR_INVALID_VALUE);
  ms.dstDevice = d;
  CHECK(one(other, GS_cuMemsetD8, (xdrproc_t)xdr_cuMemsetD8_args, &ms).status[0] ==
        CUDA_ERROR_INVALID_VALUE);
  cuMemFree_args mf = {d + 8};
  CHECK(one(s, GS_cuMemFree, (xdrproc_t)xdr_cuMemFree_args, &mf).status[0] ==
        CUDA_ERROR_INVALID_VALUE);
  mf.dptr = d;
  CHECK(one(other, GS_cuMemFree, (xdrproc_t)xdr_cuMemFree_args, &mf).status[0] ==
        CUDA_ERROR_INVALID_VALUE);
  /* a chunk claiming more than a chunk, and compressed data that is not zstd */
  static uint8_t junk[64];
  memset(junk, 0x77, sizeof junk);
  gs_memcpy_htod_args h = {d, 0, (u_int)GS_CHUNK + 1, GS_CODEC_NONE, {sizeof junk, (char *)junk}};
  CHECK(one(s, GS_gs_memcpy_htod, (xdrproc_t)xdr_gs_memcpy_htod_args, &h).status[0] ==
        CUDA_ERROR_INVALID_VALUE);
  h.raw_len = 1000;
  h.codec = GS_CODEC_ZSTD;
  CHECK(one(s, GS_gs_memcpy_htod, (xdrproc_t)xdr_gs_memcpy_htod_args, &h).status[0] ==
        CUDA_ERROR_INVALID_VALUE);
  h.codec = GS_CODEC_NONE;                                       /* length disagrees */
  CHECK(one(s, GS_gs_memcpy_htod, (xdrproc_t)xdr_gs_memcpy_htod_args, &h).status[0] ==
        CUDA_ERROR_INVALID_VALUE);
  gs_memcpy_dtoh_args dh = {d + 4000, 0, 200, 0};
  CHECK(one(s, GS_gs_memcpy_dtoh, (xdrproc_t)xdr_gs_memcpy_dtoh_args, &dh).status[0] ==
        CUDA_ERROR_INVALID_VALUE);
  /* a module whose content does not match its hash */
  uint8_t hash[GS_HASH_LEN] = {0};
  gs_module_load_args ml = {{GS_HASH_LEN, (char *)hash}, {sizeof junk, (char *)junk}, 0};
  CHECK(one(s, GS_gs_module_load, (xdrproc_t)xdr_gs_module_load_args, &ml).status[0] ==
        CUDA_ERROR_INVALID_VALUE);
  ml.image.image_len = 0;                                         /* unknown hash */
  int st = one(s, GS_gs_module_load, (xdrproc_t)xdr_gs_module_load_args, &ml).status[0];
  CHECK(st == GS_STATUS_NEED_IMAGE || st == CUDA_ERROR_NOT_SUPPORTED);
  /* an out-of-range device name buffer */
  cuDeviceGetName_args dn = {1 << 30, 0};
  CHECK(one(s, GS_cuDeviceGetName, (xdrproc_t)xdr_cuDeviceGetName_args, &dn).status[0] ==
        CUDA_ERROR_INVALID_VALUE);
  dn.dev = 5;
  dn.len = 64;
  CHECK(one(s, GS_cuDeviceGetName, (xdrproc_t)xdr_cuDeviceGetName_args, &dn).status[0] ==
        CUDA_ERROR_INVALID_DEVICE);
  still_serving(s);
  still_serving(other);
}

/* A batch asking for more reply than one message may carry: the agent runs what fits and
 * refuses the rest, rather than building a reply without bound. */
static void test_reply_budget(agent_session *s) {
  enum { CALLS = 200 };
  CUdeviceptr big = alloc_on(s, GS_CHUNK);
  gs_memcpy_dtoh_args a = {big, 0, (u_int)GS_CHUNK, 0};
  call calls[CALLS];
  for (int i = 0; i < CALLS; i++) calls[i] = (call){GS_gs_memcpy_dtoh, (xdrproc_t)xdr_gs_memcpy_dtoh_args, &a};
  gs_buffer m = {0};
  build(&m, calls, CALLS);
  reply_info r = send_msg(s, m.data, m.len);
  CHECK(r.accept == GS_RPC_SUCCESS && r.count == CALLS);
  CHECK(reply.len < GS_LINK_MAX_MESSAGE);
  const uint8_t *p = r.body - 4, *end = reply.data + reply.len;
  int ran = 0, refused = 0;
  for (int i = 0; i < CALLS; i++) {
    CHECK(end - p >= 4);
    int status = (int)gs_read32(p);
    p += 4;
    if (status == 0) {
      CHECK(end - p >= 8);
      uint32_t len = gs_read32(p + 4);
      p += 8 + ((len + 3u) & ~3u);
      ran++;
    } else {
      CHECK(status == CUDA_ERROR_OUT_OF_MEMORY);
      refused++;
    }
  }
  CHECK(p == end && ran > 0 && refused > 0);
  gs_buffer_free(&m);
  cuMemFree_args f = {big};
  CHECK(one(s, GS_cuMemFree, (xdrproc_t)xdr_cuMemFree_args, &f).status[0] == 0);
  reply.len = 0;
  still_serving(s);
}

/* Arrays, 3D copies and texture objects (custom_tex.c): descriptors of the wrong size, made-up
 * and foreign array ids, device ranges outside the session, offsets that would wrap. The
 * array and texture left alive are freed when the session closes (checked in main). */
static uint64_t body_u64(const reply_info *r) {
  return (uint64_t)gs_read32(r->body) << 32 | gs_read32(r->body + 4);
}

static void test_arrays(agent_session *s, agent_session *other, CUdeviceptr d) {
  CUDA_ARRAY3D_DESCRIPTOR desc = {.Width = 16, .Height = 16, .Format = CU_AD_FORMAT_FLOAT, .NumChannels = 1};
  gs_array_create_args ac = {{sizeof desc - 1, (char *)&desc}};
  CHECK(one(s, GS_gs_array_create, (xdrproc_t)xdr_gs_array_create_args, &ac).status[0] == CUDA_ERROR_INVALID_VALUE);
  ac.desc.desc_len = sizeof desc;
  reply_info r = one(s, GS_gs_array_create, (xdrproc_t)xdr_gs_array_create_args, &ac);
  if (r.status[0] == CUDA_ERROR_NOT_SUPPORTED) return;            /* a driver without arrays (mock) */
  CHECK(r.status[0] == 0 && r.body_len == 8);
  uint64_t arr = body_u64(&r);
  char data[64] = {0};
  CUDA_MEMCPY3D c = {.srcMemoryType = CU_MEMORYTYPE_DEVICE, .srcDevice = d + 4096, .dstMemoryType = CU_MEMORYTYPE_ARRAY,
                     .dstArray = (CUarray)(uintptr_t)arr, .WidthInBytes = 64, .Height = 1, .Depth = 1};
  gs_memcpy3d_args mc = {{sizeof c, (char *)&c}, 0, {0, NULL}};
  CHECK(one(s, GS_gs_memcpy3d, (xdrproc_t)xdr_gs_memcpy3d_args, &mc).status[0] == CUDA_ERROR_INVALID_VALUE);
  c.srcDevice = d;
  CHECK(one(s, GS_gs_memcpy3d, (xdrproc_t)xdr_gs_memcpy3d_args, &mc).status[0] == 0);
  CHECK(one(other, GS_gs_memcpy3d, (xdrproc_t)xdr_gs_memcpy3d_args, &mc).status[0] != CUDA_SUCCESS);
  c.dstZ = (size_t)1 << 62;                                        /* wraps if multiplied out */
  CHECK(one(s, GS_gs_memcpy3d, (xdrproc_t)xdr_gs_memcpy3d_args, &mc).status[0] == CUDA_ERROR_INVALID_VALUE);
  c.dstZ = 0;
  c.dstArray = (CUarray)(uintptr_t)(arr + 1);
  CHECK(one(s, GS_gs_memcpy3d, (xdrproc_t)xdr_gs_memcpy3d_args, &mc).status[0] == CUDA_ERROR_INVALID_HANDLE);
  c.dstArray = (CUarray)(uintptr_t)arr;
  c.srcMemoryType = CU_MEMORYTYPE_HOST;                            /* host bytes: must match the extent */
  mc.data.data_val = data;
  mc.data.data_len = 63;
  CHECK(one(s, GS_gs_memcpy3d, (xdrproc_t)xdr_gs_memcpy3d_args, &mc).status[0] == CUDA_ERROR_INVALID_VALUE);
  c.srcMemoryType = CU_MEMORYTYPE_DEVICE;
  c.srcDevice = d + 4000;                                          /* 3 rows of a pitch past the end */
  c.srcPitch = 64;
  c.Height = 3;
  mc.data.data_len = 0;
  CHECK(one(s, GS_gs_memcpy3d, (xdrproc_t)xdr_gs_memcpy3d_args, &mc).status[0] == CUDA_ERROR_INVALID_VALUE);
  /* texture objects over linear memory outside the session, a made-up array, then a real one */
  CUDA_RESOURCE_DESC res = {.resType = CU_RESOURCE_TYPE_LINEAR};
  res.res.linear.devPtr = d + 2048;
  res.res.linear.format = CU_AD_FORMAT_FLOAT;
  res.res.linear.numChannels = 1;
  res.res.linear.sizeInBytes = 4096;
  CUDA_TEXTURE_DESC td = {.filterMode = CU_TR_FILTER_MODE_POINT};
  gs_tex_create_args tc = {{sizeof res, (char *)&res}, {sizeof td, (char *)&td}, 0};
  CHECK(one(s, GS_gs_tex_create, (xdrproc_t)xdr_gs_tex_create_args, &tc).status[0] == CUDA_ERROR_INVALID_VALUE);
  res.resType = CU_RESOURCE_TYPE_ARRAY;
  res.res.array.hArray = (CUarray)(uintptr_t)(arr ^ 0x100000000ull);
  CHECK(one(s, GS_gs_tex_create, (xdrproc_t)xdr_gs_tex_create_args, &tc).status[0] == CUDA_ERROR_INVALID_HANDLE);
  res.res.array.hArray = (CUarray)(uintptr_t)arr;
  r = one(s, GS_gs_tex_create, (xdrproc_t)xdr_gs_tex_create_args, &tc);
  CHECK(r.status[0] == 0 && r.body_len == 8);
  gs_tex_destroy_args tdz = {body_u64(&r), 0};
  CHECK(one(other, GS_gs_tex_destroy, (xdrproc_t)xdr_gs_tex_destroy_args, &tdz).status[0] == CUDA_ERROR_INVALID_VALUE);
  tdz.surface = 1;                                                 /* a texture is not a surface */
  CHECK(one(s, GS_gs_tex_destroy, (xdrproc_t)xdr_gs_tex_destroy_args, &tdz).status[0] == CUDA_ERROR_INVALID_VALUE);
  gs_array_destroy_args ad = {arr};
  CHECK(one(other, GS_gs_array_destroy, (xdrproc_t)xdr_gs_array_destroy_args, &ad).status[0] == CUDA_ERROR_INVALID_HANDLE);
  still_serving(s);
  still_serving(other);
}

int main(int argc, char **argv) {
  CHECK(argc == 2);
  agent_device_config cfg = {argv[1], 0};
  char err[400];
  agent_session *s = agent_session_open(&cfg, err, sizeof err);
  if (!s) fprintf(stderr, "%s\n", err);
  CHECK(s);
  agent_session *other = agent_session_open(&cfg, err, sizeof err);
  CHECK(other);
  CUdeviceptr d = alloc_on(s, 4096);
  test_header_errors(s);
  test_truncation_and_corruption(s, d);
  test_validation(s, other, d);
  test_reply_budget(s);
  test_arrays(s, other, d);

  /* closing frees what the client left behind: memory back at its baseline */
  size_t free_before = 0, free_after = 0;
  reply_info r = one(other, GS_cuMemGetInfo, 0, 0);
  CHECK(r.status[0] == 0);
  free_before = (size_t)((uint64_t)gs_read32(r.body) << 32 | gs_read32(r.body + 4));
  agent_session_close(s);
  r = one(other, GS_cuMemGetInfo, 0, 0);
  free_after = (size_t)((uint64_t)gs_read32(r.body) << 32 | gs_read32(r.body + 4));
  CHECK(free_after >= free_before + 4096);
  agent_counters c;
  agent_session_counters(other, &c);
  CHECK(c.messages > 0 && c.calls > 0);
  agent_session_close(other);
  gs_buffer_free(&reply);
  printf("malformed: ok\n");
  return 0;
}

/* fatbin.c - parse fatbin containers, decode their entries, choose the PTX to run.
 * The format is described in fatbin.h. Every read is bounds-checked: corrupt or truncated
 * input gives FATBIN_ERR_FORMAT with a message, never a read past the buffer.
 */
#include "fatbin.h"

#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <zstd.h>

#define CONTAINER_HEADER 16
#define ENTRY_MIN_HEADER 0x40

static uint16_t rd16(const uint8_t *p) { return (uint16_t)(p[0] | p[1] << 8); }
static uint32_t rd32(const uint8_t *p) { return (uint32_t)rd16(p) | (uint32_t)rd16(p + 2) << 16; }
static uint64_t rd64(const uint8_t *p) { return (uint64_t)rd32(p) | (uint64_t)rd32(p + 4) << 32; }

static void set_err(char *err, size_t errlen, const char *fmt, ...) {
  if (!err || !errlen) return;
  va_list ap;
  va_start(ap, fmt);
  vsnprintf(err, errlen, fmt, ap);
  va_end(ap);
}

size_t fatbin_container_size(const void *data) {
  const uint8_t *p = data;
  if (rd32(p) != FATBIN_MAGIC) return 0;
  uint16_t hs = rd16(p + 6);
  uint64_t size = rd64(p + 8);
  if (hs < CONTAINER_HEADER || size > SIZE_MAX - hs) return 0;
  return hs + (size_t)size;
}

static void parse_entry(const uint8_t *e, size_t hs, fatbin_entry *out) {
  memset(out, 0, sizeof *out);
  out->kind = rd16(e);
  out->payload_size = (size_t)rd64(e + 8);
  out->compressed_size = rd32(e + 0x10);
  out->ptx_minor = rd16(e + 0x18);
  out->ptx_major = rd16(e + 0x1a);
  out->arch = rd32(e + 0x1c);
  out->flags = rd64(e + 0x28);
  out->uncompressed_size = (size_t)rd64(e + 0x38);
  out->payload = e + hs;
}

/* Lists one container's entries. */
static fatbin_status list_container(const uint8_t *c, size_t clen, fatbin_entry *entries, size_t max,
                                    size_t *count, char *err, size_t errlen) {
  size_t off = rd16(c + 6);
  while (off < clen) {
    if (clen - off < ENTRY_MIN_HEADER) {
      set_err(err, errlen, "fatbin: truncated entry header at offset %zu", off);
      return FATBIN_ERR_FORMAT;
    }
    const uint8_t *e = c + off;
    uint32_t hs = rd32(e + 4);
    uint64_t psize = rd64(e + 8);
    if (hs < ENTRY_MIN_HEADER || hs > clen - off || psize > clen - off - hs) {
      set_err(err, errlen, "fatbin: entry at offset %zu overruns its container", off);
      return FATBIN_ERR_FORMAT;
    }
    fatbin_entry fe;
    parse_entry(e, hs, &fe);
    if (fe.kind != FATBIN_KIND_PTX && fe.kind != FATBIN_KIND_ELF && fe.kind != 4 && fe.kind != 8 &&
        fe.kind != 16) {
      set_err(err, errlen, "fatbin: unknown entry kind %u at offset %zu", fe.kind, off);
      return FATBIN_ERR_FORMAT;
    }
    if (*count < max) entries[*count] = fe;
    (*count)++;
    off += hs + (size_t)psize;
  }
  return FATBIN_OK;
}

fatbin_status fatbin_list(const void *data, size_t len, fatbin_entry *entries, size_t max, size_t *count,
                          char *err, size_t errlen) {
  const uint8_t *p = data;
  size_t off = 0;
  int containers = 0;
  *count = 0;
  while (off < len) {
    if (len - off < CONTAINER_HEADER) {
      if (containers && !memcmp(p + off, "\0\0\0\0\0\0\0\0\0\0\0\0\0\0\0", len - off)) break;
      set_err(err, errlen, "fatbin: truncated container header at offset %zu", off);
      return FATBIN_ERR_FORMAT;
    }
    if (rd32(p + off) == 0 && containers) {   /* alignment padding between containers */
      off += 8;
      continue;
    }
    size_t clen = fatbin_container_size(p + off);
    if (!clen) {
      set_err(err, errlen, "fatbin: bad container magic 0x%08x at offset %zu", rd32(p + off), off);
      return FATBIN_ERR_FORMAT;
    }
    if (clen > len - off) {
      set_err(err, errlen, "fatbin: container at offset %zu claims %zu bytes, only %zu present", off, clen,
              len - off);
      return FATBIN_ERR_FORMAT;
    }
    fatbin_status s = list_container(p + off, clen, entries, max, count, err, errlen);
    if (s) return s;
    containers++;
    off += clen;
  }
  if (!containers) {
    set_err(err, errlen, "fatbin: empty image");
    return FATBIN_ERR_FORMAT;
  }
  return FATBIN_OK;
}

/* Adds an LZ4-style length extension (bytes summed until one below 255) to *len.
 * Returns -1 if the input ends inside it. */
static int lz_extend_length(const uint8_t *in, size_t inlen, size_t *ip, size_t *len) {
  uint8_t b;
  do {
    if (*ip >= inlen) return -1;
    b = in[(*ip)++];
    *len += b;
  } while (b == 255);
  return 0;
}

size_t fatbin_lz_decompress(const uint8_t *in, size_t inlen, uint8_t *out, size_t outcap) {
  size_t ip = 0, op = 0;
  while (ip < inlen) {
    uint8_t token = in[ip++];
    size_t lit = token >> 4;
    if (lit == 15 && lz_extend_length(in, inlen, &ip, &lit) != 0) return (size_t)-1;
    if (lit > inlen - ip || lit > outcap - op) return (size_t)-1;
    memcpy(out + op, in + ip, lit);
    ip += lit;
    op += lit;
    if (ip >= inlen) break;   /* the last sequence has literals only */
    if (inlen - ip < 2) return (size_t)-1;
    size_t back = (size_t)in[ip] | (size_t)in[ip + 1] << 8;
    ip += 2;
    size_t match = (token & 15) + 4;
    if ((token & 15) == 15 && lz_extend_length(in, inlen, &ip, &match) != 0) return (size_t)-1;
    if (back == 0 || back > op || match > outcap - op) return (size_t)-1;
    for (size_t i = 0; i < match; i++, op++) out[op] = out[op - back];   /* may overlap */
  }
  return op;
}

fatbin_status fatbin_entry_data(const fatbin_entry *e, char **out, size_t *outlen, char *err, size_t errlen) {
  int zstd = (e->flags & FATBIN_FLAG_ZSTD) != 0;
  int lz = !zstd && (e->flags & FATBIN_FLAG_LZ) != 0;
  size_t stored = e->compressed_size && e->compressed_size <= e->payload_size ? e->compressed_size
                                                                             : e->payload_size;
  size_t size = (zstd || lz) ? e->uncompressed_size : e->payload_size;
  if ((zstd || lz) && (size == 0 || size > ((size_t)1 << 31))) {
    set_err(err, errlen, "fatbin: compressed entry with implausible size %zu", size);
    return FATBIN_ERR_DECOMPRESS;
  }
  char *buf = malloc(size + 1);
  if (!buf) return FATBIN_ERR_NO_MEMORY;
  if (zstd) {
    size_t got = ZSTD_decompress(buf, size, e->payload, stored);
    if (ZSTD_isError(got) || got != size) {
      set_err(err, errlen, "fatbin: zstd entry (sm_%u) did not decode: %s", e->arch,
              ZSTD_isError(got) ? ZSTD_getErrorName(got) : "size mismatch");
      free(buf);
      return FATBIN_ERR_DECOMPRESS;
    }
  } else if (lz) {
    size_t got = fatbin_lz_decompress(e->payload, stored, (uint8_t *)buf, size);
    if (got == (size_t)-1) {
      set_err(err, errlen, "fatbin: LZ-compressed entry (sm_%u) did not decode", e->arch);
      free(buf);
      return FATBIN_ERR_DECOMPRESS;
    }
    size = got;
  } else {
    memcpy(buf, e->payload, size);
  }
  buf[size] = '\0';
  *out = buf;
  *outlen = size;
  return FATBIN_OK;
}

/* Appends " sm_NN" for each entry of `kind` to a list, for error messages. */
static void list_archs(const fatbin_entry *es, size_t n, unsigned kind, char *buf, size_t buflen) {
  size_t used = 0;
  buf[0] = '\0';
  for (size_t i = 0; i < n && used + 12 < buflen; i++)
    if (es[i].kind == kind) used += (size_t)snprintf(buf + used, buflen - used, " %s_%u",
                                                     kind == FATBIN_KIND_PTX ? "compute" : "sm", es[i].arch);
}

fatbin_status fatbin_best_ptx(const void *data, size_t len, unsigned device_arch, char **ptx, size_t *ptx_len,
                              unsigned *arch, char *err, size_t errlen) {
  size_t count = 0;
  fatbin_status s = fatbin_list(data, len, NULL, 0, &count, err, errlen);
  if (s) return s;
  fatbin_entry *es = calloc(count ? count : 1, sizeof *es);
  if (!es) return FATBIN_ERR_NO_MEMORY;
  fatbin_list(data, len, es, count, &count, err, errlen);
  long best = -1;
  for (size_t i = 0; i < count; i++)
    if (es[i].kind == FATBIN_KIND_PTX && es[i].arch <= device_arch && (best < 0 || es[i].arch > es[best].arch))
      best = (long)i;
  if (best < 0) {
    char ptxs[128], elfs[128];
    list_archs(es, count, FATBIN_KIND_PTX, ptxs, sizeof ptxs);
    list_archs(es, count, FATBIN_KIND_ELF, elfs, sizeof elfs);
    if (ptxs[0])
      set_err(err, errlen,
              "fatbin has PTX only for%s, newer than the device (sm_%u); rebuild with "
              "-gencode arch=compute_%u,code=compute_%u or set GPUSHIM_CPU_CC",
              ptxs, device_arch, device_arch, device_arch);
    else
      set_err(err, errlen,
              "fatbin holds no PTX (SASS only:%s); the CPU device runs PTX for compute_%u or older: "
              "rebuild with -gencode arch=compute_%u,code=compute_%u",
              elfs[0] ? elfs : " none", device_arch, device_arch, device_arch);
    free(es);
    return FATBIN_ERR_NO_PTX;
  }
  fatbin_entry chosen = es[best];
  free(es);
  char *text;
  size_t n;
  s = fatbin_entry_data(&chosen, &text, &n, err, errlen);
  if (s) return s;
  *ptx_len = strnlen(text, n);   /* uncompressed payloads are padded with NULs */
  *ptx = text;
  if (arch) *arch = chosen.arch;
  return FATBIN_OK;
}

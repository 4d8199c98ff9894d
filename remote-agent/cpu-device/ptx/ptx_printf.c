/* ptx_printf.c - device printf (vprintf): formats on the host from the argument buffer that
 * the kernel built (each argument aligned to its size: 4 bytes for int/char/short, 8 for
 * long long, double and pointers; %s arguments are generic addresses of strings), then hands the
 * text to the print handler. */
#include "ptx_internal.h"

#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

static pthread_mutex_t print_lock = PTHREAD_MUTEX_INITIALIZER;
static ptx_print_fn print_fn;
static void *print_user;

__attribute__((visibility("default")))
void ptx_set_print_handler(ptx_print_fn fn, void *user) {
  pthread_mutex_lock(&print_lock);
  print_fn = fn;
  print_user = user;
  pthread_mutex_unlock(&print_lock);
}

void ptx_emit_print(const ptx_launch_config *cfg, const char *text, size_t len) {
  pthread_mutex_lock(&print_lock);
  if (cfg->print) {
    cfg->print(text, len, cfg->print_user);
  } else if (print_fn) {
    print_fn(text, len, print_user);
  } else {
    fwrite(text, 1, len, stdout);
    fflush(stdout);
  }
  pthread_mutex_unlock(&print_lock);
}

typedef struct {
  char *buf;
  size_t len, cap;
} sbuf;

static bool sb_append(sbuf *b, const char *s, size_t n) {
  if (b->len + n + 1 > b->cap) {
    size_t nc = (b->cap ? b->cap * 2 : 256);
    while (nc < b->len + n + 1) nc *= 2;
    char *np = realloc(b->buf, nc);
    if (!np) return false;
    b->buf = np;
    b->cap = nc;
  }
  memcpy(b->buf + b->len, s, n);
  b->len += n;
  b->buf[b->len] = 0;
  return true;
}

/* Reads a NUL-terminated string from device memory (at most 4096 bytes). */
static bool read_string(void *rctx, ptx_read_fn rd, uint64_t addr, sbuf *out) {
  for (size_t i = 0; i < 4096; i++) {
    char c;
    if (!rd(rctx, addr + i, &c, 1)) return false;
    if (c == 0) return true;
    if (!sb_append(out, &c, 1)) return false;
  }
  return true;
}

static bool next_arg(void *rctx, ptx_read_fn rd, uint64_t *pos, size_t size, void *dst) {
  *pos = (*pos + size - 1) / size * size;
  if (!rd(rctx, *pos, dst, size)) return false;
  *pos += size;
  return true;
}

/* Ends a conversion spec of sn bytes with a length modifier and the conversion. The spec
 * has room: its flags, width and precision stop by byte 40 (plus at most 11 for a '*'
 * width) of its 64. */
static void end_spec(char *spec, size_t sn, const char *length, char conv) {
  while (*length) spec[sn++] = *length++;
  spec[sn++] = conv;
  spec[sn] = 0;
}

bool ptx_format_printf(void *rctx, ptx_read_fn rd, uint64_t fmt_addr, uint64_t args, char **out, size_t *outlen) {
  sbuf fmt = {0}, res = {0};
  bool ok = read_string(rctx, rd, fmt_addr, &fmt) && sb_append(&fmt, "", 0);
  uint64_t pos = args;
  const char *f = fmt.buf ? fmt.buf : "";
  while (ok && *f) {
    if (*f != '%') {
      const char *e = strchr(f, '%');
      size_t n = e ? (size_t)(e - f) : strlen(f);
      ok = sb_append(&res, f, n);
      f += n;
      continue;
    }
    if (f[1] == '%') {
      ok = sb_append(&res, "%", 1);
      f += 2;
      continue;
    }
    /* a conversion spec: %[flags][width][.prec][length]conv */
    char spec[64];
    size_t sn = 0;
    spec[sn++] = *f++;
    while (*f && strchr("-+ #0", *f) && sn < 40) spec[sn++] = *f++;
    while (*f && ((*f >= '0' && *f <= '9') || *f == '.' || *f == '*') && sn < 40) {
      if (*f == '*') {
        int w = 0;
        if (args && !next_arg(rctx, rd, &pos, 4, &w)) { ok = false; break; }
        sn += (size_t)snprintf(spec + sn, sizeof spec - sn, "%d", w);
        f++;
        continue;
      }
      spec[sn++] = *f++;
    }
    int longs = 0;
    while (*f && strchr("hlLqjzt", *f)) {
      if (*f == 'l' || *f == 'L' || *f == 'q' || *f == 'j' || *f == 'z' || *f == 't') longs++;
      f++;
    }
    char conv = *f ? *f++ : 0;
    char tmp[512];
    int n = 0;
    switch (conv) {
    case 'd': case 'i': case 'u': case 'x': case 'X': case 'o': case 'c': {
      if (longs) {
        long long v = 0;
        if (!next_arg(rctx, rd, &pos, 8, &v)) { ok = false; break; }
        end_spec(spec, sn, "ll", conv);
        n = snprintf(tmp, sizeof tmp, spec, v);
      } else {
        int v = 0;
        if (!next_arg(rctx, rd, &pos, 4, &v)) { ok = false; break; }
        end_spec(spec, sn, "", conv);
        n = snprintf(tmp, sizeof tmp, spec, v);
      }
      break;
    }
    case 'f': case 'F': case 'e': case 'E': case 'g': case 'G': case 'a': case 'A': {
      double v = 0;
      if (!next_arg(rctx, rd, &pos, 8, &v)) { ok = false; break; }
      end_spec(spec, sn, "", conv);
      n = snprintf(tmp, sizeof tmp, spec, v);
      break;
    }
    case 'p': {
      uint64_t v = 0;
      if (!next_arg(rctx, rd, &pos, 8, &v)) { ok = false; break; }
      n = snprintf(tmp, sizeof tmp, "0x%llx", (unsigned long long)v);
      break;
    }
    case 's': {
      uint64_t v = 0;
      if (!next_arg(rctx, rd, &pos, 8, &v)) { ok = false; break; }
      sbuf s = {0};
      if (v == 0) {
        sb_append(&s, "(null)", 6);
      } else if (!read_string(rctx, rd, v, &s)) {
        free(s.buf);
        ok = false;
        break;
      }
      end_spec(spec, sn, "", 's');
      char *formatted = NULL;
      int fl = asprintf(&formatted, spec, s.buf ? s.buf : "");
      if (fl >= 0) ok = sb_append(&res, formatted, (size_t)fl);
      free(formatted);
      free(s.buf);
      continue;
    }
    default:
      ok = sb_append(&res, spec, sn) && (conv ? sb_append(&res, &conv, 1) : true);
      continue;
    }
    if (!ok) break;
    if (n > (int)sizeof tmp - 1) n = (int)sizeof tmp - 1;
    if (n > 0) ok = sb_append(&res, tmp, (size_t)n);
  }
  free(fmt.buf);
  if (!ok) {
    free(res.buf);
    return false;
  }
  if (!res.buf) sb_append(&res, "", 0);
  *out = res.buf;
  *outlen = res.len;
  return true;
}

/* secret.c - the shared secret both ends prove they know: loading, checking, generating. */
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include <openssl/crypto.h>
#include <openssl/rand.h>

#include "transport.h"

int gs_secret_load(const char *path, gs_secret *out, char *err, size_t errlen) {
  memset(out, 0, sizeof *out);
  int fd = open(path, O_RDONLY | O_CLOEXEC);
  if (fd < 0) {
    snprintf(err, errlen, "cannot read secret file %s: %s (check the path)", path,
             strerror(errno));
    return -1;
  }
  struct stat st;
  if (fstat(fd, &st) < 0 || !S_ISREG(st.st_mode)) {
    snprintf(err, errlen, "secret file %s is not a regular file", path);
    close(fd);
    return -1;
  }
  if (st.st_mode & (S_IRWXG | S_IRWXO)) {
    snprintf(err, errlen,
             "secret file %s is accessible by group or others (mode %03o): run chmod 600 %s",
             path, (unsigned)(st.st_mode & 0777), path);
    close(fd);
    return -1;
  }
  uint8_t buf[GS_SECRET_MAX + 1];
  ssize_t n = read(fd, buf, sizeof buf);
  close(fd);
  if (n < 0) {
    snprintf(err, errlen, "cannot read secret file %s: %s", path, strerror(errno));
    return -1;
  }
  while (n > 0 && (buf[n - 1] == '\n' || buf[n - 1] == '\r' || buf[n - 1] == ' ' ||
                   buf[n - 1] == '\t'))
    n--;
  if ((size_t)n > GS_SECRET_MAX || (size_t)n < GS_SECRET_MIN) {
    snprintf(err, errlen, "secret file %s must hold %u to %u bytes (e.g. `openssl rand -hex 32`)",
             path, GS_SECRET_MIN, GS_SECRET_MAX);
    OPENSSL_cleanse(buf, sizeof buf);
    return -1;
  }
  memcpy(out->bytes, buf, (size_t)n);
  out->len = (size_t)n;
  OPENSSL_cleanse(buf, sizeof buf);
  return 0;
}

int gs_secret_generate(gs_secret *out) {
  uint8_t raw[32];
  static const char hex[] = "0123456789abcdef";
  if (RAND_bytes(raw, sizeof raw) != 1) return -1;
  for (size_t i = 0; i < sizeof raw; i++) {
    out->bytes[2 * i] = (uint8_t)hex[raw[i] >> 4];
    out->bytes[2 * i + 1] = (uint8_t)hex[raw[i] & 15];
  }
  out->len = 2 * sizeof raw;
  OPENSSL_cleanse(raw, sizeof raw);
  return 0;
}

void gs_secret_wipe(gs_secret *s) { OPENSSL_cleanse(s, sizeof *s); }

/* test_blob.h - reads a whole build output (fatbin, cubin, PTX) into memory for the CPU
 * device's C tests. The bytes are followed by a NUL, so PTX text can be used as a string.
 */
#ifndef GPUSHIM_TEST_BLOB_H
#define GPUSHIM_TEST_BLOB_H

#include <stdio.h>
#include <stdlib.h>

typedef struct {
  unsigned char *data;
  size_t len;
} blob;

/* Exits with status 2 (a broken test setup, not a failure) when the file cannot be read. */
static inline blob read_blob(const char *path) {
  blob b = {0};
  FILE *f = fopen(path, "rb");
  if (!f) {
    perror(path);
    exit(2);
  }
  fseek(f, 0, SEEK_END);
  b.len = (size_t)ftell(f);
  fseek(f, 0, SEEK_SET);
  b.data = calloc(1, b.len + 1);
  if (!b.data || fread(b.data, 1, b.len, f) != b.len) exit(2);
  fclose(f);
  return b;
}

#endif

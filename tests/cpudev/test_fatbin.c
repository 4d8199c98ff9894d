/* test_fatbin.c - unit tests of the fatbin reader against real nvcc output.
 * Arguments: fatbins built by nvcc at build time, in this order: default (compressed
 * PTX + sm_75 ELF), --no-compress, -Xfatbin -compress-all, multi-arch (compute_75 and
 * compute_90 PTX, sm_86 ELF), ELF only (sm_80).
 */
#include "fatbin.h"
#include "test_blob.h"
#include "test_expect.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static size_t list(const blob *b, fatbin_entry *es, size_t max) {
  size_t n = 0;
  char err[256];
  EXPECT(fatbin_list(b->data, b->len, es, max, &n, err, sizeof err) == FATBIN_OK);
  return n;
}

static const fatbin_entry *find_kind(const fatbin_entry *es, size_t n, unsigned kind, unsigned arch) {
  for (size_t i = 0; i < n; i++)
    if (es[i].kind == kind && (!arch || es[i].arch == arch)) return &es[i];
  return NULL;
}

static char *best(const blob *b, unsigned dev_arch, unsigned *arch, fatbin_status want) {
  char *ptx = NULL, err[512] = "";
  size_t len = 0;
  fatbin_status s = fatbin_best_ptx(b->data, b->len, dev_arch, &ptx, &len, arch, err, sizeof err);
  EXPECT(s == want);
  if (s != want) fprintf(stderr, "  status %d: %s\n", s, err);
  if (s == FATBIN_OK) EXPECT(strlen(ptx) == len);
  return ptx;
}

/* The default fatbin: sm_75 ELF plus zstd-compressed compute_75 PTX. */
static char *test_default(const blob *b) {
  fatbin_entry es[8];
  size_t n = list(b, es, 8);
  EXPECT(n == 2);
  const fatbin_entry *ptx = find_kind(es, n, FATBIN_KIND_PTX, 75);
  const fatbin_entry *elf = find_kind(es, n, FATBIN_KIND_ELF, 75);
  EXPECT(ptx && elf);
  if (ptx) {
    EXPECT(ptx->flags & FATBIN_FLAG_ZSTD);
    EXPECT(ptx->uncompressed_size > ptx->compressed_size);
    EXPECT(ptx->ptx_major >= 8);
  }
  unsigned arch = 0;
  char *text = best(b, 90, &arch, FATBIN_OK);
  EXPECT(arch == 75);
  if (text) {
    EXPECT(strstr(text, ".version") != NULL);
    EXPECT(strstr(text, ".target sm_75") != NULL);
    EXPECT(strstr(text, ".entry vadd") != NULL);
    EXPECT(strstr(text, "scale") != NULL);
  }
  return text;
}

/* --no-compress: the same PTX text, stored plainly. */
static void test_uncompressed(const blob *b, const char *expected_text) {
  fatbin_entry es[8];
  size_t n = list(b, es, 8);
  const fatbin_entry *ptx = find_kind(es, n, FATBIN_KIND_PTX, 75);
  EXPECT(ptx && !(ptx->flags & (FATBIN_FLAG_ZSTD | FATBIN_FLAG_LZ)));
  char *text = best(b, 90, NULL, FATBIN_OK);
  EXPECT(text && expected_text && !strcmp(text, expected_text));
  free(text);
}

/* -compress-all: the ELF is compressed too and must decode to the plain ELF. */
static void test_compress_all(const blob *b, const blob *plain) {
  fatbin_entry es[8], ps[8];
  size_t n = list(b, es, 8), pn = list(plain, ps, 8);
  const fatbin_entry *elf = find_kind(es, n, FATBIN_KIND_ELF, 75);
  const fatbin_entry *pelf = find_kind(ps, pn, FATBIN_KIND_ELF, 75);
  EXPECT(elf && pelf);
  if (!elf || !pelf) return;
  EXPECT(elf->flags & FATBIN_FLAG_ZSTD);
  char *data, err[256];
  size_t len;
  EXPECT(fatbin_entry_data(elf, &data, &len, err, sizeof err) == FATBIN_OK);
  EXPECT(len == elf->uncompressed_size);
  EXPECT(len <= pelf->payload_size && !memcmp(data, pelf->payload, len));
  EXPECT(!memcmp(data, "\177ELF", 4));
  free(data);
}

/* compute_75 + compute_90 PTX, sm_86 SASS: the best PTX depends on the device. */
static void test_multi(const blob *b) {
  fatbin_entry es[8];
  size_t n = list(b, es, 8);
  EXPECT(n == 3);
  EXPECT(find_kind(es, n, FATBIN_KIND_ELF, 86) != NULL);
  unsigned arch = 0;
  free(best(b, 90, &arch, FATBIN_OK));
  EXPECT(arch == 90);
  free(best(b, 120, &arch, FATBIN_OK));
  EXPECT(arch == 90);
  free(best(b, 86, &arch, FATBIN_OK));
  EXPECT(arch == 75);
  char *ptx, err[512] = "";
  size_t len;
  EXPECT(fatbin_best_ptx(b->data, b->len, 70, &ptx, &len, NULL, err, sizeof err) == FATBIN_ERR_NO_PTX);
  EXPECT(strstr(err, "compute_75") && strstr(err, "sm_70"));
}

static void test_elf_only(const blob *b) {
  char *ptx, err[512] = "";
  size_t len;
  EXPECT(fatbin_best_ptx(b->data, b->len, 90, &ptx, &len, NULL, err, sizeof err) == FATBIN_ERR_NO_PTX);
  EXPECT(strstr(err, "sm_80") != NULL);
  EXPECT(strstr(err, "no PTX") != NULL);
}

/* Every truncation of a valid fatbin is an error, never an overread (ASan watches). */
static void test_truncated(const blob *b) {
  for (size_t cut = 0; cut < b->len; cut += (cut < 256 ? 1 : 7)) {
    unsigned char *copy = malloc(cut ? cut : 1);
    memcpy(copy, b->data, cut);
    size_t n;
    char err[256];
    EXPECT(fatbin_list(copy, cut, NULL, 0, &n, err, sizeof err) != FATBIN_OK);
    free(copy);
  }
}

/* Corrupted bytes give some status, never a crash; a damaged zstd frame fails to decode. */
static void test_corrupt(const blob *b) {
  unsigned seed = 12345;
  for (int round = 0; round < 400; round++) {
    unsigned char *copy = malloc(b->len);
    memcpy(copy, b->data, b->len);
    for (int k = 0; k < 4; k++) {
      seed = seed * 1103515245u + 12345u;
      size_t at = (seed >> 8) % (round < 200 ? 0x60 + 0x50 : b->len);
      copy[at] ^= (unsigned char)(seed >> 24 | 1);
    }
    char *ptx = NULL, err[256];
    size_t len;
    if (fatbin_best_ptx(copy, b->len, 90, &ptx, &len, NULL, err, sizeof err) == FATBIN_OK) free(ptx);
    free(copy);
  }
  fatbin_entry es[8];
  size_t n = list(b, es, 8);
  const fatbin_entry *ptx = find_kind(es, n, FATBIN_KIND_PTX, 75);
  if (!ptx) return;
  size_t at = (size_t)(ptx->payload - b->data);
  unsigned char *copy = malloc(b->len);
  memcpy(copy, b->data, b->len);
  memset(copy + at + 4, 0xA5, 16);   /* damage the frame after its magic */
  char *text, err[256];
  size_t len;
  EXPECT(fatbin_best_ptx(copy, b->len, 90, &text, &len, NULL, err, sizeof err) == FATBIN_ERR_DECOMPRESS);
  free(copy);
}

/* Containers back to back (with padding) as in an executable's .nv_fatbin section. */
static void test_concatenated(const blob *a, const blob *b) {
  size_t pad = 8, len = a->len + pad + b->len;
  unsigned char *both = calloc(1, len);
  memcpy(both, a->data, a->len);
  memcpy(both + a->len + pad, b->data, b->len);
  size_t n = 0, na = 0, nb = 0;
  char err[256];
  EXPECT(fatbin_list(both, len, NULL, 0, &n, err, sizeof err) == FATBIN_OK);
  fatbin_list(a->data, a->len, NULL, 0, &na, err, sizeof err);
  fatbin_list(b->data, b->len, NULL, 0, &nb, err, sizeof err);
  EXPECT(n == na + nb);
  EXPECT(fatbin_container_size(both) == a->len);
  free(both);
}

/* The older LZ4-style codec, on hand-made blocks. */
static void test_lz(void) {
  /* literals "abcd", then a match of 8 at distance 4, then a final literal "!" */
  const unsigned char block[] = {0x44, 'a', 'b', 'c', 'd', 4, 0, 0x10, '!'};
  unsigned char out[32];
  size_t n = fatbin_lz_decompress(block, sizeof block, out, sizeof out);
  EXPECT(n == 13 && !memcmp(out, "abcdabcdabcd!", 13));
  EXPECT(fatbin_lz_decompress(block, sizeof block, out, 8) == (size_t)-1);   /* no room */
  const unsigned char bad[] = {0x14, 'a', 9, 0, 0x10, '!'};                  /* distance > output */
  EXPECT(fatbin_lz_decompress(bad, sizeof bad, out, sizeof out) == (size_t)-1);
  const unsigned char cut[] = {0xF0, 255};                                   /* length runs off */
  EXPECT(fatbin_lz_decompress(cut, sizeof cut, out, sizeof out) == (size_t)-1);
}

int main(int argc, char **argv) {
  if (argc != 6) {
    fprintf(stderr, "usage: %s default nocompress compressall multi elfonly\n", argv[0]);
    return 2;
  }
  blob def = read_blob(argv[1]), plain = read_blob(argv[2]), all = read_blob(argv[3]);
  blob multi = read_blob(argv[4]), elf = read_blob(argv[5]);
  char *text = test_default(&def);
  test_uncompressed(&plain, text);
  free(text);
  test_compress_all(&all, &plain);
  test_multi(&multi);
  test_elf_only(&elf);
  test_truncated(&def);
  test_corrupt(&def);
  test_concatenated(&def, &multi);
  test_lz();
  free(def.data), free(plain.data), free(all.data), free(multi.data), free(elf.data);
  return test_finish("fatbin");
}

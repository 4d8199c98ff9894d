/* fatbin.h - reader for nvcc's fatbin containers: entries, decompression, best PTX.
 *
 * Layout (little endian), checked against nvcc 13.0 output:
 *   container: u32 magic 0xBA55ED50, u16 version, u16 header_size, u64 payload_size;
 *              entries follow the header back to back until payload_size is used up.
 *   entry:     u16 kind (1 PTX, 2 ELF), u16 version, u32 header_size, u64 payload_size,
 *              u32 compressed_size, u32 (unknown), u16 minor, u16 major (PTX ISA version),
 *              u32 arch (e.g. 75), u32 name_offset, u32 name_size, u64 flags (0x20-0x2f:
 *              at 0x28), u64 (zero), u64 uncompressed_size (at 0x38); header_size is 0x40
 *              for ELF and 0x50 for PTX.
 *   flags:     0x8000 = payload is a zstd frame; 0x2000 = older LZ4-style block codec.
 * A wrapper (what __cudaRegisterFatBinary gets) is {i32 magic 0x466243b1, i32 version,
 * const void *data, void *filename_or_fatbins}.
 */
#ifndef GPUSHIM_FATBIN_H
#define GPUSHIM_FATBIN_H

#include <stddef.h>
#include <stdint.h>

#define FATBIN_MAGIC 0xBA55ED50u
#define FATBIN_WRAPPER_MAGIC 0x466243b1u
#define FATBIN_KIND_PTX 1
#define FATBIN_KIND_ELF 2
#define FATBIN_FLAG_ZSTD 0x8000u
#define FATBIN_FLAG_LZ 0x2000u

typedef enum {
  FATBIN_OK = 0,
  FATBIN_ERR_FORMAT,       /* not a fatbin, truncated or inconsistent */
  FATBIN_ERR_NO_PTX,       /* well formed, but no PTX this device can use */
  FATBIN_ERR_DECOMPRESS,   /* a compressed entry did not decode */
  FATBIN_ERR_NO_MEMORY,
} fatbin_status;

typedef struct {
  unsigned kind;
  unsigned arch;                /* e.g. 75 for sm_75 / compute_75 */
  unsigned ptx_major, ptx_minor;
  uint64_t flags;
  const uint8_t *payload;
  size_t payload_size;          /* bytes stored */
  size_t compressed_size;       /* bytes of the compressed stream (0 if not compressed) */
  size_t uncompressed_size;
} fatbin_entry;

typedef struct {
  int32_t magic;
  int32_t version;
  const void *data;
  void *filename_or_fatbins;
} fatbin_wrapper;

/* Total length of one container (header + payload) if `data` (at least 16 readable bytes)
 * starts one, else 0. */
size_t fatbin_container_size(const void *data);

/* Lists the entries of every container in [data, data+len) (containers back to back,
 * zero padding between them allowed). Writes at most `max` entries, sets *count to the
 * number found. */
fatbin_status fatbin_list(const void *data, size_t len, fatbin_entry *entries, size_t max, size_t *count,
                          char *err, size_t errlen);

/* Decodes an entry's payload into a malloc'd buffer with a NUL after it. */
fatbin_status fatbin_entry_data(const fatbin_entry *e, char **out, size_t *outlen, char *err, size_t errlen);

/* Picks the PTX with the highest arch not above `device_arch` (e.g. 90), decodes it and
 * returns it NUL-terminated (malloc'd) with its length and arch. On FATBIN_ERR_NO_PTX the
 * message names the architectures found and the one needed. */
fatbin_status fatbin_best_ptx(const void *data, size_t len, unsigned device_arch, char **ptx, size_t *ptx_len,
                              unsigned *arch, char *err, size_t errlen);

/* The older LZ4-style block codec. Returns the number of bytes written, or (size_t)-1 if
 * the input is malformed or would overflow `outcap`. */
size_t fatbin_lz_decompress(const uint8_t *in, size_t inlen, uint8_t *out, size_t outcap);

#endif

/* jit_link.c - a cuLink* session for a PTX-only linker: inputs in, one PTX module out.
 * See jit_link.h; the drivers around it check contexts and find the device's arch. */
#include "jit_link.h"
#include "fatbin.h"
#include "ptx_link.h"

#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/* A caller's log buffer and the option slot that receives how much of it was filled. */
typedef struct {
  char *buf;
  size_t size;
  void **size_slot;
} jit_log;

struct CUlinkState_st {
  unsigned arch;       /* the device's compute capability, for picking a fatbin's PTX */
  jit_link_diag_fn *diag;
  char **inputs;       /* the PTX inputs, NUL-terminated */
  size_t ninputs;
  char *linked;        /* what cuLinkComplete returned; lives until cuLinkDestroy */
  size_t len;
  jit_log error_log, info_log;
};

static void log_write(jit_log *log, const char *msg) {
  if (!log->buf || !log->size) return;
  snprintf(log->buf, log->size, "%s", msg);
  size_t n = strlen(log->buf) + 1;
  if (log->size_slot) *log->size_slot = (void *)(uintptr_t)n;
}

static void link_error(struct CUlinkState_st *s, const char *msg) {
  if (s->diag) s->diag(msg);
  log_write(&s->error_log, msg);
}

static void take_option(struct CUlinkState_st *s, CUjit_option opt, void **slot) {
  switch (opt) {
  case CU_JIT_ERROR_LOG_BUFFER: s->error_log.buf = *slot; break;
  case CU_JIT_ERROR_LOG_BUFFER_SIZE_BYTES:
    s->error_log.size = (size_t)(uintptr_t)*slot;
    s->error_log.size_slot = slot;
    break;
  case CU_JIT_INFO_LOG_BUFFER: s->info_log.buf = *slot; break;
  case CU_JIT_INFO_LOG_BUFFER_SIZE_BYTES:
    s->info_log.size = (size_t)(uintptr_t)*slot;
    s->info_log.size_slot = slot;
    break;
  default: break;      /* optimisation level, target, cache mode...: the PTX JIT's business */
  }
}

CUresult jit_link_create(unsigned arch, jit_link_diag_fn *diag, unsigned int numOptions, CUjit_option *options,
                         void **optionValues, CUlinkState *stateOut) {
  if (!stateOut || (numOptions && (!options || !optionValues))) return CUDA_ERROR_INVALID_VALUE;
  struct CUlinkState_st *s = calloc(1, sizeof *s);
  if (!s) return CUDA_ERROR_OUT_OF_MEMORY;
  s->arch = arch;
  s->diag = diag;
  for (unsigned i = 0; i < numOptions; i++) take_option(s, options[i], &optionValues[i]);
  if (s->error_log.buf) log_write(&s->error_log, "");
  if (s->info_log.buf) log_write(&s->info_log, "");
  *stateOut = s;
  return CUDA_SUCCESS;
}

static CUresult add_ptx(struct CUlinkState_st *s, const char *text, size_t len) {
  char **grown = realloc(s->inputs, (s->ninputs + 1) * sizeof *grown);
  if (!grown) return CUDA_ERROR_OUT_OF_MEMORY;
  s->inputs = grown;
  char *copy = malloc(len + 1);
  if (!copy) return CUDA_ERROR_OUT_OF_MEMORY;
  memcpy(copy, text, len);
  copy[len] = '\0';
  s->inputs[s->ninputs++] = copy;
  return CUDA_SUCCESS;
}

static CUresult add_fatbin(struct CUlinkState_st *s, const void *data, size_t size) {
  char *ptx, err[512] = "";
  size_t len;
  if (!size) size = fatbin_container_size(data);
  fatbin_status st = fatbin_best_ptx(data, size, s->arch, &ptx, &len, NULL, err, sizeof err);
  if (st) {
    link_error(s, err);
    return st == FATBIN_ERR_NO_PTX ? CUDA_ERROR_NO_BINARY_FOR_GPU : CUDA_ERROR_INVALID_IMAGE;
  }
  CUresult r = add_ptx(s, ptx, len);
  free(ptx);
  return r;
}

CUresult jit_link_add_data(CUlinkState state, CUjitInputType type, const void *data, size_t size, const char *name) {
  (void)name;
  if (!state || !data) return CUDA_ERROR_INVALID_VALUE;
  switch (type) {
  case CU_JIT_INPUT_PTX: return add_ptx(state, data, size ? strnlen(data, size) : strlen(data));
  case CU_JIT_INPUT_FATBINARY: return add_fatbin(state, data, size);
  case CU_JIT_INPUT_CUBIN:
    link_error(state, "cubin (SASS) input: only PTX (text or in a fatbin) can be linked here");
    return CUDA_ERROR_NO_BINARY_FOR_GPU;
  default:
    link_error(state, "object, library and LTO-IR inputs cannot be linked here: only PTX and fatbins with PTX");
    return CUDA_ERROR_NOT_SUPPORTED;
  }
}

/* The whole file, NUL-terminated (malloc'd), or NULL. */
static char *read_file(const char *path, size_t *len) {
  FILE *f = fopen(path, "rb");
  if (!f) return NULL;
  char *buf = NULL;
  size_t n = 0;
  for (;;) {
    char *nb = realloc(buf, n + 65536 + 1);
    if (!nb) break;
    buf = nb;
    size_t got = fread(buf + n, 1, 65536, f);
    n += got;
    if (got == 0) {
      fclose(f);
      buf[n] = '\0';
      *len = n;
      return buf;
    }
  }
  free(buf);
  fclose(f);
  return NULL;
}

CUresult jit_link_add_file(CUlinkState state, CUjitInputType type, const char *path) {
  if (!state || !path) return CUDA_ERROR_INVALID_VALUE;
  size_t n;
  char *buf = read_file(path, &n);
  if (!buf) return CUDA_ERROR_FILE_NOT_FOUND;
  CUresult r = jit_link_add_data(state, type, buf, n, path);
  free(buf);
  return r;
}

CUresult jit_link_complete(CUlinkState state, void **cubinOut, size_t *sizeOut) {
  if (!state || !cubinOut) return CUDA_ERROR_INVALID_VALUE;
  if (!state->ninputs) {
    link_error(state, "nothing to link");
    return CUDA_ERROR_INVALID_VALUE;
  }
  char err[512] = "";
  size_t len;
  char *linked = ptx_link((const char *const *)state->inputs, state->ninputs, &len, err, sizeof err);
  if (!linked) {
    link_error(state, err);
    return CUDA_ERROR_INVALID_PTX;
  }
  free(state->linked);
  state->linked = linked;
  state->len = len;
  char info[128];
  snprintf(info, sizeof info, "ptx_link: %zu PTX input%s linked into %zu bytes of PTX", state->ninputs,
           state->ninputs == 1 ? "" : "s", len);
  log_write(&state->info_log, info);
  *cubinOut = linked;
  if (sizeOut) *sizeOut = len + 1;
  return CUDA_SUCCESS;
}

CUresult jit_link_destroy(CUlinkState state) {
  if (!state) return CUDA_ERROR_INVALID_VALUE;
  for (size_t i = 0; i < state->ninputs; i++) free(state->inputs[i]);
  free(state->inputs);
  free(state->linked);
  free(state);
  return CUDA_SUCCESS;
}

/* driver_link.c - cuLink*: the JIT linker, as far as a PTX-only device can offer it.
 *
 * Clients such as numba-cuda hand their PTX to cuLinkAddData and load what
 * cuLinkComplete returns. Here the "linked image" is PTX text (which cuModuleLoadData
 * accepts): the one input, or several PTX inputs (given directly or inside fatbins) linked
 * into one module by ptx_link. SASS inputs and libraries are refused with a message in the
 * error log.
 */
#include "driver.h"
#include "fatbin.h"
#include "ptx_link.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

struct CUlinkState_st {
  char **inputs;       /* the PTX inputs, NUL-terminated */
  size_t ninputs;
  char *linked;        /* what cuLinkComplete returned; lives until cuLinkDestroy */
  size_t len;
  char *error_log;     /* the caller's CU_JIT_ERROR_LOG_BUFFER, if any */
  size_t error_log_size;
};

static void link_error(struct CUlinkState_st *s, const char *msg) {
  cpudev_diag("cuLink: %s", msg);
  if (s->error_log && s->error_log_size) snprintf(s->error_log, s->error_log_size, "%s", msg);
}

CPUDEV_API CUresult cuLinkCreate_v2(unsigned int numOptions, CUjit_option *options, void **optionValues,
                                    CUlinkState *stateOut) {
  if (!stateOut) return CUDA_ERROR_INVALID_VALUE;
  CUcontext ctx;
  CUresult r = cpudev_current_ctx(&ctx);
  if (r) return r;
  struct CUlinkState_st *s = calloc(1, sizeof *s);
  if (!s) return CUDA_ERROR_OUT_OF_MEMORY;
  for (unsigned i = 0; options && optionValues && i < numOptions; i++) {
    if (options[i] == CU_JIT_ERROR_LOG_BUFFER) s->error_log = optionValues[i];
    if (options[i] == CU_JIT_ERROR_LOG_BUFFER_SIZE_BYTES) s->error_log_size = (size_t)(uintptr_t)optionValues[i];
  }
  if (!s->error_log) s->error_log_size = 0;
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
  CUcontext ctx;
  CUresult r = cpudev_current_ctx(&ctx);
  if (r) return r;
  cpudev_device *d = cpudev_device_at(ctx->device);
  char *ptx, err[512] = "";
  size_t len;
  if (!size) size = fatbin_container_size(data);
  fatbin_status st = fatbin_best_ptx(data, size, (unsigned)(d->cc_major * 10 + d->cc_minor), &ptx, &len, NULL,
                                     err, sizeof err);
  if (st) {
    link_error(s, err);
    return st == FATBIN_ERR_NO_PTX ? CUDA_ERROR_NO_BINARY_FOR_GPU : CUDA_ERROR_INVALID_IMAGE;
  }
  r = add_ptx(s, ptx, len);
  free(ptx);
  return r;
}

CPUDEV_API CUresult cuLinkAddData_v2(CUlinkState state, CUjitInputType type, void *data, size_t size,
                                     const char *name, unsigned int numOptions, CUjit_option *options,
                                     void **optionValues) {
  (void)name, (void)numOptions, (void)options, (void)optionValues;
  if (!state || !data) return CUDA_ERROR_INVALID_VALUE;
  switch (type) {
  case CU_JIT_INPUT_PTX: return add_ptx(state, data, size ? strnlen(data, size) : strlen(data));
  case CU_JIT_INPUT_FATBINARY: return add_fatbin(state, data, size);
  case CU_JIT_INPUT_CUBIN:
    link_error(state, "cubin (SASS) input: the CPU device runs PTX only");
    return CUDA_ERROR_NO_BINARY_FOR_GPU;
  default:
    link_error(state, "only PTX and fatbin inputs can be linked on the CPU device");
    return CUDA_ERROR_NOT_SUPPORTED;
  }
}

CPUDEV_API CUresult cuLinkAddFile_v2(CUlinkState state, CUjitInputType type, const char *path,
                                     unsigned int numOptions, CUjit_option *options, void **optionValues) {
  if (!state || !path) return CUDA_ERROR_INVALID_VALUE;
  FILE *f = fopen(path, "rb");
  if (!f) return CUDA_ERROR_FILE_NOT_FOUND;
  char *buf = NULL;
  size_t n = 0;
  for (;;) {
    char *nb = realloc(buf, n + 65536 + 1);
    if (!nb) {
      free(buf);
      fclose(f);
      return CUDA_ERROR_OUT_OF_MEMORY;
    }
    buf = nb;
    size_t got = fread(buf + n, 1, 65536, f);
    n += got;
    if (got == 0) break;
  }
  fclose(f);
  buf[n] = '\0';
  CUresult r = cuLinkAddData_v2(state, type, buf, n, path, numOptions, options, optionValues);
  free(buf);
  return r;
}

CPUDEV_API CUresult cuLinkComplete(CUlinkState state, void **cubinOut, size_t *sizeOut) {
  if (!state || !cubinOut) return CUDA_ERROR_INVALID_VALUE;
  if (!state->ninputs) {
    link_error(state, "nothing to link");
    return CUDA_ERROR_INVALID_VALUE;
  }
  char err[512] = "";
  char *linked = ptx_link((const char *const *)state->inputs, state->ninputs, &state->len, err, sizeof err);
  if (!linked) {
    link_error(state, err);
    return CUDA_ERROR_INVALID_PTX;
  }
  free(state->linked);
  state->linked = linked;
  *cubinOut = linked;
  if (sizeOut) *sizeOut = state->len + 1;
  return CUDA_SUCCESS;
}

CPUDEV_API CUresult cuLinkDestroy(CUlinkState state) {
  if (!state) return CUDA_ERROR_INVALID_VALUE;
  for (size_t i = 0; i < state->ninputs; i++) free(state->inputs[i]);
  free(state->inputs);
  free(state->linked);
  free(state);
  return CUDA_SUCCESS;
}

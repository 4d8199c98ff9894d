/* custom_link.c - cuLink* on the client: the JIT linker that numba-cuda (without nvJitLink),
 * cuda-python and others call before cuModuleLoadData.
 *
 * The inputs never cross the wire: PTX (text, or the best PTX of a fatbin for the current
 * device's compute capability) is collected and joined here by ptx_link, and cuLinkComplete
 * returns the linked PTX, which cuModuleLoadData then sends to the agent like any PTX image.
 * That is right on a real GPU as well: its driver JITs PTX for the device. The session is
 * jit_link.c, shared with the CPU device's cuLink*; cubin, object and library inputs are
 * refused there with a message in CU_JIT_ERROR_LOG_BUFFER, except a cubin that NVRTC made
 * through our face, which is added as its PTX twin (ptx_twin.h). */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "gs_client.h"
#include "jit_link.h"
#include "ptx_twin.h"

static void link_diag(const char *msg) {
  fprintf(stderr, "gpushim: cuLink: %s\n", msg);
}

/* The current context's device as major*10+minor (cached answers after the first call). */
static CUresult current_arch(unsigned *arch) {
  CUdevice dev;
  int major, minor;
  CUresult e = cuCtxGetDevice(&dev);
  if (!e) e = cuDeviceGetAttribute(&major, CU_DEVICE_ATTRIBUTE_COMPUTE_CAPABILITY_MAJOR, dev);
  if (!e) e = cuDeviceGetAttribute(&minor, CU_DEVICE_ATTRIBUTE_COMPUTE_CAPABILITY_MINOR, dev);
  if (!e) *arch = (unsigned)(major * 10 + minor);
  return e;
}

GS_EXPORT CUresult CUDAAPI cuLinkCreate(unsigned int numOptions, CUjit_option *options, void **optionValues,
                                        CUlinkState *stateOut) {
  if (!stateOut) return CUDA_ERROR_INVALID_VALUE;
  unsigned arch;
  CUresult e = current_arch(&arch);
  if (e) return e;
  return jit_link_create(arch, link_diag, numOptions, options, optionValues, stateOut);
}

GS_EXPORT CUresult CUDAAPI cuLinkAddData(CUlinkState state, CUjitInputType type, void *data, size_t size,
                                         const char *name, unsigned int numOptions, CUjit_option *options,
                                         void **optionValues) {
  (void)numOptions, (void)options, (void)optionValues;     /* per-input JIT options: ignored */
  int elf = type == CU_JIT_INPUT_CUBIN && data && size >= 64 && !memcmp(data, "\177ELF", 4);
  char *ptx = elf ? gs_ptx_twin_copy(data) : NULL;
  if (ptx) {                                    /* an NVRTC cubin: its PTX twin (ptx_twin.h) */
    CUresult e = jit_link_add_data(state, CU_JIT_INPUT_PTX, ptx, strlen(ptx) + 1, name);
    free(ptx);
    return e;
  }
  return jit_link_add_data(state, type, data, size, name);
}

GS_EXPORT CUresult CUDAAPI cuLinkAddFile(CUlinkState state, CUjitInputType type, const char *path,
                                         unsigned int numOptions, CUjit_option *options, void **optionValues) {
  (void)numOptions, (void)options, (void)optionValues;
  return jit_link_add_file(state, type, path);
}

GS_EXPORT CUresult CUDAAPI cuLinkComplete(CUlinkState state, void **cubinOut, size_t *sizeOut) {
  return jit_link_complete(state, cubinOut, sizeOut);
}

GS_EXPORT CUresult CUDAAPI cuLinkDestroy(CUlinkState state) {
  return jit_link_destroy(state);
}

/* driver_link.c - cuLink*: the JIT linker, as far as a PTX-only device can offer it.
 *
 * Clients such as numba-cuda hand their PTX to cuLinkAddData and load what
 * cuLinkComplete returns. Here the "linked image" is PTX text (which cuModuleLoadData
 * accepts): the one input, or several PTX inputs (given directly or inside fatbins) linked
 * into one module by ptx_link. The session itself is jit_link.c, shared with libgpushim's
 * client-side cuLink*; this file adds the context check and the device's arch.
 */
#include "driver.h"
#include "jit_link.h"

static void link_diag(const char *msg) {
  cpudev_diag("cuLink: %s", msg);
}

CPUDEV_API CUresult cuLinkCreate_v2(unsigned int numOptions, CUjit_option *options, void **optionValues,
                                    CUlinkState *stateOut) {
  if (!stateOut) return CUDA_ERROR_INVALID_VALUE;
  CUcontext ctx;
  CUresult r = cpudev_current_ctx(&ctx);
  if (r) return r;
  cpudev_device *d = cpudev_device_at(ctx->device);
  return jit_link_create((unsigned)(d->cc_major * 10 + d->cc_minor), link_diag, numOptions, options, optionValues,
                         stateOut);
}

CPUDEV_API CUresult cuLinkAddData_v2(CUlinkState state, CUjitInputType type, void *data, size_t size,
                                     const char *name, unsigned int numOptions, CUjit_option *options,
                                     void **optionValues) {
  (void)numOptions, (void)options, (void)optionValues;
  return jit_link_add_data(state, type, data, size, name);
}

CPUDEV_API CUresult cuLinkAddFile_v2(CUlinkState state, CUjitInputType type, const char *path,
                                     unsigned int numOptions, CUjit_option *options, void **optionValues) {
  (void)numOptions, (void)options, (void)optionValues;
  return jit_link_add_file(state, type, path);
}

CPUDEV_API CUresult cuLinkComplete(CUlinkState state, void **cubinOut, size_t *sizeOut) {
  return jit_link_complete(state, cubinOut, sizeOut);
}

CPUDEV_API CUresult cuLinkDestroy(CUlinkState state) {
  return jit_link_destroy(state);
}

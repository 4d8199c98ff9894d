/* jit_link.h - a cuLink* session (CUlinkState) for a driver that links PTX only.
 *
 * Shared by the CPU device's cuLink* (driver_link.c) and libgpushim's client-side cuLink*
 * (shim/driver/custom_link.c): both collect PTX inputs (PTX text, or the best PTX of a
 * fatbin for the device's compute capability), join them with ptx_link, and return the
 * linked PTX text as the "image" that cuModuleLoadData accepts. SASS (cubin), object,
 * library and LTO-IR inputs are refused with a message in the error log. */
#ifndef GPUSHIM_JIT_LINK_H
#define GPUSHIM_JIT_LINK_H

#include <cuda.h>
#include <stddef.h>

/* How a driver reports a refusal besides the caller's error log (may be NULL). */
typedef void jit_link_diag_fn(const char *msg);

/* A session for a device of compute capability `arch` (major*10+minor). Honours
 * CU_JIT_ERROR_LOG_BUFFER / CU_JIT_INFO_LOG_BUFFER (+ _SIZE_BYTES, whose slot receives the
 * bytes written, as cuda.h documents); optimisation and other options are ignored. */
CUresult jit_link_create(unsigned arch, jit_link_diag_fn *diag, unsigned int numOptions, CUjit_option *options,
                         void **optionValues, CUlinkState *stateOut);
CUresult jit_link_add_data(CUlinkState state, CUjitInputType type, const void *data, size_t size, const char *name);
CUresult jit_link_add_file(CUlinkState state, CUjitInputType type, const char *path);
/* The linked PTX (NUL-terminated; *sizeOut counts the NUL), valid until jit_link_destroy. */
CUresult jit_link_complete(CUlinkState state, void **cubinOut, size_t *sizeOut);
CUresult jit_link_destroy(CUlinkState state);

#endif

/* ptx_twin.h - PTX stand-ins for cubins (kept in custom_module.c).
 *
 * The NVRTC face (shim/nvrtc) notes, for every cubin it hands an app, the PTX of the same
 * compilation. A module load of that cubin that the device refuses with
 * CUDA_ERROR_NO_BINARY_FOR_GPU — a device that cannot run SASS, such as the CPU device — then
 * loads the PTX instead, provided a GPU of the device's compute capability would have run the
 * cubin; a GPU that accepts the cubin never sees its twin. cuLinkAddData of such a cubin adds
 * the PTX (the client's linker takes PTX only). */
#ifndef GS_PTX_TWIN_H
#define GS_PTX_TWIN_H

#include <stddef.h>

/* Notes ptx (len bytes, NUL included) as the twin of the cubin image at cubin (copied). */
void gs_ptx_twin_note(const void *cubin, const char *ptx, size_t len);

/* A copy of the twin of the cubin at image (its extent read from its ELF header), to free(),
 * or NULL. */
char *gs_ptx_twin_copy(const void *image);

#endif

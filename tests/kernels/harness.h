/* harness.h - the driver-API harness that runs the kernels of kernels/ from their fatbins:
 * small helpers over cuda.h (every failure is fatal and named), and the cases, one per
 * kernels/ program, each returning its number of mismatches against the shared reference.
 */
#ifndef GPUSHIM_TESTS_KERNELS_HARNESS_H
#define GPUSHIM_TESTS_KERNELS_HARNESS_H

#include <cuda.h>
#include <stddef.h>

/* Exits with "FAIL <case>" when a driver call does not return CUDA_SUCCESS. */
#define HK_CHECK(call) hk_check((call), #call, __FILE__, __LINE__)
void hk_check(CUresult result, const char *call, const char *file, int line);

void *hk_malloc(size_t bytes);                        /* exits on failure */
CUfunction hk_function(CUmodule module, const char *name);
CUdeviceptr hk_alloc(size_t bytes);
CUdeviceptr hk_upload(const void *host, size_t bytes);   /* cuMemAlloc + cuMemcpyHtoD */
void hk_download(void *host, CUdeviceptr device, size_t bytes);
/* cuLaunchKernel with kernelParams on stream 0; blocks and threads in x only. */
void hk_launch_1d(CUfunction f, unsigned blocks, unsigned threads, unsigned shared_bytes,
                  void **params);
unsigned hk_blocks_for(unsigned n, unsigned threads);

typedef size_t (*hk_case_fn)(CUmodule module);

size_t case_vector_add(CUmodule m);
size_t case_saxpy(CUmodule m);
size_t case_matmul(CUmodule m);
size_t case_reduction(CUmodule m);
size_t case_histogram(CUmodule m);
size_t case_scan(CUmodule m);
size_t case_grid_stride(CUmodule m);
size_t case_atomic_cas(CUmodule m);
size_t case_atomics(CUmodule m);
size_t case_sync_count(CUmodule m);
size_t case_warp_vote(CUmodule m);
size_t case_coop_groups(CUmodule m);

size_t case_local_array(CUmodule m);
size_t case_device_calls(CUmodule m);
size_t case_fptr(CUmodule m);
size_t case_many_params(CUmodule m);
size_t case_grids(CUmodule m);
size_t case_constant(CUmodule m);
size_t case_math_funcs(CUmodule m);
size_t case_intdiv(CUmodule m);
size_t case_bitops(CUmodule m);
size_t case_half_convert(CUmodule m);

size_t case_device_printf(CUmodule m);
size_t case_memset(CUmodule m);
size_t case_streams(CUmodule m);
size_t case_memcpy2d(CUmodule m);
size_t case_fault(CUmodule m);
size_t case_big_shared(CUmodule m);
size_t case_textures(CUmodule m);
size_t case_grid_sync(CUmodule m);

#endif

/* cases_grid.c - the driver-API case of kernels/grid_sync: the grid-synchronised reduction through
 * cuLaunchCooperativeKernel, the stencil through cuLaunchKernelEx with
 * CU_LAUNCH_ATTRIBUTE_COOPERATIVE, and CUDA_ERROR_COOPERATIVE_LAUNCH_TOO_LARGE for a grid one block
 * larger than the device holds at once. Inputs and references come from kernels/grid_sync.h. */
#include "harness.h"

#include <stdio.h>
#include <stdlib.h>

#include "grid_sync.h"

static size_t reduce_case(CUfunction f, CUdeviceptr d_x, const int32_t *x) {
  int64_t got[GS_THREADS], want[GS_THREADS];
  CUdeviceptr d_partial = hk_alloc(GS_BLOCKS * sizeof(int64_t)), d_out = hk_alloc(sizeof got);
  int n = GS_N;
  void *params[] = {&d_x, &d_partial, &d_out, &n};
  HK_CHECK(cuLaunchCooperativeKernel(f, GS_BLOCKS, 1, 1, GS_BLOCK, 1, 1, 0, NULL, params));
  hk_download(got, d_out, sizeof got);
  for (int i = 0; i < GS_THREADS; i++) want[i] = gs_reduce_ref(x, GS_N);
  HK_CHECK(cuMemFree(d_partial));
  HK_CHECK(cuMemFree(d_out));
  return kc_compare_i64("grid_reduce", got, want, GS_THREADS);
}

static size_t stencil_case(CUfunction f, const int32_t *x) {
  size_t bytes = GS_N * sizeof(int32_t);
  int32_t *got = hk_malloc(bytes), *want = hk_malloc(bytes);
  CUdeviceptr d_a = hk_upload(x, bytes), d_b = hk_alloc(bytes);
  int n = GS_N, iters = GS_ITERS;
  void *params[] = {&d_a, &d_b, &n, &iters};
  CUlaunchAttribute attr = {.id = CU_LAUNCH_ATTRIBUTE_COOPERATIVE, .value.cooperative = 1};
  CUlaunchConfig cfg = {.gridDimX = GS_BLOCKS, .gridDimY = 1, .gridDimZ = 1, .blockDimX = GS_BLOCK,
                        .blockDimY = 1, .blockDimZ = 1, .attrs = &attr, .numAttrs = 1};
  HK_CHECK(cuLaunchKernelEx(&cfg, f, params, NULL));
  hk_download(got, GS_ITERS % 2 ? d_b : d_a, bytes);
  gs_stencil_ref(x, GS_N, GS_ITERS, want);
  size_t bad = kc_compare_i32("grid_stencil", got, want, GS_N);
  HK_CHECK(cuMemFree(d_a));
  HK_CHECK(cuMemFree(d_b));
  free(got);
  free(want);
  return bad;
}

static size_t too_large_case(CUfunction f, CUdeviceptr d_x) {
  CUdevice dev;
  int sms, per_sm, coop;
  HK_CHECK(cuCtxGetDevice(&dev));
  HK_CHECK(cuDeviceGetAttribute(&coop, CU_DEVICE_ATTRIBUTE_COOPERATIVE_LAUNCH, dev));
  HK_CHECK(cuDeviceGetAttribute(&sms, CU_DEVICE_ATTRIBUTE_MULTIPROCESSOR_COUNT, dev));
  HK_CHECK(cuOccupancyMaxActiveBlocksPerMultiprocessor(&per_sm, f, GS_BLOCK, 0));
  size_t bad = coop == 1 ? 0 : 1;
  if (per_sm * sms < GS_BLOCKS) bad++;
  CUdeviceptr none = 0;
  int n = GS_N;
  void *params[] = {&d_x, &none, &none, &n};
  CUresult r = cuLaunchCooperativeKernel(f, (unsigned)(per_sm * sms + 1), 1, 1, GS_BLOCK, 1, 1, 0, NULL, params);
  if (r != CUDA_ERROR_COOPERATIVE_LAUNCH_TOO_LARGE) {
    printf("grid_sync: %d x %d + 1 blocks gave error %d\n", per_sm, sms, (int)r);
    bad++;
  }
  HK_CHECK(cuCtxSynchronize());   /* the refusal is not sticky */
  return bad;
}

size_t case_grid_sync(CUmodule m) {
  CUfunction reduce = hk_function(m, "_Z11grid_reducePKiPxS1_i");
  CUfunction stencil = hk_function(m, "_Z12grid_stencilPiS_ii");
  int32_t *x = hk_malloc(GS_N * sizeof(int32_t));
  gs_inputs(x, GS_N);
  CUdeviceptr d_x = hk_upload(x, GS_N * sizeof(int32_t));
  size_t bad = too_large_case(reduce, d_x);
  bad += reduce_case(reduce, d_x, x);
  bad += stencil_case(stencil, x);
  bad += reduce_case(reduce, d_x, x);
  HK_CHECK(cuMemFree(d_x));
  free(x);
  return bad;
}

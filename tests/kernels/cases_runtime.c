/* cases_runtime.c - driver-API cases for the kernels of kernels/ that exercise the runtime
 * around them: device_printf (stdout captured), memset (cuMemsetD8/D8Async), streams
 * (streams, events, cuStreamWaitEvent, cuEventElapsedTime), memcpy2d (cuMemAllocPitch,
 * cuMemcpy2D, cuMemsetD2D8), fault (a sticky CUDA_ERROR_ILLEGAL_ADDRESS) and big_shared
 * (cuFuncSetAttribute raising the dynamic shared memory limit).
 */
#include <math.h>
#include <stdlib.h>

#include "harness.h"
#include "big_shared.h"
#include "device_printf.h"
#include "fault.h"
#include "memcpy2d.h"
#include "memset.h"
#include "streams.h"

size_t case_device_printf(CUmodule m) {
  CUfunction f = hk_function(m, "_Z13device_printfv");
  CUresult launch, sync;
  FILE *file;
  char *out;
  size_t bad;
  int saved = kc_capture_stdout_begin(&file);
  if (saved < 0) {
    perror("capturing stdout");
    return 1;
  }
  launch = cuLaunchKernel(f, DEVICE_PRINTF_BLOCKS, 1, 1, DEVICE_PRINTF_THREADS, 1, 1, 0, NULL, NULL, NULL);
  sync = launch == CUDA_SUCCESS ? cuCtxSynchronize() : launch;
  out = kc_capture_stdout_end(file, saved);
  HK_CHECK(launch);
  HK_CHECK(sync);
  if (!out) {
    printf("  could not read the captured output\n");
    return 1;
  }
  bad = device_printf_check(out);
  free(out);
  return bad;
}

size_t case_memset(CUmodule m) {
  CUfunction f = hk_function(m, "_Z9mark_evenPji");
  int n = MEMSET_N;
  size_t bytes = (size_t)n * 4, bad;
  uint32_t *got = hk_malloc(bytes), *want = hk_malloc(bytes);
  CUstream stream;
  CUdeviceptr d_buf = hk_alloc(bytes);
  void *params[] = {&d_buf, &n};
  HK_CHECK(cuStreamCreate(&stream, CU_STREAM_DEFAULT));
  HK_CHECK(cuMemsetD8(d_buf, MEMSET_FILL, bytes));
  HK_CHECK(cuLaunchKernel(f, hk_blocks_for((unsigned)(n + 1) / 2, MEMSET_BLOCK), 1, 1, MEMSET_BLOCK, 1, 1, 0,
                          stream, params, NULL));
  HK_CHECK(cuMemsetD8Async(d_buf + MEMSET_CLEAR_OFFSET, 0, MEMSET_CLEAR_BYTES, stream));
  HK_CHECK(cuStreamSynchronize(stream));
  hk_download(got, d_buf, bytes);
  memset_ref(want, n);
  bad = kc_compare_u32("buf", got, want, n);
  HK_CHECK(cuMemFree(d_buf));
  HK_CHECK(cuStreamDestroy(stream));
  free(got); free(want);
  return bad;
}

size_t case_streams(CUmodule m) {
  CUfunction square = hk_function(m, "_Z15square_plus_onePfi"), add = hk_function(m, "_Z8add_intoPfPKfi");
  int n = STREAMS_HALF;
  size_t bytes = (size_t)n * 4, bad = 0;
  unsigned blocks = hk_blocks_for(n, STREAMS_BLOCK);
  float *h_x0, *h_x1, *h_y0, *h_y1, *want0 = hk_malloc(bytes), *want1 = hk_malloc(bytes), ms = -1.0f;
  CUstream s0, s1;
  CUevent done0, start, stop;
  CUdeviceptr d0 = hk_alloc(bytes), d1 = hk_alloc(bytes);
  void *p_sq0[] = {&d0, &n}, *p_sq1[] = {&d1, &n}, *p_add[] = {&d1, &d0, &n};
  HK_CHECK(cuMemAllocHost((void **)&h_x0, bytes));
  HK_CHECK(cuMemAllocHost((void **)&h_x1, bytes));
  HK_CHECK(cuMemAllocHost((void **)&h_y0, bytes));
  HK_CHECK(cuMemAllocHost((void **)&h_y1, bytes));
  streams_inputs(h_x0, h_x1, n);
  HK_CHECK(cuStreamCreate(&s0, CU_STREAM_NON_BLOCKING));
  HK_CHECK(cuStreamCreateWithPriority(&s1, CU_STREAM_NON_BLOCKING, 0));
  HK_CHECK(cuEventCreate(&done0, CU_EVENT_DISABLE_TIMING));
  HK_CHECK(cuEventCreate(&start, CU_EVENT_DEFAULT));
  HK_CHECK(cuEventCreate(&stop, CU_EVENT_DEFAULT));

  HK_CHECK(cuEventRecord(start, s1));
  HK_CHECK(cuMemcpyHtoDAsync(d0, h_x0, bytes, s0));
  HK_CHECK(cuLaunchKernel(square, blocks, 1, 1, STREAMS_BLOCK, 1, 1, 0, s0, p_sq0, NULL));
  HK_CHECK(cuEventRecord(done0, s0));
  HK_CHECK(cuMemcpyDtoHAsync(h_y0, d0, bytes, s0));
  HK_CHECK(cuMemcpyHtoDAsync(d1, h_x1, bytes, s1));
  HK_CHECK(cuLaunchKernel(square, blocks, 1, 1, STREAMS_BLOCK, 1, 1, 0, s1, p_sq1, NULL));
  HK_CHECK(cuStreamWaitEvent(s1, done0, 0));
  HK_CHECK(cuLaunchKernel(add, blocks, 1, 1, STREAMS_BLOCK, 1, 1, 0, s1, p_add, NULL));
  HK_CHECK(cuMemcpyDtoHAsync(h_y1, d1, bytes, s1));
  HK_CHECK(cuEventRecord(stop, s1));

  HK_CHECK(cuEventSynchronize(stop));
  HK_CHECK(cuStreamSynchronize(s0));
  HK_CHECK(cuEventElapsedTime(&ms, start, stop));
  if (!(ms >= 0.0f) || !isfinite(ms)) {
    printf("  cuEventElapsedTime gave %g ms\n", (double)ms);
    bad++;
  }
  if (cuStreamQuery(s0) != CUDA_SUCCESS || cuStreamQuery(s1) != CUDA_SUCCESS ||
      cuEventQuery(done0) != CUDA_SUCCESS) {
    printf("  a finished stream or event does not report CUDA_SUCCESS\n");
    bad++;
  }
  streams_ref(h_x0, h_x1, want0, want1, n);
  bad += kc_compare_f32_exact("y0", h_y0, want0, n);
  bad += kc_compare_f32_exact("y1", h_y1, want1, n);

  HK_CHECK(cuMemFree(d0));
  HK_CHECK(cuMemFree(d1));
  HK_CHECK(cuEventDestroy(done0));
  HK_CHECK(cuEventDestroy(start));
  HK_CHECK(cuEventDestroy(stop));
  HK_CHECK(cuStreamDestroy(s0));
  HK_CHECK(cuStreamDestroy(s1));
  HK_CHECK(cuMemFreeHost(h_x0));
  HK_CHECK(cuMemFreeHost(h_x1));
  HK_CHECK(cuMemFreeHost(h_y0));
  HK_CHECK(cuMemFreeHost(h_y1));
  free(want0); free(want1);
  return bad;
}

/* One cuMemcpy2D between host and device or device and device. */
static void copy_2d(CUdeviceptr dst_dev, void *dst_host, size_t dst_pitch, CUdeviceptr src_dev,
                    const void *src_host, size_t src_pitch, size_t width_bytes, size_t rows) {
  CUDA_MEMCPY2D c;
  memset(&c, 0, sizeof c);
  c.srcMemoryType = src_host ? CU_MEMORYTYPE_HOST : CU_MEMORYTYPE_DEVICE;
  c.srcHost = src_host;
  c.srcDevice = src_dev;
  c.srcPitch = src_pitch;
  c.dstMemoryType = dst_host ? CU_MEMORYTYPE_HOST : CU_MEMORYTYPE_DEVICE;
  c.dstHost = dst_host;
  c.dstDevice = dst_dev;
  c.dstPitch = dst_pitch;
  c.WidthInBytes = width_bytes;
  c.Height = rows;
  HK_CHECK(cuMemcpy2D(&c));
}

size_t case_memcpy2d(CUmodule m) {
  CUfunction f = hk_function(m, "_Z17transform_pitchedPfmii");
  size_t row_bytes = M2D_W * sizeof(float), pitch_a, pitch_b, bad, i;
  size_t dst_count = (size_t)M2D_H * M2D_DST_PITCH;
  float *src = hk_malloc((size_t)M2D_H * M2D_SRC_PITCH * 4);
  float *dense = hk_malloc(M2D_H * row_bytes), *want_dense = hk_malloc(M2D_H * row_bytes);
  float *dst = hk_malloc(dst_count * 4), *want_dst = hk_malloc(dst_count * 4);
  int w = M2D_W, h = M2D_H;
  CUdeviceptr d_a, d_b;
  void *params[] = {&d_a, &pitch_a, &w, &h};
  memcpy2d_inputs(src);
  for (i = 0; i < dst_count; i++) dst[i] = M2D_SENTINEL;
  HK_CHECK(cuMemAllocPitch(&d_a, &pitch_a, row_bytes, M2D_H, 4));
  HK_CHECK(cuMemAllocPitch(&d_b, &pitch_b, row_bytes, M2D_H, 4));
  copy_2d(d_a, NULL, pitch_a, 0, src, M2D_SRC_PITCH * 4, row_bytes, M2D_H);
  HK_CHECK(cuLaunchKernel(f, hk_blocks_for(M2D_W, M2D_BLOCK_X), hk_blocks_for(M2D_H, M2D_BLOCK_Y), 1,
                          M2D_BLOCK_X, M2D_BLOCK_Y, 1, 0, NULL, params, NULL));
  HK_CHECK(cuMemsetD2D8(d_b, pitch_b, 0, row_bytes, M2D_H));
  copy_2d(d_b + M2D_DEST_Y * pitch_b + M2D_DEST_X * 4, NULL, pitch_b,
          d_a + M2D_SUB_Y * pitch_a + M2D_SUB_X * 4, NULL, pitch_a, M2D_SUB_W * 4, M2D_SUB_H);
  copy_2d(0, dense, row_bytes, d_a, NULL, pitch_a, row_bytes, M2D_H);
  copy_2d(0, dst, M2D_DST_PITCH * 4, d_b, NULL, pitch_b, row_bytes, M2D_H);
  memcpy2d_ref(src, want_dense, want_dst);
  bad = kc_compare_f32_exact("transformed", dense, want_dense, (size_t)M2D_H * M2D_W);
  bad += kc_compare_f32_exact("copied", dst, want_dst, dst_count);
  HK_CHECK(cuMemFree(d_a));
  HK_CHECK(cuMemFree(d_b));
  free(src); free(dense); free(want_dense); free(dst); free(want_dst);
  return bad;
}

/* Counts a driver call that did not return the expected result. */
static size_t expect(const char *what, CUresult got, CUresult want) {
  const char *got_name = "?", *want_name = "?";
  if (got == want) return 0;
  cuGetErrorName(got, &got_name);
  cuGetErrorName(want, &want_name);
  printf("  %s returned %s, want %s\n", what, got_name, want_name);
  return 1;
}

size_t case_fault(CUmodule m) {
  CUfunction f = hk_function(m, "_Z19write_out_of_boundsPixi");
  CUdeviceptr d_buf = hk_alloc(FAULT_N * sizeof(int)), d_more = 0;
  long long bad_index = FAULT_BAD_INDEX;
  int bad_thread = FAULT_BAD_THREAD, host[4];
  void *params[] = {&d_buf, &bad_index, &bad_thread};
  size_t bad = expect("cuLaunchKernel",
                      cuLaunchKernel(f, 2, 1, 1, 128, 1, 1, 0, NULL, params, NULL), CUDA_SUCCESS);
  bad += expect("cuCtxSynchronize", cuCtxSynchronize(), CUDA_ERROR_ILLEGAL_ADDRESS);
  /* Sticky: the context is unusable from now on. */
  bad += expect("cuMemAlloc after the fault", cuMemAlloc(&d_more, 64), CUDA_ERROR_ILLEGAL_ADDRESS);
  bad += expect("cuMemcpyDtoH after the fault", cuMemcpyDtoH(host, d_buf, sizeof host),
                CUDA_ERROR_ILLEGAL_ADDRESS);
  bad += expect("a second cuCtxSynchronize", cuCtxSynchronize(), CUDA_ERROR_ILLEGAL_ADDRESS);
  return bad;
}

size_t case_big_shared(CUmodule m) {
  CUfunction f = hk_function(m, "_Z14reverse_blocksPKfPfi");
  int n = BIG_SHARED_N, per_block = BIG_SHARED_ELEMS, limit = -1;
  size_t bytes = (size_t)n * 4, bad;
  float *x = hk_malloc(bytes), *y = hk_malloc(bytes), *want = hk_malloc(bytes);
  CUdeviceptr d_x, d_y;
  void *params[] = {&d_x, &d_y, &per_block};
  big_shared_inputs(x, n);
  d_x = hk_upload(x, bytes);
  d_y = hk_alloc(bytes);
  bad = expect("cuLaunchKernel above the default shared memory limit",
               cuLaunchKernel(f, BIG_SHARED_BLOCKS, 1, 1, BIG_SHARED_THREADS, 1, 1, BIG_SHARED_BYTES,
                              NULL, params, NULL),
               CUDA_ERROR_INVALID_VALUE);
  HK_CHECK(cuFuncSetAttribute(f, CU_FUNC_ATTRIBUTE_MAX_DYNAMIC_SHARED_SIZE_BYTES, BIG_SHARED_BYTES));
  HK_CHECK(cuFuncGetAttribute(&limit, CU_FUNC_ATTRIBUTE_MAX_DYNAMIC_SHARED_SIZE_BYTES, f));
  if (limit != BIG_SHARED_BYTES) {
    printf("  CU_FUNC_ATTRIBUTE_MAX_DYNAMIC_SHARED_SIZE_BYTES is %d after setting %d\n", limit,
           BIG_SHARED_BYTES);
    bad++;
  }
  HK_CHECK(cuLaunchKernel(f, BIG_SHARED_BLOCKS, 1, 1, BIG_SHARED_THREADS, 1, 1, BIG_SHARED_BYTES, NULL,
                          params, NULL));
  hk_download(y, d_y, bytes);
  big_shared_ref(x, want, n);
  bad += kc_compare_f32_exact("y", y, want, n);
  HK_CHECK(cuMemFree(d_x));
  HK_CHECK(cuMemFree(d_y));
  free(x); free(y); free(want);
  return bad;
}

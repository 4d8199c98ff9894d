/* cases_language.c - driver-API cases for the kernels of kernels/ that exercise the
 * language: local_array, device_calls, many_params (kernelParams and the `extra` buffer),
 * grids, constant (cuModuleGetGlobal), math_funcs, intdiv, bitops and half_convert.
 */
#include <stdlib.h>

#include "harness.h"
#include "bitops.h"
#include "constant.h"
#include "device_calls.h"
#include "fptr.h"
#include "grids.h"
#include "half_convert.h"
#include "intdiv.h"
#include "local_array.h"
#include "many_params.h"
#include "math_funcs.h"

size_t case_local_array(CUmodule m) {
  CUfunction f = hk_function(m, "_Z11local_arrayPKjPji");
  int n = LOCAL_ARRAY_N;
  size_t bytes = (size_t)n * sizeof(uint32_t), bad;
  uint32_t *seeds = hk_malloc(bytes), *out = hk_malloc(bytes), *want = hk_malloc(bytes);
  CUdeviceptr d_seeds, d_out;
  void *params[] = {&d_seeds, &d_out, &n};
  local_array_inputs(seeds, n);
  d_seeds = hk_upload(seeds, bytes);
  d_out = hk_alloc(bytes);
  hk_launch_1d(f, hk_blocks_for(n, LOCAL_ARRAY_BLOCK), LOCAL_ARRAY_BLOCK, 0, params);
  hk_download(out, d_out, bytes);
  local_array_ref(seeds, want, n);
  bad = kc_compare_u32("out", out, want, n);
  HK_CHECK(cuMemFree(d_seeds));
  HK_CHECK(cuMemFree(d_out));
  free(seeds); free(out); free(want);
  return bad;
}

size_t case_device_calls(CUmodule m) {
  CUfunction f = hk_function(m, "_Z12device_callsPKjPKfPjS3_Pfi");
  int n = DEVICE_CALLS_N;
  size_t bytes = (size_t)n * 4, bad;
  uint32_t *u = hk_malloc(bytes), *out_u = hk_malloc(bytes), *out_d = hk_malloc(bytes);
  uint32_t *want_u = hk_malloc(bytes), *want_d = hk_malloc(bytes);
  float *x = hk_malloc(bytes), *out_f = hk_malloc(bytes), *want_f = hk_malloc(bytes);
  CUdeviceptr d_u, d_x, d_out_u, d_out_d, d_out_f;
  void *params[] = {&d_u, &d_x, &d_out_u, &d_out_d, &d_out_f, &n};
  device_calls_inputs(u, x, n);
  d_u = hk_upload(u, bytes);
  d_x = hk_upload(x, bytes);
  d_out_u = hk_alloc(bytes);
  d_out_d = hk_alloc(bytes);
  d_out_f = hk_alloc(bytes);
  hk_launch_1d(f, hk_blocks_for(n, DEVICE_CALLS_BLOCK), DEVICE_CALLS_BLOCK, 0, params);
  hk_download(out_u, d_out_u, bytes);
  hk_download(out_d, d_out_d, bytes);
  hk_download(out_f, d_out_f, bytes);
  device_calls_ref(u, x, want_u, want_d, want_f, n);
  bad = kc_compare_u32("mix3", out_u, want_u, n);
  bad += kc_compare_u32("digit sums", out_d, want_d, n);
  bad += kc_compare_f32_exact("half_plus", out_f, want_f, n);
  HK_CHECK(cuMemFree(d_u));
  HK_CHECK(cuMemFree(d_x));
  HK_CHECK(cuMemFree(d_out_u));
  HK_CHECK(cuMemFree(d_out_d));
  HK_CHECK(cuMemFree(d_out_f));
  free(u); free(out_u); free(out_d); free(want_u); free(want_d); free(x); free(out_f); free(want_f);
  return bad;
}

/* Device function pointers: a __device__ table of functions and virtual calls. */
size_t case_fptr(CUmodule m) {
  CUfunction f = hk_function(m, "_Z4fptrPKjPjS1_i");
  int n = FPTR_N;
  size_t bytes = (size_t)n * 4, bad;
  uint32_t *u = hk_malloc(bytes), *out_t = hk_malloc(bytes), *out_v = hk_malloc(bytes);
  uint32_t *want_t = hk_malloc(bytes), *want_v = hk_malloc(bytes);
  CUdeviceptr d_u, d_t, d_v;
  void *params[] = {&d_u, &d_t, &d_v, &n};
  fptr_inputs(u, n);
  d_u = hk_upload(u, bytes);
  d_t = hk_alloc(bytes);
  d_v = hk_alloc(bytes);
  hk_launch_1d(f, hk_blocks_for(n, FPTR_BLOCK), FPTR_BLOCK, 0, params);
  hk_download(out_t, d_t, bytes);
  hk_download(out_v, d_v, bytes);
  fptr_ref(u, want_t, want_v, n);
  bad = kc_compare_u32("table", out_t, want_t, n);
  bad += kc_compare_u32("virtual", out_v, want_v, n);
  HK_CHECK(cuMemFree(d_u));
  HK_CHECK(cuMemFree(d_t));
  HK_CHECK(cuMemFree(d_v));
  free(u); free(out_t); free(out_v); free(want_t); free(want_v);
  return bad;
}

/* Sizes and alignments of the twelve parameters of many_params. */
#define MANY_PARAMS_COUNT 12
static const size_t many_params_sizes[MANY_PARAMS_COUNT] = {1, 2, 4, 8, 4, 8,
    sizeof(many_params_struct), 1, 8, 8, 8, 4};
static const size_t many_params_aligns[MANY_PARAMS_COUNT] = {1, 2, 4, 8, 4, 8, 8, 1, 8, 8, 8, 4};

/* The arguments packed the way the kernel ABI lays them out (buf NULL: offsets only); the
 * size is the end of the last one, with no tail padding, as NVIDIA's driver requires. */
static size_t pack_many_params(unsigned char *buf, const void *const *values, size_t *offsets) {
  size_t at = 0, i;
  for (i = 0; i < MANY_PARAMS_COUNT; i++) {
    at = (at + many_params_aligns[i] - 1) / many_params_aligns[i] * many_params_aligns[i];
    offsets[i] = at;
    if (buf) memcpy(buf + at, values[i], many_params_sizes[i]);
    at += many_params_sizes[i];
  }
  return at;
}

/* cuFuncGetParamInfo must report the same layout, and no thirteenth parameter. */
static size_t check_param_info(CUfunction f) {
  size_t offsets[MANY_PARAMS_COUNT], bad = 0, offset, size, i;
  pack_many_params(NULL, NULL, offsets);
  for (i = 0; i < MANY_PARAMS_COUNT; i++) {
    HK_CHECK(cuFuncGetParamInfo(f, i, &offset, &size));
    if (offset != offsets[i] || size != many_params_sizes[i]) {
      printf("  parameter %zu: cuFuncGetParamInfo says offset %zu size %zu, want %zu and %zu\n", i,
             offset, size, offsets[i], many_params_sizes[i]);
      bad++;
    }
  }
  if (cuFuncGetParamInfo(f, MANY_PARAMS_COUNT, &offset, &size) != CUDA_ERROR_INVALID_VALUE) {
    printf("  cuFuncGetParamInfo accepts parameter %d of %d\n", MANY_PARAMS_COUNT, MANY_PARAMS_COUNT);
    bad++;
  }
  return bad;
}

/* Checks the layout cuFuncGetParamInfo reports, then launches twice: with kernelParams,
 * then with a packed `extra` buffer. */
size_t case_many_params(CUmodule m) {
  CUfunction f = hk_function(m, "_Z11many_paramscsixfd18many_params_structhPKiPxPdi");
  int n = MANY_PARAMS_N, i_arg = MANY_PARAMS_I, launch;
  char c = MANY_PARAMS_C;
  short s = MANY_PARAMS_S;
  long long ll = MANY_PARAMS_LL;
  float fv = MANY_PARAMS_F;
  double d = MANY_PARAMS_D;
  unsigned char uc = MANY_PARAMS_UC;
  many_params_struct p = many_params_struct_value();
  int32_t *in = hk_malloc((size_t)n * sizeof(int32_t));
  int64_t *out_ll = hk_malloc((size_t)n * 8), *want_ll = hk_malloc((size_t)n * 8);
  double *out_d = hk_malloc((size_t)n * 8), *want_d = hk_malloc((size_t)n * 8);
  size_t bad = check_param_info(f), arg_size, offsets[MANY_PARAMS_COUNT];
  unsigned char args[128];
  CUdeviceptr d_in, d_out_ll, d_out_d;
  void *params[] = {&c, &s, &i_arg, &ll, &fv, &d, &p, &uc, &d_in, &d_out_ll, &d_out_d, &n};
  void *extra[] = {CU_LAUNCH_PARAM_BUFFER_POINTER, args, CU_LAUNCH_PARAM_BUFFER_SIZE, &arg_size,
                   CU_LAUNCH_PARAM_END};
  many_params_inputs(in, n);
  many_params_ref(in, want_ll, want_d, n);
  d_in = hk_upload(in, (size_t)n * sizeof(int32_t));
  d_out_ll = hk_alloc((size_t)n * 8);
  d_out_d = hk_alloc((size_t)n * 8);
  for (launch = 0; launch < 2; launch++) {
    HK_CHECK(cuMemsetD8(d_out_ll, 0, (size_t)n * 8));
    HK_CHECK(cuMemsetD8(d_out_d, 0, (size_t)n * 8));
    if (launch == 0) {
      hk_launch_1d(f, hk_blocks_for(n, MANY_PARAMS_BLOCK), MANY_PARAMS_BLOCK, 0, params);
    } else {
      memset(args, 0, sizeof args);
      arg_size = pack_many_params(args, (const void *const *)params, offsets);
      HK_CHECK(cuLaunchKernel(f, hk_blocks_for(n, MANY_PARAMS_BLOCK), 1, 1, MANY_PARAMS_BLOCK, 1, 1, 0,
                              NULL, NULL, extra));
    }
    hk_download(out_ll, d_out_ll, (size_t)n * 8);
    hk_download(out_d, d_out_d, (size_t)n * 8);
    bad += kc_compare_i64(launch ? "out_ll (extra)" : "out_ll (kernelParams)", out_ll, want_ll, n);
    bad += kc_compare_f64_tol(launch ? "out_d (extra)" : "out_d (kernelParams)", out_d, want_d,
                              NULL, n, 0.0);
  }
  HK_CHECK(cuMemFree(d_in));
  HK_CHECK(cuMemFree(d_out_ll));
  HK_CHECK(cuMemFree(d_out_d));
  free(in); free(out_ll); free(want_ll); free(out_d); free(want_d);
  return bad;
}

size_t case_grids(CUmodule m) {
  CUfunction f2 = hk_function(m, "_Z7grid_2dPjS_ii"), f3 = hk_function(m, "_Z7grid_3dPjS_iii");
  int w2 = GRIDS_W2, h2 = GRIDS_H2, w3 = GRIDS_W3, h3 = GRIDS_H3, d3 = GRIDS_D3;
  size_t n2 = (size_t)w2 * h2, n3 = (size_t)w3 * h3 * d3, bad;
  uint32_t *coord2 = hk_malloc(n2 * 4), *id2 = hk_malloc(n2 * 4), *want_c2 = hk_malloc(n2 * 4),
           *want_i2 = hk_malloc(n2 * 4);
  uint32_t *coord3 = hk_malloc(n3 * 4), *id3 = hk_malloc(n3 * 4), *want_c3 = hk_malloc(n3 * 4),
           *want_i3 = hk_malloc(n3 * 4);
  CUdeviceptr d_coord = hk_alloc(n2 * 4), d_id = hk_alloc(n2 * 4);   /* n2 > n3 */
  void *params2[] = {&d_coord, &d_id, &w2, &h2}, *params3[] = {&d_coord, &d_id, &w3, &h3, &d3};
  HK_CHECK(cuLaunchKernel(f2, GRIDS_GX2, GRIDS_GY2, 1, GRIDS_BX2, GRIDS_BY2, 1, 0, NULL, params2, NULL));
  hk_download(coord2, d_coord, n2 * 4);
  hk_download(id2, d_id, n2 * 4);
  HK_CHECK(cuLaunchKernel(f3, GRIDS_GX3, GRIDS_GY3, GRIDS_GZ3, GRIDS_BX3, GRIDS_BY3, GRIDS_BZ3, 0, NULL,
                          params3, NULL));
  hk_download(coord3, d_coord, n3 * 4);
  hk_download(id3, d_id, n3 * 4);
  grids_ref_2d(want_c2, want_i2);
  grids_ref_3d(want_c3, want_i3);
  bad = kc_compare_u32("2d coord", coord2, want_c2, n2);
  bad += kc_compare_u32("2d id", id2, want_i2, n2);
  bad += kc_compare_u32("3d coord", coord3, want_c3, n3);
  bad += kc_compare_u32("3d id", id3, want_i3, n3);
  HK_CHECK(cuMemFree(d_coord));
  HK_CHECK(cuMemFree(d_id));
  free(coord2); free(id2); free(want_c2); free(want_i2);
  free(coord3); free(id3); free(want_c3); free(want_i3);
  return bad;
}

/* A __constant__ variable of the module: its address, checking its size. */
static CUdeviceptr module_global(CUmodule m, const char *name, size_t want_size) {
  CUdeviceptr ptr;
  size_t size;
  HK_CHECK(cuModuleGetGlobal(&ptr, &size, m, name));
  if (size != want_size) {
    printf("  %s has %zu bytes, want %zu\n", name, size, want_size);
    HK_CHECK(CUDA_ERROR_INVALID_VALUE);
  }
  return ptr;
}

size_t case_constant(CUmodule m) {
  CUfunction f = hk_function(m, "_Z15constant_filterPKfPfi");
  int n = CONSTANT_N;
  float *x = hk_malloc((size_t)n * 4), *y = hk_malloc((size_t)n * 4), taps[CONSTANT_TAPS], gain;
  double *want = hk_malloc((size_t)n * 8), *scale = hk_malloc((size_t)n * 8);
  float want_gain = CONSTANT_GAIN;
  int32_t offsets[CONSTANT_TAPS];
  size_t bad;
  CUdeviceptr d_x, d_y, c_taps, c_offsets, c_gain;
  void *params[] = {&d_x, &d_y, &n};
  constant_inputs(x, n, taps, offsets);
  c_taps = module_global(m, "c_taps", sizeof taps);
  c_offsets = module_global(m, "c_offsets", sizeof offsets);
  c_gain = module_global(m, "c_gain", sizeof gain);
  HK_CHECK(cuMemcpyHtoD(c_taps, taps, sizeof taps));
  HK_CHECK(cuMemcpyHtoD(c_offsets, offsets, sizeof offsets));
  hk_download(&gain, c_gain, sizeof gain);           /* the initializer from the source */
  bad = kc_compare_f32_exact("c_gain", &gain, &want_gain, 1);
  d_x = hk_upload(x, (size_t)n * 4);
  d_y = hk_alloc((size_t)n * 4);
  hk_launch_1d(f, hk_blocks_for(n, CONSTANT_BLOCK), CONSTANT_BLOCK, 0, params);
  hk_download(y, d_y, (size_t)n * 4);
  constant_ref(x, n, taps, offsets, want, scale);
  bad += kc_compare_f32_tol("y", y, want, scale, n, CONSTANT_TOL);
  HK_CHECK(cuMemFree(d_x));
  HK_CHECK(cuMemFree(d_y));
  free(x); free(y); free(want); free(scale);
  return bad;
}

size_t case_math_funcs(CUmodule m) {
  CUfunction f32 = hk_function(m, "_Z8math_f32PKfPfi"), f64 = hk_function(m, "_Z8math_f64PKdPdi");
  int n = MATH_N;
  size_t a32_bytes = 3 * MATH_F32_COUNT * (size_t)n * 4, out32_bytes = MATH_F32_COUNT * (size_t)n * 4;
  size_t f64_bytes = MATH_F64_COUNT * (size_t)n * 8, bad;
  float *a32 = hk_malloc(a32_bytes), *got32 = hk_malloc(out32_bytes);
  double *a64 = hk_malloc(f64_bytes), *got64 = hk_malloc(f64_bytes);
  double *want32 = hk_malloc(MATH_F32_COUNT * (size_t)n * 8), *want64 = hk_malloc(f64_bytes);
  CUdeviceptr d_a32, d_out32, d_a64, d_out64;
  void *params32[] = {&d_a32, &d_out32, &n}, *params64[] = {&d_a64, &d_out64, &n};
  math_inputs(a32, a64, n);
  d_a32 = hk_upload(a32, a32_bytes);
  d_a64 = hk_upload(a64, f64_bytes);
  d_out32 = hk_alloc(out32_bytes);
  d_out64 = hk_alloc(f64_bytes);
  hk_launch_1d(f32, hk_blocks_for(n, MATH_BLOCK), MATH_BLOCK, 0, params32);
  hk_launch_1d(f64, hk_blocks_for(n, MATH_BLOCK), MATH_BLOCK, 0, params64);
  hk_download(got32, d_out32, out32_bytes);
  hk_download(got64, d_out64, f64_bytes);
  math_ref(a32, a64, n, want32, want64);
  bad = math_compare(got32, got64, want32, want64, n);
  HK_CHECK(cuMemFree(d_a32));
  HK_CHECK(cuMemFree(d_a64));
  HK_CHECK(cuMemFree(d_out32));
  HK_CHECK(cuMemFree(d_out64));
  free(a32); free(got32); free(a64); free(got64); free(want32); free(want64);
  return bad;
}

size_t case_intdiv(CUmodule m) {
  CUfunction f = hk_function(m, "_Z6intdivPKiS0_PKxS2_PjPyi");
  int n = INTDIV_N;
  size_t out32_bytes = ID32_COLUMNS * (size_t)n * 4, out64_bytes = ID64_COLUMNS * (size_t)n * 8, bad;
  int32_t *a32 = hk_malloc((size_t)n * 4), *b32 = hk_malloc((size_t)n * 4);
  int64_t *a64 = hk_malloc((size_t)n * 8), *b64 = hk_malloc((size_t)n * 8);
  uint32_t *got32 = hk_malloc(out32_bytes), *want32 = hk_malloc(out32_bytes);
  uint64_t *got64 = hk_malloc(out64_bytes), *want64 = hk_malloc(out64_bytes);
  CUdeviceptr d_a32, d_b32, d_a64, d_b64, d_out32, d_out64;
  void *params[] = {&d_a32, &d_b32, &d_a64, &d_b64, &d_out32, &d_out64, &n};
  intdiv_inputs(a32, b32, a64, b64, n);
  d_a32 = hk_upload(a32, (size_t)n * 4);
  d_b32 = hk_upload(b32, (size_t)n * 4);
  d_a64 = hk_upload(a64, (size_t)n * 8);
  d_b64 = hk_upload(b64, (size_t)n * 8);
  d_out32 = hk_alloc(out32_bytes);
  d_out64 = hk_alloc(out64_bytes);
  hk_launch_1d(f, hk_blocks_for(n, INTDIV_BLOCK), INTDIV_BLOCK, 0, params);
  hk_download(got32, d_out32, out32_bytes);
  hk_download(got64, d_out64, out64_bytes);
  intdiv_ref(a32, b32, a64, b64, want32, want64, n);
  bad = intdiv_compare(got32, want32, got64, want64, n);
  HK_CHECK(cuMemFree(d_a32));
  HK_CHECK(cuMemFree(d_b32));
  HK_CHECK(cuMemFree(d_a64));
  HK_CHECK(cuMemFree(d_b64));
  HK_CHECK(cuMemFree(d_out32));
  HK_CHECK(cuMemFree(d_out64));
  free(a32); free(b32); free(a64); free(b64); free(got32); free(want32); free(got64); free(want64);
  return bad;
}

size_t case_bitops(CUmodule m) {
  CUfunction f = hk_function(m, "_Z6bitopsPKjS0_PKyS0_Pji");
  int n = BITOPS_N;
  size_t bytes = (size_t)n * 4, out_bytes = BO_COLUMNS * bytes, bad;
  uint32_t *x = hk_malloc(bytes), *y = hk_malloc(bytes), *s = hk_malloc(bytes);
  uint64_t *w = hk_malloc((size_t)n * 8);
  uint32_t *got = hk_malloc(out_bytes), *want = hk_malloc(out_bytes);
  CUdeviceptr d_x, d_y, d_w, d_s, d_out;
  void *params[] = {&d_x, &d_y, &d_w, &d_s, &d_out, &n};
  bitops_inputs(x, y, w, s, n);
  d_x = hk_upload(x, bytes);
  d_y = hk_upload(y, bytes);
  d_w = hk_upload(w, (size_t)n * 8);
  d_s = hk_upload(s, bytes);
  d_out = hk_alloc(out_bytes);
  hk_launch_1d(f, hk_blocks_for(n, BITOPS_BLOCK), BITOPS_BLOCK, 0, params);
  hk_download(got, d_out, out_bytes);
  bitops_ref(x, y, w, s, want, n);
  bad = bitops_compare(got, want, n);
  HK_CHECK(cuMemFree(d_x));
  HK_CHECK(cuMemFree(d_y));
  HK_CHECK(cuMemFree(d_w));
  HK_CHECK(cuMemFree(d_s));
  HK_CHECK(cuMemFree(d_out));
  free(x); free(y); free(s); free(w); free(got); free(want);
  return bad;
}

size_t case_half_convert(CUmodule m) {
  CUfunction f = hk_function(m, "_Z12half_convertPKfPKtS2_S2_PjPfi");
  int n = HALF_N;
  size_t hbytes = (size_t)n * 2, out_bytes = HC_COLUMNS * (size_t)n * 4;
  size_t fout_bytes = HF_FCOLUMNS * (size_t)n * 4, bad;
  float *x = hk_malloc((size_t)n * 4), *fgot = hk_malloc(fout_bytes), *fwant = hk_malloc(fout_bytes);
  uint16_t *h1 = hk_malloc(hbytes), *h2 = hk_malloc(hbytes), *h3 = hk_malloc(hbytes);
  uint32_t *got = hk_malloc(out_bytes), *want = hk_malloc(out_bytes);
  CUdeviceptr d_x, d_h1, d_h2, d_h3, d_out, d_fout;
  void *params[] = {&d_x, &d_h1, &d_h2, &d_h3, &d_out, &d_fout, &n};
  half_inputs(x, h1, h2, h3, n);
  d_x = hk_upload(x, (size_t)n * 4);
  d_h1 = hk_upload(h1, hbytes);
  d_h2 = hk_upload(h2, hbytes);
  d_h3 = hk_upload(h3, hbytes);
  d_out = hk_alloc(out_bytes);
  d_fout = hk_alloc(fout_bytes);
  hk_launch_1d(f, hk_blocks_for(n, HALF_BLOCK), HALF_BLOCK, 0, params);
  hk_download(got, d_out, out_bytes);
  hk_download(fgot, d_fout, fout_bytes);
  half_ref(x, h1, h2, h3, want, fwant, n);
  bad = half_compare(got, want, fgot, fwant, n);
  HK_CHECK(cuMemFree(d_x));
  HK_CHECK(cuMemFree(d_h1));
  HK_CHECK(cuMemFree(d_h2));
  HK_CHECK(cuMemFree(d_h3));
  HK_CHECK(cuMemFree(d_out));
  HK_CHECK(cuMemFree(d_fout));
  free(x); free(fgot); free(fwant); free(h1); free(h2); free(h3); free(got); free(want);
  return bad;
}

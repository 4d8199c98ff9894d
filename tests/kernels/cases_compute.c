/* cases_compute.c - driver-API cases for the compute kernels of kernels/: vector_add,
 * saxpy, matmul, reduction (templated, mangled names), histogram, scan, grid_stride,
 * atomic_cas, atomics, sync_count, warp_vote and coop_groups. Inputs and references come from the kernels/ headers.
 */
#include <stdlib.h>

#include "harness.h"
#include "atomic_cas.h"
#include "atomics.h"
#include "coop_groups.h"
#include "grid_stride.h"
#include "histogram.h"
#include "matmul.h"
#include "reduction.h"
#include "saxpy.h"
#include "scan.h"
#include "sync_count.h"
#include "vector_add.h"
#include "warp_vote.h"

size_t case_vector_add(CUmodule m) {
  CUfunction f = hk_function(m, "_Z10vector_addPKfS0_Pfi");
  int n = VECTOR_ADD_N;
  size_t bytes = (size_t)n * sizeof(float), bad;
  float *a = hk_malloc(bytes), *b = hk_malloc(bytes), *c = hk_malloc(bytes), *want = hk_malloc(bytes);
  CUdeviceptr d_a, d_b, d_c;
  void *params[] = {&d_a, &d_b, &d_c, &n};
  vector_add_inputs(a, b, n);
  d_a = hk_upload(a, bytes);
  d_b = hk_upload(b, bytes);
  d_c = hk_alloc(bytes);
  hk_launch_1d(f, hk_blocks_for(n, VECTOR_ADD_BLOCK), VECTOR_ADD_BLOCK, 0, params);
  hk_download(c, d_c, bytes);
  vector_add_ref(a, b, want, n);
  bad = kc_compare_f32_exact("c", c, want, n);
  HK_CHECK(cuMemFree(d_a));
  HK_CHECK(cuMemFree(d_b));
  HK_CHECK(cuMemFree(d_c));
  free(a); free(b); free(c); free(want);
  return bad;
}

/* Launched with the `extra` form (CU_LAUNCH_PARAM_BUFFER_POINTER) instead of kernelParams:
 * saxpy(int n, float a, const float *x, float *y) lays out as n@0, a@4, x@8, y@16. */
size_t case_saxpy(CUmodule m) {
  CUfunction f = hk_function(m, "_Z5saxpyifPKfPf");
  int n = SAXPY_N;
  float a = SAXPY_A;
  size_t bytes = (size_t)n * sizeof(float), bad, arg_size;
  float *x = hk_malloc(bytes), *y = hk_malloc(bytes), *out = hk_malloc(bytes);
  double *want = hk_malloc((size_t)n * sizeof(double)), *scale = hk_malloc((size_t)n * sizeof(double));
  unsigned char args[24];
  CUdeviceptr d_x, d_y;
  void *extra[] = {CU_LAUNCH_PARAM_BUFFER_POINTER, args, CU_LAUNCH_PARAM_BUFFER_SIZE, &arg_size,
                   CU_LAUNCH_PARAM_END};
  saxpy_inputs(x, y, n);
  d_x = hk_upload(x, bytes);
  d_y = hk_upload(y, bytes);
  memcpy(args + 0, &n, sizeof n);
  memcpy(args + 4, &a, sizeof a);
  memcpy(args + 8, &d_x, sizeof d_x);
  memcpy(args + 16, &d_y, sizeof d_y);
  arg_size = sizeof args;
  HK_CHECK(cuLaunchKernel(f, hk_blocks_for(n, SAXPY_BLOCK), 1, 1, SAXPY_BLOCK, 1, 1, 0, NULL, NULL,
                          extra));
  hk_download(out, d_y, bytes);
  saxpy_ref(a, x, y, want, scale, n);
  bad = kc_compare_f32_tol("y", out, want, scale, n, SAXPY_TOL);
  HK_CHECK(cuMemFree(d_x));
  HK_CHECK(cuMemFree(d_y));
  free(x); free(y); free(out); free(want); free(scale);
  return bad;
}

size_t case_matmul(CUmodule m) {
  CUfunction f = hk_function(m, "_Z12matmul_tiledPKfS0_Pfiii");
  size_t a_bytes = (size_t)MATMUL_M * MATMUL_K * sizeof(float);
  size_t b_bytes = (size_t)MATMUL_K * MATMUL_N * sizeof(float);
  size_t count = (size_t)MATMUL_M * MATMUL_N, bad;
  float *a = hk_malloc(a_bytes), *b = hk_malloc(b_bytes), *c = hk_malloc(count * sizeof(float));
  double *want = hk_malloc(count * sizeof(double)), *scale = hk_malloc(count * sizeof(double));
  int rows = MATMUL_M, cols = MATMUL_N, inner = MATMUL_K;
  CUdeviceptr d_a, d_b, d_c;
  void *params[] = {&d_a, &d_b, &d_c, &rows, &cols, &inner};
  matmul_inputs(a, b);
  d_a = hk_upload(a, a_bytes);
  d_b = hk_upload(b, b_bytes);
  d_c = hk_alloc(count * sizeof(float));
  HK_CHECK(cuLaunchKernel(f, hk_blocks_for(MATMUL_N, MATMUL_TILE), hk_blocks_for(MATMUL_M, MATMUL_TILE),
                          1, MATMUL_TILE, MATMUL_TILE, 1, 0, NULL, params, NULL));
  HK_CHECK(cuCtxSynchronize());
  hk_download(c, d_c, count * sizeof(float));
  matmul_ref(a, b, want, scale);
  bad = kc_compare_f32_tol("c", c, want, scale, count, MATMUL_TOL);
  HK_CHECK(cuMemFree(d_a));
  HK_CHECK(cuMemFree(d_b));
  HK_CHECK(cuMemFree(d_c));
  free(a); free(b); free(c); free(want); free(scale);
  return bad;
}

/* Both passes of reduce_sum<T, 256> (looked up by their mangled names); results gets the
 * partial sums then the total, as elements of elem_size bytes. */
static void reduce_on_device(CUmodule m, const char *kernel, const void *x, size_t elem_size,
                             void *results) {
  CUfunction f = hk_function(m, kernel);
  unsigned n = REDUCTION_N, groups = REDUCTION_GRID;
  CUdeviceptr d_in = hk_upload(x, n * elem_size);
  CUdeviceptr d_partial = hk_alloc(REDUCTION_GRID * elem_size), d_total = hk_alloc(elem_size);
  void *pass1[] = {&d_in, &d_partial, &n}, *pass2[] = {&d_partial, &d_total, &groups};
  hk_launch_1d(f, REDUCTION_GRID, REDUCTION_BLOCK, 0, pass1);
  hk_launch_1d(f, 1, REDUCTION_BLOCK, 0, pass2);
  hk_download(results, d_partial, REDUCTION_GRID * elem_size);
  hk_download((char *)results + REDUCTION_GRID * elem_size, d_total, elem_size);
  HK_CHECK(cuMemFree(d_in));
  HK_CHECK(cuMemFree(d_partial));
  HK_CHECK(cuMemFree(d_total));
}

size_t case_reduction(CUmodule m) {
  int n = REDUCTION_N;
  float *xf = hk_malloc((size_t)n * sizeof(float)), got_f[REDUCTION_GRID + 1];
  double *xd = hk_malloc((size_t)n * sizeof(double)), got_d[REDUCTION_GRID + 1];
  double want[REDUCTION_GRID + 1], scale[REDUCTION_GRID + 1];
  size_t bad;
  reduction_inputs_f32(xf, n);
  reduction_inputs_f64(xd, n);
  reduce_on_device(m, "_Z10reduce_sumIfLj256EEvPKT_PS0_j", xf, sizeof(float), got_f);
  reduction_ref(xf, NULL, n, want, scale);
  bad = kc_compare_f32_tol("float sums", got_f, want, scale, REDUCTION_GRID + 1, REDUCTION_TOL_F32);
  reduce_on_device(m, "_Z10reduce_sumIdLj256EEvPKT_PS0_j", xd, sizeof(double), got_d);
  reduction_ref(NULL, xd, n, want, scale);
  bad += kc_compare_f64_tol("double sums", got_d, want, scale, REDUCTION_GRID + 1, REDUCTION_TOL_F64);
  free(xf); free(xd);
  return bad;
}

size_t case_histogram(CUmodule m) {
  CUfunction global = hk_function(m, "_Z16histogram_globalPKjiPj");
  CUfunction shared = hk_function(m, "_Z16histogram_sharedPKjiPji");
  int n = HISTOGRAM_N, nbins = HISTOGRAM_BINS;
  size_t bin_bytes = HISTOGRAM_BINS * sizeof(uint32_t), bad;
  uint32_t *data = hk_malloc((size_t)n * sizeof(uint32_t));
  uint32_t got_global[HISTOGRAM_BINS], got_shared[HISTOGRAM_BINS], want[HISTOGRAM_BINS];
  CUdeviceptr d_data, d_bins;
  void *global_params[] = {&d_data, &n, &d_bins}, *shared_params[] = {&d_data, &n, &d_bins, &nbins};
  histogram_inputs(data, n);
  d_data = hk_upload(data, (size_t)n * sizeof(uint32_t));
  d_bins = hk_alloc(bin_bytes);
  HK_CHECK(cuMemsetD32(d_bins, 0, HISTOGRAM_BINS));
  hk_launch_1d(global, HISTOGRAM_GRID, HISTOGRAM_BLOCK, 0, global_params);
  hk_download(got_global, d_bins, bin_bytes);
  HK_CHECK(cuMemsetD32(d_bins, 0, HISTOGRAM_BINS));
  hk_launch_1d(shared, HISTOGRAM_GRID, HISTOGRAM_BLOCK, (unsigned)bin_bytes, shared_params);
  hk_download(got_shared, d_bins, bin_bytes);
  histogram_ref(data, n, want);
  bad = kc_compare_u32("global bins", got_global, want, HISTOGRAM_BINS);
  bad += kc_compare_u32("shared bins", got_shared, want, HISTOGRAM_BINS);
  HK_CHECK(cuMemFree(d_data));
  HK_CHECK(cuMemFree(d_bins));
  free(data);
  return bad;
}

size_t case_scan(CUmodule m) {
  CUfunction f = hk_function(m, "_Z10block_scanPKiPiS1_S1_i");
  int n = SCAN_N;
  size_t bytes = (size_t)n * sizeof(int32_t), bad;
  int32_t *x = hk_malloc(bytes), *scan = hk_malloc(bytes), *rank = hk_malloc(bytes);
  int32_t *want_scan = hk_malloc(bytes), *want_rank = hk_malloc(bytes);
  int32_t counts[SCAN_BLOCKS], want_counts[SCAN_BLOCKS];
  CUdeviceptr d_x, d_scan, d_rank, d_counts;
  void *params[] = {&d_x, &d_scan, &d_rank, &d_counts, &n};
  scan_inputs(x, n);
  d_x = hk_upload(x, bytes);
  d_scan = hk_alloc(bytes);
  d_rank = hk_alloc(bytes);
  d_counts = hk_alloc(sizeof counts);
  hk_launch_1d(f, SCAN_BLOCKS, SCAN_BLOCK, 0, params);
  hk_download(scan, d_scan, bytes);
  hk_download(rank, d_rank, bytes);
  hk_download(counts, d_counts, sizeof counts);
  scan_ref(x, n, want_scan, want_rank, want_counts);
  bad = kc_compare_i32("scan", scan, want_scan, n);
  bad += kc_compare_i32("rank", rank, want_rank, n);
  bad += kc_compare_i32("block_counts", counts, want_counts, SCAN_BLOCKS);
  HK_CHECK(cuMemFree(d_x));
  HK_CHECK(cuMemFree(d_scan));
  HK_CHECK(cuMemFree(d_rank));
  HK_CHECK(cuMemFree(d_counts));
  free(x); free(scan); free(rank); free(want_scan); free(want_rank);
  return bad;
}

size_t case_grid_stride(CUmodule m) {
  CUfunction f = hk_function(m, "_Z11grid_stridePKjPjS1_m");
  int n = GRID_STRIDE_N;
  size_t count = GRID_STRIDE_N;   /* the kernel takes a size_t */
  size_t bytes = count * sizeof(uint32_t), it_bytes = GRID_STRIDE_THREADS * sizeof(uint32_t), bad;
  uint32_t *x = hk_malloc(bytes), *y = hk_malloc(bytes), *want = hk_malloc(bytes);
  uint32_t *it = hk_malloc(it_bytes), *want_it = hk_malloc(it_bytes);
  CUdeviceptr d_x, d_y, d_it;
  void *params[] = {&d_x, &d_y, &d_it, &count};
  grid_stride_inputs(x, n);
  d_x = hk_upload(x, bytes);
  d_y = hk_alloc(bytes);
  d_it = hk_alloc(it_bytes);
  hk_launch_1d(f, GRID_STRIDE_GRID, GRID_STRIDE_BLOCK, 0, params);
  hk_download(y, d_y, bytes);
  hk_download(it, d_it, it_bytes);
  grid_stride_ref(x, n, want, want_it);
  bad = kc_compare_u32("y", y, want, count);
  bad += kc_compare_u32("iterations", it, want_it, GRID_STRIDE_THREADS);
  HK_CHECK(cuMemFree(d_x));
  HK_CHECK(cuMemFree(d_y));
  HK_CHECK(cuMemFree(d_it));
  free(x); free(y); free(want); free(it); free(want_it);
  return bad;
}

size_t case_atomic_cas(CUmodule m) {
  CUfunction f = hk_function(m, "_Z10atomic_casPKfPKyiPfPyPj");
  int n = ATOMIC_CAS_N, s;
  float *x = hk_malloc((size_t)n * sizeof(float));
  uint64_t *w = hk_malloc((size_t)n * sizeof(uint64_t));
  float slots[ATOMIC_CAS_SLOTS], want_slots[ATOMIC_CAS_SLOTS], lowest[ATOMIC_CAS_SLOTS];
  uint64_t sum, want_sum;
  uint32_t positives, want_positives;
  size_t bad;
  CUdeviceptr d_x, d_w, d_slots, d_sum, d_positives;
  void *params[] = {&d_x, &d_w, &n, &d_slots, &d_sum, &d_positives};
  atomic_cas_inputs(x, w, n);
  for (s = 0; s < ATOMIC_CAS_SLOTS; s++) lowest[s] = -INFINITY;
  d_x = hk_upload(x, (size_t)n * sizeof(float));
  d_w = hk_upload(w, (size_t)n * sizeof(uint64_t));
  d_slots = hk_upload(lowest, sizeof lowest);
  d_sum = hk_alloc(sizeof sum);
  d_positives = hk_alloc(sizeof positives);
  HK_CHECK(cuMemsetD8(d_sum, 0, sizeof sum));
  HK_CHECK(cuMemsetD32(d_positives, 0, 1));
  hk_launch_1d(f, ATOMIC_CAS_GRID, ATOMIC_CAS_BLOCK, 0, params);
  hk_download(slots, d_slots, sizeof slots);
  hk_download(&sum, d_sum, sizeof sum);
  hk_download(&positives, d_positives, sizeof positives);
  atomic_cas_ref(x, w, n, want_slots, &want_sum, &want_positives);
  bad = kc_compare_f32_exact("max slots", slots, want_slots, ATOMIC_CAS_SLOTS);
  bad += kc_compare_u64("sum", &sum, &want_sum, 1);
  bad += kc_compare_u32("positives", &positives, &want_positives, 1);
  HK_CHECK(cuMemFree(d_x));
  HK_CHECK(cuMemFree(d_w));
  HK_CHECK(cuMemFree(d_slots));
  HK_CHECK(cuMemFree(d_sum));
  HK_CHECK(cuMemFree(d_positives));
  free(x); free(w);
  return bad;
}

size_t case_sync_count(CUmodule m) {
  CUfunction f = hk_function(m, "_Z10sync_countPKiPii");
  int n = SYNC_COUNT_N;
  size_t bytes = (size_t)n * sizeof(int32_t), out_bytes = SC_COLUMNS * bytes, bad;
  int32_t *x = hk_malloc(bytes), *got = hk_malloc(out_bytes), *want = hk_malloc(out_bytes);
  CUdeviceptr d_x, d_out;
  void *params[] = {&d_x, &d_out, &n};
  sync_count_inputs(x, n);
  d_x = hk_upload(x, bytes);
  d_out = hk_alloc(out_bytes);
  hk_launch_1d(f, SYNC_COUNT_BLOCKS, SYNC_COUNT_BLOCK, 0, params);
  hk_download(got, d_out, out_bytes);
  sync_count_ref(x, n, want);
  bad = sync_count_compare(got, want, n);
  HK_CHECK(cuMemFree(d_x));
  HK_CHECK(cuMemFree(d_out));
  free(x); free(got); free(want);
  return bad;
}

size_t case_warp_vote(CUmodule m) {
  CUfunction f = hk_function(m, "_Z9warp_votePKiPji");
  int n = WARP_VOTE_N;
  size_t bytes = (size_t)n * sizeof(int32_t), out_bytes = WV_COLUMNS * (size_t)n * sizeof(uint32_t), bad;
  int32_t *x = hk_malloc(bytes);
  uint32_t *got = hk_malloc(out_bytes), *want = hk_malloc(out_bytes);
  CUdeviceptr d_x, d_out;
  void *params[] = {&d_x, &d_out, &n};
  warp_vote_inputs(x, n);
  d_x = hk_upload(x, bytes);
  d_out = hk_alloc(out_bytes);
  hk_launch_1d(f, WARP_VOTE_BLOCKS, WARP_VOTE_BLOCK, 0, params);
  hk_download(got, d_out, out_bytes);
  warp_vote_ref(x, n, want);
  bad = warp_vote_compare(got, want, n);
  HK_CHECK(cuMemFree(d_x));
  HK_CHECK(cuMemFree(d_out));
  free(x); free(got); free(want);
  return bad;
}

size_t case_atomics(CUmodule m) {
  CUfunction f = hk_function(m, "_Z7atomicsPKiPKjPKyS2_S4_PjPyS5_S6_S5_S5_");
  int n = ATOMICS_N;
  int32_t *v = hk_malloc((size_t)n * 4);
  uint32_t *u = hk_malloc((size_t)n * 4), *g_olds = hk_malloc((size_t)n * 4), *s_olds = hk_malloc((size_t)n * 4);
  uint64_t *w = hk_malloc((size_t)n * 8);
  uint32_t init32[A32_COUNT], g32[A32_COUNT];
  uint64_t init64[A64_COUNT], g64[A64_COUNT];
  size_t b32_bytes = ATOMICS_BLOCKS * A32_COUNT * 4, b64_bytes = ATOMICS_BLOCKS * A64_COUNT * 8, bad;
  uint32_t *b32 = hk_malloc(b32_bytes);
  uint64_t *b64 = hk_malloc(b64_bytes);
  CUdeviceptr d_v, d_u, d_w, d_init32, d_init64, d_g32, d_g64, d_b32, d_b64, d_g_olds, d_s_olds;
  void *params[] = {&d_v, &d_u, &d_w, &d_init32, &d_init64, &d_g32, &d_g64, &d_b32, &d_b64,
                    &d_g_olds, &d_s_olds};
  atomics_inputs(v, u, w, n);
  atomics_initial(init32, init64);
  d_v = hk_upload(v, (size_t)n * 4);
  d_u = hk_upload(u, (size_t)n * 4);
  d_w = hk_upload(w, (size_t)n * 8);
  d_init32 = hk_upload(init32, sizeof init32);
  d_init64 = hk_upload(init64, sizeof init64);
  d_g32 = hk_upload(init32, sizeof init32);
  d_g64 = hk_upload(init64, sizeof init64);
  d_b32 = hk_alloc(b32_bytes);
  d_b64 = hk_alloc(b64_bytes);
  d_g_olds = hk_alloc((size_t)n * 4);
  d_s_olds = hk_alloc((size_t)n * 4);
  hk_launch_1d(f, ATOMICS_BLOCKS, ATOMICS_BLOCK, 0, params);
  hk_download(g32, d_g32, sizeof g32);
  hk_download(g64, d_g64, sizeof g64);
  hk_download(b32, d_b32, b32_bytes);
  hk_download(b64, d_b64, b64_bytes);
  hk_download(g_olds, d_g_olds, (size_t)n * 4);
  hk_download(s_olds, d_s_olds, (size_t)n * 4);
  bad = atomics_compare(v, u, w, g32, g64, b32, b64, g_olds, s_olds);
  HK_CHECK(cuMemFree(d_v));
  HK_CHECK(cuMemFree(d_u));
  HK_CHECK(cuMemFree(d_w));
  HK_CHECK(cuMemFree(d_init32));
  HK_CHECK(cuMemFree(d_init64));
  HK_CHECK(cuMemFree(d_g32));
  HK_CHECK(cuMemFree(d_g64));
  HK_CHECK(cuMemFree(d_b32));
  HK_CHECK(cuMemFree(d_b64));
  HK_CHECK(cuMemFree(d_g_olds));
  HK_CHECK(cuMemFree(d_s_olds));
  free(v); free(u); free(g_olds); free(s_olds); free(w); free(b32); free(b64);
  return bad;
}

size_t case_coop_groups(CUmodule m) {
  CUfunction f = hk_function(m, "_Z11coop_groupsPKiPji");
  int n = COOP_N;
  size_t bytes = (size_t)n * 4, out_bytes = CG_COLUMNS * bytes, bad;
  int32_t *x = hk_malloc(bytes);
  uint32_t *got = hk_malloc(out_bytes), *want = hk_malloc(out_bytes);
  CUdeviceptr d_x, d_out;
  void *params[] = {&d_x, &d_out, &n};
  coop_inputs(x, n);
  d_x = hk_upload(x, bytes);
  d_out = hk_alloc(out_bytes);
  hk_launch_1d(f, COOP_BLOCKS, COOP_BLOCK, 0, params);
  hk_download(got, d_out, out_bytes);
  coop_ref(x, n, want);
  bad = coop_compare(got, want, n);
  HK_CHECK(cuMemFree(d_x));
  HK_CHECK(cuMemFree(d_out));
  free(x); free(got); free(want);
  return bad;
}

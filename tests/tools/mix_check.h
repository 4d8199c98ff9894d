/* mix_check.h - shared by the cuLink tests (tests/cpudev/test_link.c, tests/remote/test_culink.c):
 * runs the `mix` kernel of a module linked from kernels/apps/rdc_link*.cu over n integers and
 * compares every result with the CPU reference. The module's `part_bias` must start at 7; it is
 * set to `bias` before the launch (7 leaves it). Returns the number of problems found (0 = all
 * well), printing each; a failing driver call counts as one and stops the check. */
#ifndef GPUSHIM_TEST_MIX_CHECK_H
#define GPUSHIM_TEST_MIX_CHECK_H

#include <cuda.h>
#include <stdio.h>
#include <stdlib.h>

/* The CPU reference of kernels/apps/rdc_link.cu's mix kernel (part_bias added). */
static inline int mix_ref(int x, int i, int bias) {
  static const int ta[4] = {10, 20, 30, 40}, tb[4] = {1, 2, 3, 4};
  int y = 2 * x + ta[x & 3];
  return ((y + y + tb[y & 3]) ^ i) + bias;
}

static inline int mix_call_failed(CUresult r, const char *what) {
  if (r == CUDA_SUCCESS) return 0;
  fprintf(stderr, "mix check: %s -> %d\n", what, (int)r);
  return 1;
}

#define MIX_TRY(call) \
  do { \
    if (mix_call_failed((call), #call)) goto out; \
  } while (0)

/* Launches mix(d, n) with `block` threads per block on host[i] = first + step * i. */
static inline int mix_check(CUmodule m, int n, int first, int step, int bias, unsigned block) {
  int problems = 1, initial = 0, *host = malloc((size_t)n * sizeof *host), *out = malloc((size_t)n * sizeof *out);
  CUdeviceptr d = 0, g;
  size_t bytes = 0;
  CUfunction f;
  if (!host || !out) goto out;
  for (int i = 0; i < n; i++) host[i] = first + step * i;
  MIX_TRY(cuMemAlloc(&d, (size_t)n * sizeof *host));
  MIX_TRY(cuMemcpyHtoD(d, host, (size_t)n * sizeof *host));
  MIX_TRY(cuModuleGetGlobal(&g, &bytes, m, "part_bias"));
  MIX_TRY(cuMemcpyDtoH(&initial, g, sizeof initial));
  MIX_TRY(cuMemcpyHtoD(g, &bias, sizeof bias));
  MIX_TRY(cuModuleGetFunction(&f, m, "mix"));
  void *args[] = {&d, &n};
  MIX_TRY(cuLaunchKernel(f, (unsigned)(n + (int)block - 1) / block, 1, 1, block, 1, 1, 0, NULL, args, NULL));
  MIX_TRY(cuMemcpyDtoH(out, d, (size_t)n * sizeof *out));
  problems = 0;
  if (bytes != sizeof(int) || initial != 7) {
    fprintf(stderr, "mix check: part_bias is %zu bytes holding %d (want 4 bytes holding 7)\n", bytes, initial);
    problems++;
  }
  for (int i = 0; i < n; i++)
    if (out[i] != mix_ref(host[i], i, bias)) {
      fprintf(stderr, "mix check: element %d is %d, want %d\n", i, out[i], mix_ref(host[i], i, bias));
      problems++;
      break;
    }
out:
  if (d) cuMemFree(d);
  free(host);
  free(out);
  return problems;
}
#undef MIX_TRY

#endif

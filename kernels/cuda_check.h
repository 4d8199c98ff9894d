/* cuda_check.h - error checking for the kernels/ runtime programs (CUDA runtime API only).
 *
 * CUDA_CHECK(call) prints the failing call, where it is and cudaGetErrorString, then exits 1,
 * which is how ordinary CUDA programs are written. CUDA_CHECK_LAUNCH() checks a <<<>>> launch.
 */
#ifndef GPUSHIM_CUDA_CHECK_H
#define GPUSHIM_CUDA_CHECK_H

#include <cuda_runtime.h>
#include <stdio.h>
#include <stdlib.h>

#define CUDA_CHECK(call)                                                              \
  do {                                                                                \
    cudaError_t cuda_check_err_ = (call);                                             \
    if (cuda_check_err_ != cudaSuccess) {                                             \
      fprintf(stderr, "%s:%d: %s failed: %s (%s)\n", __FILE__, __LINE__, #call,       \
              cudaGetErrorString(cuda_check_err_), cudaGetErrorName(cuda_check_err_)); \
      exit(1);                                                                        \
    }                                                                                 \
  } while (0)

#define CUDA_CHECK_LAUNCH() CUDA_CHECK(cudaGetLastError())

/* EXPECT(cond): for programs that check many things and report every failure before exiting;
 * they count failures in expect_failures. */
static int expect_failures;
#define EXPECT(cond)                                                          \
  do {                                                                        \
    if (!(cond)) {                                                            \
      printf("  expectation failed at line %d: %s\n", __LINE__, #cond);      \
      expect_failures++;                                                      \
    }                                                                         \
  } while (0)

/* Host allocation that exits on failure, so programs need not check every malloc. */
static inline void *xmalloc(size_t bytes) {
  void *p = malloc(bytes ? bytes : 1);
  if (!p) {
    fprintf(stderr, "out of host memory (%zu bytes)\n", bytes);
    exit(1);
  }
  return p;
}

#endif

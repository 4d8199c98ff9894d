/* cpudev_test.h - tiny helpers for the CPU device's C tests: checks that report the file,
 * line and CUDA error name, and a count of failures that decides the exit status.
 */
#ifndef GPUSHIM_CPUDEV_TEST_H
#define GPUSHIM_CPUDEV_TEST_H

#include "test_expect.h"

#include <cuda.h>
#include <stdio.h>
#include <stdlib.h>

static inline const char *test_err_name(CUresult r) {
  const char *s = NULL;
  if (cuGetErrorName(r, &s) != CUDA_SUCCESS || !s) return "(unknown CUresult)";
  return s;
}

/* Expects a CUDA call to return `want`. */
#define EXPECT_CU(call, want)                                                                       \
  do {                                                                                              \
    CUresult got_ = (call);                                                                         \
    if (got_ != (want)) {                                                                           \
      fprintf(stderr, "%s:%d: %s returned %s, expected %s\n", __FILE__, __LINE__, #call,            \
              test_err_name(got_), test_err_name(want));                                            \
      test_failures++;                                                                              \
    }                                                                                               \
  } while (0)

#define CHECK_CU(call) EXPECT_CU(call, CUDA_SUCCESS)

#endif

/* check.h - tiny assertion helpers for the tests/agent programs: a failed check prints where and
 * what, and exits 1. */
#ifndef GS_TEST_CHECK_H
#define GS_TEST_CHECK_H

#include <cuda.h>
#include <stdio.h>
#include <stdlib.h>

#define CHECK(cond)                                                                   \
  do {                                                                                \
    if (!(cond)) {                                                                    \
      fprintf(stderr, "%s:%d: check failed: %s\n", __FILE__, __LINE__, #cond);        \
      exit(1);                                                                        \
    }                                                                                 \
  } while (0)

#define CU_EXPECT(call, want)                                                         \
  do {                                                                                \
    CUresult got_ = (call);                                                           \
    if (got_ != (want)) {                                                             \
      fprintf(stderr, "%s:%d: %s returned %d, expected %d\n", __FILE__, __LINE__,     \
              #call, (int)got_, (int)(want));                                         \
      exit(1);                                                                        \
    }                                                                                 \
  } while (0)

#define CU_OK(call) CU_EXPECT(call, CUDA_SUCCESS)

/* xorshift: reproducible data that does not compress */
static inline uint64_t test_rand(uint64_t *s) {
  *s ^= *s << 13;
  *s ^= *s >> 7;
  *s ^= *s << 17;
  return *s;
}

/* cuInit, device 0, its primary context made current */
static inline CUcontext test_setup(void) {
  CUdevice dev;
  CUcontext ctx;
  CU_OK(cuInit(0));
  CU_OK(cuDeviceGet(&dev, 0));
  CU_OK(cuDevicePrimaryCtxRetain(&ctx, dev));
  CU_OK(cuCtxSetCurrent(ctx));
  return ctx;
}

#endif

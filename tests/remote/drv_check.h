/* drv_check.h - checks shared by the driver-API test programs of tests/remote (run by
 * `gpushim run`): the failure count and EXPECT of tests/cpudev/test_expect.h, plus CHECK_CU,
 * which stops the program at a failed driver call (what follows would only cascade). */
#ifndef GPUSHIM_DRV_CHECK_H
#define GPUSHIM_DRV_CHECK_H

#include <cuda.h>
#include <stdlib.h>

#include "../cpudev/test_expect.h"

#define CHECK_CU(call)                                                                              \
  do {                                                                                              \
    CUresult r_ = (call);                                                                           \
    if (r_ != CUDA_SUCCESS) {                                                                       \
      fprintf(stderr, "%s:%d: %s -> %d\n", __FILE__, __LINE__, #call, (int)r_);                    \
      exit(1);                                                                                      \
    }                                                                                               \
  } while (0)

#endif

/* test_expect.h - the failure count and plain checks shared by the CPU device's C tests,
 * including those that do not link the CUDA driver (cpudev_test.h adds CUDA-call checks).
 */
#ifndef GPUSHIM_TEST_EXPECT_H
#define GPUSHIM_TEST_EXPECT_H

#include <stdio.h>

static int test_failures;

#define EXPECT(cond)                                                                                \
  do {                                                                                              \
    if (!(cond)) {                                                                                  \
      fprintf(stderr, "%s:%d: expected %s\n", __FILE__, __LINE__, #cond);                           \
      test_failures++;                                                                              \
    }                                                                                               \
  } while (0)

static inline int test_finish(const char *name) {
  if (test_failures) {
    fprintf(stderr, "FAIL %s: %d check(s) failed\n", name, test_failures);
    return 1;
  }
  printf("PASS %s\n", name);
  return 0;
}

#endif

/* check.h - CHECK(cond) for the transport's C tests: report the failed condition, count it,
 * and carry on so one run shows every failure. */
#ifndef GPUSHIM_TRANSPORT_CHECK_H
#define GPUSHIM_TRANSPORT_CHECK_H
#include <stdio.h>

static int failures;
#define CHECK(cond)                                                                \
  do {                                                                             \
    if (!(cond)) {                                                                 \
      fprintf(stderr, "%s:%d: check failed: %s\n", __FILE__, __LINE__, #cond);     \
      failures++;                                                                  \
    }                                                                              \
  } while (0)

#endif

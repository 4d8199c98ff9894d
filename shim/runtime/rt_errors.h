/* rt_errors.h - the runtime's table of cudaError_t names (generated from driver_types.h). */
#ifndef GPUSHIM_RT_ERRORS_H
#define GPUSHIM_RT_ERRORS_H
#include <stddef.h>

typedef struct {
  int code;
  const char *name;
} rt_error_name;

extern const rt_error_name rt_error_names[];
extern const size_t rt_error_name_count;

#endif

/* device_printf.h - the expected output of device_printf (printf from device code), and a
 * way to capture what a program writes to its stdout (fd 1) while kernels print.
 * POSIX (dup/dup2/tmpfile), C99 that also compiles as C++. */
#ifndef GPUSHIM_DEVICE_PRINTF_H
#define GPUSHIM_DEVICE_PRINTF_H

#include <stdlib.h>
#include <unistd.h>
#include "kcommon.h"

#define DEVICE_PRINTF_BLOCKS 3
#define DEVICE_PRINTF_THREADS 5
#define DEVICE_PRINTF_LINES (DEVICE_PRINTF_BLOCKS * DEVICE_PRINTF_THREADS)
#define DEVICE_PRINTF_BASE 1000000000000LL
/* Arguments: block, thread, BASE + id (long long), id * 7919 (hex), id * 0.25, a string, a char. */
#define DEVICE_PRINTF_FORMAT "device_printf block=%d thread=%d big=%lld hex=%x quarter=%.2f s=%s c=%c\n"
#define DEVICE_PRINTF_WORD "gpushim"

/* The line thread (block, thread) prints. */
static inline void device_printf_line(char *buf, size_t size, int block, int thread) {
  int id = block * DEVICE_PRINTF_THREADS + thread;
  snprintf(buf, size, DEVICE_PRINTF_FORMAT, block, thread, DEVICE_PRINTF_BASE + id,
           (unsigned)id * 7919u, id * 0.25, DEVICE_PRINTF_WORD, 'a' + id % 26);
}

/* Checks that captured output holds each expected line exactly once and nothing else of
 * ours (lines are unordered across threads). Returns the number of problems found. */
static inline size_t device_printf_check(const char *out) {
  size_t bad = 0, total = 0;
  const char *p;
  int b, t;
  char line[256];
  for (p = out; (p = strstr(p, "device_printf block=")) != NULL; p++) total++;
  if (total != DEVICE_PRINTF_LINES) {
    printf("  expected %d printf lines, got %zu\n", DEVICE_PRINTF_LINES, total);
    bad++;
  }
  for (b = 0; b < DEVICE_PRINTF_BLOCKS; b++)
    for (t = 0; t < DEVICE_PRINTF_THREADS; t++) {
      size_t seen = 0;
      device_printf_line(line, sizeof line, b, t);
      for (p = out; (p = strstr(p, line)) != NULL; p++) seen++;
      if (seen != 1) {
        printf("  line seen %zu times (want 1): %s", seen, line);
        bad++;
      }
    }
  if (bad) printf("  captured output was:\n%s", out);
  return bad;
}

/* Starts capturing fd 1 into a temporary file; returns the saved fd 1, or -1. */
static inline int kc_capture_stdout_begin(FILE **file) {
  int saved;
  fflush(stdout);
  *file = tmpfile();
  if (!*file) return -1;
  saved = dup(1);
  if (saved < 0 || dup2(fileno(*file), 1) < 0) {
    fclose(*file);
    return -1;
  }
  return saved;
}

/* Stops capturing and returns what was written (malloc'd, NUL-terminated), or NULL. */
static inline char *kc_capture_stdout_end(FILE *file, int saved) {
  long size;
  char *text;
  fflush(stdout);
  dup2(saved, 1);
  close(saved);
  size = ftell(file);   /* the shared offset: how much was written through fd 1 */
  if (size < 0) size = 0;
  text = (char *)malloc((size_t)size + 1);
  if (text) {
    rewind(file);
    size = (long)fread(text, 1, (size_t)size, file);
    text[size] = '\0';
  }
  fclose(file);
  return text;
}

#endif

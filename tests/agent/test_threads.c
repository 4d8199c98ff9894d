/* test_threads.c - several application threads at once on one link: each has its own stream
 * and buffer, one works in a context of its own (so calls of different contexts interleave in
 * the same batches); every thread's results are checked. */
#include <pthread.h>
#include <stdint.h>

#include "check.h"

enum { THREADS = 4, ROUNDS = 40, N = 1 << 14 };

static CUcontext primary;

static void *worker(void *arg) {
  uintptr_t id = (uintptr_t)arg;
  CUcontext own = NULL;
  if (id == 0) CU_OK(cuCtxCreate(&own, NULL, 0, 0));
  else CU_OK(cuCtxSetCurrent(primary));
  CUstream s;
  CU_OK(cuStreamCreate(&s, CU_STREAM_NON_BLOCKING));
  CUdeviceptr d;
  CU_OK(cuMemAlloc(&d, N * 4));
  uint32_t *h = malloc(N * 4);
  for (uint32_t r = 0; r < ROUNDS; r++) {
    uint32_t v = (uint32_t)(id << 16) + r;
    CU_OK(cuMemsetD32Async(d, v, N, s));
    CU_OK(cuMemsetD32Async(d + 4 * (N / 2), v ^ 0xFFFFu, N / 2, s));
    CU_OK(cuMemcpyDtoHAsync(h, d, N * 4, s));
    CU_OK(cuStreamSynchronize(s));
    for (int i = 0; i < N; i++) CHECK(h[i] == (i < N / 2 ? v : (v ^ 0xFFFFu)));
  }
  CUcontext cur;
  CU_OK(cuCtxGetCurrent(&cur));
  CHECK(cur == (own ? own : primary));
  CU_OK(cuMemFree(d));
  CU_OK(cuStreamDestroy(s));
  CU_OK(cuCtxSynchronize());
  if (own) CU_OK(cuCtxDestroy(own));
  free(h);
  return NULL;
}

int main(void) {
  primary = test_setup();
  pthread_t t[THREADS];
  for (uintptr_t i = 0; i < THREADS; i++) CHECK(pthread_create(&t[i], NULL, worker, (void *)i) == 0);
  for (int i = 0; i < THREADS; i++) pthread_join(t[i], NULL);
  size_t f, tot;
  CU_OK(cuMemGetInfo(&f, &tot));
  printf("threads: ok\n");
  return 0;
}

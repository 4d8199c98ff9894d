/* test_streams.c - streams and events through the remoting path: creation with flags and
 * priority, ordering of queued work on a stream, query, synchronize, wait on an event, elapsed
 * time, bad and stale handles. */
#include <stdint.h>
#include <string.h>

#include "check.h"

int main(void) {
  test_setup();
  CUstream s1, s2;
  CU_OK(cuStreamCreate(&s1, CU_STREAM_NON_BLOCKING));
  CU_OK(cuStreamCreateWithPriority(&s2, 0, -1));
  unsigned flags;
  int prio;
  CU_OK(cuStreamGetFlags(s1, &flags));
  CHECK(flags == CU_STREAM_NON_BLOCKING);
  CU_OK(cuStreamGetPriority(s2, &prio));
  CHECK(prio <= 0);

  enum { N = 1 << 16 };
  CUdeviceptr d;
  CU_OK(cuMemAlloc(&d, N * 4));
  uint32_t *h = malloc(N * 4);
  CUevent start, mid, stop;
  CU_OK(cuEventCreate(&start, 0));
  CU_OK(cuEventCreate(&mid, 0));
  CU_OK(cuEventCreate(&stop, 0));
  /* s1: fill, record; s2 waits for it, then overwrites the first half */
  CU_OK(cuEventRecord(start, s1));
  CU_OK(cuMemsetD32Async(d, 7, N, s1));
  CU_OK(cuEventRecord(mid, s1));
  CU_OK(cuStreamWaitEvent(s2, mid, 0));
  CU_OK(cuMemsetD32Async(d, 9, N / 2, s2));
  CU_OK(cuMemcpyDtoHAsync(h, d, N * 4, s2));
  CU_OK(cuEventRecord(stop, s2));
  CU_OK(cuEventSynchronize(stop));
  for (int i = 0; i < N; i++) CHECK(h[i] == (i < N / 2 ? 9u : 7u));
  CU_OK(cuStreamQuery(s1));
  CU_OK(cuEventQuery(stop));
  float ms = -1;
  CU_OK(cuEventElapsedTime(&ms, start, stop));
  CHECK(ms >= 0);

  /* handles: a made-up one, a destroyed one, one of the wrong kind */
  CU_EXPECT(cuStreamSynchronize((CUstream)(uintptr_t)0x123456789ull), CUDA_ERROR_INVALID_HANDLE);
  CU_OK(cuStreamDestroy(s1));
  CU_EXPECT(cuStreamSynchronize(s1), CUDA_ERROR_INVALID_HANDLE);
  CU_EXPECT(cuEventQuery((CUevent)s2), CUDA_ERROR_INVALID_HANDLE);
  CU_OK(cuStreamSynchronize(s2));

  CU_OK(cuEventDestroy(start));
  CU_OK(cuEventDestroy(mid));
  CU_OK(cuEventDestroy(stop));
  CU_OK(cuStreamDestroy(s2));
  CU_OK(cuMemFree(d));
  CU_OK(cuCtxSynchronize());
  free(h);
  printf("streams: ok\n");
  return 0;
}

/* test_batching.c - calls that cannot fail at once are queued and sent together: thousands of
 * asynchronous memsets and event records followed by one synchronize make exactly one round trip
 * and one message (read from the agent's counters), and the work is all done. Cached answers
 * (device attributes) make no round trip at all. */
#include <stdint.h>

#include "check.h"
#include "inprocess.h"

int main(void) {
  test_setup();
  enum { CALLS = 5000 };
  CUdeviceptr d;
  CUevent ev;
  CU_OK(cuMemAlloc(&d, CALLS * 4));
  CU_OK(cuEventCreate(&ev, 0));
  CU_OK(cuCtxSynchronize());
  agent_counters before, after;
  CHECK(gs_inprocess_counters(&before) == 0);
  for (uint32_t i = 0; i < CALLS; i++) {
    CU_OK(cuMemsetD32Async(d + 4 * i, i * 3 + 1, 1, 0));
    if (i % 10 == 0) CU_OK(cuEventRecord(ev, 0));
  }
  CU_OK(cuCtxSynchronize());
  CHECK(gs_inprocess_counters(&after) == 0);
  printf("round trips %llu, messages %llu, calls %llu\n",
         (unsigned long long)(after.round_trips - before.round_trips),
         (unsigned long long)(after.messages - before.messages),
         (unsigned long long)(after.calls - before.calls));
  CHECK(after.round_trips - before.round_trips == 1);
  CHECK(after.messages - before.messages == 1);
  CHECK(after.calls - before.calls >= CALLS + CALLS / 10 + 1);

  uint32_t *h = malloc(CALLS * 4);
  CU_OK(cuMemcpyDtoH(h, d, CALLS * 4));
  for (uint32_t i = 0; i < CALLS; i++) CHECK(h[i] == i * 3 + 1);
  free(h);

  /* device attributes: asked once, then answered on the client */
  int v1, v2;
  CU_OK(cuDeviceGetAttribute(&v1, CU_DEVICE_ATTRIBUTE_MAX_THREADS_PER_BLOCK, 0));
  CHECK(gs_inprocess_counters(&before) == 0);
  for (int i = 0; i < 100; i++)
    CU_OK(cuDeviceGetAttribute(&v2, CU_DEVICE_ATTRIBUTE_MAX_THREADS_PER_BLOCK, 0));
  CHECK(gs_inprocess_counters(&after) == 0);
  CHECK(v1 == v2 && v1 > 0);
  CHECK(after.messages == before.messages);

  CU_OK(cuEventDestroy(ev));
  CU_OK(cuMemFree(d));
  CU_OK(cuCtxSynchronize());
  printf("batching: ok\n");
  return 0;
}

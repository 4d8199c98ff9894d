/* test_concurrency.c - several host threads using one context at once (each with its own
 * stream, allocations, copies and memsets), and two devices (GPUSHIM_CPU_DEVICES=2, set by
 * meson) whose memory is accounted separately. Results are checked byte for byte.
 */
#include "cpudev_test.h"

#include <pthread.h>
#include <stdint.h>
#include <string.h>

enum { THREADS = 4, ROUNDS = 150, BYTES = 3000 };

static CUcontext shared;

static void *worker(void *arg) {
  unsigned id = (unsigned)(uintptr_t)arg;
  CHECK_CU(cuCtxSetCurrent(shared));
  CUstream s;
  CHECK_CU(cuStreamCreate(&s, id % 2 ? CU_STREAM_NON_BLOCKING : 0));
  unsigned char *host;
  CHECK_CU(cuMemAllocHost((void **)&host, BYTES));
  for (unsigned round = 0; round < ROUNDS; round++) {
    CUdeviceptr a, b;
    CHECK_CU(cuMemAlloc(&a, BYTES));
    CHECK_CU(cuMemAlloc(&b, BYTES));
    unsigned char v = (unsigned char)(id * 31 + round);
    CHECK_CU(cuMemsetD8Async(a, v, BYTES, s));
    CHECK_CU(cuMemcpyDtoDAsync(b, a, BYTES, s));
    CHECK_CU(cuMemsetD8Async(b + 100, (unsigned char)(v + 1), 10, s));
    CHECK_CU(cuMemcpyDtoHAsync(host, b, BYTES, s));
    CHECK_CU(cuStreamSynchronize(s));
    int ok = host[0] == v && host[99] == v && host[100] == (unsigned char)(v + 1) && host[109] == (unsigned char)(v + 1) &&
             host[110] == v && host[BYTES - 1] == v;
    if (!ok) {
      fprintf(stderr, "thread %u round %u: wrong bytes\n", id, round);
      test_failures++;
    }
    CHECK_CU(cuMemFree(a));
    CHECK_CU(cuMemFree(b));
  }
  CHECK_CU(cuMemFreeHost(host));
  CHECK_CU(cuStreamDestroy(s));
  return NULL;
}

static void test_threads(void) {
  CHECK_CU(cuDevicePrimaryCtxRetain(&shared, 0));
  pthread_t t[THREADS];
  for (unsigned i = 0; i < THREADS; i++) pthread_create(&t[i], NULL, worker, (void *)(uintptr_t)i);
  for (unsigned i = 0; i < THREADS; i++) pthread_join(t[i], NULL);
  CHECK_CU(cuCtxSetCurrent(shared));
  size_t free_b, total;
  CHECK_CU(cuMemGetInfo(&free_b, &total));
  EXPECT(free_b == total);   /* everything was freed */
  CHECK_CU(cuDevicePrimaryCtxRelease(0));
}

static void test_two_devices(void) {
  int n = 0;
  CHECK_CU(cuDeviceGetCount(&n));
  EXPECT(n == 2);
  CUcontext c0, c1;
  CHECK_CU(cuDevicePrimaryCtxRetain(&c0, 0));
  CHECK_CU(cuDevicePrimaryCtxRetain(&c1, 1));
  EXPECT(c0 != c1);
  CUuuid u0, u1;
  CHECK_CU(cuDeviceGetUuid(&u0, 0));
  CHECK_CU(cuDeviceGetUuid(&u1, 1));
  EXPECT(memcmp(&u0, &u1, sizeof u0) != 0);
  CHECK_CU(cuCtxSetCurrent(c1));
  CUdeviceptr d;
  CHECK_CU(cuMemAlloc(&d, 1 << 20));
  CUdevice dev = -1;
  CHECK_CU(cuCtxGetDevice(&dev));
  EXPECT(dev == 1);
  int ordinal = -1;
  CHECK_CU(cuPointerGetAttribute(&ordinal, CU_POINTER_ATTRIBUTE_DEVICE_ORDINAL, d));
  EXPECT(ordinal == 1);
  size_t free1, free0, total;
  CHECK_CU(cuMemGetInfo(&free1, &total));
  CHECK_CU(cuCtxSetCurrent(c0));
  CHECK_CU(cuMemGetInfo(&free0, &total));
  EXPECT(free0 == total && free1 == total - (1 << 20));
  CHECK_CU(cuDevicePrimaryCtxRelease(1));   /* frees device 1's memory */
  CHECK_CU(cuDevicePrimaryCtxRelease(0));
  CHECK_CU(cuCtxSetCurrent(NULL));
}

int main(void) {
  CHECK_CU(cuInit(0));
  test_threads();
  test_two_devices();
  return test_finish("concurrency");
}

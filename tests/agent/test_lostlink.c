/* test_lostlink.c - the link dies mid-run (GS_TEST_LINK_FAIL_AFTER): the call that meets it and
 * every later call return CUDA_ERROR_LAUNCH_FAILED at once - what a device that died under the
 * program gives - and nothing waits forever. */
#include "check.h"

int main(void) {
  test_setup();
  CUdeviceptr d;
  CU_OK(cuMemAlloc(&d, 1024));
  CUresult first = CUDA_SUCCESS;
  int calls = 0;
  while (first == CUDA_SUCCESS && calls < 1000) {
    size_t f, t;
    first = cuMemGetInfo(&f, &t);
    calls++;
  }
  CHECK(first == CUDA_ERROR_LAUNCH_FAILED);
  size_t f, t;
  CU_EXPECT(cuMemGetInfo(&f, &t), CUDA_ERROR_LAUNCH_FAILED);
  CU_EXPECT(cuMemsetD8Async(d, 0, 16, 0), CUDA_ERROR_LAUNCH_FAILED);
  CU_EXPECT(cuCtxSynchronize(), CUDA_ERROR_LAUNCH_FAILED);
  char buf[16];
  CU_EXPECT(cuMemcpyDtoH(buf, d, 16), CUDA_ERROR_LAUNCH_FAILED);
  printf("lost link after %d calls: ok\n", calls);
  return 0;
}

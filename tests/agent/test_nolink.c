/* test_nolink.c - no device behind the link (GPUSHIM_DRIVER names no library): the program sees
 * what a machine without a GPU gives - cuInit fails with CUDA_ERROR_NO_DEVICE, later calls with
 * CUDA_ERROR_NOT_INITIALIZED - and nothing hangs. (The one line on stderr is checked by eye.) */
#include "check.h"

int main(void) {
  CU_EXPECT(cuInit(0), CUDA_ERROR_NO_DEVICE);
  int n = -1;
  CU_EXPECT(cuDeviceGetCount(&n), CUDA_ERROR_NOT_INITIALIZED);
  CUdeviceptr d;
  CU_EXPECT(cuMemAlloc(&d, 16), CUDA_ERROR_NOT_INITIALIZED);
  int version = 0;
  CU_OK(cuDriverGetVersion(&version));                    /* as a GPU-less driver answers */
  CHECK(version >= 13000);
  const char *name;
  CU_OK(cuGetErrorName(CUDA_ERROR_NO_DEVICE, &name));     /* answered locally all the same */
  CHECK(name && name[0] == 'C');
  printf("no link: ok\n");
  return 0;
}

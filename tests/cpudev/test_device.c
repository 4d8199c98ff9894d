/* test_device.c - the CPU device before any context: cuInit, versions, enumeration,
 * attributes (every CU_DEVICE_ATTRIBUTE_* answers, consistently with the other queries),
 * error names and strings, and the environment overrides (GPUSHIM_CPU_CC,
 * GPUSHIM_CPU_DEVICE_MEMORY) that meson sets for this test.
 */
#define CUDA_ENABLE_DEPRECATED 1   /* cuDeviceComputeCapability, cuDeviceGetProperties */
#include "cpudev_test.h"

#include <string.h>
#include <unistd.h>

static void test_before_init(void) {
  int n = -1;
  EXPECT_CU(cuDeviceGetCount(&n), CUDA_ERROR_NOT_INITIALIZED);
  CUcontext c;
  EXPECT_CU(cuCtxGetCurrent(&c), CUDA_ERROR_NOT_INITIALIZED);
  EXPECT_CU(cuInit(1), CUDA_ERROR_INVALID_VALUE);
}

static void test_enumeration(void) {
  int v = 0, n = 0;
  CHECK_CU(cuDriverGetVersion(&v));
  EXPECT(v == 13000);
  CHECK_CU(cuDeviceGetCount(&n));
  EXPECT(n == 1);
  CUdevice d;
  CHECK_CU(cuDeviceGet(&d, 0));
  EXPECT_CU(cuDeviceGet(&d, 1), CUDA_ERROR_INVALID_DEVICE);
  EXPECT_CU(cuDeviceGet(&d, -1), CUDA_ERROR_INVALID_DEVICE);
  char name[64];
  CHECK_CU(cuDeviceGetName(name, sizeof name, 0));
  EXPECT(!strcmp(name, "gpushim CPU device"));
  CUuuid u1, u2;
  CHECK_CU(cuDeviceGetUuid(&u1, 0));
  CHECK_CU(cuDeviceGetUuid_v2(&u2, 0));
  EXPECT(!memcmp(&u1, &u2, sizeof u1));
  size_t total = 0;
  CHECK_CU(cuDeviceTotalMem(&total, 0));
  EXPECT(total == (size_t)3 << 30);   /* GPUSHIM_CPU_DEVICE_MEMORY=3G */
  int major = 0, minor = 0;
  CHECK_CU(cuDeviceComputeCapability(&major, &minor, 0));
  EXPECT(major == 8 && minor == 6);   /* GPUSHIM_CPU_CC=8.6 */
  char bus[32];
  CHECK_CU(cuDeviceGetPCIBusId(bus, sizeof bus, 0));
  CUdevice back = -1;
  CHECK_CU(cuDeviceGetByPCIBusId(&back, bus));
  EXPECT(back == 0);
}

static int attr(CUdevice_attribute a) {
  int v = -12345;
  CHECK_CU(cuDeviceGetAttribute(&v, a, 0));
  return v;
}

static void test_attributes(void) {
  /* Every attribute cuda.h defines answers. */
  for (int a = 1; a < CU_DEVICE_ATTRIBUTE_MAX; a++) {
    int v;
    CUresult r = cuDeviceGetAttribute(&v, (CUdevice_attribute)a, 0);
    if (r != CUDA_SUCCESS) {
      fprintf(stderr, "attribute %d: %s\n", a, test_err_name(r));
      test_failures++;
    }
  }
  int v;
  EXPECT_CU(cuDeviceGetAttribute(&v, CU_DEVICE_ATTRIBUTE_MAX, 0), CUDA_ERROR_INVALID_VALUE);
  EXPECT_CU(cuDeviceGetAttribute(&v, CU_DEVICE_ATTRIBUTE_WARP_SIZE, 5), CUDA_ERROR_INVALID_DEVICE);
  EXPECT(attr(CU_DEVICE_ATTRIBUTE_COMPUTE_CAPABILITY_MAJOR) == 8);
  EXPECT(attr(CU_DEVICE_ATTRIBUTE_COMPUTE_CAPABILITY_MINOR) == 6);
  EXPECT(attr(CU_DEVICE_ATTRIBUTE_WARP_SIZE) == 32);
  EXPECT(attr(CU_DEVICE_ATTRIBUTE_MAX_THREADS_PER_BLOCK) == 1024);
  EXPECT(attr(CU_DEVICE_ATTRIBUTE_MAX_BLOCK_DIM_X) <= attr(CU_DEVICE_ATTRIBUTE_MAX_THREADS_PER_BLOCK));
  EXPECT(attr(CU_DEVICE_ATTRIBUTE_MAX_GRID_DIM_X) == 2147483647);
  EXPECT(attr(CU_DEVICE_ATTRIBUTE_MAX_GRID_DIM_Y) == 65535);
  EXPECT(attr(CU_DEVICE_ATTRIBUTE_MAX_SHARED_MEMORY_PER_BLOCK) == 48 * 1024);
  EXPECT(attr(CU_DEVICE_ATTRIBUTE_MAX_SHARED_MEMORY_PER_BLOCK_OPTIN) >=
         attr(CU_DEVICE_ATTRIBUTE_MAX_SHARED_MEMORY_PER_BLOCK));
  EXPECT(attr(CU_DEVICE_ATTRIBUTE_MAX_SHARED_MEMORY_PER_MULTIPROCESSOR) >=
         attr(CU_DEVICE_ATTRIBUTE_MAX_SHARED_MEMORY_PER_BLOCK_OPTIN));
  EXPECT(attr(CU_DEVICE_ATTRIBUTE_MULTIPROCESSOR_COUNT) == (int)sysconf(_SC_NPROCESSORS_ONLN));
  EXPECT(attr(CU_DEVICE_ATTRIBUTE_UNIFIED_ADDRESSING) == 1);
  EXPECT(attr(CU_DEVICE_ATTRIBUTE_CONCURRENT_KERNELS) == 1);
  EXPECT(attr(CU_DEVICE_ATTRIBUTE_MANAGED_MEMORY) == 1);
  EXPECT(attr(CU_DEVICE_ATTRIBUTE_MAX_REGISTERS_PER_BLOCK) == 65536);
  EXPECT(attr(CU_DEVICE_ATTRIBUTE_ASYNC_ENGINE_COUNT) >= 1);
  CUdevprop p;
  CHECK_CU(cuDeviceGetProperties(&p, 0));
  EXPECT(p.maxThreadsPerBlock == 1024 && p.SIMDWidth == 32 && p.maxGridSize[1] == 65535);
}

/* Every CUresult of cuda.h has a name and a string; names are the enumerators'. */
static void test_error_names(void) {
  static const struct {
    CUresult r;
    const char *name;
  } some[] = {
    {CUDA_SUCCESS, "CUDA_SUCCESS"},
    {CUDA_ERROR_INVALID_VALUE, "CUDA_ERROR_INVALID_VALUE"},
    {CUDA_ERROR_OUT_OF_MEMORY, "CUDA_ERROR_OUT_OF_MEMORY"},
    {CUDA_ERROR_ILLEGAL_ADDRESS, "CUDA_ERROR_ILLEGAL_ADDRESS"},
    {CUDA_ERROR_NO_BINARY_FOR_GPU, "CUDA_ERROR_NO_BINARY_FOR_GPU"},
    {CUDA_ERROR_NOT_READY, "CUDA_ERROR_NOT_READY"},
    {CUDA_ERROR_UNKNOWN, "CUDA_ERROR_UNKNOWN"},
  };
  for (size_t i = 0; i < sizeof some / sizeof some[0]; i++) {
    const char *n = NULL, *s = NULL;
    CHECK_CU(cuGetErrorName(some[i].r, &n));
    CHECK_CU(cuGetErrorString(some[i].r, &s));
    EXPECT(n && !strcmp(n, some[i].name));
    EXPECT(s && strlen(s) > 10);
  }
  int named = 0;
  for (int code = 0; code < 1000; code++) {
    const char *n = NULL;
    if (cuGetErrorName((CUresult)code, &n) == CUDA_SUCCESS) {
      named++;
      EXPECT(n && !strncmp(n, "CUDA_", 5));
      const char *s = NULL;
      CHECK_CU(cuGetErrorString((CUresult)code, &s));
    }
  }
  EXPECT(named == 101);   /* the CUresult enumerators of CUDA 13.0's cuda.h */
  const char *n = "x";
  EXPECT_CU(cuGetErrorName((CUresult)12345, &n), CUDA_ERROR_INVALID_VALUE);
  EXPECT(n == NULL);
}

int main(void) {
  test_before_init();
  CHECK_CU(cuInit(0));
  test_enumeration();
  test_attributes();
  test_error_names();
  return test_finish("device");
}

/* test_memory.c - device memory through the driver stubs, the wire and the agent's dispatch:
 * allocation and accounting, copies in every direction (sync, async, unified, 2D), memsets of
 * every width, and the errors a device gives for bad pointers. Data is checked byte for byte
 * against what the host computed. */
#include <stdint.h>
#include <string.h>

#include "check.h"

static void test_alloc_and_info(void) {
  size_t free0, total, free1, free2;
  CU_OK(cuMemGetInfo(&free0, &total));
  CHECK(total > 0 && free0 <= total);
  CUdeviceptr d;
  CU_OK(cuMemAlloc(&d, 1 << 20));
  CU_OK(cuMemGetInfo(&free1, &total));
  CHECK(free1 <= free0 - (1 << 20));
  CUdeviceptr base;
  size_t size;
  CU_OK(cuMemGetAddressRange(&base, &size, d + 1000));
  CHECK(base == d && size >= (1 << 20));
  CU_OK(cuMemFree(d));
  CU_OK(cuCtxSynchronize());
  CU_OK(cuMemGetInfo(&free2, &total));
  CHECK(free2 == free0);
  /* a pointer that is not an allocation's base */
  CU_OK(cuMemAlloc(&d, 4096));
  CU_EXPECT(cuMemFree(d + 16), CUDA_ERROR_INVALID_VALUE);
  CU_OK(cuMemFree(d));
  CU_EXPECT(cuMemFree(d), CUDA_ERROR_INVALID_VALUE);      /* twice */
  CU_EXPECT(cuMemAlloc(NULL, 16), CUDA_ERROR_INVALID_VALUE);
}

static void test_copies(void) {
  enum { N = 300000 };
  uint8_t *a = malloc(N), *b = malloc(N);
  uint64_t seed = 42;
  for (size_t i = 0; i < N; i++) a[i] = (uint8_t)test_rand(&seed);
  CUdeviceptr d1, d2;
  CU_OK(cuMemAlloc(&d1, N));
  CU_OK(cuMemAlloc(&d2, N));
  CU_OK(cuMemcpyHtoD(d1, a, N));
  CU_OK(cuMemcpyDtoD(d2, d1, N));
  memset(b, 0, N);
  CU_OK(cuMemcpyDtoH(b, d2, N));
  CHECK(memcmp(a, b, N) == 0);
  /* unified: direction from the pointers */
  memset(b, 0, N);
  CU_OK(cuMemcpy(d2 + 10, (CUdeviceptr)(uintptr_t)(a + 5), 1000));
  CU_OK(cuMemcpy((CUdeviceptr)(uintptr_t)b, d2 + 10, 1000));
  CHECK(memcmp(a + 5, b, 1000) == 0);
  /* async on the legacy stream, visible after synchronizing */
  memset(b, 0, N);
  CU_OK(cuMemcpyHtoDAsync(d1, a + 1, N - 1, 0));
  CU_OK(cuMemcpyDtoHAsync(b, d1, N - 1, 0));
  CU_OK(cuStreamSynchronize(0));
  CHECK(memcmp(a + 1, b, N - 1) == 0);
  /* out of range: past the end of an allocation */
  CU_EXPECT(cuMemcpyHtoD(d1 + N - 10, a, 20), CUDA_ERROR_INVALID_VALUE);
  CU_EXPECT(cuMemcpyDtoH(b, d1 + N, 1), CUDA_ERROR_INVALID_VALUE);
  CU_OK(cuMemFree(d1));
  CU_OK(cuMemFree(d2));
  free(a);
  free(b);
}

static void test_memsets(void) {
  enum { N = 4096 };
  CUdeviceptr d;
  uint8_t h8[N];
  uint16_t h16[N / 2];
  uint32_t h32[N / 4];
  CU_OK(cuMemAlloc(&d, N));
  CU_OK(cuMemsetD8(d, 0xAB, N));
  CU_OK(cuMemcpyDtoH(h8, d, N));
  for (int i = 0; i < N; i++) CHECK(h8[i] == 0xAB);
  CU_OK(cuMemsetD16(d, 0x1234, N / 2));
  CU_OK(cuMemcpyDtoH(h16, d, N));
  for (int i = 0; i < N / 2; i++) CHECK(h16[i] == 0x1234);
  CU_OK(cuMemsetD32Async(d, 0xDEADBEEF, N / 4, 0));
  CU_OK(cuMemcpyDtoH(h32, d, N));
  for (int i = 0; i < N / 4; i++) CHECK(h32[i] == 0xDEADBEEF);
  /* a queued memset past the end: its error surfaces at the next synchronizing call */
  CU_OK(cuMemsetD32(d, 0, N));
  CU_EXPECT(cuCtxSynchronize(), CUDA_ERROR_INVALID_VALUE);
  CU_OK(cuCtxSynchronize());                                 /* reported once */
  CU_OK(cuMemFree(d));
}

static void test_2d(void) {
  enum { W = 100, H = 37 };
  CUdeviceptr d;
  size_t pitch;
  CU_OK(cuMemAllocPitch(&d, &pitch, W, H, 4));
  CHECK(pitch >= W);
  uint8_t src[H][W + 3], back[H][W + 5];
  for (int y = 0; y < H; y++)
    for (int x = 0; x < W + 3; x++) src[y][x] = (uint8_t)(y * 7 + x);
  CU_OK(cuMemsetD2D8(d, pitch, 0, W, H));
  CUDA_MEMCPY2D c = {0};
  c.srcMemoryType = CU_MEMORYTYPE_HOST;
  c.srcHost = src;
  c.srcPitch = W + 3;
  c.dstMemoryType = CU_MEMORYTYPE_DEVICE;
  c.dstDevice = d;
  c.dstPitch = pitch;
  c.WidthInBytes = W;
  c.Height = H;
  CU_OK(cuMemcpy2D(&c));
  CUDA_MEMCPY2D r = {0};
  r.srcMemoryType = CU_MEMORYTYPE_DEVICE;
  r.srcDevice = d;
  r.srcPitch = pitch;
  r.dstMemoryType = CU_MEMORYTYPE_HOST;
  r.dstHost = back;
  r.dstPitch = W + 5;
  r.WidthInBytes = W;
  r.Height = H;
  memset(back, 0, sizeof back);
  CU_OK(cuMemcpy2DAsync(&r, 0));
  CU_OK(cuStreamSynchronize(0));
  for (int y = 0; y < H; y++) CHECK(memcmp(src[y], back[y], W) == 0);
  /* memset of a pitched region touches only its rows' first W*4 bytes */
  CU_OK(cuMemsetD2D32(d, pitch, 0x01020304, W / 4, H));
  CU_OK(cuMemcpy2D(&r));
  for (int y = 0; y < H; y++)
    for (int x = 0; x < W; x += 4) CHECK(back[y][x] == 0x04 && back[y][x + 3] == 0x01);
  CU_EXPECT(cuMemsetD2D8(d, pitch, 0, W, H + 100), CUDA_SUCCESS);   /* queued ... */
  CU_EXPECT(cuCtxSynchronize(), CUDA_ERROR_INVALID_VALUE);           /* ... fails here */
  CU_OK(cuMemFree(d));
}

static void test_host_memory(void) {
  void *p;
  CU_OK(cuMemAllocHost(&p, 1 << 16));
  /* pointer attributes: page-locked host, device, unknown host memory */
  unsigned type = 0;
  CU_OK(cuPointerGetAttribute(&type, CU_POINTER_ATTRIBUTE_MEMORY_TYPE, (CUdeviceptr)(uintptr_t)p + 100));
  CHECK(type == CU_MEMORYTYPE_HOST);
  int on_stack = 0;
  CU_EXPECT(cuPointerGetAttribute(&type, CU_POINTER_ATTRIBUTE_MEMORY_TYPE,
                                  (CUdeviceptr)(uintptr_t)&on_stack), CUDA_ERROR_INVALID_VALUE);
  CUdeviceptr dev;
  CU_OK(cuMemAlloc(&dev, 64));
  CUpointer_attribute attrs[2] = {CU_POINTER_ATTRIBUTE_MEMORY_TYPE, CU_POINTER_ATTRIBUTE_RANGE_SIZE};
  size_t range = 0;
  void *data[2] = {&type, &range};
  CU_OK(cuPointerGetAttributes(2, attrs, data, dev + 8));
  CHECK(type == CU_MEMORYTYPE_DEVICE && range == 64);
  CU_OK(cuMemFree(dev));
  unsigned flags = 99;
  CU_OK(cuMemHostGetFlags(&flags, p));
  CHECK(flags == 0);
  CU_OK(cuMemHostRegister(&on_stack, sizeof on_stack, 0));
  CU_EXPECT(cuMemHostRegister(&on_stack, sizeof on_stack, 0), CUDA_ERROR_HOST_MEMORY_ALREADY_REGISTERED);
  CU_OK(cuMemHostUnregister(&on_stack));
  CU_EXPECT(cuMemHostUnregister(&on_stack), CUDA_ERROR_HOST_MEMORY_NOT_REGISTERED);
  CUdeviceptr d;
  CU_OK(cuMemAlloc(&d, 1 << 16));
  memset(p, 0x5A, 1 << 16);
  CU_OK(cuMemcpyHtoD(d, p, 1 << 16));
  memset(p, 0, 1 << 16);
  CU_OK(cuMemcpyDtoH(p, d, 1 << 16));
  CHECK(((uint8_t *)p)[12345] == 0x5A);
  CU_OK(cuMemFree(d));
  CU_OK(cuMemFreeHost(p));
}

/* cuGetProcAddress answers for what we export, by version where signatures differ */
static void test_proc_address(void) {
  void *fn = NULL;
  CUdriverProcAddressQueryResult st;
  CU_OK(cuGetProcAddress("cuMemAlloc", &fn, 13000, 0, &st));
  CHECK(fn == (void *)cuMemAlloc && st == CU_GET_PROC_ADDRESS_SUCCESS);
  CUdeviceptr d = 0;
  CU_OK(((CUresult(*)(CUdeviceptr *, size_t))fn)(&d, 256));
  CU_OK(cuMemFree(d));
  CU_OK(cuGetProcAddress("cuCtxCreate", &fn, 13000, 0, &st));
  CHECK(fn == (void *)cuCtxCreate);
  void *old = NULL;
  CU_OK(cuGetProcAddress("cuCtxCreate", &old, 11000, 0, &st));
  CHECK(old && old != fn);
  /* the per-thread-default-stream form, called with the NULL stream */
  void *pt = NULL;
  CU_OK(cuGetProcAddress("cuMemsetD32Async", &pt, 13000,
                         CU_GET_PROC_ADDRESS_PER_THREAD_DEFAULT_STREAM, &st));
  CHECK(pt && pt != (void *)cuMemsetD32Async);
  uint32_t word = 0;
  CU_OK(cuMemAlloc(&d, 4));
  CU_OK(((CUresult(*)(CUdeviceptr, unsigned, size_t, CUstream))pt)(d, 0xC0FFEEu, 1, NULL));
  CU_OK(cuMemcpyDtoH(&word, d, 4));
  CHECK(word == 0xC0FFEEu);
  CU_OK(cuMemFree(d));
  CU_EXPECT(cuGetProcAddress("cuNoSuchFunction", &fn, 13000, 0, &st), CUDA_ERROR_NOT_FOUND);
  CHECK(fn == NULL && st == CU_GET_PROC_ADDRESS_SYMBOL_NOT_FOUND);
  const char *s;
  CU_OK(cuGetErrorName(CUDA_ERROR_ILLEGAL_ADDRESS, &s));
  CHECK(strcmp(s, "CUDA_ERROR_ILLEGAL_ADDRESS") == 0);
  CU_OK(cuGetErrorString(CUDA_ERROR_OUT_OF_MEMORY, &s));
  CHECK(s && strlen(s) > 10);
  CU_EXPECT(cuGetErrorName((CUresult)12345, &s), CUDA_ERROR_INVALID_VALUE);
}

/* a primary-context reset frees what was made in it, on both sides */
static void test_reset(void) {
  size_t free0, free1, total;
  CU_OK(cuCtxSynchronize());
  CU_OK(cuMemGetInfo(&free0, &total));
  CUdeviceptr d;
  CUstream s;
  CU_OK(cuMemAlloc(&d, 1 << 20));
  CU_OK(cuStreamCreate(&s, 0));
  CU_OK(cuDevicePrimaryCtxReset(0));
  CU_OK(cuMemGetInfo(&free1, &total));
  CHECK(free1 >= free0);
  CU_EXPECT(cuMemFree(d), CUDA_ERROR_INVALID_VALUE);
  CU_EXPECT(cuStreamSynchronize(s), CUDA_ERROR_INVALID_HANDLE);
  CU_OK(cuMemAlloc(&d, 4096));                               /* the context still works */
  CU_OK(cuMemsetD8(d, 1, 4096));
  CU_OK(cuMemFree(d));
  CU_OK(cuCtxSynchronize());
}

int main(void) {
  test_setup();
  test_proc_address();
  test_alloc_and_info();
  test_copies();
  test_memsets();
  test_2d();
  test_host_memory();
  test_reset();
  printf("memory: ok\n");
  return 0;
}

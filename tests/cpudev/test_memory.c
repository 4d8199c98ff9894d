/* test_memory.c - device, pinned, registered and managed memory on the CPU device:
 * allocation and the configured limit (OOM), bad frees, copies in every direction (sync,
 * async, 2D, 3D, unified), memsets of every width, pitch allocations, pointer attributes.
 * Run with GPUSHIM_CPU_DEVICE_MEMORY=64M.
 */
#include "cpudev_test.h"

#include <stdint.h>
#include <string.h>

static void test_alloc_and_limit(void) {
  size_t free0, total;
  CHECK_CU(cuMemGetInfo(&free0, &total));
  EXPECT(total == (size_t)64 << 20);
  EXPECT(free0 <= total);
  CUdeviceptr a, b;
  CHECK_CU(cuMemAlloc(&a, 10 << 20));
  EXPECT(a % 256 == 0);
  size_t free1;
  CHECK_CU(cuMemGetInfo(&free1, &total));
  EXPECT(free0 - free1 >= (size_t)10 << 20);
  EXPECT_CU(cuMemAlloc(&b, 60 << 20), CUDA_ERROR_OUT_OF_MEMORY);
  EXPECT_CU(cuMemAlloc(&b, 0), CUDA_ERROR_INVALID_VALUE);
  CUdeviceptr base;
  size_t size;
  CHECK_CU(cuMemGetAddressRange(&base, &size, a + 12345));
  EXPECT(base == a && size == (size_t)10 << 20);
  EXPECT_CU(cuMemFree(a + 8), CUDA_ERROR_INVALID_VALUE);       /* not the start of an allocation */
  EXPECT_CU(cuMemFree((CUdeviceptr)(uintptr_t)&base), CUDA_ERROR_INVALID_VALUE);  /* not ours at all */
  CHECK_CU(cuMemFree(a));
  EXPECT_CU(cuMemFree(a), CUDA_ERROR_INVALID_VALUE);           /* double free */
  CHECK_CU(cuMemFree(0));
  CHECK_CU(cuMemAlloc(&b, 60 << 20));                          /* fits again after the free */
  CHECK_CU(cuMemFree(b));
  CHECK_CU(cuMemGetInfo(&free1, &total));
  EXPECT(free1 == free0);
}

static void test_copies(void) {
  enum { N = 4096 };
  static unsigned char src[N], dst[N];
  for (int i = 0; i < N; i++) src[i] = (unsigned char)(i * 7 + 3);
  CUdeviceptr a, b;
  CHECK_CU(cuMemAlloc(&a, N));
  CHECK_CU(cuMemAlloc(&b, N));
  CHECK_CU(cuMemcpyHtoD(a, src, N));
  CHECK_CU(cuMemcpyDtoD(b, a, N));
  memset(dst, 0, N);
  CHECK_CU(cuMemcpyDtoH(dst, b, N));
  EXPECT(!memcmp(src, dst, N));
  /* out-of-range and foreign pointers are refused, not copied */
  EXPECT_CU(cuMemcpyHtoD(a + 1, src, N), CUDA_ERROR_INVALID_VALUE);
  EXPECT_CU(cuMemcpyDtoH(dst, a + N - 8, 16), CUDA_ERROR_INVALID_VALUE);   /* runs past the end */
  EXPECT_CU(cuMemcpyDtoD((CUdeviceptr)(uintptr_t)dst, a, 16), CUDA_ERROR_INVALID_VALUE);
  EXPECT_CU(cuMemcpyHtoD(a, NULL, 16), CUDA_ERROR_INVALID_VALUE);
  CHECK_CU(cuMemcpyHtoD(a, src, 0));
  /* unified copies: host to device and back through cuMemcpy */
  CHECK_CU(cuMemcpy(a, (CUdeviceptr)(uintptr_t)(src + 100), 200));
  memset(dst, 0, N);
  CHECK_CU(cuMemcpy((CUdeviceptr)(uintptr_t)dst, a, 200));
  EXPECT(!memcmp(dst, src + 100, 200));
  /* async copies on a stream, from pageable memory that is reused at once */
  CUstream s;
  CHECK_CU(cuStreamCreate(&s, CU_STREAM_NON_BLOCKING));
  unsigned char tmp[64];
  memset(tmp, 0x11, sizeof tmp);
  CHECK_CU(cuMemcpyHtoDAsync(a, tmp, sizeof tmp, s));
  memset(tmp, 0x22, sizeof tmp);   /* staged: the device must see 0x11 */
  CHECK_CU(cuMemcpyDtoHAsync(dst, a, sizeof tmp, s));
  CHECK_CU(cuStreamSynchronize(s));
  EXPECT(dst[0] == 0x11 && dst[63] == 0x11);
  CHECK_CU(cuStreamDestroy(s));
  CHECK_CU(cuMemFree(a));
  CHECK_CU(cuMemFree(b));
}

static void test_memsets(void) {
  CUdeviceptr d;
  CHECK_CU(cuMemAlloc(&d, 1024));
  uint32_t out32[256];
  CHECK_CU(cuMemsetD32(d, 0xDEADBEEF, 256));
  CHECK_CU(cuMemcpyDtoH(out32, d, sizeof out32));
  int ok = 1;
  for (int i = 0; i < 256; i++) ok &= out32[i] == 0xDEADBEEF;
  EXPECT(ok);
  uint16_t out16[512];
  CHECK_CU(cuMemsetD16(d + 2, 0xABCD, 10));
  CHECK_CU(cuMemcpyDtoH(out16, d, sizeof out16));
  EXPECT(out16[0] == 0xBEEF && out16[1] == 0xABCD && out16[10] == 0xABCD && out16[11] == 0xDEAD);
  unsigned char out8[1024];
  CHECK_CU(cuMemsetD8Async(d + 5, 0x5A, 3, NULL));
  CHECK_CU(cuCtxSynchronize());
  CHECK_CU(cuMemcpyDtoH(out8, d, sizeof out8));
  EXPECT(out8[4] != 0x5A && out8[5] == 0x5A && out8[7] == 0x5A && out8[8] != 0x5A);
  EXPECT_CU(cuMemsetD32(d + 2, 0, 4), CUDA_ERROR_INVALID_VALUE);    /* misaligned */
  EXPECT_CU(cuMemsetD32(d, 0, 257), CUDA_ERROR_INVALID_VALUE);      /* past the end */
  /* 2D: 4 rows of 3 u32 in a pitch of 64 bytes */
  CHECK_CU(cuMemsetD8(d, 0, 1024));
  CHECK_CU(cuMemsetD2D32(d, 64, 7, 3, 4));
  CHECK_CU(cuMemcpyDtoH(out32, d, sizeof out32));
  ok = 1;
  for (int row = 0; row < 6; row++)
    for (int col = 0; col < 16; col++) ok &= out32[row * 16 + col] == ((row < 4 && col < 3) ? 7u : 0u);
  EXPECT(ok);
  CHECK_CU(cuMemFree(d));
}

static void test_2d_3d(void) {
  CUdeviceptr d;
  size_t pitch = 0;
  EXPECT_CU(cuMemAllocPitch(&d, &pitch, 100, 8, 3), CUDA_ERROR_INVALID_VALUE);
  CHECK_CU(cuMemAllocPitch(&d, &pitch, 100, 8, 4));
  EXPECT(pitch >= 100 && pitch % 32 == 0);
  unsigned char host[8][100], back[8][100];
  for (int y = 0; y < 8; y++)
    for (int x = 0; x < 100; x++) host[y][x] = (unsigned char)(x + 3 * y);
  CUDA_MEMCPY2D c = {0};
  c.srcMemoryType = CU_MEMORYTYPE_HOST;
  c.srcHost = host;
  c.srcPitch = 100;
  c.dstMemoryType = CU_MEMORYTYPE_DEVICE;
  c.dstDevice = d;
  c.dstPitch = pitch;
  c.WidthInBytes = 100;
  c.Height = 8;
  CHECK_CU(cuMemcpy2D(&c));
  /* read back rows 2..5, columns 10..59, via the async form */
  memset(back, 0, sizeof back);
  CUDA_MEMCPY2D r = {0};
  r.srcMemoryType = CU_MEMORYTYPE_DEVICE;
  r.srcDevice = d;
  r.srcPitch = pitch;
  r.srcXInBytes = 10;
  r.srcY = 2;
  r.dstMemoryType = CU_MEMORYTYPE_HOST;
  r.dstHost = back;
  r.dstPitch = 100;
  r.WidthInBytes = 50;
  r.Height = 4;
  CHECK_CU(cuMemcpy2DAsync(&r, NULL));
  CHECK_CU(cuCtxSynchronize());
  int ok = 1;
  for (int y = 0; y < 4; y++)
    for (int x = 0; x < 50; x++) ok &= back[y][x] == host[y + 2][x + 10];
  EXPECT(ok);
  c.Height = 9;   /* one row past the allocation */
  EXPECT_CU(cuMemcpy2D(&c), CUDA_ERROR_INVALID_VALUE);
  c.Height = 2;
  c.srcPitch = 50;   /* pitch below the width */
  EXPECT_CU(cuMemcpy2DUnaligned(&c), CUDA_ERROR_INVALID_VALUE);
  /* 3D: a 4x3x2 box of bytes from host to device and back */
  unsigned char box[2][3][4], box2[2][3][4];
  for (int i = 0; i < 24; i++) ((unsigned char *)box)[i] = (unsigned char)(100 + i);
  CUDA_MEMCPY3D m = {0};
  m.srcMemoryType = CU_MEMORYTYPE_HOST;
  m.srcHost = box;
  m.srcPitch = 4;
  m.srcHeight = 3;
  m.dstMemoryType = CU_MEMORYTYPE_DEVICE;
  m.dstDevice = d;
  m.dstPitch = pitch;
  m.dstHeight = 3;
  m.WidthInBytes = 4;
  m.Height = 3;
  m.Depth = 2;
  CHECK_CU(cuMemcpy3D(&m));
  CUDA_MEMCPY3D mb = m;
  mb.srcMemoryType = CU_MEMORYTYPE_DEVICE;
  mb.srcDevice = d;
  mb.srcPitch = pitch;
  mb.dstMemoryType = CU_MEMORYTYPE_HOST;
  mb.dstHost = box2;
  mb.dstPitch = 4;
  CHECK_CU(cuMemcpy3D(&mb));
  EXPECT(!memcmp(box, box2, sizeof box));
  unsigned char row1[4];
  CHECK_CU(cuMemcpyDtoH(row1, d + 3 * pitch, 4));   /* slice 1, row 0 sits at 3 pitches */
  EXPECT(!memcmp(row1, box[1][0], 4));
  CHECK_CU(cuMemFree(d));
}

static void test_host_memory(void) {
  void *h;
  CHECK_CU(cuMemAllocHost(&h, 4096));
  unsigned flags = 0;
  CHECK_CU(cuMemHostGetFlags(&flags, h));
  EXPECT(flags & CU_MEMHOSTALLOC_DEVICEMAP);
  CUdeviceptr dp;
  CHECK_CU(cuMemHostGetDevicePointer(&dp, h, 0));
  EXPECT(dp == (CUdeviceptr)(uintptr_t)h);
  unsigned type = 0;
  CHECK_CU(cuPointerGetAttribute(&type, CU_POINTER_ATTRIBUTE_MEMORY_TYPE, dp));
  EXPECT(type == CU_MEMORYTYPE_HOST);
  EXPECT_CU(cuMemFree(dp), CUDA_ERROR_INVALID_VALUE);   /* host memory is freed with cuMemFreeHost */
  CHECK_CU(cuMemFreeHost(h));
  EXPECT_CU(cuMemFreeHost(h), CUDA_ERROR_INVALID_VALUE);

  static char user[8192];
  CHECK_CU(cuMemHostRegister(user, sizeof user, 0));
  EXPECT_CU(cuMemHostRegister(user + 100, 10, 0), CUDA_ERROR_HOST_MEMORY_ALREADY_REGISTERED);
  CUdeviceptr d;
  CHECK_CU(cuMemAlloc(&d, 64));
  CHECK_CU(cuMemsetD8(d, 0x42, 64));
  CHECK_CU(cuMemcpyDtoHAsync(user + 10, d, 64, NULL));   /* registered: truly async */
  CHECK_CU(cuCtxSynchronize());
  EXPECT(user[10] == 0x42 && user[73] == 0x42 && user[74] == 0);
  CHECK_CU(cuMemHostUnregister(user));
  EXPECT_CU(cuMemHostUnregister(user), CUDA_ERROR_HOST_MEMORY_NOT_REGISTERED);

  CUdeviceptr m;
  CHECK_CU(cuMemAllocManaged(&m, 256, CU_MEM_ATTACH_GLOBAL));
  ((int *)(uintptr_t)m)[3] = 77;   /* visible to the host directly */
  int v = 0;
  CHECK_CU(cuMemcpyDtoH(&v, m + 12, 4));
  EXPECT(v == 77);
  int managed = 0;
  CHECK_CU(cuPointerGetAttribute(&managed, CU_POINTER_ATTRIBUTE_IS_MANAGED, m));
  EXPECT(managed == 1);

  CUcontext ctx = NULL, cur;
  CUdeviceptr start = 0;
  size_t range = 0;
  CUpointer_attribute attrs[] = {CU_POINTER_ATTRIBUTE_CONTEXT, CU_POINTER_ATTRIBUTE_RANGE_START_ADDR,
                                 CU_POINTER_ATTRIBUTE_RANGE_SIZE, CU_POINTER_ATTRIBUTE_MEMORY_TYPE};
  void *data[] = {&ctx, &start, &range, &type};
  CHECK_CU(cuPointerGetAttributes(4, attrs, data, d + 5));
  CHECK_CU(cuCtxGetCurrent(&cur));
  EXPECT(ctx == cur && start == d && range == 64 && type == CU_MEMORYTYPE_DEVICE);
  CHECK_CU(cuPointerGetAttributes(4, attrs, data, (CUdeviceptr)(uintptr_t)&v));   /* unknown: zeros */
  EXPECT(ctx == NULL && type == 0);
  EXPECT_CU(cuPointerGetAttribute(&type, CU_POINTER_ATTRIBUTE_MEMORY_TYPE, (CUdeviceptr)(uintptr_t)&v),
            CUDA_ERROR_INVALID_VALUE);
  CHECK_CU(cuMemFree(m));
  CHECK_CU(cuMemFree(d));
}

int main(void) {
  CHECK_CU(cuInit(0));
  CUcontext c;
  CHECK_CU(cuCtxCreate(&c, NULL, 0, 0));
  test_alloc_and_limit();
  test_copies();
  test_memsets();
  test_2d_3d();
  test_host_memory();
  CHECK_CU(cuCtxDestroy(c));
  return test_finish("memory");
}

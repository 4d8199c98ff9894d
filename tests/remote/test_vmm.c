/* test_vmm.c - virtual memory management and the occupancy search through the driver API, as
 * driver-API programs (NVIDIA's vectorAddMMAP, matrixMulDrv) use them; run by `gpushim run`
 * with a private agent and in-process, and straight against the CPU device.
 *
 * One physical allocation is mapped at two reserved ranges: a kernel writing through one
 * address must show at the other, and the memory must outlive its released handle while
 * mapped. The misuses CUDA rejects (unaligned or overlapping maps, freeing a mapped range,
 * cuMemFree of a mapping, a second release) must fail with CUDA_ERROR_INVALID_VALUE.
 * Two allocations mapped side by side act as one range for copies and kernels.
 * cuOccupancyMaxPotentialBlockSize, with and without a shared-memory function of the block
 * size, must match a search over cuOccupancyMaxActiveBlocksPerMultiprocessor done here.
 * Prints "PASS vmm" when all is well. */
#include "drv_check.h"
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>



/* bump(p, n, v): p[i] += v for i < n */
static const char bump_ptx[] =
    ".version 7.0\n.target sm_75\n.address_size 64\n"
    ".visible .entry bump(.param .u64 p, .param .u32 n, .param .u32 v)\n{\n"
    "  .reg .pred %q;\n  .reg .b32 %r<8>;\n  .reg .b64 %d<4>;\n"
    "  ld.param.u64 %d1, [p];\n  ld.param.u32 %r1, [n];\n  ld.param.u32 %r6, [v];\n"
    "  mov.u32 %r2, %ctaid.x;\n  mov.u32 %r3, %ntid.x;\n  mov.u32 %r4, %tid.x;\n"
    "  mad.lo.s32 %r5, %r2, %r3, %r4;\n  setp.ge.u32 %q, %r5, %r1;\n  @%q bra DONE;\n"
    "  cvta.to.global.u64 %d2, %d1;\n  mul.wide.u32 %d3, %r5, 4;\n  add.s64 %d2, %d2, %d3;\n"
    "  ld.global.u32 %r7, [%d2];\n  add.s32 %r7, %r7, %r6;\n  st.global.u32 [%d2], %r7;\n"
    "DONE:\n  ret;\n}\n";

static CUfunction g_bump;

static void bump(CUdeviceptr p, unsigned n, unsigned v) {
  void *args[] = {&p, &n, &v};
  CHECK_CU(cuLaunchKernel(g_bump, (n + 255) / 256, 1, 1, 256, 1, 1, 0, NULL, args, NULL));
  CHECK_CU(cuCtxSynchronize());
}

static void test_vmm(CUdevice dev) {
  int supported = 0;
  CHECK_CU(cuDeviceGetAttribute(&supported, CU_DEVICE_ATTRIBUTE_VIRTUAL_MEMORY_MANAGEMENT_SUPPORTED, dev));
  EXPECT(supported == 1);
  CUmemAllocationProp prop = {0};
  prop.type = CU_MEM_ALLOCATION_TYPE_PINNED;
  prop.location.type = CU_MEM_LOCATION_TYPE_DEVICE;
  prop.location.id = dev;
  size_t g = 0;
  CHECK_CU(cuMemGetAllocationGranularity(&g, &prop, CU_MEM_ALLOC_GRANULARITY_MINIMUM));
  EXPECT(g >= 4096 && (g & (g - 1)) == 0);
  size_t size = 2 * g, n = size / 4;

  CUdeviceptr a = 0, b = 0;
  CHECK_CU(cuMemAddressReserve(&a, size, 0, 0, 0));
  CHECK_CU(cuMemAddressReserve(&b, size + g, 0, 0, 0));
  EXPECT(a % g == 0 && b % g == 0);
  CUmemGenericAllocationHandle h;
  CHECK_CU(cuMemCreate(&h, size, &prop, 0));
  EXPECT(cuMemMap(a, g / 2, 0, h, 0) == CUDA_ERROR_INVALID_VALUE);   /* not a granule multiple */
  CHECK_CU(cuMemMap(a, size, 0, h, 0));
  EXPECT(cuMemMap(a, g, 0, h, 0) == CUDA_ERROR_INVALID_VALUE);       /* already mapped */
  CHECK_CU(cuMemMap(b + g, size, 0, h, 0));                           /* the same memory again */
  CUmemAccessDesc acc = {{CU_MEM_LOCATION_TYPE_DEVICE, dev}, CU_MEM_ACCESS_FLAGS_PROT_READWRITE};
  CHECK_CU(cuMemSetAccess(a, size, &acc, 1));
  CHECK_CU(cuMemSetAccess(b + g, size, &acc, 1));
  EXPECT(cuMemSetAccess(b, size + g, &acc, 1) == CUDA_ERROR_INVALID_VALUE);   /* b's first granule unmapped */
  unsigned long long flags = 0;
  CHECK_CU(cuMemGetAccess(&flags, &acc.location, a + 8));
  EXPECT(flags == CU_MEM_ACCESS_FLAGS_PROT_READWRITE);

  uint32_t *host = malloc(size), *back = malloc(size);
  if (!host || !back) exit(1);
  for (size_t i = 0; i < n; i++) host[i] = (uint32_t)(i * 2654435761u);
  CHECK_CU(cuMemcpyHtoD(a, host, size));
  /* through b: the start, and a stretch across the granule boundary */
  bump(b + g, 4096, 7);
  bump(b + g + g - 4096 * 4, 8192, 100);
  CHECK_CU(cuMemRelease(h));   /* the mappings keep the memory */
  bump(a + size - 1024 * 4, 1024, 5);
  CHECK_CU(cuMemcpyDtoH(back, a, size));
  size_t bad = 0;
  for (size_t i = 0; i < n; i++) {
    uint32_t want = host[i];
    if (i < 4096) want += 7;
    if (i >= g / 4 - 4096 && i < g / 4 + 4096) want += 100;
    if (i >= n - 1024) want += 5;
    bad += back[i] != want;
  }
  EXPECT(bad == 0);
  uint32_t word = 0;   /* the alias reads the same bytes */
  CHECK_CU(cuMemcpyDtoH(&word, b + g + 4 * 5, 4));
  EXPECT(word == host[5] + 7);

  EXPECT(cuMemFree(a) == CUDA_ERROR_INVALID_VALUE);                /* not cuMemAlloc memory */
  EXPECT(cuMemAddressFree(a, size) == CUDA_ERROR_INVALID_VALUE);   /* still mapped */
  EXPECT(cuMemRelease(h) == CUDA_ERROR_INVALID_VALUE);             /* released already */
  CHECK_CU(cuMemUnmap(a, size));
  CHECK_CU(cuMemUnmap(b + g, size));
  EXPECT(cuMemcpyHtoD(a, host, 4) != CUDA_SUCCESS);                /* no longer memory */
  CHECK_CU(cuMemAddressFree(a, size));
  CHECK_CU(cuMemAddressFree(b, size + g));
  EXPECT(cuMemAddressFree(b, size + g) == CUDA_ERROR_INVALID_VALUE);
  free(host);
  free(back);
}

/* Two physical allocations mapped side by side in one reservation behave as one range (a
 * growable buffer): one copy and one kernel cross the boundary; unmapping the second half
 * leaves the first usable and the second not. */
static void test_adjacent(CUdevice dev) {
  CUmemAllocationProp prop = {0};
  prop.type = CU_MEM_ALLOCATION_TYPE_PINNED;
  prop.location.type = CU_MEM_LOCATION_TYPE_DEVICE;
  prop.location.id = dev;
  size_t g = 0;
  CHECK_CU(cuMemGetAllocationGranularity(&g, &prop, CU_MEM_ALLOC_GRANULARITY_RECOMMENDED));
  CUdeviceptr base = 0;
  CHECK_CU(cuMemAddressReserve(&base, 4 * g, 0, 0, 0));
  CUmemGenericAllocationHandle h[2];
  CUmemAccessDesc acc = {{CU_MEM_LOCATION_TYPE_DEVICE, dev}, CU_MEM_ACCESS_FLAGS_PROT_READWRITE};
  for (int i = 0; i < 2; i++) {
    CHECK_CU(cuMemCreate(&h[i], g, &prop, 0));
    CHECK_CU(cuMemMap(base + i * g, g, 0, h[i], 0));
    CHECK_CU(cuMemRelease(h[i]));
    CHECK_CU(cuMemSetAccess(base + i * g, g, &acc, 1));   /* granted piece by piece */
  }
  size_t n = 2 * 1024;   /* words on each side of the boundary */
  uint32_t *buf = malloc(2 * n * 4);
  if (!buf) exit(1);
  for (size_t i = 0; i < 2 * n; i++) buf[i] = (uint32_t)(i ^ 0x5a5a);
  CUdeviceptr cross = base + g - n * 4;
  CHECK_CU(cuMemcpyHtoD(cross, buf, 2 * n * 4));
  bump(cross, (unsigned)(2 * n), 3);
  memset(buf, 0, 2 * n * 4);
  CHECK_CU(cuMemcpyDtoH(buf, cross, 2 * n * 4));
  size_t bad = 0;
  for (size_t i = 0; i < 2 * n; i++) bad += buf[i] != (uint32_t)(i ^ 0x5a5a) + 3;
  EXPECT(bad == 0);
  CHECK_CU(cuMemUnmap(base + g, g));
  EXPECT(cuMemcpyDtoH(buf, cross, 2 * n * 4) != CUDA_SUCCESS);   /* half of it is gone */
  CHECK_CU(cuMemcpyDtoH(buf, cross, n * 4));                      /* the rest is still there */
  bad = 0;
  for (size_t i = 0; i < n; i++) bad += buf[i] != (uint32_t)(i ^ 0x5a5a) + 3;
  EXPECT(bad == 0);
  CHECK_CU(cuMemUnmap(base, g));
  CHECK_CU(cuMemAddressFree(base, 4 * g));
  free(buf);
}

static size_t smem_per_thread(int threads) { return (size_t)threads * 96; }

/* The search CUDA's occupancy calculator does: most resident threads, the larger block on ties. */
static void reference_block_size(CUfunction f, CUoccupancyB2DSize smem, int limit, int *min_grid, int *block,
                                 int sms) {
  int best = -1;
  for (int t = limit / 32 * 32; t > 0; t -= 32) {
    int n = 0;
    CHECK_CU(cuOccupancyMaxActiveBlocksPerMultiprocessor(&n, f, t, smem ? smem(t) : 0));
    if (n * t > best) {
      best = n * t;
      *block = t;
      *min_grid = n * sms;
    }
  }
}

static void test_occupancy(CUdevice dev) {
  int sms = 0;
  CHECK_CU(cuDeviceGetAttribute(&sms, CU_DEVICE_ATTRIBUTE_MULTIPROCESSOR_COUNT, dev));
  CUoccupancyB2DSize fns[] = {NULL, smem_per_thread};
  for (int i = 0; i < 2; i++) {
    int grid = 0, block = 0, want_grid = 0, want_block = 0;
    CHECK_CU(cuOccupancyMaxPotentialBlockSize(&grid, &block, g_bump, fns[i], 0, 0));
    reference_block_size(g_bump, fns[i], 1024, &want_grid, &want_block, sms);
    EXPECT(block == want_block && grid == want_grid);
    EXPECT(block > 0 && block % 32 == 0 && grid > 0);
  }
  int grid = 0, block = 0, want_grid = 0, want_block = 0;   /* a block size limit of 100 */
  CHECK_CU(cuOccupancyMaxPotentialBlockSizeWithFlags(&grid, &block, g_bump, smem_per_thread, 0, 100,
                                                     CU_OCCUPANCY_DEFAULT));
  reference_block_size(g_bump, smem_per_thread, 100, &want_grid, &want_block, sms);
  EXPECT(block == want_block && grid == want_grid && block <= 96);
  EXPECT(cuOccupancyMaxPotentialBlockSize(NULL, &block, g_bump, NULL, 0, 0) == CUDA_ERROR_INVALID_VALUE);
}

int main(void) {
  CUdevice dev;
  CUcontext ctx;
  CUmodule mod;
  CHECK_CU(cuInit(0));
  CHECK_CU(cuDeviceGet(&dev, 0));
  CHECK_CU(cuDevicePrimaryCtxRetain(&ctx, dev));
  CHECK_CU(cuCtxSetCurrent(ctx));
  CHECK_CU(cuModuleLoadData(&mod, bump_ptx));
  CHECK_CU(cuModuleGetFunction(&g_bump, mod, "bump"));
  test_vmm(dev);
  test_adjacent(dev);
  test_occupancy(dev);
  CHECK_CU(cuModuleUnload(mod));
  if (test_failures) {
    fprintf(stderr, "FAIL vmm: %d failures\n", test_failures);
    return 1;
  }
  printf("PASS vmm\n");
  return 0;
}

/* test_pinned_kernel.c - a kernel using a page-locked host pointer directly, as CUDA allows
 * under unified addressing (cuMemAllocHost / cudaMallocHost memory is mapped at its host
 * address): the kernel reads what the host wrote and the host sees what the kernel wrote, and a
 * kernel spinning on a flag the host sets after the launch sees it. Run in-process (where
 * libgpushim maps every page-locked allocation) and straight on the CPU device. Across a link
 * only memory allocated as mapped is (docs/remoting.md). Prints "PASS pinned" when all is well. */
#include "drv_check.h"
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>


/* twice(p, n): p[i] = 2 * p[i] + 1;  wait(flag, out): spins until *flag != 0 (at most ~2^26
 * polls), then *out = *flag */
static const char ptx[] =
    ".version 7.0\n.target sm_75\n.address_size 64\n"
    ".visible .entry twice(.param .u64 p, .param .u32 n)\n{\n"
    "  .reg .pred %q;\n  .reg .b32 %r<8>;\n  .reg .b64 %d<4>;\n"
    "  ld.param.u64 %d1, [p];\n  ld.param.u32 %r1, [n];\n"
    "  mov.u32 %r2, %ctaid.x;\n  mov.u32 %r3, %ntid.x;\n  mov.u32 %r4, %tid.x;\n"
    "  mad.lo.s32 %r5, %r2, %r3, %r4;\n  setp.ge.u32 %q, %r5, %r1;\n  @%q bra DONE;\n"
    "  mul.wide.u32 %d3, %r5, 4;\n  add.s64 %d2, %d1, %d3;\n"
    "  ld.u32 %r7, [%d2];\n  shl.b32 %r7, %r7, 1;\n  add.s32 %r7, %r7, 1;\n  st.u32 [%d2], %r7;\n"
    "DONE:\n  ret;\n}\n"
    ".visible .entry wait(.param .u64 flag, .param .u64 out)\n{\n"
    "  .reg .pred %q;\n  .reg .b32 %r<4>;\n  .reg .b64 %d<3>;\n"
    "  ld.param.u64 %d1, [flag];\n  ld.param.u64 %d2, [out];\n  mov.u32 %r2, 0;\n"
    "LOOP:\n  ld.volatile.u32 %r1, [%d1];\n  add.u32 %r2, %r2, 1;\n  setp.ne.u32 %q, %r1, 0;\n"
    "  @%q bra DONE;\n  setp.lt.u32 %q, %r2, 67108864;\n  @%q bra LOOP;\n"
    "DONE:\n  st.u32 [%d2], %r1;\n  ret;\n}\n";

int main(void) {
  CUdevice dev;
  CUcontext ctx;
  CUmodule mod;
  CUfunction twice, wait;
  CHECK_CU(cuInit(0));
  CHECK_CU(cuDeviceGet(&dev, 0));
  CHECK_CU(cuDevicePrimaryCtxRetain(&ctx, dev));
  CHECK_CU(cuCtxSetCurrent(ctx));
  CHECK_CU(cuModuleLoadData(&mod, ptx));
  CHECK_CU(cuModuleGetFunction(&twice, mod, "twice"));
  CHECK_CU(cuModuleGetFunction(&wait, mod, "wait"));

  unsigned n = 10000;
  uint32_t *h = NULL;
  CHECK_CU(cuMemAllocHost((void **)&h, n * sizeof *h));
  for (unsigned i = 0; i < n; i++) h[i] = i * 7u;
  CUdeviceptr p = (CUdeviceptr)(uintptr_t)h;
  void *args[] = {&p, &n};
  CHECK_CU(cuLaunchKernel(twice, (n + 255) / 256, 1, 1, 256, 1, 1, 0, NULL, args, NULL));
  CHECK_CU(cuCtxSynchronize());
  for (unsigned i = 0; i < n; i++) test_failures += h[i] != i * 14u + 1;

  volatile uint32_t *flag = NULL;   /* [0] the flag, [1] what the kernel saw */
  CHECK_CU(cuMemHostAlloc((void **)&flag, 2 * sizeof *flag, 0));
  flag[0] = 0;
  flag[1] = 12345;
  CUdeviceptr f = (CUdeviceptr)(uintptr_t)flag, out = f + 4;
  void *wargs[] = {&f, &out};
  CHECK_CU(cuLaunchKernel(wait, 1, 1, 1, 1, 1, 1, 0, NULL, wargs, NULL));
  flag[0] = 9;
  CHECK_CU(cuCtxSynchronize());
  test_failures += flag[1] != 9;

  CHECK_CU(cuMemFreeHost((void *)flag));
  CHECK_CU(cuMemFreeHost(h));
  CHECK_CU(cuModuleUnload(mod));
  if (test_failures) {
    fprintf(stderr, "FAIL pinned: %d failures\n", test_failures);
    return 1;
  }
  printf("PASS pinned\n");
  return 0;
}

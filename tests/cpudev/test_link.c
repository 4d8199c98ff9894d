/* test_link.c - cuLink* with several PTX inputs on the CPU device: nvcc -rdc PTX of two
 * translation units (kernels/apps/rdc_link*.cu: a kernel calling a __device__ function and
 * reading a __device__ variable of the other unit, file-local names shared by both), and
 * hand-written modules for .weak definitions, clashing local names and a symbol defined twice.
 * Arguments: the two PTX files (rdc_link.ptx, rdc_link_part.ptx).
 */
#include "cpudev_test.h"
#include "../tools/mix_check.h"

#include <stdint.h>
#include <string.h>

static void *link_images(CUlinkState link, CUmodule *m) {
  void *image = NULL;
  size_t size = 0;
  CUresult r = cuLinkComplete(link, &image, &size);
  if (r != CUDA_SUCCESS) return NULL;
  EXPECT(image && size > 1);
  if (cuModuleLoadData(m, image) != CUDA_SUCCESS) return NULL;
  return image;
}

static void test_rdc_objects(const char *ptx_a, const char *ptx_b) {
  CUlinkState link;
  CUmodule m;
  CHECK_CU(cuLinkCreate(0, NULL, NULL, &link));
  CHECK_CU(cuLinkAddFile(link, CU_JIT_INPUT_PTX, ptx_a, 0, NULL, NULL));
  CHECK_CU(cuLinkAddFile(link, CU_JIT_INPUT_PTX, ptx_b, 0, NULL, NULL));
  if (!link_images(link, &m)) {
    EXPECT(!"linking the two rdc objects failed");
    cuLinkDestroy(link);
    return;
  }
  CHECK_CU(cuLinkDestroy(link));   /* the module does not depend on the linker's image */
  EXPECT(mix_check(m, 300, -400, 5, 7, 64) == 0);
  CHECK_CU(cuModuleUnload(m));
}

/* Two modules with the same file-local names (tag, get), one .weak function defined in both
 * (the first definition wins) and a .visible function one calls through .extern. */
#define HEADER ".version 8.0\n.target sm_75\n.address_size 64\n"
static const char weak_a[] = HEADER
  ".global .align 4 .u32 tag = 10;\n"
  ".weak .func (.param .b32 r) w()\n{\n\tst.param.b32 [r+0], 1;\n\tret;\n}\n"
  ".func (.param .b32 r) get()\n{\n\t.reg .b32 %t;\n\tld.global.u32 %t, [tag];\n"
  "\tst.param.b32 [r+0], %t;\n\tret;\n}\n"
  ".extern .func (.param .b32 r) other();\n"
  ".visible .entry ka(.param .u64 out)\n{\n\t.reg .b32 %a<4>;\n\t.reg .b64 %p;\n"
  "\tld.param.u64 %p, [out];\n\tcvta.to.global.u64 %p, %p;\n"
  "\t{ .param .b32 r0; call.uni (r0), get, (); ld.param.b32 %a1, [r0+0]; }\n"
  "\t{ .param .b32 r1; call.uni (r1), w, (); ld.param.b32 %a2, [r1+0]; }\n"
  "\t{ .param .b32 r2; call.uni (r2), other, (); ld.param.b32 %a3, [r2+0]; }\n"
  "\tadd.s32 %a0, %a1, %a2;\n\tadd.s32 %a0, %a0, %a3;\n\tst.global.u32 [%p], %a0;\n\tret;\n}\n";
static const char weak_b[] = HEADER
  "/* a comment between items */\n"
  ".global .align 4 .u32 tag = 20;\n"
  ".weak .func (.param .b32 r) w()\n{\n\tst.param.b32 [r+0], 2;\n\tret;\n}\n"
  ".func (.param .b32 r) get()\n{\n\t.reg .b32 %t;\n\tld.global.u32 %t, [tag];\n"
  "\tst.param.b32 [r+0], %t;\n\tret;\n}\n"
  ".visible .func (.param .b32 r) other()\n{\n\tst.param.b32 [r+0], 300;\n\tret;\n}\n"
  ".visible .entry kb(.param .u64 out)\n{\n\t.reg .b32 %a<3>;\n\t.reg .b64 %p;\n"
  "\tld.param.u64 %p, [out];\n\tcvta.to.global.u64 %p, %p;\n"
  "\t{ .param .b32 r0; call.uni (r0), get, (); ld.param.b32 %a1, [r0+0]; }\n"
  "\t{ .param .b32 r1; call.uni (r1), w, (); ld.param.b32 %a2, [r1+0]; }\n"
  "\tadd.s32 %a0, %a1, %a2;\n\tst.global.u32 [%p], %a0;\n\tret;\n}\n";

static int run_one(CUmodule m, const char *kernel) {
  CUfunction f;
  CUdeviceptr d;
  int v = -1;
  CHECK_CU(cuModuleGetFunction(&f, m, kernel));
  CHECK_CU(cuMemAlloc(&d, sizeof v));
  void *args[] = {&d};
  CHECK_CU(cuLaunchKernel(f, 1, 1, 1, 1, 1, 1, 0, NULL, args, NULL));
  CHECK_CU(cuMemcpyDtoH(&v, d, sizeof v));
  CHECK_CU(cuMemFree(d));
  return v;
}

static void test_weak_and_locals(void) {
  CUlinkState link;
  CUmodule m;
  CHECK_CU(cuLinkCreate(0, NULL, NULL, &link));
  CHECK_CU(cuLinkAddData(link, CU_JIT_INPUT_PTX, (void *)weak_a, sizeof weak_a, "a.ptx", 0, NULL, NULL));
  CHECK_CU(cuLinkAddData(link, CU_JIT_INPUT_PTX, (void *)weak_b, sizeof weak_b, "b.ptx", 0, NULL, NULL));
  if (!link_images(link, &m)) {
    EXPECT(!"linking the weak/local modules failed");
  } else {
    EXPECT(run_one(m, "ka") == 10 + 1 + 300);   /* a's tag, the first w, b's other */
    EXPECT(run_one(m, "kb") == 20 + 1);         /* b's own tag, but the surviving w */
    CHECK_CU(cuModuleUnload(m));
  }
  CHECK_CU(cuLinkDestroy(link));

  /* the same strong symbol twice cannot link; the log says which */
  char log[256] = "";
  CUjit_option opts[] = {CU_JIT_ERROR_LOG_BUFFER, CU_JIT_ERROR_LOG_BUFFER_SIZE_BYTES};
  void *vals[] = {log, (void *)(uintptr_t)sizeof log};
  CHECK_CU(cuLinkCreate(2, opts, vals, &link));
  CHECK_CU(cuLinkAddData(link, CU_JIT_INPUT_PTX, (void *)weak_b, sizeof weak_b, "b.ptx", 0, NULL, NULL));
  CHECK_CU(cuLinkAddData(link, CU_JIT_INPUT_PTX, (void *)weak_b, sizeof weak_b, "b2.ptx", 0, NULL, NULL));
  void *image;
  size_t size;
  EXPECT_CU(cuLinkComplete(link, &image, &size), CUDA_ERROR_INVALID_PTX);
  EXPECT(strstr(log, "other") != NULL);
  CHECK_CU(cuLinkDestroy(link));
}

int main(int argc, char **argv) {
  if (argc != 3) {
    fprintf(stderr, "usage: %s rdc_link.ptx rdc_link_part.ptx\n", argv[0]);
    return 2;
  }
  CUdevice dev;
  CUcontext ctx;
  CHECK_CU(cuInit(0));
  CHECK_CU(cuDeviceGet(&dev, 0));
  CHECK_CU(cuDevicePrimaryCtxRetain(&ctx, dev));
  CHECK_CU(cuCtxSetCurrent(ctx));
  test_rdc_objects(argv[1], argv[2]);
  test_weak_and_locals();
  CHECK_CU(cuDevicePrimaryCtxRelease(dev));
  return test_finish("link");
}

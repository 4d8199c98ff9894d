/* test_module.c - modules, functions and launches on the CPU device, from real nvcc output.
 * Arguments: default fatbin, ELF-only fatbin (sm_80), PTX-only fatbin (compute_90), cubin
 * (sm_80), PTX text file, and 1 if the PTX engine is built in (0: only the paths that do
 * not need it are checked, and loading valid PTX must fail cleanly).
 * Run with GPUSHIM_CPU_CC=8.6 so the compute_90 fatbin has no usable PTX.
 */
#include "cpudev_test.h"
#include "test_blob.h"

#include <stddef.h>
#include <stdint.h>
#include <string.h>
#include <unistd.h>

const char *gpushim_cpudev_last_error(void);

static void test_refusals(const blob *elf_fatbin, const blob *ptx90, const blob *cubin) {
  CUmodule m;
  EXPECT_CU(cuModuleLoadData(&m, elf_fatbin->data), CUDA_ERROR_NO_BINARY_FOR_GPU);
  EXPECT(strstr(gpushim_cpudev_last_error(), "sm_80") != NULL);
  EXPECT_CU(cuModuleLoadData(&m, ptx90->data), CUDA_ERROR_NO_BINARY_FOR_GPU);
  EXPECT(strstr(gpushim_cpudev_last_error(), "compute_90") != NULL);
  EXPECT_CU(cuModuleLoadData(&m, cubin->data), CUDA_ERROR_NO_BINARY_FOR_GPU);
  EXPECT(strstr(gpushim_cpudev_last_error(), "sm_80") != NULL);
  char log[256] = "";
  CUjit_option opts[] = {CU_JIT_ERROR_LOG_BUFFER, CU_JIT_ERROR_LOG_BUFFER_SIZE_BYTES};
  void *vals[] = {log, (void *)(uintptr_t)sizeof log};
  EXPECT_CU(cuModuleLoadDataEx(&m, cubin->data, 2, opts, vals), CUDA_ERROR_NO_BINARY_FOR_GPU);
  EXPECT(strstr(log, "cubin") != NULL);
  EXPECT_CU(cuModuleLoad(&m, "/nonexistent/file.fatbin"), CUDA_ERROR_FILE_NOT_FOUND);
  /* a fatbin file cut short: its container claims more than the file holds */
  char path[] = "/tmp/cpudev-truncated-XXXXXX";
  int fd = mkstemp(path);
  EXPECT(fd >= 0);
  if (fd >= 0) {
    EXPECT(write(fd, elf_fatbin->data, elf_fatbin->len / 2) == (ssize_t)(elf_fatbin->len / 2));
    close(fd);
    EXPECT_CU(cuModuleLoad(&m, path), CUDA_ERROR_INVALID_IMAGE);
    CUlibrary lib;
    EXPECT_CU(cuLibraryLoadFromFile(&lib, path, NULL, NULL, 0, NULL, NULL, 0), CUDA_ERROR_INVALID_IMAGE);
    unlink(path);
  }
  EXPECT_CU(cuModuleLoadData(&m, NULL), CUDA_ERROR_INVALID_VALUE);
  /* the JIT linker refuses SASS with a message in the caller's log */
  CUlinkState link;
  char link_log[256] = "";
  void *link_vals[] = {link_log, (void *)(uintptr_t)sizeof link_log};
  CHECK_CU(cuLinkCreate(2, opts, link_vals, &link));
  EXPECT_CU(cuLinkAddData(link, CU_JIT_INPUT_CUBIN, cubin->data, cubin->len, "k.cubin", 0, NULL, NULL),
            CUDA_ERROR_NO_BINARY_FOR_GPU);
  EXPECT(strstr(link_log, "cubin") != NULL);
  CHECK_CU(cuLinkDestroy(link));
}

/* Without the engine every valid image is refused with a clear "not supported". */
static void test_without_engine(const blob *fatbin, const blob *ptx) {
  CUmodule m;
  EXPECT_CU(cuModuleLoadData(&m, fatbin->data), CUDA_ERROR_NOT_SUPPORTED);
  EXPECT_CU(cuModuleLoadData(&m, ptx->data), CUDA_ERROR_NOT_SUPPORTED);
  EXPECT(strstr(gpushim_cpudev_last_error(), "engine") != NULL);
}

static int launch_vadd(CUfunction f, int n, int use_extra, CUstream s) {
  float *a = malloc(n * sizeof *a), *b = malloc(n * sizeof *b), *c = malloc(n * sizeof *c);
  for (int i = 0; i < n; i++) a[i] = (float)i * 0.5f, b[i] = (float)(n - i);
  CUdeviceptr da, db, dc;
  CHECK_CU(cuMemAlloc(&da, n * sizeof(float)));
  CHECK_CU(cuMemAlloc(&db, n * sizeof(float)));
  CHECK_CU(cuMemAlloc(&dc, n * sizeof(float)));
  CHECK_CU(cuMemcpyHtoD(da, a, n * sizeof(float)));
  CHECK_CU(cuMemcpyHtoD(db, b, n * sizeof(float)));
  CHECK_CU(cuMemsetD32(dc, 0, n));
  unsigned blocks = (unsigned)(n + 127) / 128;
  if (use_extra == 3) {   /* cuLaunchKernelEx with an attribute that changes nothing */
    void *args[] = {&da, &db, &dc, &n};
    CUlaunchAttribute attr = {.id = CU_LAUNCH_ATTRIBUTE_PRIORITY, .value.priority = 0};
    CUlaunchConfig cfg = {.gridDimX = blocks, .gridDimY = 1, .gridDimZ = 1, .blockDimX = 128, .blockDimY = 1,
                          .blockDimZ = 1, .hStream = s, .attrs = &attr, .numAttrs = 1};
    CHECK_CU(cuLaunchKernelEx(&cfg, f, args, NULL));
  } else if (use_extra) {
    struct {
      CUdeviceptr a, b, c;
      int n;
    } __attribute__((aligned(8))) buf = {da, db, dc, n};
    /* use_extra 2: the exact end of the last parameter, without the tail padding */
    size_t size = use_extra == 2 ? offsetof(__typeof__(buf), n) + sizeof(int) : sizeof buf;
    void *extra[] = {CU_LAUNCH_PARAM_BUFFER_POINTER, &buf, CU_LAUNCH_PARAM_BUFFER_SIZE, &size, CU_LAUNCH_PARAM_END};
    CHECK_CU(cuLaunchKernel(f, blocks, 1, 1, 128, 1, 1, 0, s, NULL, extra));
  } else {
    void *args[] = {&da, &db, &dc, &n};
    CHECK_CU(cuLaunchKernel(f, blocks, 1, 1, 128, 1, 1, 0, s, args, NULL));
  }
  CHECK_CU(cuStreamSynchronize(s));
  CHECK_CU(cuMemcpyDtoH(c, dc, n * sizeof(float)));
  int ok = 1;
  for (int i = 0; i < n; i++) ok &= c[i] == a[i] + b[i];
  CHECK_CU(cuMemFree(da));
  CHECK_CU(cuMemFree(db));
  CHECK_CU(cuMemFree(dc));
  free(a), free(b), free(c);
  return ok;
}

static void test_functions(CUmodule m) {
  CUfunction vadd, scaled, mixed;
  CHECK_CU(cuModuleGetFunction(&vadd, m, "vadd"));
  CHECK_CU(cuModuleGetFunction(&scaled, m, "scaled"));
  CHECK_CU(cuModuleGetFunction(&mixed, m, "mixed"));
  EXPECT_CU(cuModuleGetFunction(&vadd, m, "nope"), CUDA_ERROR_NOT_FOUND);
  unsigned count = 0;
  CHECK_CU(cuModuleGetFunctionCount(&count, m));
  EXPECT(count == 5);
  const char *name = NULL;
  CHECK_CU(cuFuncGetName(&name, scaled));
  EXPECT(name && !strcmp(name, "scaled"));
  CUmodule owner;
  CHECK_CU(cuFuncGetModule(&owner, vadd));
  EXPECT(owner == m);
  /* mixed(char, short, long long, double, int *): offsets follow the PTX .entry */
  size_t off[5], size[5];
  for (int i = 0; i < 5; i++) CHECK_CU(cuFuncGetParamInfo(mixed, (size_t)i, &off[i], &size[i]));
  EXPECT(size[0] == 1 && size[1] == 2 && size[2] == 8 && size[3] == 8 && size[4] == 8);
  EXPECT(off[0] == 0 && off[1] == 2 && off[2] == 8 && off[3] == 16 && off[4] == 24);
  EXPECT_CU(cuFuncGetParamInfo(mixed, 5, &off[0], &size[0]), CUDA_ERROR_INVALID_VALUE);
  int v = 0;
  CHECK_CU(cuFuncGetAttribute(&v, CU_FUNC_ATTRIBUTE_MAX_THREADS_PER_BLOCK, vadd));
  EXPECT(v == 1024);
  CHECK_CU(cuFuncGetAttribute(&v, CU_FUNC_ATTRIBUTE_PTX_VERSION, vadd));
  EXPECT(v == 75);
  for (int a = 0; a < CU_FUNC_ATTRIBUTE_MAX; a++) CHECK_CU(cuFuncGetAttribute(&v, (CUfunction_attribute)a, vadd));
  CHECK_CU(cuFuncSetAttribute(vadd, CU_FUNC_ATTRIBUTE_MAX_DYNAMIC_SHARED_SIZE_BYTES, 100 * 1024));
  CHECK_CU(cuFuncGetAttribute(&v, CU_FUNC_ATTRIBUTE_MAX_DYNAMIC_SHARED_SIZE_BYTES, vadd));
  EXPECT(v == 100 * 1024);
  EXPECT_CU(cuFuncSetAttribute(vadd, CU_FUNC_ATTRIBUTE_MAX_DYNAMIC_SHARED_SIZE_BYTES, 300 * 1024),
            CUDA_ERROR_INVALID_VALUE);
  int blocks = 0, min_grid = 0, block = 0;
  CHECK_CU(cuOccupancyMaxActiveBlocksPerMultiprocessor(&blocks, vadd, 256, 0));
  EXPECT(blocks >= 1 && blocks * 256 <= 2048);
  CHECK_CU(cuOccupancyMaxPotentialBlockSize(&min_grid, &block, vadd, NULL, 0, 0));
  EXPECT(block >= 32 && block <= 1024 && min_grid >= 1);

  /* module variables: storage, initialisers, and kernels that read them */
  CUdeviceptr scale, offsets;
  size_t bytes = 0;
  CHECK_CU(cuModuleGetGlobal(&scale, &bytes, m, "scale"));
  EXPECT(bytes == 4);
  int sv = 0;
  CHECK_CU(cuMemcpyDtoH(&sv, scale, 4));
  EXPECT(sv == 3);
  CHECK_CU(cuModuleGetGlobal(&offsets, &bytes, m, "offsets"));
  EXPECT(bytes == 16);
  EXPECT_CU(cuModuleGetGlobal(&scale, &bytes, m, "missing"), CUDA_ERROR_NOT_FOUND);
  sv = 5;
  CHECK_CU(cuMemcpyHtoD(scale, &sv, 4));
  CUdeviceptr out;
  int n = 37, host[37];
  CHECK_CU(cuMemAlloc(&out, sizeof host));
  void *args[] = {&out, &n};
  CHECK_CU(cuLaunchKernel(scaled, 1, 1, 1, 64, 1, 1, 0, NULL, args, NULL));
  CHECK_CU(cuMemcpyDtoH(host, out, sizeof host));
  int ok = 1;
  static const float offs[4] = {0.5f, 1.5f, 2.5f, 3.5f};
  for (int i = 0; i < n; i++) ok &= host[i] == i * 5 + (int)offs[i % 4];
  EXPECT(ok);

  /* mixed parameter sizes through kernelParams */
  char c = -7;
  short s = 1234;
  long long ll = 0x1234567800000000ll;
  double d = 42.75;
  void *margs[] = {&c, &s, &ll, &d, &out};
  CHECK_CU(cuLaunchKernel(mixed, 1, 1, 1, 1, 1, 1, 0, NULL, margs, NULL));
  CHECK_CU(cuMemcpyDtoH(host, out, 4 * sizeof(int)));
  EXPECT(host[0] == -7 && host[1] == 1234 && host[2] == 0x12345678 && host[3] == 42);
  CHECK_CU(cuMemFree(out));

  /* vector add, with kernelParams and with extra, on the default and a created stream */
  CUstream st;
  CHECK_CU(cuStreamCreate(&st, 0));
  EXPECT(launch_vadd(vadd, 1000, 0, NULL));
  EXPECT(launch_vadd(vadd, 4099, 1, st));
  EXPECT(launch_vadd(vadd, 77, 2, st));
  EXPECT(launch_vadd(vadd, 513, 3, st));
  CHECK_CU(cuStreamDestroy(st));

  /* bad configurations are refused before anything runs */
  CUdeviceptr dummy = 0;
  void *vargs[] = {&dummy, &dummy, &dummy, &n};
  n = 0;
  EXPECT_CU(cuLaunchKernel(vadd, 0, 1, 1, 32, 1, 1, 0, NULL, vargs, NULL), CUDA_ERROR_INVALID_VALUE);
  EXPECT_CU(cuLaunchKernel(vadd, 1, 1, 1, 2048, 1, 1, 0, NULL, vargs, NULL), CUDA_ERROR_INVALID_VALUE);
  EXPECT_CU(cuLaunchKernel(vadd, 1, 1, 1, 32, 32, 2, 0, NULL, vargs, NULL), CUDA_ERROR_INVALID_VALUE);
  EXPECT_CU(cuLaunchKernel(vadd, 1, 65536, 1, 32, 1, 1, 0, NULL, vargs, NULL), CUDA_ERROR_INVALID_VALUE);
  EXPECT_CU(cuLaunchKernel(scaled, 1, 1, 1, 32, 1, 1, 200 * 1024, NULL, vargs, NULL), CUDA_ERROR_INVALID_VALUE);
  void *extra_bad[] = {CU_LAUNCH_PARAM_BUFFER_POINTER, vargs, CU_LAUNCH_PARAM_END};
  EXPECT_CU(cuLaunchKernel(vadd, 1, 1, 1, 32, 1, 1, 0, NULL, NULL, extra_bad), CUDA_ERROR_INVALID_VALUE);
  CHECK_CU(cuCtxSynchronize());
}

/* An illegal address breaks the context for every later call until the primary context is
 * reset; the process survives. */
static void test_sticky_fault(CUmodule m) {
  CUfunction wild;
  CHECK_CU(cuModuleGetFunction(&wild, m, "wild_store"));
  CUdeviceptr p;
  CHECK_CU(cuMemAlloc(&p, 64));
  void *args[] = {&p};
  CHECK_CU(cuLaunchKernel(wild, 1, 1, 1, 1, 1, 1, 0, NULL, args, NULL));
  EXPECT_CU(cuCtxSynchronize(), CUDA_ERROR_ILLEGAL_ADDRESS);
  EXPECT(strstr(gpushim_cpudev_last_error(), "wild_store") != NULL);   /* the engine's account */
  CUdeviceptr q;
  EXPECT_CU(cuMemAlloc(&q, 64), CUDA_ERROR_ILLEGAL_ADDRESS);
  int v;
  EXPECT_CU(cuMemcpyDtoH(&v, p, 4), CUDA_ERROR_ILLEGAL_ADDRESS);
  EXPECT_CU(cuCtxSynchronize(), CUDA_ERROR_ILLEGAL_ADDRESS);
  /* another context of the same device is not affected */
  CUcontext other, popped;
  CHECK_CU(cuCtxCreate(&other, NULL, 0, 0));
  CHECK_CU(cuMemAlloc(&q, 64));
  CHECK_CU(cuMemFree(q));
  CHECK_CU(cuCtxPopCurrent(&popped));
  EXPECT(popped == other);
  CHECK_CU(cuCtxDestroy(other));
  EXPECT_CU(cuCtxSynchronize(), CUDA_ERROR_ILLEGAL_ADDRESS);   /* the primary one still is */
  CHECK_CU(cuDevicePrimaryCtxReset(0));
  CHECK_CU(cuMemAlloc(&q, 64));   /* usable again */
  CHECK_CU(cuMemsetD32(q, 9, 16));
  CHECK_CU(cuMemcpyDtoH(&v, q, 4));
  EXPECT(v == 9);
  CHECK_CU(cuMemFree(q));
}

/* A failed device-side assert() is CUDA_ERROR_ASSERT, sticky like any fault. */
/* Contexts do not share device memory: a kernel of one context that touches another context's
 * allocation faults (as on a GPU, where each context has its own address space), and the
 * owner's data is untouched. The agent relies on this to keep sessions apart. */
static void test_context_isolation(const blob *fatbin) {
  CUcontext owner, intruder, popped;
  CHECK_CU(cuCtxCreate(&owner, NULL, 0, 0));
  CUdeviceptr secret;
  CHECK_CU(cuMemAlloc(&secret, 64 * sizeof(float)));
  CHECK_CU(cuMemsetD32(secret, 0x3f800000u, 64));   /* 1.0f */
  CHECK_CU(cuCtxPopCurrent(&popped));
  CHECK_CU(cuCtxCreate(&intruder, NULL, 0, 0));
  CUmodule m;
  CUfunction vadd;
  CHECK_CU(cuModuleLoadData(&m, fatbin->data));
  CHECK_CU(cuModuleGetFunction(&vadd, m, "vadd"));
  CUdeviceptr mine;
  CHECK_CU(cuMemAlloc(&mine, 64 * sizeof(float)));
  int n = 64;
  void *args[] = {&secret, &secret, &secret, &n};
  CHECK_CU(cuLaunchKernel(vadd, 1, 1, 1, 64, 1, 1, 0, NULL, args, NULL));
  EXPECT_CU(cuCtxSynchronize(), CUDA_ERROR_ILLEGAL_ADDRESS);
  CHECK_CU(cuCtxDestroy(intruder));
  CHECK_CU(cuCtxPushCurrent(owner));
  float back[64];
  CHECK_CU(cuMemcpyDtoH(back, secret, sizeof back));
  for (int i = 0; i < 64; i++) EXPECT(back[i] == 1.0f);
  CHECK_CU(cuCtxDestroy(owner));
  (void)mine;
}

static void test_assert(CUmodule m) {
  CUfunction check;
  CHECK_CU(cuModuleGetFunction(&check, m, "check_flag"));
  CUdeviceptr flag;
  CHECK_CU(cuMemAlloc(&flag, 4));
  CHECK_CU(cuMemsetD32(flag, 0, 1));
  void *args[] = {&flag};
  CHECK_CU(cuLaunchKernel(check, 2, 1, 1, 32, 1, 1, 0, NULL, args, NULL));
  CHECK_CU(cuCtxSynchronize());   /* the assertion holds */
  CHECK_CU(cuMemsetD32(flag, 1, 1));
  CHECK_CU(cuLaunchKernel(check, 2, 1, 1, 32, 1, 1, 0, NULL, args, NULL));
  EXPECT_CU(cuCtxSynchronize(), CUDA_ERROR_ASSERT);
  EXPECT_CU(cuMemsetD32(flag, 0, 1), CUDA_ERROR_ASSERT);
  CHECK_CU(cuDevicePrimaryCtxReset(0));
}

static void test_loaders(const blob *fatbin, const blob *ptx, const char *fatbin_path) {
  /* a wrapper as __cudaRegisterFatBinary receives it */
  struct {
    int magic, version;
    const void *data;
    void *filename_or_fatbins;
  } wrapper = {0x466243b1, 1, fatbin->data, NULL};
  CUmodule m1, m2, m3, m4;
  CHECK_CU(cuModuleLoadFatBinary(&m1, &wrapper));
  CHECK_CU(cuModuleLoadDataEx(&m2, ptx->data, 0, NULL, NULL));
  CHECK_CU(cuModuleLoad(&m3, fatbin_path));
  CHECK_CU(cuModuleLoadData(&m4, fatbin->data));
  CUfunction f;
  CHECK_CU(cuModuleGetFunction(&f, m2, "vadd"));
  EXPECT(launch_vadd(f, 300, 0, NULL));
  CHECK_CU(cuModuleUnload(m1));
  CHECK_CU(cuModuleUnload(m2));
  CHECK_CU(cuModuleUnload(m3));
  CHECK_CU(cuModuleUnload(m4));
  EXPECT_CU(cuModuleUnload(m4), CUDA_ERROR_INVALID_HANDLE);

  /* PTX through the JIT linker, as numba-cuda does it */
  CUlinkState link;
  void *image = NULL;
  size_t image_size = 0;
  CHECK_CU(cuLinkCreate(0, NULL, NULL, &link));
  CHECK_CU(cuLinkAddData(link, CU_JIT_INPUT_PTX, ptx->data, ptx->len + 1, "k.ptx", 0, NULL, NULL));
  CHECK_CU(cuLinkComplete(link, &image, &image_size));
  EXPECT(image && image_size > 0);
  CHECK_CU(cuModuleLoadData(&m1, image));
  CHECK_CU(cuLinkDestroy(link));
  CHECK_CU(cuModuleGetFunction(&f, m1, "vadd"));
  EXPECT(launch_vadd(f, 100, 0, NULL));
  CHECK_CU(cuModuleUnload(m1));

  CUlibrary lib;
  CHECK_CU(cuLibraryLoadData(&lib, fatbin->data, NULL, NULL, 0, NULL, NULL, 0));
  CUkernel k;
  CHECK_CU(cuLibraryGetKernel(&k, lib, "vadd"));
  const char *name;
  CHECK_CU(cuKernelGetName(&name, k));
  EXPECT(!strcmp(name, "vadd"));
  unsigned count = 0;
  CHECK_CU(cuLibraryGetKernelCount(&count, lib));
  EXPECT(count == 5);
  CHECK_CU(cuKernelGetFunction(&f, k));
  EXPECT(launch_vadd(f, 200, 1, NULL));
  int v = 0;
  CHECK_CU(cuKernelGetAttribute(&v, CU_FUNC_ATTRIBUTE_MAX_THREADS_PER_BLOCK, k, 0));
  EXPECT(v == 1024);
  CUdeviceptr g;
  size_t bytes;
  CHECK_CU(cuLibraryGetGlobal(&g, &bytes, lib, "scale"));
  EXPECT(bytes == 4);
  CHECK_CU(cuLibraryUnload(lib));
  EXPECT_CU(cuLibraryUnload(lib), CUDA_ERROR_INVALID_HANDLE);

  /* context-independent loading: no context is current while the library loads */
  CUcontext cur;
  CHECK_CU(cuCtxGetCurrent(&cur));
  CHECK_CU(cuCtxSetCurrent(NULL));
  CHECK_CU(cuLibraryLoadData(&lib, fatbin->data, NULL, NULL, 0, NULL, NULL, 0));
  CHECK_CU(cuLibraryGetKernelCount(&count, lib));
  EXPECT(count == 5);
  CHECK_CU(cuLibraryGetKernel(&k, lib, "vadd"));
  EXPECT_CU(cuKernelGetFunction(&f, k), CUDA_ERROR_INVALID_CONTEXT);
  CHECK_CU(cuCtxSetCurrent(cur));
  CHECK_CU(cuKernelGetFunction(&f, k));   /* the module is made for this context now */
  EXPECT(launch_vadd(f, 150, 0, NULL));
  CHECK_CU(cuLibraryUnload(lib));
}

/* A register estimate taken from PTX virtual registers (hundreds in CUB's kernels) must not
 * make a launchable block report zero occupancy: CUB divides by it. Like ptxas, .maxntid and
 * the 1024-thread default cap the registers so one block of that size fits 64K registers. */
static const char heavy_ptx[] =
    ".version 7.5\n.target sm_75\n.address_size 64\n"
    ".visible .entry bounded(.param .u64 out) .maxntid 512, 1, 1\n{\n"
    "  .reg .b32 %r<600>;\n  .reg .b64 %rd<4>;\n"
    "  ld.param.u64 %rd1, [out];\n  cvta.to.global.u64 %rd1, %rd1;\n"
    "  mov.u32 %r1, %tid.x;\n  mul.wide.u32 %rd2, %r1, 4;\n  add.s64 %rd3, %rd1, %rd2;\n"
    "  add.u32 %r599, %r1, 7;\n  st.global.u32 [%rd3], %r599;\n  ret;\n}\n"
    ".visible .entry unbounded(.param .u64 out)\n{\n"
    "  .reg .b32 %r<400>;\n  .reg .b64 %rd<2>;\n"
    "  ld.param.u64 %rd1, [out];\n  mov.u32 %r399, %tid.x;\n  ret;\n}\n";

static void test_register_estimate(void) {
  CUmodule m;
  CUfunction bounded, unbounded;
  CHECK_CU(cuModuleLoadData(&m, heavy_ptx));
  CHECK_CU(cuModuleGetFunction(&bounded, m, "bounded"));
  CHECK_CU(cuModuleGetFunction(&unbounded, m, "unbounded"));
  int regs = 0, maxt = 0, blocks = -1;
  CHECK_CU(cuFuncGetAttribute(&regs, CU_FUNC_ATTRIBUTE_NUM_REGS, bounded));
  CHECK_CU(cuFuncGetAttribute(&maxt, CU_FUNC_ATTRIBUTE_MAX_THREADS_PER_BLOCK, bounded));
  EXPECT(maxt == 512 && regs >= 16 && regs * 512 <= 65536);
  CHECK_CU(cuOccupancyMaxActiveBlocksPerMultiprocessor(&blocks, bounded, 512, 0));
  EXPECT(blocks >= 1);
  CHECK_CU(cuOccupancyMaxActiveBlocksPerMultiprocessor(&blocks, bounded, 513, 0));
  EXPECT(blocks == 0);
  CHECK_CU(cuFuncGetAttribute(&regs, CU_FUNC_ATTRIBUTE_NUM_REGS, unbounded));
  EXPECT(regs >= 16 && regs * 1024 <= 65536);
  CHECK_CU(cuOccupancyMaxActiveBlocksPerMultiprocessor(&blocks, unbounded, 1024, 0));
  EXPECT(blocks >= 1);
  /* and the bounded kernel runs a full 512-thread block */
  CUdeviceptr out;
  CHECK_CU(cuMemAlloc(&out, 512 * 4));
  void *args[] = {&out};
  CHECK_CU(cuLaunchKernel(bounded, 1, 1, 1, 512, 1, 1, 0, NULL, args, NULL));
  unsigned host[512];
  CHECK_CU(cuMemcpyDtoH(host, out, sizeof host));
  int bad = 0;
  for (unsigned i = 0; i < 512; i++) bad += host[i] != i + 7;
  EXPECT(bad == 0);
  CHECK_CU(cuMemFree(out));
  CHECK_CU(cuModuleUnload(m));
}

int main(int argc, char **argv) {
  if (argc != 7) return 2;
  blob fatbin = read_blob(argv[1]), elf = read_blob(argv[2]), ptx90 = read_blob(argv[3]);
  blob cubin = read_blob(argv[4]), ptx = read_blob(argv[5]);
  int engine = atoi(argv[6]);
  CHECK_CU(cuInit(0));
  CUcontext c;
  CHECK_CU(cuDevicePrimaryCtxRetain(&c, 0));
  CHECK_CU(cuCtxSetCurrent(c));
  test_refusals(&elf, &ptx90, &cubin);
  if (!engine) {
    test_without_engine(&fatbin, &ptx);
  } else {
    CUmodule m;
    CHECK_CU(cuModuleLoadData(&m, fatbin.data));
    test_functions(m);
    test_register_estimate();
    test_sticky_fault(m);   /* resets the primary context: m is gone afterwards */
    CHECK_CU(cuModuleLoadData(&m, fatbin.data));
    test_assert(m);         /* resets it again */
    test_loaders(&fatbin, &ptx, argv[1]);
    test_context_isolation(&fatbin);
    CHECK_CU(cuCtxSetCurrent(c));
  }
  CHECK_CU(cuDevicePrimaryCtxRelease(0));
  free(fatbin.data), free(elf.data), free(ptx90.data), free(cubin.data), free(ptx.data);
  return test_finish(engine ? "module" : "module (no PTX engine)");
}

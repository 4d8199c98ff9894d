/* test_nvrtc_sass.c - a device that runs SASS keeps getting NVRTC's cubins through gpushim.
 *
 * Run by `gpushim run` in-process on tests/agent's mockcuda with MOCKCUDA_SASS=1: a "GPU" of
 * compute capability 8.0 that runs sm_80 cubins and PTX, refuses other cubins, and counts what
 * it loaded. NVRTC (through libgpushim's libnvrtc.so.13 face) compiles for sm_80, the program
 * loads the cubin: the device must receive the cubin itself, not its PTX twin. Cubins this GPU
 * cannot run (sm_86: a newer minor; sm_90: another major) must be refused, as a GPU refuses
 * them, without the twin standing in. (The CPU device, which runs no SASS, gets the twins:
 * kernels/apps/nvrtc_cubin.) */
#include "drv_check.h"
#include <dlfcn.h>
#include <nvrtc.h>
#include <stdio.h>
#include <stdlib.h>


static const char source[] =
    "extern \"C\" __global__ void twice(int *v) { v[threadIdx.x] *= 2; }\n";

/* A cubin compiled for sm_<arch>, or NULL. */
static char *compile(int arch) {
  char option[64];
  const char *opts[] = {option};
  snprintf(option, sizeof option, "--gpu-architecture=sm_%d", arch);
  nvrtcProgram prog;
  if (nvrtcCreateProgram(&prog, source, "twice.cu", 0, NULL, NULL) != NVRTC_SUCCESS) return NULL;
  size_t size = 0;
  char *cubin = NULL;
  if (nvrtcCompileProgram(prog, 1, opts) == NVRTC_SUCCESS &&
      nvrtcGetCUBINSize(prog, &size) == NVRTC_SUCCESS && (cubin = malloc(size)) != NULL &&
      nvrtcGetCUBIN(prog, cubin) != NVRTC_SUCCESS) {
    free(cubin);
    cubin = NULL;
  }
  nvrtcDestroyProgram(&prog);
  return cubin;
}

/* The mock's counts of cubins and PTX images loaded. */
static void loads(int *elf, int *ptx) {
  void *mock = dlopen(getenv("GPUSHIM_DRIVER"), RTLD_NOW | RTLD_NOLOAD);
  void (*count)(int *, int *) = mock ? (void (*)(int *, int *))dlsym(mock, "mockcuda_module_loads") : NULL;
  *elf = *ptx = -1;
  if (count) count(elf, ptx);
  if (mock) dlclose(mock);
}

/* Loads a cubin for sm_<arch>: the result, and what reached the device. */
static CUresult load(int arch, int *elf, int *ptx) {
  char *cubin = compile(arch);
  CUmodule mod;
  CUresult e = cubin ? cuModuleLoadData(&mod, cubin) : CUDA_ERROR_INVALID_IMAGE;
  if (e == CUDA_SUCCESS) cuModuleUnload(mod);
  free(cubin);
  loads(elf, ptx);
  return e;
}

int main(void) {
  CUdevice dev;
  CUcontext ctx;
  int major = 0, minor = 0, elf, ptx;
  EXPECT(cuInit(0) == CUDA_SUCCESS);
  EXPECT(cuDeviceGet(&dev, 0) == CUDA_SUCCESS);
  EXPECT(cuDeviceGetAttribute(&major, CU_DEVICE_ATTRIBUTE_COMPUTE_CAPABILITY_MAJOR, dev) == CUDA_SUCCESS);
  EXPECT(cuDeviceGetAttribute(&minor, CU_DEVICE_ATTRIBUTE_COMPUTE_CAPABILITY_MINOR, dev) == CUDA_SUCCESS);
  EXPECT(major == 8 && minor == 0);
  EXPECT(cuCtxCreate(&ctx, NULL, 0, dev) == CUDA_SUCCESS);
  loads(&elf, &ptx);
  EXPECT(elf == 0 && ptx == 0);                 /* the mock is the driver, and nothing loaded yet */
  EXPECT(load(80, &elf, &ptx) == CUDA_SUCCESS);
  EXPECT(elf == 1 && ptx == 0);                 /* the cubin itself, not its PTX */
  EXPECT(load(86, &elf, &ptx) == CUDA_ERROR_NO_BINARY_FOR_GPU);
  EXPECT(elf == 1 && ptx == 0);
  EXPECT(load(90, &elf, &ptx) == CUDA_ERROR_NO_BINARY_FOR_GPU);
  EXPECT(elf == 1 && ptx == 0);
  EXPECT(cuCtxDestroy(ctx) == CUDA_SUCCESS);
  printf("%s nvrtc_sass (%d failures)\n", test_failures ? "FAIL" : "PASS", test_failures);
  return test_failures ? 1 : 0;
}

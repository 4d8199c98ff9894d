/* harness.c - main of the driver-API kernel harness: `kernel_harness NAME FATBIN` loads
 * FATBIN with cuModuleLoadData into the device's primary context, runs case NAME (see the
 * cases_*.c files), and prints "PASS NAME" or the mismatches and "FAIL NAME" (exit 0 / 1).
 * Only cuda.h (the driver API) is used: the runtime programs cover libcudart.
 */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "harness.h"
#include "kcommon.h"

static const char *current_case = "?";

static const struct {
  const char *name;
  hk_case_fn run;
} cases[] = {
  {"vector_add", case_vector_add},     {"saxpy", case_saxpy},
  {"matmul", case_matmul},             {"reduction", case_reduction},
  {"histogram", case_histogram},       {"scan", case_scan},
  {"local_array", case_local_array},   {"device_calls", case_device_calls},
  {"many_params", case_many_params},   {"grids", case_grids},
  {"constant", case_constant},         {"math_funcs", case_math_funcs},
  {"intdiv", case_intdiv},             {"bitops", case_bitops},
  {"half_convert", case_half_convert}, {"atomic_cas", case_atomic_cas},
  {"grid_stride", case_grid_stride},   {"device_printf", case_device_printf},
  {"sync_count", case_sync_count},     {"memset", case_memset},
  {"streams", case_streams},           {"memcpy2d", case_memcpy2d},
  {"fault", case_fault},               {"warp_vote", case_warp_vote},
  {"atomics", case_atomics},           {"big_shared", case_big_shared},
  {"coop_groups", case_coop_groups},   {"textures", case_textures},
  {"grid_sync", case_grid_sync},     {"fptr", case_fptr},
};

void hk_check(CUresult result, const char *call, const char *file, int line) {
  const char *name = NULL, *text = NULL;
  if (result == CUDA_SUCCESS) return;
  cuGetErrorName(result, &name);
  cuGetErrorString(result, &text);
  printf("  %s:%d: %s failed: %s (%s)\n", file, line, call, name ? name : "?",
         text ? text : "no description");
  exit(kc_finish(current_case, 1));
}

void *hk_malloc(size_t bytes) {
  void *p = malloc(bytes ? bytes : 1);
  if (!p) {
    printf("  out of host memory (%zu bytes)\n", bytes);
    exit(kc_finish(current_case, 1));
  }
  return p;
}

CUfunction hk_function(CUmodule module, const char *name) {
  CUfunction f;
  CUresult r = cuModuleGetFunction(&f, module, name);
  if (r != CUDA_SUCCESS) printf("  kernel %s not found in the module\n", name);
  HK_CHECK(r);
  return f;
}

CUdeviceptr hk_alloc(size_t bytes) {
  CUdeviceptr d;
  HK_CHECK(cuMemAlloc(&d, bytes));
  return d;
}

CUdeviceptr hk_upload(const void *host, size_t bytes) {
  CUdeviceptr d = hk_alloc(bytes);
  HK_CHECK(cuMemcpyHtoD(d, host, bytes));
  return d;
}

void hk_download(void *host, CUdeviceptr device, size_t bytes) {
  HK_CHECK(cuMemcpyDtoH(host, device, bytes));
}

void hk_launch_1d(CUfunction f, unsigned blocks, unsigned threads, unsigned shared_bytes,
                  void **params) {
  HK_CHECK(cuLaunchKernel(f, blocks, 1, 1, threads, 1, 1, shared_bytes, NULL, params, NULL));
}

unsigned hk_blocks_for(unsigned n, unsigned threads) { return (n + threads - 1) / threads; }

/* The whole file, or NULL (with a message). */
static void *read_file(const char *path, size_t *size) {
  FILE *f = fopen(path, "rb");
  void *data = NULL;
  long len;
  if (!f) {
    perror(path);
    return NULL;
  }
  if (fseek(f, 0, SEEK_END) == 0 && (len = ftell(f)) > 0 && fseek(f, 0, SEEK_SET) == 0) {
    data = hk_malloc((size_t)len);
    if (fread(data, 1, (size_t)len, f) != (size_t)len) {
      printf("  short read of %s\n", path);
      free(data);
      data = NULL;
    }
    *size = (size_t)len;
  } else {
    printf("  %s is empty or unreadable\n", path);
  }
  fclose(f);
  return data;
}

/* After cuModuleLoadData failed: load again through cuModuleLoadDataEx asking for the
 * loader's error log, and print it (it names what the loader could not take). */
static void explain_load_failure(const void *image) {
  char log[4096] = "";
  CUjit_option options[] = {CU_JIT_ERROR_LOG_BUFFER, CU_JIT_ERROR_LOG_BUFFER_SIZE_BYTES};
  void *values[] = {log, (void *)(uintptr_t)sizeof log};
  CUmodule module;
  if (cuModuleLoadDataEx(&module, image, 2, options, values) == CUDA_SUCCESS) {
    cuModuleUnload(module);
    return;
  }
  log[sizeof log - 1] = '\0';
  if (log[0]) printf("  loader error log: %s\n", log);
}

static hk_case_fn find_case(const char *name) {
  size_t i;
  for (i = 0; i < sizeof cases / sizeof cases[0]; i++)
    if (strcmp(cases[i].name, name) == 0) return cases[i].run;
  return NULL;
}

int main(int argc, char **argv) {
  CUdevice device;
  CUcontext context;
  CUmodule module;
  size_t image_size = 0, bad;
  CUresult result;
  void *image;
  hk_case_fn run;

  if (argc != 3) {
    fprintf(stderr, "usage: %s CASE FATBIN\n", argv[0]);
    return 2;
  }
  current_case = argv[1];
  run = find_case(argv[1]);
  if (!run) {
    printf("  no case named %s\n", argv[1]);
    return kc_finish(argv[1], 1);
  }
  image = read_file(argv[2], &image_size);
  if (!image) return kc_finish(argv[1], 1);

  HK_CHECK(cuInit(0));
  HK_CHECK(cuDeviceGet(&device, 0));
  HK_CHECK(cuDevicePrimaryCtxRetain(&context, device));   /* as the runtime does */
  HK_CHECK(cuCtxSetCurrent(context));
  result = cuModuleLoadData(&module, image);
  if (result != CUDA_SUCCESS) explain_load_failure(image);
  hk_check(result, "cuModuleLoadData(the fatbin)", __FILE__, __LINE__);
  free(image);

  bad = run(module);

  /* After a sticky error (the fault case) the context can only be destroyed. */
  cuModuleUnload(module);
  cuDevicePrimaryCtxRelease(device);
  return kc_finish(argv[1], bad);
}

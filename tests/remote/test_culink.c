/* test_culink.c - cuLink* through libgpushim: a driver-API program (as numba-cuda or
 * cuda-python drive the JIT linker) run by `gpushim run` with a private agent or in-process.
 * Links the -rdc PTX of kernels/apps/rdc_link.cu (a file) with rdc_link_part.cu (a fatbin
 * holding SASS and PTX, given as data), loads the linked image, launches the kernel and
 * compares with a CPU reference; then the logs, the refused inputs and a failed link.
 * Arguments: rdc_link.ptx rdc_link_part.fatbin. Prints "PASS culink" when all is well.
 */
#include "drv_check.h"
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "../tools/mix_check.h"



static char *slurp(const char *path, size_t *len) {
  FILE *f = fopen(path, "rb");
  if (!f) {
    perror(path);
    exit(1);
  }
  fseek(f, 0, SEEK_END);
  long n = ftell(f);
  fseek(f, 0, SEEK_SET);
  char *buf = malloc((size_t)n + 1);
  if (!buf || fread(buf, 1, (size_t)n, f) != (size_t)n) exit(1);
  fclose(f);
  buf[n] = '\0';
  *len = (size_t)n;
  return buf;
}

/* Link a (file) + b (fatbin in memory), load, launch, compare. */
static void test_link_and_run(const char *ptx_path, const char *fatbin, size_t fatbin_len) {
  char error_log[1024], info_log[1024];
  CUjit_option opts[] = {CU_JIT_ERROR_LOG_BUFFER, CU_JIT_ERROR_LOG_BUFFER_SIZE_BYTES, CU_JIT_INFO_LOG_BUFFER,
                         CU_JIT_INFO_LOG_BUFFER_SIZE_BYTES, CU_JIT_OPTIMIZATION_LEVEL};
  void *vals[] = {error_log, (void *)(uintptr_t)sizeof error_log, info_log, (void *)(uintptr_t)sizeof info_log,
                  (void *)(uintptr_t)3};
  CUlinkState link;
  CHECK_CU(cuLinkCreate(5, opts, vals, &link));
  CHECK_CU(cuLinkAddFile(link, CU_JIT_INPUT_PTX, ptx_path, 0, NULL, NULL));
  CHECK_CU(cuLinkAddData(link, CU_JIT_INPUT_FATBINARY, (void *)fatbin, fatbin_len, "part.fatbin", 0, NULL, NULL));
  void *image = NULL;
  size_t size = 0;
  CHECK_CU(cuLinkComplete(link, &image, &size));
  /* the image is linked PTX, produced here in the client's memory */
  EXPECT(image && size > 1 && strlen(image) + 1 == size);
  EXPECT(strstr(image, ".version") && strstr(image, ".entry mix") && strstr(image, "part_mix"));
  EXPECT(strstr(info_log, "2 PTX inputs") != NULL);
  EXPECT((size_t)(uintptr_t)vals[3] == strlen(info_log) + 1);
  EXPECT(error_log[0] == '\0');
  CUmodule m;
  CHECK_CU(cuModuleLoadData(&m, image));
  CHECK_CU(cuLinkDestroy(link));   /* the module does not depend on the linker's image */

  EXPECT(mix_check(m, 1000, -700, 3, -11, 128) == 0);
  CHECK_CU(cuModuleUnload(m));
}

/* SASS, libraries and objects are refused with a message; a symbol defined twice fails the link. */
static void test_refusals(const char *ptx_path) {
  char error_log[512];
  CUjit_option opts[] = {CU_JIT_ERROR_LOG_BUFFER, CU_JIT_ERROR_LOG_BUFFER_SIZE_BYTES};
  void *vals[] = {error_log, (void *)(uintptr_t)sizeof error_log};
  CUlinkState link;
  CHECK_CU(cuLinkCreate(2, opts, vals, &link));
  static const char elf[64] = "\x7f" "ELF";
  EXPECT(cuLinkAddData(link, CU_JIT_INPUT_CUBIN, (void *)elf, sizeof elf, "k.cubin", 0, NULL, NULL) != CUDA_SUCCESS);
  EXPECT(strstr(error_log, "cubin") != NULL);
  error_log[0] = '\0';
  EXPECT(cuLinkAddData(link, CU_JIT_INPUT_LIBRARY, (void *)elf, sizeof elf, "k.a", 0, NULL, NULL) ==
         CUDA_ERROR_NOT_SUPPORTED);
  EXPECT(error_log[0] != '\0');
  void *image = NULL;
  EXPECT(cuLinkComplete(link, &image, NULL) != CUDA_SUCCESS);   /* nothing to link */
  /* the same definitions twice */
  CHECK_CU(cuLinkAddFile(link, CU_JIT_INPUT_PTX, ptx_path, 0, NULL, NULL));
  CHECK_CU(cuLinkAddFile(link, CU_JIT_INPUT_PTX, ptx_path, 0, NULL, NULL));
  error_log[0] = '\0';
  EXPECT(cuLinkComplete(link, &image, NULL) == CUDA_ERROR_INVALID_PTX);
  EXPECT(error_log[0] != '\0');
  EXPECT((size_t)(uintptr_t)vals[1] == strlen(error_log) + 1);
  EXPECT(cuLinkAddFile(link, CU_JIT_INPUT_PTX, "/nonexistent.ptx", 0, NULL, NULL) == CUDA_ERROR_FILE_NOT_FOUND);
  CHECK_CU(cuLinkDestroy(link));
}

int main(int argc, char **argv) {
  if (argc != 3) {
    fprintf(stderr, "usage: %s rdc_link.ptx rdc_link_part.fatbin\n", argv[0]);
    return 2;
  }
  size_t fatbin_len;
  char *fatbin = slurp(argv[2], &fatbin_len);
  CHECK_CU(cuInit(0));
  CUlinkState link;
  EXPECT(cuLinkCreate(0, NULL, NULL, &link) != CUDA_SUCCESS);   /* no current context */
  void *fn = NULL;
  CUdriverProcAddressQueryResult found;
  CHECK_CU(cuGetProcAddress("cuLinkCreate", &fn, 13000, CU_GET_PROC_ADDRESS_DEFAULT, &found));
  EXPECT(fn == (void *)cuLinkCreate && found == CU_GET_PROC_ADDRESS_SUCCESS);
  CHECK_CU(cuGetProcAddress("cuLinkComplete", &fn, 13000, CU_GET_PROC_ADDRESS_DEFAULT, &found));
  EXPECT(fn == (void *)cuLinkComplete);
  CUdevice dev;
  CUcontext ctx;
  CHECK_CU(cuDeviceGet(&dev, 0));
  CHECK_CU(cuDevicePrimaryCtxRetain(&ctx, dev));
  CHECK_CU(cuCtxSetCurrent(ctx));
  test_link_and_run(argv[1], fatbin, fatbin_len);
  test_refusals(argv[1]);
  CHECK_CU(cuDevicePrimaryCtxRelease(dev));
  free(fatbin);
  printf("%s culink\n", test_failures ? "FAIL" : "PASS");
  return test_failures ? 1 : 0;
}

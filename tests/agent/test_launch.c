/* test_launch.c - modules and kernels through the remoting path on the CPU device: a fatbin
 * built by nvcc loaded with cuModuleLoadData (sent once per content hash: the second load sends
 * only the hash), parameter layouts from cuFuncGetParamInfo, launches with kernelParams and with
 * `extra`, results compared with the CPU; thousands of launches and one synchronize make one
 * round trip; a launch beyond the device's limits fails on the client.
 * argv[1]: the fatbin. */
#include <stdint.h>
#include <string.h>
#include <unistd.h>

#include "check.h"
#include "inprocess.h"

static void *read_file(const char *path, size_t *n) {
  FILE *f = fopen(path, "rb");
  CHECK(f);
  fseek(f, 0, SEEK_END);
  *n = (size_t)ftell(f);
  fseek(f, 0, SEEK_SET);
  void *p = malloc(*n);
  CHECK(fread(p, 1, *n, f) == *n);
  fclose(f);
  return p;
}

int main(int argc, char **argv) {
  CHECK(argc == 2);
  test_setup();
  size_t size;
  void *image = read_file(argv[1], &size);
  agent_counters c0, c1, c2;
  CHECK(gs_inprocess_counters(&c0) == 0);
  CUmodule m1, m2;
  CU_OK(cuModuleLoadData(&m1, image));
  CHECK(gs_inprocess_counters(&c1) == 0);
  CU_OK(cuModuleLoadData(&m2, image));
  CHECK(gs_inprocess_counters(&c2) == 0);
  CHECK(c1.bytes_in_wire - c0.bytes_in_wire >= size);       /* the image went once ... */
  CHECK(c2.bytes_in_wire - c1.bytes_in_wire < 512);         /* ... then only its hash */
  CU_OK(cuModuleUnload(m2));

  /* vecadd(const float*, const float*, float*, int) */
  CUfunction vecadd, scale_add, bump;
  CU_OK(cuModuleGetFunction(&vecadd, m1, "vecadd"));
  CU_OK(cuModuleGetFunction(&scale_add, m1, "scale_add"));
  CU_OK(cuModuleGetFunction(&bump, m1, "bump"));
  CU_EXPECT(cuModuleGetFunction(&bump, m1, "no_such_kernel"), CUDA_ERROR_NOT_FOUND);
  size_t off, sz;
  CU_OK(cuFuncGetParamInfo(vecadd, 3, &off, &sz));
  CHECK(off == 24 && sz == 4);
  CU_EXPECT(cuFuncGetParamInfo(vecadd, 4, &off, &sz), CUDA_ERROR_INVALID_VALUE);

  enum { N = 10000 };
  float *a = malloc(N * 4), *b = malloc(N * 4), *c = malloc(N * 4);
  for (int i = 0; i < N; i++) {
    a[i] = (float)i * 0.5f;
    b[i] = 3.0f - (float)i;
  }
  CUdeviceptr da, db, dc;
  CU_OK(cuMemAlloc(&da, N * 4));
  CU_OK(cuMemAlloc(&db, N * 4));
  CU_OK(cuMemAlloc(&dc, N * 4));
  CU_OK(cuMemcpyHtoD(da, a, N * 4));
  CU_OK(cuMemcpyHtoD(db, b, N * 4));
  int n = N;
  void *args[] = {&da, &db, &dc, &n};
  CU_OK(cuLaunchKernel(vecadd, (N + 127) / 128, 1, 1, 128, 1, 1, 0, 0, args, NULL));
  CU_OK(cuMemcpyDtoH(c, dc, N * 4));
  for (int i = 0; i < N; i++) CHECK(c[i] == a[i] + b[i]);

  /* scale_add(double*, double, char, int) through `extra` */
  double *x = malloc(N * 8);
  for (int i = 0; i < N; i++) x[i] = i;
  CUdeviceptr dx;
  CU_OK(cuMemAlloc(&dx, N * 8));
  CU_OK(cuMemcpyHtoD(dx, x, N * 8));
  size_t o[4];
  for (int i = 0; i < 4; i++) CU_OK(cuFuncGetParamInfo(scale_add, (size_t)i, &o[i], &sz));
  uint8_t buf[64] = {0};
  double f = 2.5;
  char tag = 7;
  memcpy(buf + o[0], &dx, 8);
  memcpy(buf + o[1], &f, 8);
  memcpy(buf + o[2], &tag, 1);
  memcpy(buf + o[3], &n, 4);
  size_t bufsize = o[3] + 4;
  void *extra[] = {CU_LAUNCH_PARAM_BUFFER_POINTER, buf, CU_LAUNCH_PARAM_BUFFER_SIZE, &bufsize,
                   CU_LAUNCH_PARAM_END};
  CU_OK(cuLaunchKernel(scale_add, (N + 255) / 256, 1, 1, 256, 1, 1, 0, 0, NULL, extra));
  CU_OK(cuMemcpyDtoH(x, dx, N * 8));
  for (int i = 0; i < N; i++) CHECK(x[i] == i * 2.5 + 7);

  /* thousands of launches, one synchronize, one round trip */
  enum { LAUNCHES = 3000 };
  CUdeviceptr counter;
  CU_OK(cuMemAlloc(&counter, 4));
  CU_OK(cuMemsetD32(counter, 0, 1));
  CU_OK(cuCtxSynchronize());
  CHECK(gs_inprocess_counters(&c1) == 0);
  void *bargs[] = {&counter};
  for (int i = 0; i < LAUNCHES; i++) CU_OK(cuLaunchKernel(bump, 1, 1, 1, 32, 1, 1, 0, 0, bargs, NULL));
  CU_OK(cuCtxSynchronize());
  CHECK(gs_inprocess_counters(&c2) == 0);
  printf("%d launches: %llu round trip(s), %llu message(s)\n", LAUNCHES,
         (unsigned long long)(c2.round_trips - c1.round_trips),
         (unsigned long long)(c2.messages - c1.messages));
  CHECK(c2.round_trips - c1.round_trips == 1);
  unsigned count;
  CU_OK(cuMemcpyDtoH(&count, counter, 4));
  CHECK(count == LAUNCHES);

  /* the extended launch, a module from a file, and the cuLibrary path */
  CUlaunchConfig cfg = {0};
  cfg.gridDimX = cfg.gridDimY = cfg.gridDimZ = 1;
  cfg.blockDimX = 32;
  cfg.blockDimY = cfg.blockDimZ = 1;
  CU_OK(cuLaunchKernelEx(&cfg, bump, bargs, NULL));
  CU_OK(cuMemcpyDtoH(&count, counter, 4));
  CHECK(count == LAUNCHES + 1);
  CUmodule m3;
  CU_OK(cuModuleLoad(&m3, argv[1]));
  CU_EXPECT(cuModuleLoad(&m3, "/nonexistent/x.fatbin"), CUDA_ERROR_FILE_NOT_FOUND);
  CU_OK(cuModuleUnload(m3));
  CUlibrary lib;
  CUkernel k;
  CUfunction kf;
  CU_OK(cuLibraryLoadFromFile(&lib, argv[1], NULL, NULL, 0, NULL, NULL, 0));
  CU_OK(cuLibraryGetKernel(&k, lib, "bump"));
  CU_OK(cuKernelGetFunction(&kf, k));
  CU_OK(cuLaunchKernel(kf, 1, 1, 1, 32, 1, 1, 0, 0, bargs, NULL));
  CU_OK(cuMemcpyDtoH(&count, counter, 4));
  CHECK(count == LAUNCHES + 2);
  CU_OK(cuLibraryUnload(lib));
  CU_OK(cuCtxSynchronize());
  /* the library took its kernel and function with it */
  CU_EXPECT(cuKernelGetFunction(&kf, k), CUDA_ERROR_INVALID_HANDLE);

  /* beyond the device's limits: refused on the client, at once */
  CU_EXPECT(cuLaunchKernel(bump, 1, 1, 1, 4096, 1, 1, 0, 0, bargs, NULL), CUDA_ERROR_INVALID_VALUE);
  CU_EXPECT(cuLaunchKernel(bump, 0, 1, 1, 32, 1, 1, 0, 0, bargs, NULL), CUDA_ERROR_INVALID_VALUE);

  /* device printf reaches this process's stdout by the next synchronizing call */
  CUfunction hello;
  CU_OK(cuModuleGetFunction(&hello, m1, "hello"));
  fflush(stdout);
  char path[] = "/tmp/gs-agent-printf-XXXXXX";
  int fd = mkstemp(path);
  CHECK(fd >= 0);
  int saved = dup(1);
  CHECK(dup2(fd, 1) == 1);
  int print_tag = 4321;
  void *hargs[] = {&print_tag};
  CU_OK(cuLaunchKernel(hello, 3, 1, 1, 32, 1, 1, 0, 0, hargs, NULL));
  CU_OK(cuCtxSynchronize());
  fflush(stdout);
  CHECK(dup2(saved, 1) == 1);
  close(saved);
  char text[512] = {0};
  CHECK(pread(fd, text, sizeof text - 1, 0) > 0);
  close(fd);
  unlink(path);
  for (int b = 0; b < 3; b++) {
    char line[64];
    snprintf(line, sizeof line, "hello from block %d tag 4321\n", b);
    CHECK(strstr(text, line));
  }

  CU_OK(cuMemFree(da));
  CU_OK(cuMemFree(db));
  CU_OK(cuMemFree(dc));
  CU_OK(cuMemFree(dx));
  CU_OK(cuMemFree(counter));
  CU_OK(cuModuleUnload(m1));
  CU_OK(cuCtxSynchronize());

  /* a device fault is sticky: reported by the next synchronizing call, then by every call,
   * queued ones included, until the context is reset; then the device works again */
  CUmodule m4;
  CUfunction far;
  CU_OK(cuModuleLoadData(&m4, image));
  CU_OK(cuModuleGetFunction(&far, m4, "write_far"));
  CUdeviceptr small;
  CU_OK(cuMemAlloc(&small, 256));
  long long offset = 1ll << 36;
  void *fargs[] = {&small, &offset};
  CU_OK(cuLaunchKernel(far, 1, 1, 1, 32, 1, 1, 0, 0, fargs, NULL));
  CU_EXPECT(cuCtxSynchronize(), CUDA_ERROR_ILLEGAL_ADDRESS);
  CU_EXPECT(cuMemsetD8Async(small, 0, 4, 0), CUDA_ERROR_ILLEGAL_ADDRESS);
  CU_EXPECT(cuLaunchKernel(far, 1, 1, 1, 32, 1, 1, 0, 0, fargs, NULL), CUDA_ERROR_ILLEGAL_ADDRESS);
  CU_OK(cuDevicePrimaryCtxReset(0));
  CU_OK(cuMemAlloc(&small, 256));
  CU_OK(cuMemsetD32(small, 77, 64));
  unsigned back[64];
  CU_OK(cuMemcpyDtoH(back, small, sizeof back));
  CHECK(back[63] == 77);
  CU_OK(cuMemFree(small));
  CU_OK(cuCtxSynchronize());

  free(a), free(b), free(c), free(x), free(image);
  printf("launch: ok\n");
  return 0;
}

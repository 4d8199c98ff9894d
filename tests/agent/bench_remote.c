/* bench_remote.c - remoting costs, printed (not asserted): the time of a synchronizing call
 * (one round trip), the rate of queued kernel launches, and copy bandwidth for incompressible
 * and compressible data both ways. Run it in-process (linked as is) and against an agent
 * (LD_PRELOAD=libgpushim.so GPUSHIM_ENDPOINT=HOST:PORT ...) to compare; `meson test
 * --benchmark` runs the in-process form. argv[1]: tests/agent's kernel fatbin. */
#include <stdint.h>
#include <string.h>
#include <time.h>

#include "check.h"

static double now(void) {
  struct timespec t;
  clock_gettime(CLOCK_MONOTONIC, &t);
  return t.tv_sec + t.tv_nsec / 1e9;
}

static void *read_file(const char *path) {
  FILE *f = fopen(path, "rb");
  CHECK(f);
  fseek(f, 0, SEEK_END);
  size_t n = (size_t)ftell(f);
  fseek(f, 0, SEEK_SET);
  void *p = malloc(n);
  CHECK(fread(p, 1, n, f) == n);
  fclose(f);
  return p;
}

static void bench_copies(const char *what, uint8_t *buf, size_t n) {
  CUdeviceptr d;
  CU_OK(cuMemAlloc(&d, n));
  double t0 = now();
  CU_OK(cuMemcpyHtoD(d, buf, n));
  double t1 = now();
  CU_OK(cuMemcpyDtoH(buf, d, n));
  double t2 = now();
  printf("copy %-14s H2D %8.1f MB/s   D2H %8.1f MB/s\n", what, n / (t1 - t0) / 1e6,
         n / (t2 - t1) / 1e6);
  CU_OK(cuMemFree(d));
}

int main(int argc, char **argv) {
  CHECK(argc == 2);
  test_setup();
  enum { TRIPS = 2000, LAUNCHES = 20000 };
  double t0 = now();
  for (int i = 0; i < TRIPS; i++) CU_OK(cuStreamQuery(0));
  double t1 = now();
  printf("round trip (cuStreamQuery)   %8.1f us\n", (t1 - t0) / TRIPS * 1e6);

  void *image = read_file(argv[1]);
  CUmodule m;
  CUfunction bump;
  CU_OK(cuModuleLoadData(&m, image));
  CU_OK(cuModuleGetFunction(&bump, m, "bump"));
  CUdeviceptr counter;
  CU_OK(cuMemAlloc(&counter, 4));
  CU_OK(cuMemsetD32(counter, 0, 1));
  void *args[] = {&counter};
  t0 = now();
  for (int i = 0; i < LAUNCHES; i++) CU_OK(cuLaunchKernel(bump, 1, 1, 1, 32, 1, 1, 0, 0, args, NULL));
  t1 = now();
  CU_OK(cuCtxSynchronize());
  double t2 = now();
  unsigned count;
  CU_OK(cuMemcpyDtoH(&count, counter, 4));
  CHECK(count == LAUNCHES);
  printf("launches queued              %8.0f /s (%.1f us each; with the sync: %.1f us each)\n",
         LAUNCHES / (t1 - t0), (t1 - t0) / LAUNCHES * 1e6, (t2 - t0) / LAUNCHES * 1e6);

  size_t n = (size_t)128 << 20;
  uint8_t *buf = malloc(n);
  uint64_t seed = 99;
  for (size_t i = 0; i + 8 <= n; i += 8) {
    uint64_t r = test_rand(&seed);
    memcpy(buf + i, &r, 8);
  }
  bench_copies("random", buf, n);
  for (size_t i = 0; i < n; i++) buf[i] = (uint8_t)(i / 65536);
  bench_copies("compressible", buf, n);
  free(buf);
  free(image);
  CU_OK(cuMemFree(counter));
  CU_OK(cuModuleUnload(m));
  return 0;
}

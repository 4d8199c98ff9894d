/* remote_driver_client.c - a CUDA driver-API program linked with the real client stubs
 * (shim/driver) and the transport, for tests against the real gpushim-agent and CPU device.
 *
 *   remote_driver_client copy BYTES    alloc, H2D a pattern, D2H, compare, free; print "ok"
 *   remote_driver_client free          print the device's free memory in bytes
 *   remote_driver_client hold BYTES    allocate and fill BYTES, print "holding", wait forever
 * Exit 0 on success, 3 on a CUDA error (named on stderr), 4 on wrong data.
 */
#include <cuda.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

static int check(CUresult r, const char *what) {
  if (r == CUDA_SUCCESS) return 0;
  const char *name = NULL;
  cuGetErrorName(r, &name);
  fprintf(stderr, "%s failed: %s (%d)\n", what, name ? name : "?", (int)r);
  return -1;
}

#define CK(call)                        \
  do {                                  \
    if (check((call), #call) < 0) return 3; \
  } while (0)

static int open_context(CUcontext *ctx) {
  CUdevice dev;
  CK(cuInit(0));
  CK(cuDeviceGet(&dev, 0));
  CK(cuDevicePrimaryCtxRetain(ctx, dev));
  CK(cuCtxSetCurrent(*ctx));
  return 0;
}

static int copy_round_trip(size_t n) {
  unsigned char *src = malloc(n), *dst = malloc(n);
  for (size_t i = 0; i < n; i++) src[i] = (unsigned char)(i * 13 + (i >> 11));
  memset(dst, 0, n);
  CUdeviceptr d;
  CK(cuMemAlloc(&d, n));
  CK(cuMemcpyHtoD(d, src, n));
  CK(cuMemcpyDtoH(dst, d, n));
  CK(cuMemFree(d));
  int same = memcmp(src, dst, n) == 0;
  free(src);
  free(dst);
  if (!same) {
    fprintf(stderr, "data differs after the round trip\n");
    return 4;
  }
  printf("ok\n");
  return 0;
}

int main(int argc, char **argv) {
  CUcontext ctx;
  if (argc < 2) return 2;
  int rc = open_context(&ctx);
  if (rc) return rc;
  if (strcmp(argv[1], "copy") == 0 && argc == 3) return copy_round_trip((size_t)atol(argv[2]));
  if (strcmp(argv[1], "free") == 0) {
    size_t free_b, total_b;
    CK(cuMemGetInfo(&free_b, &total_b));
    printf("%zu\n", free_b);
    return 0;
  }
  if (strcmp(argv[1], "hold") == 0 && argc == 3) {
    size_t n = (size_t)atol(argv[2]);
    CUdeviceptr d;
    CK(cuMemAlloc(&d, n));
    CK(cuMemsetD8(d, 0x5a, n));
    CK(cuCtxSynchronize());
    printf("holding\n");
    fflush(stdout);
    for (;;) pause();
  }
  return 2;
}

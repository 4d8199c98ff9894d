/* array_copies.c - the runtime's array calls that kernels/textures does not reach: the
 * deprecated 1D copies (cudaMemcpyToArray/FromArray, sync and async, wrapping across rows
 * from a mid-row offset), cudaMemcpy2DArrayToArray, cudaArrayGetInfo/cudaGetChannelDesc,
 * cudaMemcpy3D between pitched host and device memory, and refused arguments. */
#include <cuda_runtime_api.h>
#include <stdio.h>
#include <string.h>

#pragma GCC diagnostic ignored "-Wdeprecated-declarations"

static int failures;
#define EXPECT(cond)                                               \
  do {                                                             \
    if (!(cond)) {                                                 \
      printf("%s:%d: %s\n", __FILE__, __LINE__, #cond);            \
      failures++;                                                  \
    }                                                              \
  } while (0)

enum { W = 13, H = 6 };

static struct cudaPitchedPtr pitched(void *p, size_t pitch, size_t xsize, size_t ysize) {
  struct cudaPitchedPtr r = {p, pitch, xsize, ysize};
  return r;
}   /* ushort2 elements: 52-byte rows */

int main(void) {
  static unsigned short src[W * H * 2], back[W * H * 2], want[W * H * 2];
  for (int i = 0; i < W * H * 2; i++) src[i] = (unsigned short)(i * 7 + 1);
  struct cudaChannelFormatDesc d = cudaCreateChannelDesc(16, 16, 0, 0, cudaChannelFormatKindUnsigned), got;
  cudaArray_t a, b;
  EXPECT(cudaMallocArray(&a, &d, W, H, 0) == cudaSuccess);
  EXPECT(cudaMallocArray(&b, &d, W, H, cudaArraySurfaceLoadStore) == cudaSuccess);
  struct cudaExtent ext;
  unsigned flags = 99;
  EXPECT(cudaArrayGetInfo(&got, &ext, &flags, b) == cudaSuccess);
  EXPECT(got.x == 16 && got.y == 16 && got.z == 0 && got.f == cudaChannelFormatKindUnsigned);
  EXPECT(ext.width == W && ext.height == H && ext.depth == 0 && flags == cudaArraySurfaceLoadStore);
  memset(&got, 0, sizeof got);
  EXPECT(cudaGetChannelDesc(&got, a) == cudaSuccess && got.y == 16);

  /* 1D copy from (x = 8 bytes, row 1) across rows, then read back the whole array */
  size_t row = W * 4, off = row + 8, n = 3 * row + 12;
  EXPECT(cudaMemcpy2DToArray(a, 0, 0, want, row, row, H, cudaMemcpyHostToDevice) == cudaSuccess);
  EXPECT(cudaMemcpyToArray(a, 8, 1, src, n, cudaMemcpyHostToDevice) == cudaSuccess);
  memcpy((char *)want + off, src, n);
  EXPECT(cudaMemcpyFromArray(back, a, 0, 0, sizeof back, cudaMemcpyDeviceToHost) == cudaSuccess);
  EXPECT(memcmp(back, want, sizeof back) == 0);
  /* async forms through a device buffer (cudaMemcpyDefault) */
  void *dev;
  cudaStream_t s;
  EXPECT(cudaMalloc(&dev, sizeof src) == cudaSuccess && cudaStreamCreate(&s) == cudaSuccess);
  EXPECT(cudaMemcpy(dev, src, sizeof src, cudaMemcpyHostToDevice) == cudaSuccess);
  EXPECT(cudaMemcpyToArrayAsync(b, 0, 0, dev, sizeof src, cudaMemcpyDefault, s) == cudaSuccess);
  memset(back, 0, sizeof back);
  EXPECT(cudaMemcpyFromArrayAsync(back, b, 4, 2, 40, cudaMemcpyDeviceToHost, s) == cudaSuccess);
  EXPECT(cudaStreamSynchronize(s) == cudaSuccess);
  EXPECT(memcmp(back, (char *)src + 2 * row + 4, 40) == 0);
  /* array to array: a 3x2 element block */
  EXPECT(cudaMemcpy2DArrayToArray(a, 0, 0, b, 4, 1, 12, 2, cudaMemcpyDeviceToDevice) == cudaSuccess);
  EXPECT(cudaMemcpy2DFromArray(back, 12, a, 0, 0, 12, 2, cudaMemcpyDeviceToHost) == cudaSuccess);
  EXPECT(memcmp(back, (char *)src + row + 4, 12) == 0 && memcmp((char *)back + 12, (char *)src + 2 * row + 4, 12) == 0);
  /* 3D copy between pitched host and device memory (no arrays) */
  static unsigned char h3[4 * 5 * 3], h3b[8 * 5 * 3];
  for (size_t i = 0; i < sizeof h3; i++) h3[i] = (unsigned char)(i * 3);
  void *d3;
  EXPECT(cudaMalloc(&d3, 16 * 5 * 3) == cudaSuccess);
  struct cudaMemcpy3DParms p = {0};
  p.srcPtr = pitched(h3, 4, 4, 5);
  p.dstPtr = pitched(d3, 16, 4, 5);
  p.extent = (struct cudaExtent){4, 5, 3};
  p.kind = cudaMemcpyHostToDevice;
  EXPECT(cudaMemcpy3D(&p) == cudaSuccess);
  p.srcPtr = p.dstPtr;
  p.dstPtr = pitched(h3b, 8, 4, 5);
  p.kind = cudaMemcpyDeviceToHost;
  EXPECT(cudaMemcpy3D(&p) == cudaSuccess);
  for (int z = 0; z < 3; z++)
    for (int y = 0; y < 5; y++) EXPECT(memcmp(h3b + (z * 5 + y) * 8, h3 + (z * 5 + y) * 4, 4) == 0);
  /* refused: a region past the array, a channel layout we cannot represent, a freed array */
  EXPECT(cudaMemcpy2DToArray(a, 0, H - 1, src, row, row, 2, cudaMemcpyHostToDevice) == cudaErrorInvalidValue);
  struct cudaChannelFormatDesc odd = cudaCreateChannelDesc(8, 16, 0, 0, cudaChannelFormatKindUnsigned);
  cudaArray_t c;
  EXPECT(cudaMallocArray(&c, &odd, 4, 4, 0) == cudaErrorInvalidChannelDescriptor);
  EXPECT(cudaFreeArray(a) == cudaSuccess && cudaFreeArray(b) == cudaSuccess);
  EXPECT(cudaArrayGetInfo(&got, &ext, &flags, a) != cudaSuccess);
  cudaGetLastError();
  cudaFree(d3);
  cudaFree(dev);
  cudaStreamDestroy(s);
  printf("%s array_copies\n", failures ? "FAIL" : "PASS");
  return failures != 0;
}

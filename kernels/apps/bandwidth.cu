// bandwidth.cu - host<->device copy bandwidth, as bandwidthTest measures it, for compressible
// (zeros, a repeating pattern) and incompressible (random) data, from pageable and pinned
// memory; every transfer is read back and verified. Usage: bandwidth [MiB] [repeats].
// Prints "BW <direction> <data> <memory> <MiB> <MB/s>" lines for scripts/bench.py.
#include "../cuda_check.h"
#include "../kcommon.h"
#include <chrono>
#include <string.h>

static double seconds_now() {
  return std::chrono::duration<double>(std::chrono::steady_clock::now().time_since_epoch()).count();
}

static void fill(unsigned char *p, size_t n, int kind, uint64_t seed) {
  kc_rng r;
  kc_rng_seed(&r, seed);
  if (kind == 0) memset(p, 0, n);
  else if (kind == 1) for (size_t i = 0; i < n; i++) p[i] = (unsigned char)("gpushim pattern "[i % 16] + (i / 4096) % 3);
  else for (size_t i = 0; i + 8 <= n; i += 8) { uint64_t v = kc_next_u64(&r); memcpy(p + i, &v, 8); }
}

int main(int argc, char **argv) {
  size_t mib = argc > 1 ? strtoul(argv[1], nullptr, 10) : 16;
  int repeats = argc > 2 ? atoi(argv[2]) : 2;
  size_t n = mib << 20;
  const char *kinds[] = {"zeros", "pattern", "random"};
  unsigned char *pageable = (unsigned char *)xmalloc(n), *back = (unsigned char *)xmalloc(n);
  unsigned char *pinned = nullptr, *dev = nullptr;
  CUDA_CHECK(cudaMallocHost(&pinned, n));
  CUDA_CHECK(cudaMalloc(&dev, n));
  int failures = 0;
  for (int kind = 0; kind < 3; kind++) {
    for (int use_pinned = 0; use_pinned < 2; use_pinned++) {
      unsigned char *src = use_pinned ? pinned : pageable;
      fill(src, n, kind, 1234 + kind);
      double h2d = 1e30, d2h = 1e30;
      for (int rep = 0; rep < repeats; rep++) {
        double t0 = seconds_now();
        CUDA_CHECK(cudaMemcpy(dev, src, n, cudaMemcpyHostToDevice));
        CUDA_CHECK(cudaDeviceSynchronize());
        double t1 = seconds_now();
        memset(back, 0xA5, n);
        CUDA_CHECK(cudaMemcpy(back, dev, n, cudaMemcpyDeviceToHost));
        double t2 = seconds_now();
        if (t1 - t0 < h2d) h2d = t1 - t0;
        if (t2 - t1 < d2h) d2h = t2 - t1;
        if (memcmp(src, back, n) != 0) {
          printf("  %s %s: data differs after the round trip\n", kinds[kind], use_pinned ? "pinned" : "pageable");
          failures++;
        }
      }
      const char *mem = use_pinned ? "pinned" : "pageable";
      printf("BW h2d %s %s %zu %.1f\n", kinds[kind], mem, mib, n / h2d / 1e6);
      printf("BW d2h %s %s %zu %.1f\n", kinds[kind], mem, mib, n / d2h / 1e6);
    }
  }
  CUDA_CHECK(cudaFree(dev));
  CUDA_CHECK(cudaFreeHost(pinned));
  free(pageable);
  free(back);
  printf("%s bandwidth\n", failures ? "FAIL" : "PASS");
  return failures ? 1 : 0;
}

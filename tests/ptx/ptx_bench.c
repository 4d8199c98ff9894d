/* ptx_bench.c - benchmark of the PTX engine (not a test): runs a tiled matrix multiply and a
 * reduction (cu/bench.cu, compiled by nvcc at build time) and prints thread-instructions per
 * second and wall time of each. Usage: ptx-bench [PTXFILE] [WORKERS] */
#include "ptx_internal.h"
#include "test_util.h"

#include <time.h>

static double now(void) {
  struct timespec ts;
  clock_gettime(CLOCK_MONOTONIC, &ts);
  return (double)ts.tv_sec + (double)ts.tv_nsec * 1e-9;
}

static void report(const char *name, double secs, uint64_t insns, const char *check) {
  printf("%-28s wall %8.3f s   %10.1f M thread-instructions   %8.1f M thread-instr/s   %s\n", name, secs,
         (double)insns / 1e6, (double)insns / secs / 1e6, check);
}

int main(int argc, char **argv) {
  const char *path = argc > 1 ? argv[1] : PTX_BENCH_PTX;
  unsigned workers = argc > 2 ? (unsigned)atoi(argv[2]) : 0;
  ptx_module *m = tu_parse_file(path);
  char err[512];

  /* matrix multiply */
  int n = 256;
  float *A = tu_alloc((size_t)n * n * 4), *B = tu_alloc((size_t)n * n * 4), *C = tu_alloc((size_t)n * n * 4);
  for (int i = 0; i < n * n; i++) {
    A[i] = (float)(i % 13) * 0.25f;
    B[i] = (float)(i % 7) - 3.0f;
  }
  const ptx_kernel *mm = tu_kernel(m, "matmul");
  tu_params p;
  tu_params_init(&p, mm);
  TU_PTRS(&p, A, B, C);
  TU_PARAM(&p, n);
  double t0 = now();
  ptx_status st = tu_launch_ex(mm, (unsigned)n / 16, (unsigned)n / 16, 1, 16, 16, 1, 0, &p, workers, err, sizeof err);
  double t1 = now();
  uint64_t ins = ptx_thread_insn_count;
  int bad = st != PTX_OK;
  for (int r = 0; r < n && !bad; r += 37)
    for (int c = 0; c < n; c += 11) {
      float acc = 0;
      for (int k = 0; k < n; k++) acc += A[r * n + k] * B[k * n + c];
      if (fabsf(acc - C[r * n + c]) > 1e-3f * fmaxf(1.0f, fabsf(acc))) bad = 1;
    }
  char name[64];
  snprintf(name, sizeof name, "matmul %dx%d", n, n);
  report(name, t1 - t0, ins, bad ? (st != PTX_OK ? err : "WRONG RESULT") : "ok");

  /* reduction */
  int len = 1 << 22, blocks = 256, bs = 256;
  float *in = tu_alloc((size_t)len * 4), *out = tu_alloc((size_t)blocks * 4);
  double want = 0;
  for (int i = 0; i < len; i++) {
    in[i] = (float)(i % 100) * 0.01f;
    want += in[i];
  }
  const ptx_kernel *rk = tu_kernel(m, "reduce");
  tu_params_init(&p, rk);
  TU_PTRS(&p, in, out);
  TU_PARAM(&p, len);
  t0 = now();
  st = tu_launch_ex(rk, (unsigned)blocks, 1, 1, (unsigned)bs, 1, 1, (size_t)bs * 4, &p, workers, err, sizeof err);
  t1 = now();
  ins = ptx_thread_insn_count;
  double got = 0;
  for (int i = 0; i < blocks; i++) got += out[i];
  snprintf(name, sizeof name, "reduce %d floats", len);
  report(name, t1 - t0, ins, st != PTX_OK ? err : fabs(got - want) > 1e-4 * want ? "WRONG RESULT" : "ok");

  ptx_module_free(m);
  tu_free_all();
  return 0;
}

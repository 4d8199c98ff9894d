/* ptx_bench.c - benchmark of the PTX engine (not a test): runs tiled matrix multiplies (16x16
 * tiles, and cuda-samples matrixMul's 32x32 shape), a reduction and Black-Scholes (cu/bench.cu,
 * compiled by nvcc at build time), checks each against the CPU and prints wall time, process
 * CPU time (steadier than wall time on a loaded machine) and thread-instructions per second of
 * each. Usage: ptx-bench [PTXFILE [WORKERS [KERNEL]]] (KERNEL: run only matmul, reduce, matmul32
 * or blackscholes) */
#include "ptx_internal.h"
#include "test_util.h"

#include <time.h>

static double now(void) {
  struct timespec ts;
  clock_gettime(CLOCK_MONOTONIC, &ts);
  return (double)ts.tv_sec + (double)ts.tv_nsec * 1e-9;
}

static double cpu_now(void) {
  struct timespec ts;
  clock_gettime(CLOCK_PROCESS_CPUTIME_ID, &ts);
  return (double)ts.tv_sec + (double)ts.tv_nsec * 1e-9;
}

static double cpu_t0, cpu_t1;   /* process CPU time when the kernel being timed started, ended */

static void report(const char *name, double secs, uint64_t insns, const char *check) {
  double cpu = cpu_t1 - cpu_t0;
  printf("%-26s wall %7.3f s  cpu %7.3f s  %8.1f M thread-instr  %7.1f M/s wall  %7.1f M/s cpu  %s\n", name,
         secs, cpu, (double)insns / 1e6, (double)insns / secs / 1e6, (double)insns / cpu / 1e6, check);
}

/* cuda-samples matrixMul's shape: C (hA x wB) = A (hA x wA) * B (wA x wB), 32x32 blocks. */
static void bench_matmul32(ptx_module *m, unsigned workers) {
  int wA = 320, hA = 320, wB = 640;
  float *A = tu_alloc((size_t)wA * hA * 4), *B = tu_alloc((size_t)wB * wA * 4), *C = tu_alloc((size_t)wB * hA * 4);
  for (int i = 0; i < wA * hA; i++) A[i] = (float)(i % 17) * 0.125f - 1.0f;
  for (int i = 0; i < wB * wA; i++) B[i] = (float)(i % 11) * 0.5f - 2.5f;
  const ptx_kernel *k = tu_kernel(m, "matmul32");
  tu_params p;
  tu_params_init(&p, k);
  TU_PTRS(&p, C, A, B);
  TU_PARAM(&p, wA);
  TU_PARAM(&p, wB);
  char err[512];
  cpu_t0 = cpu_now();
  double t0 = now();
  ptx_status st = tu_launch_ex(k, (unsigned)wB / 32, (unsigned)hA / 32, 1, 32, 32, 1, 0, &p, workers, err, sizeof err);
  double t1 = now();
  cpu_t1 = cpu_now();
  int bad = st != PTX_OK;
  for (int r = 0; r < hA && !bad; r += 13)
    for (int c = 0; c < wB; c += 7) {
      float acc = 0;   /* the kernel's order: k ascending, one fma each */
      for (int i = 0; i < wA; i++) acc = fmaf(A[r * wA + i], B[i * wB + c], acc);
      if (acc != C[r * wB + c]) bad = 1;
    }
  report("matmul32 320x320*320x640", t1 - t0, ptx_thread_insn_count, bad ? (st != PTX_OK ? err : "WRONG RESULT") : "ok");
}

/* Black-Scholes as in cuda-samples (inputs drawn the same way), against the formula in double. */
static double cnd_ref(double d) {
  double K = 1.0 / (1.0 + 0.2316419 * fabs(d));
  double c = 0.39894228040143267793994605993438 * exp(-0.5 * d * d) *
             (K * (0.31938153 + K * (-0.356563782 + K * (1.781477937 + K * (-1.821255978 + K * 1.330274429)))));
  return d > 0 ? 1.0 - c : c;
}

static void bench_blackscholes(ptx_module *m, unsigned workers) {
  int n = 400000;
  float R = 0.02f, V = 0.30f;
  float *S = tu_alloc((size_t)n * 4), *X = tu_alloc((size_t)n * 4), *T = tu_alloc((size_t)n * 4);
  float *call = tu_alloc((size_t)n * 4), *put = tu_alloc((size_t)n * 4);
  srand(5347);
  for (int i = 0; i < n; i++) {
    S[i] = 5.0f + (float)rand() / (float)RAND_MAX * 25.0f;
    X[i] = 1.0f + (float)rand() / (float)RAND_MAX * 99.0f;
    T[i] = 0.25f + (float)rand() / (float)RAND_MAX * 9.75f;
  }
  const ptx_kernel *k = tu_kernel(m, "blackscholes");
  tu_params p;
  tu_params_init(&p, k);
  TU_PTRS(&p, call, put, S, X, T);
  TU_PARAM(&p, R);
  TU_PARAM(&p, V);
  TU_PARAM(&p, n);
  char err[512];
  cpu_t0 = cpu_now();
  double t0 = now();
  ptx_status st = tu_launch_ex(k, (unsigned)(n / 2 + 127) / 128, 1, 1, 128, 1, 1, 0, &p, workers, err, sizeof err);
  double t1 = now();
  cpu_t1 = cpu_now();
  double maxerr = 0;
  for (int i = 0; i < n && st == PTX_OK; i++) {
    double s = S[i], x = X[i], t = T[i], sq = sqrt(t);
    double d1 = (log(s / x) + (R + 0.5 * V * V) * t) / (V * sq), d2 = d1 - V * sq, e = exp(-R * t);
    double c = s * cnd_ref(d1) - x * e * cnd_ref(d2), pu = x * e * (1.0 - cnd_ref(d2)) - s * (1.0 - cnd_ref(d1));
    maxerr = fmax(maxerr, fmax(fabs(c - call[i]), fabs(pu - put[i])));
  }
  char name[64];
  snprintf(name, sizeof name, "blackscholes %d", n);
  report(name, t1 - t0, ptx_thread_insn_count, st != PTX_OK ? err : maxerr > 1e-3 ? "WRONG RESULT" : "ok");
}

static const char *only;   /* the one kernel to run, or NULL for all */
static bool want(const char *name) { return !only || !strcmp(only, name); }

static void bench_matmul(ptx_module *m, unsigned workers);
static void bench_reduce(ptx_module *m, unsigned workers);

int main(int argc, char **argv) {
  const char *path = argc > 1 ? argv[1] : PTX_BENCH_PTX;
  unsigned workers = argc > 2 ? (unsigned)atoi(argv[2]) : 0;
  only = argc > 3 ? argv[3] : NULL;
  ptx_module *m = tu_parse_file(path);
  if (want("matmul")) bench_matmul(m, workers);
  if (want("reduce")) bench_reduce(m, workers);
  if (want("matmul32")) bench_matmul32(m, workers);
  if (want("blackscholes")) bench_blackscholes(m, workers);
  ptx_module_free(m);
  tu_free_all();
  return 0;
}

static void bench_matmul(ptx_module *m, unsigned workers) {
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
  cpu_t0 = cpu_now();
  double t0 = now();
  ptx_status st = tu_launch_ex(mm, (unsigned)n / 16, (unsigned)n / 16, 1, 16, 16, 1, 0, &p, workers, err, sizeof err);
  double t1 = now();
  cpu_t1 = cpu_now();
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
}

static void bench_reduce(ptx_module *m, unsigned workers) {
  char err[512], name[64];
  tu_params p;
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
  cpu_t0 = cpu_now();
  double t0 = now();
  ptx_status st = tu_launch_ex(rk, (unsigned)blocks, 1, 1, (unsigned)bs, 1, 1, (size_t)bs * 4, &p, workers, err, sizeof err);
  double t1 = now();
  cpu_t1 = cpu_now();
  uint64_t ins = ptx_thread_insn_count;
  double got = 0;
  for (int i = 0; i < blocks; i++) got += out[i];
  snprintf(name, sizeof name, "reduce %d floats", len);
  report(name, t1 - t0, ins, st != PTX_OK ? err : fabs(got - want) > 1e-4 * want ? "WRONG RESULT" : "ok");
}

/* test_context.c - created and primary contexts, the per-thread context stack, limits, and
 * cuGetProcAddress (every symbol libcuda.so.1 exports must be reachable through it).
 * Argument: the path of the libcuda.so.1 under test (its exports are listed with nm).
 */
#include "cpudev_test.h"

#include <dlfcn.h>
#include <pthread.h>
#include <string.h>

/* The pre-12.5 ABI of cuCtxCreate, which cuda.h no longer declares. */
CUresult cuCtxCreate_v2(CUcontext *pctx, unsigned int flags, CUdevice dev);

static void test_created_contexts(void) {
  CUcontext a, b, cur;
  EXPECT_CU(cuCtxGetCurrent(&cur), CUDA_SUCCESS);
  EXPECT(cur == NULL);
  unsigned flags;
  EXPECT_CU(cuCtxGetFlags(&flags), CUDA_ERROR_INVALID_CONTEXT);
  CHECK_CU(cuCtxCreate(&a, NULL, CU_CTX_SCHED_BLOCKING_SYNC, 0));
  CHECK_CU(cuCtxGetCurrent(&cur));
  EXPECT(cur == a);
  CHECK_CU(cuCtxGetFlags(&flags));
  EXPECT(flags == CU_CTX_SCHED_BLOCKING_SYNC);
  CHECK_CU(cuCtxCreate_v2(&b, 0, 0));   /* pushes b over a */
  CHECK_CU(cuCtxGetCurrent(&cur));
  EXPECT(cur == b);
  CUcontext popped;
  CHECK_CU(cuCtxPopCurrent(&popped));
  EXPECT(popped == b);
  CHECK_CU(cuCtxGetCurrent(&cur));
  EXPECT(cur == a);
  CHECK_CU(cuCtxPushCurrent(b));
  CUdevice dev = -1;
  CHECK_CU(cuCtxGetDevice(&dev));
  EXPECT(dev == 0);
  unsigned long long ida, idb;
  CHECK_CU(cuCtxGetId(a, &ida));
  CHECK_CU(cuCtxGetId(b, &idb));
  EXPECT(ida != idb);
  unsigned api;
  CHECK_CU(cuCtxGetApiVersion(b, &api));
  EXPECT(api >= 3020);
  CHECK_CU(cuCtxSynchronize());
  CHECK_CU(cuCtxDestroy(b));            /* current: destroying it leaves a on top */
  CHECK_CU(cuCtxGetCurrent(&cur));
  EXPECT(cur == a);
  EXPECT_CU(cuCtxPushCurrent(b), CUDA_ERROR_INVALID_CONTEXT);
  EXPECT_CU(cuCtxDestroy(b), CUDA_ERROR_INVALID_CONTEXT);
  EXPECT_CU(cuCtxCreate(&b, NULL, 0, 7), CUDA_ERROR_INVALID_DEVICE);
  EXPECT_CU(cuCtxCreate(&b, NULL, 0x1000, 0), CUDA_ERROR_INVALID_VALUE);
  CHECK_CU(cuCtxDestroy(a));
  CHECK_CU(cuCtxGetCurrent(&cur));
  EXPECT(cur == NULL);
  EXPECT_CU(cuCtxPopCurrent(&popped), CUDA_ERROR_INVALID_CONTEXT);
}

/* cuCtxSetCurrent(NULL) unbinds the top of the stack; what lies below stays. */
static void test_set_current_null(void) {
  CUcontext a, b, cur, popped;
  CHECK_CU(cuCtxCreate(&a, NULL, 0, 0));
  CHECK_CU(cuCtxCreate(&b, NULL, 0, 0));   /* stack: a, b */
  CHECK_CU(cuCtxSetCurrent(NULL));          /* stack: a, (none) */
  CHECK_CU(cuCtxGetCurrent(&cur));
  EXPECT(cur == NULL);
  CUdeviceptr d;
  EXPECT_CU(cuMemAlloc(&d, 16), CUDA_ERROR_INVALID_CONTEXT);
  CHECK_CU(cuCtxSetCurrent(a));             /* stack: a, a */
  CHECK_CU(cuCtxPopCurrent(&popped));
  EXPECT(popped == a);
  CHECK_CU(cuCtxGetCurrent(&cur));
  EXPECT(cur == a);                         /* the bottom entry was never touched */
  CHECK_CU(cuCtxDestroy(b));
  CHECK_CU(cuCtxDestroy(a));
}

static void test_limits(void) {
  CUcontext c;
  CHECK_CU(cuCtxCreate(&c, NULL, 0, 0));
  size_t v = 0;
  CHECK_CU(cuCtxGetLimit(&v, CU_LIMIT_STACK_SIZE));
  EXPECT(v > 0);
  CHECK_CU(cuCtxSetLimit(CU_LIMIT_MALLOC_HEAP_SIZE, 1 << 24));
  CHECK_CU(cuCtxGetLimit(&v, CU_LIMIT_MALLOC_HEAP_SIZE));
  EXPECT(v == 1 << 24);
  EXPECT_CU(cuCtxSetLimit(CU_LIMIT_SHMEM_SIZE, 5), CUDA_ERROR_UNSUPPORTED_LIMIT);
  int least = 1, greatest = 1;
  CHECK_CU(cuCtxGetStreamPriorityRange(&least, &greatest));
  EXPECT(least == 0 && greatest < 0);
  CUfunc_cache cfg;
  CHECK_CU(cuCtxSetCacheConfig(CU_FUNC_CACHE_PREFER_SHARED));
  CHECK_CU(cuCtxGetCacheConfig(&cfg));
  EXPECT(cfg == CU_FUNC_CACHE_PREFER_SHARED);
  CHECK_CU(cuCtxDestroy(c));
}

static void test_primary(void) {
  unsigned flags = 99;
  int active = 99;
  CHECK_CU(cuDevicePrimaryCtxGetState(0, &flags, &active));
  EXPECT(flags == 0 && active == 0);
  CHECK_CU(cuDevicePrimaryCtxSetFlags(0, CU_CTX_SCHED_YIELD));
  CUcontext p1, p2, cur;
  CHECK_CU(cuDevicePrimaryCtxRetain(&p1, 0));
  CHECK_CU(cuDevicePrimaryCtxRetain(&p2, 0));
  EXPECT(p1 == p2);
  CHECK_CU(cuDevicePrimaryCtxGetState(0, &flags, &active));
  EXPECT(flags == CU_CTX_SCHED_YIELD && active == 1);
  CHECK_CU(cuCtxSetCurrent(p1));
  CHECK_CU(cuCtxGetCurrent(&cur));
  EXPECT(cur == p1);
  CUdeviceptr d;
  CHECK_CU(cuMemAlloc(&d, 1024));
  CHECK_CU(cuDevicePrimaryCtxReset(0));   /* frees the allocation, keeps the handle */
  CUdeviceptr base;
  size_t size;
  EXPECT_CU(cuMemGetAddressRange(&base, &size, d), CUDA_ERROR_NOT_FOUND);
  CHECK_CU(cuDevicePrimaryCtxRelease(0));
  CHECK_CU(cuDevicePrimaryCtxGetState(0, &flags, &active));
  EXPECT(active == 1);
  CHECK_CU(cuDevicePrimaryCtxRelease(0));
  CHECK_CU(cuDevicePrimaryCtxGetState(0, &flags, &active));
  EXPECT(active == 0);
  EXPECT_CU(cuMemAlloc(&d, 16), CUDA_ERROR_CONTEXT_IS_DESTROYED);
  EXPECT_CU(cuDevicePrimaryCtxRelease(0), CUDA_ERROR_INVALID_CONTEXT);
  CHECK_CU(cuCtxSetCurrent(NULL));
}

/* Each host thread has its own stack. */
static void *thread_body(void *arg) {
  CUcontext cur = (CUcontext)1;
  CHECK_CU(cuCtxGetCurrent(&cur));
  EXPECT(cur == NULL);
  CHECK_CU(cuCtxSetCurrent((CUcontext)arg));
  CHECK_CU(cuCtxGetCurrent(&cur));
  EXPECT(cur == arg);
  return NULL;
}

static void test_threads(void) {
  CUcontext c, cur;
  CHECK_CU(cuCtxCreate(&c, NULL, 0, 0));
  CHECK_CU(cuCtxPopCurrent(NULL));
  pthread_t t;
  pthread_create(&t, NULL, thread_body, c);
  pthread_join(t, NULL);
  CHECK_CU(cuCtxGetCurrent(&cur));
  EXPECT(cur == NULL);
  CHECK_CU(cuCtxDestroy(c));
}

typedef CUresult (*any_fn)(void);

static void *sym(const char *name) { return dlsym(RTLD_DEFAULT, name); }

static void *proc(const char *name, int version, cuuint64_t flags, CUdriverProcAddressQueryResult *st) {
  void *fn = NULL;
  cuGetProcAddress(name, &fn, version, flags, st);
  return fn;
}

/* The base name a caller would ask for: without _ptds/_ptsz and _vN. */
static void base_name(const char *s, char *out, size_t n) {
  snprintf(out, n, "%s", s);
  size_t len = strlen(out);
  if (len > 5 && (!strcmp(out + len - 5, "_ptds") || !strcmp(out + len - 5, "_ptsz"))) out[len -= 5] = '\0';
  if (len > 3 && out[len - 3] == '_' && out[len - 2] == 'v' && out[len - 1] >= '0' && out[len - 1] <= '9')
    out[len - 3] = '\0';
}

static void test_proc_address(const char *lib) {
  CUdriverProcAddressQueryResult st;
  EXPECT(proc("cuMemAlloc", 3020, 0, &st) == sym("cuMemAlloc_v2") && st == CU_GET_PROC_ADDRESS_SUCCESS);
  EXPECT(proc("cuMemAlloc", 13000, 0, &st) == sym("cuMemAlloc_v2"));
  EXPECT(proc("cuMemAlloc", 3000, 0, &st) == NULL && st == CU_GET_PROC_ADDRESS_VERSION_NOT_SUFFICIENT);
  EXPECT(proc("cuCtxCreate", 12000, 0, &st) == sym("cuCtxCreate_v3"));
  EXPECT(proc("cuCtxCreate", 13000, 0, &st) == sym("cuCtxCreate_v4"));
  EXPECT(proc("cuCtxCreate", 3000, 0, &st) == sym("cuCtxCreate"));
  EXPECT(proc("cuMemcpyHtoD", 13000, CU_GET_PROC_ADDRESS_PER_THREAD_DEFAULT_STREAM, &st) ==
         sym("cuMemcpyHtoD_v2_ptds"));
  EXPECT(proc("cuMemcpyHtoD", 13000, CU_GET_PROC_ADDRESS_LEGACY_STREAM, &st) == sym("cuMemcpyHtoD_v2"));
  EXPECT(proc("cuLaunchKernel", 13000, CU_GET_PROC_ADDRESS_PER_THREAD_DEFAULT_STREAM, &st) ==
         sym("cuLaunchKernel_ptsz"));
  EXPECT(proc("cuInit", 13000, CU_GET_PROC_ADDRESS_PER_THREAD_DEFAULT_STREAM, &st) == sym("cuInit"));
  EXPECT(proc("cuNoSuchFunction", 13000, 0, &st) == NULL && st == CU_GET_PROC_ADDRESS_SYMBOL_NOT_FOUND);
  EXPECT(proc("cuGetProcAddress", 13000, 0, &st) == sym("cuGetProcAddress_v2"));

  /* Every exported cu* symbol answers by its base name. */
  char cmd[1024];
  snprintf(cmd, sizeof cmd, "nm -D --defined-only '%s'", lib);
  FILE *p = popen(cmd, "r");
  EXPECT(p != NULL);
  if (!p) return;
  char line[512];
  int checked = 0;
  while (fgets(line, sizeof line, p)) {
    char addr[64], type[8], name[256], base[256];
    if (sscanf(line, "%63s %7s %255s", addr, type, name) != 3 || strncmp(name, "cu", 2)) continue;
    base_name(name, base, sizeof base);
    void *fn = proc(base, 13000, 0, &st);
    void *pt = proc(base, 13000, CU_GET_PROC_ADDRESS_PER_THREAD_DEFAULT_STREAM, &st);
    static const int versions[] = {2000, 3020, 4000, 6050, 11000, 11040, 12000, 12050, 12080, 13000};
    int found = 0;
    for (size_t v = 0; v < sizeof versions / sizeof versions[0] && !found; v++)
      found = proc(base, versions[v], 0, &st) == sym(name) ||
              proc(base, versions[v], CU_GET_PROC_ADDRESS_PER_THREAD_DEFAULT_STREAM, &st) == sym(name);
    if (!fn || !pt || !found) {
      fprintf(stderr, "cuGetProcAddress does not reach exported %s (base %s)\n", name, base);
      test_failures++;
    }
    checked++;
  }
  pclose(p);
  EXPECT(checked > 150);
}

int main(int argc, char **argv) {
  if (argc != 2) return 2;
  CHECK_CU(cuInit(0));
  test_created_contexts();
  test_set_current_null();
  test_limits();
  test_primary();
  test_threads();
  test_proc_address(argv[1]);
  return test_finish("context");
}

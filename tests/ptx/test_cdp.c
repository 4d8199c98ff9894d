/* test_cdp.c - dynamic parallelism in the PTX engine alone (no driver): the kernels of
 * cu/cdp.cu (nvcc -rdc=true -ptx) launch grids from device code; checks the launch tree against
 * a count worked out in C, the nesting depth and pending launch limits, a child's fault failing
 * its host launch, device streams and events, and a refused device runtime call.
 * Usage: test_cdp PTXFILE CASE|all */
#include "test_util.h"

static ptx_module *M;

/* cudaError_t values */
enum { E_INVALID_VALUE = 1, E_MAX_DEPTH = 65, E_PENDING = 69, E_BAD_HANDLE = 400 };

static ptx_status launch(const ptx_kernel *k, unsigned gx, unsigned bx, tu_params *p, unsigned pending_limit,
                         char *err, size_t errlen) {
  ptx_launch_config c;
  memset(&c, 0, sizeof c);
  c.grid[0] = gx;
  c.grid[1] = c.grid[2] = 1;
  c.block[0] = bx;
  c.block[1] = c.block[2] = 1;
  c.params = p->buf;
  c.params_size = p->size;
  c.memory.ranges = tu_ranges;
  c.memory.count = tu_nranges;
  c.pending_launch_limit = pending_limit;
  return ptx_launch(k, &c, err, errlen);
}

/* Blocks at depth d of a fan tree: 2 at the top, then every thread launches `fanout` blocks. */
static void t_tree(void) {
  const ptx_kernel *k = tu_kernel(M, "fan");
  int *count = tu_alloc(32 * sizeof(int)), *errs = tu_alloc(32 * sizeof(int));
  const int threads = 3, fanout = 2, depth = 5;
  tu_params p;
  tu_params_init(&p, k);
  TU_PTRS(&p, count, errs);
  TU_PARAM(&p, 0);
  TU_PARAM(&p, depth);
  TU_PARAM(&p, fanout);
  char err[512] = "";
  ptx_status st = launch(k, 2, threads, &p, 0, err, sizeof err);
  CHECK(st == PTX_OK, "tree launch: %s %s", ptx_status_name(st), err);
  long blocks = 2;
  for (int d = 0; d < depth; d++) {
    CHECK(count[d] == blocks, "depth %d ran %d blocks, expected %ld", d, count[d], blocks);
    CHECK(errs[d] == 0, "depth %d launch error %d", d, errs[d]);
    blocks *= threads * fanout;
  }
  CHECK(count[depth] == 0, "a grid ran below the last level");
}

/* 24 levels of grids below the host's; the launch from depth 24 fails. */
static void t_depth(void) {
  const ptx_kernel *k = tu_kernel(M, "fan");
  int *count = tu_alloc(32 * sizeof(int)), *errs = tu_alloc(32 * sizeof(int));
  tu_params p;
  tu_params_init(&p, k);
  TU_PTRS(&p, count, errs);
  TU_PARAM(&p, 0);
  TU_PARAM(&p, 30);
  TU_PARAM(&p, 1);
  char err[512] = "";
  ptx_status st = launch(k, 1, 1, &p, 0, err, sizeof err);
  CHECK(st == PTX_OK, "deep launch: %s %s", ptx_status_name(st), err);
  for (int d = 0; d <= 24; d++) CHECK(count[d] == 1, "depth %d ran %d grids", d, count[d]);
  CHECK(count[25] == 0, "a grid ran at depth 25");
  for (int d = 0; d < 24; d++) CHECK(errs[d] == 0, "depth %d launch error %d", d, errs[d]);
  CHECK(errs[24] == E_MAX_DEPTH, "launch from depth 24: error %d, expected %d", errs[24], E_MAX_DEPTH);
}

/* 40 launches against a pending limit of 8: 8 run, 32 fail; the default limit (2048) takes all. */
static void t_pending(void) {
  const ptx_kernel *k = tu_kernel(M, "burst");
  for (int round = 0; round < 2; round++) {
    unsigned limit = round == 0 ? 8 : 0;
    int *ran = tu_alloc(sizeof(int)), *res = tu_alloc(40 * sizeof(int));
    tu_params p;
    tu_params_init(&p, k);
    TU_PTRS(&p, ran, res);
    char err[512] = "";
    ptx_status st = launch(k, 2, 20, &p, limit, err, sizeof err);
    CHECK(st == PTX_OK, "burst: %s %s", ptx_status_name(st), err);
    int ok = 0, refused = 0;
    for (int i = 0; i < 40; i++) {
      ok += res[i] == 0;
      refused += res[i] == E_PENDING;
    }
    int want = limit ? (int)limit : 40;
    CHECK(ok == want && refused == 40 - want && *ran == want, "limit %u: %d launched, %d refused, %d ran", limit, ok,
          refused, *ran);
  }
}

/* A grandchild's out-of-bounds store fails the host's launch, naming the kernels. */
static void t_fault(void) {
  const ptx_kernel *k = tu_kernel(M, "launch_bad");
  tu_params p;
  tu_params_init(&p, k);
  int *bad = (int *)(uintptr_t)64;
  TU_PTRS(&p, bad);
  char err[512] = "";
  ptx_status st = launch(k, 1, 32, &p, 0, err, sizeof err);
  CHECK(st == PTX_ERR_ILLEGAL_ADDRESS, "child fault: %s %s", ptx_status_name(st), err);
  CHECK(strstr(err, "store_at") && strstr(err, "launch_bad"), "message names both kernels: %s", err);
}

static void t_queries(void) {
  const ptx_kernel *k = tu_kernel(M, "queries");
  int *r = tu_alloc(9 * sizeof(int));
  tu_params p;
  tu_params_init(&p, k);
  TU_PTRS(&p, r);
  char err[512] = "";
  ptx_status st = launch(k, 1, 32, &p, 0, err, sizeof err);
  CHECK(st == PTX_OK, "queries: %s %s", ptx_status_name(st), err);
  CHECK(r[0] == 0 && r[1] == 0 && r[2] == 0, "stream/event calls: %d %d %d", r[0], r[1], r[2]);
  CHECK(r[3] == E_INVALID_VALUE, "blocking device stream: %d", r[3]);
  CHECK(r[4] == 0 && r[5] == 13000, "cudaRuntimeGetVersion: %d %d", r[4], r[5]);
  CHECK(r[6] == 0 && r[7] == E_BAD_HANDLE, "launch into a bad stream: ran %d, error %d", r[6], r[7]);
  CHECK(r[8] == 801, "device cudaMalloc without a heap: %d", r[8]);
}

/* Device-side cudaMemcpyAsync is not provided: the launch fails and says so. */
static void t_unsupported(void) {
  const ptx_kernel *k = tu_kernel(M, "device_memcpy");
  int *a = tu_alloc(64), *b = tu_alloc(64);
  tu_params p;
  tu_params_init(&p, k);
  TU_PTRS(&p, a, b);
  char err[512] = "";
  ptx_status st = launch(k, 1, 1, &p, 0, err, sizeof err);
  CHECK(st == PTX_ERR_UNSUPPORTED && strstr(err, "__cudaCDP2MemcpyAsync"), "device memcpy: %s %s", ptx_status_name(st),
        err);
}

static const tu_case cases[] = {
  {"tree", t_tree}, {"depth", t_depth}, {"pending", t_pending}, {"fault", t_fault},
  {"queries", t_queries}, {"unsupported", t_unsupported},
};

int main(int argc, char **argv) {
  tu_require_args(argc, argv, 2, "PTXFILE CASE|all");
  M = tu_parse_file(argv[1]);
  int ran = tu_run_cases(cases, sizeof cases / sizeof cases[0], argv[2], true, NULL);
  if (!ran) {
    fprintf(stderr, "no case %s\n", argv[2]);
    return 2;
  }
  ptx_module_free(M);
  tu_free_all();
  return tu_failures ? 1 : 0;
}

// cdp.cu - dynamic parallelism (CDP2, nvcc -rdc=true -lcudadevrt): kernels launching kernels.
// Checks, each against a CPU reference or CUDA's documented rules:
//   1. a recursive parallel sum: each grid splits its range and launches two children with a
//      parameter struct (pointer, int, double), one into the per-block NULL stream and one into
//      a created device stream; the leaves reduce with atomics;
//   2. order: a child starts after its parent's launch point, children in the same stream run
//      in order and a grid completes after its children (A, A's child, then B), a tail launch
//      runs after its parent's other work, a fire-and-forget child runs before the host sees
//      the parent complete;
//   3. cudaGetParameterBuffer + cudaLaunchDevice called explicitly, and a launch of a kernel of
//      the other translation unit (cdp_part.cu);
//   4. device-side errors: a bad launch configuration, cudaGetLastError/PeekAtLastError,
//      cudaDeviceGetAttribute and cudaGetDevice, the pending launch limit
//      (cudaErrorLaunchPendingCountExceeded) and the nesting depth limit
//      (cudaErrorLaunchMaxDepthExceeded);
//   5. last: a fault in a grandchild fails the host's launch (cudaErrorIllegalAddress).
#include "../cuda_check.h"

#include <vector>

struct Range {
  const int *v;
  int n;
  double scale;   // the leaves add v[i] * scale (scale 1.0: exact sums)
  unsigned long long *sum;
  int *max_depth;
};

// ---- 1. recursive sum
__global__ void rsum(Range r, int depth) {
  if (threadIdx.x == 0) atomicMax(r.max_depth, depth);
  if (r.n <= 1000) {
    unsigned long long s = 0;
    for (int i = threadIdx.x; i < r.n; i += blockDim.x) s += (unsigned long long)(r.v[i] * r.scale);
    atomicAdd(r.sum, s);
    return;
  }
  if (threadIdx.x != 0) return;
  Range lo = r, hi = r;
  lo.n = r.n / 2;
  hi.v = r.v + lo.n;
  hi.n = r.n - lo.n;
  rsum<<<1, 64>>>(lo, depth + 1);
  cudaStream_t s;
  cudaStreamCreateWithFlags(&s, cudaStreamNonBlocking);
  rsum<<<1, 64, 0, s>>>(hi, depth + 1);
  cudaStreamDestroy(s);
}

// ---- 2. order
__device__ int g_seq;
__global__ void record(int *log, int slot) {
  if (threadIdx.x == 0 && blockIdx.x == 0) log[slot] = atomicAdd(&g_seq, 1);
}
__global__ void record_then_child(int *log, int slot, int child_slot) {
  if (threadIdx.x == 0 && blockIdx.x == 0) {
    log[slot] = atomicAdd(&g_seq, 1);
    record<<<1, 32>>>(log, child_slot);
  }
}
enum { SLOT_A, SLOT_A_CHILD, SLOT_B, SLOT_TAIL, SLOT_FAF, SLOT_OTHER, SLOT_PARENT, NSLOTS };
__global__ void order_parent(int *log) {
  if (threadIdx.x == 0) {
    log[SLOT_PARENT] = atomicAdd(&g_seq, 1);   // before the launches: the children see it done
    record<<<1, 32, 0, cudaStreamTailLaunch>>>(log, SLOT_TAIL);   // issued first, runs last
    record_then_child<<<2, 32>>>(log, SLOT_A, SLOT_A_CHILD);
    record<<<1, 32>>>(log, SLOT_B);
    record<<<1, 32, 0, cudaStreamFireAndForget>>>(log, SLOT_FAF);
  }
  if (threadIdx.x == 1) {
    cudaStream_t s;
    cudaStreamCreateWithFlags(&s, cudaStreamNonBlocking);
    record<<<3, 32, 0, s>>>(log, SLOT_OTHER);
    cudaStreamDestroy(s);
  }
}

// ---- 3. explicit parameter buffer
__global__ void add3(int *out, int a, long long b) {
  out[blockIdx.x * blockDim.x + threadIdx.x] = a + (int)b + (int)threadIdx.x;
}
__global__ void explicit_launch(int *out) {
  if (threadIdx.x != 0) return;
  char *buf = (char *)cudaGetParameterBuffer(8, 24);
  if (!buf) return;
  *(int **)buf = out;
  *(int *)(buf + 8) = 40;
  *(long long *)(buf + 16) = 2;
  cudaLaunchDevice((void *)add3, buf, dim3(2), dim3(16), 0, 0);
}

// a kernel of the other translation unit (cdp_part.cu)
__global__ void part_fill(int *out, int value);
__global__ void launch_part(int *out) {
  if (threadIdx.x == 0) part_fill<<<2, 8>>>(out, 100);
}

// ---- 4. errors and queries
enum { E_BAD_CONFIG, E_LAST_AFTER, E_PEEK, E_CLEARED, E_ATTR_RC, E_SMS, E_DEVICE, E_NERR };
__global__ void noop(int *p) { if (p) atomicAdd(p, 1); }
__global__ void errors(int *e) {
  if (threadIdx.x != 0) return;
  noop<<<1, 2048>>>(nullptr);                 // more threads than a block may have
  e[E_PEEK] = cudaPeekAtLastError();
  e[E_BAD_CONFIG] = cudaGetLastError();
  e[E_CLEARED] = cudaGetLastError();
  noop<<<1, 32>>>(nullptr);
  e[E_LAST_AFTER] = cudaGetLastError();
  int sms = -1, dev = -1;
  e[E_ATTR_RC] = cudaDeviceGetAttribute(&sms, cudaDevAttrMultiProcessorCount, 0);
  e[E_SMS] = sms;
  cudaGetDevice(&dev);
  e[E_DEVICE] = dev;
}

__global__ void many_launches(int *results, int *ran) {
  noop<<<1, 1>>>(ran);
  results[blockIdx.x * blockDim.x + threadIdx.x] = cudaGetLastError();
}

// Launches itself until a launch fails; depth_err[d] = the error of the launch made at depth d.
__global__ void deep(int *depth_err, int depth) {
  deep<<<1, 1>>>(depth_err, depth + 1);
  depth_err[depth] = cudaGetLastError();
}

// ---- 5. a fault two levels down
__global__ void bad_store(int *p) { p[threadIdx.x] = 1; }
__global__ void faulty_child() { bad_store<<<1, 32>>>((int *)64); }
__global__ void faulty_parent() { if (threadIdx.x == 0) faulty_child<<<1, 1>>>(); }

static int check(bool ok, const char *what) {
  if (!ok) printf("  mismatch: %s\n", what);
  return ok ? 0 : 1;
}

int main() {
  int failures = 0;
  // 1. recursive sum of 50000 values over 64 leaves
  const int n = 50000;
  std::vector<int> h(n);
  unsigned long long ref = 0;
  for (int i = 0; i < n; i++) ref += (unsigned long long)(h[i] = (i * 7919) % 1001);
  int *dv, *dmax;
  unsigned long long *dsum;
  CUDA_CHECK(cudaMalloc(&dv, n * sizeof(int)));
  CUDA_CHECK(cudaMalloc(&dsum, sizeof *dsum));
  CUDA_CHECK(cudaMalloc(&dmax, sizeof *dmax));
  CUDA_CHECK(cudaMemcpy(dv, h.data(), n * sizeof(int), cudaMemcpyHostToDevice));
  CUDA_CHECK(cudaMemset(dsum, 0, sizeof *dsum));
  CUDA_CHECK(cudaMemset(dmax, 0, sizeof *dmax));
  rsum<<<1, 64>>>(Range{dv, n, 1.0, dsum, dmax}, 0);
  CUDA_CHECK_LAUNCH();
  unsigned long long sum = 0;
  int maxd = 0;
  CUDA_CHECK(cudaMemcpy(&sum, dsum, sizeof sum, cudaMemcpyDeviceToHost));
  CUDA_CHECK(cudaMemcpy(&maxd, dmax, sizeof maxd, cudaMemcpyDeviceToHost));
  failures += check(sum == ref, "recursive sum");
  failures += check(maxd == 6, "recursion depth of the sum (50000 -> leaves of <= 1000: 6 levels)");

  // 2. order
  int *dlog, hlog[NSLOTS];
  CUDA_CHECK(cudaMalloc(&dlog, sizeof hlog));
  CUDA_CHECK(cudaMemset(dlog, 0xff, sizeof hlog));
  order_parent<<<1, 64>>>(dlog);
  CUDA_CHECK_LAUNCH();
  CUDA_CHECK(cudaMemcpy(hlog, dlog, sizeof hlog, cudaMemcpyDeviceToHost));
  bool all_ran = true;
  for (int i = 0; i < NSLOTS; i++) all_ran &= hlog[i] >= 0;
  failures += check(all_ran, "every child, the tail launch and the fire-and-forget child ran");
  failures += check(hlog[SLOT_PARENT] < hlog[SLOT_A], "children start after the launch point");
  failures += check(hlog[SLOT_A] < hlog[SLOT_A_CHILD] && hlog[SLOT_A_CHILD] < hlog[SLOT_B],
                    "same stream in order, a grid completes after its child");
  bool tail_last = true;
  for (int i = 0; i < NSLOTS; i++) tail_last &= i == SLOT_TAIL || i == SLOT_FAF || hlog[i] < hlog[SLOT_TAIL];
  failures += check(tail_last, "the tail launch runs after all other work of its parent");

  // 3. explicit cudaGetParameterBuffer + cudaLaunchDevice
  int *dout, hout[32];
  CUDA_CHECK(cudaMalloc(&dout, sizeof hout));
  CUDA_CHECK(cudaMemset(dout, 0, sizeof hout));
  explicit_launch<<<1, 32>>>(dout);
  CUDA_CHECK_LAUNCH();
  CUDA_CHECK(cudaMemcpy(hout, dout, sizeof hout, cudaMemcpyDeviceToHost));
  bool explicit_ok = true;
  for (int i = 0; i < 32; i++) explicit_ok &= hout[i] == 42 + i % 16;
  failures += check(explicit_ok, "cudaLaunchDevice with an explicit parameter buffer");
  CUDA_CHECK(cudaMemset(dout, 0, sizeof hout));
  launch_part<<<1, 32>>>(dout);
  CUDA_CHECK_LAUNCH();
  CUDA_CHECK(cudaMemcpy(hout, dout, sizeof hout, cudaMemcpyDeviceToHost));
  bool part_ok = true;
  for (int i = 0; i < 32; i++) part_ok &= hout[i] == (i < 16 ? 100 + i % 8 : 0);
  failures += check(part_ok, "a device-side launch of another translation unit's kernel");

  // 4. errors and queries
  int *de, he[E_NERR], sms = 0;
  CUDA_CHECK(cudaMalloc(&de, sizeof he));
  errors<<<1, 32>>>(de);
  CUDA_CHECK_LAUNCH();
  CUDA_CHECK(cudaMemcpy(he, de, sizeof he, cudaMemcpyDeviceToHost));
  CUDA_CHECK(cudaDeviceGetAttribute(&sms, cudaDevAttrMultiProcessorCount, 0));
  failures += check(he[E_BAD_CONFIG] == cudaErrorInvalidConfiguration, "bad child configuration");
  failures += check(he[E_PEEK] == he[E_BAD_CONFIG], "cudaPeekAtLastError");
  failures += check(he[E_CLEARED] == cudaSuccess && he[E_LAST_AFTER] == cudaSuccess, "cudaGetLastError resets");
  failures += check(he[E_ATTR_RC] == cudaSuccess && he[E_SMS] == sms, "device-side cudaDeviceGetAttribute");
  failures += check(he[E_DEVICE] == 0, "device-side cudaGetDevice");

  // the pending launch limit: 64 launches against a limit of 16
  const int nl = 64;
  int *dres, *dran, hres[nl], ran = 0;
  CUDA_CHECK(cudaMalloc(&dres, sizeof hres));
  CUDA_CHECK(cudaMalloc(&dran, sizeof ran));
  CUDA_CHECK(cudaMemset(dran, 0, sizeof ran));
  size_t old_limit = 0, limit = 0;
  CUDA_CHECK(cudaDeviceGetLimit(&old_limit, cudaLimitDevRuntimePendingLaunchCount));
  CUDA_CHECK(cudaDeviceSetLimit(cudaLimitDevRuntimePendingLaunchCount, 16));
  CUDA_CHECK(cudaDeviceGetLimit(&limit, cudaLimitDevRuntimePendingLaunchCount));
  many_launches<<<2, nl / 2>>>(dres, dran);
  CUDA_CHECK_LAUNCH();
  CUDA_CHECK(cudaDeviceSetLimit(cudaLimitDevRuntimePendingLaunchCount, old_limit));
  CUDA_CHECK(cudaMemcpy(hres, dres, sizeof hres, cudaMemcpyDeviceToHost));
  CUDA_CHECK(cudaMemcpy(&ran, dran, sizeof ran, cudaMemcpyDeviceToHost));
  int ok = 0, refused = 0;
  for (int i = 0; i < nl; i++) {
    ok += hres[i] == cudaSuccess;
    refused += hres[i] == cudaErrorLaunchPendingCountExceeded;
  }
  failures += check(old_limit == 2048 && limit == 16, "cudaLimitDevRuntimePendingLaunchCount");
  failures += check(ok + refused == nl && ok >= 16 && refused > 0 && ran == ok,
                    "launches beyond the pending limit fail with cudaErrorLaunchPendingCountExceeded");

  // the nesting depth limit: 24 levels below the host's grid
  int *dd, hd[32];
  CUDA_CHECK(cudaMalloc(&dd, sizeof hd));
  CUDA_CHECK(cudaMemset(dd, 0xff, sizeof hd));
  deep<<<1, 1>>>(dd, 0);
  CUDA_CHECK_LAUNCH();
  CUDA_CHECK(cudaMemcpy(hd, dd, sizeof hd, cudaMemcpyDeviceToHost));
  bool depth_ok = hd[24] == cudaErrorLaunchMaxDepthExceeded && hd[25] == -1;
  for (int d = 0; d < 24; d++) depth_ok &= hd[d] == cudaSuccess;
  failures += check(depth_ok, "launches below depth 24 fail with cudaErrorLaunchMaxDepthExceeded");

  printf("  sum %llu (ref %llu), order A %d A-child %d B %d tail %d faf %d other %d parent %d, %d of %d under the limit\n",
         sum, ref, hlog[SLOT_A], hlog[SLOT_A_CHILD], hlog[SLOT_B], hlog[SLOT_TAIL], hlog[SLOT_FAF], hlog[SLOT_OTHER],
         hlog[SLOT_PARENT], ok, nl);

  // 5. a fault in a grandchild is the host launch's error (and the context's, for good)
  faulty_parent<<<1, 32>>>();
  cudaError_t launch = cudaGetLastError();
  cudaError_t sync = cudaDeviceSynchronize();
  failures += check(launch == cudaSuccess && sync == cudaErrorIllegalAddress, "a grandchild's fault fails the launch");

  printf("%s cdp (%d mismatches)\n", failures ? "FAIL" : "PASS", failures);
  return failures ? 1 : 0;
}

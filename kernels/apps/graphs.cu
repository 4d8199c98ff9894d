// graphs.cu - CUDA graphs the way simpleCudaGraphs, jacobiCudaGraphs and capture-based
// frameworks use them: stream capture of copies, kernels, memsets and host functions (with a
// fork/join over a second stream) replayed N times; an explicit graph with a diamond of
// dependencies, a memset node, a child graph and a host node; updating an executable graph
// (cudaGraphExecKernelNodeSetParams, cudaGraphExecUpdate); and the capture errors CUDA
// documents (synchronising or allocating during capture, an unjoined fork, legacy-stream work).
// Every result is compared with a CPU reference.
#include "../cuda_check.h"
#include <algorithm>
#include <chrono>
#include <string.h>
#include <thread>
#include <unistd.h>
#include <vector>

__global__ void scale_add(float *x, int n, float scale, float add) {
  int i = blockIdx.x * blockDim.x + threadIdx.x;
  if (i < n) x[i] = x[i] * scale + add;
}

__global__ void accumulate(float *y, const float *x, int n) {
  int i = blockIdx.x * blockDim.x + threadIdx.x;
  if (i < n) y[i] += x[i];
}

__global__ void add_range(int *d, int begin, int end, int value) {
  int i = begin + blockIdx.x * blockDim.x + threadIdx.x;
  if (i < end) d[i] += value;
}

__global__ void twice(int *out, const int *in, int n) {
  int i = blockIdx.x * blockDim.x + threadIdx.x;
  if (i < n) out[i] = 2 * in[i];
}

static const int N = 4096, BLOCK = 128, GRID = (N + BLOCK - 1) / BLOCK;

static void CUDART_CB count_call(void *user) { ++*(int *)user; }

struct host_check {
  const int *host;
  long long sum;
  int calls;
};

static void CUDART_CB sum_host(void *user) {
  host_check *c = (host_check *)user;
  c->sum = 0;
  for (int i = 0; i < N; i++) c->sum += c->host[i];
  c->calls++;
}

static size_t node_count(cudaGraph_t g) {
  size_t n = 0;
  CUDA_CHECK(cudaGraphGetNodes(g, nullptr, &n));
  return n;
}

// 1. Capture H2D copy, two kernels on two streams (fork/join through events), a host function
//    and a D2H copy; nothing runs during capture; the graph replays LAUNCHES times.
static void captured_sequence() {
  const int launches = 5;
  std::vector<float> h(N), out(N);
  for (int i = 0; i < N; i++) h[i] = (float)(i % 97);
  float *x, *y;
  CUDA_CHECK(cudaMalloc(&x, N * sizeof(float)));
  CUDA_CHECK(cudaMalloc(&y, N * sizeof(float)));
  CUDA_CHECK(cudaMemset(y, 0, N * sizeof(float)));
  cudaStream_t s, side;
  CUDA_CHECK(cudaStreamCreate(&s));
  CUDA_CHECK(cudaStreamCreateWithFlags(&side, cudaStreamNonBlocking));
  cudaEvent_t fork, join;
  CUDA_CHECK(cudaEventCreateWithFlags(&fork, cudaEventDisableTiming));
  CUDA_CHECK(cudaEventCreateWithFlags(&join, cudaEventDisableTiming));
  int host_calls = 0;

  CUDA_CHECK(cudaStreamBeginCapture(s, cudaStreamCaptureModeGlobal));
  cudaStreamCaptureStatus status;
  CUDA_CHECK(cudaStreamIsCapturing(s, &status));
  EXPECT(status == cudaStreamCaptureStatusActive);
  CUDA_CHECK(cudaMemcpyAsync(x, h.data(), N * sizeof(float), cudaMemcpyHostToDevice, s));
  scale_add<<<GRID, BLOCK, 0, s>>>(x, N, 2.0f, 1.0f);
  CUDA_CHECK_LAUNCH();
  CUDA_CHECK(cudaEventRecord(fork, s));
  CUDA_CHECK(cudaStreamWaitEvent(side, fork, 0));  // side joins the capture
  CUDA_CHECK(cudaStreamIsCapturing(side, &status));
  EXPECT(status == cudaStreamCaptureStatusActive);
  accumulate<<<GRID, BLOCK, 0, side>>>(y, x, N);
  CUDA_CHECK_LAUNCH();
  CUDA_CHECK(cudaLaunchHostFunc(s, count_call, &host_calls));  // concurrent with side's kernel
  CUDA_CHECK(cudaEventRecord(join, side));
  CUDA_CHECK(cudaStreamWaitEvent(s, join, 0));
  unsigned long long id = 0;
  size_t ndeps = 0;
  CUDA_CHECK(cudaStreamGetCaptureInfo(s, &status, &id, nullptr, nullptr, nullptr, &ndeps));
  EXPECT(status == cudaStreamCaptureStatusActive && id != 0 && ndeps == 2);
  CUDA_CHECK(cudaMemcpyAsync(out.data(), y, N * sizeof(float), cudaMemcpyDeviceToHost, s));
  cudaGraph_t graph;
  CUDA_CHECK(cudaStreamEndCapture(s, &graph));
  CUDA_CHECK(cudaStreamIsCapturing(side, &status));
  EXPECT(status == cudaStreamCaptureStatusNone);
  EXPECT(node_count(graph) == 5);  // event record/wait are edges, not nodes
  size_t roots = 0;
  CUDA_CHECK(cudaGraphGetRootNodes(graph, nullptr, &roots));
  EXPECT(roots == 1);
  cudaGraphNode_t root;
  cudaGraphNodeType type;
  CUDA_CHECK(cudaGraphGetRootNodes(graph, &root, &roots));
  CUDA_CHECK(cudaGraphNodeGetType(root, &type));
  EXPECT(type == cudaGraphNodeTypeMemcpy);

  // Captured <<<>>> launches report the kernel as the program knows it (jacobiCudaGraphs).
  cudaGraphNode_t nodes[5];
  size_t count = 5;
  int kernels = 0;
  CUDA_CHECK(cudaGraphGetNodes(graph, nodes, &count));
  for (size_t i = 0; i < count; i++) {
    CUDA_CHECK(cudaGraphNodeGetType(nodes[i], &type));
    if (type != cudaGraphNodeTypeKernel) continue;
    cudaKernelNodeParams p;
    CUDA_CHECK(cudaGraphKernelNodeGetParams(nodes[i], &p));
    kernels += p.func == (void *)scale_add || p.func == (void *)accumulate;
  }
  EXPECT(kernels == 2);

  // Capture only recorded: nothing ran.
  std::vector<float> check(N);
  CUDA_CHECK(cudaMemcpy(check.data(), y, N * sizeof(float), cudaMemcpyDeviceToHost));
  EXPECT(check[5] == 0.0f && host_calls == 0);

  cudaGraphExec_t exec;
  CUDA_CHECK(cudaGraphInstantiate(&exec, graph, 0));
  for (int i = 0; i < launches; i++) CUDA_CHECK(cudaGraphLaunch(exec, s));
  CUDA_CHECK(cudaStreamSynchronize(s));
  int bad = 0;
  for (int i = 0; i < N; i++) bad += out[i] != launches * (h[i] * 2.0f + 1.0f);
  EXPECT(bad == 0);
  EXPECT(host_calls == launches);

  // A graph launch captured into another graph becomes a child graph node.
  CUDA_CHECK(cudaStreamBeginCapture(s, cudaStreamCaptureModeThreadLocal));
  CUDA_CHECK(cudaGraphLaunch(exec, s));
  scale_add<<<GRID, BLOCK, 0, s>>>(y, N, 0.0f, 0.0f);
  CUDA_CHECK_LAUNCH();
  cudaGraph_t outer;
  CUDA_CHECK(cudaStreamEndCapture(s, &outer));
  EXPECT(node_count(outer) == 2);
  CUDA_CHECK(cudaGraphGetRootNodes(outer, &root, &(roots = 1)));
  CUDA_CHECK(cudaGraphNodeGetType(root, &type));
  EXPECT(type == cudaGraphNodeTypeGraph);
  cudaGraphExec_t outer_exec;
  CUDA_CHECK(cudaGraphInstantiate(&outer_exec, outer, 0));
  CUDA_CHECK(cudaMemset(y, 0, N * sizeof(float)));
  CUDA_CHECK(cudaGraphLaunch(outer_exec, s));  // y = 0 + x, copied out, then zeroed
  CUDA_CHECK(cudaStreamSynchronize(s));
  bad = 0;
  for (int i = 0; i < N; i++) bad += out[i] != h[i] * 2.0f + 1.0f;
  EXPECT(bad == 0 && host_calls == launches + 1);

  CUDA_CHECK(cudaGraphExecDestroy(outer_exec));
  CUDA_CHECK(cudaGraphDestroy(outer));
  CUDA_CHECK(cudaGraphExecDestroy(exec));
  CUDA_CHECK(cudaGraphDestroy(graph));
  CUDA_CHECK(cudaEventDestroy(fork));
  CUDA_CHECK(cudaEventDestroy(join));
  CUDA_CHECK(cudaStreamDestroy(side));
  CUDA_CHECK(cudaStreamDestroy(s));
  CUDA_CHECK(cudaFree(x));
  CUDA_CHECK(cudaFree(y));
  printf("  captured sequence: %d launches, fork/join, host node, nested graph launch\n", launches);
}

static void kernel_params(cudaKernelNodeParams *p, void *func, void **args, int blocks) {
  *p = cudaKernelNodeParams{};
  p->func = func;
  p->gridDim = dim3(blocks);
  p->blockDim = dim3(BLOCK);
  p->kernelParams = args;
}

static long long expected_sum(int low, int high, int child_add) {
  long long sum = 0;
  for (int i = 0; i < N; i++) sum += 2 * (i < N / 2 ? low : high) + child_add;
  return sum;
}

// 2. An explicit graph: memset → {add low half, add high half} → twice → child graph (+1) →
//    copy to host → host node summing the host buffer; then updates of the executable graph.
static void explicit_graph() {
  int *d, *out, *host;
  CUDA_CHECK(cudaMalloc(&d, N * sizeof(int)));
  CUDA_CHECK(cudaMalloc(&out, N * sizeof(int)));
  CUDA_CHECK(cudaMallocHost(&host, N * sizeof(int)));
  host_check check = {host, 0, 0};
  cudaGraph_t g, child;
  CUDA_CHECK(cudaGraphCreate(&g, 0));
  CUDA_CHECK(cudaGraphCreate(&child, 0));

  cudaMemsetParams ms = {};
  ms.dst = d;
  ms.value = 0;
  ms.elementSize = 4;
  ms.width = N;
  ms.height = 1;
  cudaGraphNode_t zero, low, high, dbl, sub, copy, sum;
  CUDA_CHECK(cudaGraphAddMemsetNode(&zero, g, nullptr, 0, &ms));

  int begin_low = 0, end_low = N / 2, begin_high = N / 2, end_high = N, low_v = 3, high_v = 5, n = N;
  void *low_args[] = {&d, &begin_low, &end_low, &low_v};
  void *high_args[] = {&d, &begin_high, &end_high, &high_v};
  cudaKernelNodeParams kp;
  kernel_params(&kp, (void *)add_range, low_args, GRID / 2);
  CUDA_CHECK(cudaGraphAddKernelNode(&low, g, &zero, 1, &kp));
  low_v = 1000;  // the node copied the arguments when it was added
  kernel_params(&kp, (void *)add_range, high_args, GRID / 2);
  CUDA_CHECK(cudaGraphAddKernelNode(&high, g, &zero, 1, &kp));
  void *twice_args[] = {&out, &d, &n};
  kernel_params(&kp, (void *)twice, twice_args, GRID);
  CUDA_CHECK(cudaGraphAddKernelNode(&dbl, g, nullptr, 0, &kp));
  cudaGraphNode_t from[] = {low, high}, to[] = {dbl, dbl};
  CUDA_CHECK(cudaGraphAddDependencies(g, from, to, nullptr, 2));

  int begin_all = 0, one = 1;
  void *child_args[] = {&out, &begin_all, &n, &one};
  kernel_params(&kp, (void *)add_range, child_args, GRID);
  cudaGraphNode_t child_kernel;
  CUDA_CHECK(cudaGraphAddKernelNode(&child_kernel, child, nullptr, 0, &kp));
  CUDA_CHECK(cudaGraphAddChildGraphNode(&sub, g, &dbl, 1, child));
  CUDA_CHECK(cudaGraphAddMemcpyNode1D(&copy, g, &sub, 1, host, out, N * sizeof(int), cudaMemcpyDeviceToHost));
  cudaHostNodeParams hp = {sum_host, &check};
  CUDA_CHECK(cudaGraphAddHostNode(&sum, g, &copy, 1, &hp));

  EXPECT(node_count(g) == 7);
  size_t count = 0;
  CUDA_CHECK(cudaGraphNodeGetDependencies(dbl, nullptr, nullptr, &count));
  EXPECT(count == 2);
  CUDA_CHECK(cudaGraphNodeGetDependentNodes(zero, nullptr, nullptr, &count));
  EXPECT(count == 2);
  cudaKernelNodeParams got;
  CUDA_CHECK(cudaGraphKernelNodeGetParams(low, &got));
  EXPECT(got.func == (void *)add_range && got.gridDim.x == (unsigned)GRID / 2 && *(int *)got.kernelParams[3] == 3);
  char dot[512];
  const char *tmp = getenv("TMPDIR");
  snprintf(dot, sizeof dot, "%s/graphs_debug_%d.dot", tmp && *tmp ? tmp : "/tmp", (int)getpid());
  CUDA_CHECK(cudaGraphDebugDotPrint(g, dot, cudaGraphDebugDotFlagsVerbose));
  FILE *f = fopen(dot, "r");
  char text[4096] = {0};
  if (f) {
    EXPECT(fread(text, 1, sizeof text - 1, f) > 0);
    fclose(f);
  }
  EXPECT(strstr(text, "digraph") && strstr(text, "->") && strstr(text, "add_range"));
  remove(dot);

  cudaStream_t s;
  CUDA_CHECK(cudaStreamCreateWithFlags(&s, cudaStreamNonBlocking));
  cudaGraphExec_t exec;
  CUDA_CHECK(cudaGraphInstantiateWithFlags(&exec, g, 0));
  for (int i = 0; i < 3; i++) CUDA_CHECK(cudaGraphLaunch(exec, s));
  CUDA_CHECK(cudaStreamSynchronize(s));
  EXPECT(check.calls == 3 && check.sum == expected_sum(3, 5, 1));
  for (int i = 0; i < N; i += 511) EXPECT(host[i] == 2 * (i < N / 2 ? 3 : 5) + 1);

  // cudaGraphExecKernelNodeSetParams: the executable graph changes, the graph does not.
  low_v = 7;
  kernel_params(&kp, (void *)add_range, low_args, GRID / 2);
  CUDA_CHECK(cudaGraphExecKernelNodeSetParams(exec, low, &kp));
  CUDA_CHECK(cudaGraphLaunch(exec, s));
  CUDA_CHECK(cudaStreamSynchronize(s));
  EXPECT(check.sum == expected_sum(7, 5, 1));
  CUDA_CHECK(cudaGraphKernelNodeGetParams(low, &got));
  EXPECT(*(int *)got.kernelParams[3] == 3);

  // cudaGraphExecUpdate from a clone with other parameters: same topology, so it succeeds.
  cudaGraph_t clone;
  CUDA_CHECK(cudaGraphClone(&clone, g));
  cudaGraphNode_t high_clone;
  CUDA_CHECK(cudaGraphNodeFindInClone(&high_clone, high, clone));
  high_v = 9;
  kernel_params(&kp, (void *)add_range, high_args, GRID / 2);
  CUDA_CHECK(cudaGraphKernelNodeSetParams(high_clone, &kp));
  cudaGraphExecUpdateResultInfo info;
  CUDA_CHECK(cudaGraphExecUpdate(exec, clone, &info));
  EXPECT(info.result == cudaGraphExecUpdateSuccess);
  CUDA_CHECK(cudaGraphLaunch(exec, s));
  CUDA_CHECK(cudaStreamSynchronize(s));
  EXPECT(check.sum == expected_sum(3, 9, 1));  // the clone's low node still adds 3
  // A changed topology cannot be applied.
  cudaGraphNode_t extra, sum_clone;
  CUDA_CHECK(cudaGraphNodeFindInClone(&sum_clone, sum, clone));
  EXPECT(cudaGraphAddEmptyNode(&extra, clone, &sum, 1) == cudaErrorInvalidValue);  // not clone's node
  cudaGetLastError();
  CUDA_CHECK(cudaGraphAddEmptyNode(&extra, clone, &sum_clone, 1));
  EXPECT(cudaGraphExecUpdate(exec, clone, &info) == cudaErrorGraphExecUpdateFailure);
  EXPECT(info.result == cudaGraphExecUpdateErrorTopologyChanged);
  cudaGetLastError();

  CUDA_CHECK(cudaGraphExecDestroy(exec));
  CUDA_CHECK(cudaGraphDestroy(clone));
  CUDA_CHECK(cudaGraphDestroy(child));
  CUDA_CHECK(cudaGraphDestroy(g));
  CUDA_CHECK(cudaStreamDestroy(s));
  CUDA_CHECK(cudaFreeHost(host));
  CUDA_CHECK(cudaFree(d));
  CUDA_CHECK(cudaFree(out));
  printf("  explicit graph: diamond, memset, child graph, host node, exec updates\n");
}

// 3. Editing graphs: simpleCudaGraphs-style 3D-parameter copy nodes, edges, disabling and
//    destroying nodes; a capture that allocates and frees with cudaMallocAsync/cudaFreeAsync.
static void graph_editing() {
  std::vector<float> h(N), out(N);
  for (int i = 0; i < N; i++) h[i] = (float)(i % 13);
  float *x;
  CUDA_CHECK(cudaMalloc(&x, N * sizeof(float)));
  cudaGraph_t g;
  CUDA_CHECK(cudaGraphCreate(&g, 0));
  cudaMemcpy3DParms cp = {};
  cp.srcPtr = make_cudaPitchedPtr(h.data(), N * sizeof(float), N, 1);
  cp.dstPtr = make_cudaPitchedPtr(x, N * sizeof(float), N, 1);
  cp.extent = make_cudaExtent(N * sizeof(float), 1, 1);
  cp.kind = cudaMemcpyHostToDevice;
  cudaGraphNode_t in, kernel, back, spare, loose;
  CUDA_CHECK(cudaGraphAddMemcpyNode(&in, g, nullptr, 0, &cp));
  int n = N;
  float scale = 2.0f, add = 1.0f, zero = 0.0f;
  void *args[] = {&x, &n, &scale, &add};
  cudaKernelNodeParams kp;
  kernel_params(&kp, (void *)scale_add, args, GRID);
  CUDA_CHECK(cudaGraphAddKernelNode(&kernel, g, &in, 1, &kp));
  void *zero_args[] = {&x, &n, &zero, &zero};
  kernel_params(&kp, (void *)scale_add, zero_args, GRID);
  CUDA_CHECK(cudaGraphAddKernelNode(&spare, g, &kernel, 1, &kp));  // would zero x: destroyed below
  CUDA_CHECK(cudaGraphAddMemcpyNode1D(&back, g, &spare, 1, out.data(), x, N * sizeof(float), cudaMemcpyDeviceToHost));
  CUDA_CHECK(cudaGraphAddEmptyNode(&loose, g, &kernel, 1));
  CUDA_CHECK(cudaGraphDestroyNode(spare));
  CUDA_CHECK(cudaGraphAddDependencies(g, &kernel, &back, nullptr, 1));
  CUDA_CHECK(cudaGraphRemoveDependencies(g, &kernel, &loose, nullptr, 1));
  EXPECT(cudaGraphRemoveDependencies(g, &kernel, &loose, nullptr, 1) == cudaErrorInvalidValue);
  cudaGetLastError();
  size_t count = 0;
  CUDA_CHECK(cudaGraphGetNodes(g, nullptr, &count));
  EXPECT(count == 4);
  CUDA_CHECK(cudaGraphGetRootNodes(g, nullptr, &count));
  EXPECT(count == 2);
  cudaGraphNode_t from[4], to[4];
  count = 4;
  CUDA_CHECK(cudaGraphGetEdges(g, from, to, nullptr, &count));
  EXPECT(count == 2 && from[0] == in && to[0] == kernel && from[1] == kernel && to[1] == back);
  cudaMemcpy3DParms got = {};
  CUDA_CHECK(cudaGraphMemcpyNodeGetParams(in, &got));
  EXPECT(got.extent.width == N * sizeof(float) && got.kind == cudaMemcpyHostToDevice && got.srcPtr.ptr == h.data());

  cudaStream_t s;
  CUDA_CHECK(cudaStreamCreate(&s));
  cudaGraphExec_t exec;
  CUDA_CHECK(cudaGraphInstantiate(&exec, g, 0));
  CUDA_CHECK(cudaGraphLaunch(exec, s));
  CUDA_CHECK(cudaStreamSynchronize(s));
  int bad = 0;
  for (int i = 0; i < N; i++) bad += out[i] != h[i] * 2.0f + 1.0f;
  EXPECT(bad == 0);
  CUDA_CHECK(cudaGraphNodeSetEnabled(exec, kernel, 0));  // a copy in and straight back
  unsigned enabled = 1;
  CUDA_CHECK(cudaGraphNodeGetEnabled(exec, kernel, &enabled));
  EXPECT(enabled == 0);
  EXPECT(cudaGraphNodeSetEnabled(exec, loose, 0) == cudaErrorInvalidValue);  // empty nodes cannot be
  cudaGetLastError();
  CUDA_CHECK(cudaGraphLaunch(exec, s));
  CUDA_CHECK(cudaStreamSynchronize(s));
  bad = 0;
  for (int i = 0; i < N; i++) bad += out[i] != h[i];
  EXPECT(bad == 0);
  CUDA_CHECK(cudaGraphExecDestroy(exec));
  CUDA_CHECK(cudaGraphDestroy(g));

  // Stream-ordered allocation inside a capture (graphMemoryNodes-style).
  CUDA_CHECK(cudaStreamBeginCapture(s, cudaStreamCaptureModeGlobal));
  float *tmp = nullptr;
  CUDA_CHECK(cudaMallocAsync(&tmp, N * sizeof(float), s));
  CUDA_CHECK(cudaMemcpyAsync(tmp, h.data(), N * sizeof(float), cudaMemcpyHostToDevice, s));
  scale_add<<<GRID, BLOCK, 0, s>>>(tmp, N, 3.0f, 0.0f);
  CUDA_CHECK_LAUNCH();
  CUDA_CHECK(cudaMemcpyAsync(out.data(), tmp, N * sizeof(float), cudaMemcpyDeviceToHost, s));
  CUDA_CHECK(cudaFreeAsync(tmp, s));
  CUDA_CHECK(cudaStreamEndCapture(s, &g));
  CUDA_CHECK(cudaGraphGetNodes(g, nullptr, &count));
  EXPECT(count == 5);
  cudaGraphNode_t first;
  cudaGraphNodeType type;
  CUDA_CHECK(cudaGraphGetRootNodes(g, &first, &(count = 1)));
  CUDA_CHECK(cudaGraphNodeGetType(first, &type));
  EXPECT(type == cudaGraphNodeTypeMemAlloc);
  CUDA_CHECK(cudaGraphInstantiate(&exec, g, 0));
  for (int r = 0; r < 2; r++) {
    std::fill(out.begin(), out.end(), -1.0f);
    CUDA_CHECK(cudaGraphLaunch(exec, s));
    CUDA_CHECK(cudaStreamSynchronize(s));
    bad = 0;
    for (int i = 0; i < N; i++) bad += out[i] != h[i] * 3.0f;
    EXPECT(bad == 0);
  }
  CUDA_CHECK(cudaGraphExecDestroy(exec));
  CUDA_CHECK(cudaGraphDestroy(g));

  // Explicit memory nodes: alloc → fill → copy out → free.
  CUDA_CHECK(cudaGraphCreate(&g, 0));
  cudaMemAllocNodeParams ap = {};
  ap.poolProps.allocType = cudaMemAllocationTypePinned;
  ap.poolProps.location.type = cudaMemLocationTypeDevice;
  ap.poolProps.location.id = 0;
  ap.bytesize = N * sizeof(float);
  cudaGraphNode_t alloc, fill, copy_out, release;
  CUDA_CHECK(cudaGraphAddMemAllocNode(&alloc, g, nullptr, 0, &ap));
  EXPECT(ap.dptr != nullptr);
  float *mem = (float *)ap.dptr;
  cudaMemsetParams ms = {};
  ms.dst = mem;
  ms.value = 0x3f800000;  // 1.0f
  ms.elementSize = 4;
  ms.width = N;
  ms.height = 1;
  CUDA_CHECK(cudaGraphAddMemsetNode(&fill, g, &alloc, 1, &ms));
  CUDA_CHECK(cudaGraphAddMemcpyNode1D(&copy_out, g, &fill, 1, out.data(), mem, N * sizeof(float), cudaMemcpyDeviceToHost));
  CUDA_CHECK(cudaGraphAddMemFreeNode(&release, g, &copy_out, 1, mem));
  void *freed = nullptr;
  CUDA_CHECK(cudaGraphMemFreeNodeGetParams(release, &freed));
  EXPECT(freed == mem);
  CUDA_CHECK(cudaGraphInstantiate(&exec, g, 0));
  CUDA_CHECK(cudaGraphLaunch(exec, s));
  CUDA_CHECK(cudaStreamSynchronize(s));
  bad = 0;
  for (int i = 0; i < N; i++) bad += out[i] != 1.0f;
  EXPECT(bad == 0);
  CUDA_CHECK(cudaGraphExecDestroy(exec));
  CUDA_CHECK(cudaGraphDestroy(g));
  CUDA_CHECK(cudaStreamDestroy(s));
  CUDA_CHECK(cudaFree(x));
  printf("  graph editing: 3D copy nodes, edges, disabled and destroyed nodes, memory nodes, captured cudaMallocAsync\n");
}

// Ends a capture that must fail with want, and checks no graph comes back.
static void expect_end(cudaStream_t s, cudaError_t want) {
  cudaGraph_t g = (cudaGraph_t)1;
  cudaError_t err = cudaStreamEndCapture(s, &g);
  if (err != want) printf("  end capture: %s, expected %s\n", cudaGetErrorName(err), cudaGetErrorName(want));
  EXPECT(err == want && g == nullptr);
  cudaGetLastError();
}

// 4. The capture errors.
static void capture_errors() {
  float *x;
  CUDA_CHECK(cudaMalloc(&x, N * sizeof(float)));
  cudaStream_t s, other;
  CUDA_CHECK(cudaStreamCreate(&s));
  CUDA_CHECK(cudaStreamCreateWithFlags(&other, cudaStreamNonBlocking));
  cudaStreamCaptureStatus status;

  // Synchronising the capturing stream: refused, and the capture is invalidated.
  CUDA_CHECK(cudaStreamBeginCapture(s, cudaStreamCaptureModeGlobal));
  scale_add<<<GRID, BLOCK, 0, s>>>(x, N, 1.0f, 1.0f);
  EXPECT(cudaStreamSynchronize(s) == cudaErrorStreamCaptureUnsupported);
  CUDA_CHECK(cudaStreamIsCapturing(s, &status));
  EXPECT(status == cudaStreamCaptureStatusInvalidated);
  EXPECT(cudaMemsetAsync(x, 0, 4, s) == cudaErrorStreamCaptureInvalidated);
  expect_end(s, cudaErrorStreamCaptureInvalidated);

  // Stream callbacks cannot be captured (cudaLaunchHostFunc can).
  CUDA_CHECK(cudaStreamBeginCapture(s, cudaStreamCaptureModeRelaxed));
  EXPECT(cudaStreamAddCallback(s, [](cudaStream_t, cudaError_t, void *) {}, nullptr, 0) ==
         cudaErrorStreamCaptureUnsupported);
  expect_end(s, cudaErrorStreamCaptureInvalidated);

  // cudaMalloc in global mode: refused; with the thread in relaxed mode: allowed.
  void *p = nullptr;
  CUDA_CHECK(cudaStreamBeginCapture(s, cudaStreamCaptureModeGlobal));
  EXPECT(cudaMalloc(&p, 256) == cudaErrorStreamCaptureUnsupported);
  expect_end(s, cudaErrorStreamCaptureInvalidated);
  CUDA_CHECK(cudaStreamBeginCapture(s, cudaStreamCaptureModeGlobal));
  cudaStreamCaptureMode mode = cudaStreamCaptureModeRelaxed;
  CUDA_CHECK(cudaThreadExchangeStreamCaptureMode(&mode));
  EXPECT(mode == cudaStreamCaptureModeGlobal);
  EXPECT(cudaMalloc(&p, 256) == cudaSuccess);
  CUDA_CHECK(cudaThreadExchangeStreamCaptureMode(&mode));
  cudaGraph_t g;
  CUDA_CHECK(cudaStreamEndCapture(s, &g));
  EXPECT(node_count(g) == 0);
  CUDA_CHECK(cudaGraphDestroy(g));
  CUDA_CHECK(cudaFree(p));
  // Another thread's unsafe call breaks a global capture, not a thread-local one.
  cudaError_t other_err = cudaSuccess;
  auto other_thread_malloc = [&other_err] {
    void *q = nullptr;
    other_err = cudaMalloc(&q, 256);
    if (other_err == cudaSuccess) cudaFree(q);
  };
  CUDA_CHECK(cudaStreamBeginCapture(s, cudaStreamCaptureModeGlobal));
  std::thread(other_thread_malloc).join();
  EXPECT(other_err == cudaErrorStreamCaptureUnsupported);
  expect_end(s, cudaErrorStreamCaptureInvalidated);
  CUDA_CHECK(cudaStreamBeginCapture(s, cudaStreamCaptureModeThreadLocal));
  std::thread(other_thread_malloc).join();
  EXPECT(other_err == cudaSuccess);
  EXPECT(cudaMalloc(&p, 256) == cudaErrorStreamCaptureUnsupported);  // but this thread's is
  expect_end(s, cudaErrorStreamCaptureInvalidated);

  // A relaxed capture does not forbid anything.
  CUDA_CHECK(cudaStreamBeginCapture(s, cudaStreamCaptureModeRelaxed));
  EXPECT(cudaMalloc(&p, 256) == cudaSuccess);
  CUDA_CHECK(cudaStreamEndCapture(s, &g));
  CUDA_CHECK(cudaGraphDestroy(g));
  CUDA_CHECK(cudaFree(p));

  // Destroying a capturing stream ends its capture: nothing is forbidden afterwards.
  cudaStream_t t;
  CUDA_CHECK(cudaStreamCreate(&t));
  CUDA_CHECK(cudaStreamBeginCapture(t, cudaStreamCaptureModeGlobal));
  CUDA_CHECK(cudaStreamDestroy(t));
  EXPECT(cudaMalloc(&p, 256) == cudaSuccess);
  CUDA_CHECK(cudaFree(p));

  // A synchronous copy (legacy stream) during a global capture.
  float one = 1.0f;
  CUDA_CHECK(cudaStreamBeginCapture(s, cudaStreamCaptureModeGlobal));
  EXPECT(cudaMemcpy(x, &one, sizeof one, cudaMemcpyHostToDevice) != cudaSuccess);
  expect_end(s, cudaErrorStreamCaptureInvalidated);

  // Work on the legacy stream while a blocking stream captures: an implicit dependency.
  CUDA_CHECK(cudaStreamBeginCapture(s, cudaStreamCaptureModeRelaxed));
  EXPECT(cudaMemsetAsync(x, 0, 4, 0) == cudaErrorStreamCaptureImplicit);
  expect_end(s, cudaErrorStreamCaptureInvalidated);

  // A forked stream that never joins back.
  cudaEvent_t e;
  CUDA_CHECK(cudaEventCreateWithFlags(&e, cudaEventDisableTiming));
  CUDA_CHECK(cudaStreamBeginCapture(s, cudaStreamCaptureModeGlobal));
  CUDA_CHECK(cudaEventRecord(e, s));
  CUDA_CHECK(cudaStreamWaitEvent(other, e, 0));
  scale_add<<<GRID, BLOCK, 0, other>>>(x, N, 1.0f, 1.0f);
  CUDA_CHECK_LAUNCH();
  expect_end(s, cudaErrorStreamCaptureUnjoined);
  CUDA_CHECK(cudaStreamIsCapturing(other, &status));
  EXPECT(status == cudaStreamCaptureStatusNone);

  // Querying an event recorded in a capture; waiting in a capture on one recorded outside.
  CUDA_CHECK(cudaStreamBeginCapture(s, cudaStreamCaptureModeRelaxed));
  CUDA_CHECK(cudaEventRecord(e, s));
  EXPECT(cudaEventQuery(e) == cudaErrorCapturedEvent);
  CUDA_CHECK(cudaStreamEndCapture(s, &g));
  CUDA_CHECK(cudaGraphDestroy(g));
  CUDA_CHECK(cudaEventRecord(e, other));
  CUDA_CHECK(cudaStreamBeginCapture(s, cudaStreamCaptureModeGlobal));
  EXPECT(cudaStreamWaitEvent(s, e, 0) == cudaErrorStreamCaptureIsolation);
  expect_end(s, cudaErrorStreamCaptureInvalidated);
  CUDA_CHECK(cudaStreamIsCapturing(other, &status));
  EXPECT(status == cudaStreamCaptureStatusNone);

  // Capture cannot start on the legacy stream, end where it did not start, or end twice.
  EXPECT(cudaStreamBeginCapture(0, cudaStreamCaptureModeGlobal) == cudaErrorStreamCaptureUnsupported);
  CUDA_CHECK(cudaStreamBeginCapture(s, cudaStreamCaptureModeGlobal));
  EXPECT(cudaStreamBeginCapture(s, cudaStreamCaptureModeGlobal) == cudaErrorIllegalState);
  CUDA_CHECK(cudaEventRecord(e, s));
  CUDA_CHECK(cudaStreamWaitEvent(other, e, 0));
  EXPECT(cudaStreamEndCapture(other, &g) == cudaErrorStreamCaptureUnmatched);
  CUDA_CHECK(cudaStreamEndCapture(s, &g));
  CUDA_CHECK(cudaGraphDestroy(g));
  EXPECT(cudaStreamEndCapture(s, &g) == cudaErrorIllegalState);
  cudaGetLastError();

  // After all that, the device and streams work normally.
  CUDA_CHECK(cudaMemset(x, 0, N * sizeof(float)));
  scale_add<<<GRID, BLOCK, 0, s>>>(x, N, 1.0f, 4.0f);
  float back = 0;
  CUDA_CHECK(cudaMemcpy(&back, x + 7, sizeof back, cudaMemcpyDeviceToHost));
  EXPECT(back == 4.0f);
  CUDA_CHECK(cudaEventDestroy(e));
  CUDA_CHECK(cudaStreamDestroy(s));
  CUDA_CHECK(cudaStreamDestroy(other));
  CUDA_CHECK(cudaFree(x));
  printf("  capture errors: sync, malloc (capture modes, threads), sync copy, legacy stream, unjoined, unmatched\n");
}

// Many fork/join rounds (the path count doubles each round) and a cycle.
static void graph_scale() {
  const int rounds = 300;
  int *d;
  CUDA_CHECK(cudaMalloc(&d, 2 * sizeof(int)));
  cudaStream_t s, side;
  CUDA_CHECK(cudaStreamCreateWithFlags(&s, cudaStreamNonBlocking));
  CUDA_CHECK(cudaStreamCreateWithFlags(&side, cudaStreamNonBlocking));
  cudaEvent_t fork, join;
  CUDA_CHECK(cudaEventCreateWithFlags(&fork, cudaEventDisableTiming));
  CUDA_CHECK(cudaEventCreateWithFlags(&join, cudaEventDisableTiming));
  auto t0 = std::chrono::steady_clock::now();
  CUDA_CHECK(cudaStreamBeginCapture(s, cudaStreamCaptureModeGlobal));
  for (int r = 0; r < rounds; r++) {
    CUDA_CHECK(cudaEventRecord(fork, s));
    CUDA_CHECK(cudaStreamWaitEvent(side, fork, 0));
    CUDA_CHECK(cudaMemsetAsync(d, r & 0xff, sizeof(int), s));
    CUDA_CHECK(cudaMemsetAsync(d + 1, (r + 1) & 0xff, sizeof(int), side));
    CUDA_CHECK(cudaEventRecord(join, side));
    CUDA_CHECK(cudaStreamWaitEvent(s, join, 0));
  }
  cudaGraph_t g;
  CUDA_CHECK(cudaStreamEndCapture(s, &g));
  cudaGraphExec_t exec;
  CUDA_CHECK(cudaGraphInstantiate(&exec, g, 0));
  double ms = std::chrono::duration<double, std::milli>(std::chrono::steady_clock::now() - t0).count();
  EXPECT(node_count(g) == 2 * rounds);
  CUDA_CHECK(cudaGraphLaunch(exec, s));
  CUDA_CHECK(cudaStreamSynchronize(s));
  int h[2];
  CUDA_CHECK(cudaMemcpy(h, d, sizeof h, cudaMemcpyDeviceToHost));
  int last = (rounds - 1) & 0xff, next = rounds & 0xff;
  EXPECT(h[0] == last * 0x01010101 && h[1] == next * 0x01010101);
  CUDA_CHECK(cudaGraphExecDestroy(exec));
  CUDA_CHECK(cudaGraphDestroy(g));

  cudaGraphNode_t a, b;
  CUDA_CHECK(cudaGraphCreate(&g, 0));
  CUDA_CHECK(cudaGraphAddEmptyNode(&a, g, nullptr, 0));
  CUDA_CHECK(cudaGraphAddEmptyNode(&b, g, &a, 1));
  CUDA_CHECK(cudaGraphAddDependencies(g, &b, &a, nullptr, 1));
  EXPECT(cudaGraphInstantiate(&exec, g, 0) != cudaSuccess);
  cudaGetLastError();
  CUDA_CHECK(cudaGraphDestroy(g));
  CUDA_CHECK(cudaEventDestroy(fork));
  CUDA_CHECK(cudaEventDestroy(join));
  CUDA_CHECK(cudaStreamDestroy(side));
  CUDA_CHECK(cudaStreamDestroy(s));
  CUDA_CHECK(cudaFree(d));
  printf("  %d fork/join rounds captured and instantiated in %.1f ms; cycle refused\n", rounds, ms);
}

// 5. What a graph launch costs against the same kernels launched one by one.
static void timing() {
  const int kernels = 20, reps = 20;
  float *x;
  CUDA_CHECK(cudaMalloc(&x, N * sizeof(float)));
  CUDA_CHECK(cudaMemset(x, 0, N * sizeof(float)));
  cudaStream_t s;
  CUDA_CHECK(cudaStreamCreate(&s));
  CUDA_CHECK(cudaStreamBeginCapture(s, cudaStreamCaptureModeGlobal));
  for (int k = 0; k < kernels; k++) scale_add<<<GRID, BLOCK, 0, s>>>(x, N, 1.0f, 1.0f);
  cudaGraph_t g;
  CUDA_CHECK(cudaStreamEndCapture(s, &g));
  cudaGraphExec_t exec;
  CUDA_CHECK(cudaGraphInstantiate(&exec, g, 0));
  auto t0 = std::chrono::steady_clock::now();
  for (int r = 0; r < reps; r++) {
    for (int k = 0; k < kernels; k++) scale_add<<<GRID, BLOCK, 0, s>>>(x, N, 1.0f, 1.0f);
    CUDA_CHECK(cudaStreamSynchronize(s));
  }
  auto t1 = std::chrono::steady_clock::now();
  for (int r = 0; r < reps; r++) {
    CUDA_CHECK(cudaGraphLaunch(exec, s));
    CUDA_CHECK(cudaStreamSynchronize(s));
  }
  auto t2 = std::chrono::steady_clock::now();
  float v = 0;
  CUDA_CHECK(cudaMemcpy(&v, x + 100, sizeof v, cudaMemcpyDeviceToHost));
  EXPECT(v == 2.0f * kernels * reps);
  double direct = std::chrono::duration<double, std::milli>(t1 - t0).count() / reps;
  double graph = std::chrono::duration<double, std::milli>(t2 - t1).count() / reps;
  printf("  %d kernels: direct %.3f ms, graph launch %.3f ms (per round, synchronised)\n", kernels, direct, graph);
  CUDA_CHECK(cudaGraphExecDestroy(exec));
  CUDA_CHECK(cudaGraphDestroy(g));
  CUDA_CHECK(cudaStreamDestroy(s));
  CUDA_CHECK(cudaFree(x));
}

int main() {
  captured_sequence();
  explicit_graph();
  graph_editing();
  capture_errors();
  graph_scale();
  timing();
  printf("%s graphs\n", expect_failures ? "FAIL" : "PASS");
  return expect_failures ? 1 : 0;
}

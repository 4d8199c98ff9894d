// graph_memory.cu - the lifetime of graph memory and of streams forked into a capture, as
// programs that allocate inside graphs rely on it:
//   1. a capture forks onto a helper stream, joins it back, and destroys the helper before
//      cudaStreamEndCapture: the capture is still valid; destroying a helper whose work was
//      never joined leaves cudaStreamEndCapture to report cudaErrorStreamCaptureUnjoined;
//   2. a graph allocation that the graph does not free is used after the launch, freed with
//      cudaFree, and the executable graph launched again: the launch re-creates it at the same
//      address (the kernel that fills it and a kernel outside the graph that reads it agree);
//   3. the same allocation freed by a second graph holding only a free node, and by
//      cudaFreeAsync, between further launches;
//   4. cudaDeviceGetGraphMemAttribute counts the allocation while a graph holds it, and
//      cudaDeviceSetGraphMemAttribute resets only the high watermarks, only to zero.
// Every value is compared with a CPU reference.
#include "../cuda_check.h"
#include <stdint.h>
#include <string.h>
#include <vector>

__global__ void fill_affine(float *out, const float *in, int n, float a, float b) {
  int i = blockIdx.x * blockDim.x + threadIdx.x;
  if (i < n) out[i] = in ? in[i] * a + b : i * a + b;
}

__global__ void count_mismatches(const float *got, int n, float a, float b, int *bad) {
  int i = blockIdx.x * blockDim.x + threadIdx.x;
  if (i < n && got[i] != i * a + b) atomicAdd(bad, 1);
}

static const int N = 50000, BLOCK = 256, GRID = (N + BLOCK - 1) / BLOCK;

static int host_mismatches(const std::vector<float> &v, float a, float b) {
  int bad = 0;
  for (int i = 0; i < N; i++)
    if (v[i] != (float)i * a + b) bad++;
  return bad;
}

// 1: forked helper streams destroyed mid-capture.
static void helper_stream_destroyed(void) {
  cudaStream_t origin, helper;
  cudaEvent_t forked, done;
  CUDA_CHECK(cudaStreamCreateWithFlags(&origin, cudaStreamNonBlocking));
  CUDA_CHECK(cudaStreamCreateWithFlags(&helper, cudaStreamNonBlocking));
  CUDA_CHECK(cudaEventCreate(&forked));
  CUDA_CHECK(cudaEventCreate(&done));
  float *a = nullptr, *b = nullptr;
  CUDA_CHECK(cudaMalloc(&a, N * sizeof(float)));
  CUDA_CHECK(cudaMalloc(&b, N * sizeof(float)));

  CUDA_CHECK(cudaStreamBeginCapture(origin, cudaStreamCaptureModeGlobal));
  fill_affine<<<GRID, BLOCK, 0, origin>>>(a, nullptr, N, 2.0f, 1.0f);
  CUDA_CHECK(cudaEventRecord(forked, origin));
  CUDA_CHECK(cudaStreamWaitEvent(helper, forked, 0));
  fill_affine<<<GRID, BLOCK, 0, helper>>>(b, a, N, 3.0f, 0.0f);  // b = 6i + 3
  CUDA_CHECK(cudaEventRecord(done, helper));
  CUDA_CHECK(cudaStreamWaitEvent(origin, done, 0));
  CUDA_CHECK(cudaStreamDestroy(helper));  // joined: the capture goes on
  cudaGraph_t graph = nullptr;
  CUDA_CHECK(cudaStreamEndCapture(origin, &graph));
  size_t nodes = 0;
  CUDA_CHECK(cudaGraphGetNodes(graph, nullptr, &nodes));
  EXPECT(nodes == 2);
  cudaGraphExec_t exec;
  CUDA_CHECK(cudaGraphInstantiate(&exec, graph, nullptr, nullptr, 0));
  CUDA_CHECK(cudaGraphLaunch(exec, origin));
  CUDA_CHECK(cudaStreamSynchronize(origin));
  std::vector<float> h(N);
  CUDA_CHECK(cudaMemcpy(h.data(), b, N * sizeof(float), cudaMemcpyDeviceToHost));
  EXPECT(host_mismatches(h, 6.0f, 3.0f) == 0);
  CUDA_CHECK(cudaGraphExecDestroy(exec));
  CUDA_CHECK(cudaGraphDestroy(graph));

  // Unjoined work on a destroyed helper still fails the capture at its end.
  CUDA_CHECK(cudaStreamCreateWithFlags(&helper, cudaStreamNonBlocking));
  CUDA_CHECK(cudaStreamBeginCapture(origin, cudaStreamCaptureModeGlobal));
  CUDA_CHECK(cudaEventRecord(forked, origin));
  CUDA_CHECK(cudaStreamWaitEvent(helper, forked, 0));
  fill_affine<<<GRID, BLOCK, 0, helper>>>(b, nullptr, N, 1.0f, 0.0f);
  CUDA_CHECK(cudaStreamDestroy(helper));
  graph = nullptr;
  EXPECT(cudaStreamEndCapture(origin, &graph) == cudaErrorStreamCaptureUnjoined);
  EXPECT(graph == nullptr);
  cudaGetLastError();

  CUDA_CHECK(cudaFree(a));
  CUDA_CHECK(cudaFree(b));
  CUDA_CHECK(cudaEventDestroy(forked));
  CUDA_CHECK(cudaEventDestroy(done));
  CUDA_CHECK(cudaStreamDestroy(origin));
}

// Launches exec (which fills p with 5i + 7), then checks p from outside the graph.
static void launch_and_check(cudaGraphExec_t exec, cudaStream_t s, float *p, int *bad) {
  CUDA_CHECK(cudaMemsetAsync(bad, 0, sizeof(int), s));
  CUDA_CHECK(cudaGraphLaunch(exec, s));
  count_mismatches<<<GRID, BLOCK, 0, s>>>(p, N, 5.0f, 7.0f, bad);
  CUDA_CHECK_LAUNCH();
  int h = -1;
  CUDA_CHECK(cudaMemcpyAsync(&h, bad, sizeof(int), cudaMemcpyDeviceToHost, s));
  CUDA_CHECK(cudaStreamSynchronize(s));
  EXPECT(h == 0);
}

static uint64_t graph_mem(cudaGraphMemAttributeType attr) {
  uint64_t v = ~0ull;
  CUDA_CHECK(cudaDeviceGetGraphMemAttribute(0, attr, &v));
  return v;
}

// 2, 3 and 4: graph memory outliving the launch, freed outside, launched again.
static void memory_freed_outside(void) {
  const uint64_t used_before = graph_mem(cudaGraphMemAttrUsedMemCurrent);
  cudaStream_t s;
  CUDA_CHECK(cudaStreamCreateWithFlags(&s, cudaStreamNonBlocking));
  int *bad = nullptr;
  CUDA_CHECK(cudaMalloc(&bad, sizeof(int)));

  cudaMemAllocNodeParams alloc;
  memset(&alloc, 0, sizeof alloc);
  alloc.bytesize = N * sizeof(float);
  alloc.poolProps.allocType = cudaMemAllocationTypePinned;
  alloc.poolProps.location.type = cudaMemLocationTypeDevice;
  alloc.poolProps.location.id = 0;
  cudaGraph_t graph;
  cudaGraphNode_t alloc_node, fill_node;
  CUDA_CHECK(cudaGraphCreate(&graph, 0));
  CUDA_CHECK(cudaGraphAddMemAllocNode(&alloc_node, graph, nullptr, 0, &alloc));
  float *p = (float *)alloc.dptr;
  EXPECT(p != nullptr);
  EXPECT(graph_mem(cudaGraphMemAttrUsedMemCurrent) >= used_before + N * sizeof(float));
  EXPECT(graph_mem(cudaGraphMemAttrUsedMemHigh) >= graph_mem(cudaGraphMemAttrUsedMemCurrent));
  uint64_t zero = 0, one = 1;
  EXPECT(cudaDeviceSetGraphMemAttribute(0, cudaGraphMemAttrUsedMemCurrent, &zero) == cudaErrorInvalidValue);
  EXPECT(cudaDeviceSetGraphMemAttribute(0, cudaGraphMemAttrUsedMemHigh, &one) == cudaErrorInvalidValue);
  cudaGetLastError();
  CUDA_CHECK(cudaDeviceSetGraphMemAttribute(0, cudaGraphMemAttrUsedMemHigh, &zero));
  EXPECT(graph_mem(cudaGraphMemAttrUsedMemHigh) <= graph_mem(cudaGraphMemAttrReservedMemHigh));
  const float *none = nullptr;
  int n = N;
  float a = 5.0f, b = 7.0f;
  void *args[] = {&p, &none, &n, &a, &b};
  cudaKernelNodeParams k = {};
  k.func = (void *)fill_affine;
  k.gridDim = dim3(GRID);
  k.blockDim = dim3(BLOCK);
  k.kernelParams = args;
  CUDA_CHECK(cudaGraphAddKernelNode(&fill_node, graph, &alloc_node, 1, &k));
  cudaGraphExec_t exec;
  CUDA_CHECK(cudaGraphInstantiate(&exec, graph, nullptr, nullptr, 0));
  CUDA_CHECK(cudaGraphDestroy(graph));  // the executable graph keeps the memory

  launch_and_check(exec, s, p, bad);
  CUDA_CHECK(cudaFree(p));  // freed outside: the next launch makes it again
  launch_and_check(exec, s, p, bad);
  CUDA_CHECK(cudaFreeAsync(p, s));
  CUDA_CHECK(cudaStreamSynchronize(s));
  launch_and_check(exec, s, p, bad);

  cudaGraph_t free_graph;
  cudaGraphNode_t free_node;
  cudaGraphExec_t free_exec;
  CUDA_CHECK(cudaGraphCreate(&free_graph, 0));
  CUDA_CHECK(cudaGraphAddMemFreeNode(&free_node, free_graph, nullptr, 0, p));
  CUDA_CHECK(cudaGraphInstantiate(&free_exec, free_graph, nullptr, nullptr, 0));
  CUDA_CHECK(cudaGraphDestroy(free_graph));
  CUDA_CHECK(cudaGraphLaunch(free_exec, s));
  CUDA_CHECK(cudaStreamSynchronize(s));
  launch_and_check(exec, s, p, bad);

  CUDA_CHECK(cudaFree(p));
  EXPECT(graph_mem(cudaGraphMemAttrUsedMemCurrent) >= used_before + N * sizeof(float));
  CUDA_CHECK(cudaGraphExecDestroy(exec));  // freed and held by nothing: gone
  CUDA_CHECK(cudaGraphExecDestroy(free_exec));
  EXPECT(graph_mem(cudaGraphMemAttrUsedMemCurrent) == used_before);
  CUDA_CHECK(cudaFree(bad));
  CUDA_CHECK(cudaStreamDestroy(s));
}

int main() {
  helper_stream_destroyed();
  memory_freed_outside();
  CUDA_CHECK(cudaDeviceSynchronize());
  printf("%s graph_memory\n", expect_failures ? "FAIL" : "PASS");
  return expect_failures ? 1 : 0;
}

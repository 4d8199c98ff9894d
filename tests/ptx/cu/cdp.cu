// cdp.cu - kernels for tests/ptx/test_cdp.c (nvcc -rdc=true -ptx): device-side launches through
// the device runtime entry points the PTX engine provides (__cudaCDP2*).

// Every thread of every block below max_depth launches a grid of `fanout` blocks of its own
// shape; count[d] counts the blocks run at depth d, err[d] the first launch error at depth d.
extern "C" __global__ void fan(int *count, int *err, int depth, int max_depth, int fanout) {
  if (threadIdx.x == 0) atomicAdd(&count[depth], 1);
  if (depth + 1 >= max_depth) return;
  fan<<<fanout, blockDim.x>>>(count, err, depth + 1, max_depth, fanout);
  cudaError_t e = cudaGetLastError();
  if (e != cudaSuccess) atomicCAS(&err[depth], 0, (int)e);
}

extern "C" __global__ void bump(int *p) { atomicAdd(p, 1); }

// Each thread launches one grid; result[t] is its launch error.
extern "C" __global__ void burst(int *ran, int *result) {
  bump<<<1, 1>>>(ran);
  result[blockIdx.x * blockDim.x + threadIdx.x] = cudaGetLastError();
}

extern "C" __global__ void store_at(int *p) { p[threadIdx.x] = 7; }
extern "C" __global__ void launch_bad(int *p) {
  if (threadIdx.x == 0) store_at<<<1, 32>>>(p);
}

extern "C" __global__ void device_memcpy(int *dst, const int *src) {
  cudaMemcpyAsync(dst, src, 64, cudaMemcpyDeviceToDevice, 0);
}

// Queries: a created stream and event, an invalid stream handle, cudaMalloc without a heap.
extern "C" __global__ void queries(int *result) {
  if (threadIdx.x != 0) return;
  cudaStream_t s;
  cudaEvent_t e;
  result[0] = cudaStreamCreateWithFlags(&s, cudaStreamNonBlocking);
  result[1] = cudaEventCreateWithFlags(&e, cudaEventDisableTiming);
  result[2] = cudaEventRecord(e, s) | cudaStreamWaitEvent(s, e, 0) | cudaEventDestroy(e) | cudaStreamDestroy(s);
  result[3] = cudaStreamCreateWithFlags(&s, cudaStreamDefault);   // device streams must be non-blocking
  int v = 0;
  result[4] = cudaRuntimeGetVersion(&v);
  result[5] = v;
  bump<<<1, 1, 0, (cudaStream_t)0x1234>>>(result + 6);   // not a stream
  result[7] = cudaGetLastError();
  void *mem = nullptr;
  result[8] = cudaMalloc(&mem, 16);   // the launch has no device heap: cudaErrorNotSupported
}

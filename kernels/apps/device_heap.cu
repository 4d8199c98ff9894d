// device_heap.cu - malloc/free and new/delete inside kernels (the device heap), as C++ device
// code with dynamically sized containers does: blocks made by one kernel are read and freed by
// a later one, blocks never overlap, objects with virtual functions live on the heap between
// launches, a request larger than the heap (cudaLimitMallocHeapSize) gives NULL, and freed
// space is reused (neighbours merge), and the heap size can no longer change once kernels used
// it. Every value is checked against the CPU.
#include "../cuda_check.h"

#include <stdint.h>

#include <algorithm>
#include <vector>

constexpr int kBlocks = 4, kThreads = 128, kN = kBlocks * kThreads;

__host__ __device__ static int words_of(int t) { return (t % 7 + 1) * 4; }

__global__ void make_blocks(unsigned **ptrs) {
  int t = blockIdx.x * blockDim.x + threadIdx.x;
  unsigned *p = (unsigned *)malloc(words_of(t) * sizeof(unsigned));
  ptrs[t] = p;
  if (p)
    for (int i = 0; i < words_of(t); i++) p[i] = (unsigned)(t * 1000 + i);
}

__global__ void sum_and_free(unsigned **ptrs, unsigned *out) {
  int t = blockIdx.x * blockDim.x + threadIdx.x;
  unsigned s = 0;
  if (ptrs[t])
    for (int i = 0; i < words_of(t); i++) s += ptrs[t][i];
  out[t] = s;
  free(ptrs[t]);
}

struct Shape {
  __device__ virtual ~Shape() {}
  __device__ virtual int area() const = 0;
};
struct Rect : Shape {
  int w, h;
  __device__ Rect(int w_, int h_) : w(w_), h(h_) {}
  __device__ int area() const override { return w * h; }
};
struct Square : Shape {
  int *side;   // a second heap block, freed by the destructor
  __device__ explicit Square(int s) : side(new int(s)) {}
  __device__ ~Square() override { delete side; }
  __device__ int area() const override { return *side * *side; }
};

__global__ void make_shapes(Shape **shapes, int n) {
  int t = blockIdx.x * blockDim.x + threadIdx.x;
  if (t < n) shapes[t] = t % 2 ? (Shape *)new Rect(t, 3) : (Shape *)new Square(t);
}

__global__ void areas_and_delete(Shape **shapes, int *out, int n) {
  int t = blockIdx.x * blockDim.x + threadIdx.x;
  if (t >= n) return;
  out[t] = shapes[t] ? shapes[t]->area() : -1;
  delete shapes[t];
}

// One thread: sizes in bytes to try in turn; writes 1 for each that was granted (and frees it
// unless keep is set).
__global__ void try_sizes(const size_t *sizes, int n, int *granted, int keep) {
  for (int i = 0; i < n; i++) {
    char *p = (char *)malloc(sizes[i]);
    granted[i] = p != nullptr;
    if (p) {
      p[0] = 1;
      p[sizes[i] - 1] = 2;
      if (!keep) free(p);
    }
  }
}

int main() {
  const size_t heap = 4 << 20;
  CUDA_CHECK(cudaDeviceSetLimit(cudaLimitMallocHeapSize, heap));
  size_t got = 0;
  CUDA_CHECK(cudaDeviceGetLimit(&got, cudaLimitMallocHeapSize));
  EXPECT(got == heap);

  // blocks made by one kernel, read and freed by the next
  unsigned **ptrs;
  unsigned *out;
  CUDA_CHECK(cudaMalloc(&ptrs, kN * sizeof *ptrs));
  CUDA_CHECK(cudaMalloc(&out, kN * sizeof *out));
  make_blocks<<<kBlocks, kThreads>>>(ptrs);
  CUDA_CHECK_LAUNCH();
  std::vector<uint64_t> where(kN);
  CUDA_CHECK(cudaMemcpy(where.data(), ptrs, kN * sizeof(uint64_t), cudaMemcpyDeviceToHost));
  sum_and_free<<<kBlocks, kThreads>>>(ptrs, out);
  CUDA_CHECK_LAUNCH();
  std::vector<unsigned> sums(kN);
  CUDA_CHECK(cudaMemcpy(sums.data(), out, kN * sizeof(unsigned), cudaMemcpyDeviceToHost));
  int wrong = 0, nulls = 0, overlaps = 0;
  for (int t = 0; t < kN; t++) {
    unsigned want = 0;
    for (int i = 0; i < words_of(t); i++) want += (unsigned)(t * 1000 + i);
    wrong += sums[t] != want;
    nulls += where[t] == 0;
  }
  std::vector<std::pair<uint64_t, uint64_t>> spans;
  for (int t = 0; t < kN; t++) spans.push_back({where[t], where[t] + words_of(t) * sizeof(unsigned)});
  std::sort(spans.begin(), spans.end());
  for (int t = 1; t < kN; t++) overlaps += spans[t].first < spans[t - 1].second;
  EXPECT(wrong == 0 && nulls == 0 && overlaps == 0);

  // objects with virtual functions, made and destroyed by different kernels
  const int shapes_n = 200;
  Shape **shapes;
  int *areas;
  CUDA_CHECK(cudaMalloc(&shapes, shapes_n * sizeof *shapes));
  CUDA_CHECK(cudaMalloc(&areas, shapes_n * sizeof *areas));
  make_shapes<<<2, 128>>>(shapes, shapes_n);
  CUDA_CHECK_LAUNCH();
  areas_and_delete<<<2, 128>>>(shapes, areas, shapes_n);
  CUDA_CHECK_LAUNCH();
  std::vector<int> area(shapes_n);
  CUDA_CHECK(cudaMemcpy(area.data(), areas, shapes_n * sizeof(int), cudaMemcpyDeviceToHost));
  int bad_area = 0;
  for (int t = 0; t < shapes_n; t++) bad_area += area[t] != (t % 2 ? t * 3 : t * t);
  EXPECT(bad_area == 0);

  // the heap's size bounds a request; freed space merges and is reused
  size_t sizes[] = {heap * 2, heap / 4, heap / 4, heap / 4, heap / 8};
  const int nsizes = sizeof sizes / sizeof sizes[0];
  size_t *dsizes;
  int *granted;
  CUDA_CHECK(cudaMalloc(&dsizes, sizeof sizes));
  CUDA_CHECK(cudaMalloc(&granted, nsizes * sizeof(int)));
  CUDA_CHECK(cudaMemcpy(dsizes, sizes, sizeof sizes, cudaMemcpyHostToDevice));
  int g[nsizes];
  for (int round = 0; round < 3; round++) {   // everything freed: each round fits again
    try_sizes<<<1, 1>>>(dsizes, nsizes, granted, 0);
    CUDA_CHECK_LAUNCH();
    CUDA_CHECK(cudaMemcpy(g, granted, sizeof g, cudaMemcpyDeviceToHost));
    EXPECT(g[0] == 0 && g[1] == 1 && g[2] == 1 && g[3] == 1 && g[4] == 1);
  }
  size_t most[] = {heap - heap / 16};   // only fits if the earlier blocks merged back
  CUDA_CHECK(cudaMemcpy(dsizes, most, sizeof most, cudaMemcpyHostToDevice));
  try_sizes<<<1, 1>>>(dsizes, 1, granted, 1);
  CUDA_CHECK_LAUNCH();
  CUDA_CHECK(cudaMemcpy(g, granted, sizeof(int), cudaMemcpyDeviceToHost));
  EXPECT(g[0] == 1);
  try_sizes<<<1, 1>>>(dsizes, 1, granted, 1);   // kept above: no room for a second one
  CUDA_CHECK_LAUNCH();
  CUDA_CHECK(cudaMemcpy(g, granted, sizeof(int), cudaMemcpyDeviceToHost));
  EXPECT(g[0] == 0);

  // once kernels used the heap its size is fixed (cudaErrorInvalidValue), and stays as it was
  EXPECT(cudaDeviceSetLimit(cudaLimitMallocHeapSize, heap * 2) == cudaErrorInvalidValue);
  cudaGetLastError();
  CUDA_CHECK(cudaDeviceGetLimit(&got, cudaLimitMallocHeapSize));
  EXPECT(got == heap);

  CUDA_CHECK(cudaFree(ptrs));
  CUDA_CHECK(cudaFree(out));
  CUDA_CHECK(cudaFree(shapes));
  CUDA_CHECK(cudaFree(areas));
  CUDA_CHECK(cudaFree(dsizes));
  CUDA_CHECK(cudaFree(granted));
  printf("%s device_heap\n", expect_failures ? "FAIL" : "PASS");
  return expect_failures ? 1 : 0;
}

// histogram.cu - counts values into bins twice: with atomicAdd straight on global memory,
// and with a per-block copy in dynamic shared memory merged into global at the end.
#include "cuda_check.h"
#include "histogram.h"

__global__ void histogram_global(const unsigned *data, int n, unsigned *bins) {
  for (int i = blockIdx.x * blockDim.x + threadIdx.x; i < n; i += blockDim.x * gridDim.x)
    atomicAdd(&bins[data[i]], 1u);
}

__global__ void histogram_shared(const unsigned *data, int n, unsigned *bins, int nbins) {
  extern __shared__ unsigned local_bins[];
  for (int b = threadIdx.x; b < nbins; b += blockDim.x) local_bins[b] = 0;
  __syncthreads();
  for (int i = blockIdx.x * blockDim.x + threadIdx.x; i < n; i += blockDim.x * gridDim.x)
    atomicAdd(&local_bins[data[i]], 1u);
  __syncthreads();
  for (int b = threadIdx.x; b < nbins; b += blockDim.x)
    if (local_bins[b] != 0) atomicAdd(&bins[b], local_bins[b]);
}

int main(void) {
  const int n = HISTOGRAM_N;
  const size_t bin_bytes = HISTOGRAM_BINS * sizeof(unsigned);
  uint32_t *data = (uint32_t *)xmalloc(n * sizeof(uint32_t));
  uint32_t got_global[HISTOGRAM_BINS], got_shared[HISTOGRAM_BINS], want[HISTOGRAM_BINS];
  histogram_inputs(data, n);

  unsigned *d_data, *d_bins;
  CUDA_CHECK(cudaMalloc(&d_data, n * sizeof(unsigned)));
  CUDA_CHECK(cudaMalloc(&d_bins, bin_bytes));
  CUDA_CHECK(cudaMemcpy(d_data, data, n * sizeof(unsigned), cudaMemcpyHostToDevice));

  CUDA_CHECK(cudaMemset(d_bins, 0, bin_bytes));
  histogram_global<<<HISTOGRAM_GRID, HISTOGRAM_BLOCK>>>(d_data, n, d_bins);
  CUDA_CHECK_LAUNCH();
  CUDA_CHECK(cudaMemcpy(got_global, d_bins, bin_bytes, cudaMemcpyDeviceToHost));

  CUDA_CHECK(cudaMemset(d_bins, 0, bin_bytes));
  histogram_shared<<<HISTOGRAM_GRID, HISTOGRAM_BLOCK, bin_bytes>>>(d_data, n, d_bins, HISTOGRAM_BINS);
  CUDA_CHECK_LAUNCH();
  CUDA_CHECK(cudaMemcpy(got_shared, d_bins, bin_bytes, cudaMemcpyDeviceToHost));

  histogram_ref(data, n, want);
  size_t bad = kc_compare_u32("global bins", got_global, want, HISTOGRAM_BINS);
  bad += kc_compare_u32("shared bins", got_shared, want, HISTOGRAM_BINS);

  CUDA_CHECK(cudaFree(d_data));
  CUDA_CHECK(cudaFree(d_bins));
  free(data);
  return kc_finish("histogram", bad);
}

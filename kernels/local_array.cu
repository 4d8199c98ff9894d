// local_array.cu - a per-thread array indexed at run time, which nvcc places in local
// memory (the PTX has a .local array and ld.local/st.local).
#include "cuda_check.h"
#include "local_array.h"

__global__ void local_array(const unsigned *seeds, unsigned *out, int n) {
  int i = blockIdx.x * blockDim.x + threadIdx.x;
  if (i >= n) return;
  unsigned table[LOCAL_ARRAY_LEN], acc = 0, s = seeds[i];
  for (int k = 0; k < LOCAL_ARRAY_LEN; k++) {
    s = s * 1664525u + 1013904223u;
    table[k] = s ^ (unsigned)k;
  }
  for (int j = 0; j < LOCAL_ARRAY_ROUNDS; j++) {
    unsigned idx = (s >> (j & 15)) % LOCAL_ARRAY_LEN;
    acc += table[idx];
    table[(idx * 7u + (unsigned)j) % LOCAL_ARRAY_LEN] ^= acc;
    s = s * 1664525u + 1013904223u;
  }
  out[i] = acc ^ table[s % LOCAL_ARRAY_LEN];
}

int main(void) {
  const int n = LOCAL_ARRAY_N;
  const size_t bytes = n * sizeof(unsigned);
  uint32_t *seeds = (uint32_t *)xmalloc(bytes), *out = (uint32_t *)xmalloc(bytes);
  uint32_t *want = (uint32_t *)xmalloc(bytes);
  local_array_inputs(seeds, n);

  unsigned *d_seeds, *d_out;
  CUDA_CHECK(cudaMalloc(&d_seeds, bytes));
  CUDA_CHECK(cudaMalloc(&d_out, bytes));
  CUDA_CHECK(cudaMemcpy(d_seeds, seeds, bytes, cudaMemcpyHostToDevice));
  local_array<<<(n + LOCAL_ARRAY_BLOCK - 1) / LOCAL_ARRAY_BLOCK, LOCAL_ARRAY_BLOCK>>>(d_seeds, d_out, n);
  CUDA_CHECK_LAUNCH();
  CUDA_CHECK(cudaMemcpy(out, d_out, bytes, cudaMemcpyDeviceToHost));

  local_array_ref(seeds, want, n);
  size_t bad = kc_compare_u32("out", out, want, n);

  CUDA_CHECK(cudaFree(d_seeds));
  CUDA_CHECK(cudaFree(d_out));
  free(seeds); free(out); free(want);
  return kc_finish("local_array", bad);
}

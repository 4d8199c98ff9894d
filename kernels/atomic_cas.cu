// atomic_cas.cu - compare-and-swap loops: a float atomicMax, a 64-bit add and a counter,
// each built from atomicCAS (32 and 64 bit) under heavy contention.
#include "cuda_check.h"
#include "atomic_cas.h"

__device__ float atomic_max_float(float *address, float value) {
  int *word = (int *)address;
  int old = *word;
  while (value > __int_as_float(old)) {
    int assumed = old;
    old = atomicCAS(word, assumed, __float_as_int(value));
    if (old == assumed) break;
  }
  return __int_as_float(old);
}

__device__ unsigned long long atomic_add_u64_cas(unsigned long long *address, unsigned long long value) {
  unsigned long long old = *address, assumed;
  do {
    assumed = old;
    old = atomicCAS(address, assumed, assumed + value);
  } while (old != assumed);
  return old;
}

__device__ unsigned atomic_inc_cas(unsigned *address) {
  unsigned old = *address, assumed;
  do {
    assumed = old;
    old = atomicCAS(address, assumed, assumed + 1);
  } while (old != assumed);
  return old;
}

__global__ void atomic_cas(const float *x, const unsigned long long *w, int n, float *slots,
                           unsigned long long *sum, unsigned *positives) {
  for (int i = blockIdx.x * blockDim.x + threadIdx.x; i < n; i += blockDim.x * gridDim.x) {
    atomic_max_float(&slots[i % ATOMIC_CAS_SLOTS], x[i]);
    atomic_add_u64_cas(sum, w[i]);
    if (x[i] > 0.0f) atomic_inc_cas(positives);
  }
}

int main(void) {
  const int n = ATOMIC_CAS_N;
  float *x = (float *)xmalloc(n * sizeof(float));
  uint64_t *w = (uint64_t *)xmalloc(n * sizeof(uint64_t));
  float slots[ATOMIC_CAS_SLOTS], want_slots[ATOMIC_CAS_SLOTS];
  uint64_t sum, want_sum;
  uint32_t positives, want_positives;
  atomic_cas_inputs(x, w, n);
  atomic_cas_ref(x, w, n, want_slots, &want_sum, &want_positives);

  float *d_x, *d_slots;
  unsigned long long *d_w, *d_sum;
  unsigned *d_positives;
  float lowest[ATOMIC_CAS_SLOTS];
  for (int s = 0; s < ATOMIC_CAS_SLOTS; s++) lowest[s] = -INFINITY;
  CUDA_CHECK(cudaMalloc(&d_x, n * sizeof(float)));
  CUDA_CHECK(cudaMalloc(&d_w, n * sizeof(unsigned long long)));
  CUDA_CHECK(cudaMalloc(&d_slots, sizeof lowest));
  CUDA_CHECK(cudaMalloc(&d_sum, sizeof(unsigned long long)));
  CUDA_CHECK(cudaMalloc(&d_positives, sizeof(unsigned)));
  CUDA_CHECK(cudaMemcpy(d_x, x, n * sizeof(float), cudaMemcpyHostToDevice));
  CUDA_CHECK(cudaMemcpy(d_w, w, n * sizeof(unsigned long long), cudaMemcpyHostToDevice));
  CUDA_CHECK(cudaMemcpy(d_slots, lowest, sizeof lowest, cudaMemcpyHostToDevice));
  CUDA_CHECK(cudaMemset(d_sum, 0, sizeof(unsigned long long)));
  CUDA_CHECK(cudaMemset(d_positives, 0, sizeof(unsigned)));
  atomic_cas<<<ATOMIC_CAS_GRID, ATOMIC_CAS_BLOCK>>>(d_x, d_w, n, d_slots, d_sum, d_positives);
  CUDA_CHECK_LAUNCH();
  CUDA_CHECK(cudaMemcpy(slots, d_slots, sizeof slots, cudaMemcpyDeviceToHost));
  CUDA_CHECK(cudaMemcpy(&sum, d_sum, sizeof sum, cudaMemcpyDeviceToHost));
  CUDA_CHECK(cudaMemcpy(&positives, d_positives, sizeof positives, cudaMemcpyDeviceToHost));

  size_t bad = kc_compare_f32_exact("max slots", slots, want_slots, ATOMIC_CAS_SLOTS);
  bad += kc_compare_u64("sum", &sum, &want_sum, 1);
  bad += kc_compare_u32("positives", &positives, &want_positives, 1);

  CUDA_CHECK(cudaFree(d_x));
  CUDA_CHECK(cudaFree(d_w));
  CUDA_CHECK(cudaFree(d_slots));
  CUDA_CHECK(cudaFree(d_sum));
  CUDA_CHECK(cudaFree(d_positives));
  free(x); free(w);
  return kc_finish("atomic_cas", bad);
}

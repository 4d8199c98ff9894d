// fptr.cu - device function pointers and virtual functions: a table of __noinline__
// operations in a __device__ array (its PTX initialiser names the functions) called through
// a pointer per element, and a class hierarchy whose virtual eval is called through a base
// pointer (vtables in .global). Lanes of one warp call different targets.
#include "cuda_check.h"
#include "fptr.h"

typedef unsigned (*op_fn)(unsigned, unsigned);

__device__ __noinline__ unsigned op_add(unsigned a, unsigned b) { return a + b * 3u; }
__device__ __noinline__ unsigned op_xor(unsigned a, unsigned b) { return a ^ (b << 7); }
__device__ __noinline__ unsigned op_mul(unsigned a, unsigned b) { return a * (b | 1u); }
__device__ __noinline__ unsigned op_rot(unsigned a, unsigned b) { return (a >> 5 | a << 27) - b; }

__device__ op_fn fptr_table[4] = {op_add, op_xor, op_mul, op_rot};

struct Shape {
  unsigned scale;
  __device__ explicit Shape(unsigned s) : scale(s) {}
  __device__ virtual unsigned eval(unsigned x) const = 0;
};
struct Line : Shape {
  __device__ explicit Line(unsigned s) : Shape(s) {}
  __device__ unsigned eval(unsigned x) const override { return scale * x + 1u; }
};
struct Mixer : Shape {
  __device__ explicit Mixer(unsigned s) : Shape(s) {}
  __device__ unsigned eval(unsigned x) const override { return (scale ^ x) * 7u; }
};
struct Square : Shape {
  __device__ explicit Square(unsigned s) : Shape(s) {}
  __device__ unsigned eval(unsigned x) const override { return scale + x * x; }
};

__device__ __noinline__ unsigned call_virtual(const Shape *s, unsigned x) { return s->eval(x); }

__global__ void fptr(const unsigned *u, unsigned *out_t, unsigned *out_v, int n) {
  int i = blockIdx.x * blockDim.x + threadIdx.x;
  if (i >= n) return;
  unsigned v = u[i];
  out_t[i] = fptr_table[v & 3u](v, (unsigned)i);
  unsigned k = (v >> 8) % 3u, s = v & 0xffffu;
  Line a(s);
  Mixer b(s);
  Square c(s);
  const Shape *objs[3] = {&a, &b, &c};
  out_v[i] = call_virtual(objs[k], (unsigned)i);
}

int main(void) {
  const int n = FPTR_N;
  const size_t bytes = n * sizeof(unsigned);
  uint32_t *u = (uint32_t *)xmalloc(bytes), *out_t = (uint32_t *)xmalloc(bytes);
  uint32_t *out_v = (uint32_t *)xmalloc(bytes), *want_t = (uint32_t *)xmalloc(bytes);
  uint32_t *want_v = (uint32_t *)xmalloc(bytes);
  fptr_inputs(u, n);

  unsigned *d_u, *d_t, *d_v;
  CUDA_CHECK(cudaMalloc(&d_u, bytes));
  CUDA_CHECK(cudaMalloc(&d_t, bytes));
  CUDA_CHECK(cudaMalloc(&d_v, bytes));
  CUDA_CHECK(cudaMemcpy(d_u, u, bytes, cudaMemcpyHostToDevice));
  fptr<<<(n + FPTR_BLOCK - 1) / FPTR_BLOCK, FPTR_BLOCK>>>(d_u, d_t, d_v, n);
  CUDA_CHECK_LAUNCH();
  CUDA_CHECK(cudaMemcpy(out_t, d_t, bytes, cudaMemcpyDeviceToHost));
  CUDA_CHECK(cudaMemcpy(out_v, d_v, bytes, cudaMemcpyDeviceToHost));

  fptr_ref(u, want_t, want_v, n);
  size_t bad = kc_compare_u32("table", out_t, want_t, n);
  bad += kc_compare_u32("virtual", out_v, want_v, n);

  CUDA_CHECK(cudaFree(d_u));
  CUDA_CHECK(cudaFree(d_t));
  CUDA_CHECK(cudaFree(d_v));
  free(u); free(out_t); free(out_v); free(want_t); free(want_v);
  return kc_finish("fptr", bad);
}

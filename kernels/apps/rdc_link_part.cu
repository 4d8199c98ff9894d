// rdc_link_part.cu - the second translation unit of rdc_link.cu: a __device__ function and
// a __device__ variable used by the other unit's kernel, and file-local names it shares.
__device__ int part_bias = 7;
static __device__ int table[4] = {1, 2, 3, 4};
static __device__ __noinline__ int twice(int x) { return x + x + table[x & 3]; }
__device__ int part_mix(int x, int i) { return twice(x) ^ i; }

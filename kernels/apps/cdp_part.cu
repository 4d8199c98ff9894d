// cdp_part.cu - the other translation unit of cdp.cu: a kernel that cdp.cu launches from device
// code, so the -rdc link must keep its declaration (.extern .entry) ahead of the launch that
// takes its address.
__global__ void part_fill(int *out, int value) { out[blockIdx.x * blockDim.x + threadIdx.x] = value + (int)threadIdx.x; }

// bench.cu - kernels timed by ptx-bench: tiled matrix multiplies, a tree reduction, Black-Scholes.
#define TILE 16

extern "C" __global__ void matmul(const float *A, const float *B, float *C, int n) {
  __shared__ float As[TILE][TILE];
  __shared__ float Bs[TILE][TILE];
  int row = blockIdx.y * TILE + threadIdx.y, col = blockIdx.x * TILE + threadIdx.x;
  float acc = 0.0f;
  for (int t = 0; t < n / TILE; t++) {
    As[threadIdx.y][threadIdx.x] = A[row * n + t * TILE + threadIdx.x];
    Bs[threadIdx.y][threadIdx.x] = B[(t * TILE + threadIdx.y) * n + col];
    __syncthreads();
    for (int k = 0; k < TILE; k++) acc += As[threadIdx.y][k] * Bs[k][threadIdx.x];
    __syncthreads();
  }
  C[row * n + col] = acc;
}

extern "C" __global__ void reduce(const float *in, float *out, int n) {
  extern __shared__ float s[];
  int t = threadIdx.x;
  float v = 0.0f;
  for (int i = blockIdx.x * blockDim.x + t; i < n; i += blockDim.x * gridDim.x) v += in[i];
  s[t] = v;
  __syncthreads();
  for (int st = blockDim.x / 2; st > 0; st >>= 1) {
    if (t < st) s[t] += s[t + st];
    __syncthreads();
  }
  if (t == 0) out[blockIdx.x] = s[0];
}

// The shape of cuda-samples' matrixMul (MatrixMulCUDA<32>): 32x32 tiles, the k loop unrolled
// into ld.shared/ld.shared/fma triples.
extern "C" __global__ void matmul32(float *C, const float *A, const float *B, int wA, int wB) {
  int bx = blockIdx.x, by = blockIdx.y, tx = threadIdx.x, ty = threadIdx.y;
  int aBegin = wA * 32 * by, aEnd = aBegin + wA - 1;
  int bBegin = 32 * bx, bStep = 32 * wB;
  float Csub = 0;
  for (int a = aBegin, b = bBegin; a <= aEnd; a += 32, b += bStep) {
    __shared__ float As[32][32];
    __shared__ float Bs[32][32];
    As[ty][tx] = A[a + wA * ty + tx];
    Bs[ty][tx] = B[b + wB * ty + tx];
    __syncthreads();
#pragma unroll
    for (int k = 0; k < 32; ++k) Csub += As[ty][k] * Bs[k][tx];
    __syncthreads();
  }
  C[wB * 32 * by + 32 * bx + wB * ty + tx] = Csub;
}

// The shape of cuda-samples' BlackScholes: per option __expf/__logf/rsqrtf/__fdividef and a
// polynomial, two options per thread through float2.
__device__ inline float cnd(float d) {
  float K = __fdividef(1.0f, (1.0f + 0.2316419f * fabsf(d)));
  float c = 0.39894228040143267793994605993438f * __expf(-0.5f * d * d) *
            (K * (0.31938153f + K * (-0.356563782f + K * (1.781477937f + K * (-1.821255978f + K * 1.330274429f)))));
  return d > 0 ? 1.0f - c : c;
}

__device__ inline void bs_body(float &call, float &put, float S, float X, float T, float R, float V) {
  float sqrtT = __fdividef(1.0F, rsqrtf(T));
  float d1 = __fdividef(__logf(S / X) + (R + 0.5f * V * V) * T, V * sqrtT);
  float d2 = d1 - V * sqrtT;
  float c1 = cnd(d1), c2 = cnd(d2), expRT = __expf(-R * T);
  call = S * c1 - X * expRT * c2;
  put = X * expRT * (1.0f - c2) - S * (1.0f - c1);
}

extern "C" __global__ void blackscholes(float2 *callr, float2 *putr, const float2 *S, const float2 *X,
                                        const float2 *T, float R, float V, int n) {
  int opt = blockDim.x * blockIdx.x + threadIdx.x;
  if (opt < n / 2) {
    float c1, c2, p1, p2;
    bs_body(c1, p1, S[opt].x, X[opt].x, T[opt].x, R, V);
    bs_body(c2, p2, S[opt].y, X[opt].y, T[opt].y, R, V);
    callr[opt] = make_float2(c1, c2);
    putr[opt] = make_float2(p1, p2);
  }
}

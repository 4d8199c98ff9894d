// textures.cu - CUDA arrays, texture objects and surface objects: 2D sampling with linear
// filtering in every address mode, 3D and layered arrays, tex1Dfetch on linear memory, and a
// surface read-modify-write, each against the CPU reference in textures.h.
#include "cuda_check.h"
#include "textures.h"

__global__ void tex_sample_2d(float4 *out, const float2 *coords, cudaTextureObject_t t, int n) {
  int i = blockIdx.x * blockDim.x + threadIdx.x;
  if (i < n) out[i] = tex2D<float4>(t, coords[i].x, coords[i].y);
}

__global__ void tex_read_3d(float *out, cudaTextureObject_t point, cudaTextureObject_t lin, int w, int h, int d) {
  int x = threadIdx.x, y = threadIdx.y, z = blockIdx.x;
  if (x >= w || y >= h || z >= d) return;
  int i = (z * h + y) * w + x;
  out[2 * i] = tex3D<float>(point, x + 0.5f, y + 0.5f, z + 0.5f);
  out[2 * i + 1] = tex3D<float>(lin, x + 0.25f, y + 0.8f, z + 0.6f);
}

__global__ void tex_read_layered(float *out, cudaTextureObject_t t, int w, int h) {
  int x = threadIdx.x, y = threadIdx.y, l = blockIdx.x;
  if (x < w && y < h) out[(l * h + y) * w + x] = tex2DLayered<float>(t, x + 0.5f, y + 0.5f, l);
}

__global__ void tex_read_2d(float *out, cudaTextureObject_t t, int w, int h) {
  int x = threadIdx.x, y = threadIdx.y;
  if (x < w && y < h) out[y * w + x] = tex2D<float>(t, x + 0.5f, y + 0.5f);
}

__global__ void tex_cube(float *out, cudaTextureObject_t t, const float *dirs, int n) {
  int i = threadIdx.x;
  if (i < n) out[i] = texCubemap<float>(t, dirs[3 * i], dirs[3 * i + 1], dirs[3 * i + 2]);
}

__global__ void tex_fetch_linear(int *out, cudaTextureObject_t t, int n, int pad) {
  int i = blockIdx.x * blockDim.x + threadIdx.x;
  if (i < n + 2 * pad) out[i] = tex1Dfetch<int>(t, i - pad);
}

__global__ void surf_update(cudaSurfaceObject_t s, int w, int h) {
  int x = blockIdx.x * blockDim.x + threadIdx.x, y = blockIdx.y * blockDim.y + threadIdx.y;
  if (x >= w || y >= h) return;
  float v = surf2Dread<float>(s, x * 4, y);
  surf2Dwrite(v * 2.0f + (float)(x - y), s, x * 4, y);
}

static cudaTextureObject_t array_texture(cudaArray_t a, cudaTextureAddressMode mode, bool linear, bool norm,
                                         cudaTextureReadMode read) {
  cudaResourceDesc res = {};
  res.resType = cudaResourceTypeArray;
  res.res.array.array = a;
  cudaTextureDesc td = {};
  td.addressMode[0] = td.addressMode[1] = td.addressMode[2] = mode;
  td.filterMode = linear ? cudaFilterModeLinear : cudaFilterModePoint;
  td.readMode = read;
  td.normalizedCoords = norm;
  cudaTextureObject_t t;
  CUDA_CHECK(cudaCreateTextureObject(&t, &res, &td, NULL));
  return t;
}

int main(void) {
  static unsigned char rgba[TX_W * TX_H * 4];
  static float vol[TX_3D_W * TX_3D_H * TX_3D_D], want3d[2 * TX_3D_W * TX_3D_H * TX_3D_D];
  static float got3d[2 * TX_3D_W * TX_3D_H * TX_3D_D], gotl[TX_3D_W * TX_3D_H * TX_LAYERS];
  static float want2d[TX_OW * TX_OH * 4], got2d[TX_OW * TX_OH * 4];
  static float2 coords[TX_OW * TX_OH];
  static int ints[TX_FETCH_N], gotf[TX_FETCH_N + 2 * TX_FETCH_PAD], wantf[TX_FETCH_N + 2 * TX_FETCH_PAD];
  size_t bad = 0;
  textures_inputs(rgba, vol, ints);

  // 2D: uchar4 array, sampled in each configuration
  cudaChannelFormatDesc c4 = cudaCreateChannelDesc<uchar4>();
  cudaArray_t a2;
  CUDA_CHECK(cudaMallocArray(&a2, &c4, TX_W, TX_H));
  CUDA_CHECK(cudaMemcpy2DToArray(a2, 0, 0, rgba, TX_W * 4, TX_W * 4, TX_H, cudaMemcpyHostToDevice));
  float4 *d_out;
  float2 *d_coords;
  CUDA_CHECK(cudaMalloc(&d_out, sizeof got2d));
  CUDA_CHECK(cudaMalloc(&d_coords, sizeof coords));
  for (int cfg = 0; cfg < TX_CONFIGS; cfg++) {
    for (int y = 0; y < TX_OH; y++)
      for (int x = 0; x < TX_OW; x++) textures_coord(x, y, tx_configs[cfg][2], &coords[y * TX_OW + x].x, &coords[y * TX_OW + x].y);
    CUDA_CHECK(cudaMemcpy(d_coords, coords, sizeof coords, cudaMemcpyHostToDevice));
    cudaTextureObject_t t = array_texture(a2, (cudaTextureAddressMode)tx_configs[cfg][0], tx_configs[cfg][1],
                                          tx_configs[cfg][2], cudaReadModeNormalizedFloat);
    tex_sample_2d<<<(TX_OW * TX_OH + 127) / 128, 128>>>(d_out, d_coords, t, TX_OW * TX_OH);
    CUDA_CHECK_LAUNCH();
    CUDA_CHECK(cudaMemcpy(got2d, d_out, sizeof got2d, cudaMemcpyDeviceToHost));
    CUDA_CHECK(cudaDestroyTextureObject(t));
    textures_ref_2d(rgba, cfg, want2d);
    for (int i = 0; i < TX_OW * TX_OH * 4; i++)
      if (fabsf(got2d[i] - want2d[i]) > 1e-5f) bad++;
  }

  // 3D float array: point and linear
  cudaChannelFormatDesc c1 = cudaCreateChannelDesc<float>();
  cudaArray_t a3;
  CUDA_CHECK(cudaMalloc3DArray(&a3, &c1, make_cudaExtent(TX_3D_W, TX_3D_H, TX_3D_D)));
  cudaMemcpy3DParms p = {};
  p.srcPtr = make_cudaPitchedPtr(vol, TX_3D_W * 4, TX_3D_W, TX_3D_H);
  p.dstArray = a3;
  p.extent = make_cudaExtent(TX_3D_W, TX_3D_H, TX_3D_D);
  p.kind = cudaMemcpyHostToDevice;
  CUDA_CHECK(cudaMemcpy3D(&p));
  cudaTextureObject_t tp = array_texture(a3, cudaAddressModeClamp, false, false, cudaReadModeElementType);
  cudaTextureObject_t tl = array_texture(a3, cudaAddressModeClamp, true, false, cudaReadModeElementType);
  float *d_f;
  CUDA_CHECK(cudaMalloc(&d_f, sizeof got3d));
  tex_read_3d<<<TX_3D_D, dim3(TX_3D_W, TX_3D_H)>>>(d_f, tp, tl, TX_3D_W, TX_3D_H, TX_3D_D);
  CUDA_CHECK_LAUNCH();
  CUDA_CHECK(cudaMemcpy(got3d, d_f, sizeof got3d, cudaMemcpyDeviceToHost));
  textures_ref_3d(vol, want3d);
  for (size_t i = 0; i < sizeof got3d / 4; i++)
    if (fabsf(got3d[i] - want3d[i]) > 1e-5f) bad++;

  // layered 2D array: the first TX_LAYERS slices of vol
  cudaArray_t al;
  CUDA_CHECK(cudaMalloc3DArray(&al, &c1, make_cudaExtent(TX_3D_W, TX_3D_H, TX_LAYERS), cudaArrayLayered));
  p.dstArray = al;
  p.extent = make_cudaExtent(TX_3D_W, TX_3D_H, TX_LAYERS);
  CUDA_CHECK(cudaMemcpy3D(&p));
  cudaTextureObject_t tly = array_texture(al, cudaAddressModeClamp, false, false, cudaReadModeElementType);
  tex_read_layered<<<TX_LAYERS, dim3(TX_3D_W, TX_3D_H)>>>(d_f, tly, TX_3D_W, TX_3D_H);
  CUDA_CHECK_LAUNCH();
  CUDA_CHECK(cudaMemcpy(gotl, d_f, sizeof gotl, cudaMemcpyDeviceToHost));
  bad += kc_compare_f32_exact("layered", gotl, vol, TX_3D_W * TX_3D_H * TX_LAYERS);

  // pitch2D: slice 1 of vol in cudaMallocPitch memory
  float *d_pitched;
  size_t pitch;
  CUDA_CHECK(cudaMallocPitch(&d_pitched, &pitch, TX_3D_W * 4, TX_3D_H));
  CUDA_CHECK(cudaMemcpy2D(d_pitched, pitch, vol + TX_3D_W * TX_3D_H, TX_3D_W * 4, TX_3D_W * 4, TX_3D_H,
                          cudaMemcpyHostToDevice));
  cudaResourceDesc pr = {};
  pr.resType = cudaResourceTypePitch2D;
  pr.res.pitch2D.devPtr = d_pitched;
  pr.res.pitch2D.desc = c1;
  pr.res.pitch2D.width = TX_3D_W;
  pr.res.pitch2D.height = TX_3D_H;
  pr.res.pitch2D.pitchInBytes = pitch;
  cudaTextureDesc ptd = {};
  ptd.readMode = cudaReadModeElementType;
  cudaTextureObject_t tpit;
  CUDA_CHECK(cudaCreateTextureObject(&tpit, &pr, &ptd, NULL));
  tex_read_2d<<<1, dim3(TX_3D_W, TX_3D_H)>>>(d_f, tpit, TX_3D_W, TX_3D_H);
  CUDA_CHECK_LAUNCH();
  CUDA_CHECK(cudaMemcpy(gotl, d_f, TX_3D_W * TX_3D_H * 4, cudaMemcpyDeviceToHost));
  bad += kc_compare_f32_exact("pitch2d", gotl, vol + TX_3D_W * TX_3D_H, TX_3D_W * TX_3D_H);
  CUDA_CHECK(cudaDestroyTextureObject(tpit));
  CUDA_CHECK(cudaFree(d_pitched));

  // cubemap: six 4x4 faces from vol
  cudaArray_t ac;
  CUDA_CHECK(cudaMalloc3DArray(&ac, &c1, make_cudaExtent(TX_CUBE_W, TX_CUBE_W, 6), cudaArrayCubemap));
  p.dstArray = ac;
  p.srcPtr = make_cudaPitchedPtr(vol, TX_CUBE_W * 4, TX_CUBE_W, TX_CUBE_W);
  p.extent = make_cudaExtent(TX_CUBE_W, TX_CUBE_W, 6);
  CUDA_CHECK(cudaMemcpy3D(&p));
  cudaTextureObject_t tc = array_texture(ac, cudaAddressModeClamp, false, true, cudaReadModeElementType);
  float *d_dirs, wantc[TX_CUBE_DIRS];
  CUDA_CHECK(cudaMalloc(&d_dirs, sizeof tx_cube_dirs));
  CUDA_CHECK(cudaMemcpy(d_dirs, tx_cube_dirs, sizeof tx_cube_dirs, cudaMemcpyHostToDevice));
  tex_cube<<<1, 32>>>(d_f, tc, d_dirs, TX_CUBE_DIRS);
  CUDA_CHECK_LAUNCH();
  CUDA_CHECK(cudaMemcpy(gotl, d_f, sizeof wantc, cudaMemcpyDeviceToHost));
  textures_ref_cube(vol, wantc);
  bad += kc_compare_f32_exact("cube", gotl, wantc, TX_CUBE_DIRS);
  CUDA_CHECK(cudaDestroyTextureObject(tc));
  CUDA_CHECK(cudaFreeArray(ac));
  CUDA_CHECK(cudaFree(d_dirs));

  // tex1Dfetch over linear memory
  int *d_ints, *d_gotf;
  CUDA_CHECK(cudaMalloc(&d_ints, sizeof ints));
  CUDA_CHECK(cudaMalloc(&d_gotf, sizeof gotf));
  CUDA_CHECK(cudaMemcpy(d_ints, ints, sizeof ints, cudaMemcpyHostToDevice));
  cudaResourceDesc lr = {};
  lr.resType = cudaResourceTypeLinear;
  lr.res.linear.devPtr = d_ints;
  lr.res.linear.desc = cudaCreateChannelDesc<int>();
  lr.res.linear.sizeInBytes = sizeof ints;
  cudaTextureDesc ltd = {};
  ltd.readMode = cudaReadModeElementType;
  cudaTextureObject_t tf;
  CUDA_CHECK(cudaCreateTextureObject(&tf, &lr, &ltd, NULL));
  tex_fetch_linear<<<1, 64>>>(d_gotf, tf, TX_FETCH_N, TX_FETCH_PAD);
  CUDA_CHECK_LAUNCH();
  CUDA_CHECK(cudaMemcpy(gotf, d_gotf, sizeof gotf, cudaMemcpyDeviceToHost));
  for (int i = 0; i < TX_FETCH_N + 2 * TX_FETCH_PAD; i++) {
    int j = i - TX_FETCH_PAD;
    wantf[i] = j >= 0 && j < TX_FETCH_N ? ints[j] : 0;
  }
  bad += kc_compare_i32("fetch", gotf, wantf, TX_FETCH_N + 2 * TX_FETCH_PAD);

  // surface: read-modify-write slice 0 of vol in a surface-capable array
  cudaArray_t as;
  CUDA_CHECK(cudaMallocArray(&as, &c1, TX_3D_W, TX_3D_H, cudaArraySurfaceLoadStore));
  CUDA_CHECK(cudaMemcpy2DToArray(as, 0, 0, vol, TX_3D_W * 4, TX_3D_W * 4, TX_3D_H, cudaMemcpyHostToDevice));
  cudaResourceDesc sr = {};
  sr.resType = cudaResourceTypeArray;
  sr.res.array.array = as;
  cudaSurfaceObject_t s;
  CUDA_CHECK(cudaCreateSurfaceObject(&s, &sr));
  surf_update<<<dim3(1, 1), dim3(16, 8)>>>(s, TX_3D_W, TX_3D_H);
  CUDA_CHECK_LAUNCH();
  CUDA_CHECK(cudaMemcpy2DFromArray(got3d, TX_3D_W * 4, as, 0, 0, TX_3D_W * 4, TX_3D_H, cudaMemcpyDeviceToHost));
  for (int y = 0; y < TX_3D_H; y++)
    for (int x = 0; x < TX_3D_W; x++) want3d[y * TX_3D_W + x] = vol[y * TX_3D_W + x] * 2.0f + (float)(x - y);
  bad += kc_compare_f32_exact("surface", got3d, want3d, TX_3D_W * TX_3D_H);

  CUDA_CHECK(cudaDestroySurfaceObject(s));
  CUDA_CHECK(cudaDestroyTextureObject(tp));
  CUDA_CHECK(cudaDestroyTextureObject(tl));
  CUDA_CHECK(cudaDestroyTextureObject(tly));
  CUDA_CHECK(cudaDestroyTextureObject(tf));
  CUDA_CHECK(cudaFreeArray(a2));
  CUDA_CHECK(cudaFreeArray(a3));
  CUDA_CHECK(cudaFreeArray(al));
  CUDA_CHECK(cudaFreeArray(as));
  CUDA_CHECK(cudaFree(d_out));
  CUDA_CHECK(cudaFree(d_coords));
  CUDA_CHECK(cudaFree(d_f));
  CUDA_CHECK(cudaFree(d_ints));
  CUDA_CHECK(cudaFree(d_gotf));
  return kc_finish("textures", bad);
}

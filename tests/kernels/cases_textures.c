/* cases_textures.c - the driver-API side of kernels/textures: CUDA arrays (cuArrayCreate,
 * cuArray3DCreate with layered and surface flags, cuMemcpy2D/3D and cuMemcpyHtoA/AtoH with
 * array sides), texture objects over arrays and linear memory, a surface object, and the
 * kernels' results against the reference in textures.h. Also checks descriptors come back
 * and that bad arguments are refused. */
#include <math.h>
#include <string.h>

#include "harness.h"
#include "textures.h"

static CUarray make_array(size_t w, size_t h, size_t d, CUarray_format f, unsigned ch, unsigned flags) {
  CUDA_ARRAY3D_DESCRIPTOR desc = {.Width = w, .Height = h, .Depth = d, .Format = f, .NumChannels = ch, .Flags = flags};
  CUarray a;
  HK_CHECK(cuArray3DCreate(&a, &desc));
  return a;
}

/* Host rows of `row` bytes -> an array (2D, or 3D with depth slices). */
static void upload_array(CUarray a, const void *src, size_t row, size_t h, size_t d) {
  CUDA_MEMCPY3D c = {.srcMemoryType = CU_MEMORYTYPE_HOST, .srcHost = src, .srcPitch = row, .srcHeight = h,
                     .dstMemoryType = CU_MEMORYTYPE_ARRAY, .dstArray = a,
                     .WidthInBytes = row, .Height = h, .Depth = d};
  HK_CHECK(cuMemcpy3D(&c));
}

static CUtexObject array_texture(CUarray a, CUaddress_mode mode, int linear, int norm, unsigned flags) {
  CUDA_RESOURCE_DESC res = {.resType = CU_RESOURCE_TYPE_ARRAY};
  res.res.array.hArray = a;
  CUDA_TEXTURE_DESC td = {.addressMode = {mode, mode, mode},
                          .filterMode = linear ? CU_TR_FILTER_MODE_LINEAR : CU_TR_FILTER_MODE_POINT,
                          .flags = flags | (norm ? CU_TRSF_NORMALIZED_COORDINATES : 0)};
  CUtexObject t;
  HK_CHECK(cuTexObjectCreate(&t, &res, &td, NULL));
  return t;
}

static size_t compare_tol(const char *label, const float *got, const float *want, size_t n) {
  size_t bad = 0;
  for (size_t i = 0; i < n; i++)
    if (!(fabsf(got[i] - want[i]) <= 1e-5f)) {
      if (bad++ < 5) printf("  %s[%zu]: got %.7g want %.7g\n", label, i, got[i], want[i]);
    }
  return bad;
}

static size_t run_2d(CUmodule m, const unsigned char *rgba) {
  CUfunction f = hk_function(m, "_Z13tex_sample_2dP6float4PK6float2yi");
  static float coords[TX_OW * TX_OH * 2], got[TX_OW * TX_OH * 4], want[TX_OW * TX_OH * 4];
  size_t bad = 0;
  int n = TX_OW * TX_OH;
  CUarray a = make_array(TX_W, TX_H, 0, CU_AD_FORMAT_UNSIGNED_INT8, 4, 0);
  CUDA_ARRAY_DESCRIPTOR d2;
  HK_CHECK(cuArrayGetDescriptor(&d2, a));
  if (d2.Width != TX_W || d2.Height != TX_H || d2.NumChannels != 4 || d2.Format != CU_AD_FORMAT_UNSIGNED_INT8) bad++;
  /* upload in two halves: HtoA for the first rows, a 2D copy for the rest */
  HK_CHECK(cuMemcpyHtoA(a, 0, rgba, (size_t)TX_W * 4 * 10));
  CUDA_MEMCPY2D c = {.srcMemoryType = CU_MEMORYTYPE_HOST, .srcHost = rgba + TX_W * 4 * 10, .srcPitch = TX_W * 4,
                     .dstMemoryType = CU_MEMORYTYPE_ARRAY, .dstArray = a, .dstY = 10,
                     .WidthInBytes = TX_W * 4, .Height = TX_H - 10};
  HK_CHECK(cuMemcpy2D(&c));
  CUdeviceptr d_out = hk_alloc(sizeof got), d_coords = hk_alloc(sizeof coords);
  for (int cfg = 0; cfg < TX_CONFIGS; cfg++) {
    for (int y = 0; y < TX_OH; y++)
      for (int x = 0; x < TX_OW; x++)
        textures_coord(x, y, tx_configs[cfg][2], &coords[2 * (y * TX_OW + x)], &coords[2 * (y * TX_OW + x) + 1]);
    HK_CHECK(cuMemcpyHtoD(d_coords, coords, sizeof coords));
    CUtexObject t = array_texture(a, (CUaddress_mode)tx_configs[cfg][0], tx_configs[cfg][1], tx_configs[cfg][2], 0);
    void *params[] = {&d_out, &d_coords, &t, &n};
    hk_launch_1d(f, hk_blocks_for((unsigned)n, 128), 128, 0, params);
    hk_download(got, d_out, sizeof got);
    HK_CHECK(cuTexObjectDestroy(t));
    textures_ref_2d(rgba, cfg, want);
    char label[32];
    snprintf(label, sizeof label, "2d-config%d", cfg);
    bad += compare_tol(label, got, want, (size_t)n * 4);
  }
  /* the array reads back as written */
  static unsigned char back[TX_W * TX_H * 4];
  HK_CHECK(cuMemcpyAtoH(back, a, 0, sizeof back));
  if (memcmp(back, rgba, sizeof back) != 0) {
    printf("  array read back differs\n");
    bad++;
  }
  if (cuMemcpyAtoH(back, a, 8, sizeof back) != CUDA_ERROR_INVALID_VALUE) {
    printf("  copy past the array's end was accepted\n");
    bad++;
  }
  /* regions outside the array are refused, however large the offsets */
  CUDA_MEMCPY2D past = c;
  past.dstY = TX_H - 5;
  if (cuMemcpy2D(&past) != CUDA_ERROR_INVALID_VALUE) {
    printf("  2D copy past the array's last row was accepted\n");
    bad++;
  }
  CUDA_MEMCPY3D wrap = {.srcMemoryType = CU_MEMORYTYPE_HOST, .srcHost = rgba, .srcPitch = TX_W * 4,
                        .dstMemoryType = CU_MEMORYTYPE_ARRAY, .dstArray = a, .dstZ = (size_t)1 << 62,
                        .dstY = (size_t)-1, .WidthInBytes = 4, .Height = 1, .Depth = 1};
  if (cuMemcpy3D(&wrap) != CUDA_ERROR_INVALID_VALUE) {
    printf("  3D copy at wrapping offsets was accepted\n");
    bad++;
  }
  HK_CHECK(cuMemFree(d_out));
  HK_CHECK(cuMemFree(d_coords));
  HK_CHECK(cuArrayDestroy(a));
  if (cuArrayDestroy(a) != CUDA_ERROR_INVALID_HANDLE) bad++;
  return bad;
}

static size_t run_3d_layered(CUmodule m, const float *vol) {
  CUfunction f3 = hk_function(m, "_Z11tex_read_3dPfyyiii"), fl = hk_function(m, "_Z16tex_read_layeredPfyii");
  static float got[2 * TX_3D_W * TX_3D_H * TX_3D_D], want[2 * TX_3D_W * TX_3D_H * TX_3D_D];
  int w = TX_3D_W, h = TX_3D_H, d = TX_3D_D;
  size_t bad = 0;
  CUarray a3 = make_array(TX_3D_W, TX_3D_H, TX_3D_D, CU_AD_FORMAT_FLOAT, 1, 0);
  upload_array(a3, vol, TX_3D_W * 4, TX_3D_H, TX_3D_D);
  CUtexObject tp = array_texture(a3, CU_TR_ADDRESS_MODE_CLAMP, 0, 0, 0);
  CUtexObject tl = array_texture(a3, CU_TR_ADDRESS_MODE_CLAMP, 1, 0, 0);
  CUdeviceptr d_out = hk_alloc(sizeof got);
  void *p3[] = {&d_out, &tp, &tl, &w, &h, &d};
  HK_CHECK(cuLaunchKernel(f3, TX_3D_D, 1, 1, TX_3D_W, TX_3D_H, 1, 0, NULL, p3, NULL));
  HK_CHECK(cuCtxSynchronize());
  hk_download(got, d_out, sizeof got);
  textures_ref_3d(vol, want);
  bad += compare_tol("3d", got, want, 2 * TX_3D_W * TX_3D_H * TX_3D_D);

  CUarray al = make_array(TX_3D_W, TX_3D_H, TX_LAYERS, CU_AD_FORMAT_FLOAT, 1, CUDA_ARRAY3D_LAYERED);
  CUDA_ARRAY3D_DESCRIPTOR back;
  HK_CHECK(cuArray3DGetDescriptor(&back, al));
  if (back.Depth != TX_LAYERS || back.Flags != CUDA_ARRAY3D_LAYERED) bad++;
  upload_array(al, vol, TX_3D_W * 4, TX_3D_H, TX_LAYERS);
  CUtexObject ty = array_texture(al, CU_TR_ADDRESS_MODE_CLAMP, 0, 0, 0);
  void *pl[] = {&d_out, &ty, &w, &h};
  HK_CHECK(cuLaunchKernel(fl, TX_LAYERS, 1, 1, TX_3D_W, TX_3D_H, 1, 0, NULL, pl, NULL));
  HK_CHECK(cuCtxSynchronize());
  hk_download(got, d_out, sizeof(float) * TX_3D_W * TX_3D_H * TX_LAYERS);
  textures_ref_layered(vol, want);
  bad += compare_tol("layered", got, want, TX_3D_W * TX_3D_H * TX_LAYERS);
  CUDA_RESOURCE_DESC rd;
  HK_CHECK(cuTexObjectGetResourceDesc(&rd, ty));
  if (rd.resType != CU_RESOURCE_TYPE_ARRAY || rd.res.array.hArray != al) bad++;
  HK_CHECK(cuTexObjectDestroy(tp));
  HK_CHECK(cuTexObjectDestroy(tl));
  HK_CHECK(cuTexObjectDestroy(ty));
  HK_CHECK(cuArrayDestroy(a3));
  HK_CHECK(cuArrayDestroy(al));
  HK_CHECK(cuMemFree(d_out));
  return bad;
}

/* A cubemap array (six faces of vol) sampled along the axes and two off-centre directions. */
static size_t run_cube(CUmodule m, const float *vol) {
  CUfunction f = hk_function(m, "_Z8tex_cubePfyPKfi");
  float got[TX_CUBE_DIRS], want[TX_CUBE_DIRS];
  int n = TX_CUBE_DIRS;
  CUarray a = make_array(TX_CUBE_W, TX_CUBE_W, 6, CU_AD_FORMAT_FLOAT, 1, CUDA_ARRAY3D_CUBEMAP);
  upload_array(a, vol, TX_CUBE_W * 4, TX_CUBE_W, 6);
  CUtexObject t = array_texture(a, CU_TR_ADDRESS_MODE_CLAMP, 0, 1, 0);
  CUdeviceptr d_out = hk_alloc(sizeof got), d_dirs = hk_upload(tx_cube_dirs, sizeof tx_cube_dirs);
  void *params[] = {&d_out, &t, &d_dirs, &n};
  hk_launch_1d(f, 1, 32, 0, params);
  hk_download(got, d_out, sizeof got);
  textures_ref_cube(vol, want);
  size_t bad = kc_compare_f32_exact("cube", got, want, TX_CUBE_DIRS);
  CUarray wrong;
  CUDA_ARRAY3D_DESCRIPTOR d = {.Width = 4, .Height = 4, .Depth = 5, .Format = CU_AD_FORMAT_FLOAT, .NumChannels = 1,
                               .Flags = CUDA_ARRAY3D_CUBEMAP};
  if (cuArray3DCreate(&wrong, &d) != CUDA_ERROR_INVALID_VALUE) {
    printf("  a cubemap of 5 faces was accepted\n");
    bad++;
  }
  HK_CHECK(cuTexObjectDestroy(t));
  HK_CHECK(cuArrayDestroy(a));
  HK_CHECK(cuMemFree(d_out));
  HK_CHECK(cuMemFree(d_dirs));
  return bad;
}

/* A pitch2D texture over cuMemAllocPitch memory (slice 1 of vol), read at texel centres. */
static size_t run_pitch2d(CUmodule m, const float *vol) {
  CUfunction f = hk_function(m, "_Z11tex_read_2dPfyii");
  float got[TX_3D_W * TX_3D_H];
  int w = TX_3D_W, h = TX_3D_H;
  size_t pitch;
  CUdeviceptr d;
  HK_CHECK(cuMemAllocPitch(&d, &pitch, TX_3D_W * 4, TX_3D_H, 4));
  CUDA_MEMCPY2D c = {.srcMemoryType = CU_MEMORYTYPE_HOST, .srcHost = vol + TX_3D_W * TX_3D_H, .srcPitch = TX_3D_W * 4,
                     .dstMemoryType = CU_MEMORYTYPE_DEVICE, .dstDevice = d, .dstPitch = pitch,
                     .WidthInBytes = TX_3D_W * 4, .Height = TX_3D_H};
  HK_CHECK(cuMemcpy2D(&c));
  CUDA_RESOURCE_DESC res = {.resType = CU_RESOURCE_TYPE_PITCH2D};
  res.res.pitch2D.devPtr = d;
  res.res.pitch2D.format = CU_AD_FORMAT_FLOAT;
  res.res.pitch2D.numChannels = 1;
  res.res.pitch2D.width = TX_3D_W;
  res.res.pitch2D.height = TX_3D_H;
  res.res.pitch2D.pitchInBytes = pitch;
  CUDA_TEXTURE_DESC td = {.flags = CU_TRSF_READ_AS_INTEGER};
  CUtexObject t, t2;
  HK_CHECK(cuTexObjectCreate(&t, &res, &td, NULL));
  CUdeviceptr d_out = hk_alloc(sizeof got);
  void *params[] = {&d_out, &t, &w, &h};
  HK_CHECK(cuLaunchKernel(f, 1, 1, 1, TX_3D_W, TX_3D_H, 1, 0, NULL, params, NULL));
  HK_CHECK(cuCtxSynchronize());
  hk_download(got, d_out, sizeof got);
  size_t bad = kc_compare_f32_exact("pitch2d", got, vol + TX_3D_W * TX_3D_H, TX_3D_W * TX_3D_H);
  /* a resource larger than its allocation is refused */
  res.res.pitch2D.height = TX_3D_H * 1000;
  if (cuTexObjectCreate(&t2, &res, &td, NULL) != CUDA_ERROR_INVALID_VALUE) {
    printf("  a pitch2D resource past its allocation was accepted\n");
    bad++;
  }
  HK_CHECK(cuTexObjectDestroy(t));
  HK_CHECK(cuMemFree(d_out));
  HK_CHECK(cuMemFree(d));
  return bad;
}

static size_t run_fetch(CUmodule m, const int *ints) {
  CUfunction f = hk_function(m, "_Z16tex_fetch_linearPiyii");
  int got[TX_FETCH_N + 2 * TX_FETCH_PAD], want[TX_FETCH_N + 2 * TX_FETCH_PAD], n = TX_FETCH_N, pad = TX_FETCH_PAD;
  CUdeviceptr d_in = hk_upload(ints, TX_FETCH_N * 4), d_out = hk_alloc(sizeof got);
  CUDA_RESOURCE_DESC res = {.resType = CU_RESOURCE_TYPE_LINEAR};
  res.res.linear.devPtr = d_in;
  res.res.linear.format = CU_AD_FORMAT_SIGNED_INT32;
  res.res.linear.numChannels = 1;
  res.res.linear.sizeInBytes = TX_FETCH_N * 4;
  CUDA_TEXTURE_DESC td = {.flags = CU_TRSF_READ_AS_INTEGER};
  CUtexObject t;
  HK_CHECK(cuTexObjectCreate(&t, &res, &td, NULL));
  void *params[] = {&d_out, &t, &n, &pad};
  /* destroyed right after an asynchronous launch, as programs do: the kernel still sees it */
  CUstream stream;
  HK_CHECK(cuStreamCreate(&stream, CU_STREAM_NON_BLOCKING));
  HK_CHECK(cuLaunchKernel(f, 1, 1, 1, 64, 1, 1, 0, stream, params, NULL));
  HK_CHECK(cuTexObjectDestroy(t));
  HK_CHECK(cuStreamSynchronize(stream));
  HK_CHECK(cuStreamDestroy(stream));
  hk_download(got, d_out, sizeof got);
  for (int i = 0; i < TX_FETCH_N + 2 * TX_FETCH_PAD; i++) {
    int j = i - TX_FETCH_PAD;
    want[i] = j >= 0 && j < TX_FETCH_N ? ints[j] : 0;
  }
  size_t bad = kc_compare_i32("fetch", got, want, TX_FETCH_N + 2 * TX_FETCH_PAD);
  if (cuTexObjectDestroy(t) != CUDA_ERROR_INVALID_VALUE) bad++;
  HK_CHECK(cuMemFree(d_in));
  HK_CHECK(cuMemFree(d_out));
  return bad;
}

static size_t run_surface(CUmodule m, const float *vol) {
  CUfunction f = hk_function(m, "_Z11surf_updateyii");
  float got[TX_3D_W * TX_3D_H], want[TX_3D_W * TX_3D_H];
  int w = TX_3D_W, h = TX_3D_H;
  size_t bad = 0;
  CUarray plain = make_array(TX_3D_W, TX_3D_H, 0, CU_AD_FORMAT_FLOAT, 1, 0);
  CUarray a = make_array(TX_3D_W, TX_3D_H, 0, CU_AD_FORMAT_FLOAT, 1, CUDA_ARRAY3D_SURFACE_LDST);
  upload_array(a, vol, TX_3D_W * 4, TX_3D_H, 1);
  CUDA_RESOURCE_DESC res = {.resType = CU_RESOURCE_TYPE_ARRAY};
  CUsurfObject s;
  res.res.array.hArray = plain;
  if (cuSurfObjectCreate(&s, &res) != CUDA_ERROR_INVALID_VALUE) {
    printf("  a surface over an array without CUDA_ARRAY3D_SURFACE_LDST was accepted\n");
    bad++;
  }
  res.res.array.hArray = a;
  HK_CHECK(cuSurfObjectCreate(&s, &res));
  void *params[] = {&s, &w, &h};
  HK_CHECK(cuLaunchKernel(f, 1, 1, 1, 16, 8, 1, 0, NULL, params, NULL));
  HK_CHECK(cuCtxSynchronize());
  CUDA_MEMCPY2D c = {.srcMemoryType = CU_MEMORYTYPE_ARRAY, .srcArray = a, .dstMemoryType = CU_MEMORYTYPE_HOST,
                     .dstHost = got, .dstPitch = TX_3D_W * 4, .WidthInBytes = TX_3D_W * 4, .Height = TX_3D_H};
  HK_CHECK(cuMemcpy2D(&c));
  for (int y = 0; y < TX_3D_H; y++)
    for (int x = 0; x < TX_3D_W; x++) want[y * TX_3D_W + x] = vol[y * TX_3D_W + x] * 2.0f + (float)(x - y);
  bad += kc_compare_f32_exact("surface", got, want, TX_3D_W * TX_3D_H);
  HK_CHECK(cuSurfObjectDestroy(s));
  HK_CHECK(cuArrayDestroy(a));
  HK_CHECK(cuArrayDestroy(plain));
  return bad;
}

size_t case_textures(CUmodule m) {
  static unsigned char rgba[TX_W * TX_H * 4];
  static float vol[TX_3D_W * TX_3D_H * TX_3D_D];
  static int ints[TX_FETCH_N];
  textures_inputs(rgba, vol, ints);
  return run_2d(m, rgba) + run_3d_layered(m, vol) + run_pitch2d(m, vol) + run_cube(m, vol) + run_fetch(m, ints) + run_surface(m, vol);
}

/* textures.h - inputs and CPU reference of textures: texture objects over CUDA arrays
 * (2D rotate-and-sample with linear filtering in every address mode, 3D, layered 2D),
 * tex1Dfetch over linear memory, and a surface read-modify-write. The reference follows
 * the CUDA programming guide's texture fetching appendix: x_B = x - 0.5, weights
 * frac(x_B) rounded to 1/256, address modes applied to texel indices. */
#ifndef GPUSHIM_TEXTURES_H
#define GPUSHIM_TEXTURES_H

#include <math.h>

#include "kcommon.h"

#define TX_W 37                     /* 2D source texture */
#define TX_H 29
#define TX_OW 48                    /* sampled output */
#define TX_OH 40
#define TX_ANGLE 0.5f               /* rotation (radians) and zoom of the sampling grid */
#define TX_ZOOM 1.7f
#define TX_3D_W 9
#define TX_3D_H 7
#define TX_3D_D 5
#define TX_LAYERS 3
#define TX_FETCH_N 50               /* ints behind the tex1Dfetch texture */
#define TX_FETCH_PAD 4              /* indices read on both sides of it (out of range: 0) */
#define TX_SEED 0x7E47u

/* The modes tried on the 2D texture: cudaTextureAddressMode, linear?, normalized? */
#define TX_CONFIGS 5
static const int tx_configs[TX_CONFIGS][3] = {
  {0, 1, 1},   /* wrap, linear, normalized */
  {2, 1, 1},   /* mirror, linear, normalized */
  {1, 1, 0},   /* clamp, linear, texel coordinates */
  {3, 1, 0},   /* border, linear, texel coordinates */
  {1, 0, 1},   /* clamp, point, normalized */
};

/* 2D texels: RGBA8 (uchar4) read as normalized floats */
static inline void textures_inputs(unsigned char *rgba, float *vol, int *ints) {
  kc_rng r;
  int i;
  kc_rng_seed(&r, TX_SEED);
  for (i = 0; i < TX_W * TX_H * 4; i++) rgba[i] = (unsigned char)kc_below(&r, 256);
  for (i = 0; i < TX_3D_W * TX_3D_H * TX_3D_D; i++) vol[i] = kc_uniform(&r, -4.0f, 4.0f);
  for (i = 0; i < TX_FETCH_N; i++) ints[i] = (int)kc_below(&r, 100000) - 50000;
}

/* The coordinate output pixel (x, y) samples (computed on the host, passed to the kernel): a rotated, zoomed grid around the centre, in
 * normalized or texel units. */
static inline void textures_coord(int x, int y, int normalized, float *u, float *v) {
  float cx = (float)x - TX_OW * 0.5f, cy = (float)y - TX_OH * 0.5f;
  float c = cosf(TX_ANGLE) * TX_ZOOM, s = sinf(TX_ANGLE) * TX_ZOOM;
  float tx = (c * cx - s * cy) + TX_W * 0.5f, ty = (s * cx + c * cy) + TX_H * 0.5f;
  *u = normalized ? tx / TX_W : tx;
  *v = normalized ? ty / TX_H : ty;
}

/* Index i of a dimension of n texels under address mode `mode`; -1 = border. */
static inline int tx_ref_index(int i, int n, int mode) {
  if (i >= 0 && i < n) return i;
  if (mode == 0) return ((i % n) + n) % n;
  if (mode == 2) {
    int k = ((i % (2 * n)) + 2 * n) % (2 * n);
    return k < n ? k : 2 * n - 1 - k;
  }
  if (mode == 3) return -1;
  return i < 0 ? 0 : n - 1;
}

/* Samples `ch` channels of a float texture of dims 1-3 (sizes n) at coord (texel units). */
static inline void tx_ref_sample(const float *tex, int ch, const int n[3], int dims, const float coord[3],
                                 int mode, int linear, float *out) {
  int i0[3] = {0, 0, 0}, corner, d, c;
  float a[3] = {0, 0, 0};
  for (c = 0; c < ch; c++) out[c] = 0.0f;
  for (d = 0; d < dims; d++) {
    float x = linear ? coord[d] - 0.5f : coord[d];
    i0[d] = (int)floorf(x);
    a[d] = floorf((x - floorf(x)) * 256.0f + 0.5f) / 256.0f;
  }
  for (corner = 0; corner < (linear ? 1 << dims : 1); corner++) {
    float w = 1.0f;
    int idx[3] = {0, 0, 0}, border = 0;
    for (d = 0; d < dims; d++) {
      int hi = corner >> d & 1;
      idx[d] = tx_ref_index(i0[d] + hi, n[d], mode);
      border |= idx[d] < 0;
      if (linear) w *= hi ? a[d] : 1.0f - a[d];
    }
    for (c = 0; c < ch; c++) {
      float t = border ? 0.0f : tex[((size_t)(idx[2] * n[1] + idx[1]) * n[0] + idx[0]) * ch + c];
      out[c] += w * t;
    }
  }
}

/* Expected output of the 2D sampling kernel for configuration cfg. */
static inline void textures_ref_2d(const unsigned char *rgba, int cfg, float *want) {
  static float texf[TX_W * TX_H * 4];
  int n[3] = {TX_W, TX_H, 1}, i, x, y;
  for (i = 0; i < TX_W * TX_H * 4; i++) texf[i] = rgba[i] / 255.0f;
  for (y = 0; y < TX_OH; y++)
    for (x = 0; x < TX_OW; x++) {
      float c[3] = {0, 0, 0};
      textures_coord(x, y, tx_configs[cfg][2], &c[0], &c[1]);
      if (tx_configs[cfg][2]) {
        c[0] *= TX_W;
        c[1] *= TX_H;
      }
      tx_ref_sample(texf, 4, n, 2, c, tx_configs[cfg][0], tx_configs[cfg][1], want + (y * TX_OW + x) * 4);
    }
}

/* 3D: texel centres (exact) then points a quarter texel off (linear, clamp). */
static inline void textures_ref_3d(const float *vol, float *want) {
  int n[3] = {TX_3D_W, TX_3D_H, TX_3D_D}, x, y, z;
  for (z = 0; z < TX_3D_D; z++)
    for (y = 0; y < TX_3D_H; y++)
      for (x = 0; x < TX_3D_W; x++) {
        float c[3] = {x + 0.25f, y + 0.8f, z + 0.6f};
        size_t i = (size_t)(z * TX_3D_H + y) * TX_3D_W + x;
        want[2 * i] = vol[i];
        tx_ref_sample(vol, 1, n, 3, c, 1, 1, &want[2 * i + 1]);
      }
}

/* Layered: layer l of TX_LAYERS holds vol's slice l; read at texel centres. */
static inline void textures_ref_layered(const float *vol, float *want) {
  int i;
  for (i = 0; i < TX_3D_W * TX_3D_H * TX_LAYERS; i++) want[i] = vol[i];
}

/* Cubemap: TX_CUBE_W x TX_CUBE_W faces (face f, texel (x, y) = vol[f * W * W + y * W + x]),
 * point-sampled along the six axes (face centres) and two off-centre directions that show
 * the faces' orientation (programming guide, cubemap fetch table). */
#define TX_CUBE_W 4
#define TX_CUBE_DIRS 8
static const float tx_cube_dirs[TX_CUBE_DIRS][3] = {
  {1, 0, 0}, {-1, 0, 0}, {0, 1, 0}, {0, -1, 0}, {0, 0, 1}, {0, 0, -1},
  {1, -0.5f, 0.5f},     /* +x: s = -z, t = -y -> u 0.25, v 0.75: texel (1, 3) of face 0 */
  {-0.5f, 0.25f, -1},   /* -z: s = -x, t = -y -> u 0.75, v 0.375: texel (3, 1) of face 5 */
};
static inline void textures_ref_cube(const float *faces, float *want) {
  int f;
  for (f = 0; f < 6; f++) want[f] = faces[f * TX_CUBE_W * TX_CUBE_W + 2 * TX_CUBE_W + 2];
  want[6] = faces[0 * TX_CUBE_W * TX_CUBE_W + 3 * TX_CUBE_W + 1];
  want[7] = faces[5 * TX_CUBE_W * TX_CUBE_W + 1 * TX_CUBE_W + 3];
}

/* The surface kernel's update of texel (x, y) of value v: v * 2 + (x - y). */

#endif

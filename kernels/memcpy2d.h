/* memcpy2d.h - inputs and CPU reference of memcpy2d: a matrix goes host -> pitched device
 * memory (host rows padded), a kernel transforms it in place, a sub-rectangle is copied
 * device -> device into a cleared second pitched buffer, and both come back to host
 * buffers of other pitches whose padding must stay untouched. */
#ifndef GPUSHIM_MEMCPY2D_H
#define GPUSHIM_MEMCPY2D_H

#include "kcommon.h"

#define M2D_W 100                   /* floats per row */
#define M2D_H 50
#define M2D_SRC_PITCH 104           /* host source row pitch, floats */
#define M2D_DST_PITCH 120           /* host destination row pitch, floats */
#define M2D_SUB_W 30                /* the sub-rectangle copied device to device */
#define M2D_SUB_H 20
#define M2D_SUB_X 5                 /* its origin in the first buffer */
#define M2D_SUB_Y 7
#define M2D_DEST_X 60               /* and in the second */
#define M2D_DEST_Y 25
#define M2D_SENTINEL -7.5f
#define M2D_BLOCK_X 32
#define M2D_BLOCK_Y 4
#define M2D_SEED 0x5EED0013u

/* The source: a padded host matrix of quarter-integers (padding holds the sentinel). */
static inline void memcpy2d_inputs(float *src) {
  kc_rng r;
  int x, y;
  kc_rng_seed(&r, M2D_SEED);
  for (y = 0; y < M2D_H; y++)
    for (x = 0; x < M2D_SRC_PITCH; x++)
      src[y * M2D_SRC_PITCH + x] = x < M2D_W ? (float)((int)kc_below(&r, 2001) - 1000) * 0.25f
                                             : M2D_SENTINEL;
}

/* The kernel's transform of element (x, y): exact for these values. */
static inline float memcpy2d_transform(float v, int y) { return v * 2.0f + (float)y; }

/* want_dense: the first buffer read back densely (pitch M2D_W); want_dst: the second
 * buffer read back into a host buffer of pitch M2D_DST_PITCH prefilled with the sentinel. */
static inline void memcpy2d_ref(const float *src, float *want_dense, float *want_dst) {
  int x, y;
  for (y = 0; y < M2D_H; y++)
    for (x = 0; x < M2D_W; x++)
      want_dense[y * M2D_W + x] = memcpy2d_transform(src[y * M2D_SRC_PITCH + x], y);
  for (y = 0; y < M2D_H; y++)
    for (x = 0; x < M2D_DST_PITCH; x++) {
      float v = M2D_SENTINEL;
      if (x < M2D_W) {
        int sx = x - M2D_DEST_X + M2D_SUB_X, sy = y - M2D_DEST_Y + M2D_SUB_Y;
        int inside = x >= M2D_DEST_X && x < M2D_DEST_X + M2D_SUB_W && y >= M2D_DEST_Y &&
                     y < M2D_DEST_Y + M2D_SUB_H;
        v = inside ? want_dense[sy * M2D_W + sx] : 0.0f;
      }
      want_dst[y * M2D_DST_PITCH + x] = v;
    }
}

#endif

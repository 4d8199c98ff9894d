/* grids.h - shapes and CPU reference of grids: a 2D grid of 2D blocks and a 3D grid of 3D
 * blocks, each thread writing its coordinates and a global id built from blockIdx,
 * threadIdx, blockDim and gridDim. No inputs: the launch shape is the input. */
#ifndef GPUSHIM_GRIDS_H
#define GPUSHIM_GRIDS_H

#include "kcommon.h"

#define GRIDS_W2 300
#define GRIDS_H2 200
#define GRIDS_BX2 16
#define GRIDS_BY2 8
#define GRIDS_GX2 ((GRIDS_W2 + GRIDS_BX2 - 1) / GRIDS_BX2)
#define GRIDS_GY2 ((GRIDS_H2 + GRIDS_BY2 - 1) / GRIDS_BY2)

#define GRIDS_W3 37
#define GRIDS_H3 19
#define GRIDS_D3 11
#define GRIDS_BX3 8
#define GRIDS_BY3 4
#define GRIDS_BZ3 4
#define GRIDS_GX3 ((GRIDS_W3 + GRIDS_BX3 - 1) / GRIDS_BX3)
#define GRIDS_GY3 ((GRIDS_H3 + GRIDS_BY3 - 1) / GRIDS_BY3)
#define GRIDS_GZ3 ((GRIDS_D3 + GRIDS_BZ3 - 1) / GRIDS_BZ3)

/* 2D: coord[y*W+x] = y << 16 | x; id[] = (linear block) * threads per block + linear thread. */
static inline void grids_ref_2d(uint32_t *coord, uint32_t *id) {
  int x, y;
  for (y = 0; y < GRIDS_H2; y++)
    for (x = 0; x < GRIDS_W2; x++) {
      uint32_t block = (uint32_t)((y / GRIDS_BY2) * GRIDS_GX2 + x / GRIDS_BX2);
      uint32_t thread = (uint32_t)((y % GRIDS_BY2) * GRIDS_BX2 + x % GRIDS_BX2);
      coord[y * GRIDS_W2 + x] = (uint32_t)y << 16 | (uint32_t)x;
      id[y * GRIDS_W2 + x] = block * (GRIDS_BX2 * GRIDS_BY2) + thread;
    }
}

/* 3D: coord = z << 20 | y << 10 | x, id as in 2D with z outermost. */
static inline void grids_ref_3d(uint32_t *coord, uint32_t *id) {
  int x, y, z;
  for (z = 0; z < GRIDS_D3; z++)
    for (y = 0; y < GRIDS_H3; y++)
      for (x = 0; x < GRIDS_W3; x++) {
        int at = (z * GRIDS_H3 + y) * GRIDS_W3 + x;
        uint32_t block = (uint32_t)(((z / GRIDS_BZ3) * GRIDS_GY3 + y / GRIDS_BY3) * GRIDS_GX3 +
                                    x / GRIDS_BX3);
        uint32_t thread = (uint32_t)(((z % GRIDS_BZ3) * GRIDS_BY3 + y % GRIDS_BY3) * GRIDS_BX3 +
                                     x % GRIDS_BX3);
        coord[at] = (uint32_t)z << 20 | (uint32_t)y << 10 | (uint32_t)x;
        id[at] = block * (GRIDS_BX3 * GRIDS_BY3 * GRIDS_BZ3) + thread;
      }
}

#endif

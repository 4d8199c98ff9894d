/* memset.h - the expected buffer of memset: fill with byte 0xAB, a kernel writes its index
 * into every even element, then a byte range that is not a whole number of elements is
 * cleared asynchronously. The reference replays the three steps on host bytes. */
#ifndef GPUSHIM_MEMSET_H
#define GPUSHIM_MEMSET_H

#include "kcommon.h"

#define MEMSET_N 10007              /* 32-bit elements */
#define MEMSET_BLOCK 128
#define MEMSET_FILL 0xAB
#define MEMSET_CLEAR_OFFSET 402     /* bytes: starts inside element 100 */
#define MEMSET_CLEAR_BYTES 1031     /* ends inside element 358 */

static inline void memset_ref(uint32_t *want, int n) {
  int i;
  memset(want, MEMSET_FILL, (size_t)n * sizeof(uint32_t));
  for (i = 0; i < n; i += 2) want[i] = (uint32_t)i;
  memset((unsigned char *)want + MEMSET_CLEAR_OFFSET, 0, MEMSET_CLEAR_BYTES);
}

#endif

/* fault.h - what fault does and expects: one thread writes far beyond the end of a small
 * allocation. CUDA reports that as cudaErrorIllegalAddress (CUDA_ERROR_ILLEGAL_ADDRESS)
 * at the next synchronisation, and the error is sticky: the context stays unusable. */
#ifndef GPUSHIM_FAULT_H
#define GPUSHIM_FAULT_H

#include "kcommon.h"

#define FAULT_N 256                        /* ints allocated */
#define FAULT_BAD_INDEX (1LL << 28)        /* 1 GiB past the start: nowhere near the buffer */
#define FAULT_BAD_THREAD 37                /* the one thread that writes there */

#endif

/* runtime_api.h - what gen_unsupported.py reads: the toolkit's runtime API declarations. */
#include <cuda_runtime_api.h>

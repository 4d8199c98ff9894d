/* custom_ctx.c - contexts on the client: each thread's current-context stack lives here (the
 * agent learns the current context from a gs_set_ctx call queued before the next call that runs
 * in a different one); creation and destruction go to the agent. */
#include <string.h>

#include "gs_client.h"

#define STACK_MAX 64

static __thread uint64_t ctx_stack[STACK_MAX];
static __thread int ctx_depth;

uint64_t gs_client_current_ctx(void) {
  return ctx_depth > 0 ? ctx_stack[ctx_depth - 1] : 0;
}

GS_EXPORT CUresult CUDAAPI cuCtxSetCurrent(CUcontext ctx) {
  if (ctx_depth == 0) {
    if (!ctx) return CUDA_SUCCESS;
    ctx_depth = 1;
  }
  ctx_stack[ctx_depth - 1] = (uint64_t)(uintptr_t)ctx;
  if (!ctx) ctx_depth--;
  return CUDA_SUCCESS;
}

GS_EXPORT CUresult CUDAAPI cuCtxGetCurrent(CUcontext *pctx) {
  if (!pctx) return CUDA_ERROR_INVALID_VALUE;
  *pctx = (CUcontext)(uintptr_t)gs_client_current_ctx();
  return CUDA_SUCCESS;
}

GS_EXPORT CUresult CUDAAPI cuCtxPushCurrent(CUcontext ctx) {
  if (!ctx) return CUDA_ERROR_INVALID_CONTEXT;
  if (ctx_depth == STACK_MAX) return CUDA_ERROR_OUT_OF_MEMORY;
  ctx_stack[ctx_depth++] = (uint64_t)(uintptr_t)ctx;
  return CUDA_SUCCESS;
}

GS_EXPORT CUresult CUDAAPI cuCtxPopCurrent(CUcontext *pctx) {
  if (ctx_depth == 0) return CUDA_ERROR_INVALID_CONTEXT;
  uint64_t top = ctx_stack[--ctx_depth];
  if (pctx) *pctx = (CUcontext)(uintptr_t)top;
  return CUDA_SUCCESS;
}

GS_EXPORT CUresult CUDAAPI cuCtxCreate(CUcontext *pctx, CUctxCreateParams *params,
                                       unsigned int flags, CUdevice dev) {
  (void)params;            /* execution-affinity / CIG parameters: not forwarded */
  if (!pctx) return CUDA_ERROR_INVALID_VALUE;
  cuCtxCreate_args a = {flags, dev};
  cuCtxCreate_res r = {0};
  CUresult e = gs_call(GS_cuCtxCreate, GS_F_SYNC, (xdrproc_t)xdr_cuCtxCreate_args, &a,
                       (xdrproc_t)xdr_cuCtxCreate_res, &r);
  if (e) return e;
  if (ctx_depth == STACK_MAX) return CUDA_ERROR_OUT_OF_MEMORY;
  ctx_stack[ctx_depth++] = r.pctx;          /* a new context becomes current */
  *pctx = (CUcontext)(uintptr_t)r.pctx;
  return CUDA_SUCCESS;
}

GS_EXPORT CUresult CUDAAPI cuCtxDestroy(CUcontext ctx) {
  if (!ctx) return CUDA_ERROR_INVALID_VALUE;
  cuCtxDestroy_args a = {(uint64_t)(uintptr_t)ctx};
  CUresult e = gs_call(GS_cuCtxDestroy, GS_F_SYNC, (xdrproc_t)xdr_cuCtxDestroy_args, &a, 0, 0);
  if (e) return e;
  gs_client_forget_context_errors((uint64_t)(uintptr_t)ctx);
  /* it leaves this thread's stack */
  int out = 0;
  for (int i = 0; i < ctx_depth; i++)
    if (ctx_stack[i] != (uint64_t)(uintptr_t)ctx) ctx_stack[out++] = ctx_stack[i];
  ctx_depth = out;
  return CUDA_SUCCESS;
}

/* The older ABI versions of cuCtxCreate, for programs and libraries built before CUDA 12.5:
 * v2 (flags, dev) and v3 (execution-affinity parameters, not forwarded). */
CUresult CUDAAPI gs_cuCtxCreate_v2(CUcontext *pctx, unsigned int flags, CUdevice dev)
    __asm__("cuCtxCreate_v2");
GS_EXPORT CUresult CUDAAPI gs_cuCtxCreate_v2(CUcontext *pctx, unsigned int flags, CUdevice dev) {
  return cuCtxCreate(pctx, NULL, flags, dev);
}

CUresult CUDAAPI gs_cuCtxCreate_v3(CUcontext *pctx, CUexecAffinityParam *paramsArray,
                                   int numParams, unsigned int flags, CUdevice dev)
    __asm__("cuCtxCreate_v3");
GS_EXPORT CUresult CUDAAPI gs_cuCtxCreate_v3(CUcontext *pctx, CUexecAffinityParam *paramsArray,
                                             int numParams, unsigned int flags, CUdevice dev) {
  (void)paramsArray, (void)numParams;
  return cuCtxCreate(pctx, NULL, flags, dev);
}

void *gs_client_ctx_create_for_version(int cudaVersion) {
  if (cudaVersion < 11040) return (void *)gs_cuCtxCreate_v2;
  if (cudaVersion < 12050) return (void *)gs_cuCtxCreate_v3;
  return (void *)cuCtxCreate;
}

/* custom_misc.c - what the driver client answers without the agent: error names and strings
 * (generated from cuda.h's CUresult comments) and cuGetProcAddress for what we export. */
#include <string.h>

#include "gs_client.h"

GS_EXPORT CUresult CUDAAPI cuGetErrorName(CUresult error, const char **pStr) {
  if (!pStr) return CUDA_ERROR_INVALID_VALUE;
  *pStr = gs_error_name(error);
  return *pStr ? CUDA_SUCCESS : CUDA_ERROR_INVALID_VALUE;
}

GS_EXPORT CUresult CUDAAPI cuGetErrorString(CUresult error, const char **pStr) {
  if (!pStr) return CUDA_ERROR_INVALID_VALUE;
  *pStr = gs_error_string(error);
  return *pStr ? CUDA_SUCCESS : CUDA_ERROR_INVALID_VALUE;
}

/* The agent's driver version; with no agent, the version we were built for, as a driver
 * without a device still answers. */
GS_EXPORT CUresult CUDAAPI cuDriverGetVersion(int *driverVersion) {
  if (!driverVersion) return CUDA_ERROR_INVALID_VALUE;
  cuDriverGetVersion_res r = {0};
  CUresult e = gs_call(GS_cuDriverGetVersion, GS_F_SYNC | GS_F_CACHE, 0, 0,
                       (xdrproc_t)xdr_cuDriverGetVersion_res, &r);
  *driverVersion = e == CUDA_SUCCESS ? r.driverVersion : CUDA_VERSION;
  return CUDA_SUCCESS;
}

/* A host function runs on the client, after all work queued before it on the stream: we wait
 * for the stream, then call it (on the calling thread, which returns once it ran). */
GS_EXPORT CUresult CUDAAPI cuLaunchHostFunc(CUstream hStream, CUhostFn fn, void *userData) {
  if (!fn) return CUDA_ERROR_INVALID_VALUE;
  CUresult e = cuStreamSynchronize(hStream);
  if (e) return e;
  fn(userData);
  return CUDA_SUCCESS;
}

/* A stream callback: like a host function, with the stream's status. */
GS_EXPORT CUresult CUDAAPI cuStreamAddCallback(CUstream hStream, CUstreamCallback callback,
                                               void *userData, unsigned int flags) {
  if (!callback || flags != 0) return CUDA_ERROR_INVALID_VALUE;
  CUresult status = cuStreamSynchronize(hStream);
  if (status == CUDA_ERROR_LAUNCH_FAILED || status == CUDA_ERROR_NOT_INITIALIZED) return status;
  callback(hStream, status, userData);
  return CUDA_SUCCESS;
}

/* NVIDIA's private interface tables (the static runtime's, NVRTC's): not provided. NVRTC
 * dlopens libcuda.so.1 — under `gpushim run`, this library — and calls this after cuInit; it
 * crashes if the function is missing, and carries on without the table when told so. */
GS_EXPORT CUresult CUDAAPI cuGetExportTable(const void **ppExportTable, const CUuuid *pExportTableId) {
  (void)pExportTableId;
  if (ppExportTable) *ppExportTable = NULL;
  return CUDA_ERROR_NOT_SUPPORTED;
}

/* By API name: the newest ABI version of each function is the one we export, whatever version
 * the caller names (no program asks for the pre-3.2 32-bit forms); cuCtxCreate is chosen by
 * version since its signature changed in 11.4 and 12.5. */
static void *lookup(const gs_export *table, const char *symbol) {
  for (const gs_export *x = table; x->name; x++)
    if (strcmp(x->name, symbol) == 0) return x->fn;
  return NULL;
}

GS_EXPORT CUresult CUDAAPI cuGetProcAddress(const char *symbol, void **pfn, int cudaVersion,
                                            cuuint64_t flags,
                                            CUdriverProcAddressQueryResult *symbolStatus) {
  if (!symbol || !pfn) return CUDA_ERROR_INVALID_VALUE;
  *pfn = NULL;
  if (flags & CU_GET_PROC_ADDRESS_PER_THREAD_DEFAULT_STREAM) *pfn = lookup(gs_exports_ptds, symbol);
  /* the one exported function whose signature changed across the versions callers name */
  if (!*pfn)
    *pfn = strcmp(symbol, "cuCtxCreate") == 0 ? gs_client_ctx_create_for_version(cudaVersion)
                                              : lookup(gs_exports, symbol);
  if (symbolStatus)
    *symbolStatus = *pfn ? CU_GET_PROC_ADDRESS_SUCCESS : CU_GET_PROC_ADDRESS_SYMBOL_NOT_FOUND;
  return *pfn ? CUDA_SUCCESS : CUDA_ERROR_NOT_FOUND;
}

/* The pre-12.0 entry point, exported under its own ABI name. */
CUresult CUDAAPI gs_cuGetProcAddress_legacy(const char *symbol, void **pfn, int cudaVersion,
                                            cuuint64_t flags) __asm__("cuGetProcAddress");
GS_EXPORT CUresult CUDAAPI gs_cuGetProcAddress_legacy(const char *symbol, void **pfn,
                                                      int cudaVersion, cuuint64_t flags) {
  return cuGetProcAddress(symbol, pfn, cudaVersion, flags, NULL);
}

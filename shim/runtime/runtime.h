/* runtime.h - internal interface of gpushim's CUDA runtime layer (our libcudart.so.13 face).
 *
 * The runtime keeps CUDA runtime semantics on the client — fatbin registration, the implicit
 * primary context per device, <<<>>> call configuration, last and sticky errors, the legacy
 * default stream — and expresses everything else as CUDA driver calls (cu* from cuda.h). Those
 * driver calls land in whatever libcuda face is linked with the runtime: gpushim's forwarding
 * stubs in libgpushim.so, or any real libcuda.so.1 (the CPU device, NVIDIA's driver).
 */
#ifndef GPUSHIM_RUNTIME_H
#define GPUSHIM_RUNTIME_H

#include <cuda.h>
#include <cuda_runtime_api.h>
#include <cuda_profiler_api.h>
#include <stdbool.h>
#include <stddef.h>

#define RT_EXPORT __attribute__((visibility("default")))
#define RT_MAX_DEVICES 64

/* ---- errors (rt_errors.c, rt_state.c) ---- */
cudaError_t rt_error_from_driver(CUresult r);
/* Records err as the calling thread's last error (unless cudaSuccess) and returns it. */
cudaError_t rt_set_error(cudaError_t err);
/* Maps a driver result, records it, returns it: the one-liner most API functions end with. */
cudaError_t rt_check(CUresult r);

/* One stderr line per unsupported function (first call), then cudaErrorNotSupported. */
cudaError_t rt_unsupported(const char *name);

/* Structs the runtime fills field by field from driver attributes (cudaDeviceProp,
 * cudaFuncAttributes) use one table shape: where the field is, its C type, which attribute. */
typedef enum { RT_FIELD_INT, RT_FIELD_UINT, RT_FIELD_SIZE } rt_field_kind;
void rt_store_field(void *object, size_t offset, rt_field_kind kind, int value);

/* ---- devices and contexts (rt_state.c) ---- */
/* Makes sure the driver is initialised and the calling thread's current device has its primary
 * context retained and current; loads nothing. Returns cudaSuccess or the error to report. */
cudaError_t rt_ensure_context(void);
int rt_current_device(void);
CUcontext rt_device_context(int device);
/* Cached device attribute (device attributes never change); 0 when unavailable. */
int rt_device_attribute(int device, CUdevice_attribute attr);
/* Called by cudaDeviceReset: forget per-device module state so it is reloaded lazily. */
void rt_forget_device_modules(int device);

/* ---- registration (rt_register.c) ---- */
typedef struct rt_function rt_function;
/* The function registered for a host stub (or a cudaKernel_t handle we issued), or NULL. */
rt_function *rt_find_function(const void *host_fun);
/* The CUfunction for the current device, loading its module on first use. */
cudaError_t rt_function_handle(rt_function *fn, CUfunction *out);
const char *rt_function_name(const rt_function *fn);
/* Device address and size of a registered variable (__device__, __constant__) by host symbol. */
cudaError_t rt_symbol_address(const void *symbol, CUdeviceptr *addr, size_t *size);

/* ---- streams (rt_stream.c) ---- */
/* The driver stream for a runtime stream argument (0 → legacy or per-thread default). */
CUstream rt_stream(cudaStream_t s, bool per_thread_default);

#endif

/* nvrtc_face.c - the NVRTC face of libgpushim.so (libnvrtc.so.13 in shim/faces).
 *
 * Every NVRTC function is forwarded to NVIDIA's own libnvrtc, opened by path (never this file),
 * through one table. One function does more: nvrtcGetCUBIN hands the app the real cubin and
 * also notes the PTX of the same compilation as that cubin's "twin" (shim/driver/ptx_twin.h).
 * When a module load of that cubin is refused with CUDA_ERROR_NO_BINARY_FOR_GPU by a device
 * that cannot run SASS (the CPU device), the loader loads the twin instead; a GPU that runs
 * the cubin never sees the twin. NVRTC samples compile with --gpu-architecture=sm_XY (XY from
 * the device) and load the cubin: they run on either, unchanged.
 *
 * The real library: GPUSHIM_NVRTC (a file), else libnvrtc.so.13 in each LD_LIBRARY_PATH folder,
 * $CUDA_HOME/lib64, $CUDA_PATH/lib64, the toolkit gpushim was built with, /usr/local/cuda/lib64,
 * the system's folders, then whatever the dynamic loader finds by name; a candidate that is a
 * gpushim library (this one, through a face) is skipped. */
#include <dlfcn.h>
#include <limits.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <nvrtc.h>

#include "ptx_twin.h"

#define GS_EXPORT __attribute__((visibility("default")))
#define NVRTC_SONAME "libnvrtc.so.13"

#ifndef GS_TOOLKIT_LIBDIR
#define GS_TOOLKIT_LIBDIR "/usr/local/cuda/lib64"
#endif

/* Forwarded as they are: name, parameters, arguments. */
#define NVRTC_FORWARDED(X)                                                                         \
  X(nvrtcVersion, (int *major, int *minor), (major, minor))                                        \
  X(nvrtcGetNumSupportedArchs, (int *numArchs), (numArchs))                                        \
  X(nvrtcGetSupportedArchs, (int *supportedArchs), (supportedArchs))                               \
  X(nvrtcCreateProgram, (nvrtcProgram *prog, const char *src, const char *name, int numHeaders,    \
                         const char *const *headers, const char *const *includeNames),             \
    (prog, src, name, numHeaders, headers, includeNames))                                          \
  X(nvrtcDestroyProgram, (nvrtcProgram *prog), (prog))                                             \
  X(nvrtcCompileProgram, (nvrtcProgram prog, int numOptions, const char *const *options),          \
    (prog, numOptions, options))                                                                   \
  X(nvrtcGetPTXSize, (nvrtcProgram prog, size_t *ptxSizeRet), (prog, ptxSizeRet))                  \
  X(nvrtcGetPTX, (nvrtcProgram prog, char *ptx), (prog, ptx))                                      \
  X(nvrtcGetCUBINSize, (nvrtcProgram prog, size_t *cubinSizeRet), (prog, cubinSizeRet))            \
  X(nvrtcGetLTOIRSize, (nvrtcProgram prog, size_t *LTOIRSizeRet), (prog, LTOIRSizeRet))            \
  X(nvrtcGetLTOIR, (nvrtcProgram prog, char *LTOIR), (prog, LTOIR))                                \
  X(nvrtcGetOptiXIRSize, (nvrtcProgram prog, size_t *optixirSizeRet), (prog, optixirSizeRet))      \
  X(nvrtcGetOptiXIR, (nvrtcProgram prog, char *optixir), (prog, optixir))                          \
  X(nvrtcGetProgramLogSize, (nvrtcProgram prog, size_t *logSizeRet), (prog, logSizeRet))           \
  X(nvrtcGetProgramLog, (nvrtcProgram prog, char *log), (prog, log))                               \
  X(nvrtcAddNameExpression, (nvrtcProgram prog, const char *const name_expression),                \
    (prog, name_expression))                                                                       \
  X(nvrtcGetLoweredName, (nvrtcProgram prog, const char *const name_expression,                    \
                          const char **lowered_name), (prog, name_expression, lowered_name))       \
  X(nvrtcGetPCHHeapSize, (size_t *ret), (ret))                                                     \
  X(nvrtcSetPCHHeapSize, (size_t size), (size))                                                    \
  X(nvrtcGetPCHCreateStatus, (nvrtcProgram prog), (prog))                                          \
  X(nvrtcGetPCHHeapSizeRequired, (nvrtcProgram prog, size_t *size), (prog, size))                  \
  X(nvrtcSetFlowCallback, (nvrtcProgram prog, int (*callback)(void *, void *), void *payload),     \
    (prog, callback, payload))

/* Written by hand below, but resolved the same way. */
#define NVRTC_WRAPPED(X)                                                                           \
  X(nvrtcGetCUBIN, (nvrtcProgram prog, char *cubin), (prog, cubin))                                \
  X(nvrtcGetErrorString, (nvrtcResult result), (result))

#define AS_ENUM(name, params, args) F_##name,
enum { NVRTC_FORWARDED(AS_ENUM) NVRTC_WRAPPED(AS_ENUM) F_COUNT };

#define AS_NAME(name, params, args) #name,
static const char *const function_names[F_COUNT] = {NVRTC_FORWARDED(AS_NAME) NVRTC_WRAPPED(AS_NAME)};

static void *real_fn[F_COUNT];
static pthread_once_t resolve_once = PTHREAD_ONCE_INIT;

/* ---- finding NVIDIA's libnvrtc ------------------------------------------------------------ */

/* dlopen, refusing a gpushim library (this one, a face of it, another build's): those export
 * the driver API, which NVIDIA's libnvrtc and its dependencies do not. */
static void *open_nvrtc(const char *path_or_name) {
  void *h = dlopen(path_or_name, RTLD_NOW | RTLD_LOCAL);
  if (h && dlsym(h, "cuInit")) {
    dlclose(h);
    h = NULL;
  }
  return h;
}

static void *try_file(const char *path) {
  if (!path || !*path || access(path, R_OK) != 0) return NULL;
  return open_nvrtc(path);
}

static void *try_dir(const char *dir, size_t len, const char *sub) {
  char path[PATH_MAX];
  if (len == 0) return NULL;
  if ((size_t)snprintf(path, sizeof path, "%.*s%s/" NVRTC_SONAME, (int)len, dir, sub) >= sizeof path)
    return NULL;
  return try_file(path);
}

static void *try_path_list(const char *list) {
  for (const char *p = list; p && *p;) {
    size_t n = strcspn(p, ":");
    void *h = try_dir(p, n, "");
    if (h) return h;
    p += n + (p[n] == ':');
  }
  return NULL;
}

static void *open_real_nvrtc(void) {
  static const char *const env_homes[] = {"CUDA_HOME", "CUDA_PATH"};
  static const char *const fixed_dirs[] = {
    GS_TOOLKIT_LIBDIR, "/usr/local/cuda/lib64", "/usr/local/cuda/targets/x86_64-linux/lib",
    "/usr/lib/x86_64-linux-gnu", "/usr/lib64", "/usr/lib",
  };
  void *h = try_file(getenv("GPUSHIM_NVRTC"));
  if (!h) h = try_path_list(getenv("LD_LIBRARY_PATH"));
  for (size_t i = 0; !h && i < sizeof env_homes / sizeof env_homes[0]; i++) {
    const char *dir = getenv(env_homes[i]);
    if (dir) h = try_dir(dir, strlen(dir), "/lib64");
  }
  for (size_t i = 0; !h && i < sizeof fixed_dirs / sizeof fixed_dirs[0]; i++)
    h = try_dir(fixed_dirs[i], strlen(fixed_dirs[i]), "");
  return h ? h : open_nvrtc(NVRTC_SONAME);   /* the loader's own search (ld.so.cache) */
}

static void resolve(void) {
  void *h = open_real_nvrtc();
  if (!h) {
    fprintf(stderr, "gpushim: cannot find NVIDIA's " NVRTC_SONAME " (set GPUSHIM_NVRTC to its path); "
                    "NVRTC calls fail with NVRTC_ERROR_INTERNAL_ERROR\n");
    return;
  }
  for (int i = 0; i < F_COUNT; i++) real_fn[i] = dlsym(h, function_names[i]);
}

static void *real(int which) {
  pthread_once(&resolve_once, resolve);
  return real_fn[which];
}

/* ---- the forwarded functions -------------------------------------------------------------- */

#define AS_FORWARDER(name, params, args)                                                           \
  GS_EXPORT nvrtcResult name params {                                                              \
    nvrtcResult(*fn) params = (nvrtcResult(*) params)real(F_##name);                              \
    return fn ? fn args : NVRTC_ERROR_INTERNAL_ERROR;                                              \
  }
NVRTC_FORWARDED(AS_FORWARDER)

/* ---- the wrapped ones --------------------------------------------------------------------- */

typedef nvrtcResult (*get_size_fn)(nvrtcProgram, size_t *);
typedef nvrtcResult (*get_bytes_fn)(nvrtcProgram, char *);

/* Notes the PTX of prog's compilation as the twin of the cubin just written. Best effort: the
 * app's call has succeeded whatever happens here. */
static void note_twin(nvrtcProgram prog, const char *cubin) {
  get_size_fn ptx_size = (get_size_fn)real(F_nvrtcGetPTXSize);
  get_bytes_fn get_ptx = (get_bytes_fn)real(F_nvrtcGetPTX);
  size_t n = 0;
  if (!ptx_size || !get_ptx || ptx_size(prog, &n) != NVRTC_SUCCESS || n == 0) return;
  char *ptx = malloc(n + 1);
  if (!ptx) return;
  if (get_ptx(prog, ptx) == NVRTC_SUCCESS) {
    ptx[n] = '\0';
    gs_ptx_twin_note(cubin, ptx, strlen(ptx) + 1);
  }
  free(ptx);
}

GS_EXPORT nvrtcResult nvrtcGetCUBIN(nvrtcProgram prog, char *cubin) {
  get_bytes_fn fn = (get_bytes_fn)real(F_nvrtcGetCUBIN);
  if (!fn) return NVRTC_ERROR_INTERNAL_ERROR;
  nvrtcResult r = fn(prog, cubin);
  if (r == NVRTC_SUCCESS && cubin) note_twin(prog, cubin);
  return r;
}

GS_EXPORT const char *nvrtcGetErrorString(nvrtcResult result) {
  const char *(*fn)(nvrtcResult) = (const char *(*)(nvrtcResult))real(F_nvrtcGetErrorString);
  return fn ? fn(result) : "NVRTC_ERROR_INTERNAL_ERROR (gpushim: NVIDIA's libnvrtc not found)";
}

/* custom_module.c - modules, libraries and launches on the client.
 *  - An image is sent once per content hash: the client first offers the SHA-256 only; the
 *    agent answers GS_STATUS_NEED_IMAGE when it has never seen it, and the image follows.
 *  - A cubin the device refuses (CUDA_ERROR_NO_BINARY_FOR_GPU) is loaded as its PTX twin when
 *    the NVRTC face noted one (ptx_twin.h) and a GPU of the device's compute capability would
 *    have run the cubin: NVRTC programs that load cubins work on a device without SASS.
 *  - A function's parameter layout (offset and size of each parameter) is asked from the agent
 *    once (gs_func_params, the driver's cuFuncGetParamInfo there) and cached: never guessed.
 *  - cuLaunchKernel checks the launch against the device's cached limits, packs kernelParams
 *    (or takes the `extra` buffer) into one buffer and queues the launch without waiting. */
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "gs_client.h"
#include "ptx_twin.h"

/* ---- the extent of a module image ---------------------------------------------------------- */

#define FATBIN_WRAPPER_MAGIC 0x466243b1u
#define FATBIN_MAGIC 0xBA55ED50u

static uint32_t le32(const uint8_t *p) {
  return (uint32_t)p[0] | (uint32_t)p[1] << 8 | (uint32_t)p[2] << 16 | (uint32_t)p[3] << 24;
}

static uint64_t le64(const uint8_t *p) {
  return (uint64_t)le32(p) | (uint64_t)le32(p + 4) << 32;
}

/* One fatbin container: header size + body size, as a driver reads it (each translation unit's
 * wrapper points at its own container). 0 if the header is implausible. */
static size_t fatbin_length(const uint8_t *p) {
  uint16_t header = (uint16_t)(p[6] | p[7] << 8);
  uint64_t body = le64(p + 8);
  if (header < 16 || body > ((uint64_t)1 << 32)) return 0;
  return header + (size_t)body;
}

/* An ELF (cubin): up to the end of its section or program header table, whichever is last. */
static size_t elf_length(const uint8_t *p) {
  if (p[4] != 2) return 0;                                   /* ELFCLASS64 only */
  uint64_t phoff = le64(p + 32), shoff = le64(p + 40);
  uint16_t phentsize = (uint16_t)(p[54] | p[55] << 8), phnum = (uint16_t)(p[56] | p[57] << 8);
  uint16_t shentsize = (uint16_t)(p[58] | p[59] << 8), shnum = (uint16_t)(p[60] | p[61] << 8);
  uint64_t end = shoff + (uint64_t)shentsize * shnum;
  uint64_t pend = phoff + (uint64_t)phentsize * phnum;
  return (size_t)(end > pend ? end : pend);
}

/* Where the image starts and how long it is: a fatbin wrapper, fatbin containers, an ELF, or
 * NUL-terminated PTX text. -1 if it is none of these. */
static int image_extent(const void *image, const uint8_t **start, size_t *len) {
  const uint8_t *p = image;
  if (!p) return -1;
  if (le32(p) == FATBIN_WRAPPER_MAGIC) {
    const void *data;
    memcpy(&data, p + 8, sizeof data);                       /* { magic, version, data, ... } */
    p = data;
    if (!p) return -1;
  }
  size_t n = 0;
  if (le32(p) == FATBIN_MAGIC) n = fatbin_length(p);
  else if (p[0] == 0x7f && p[1] == 'E' && p[2] == 'L' && p[3] == 'F') n = elf_length(p);
  else n = strlen((const char *)p) + 1;
  if (n == 0) return -1;
  *start = p;
  *len = n;
  return 0;
}

/* ---- PTX twins of NVRTC cubins (ptx_twin.h) ------------------------------------------------ */

#define MAX_TWINS 256                       /* the oldest twin goes beyond this many */

typedef struct twin {
  struct twin *next;
  uint8_t hash[GS_HASH_LEN];                /* of the cubin */
  char *ptx;
  size_t len;
} twin;

static pthread_mutex_t twin_lock = PTHREAD_MUTEX_INITIALIZER;
static twin *twins;                         /* newest first */

static void drop_oldest_twin_locked(void) {
  unsigned n = 0;
  for (twin **t = &twins; *t; t = &(*t)->next)
    if (++n > MAX_TWINS) {
      twin *old = *t;
      *t = NULL;
      for (twin *next; old; old = next) {
        next = old->next;
        free(old->ptx);
        free(old);
      }
      return;
    }
}

void gs_ptx_twin_note(const void *cubin, const char *ptx, size_t len) {
  const uint8_t *p;
  size_t n;
  if (!ptx || len == 0 || image_extent(cubin, &p, &n) < 0 || p[0] != 0x7f) return;   /* ELF only */
  twin *t = calloc(1, sizeof *t);
  if (!t || !(t->ptx = malloc(len))) {
    free(t);
    return;
  }
  gs_sha256(p, n, t->hash);
  memcpy(t->ptx, ptx, len);
  t->len = len;
  pthread_mutex_lock(&twin_lock);
  t->next = twins;
  twins = t;
  drop_oldest_twin_locked();
  pthread_mutex_unlock(&twin_lock);
}

static char *twin_copy_by_hash(const uint8_t hash[GS_HASH_LEN]) {
  char *copy = NULL;
  pthread_mutex_lock(&twin_lock);
  for (twin *t = twins; t; t = t->next)
    if (memcmp(t->hash, hash, GS_HASH_LEN) == 0) {
      if ((copy = malloc(t->len)) != NULL) memcpy(copy, t->ptx, t->len);
      break;
    }
  pthread_mutex_unlock(&twin_lock);
  return copy;
}

char *gs_ptx_twin_copy(const void *image) {
  const uint8_t *p;
  size_t n;
  uint8_t hash[GS_HASH_LEN];
  if (image_extent(image, &p, &n) < 0 || p[0] != 0x7f) return NULL;
  gs_sha256(p, n, hash);
  return twin_copy_by_hash(hash);
}

/* Whether a GPU of the current device's compute capability runs SASS built for the PTX's
 * `.target sm_XY`: same major, minor not above the device's; an arch-specific target (sm_90a,
 * sm_100f) only on exactly that capability. A GPU refuses anything else, and so do we. With no
 * current context (context-independent cuLibraryLoadData) the device is device 0. */
static int device_runs_target(const char *ptx) {
  const char *t = strstr(ptx, ".target sm_");
  unsigned sm;
  int used = 0;
  if (!t || sscanf(t + 11, "%u%n", &sm, &used) != 1) return 0;
  int specific = t[11 + used] == 'a' || t[11 + used] == 'f';
  CUdevice dev;
  int major, minor;
  if (cuCtxGetDevice(&dev) != CUDA_SUCCESS && cuDeviceGet(&dev, 0) != CUDA_SUCCESS) return 0;
  if (cuDeviceGetAttribute(&major, CU_DEVICE_ATTRIBUTE_COMPUTE_CAPABILITY_MAJOR, dev) != CUDA_SUCCESS ||
      cuDeviceGetAttribute(&minor, CU_DEVICE_ATTRIBUTE_COMPUTE_CAPABILITY_MINOR, dev) != CUDA_SUCCESS)
    return 0;
  if ((int)sm / 10 != major) return 0;
  return specific ? (int)sm % 10 == minor : (int)sm % 10 <= minor;
}

/* ---- load by content hash ------------------------------------------------------------------ */

static CUresult load_image(const void *image, unsigned kind, uint64_t *handle);

/* The device refused the cubin with this hash: load its PTX twin instead, if it has one that
 * the device's GPU generation would have run as SASS. */
static CUresult load_twin(const uint8_t hash[GS_HASH_LEN], unsigned kind, uint64_t *handle) {
  char *ptx = twin_copy_by_hash(hash);
  CUresult e = CUDA_ERROR_NO_BINARY_FOR_GPU;
  if (ptx && device_runs_target(ptx)) e = load_image(ptx, kind, handle);
  free(ptx);
  return e;
}

static CUresult load_image(const void *image, unsigned kind, uint64_t *handle) {
  const uint8_t *p;
  size_t n;
  if (image_extent(image, &p, &n) < 0) return CUDA_ERROR_INVALID_IMAGE;
  if (n > GS_MAX_IMAGE) return CUDA_ERROR_NOT_SUPPORTED;
  uint8_t hash[GS_HASH_LEN];
  gs_sha256(p, n, hash);
  gs_module_load_args a = {{GS_HASH_LEN, (char *)hash}, {0, NULL}, kind};
  gs_module_load_res r = {0};
  CUresult e = gs_call(GS_gs_module_load, GS_F_SYNC, (xdrproc_t)xdr_gs_module_load_args, &a,
                       (xdrproc_t)xdr_gs_module_load_res, &r);
  if ((int)e == GS_STATUS_NEED_IMAGE) {
    a.image.image_len = (u_int)n;
    a.image.image_val = (char *)(uintptr_t)p;
    e = gs_call(GS_gs_module_load, GS_F_SYNC, (xdrproc_t)xdr_gs_module_load_args, &a,
                (xdrproc_t)xdr_gs_module_load_res, &r);
  }
  if (e == CUDA_SUCCESS) *handle = r.handle;
  if (e == CUDA_ERROR_NO_BINARY_FOR_GPU && p[0] == 0x7f) e = load_twin(hash, kind, handle);
  return e;
}

GS_EXPORT CUresult CUDAAPI cuModuleLoadData(CUmodule *module, const void *image) {
  if (!module) return CUDA_ERROR_INVALID_VALUE;
  uint64_t h;
  CUresult e = load_image(image, GS_LOAD_MODULE, &h);
  if (e == CUDA_SUCCESS) *module = (CUmodule)(uintptr_t)h;
  return e;
}

GS_EXPORT CUresult CUDAAPI cuModuleLoadDataEx(CUmodule *module, const void *image,
                                              unsigned int numOptions, CUjit_option *options,
                                              void **optionValues) {
  (void)numOptions, (void)options, (void)optionValues;     /* JIT options: the agent's own */
  return cuModuleLoadData(module, image);
}

GS_EXPORT CUresult CUDAAPI cuModuleLoadFatBinary(CUmodule *module, const void *fatCubin) {
  return cuModuleLoadData(module, fatCubin);
}

GS_EXPORT CUresult CUDAAPI cuLibraryLoadData(CUlibrary *library, const void *code,
                                             CUjit_option *jitOptions, void **jitOptionsValues,
                                             unsigned int numJitOptions,
                                             CUlibraryOption *libraryOptions,
                                             void **libraryOptionValues,
                                             unsigned int numLibraryOptions) {
  (void)jitOptions, (void)jitOptionsValues, (void)numJitOptions;
  (void)libraryOptions, (void)libraryOptionValues, (void)numLibraryOptions;
  if (!library) return CUDA_ERROR_INVALID_VALUE;
  uint64_t h;
  CUresult e = load_image(code, GS_LOAD_LIBRARY, &h);
  if (e == CUDA_SUCCESS) *library = (CUlibrary)(uintptr_t)h;
  return e;
}

/* A whole file, NUL-terminated (PTX text needs it); NULL if it cannot be read. */
static void *read_whole_file(const char *path) {
  FILE *f = path ? fopen(path, "rb") : NULL;
  if (!f) return NULL;
  void *p = NULL;
  long n;
  if (fseek(f, 0, SEEK_END) == 0 && (n = ftell(f)) > 0 && fseek(f, 0, SEEK_SET) == 0 &&
      (p = malloc((size_t)n + 1)) != NULL) {
    if (fread(p, 1, (size_t)n, f) != (size_t)n) {
      free(p);
      p = NULL;
    } else {
      ((char *)p)[n] = 0;
    }
  }
  fclose(f);
  return p;
}

GS_EXPORT CUresult CUDAAPI cuModuleLoad(CUmodule *module, const char *fname) {
  void *image = read_whole_file(fname);
  if (!image) return CUDA_ERROR_FILE_NOT_FOUND;
  CUresult e = cuModuleLoadData(module, image);
  free(image);
  return e;
}

GS_EXPORT CUresult CUDAAPI cuLibraryLoadFromFile(CUlibrary *library, const char *fileName,
                                                 CUjit_option *jitOptions,
                                                 void **jitOptionsValues,
                                                 unsigned int numJitOptions,
                                                 CUlibraryOption *libraryOptions,
                                                 void **libraryOptionValues,
                                                 unsigned int numLibraryOptions) {
  void *image = read_whole_file(fileName);
  if (!image) return CUDA_ERROR_FILE_NOT_FOUND;
  CUresult e = cuLibraryLoadData(library, image, jitOptions, jitOptionsValues, numJitOptions,
                                 libraryOptions, libraryOptionValues, numLibraryOptions);
  free(image);
  return e;
}

/* ---- parameter layouts ---------------------------------------------------------------------- */

typedef struct layout {
  struct layout *next;
  uint64_t func;
  uint32_t n;
  uint32_t *params;     /* n x (offset, size) */
  size_t total;         /* bytes of the packed parameter buffer */
} layout;

static pthread_mutex_t layout_lock = PTHREAD_MUTEX_INITIALIZER;
static layout *layouts[128];

static unsigned bucket(uint64_t id) {
  return (unsigned)(id ^ id >> 32) % 128;
}

static const layout *find_layout(uint64_t id) {
  pthread_mutex_lock(&layout_lock);
  const layout *found = NULL;
  for (layout *l = layouts[bucket(id)]; l && !found; l = l->next)
    if (l->func == id) found = l;
  pthread_mutex_unlock(&layout_lock);
  return found;
}

/* Records a layout as the wire carries it (offset, size per parameter, big-endian u32). */
static CUresult remember_layout(uint64_t id, const char *wire, u_int len, const layout **out) {
  const layout *known = find_layout(id);
  if (known) {
    if (out) *out = known;
    return CUDA_SUCCESS;
  }
  if (len % 8 != 0) return CUDA_ERROR_UNKNOWN;
  layout *l = calloc(1, sizeof *l);
  if (!l || !(l->params = malloc(len ? len : 1))) {
    free(l);
    return CUDA_ERROR_OUT_OF_MEMORY;
  }
  l->func = id;
  l->n = len / 8;
  for (uint32_t i = 0; i < 2 * l->n; i++) l->params[i] = gs_read32((const uint8_t *)wire + 4 * i);
  for (uint32_t i = 0; i < l->n; i++) {
    size_t end = (size_t)l->params[2 * i] + l->params[2 * i + 1];
    if (end > l->total) l->total = end;
  }
  pthread_mutex_lock(&layout_lock);
  l->next = layouts[bucket(id)];
  layouts[bucket(id)] = l;
  pthread_mutex_unlock(&layout_lock);
  if (out) *out = l;
  return CUDA_SUCCESS;
}

static CUresult get_layout(CUfunction f, const layout **out) {
  uint64_t id = (uint64_t)(uintptr_t)f;
  if ((*out = find_layout(id))) return CUDA_SUCCESS;
  gs_func_params_args a = {id};
  gs_func_params_res r = {0};
  CUresult e = gs_call(GS_gs_func_params, GS_F_SYNC, (xdrproc_t)xdr_gs_func_params_args, &a,
                       (xdrproc_t)xdr_gs_func_params_res, &r);
  if (e == CUDA_SUCCESS) e = remember_layout(id, r.params.params_val, r.params.params_len, out);
  xdr_free((xdrproc_t)xdr_gs_func_params_res, (char *)&r);
  return e;
}

/* Function lookups bring the layout along, so a first launch costs no round trip. */
GS_EXPORT CUresult CUDAAPI cuModuleGetFunction(CUfunction *hfunc, CUmodule hmod,
                                               const char *name) {
  if (!hfunc || !name) return CUDA_ERROR_INVALID_VALUE;
  cuModuleGetFunction_args a = {(uint64_t)(uintptr_t)hmod, (char *)name};
  cuModuleGetFunction_res r = {0};
  CUresult e = gs_call(GS_cuModuleGetFunction, GS_F_SYNC,
                       (xdrproc_t)xdr_cuModuleGetFunction_args, &a,
                       (xdrproc_t)xdr_cuModuleGetFunction_res, &r);
  if (e == CUDA_SUCCESS) {
    *hfunc = (CUfunction)(uintptr_t)r.hfunc;
    remember_layout(r.hfunc, r.params.params_val, r.params.params_len, NULL);
  }
  xdr_free((xdrproc_t)xdr_cuModuleGetFunction_res, (char *)&r);
  return e;
}

GS_EXPORT CUresult CUDAAPI cuKernelGetFunction(CUfunction *pFunc, CUkernel kernel) {
  if (!pFunc) return CUDA_ERROR_INVALID_VALUE;
  cuKernelGetFunction_args a = {(uint64_t)(uintptr_t)kernel};
  cuKernelGetFunction_res r = {0};
  CUresult e = gs_call(GS_cuKernelGetFunction, GS_F_SYNC,
                       (xdrproc_t)xdr_cuKernelGetFunction_args, &a,
                       (xdrproc_t)xdr_cuKernelGetFunction_res, &r);
  if (e == CUDA_SUCCESS) {
    *pFunc = (CUfunction)(uintptr_t)r.pFunc;
    remember_layout(r.pFunc, r.params.params_val, r.params.params_len, NULL);
  }
  xdr_free((xdrproc_t)xdr_cuKernelGetFunction_res, (char *)&r);
  return e;
}

GS_EXPORT CUresult CUDAAPI cuFuncGetParamInfo(CUfunction func, size_t paramIndex,
                                              size_t *paramOffset, size_t *paramSize) {
  if (!func) return CUDA_ERROR_INVALID_HANDLE;
  const layout *l;
  CUresult e = get_layout(func, &l);
  if (e) return e;
  if (paramIndex >= l->n) return CUDA_ERROR_INVALID_VALUE;
  if (paramOffset) *paramOffset = l->params[2 * paramIndex];
  if (paramSize) *paramSize = l->params[2 * paramIndex + 1];
  return CUDA_SUCCESS;
}

/* ---- launch --------------------------------------------------------------------------------- */

typedef struct {
  int threads, block[3], grid[3];
} limits;

static CUresult device_limits(const limits **out) {
  static limits lim;
  static int known;
  static pthread_mutex_t lock = PTHREAD_MUTEX_INITIALIZER;
  pthread_mutex_lock(&lock);
  CUresult e = CUDA_SUCCESS;
  if (!known) {
    static const CUdevice_attribute attrs[7] = {
        CU_DEVICE_ATTRIBUTE_MAX_THREADS_PER_BLOCK, CU_DEVICE_ATTRIBUTE_MAX_BLOCK_DIM_X,
        CU_DEVICE_ATTRIBUTE_MAX_BLOCK_DIM_Y, CU_DEVICE_ATTRIBUTE_MAX_BLOCK_DIM_Z,
        CU_DEVICE_ATTRIBUTE_MAX_GRID_DIM_X, CU_DEVICE_ATTRIBUTE_MAX_GRID_DIM_Y,
        CU_DEVICE_ATTRIBUTE_MAX_GRID_DIM_Z};
    int *dst[7] = {&lim.threads, &lim.block[0], &lim.block[1], &lim.block[2],
                   &lim.grid[0], &lim.grid[1], &lim.grid[2]};
    for (int i = 0; i < 7 && e == CUDA_SUCCESS; i++) e = cuDeviceGetAttribute(dst[i], attrs[i], 0);
    known = e == CUDA_SUCCESS;
  }
  pthread_mutex_unlock(&lock);
  *out = &lim;
  return e;
}

static CUresult check_launch(const unsigned g[3], const unsigned b[3]) {
  const limits *lim;
  CUresult e = device_limits(&lim);
  if (e) return e;
  uint64_t threads = (uint64_t)b[0] * b[1] * b[2];
  if (threads == 0 || threads > (uint64_t)lim->threads) return CUDA_ERROR_INVALID_VALUE;
  for (int i = 0; i < 3; i++)
    if (g[i] == 0 || b[i] > (unsigned)lim->block[i] || g[i] > (unsigned)lim->grid[i])
      return CUDA_ERROR_INVALID_VALUE;
  return CUDA_SUCCESS;
}

/* `extra`: CU_LAUNCH_PARAM_BUFFER_POINTER, ptr, CU_LAUNCH_PARAM_BUFFER_SIZE, &size, END. */
static CUresult parse_extra(void **extra, void **buf, size_t *size) {
  *buf = NULL;
  *size = 0;
  for (int i = 0; extra[i] != CU_LAUNCH_PARAM_END; i += 2) {
    if (i > 64) return CUDA_ERROR_INVALID_VALUE;
    if (extra[i] == CU_LAUNCH_PARAM_BUFFER_POINTER) *buf = extra[i + 1];
    else if (extra[i] == CU_LAUNCH_PARAM_BUFFER_SIZE && extra[i + 1]) *size = *(size_t *)extra[i + 1];
    else return CUDA_ERROR_INVALID_VALUE;
  }
  return (*buf || *size == 0) ? CUDA_SUCCESS : CUDA_ERROR_INVALID_VALUE;
}

/* Cooperative launches: the grid must fit on the device at once (occupancy x SMs), checked
 * here so CUDA_ERROR_COOPERATIVE_LAUNCH_TOO_LARGE comes back from the launch call itself. */
static CUresult check_cooperative(CUfunction f, const unsigned g[3], const unsigned b[3], unsigned shmem) {
  CUdevice dev;
  int sms, per_sm;
  CUresult e = cuCtxGetDevice(&dev);
  if (!e) e = cuDeviceGetAttribute(&sms, CU_DEVICE_ATTRIBUTE_MULTIPROCESSOR_COUNT, dev);
  if (!e) e = cuOccupancyMaxActiveBlocksPerMultiprocessor(&per_sm, f, (int)(b[0] * b[1] * b[2]), shmem);
  if (e) return e;
  if ((uint64_t)g[0] * g[1] * g[2] > (uint64_t)per_sm * (uint64_t)sms) return CUDA_ERROR_COOPERATIVE_LAUNCH_TOO_LARGE;
  return CUDA_SUCCESS;
}

static CUresult launch_grid(CUfunction f, unsigned int gridDimX, unsigned int gridDimY, unsigned int gridDimZ,
                            unsigned int blockDimX, unsigned int blockDimY, unsigned int blockDimZ,
                            unsigned int sharedMemBytes, CUstream hStream, void **kernelParams, void **extra,
                            int coop) {
  if (!f) return CUDA_ERROR_INVALID_HANDLE;
  const unsigned g[3] = {gridDimX, gridDimY, gridDimZ}, b[3] = {blockDimX, blockDimY, blockDimZ};
  CUresult e = check_launch(g, b);
  if (!e && coop) e = check_cooperative(f, g, b, sharedMemBytes);
  if (e) return e;
  if (sharedMemBytes > 0) {
    /* over the function's dynamic shared memory limit: refused at once, as a device does */
    int max_dynamic;
    e = cuFuncGetAttribute(&max_dynamic, CU_FUNC_ATTRIBUTE_MAX_DYNAMIC_SHARED_SIZE_BYTES, f);
    if (e) return e;
    if (sharedMemBytes > (unsigned)max_dynamic) return CUDA_ERROR_INVALID_VALUE;
  }
  const layout *l;
  if ((e = get_layout(f, &l))) return e;

  uint8_t small[512], *buf = small;
  size_t size = l->total;
  void *heap = NULL;
  if (kernelParams) {
    if (size > sizeof small && !(buf = heap = malloc(size))) return CUDA_ERROR_OUT_OF_MEMORY;
    memset(buf, 0, size);
    for (uint32_t i = 0; i < l->n; i++) {
      if (!kernelParams[i]) {
        free(heap);
        return CUDA_ERROR_INVALID_VALUE;
      }
      memcpy(buf + l->params[2 * i], kernelParams[i], l->params[2 * i + 1]);
    }
  } else if (extra) {
    void *p;
    if ((e = parse_extra(extra, &p, &size))) return e;
    if (size < l->total) return CUDA_ERROR_INVALID_VALUE;
    buf = p;
  } else if (l->n > 0) {
    return CUDA_ERROR_INVALID_VALUE;
  }
  gs_launch_args a = {(uint64_t)(uintptr_t)f, gridDimX, gridDimY, gridDimZ, blockDimX, blockDimY,
                      blockDimZ, sharedMemBytes, (uint64_t)(uintptr_t)hStream,
                      {(u_int)size, (char *)buf}};
  if (coop) {
    gs_launch_coop_args c = {a.f, a.gx, a.gy, a.gz, a.bx, a.by, a.bz, a.shmem, a.stream,
                             {a.params.params_len, a.params.params_val}};
    e = gs_call(GS_gs_launch_coop, 0, (xdrproc_t)xdr_gs_launch_coop_args, &c, 0, 0);
  } else {
    e = gs_call(GS_gs_launch, 0, (xdrproc_t)xdr_gs_launch_args, &a, 0, 0);
  }
  free(heap);
  return e;
}

GS_EXPORT CUresult CUDAAPI cuLaunchKernel(CUfunction f, unsigned int gridDimX,
                                          unsigned int gridDimY, unsigned int gridDimZ,
                                          unsigned int blockDimX, unsigned int blockDimY,
                                          unsigned int blockDimZ, unsigned int sharedMemBytes,
                                          CUstream hStream, void **kernelParams, void **extra) {
  return launch_grid(f, gridDimX, gridDimY, gridDimZ, blockDimX, blockDimY, blockDimZ, sharedMemBytes,
                     hStream, kernelParams, extra, 0);
}

GS_EXPORT CUresult CUDAAPI cuLaunchCooperativeKernel(CUfunction f, unsigned int gridDimX,
                                                     unsigned int gridDimY, unsigned int gridDimZ,
                                                     unsigned int blockDimX, unsigned int blockDimY,
                                                     unsigned int blockDimZ, unsigned int sharedMemBytes,
                                                     CUstream hStream, void **kernelParams) {
  return launch_grid(f, gridDimX, gridDimY, gridDimZ, blockDimX, blockDimY, blockDimZ, sharedMemBytes,
                     hStream, kernelParams, NULL, 1);
}

/* The extended launch: its configuration's dimensions, shared memory and stream, and the
 * cooperative attribute; other launch attributes (clusters, priorities...) are not forwarded. */
GS_EXPORT CUresult CUDAAPI cuLaunchKernelEx(const CUlaunchConfig *config, CUfunction f,
                                            void **kernelParams, void **extra) {
  if (!config || (config->numAttrs && !config->attrs)) return CUDA_ERROR_INVALID_VALUE;
  int coop = 0;
  for (unsigned i = 0; i < config->numAttrs; i++)
    if (config->attrs[i].id == CU_LAUNCH_ATTRIBUTE_COOPERATIVE) coop = config->attrs[i].value.cooperative != 0;
  return launch_grid(f, config->gridDimX, config->gridDimY, config->gridDimZ,
                        config->blockDimX, config->blockDimY, config->blockDimZ,
                        config->sharedMemBytes, config->hStream, kernelParams, extra, coop);
}

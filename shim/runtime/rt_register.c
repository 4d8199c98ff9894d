/* rt_register.c - what nvcc's host code registers at load time: fatbins, kernels, variables.
 *
 * __cudaRegisterFatBinary receives the fatbin wrapper nvcc embeds in each translation unit;
 * kernels and variables are then registered against its handle. Modules are loaded lazily per
 * device (CUDA's default lazy loading): the first launch or symbol use on a device loads that
 * fatbin there. cudaDeviceReset bumps the device's generation, so modules reload after it.
 *
 * Lookup by host stub address (and by our own record address, which we hand out as
 * cudaKernel_t) goes through a small open-addressing hash table. */
#include "runtime.h"
#include "fatbin.h"
#include "ptx_link.h"

#include <pthread.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/* Texture and surface references were removed from CUDA 12; nvcc still declares their
 * registration hooks, which we accept and ignore. */
struct textureReference;
struct surfaceReference;

typedef struct rt_fatbin {
  void *handle_slot;                  /* what the void** handle points at: must stay first */
  const fatbin_wrapper *wrapper;
  pthread_mutex_t lock;
  CUmodule modules[RT_MAX_DEVICES];
  unsigned loaded_generation[RT_MAX_DEVICES];   /* 0 = not loaded */
  bool unregistered;
} rt_fatbin;

struct rt_function {
  rt_fatbin *fatbin;
  const void *host_fun;
  char *name;
  CUfunction handles[RT_MAX_DEVICES];
  unsigned handle_generation[RT_MAX_DEVICES];
};

typedef struct {
  rt_fatbin *fatbin;
  const void *host_var;
  char *name;
  size_t size;
} rt_variable;

/* ---- pointer-keyed hash table (host stubs, records, variables) ---- */

typedef struct {
  const void *key;
  void *value;
} slot;

typedef struct {
  slot *slots;
  size_t capacity;   /* power of two */
  size_t used;
} ptr_map;

static pthread_rwlock_t registry_lock = PTHREAD_RWLOCK_INITIALIZER;
static ptr_map functions;    /* host_fun → rt_function, and rt_function → itself */
static ptr_map variables;    /* host_var → rt_variable */
static unsigned device_generation[RT_MAX_DEVICES] = {0};

static size_t hash_pointer(const void *p) {
  uint64_t x = (uint64_t)(uintptr_t)p;
  x ^= x >> 33;
  x *= 0xff51afd7ed558ccdull;
  x ^= x >> 33;
  return (size_t)x;
}

static void *map_get(const ptr_map *m, const void *key) {
  if (!m->capacity) return NULL;
  for (size_t i = hash_pointer(key) & (m->capacity - 1);; i = (i + 1) & (m->capacity - 1)) {
    if (!m->slots[i].key) return NULL;
    if (m->slots[i].key == key) return m->slots[i].value;
  }
}

static bool map_put(ptr_map *m, const void *key, void *value);

static bool map_grow(ptr_map *m) {
  ptr_map bigger = {calloc(m->capacity ? m->capacity * 2 : 64, sizeof(slot)),
                    m->capacity ? m->capacity * 2 : 64, 0};
  if (!bigger.slots) return false;
  for (size_t i = 0; i < m->capacity; i++)
    if (m->slots[i].key) map_put(&bigger, m->slots[i].key, m->slots[i].value);
  free(m->slots);
  *m = bigger;
  return true;
}

static bool map_put(ptr_map *m, const void *key, void *value) {
  if ((m->used + 1) * 2 > m->capacity && !map_grow(m)) return false;
  size_t i = hash_pointer(key) & (m->capacity - 1);
  while (m->slots[i].key && m->slots[i].key != key) i = (i + 1) & (m->capacity - 1);
  if (!m->slots[i].key) m->used++;
  m->slots[i].key = key;
  m->slots[i].value = value;
  return true;
}

/* ---- registration entry points called by nvcc-generated host code ---- */

RT_EXPORT void **__cudaRegisterFatBinary(void *fatCubin) {
  rt_fatbin *fb = calloc(1, sizeof *fb);
  if (!fb) return NULL;
  fb->wrapper = fatCubin;
  fb->handle_slot = fatCubin;
  pthread_mutex_init(&fb->lock, NULL);
  return &fb->handle_slot;
}

RT_EXPORT void __cudaRegisterFatBinaryEnd(void **fatCubinHandle) { (void)fatCubinHandle; }

RT_EXPORT char __cudaInitModule(void **fatCubinHandle) { return fatCubinHandle != NULL; }

/* Modules stay loaded until their context goes away: at process exit the driver (or agent
 * session) frees them, and unloading here would race with other atexit handlers. */
RT_EXPORT void __cudaUnregisterFatBinary(void **fatCubinHandle) {
  if (fatCubinHandle) ((rt_fatbin *)fatCubinHandle)->unregistered = true;
}

RT_EXPORT void __cudaRegisterFunction(void **fatCubinHandle, const char *hostFun, char *deviceFun,
                                      const char *deviceName, int thread_limit, uint3 *tid,
                                      uint3 *bid, dim3 *bDim, dim3 *gDim, int *wSize) {
  (void)deviceFun, (void)thread_limit, (void)tid, (void)bid, (void)bDim, (void)gDim, (void)wSize;
  rt_function *fn = calloc(1, sizeof *fn);
  if (!fn || !fatCubinHandle || !(fn->name = strdup(deviceName))) {
    free(fn);
    return;
  }
  fn->fatbin = (rt_fatbin *)fatCubinHandle;
  fn->host_fun = hostFun;
  pthread_rwlock_wrlock(&registry_lock);
  map_put(&functions, hostFun, fn);
  map_put(&functions, fn, fn);
  pthread_rwlock_unlock(&registry_lock);
}

RT_EXPORT void __cudaRegisterVar(void **fatCubinHandle, char *hostVar, char *deviceAddress,
                                 const char *deviceName, int ext, size_t size, int constant,
                                 int global) {
  (void)deviceAddress, (void)ext, (void)constant, (void)global;
  rt_variable *var = calloc(1, sizeof *var);
  if (!var || !fatCubinHandle || !(var->name = strdup(deviceName))) {
    free(var);
    return;
  }
  var->fatbin = (rt_fatbin *)fatCubinHandle;
  var->host_var = hostVar;
  var->size = size;
  pthread_rwlock_wrlock(&registry_lock);
  map_put(&variables, hostVar, var);
  pthread_rwlock_unlock(&registry_lock);
}

RT_EXPORT void __cudaRegisterManagedVar(void **fatCubinHandle, void **hostVarPtrAddress,
                                        char *deviceAddress, const char *deviceName, int ext,
                                        size_t size, int constant, int global) {
  __cudaRegisterVar(fatCubinHandle, (char *)hostVarPtrAddress, deviceAddress, deviceName, ext,
                    size, constant, global);
}

RT_EXPORT void __cudaRegisterTexture(void **fatCubinHandle, const struct textureReference *hostVar,
                                     const void **deviceAddress, const char *deviceName, int dim,
                                     int norm, int ext) {
  (void)fatCubinHandle, (void)hostVar, (void)deviceAddress, (void)deviceName, (void)dim,
      (void)norm, (void)ext;
}

RT_EXPORT void __cudaRegisterSurface(void **fatCubinHandle, const struct surfaceReference *hostVar,
                                     const void **deviceAddress, const char *deviceName, int dim,
                                     int ext) {
  (void)fatCubinHandle, (void)hostVar, (void)deviceAddress, (void)deviceName, (void)dim, (void)ext;
}

/* ---- lookups and lazy loading ---- */

rt_function *rt_find_function(const void *host_fun) {
  pthread_rwlock_rdlock(&registry_lock);
  rt_function *fn = map_get(&functions, host_fun);
  pthread_rwlock_unlock(&registry_lock);
  return fn;
}

const char *rt_function_name(const rt_function *fn) { return fn->name; }
const void *rt_function_host(const rt_function *fn) { return fn->host_fun; }

void rt_forget_device_modules(int device) {
  if (device >= 0 && device < RT_MAX_DEVICES)
    __atomic_add_fetch(&device_generation[device], 1, __ATOMIC_SEQ_CST);
}

static unsigned current_generation(int device) {
  return __atomic_load_n(&device_generation[device], __ATOMIC_SEQ_CST) + 1;
}

/* Separate compilation (-rdc, and every CMake target with CUDA_SEPARABLE_COMPILATION): the
 * registered fatbin is nvlink's output, SASS only, and its wrapper (version 2) lists the
 * fatbins of the prelinked objects, which hold their PTX. For a device that cannot run that
 * SASS (our CPU device) we do nvlink's work on PTX here: each object's best PTX for the
 * device, linked by ptx_link into one image (calls and variables across objects resolved),
 * loaded as the fatbin's one module. */
#define RT_FATBIN_PRELINKED 2
#define RT_MAX_PRELINKED 256

/* An object's fatbin container (the list may hold wrappers as well). */
static const void *object_container(const void *object) {
  uint32_t magic;
  memcpy(&magic, object, sizeof magic);
  return magic == FATBIN_WRAPPER_MAGIC ? ((const fatbin_wrapper *)object)->data : object;
}

/* libcudadevrt (-lcudadevrt, for dynamic parallelism) is SASS plus PTX for the newest
 * architecture only, and that PTX implements the device runtime with driver syscalls
 * (__cuda_syscall_cnpv2*). The CPU device provides the device runtime's entry points itself,
 * so the link leaves that object out. */
#define RT_DEVRT_MARK "__cuda_syscall_cnpv2"

static int is_device_runtime(const void *container) {
  char *ptx = NULL, err[256];
  size_t len;
  int yes = fatbin_best_ptx(container, fatbin_container_size(container), 100000, &ptx, &len, NULL, err,
                            sizeof err) == FATBIN_OK &&
            strstr(ptx, RT_DEVRT_MARK) != NULL;
  free(ptx);
  return yes;
}

static CUresult link_prelinked(void *const *list, unsigned n, unsigned arch, char **linked) {
  char *ptx[RT_MAX_PRELINKED] = {0}, err[512] = "";
  CUresult r = CUDA_SUCCESS;
  unsigned used = 0;
  for (unsigned i = 0; i < n && r == CUDA_SUCCESS; i++) {
    const void *container = object_container(list[i]);
    if (!container) {
      snprintf(err, sizeof err, "object %u: empty fatbin wrapper", i);
      r = CUDA_ERROR_INVALID_IMAGE;
      break;
    }
    size_t len;
    fatbin_status st = fatbin_best_ptx(container, fatbin_container_size(container), arch, &ptx[used], &len, NULL,
                                       err, sizeof err);
    if (st == FATBIN_OK && strstr(ptx[used], RT_DEVRT_MARK)) {
      free(ptx[used]);
      ptx[used] = NULL;
      continue;
    }
    if (st == FATBIN_ERR_NO_PTX && is_device_runtime(container)) continue;
    if (st) r = st == FATBIN_ERR_NO_PTX ? CUDA_ERROR_NO_BINARY_FOR_GPU : CUDA_ERROR_INVALID_IMAGE;
    else used++;
  }
  if (r == CUDA_SUCCESS && !(*linked = ptx_link((const char *const *)ptx, used, NULL, err, sizeof err)))
    r = CUDA_ERROR_INVALID_PTX;
  if (r != CUDA_SUCCESS) fprintf(stderr, "gpushim: linking the -rdc objects' PTX: %s\n", err);
  for (unsigned i = 0; i < n; i++) free(ptx[i]);   /* ptx[used..] are NULL */
  return r;
}

static CUresult load_prelinked(rt_fatbin *fb, int device) {
  void *const *list = fb->wrapper->filename_or_fatbins;
  unsigned n = 0;
  while (n < RT_MAX_PRELINKED && list[n]) n++;
  if (!n) return CUDA_ERROR_NO_BINARY_FOR_GPU;
  unsigned arch = (unsigned)(rt_device_attribute(device, CU_DEVICE_ATTRIBUTE_COMPUTE_CAPABILITY_MAJOR) * 10 +
                             rt_device_attribute(device, CU_DEVICE_ATTRIBUTE_COMPUTE_CAPABILITY_MINOR));
  char *linked = NULL;
  CUresult r = link_prelinked(list, n, arch, &linked);
  if (r == CUDA_SUCCESS) r = cuModuleLoadData(&fb->modules[device], linked);
  free(linked);
  return r;
}

static CUresult load_fatbin(rt_fatbin *fb, int device) {
  CUresult r = cuModuleLoadData(&fb->modules[device], fb->wrapper->data);
  if (r == CUDA_ERROR_NO_BINARY_FOR_GPU && fb->wrapper->version == RT_FATBIN_PRELINKED &&
      fb->wrapper->filename_or_fatbins)
    r = load_prelinked(fb, device);
  return r;
}

/* The fatbin's module on the current device, loading it on first use there. */
static cudaError_t fatbin_module(rt_fatbin *fb, CUmodule *out) {
  cudaError_t err = rt_ensure_context();
  if (err != cudaSuccess) return err;
  int device = rt_current_device();
  unsigned generation = current_generation(device);
  CUresult r = CUDA_SUCCESS;
  pthread_mutex_lock(&fb->lock);
  if (fb->loaded_generation[device] != generation) {
    r = load_fatbin(fb, device);
    if (r == CUDA_SUCCESS) fb->loaded_generation[device] = generation;
  }
  *out = fb->modules[device];
  pthread_mutex_unlock(&fb->lock);
  if (r == CUDA_ERROR_NO_BINARY_FOR_GPU || r == CUDA_ERROR_INVALID_IMAGE)
    return rt_set_error(cudaErrorNoKernelImageForDevice);
  return rt_check(r);
}

cudaError_t rt_function_handle(rt_function *fn, CUfunction *out) {
  CUmodule module;
  cudaError_t err = fatbin_module(fn->fatbin, &module);
  if (err != cudaSuccess) return err;
  int device = rt_current_device();
  unsigned generation = current_generation(device);
  if (fn->handle_generation[device] != generation) {
    CUfunction f;
    CUresult r = cuModuleGetFunction(&f, module, fn->name);
    if (r != CUDA_SUCCESS)
      return rt_set_error(r == CUDA_ERROR_NOT_FOUND ? cudaErrorInvalidDeviceFunction : rt_error_from_driver(r));
    fn->handles[device] = f;
    __atomic_store_n(&fn->handle_generation[device], generation, __ATOMIC_RELEASE);
  }
  *out = fn->handles[device];
  return cudaSuccess;
}

cudaError_t rt_symbol_address(const void *symbol, CUdeviceptr *addr, size_t *size) {
  pthread_rwlock_rdlock(&registry_lock);
  rt_variable *var = map_get(&variables, symbol);
  pthread_rwlock_unlock(&registry_lock);
  if (!var) return rt_set_error(cudaErrorInvalidSymbol);
  CUmodule module;
  cudaError_t err = fatbin_module(var->fatbin, &module);
  if (err != cudaSuccess) return err;
  size_t bytes = 0;
  CUresult r = cuModuleGetGlobal(addr, &bytes, module, var->name);
  if (r != CUDA_SUCCESS) return rt_set_error(cudaErrorInvalidSymbol);
  if (size) *size = bytes;
  return cudaSuccess;
}

RT_EXPORT cudaError_t cudaGetSymbolAddress(void **devPtr, const void *symbol) {
  if (!devPtr) return rt_set_error(cudaErrorInvalidValue);
  CUdeviceptr addr;
  cudaError_t err = rt_symbol_address(symbol, &addr, NULL);
  if (err == cudaSuccess) *devPtr = (void *)(uintptr_t)addr;
  return err;
}

RT_EXPORT cudaError_t cudaGetSymbolSize(size_t *size, const void *symbol) {
  if (!size) return rt_set_error(cudaErrorInvalidValue);
  CUdeviceptr addr;
  return rt_symbol_address(symbol, &addr, size);
}

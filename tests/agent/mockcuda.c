/* mockcuda.c - a small libcuda stand-in for the protocol tests: device memory is host memory,
 * streams and events complete at once, there are no modules (unless MOCKCUDA_SASS=1, at the
 * end). It lets the remoting path (stubs, batching, wire, dispatch, validation, session
 * cleanup) be tested against a driver whose every byte is known, independently of the CPU
 * device; the kernel tests use the CPU device itself.
 * It checks every pointer it is given against its own allocations, like a device would. */
#include <cuda.h>
#include <pthread.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#define EXPORT __attribute__((visibility("default")))
#define TOTAL_MEM ((size_t)1 << 30)

typedef struct { uint8_t *p; size_t n; } mock_alloc;
typedef struct { int magic; unsigned flags; } mock_ctx;
typedef struct { int magic; unsigned flags; int priority; } mock_stream;
typedef struct { int magic; double ms; int recorded; } mock_event;

static pthread_mutex_t lock = PTHREAD_MUTEX_INITIALIZER;
static mock_alloc allocs[4096];
static size_t nallocs, used;
static __thread CUcontext current;

static int find_range(CUdeviceptr p, size_t n) {
  pthread_mutex_lock(&lock);
  int ok = 0;
  for (size_t i = 0; i < nallocs && !ok; i++) {
    uintptr_t b = (uintptr_t)allocs[i].p;
    ok = p >= b && p - b < allocs[i].n && n <= allocs[i].n - (p - b);
  }
  pthread_mutex_unlock(&lock);
  return ok || n == 0;
}

EXPORT CUresult cuInit(unsigned int f) { return f ? CUDA_ERROR_INVALID_VALUE : CUDA_SUCCESS; }
EXPORT CUresult cuDriverGetVersion(int *v) { *v = CUDA_VERSION; return CUDA_SUCCESS; }
EXPORT CUresult cuDeviceGet(CUdevice *d, int o) {
  if (o != 0) return CUDA_ERROR_INVALID_DEVICE;
  *d = 0;
  return CUDA_SUCCESS;
}
EXPORT CUresult cuDeviceGetCount(int *c) { *c = 1; return CUDA_SUCCESS; }
EXPORT CUresult cuDeviceGetName(char *name, int len, CUdevice d) {
  if (d != 0 || len <= 0) return CUDA_ERROR_INVALID_VALUE;
  strncpy(name, "gpushim mock device", (size_t)len - 1);
  name[len - 1] = 0;
  return CUDA_SUCCESS;
}
EXPORT CUresult cuDeviceGetUuid(CUuuid *u, CUdevice d) {
  if (d != 0) return CUDA_ERROR_INVALID_DEVICE;
  for (int i = 0; i < 16; i++) u->bytes[i] = (char)(0xA0 + i);
  return CUDA_SUCCESS;
}
EXPORT CUresult cuDeviceTotalMem(size_t *b, CUdevice d) {
  if (d != 0) return CUDA_ERROR_INVALID_DEVICE;
  *b = TOTAL_MEM;
  return CUDA_SUCCESS;
}
EXPORT CUresult cuDeviceGetAttribute(int *pi, CUdevice_attribute a, CUdevice d) {
  if (d != 0) return CUDA_ERROR_INVALID_DEVICE;
  switch (a) {
  case CU_DEVICE_ATTRIBUTE_MAX_THREADS_PER_BLOCK: *pi = 1024; break;
  case CU_DEVICE_ATTRIBUTE_MAX_BLOCK_DIM_X: *pi = 1024; break;
  case CU_DEVICE_ATTRIBUTE_MAX_BLOCK_DIM_Y: *pi = 1024; break;
  case CU_DEVICE_ATTRIBUTE_MAX_BLOCK_DIM_Z: *pi = 64; break;
  case CU_DEVICE_ATTRIBUTE_MAX_GRID_DIM_X: *pi = 0x7fffffff; break;
  case CU_DEVICE_ATTRIBUTE_MAX_GRID_DIM_Y: *pi = 65535; break;
  case CU_DEVICE_ATTRIBUTE_MAX_GRID_DIM_Z: *pi = 65535; break;
  case CU_DEVICE_ATTRIBUTE_WARP_SIZE: *pi = 32; break;
  case CU_DEVICE_ATTRIBUTE_MULTIPROCESSOR_COUNT: *pi = 2; break;
  case CU_DEVICE_ATTRIBUTE_COMPUTE_CAPABILITY_MAJOR: *pi = 8; break;
  case CU_DEVICE_ATTRIBUTE_COMPUTE_CAPABILITY_MINOR: *pi = 0; break;
  default: *pi = 0; break;
  }
  return CUDA_SUCCESS;
}

EXPORT CUresult cuCtxCreate(CUcontext *pctx, CUctxCreateParams *p, unsigned int flags,
                            CUdevice d) {
  (void)p;
  if (d != 0) return CUDA_ERROR_INVALID_DEVICE;
  mock_ctx *c = calloc(1, sizeof *c);
  c->magic = 0xC7;
  c->flags = flags;
  *pctx = current = (CUcontext)c;
  return CUDA_SUCCESS;
}
EXPORT CUresult cuCtxDestroy(CUcontext c) {
  if (!c || ((mock_ctx *)c)->magic != 0xC7) return CUDA_ERROR_INVALID_CONTEXT;
  ((mock_ctx *)c)->magic = 0;
  free(c);
  if (current == c) current = NULL;
  return CUDA_SUCCESS;
}
EXPORT CUresult cuCtxSetCurrent(CUcontext c) { current = c; return CUDA_SUCCESS; }
EXPORT CUresult cuCtxGetCurrent(CUcontext *c) { *c = current; return CUDA_SUCCESS; }
EXPORT CUresult cuCtxPopCurrent(CUcontext *c) {
  if (c) *c = current;
  current = NULL;
  return CUDA_SUCCESS;
}
EXPORT CUresult cuCtxSynchronize(void) {
  return current ? CUDA_SUCCESS : CUDA_ERROR_INVALID_CONTEXT;
}
EXPORT CUresult cuCtxGetApiVersion(CUcontext c, unsigned int *v) {
  (void)c;
  *v = 3020;
  return CUDA_SUCCESS;
}

EXPORT CUresult cuMemAlloc(CUdeviceptr *dptr, size_t n) {
  if (!current) return CUDA_ERROR_INVALID_CONTEXT;
  if (n == 0) return CUDA_ERROR_INVALID_VALUE;
  pthread_mutex_lock(&lock);
  CUresult e = CUDA_SUCCESS;
  if (n > TOTAL_MEM - used || nallocs == 4096) {
    e = CUDA_ERROR_OUT_OF_MEMORY;
  } else {
    allocs[nallocs].p = malloc(n);
    allocs[nallocs].n = n;
    used += n;
    *dptr = (CUdeviceptr)(uintptr_t)allocs[nallocs++].p;
  }
  pthread_mutex_unlock(&lock);
  return e;
}
EXPORT CUresult cuMemAllocPitch(CUdeviceptr *dptr, size_t *pitch, size_t w, size_t h,
                                unsigned int elem) {
  (void)elem;
  *pitch = (w + 127) & ~(size_t)127;
  return cuMemAlloc(dptr, *pitch * h);
}
EXPORT CUresult cuMemFree(CUdeviceptr p) {
  pthread_mutex_lock(&lock);
  CUresult e = CUDA_ERROR_INVALID_VALUE;
  for (size_t i = 0; i < nallocs; i++)
    if ((uintptr_t)allocs[i].p == p) {
      free(allocs[i].p);
      used -= allocs[i].n;
      allocs[i] = allocs[--nallocs];
      e = CUDA_SUCCESS;
      break;
    }
  pthread_mutex_unlock(&lock);
  return e;
}
EXPORT CUresult cuMemGetInfo(size_t *free_, size_t *total) {
  pthread_mutex_lock(&lock);
  *free_ = TOTAL_MEM - used;
  *total = TOTAL_MEM;
  pthread_mutex_unlock(&lock);
  return CUDA_SUCCESS;
}
EXPORT CUresult cuMemGetAddressRange(CUdeviceptr *base, size_t *size, CUdeviceptr p) {
  pthread_mutex_lock(&lock);
  CUresult e = CUDA_ERROR_NOT_FOUND;
  for (size_t i = 0; i < nallocs; i++) {
    uintptr_t b = (uintptr_t)allocs[i].p;
    if (p >= b && p - b < allocs[i].n) {
      if (base) *base = b;
      if (size) *size = allocs[i].n;
      e = CUDA_SUCCESS;
    }
  }
  pthread_mutex_unlock(&lock);
  return e;
}

static CUresult fill(CUdeviceptr d, size_t pitch, const void *v, size_t elem, size_t w, size_t h) {
  if (!find_range(d, h ? pitch * (h - 1) + w * elem : 0)) return CUDA_ERROR_INVALID_VALUE;
  for (size_t y = 0; y < h; y++)
    for (size_t x = 0; x < w; x++) memcpy((uint8_t *)(uintptr_t)d + y * pitch + x * elem, v, elem);
  return CUDA_SUCCESS;
}
EXPORT CUresult cuMemsetD8(CUdeviceptr d, unsigned char v, size_t n) { return fill(d, n, &v, 1, n, 1); }
EXPORT CUresult cuMemsetD16(CUdeviceptr d, unsigned short v, size_t n) { return fill(d, 2 * n, &v, 2, n, 1); }
EXPORT CUresult cuMemsetD32(CUdeviceptr d, unsigned int v, size_t n) { return fill(d, 4 * n, &v, 4, n, 1); }
EXPORT CUresult cuMemsetD8Async(CUdeviceptr d, unsigned char v, size_t n, CUstream s) { (void)s; return cuMemsetD8(d, v, n); }
EXPORT CUresult cuMemsetD16Async(CUdeviceptr d, unsigned short v, size_t n, CUstream s) { (void)s; return cuMemsetD16(d, v, n); }
EXPORT CUresult cuMemsetD32Async(CUdeviceptr d, unsigned int v, size_t n, CUstream s) { (void)s; return cuMemsetD32(d, v, n); }
EXPORT CUresult cuMemsetD2D8(CUdeviceptr d, size_t p, unsigned char v, size_t w, size_t h) { return fill(d, p, &v, 1, w, h); }
EXPORT CUresult cuMemsetD2D16(CUdeviceptr d, size_t p, unsigned short v, size_t w, size_t h) { return fill(d, p, &v, 2, w, h); }
EXPORT CUresult cuMemsetD2D32(CUdeviceptr d, size_t p, unsigned int v, size_t w, size_t h) { return fill(d, p, &v, 4, w, h); }
EXPORT CUresult cuMemsetD2D8Async(CUdeviceptr d, size_t p, unsigned char v, size_t w, size_t h, CUstream s) { (void)s; return fill(d, p, &v, 1, w, h); }
EXPORT CUresult cuMemsetD2D16Async(CUdeviceptr d, size_t p, unsigned short v, size_t w, size_t h, CUstream s) { (void)s; return fill(d, p, &v, 2, w, h); }
EXPORT CUresult cuMemsetD2D32Async(CUdeviceptr d, size_t p, unsigned int v, size_t w, size_t h, CUstream s) { (void)s; return fill(d, p, &v, 4, w, h); }

EXPORT CUresult cuMemcpyHtoD(CUdeviceptr d, const void *h, size_t n) {
  if (!find_range(d, n)) return CUDA_ERROR_INVALID_VALUE;
  memcpy((void *)(uintptr_t)d, h, n);
  return CUDA_SUCCESS;
}
EXPORT CUresult cuMemcpyDtoH(void *h, CUdeviceptr d, size_t n) {
  if (!find_range(d, n)) return CUDA_ERROR_INVALID_VALUE;
  memcpy(h, (void *)(uintptr_t)d, n);
  return CUDA_SUCCESS;
}
EXPORT CUresult cuMemcpyDtoD(CUdeviceptr d, CUdeviceptr s, size_t n) {
  if (!find_range(d, n) || !find_range(s, n)) return CUDA_ERROR_INVALID_VALUE;
  memmove((void *)(uintptr_t)d, (void *)(uintptr_t)s, n);
  return CUDA_SUCCESS;
}
EXPORT CUresult cuMemcpyHtoDAsync(CUdeviceptr d, const void *h, size_t n, CUstream s) { (void)s; return cuMemcpyHtoD(d, h, n); }
EXPORT CUresult cuMemcpyDtoHAsync(void *h, CUdeviceptr d, size_t n, CUstream s) { (void)s; return cuMemcpyDtoH(h, d, n); }
EXPORT CUresult cuMemcpyDtoDAsync(CUdeviceptr d, CUdeviceptr src, size_t n, CUstream s) { (void)s; return cuMemcpyDtoD(d, src, n); }

static int stream_ok(CUstream s) {
  return (uintptr_t)s <= 2 || ((mock_stream *)s)->magic == 0x57;
}
EXPORT CUresult cuStreamCreateWithPriority(CUstream *ps, unsigned int flags, int prio) {
  if (!current) return CUDA_ERROR_INVALID_CONTEXT;
  mock_stream *s = calloc(1, sizeof *s);
  s->magic = 0x57;
  s->flags = flags;
  s->priority = prio;
  *ps = (CUstream)s;
  return CUDA_SUCCESS;
}
EXPORT CUresult cuStreamCreate(CUstream *ps, unsigned int flags) { return cuStreamCreateWithPriority(ps, flags, 0); }
EXPORT CUresult cuStreamDestroy(CUstream s) {
  if ((uintptr_t)s <= 2 || !stream_ok(s)) return CUDA_ERROR_INVALID_HANDLE;
  ((mock_stream *)s)->magic = 0;
  free(s);
  return CUDA_SUCCESS;
}
EXPORT CUresult cuStreamQuery(CUstream s) { return stream_ok(s) ? CUDA_SUCCESS : CUDA_ERROR_INVALID_HANDLE; }
EXPORT CUresult cuStreamSynchronize(CUstream s) { return cuStreamQuery(s); }
EXPORT CUresult cuStreamGetPriority(CUstream s, int *p) {
  if (!stream_ok(s)) return CUDA_ERROR_INVALID_HANDLE;
  *p = (uintptr_t)s <= 2 ? 0 : ((mock_stream *)s)->priority;
  return CUDA_SUCCESS;
}
EXPORT CUresult cuStreamGetFlags(CUstream s, unsigned int *f) {
  if (!stream_ok(s)) return CUDA_ERROR_INVALID_HANDLE;
  *f = (uintptr_t)s <= 2 ? 0 : ((mock_stream *)s)->flags;
  return CUDA_SUCCESS;
}

static double now_ms(void) {
  struct timespec t;
  clock_gettime(CLOCK_MONOTONIC, &t);
  return t.tv_sec * 1e3 + t.tv_nsec / 1e6;
}
EXPORT CUresult cuEventCreate(CUevent *pe, unsigned int flags) {
  (void)flags;
  if (!current) return CUDA_ERROR_INVALID_CONTEXT;
  mock_event *e = calloc(1, sizeof *e);
  e->magic = 0xE7;
  *pe = (CUevent)e;
  return CUDA_SUCCESS;
}
static int event_ok(CUevent e) { return e && ((mock_event *)e)->magic == 0xE7; }
EXPORT CUresult cuEventRecord(CUevent e, CUstream s) {
  if (!event_ok(e) || !stream_ok(s)) return CUDA_ERROR_INVALID_HANDLE;
  ((mock_event *)e)->ms = now_ms();
  ((mock_event *)e)->recorded = 1;
  return CUDA_SUCCESS;
}
EXPORT CUresult cuStreamWaitEvent(CUstream s, CUevent e, unsigned int f) {
  (void)f;
  return event_ok(e) && stream_ok(s) ? CUDA_SUCCESS : CUDA_ERROR_INVALID_HANDLE;
}
EXPORT CUresult cuEventQuery(CUevent e) { return event_ok(e) ? CUDA_SUCCESS : CUDA_ERROR_INVALID_HANDLE; }
EXPORT CUresult cuEventSynchronize(CUevent e) { return cuEventQuery(e); }
EXPORT CUresult cuEventDestroy(CUevent e) {
  if (!event_ok(e)) return CUDA_ERROR_INVALID_HANDLE;
  ((mock_event *)e)->magic = 0;
  free(e);
  return CUDA_SUCCESS;
}
EXPORT CUresult cuEventElapsedTime(float *ms, CUevent a, CUevent b) {
  if (!event_ok(a) || !event_ok(b)) return CUDA_ERROR_INVALID_HANDLE;
  if (!((mock_event *)a)->recorded || !((mock_event *)b)->recorded) return CUDA_ERROR_NOT_READY;
  *ms = (float)(((mock_event *)b)->ms - ((mock_event *)a)->ms);
  return CUDA_SUCCESS;
}

/* Modules, only with MOCKCUDA_SASS=1 (otherwise "no modules", as above): a GPU of CC 8.0 that
 * runs cubins it can (sm_80) and PTX, refuses other cubins with CUDA_ERROR_NO_BINARY_FOR_GPU,
 * and counts what it loaded (mockcuda_module_loads), so that a test can tell whether a cubin
 * or a PTX stand-in for it reached the device (tests/remote/test_nvrtc_sass.c). */
static int elf_loads, ptx_loads;

EXPORT void mockcuda_module_loads(int *elf, int *ptx) {
  pthread_mutex_lock(&lock);
  *elf = elf_loads;
  *ptx = ptx_loads;
  pthread_mutex_unlock(&lock);
}

EXPORT CUresult cuModuleLoadData(CUmodule *m, const void *image) {
  if (!getenv("MOCKCUDA_SASS")) return CUDA_ERROR_NOT_SUPPORTED;
  if (!m || !image) return CUDA_ERROR_INVALID_VALUE;
  const uint8_t *p = image;
  int *count = &ptx_loads;
  if (!memcmp(p, "\177ELF", 4)) {
    uint32_t flags;
    memcpy(&flags, p + 0x30, 4);                   /* e_flags: the SASS architecture */
    if (((flags >> 8) & 0xff) != 80) return CUDA_ERROR_NO_BINARY_FOR_GPU;
    count = &elf_loads;
  } else if (!strstr(image, ".target")) {
    return CUDA_ERROR_INVALID_IMAGE;
  }
  mock_ctx *mod = calloc(1, sizeof *mod);           /* any distinct handle will do */
  if (!mod) return CUDA_ERROR_OUT_OF_MEMORY;
  pthread_mutex_lock(&lock);
  ++*count;
  pthread_mutex_unlock(&lock);
  *m = (CUmodule)mod;
  return CUDA_SUCCESS;
}

EXPORT CUresult cuModuleUnload(CUmodule m) {
  free(m);
  return CUDA_SUCCESS;
}

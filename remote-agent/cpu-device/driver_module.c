/* driver_module.c - modules and functions (cuModule*, cuFunc*) and libraries/kernels
 * (cuLibrary*, cuKernel*) on top of the PTX engine.
 *
 * An image is a fatbin (one or more containers), a fatbin wrapper as
 * __cudaRegisterFatBinary receives it, NUL-terminated PTX text, or a cubin (ELF: refused
 * with CUDA_ERROR_NO_BINARY_FOR_GPU, since only PTX can run here). Loading parses the PTX
 * once, gives every module variable device storage (initialised) and binds its address.
 * A library holds its image and loads it as a module into each context that asks.
 */
#include "driver.h"
#include "fatbin.h"

#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static __thread char tls_diag[512];
static unsigned long long g_next_module_id = 1;   /* guarded by cpudev_lock */

void cpudev_diag(const char *fmt, ...) {
  va_list ap;
  va_start(ap, fmt);
  vsnprintf(tls_diag, sizeof tls_diag, fmt, ap);
  va_end(ap);
  if (cpudev_log_enabled()) fprintf(stderr, "gpushim cpu-device: %s\n", tls_diag);
}

void cpudev_diag_set(const char *msg) { snprintf(tls_diag, sizeof tls_diag, "%s", msg); }

/* The last diagnostic of the calling thread (module load failures, kernel faults). */
CPUDEV_API const char *gpushim_cpudev_last_error(void) { return tls_diag; }

/* ---- image recognition ---- */

/* The SASS architecture an ELF cubin was built for (e_flags holds it). */
static unsigned elf_arch(const uint8_t *elf) {
  uint32_t flags;
  memcpy(&flags, elf + 0x30, 4);
  unsigned arch = (flags >> 8) & 0xff;
  return arch >= 20 ? arch : flags & 0xff;
}

static unsigned device_arch(CUcontext ctx) {
  cpudev_device *d = cpudev_device_at(ctx->device);
  return (unsigned)(d->cc_major * 10 + d->cc_minor);
}

static CUresult fatbin_error(fatbin_status s) {
  switch (s) {
  case FATBIN_OK: return CUDA_SUCCESS;
  case FATBIN_ERR_NO_PTX: return CUDA_ERROR_NO_BINARY_FOR_GPU;
  case FATBIN_ERR_NO_MEMORY: return CUDA_ERROR_OUT_OF_MEMORY;
  default: return CUDA_ERROR_INVALID_IMAGE;
  }
}

/* Extracts the PTX text to parse from an image. *owned is set when *text must be freed. */
static CUresult image_ptx(unsigned arch, const void *image, size_t size, char **text, size_t *len, int *owned,
                          char *err, size_t errlen) {
  const uint8_t *p = image;
  uint32_t magic;
  memcpy(&magic, p, 4);
  *owned = 0;
  if (magic == FATBIN_WRAPPER_MAGIC) {
    const fatbin_wrapper *w = image;
    if (!w->data) return CUDA_ERROR_INVALID_IMAGE;
    image = w->data;
    p = image;
    memcpy(&magic, p, 4);
    size = 0;
  }
  if (magic == FATBIN_MAGIC) {
    if (!size) size = fatbin_container_size(image);
    if (!size) {
      snprintf(err, errlen, "fatbin: bad container header");
      return CUDA_ERROR_INVALID_IMAGE;
    }
    fatbin_status s = fatbin_best_ptx(image, size, arch, text, len, NULL, err, errlen);
    if (s) return fatbin_error(s);
    *owned = 1;
    return CUDA_SUCCESS;
  }
  if (!memcmp(p, "\177ELF", 4)) {
    snprintf(err, errlen,
             "image is a cubin for sm_%u (SASS, no PTX); the CPU device runs PTX only: "
             "load a fatbin or PTX that includes compute_%u or older",
             elf_arch(p), arch);
    return CUDA_ERROR_NO_BINARY_FOR_GPU;
  }
  *text = (char *)image;
  *len = size ? strnlen(*text, size) : strlen(*text);
  return CUDA_SUCCESS;
}

/* Gives each module variable initialised device storage and binds it. */
static CUresult module_bind_vars(struct CUmod_st *m) {
  m->nvars = ptx_module_var_count(m->ptx);
  m->var_addr = calloc(m->nvars ? m->nvars : 1, sizeof *m->var_addr);
  if (!m->var_addr) return CUDA_ERROR_OUT_OF_MEMORY;
  for (size_t i = 0; i < m->nvars; i++) {
    const ptx_var_info *v = ptx_module_var(m->ptx, i);
    uintptr_t addr;
    CUresult r = cpudev_mem_alloc(m->ctx, v->size ? v->size : 1, CPUDEV_MEM_MODULE_VAR, 0, &addr);
    if (r) return r;
    if (v->init && v->size) memcpy((void *)addr, v->init, v->size);
    m->var_addr[i] = addr;
    ptx_module_bind_var(m->ptx, i, addr);
  }
  return CUDA_SUCCESS;
}

static CUresult module_make_funcs(struct CUmod_st *m) {
  m->nfuncs = ptx_module_kernel_count(m->ptx);
  m->funcs = calloc(m->nfuncs ? m->nfuncs : 1, sizeof *m->funcs);
  if (!m->funcs) return CUDA_ERROR_OUT_OF_MEMORY;
  for (size_t i = 0; i < m->nfuncs; i++) {
    struct CUfunc_st *f = &m->funcs[i];
    f->magic = CPUDEV_MAGIC_FUNC;
    f->module = m;
    f->kernel = ptx_module_kernel_at(m->ptx, i);
    f->info = ptx_kernel_get_info(f->kernel);
    f->carveout = -1;
  }
  return CUDA_SUCCESS;
}

/* Frees a module's storage. Lock NOT held (memory calls take it). */
static void module_destroy(struct CUmod_st *m) {
  for (size_t i = 0; m->var_addr && i < m->nvars; i++)
    if (m->var_addr[i]) cpudev_mem_release(m->var_addr[i]);
  free(m->var_addr);
  free(m->funcs);
  if (m->ptx) ptx_module_free(m->ptx);
  m->magic = 0;
  free(m);
}

void cpudev_module_free(struct CUmod_st *m) {
  cpudev_unlock();
  module_destroy(m);
  cpudev_lock();
}

CUresult cpudev_module_load(CUcontext ctx, const void *image, size_t size, CUmodule *out, char *err,
                            size_t errlen) {
  char local_err[512];
  if (!err || !errlen) {
    err = local_err;
    errlen = sizeof local_err;
  }
  err[0] = '\0';
  if (!image) return CUDA_ERROR_INVALID_VALUE;
  char *text;
  size_t len;
  int owned;
  CUresult r = image_ptx(device_arch(ctx), image, size, &text, &len, &owned, err, errlen);
  if (r) {
    cpudev_diag("module load failed: %s", err);
    return r;
  }
  struct CUmod_st *m = calloc(1, sizeof *m);
  if (!m) {
    if (owned) free(text);
    return CUDA_ERROR_OUT_OF_MEMORY;
  }
  m->magic = CPUDEV_MAGIC_MODULE;
  m->ctx = ctx;
  m->ptx = ptx_module_parse(text, len, err, errlen);
  if (owned) free(text);
  if (!m->ptx) {
    cpudev_diag("PTX not loadable: %s", err);
    free(m);
    return strstr(err, "nsupported") ? CUDA_ERROR_NOT_SUPPORTED : CUDA_ERROR_INVALID_PTX;
  }
  r = module_bind_vars(m);
  if (!r) r = module_make_funcs(m);
  if (r) {
    module_destroy(m);
    return r;
  }
  cpudev_lock();
  m->id = g_next_module_id++;
  m->next = ctx->modules;
  ctx->modules = m;
  cpudev_unlock();
  *out = m;
  return CUDA_SUCCESS;
}

/* Is m (with this id) a module of a live context? Lock held. */
static int module_is_live(struct CUmod_st *m);
static int module_is_live_id(struct CUmod_st *m, unsigned long long id) { return module_is_live(m) && m->id == id; }

/* Is m a module of a live context? Lock held. */
static int module_is_live(struct CUmod_st *m) {
  for (struct CUctx_st *c = cpudev_contexts(); c; c = c->next)
    if (c->active)
      for (struct CUmod_st *x = c->modules; x; x = x->next)
        if (x == m) return 1;
  return 0;
}

int cpudev_func_is_valid(CUfunction f) {
  for (struct CUctx_st *c = cpudev_contexts(); c; c = c->next)
    if (c->active)
      for (struct CUmod_st *m = c->modules; m; m = m->next)
        if (f >= m->funcs && f < m->funcs + m->nfuncs) return 1;
  return 0;
}

static CUresult check_module(CUmodule m) {
  if (!m) return CUDA_ERROR_INVALID_HANDLE;
  cpudev_lock();
  int ok = module_is_live(m);
  cpudev_unlock();
  return ok ? CUDA_SUCCESS : CUDA_ERROR_INVALID_HANDLE;
}

static CUresult check_func(CUfunction f) {
  if (!f) return CUDA_ERROR_INVALID_HANDLE;
  cpudev_lock();
  int ok = cpudev_func_is_valid(f);
  cpudev_unlock();
  return ok ? CUDA_SUCCESS : CUDA_ERROR_INVALID_HANDLE;
}

/* ---- cuModule* ---- */

static CUresult load_in_current(CUmodule *module, const void *image, size_t size, char *err, size_t errlen) {
  if (!module || !image) return CUDA_ERROR_INVALID_VALUE;
  CUcontext ctx;
  CUresult r = cpudev_current_ctx(&ctx);
  if (r) return r;
  return cpudev_module_load(ctx, image, size, module, err, errlen);
}

CPUDEV_API CUresult cuModuleLoadData(CUmodule *module, const void *image) {
  return load_in_current(module, image, 0, NULL, 0);
}

CPUDEV_API CUresult cuModuleLoadFatBinary(CUmodule *module, const void *fatCubin) {
  return load_in_current(module, fatCubin, 0, NULL, 0);
}

/* Finds the JIT error-log buffer among the options, so load errors reach the caller. */
static void jit_error_buffer(unsigned n, CUjit_option *options, void **values, char **buf, size_t *len) {
  *buf = NULL;
  *len = 0;
  for (unsigned i = 0; options && values && i < n; i++) {
    if (options[i] == CU_JIT_ERROR_LOG_BUFFER) *buf = values[i];
    if (options[i] == CU_JIT_ERROR_LOG_BUFFER_SIZE_BYTES) *len = (size_t)(uintptr_t)values[i];
  }
  if (!*buf) *len = 0;
}

CPUDEV_API CUresult cuModuleLoadDataEx(CUmodule *module, const void *image, unsigned int numOptions,
                                       CUjit_option *options, void **optionValues) {
  char *buf;
  size_t len;
  jit_error_buffer(numOptions, options, optionValues, &buf, &len);
  return load_in_current(module, image, 0, buf, len);
}

/* Reads a whole file into memory (NUL-terminated). */
static CUresult read_file(const char *path, char **data, size_t *size) {
  FILE *f = fopen(path, "rb");
  if (!f) return CUDA_ERROR_FILE_NOT_FOUND;
  char *buf = NULL;
  size_t n = 0, cap = 0;
  for (;;) {
    if (cap - n < 65536) {
      char *nb = realloc(buf, cap + 65536 + 1);
      if (!nb) {
        free(buf);
        fclose(f);
        return CUDA_ERROR_OUT_OF_MEMORY;
      }
      buf = nb;
      cap += 65536;
    }
    size_t got = fread(buf + n, 1, cap - n, f);
    n += got;
    if (got == 0) break;
  }
  fclose(f);
  buf[n] = '\0';
  *data = buf;
  *size = n;
  return CUDA_SUCCESS;
}

CPUDEV_API CUresult cuModuleLoad(CUmodule *module, const char *fname) {
  if (!module || !fname) return CUDA_ERROR_INVALID_VALUE;
  CUcontext ctx;
  CUresult r = cpudev_current_ctx(&ctx);
  if (r) return r;
  char *data;
  size_t size;
  r = read_file(fname, &data, &size);
  if (r) return r;
  r = size >= 4 ? cpudev_module_load(ctx, data, size, module, NULL, 0) : CUDA_ERROR_INVALID_IMAGE;
  free(data);
  return r;
}

/* Unlinks and frees a module after its context's work is done. */
static CUresult module_unload(CUmodule hmod) {
  cpudev_lock();
  CUresult r = CUDA_ERROR_INVALID_HANDLE;
  for (struct CUctx_st *c = cpudev_contexts(); c && r; c = c->next)
    for (struct CUmod_st **p = &c->modules; *p; p = &(*p)->next)
      if (*p == hmod) {
        *p = hmod->next;
        r = CUDA_SUCCESS;
        break;
      }
  cpudev_unlock();
  if (r) return r;
  cpudev_ctx_synchronize(hmod->ctx);   /* kernels of the module may still be running */
  module_destroy(hmod);
  return CUDA_SUCCESS;
}

CPUDEV_API CUresult cuModuleUnload(CUmodule hmod) {
  CUcontext ctx;
  CUresult r = cpudev_current_ctx_unchecked(&ctx);
  return r ? r : module_unload(hmod);
}

CPUDEV_API CUresult cuModuleGetFunction(CUfunction *hfunc, CUmodule hmod, const char *name) {
  if (!hfunc || !name) return CUDA_ERROR_INVALID_VALUE;
  CUresult r = check_module(hmod);
  if (r) return r;
  for (size_t i = 0; i < hmod->nfuncs; i++)
    if (!strcmp(hmod->funcs[i].info->name, name)) {
      *hfunc = &hmod->funcs[i];
      return CUDA_SUCCESS;
    }
  return CUDA_ERROR_NOT_FOUND;
}

CPUDEV_API CUresult cuModuleGetFunctionCount(unsigned int *count, CUmodule mod) {
  if (!count) return CUDA_ERROR_INVALID_VALUE;
  CUresult r = check_module(mod);
  if (!r) *count = (unsigned)mod->nfuncs;
  return r;
}

CPUDEV_API CUresult cuModuleEnumerateFunctions(CUfunction *functions, unsigned int numFunctions, CUmodule mod) {
  if (!functions) return CUDA_ERROR_INVALID_VALUE;
  CUresult r = check_module(mod);
  if (r) return r;
  for (unsigned i = 0; i < numFunctions && i < mod->nfuncs; i++) functions[i] = &mod->funcs[i];
  return CUDA_SUCCESS;
}

CPUDEV_API CUresult cuModuleGetGlobal_v2(CUdeviceptr *dptr, size_t *bytes, CUmodule hmod, const char *name) {
  if (!name) return CUDA_ERROR_INVALID_VALUE;
  CUresult r = check_module(hmod);
  if (r) return r;
  for (size_t i = 0; i < hmod->nvars; i++) {
    const ptx_var_info *v = ptx_module_var(hmod->ptx, i);
    if (strcmp(v->name, name)) continue;
    if (dptr) *dptr = (CUdeviceptr)hmod->var_addr[i];
    if (bytes) *bytes = v->size;
    return CUDA_SUCCESS;
  }
  return CUDA_ERROR_NOT_FOUND;
}

CPUDEV_API CUresult cuModuleGetLoadingMode(CUmoduleLoadingMode *mode) {
  if (!mode) return CUDA_ERROR_INVALID_VALUE;
  *mode = CU_MODULE_EAGER_LOADING;
  return CUDA_SUCCESS;
}

/* ---- cuFunc* ---- */

static int func_attribute(CUfunction f, CUfunction_attribute attrib, int *value) {
  const ptx_kernel_info *k = f->info;
  switch (attrib) {
  case CU_FUNC_ATTRIBUTE_MAX_THREADS_PER_BLOCK: *value = (int)(k->max_threads ? k->max_threads : 1024); break;
  case CU_FUNC_ATTRIBUTE_SHARED_SIZE_BYTES: *value = (int)k->static_shared_bytes; break;
  case CU_FUNC_ATTRIBUTE_CONST_SIZE_BYTES: *value = 0; break;
  case CU_FUNC_ATTRIBUTE_LOCAL_SIZE_BYTES: *value = (int)k->local_bytes; break;
  case CU_FUNC_ATTRIBUTE_NUM_REGS: *value = (int)k->num_regs; break;
  case CU_FUNC_ATTRIBUTE_PTX_VERSION: *value = (int)k->target_sm; break;
  case CU_FUNC_ATTRIBUTE_BINARY_VERSION: {
    cpudev_device *d = cpudev_device_at(f->module->ctx->device);
    *value = d->cc_major * 10 + d->cc_minor;
    break;
  }
  case CU_FUNC_ATTRIBUTE_CACHE_MODE_CA: *value = 0; break;
  case CU_FUNC_ATTRIBUTE_MAX_DYNAMIC_SHARED_SIZE_BYTES:
    *value = f->max_dynamic_shared ? f->max_dynamic_shared
                                   : CPUDEV_STATIC_SHARED_LIMIT - (int)k->static_shared_bytes;
    if (*value < 0) *value = 0;
    break;
  case CU_FUNC_ATTRIBUTE_PREFERRED_SHARED_MEMORY_CARVEOUT: *value = f->carveout; break;
  case CU_FUNC_ATTRIBUTE_CLUSTER_SIZE_MUST_BE_SET:
  case CU_FUNC_ATTRIBUTE_REQUIRED_CLUSTER_WIDTH:
  case CU_FUNC_ATTRIBUTE_REQUIRED_CLUSTER_HEIGHT:
  case CU_FUNC_ATTRIBUTE_REQUIRED_CLUSTER_DEPTH:
  case CU_FUNC_ATTRIBUTE_NON_PORTABLE_CLUSTER_SIZE_ALLOWED:
  case CU_FUNC_ATTRIBUTE_CLUSTER_SCHEDULING_POLICY_PREFERENCE: *value = 0; break;
  default: return -1;
  }
  return 0;
}

CPUDEV_API CUresult cuFuncGetAttribute(int *pi, CUfunction_attribute attrib, CUfunction hfunc) {
  if (!pi) return CUDA_ERROR_INVALID_VALUE;
  CUresult r = check_func(hfunc);
  if (r) return r;
  return func_attribute(hfunc, attrib, pi) ? CUDA_ERROR_INVALID_VALUE : CUDA_SUCCESS;
}

static CUresult func_set_attribute(CUfunction f, CUfunction_attribute attrib, int value) {
  switch (attrib) {
  case CU_FUNC_ATTRIBUTE_MAX_DYNAMIC_SHARED_SIZE_BYTES:
    if (value < 0 || (size_t)value + f->info->static_shared_bytes > CPUDEV_OPTIN_SHARED_LIMIT)
      return CUDA_ERROR_INVALID_VALUE;
    f->max_dynamic_shared = value;
    return CUDA_SUCCESS;
  case CU_FUNC_ATTRIBUTE_PREFERRED_SHARED_MEMORY_CARVEOUT:
    if (value < -1 || value > 100) return CUDA_ERROR_INVALID_VALUE;
    f->carveout = value;
    return CUDA_SUCCESS;
  case CU_FUNC_ATTRIBUTE_REQUIRED_CLUSTER_WIDTH:
  case CU_FUNC_ATTRIBUTE_REQUIRED_CLUSTER_HEIGHT:
  case CU_FUNC_ATTRIBUTE_REQUIRED_CLUSTER_DEPTH:
  case CU_FUNC_ATTRIBUTE_NON_PORTABLE_CLUSTER_SIZE_ALLOWED:
  case CU_FUNC_ATTRIBUTE_CLUSTER_SCHEDULING_POLICY_PREFERENCE: return CUDA_ERROR_NOT_SUPPORTED;
  default: return CUDA_ERROR_INVALID_VALUE;
  }
}

CPUDEV_API CUresult cuFuncSetAttribute(CUfunction hfunc, CUfunction_attribute attrib, int value) {
  CUresult r = check_func(hfunc);
  return r ? r : func_set_attribute(hfunc, attrib, value);
}

CPUDEV_API CUresult cuFuncSetCacheConfig(CUfunction hfunc, CUfunc_cache config) {
  CUresult r = check_func(hfunc);
  if (r) return r;
  if ((unsigned)config > CU_FUNC_CACHE_PREFER_EQUAL) return CUDA_ERROR_INVALID_VALUE;
  hfunc->cache_config = config;
  return CUDA_SUCCESS;
}

CPUDEV_API CUresult cuFuncGetName(const char **name, CUfunction hfunc) {
  if (!name) return CUDA_ERROR_INVALID_VALUE;
  CUresult r = check_func(hfunc);
  if (!r) *name = hfunc->info->name;
  return r;
}

CPUDEV_API CUresult cuFuncGetModule(CUmodule *hmod, CUfunction hfunc) {
  if (!hmod) return CUDA_ERROR_INVALID_VALUE;
  CUresult r = check_func(hfunc);
  if (!r) *hmod = hfunc->module;
  return r;
}

CPUDEV_API CUresult cuFuncGetParamInfo(CUfunction func, size_t paramIndex, size_t *paramOffset,
                                       size_t *paramSize) {
  CUresult r = check_func(func);
  if (r) return r;
  size_t off, size;
  if (ptx_kernel_param(func->kernel, paramIndex, &off, &size) != PTX_OK) return CUDA_ERROR_INVALID_VALUE;
  if (paramOffset) *paramOffset = off;
  if (paramSize) *paramSize = size;
  return CUDA_SUCCESS;
}

CPUDEV_API CUresult cuFuncIsLoaded(CUfunctionLoadingState *state, CUfunction function) {
  if (!state) return CUDA_ERROR_INVALID_VALUE;
  CUresult r = check_func(function);
  if (!r) *state = CU_FUNCTION_LOADING_STATE_LOADED;
  return r;
}

CPUDEV_API CUresult cuFuncLoad(CUfunction function) { return check_func(function); }

/* ---- libraries and kernels ---- */

struct CUkern_st {
  struct CUlib_st *lib;
  char *name;
};

typedef struct lib_module {
  CUcontext ctx;
  CUmodule mod;
  unsigned long long mod_id;   /* mod->id when loaded: tells a live module from a reused address */
  struct lib_module *next;
} lib_module;

struct CUlib_st {
  char *image;               /* our copy of the image */
  size_t size;
  size_t nkernels;
  struct CUkern_st *kernels;
  lib_module *modules;       /* one per context that used the library */
  struct CUlib_st *next;
};

static struct CUlib_st *g_libraries;   /* guarded by cpudev_lock */

static int library_is_live(struct CUlib_st *l) {
  for (struct CUlib_st *x = g_libraries; x; x = x->next)
    if (x == l) return 1;
  return 0;
}

/* The library's module in the current context, loaded on first use. */
static CUresult library_module(struct CUlib_st *lib, CUmodule *out) {
  CUcontext ctx;
  CUresult r = cpudev_current_ctx(&ctx);
  if (r) return r;
  cpudev_lock();
  for (lib_module *lm = lib->modules; lm; lm = lm->next)
    if (lm->ctx == ctx && module_is_live_id(lm->mod, lm->mod_id)) {
      *out = lm->mod;
      cpudev_unlock();
      return CUDA_SUCCESS;
    }
  cpudev_unlock();
  lib_module *lm = calloc(1, sizeof *lm);
  if (!lm) return CUDA_ERROR_OUT_OF_MEMORY;
  r = cpudev_module_load(ctx, lib->image, lib->size, &lm->mod, NULL, 0);
  if (r) {
    free(lm);
    return r;
  }
  lm->ctx = ctx;
  cpudev_lock();
  lm->mod_id = lm->mod->id;
  lm->next = lib->modules;
  lib->modules = lm;
  cpudev_unlock();
  *out = lm->mod;
  return CUDA_SUCCESS;
}

/* Copies the image: fatbin containers by their size, a wrapper's container, PTX text, or an
 * ELF cubin's 64-byte header (all image_ptx reads of it before refusing it: SASS only). */
static CUresult copy_image(const void *code, size_t known, char **out, size_t *size) {
  uint32_t magic;
  memcpy(&magic, code, 4);
  if (magic == FATBIN_WRAPPER_MAGIC) {
    code = ((const fatbin_wrapper *)code)->data;
    if (!code) return CUDA_ERROR_INVALID_IMAGE;
    memcpy(&magic, code, 4);
    known = 0;
  }
  size_t n = known;
  if (!n && !memcmp(code, "\177ELF", 4)) n = 64;
  if (!n) n = magic == FATBIN_MAGIC ? fatbin_container_size(code) : strlen(code);
  if (!n) return CUDA_ERROR_INVALID_IMAGE;
  char *copy = malloc(n + 1);
  if (!copy) return CUDA_ERROR_OUT_OF_MEMORY;
  memcpy(copy, code, n);
  copy[n] = '\0';
  *out = copy;
  *size = n;
  return CUDA_SUCCESS;
}

/* Reads the kernel names of a library's image. With a current context the image is loaded
 * there at once (it will be needed); without one (context-independent loading) it is only
 * parsed, for device 0's architecture, and modules come later per context. */
static CUresult library_kernel_names(struct CUlib_st *lib, char ***names, size_t *count) {
  CUcontext ctx;
  ptx_module *parsed = NULL;
  CUmodule mod = NULL;
  CUresult r;
  if (cpudev_current_ctx(&ctx) == CUDA_SUCCESS) {
    r = library_module(lib, &mod);
    if (r) return r;
    *count = mod->nfuncs;
  } else {
    cpudev_device *d = cpudev_device_at(0);
    if (!d) return cpudev_initialized() ? CUDA_ERROR_NO_DEVICE : CUDA_ERROR_NOT_INITIALIZED;
    char *text, err[512] = "";
    size_t len;
    int owned;
    r = image_ptx((unsigned)(d->cc_major * 10 + d->cc_minor), lib->image, lib->size, &text, &len, &owned, err,
                  sizeof err);
    if (r) {
      cpudev_diag("library load failed: %s", err);
      return r;
    }
    parsed = ptx_module_parse(text, len, err, sizeof err);
    if (owned) free(text);
    if (!parsed) {
      cpudev_diag("PTX not loadable: %s", err);
      return strstr(err, "nsupported") ? CUDA_ERROR_NOT_SUPPORTED : CUDA_ERROR_INVALID_PTX;
    }
    *count = ptx_module_kernel_count(parsed);
  }
  *names = calloc(*count ? *count : 1, sizeof **names);
  r = *names ? CUDA_SUCCESS : CUDA_ERROR_OUT_OF_MEMORY;
  for (size_t i = 0; !r && i < *count; i++) {
    const char *name = mod ? mod->funcs[i].info->name : ptx_kernel_get_info(ptx_module_kernel_at(parsed, i))->name;
    (*names)[i] = strdup(name);
    if (!(*names)[i]) r = CUDA_ERROR_OUT_OF_MEMORY;
  }
  if (parsed) ptx_module_free(parsed);
  return r;
}

static CUresult library_load(CUlibrary *library, const void *code, size_t known) {
  if (!library || !code) return CUDA_ERROR_INVALID_VALUE;
  struct CUlib_st *lib = calloc(1, sizeof *lib);
  if (!lib) return CUDA_ERROR_OUT_OF_MEMORY;
  char **names = NULL;
  size_t count = 0;
  CUresult r = copy_image(code, known, &lib->image, &lib->size);
  if (!r) r = library_kernel_names(lib, &names, &count);
  if (!r) {
    lib->kernels = calloc(count ? count : 1, sizeof *lib->kernels);
    if (!lib->kernels) r = CUDA_ERROR_OUT_OF_MEMORY;
  }
  for (size_t i = 0; names && i < count; i++) {
    if (!r) {
      lib->kernels[i].lib = lib;
      lib->kernels[i].name = names[i];
      lib->nkernels = i + 1;
    } else {
      free(names[i]);
    }
  }
  free(names);
  cpudev_lock();
  lib->next = g_libraries;
  g_libraries = lib;
  cpudev_unlock();
  if (r) {
    cuLibraryUnload(lib);
    return r;
  }
  *library = lib;
  return CUDA_SUCCESS;
}

CPUDEV_API CUresult cuLibraryLoadData(CUlibrary *library, const void *code, CUjit_option *jitOptions,
                                      void **jitOptionsValues, unsigned int numJitOptions,
                                      CUlibraryOption *libraryOptions, void **libraryOptionValues,
                                      unsigned int numLibraryOptions) {
  (void)jitOptions, (void)jitOptionsValues, (void)numJitOptions;
  (void)libraryOptions, (void)libraryOptionValues, (void)numLibraryOptions;
  return library_load(library, code, 0);
}

CPUDEV_API CUresult cuLibraryLoadFromFile(CUlibrary *library, const char *fileName, CUjit_option *jitOptions,
                                          void **jitOptionsValues, unsigned int numJitOptions,
                                          CUlibraryOption *libraryOptions, void **libraryOptionValues,
                                          unsigned int numLibraryOptions) {
  (void)jitOptions, (void)jitOptionsValues, (void)numJitOptions;
  (void)libraryOptions, (void)libraryOptionValues, (void)numLibraryOptions;
  if (!library || !fileName) return CUDA_ERROR_INVALID_VALUE;
  char *data;
  size_t size;
  CUresult r = read_file(fileName, &data, &size);
  if (r) return r;
  r = size >= 4 ? library_load(library, data, size) : CUDA_ERROR_INVALID_IMAGE;
  free(data);
  return r;
}

CPUDEV_API CUresult cuLibraryUnload(CUlibrary library) {
  cpudev_lock();
  int found = 0;
  for (struct CUlib_st **p = &g_libraries; *p; p = &(*p)->next)
    if (*p == library) {
      *p = library->next;
      found = 1;
      break;
    }
  cpudev_unlock();
  if (!found) return CUDA_ERROR_INVALID_HANDLE;
  while (library->modules) {
    lib_module *lm = library->modules;
    library->modules = lm->next;
    cpudev_lock();
    int live = module_is_live_id(lm->mod, lm->mod_id);
    cpudev_unlock();
    if (live) module_unload(lm->mod);
    free(lm);
  }
  for (size_t i = 0; library->kernels && i < library->nkernels; i++) free(library->kernels[i].name);
  free(library->kernels);
  free(library->image);
  free(library);
  return CUDA_SUCCESS;
}

static CUresult check_library(CUlibrary lib) {
  cpudev_lock();
  int ok = lib && library_is_live(lib);
  cpudev_unlock();
  return ok ? CUDA_SUCCESS : CUDA_ERROR_INVALID_HANDLE;
}

static CUresult check_kernel(CUkernel k) {
  if (!k) return CUDA_ERROR_INVALID_HANDLE;
  cpudev_lock();
  int ok = 0;
  for (struct CUlib_st *l = g_libraries; l && !ok; l = l->next)
    ok = k >= l->kernels && k < l->kernels + l->nkernels;
  cpudev_unlock();
  return ok ? CUDA_SUCCESS : CUDA_ERROR_INVALID_HANDLE;
}

CPUDEV_API CUresult cuLibraryGetKernel(CUkernel *pKernel, CUlibrary library, const char *name) {
  if (!pKernel || !name) return CUDA_ERROR_INVALID_VALUE;
  CUresult r = check_library(library);
  if (r) return r;
  for (size_t i = 0; i < library->nkernels; i++)
    if (!strcmp(library->kernels[i].name, name)) {
      *pKernel = &library->kernels[i];
      return CUDA_SUCCESS;
    }
  return CUDA_ERROR_NOT_FOUND;
}

CPUDEV_API CUresult cuLibraryGetKernelCount(unsigned int *count, CUlibrary lib) {
  if (!count) return CUDA_ERROR_INVALID_VALUE;
  CUresult r = check_library(lib);
  if (!r) *count = (unsigned)lib->nkernels;
  return r;
}

CPUDEV_API CUresult cuLibraryEnumerateKernels(CUkernel *kernels, unsigned int numKernels, CUlibrary lib) {
  if (!kernels) return CUDA_ERROR_INVALID_VALUE;
  CUresult r = check_library(lib);
  if (r) return r;
  for (unsigned i = 0; i < numKernels && i < lib->nkernels; i++) kernels[i] = &lib->kernels[i];
  return CUDA_SUCCESS;
}

CPUDEV_API CUresult cuLibraryGetModule(CUmodule *pMod, CUlibrary library) {
  if (!pMod) return CUDA_ERROR_INVALID_VALUE;
  CUresult r = check_library(library);
  return r ? r : library_module(library, pMod);
}

CPUDEV_API CUresult cuKernelGetFunction(CUfunction *pFunc, CUkernel kernel) {
  if (!pFunc) return CUDA_ERROR_INVALID_VALUE;
  CUresult r = check_kernel(kernel);
  CUmodule mod;
  if (!r) r = library_module(kernel->lib, &mod);
  return r ? r : cuModuleGetFunction(pFunc, mod, kernel->name);
}

CPUDEV_API CUresult cuKernelGetLibrary(CUlibrary *pLib, CUkernel kernel) {
  if (!pLib) return CUDA_ERROR_INVALID_VALUE;
  CUresult r = check_kernel(kernel);
  if (!r) *pLib = kernel->lib;
  return r;
}

CPUDEV_API CUresult cuKernelGetName(const char **name, CUkernel hfunc) {
  if (!name) return CUDA_ERROR_INVALID_VALUE;
  CUresult r = check_kernel(hfunc);
  if (!r) *name = hfunc->name;
  return r;
}

CPUDEV_API CUresult cuKernelGetAttribute(int *pi, CUfunction_attribute attrib, CUkernel kernel, CUdevice dev) {
  (void)dev;
  CUfunction f;
  CUresult r = cuKernelGetFunction(&f, kernel);
  return r ? r : cuFuncGetAttribute(pi, attrib, f);
}

CPUDEV_API CUresult cuKernelSetAttribute(CUfunction_attribute attrib, int val, CUkernel kernel, CUdevice dev) {
  (void)dev;
  CUfunction f;
  CUresult r = cuKernelGetFunction(&f, kernel);
  return r ? r : cuFuncSetAttribute(f, attrib, val);
}

CPUDEV_API CUresult cuKernelSetCacheConfig(CUkernel kernel, CUfunc_cache config, CUdevice dev) {
  (void)dev;
  CUfunction f;
  CUresult r = cuKernelGetFunction(&f, kernel);
  return r ? r : cuFuncSetCacheConfig(f, config);
}

CPUDEV_API CUresult cuKernelGetParamInfo(CUkernel kernel, size_t paramIndex, size_t *paramOffset,
                                         size_t *paramSize) {
  CUfunction f;
  CUresult r = cuKernelGetFunction(&f, kernel);
  return r ? r : cuFuncGetParamInfo(f, paramIndex, paramOffset, paramSize);
}

CPUDEV_API CUresult cuLibraryGetGlobal(CUdeviceptr *dptr, size_t *bytes, CUlibrary library, const char *name) {
  CUmodule mod;
  CUresult r = cuLibraryGetModule(&mod, library);
  return r ? r : cuModuleGetGlobal_v2(dptr, bytes, mod, name);
}

CPUDEV_API CUresult cuLibraryGetManaged(CUdeviceptr *dptr, size_t *bytes, CUlibrary library, const char *name) {
  (void)dptr, (void)bytes, (void)name;
  CUresult r = check_library(library);
  return r ? r : CUDA_ERROR_NOT_FOUND;
}

/* ptx.h - the PTX engine of the CPU device: parse a PTX module once, run its kernels.
 *
 * This is the contract between the driver layer (driver_*.c: contexts, memory, streams,
 * modules as cuda.h sees them) and the interpreter (ptx_parse.c, ptx_exec.c). The driver
 * layer owns device memory; the engine only reads and writes it through the address map
 * it is handed for each launch, so every global access is checked against live allocations.
 *
 * Address model (what a kernel sees):
 *   - global and const addresses are real host addresses inside allocations the driver
 *     registered (device memory, module variables, mapped host memory);
 *   - shared and local addresses are offsets in their window; their generic forms
 *     (cvta.shared / cvta.local) live at PTX_SHARED_WINDOW / PTX_LOCAL_WINDOW, which are
 *     never valid user-space addresses.
 */
#ifndef GPUSHIM_PTX_H
#define GPUSHIM_PTX_H

#include <stddef.h>
#include <stdint.h>

#define PTX_SHARED_WINDOW 0xFFFF800000000000ull
#define PTX_LOCAL_WINDOW  0xFFFFC00000000000ull

/* Results of ptx_* calls; the driver maps them to CUresult. */
typedef enum {
  PTX_OK = 0,
  PTX_ERR_PARSE,             /* text is not PTX we can parse (message names line and token) */
  PTX_ERR_UNSUPPORTED,       /* an instruction or directive we do not implement (named) */
  PTX_ERR_NOT_FOUND,         /* no such kernel / variable */
  PTX_ERR_ILLEGAL_ADDRESS,   /* out-of-bounds access, or access to freed memory */
  PTX_ERR_MISALIGNED,        /* misaligned access */
  PTX_ERR_ILLEGAL_INSTRUCTION,
  PTX_ERR_TRAP,              /* trap / brkpt / __assertfail */
  PTX_ERR_INVALID_VALUE,     /* bad launch configuration or parameter buffer */
  PTX_ERR_OUT_OF_RESOURCES,  /* too much shared memory / too many threads for the kernel */
  PTX_ERR_NO_MEMORY,         /* host allocation failed */
} ptx_status;

typedef struct ptx_module ptx_module;
typedef struct ptx_kernel ptx_kernel;

/* One module-scope variable (.global or .const) that needs device storage. */
typedef enum { PTX_VAR_GLOBAL, PTX_VAR_CONST } ptx_var_space;
typedef struct {
  const char *name;
  ptx_var_space space;
  size_t size;
  size_t align;
  const uint8_t *init;   /* initializer bytes (size of them), or NULL for zero-filled */
} ptx_var_info;

/* What cuFuncGetAttribute / cuFuncGetParamInfo need to know about a kernel. */
typedef struct {
  const char *name;
  size_t num_params;
  size_t param_bytes;        /* total size of the parameter buffer, aligned */
  size_t static_shared_bytes;
  size_t local_bytes;        /* per thread */
  unsigned num_regs;         /* a plausible register count for occupancy answers */
  unsigned max_threads;      /* .maxntid product, or 1024 */
  unsigned reqntid[3];       /* .reqntid, zeros if absent */
  unsigned ptx_version;      /* e.g. 90 for .version 9.0 */
  unsigned target_sm;        /* e.g. 75 for .target sm_75 */
} ptx_kernel_info;

/* A sorted list of [base, end) ranges the kernel may touch as global/const memory. */
typedef struct {
  uintptr_t base;
  uintptr_t end;
} ptx_range;
typedef struct {
  const ptx_range *ranges;   /* sorted by base, non-overlapping */
  size_t count;
} ptx_memmap;

/* A texture or surface object as a launch sees it (cuTexObjectCreate / cuSurfObjectCreate):
 * the resource (array, linear or pitched memory, described in elements) and the sampler. */
typedef enum {
  PTX_FMT_U8, PTX_FMT_U16, PTX_FMT_U32, PTX_FMT_S8, PTX_FMT_S16, PTX_FMT_S32,
  PTX_FMT_F16, PTX_FMT_F32
} ptx_texfmt;
enum { PTX_ADDR_WRAP, PTX_ADDR_CLAMP, PTX_ADDR_MIRROR, PTX_ADDR_BORDER };  /* CUaddress_mode */
/* Geometries of tex / suld / sust (the PTX .1d, .2d, ... modifiers). */
enum { PTX_GEOM_1D, PTX_GEOM_2D, PTX_GEOM_3D, PTX_GEOM_A1D, PTX_GEOM_A2D, PTX_GEOM_CUBE,
       PTX_GEOM_ACUBE };
/* Out-of-range surface accesses (suld/sust .trap, .clamp, .zero). */
enum { PTX_SURF_TRAP, PTX_SURF_CLAMP, PTX_SURF_ZERO };
typedef struct {
  uint64_t handle;
  uint8_t is_surface;
  uint8_t format;             /* ptx_texfmt */
  uint8_t channels;           /* 1, 2 or 4 */
  uint8_t layered, cubemap;
  uint8_t addr[3];            /* PTX_ADDR_* per dimension */
  uint8_t linear_filter, normalized_coords, read_normalized, srgb;
  float border[4];
  uint8_t *data;
  size_t width, height, depth; /* elements; depth counts layers (x6 for cubemaps) when layered */
  size_t pitch;                /* bytes per row */
  size_t slice;                /* bytes per 2D slice / layer / face */
} ptx_texture;

/* Texture fetch as the tex instruction does it: coordinates c (float bits, or s32 with
 * int_coords; layered geometries put the layer first), result as 4 floats (float_result)
 * or 4 integers. Filtering and addressing follow the CUDA programming guide's texture
 * fetching appendix (9-bit linear filtering weights). */
void ptx_tex_fetch(const ptx_texture *t, int geom, int int_coords, const uint32_t c[4],
                   int float_result, uint32_t out[4]);
/* tld4: component `comp` (0-3) of the four texels a bilinear fetch at c would use, in the
 * PTX order (counter-clockwise from lower left: (i0,j1), (i1,j1), (i1,j0), (i0,j0)). */
void ptx_tex_gather(const ptx_texture *t, int geom, const uint32_t c[4], int comp, int float_result,
                    uint32_t out[4]);
/* Surface access of `bytes` bytes at byte x c[0] (layered: c[0] = layer, then x, y).
 * Returns 0 on success, -1 for an out-of-range access under PTX_SURF_TRAP. */
int ptx_surf_access(const ptx_texture *t, int geom, const int32_t c[4], size_t bytes, int mode,
                    void *buf, int write);
size_t ptx_texfmt_size(int format);

/* The device heap behind malloc/free in kernels, kept by the driver per context. The memory is
 * reserved at the first malloc: base is 0 until then (read it atomically); kernels may touch
 * [base, base+size). alloc returns 0 when the heap is full; free ignores 0. */
typedef struct ptx_heap {
  uintptr_t base;
  size_t size;
  uint64_t (*alloc)(struct ptx_heap *h, uint64_t bytes);
  void (*free)(struct ptx_heap *h, uint64_t p);
} ptx_heap;

/* Receives the formatted text of one device printf call. */
typedef void (*ptx_print_fn)(const char *text, size_t len, void *user);

typedef struct {
  unsigned grid[3];
  unsigned block[3];
  size_t dynamic_shared_bytes;
  const void *params;        /* packed parameter buffer, laid out as ptx_kernel_param says */
  size_t params_size;
  ptx_memmap memory;         /* snapshot of valid device memory for this launch */
  unsigned max_workers;      /* host threads to spread blocks over; 0 = one per core */
  ptx_print_fn print;        /* this launch's device printf; NULL = the process-wide handler */
  void *print_user;
  const ptx_texture *textures; /* live texture and surface objects of the context */
  size_t ntextures;
  int cooperative;             /* all blocks resident at once, each on its own host thread,
                                * with a grid-sync workspace (%envreg1:%envreg2) */
  /* Dynamic parallelism (device-side launches, ptx_cdp.c): the device ordinal, its attributes
   * for cudaDeviceGetAttribute in kernels (NULL: that call returns cudaErrorNotSupported), and
   * cudaLimitDevRuntimePendingLaunchCount (0 = 2048). */
  int device;
  int (*device_attribute)(int attr, int device, int *value);   /* 0 on success */
  unsigned pending_launch_limit;
  /* The context's device heap for malloc/free (new/delete) in kernels; NULL: they fault. */
  struct ptx_heap *heap;
} ptx_launch_config;

/* Parsing. `text` need not be NUL-terminated. On failure returns NULL and writes a
 * message (naming the line and the offending token) into err. */
ptx_module *ptx_module_parse(const char *text, size_t len, char *err, size_t errlen);
void ptx_module_free(ptx_module *mod);

/* Module-scope variables. The driver allocates storage for each (copying `init`), then
 * binds its address before any launch; ld/st/mov of the symbol use that address. */
size_t ptx_module_var_count(const ptx_module *mod);
const ptx_var_info *ptx_module_var(const ptx_module *mod, size_t index);
void ptx_module_bind_var(ptx_module *mod, size_t index, uintptr_t address);

/* Kernels (.entry). */
size_t ptx_module_kernel_count(const ptx_module *mod);
const ptx_kernel *ptx_module_kernel_at(const ptx_module *mod, size_t index);
const ptx_kernel *ptx_module_kernel(const ptx_module *mod, const char *name);
const ptx_kernel_info *ptx_kernel_get_info(const ptx_kernel *k);
ptx_status ptx_kernel_param(const ptx_kernel *k, size_t index, size_t *offset, size_t *size);

/* Runs a whole grid to completion on the calling thread plus worker threads.
 * Thread-safe: several launches (from several streams) may run at once. On a fault,
 * returns the status and writes a message (kernel, block, thread, instruction) into err. */
ptx_status ptx_launch(const ptx_kernel *k, const ptx_launch_config *cfg, char *err, size_t errlen);

/* Where device-side printf (vprintf) output goes when a launch names no handler of its own;
 * default stdout. */
void ptx_set_print_handler(ptx_print_fn fn, void *user);

const char *ptx_status_name(ptx_status s);

#endif

/* ptx_exec.h - execution state of one block (warps, frames) shared by the interpreter
 * (ptx_exec.c) and the launcher (ptx_launch.c). */
#ifndef GPUSHIM_PTX_EXEC_H
#define GPUSHIM_PTX_EXEC_H

#include "ptx_internal.h"

#include <pthread.h>

/* Dynamic parallelism (ptx_cdp.c). A grid launched from a kernel is a ptx_cdp_grid: its
 * configuration plus the parameter buffer the parent fills. */
typedef struct ptx_cdp_grid ptx_cdp_grid;
/* What all grids descending from one host launch share. */
typedef struct {
  unsigned pending;             /* atomic: device launches queued and not complete */
  unsigned limit;               /* cudaLimitDevRuntimePendingLaunchCount */
  uint64_t next_handle;         /* atomic: device streams and events handed out */
} ptx_cdp_tree;

typedef struct ptx_launch_state {
  const ptx_func *k;
  const ptx_module *mod;
  ptx_launch_config cfg;
  unsigned nthreads;            /* per block */
  unsigned nwarps;
  uint64_t nblocks;
  size_t dyn_off;               /* offset of dynamic shared memory */
  size_t shared_size;           /* static + dynamic + reserved */
  size_t user_shared;           /* static + dynamic (%total_smem_size) */
  size_t reserved_off;          /* the CTA's reserved shared region (PTX_RESERVED_SHARED bytes) */
  uint64_t next_block;          /* atomic */
  int faulted;                  /* atomic: stop handing out blocks */
  pthread_mutex_t lock;
  ptx_status status;
  char err[512];
  uint64_t insn_count;          /* atomic: thread-instructions executed (statistics) */
  uint32_t *grid_ws;            /* cooperative launches: the grid-sync workspace, else NULL */
  uint32_t coop_gen;            /* atomic: bumped by atomics on grid_ws (grid.sync arrivals) */
  int coop_waiters;             /* atomic: blocks sleeping on coop_gen */
  /* dynamic parallelism, under lock */
  ptx_cdp_tree *tree;
  unsigned depth;               /* 0 for a host launch */
  ptx_cdp_grid *cdp_open;       /* parameter buffers handed out, not launched yet */
  ptx_cdp_grid *cdp_run, **cdp_run_end;     /* children, in launch order */
  ptx_cdp_grid *cdp_tail, **cdp_tail_end;   /* tail launches (cudaStreamTailLaunch) */
} ptx_launch_state;

#define PTX_GRID_WS_BYTES 16

/* Shared memory the system reserves in every CTA (sm_80+: 1 KB, as
 * CU_DEVICE_ATTRIBUTE_RESERVED_SHARED_MEMORY_PER_BLOCK reports). It follows the user's static
 * and dynamic shared memory; cooperative groups keep multi-warp tile barriers at
 * %reserved_smem_offset_1 and expect at least 288 bytes there. */
#define PTX_RESERVED_SHARED 1024u

/* One call frame of a warp. */
typedef struct {
  const ptx_func *fn;
  uint64_t *regs;               /* fn->nregs rows of 32 lanes */
  uint8_t *pbuf;                /* 32 lanes x fn->param_area bytes */
  size_t regs_cap, pbuf_cap;
  uint32_t local_base;          /* per-lane local offset of this frame's depot */
  uint32_t lanes;               /* lanes that entered the frame */
  uint32_t done;                /* lanes that returned from it */
  uint32_t call_pc;             /* the call instruction in the caller */
  uint32_t pc[32];              /* pcs of lanes not in the running group */
} ptx_frame;

typedef struct ptx_block ptx_block;

typedef struct {
  ptx_block *blk;
  unsigned id;
  uint32_t valid;               /* lanes that exist */
  uint32_t exited;
  uint32_t at_bar;              /* lanes waiting at a barrier */
  ptx_frame *frames;
  int depth, cap;
  /* running group of the top frame */
  uint32_t pc, mask, merge_pc;
  bool started, finished;
  /* barrier reduction pending */
  const ptx_insn *bar_red;
  uint32_t bar_red_lanes;
  /* local memory: 32 lanes x stride bytes */
  uint8_t *local;
  uint32_t local_stride;
  uint32_t local_top;
  uint64_t sregs[SR_STATIC_COUNT][32];
  uintptr_t cache_base, cache_end;  /* last global range hit */
  uint8_t cc[32];               /* carry flags of add.cc / addc chains */
  uint64_t icount;
  uint32_t spin;                /* backward branches left before yielding */
  int32_t cdp_error[32];        /* each thread's device-runtime last error (cudaGetLastError) */
  uint32_t sync_wait;           /* lanes parked at a warp-synchronous instruction until the
                                 * other lanes of its membermask get there (schedule) */
} ptx_warp;

struct ptx_block {
  ptx_launch_state *L;
  bool ws_spin;                 /* this round read the grid-sync workspace */
  unsigned ctaid[3];
  uint8_t *shared;
  ptx_warp *warps;
  unsigned nwarps;
  uint32_t red_popc, red_and, red_or;
};

/* Cooperative launches: a block spinning at grid.sync() sleeps until some block executes an
 * atomic on the workspace (coop_gen moves on from `seen`) or a millisecond passes. */
void ptx_coop_wait(ptx_launch_state *L, uint32_t seen);
void ptx_coop_wake(ptx_launch_state *L);

/* Dynamic parallelism (ptx_cdp.c); results are cudaError_t values. */
enum { CDP_STREAM_TAIL = 3, CDP_STREAM_FIRE_AND_FORGET = 4 };
/* cudaGetParameterBuffer(V2): a zeroed buffer of `size` bytes for a launch of k (V1: k NULL,
 * named at cudaLaunchDevice), or NULL with *err set. */
void *ptx_cdp_param_buffer(ptx_launch_state *L, const ptx_func *k, const unsigned grid[3],
                           const unsigned block[3], unsigned shared, size_t size, int *err);
/* cudaLaunchDevice(V2): queues the grid of buffer `buf` (V1: with the configuration given). */
int ptx_cdp_launch(ptx_launch_state *L, uint64_t buf, uint64_t stream, const ptx_func *k,
                   const unsigned *grid, const unsigned *block, unsigned shared);
uint64_t ptx_cdp_handle(ptx_launch_state *L, int kind);   /* a new device stream or event */
bool ptx_cdp_handle_ok(uint64_t h, int kind);
enum { CDP_HANDLE_STREAM = 1, CDP_HANDLE_EVENT = 2 };
/* Whether [addr, addr+size) lies in a parameter buffer handed out and not yet launched. */
bool ptx_cdp_buffer_ok(ptx_launch_state *L, uint64_t addr, size_t size);
/* After the grid: runs its children in launch order (each with its own descendants), then its
 * tail launches; the first failure is the grid's. Frees what is left either way. */
ptx_status ptx_cdp_finish(ptx_launch_state *L, ptx_status st);

/* ptx_launch.c: a grid launched by a kernel (depth >= 1), sharing its host launch's tree. */
ptx_status ptx_launch_child(const ptx_func *k, const ptx_launch_config *cfg, ptx_cdp_tree *tree,
                            unsigned depth, char *err, size_t errlen);
/* The launch checks of ptx_launch: PTX_OK or the status with a message in err. */
ptx_status ptx_launch_check(const ptx_func *k, const unsigned grid[3], const unsigned block[3],
                            size_t dynamic_shared, char *err, size_t errlen);

/* Runs one block to completion; returns PTX_OK or the fault status (recorded in L). */
ptx_status ptx_run_block(ptx_block *b, uint64_t block_index);
void ptx_block_free(ptx_block *b);

#endif

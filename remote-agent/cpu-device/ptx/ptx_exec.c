/* ptx_exec.c - the SIMT interpreter: runs the warps of one block over the decoded PTX.
 *
 * A warp keeps per-lane PCs in each call frame but runs a "group" (the lanes at the lowest PC)
 * with one shared pc; the group is recomputed only at branches, calls, returns, barriers and
 * when the group reaches the pc where other lanes wait (merge_pc), which is how divergent
 * paths reconverge. Registers are rows of 32 lanes (uint64_t regs[nregs][32]); each
 * instruction is decoded once (switch on opcode) and then applied to the active lanes.
 * Warps of a block run cooperatively on one host thread: a warp runs until its lanes have all
 * exited or wait at a barrier.
 */
#include "ptx_exec.h"

#include <fenv.h>
#include <sched.h>
#include <math.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#if defined(__SSE2__)
#include <emmintrin.h>   /* 16-byte vector accesses in one instruction (ptx_ops.inc) */
#endif
#if defined(__x86_64__) && defined(__GNUC__)
#include <immintrin.h>   /* AVX2/FMA lane loops, used where the CPU has them (ptx_ops.inc) */
#endif

#define FULL 0xffffffffu

/* Applies `body` to each lane l of mask m. */
#define LANES(m, ...)                                         \
  do {                                                        \
    uint32_t m_ = (m);                                        \
    if (m_ == FULL) {                                         \
      for (int l = 0; l < 32; l++) { __VA_ARGS__; }           \
    } else {                                                  \
      while (m_) {                                            \
        int l = __builtin_ctz(m_);                            \
        m_ &= m_ - 1;                                         \
        __VA_ARGS__;                                          \
      }                                                       \
    }                                                         \
  } while (0)

/* RUN_YIELD: the warp went round a loop many times and lets the other warps of its block
 * run (a warp may spin on a flag another warp sets: GPUs guarantee that progress). */
typedef enum { RUN_DONE, RUN_BLOCKED, RUN_YIELD, RUN_FAULT } run_result;

#define SPIN_BUDGET 4096   /* backward branches a warp takes before it yields */
#define COOP_SPIN_BUDGET 32 /* the same for a warp polling the grid-sync workspace */
#define COOP_SPIN_ROUNDS 8  /* such yields before its block sleeps until another block arrives */

/* Execution context of the warp being run. */
typedef struct {
  ptx_warp *w;
  ptx_block *b;
  ptx_launch_state *L;
  ptx_frame *f;
  uint64_t *R;
  const ptx_insn *code;
  uint64_t tmp[4][32];
} xctx;

#define ROW(x, i) ((x)->R + (size_t)(i) * 32)

/* ---------------------------------------------------------------- bits and floats */
static inline float asf(uint64_t v) { return ptx_f32_from_bits((uint32_t)v); }
static inline double asd(uint64_t v) { return ptx_f64_from_bits(v); }
static inline uint64_t fbits(float f) { return ptx_f32_bits(f); }
static inline uint64_t dbits(double d) { return ptx_f64_bits(d); }
static inline uint64_t zext(uint64_t v, int bits) { return bits >= 64 || bits <= 0 ? v : v & ((1ull << bits) - 1); }
static inline uint64_t sext(uint64_t v, int bits) {
  return bits >= 64 || bits <= 0 ? v : (uint64_t)((int64_t)(v << (64 - bits)) >> (64 - bits));
}
static inline float ftz32(float f) {
  return (fpclassify(f) == FP_SUBNORMAL) ? copysignf(0.0f, f) : f;
}

static const uint8_t type_bits_table[T_COUNT] = {
  [T_PRED] = 8, [T_B8] = 8, [T_B16] = 16, [T_B32] = 32, [T_B64] = 64, [T_B128] = 128,
  [T_U8] = 8, [T_U16] = 16, [T_U32] = 32, [T_U64] = 64, [T_S8] = 8, [T_S16] = 16, [T_S32] = 32,
  [T_S64] = 64, [T_F16] = 16, [T_F16X2] = 32, [T_BF16] = 16, [T_BF16X2] = 32, [T_F32] = 32,
  [T_F64] = 64,
};
static inline int tbits(int t) { return type_bits_table[t]; }
static bool is_signed(int t) { return t >= T_S8 && t <= T_S64; }
static bool is_float(int t) { return t >= T_F16 && t <= T_F64; }

/* Rounding-mode scope for float instructions with .rz/.rm/.rp. */
static int enter_round(int rnd) {
  int mode;
  switch (rnd) {
  case RND_RZ: case RND_RZI: mode = FE_TOWARDZERO; break;
  case RND_RM: case RND_RMI: mode = FE_DOWNWARD; break;
  case RND_RP: case RND_RPI: mode = FE_UPWARD; break;
  default: return 0;
  }
  fesetround(mode);
  return 1;
}
static void leave_round(int entered) {
  if (entered) fesetround(FE_TONEAREST);
}

static double round_integral(double d, int rnd) {
  switch (rnd) {
  case RND_RNI: return nearbyint(d);
  case RND_RZI: return trunc(d);
  case RND_RMI: return floor(d);
  case RND_RPI: return ceil(d);
  default: return d;
  }
}

/* ---------------------------------------------------------------- faults */
static const char *insn_text(const xctx *x, const ptx_insn *in) { return x->L->mod->strings + in->name; }

static run_result fault(xctx *x, const ptx_insn *in, int lane, ptx_status st, const char *fmt, ...)
    __attribute__((format(printf, 5, 6)));
static run_result fault(xctx *x, const ptx_insn *in, int lane, ptx_status st, const char *fmt, ...) {
  ptx_launch_state *L = x->L;
  char detail[256];
  va_list ap;
  va_start(ap, fmt);
  vsnprintf(detail, sizeof detail, fmt, ap);
  va_end(ap);
  pthread_mutex_lock(&L->lock);
  if (L->status == PTX_OK) {
    L->status = st;
    unsigned t = x->w->id * 32 + (unsigned)(lane < 0 ? 0 : lane);
    unsigned bx = L->cfg.block[0], by = L->cfg.block[1];
    snprintf(L->err, sizeof L->err,
             "%s in kernel %s, block (%u,%u,%u), thread (%u,%u,%u), function %s line %u '%s': %s",
             ptx_status_name(st), L->k->name, x->b->ctaid[0], x->b->ctaid[1], x->b->ctaid[2],
             t % bx, t / bx % by, t / (bx * by), x->f->fn->name, in->line, insn_text(x, in), detail);
  }
  pthread_mutex_unlock(&L->lock);
  __atomic_store_n(&L->faulted, 1, __ATOMIC_RELAXED);
  return RUN_FAULT;
}

/* ---------------------------------------------------------------- memory */
static bool global_ok(xctx *x, uint64_t addr, size_t size) {
  ptx_warp *w = x->w;
  if (addr >= w->cache_base && addr + size <= w->cache_end && addr + size >= addr) return true;
  const ptx_memmap *mm = &x->L->cfg.memory;
  size_t lo = 0, hi = mm->count;
  while (lo < hi) {
    size_t mid = (lo + hi) / 2;
    if (mm->ranges[mid].base <= addr) lo = mid + 1;
    else hi = mid;
  }
  if (lo > 0) {
    const ptx_range *r = &mm->ranges[lo - 1];
    if (addr >= r->base && addr + size <= r->end && addr + size >= addr) {
      w->cache_base = r->base;
      w->cache_end = r->end;
      return true;
    }
  }
  /* the launch parameter buffer (reachable through cvta.param) */
  uintptr_t pb = (uintptr_t)x->L->cfg.params;
  if (pb && addr >= pb && addr + size <= pb + x->L->cfg.params_size) return true;
  /* a parameter buffer for a device-side launch, being filled */
  if (__atomic_load_n(&x->L->cdp_open, __ATOMIC_RELAXED) && ptx_cdp_buffer_ok(x->L, addr, size)) return true;
  /* the device heap (malloc / new in kernels) */
  const ptx_heap *heap = x->L->cfg.heap;
  uintptr_t hb = heap ? __atomic_load_n(&heap->base, __ATOMIC_ACQUIRE) : 0;
  if (hb && addr >= hb && addr + size <= hb + heap->size && addr + size >= addr) return true;
  /* a cooperative launch's grid-sync workspace (%envreg1:%envreg2) */
  uintptr_t ws = (uintptr_t)x->L->grid_ws;
  if (ws && addr >= ws && addr + size <= ws + PTX_GRID_WS_BYTES) {
    x->b->ws_spin = true;   /* waiting at grid.sync(): yield soon, the block will sleep */
    if (x->w->spin > COOP_SPIN_BUDGET) x->w->spin = COOP_SPIN_BUDGET;
    return true;
  }
  return false;
}

static const char *space_name(int sp) {
  static const char *const n[] = {"generic", "global", "shared", "local", "const", "param"};
  return sp >= 0 && sp <= SP_PARAM ? n[sp] : "?";
}

/* Host pointer for `size` bytes at `addr` in state space `space`, or NULL after a fault. */
static void *mem_ptr(xctx *x, const ptx_insn *in, int space, uint64_t addr, size_t size, int lane, bool write) {
  int sp = space;
  uint64_t a = addr;
  if (sp == SP_GENERIC) {
    if (addr >= PTX_LOCAL_WINDOW) {
      sp = SP_LOCAL;
      a = addr - PTX_LOCAL_WINDOW;
    } else if (addr >= PTX_SHARED_WINDOW) {
      sp = SP_SHARED;
      a = addr - PTX_SHARED_WINDOW;
    } else {
      sp = SP_GLOBAL;
    }
  }
  if (size > 1 && (a & (size - 1)) != 0) {
    fault(x, in, lane, PTX_ERR_MISALIGNED, "misaligned %s %s of %zu bytes at 0x%llx", space_name(sp),
          write ? "store" : "load", size, (unsigned long long)addr);
    return NULL;
  }
  switch (sp) {
  case SP_GLOBAL:
  case SP_CONST:
    if (!global_ok(x, a, size)) break;
    return (void *)(uintptr_t)a;
  case SP_SHARED:
    if (a + size > x->L->shared_size || a + size < a) break;
    return x->b->shared + a;
  case SP_LOCAL:
    if (a + size > x->w->local_stride || a + size < a) break;
    return x->w->local + (size_t)lane * x->w->local_stride + a;
  default:
    break;
  }
  fault(x, in, lane, PTX_ERR_ILLEGAL_ADDRESS, "out-of-bounds %s %s of %zu bytes at 0x%llx", space_name(sp),
        write ? "store" : "load", size, (unsigned long long)addr);
  return NULL;
}

/* mem_ptr with the common cases first: aligned and inside shared memory, local memory or
 * the global range hit last. Everything else (and every fault) goes through mem_ptr. */
static inline void *fast_ptr(xctx *x, const ptx_insn *in, int space, uint64_t a, size_t size, int lane, bool write) {
  if (!(a & (size - 1))) {
    switch (space) {
    case SP_SHARED:
      if (a + size <= x->L->shared_size) return x->b->shared + a;
      break;
    case SP_LOCAL:
      if (a + size <= x->w->local_stride) return x->w->local + (size_t)lane * x->w->local_stride + a;
      break;
    case SP_GLOBAL: case SP_CONST: case SP_GENERIC:
      if (a >= x->w->cache_base && a + size <= x->w->cache_end) return (void *)(uintptr_t)a;
      break;
    }
  }
  return mem_ptr(x, in, space, a, size, lane, write);
}

/* Value of the symbol part of an address / OK_SYM operand. */
static uint64_t sym_value(xctx *x, const ptx_operand *o) {
  switch (o->symkind) {
  case SYM_GLOBAL: return (uint64_t)x->L->mod->vars[o->sym].addr + (uint64_t)o->imm;
  case SYM_DYNSHARED: return x->L->dyn_off + (uint64_t)o->imm;
  case SYM_KSHARED: return x->L->k->kshared_base + (uint64_t)o->imm;
  case SYM_LOCAL: return x->f->local_base + (uint64_t)o->imm;
  default: return (uint64_t)o->imm;
  }
}

/* Whether a .param address operand names the kernel's parameter buffer (one for all lanes)
 * rather than a function's per-lane parameters. */
static inline bool kparam_operand(const xctx *x, const ptx_operand *o) {
  return o->symkind == SYM_KPARAM || (o->symkind != SYM_FPARAM && x->f->fn->is_entry && x->w->depth == 1);
}

/* Host pointer of an address operand for one lane. */
static void *addr_ptr(xctx *x, const ptx_insn *in, const ptx_operand *o, int lane, size_t size, bool write) {
  uint64_t a = sym_value(x, o);
  if (o->reg >= 0) a += ROW(x, o->reg)[lane];
  if (in->space == SP_PARAM) {
    if (kparam_operand(x, o)) {
      if (write || a + size > x->L->cfg.params_size) {
        fault(x, in, lane, PTX_ERR_ILLEGAL_ADDRESS, "bad kernel parameter access at offset %llu", (unsigned long long)a);
        return NULL;
      }
      return (uint8_t *)x->L->cfg.params + a;
    }
    uint32_t area = x->f->fn->param_area;
    if (a + size > area) {
      fault(x, in, lane, PTX_ERR_ILLEGAL_ADDRESS, "bad parameter access at offset %llu", (unsigned long long)a);
      return NULL;
    }
    return x->f->pbuf + (size_t)lane * area + a;
  }
  return mem_ptr(x, in, in->space, a, size, lane, write);
}

/* Read callback for printf: generic addresses. */
typedef struct {
  xctx *x;
  const ptx_insn *in;
  int lane;
} readctx;

static bool read_generic(void *c, uint64_t addr, void *dst, size_t n) {
  readctx *rc = c;
  xctx *x = rc->x;
  uint64_t a = addr;
  const uint8_t *p;
  if (addr >= PTX_LOCAL_WINDOW) {
    a -= PTX_LOCAL_WINDOW;
    if (a + n > x->w->local_stride) return false;
    p = x->w->local + (size_t)rc->lane * x->w->local_stride + a;
  } else if (addr >= PTX_SHARED_WINDOW) {
    a -= PTX_SHARED_WINDOW;
    if (a + n > x->L->shared_size) return false;
    p = x->b->shared + a;
  } else {
    if (!global_ok(x, a, n)) return false;
    p = (const uint8_t *)(uintptr_t)a;
  }
  memcpy(dst, p, n);
  return true;
}

/* ---------------------------------------------------------------- operands */
static uint64_t read_clock(int sr) {
  struct timespec ts;
  clock_gettime(sr == SR_CLOCK || sr == SR_CLOCK64 ? CLOCK_MONOTONIC : CLOCK_REALTIME, &ts);
  uint64_t ns = (uint64_t)ts.tv_sec * 1000000000ull + (uint64_t)ts.tv_nsec;
  switch (sr) {
  case SR_CLOCK: return ns & 0xffffffffu;
  case SR_GLOBALTIMER_LO: return ns & 0xffffffffu;
  case SR_GLOBALTIMER_HI: return ns >> 32;
  default: return ns;
  }
}

/* Row of 32 lane values for a source operand that is not a register (clock, symbol). */
static const uint64_t *src_value(xctx *x, const ptx_operand *o, int slot) {
  uint64_t *t = x->tmp[slot];
  uint64_t v = 0;
  if (o->kind == OK_SREG) v = read_clock((int)o->imm);
  else if (o->kind == OK_SYM) v = sym_value(x, o);
  for (int l = 0; l < 32; l++) t[l] = v;
  return t;
}

/* Row of 32 lane values for a source operand. */
static inline const uint64_t *src(xctx *x, const ptx_operand *o, int slot) {
  if (__builtin_expect(o->kind == OK_REG, 1)) return ROW(x, o->reg);
  return src_value(x, o, slot);
}

static inline uint64_t *dst(xctx *x, const ptx_operand *o) {
  if (o->kind == OK_REG) return ROW(x, o->reg);
  return x->tmp[3];   /* sink */
}

/* ---------------------------------------------------------------- frames */
static bool frame_alloc(ptx_frame *fr, const ptx_func *fn) {
  size_t need = (size_t)fn->nregs * 32;
  if (need > fr->regs_cap) {
    free(fr->regs);
    fr->regs = malloc((need ? need : 1) * sizeof(uint64_t));
    if (!fr->regs) return false;
    fr->regs_cap = need;
  }
  if (need) memset(fr->regs, 0, need * sizeof(uint64_t));
  size_t pneed = (size_t)fn->param_area * 32;
  if (pneed > fr->pbuf_cap) {
    free(fr->pbuf);
    fr->pbuf = calloc(pneed, 1);
    if (!fr->pbuf) return false;
    fr->pbuf_cap = pneed;
  }
  fr->fn = fn;
  for (uint32_t i = 0; i < fn->ninits; i++) {
    const ptx_reginit *ri = &fn->inits[i];
    uint64_t *row = fr->regs + (size_t)ri->reg * 32;
    if (ri->sreg < 0) {
      for (int l = 0; l < 32; l++) row[l] = ri->value;
    }
  }
  return true;
}

/* %envreg1 and %envreg2 hold the high and low halves of the grid-sync workspace address, the
 * way cooperative_groups' grid_group reads it (nvcc: bfi of envreg1:envreg2, trap if zero). */
static uint64_t envreg(const ptx_warp *w, uint64_t n) {
  uint64_t ws = (uintptr_t)w->blk->L->grid_ws;
  return n == 1 ? ws >> 32 : n == 2 ? ws & 0xffffffffu : 0;
}

static void frame_init_sregs(ptx_warp *w, ptx_frame *fr) {
  const ptx_func *fn = fr->fn;
  for (uint32_t i = 0; i < fn->ninits; i++) {
    const ptx_reginit *ri = &fn->inits[i];
    if (ri->sreg < 0) continue;
    uint64_t *row = fr->regs + (size_t)ri->reg * 32;
    if (ri->sreg == SR_ENVREG) {
      uint64_t v = envreg(w, ri->value);
      for (int l = 0; l < 32; l++) row[l] = v;
    }
    else memcpy(row, w->sregs[ri->sreg], 32 * sizeof *row);
  }
}

/* Ensures the per-lane local stack holds `top` bytes. */
static bool local_reserve(ptx_warp *w, uint32_t top) {
  if (top <= w->local_stride) return true;
  uint32_t ns = w->local_stride ? w->local_stride : 256;
  while (ns < top) ns *= 2;
  if (ns > (1u << 20)) return false;
  uint8_t *nl = calloc((size_t)ns * 32, 1);
  if (!nl) return false;
  for (int l = 0; l < 32 && w->local; l++) memcpy(nl + (size_t)l * ns, w->local + (size_t)l * w->local_stride, w->local_stride);
  free(w->local);
  w->local = nl;
  w->local_stride = ns;
  return true;
}

/* Picks the group of lanes to run in the top frame. Returns false if none can run. */
static bool schedule(ptx_warp *w) {
  ptx_frame *f = &w->frames[w->depth - 1];
  uint32_t live = f->lanes & ~f->done & ~w->exited & ~w->at_bar;
  /* lanes parked at a warp-synchronous instruction wait for the other members to get there;
   * if nothing else can run, a member never comes: the lowest pc goes on */
  uint32_t run = live & ~w->sync_wait;
  if (!run) {
    w->sync_wait &= ~live;
    run = live;
  }
  if (!run) {
    w->mask = 0;
    return false;
  }
  uint32_t minpc = UINT32_MAX, mask = 0, r = run;
  while (r) {
    int l = __builtin_ctz(r);
    r &= r - 1;
    if (f->pc[l] < minpc) {
      minpc = f->pc[l];
      mask = 1u << l;
    } else if (f->pc[l] == minpc) {
      mask |= 1u << l;
    }
  }
  /* waiting lanes at that pc join the group: the members have arrived */
  r = live & w->sync_wait;
  while (r) {
    int l = __builtin_ctz(r);
    r &= r - 1;
    if (f->pc[l] == minpc) mask |= 1u << l;
  }
  w->sync_wait &= ~mask;
  uint32_t merge = UINT32_MAX;
  r = live & ~mask;
  while (r) {
    int l = __builtin_ctz(r);
    r &= r - 1;
    if (f->pc[l] < merge) merge = f->pc[l];
  }
  w->pc = minpc;
  w->mask = mask;
  w->merge_pc = merge;
  return true;
}

/* Stores the group's pc into the per-lane pcs. */
static void park_group(ptx_warp *w, uint32_t mask, uint32_t pc) {
  ptx_frame *f = &w->frames[w->depth - 1];
  uint32_t r = mask;
  while (r) {
    int l = __builtin_ctz(r);
    r &= r - 1;
    f->pc[l] = pc;
  }
}

static void load_frame(xctx *x) {
  x->f = &x->w->frames[x->w->depth - 1];
  x->R = x->f->regs;
  x->code = x->f->fn->code;
}

/* ---------------------------------------------------------------- calls */
static const ptx_operand *call_lists(const ptx_insn *in, const ptx_operand **rets, int *fidx) {
  *rets = NULL;
  const ptx_operand *args = NULL;
  for (int i = 0; i < in->nops; i++) {
    if (in->o[i].kind == OK_FUNC || in->o[i].kind == OK_REG) {   /* the callee (or a pointer) */
      if (in->o[i].kind == OK_FUNC) *fidx = (int)in->o[i].imm;
      if (i > 0 && in->o[i - 1].kind == OK_LIST) *rets = &in->o[i - 1];
      if (i + 1 < in->nops && in->o[i + 1].kind == OK_LIST) args = &in->o[i + 1];
    }
  }
  return args;
}

static uint64_t pbuf_u64(xctx *x, int lane, uint32_t off, uint32_t size) {
  uint64_t v = 0;
  const uint8_t *p = x->f->pbuf + (size_t)lane * x->f->fn->param_area + off;
  memcpy(&v, p, size > 8 ? 8 : size);
  return v;
}

/* Reads a device string for a message (at most cap-1 bytes; "?" when unreadable). */
static void read_cstring(xctx *x, const ptx_insn *in, int lane, uint64_t addr, char *buf, size_t cap) {
  readctx rc = {x, in, lane};
  size_t i = 0;
  for (; i + 1 < cap; i++) {
    char c;
    if (!read_generic(&rc, addr + i, &c, 1) || c == 0) break;
    buf[i] = c;
  }
  buf[i] = 0;
  if (!i && cap > 1) snprintf(buf, cap, "?");
}

/* __assertfail(message, file, line, function, charSize): every asserting lane prints the line
 * NVIDIA's driver prints (file:line: function: block: [..], thread: [..] Assertion `..` failed.)
 * on the device's print channel, then the grid stops with the assertion as its error. */
static run_result assert_fail(xctx *x, const ptx_insn *in, uint32_t m, const ptx_elem *ae, int nargs) {
  char msg[200], file[200], func[200], line[800];
  unsigned bx = x->L->cfg.block[0], by = x->L->cfg.block[1];
  for (int l = 0; l < 32; l++) {
    if (!(m >> l & 1)) continue;
    uint64_t a[5] = {0};
    for (int i = 0; i < nargs && i < 5; i++) a[i] = pbuf_u64(x, l, (uint32_t)ae[i].v, ae[i].size);
    read_cstring(x, in, l, a[0], msg, sizeof msg);
    read_cstring(x, in, l, a[1], file, sizeof file);
    read_cstring(x, in, l, a[3], func, sizeof func);
    unsigned t = x->w->id * 32 + (unsigned)l;
    int n = snprintf(line, sizeof line, "%s:%u: %s: block: [%u,%u,%u], thread: [%u,%u,%u] Assertion `%s` failed.\n",
                     file, (unsigned)a[2], func, x->b->ctaid[0], x->b->ctaid[1], x->b->ctaid[2], t % bx,
                     t / bx % by, t / (bx * by), msg);
    if (n > 0) ptx_emit_print(&x->L->cfg, line, (size_t)n < sizeof line ? (size_t)n : sizeof line - 1);
    if (l == 31 - __builtin_clz(m))   /* the last asserting lane */
      return fault(x, in, __builtin_ctz(m), PTX_ERR_TRAP, "%s:%u: %s: Assertion `%s` failed.", file,
                   (unsigned)a[2], func, msg);
  }
  return fault(x, in, 0, PTX_ERR_TRAP, "Assertion failed.");
}

/* ---- the device runtime (dynamic parallelism: ptx_cdp.c keeps the launches) ---- */
#define CDP_RUNTIME_VERSION 13000   /* CUDART_VERSION of the toolkit nvcc 13 programs use */

/* One lane's arguments of a device-runtime call: values, and the raw bytes for dim3s. */
typedef struct {
  uint64_t v[6];
  const uint8_t *raw[6];
  uint32_t size[6];
  int n;
} cdp_args;

/* The kernel a function value names (mov.u64 %rd, kernel), or NULL. */
static const ptx_func *cdp_kernel(xctx *x, uint64_t v) {
  uint64_t idx = v & PTX_FUNC_MASK;
  if ((v & ~PTX_FUNC_MASK) != PTX_FUNC_TAG || idx >= x->L->mod->nfuncs) return NULL;
  const ptx_func *f = x->L->mod->funcs[idx];
  return f->is_entry && !f->is_extern ? f : NULL;
}

static void cdp_dim3(const cdp_args *a, int i, unsigned d[3]) {
  d[0] = d[1] = d[2] = 1;
  if (i < a->n && a->size[i] >= 12) memcpy(d, a->raw[i], 12);
}

/* Stores an out-parameter (int or handle) of a device-runtime call. NULL: cudaErrorInvalidValue. */
static run_result cdp_store(xctx *x, const ptx_insn *in, int lane, uint64_t addr, const void *v, size_t n, int *err) {
  if (!addr) {
    *err = 1;
    return RUN_DONE;
  }
  void *p = mem_ptr(x, in, SP_GENERIC, addr, n, lane, true);
  if (!p) return RUN_FAULT;
  memcpy(p, v, n);
  return RUN_DONE;
}

static int cdp_device_count(const ptx_launch_config *cfg) {
  int n = 0, v;
  while (n < 64 && cfg->device_attribute(1 /* max threads per block */, n, &v) == 0) n++;
  return n;
}

/* Runs one lane's device-runtime call; *ret is the call's return value. */
static run_result cdp_lane(xctx *x, const ptx_insn *in, int l, int which, const char *name, const cdp_args *a,
                           uint64_t *ret) {
  ptx_launch_state *L = x->L;
  int err = 0, iv;
  unsigned grid[3], block[3];
  run_result r = RUN_DONE;
  switch (which) {
  case BUILTIN_CDP_PARAM_BUFFER_V2: {
    const ptx_func *k = cdp_kernel(x, a->v[0]);
    cdp_dim3(a, 1, grid);
    cdp_dim3(a, 2, block);
    void *p = NULL;
    if (!k) err = 98;   /* cudaErrorInvalidDeviceFunction */
    else p = ptx_cdp_param_buffer(L, k, grid, block, (unsigned)a->v[3], k->param_bytes, &err);
    *ret = (uintptr_t)p;
    break;
  }
  case BUILTIN_CDP_PARAM_BUFFER:   /* (alignment, size): kernel parameters are at most 32 KB */
    if (a->v[1] > 32764) err = 1;
    else *ret = (uintptr_t)ptx_cdp_param_buffer(L, NULL, NULL, NULL, 0, (size_t)a->v[1], &err);
    break;
  case BUILTIN_CDP_LAUNCH_V2:
    err = ptx_cdp_launch(L, a->v[0], a->v[1], NULL, NULL, NULL, 0);
    break;
  case BUILTIN_CDP_LAUNCH: {
    const ptx_func *k = cdp_kernel(x, a->v[0]);
    cdp_dim3(a, 2, grid);
    cdp_dim3(a, 3, block);
    err = k ? ptx_cdp_launch(L, a->v[1], a->v[5], k, grid, block, (unsigned)a->v[4]) : 98;
    break;
  }
  case BUILTIN_CDP_STREAM_CREATE:
  case BUILTIN_CDP_EVENT_CREATE: {
    int stream = which == BUILTIN_CDP_STREAM_CREATE;
    /* device streams must be cudaStreamNonBlocking (1) */
    if (stream && (uint32_t)a->v[1] != 1) {
      err = 1;
      break;
    }
    uint64_t h = ptx_cdp_handle(L, stream ? CDP_HANDLE_STREAM : CDP_HANDLE_EVENT);
    r = cdp_store(x, in, l, a->v[0], &h, 8, &err);
    break;
  }
  case BUILTIN_CDP_STREAM_DESTROY:
    err = ptx_cdp_handle_ok(a->v[0], CDP_HANDLE_STREAM) ? 0 : 400;
    break;
  case BUILTIN_CDP_EVENT_DESTROY:
  case BUILTIN_CDP_EVENT_RECORD:
    err = ptx_cdp_handle_ok(a->v[0], CDP_HANDLE_EVENT) ? 0 : 400;
    break;
  case BUILTIN_CDP_STREAM_WAIT_EVENT:   /* launches run in issue order: the wait holds already */
    err = ptx_cdp_handle_ok(a->v[1], CDP_HANDLE_EVENT) ? 0 : 400;
    break;
  case BUILTIN_CDP_GET_LAST_ERROR:
    *ret = (uint32_t)x->w->cdp_error[l];
    x->w->cdp_error[l] = 0;
    return RUN_DONE;
  case BUILTIN_CDP_PEEK_AT_LAST_ERROR:
    *ret = (uint32_t)x->w->cdp_error[l];
    return RUN_DONE;
  case BUILTIN_CDP_DEVICE_GET_ATTRIBUTE:
    if (!L->cfg.device_attribute) err = 801;
    else if (L->cfg.device_attribute((int)a->v[1], (int)a->v[2], &iv) != 0) err = 1;
    else r = cdp_store(x, in, l, a->v[0], &iv, 4, &err);
    break;
  case BUILTIN_CDP_GET_DEVICE:
    iv = L->cfg.device;
    r = cdp_store(x, in, l, a->v[0], &iv, 4, &err);
    break;
  case BUILTIN_CDP_GET_DEVICE_COUNT:
    iv = L->cfg.device_attribute ? cdp_device_count(&L->cfg) : 1;
    r = cdp_store(x, in, l, a->v[0], &iv, 4, &err);
    break;
  case BUILTIN_CDP_RUNTIME_GET_VERSION:
    iv = CDP_RUNTIME_VERSION;
    r = cdp_store(x, in, l, a->v[0], &iv, 4, &err);
    break;
  case BUILTIN_CDP_MALLOC: {   /* device-side cudaMalloc: the device heap, as malloc */
    uint64_t p = 0;
    if (!L->cfg.heap) err = 801;
    else if (!a->v[0]) err = 1;
    else if (a->v[1] && !(p = L->cfg.heap->alloc(L->cfg.heap, a->v[1]))) err = 2;   /* cudaErrorMemoryAllocation */
    else if ((r = cdp_store(x, in, l, a->v[0], &p, 8, &err)) != RUN_DONE) L->cfg.heap->free(L->cfg.heap, p);
    break;
  }
  case BUILTIN_CDP_FREE:
    if (!L->cfg.heap) err = 801;
    else L->cfg.heap->free(L->cfg.heap, a->v[0]);
    break;
  default:
    return fault(x, in, l, PTX_ERR_UNSUPPORTED, "device-side %s is not supported", name);
  }
  if (which != BUILTIN_CDP_PARAM_BUFFER_V2 && which != BUILTIN_CDP_PARAM_BUFFER) *ret = (uint32_t)err;
  if (err) x->w->cdp_error[l] = err;
  return r;
}

static run_result cdp_call(xctx *x, const ptx_insn *in, uint32_t m, const ptx_func *callee, const ptx_operand *rets,
                           const ptx_operand *args) {
  const ptx_elem *ae = args ? OPND_ELEMS(x->f->fn, args) : NULL;
  const ptx_elem *re = rets ? OPND_ELEMS(x->f->fn, rets) : NULL;
  uint32_t area = x->f->fn->param_area;
  for (int l = 0; l < 32; l++) {
    if (!(m >> l & 1)) continue;
    cdp_args a = {.n = args ? (args->n < 6 ? args->n : 6) : 0};
    for (int i = 0; i < a.n; i++) {
      a.raw[i] = x->f->pbuf + (size_t)l * area + (uint32_t)ae[i].v;
      a.size[i] = ae[i].size;
      a.v[i] = pbuf_u64(x, l, (uint32_t)ae[i].v, ae[i].size);
    }
    uint64_t ret = 0;
    run_result r = cdp_lane(x, in, l, callee->builtin, callee->name, &a, &ret);
    if (r != RUN_DONE) return r;
    if (rets && rets->n > 0)
      memcpy(x->f->pbuf + (size_t)l * area + re[0].v, &ret, re[0].size < 8 ? re[0].size : 8);
  }
  return RUN_DONE;
}

/* malloc / free on the context's device heap, lane by lane; malloc returns 0 when it is full. */
static run_result heap_call(xctx *x, const ptx_insn *in, uint32_t m, const ptx_func *callee, const ptx_elem *ae,
                            int nargs, const ptx_operand *rets, const ptx_elem *re) {
  ptx_heap *heap = x->L->cfg.heap;
  if (!heap) return fault(x, in, __builtin_ctz(m), PTX_ERR_UNSUPPORTED, "device-side %s is not supported", callee->name);
  if (nargs < 1) return fault(x, in, 0, PTX_ERR_INVALID_VALUE, "%s needs an argument", callee->name);
  for (int l = 0; l < 32; l++) {
    if (!(m >> l & 1)) continue;
    uint64_t v = pbuf_u64(x, l, (uint32_t)ae[0].v, ae[0].size);
    if (callee->builtin == BUILTIN_FREE) {
      heap->free(heap, v);
      continue;
    }
    uint64_t p = v ? heap->alloc(heap, v) : 0;
    if (rets && rets->n > 0)
      memcpy(x->f->pbuf + (size_t)l * x->f->fn->param_area + re[0].v, &p, re[0].size < 8 ? re[0].size : 8);
  }
  return RUN_DONE;
}

static run_result call_builtin(xctx *x, const ptx_insn *in, uint32_t m, const ptx_func *callee,
                               const ptx_operand *rets, const ptx_operand *args) {
  if (callee->builtin >= BUILTIN_CDP_PARAM_BUFFER_V2) return cdp_call(x, in, m, callee, rets, args);
  int nargs = args ? args->n : 0;
  const ptx_elem *ae = args ? OPND_ELEMS(x->f->fn, args) : NULL;
  const ptx_elem *re = rets ? OPND_ELEMS(x->f->fn, rets) : NULL;
  if (callee->builtin == BUILTIN_VPRINTF) {
    if (nargs < 2) return fault(x, in, 0, PTX_ERR_INVALID_VALUE, "vprintf needs 2 arguments");
    for (int l = 0; l < 32; l++) {
      if (!(m >> l & 1)) continue;
      uint64_t fmt = pbuf_u64(x, l, (uint32_t)ae[0].v, ae[0].size);
      uint64_t ap = pbuf_u64(x, l, (uint32_t)ae[1].v, ae[1].size);
      readctx rc = {x, in, l};
      char *text = NULL;
      size_t len = 0;
      if (!ptx_format_printf(&rc, read_generic, fmt, ap, &text, &len))
        return fault(x, in, l, PTX_ERR_ILLEGAL_ADDRESS, "printf format or argument at a bad address");
      ptx_emit_print(&x->L->cfg, text, len);
      free(text);
      if (rets && rets->n > 0) {
        uint8_t *p = x->f->pbuf + (size_t)l * x->f->fn->param_area + re[0].v;
        int32_t r = (int32_t)len;
        memcpy(p, &r, re[0].size < 4 ? re[0].size : 4);
      }
    }
    return RUN_DONE;
  }
  if (callee->builtin == BUILTIN_ASSERTFAIL) return assert_fail(x, in, m, ae, nargs);
  if (callee->builtin == BUILTIN_MALLOC || callee->builtin == BUILTIN_FREE)
    return heap_call(x, in, m, callee, ae, nargs, rets, re);
  return fault(x, in, __builtin_ctz(m), PTX_ERR_UNSUPPORTED, "device-side %s is not supported", callee->name);
}

/* A call through a register: the lanes of *m whose pointer equals the first lane's call now
 * (*fidx), the others (*later) run the call again afterwards, one target group at a time. */
static run_result indirect_target(xctx *x, const ptx_insn *in, uint32_t *m, uint32_t *later, int *fidx) {
  const ptx_operand *o = NULL;
  for (int i = 0; i < in->nops && !o; i++)
    if (in->o[i].kind == OK_REG) o = &in->o[i];
  if (!o) return fault(x, in, 0, PTX_ERR_UNSUPPORTED, "call without a target");
  const uint64_t *row = ROW(x, o->reg);
  int l0 = __builtin_ctz(*m);
  uint64_t v = row[l0];
  uint32_t same = 0;
  LANES(*m, if (row[l] == v) same |= 1u << l);
  uint64_t idx = v & PTX_FUNC_MASK;
  if ((v & ~PTX_FUNC_MASK) != PTX_FUNC_TAG || idx >= x->L->mod->nfuncs || x->L->mod->funcs[idx]->is_entry)
    return fault(x, in, l0, PTX_ERR_ILLEGAL_INSTRUCTION, "call through 0x%llx, which is not a device function",
                 (unsigned long long)v);
  if (x->L->mod->funcs[idx]->is_extern)
    return fault(x, in, l0, PTX_ERR_UNSUPPORTED, "indirect call to %s", x->L->mod->funcs[idx]->name);
  *later = *m & ~same;
  *m = same;
  *fidx = (int)idx;
  return RUN_DONE;
}

static run_result do_call(xctx *x, const ptx_insn *in, uint32_t m) {
  ptx_warp *w = x->w;
  const ptx_operand *rets;
  int fidx = -1;
  const ptx_operand *args = call_lists(in, &rets, &fidx);
  uint32_t later = 0;   /* lanes of an indirect call whose target differs from the first lane's */
  if (fidx < 0) {
    run_result r = indirect_target(x, in, &m, &later, &fidx);
    if (r != RUN_DONE) return r;
  }
  const ptx_func *callee = x->L->mod->funcs[fidx];
  if (callee->is_extern) return call_builtin(x, in, m, callee, rets, args);
  if (w->depth >= 1024) return fault(x, in, __builtin_ctz(m), PTX_ERR_ILLEGAL_ADDRESS, "call stack overflow");
  if (w->depth == w->cap) {
    int nc = w->cap * 2;
    ptx_frame *nf = realloc(w->frames, (size_t)nc * sizeof *nf);
    if (!nf) return fault(x, in, 0, PTX_ERR_NO_MEMORY, "out of memory for call frames");
    memset(nf + w->cap, 0, (size_t)(nc - w->cap) * sizeof *nf);
    w->frames = nf;
    w->cap = nc;
    load_frame(x);
  }
  ptx_frame *caller = x->f;
  ptx_frame *cf = &w->frames[w->depth];
  if (!frame_alloc(cf, callee)) return fault(x, in, 0, PTX_ERR_NO_MEMORY, "out of memory for a call frame");
  frame_init_sregs(w, cf);
  cf->local_base = (caller->local_base + caller->fn->local_bytes + 15) & ~15u;
  if (!local_reserve(w, cf->local_base + callee->local_bytes))
    return fault(x, in, __builtin_ctz(m), PTX_ERR_ILLEGAL_ADDRESS, "local memory stack overflow");
  /* copy arguments lane by lane */
  uint32_t carea = caller->fn->param_area, narea = callee->param_area;
  const ptx_elem *ae = args ? OPND_ELEMS(caller->fn, args) : NULL;
  for (uint32_t i = 0; args && i < args->n && i < callee->nparams; i++) {
    uint32_t sz = ae[i].size < callee->param_size[i] ? ae[i].size : callee->param_size[i];
    LANES(m, memcpy(cf->pbuf + (size_t)l * narea + callee->param_off[i],
                    caller->pbuf + (size_t)l * carea + (uint32_t)ae[i].v, sz));
  }
  cf->lanes = m;
  cf->done = 0;
  cf->call_pc = w->pc;
  for (int l = 0; l < 32; l++) cf->pc[l] = 0;
  park_group(w, w->mask & ~later, w->pc + 1);
  park_group(w, later, w->pc);   /* they call their own target once this call returns */
  w->depth++;
  load_frame(x);
  w->pc = 0;
  w->mask = m;
  w->merge_pc = UINT32_MAX;
  return RUN_DONE;
}

/* Pops the top frame after all its lanes returned or exited; copies return values. */
static void pop_frame(xctx *x) {
  ptx_warp *w = x->w;
  ptx_frame *cf = x->f;
  ptx_frame *caller = &w->frames[w->depth - 2];
  const ptx_insn *call = &caller->fn->code[cf->call_pc];
  const ptx_operand *rets;
  int fidx;
  call_lists(call, &rets, &fidx);
  uint32_t live = cf->lanes & ~w->exited;
  uint32_t carea = caller->fn->param_area, narea = cf->fn->param_area;
  const ptx_elem *re = rets ? OPND_ELEMS(caller->fn, rets) : NULL;
  for (uint32_t i = 0; rets && i < rets->n && i < cf->fn->nrets; i++) {
    uint32_t sz = re[i].size < cf->fn->ret_size[i] ? re[i].size : cf->fn->ret_size[i];
    LANES(live, memcpy(caller->pbuf + (size_t)l * carea + (uint32_t)re[i].v,
                       cf->pbuf + (size_t)l * narea + cf->fn->ret_off[i], sz));
  }
  w->depth--;
  load_frame(x);
}

/* ---------------------------------------------------------------- the warp loop */
/* After the group changed: pick the next group, popping finished frames. */
static run_result reschedule(xctx *x) {
  ptx_warp *w = x->w;
  for (;;) {
    if (schedule(w)) return RUN_DONE;
    ptx_frame *f = x->f;
    uint32_t pending = f->lanes & ~f->done & ~w->exited;
    if (pending) return RUN_BLOCKED;          /* lanes wait at a barrier */
    if (w->depth == 1) {
      w->finished = true;
      return RUN_BLOCKED;
    }
    pop_frame(x);
  }
}

/* The semantics of every instruction (exec_insn and the op_* it dispatches to). Included
 * here, after the frame and scheduling helpers it uses, so the lane loops inline into one
 * translation unit. */
#include "ptx_ops.inc"

static run_result run_warp(xctx *x) {
  ptx_warp *w = x->w;
  load_frame(x);
  if (!w->mask) {
    run_result r = reschedule(x);
    if (r != RUN_DONE || !w->mask) return r == RUN_FAULT ? r : RUN_BLOCKED;
  }
  uint64_t icount = 0;
  for (;;) {
    if (w->pc == w->merge_pc) {
      park_group(w, w->mask, w->pc);
      schedule(w);
    }
    const ptx_insn *in = &x->code[w->pc];
    uint32_t m = w->mask;
    if (in->guard >= 0) {
      const uint64_t *p = ROW(x, in->guard);
      uint32_t g = 0;
      LANES(m, g |= (uint32_t)(p[l] & 1) << l);
      m = in->guard_neg ? (m & ~g) : g;
    }
    icount += m == FULL ? 32 : (uint64_t)__builtin_popcount(m);
    run_result r = exec_insn(x, in, m);
    if (__builtin_expect(r != RUN_DONE, 0)) {
      w->icount += icount;
      return r;
    }
    if (__builtin_expect(w->mask == 0, 0)) {
      r = reschedule(x);
      if (r != RUN_DONE) {
        w->icount += icount;
        return r;
      }
    }
  }
}

/* ---------------------------------------------------------------- blocks */
static bool warp_init(ptx_block *b, ptx_warp *w, unsigned id) {
  ptx_launch_state *L = b->L;
  const ptx_func *k = L->k;
  w->blk = b;
  w->id = id;
  w->valid = 0;
  w->exited = 0;
  w->at_bar = 0;
  w->finished = false;
  w->bar_red = NULL;
  w->bar_red_lanes = 0;
  w->spin = SPIN_BUDGET;
  w->cache_base = w->cache_end = 0;
  w->icount = 0;
  memset(w->cdp_error, 0, sizeof w->cdp_error);
  w->sync_wait = 0;
  unsigned bx = L->cfg.block[0], by = L->cfg.block[1];
  for (int l = 0; l < 32; l++) {
    unsigned t = id * 32 + (unsigned)l;
    if (t < L->nthreads) w->valid |= 1u << l;
    w->sregs[SR_TID_X][l] = t % bx;
    w->sregs[SR_TID_Y][l] = t / bx % by;
    w->sregs[SR_TID_Z][l] = t / (bx * by);
    w->sregs[SR_NTID_X][l] = bx;
    w->sregs[SR_NTID_Y][l] = by;
    w->sregs[SR_NTID_Z][l] = L->cfg.block[2];
    w->sregs[SR_CTAID_X][l] = b->ctaid[0];
    w->sregs[SR_CTAID_Y][l] = b->ctaid[1];
    w->sregs[SR_CTAID_Z][l] = b->ctaid[2];
    w->sregs[SR_NCTAID_X][l] = L->cfg.grid[0];
    w->sregs[SR_NCTAID_Y][l] = L->cfg.grid[1];
    w->sregs[SR_NCTAID_Z][l] = L->cfg.grid[2];
    w->sregs[SR_LANEID][l] = (uint64_t)l;
    w->sregs[SR_WARPID][l] = id;
    w->sregs[SR_NWARPID][l] = L->nwarps;
    w->sregs[SR_LANEMASK_EQ][l] = 1u << l;
    w->sregs[SR_LANEMASK_LE][l] = l == 31 ? FULL : (2u << l) - 1;
    w->sregs[SR_LANEMASK_LT][l] = (1u << l) - 1;
    w->sregs[SR_LANEMASK_GE][l] = FULL << l;
    w->sregs[SR_LANEMASK_GT][l] = l == 31 ? 0 : FULL << (l + 1);
    w->sregs[SR_SMID][l] = 0;
    w->sregs[SR_NSMID][l] = 1;
    w->sregs[SR_GRIDID][l] = 1;
    w->sregs[SR_DYN_SMEM][l] = L->cfg.dynamic_shared_bytes;
    w->sregs[SR_TOTAL_SMEM][l] = L->user_shared;
    w->sregs[SR_RSMEM_BEGIN][l] = L->reserved_off;
    w->sregs[SR_RSMEM_END][l] = L->reserved_off + PTX_RESERVED_SHARED;
    w->sregs[SR_RSMEM_CAP][l] = PTX_RESERVED_SHARED;
    w->sregs[SR_RSMEM_0][l] = L->reserved_off;
    w->sregs[SR_RSMEM_1][l] = L->reserved_off + PTX_RESERVED_SHARED / 2;
    w->sregs[SR_ENVREG][l] = 0;
    w->sregs[SR_WARPSZ][l] = 32;
    w->sregs[SR_CLUSTER_CTARANK][l] = 0;
    w->sregs[SR_CLUSTER_NCTARANK][l] = 1;
  }
  if (!w->frames) {
    w->cap = 4;
    w->frames = calloc((size_t)w->cap, sizeof *w->frames);
    if (!w->frames) return false;
  }
  w->depth = 1;
  ptx_frame *f = &w->frames[0];
  if (!frame_alloc(f, k)) return false;
  frame_init_sregs(w, f);
  f->local_base = 0;
  f->lanes = w->valid;
  f->done = 0;
  f->call_pc = 0;
  memset(f->pc, 0, sizeof f->pc);
  /* local memory is not cleared between blocks (as on a GPU it starts undefined): a kernel
   * with large per-thread arrays would otherwise pay a memset per warp and block */
  if (!local_reserve(w, k->local_bytes ? k->local_bytes : 16)) return false;
  w->mask = 0;
  w->pc = 0;
  w->merge_pc = UINT32_MAX;
  return true;
}

void ptx_block_free(ptx_block *b) {
  for (unsigned i = 0; b->warps && i < b->nwarps; i++) {
    ptx_warp *w = &b->warps[i];
    for (int d = 0; d < w->cap; d++) {
      free(w->frames[d].regs);
      free(w->frames[d].pbuf);
    }
    free(w->frames);
    free(w->local);
  }
  free(b->warps);
  free(b->shared);
  b->warps = NULL;
  b->shared = NULL;
}

static void release_barrier(ptx_block *b) {
  for (unsigned i = 0; i < b->nwarps; i++) {
    ptx_warp *w = &b->warps[i];
    if (w->bar_red) {
      const ptx_insn *in = w->bar_red;
      ptx_frame *f = &w->frames[w->depth - 1];
      uint64_t *d = in->o[0].kind == OK_REG ? f->regs + (size_t)in->o[0].reg * 32 : NULL;
      uint64_t v = in->sub == BARRED_POPC ? b->red_popc : in->sub == BARRED_AND ? b->red_and : b->red_or;
      if (d) LANES(w->bar_red_lanes, d[l] = v);
      w->bar_red = NULL;
      w->bar_red_lanes = 0;
    }
    w->at_bar = 0;
    w->mask = 0;
  }
  b->red_popc = 0;
  b->red_and = 1;
  b->red_or = 0;
}

/* A cooperative launch's block whose warps yielded: it may wait for blocks on other host threads.
 * Polling the grid-sync workspace, it yields its core a few rounds (the last block is often
 * about to arrive), then sleeps until an arrival; other spins just yield the core. */
static void coop_pause(ptx_launch_state *L, ptx_block *b, uint32_t gen, unsigned *ws_rounds) {
  if (!b->ws_spin) *ws_rounds = 0;
  if (b->ws_spin && ++*ws_rounds > COOP_SPIN_ROUNDS) ptx_coop_wait(L, gen);
  else sched_yield();
}

ptx_status ptx_run_block(ptx_block *b, uint64_t bi) {
  ptx_launch_state *L = b->L;
  unsigned gx = L->cfg.grid[0], gy = L->cfg.grid[1];
  b->ctaid[0] = (unsigned)(bi % gx);
  b->ctaid[1] = (unsigned)(bi / gx % gy);
  b->ctaid[2] = (unsigned)(bi / ((uint64_t)gx * gy));
  if (!b->warps) {
    b->nwarps = L->nwarps;
    b->warps = calloc(b->nwarps, sizeof *b->warps);
    b->shared = calloc(L->shared_size ? L->shared_size : 1, 1);
    if (!b->warps || !b->shared) return PTX_ERR_NO_MEMORY;
  } else {
    memset(b->shared, 0, L->shared_size);
  }
  b->red_popc = 0;
  b->red_and = 1;
  b->red_or = 0;
  for (unsigned i = 0; i < b->nwarps; i++)
    if (!warp_init(b, &b->warps[i], i)) return PTX_ERR_NO_MEMORY;
  xctx *x = malloc(sizeof *x);
  if (!x) return PTX_ERR_NO_MEMORY;
  x->b = b;
  x->L = L;
  ptx_status st = PTX_OK;
  uint64_t icount = 0;
  unsigned ws_rounds = 0;
  for (;;) {
    bool all_done = true, yielded = false;
    uint32_t gen = L->grid_ws ? __atomic_load_n(&L->coop_gen, __ATOMIC_SEQ_CST) : 0;
    b->ws_spin = false;
    for (unsigned i = 0; i < b->nwarps; i++) {
      ptx_warp *w = &b->warps[i];
      if (w->finished) continue;
      x->w = w;
      run_result r = run_warp(x);
      if (r == RUN_FAULT) {
        st = L->status ? L->status : PTX_ERR_ILLEGAL_INSTRUCTION;
        goto out;
      }
      if (r == RUN_YIELD) yielded = true;
      if (!w->finished) all_done = false;
      if (__atomic_load_n(&L->faulted, __ATOMIC_RELAXED)) goto out;
    }
    if (all_done) break;
    if (yielded) {             /* some warp can still run */
      if (L->grid_ws) coop_pause(L, b, gen, &ws_rounds);
      continue;
    }
    /* every warp is finished or waits: release the barrier if all live threads arrived */
    unsigned live = 0, waiting = 0;
    for (unsigned i = 0; i < b->nwarps; i++) {
      ptx_warp *w = &b->warps[i];
      live += (unsigned)__builtin_popcount(w->valid & ~w->exited);
      waiting += (unsigned)__builtin_popcount(w->at_bar & ~w->exited);
    }
    if (waiting == live) {
      release_barrier(b);
      continue;
    }
    /* some lanes can neither run nor pass the barrier */
    x->w = &b->warps[0];
    load_frame(x);
    pthread_mutex_lock(&L->lock);
    if (L->status == PTX_OK) {
      L->status = PTX_ERR_ILLEGAL_INSTRUCTION;
      snprintf(L->err, sizeof L->err,
               "barrier deadlock in kernel %s, block (%u,%u,%u): %u of %u threads wait at a barrier",
               L->k->name, b->ctaid[0], b->ctaid[1], b->ctaid[2], waiting, live);
    }
    pthread_mutex_unlock(&L->lock);
    __atomic_store_n(&L->faulted, 1, __ATOMIC_RELAXED);
    st = PTX_ERR_ILLEGAL_INSTRUCTION;
    break;
  }
out:
  for (unsigned i = 0; i < b->nwarps; i++) icount += b->warps[i].icount;
  __atomic_fetch_add(&L->insn_count, icount, __ATOMIC_RELAXED);
  free(x);
  return st;
}

/* ptx_internal.h - the decoded form of a PTX module, shared by the parser and the interpreter.
 *
 * The parser turns PTX text into functions holding arrays of ptx_insn: an opcode with its
 * type(s) and modifiers folded into small fields, operands as register indices (immediates and
 * per-warp special registers become hidden registers initialised when a frame starts), addresses
 * as (base register, symbol, offset), branch targets as instruction indices. The interpreter
 * (ptx_exec.c) never looks at text.
 */
#ifndef GPUSHIM_PTX_INTERNAL_H
#define GPUSHIM_PTX_INTERNAL_H

#include "ptx.h"

#include <stdbool.h>
#include <stdint.h>

/* Scalar types. Order matters: helpers test ranges. */
typedef enum {
  T_NONE, T_PRED,
  T_B8, T_B16, T_B32, T_B64, T_B128,
  T_U8, T_U16, T_U32, T_U64,
  T_S8, T_S16, T_S32, T_S64,
  T_F16, T_F16X2, T_BF16, T_BF16X2, T_F32, T_F64,
  T_COUNT
} ptx_type;

/* State spaces. */
typedef enum { SP_GENERIC, SP_GLOBAL, SP_SHARED, SP_LOCAL, SP_CONST, SP_PARAM } ptx_space;

/* Opcodes. */
typedef enum {
  OP_NOP,
  /* integer and float arithmetic */
  OP_ADD, OP_SUB, OP_MUL, OP_MAD, OP_FMA, OP_DIV, OP_REM, OP_ABS, OP_NEG, OP_MIN, OP_MAX,
  OP_ADDC, OP_SUBC, OP_MADC, OP_MUL24, OP_MAD24, OP_SAD,
  OP_POPC, OP_CLZ, OP_BFIND, OP_BREV, OP_BFE, OP_BFI, OP_PRMT, OP_SHF, OP_SHL, OP_SHR,
  OP_AND, OP_OR, OP_XOR, OP_NOT, OP_CNOT, OP_LOP3, OP_DP4A, OP_DP2A, OP_TESTP, OP_COPYSIGN,
  OP_BMSK, OP_SZEXT,
  OP_RCP, OP_SQRT, OP_RSQRT, OP_SIN, OP_COS, OP_LG2, OP_EX2, OP_TANH,
  /* comparison and selection */
  OP_SETP, OP_SET, OP_SELP, OP_SLCT,
  /* data movement and conversion */
  OP_MOV, OP_CVT, OP_CVTA, OP_LD, OP_ST, OP_ATOM, OP_RED, OP_PREFETCH, OP_ISSPACEP,
  /* control */
  OP_BRA, OP_CALL, OP_RET, OP_EXIT, OP_BAR, OP_BAR_ARRIVE, OP_BAR_RED, OP_MEMBAR, OP_TRAP,
  OP_BRKPT, OP_NANOSLEEP,
  /* warp-level */
  OP_SHFL, OP_VOTE, OP_MATCH, OP_ACTIVEMASK, OP_REDUX, OP_WARPSYNC,
  /* asynchronous copies (performed synchronously) */
  OP_CPASYNC,
  /* textures and surfaces (ptx_tex.c): sub = PTX_GEOM_* or TXQ_*, bop = PTX_SURF_* or the
   * tld4 component */
  OP_TEX, OP_TLD4, OP_TXQ, OP_SULD, OP_SUST,
  /* cp.async.bulk (non-tensor, ptx_ops.inc op_cpasync_bulk): bop = CPA_* */
  /* mbarrier.* and cp.async.mbarrier.arrive: sub = MBAR_*, bop = 1 for .parity / .noinc */
  OP_MBAR,
  /* wmma.load/store/mma (warp matrix ops): sub = WMMA_*, bop = shape (wmma_shapes), vec =
   * the A/B type of an mma that names one */
  OP_WMMA,
  /* SIMD video instructions vadd2/4, vsub, vavrg, vabsdiff, vmin, vmax, vset: sub = VID_*,
   * vec = 2 or 4 lanes, bop = the vset comparison; o[4].imm = VSEL_* (ptx_ops.inc, op_vsimd) */
  OP_VSIMD,
  OP_COUNT
} ptx_opcode;

/* Sub-operations (ptx_insn.sub). */
enum { CMP_EQ, CMP_NE, CMP_LT, CMP_LE, CMP_GT, CMP_GE, CMP_LO, CMP_LS, CMP_HI, CMP_HS,
       CMP_EQU, CMP_NEU, CMP_LTU, CMP_LEU, CMP_GTU, CMP_GEU, CMP_NUM, CMP_NAN };
enum { BOOL_NONE, BOOL_AND, BOOL_OR, BOOL_XOR };
enum { ATOM_ADD, ATOM_MIN, ATOM_MAX, ATOM_AND, ATOM_OR, ATOM_XOR, ATOM_EXCH, ATOM_CAS,
       ATOM_INC, ATOM_DEC };
enum { SHFL_UP, SHFL_DOWN, SHFL_BFLY, SHFL_IDX };
enum { VOTE_ALL, VOTE_ANY, VOTE_UNI, VOTE_BALLOT };
enum { MATCH_ANY, MATCH_ALL };
enum { BARRED_POPC, BARRED_AND, BARRED_OR };
enum { PRMT_DEFAULT, PRMT_F4E, PRMT_B4E, PRMT_RC8, PRMT_ECL, PRMT_ECR, PRMT_RC16 };
enum { TESTP_FINITE, TESTP_INFINITE, TESTP_NUMBER, TESTP_NOTANUMBER, TESTP_NORMAL,
       TESTP_SUBNORMAL };

enum { TXQ_WIDTH, TXQ_HEIGHT, TXQ_DEPTH, TXQ_CHANNEL_TYPE, TXQ_CHANNEL_ORDER, TXQ_NORMALIZED,
       TXQ_FILTER, TXQ_ADDR0, TXQ_ADDR1, TXQ_ADDR2, TXQ_ARRAY_SIZE, TXQ_MIPMAPS, TXQ_SAMPLES };

/* Rounding modes (ptx_insn.rnd). RND_NONE means "the default for this instruction". */
enum { RND_NONE, RND_RN, RND_RZ, RND_RM, RND_RP, RND_RNI, RND_RZI, RND_RMI, RND_RPI,
       RND_APPROX, RND_FULL };

/* cp.async.bulk forms (ptx_insn.bop of OP_CPASYNC): a bulk copy, towards global memory (else
 * into shared memory), completing on an mbarrier's tx-count; bulk group commit/wait and
 * prefetch do nothing here (copies are done at once); the first state space seen is the dst. */
enum { CPA_BULK = 1, CPA_TO_GLOBAL = 2, CPA_MBAR = 4, CPA_SPACE_SEEN = 8, CPA_NOP = 16 };

/* What an OP_MBAR instruction does (ptx_insn.sub). */
enum {
  MBAR_NONE, MBAR_INIT, MBAR_ARRIVE, MBAR_ARRIVE_DROP, MBAR_ARRIVE_EXPECT_TX, MBAR_TEST_WAIT,
  MBAR_PENDING_COUNT, MBAR_INVAL, MBAR_EXPECT_TX, MBAR_COMPLETE_TX, MBAR_CP_ARRIVE,
};

/* What an OP_VSIMD instruction does (ptx_insn.sub), and how its o[4].imm packs the byte /
 * half-word selectors of a and b, the destination mask and the operand signedness. */
enum { VID_ADD, VID_SUB, VID_AVRG, VID_ABSDIFF, VID_MIN, VID_MAX, VID_SET };
#define VSEL_A(v)     ((uint32_t)(v) & 0xfff)          /* 4 x 3-bit lane selectors, lane 0 low */
#define VSEL_B(v)     (((uint32_t)(v) >> 12) & 0xfff)
#define VSEL_MASK(v)  (((uint32_t)(v) >> 24) & 0xf)    /* lanes written / accumulated */
#define VSEL_ASIGNED  (1u << 28)
#define VSEL_BSIGNED  (1u << 29)
#define VSEL_DSIGNED  (1u << 30)
/* Scalar video forms (vec 1): the A, B and MASK fields hold a selector each (MASK = d's merge
 * selector), bop the secondary operation (.add is F_VACC). */
enum { VSCAL_WORD, VSCAL_B0, VSCAL_B1, VSCAL_B2, VSCAL_B3, VSCAL_H0, VSCAL_H1 };
enum { VOP2_NONE, VOP2_MIN, VOP2_MAX };

/* What an OP_WMMA instruction does (ptx_insn.sub). */
enum { WMMA_NONE, WMMA_LOAD, WMMA_LOAD_A, WMMA_LOAD_B, WMMA_LOAD_C, WMMA_STORE_D, WMMA_MMA };

/* Flags (ptx_insn.flags). */
enum {
  F_FTZ = 1 << 0, F_SAT = 1 << 1, F_HI = 1 << 2, F_LO = 1 << 3, F_WIDE = 1 << 4,
  F_CC = 1 << 5,       /* writes the carry flag */
  F_CLAMP = 1 << 6,    /* shf.clamp, bfind.shiftamt */
  F_LEFT = 1 << 7,     /* shf.l */
  F_RELU = 1 << 8, F_SHIFTAMT = 1 << 9, F_NOTDEST = 1 << 10,
  F_COLMAJOR = 1 << 11,   /* wmma.load/store .col */
  F_WMMA_TF32 = 1 << 13,  /* wmma with tf32 A and B (f32 containers, 10-bit mantissa) */
  F_VACC = 1 << 14,       /* video instructions: .add (accumulate the lanes into c) */
};

/* Special registers. The first group is constant for a warp and becomes hidden registers. */
typedef enum {
  SR_TID_X, SR_TID_Y, SR_TID_Z, SR_NTID_X, SR_NTID_Y, SR_NTID_Z,
  SR_CTAID_X, SR_CTAID_Y, SR_CTAID_Z, SR_NCTAID_X, SR_NCTAID_Y, SR_NCTAID_Z,
  SR_LANEID, SR_WARPID, SR_NWARPID, SR_LANEMASK_EQ, SR_LANEMASK_LE, SR_LANEMASK_LT,
  SR_LANEMASK_GE, SR_LANEMASK_GT, SR_SMID, SR_NSMID, SR_GRIDID, SR_DYN_SMEM, SR_TOTAL_SMEM,
  SR_ENVREG, SR_WARPSZ,
  SR_CLUSTER_CTARANK, SR_CLUSTER_NCTARANK,   /* clusters are always one CTA here: 0 and 1 */
  SR_RSMEM_BEGIN, SR_RSMEM_END, SR_RSMEM_CAP, SR_RSMEM_0, SR_RSMEM_1,   /* reserved shared memory */
  SR_STATIC_COUNT,
  /* dynamic: read at execution time */
  SR_CLOCK = SR_STATIC_COUNT, SR_CLOCK64, SR_GLOBALTIMER, SR_GLOBALTIMER_LO,
  SR_GLOBALTIMER_HI,
  SR_COUNT
} ptx_sreg;

/* Operand kinds. */
enum {
  OK_NONE,
  OK_REG,     /* register (incl. hidden constant / special rows) */
  OK_SREG,    /* dynamic special register (clock...) */
  OK_ADDR,    /* memory address: [reg + sym + imm] */
  OK_SYM,     /* address of a symbol used as a value (mov %rd, sym) */
  OK_VEC,     /* {r, r, r, r} */
  OK_LABEL,   /* branch target: imm = instruction index */
  OK_FUNC,    /* call target: imm = function index */
  OK_LIST,    /* call argument list: elems are param offsets and sizes, n of them */
  OK_SINK,    /* _ */
};

/* What a symbol names, for addresses and OK_SYM values. */
typedef enum {
  SYM_GLOBAL,      /* module variable: value = its bound address (var index in id) */
  SYM_SHARED,      /* static shared: value = offset in the block's shared memory */
  SYM_KSHARED,     /* shared declared in a kernel body: offset from the kernel's own region */
  SYM_DYNSHARED,   /* .extern .shared: value = the kernel's dynamic shared offset */
  SYM_LOCAL,       /* local variable/depot: value = frame local base + offset */
  SYM_KPARAM,      /* kernel parameter: offset in the launch parameter buffer */
  SYM_FPARAM,      /* function / call parameter: offset in the frame's per-lane param area */
} ptx_symkind;

#define PTX_MAXVEC 8

/* One element of a vector operand (register, -1 = sink) or of a call list (param offset). */
typedef struct {
  int32_t v;
  uint32_t size;      /* call lists: the parameter's size */
} ptx_elem;

typedef struct {
  uint8_t kind;
  uint8_t neg;        /* !%p */
  uint8_t symkind;    /* for OK_ADDR/OK_SYM with a symbol */
  uint8_t pad;
  uint16_t n;         /* elements of OK_VEC / OK_LIST */
  uint32_t list;      /* OK_VEC / OK_LIST: first element in the function's elems */
  int32_t reg;        /* register index, or -1 (OK_ADDR without base register) */
  int32_t sym;        /* symbol id (var index, or unused) or -1 */
  int64_t imm;        /* offset / label index / function index / symbol value */
} ptx_operand;

/* The elements of a vector / list operand of an instruction of function fn. */
#define OPND_ELEMS(fn, o) ((fn)->elems + (o)->list)

typedef struct {
  uint16_t op;
  uint8_t t, t2;      /* type; second type (cvt source, etc.) */
  uint8_t sub;        /* comparison / atomic op / mode */
  uint8_t bop;        /* boolean combine of setp/set */
  uint8_t rnd;
  uint8_t space;
  uint16_t flags;
  uint8_t vec;        /* 1, 2, 4 for ld/st */
  uint8_t nops;
  int32_t guard;      /* predicate register or -1 */
  uint8_t guard_neg;
  uint8_t uni;
  uint32_t line;
  uint32_t name;      /* offset of the opcode text in the module's string pool */
  ptx_operand o[6];
} ptx_insn;

/* A hidden register's initial value: either a constant or a warp-constant special reg. */
typedef struct {
  int32_t reg;
  int32_t sreg;       /* -1 for a constant */
  uint64_t value;
} ptx_reginit;

typedef struct ptx_func {
  char *name;
  const struct ptx_module *mod;
  bool is_entry;
  bool is_extern;     /* declared only (vprintf, malloc, ...) */
  int builtin;        /* BUILTIN_* for extern functions we implement */
  ptx_insn *code;
  uint32_t ncode, capcode;
  uint32_t nregs;
  ptx_reginit *inits;
  uint32_t ninits, capinits;
  ptx_elem *elems;          /* elements of vector and call-list operands */
  uint32_t nelems, capelems;
  /* params: offsets in the per-lane param area (functions) or the parameter buffer (kernels) */
  uint32_t nparams;
  uint32_t param_off[64], param_size[64];
  uint32_t nrets;
  uint32_t ret_off[8], ret_size[8];
  uint32_t param_area;      /* per-lane bytes of param space (functions) */
  uint32_t param_bytes;     /* kernels: the parameter buffer size */
  uint32_t local_bytes;     /* depot size */
  uint32_t shared_bytes;    /* kernel: static shared end (module + own) */
  uint32_t kshared_bytes;   /* kernel: bytes of shared declared in its body */
  uint32_t kshared_base;    /* kernel: where they start (after all module-level shared) */
  unsigned maxntid[3], reqntid[3];
  bool has_dyn_shared;
  ptx_kernel_info info;
} ptx_func;

struct ptx_kernel {
  ptx_func f;
};

/* An initialiser element holding the address of another variable (generic(sym)+addend). */
typedef struct {
  uint32_t offset;      /* byte offset in the variable */
  uint32_t size;        /* 4 or 8 */
  uint32_t target;      /* variable index */
  int64_t addend;
} ptx_reloc;

typedef struct {
  ptx_var_info info;
  uintptr_t addr;
  uint8_t *initbuf;
  ptx_reloc *relocs;
  uint32_t nrelocs, caprelocs;
} ptx_var;

/* The value of a function's address (mov %rd, f; initialisers naming f): a tag no user-space
 * address can have, plus the function's index in the module. call through a register looks it up. */
#define PTX_FUNC_TAG 0xFC0DE00000000000ull
#define PTX_FUNC_MASK 0x00000000ffffffffull

enum { BUILTIN_NONE, BUILTIN_VPRINTF, BUILTIN_ASSERTFAIL, BUILTIN_MALLOC, BUILTIN_FREE,
  /* the device runtime (libcudadevrt's __cudaCDP2* entry points, ptx_cdp.c) */
  BUILTIN_CDP_PARAM_BUFFER_V2, BUILTIN_CDP_LAUNCH_V2, BUILTIN_CDP_PARAM_BUFFER, BUILTIN_CDP_LAUNCH,
  BUILTIN_CDP_STREAM_CREATE, BUILTIN_CDP_STREAM_DESTROY, BUILTIN_CDP_EVENT_CREATE,
  BUILTIN_CDP_EVENT_RECORD, BUILTIN_CDP_EVENT_DESTROY, BUILTIN_CDP_STREAM_WAIT_EVENT,
  BUILTIN_CDP_GET_LAST_ERROR, BUILTIN_CDP_PEEK_AT_LAST_ERROR, BUILTIN_CDP_DEVICE_GET_ATTRIBUTE,
  BUILTIN_CDP_GET_DEVICE, BUILTIN_CDP_GET_DEVICE_COUNT, BUILTIN_CDP_RUNTIME_GET_VERSION,
  BUILTIN_CDP_MALLOC, BUILTIN_CDP_FREE,
  BUILTIN_CDP_OTHER,   /* any other __cudaCDP2*: refused when called, naming it */
};

struct ptx_module {
  ptx_func **funcs;
  uint32_t nfuncs, capfuncs;
  ptx_var *vars;
  uint32_t nvars, capvars;
  uint32_t module_shared;   /* bytes of module-level .shared */
  unsigned version, target;
  char *strings;            /* opcode text pool */
  uint32_t nstrings, capstrings;
  ptx_kernel **kernels;     /* entries, in order */
  uint32_t nkernels;
};

/* Thread-instructions executed by the last ptx_launch on this thread (for ptx-bench). */
extern _Thread_local uint64_t ptx_thread_insn_count;

/* ptx_exec.c */
const char *ptx_type_name(int t);
int ptx_type_bits(int t);

/* ptx_printf.c: formats a device printf; reads memory through `read` (returns false on
 * a bad address). Output goes to the print handler. */
typedef bool (*ptx_read_fn)(void *ctx, uint64_t addr, void *dst, size_t n);
bool ptx_format_printf(void *rctx, ptx_read_fn read, uint64_t fmt, uint64_t args, char **out,
                       size_t *outlen);
void ptx_emit_print(const ptx_launch_config *cfg, const char *text, size_t len);

/* ptx_numeric.c: float helpers */
/* Bit patterns of IEEE floats (reading another union member is defined in C). */
static inline uint32_t ptx_f32_bits(float f) { return ((union { float f; uint32_t u; }){.f = f}).u; }
static inline float ptx_f32_from_bits(uint32_t u) { return ((union { float f; uint32_t u; }){.u = u}).f; }
static inline uint64_t ptx_f64_bits(double d) { return ((union { double d; uint64_t u; }){.d = d}).u; }
static inline double ptx_f64_from_bits(uint64_t u) { return ((union { double d; uint64_t u; }){.u = u}).d; }

float ptx_half_to_float(uint16_t h);
uint16_t ptx_float_to_half(float f, int rnd);
uint16_t ptx_double_to_half(double d, int rnd);
float ptx_bf16_to_float(uint16_t h);
uint16_t ptx_float_to_bf16(float f, int rnd);

#endif

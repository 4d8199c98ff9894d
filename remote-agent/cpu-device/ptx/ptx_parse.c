/* ptx_parse.c - recursive-descent parser from PTX text to the decoded module (ptx_internal.h).
 *
 * Module level: .version/.target/.address_size, variables (.global/.const/.shared with
 * initialisers), function declarations and definitions (.entry/.func). Function level: register,
 * parameter, local and shared declarations (with {} scopes), labels and instructions. Labels
 * and call targets are resolved when their function / the module ends.
 */
#include "ptx_internal.h"
#include "ptx_lex.h"

#include <setjmp.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/* ---- symbols of a function scope ---- */
typedef enum { FS_REG, FS_REGRANGE, FS_PARAM, FS_LOCAL, FS_SHARED, FS_LABEL } fsym_kind;

typedef struct {
  char *name;
  fsym_kind kind;
  ptx_symkind symkind;   /* for FS_PARAM/FS_LOCAL/FS_SHARED */
  int32_t base;          /* register index, or offset */
  uint32_t count;        /* FS_REGRANGE: number of registers */
  uint32_t size;
  int type;
} fsym;

typedef struct {
  char *name;
  uint32_t insn, opnd;
  unsigned line;
} label_fixup;

typedef struct {
  uint32_t func, insn, opnd;
  char *name;
  unsigned line;
} call_fixup;

typedef struct {
  ptx_lexer lx;
  ptx_module *mod;
  char *err;
  size_t errlen;
  jmp_buf fail;
  /* current function */
  ptx_func *fn;
  fsym *syms;
  uint32_t nsyms, capsyms;
  label_fixup *lfix;
  uint32_t nlfix, caplfix;
  call_fixup *cfix;
  uint32_t ncfix, capcfix;
  /* module-level symbols: shared and dynamic shared variables, by name */
  fsym *msyms;
  uint32_t nmsyms, capmsyms;
  char *pending[16];     /* identifiers owned by the parse in progress: freed on failure */
  char *alias_from[32], *alias_to[32];   /* .alias a, b; (function aliases) */
  int naliases;
} parser;

#define GROW(arr, n, cap)                                                   \
  do {                                                                      \
    if ((n) >= (cap)) {                                                     \
      size_t nc_ = (cap) ? (size_t)(cap) * 2 : 16;                          \
      void *np_ = realloc((arr), nc_ * sizeof *(arr));                      \
      if (!np_) fatal(P, "out of memory");                                  \
      (arr) = np_;                                                          \
      (cap) = (uint32_t)nc_;                                                \
    }                                                                       \
  } while (0)

static void fatal(parser *P, const char *fmt, ...) __attribute__((noreturn, format(printf, 2, 3)));
static void fatal(parser *P, const char *fmt, ...) {
  char msg[400];
  va_list ap;
  va_start(ap, fmt);
  vsnprintf(msg, sizeof msg, fmt, ap);
  va_end(ap);
  const ptx_token *t = &P->lx.tok;
  int tl = (int)(t->len > 60 ? 60 : t->len);
  if (P->err && P->errlen)
    snprintf(P->err, P->errlen, "line %u: %s (at '%.*s')", t->line, msg, tl, t->kind == TK_EOF ? "end of file" : t->s);
  for (int i = 0; i < 16; i++) {
    free(P->pending[i]);
    P->pending[i] = NULL;
  }
  longjmp(P->fail, 1);
}

static char *xstrndup(parser *P, const char *s, size_t n) {
  char *r = malloc(n + 1);
  if (!r) fatal(P, "out of memory");
  memcpy(r, s, n);
  r[n] = 0;
  return r;
}

/* ---- token helpers ---- */
static const ptx_token *tok(parser *P) { return &P->lx.tok; }
static void next(parser *P) { ptx_lex_next(&P->lx); }
static int is_punct(parser *P, char c) { return tok(P)->kind == TK_PUNCT && tok(P)->punct == c; }
static int is_word(parser *P, const char *w) {
  return tok(P)->kind == TK_IDENT && tok(P)->len == strlen(w) && memcmp(tok(P)->s, w, tok(P)->len) == 0;
}
static void expect_punct(parser *P, char c) {
  if (!is_punct(P, c)) fatal(P, "expected '%c'", c);
  next(P);
}
static int accept_punct(parser *P, char c) {
  if (is_punct(P, c)) {
    next(P);
    return 1;
  }
  return 0;
}
/* Forgets a pending identifier (its ownership moved elsewhere). */
static void keep(parser *P, char *s) {
  for (int i = 0; i < 16; i++)
    if (P->pending[i] == s) P->pending[i] = NULL;
}

/* Frees an identifier taken with take_ident. */
static void drop(parser *P, char *s) {
  keep(P, s);
  free(s);
}

static char *take_ident(parser *P) {
  if (tok(P)->kind != TK_IDENT) fatal(P, "expected an identifier");
  char *s = xstrndup(P, tok(P)->s, tok(P)->len);
  for (int i = 0; i < 16; i++) {
    if (!P->pending[i]) {
      P->pending[i] = s;
      break;
    }
  }
  next(P);
  return s;
}
static int64_t take_int(parser *P) {
  int neg = accept_punct(P, '-');
  if (tok(P)->kind != TK_INT) fatal(P, "expected an integer");
  int64_t v = (int64_t)tok(P)->ival;
  next(P);
  return neg ? (int64_t)(0 - (uint64_t)v) : v;
}

/* ---- types ---- */
static const char *const type_names[T_COUNT] = {
  [T_PRED] = "pred", [T_B8] = "b8", [T_B16] = "b16", [T_B32] = "b32", [T_B64] = "b64",
  [T_B128] = "b128", [T_U8] = "u8", [T_U16] = "u16", [T_U32] = "u32", [T_U64] = "u64",
  [T_S8] = "s8", [T_S16] = "s16", [T_S32] = "s32", [T_S64] = "s64", [T_F16] = "f16",
  [T_F16X2] = "f16x2", [T_BF16] = "bf16", [T_BF16X2] = "bf16x2", [T_F32] = "f32", [T_F64] = "f64",
};

static int type_from_name(const char *s, size_t n) {
  for (int i = 1; i < T_COUNT; i++)
    if (type_names[i] && strlen(type_names[i]) == n && memcmp(type_names[i], s, n) == 0) return i;
  return T_NONE;
}

static int type_size(int t) {
  switch (t) {
  case T_PRED: return 1;
  case T_B8: case T_U8: case T_S8: return 1;
  case T_B16: case T_U16: case T_S16: case T_F16: case T_BF16: return 2;
  case T_B32: case T_U32: case T_S32: case T_F32: case T_F16X2: case T_BF16X2: return 4;
  case T_B64: case T_U64: case T_S64: case T_F64: return 8;
  case T_B128: return 16;
  default: return 0;
  }
}

/* ---- module storage ---- */
static uint32_t add_string(parser *P, const char *s, size_t n) {
  ptx_module *m = P->mod;
  while (m->nstrings + n + 1 > m->capstrings) {
    uint32_t nc = m->capstrings ? m->capstrings * 2 : 4096;
    char *np = realloc(m->strings, nc);
    if (!np) fatal(P, "out of memory");
    m->strings = np;
    m->capstrings = nc;
  }
  uint32_t off = m->nstrings;
  memcpy(m->strings + off, s, n);
  m->strings[off + n] = 0;
  m->nstrings += (uint32_t)n + 1;
  return off;
}

static ptx_func *find_func(parser *P, const char *name) {
  for (uint32_t i = 0; i < P->mod->nfuncs; i++)
    if (strcmp(P->mod->funcs[i]->name, name) == 0) return P->mod->funcs[i];
  return NULL;
}

static int find_func_index(parser *P, const char *name) {
  for (uint32_t i = 0; i < P->mod->nfuncs; i++)
    if (strcmp(P->mod->funcs[i]->name, name) == 0) return (int)i;
  return -1;
}

static int find_var(parser *P, const char *name) {
  for (uint32_t i = 0; i < P->mod->nvars; i++)
    if (strcmp(P->mod->vars[i].info.name, name) == 0) return (int)i;
  return -1;
}

static fsym *find_msym(parser *P, const char *name) {
  for (uint32_t i = P->nmsyms; i-- > 0;)
    if (strcmp(P->msyms[i].name, name) == 0) return &P->msyms[i];
  return NULL;
}

/* ---- function symbols (scoped: search from the newest) ---- */
static fsym *add_fsym(parser *P, const char *name, fsym_kind kind) {
  GROW(P->syms, P->nsyms, P->capsyms);
  fsym *s = &P->syms[P->nsyms++];
  memset(s, 0, sizeof *s);
  s->name = xstrndup(P, name, strlen(name));
  s->kind = kind;
  return s;
}

static fsym *find_fsym(parser *P, const char *name) {
  for (uint32_t i = P->nsyms; i-- > 0;)
    if (strcmp(P->syms[i].name, name) == 0) return &P->syms[i];
  return NULL;
}

/* Finds a register by name: an exact declaration, or prefix + index in a %r<N> range. */
static int find_reg(parser *P, const char *name) {
  size_t n = strlen(name);
  for (uint32_t i = P->nsyms; i-- > 0;) {
    fsym *s = &P->syms[i];
    if (s->kind == FS_REG && strcmp(s->name, name) == 0) return s->base;
    if (s->kind == FS_REGRANGE) {
      size_t pl = strlen(s->name);
      if (n > pl && strncmp(name, s->name, pl) == 0) {
        const char *d = name + pl;
        int ok = 1;
        for (const char *q = d; *q; q++)
          if (*q < '0' || *q > '9') ok = 0;
        if (ok && !(d[0] == '0' && d[1])) {
          unsigned long idx = strtoul(d, NULL, 10);
          if (idx < s->count) return s->base + (int32_t)idx;
        }
      }
    }
  }
  return -1;
}

static int32_t new_regs(parser *P, uint32_t count) {
  int32_t base = (int32_t)P->fn->nregs;
  P->fn->nregs += count;
  return base;
}

static int32_t const_reg(parser *P, uint64_t value) {
  ptx_func *f = P->fn;
  for (uint32_t i = 0; i < f->ninits; i++)
    if (f->inits[i].sreg < 0 && f->inits[i].value == value) return f->inits[i].reg;
  GROW(f->inits, f->ninits, f->capinits);
  ptx_reginit *ri = &f->inits[f->ninits++];
  ri->reg = new_regs(P, 1);
  ri->sreg = -1;
  ri->value = value;
  return ri->reg;
}

static int32_t sreg_reg(parser *P, int sreg, uint64_t arg) {
  ptx_func *f = P->fn;
  for (uint32_t i = 0; i < f->ninits; i++)
    if (f->inits[i].sreg == sreg && f->inits[i].value == arg) return f->inits[i].reg;
  GROW(f->inits, f->ninits, f->capinits);
  ptx_reginit *ri = &f->inits[f->ninits++];
  ri->reg = new_regs(P, 1);
  ri->sreg = sreg;
  ri->value = arg;
  return ri->reg;
}

/* ---- special registers ---- */
static const struct { const char *name; int sreg; } sreg_table[] = {
  {"%tid.x", SR_TID_X}, {"%tid.y", SR_TID_Y}, {"%tid.z", SR_TID_Z},
  {"%ntid.x", SR_NTID_X}, {"%ntid.y", SR_NTID_Y}, {"%ntid.z", SR_NTID_Z},
  {"%ctaid.x", SR_CTAID_X}, {"%ctaid.y", SR_CTAID_Y}, {"%ctaid.z", SR_CTAID_Z},
  {"%nctaid.x", SR_NCTAID_X}, {"%nctaid.y", SR_NCTAID_Y}, {"%nctaid.z", SR_NCTAID_Z},
  {"%laneid", SR_LANEID}, {"%warpid", SR_WARPID}, {"%nwarpid", SR_NWARPID},
  {"%lanemask_eq", SR_LANEMASK_EQ}, {"%lanemask_le", SR_LANEMASK_LE},
  {"%lanemask_lt", SR_LANEMASK_LT}, {"%lanemask_ge", SR_LANEMASK_GE},
  {"%lanemask_gt", SR_LANEMASK_GT}, {"%smid", SR_SMID}, {"%nsmid", SR_NSMID},
  {"%gridid", SR_GRIDID}, {"%dynamic_smem_size", SR_DYN_SMEM},
  {"%total_smem_size", SR_TOTAL_SMEM}, {"WARP_SZ", SR_WARPSZ},
  {"%reserved_smem_offset_begin", SR_RSMEM_BEGIN}, {"%reserved_smem_offset_end", SR_RSMEM_END},
  {"%reserved_smem_offset_cap", SR_RSMEM_CAP}, {"%reserved_smem_offset_0", SR_RSMEM_0},
  {"%reserved_smem_offset_1", SR_RSMEM_1},
  {"%clock", SR_CLOCK}, {"%clock64", SR_CLOCK64}, {"%globaltimer", SR_GLOBALTIMER},
  {"%globaltimer_lo", SR_GLOBALTIMER_LO}, {"%globaltimer_hi", SR_GLOBALTIMER_HI},
  {"%clock_hi", SR_CLOCK},
  /* Thread block clusters (sm_90): launches never form clusters of more than one CTA, so a
   * cluster is its CTA, and the grid of clusters is the grid of CTAs. */
  {"%clusterid.x", SR_CTAID_X}, {"%clusterid.y", SR_CTAID_Y}, {"%clusterid.z", SR_CTAID_Z},
  {"%nclusterid.x", SR_NCTAID_X}, {"%nclusterid.y", SR_NCTAID_Y}, {"%nclusterid.z", SR_NCTAID_Z},
  {"%cluster_ctaid.x", SR_CLUSTER_CTARANK}, {"%cluster_ctaid.y", SR_CLUSTER_CTARANK},
  {"%cluster_ctaid.z", SR_CLUSTER_CTARANK}, {"%cluster_nctaid.x", SR_CLUSTER_NCTARANK},
  {"%cluster_nctaid.y", SR_CLUSTER_NCTARANK}, {"%cluster_nctaid.z", SR_CLUSTER_NCTARANK},
  {"%cluster_ctarank", SR_CLUSTER_CTARANK}, {"%cluster_nctarank", SR_CLUSTER_NCTARANK},
  {"%is_explicit_cluster", SR_CLUSTER_CTARANK},
};

static int lookup_sreg(const char *name, uint64_t *arg) {
  *arg = 0;
  for (size_t i = 0; i < sizeof sreg_table / sizeof sreg_table[0]; i++)
    if (strcmp(sreg_table[i].name, name) == 0) return sreg_table[i].sreg;
  if (strncmp(name, "%envreg", 7) == 0) {
    *arg = strtoul(name + 7, NULL, 10);
    return SR_ENVREG;
  }
  if (strncmp(name, "%pm", 3) == 0) return SR_CLOCK;   /* performance counters */
  return -1;
}

/* ---- instruction decoding ---- */
typedef struct {
  const char *name;
  int op;
} opname;

static const opname op_table[] = {
  {"add", OP_ADD}, {"sub", OP_SUB}, {"mul", OP_MUL}, {"mad", OP_MAD}, {"fma", OP_FMA},
  {"div", OP_DIV}, {"rem", OP_REM}, {"abs", OP_ABS}, {"neg", OP_NEG}, {"min", OP_MIN},
  {"max", OP_MAX}, {"addc", OP_ADDC}, {"subc", OP_SUBC}, {"madc", OP_MADC},
  {"mul24", OP_MUL24}, {"mad24", OP_MAD24}, {"sad", OP_SAD}, {"popc", OP_POPC},
  {"clz", OP_CLZ}, {"bfind", OP_BFIND}, {"brev", OP_BREV}, {"bfe", OP_BFE}, {"bfi", OP_BFI},
  {"prmt", OP_PRMT}, {"shf", OP_SHF}, {"shl", OP_SHL}, {"shr", OP_SHR}, {"and", OP_AND},
  {"or", OP_OR}, {"xor", OP_XOR}, {"not", OP_NOT}, {"cnot", OP_CNOT}, {"lop3", OP_LOP3},
  {"dp4a", OP_DP4A}, {"dp2a", OP_DP2A}, {"testp", OP_TESTP}, {"copysign", OP_COPYSIGN},
  {"rcp", OP_RCP}, {"sqrt", OP_SQRT}, {"rsqrt", OP_RSQRT}, {"sin", OP_SIN}, {"cos", OP_COS},
  {"lg2", OP_LG2}, {"ex2", OP_EX2}, {"tanh", OP_TANH}, {"setp", OP_SETP}, {"set", OP_SET},
  {"selp", OP_SELP}, {"slct", OP_SLCT}, {"mov", OP_MOV}, {"cvt", OP_CVT}, {"cvta", OP_CVTA},
  {"ld", OP_LD}, {"ldu", OP_LD}, {"st", OP_ST}, {"atom", OP_ATOM}, {"red", OP_RED},
  {"prefetch", OP_PREFETCH}, {"prefetchu", OP_PREFETCH}, {"isspacep", OP_ISSPACEP},
  {"bra", OP_BRA}, {"brx", -1}, {"call", OP_CALL}, {"ret", OP_RET}, {"exit", OP_EXIT},
  {"bar", OP_BAR}, {"barrier", OP_BAR}, {"membar", OP_MEMBAR}, {"fence", OP_MEMBAR},
  {"trap", OP_TRAP}, {"brkpt", OP_BRKPT}, {"nanosleep", OP_NANOSLEEP}, {"shfl", OP_SHFL},
  {"vote", OP_VOTE}, {"match", OP_MATCH}, {"activemask", OP_ACTIVEMASK},
  {"redux", OP_REDUX}, {"pmevent", OP_NOP}, {"discard", OP_PREFETCH},
  {"applypriority", OP_PREFETCH}, {"createpolicy", -1}, {"griddepcontrol", OP_NOP},
  {"cp", OP_CPASYNC}, {"bmsk", OP_BMSK}, {"szext", OP_SZEXT}, {"mbarrier", OP_MBAR},
  {"wmma", OP_WMMA},
  {"vadd2", OP_VSIMD}, {"vadd4", OP_VSIMD}, {"vsub2", OP_VSIMD}, {"vsub4", OP_VSIMD},
  {"vavrg2", OP_VSIMD}, {"vavrg4", OP_VSIMD}, {"vabsdiff2", OP_VSIMD}, {"vabsdiff4", OP_VSIMD},
  {"vmin2", OP_VSIMD}, {"vmin4", OP_VSIMD}, {"vmax2", OP_VSIMD}, {"vmax4", OP_VSIMD},
  {"vset2", OP_VSIMD}, {"vset4", OP_VSIMD}, {"vadd", OP_VSIMD}, {"vsub", OP_VSIMD},
  {"vabsdiff", OP_VSIMD}, {"vmin", OP_VSIMD}, {"vmax", OP_VSIMD},
  {"tex", OP_TEX}, {"tld4", OP_TLD4}, {"txq", OP_TXQ}, {"suq", OP_TXQ}, {"suld", OP_SULD}, {"sust", OP_SUST},
};

static int op_from_name(const char *s, size_t n) {
  for (size_t i = 0; i < sizeof op_table / sizeof op_table[0]; i++)
    if (strlen(op_table[i].name) == n && memcmp(op_table[i].name, s, n) == 0) return op_table[i].op;
  return -2;
}

typedef struct { const char *name; int val; } modname;

static const modname cmp_mods[] = {
  {"eq", CMP_EQ}, {"ne", CMP_NE}, {"lt", CMP_LT}, {"le", CMP_LE}, {"gt", CMP_GT},
  {"ge", CMP_GE}, {"lo", CMP_LO}, {"ls", CMP_LS}, {"hi", CMP_HI}, {"hs", CMP_HS},
  {"equ", CMP_EQU}, {"neu", CMP_NEU}, {"ltu", CMP_LTU}, {"leu", CMP_LEU}, {"gtu", CMP_GTU},
  {"geu", CMP_GEU}, {"num", CMP_NUM}, {"nan", CMP_NAN}, {NULL, 0}};
static const modname bool_mods[] = {{"and", BOOL_AND}, {"or", BOOL_OR}, {"xor", BOOL_XOR}, {NULL, 0}};
static const modname atom_mods[] = {
  {"add", ATOM_ADD}, {"min", ATOM_MIN}, {"max", ATOM_MAX}, {"and", ATOM_AND}, {"or", ATOM_OR},
  {"xor", ATOM_XOR}, {"exch", ATOM_EXCH}, {"cas", ATOM_CAS}, {"inc", ATOM_INC}, {"dec", ATOM_DEC},
  {NULL, 0}};
static const modname rnd_mods[] = {
  {"rn", RND_RN}, {"rz", RND_RZ}, {"rm", RND_RM}, {"rp", RND_RP}, {"rni", RND_RNI},
  {"rzi", RND_RZI}, {"rmi", RND_RMI}, {"rpi", RND_RPI}, {"approx", RND_APPROX},
  {"full", RND_FULL}, {NULL, 0}};
static const modname space_mods[] = {
  {"global", SP_GLOBAL}, {"shared", SP_SHARED}, {"local", SP_LOCAL}, {"const", SP_CONST},
  {"param", SP_PARAM}, {NULL, 0}};
static const modname shfl_mods[] = {{"up", SHFL_UP}, {"down", SHFL_DOWN}, {"bfly", SHFL_BFLY}, {"idx", SHFL_IDX}, {NULL, 0}};
static const modname vote_mods[] = {{"all", VOTE_ALL}, {"any", VOTE_ANY}, {"uni", VOTE_UNI}, {"ballot", VOTE_BALLOT}, {NULL, 0}};
static const modname prmt_mods[] = {{"f4e", PRMT_F4E}, {"b4e", PRMT_B4E}, {"rc8", PRMT_RC8}, {"ecl", PRMT_ECL}, {"ecr", PRMT_ECR}, {"rc16", PRMT_RC16}, {NULL, 0}};
static const modname testp_mods[] = {
  {"finite", TESTP_FINITE}, {"infinite", TESTP_INFINITE}, {"number", TESTP_NUMBER},
  {"notanumber", TESTP_NOTANUMBER}, {"normal", TESTP_NORMAL}, {"subnormal", TESTP_SUBNORMAL}, {NULL, 0}};
static const modname geom_mods[] = {
  {"1d", PTX_GEOM_1D}, {"2d", PTX_GEOM_2D}, {"3d", PTX_GEOM_3D}, {"a1d", PTX_GEOM_A1D},
  {"a2d", PTX_GEOM_A2D}, {"cube", PTX_GEOM_CUBE}, {"acube", PTX_GEOM_ACUBE}, {NULL, 0}};
static const modname surf_mods[] = {
  {"trap", PTX_SURF_TRAP}, {"clamp", PTX_SURF_CLAMP}, {"zero", PTX_SURF_ZERO}, {NULL, 0}};
static const modname txq_mods[] = {
  {"width", TXQ_WIDTH}, {"height", TXQ_HEIGHT}, {"depth", TXQ_DEPTH},
  {"channel_data_type", TXQ_CHANNEL_TYPE}, {"channel_order", TXQ_CHANNEL_ORDER},
  {"normalized_coords", TXQ_NORMALIZED}, {"filter_mode", TXQ_FILTER}, {"addr_mode_0", TXQ_ADDR0},
  {"addr_mode_1", TXQ_ADDR1}, {"addr_mode_2", TXQ_ADDR2}, {"array_size", TXQ_ARRAY_SIZE},
  {"num_mipmap_levels", TXQ_MIPMAPS}, {"num_samples", TXQ_SAMPLES}, {NULL, 0}};
static const modname mbar_mods[] = {
  {"init", MBAR_INIT}, {"arrive", MBAR_ARRIVE}, {"arrive_drop", MBAR_ARRIVE_DROP},
  {"test_wait", MBAR_TEST_WAIT}, {"try_wait", MBAR_TEST_WAIT}, {"pending_count", MBAR_PENDING_COUNT},
  {"inval", MBAR_INVAL}, {"expect_tx", MBAR_EXPECT_TX}, {"complete_tx", MBAR_COMPLETE_TX}, {NULL, 0}};
/* wmma shapes: value = index into the engine's shape table (ptx_ops.inc, op_wmma) */
static const modname wmma_shapes[] = {{"m16n16k16", 0}, {"m32n8k16", 1}, {"m8n32k16", 2}, {"m16n16k8", 3}, {"m8n8k4", 4}, {NULL, 0}};
static const modname barred_mods[] = {{"popc", BARRED_POPC}, {"and", BARRED_AND}, {"or", BARRED_OR}, {NULL, 0}};

/* Modifiers that change nothing for us (memory ordering, scopes, cache hints...). */
static const char *const ignored_mods[] = {
  "volatile", "relaxed", "acquire", "release", "acq_rel", "sc", "weak", "mmio", "sys", "gpu",
  "cta", "cluster", "ca", "cg", "cs", "lu", "cv", "wb", "wt", "nc", "uni", "aligned", "sync",
  "noftz", "L1", "L2", "to", "sp", "nan", "xorsign", "abs", "cc", "hint", "level", "async",
  "proxy", "alias", "b", "noinc", "gl", NULL};

static int find_mod(const modname *t, const char *s, size_t n) {
  for (; t->name; t++)
    if (strlen(t->name) == n && memcmp(t->name, s, n) == 0) return t->val;
  return -1;
}

static int is_ignored_mod(const char *s, size_t n) {
  if (n >= 2 && (memcmp(s, "L1", 2) == 0 || memcmp(s, "L2", 2) == 0)) return 1;
  for (int i = 0; ignored_mods[i]; i++)
    if (strlen(ignored_mods[i]) == n && memcmp(ignored_mods[i], s, n) == 0) return 1;
  return 0;
}


/* ---- video instructions (vadd4, vabsdiff2, vset4, ... and scalar vadd, vabsdiff, ...) ----
 * SIMD: vop.dtype.atype.btype{.sat|.add} d{.mask}, a{.asel}, b{.bsel}, c;  vset.atype.btype.cmp{.add}.
 * Scalar (vec 1): vop.dtype.atype.btype{.sat}{.add|.min|.max} d{.dsel}, a{.asel}, b{.bsel}{, c}.
 * The lane selectors, mask and signedness live in o[4].imm (VSEL_* in ptx_internal.h); for
 * the scalar forms a selector is VSCAL_* (whole word, one byte or one half) and bop the
 * secondary operation. vset, vshl, vshr and vmad have no scalar implementation. */
static const modname video_ops[] = {
  {"vadd", VID_ADD}, {"vsub", VID_SUB}, {"vavrg", VID_AVRG}, {"vabsdiff", VID_ABSDIFF},
  {"vmin", VID_MIN}, {"vmax", VID_MAX}, {"vset", VID_SET}, {NULL, 0}};

/* Sets what the opcode name says (operation, 2 or 4 lanes) and the defaults: a selects its
 * own bytes / halves (.b3210, .h10), b its own (.b7654, .h32), every lane in the mask. */
static void video_init(ptx_insn *in, const char *name, size_t n) {
  in->t = T_U32;
  if (name[n - 1] != '2' && name[n - 1] != '4') {   /* scalar: whole words, no merge */
    in->vec = 1;
    in->sub = (uint8_t)find_mod(video_ops, name, n);
    in->o[4].imm = 0;
    return;
  }
  in->vec = (uint8_t)(name[n - 1] - '0');
  in->sub = (uint8_t)find_mod(video_ops, name, n - 1);
  uint32_t asel = 0, bsel = 0;
  for (uint32_t i = 0; i < in->vec; i++) {
    asel |= i << (3 * i);
    bsel |= (i + in->vec) << (3 * i);
  }
  in->o[4].imm = asel | bsel << 12 | ((1u << in->vec) - 1) << 24;
}

static int video_mod(ptx_insn *in, const char *s, size_t n, int *ntypes) {
  int v = type_from_name(s, n);
  if (v == T_U32 || v == T_S32) {
    /* vop: d, a, b types; vset: a, b types (its result is unsigned) */
    static const uint32_t vop_bits[3] = {VSEL_DSIGNED, VSEL_ASIGNED, VSEL_BSIGNED};
    int k = (*ntypes)++ + (in->sub == VID_SET);
    if (k > 2) return 0;
    if (v == T_S32) in->o[4].imm |= vop_bits[k];
    return 1;
  }
  if (n == 3 && memcmp(s, "add", 3) == 0) { in->flags |= F_VACC; return 1; }
  if (in->vec == 1 && n == 3 && memcmp(s, "min", 3) == 0) { in->bop = VOP2_MIN; return 1; }
  if (in->vec == 1 && n == 3 && memcmp(s, "max", 3) == 0) { in->bop = VOP2_MAX; return 1; }
  if (n == 3 && memcmp(s, "sat", 3) == 0 && in->sub != VID_SET) { in->flags |= F_SAT; return 1; }
  if (in->sub == VID_SET && (v = find_mod(cmp_mods, s, n)) >= 0 && v <= CMP_GE) { in->bop = (uint8_t)v; return 1; }
  return 0;
}

/* A register operand's ".b3210"-style suffix: the mask of d (lanes named) or the selector of
 * a / b (digits name the source byte or half of lanes high to low). */
static void video_suffix(parser *P, ptx_insn *in, int idx, const char *sfx) {
  size_t n = strlen(sfx);
  if (in->vec == 1) {   /* scalar: .b0-.b3 or .h0-.h1 on d (merge), a or b */
    uint32_t code = n == 2 && sfx[0] == 'b' && sfx[1] >= '0' && sfx[1] <= '3' ? VSCAL_B0 + (uint32_t)(sfx[1] - '0')
                  : n == 2 && sfx[0] == 'h' && (sfx[1] == '0' || sfx[1] == '1') ? VSCAL_H0 + (uint32_t)(sfx[1] - '0') : 0;
    if (!code || idx > 2) fatal(P, "bad video operand selector '.%s'", sfx);
    int shift = idx == 0 ? 24 : idx == 1 ? 0 : 12;
    uint64_t *imm = (uint64_t *)&in->o[4].imm;
    *imm = (*imm & ~(0xfull << shift)) | (uint64_t)code << shift;
    return;
  }
  int lanes = in->vec;
  if (n < 2 || sfx[0] != (lanes == 4 ? 'b' : 'h') || (idx != 0 && n != (size_t)lanes + 1) || idx > 2)
    fatal(P, "bad video operand selector '.%s'", sfx);
  uint32_t field = 0;
  for (size_t i = 1; i < n; i++) {
    uint32_t d = (uint32_t)(sfx[i] - '0');
    if (d >= (idx == 0 ? (uint32_t)lanes : 2u * lanes)) fatal(P, "bad video operand selector '.%s'", sfx);
    if (idx == 0) field |= 1u << d;
    else field |= d << (3 * (n - 1 - i));
  }
  uint64_t *imm = (uint64_t *)&in->o[4].imm;
  if (idx == 0) *imm = (*imm & ~(0xfull << 24)) | (uint64_t)field << 24;
  else if (idx == 1) *imm = (*imm & ~0xfffull) | field;
  else *imm = (*imm & ~(0xfffull << 12)) | (uint64_t)field << 12;
}

/* Applies one ".mod" of an opcode; returns 0 if the modifier is unknown. */
/* Modifiers of cp.async.bulk (non-tensor): the state spaces (dst first), the mbarrier completion,
 * bulk-group completion, cache hints; bulk-group commit/wait and prefetch are no-ops here.
 * Multicast (to several CTAs of a cluster) is refused: clusters are one CTA here. */
static int cpasync_bulk_mod(ptx_insn *in, const char *s, size_t n) {
  int global = n == 6 && memcmp(s, "global", 6) == 0;
  int shared = (n == 6 && memcmp(s, "shared", 6) == 0) || (n == 15 && memcmp(s, "shared::cluster", 15) == 0) ||
               (n == 11 && memcmp(s, "shared::cta", 11) == 0);
  if (global || shared) {
    if (!(in->bop & CPA_SPACE_SEEN) && global) in->bop |= CPA_TO_GLOBAL;
    in->bop |= CPA_SPACE_SEEN;
    return 1;
  }
  if (n == 28 && memcmp(s, "mbarrier::complete_tx::bytes", 28) == 0) { in->bop |= CPA_MBAR; return 1; }
  if (n == 10 && memcmp(s, "bulk_group", 10) == 0) return 1;
  if ((n == 12 && memcmp(s, "commit_group", 12) == 0) || (n == 10 && memcmp(s, "wait_group", 10) == 0) ||
      (n == 8 && memcmp(s, "prefetch", 8) == 0)) {
    in->bop |= CPA_NOP;
    return 1;
  }
  if ((n == 4 && memcmp(s, "read", 4) == 0) || (n == 2 && memcmp(s, "L2", 2) == 0)) return 1;
  return 0;
}

static int apply_mod(parser *P, ptx_insn *in, const char *s, size_t n, int *ntypes) {
  int v;
  (void)P;
  /* wmma.mma.<layouts>.<shape>.f32.bf16.bf16.f32: the A/B type is not the d/c type */
  if (in->op == OP_WMMA && in->sub == WMMA_MMA &&
      ((n == 4 && memcmp(s, "bf16", 4) == 0) || (n == 2 && (memcmp(s, "s8", 2) == 0 || memcmp(s, "u8", 2) == 0)))) {
    in->vec = (uint8_t)type_from_name(s, n);   /* the A/B type; in->t, in->t2 are D and C */
    return 1;
  }
  if (in->op == OP_WMMA && n == 9 && memcmp(s, "satfinite", 9) == 0) {
    in->flags |= F_SAT;
    return 1;
  }
  /* .tf32 (wmma only): f32 registers whose low 13 mantissa bits the multiply ignores */
  if (in->op == OP_WMMA && n == 4 && memcmp(s, "tf32", 4) == 0) {
    in->flags |= F_WMMA_TF32;
    if (in->sub != WMMA_MMA && (*ntypes)++ == 0) in->t = T_F32;
    return 1;
  }
  if (in->op == OP_VSIMD) return video_mod(in, s, n, ntypes);
  if ((v = type_from_name(s, n)) != T_NONE) {
    if ((*ntypes)++ == 0) in->t = (uint8_t)v;
    else in->t2 = (uint8_t)v;
    return 1;
  }
  if (n == 2 && s[0] == 'v' && (s[1] == '2' || s[1] == '4' || s[1] == '8')) {
    in->vec = (uint8_t)(s[1] - '0');
    return 1;
  }
  switch (in->op) {
  case OP_SETP: case OP_SET:
    if ((v = find_mod(cmp_mods, s, n)) >= 0) { in->sub = (uint8_t)v; return 1; }
    if ((v = find_mod(bool_mods, s, n)) >= 0) { in->bop = (uint8_t)v; return 1; }
    break;
  case OP_ATOM: case OP_RED:
    if ((v = find_mod(atom_mods, s, n)) >= 0) { in->sub = (uint8_t)v; return 1; }
    break;
  case OP_REDUX:
    if ((v = find_mod(atom_mods, s, n)) >= 0) { in->sub = (uint8_t)v; return 1; }
    break;
  case OP_SHFL:
    if ((v = find_mod(shfl_mods, s, n)) >= 0) { in->sub = (uint8_t)v; return 1; }
    break;
  case OP_VOTE:
    if ((v = find_mod(vote_mods, s, n)) >= 0) { in->sub = (uint8_t)v; return 1; }
    break;
  case OP_MATCH:
    if (n == 3 && memcmp(s, "any", 3) == 0) { in->sub = MATCH_ANY; return 1; }
    if (n == 3 && memcmp(s, "all", 3) == 0) { in->sub = MATCH_ALL; return 1; }
    break;
  case OP_PRMT:
    if ((v = find_mod(prmt_mods, s, n)) >= 0) { in->sub = (uint8_t)v; return 1; }
    break;
  case OP_TESTP:
    if ((v = find_mod(testp_mods, s, n)) >= 0) { in->sub = (uint8_t)v; return 1; }
    break;
  case OP_SHF: case OP_BMSK: case OP_SZEXT:
    if (in->op == OP_SHF && n == 1 && s[0] == 'l') { in->flags |= F_LEFT; return 1; }
    if (n == 1 && s[0] == 'r') return 1;
    if (n == 5 && memcmp(s, "clamp", 5) == 0) { in->flags |= F_CLAMP; return 1; }
    if (n == 4 && memcmp(s, "wrap", 4) == 0) return 1;
    break;
  case OP_BFIND:
    if (n == 8 && memcmp(s, "shiftamt", 8) == 0) { in->flags |= F_SHIFTAMT; return 1; }
    break;
  case OP_BAR:
    if ((v = find_mod(barred_mods, s, n)) >= 0) { in->sub = (uint8_t)v; return 1; }
    if (n == 3 && memcmp(s, "red", 3) == 0) { in->op = OP_BAR_RED; return 1; }
    if (n == 6 && memcmp(s, "arrive", 6) == 0) { in->op = OP_BAR_ARRIVE; return 1; }
    if (n == 4 && memcmp(s, "sync", 4) == 0) return 1;
    /* barrier.cluster.wait: a cluster is one CTA here (see the cluster special registers), so
     * it is a CTA barrier, and barrier.cluster.arrive (OP_BAR_ARRIVE) has nothing to do */
    if (n == 4 && memcmp(s, "wait", 4) == 0) return 1;
    /* bar.warp.sync: lanes of a warp run in pc order here, so it waits only for members a
     * spinning group let run ahead of (op_warpsync) */
    if (n == 4 && memcmp(s, "warp", 4) == 0) { in->op = OP_WARPSYNC; return 1; }
    break;
  case OP_BAR_RED:
    if ((v = find_mod(barred_mods, s, n)) >= 0) { in->sub = (uint8_t)v; return 1; }
    break;
  case OP_CPASYNC:
    /* cp.async.{ca,cg}.shared.global [dst], [src], size{, src-size}: a copy done at once;
     * commit_group / wait_group / wait_all then have nothing to wait for */
    if (n == 5 && memcmp(s, "async", 5) == 0) return 1;
    if (n == 4 && memcmp(s, "bulk", 4) == 0) { in->bop |= CPA_BULK; return 1; }
    if (in->bop & CPA_BULK) return cpasync_bulk_mod(in, s, n);
    if ((n == 12 && memcmp(s, "commit_group", 12) == 0) || (n == 10 && memcmp(s, "wait_group", 10) == 0) ||
        (n == 8 && memcmp(s, "wait_all", 8) == 0)) {
      in->op = OP_NOP;
      return 1;
    }
    if ((n == 6 && memcmp(s, "shared", 6) == 0) || (n == 6 && memcmp(s, "global", 6) == 0)) return 1;
    /* cp.async.mbarrier.arrive{.noinc}.shared.b64 [mbar] */
    if (n == 8 && memcmp(s, "mbarrier", 8) == 0) {
      in->op = OP_MBAR;
      in->sub = MBAR_CP_ARRIVE;
      return 1;
    }
    break;
  case OP_WMMA:
    if (n == 4 && memcmp(s, "load", 4) == 0) { in->sub = WMMA_LOAD; return 1; }
    if (n == 5 && memcmp(s, "store", 5) == 0) { in->sub = WMMA_STORE_D; return 1; }
    if (n == 3 && memcmp(s, "mma", 3) == 0) { in->sub = WMMA_MMA; return 1; }
    if (n == 1 && in->sub == WMMA_LOAD && s[0] >= 'a' && s[0] <= 'c') { in->sub = (uint8_t)(WMMA_LOAD_A + (s[0] - 'a')); return 1; }
    if (n == 1 && in->sub == WMMA_STORE_D && s[0] == 'd') return 1;
    if (n == 3 && (memcmp(s, "row", 3) == 0 || memcmp(s, "col", 3) == 0)) {
      if (in->sub != WMMA_MMA && s[0] == 'c') in->flags |= F_COLMAJOR;   /* mma: fragments are layout-free here */
      return 1;
    }
    if ((v = find_mod(wmma_shapes, s, n)) >= 0) { in->bop = (uint8_t)v; return 1; }
    break;
  case OP_MBAR:
    if (in->sub == MBAR_CP_ARRIVE) {
      if (n == 6 && memcmp(s, "arrive", 6) == 0) return 1;
      if (n == 5 && memcmp(s, "noinc", 5) == 0) { in->bop = 1; return 1; }
      break;
    }
    if (n == 6 && memcmp(s, "parity", 6) == 0) { in->bop = 1; return 1; }
    if ((v = find_mod(mbar_mods, s, n)) >= 0) {
      /* mbarrier.arrive.expect_tx and arrive_drop.expect_tx: an arrival that first raises the tx-count */
      if (v == MBAR_EXPECT_TX && (in->sub == MBAR_ARRIVE || in->sub == MBAR_ARRIVE_DROP)) in->sub = MBAR_ARRIVE_EXPECT_TX;
      else in->sub = (uint8_t)v;
      return 1;
    }
    break;
  case OP_TEX:
    /* tex.level / tex.grad sample mip level 0: arrays here have one level */
    if ((v = find_mod(geom_mods, s, n)) >= 0) { in->sub = (uint8_t)v; return 1; }
    if ((n == 5 && memcmp(s, "level", 5) == 0) || (n == 4 && memcmp(s, "grad", 4) == 0) ||
        (n == 4 && memcmp(s, "base", 4) == 0)) return 1;
    break;
  case OP_TLD4:
    if ((v = find_mod(geom_mods, s, n)) >= 0) { in->sub = (uint8_t)v; return 1; }
    if (n == 1 && (v = (int)(strchr("rgba", s[0]) ? strchr("rgba", s[0]) - "rgba" : -1)) >= 0) {
      in->bop = (uint8_t)v;
      return 1;
    }
    break;
  case OP_SULD: case OP_SUST:
    if ((v = find_mod(geom_mods, s, n)) >= 0 && v <= PTX_GEOM_A2D) { in->sub = (uint8_t)v; return 1; }
    if ((v = find_mod(surf_mods, s, n)) >= 0) { in->bop = (uint8_t)v; return 1; }
    if (n == 1 && s[0] == 'b') return 1;
    return 0;   /* sust.p (formatted stores) and the rest */
  case OP_TXQ:
    if ((v = find_mod(txq_mods, s, n)) >= 0) { in->sub = (uint8_t)v; return 1; }
    if (n == 5 && memcmp(s, "level", 5) == 0) return 1;
    break;
  case OP_ISSPACEP: case OP_CVTA:
    if ((v = find_mod(space_mods, s, n)) >= 0) { in->space = (uint8_t)v; return 1; }
    if (n == 2 && memcmp(s, "to", 2) == 0) { in->flags |= F_NOTDEST; return 1; }
    break;
  default:
    break;
  }
  if ((v = find_mod(space_mods, s, n)) >= 0) { in->space = (uint8_t)v; return 1; }
  if ((v = find_mod(rnd_mods, s, n)) >= 0) { in->rnd = (uint8_t)v; return 1; }
  if (n == 3 && memcmp(s, "ftz", 3) == 0) { in->flags |= F_FTZ; return 1; }
  if (n == 3 && memcmp(s, "sat", 3) == 0) { in->flags |= F_SAT; return 1; }
  if (n == 4 && memcmp(s, "satf", 4) == 0) { in->flags |= F_SAT; return 1; }
  if (n == 4 && memcmp(s, "relu", 4) == 0) { in->flags |= F_RELU; return 1; }
  if (n == 2 && memcmp(s, "hi", 2) == 0) { in->flags |= F_HI; return 1; }
  if (n == 2 && memcmp(s, "lo", 2) == 0) { in->flags |= F_LO; return 1; }
  if (n == 4 && memcmp(s, "wide", 4) == 0) { in->flags |= F_WIDE; return 1; }
  if (n == 2 && memcmp(s, "cc", 2) == 0) { in->flags |= F_CC; return 1; }
  if (n == 3 && memcmp(s, "uni", 3) == 0) { in->uni = 1; return 1; }
  if (n == 5 && memcmp(s, "shift", 5) == 0) return 1;
  if (is_ignored_mod(s, n)) return 1;
  return 0;
}

/* Which type an immediate source operand of this instruction has (for float literals). */
static int source_type(const ptx_insn *in, int idx) {
  switch (in->op) {
  case OP_CVT: return idx == 0 ? in->t : in->t2;
  case OP_SET: return idx == 0 ? in->t : in->t2;
  case OP_SLCT: return idx == 3 ? in->t2 : in->t;
  case OP_SHL: case OP_SHR: case OP_SHF: return idx == 2 || (in->op == OP_SHF && idx == 3) ? T_U32 : in->t;
  case OP_BFE: case OP_BFI: return T_U32;
  default: return in->t;
  }
}

static uint64_t imm_bits(const ptx_token *t, int neg, int type) {
  if (t->kind == TK_INT) {
    int64_t v = (int64_t)t->ival;
    if (neg) v = (int64_t)(0 - (uint64_t)v);
    if (type == T_F32) return ptx_f32_bits((float)v);
    if (type == T_F64) return ptx_f64_bits((double)v);
    return (uint64_t)v;
  }
  double d = neg ? -t->fval : t->fval;
  if (type == T_F32 || type == T_F16X2 || type == T_B32 || (t->fbits == 32 && type != T_F64)) {
    if (t->fbits == 32 && !neg && type != T_F64) return t->ival & 0xffffffffu;
    return ptx_f32_bits((float)d);
  }
  if (type == T_F16) return ptx_float_to_half((float)d, RND_RN);
  if (type == T_BF16) return ptx_float_to_bf16((float)d, RND_RN);
  return ptx_f64_bits(d);
}

/* Resolves a symbol name used in an address or as a value. */
static void resolve_symbol(parser *P, const char *name, ptx_operand *o) {
  fsym *s = P->fn ? find_fsym(P, name) : NULL;
  if (s && (s->kind == FS_PARAM || s->kind == FS_LOCAL || s->kind == FS_SHARED)) {
    o->symkind = (uint8_t)s->symkind;
    o->sym = -1;
    o->imm += s->base;
    return;
  }
  fsym *ms = find_msym(P, name);
  if (ms) {
    o->symkind = (uint8_t)ms->symkind;
    o->sym = -1;
    o->imm += ms->base;
    return;
  }
  int v = find_var(P, name);
  if (v >= 0) {
    o->symkind = SYM_GLOBAL;
    o->sym = v;
    return;
  }
  fatal(P, "unknown symbol '%s'", name);
}

static void add_label_fixup(parser *P, const char *name, uint32_t opnd) {
  GROW(P->lfix, P->nlfix, P->caplfix);
  label_fixup *f = &P->lfix[P->nlfix++];
  f->name = xstrndup(P, name, strlen(name));
  f->insn = P->fn->ncode;
  f->opnd = opnd;
  f->line = tok(P)->line;
}

/* Parses [base + offset] */
static void parse_address(parser *P, ptx_operand *o) {
  expect_punct(P, '[');
  o->kind = OK_ADDR;
  o->reg = -1;
  o->sym = -1;
  o->symkind = 0xff;
  o->imm = 0;
  int first = 1;
  while (!is_punct(P, ']')) {
    int neg = 0;
    if (!first) {
      if (accept_punct(P, '+')) {
        if (accept_punct(P, '-')) neg = 1;
      } else if (accept_punct(P, '-')) {
        neg = 1;
      } else {
        fatal(P, "bad address expression");
      }
    }
    first = 0;
    if (tok(P)->kind == TK_INT) {
      int64_t v = (int64_t)tok(P)->ival;
      o->imm = (int64_t)((uint64_t)o->imm + (neg ? 0 - (uint64_t)v : (uint64_t)v));
      next(P);
    } else if (tok(P)->kind == TK_IDENT) {
      char *name = take_ident(P);
      int r = find_reg(P, name);
      if (r >= 0 && o->reg < 0) {
        o->reg = r;
      } else if (name[0] == '%') {
        uint64_t arg;
        int sr = lookup_sreg(name, &arg);
        drop(P, name);
        if (sr >= 0) fatal(P, "special register in address");
        fatal(P, "unknown register in address");
      } else {
        resolve_symbol(P, name, o);
      }
      drop(P, name);
    } else {
      fatal(P, "bad address");
    }
  }
  next(P);
}

static void add_elem(parser *P, int32_t v, uint32_t size) {
  ptx_func *f = P->fn;
  GROW(f->elems, f->nelems, f->capelems);
  f->elems[f->nelems].v = v;
  f->elems[f->nelems].size = size;
  f->nelems++;
}

/* Whether operand idx of a call follows a callee held in a register (call through a pointer). */
static int indirect_call(const ptx_insn *in, int idx) {
  for (int i = 0; i < idx; i++)
    if (in->o[i].kind == OK_REG) return 1;
  return 0;
}

/* Parses one operand. idx is its position (for typing immediates). */
static void parse_operand(parser *P, ptx_insn *in, ptx_operand *o, int idx) {
  memset(o, 0, sizeof *o);
  o->reg = -1;
  o->sym = -1;
  if (is_punct(P, '[')) {
    parse_address(P, o);
    return;
  }
  if (is_punct(P, '{')) {
    next(P);
    o->kind = OK_VEC;
    o->list = P->fn->nelems;
    while (!is_punct(P, '}')) {
      if (o->n >= PTX_MAXVEC) fatal(P, "vector too long");
      int32_t r;
      if (is_word(P, "_")) {
        next(P);
        r = -1;
      } else if (tok(P)->kind == TK_IDENT) {
        char *name = take_ident(P);
        r = find_reg(P, name);
        if (r < 0) fatal(P, "unknown register '%s'", name);
        drop(P, name);
      } else {
        int neg = accept_punct(P, '-');
        if (tok(P)->kind != TK_INT && tok(P)->kind != TK_FLOAT) fatal(P, "bad vector element");
        r = const_reg(P, imm_bits(tok(P), neg, in->t));
        next(P);
      }
      add_elem(P, r, 0);
      o->n++;
      if (!accept_punct(P, ',')) break;
    }
    expect_punct(P, '}');
    return;
  }
  if (is_punct(P, '(')) {
    /* call argument list */
    next(P);
    o->kind = OK_LIST;
    o->list = P->fn->nelems;
    while (!is_punct(P, ')')) {
      char *name = take_ident(P);
      fsym *s = find_fsym(P, name);
      if (!s || s->kind != FS_PARAM) {
        /* an argument may also be a register or immediate in hand-written PTX: unsupported */
        fatal(P, "call argument '%s' is not a .param", name);
      }
      drop(P, name);
      if (o->n >= 64) fatal(P, "too many call arguments");
      add_elem(P, s->base, s->size);
      o->n++;
      if (!accept_punct(P, ',')) break;
    }
    expect_punct(P, ')');
    return;
  }
  if (is_punct(P, '!')) {
    next(P);
    o->neg = 1;
  }
  int neg = 0;
  if (is_punct(P, '-')) {
    next(P);
    neg = 1;
  }
  if (tok(P)->kind == TK_INT || tok(P)->kind == TK_FLOAT) {
    o->kind = OK_REG;
    o->reg = const_reg(P, imm_bits(tok(P), neg, source_type(in, idx)));
    next(P);
    return;
  }
  if (tok(P)->kind != TK_IDENT) fatal(P, "bad operand");
  char *name = take_ident(P);
  char *sel = in->op == OP_VSIMD ? strchr(name, '.') : NULL;
  if (sel) {
    *sel = 0;
    video_suffix(P, in, idx, sel + 1);
  }
  int r0 = in->op == OP_BRA ? -1 : find_reg(P, name);
  int fi = in->op == OP_BRA || in->op == OP_CALL ? -1 : find_func_index(P, name);
  if (strcmp(name, "_") == 0 || (in->op == OP_CALL && indirect_call(in, idx))) {
    o->kind = OK_SINK;   /* the prototype / .calltargets of a call through a register */
  } else if (r0 >= 0) {
    o->kind = OK_REG;
    o->reg = r0;
  } else if (name[0] == '%' || strcmp(name, "WARP_SZ") == 0) {
    {
      uint64_t arg;
      int sr = lookup_sreg(name, &arg);
      if (sr < 0) fatal(P, "unknown register '%s'", name);
      if (sr < SR_STATIC_COUNT) {
        o->kind = OK_REG;
        o->reg = sreg_reg(P, sr, arg);
      } else {
        o->kind = OK_SREG;
        o->imm = sr;
      }
    }
  } else if (in->op == OP_BRA) {
    o->kind = OK_LABEL;
    add_label_fixup(P, name, (uint32_t)idx);
  } else if (in->op == OP_CALL) {
    o->kind = OK_FUNC;
    GROW(P->cfix, P->ncfix, P->capcfix);
    call_fixup *cf = &P->cfix[P->ncfix++];
    cf->func = (uint32_t)find_func_index(P, P->fn->name);
    cf->insn = P->fn->ncode;
    cf->opnd = (uint32_t)idx;
    cf->name = xstrndup(P, name, strlen(name));
    cf->line = tok(P)->line;
  } else if (fi >= 0 && !find_fsym(P, name) && find_var(P, name) < 0) {
    o->kind = OK_REG;   /* a function's address: its tagged index */
    o->reg = const_reg(P, PTX_FUNC_TAG | (uint64_t)fi);
  } else {
    o->kind = OK_SYM;
    o->imm = 0;
    resolve_symbol(P, name, o);
    if (accept_punct(P, '+')) o->imm += take_int(P);
  }
  drop(P, name);
  if (neg && o->kind != OK_REG) fatal(P, "negated operand");
}

/* [handle, {coordinates}] of tex/suld/sust, or [handle] of txq/suq: the handle (a .u64
 * texture or surface object) becomes operand idx, the coordinate vector idx+1. */
static int parse_tex_address(parser *P, ptx_insn *in, int idx) {
  next(P);
  if (tok(P)->kind != TK_IDENT) fatal(P, "bad texture operand");
  parse_operand(P, in, &in->o[idx], idx);
  if (in->o[idx].kind != OK_REG) fatal(P, "texture references are not supported (use texture objects)");
  idx++;
  if (accept_punct(P, ',')) {
    if (idx >= 5 || !is_punct(P, '{')) fatal(P, "bad texture coordinates");
    parse_operand(P, in, &in->o[idx], idx);
    idx++;
  }
  expect_punct(P, ']');
  return idx;
}

static ptx_insn *new_insn(parser *P) {
  ptx_func *f = P->fn;
  GROW(f->code, f->ncode, f->capcode);
  ptx_insn *in = &f->code[f->ncode];
  memset(in, 0, sizeof *in);
  in->guard = -1;
  in->vec = 1;
  return in;
}

static void parse_instruction(parser *P) {
  ptx_insn tmp;
  ptx_insn *in = &tmp;
  memset(in, 0, sizeof *in);
  in->guard = -1;
  in->vec = 1;
  in->line = tok(P)->line;
  if (is_punct(P, '@')) {
    next(P);
    int neg = accept_punct(P, '!');
    char *name = take_ident(P);
    int r = find_reg(P, name);
    if (r < 0) fatal(P, "unknown predicate '%s'", name);
    drop(P, name);
    in->guard = r;
    in->guard_neg = (uint8_t)neg;
  }
  if (tok(P)->kind != TK_IDENT) fatal(P, "expected an instruction");
  const char *s = tok(P)->s;
  size_t len = tok(P)->len;
  in->name = add_string(P, s, len);
  const char *dot = memchr(s, '.', len);
  size_t blen = dot ? (size_t)(dot - s) : len;
  int op = op_from_name(s, blen);
  if (op == -2) fatal(P, "unsupported instruction '%.*s'", (int)blen, s);
  if (op == -1) fatal(P, "unsupported instruction '%.*s'", (int)len, s);
  in->op = (uint16_t)op;
  if (op == OP_VSIMD) video_init(in, s, blen);
  int ntypes = 0;
  const char *q = dot;
  while (q && q < s + len) {
    const char *m = q + 1;
    const char *e = memchr(m, '.', (size_t)(s + len - m));
    size_t mlen = e ? (size_t)(e - m) : (size_t)(s + len - m);
    /* L2::cache_hint, L1::no_allocate, v8::...: hints; shared::cta etc.: the base space */
    const char *cc = memchr(m, ':', mlen);
    if (cc && in->op == OP_CPASYNC && (in->bop & CPA_BULK) && m[0] != 'L') {   /* shared::cluster, mbarrier::... */
      if (!apply_mod(P, in, m, mlen, &ntypes))
        fatal(P, "unsupported instruction modifier '.%.*s' in '%.*s'", (int)mlen, m, (int)len, s);
      q = e;
      continue;
    }
    if (cc) {
      if (mlen >= 2 && (m[0] == 'L' || m[0] == 'v')) {
        q = e;
        continue;
      }
      if (!((cc - m == 6 && memcmp(m, "shared", 6) == 0) && mlen == 11 && memcmp(cc, "::cta", 5) == 0))
        fatal(P, "unsupported instruction modifier '.%.*s' in '%.*s'", (int)mlen, m, (int)len, s);
      mlen = (size_t)(cc - m);
    }
    if (!apply_mod(P, in, m, mlen, &ntypes)) fatal(P, "unsupported instruction modifier '.%.*s' in '%.*s'", (int)mlen, m, (int)len, s);
    q = e;
  }
  if ((in->op == OP_SETP || in->op == OP_SET) && (in->t == T_F16X2 || in->t == T_BF16X2 || in->t2 == T_F16X2 || in->t2 == T_BF16X2))
    fatal(P, "unsupported instruction '%.*s' (packed half comparisons)", (int)len, s);
  if (in->op != OP_NOP && in->op != OP_WARPSYNC && in->op != OP_BRA && in->op != OP_CALL && in->op != OP_RET && in->op != OP_EXIT &&
      in->op != OP_BAR && in->op != OP_BAR_RED && in->op != OP_BAR_ARRIVE && in->op != OP_MEMBAR && in->op != OP_TRAP &&
      in->op != OP_BRKPT && in->op != OP_NANOSLEEP && in->op != OP_PREFETCH && in->op != OP_CPASYNC &&
      in->op != OP_ISSPACEP && in->t == T_NONE)
    fatal(P, "instruction '%.*s' has no type", (int)len, s);
  next(P);
  /* operands */
  int idx = 0;
  while (!is_punct(P, ';')) {
    if (idx >= 5) fatal(P, "too many operands");
    if (in->op >= OP_TEX && in->op <= OP_SUST && is_punct(P, '[')) {
      idx = parse_tex_address(P, in, idx);
      if (!accept_punct(P, ',')) break;
      continue;
    }
    parse_operand(P, in, &in->o[idx], idx);
    if (idx == 0 && is_punct(P, '|')) {
      next(P);
      parse_operand(P, in, &in->o[5], 5);
    }
    idx++;
    if (!accept_punct(P, ',')) break;
  }
  in->nops = (uint8_t)idx;
  expect_punct(P, ';');
  if (in->op == OP_NOP) return;
  ptx_insn *dst = new_insn(P);
  *dst = tmp;
  P->fn->ncode++;
}

/* ---- declarations ---- */
static uint32_t align_up(uint32_t v, uint32_t a) { return a ? (v + a - 1) / a * a : v; }

/* .reg .type name[<N>], name2; */
static void parse_reg_decl(parser *P) {
  next(P);
  int type = T_NONE;
  while (tok(P)->kind == TK_IDENT && tok(P)->s[0] == '.') {
    int t = type_from_name(tok(P)->s + 1, tok(P)->len - 1);
    if (t != T_NONE) type = t;
    next(P);
  }
  do {
    char *name = take_ident(P);
    if (accept_punct(P, '<')) {
      int64_t n = take_int(P);
      expect_punct(P, '>');
      if (n < 0 || n > 1000000) fatal(P, "bad register count");
      fsym *s = add_fsym(P, name, FS_REGRANGE);
      s->base = new_regs(P, (uint32_t)n);
      s->count = (uint32_t)n;
      s->type = type;
    } else {
      fsym *s = add_fsym(P, name, FS_REG);
      s->base = new_regs(P, 1);
      s->type = type;
    }
    drop(P, name);
  } while (accept_punct(P, ','));
  expect_punct(P, ';');
}

/* Parses ".align N .type name[N]" etc. Fills align, elem size, count (0 if [] ), name. */
typedef struct {
  uint32_t align, elem, count;
  int type;
  int unsized;
  int has_array;
  char *name;
  int ptr;
} var_decl;

static void parse_var_head(parser *P, var_decl *d) {
  memset(d, 0, sizeof *d);
  while (tok(P)->kind == TK_IDENT && tok(P)->s[0] == '.') {
    if (is_word(P, ".align")) {
      next(P);
      d->align = (uint32_t)take_int(P);
      continue;
    }
    if (is_word(P, ".ptr")) { d->ptr = 1; next(P); continue; }
    int t = type_from_name(tok(P)->s + 1, tok(P)->len - 1);
    if (t != T_NONE) {
      d->type = t;
      next(P);
      continue;
    }
    if (is_word(P, ".v2") || is_word(P, ".v4")) {
      d->count = (uint32_t)(tok(P)->s[2] - '0');
      next(P);
      continue;
    }
    /* .global/.const/.shared/.local/.param qualifiers after ptr: .ptr.global etc. */
    if (is_word(P, ".global") || is_word(P, ".shared") || is_word(P, ".const") || is_word(P, ".local")) {
      next(P);
      continue;
    }
    fatal(P, "unsupported declaration qualifier");
  }
  d->elem = (uint32_t)type_size(d->type);
  if (d->elem == 0) fatal(P, "declaration without a type");
  uint32_t vecn = d->count ? d->count : 1;
  d->elem *= vecn;
  d->name = take_ident(P);
  d->count = 1;
  while (accept_punct(P, '[')) {
    d->has_array = 1;
    if (accept_punct(P, ']')) {
      d->unsized = 1;
      continue;
    }
    int64_t n = take_int(P);
    expect_punct(P, ']');
    d->count *= (uint32_t)n;
  }
  if (!d->align) d->align = d->elem;
}

/* An initialiser element naming a variable: generic(sym)[+n] or sym[+n]. Resolved at bind. */
static void add_reloc(parser *P, uint32_t offset, uint32_t size) {
  int generic = is_word(P, "generic");
  if (generic) {
    next(P);
    expect_punct(P, '(');
  }
  char *name = take_ident(P);
  if (generic) expect_punct(P, ')');
  int64_t addend = 0;
  if (accept_punct(P, '+')) addend = take_int(P);
  int target = find_var(P, name);
  if (target < 0) fatal(P, "unsupported: initialiser names '%s', which is not a .global/.const variable", name);
  drop(P, name);
  if (size != 8 && size != 4) fatal(P, "address initialiser in an element of %u bytes", size);
  ptx_var *v = &P->mod->vars[P->mod->nvars - 1];
  GROW(v->relocs, v->nrelocs, v->caprelocs);
  ptx_reloc *r = &v->relocs[v->nrelocs++];
  r->offset = offset;
  r->size = size;
  r->target = (uint32_t)target;
  r->addend = addend;
}

/* The index of the function the current token names, or -1 (initialisers of function tables). */
static int init_func_index(parser *P) {
  char *name = xstrndup(P, tok(P)->s, tok(P)->len);
  int fi = find_func_index(P, name);
  drop(P, name);
  return fi;
}

/* One initialiser element at index pos: a number, a function's address, or a variable's
 * address (relocation). */
static void write_init_value(parser *P, uint8_t *buf, size_t size, uint32_t pos, uint32_t elem, int type) {
  if ((size_t)(pos + 1) * elem > size) fatal(P, "too many initialisers");
  int neg = accept_punct(P, '-');
  uint64_t bits;
  if (tok(P)->kind == TK_INT || tok(P)->kind == TK_FLOAT) {
    int et = type;
    bits = imm_bits(tok(P), neg, et);
    next(P);
  } else if (tok(P)->kind == TK_IDENT && init_func_index(P) >= 0) {
    if (elem != 8) fatal(P, "function address initialiser in an element of %u bytes", elem);
    bits = PTX_FUNC_TAG | (uint64_t)init_func_index(P);
    next(P);
  } else if (tok(P)->kind == TK_IDENT) {
    add_reloc(P, pos * elem, elem);
    return;
  } else {
    fatal(P, "bad initialiser");
  }
  memcpy(buf + (size_t)pos * elem, &bits, elem > 8 ? 8 : elem);
}

static void parse_initializer(parser *P, uint8_t *buf, size_t size, uint32_t elem, int type) {
  if (accept_punct(P, '{')) {
    uint32_t pos = 0;
    while (!is_punct(P, '}')) {
      if (accept_punct(P, '{')) {
        /* nested braces for multi-dim arrays: flatten */
        while (!is_punct(P, '}')) {
          write_init_value(P, buf, size, pos++, elem, type);
          if (!accept_punct(P, ',')) break;
        }
        expect_punct(P, '}');
      } else {
        write_init_value(P, buf, size, pos++, elem, type);
      }
      if (!accept_punct(P, ',')) break;
    }
    expect_punct(P, '}');
  } else {
    write_init_value(P, buf, size, 0, elem, type);
  }
}

static void add_module_var(parser *P, var_decl *d, ptx_var_space space) {
  GROW(P->mod->vars, P->mod->nvars, P->mod->capvars);
  ptx_var *v = &P->mod->vars[P->mod->nvars];
  memset(v, 0, sizeof *v);
  v->info.name = d->name;
  keep(P, d->name);
  d->name = NULL;
  v->info.space = space;
  v->info.size = (size_t)d->elem * d->count;
  if (v->info.size == 0) v->info.size = d->elem;
  v->info.align = d->align;
  P->mod->nvars++;
  if (accept_punct(P, '=')) {
    v->initbuf = calloc(1, v->info.size);
    if (!v->initbuf) fatal(P, "out of memory");
    v->info.init = v->initbuf;
    parse_initializer(P, v->initbuf, v->info.size, d->elem, d->type);
  }
}

/* module-level or function-level .shared */
static void add_shared(parser *P, var_decl *d, int is_extern, int in_func) {
  fsym *s;
  if (in_func) {
    s = add_fsym(P, d->name, FS_SHARED);
  } else {
    GROW(P->msyms, P->nmsyms, P->capmsyms);
    s = &P->msyms[P->nmsyms++];
    memset(s, 0, sizeof *s);
    s->name = xstrndup(P, d->name, strlen(d->name));
    s->kind = FS_SHARED;
  }
  uint32_t size = d->elem * d->count;
  if (is_extern || d->unsized) {
    s->symkind = SYM_DYNSHARED;
    s->base = 0;
    return;
  }
  s->symkind = SYM_SHARED;
  if (in_func && P->fn->is_entry) {
    /* placed after all module-level shared once the module is parsed (fill_kernel_info) */
    ptx_func *f = P->fn;
    f->kshared_bytes = align_up(f->kshared_bytes, d->align);
    s->symkind = SYM_KSHARED;
    s->base = (int32_t)f->kshared_bytes;
    f->kshared_bytes += size;
  } else {
    P->mod->module_shared = align_up(P->mod->module_shared, d->align);
    s->base = (int32_t)P->mod->module_shared;
    P->mod->module_shared += size;
  }
}

static void parse_module_var(parser *P, ptx_space space, int is_extern) {
  var_decl d;
  parse_var_head(P, &d);
  if (space == SP_SHARED) {
    add_shared(P, &d, is_extern, 0);
    drop(P, d.name);
  } else if (space == SP_GLOBAL || space == SP_CONST) {
    if (is_extern) fatal(P, "unsupported: .extern variable '%s' (separate compilation)", d.name);
    add_module_var(P, &d, space == SP_CONST ? PTX_VAR_CONST : PTX_VAR_GLOBAL);
    drop(P, d.name);
  } else {
    drop(P, d.name);
    fatal(P, "unsupported module-level state space");
  }
  while (accept_punct(P, ',')) {
    /* more names in the same declaration: rare; unsupported */
    fatal(P, "unsupported: several variables in one declaration");
  }
  expect_punct(P, ';');
}

/* .param in a function body, or a parameter in a function/kernel header */
static fsym *declare_param(parser *P, var_decl *d, int kernel, uint32_t *area) {
  uint32_t size = d->elem * d->count;
  uint32_t al = d->align ? d->align : 1;
  uint32_t off = align_up(*area, al);
  *area = off + size;
  fsym *s = add_fsym(P, d->name, FS_PARAM);
  s->symkind = kernel ? SYM_KPARAM : SYM_FPARAM;
  s->base = (int32_t)off;
  s->size = size;
  s->type = d->type;
  return s;
}

static void parse_func_body_decl(parser *P, ptx_space space) {
  next(P);
  var_decl d;
  parse_var_head(P, &d);
  ptx_func *f = P->fn;
  if (space == SP_LOCAL) {
    f->local_bytes = align_up(f->local_bytes, d.align > 16 ? d.align : 16);
    fsym *s = add_fsym(P, d.name, FS_LOCAL);
    s->symkind = SYM_LOCAL;
    s->base = (int32_t)f->local_bytes;
    f->local_bytes += d.elem * d.count;
  } else if (space == SP_SHARED) {
    add_shared(P, &d, 0, 1);
  } else if (space == SP_PARAM) {
    declare_param(P, &d, 0, &f->param_area);
  }
  drop(P, d.name);
  if (accept_punct(P, '=')) fatal(P, "unsupported: initialised function-scope variable");
  expect_punct(P, ';');
}

static void resolve_labels(parser *P) {
  for (uint32_t i = 0; i < P->nlfix; i++) {
    label_fixup *lf = &P->lfix[i];
    int found = -1;
    for (uint32_t j = 0; j < P->nsyms; j++)
      if (P->syms[j].kind == FS_LABEL && strcmp(P->syms[j].name, lf->name) == 0) found = P->syms[j].base;
    if (found < 0) {
      P->lx.tok.line = lf->line;
      P->lx.tok.len = 0;
      fatal(P, "undefined label '%s'", lf->name);
    }
    P->fn->code[lf->insn].o[lf->opnd].imm = found;
  }
  for (uint32_t i = 0; i < P->nlfix; i++) free(P->lfix[i].name);
  P->nlfix = 0;
}

static void clear_fsyms(parser *P, uint32_t keep) {
  while (P->nsyms > keep) free(P->syms[--P->nsyms].name);
}

static void parse_body(parser *P) {
  expect_punct(P, '{');
  uint32_t scope_stack[64];
  int depth = 0;
  for (;;) {
    if (tok(P)->kind == TK_EOF) fatal(P, "unexpected end of file in function body");
    if (is_punct(P, '}')) {
      next(P);
      if (depth == 0) break;
      /* keep labels visible: only drop non-label symbols of the scope */
      uint32_t keep = scope_stack[--depth];
      uint32_t w = keep;
      for (uint32_t i = keep; i < P->nsyms; i++) {
        if (P->syms[i].kind == FS_LABEL) P->syms[w++] = P->syms[i];
        else free(P->syms[i].name);
      }
      P->nsyms = w;
      continue;
    }
    if (is_punct(P, '{')) {
      next(P);
      if (depth >= 64) fatal(P, "scopes nested too deeply");
      scope_stack[depth++] = P->nsyms;
      continue;
    }
    if (tok(P)->kind == TK_IDENT && tok(P)->s[0] == '.') {
      if (is_word(P, ".reg")) parse_reg_decl(P);
      else if (is_word(P, ".local")) parse_func_body_decl(P, SP_LOCAL);
      else if (is_word(P, ".shared")) parse_func_body_decl(P, SP_SHARED);
      else if (is_word(P, ".param")) parse_func_body_decl(P, SP_PARAM);
      else if (is_word(P, ".pragma") || is_word(P, ".loc") || is_word(P, ".file") || is_word(P, ".section") ||
               is_word(P, ".callprototype") || is_word(P, ".calltargets")) {
        /* ignored directives: skip to the end of the line/statement */
        unsigned line = tok(P)->line;
        next(P);
        while (tok(P)->kind != TK_EOF && tok(P)->line == line && !is_punct(P, ';')) next(P);
        accept_punct(P, ';');
      } else {
        fatal(P, "unsupported directive in function body");
      }
      continue;
    }
    /* label? */
    if (tok(P)->kind == TK_IDENT && tok(P)->s[0] != '%') {
      const char *save = P->lx.p;
      unsigned sline = P->lx.line;
      ptx_token t = *tok(P);
      next(P);
      if (is_punct(P, ':')) {
        next(P);
        char *name = xstrndup(P, t.s, t.len);
        fsym *s = add_fsym(P, name, FS_LABEL);
        s->base = (int32_t)P->fn->ncode;
        drop(P, name);
        continue;
      }
      P->lx.p = save;
      P->lx.line = sline;
      P->lx.tok = t;
    }
    parse_instruction(P);
  }
  resolve_labels(P);
}

/* ( .param .b32 a, .param .b64 b ) */
static void parse_param_list(parser *P, ptx_func *f, int kernel, int rets) {
  expect_punct(P, '(');
  uint32_t *area = kernel ? &f->param_bytes : &f->param_area;
  while (!is_punct(P, ')')) {
    if (!is_word(P, ".param") && !is_word(P, ".reg")) fatal(P, "expected .param");
    int is_reg = is_word(P, ".reg");
    next(P);
    var_decl d;
    parse_var_head(P, &d);
    if (is_reg) fatal(P, "unsupported: .reg function parameters");
    fsym *s = declare_param(P, &d, kernel, area);
    drop(P, d.name);
    if (rets) {
      if (f->nrets >= 8) fatal(P, "too many return values");
      f->ret_off[f->nrets] = (uint32_t)s->base;
      f->ret_size[f->nrets++] = s->size;
    } else {
      if (f->nparams >= 64) fatal(P, "too many parameters");
      f->param_off[f->nparams] = (uint32_t)s->base;
      f->param_size[f->nparams++] = s->size;
    }
    if (!accept_punct(P, ',')) break;
  }
  expect_punct(P, ')');
}

static ptx_func *new_func(parser *P, const char *name) {
  ptx_func *f = calloc(1, sizeof *f);
  if (!f) fatal(P, "out of memory");
  f->name = xstrndup(P, name, strlen(name));
  GROW(P->mod->funcs, P->mod->nfuncs, P->mod->capfuncs);
  P->mod->funcs[P->mod->nfuncs++] = f;
  return f;
}

static void parse_perf_directives(parser *P, ptx_func *f) {
  for (;;) {
    unsigned *dst = NULL;
    int n = 0;
    if (is_word(P, ".maxntid")) dst = f->maxntid, n = 3;
    else if (is_word(P, ".reqntid")) dst = f->reqntid, n = 3;
    else if (is_word(P, ".minnctapersm") || is_word(P, ".maxnreg") || is_word(P, ".maxnctapersm") ||
             is_word(P, ".noreturn") || is_word(P, ".pragma") || is_word(P, ".explicitcluster") ||
             is_word(P, ".reqnctapercluster") || is_word(P, ".maxclusterrank") || is_word(P, ".blocksareclusters")) {
      next(P);
      while (tok(P)->kind == TK_INT || tok(P)->kind == TK_STRING || is_punct(P, ',')) next(P);
      continue;
    } else {
      return;
    }
    next(P);
    for (int i = 0; i < n; i++) dst[i] = 1;
    for (int i = 0; i < n; i++) {
      dst[i] = (unsigned)take_int(P);
      if (!accept_punct(P, ',')) break;
    }
  }
}

static const struct { const char *name; int builtin; } builtins[] = {
  {"vprintf", BUILTIN_VPRINTF}, {"__assertfail", BUILTIN_ASSERTFAIL},
  {"malloc", BUILTIN_MALLOC}, {"free", BUILTIN_FREE},
  {"__cudaCDP2GetParameterBufferV2", BUILTIN_CDP_PARAM_BUFFER_V2},
  {"__cudaCDP2LaunchDeviceV2", BUILTIN_CDP_LAUNCH_V2}, {"__cudaCDP2LaunchDeviceV2_ptsz", BUILTIN_CDP_LAUNCH_V2},
  {"__cudaCDP2GetParameterBuffer", BUILTIN_CDP_PARAM_BUFFER},
  {"__cudaCDP2LaunchDevice", BUILTIN_CDP_LAUNCH}, {"__cudaCDP2LaunchDevice_ptsz", BUILTIN_CDP_LAUNCH},
  {"__cudaCDP2StreamCreateWithFlags", BUILTIN_CDP_STREAM_CREATE},
  {"__cudaCDP2StreamDestroy", BUILTIN_CDP_STREAM_DESTROY},
  {"__cudaCDP2EventCreateWithFlags", BUILTIN_CDP_EVENT_CREATE},
  {"__cudaCDP2EventRecord", BUILTIN_CDP_EVENT_RECORD}, {"__cudaCDP2EventRecord_ptsz", BUILTIN_CDP_EVENT_RECORD},
  {"__cudaCDP2EventRecordWithFlags", BUILTIN_CDP_EVENT_RECORD},
  {"__cudaCDP2EventRecordWithFlags_ptsz", BUILTIN_CDP_EVENT_RECORD},
  {"__cudaCDP2EventDestroy", BUILTIN_CDP_EVENT_DESTROY},
  {"__cudaCDP2StreamWaitEvent", BUILTIN_CDP_STREAM_WAIT_EVENT},
  {"__cudaCDP2StreamWaitEvent_ptsz", BUILTIN_CDP_STREAM_WAIT_EVENT},
  {"__cudaCDP2GetLastError", BUILTIN_CDP_GET_LAST_ERROR},
  {"__cudaCDP2PeekAtLastError", BUILTIN_CDP_PEEK_AT_LAST_ERROR},
  {"__cudaCDP2DeviceGetAttribute", BUILTIN_CDP_DEVICE_GET_ATTRIBUTE},
  {"__cudaCDP2GetDevice", BUILTIN_CDP_GET_DEVICE},
  {"__cudaCDP2GetDeviceCount", BUILTIN_CDP_GET_DEVICE_COUNT},
  {"__cudaCDP2RuntimeGetVersion", BUILTIN_CDP_RUNTIME_GET_VERSION},
  {"__cudaCDP2Malloc", BUILTIN_CDP_MALLOC}, {"__cudaCDP2Free", BUILTIN_CDP_FREE},
};

/* The builtin an external function name stands for; the device runtime's other entry points
 * load and are refused when called. */
static int builtin_of(const char *name) {
  for (size_t i = 0; i < sizeof builtins / sizeof builtins[0]; i++)
    if (strcmp(builtins[i].name, name) == 0) return builtins[i].builtin;
  return strncmp(name, "__cudaCDP2", 10) == 0 ? BUILTIN_CDP_OTHER : BUILTIN_NONE;
}

static void parse_function(parser *P, int is_entry, int is_extern) {
  next(P);   /* .entry / .func */
  ptx_func tmp;
  memset(&tmp, 0, sizeof tmp);
  P->nsyms = 0;
  P->fn = &tmp;
  if (!is_entry && is_punct(P, '(')) parse_param_list(P, &tmp, 0, 1);
  char *name = take_ident(P);
  if (is_punct(P, '(')) parse_param_list(P, &tmp, is_entry, 0);
  parse_perf_directives(P, &tmp);
  ptx_func *f = find_func(P, name);
  if (!f) f = new_func(P, name);
  drop(P, name);
  /* a declaration, or the definition of a declared function */
  if (accept_punct(P, ';')) {
    if (f->ncode == 0 && !f->code) {
      char *keep = f->name;
      *f = tmp;
      f->name = keep;
      f->is_entry = is_entry;
      f->is_extern = 1;
      f->builtin = builtin_of(f->name);
    }
    clear_fsyms(P, 0);
    P->fn = NULL;
    return;
  }
  (void)is_extern;
  if (f->code) fatal(P, "function '%s' defined twice", f->name);
  char *keep = f->name;
  *f = tmp;
  f->name = keep;
  f->is_entry = is_entry;
  f->is_extern = 0;
  P->fn = f;
  parse_body(P);
  if (f->ncode == 0 || f->code[f->ncode - 1].op != OP_RET) {
    /* falling off the end returns */
    ptx_insn *in = new_insn(P);
    in->op = OP_RET;
    in->line = tok(P)->line;
    in->name = add_string(P, "ret", 3);
    f->ncode++;
  }
  clear_fsyms(P, 0);
  P->fn = NULL;
}

static void resolve_calls(parser *P) {
  for (uint32_t i = 0; i < P->ncfix; i++) {
    call_fixup *cf = &P->cfix[i];
    int idx = find_func_index(P, cf->name);
    for (int a = 0; a < P->naliases; a++) {
      if (strcmp(P->alias_from[a], cf->name) == 0) {
        int t = find_func_index(P, P->alias_to[a]);
        if (t >= 0 && (idx < 0 || P->mod->funcs[idx]->is_extern)) idx = t;
      }
    }
    if (idx < 0) {
      P->lx.tok.line = cf->line;
      P->lx.tok.len = 0;
      fatal(P, "call to undeclared function '%s'", cf->name);
    }
    ptx_func *callee = P->mod->funcs[idx];
    if (callee->is_extern && callee->builtin == BUILTIN_NONE) {
      P->lx.tok.line = cf->line;
      P->lx.tok.len = 0;
      fatal(P, "unsupported: call to external function '%s'", cf->name);
    }
    P->mod->funcs[cf->func]->code[cf->insn].o[cf->opnd].imm = idx;
  }
  for (uint32_t i = 0; i < P->ncfix; i++) free(P->cfix[i].name);
  P->ncfix = 0;
}

static void fill_kernel_info(ptx_module *m, ptx_func *f) {
  ptx_kernel_info *ki = &f->info;
  ki->name = f->name;
  ki->num_params = f->nparams;
  ki->param_bytes = align_up(f->param_bytes, 8);
  f->kshared_base = align_up(m->module_shared, 16);
  f->shared_bytes = f->kshared_bytes ? f->kshared_base + f->kshared_bytes : m->module_shared;
  ki->static_shared_bytes = f->shared_bytes;
  ki->local_bytes = f->local_bytes;
  ki->num_regs = f->nregs > 255 ? 255 : (f->nregs < 16 ? 16 : f->nregs);
  unsigned mx = f->maxntid[0] ? f->maxntid[0] * (f->maxntid[1] ? f->maxntid[1] : 1) * (f->maxntid[2] ? f->maxntid[2] : 1) : 1024;
  if (f->reqntid[0]) mx = f->reqntid[0] * (f->reqntid[1] ? f->reqntid[1] : 1) * (f->reqntid[2] ? f->reqntid[2] : 1);
  ki->max_threads = mx > 1024 ? 1024 : mx;
  /* Like ptxas under .maxntid/.reqntid (and its 64-per-thread default for 1024-thread blocks),
   * keep the register estimate low enough that a block of max_threads fits the SM's 64K
   * registers (allocated 8 at a time): a block size the launch accepts must never report an
   * occupancy of 0, which CUB divides by. */
  unsigned cap = (65536u / (((ki->max_threads + 31) / 32) * 32)) & ~7u;
  if (ki->num_regs > cap) ki->num_regs = cap;
  memcpy(ki->reqntid, f->reqntid, sizeof ki->reqntid);
  ki->ptx_version = m->version;
  ki->target_sm = m->target;
}

static void parse_version_target(parser *P) {
  if (is_word(P, ".version")) {
    next(P);
    if (tok(P)->kind == TK_FLOAT) {
      double v = tok(P)->fval;
      P->mod->version = (unsigned)(v * 10 + 0.5);
      next(P);
    } else {
      P->mod->version = (unsigned)take_int(P) * 10;
    }
    return;
  }
  /* .target sm_75[, texmode...] */
  next(P);
  do {
    if (tok(P)->kind == TK_IDENT && tok(P)->len > 3 && memcmp(tok(P)->s, "sm_", 3) == 0)
      P->mod->target = (unsigned)strtoul(tok(P)->s + 3, NULL, 10);
    next(P);
  } while (accept_punct(P, ','));
}

/* .alias alias, target; : calls to `alias` go to `target` */
static void parse_alias(parser *P) {
  next(P);
  if (P->naliases >= 32) fatal(P, "too many .alias directives");
  char *from = take_ident(P);
  expect_punct(P, ',');
  char *to = take_ident(P);
  expect_punct(P, ';');
  keep(P, from);
  keep(P, to);
  P->alias_from[P->naliases] = from;
  P->alias_to[P->naliases++] = to;
}

static void parse_module(parser *P) {
  while (tok(P)->kind != TK_EOF) {
    if (is_word(P, ".version") || is_word(P, ".target")) {
      parse_version_target(P);
      continue;
    }
    if (is_word(P, ".address_size")) {
      next(P);
      if (take_int(P) != 64) fatal(P, "unsupported: 32-bit addressing");
      continue;
    }
    if (is_word(P, ".file") || is_word(P, ".loc") || is_word(P, ".section") || is_word(P, ".pragma")) {
      if (is_word(P, ".section")) {
        /* .section .debug_xxx { ... } */
        while (!is_punct(P, '{') && tok(P)->kind != TK_EOF) next(P);
        int d = 0;
        do {
          if (tok(P)->kind == TK_EOF) fatal(P, "unexpected end of file in .section");
          if (is_punct(P, '{')) d++;
          if (is_punct(P, '}')) d--;
          next(P);
        } while (d > 0);
        continue;
      }
      unsigned line = tok(P)->line;
      next(P);
      while (tok(P)->kind != TK_EOF && tok(P)->line == line && !is_punct(P, ';')) next(P);
      accept_punct(P, ';');
      continue;
    }
    if (is_word(P, ".alias")) {
      parse_alias(P);
      continue;
    }
    int is_extern = 0;
    while (is_word(P, ".visible") || is_word(P, ".extern") || is_word(P, ".weak") || is_word(P, ".common")) {
      if (is_word(P, ".extern")) is_extern = 1;
      next(P);
    }
    if (is_word(P, ".entry")) parse_function(P, 1, is_extern);
    else if (is_word(P, ".func")) parse_function(P, 0, is_extern);
    else if (is_word(P, ".global")) { next(P); parse_module_var(P, SP_GLOBAL, is_extern); }
    else if (is_word(P, ".const")) { next(P); parse_module_var(P, SP_CONST, is_extern); }
    else if (is_word(P, ".shared")) { next(P); parse_module_var(P, SP_SHARED, is_extern); }
    else if (tok(P)->kind == TK_IDENT && tok(P)->s[0] == '.') fatal(P, "unsupported directive");
    else fatal(P, "unexpected token at module level");
  }
  resolve_calls(P);
}

static void free_func(ptx_func *f) {
  if (!f) return;
  free(f->name);
  free(f->code);
  free(f->inits);
  free(f->elems);
  free(f);
}

void ptx_module_free(ptx_module *m) {
  if (!m) return;
  for (uint32_t i = 0; i < m->nfuncs; i++) free_func(m->funcs[i]);
  free(m->funcs);
  for (uint32_t i = 0; i < m->nvars; i++) {
    free((char *)m->vars[i].info.name);
    free(m->vars[i].initbuf);
    free(m->vars[i].relocs);
  }
  free(m->vars);
  free(m->strings);
  free(m->kernels);
  free(m);
}

static void free_parser(parser *P) {
  clear_fsyms(P, 0);
  free(P->syms);
  for (uint32_t i = 0; i < P->nlfix; i++) free(P->lfix[i].name);
  free(P->lfix);
  for (uint32_t i = 0; i < P->ncfix; i++) free(P->cfix[i].name);
  free(P->cfix);
  for (uint32_t i = 0; i < P->nmsyms; i++) free(P->msyms[i].name);
  free(P->msyms);
  for (int i = 0; i < P->naliases; i++) {
    free(P->alias_from[i]);
    free(P->alias_to[i]);
  }
}

__attribute__((visibility("default")))
ptx_module *ptx_module_parse(const char *text, size_t len, char *err, size_t errlen) {
  parser *P = calloc(1, sizeof *P);
  ptx_module *volatile m = calloc(1, sizeof *m);
  if (!P || !m) {
    free(P);
    free(m);
    if (err && errlen) snprintf(err, errlen, "out of memory");
    return NULL;
  }
  if (err && errlen) err[0] = 0;
  P->mod = m;
  P->err = err;
  P->errlen = errlen;
  m->version = 0;
  m->target = 0;
  if (setjmp(P->fail)) {
    free_parser(P);
    free(P);
    ptx_module_free(m);
    return NULL;
  }
  ptx_lex_init(&P->lx, text, len);
  parse_module(P);
  /* kernels */
  uint32_t nk = 0;
  for (uint32_t i = 0; i < m->nfuncs; i++)
    if (m->funcs[i]->is_entry && !m->funcs[i]->is_extern) nk++;
  m->kernels = calloc(nk ? nk : 1, sizeof *m->kernels);
  if (!m->kernels) fatal(P, "out of memory");
  for (uint32_t i = 0; i < m->nfuncs; i++) {
    ptx_func *f = m->funcs[i];
    f->mod = m;
    if (!f->is_entry || f->is_extern) continue;
    fill_kernel_info(m, f);
    m->kernels[m->nkernels++] = (ptx_kernel *)f;
  }
  free_parser(P);
  free(P);
  return m;
}

/* ---- module queries ---- */
__attribute__((visibility("default")))
size_t ptx_module_var_count(const ptx_module *m) { return m ? m->nvars : 0; }

__attribute__((visibility("default")))
const ptx_var_info *ptx_module_var(const ptx_module *m, size_t i) {
  return m && i < m->nvars ? &m->vars[i].info : NULL;
}

static void apply_reloc(ptx_module *m, ptx_var *v, const ptx_reloc *r) {
  uint64_t val = (uint64_t)m->vars[r->target].addr + (uint64_t)r->addend;
  if (v->initbuf) memcpy(v->initbuf + r->offset, &val, r->size);
  if (v->addr) memcpy((void *)(v->addr + r->offset), &val, r->size);
}

__attribute__((visibility("default")))
void ptx_module_bind_var(ptx_module *m, size_t i, uintptr_t address) {
  if (!m || i >= m->nvars) return;
  m->vars[i].addr = address;
  /* resolve address initialisers now that one more variable has its place */
  for (uint32_t j = 0; j < m->nvars; j++) {
    ptx_var *v = &m->vars[j];
    for (uint32_t k = 0; k < v->nrelocs; k++) {
      const ptx_reloc *r = &v->relocs[k];
      if ((j == i || r->target == i) && v->addr && m->vars[r->target].addr) apply_reloc(m, v, r);
    }
  }
}

__attribute__((visibility("default")))
size_t ptx_module_kernel_count(const ptx_module *m) { return m ? m->nkernels : 0; }

__attribute__((visibility("default")))
const ptx_kernel *ptx_module_kernel_at(const ptx_module *m, size_t i) {
  return m && i < m->nkernels ? m->kernels[i] : NULL;
}

__attribute__((visibility("default")))
const ptx_kernel *ptx_module_kernel(const ptx_module *m, const char *name) {
  if (!m || !name) return NULL;
  for (uint32_t i = 0; i < m->nkernels; i++)
    if (strcmp(((const ptx_func *)m->kernels[i])->name, name) == 0) return m->kernels[i];
  return NULL;
}

__attribute__((visibility("default")))
const ptx_kernel_info *ptx_kernel_get_info(const ptx_kernel *k) {
  return k ? &((const ptx_func *)k)->info : NULL;
}

__attribute__((visibility("default")))
ptx_status ptx_kernel_param(const ptx_kernel *k, size_t index, size_t *offset, size_t *size) {
  const ptx_func *f = (const ptx_func *)k;
  if (!f || index >= f->nparams) return PTX_ERR_NOT_FOUND;
  if (offset) *offset = f->param_off[index];
  if (size) *size = f->param_size[index];
  return PTX_OK;
}

const char *ptx_type_name(int t) { return t > 0 && t < T_COUNT ? type_names[t] : "?"; }
int ptx_type_bits(int t) { return type_size(t) * 8; }

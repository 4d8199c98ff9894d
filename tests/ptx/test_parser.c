/* test_parser.c - hand-written PTX for the parser (tokens, directives, initialisers, errors
 * with line numbers) and for instruction classes nvcc rarely emits from plain CUDA (prmt
 * modes, funnel shifts, carry chains, rounding modifiers, setp combinations, redux...).
 * Each instruction kernel reads 4 words per thread (a, b, c, d) and writes 16 result slots;
 * the C side computes the same 16 values. Usage: test_ptx_parser CASE */
#include "test_util.h"

#include <fenv.h>
#include <stdbool.h>
#include <stdint.h>

#define HEADER ".version 8.0\n.target sm_80\n.address_size 64\n"

/* Kernel skeleton: %r2..%r5 = a..d (u32), %rd10..%rd13 = a..d zero-extended, %rd4 = out row. */
#define KPRE                                                                    \
  HEADER                                                                        \
  ".visible .entry k(.param .u64 k_out, .param .u64 k_in)\n{\n"                 \
  ".reg .pred %p<20>;\n.reg .b16 %rs<20>;\n.reg .b32 %r<80>;\n.reg .b64 %rd<80>;\n" \
  ".reg .f32 %f<40>;\n.reg .f64 %fd<20>;\n"                                     \
  "ld.param.u64 %rd1, [k_out];\nld.param.u64 %rd2, [k_in];\n"                   \
  "mov.u32 %r1, %tid.x;\nmul.wide.u32 %rd3, %r1, 128;\nadd.s64 %rd4, %rd1, %rd3;\n" \
  "mul.wide.u32 %rd5, %r1, 16;\nadd.s64 %rd6, %rd2, %rd5;\n"                    \
  "ld.global.v4.u32 {%r2, %r3, %r4, %r5}, [%rd6];\n"                            \
  "cvt.u64.u32 %rd10, %r2;\ncvt.u64.u32 %rd11, %r3;\ncvt.u64.u32 %rd12, %r4;\ncvt.u64.u32 %rd13, %r5;\n"
#define KPOST "ret;\n}\n"
/* store a 32-bit register at byte offset OFF of the thread's row (slot OFF/4) / a 64-bit one */
#define S32(OFF, R) "st.global.u32 [%rd4+" #OFF "], " R ";\n"
#define S64(OFF, R) "st.global.u64 [%rd4+" #OFF "], " R ";\n"

#define NT 64
static uint32_t IN[NT][4];
static uint32_t OUT[NT][32];

typedef void (*ref_fn)(const uint32_t *in, uint32_t *want, int t);

static float f32(uint32_t u) {
  float f;
  memcpy(&f, &u, 4);
  return f;
}
static uint32_t u32f(float f) {
  uint32_t u;
  memcpy(&u, &f, 4);
  return u;
}
static uint32_t lo32(uint64_t v) { return (uint32_t)v; }
static uint32_t hi32(uint64_t v) { return (uint32_t)(v >> 32); }

/* Runs kernel `k` of `text` over NT threads with inputs IN; compares nslots with ref. */
static void run_and_compare(const char *name, const char *text, ref_fn ref, int nslots) {
  ptx_module *m = tu_parse_text(text);
  const ptx_kernel *k = tu_kernel(m, "k");
  uint32_t *in = tu_alloc(sizeof IN), *out = tu_alloc(sizeof OUT);
  memcpy(in, IN, sizeof IN);
  tu_params p;
  tu_params_init(&p, k);
  TU_PTRS(&p, out, in);
  char err[512];
  ptx_status st = tu_launch_ex(k, 1, 1, 1, NT, 1, 1, 0, &p, 0, err, sizeof err);
  CHECK(st == PTX_OK, "%s: launch: %s", name, err);
  memcpy(OUT, out, sizeof OUT);
  int shown = 0;
  for (int t = 0; t < NT && shown < 12; t++) {
    uint32_t want[32];
    memset(want, 0, sizeof want);
    ref(IN[t], want, t);
    for (int j = 0; j < nslots; j++)
      if (OUT[t][j] != want[j] && ++shown <= 12) CHECK(OUT[t][j] == want[j], "%s: thread %d slot %d: got 0x%08x want 0x%08x (in %08x %08x %08x %08x)", name, t, j,
            OUT[t][j], want[j], IN[t][0], IN[t][1], IN[t][2], IN[t][3]);
  }
  tu_free(in);
  tu_free(out);
  ptx_module_free(m);
}

static void fill_inputs(unsigned seed) {
  uint64_t s = 0x9e3779b97f4a7c15ull ^ seed;
  for (int t = 0; t < NT; t++)
    for (int j = 0; j < 4; j++) {
      s ^= s << 13;
      s ^= s >> 7;
      s ^= s << 17;
      IN[t][j] = (uint32_t)s;
      if (t % 8 == 1) IN[t][j] = (uint32_t)(s % 50);             /* small values */
      if (t % 8 == 2 && j == 1) IN[t][j] = 0x80000000u >> (t % 32); /* powers of two */
    }
  IN[3][0] = 0x80000000u;
  IN[3][1] = 0xffffffffu;
  IN[4][0] = 0x7fffffffu;
  IN[4][1] = 1;
}

/* ---------------------------------------------------------------- parser-level cases */
static void t_lexer(void) {
  const char *text = HEADER
    "/* block comment\n spanning lines */\n"
    ".visible .entry k(.param .u64 k_out)\n{\n"
    "  .reg .b32 %r<10>; .reg .b64 %rd<4>; .reg .f32 %f<4>; .reg .f64 %fd<2>;\n"
    "  ld.param.u64 %rd1, [k_out]; // trailing comment\n"
    "  mov.u32 %r1, 0x7fffFFFF;\n"
    "  mov.u32 %r2, -17;\n"
    "  mov.u32 %r3, 010;\n"
    "  mov.f32 %f1, 0f3FC00000;\n"
    "  mov.b32 %r4, %f1;\n"
    "  mov.f64 %fd1, 0d4004000000000000;\n"
    "  cvt.rn.f32.f64 %f2, %fd1;\n"
    "  mov.b32 %r5, %f2;\n"
    "  add.f32 %f3, %f1, 0.25;\n"
    "  mov.b32 %r6, %f3;\n"
    "  st.global.v4.u32 [%rd1], {%r1, %r2, %r3, %r4};\n"
    "  st.global.v2.u32 [%rd1+16], {%r5, %r6};\n"
    "  ret;\n}\n";
  ptx_module *m = tu_parse_text(text);
  uint32_t *out = tu_alloc(32);
  TU_LAUNCH_PTRS(tu_kernel(m, "k"), 1, 1, 0, out);
  CHECK(out[0] == 0x7fffffffu && out[1] == (uint32_t)-17 && out[2] == 8 && out[3] == 0x3fc00000u, "%x %x %x %x", out[0], out[1], out[2], out[3]);
  CHECK(out[4] == u32f(2.5f) && out[5] == u32f(1.75f), "%x %x", out[4], out[5]);
  tu_free(out);
  ptx_module_free(m);
}

static void t_directives(void) {
  const char *text =
    "//\n// Generated by hand\n//\n.version 7.8\n.target sm_86, texmode_independent\n.address_size 64\n"
    ".file 1 \"/tmp/x.cu\"\n"
    ".extern .func (.param .b32 func_retval0) vprintf (.param .b64 a, .param .b64 b);\n"
    ".weak .global .align 4 .u32 weakvar = 5;\n"
    ".common .global .align 8 .u64 commonvar;\n"
    ".func (.param .b32 r) twice(.param .b32 x) .noreturn;\n"
    ".visible .entry k(.param .u64 k_out) .maxntid 128, 1, 1 .minnctapersm 2\n{\n"
    "  .reg .b32 %r<4>; .reg .b64 %rd<3>;\n"
    "  .loc 1 10 3\n"
    "  ld.param.u64 %rd1, [k_out];\n"
    "  .pragma \"nounroll\";\n"
    "  ld.global.u32 %r1, [weakvar];\n"
    "  st.global.u32 [%rd1], %r1;\n"
    "  ret;\n}\n"
    ".entry r(.param .u32 x) .reqntid 64 .maxnreg 32\n{\n  ret;\n}\n";
  ptx_module *m = tu_parse_text(text);
  void **vars = tu_bind_vars(m);
  const ptx_kernel *k = tu_kernel(m, "k");
  const ptx_kernel_info *ki = ptx_kernel_get_info(k);
  CHECK(ki->max_threads == 128, "maxntid -> %u", ki->max_threads);
  CHECK(ki->ptx_version == 78 && ki->target_sm == 86, "version %u target %u", ki->ptx_version, ki->target_sm);
  const ptx_kernel_info *ri = ptx_kernel_get_info(tu_kernel(m, "r"));
  CHECK(ri->reqntid[0] == 64 && ri->max_threads == 64, "reqntid %u", ri->reqntid[0]);
  CHECK(ptx_module_kernel_count(m) == 2, "kernels %zu", ptx_module_kernel_count(m));
  CHECK(ptx_module_var_count(m) == 2, "vars %zu", ptx_module_var_count(m));
  uint32_t *out = tu_alloc(4);
  tu_params p;
  tu_params_init(&p, k);
  TU_PARAM(&p, out);
  tu_launch(k, 1, 32, 0, &p);
  CHECK(*out == 5, "weakvar read %u", *out);
  char err[256];
  ptx_status st = tu_launch_ex(k, 1, 1, 1, 256, 1, 1, 0, &p, 0, err, sizeof err);
  CHECK(st == PTX_ERR_INVALID_VALUE, "256 > maxntid: %s", ptx_status_name(st));
  tu_params_init(&p, tu_kernel(m, "r"));
  TU_PARAM(&p, 1u);
  st = tu_launch_ex(tu_kernel(m, "r"), 1, 1, 1, 32, 1, 1, 0, &p, 0, err, sizeof err);
  CHECK(st == PTX_ERR_INVALID_VALUE, "32 != reqntid: %s", ptx_status_name(st));
  for (size_t i = 0; i < ptx_module_var_count(m); i++) tu_free(vars[i]);
  free(vars);
  tu_free(out);
  ptx_module_free(m);
}

/* Shared variables of a kernel body and of a function defined after it do not overlap. */
static void t_shared_layout(void) {
  const char *text = HEADER
    ".func touch();\n"
    ".visible .entry k(.param .u64 k_out)\n{\n"
    "  .reg .b32 %r<4>; .reg .b64 %rd<3>;\n"
    "  .shared .align 4 .b8 mine[64];\n"
    "  ld.param.u64 %rd1, [k_out];\n"
    "  mov.u32 %r1, %tid.x;\n  shl.b32 %r2, %r1, 2;\n"
    "  st.shared.u32 [mine+0], 1234;\n"
    "  call.uni touch;\n"
    "  bar.sync 0;\n"
    "  ld.shared.u32 %r3, [mine+0];\n"
    "  st.global.u32 [%rd1], %r3;\n  ret;\n}\n"
    ".func touch()\n{\n  .reg .b32 %r<2>;\n  .shared .align 4 .b8 theirs[64];\n"
    "  st.shared.u32 [theirs+0], 99;\n  ret;\n}\n";
  ptx_module *m = tu_parse_text(text);
  uint32_t *out = tu_alloc(4);
  TU_LAUNCH_PTRS(tu_kernel(m, "k"), 1, 32, 0, out);
  CHECK(*out == 1234, "kernel shared clobbered by a function's shared: %u", *out);
  CHECK(ptx_kernel_get_info(tu_kernel(m, "k"))->static_shared_bytes >= 128, "static shared %zu",
        ptx_kernel_get_info(tu_kernel(m, "k"))->static_shared_bytes);
  tu_free(out);
  ptx_module_free(m);
}

static void t_initialisers(void) {
  const char *text = HEADER
    ".global .align 4 .b8 bytes[7] = {1, 2, 3, 250};\n"
    ".const .align 4 .f32 fl[3] = {0f3F800000, 0fC0000000, 1.5};\n"
    ".global .align 8 .f64 dbl = 0d3FF8000000000000;\n"
    ".global .align 8 .u64 ptrs[3] = {generic(bytes), fl+4, 0};\n"
    ".global .align 4 .s32 neg[2] = {-1, -2147483648};\n"
    ".global .align 2 .u16 grid[2][2] = {{1, 2}, {3, 4}};\n"
    ".global .align 1 .b8 str[6] = {104, 105, 0};\n"
    ".shared .align 4 .b8 sh[16];\n"
    ".visible .entry k(.param .u64 k_out) { ret; }\n";
  ptx_module *m = tu_parse_text(text);
  CHECK(ptx_module_var_count(m) == 7, "vars %zu (shared ones are not driver variables)", ptx_module_var_count(m));
  void **v = tu_bind_vars(m);
  const uint8_t *b = tu_var(m, v, "bytes");
  CHECK(b[0] == 1 && b[3] == 250 && b[4] == 0 && b[6] == 0, "bytes");
  const float *fl = tu_var(m, v, "fl");
  CHECK(fl[0] == 1.0f && fl[1] == -2.0f && fl[2] == 1.5f, "floats %f %f %f", fl[0], fl[1], fl[2]);
  CHECK(*(double *)tu_var(m, v, "dbl") == 1.5, "double");
  const uint64_t *pt = tu_var(m, v, "ptrs");
  CHECK(pt[0] == (uint64_t)(uintptr_t)b && pt[1] == (uint64_t)(uintptr_t)fl + 4 && pt[2] == 0, "address initialisers");
  const int32_t *ng = tu_var(m, v, "neg");
  CHECK(ng[0] == -1 && ng[1] == INT32_MIN, "negatives");
  const uint16_t *g = tu_var(m, v, "grid");
  CHECK(g[0] == 1 && g[3] == 4, "nested braces");
  CHECK(strcmp(tu_var(m, v, "str"), "hi") == 0, "string");
  const ptx_var_info *vi = ptx_module_var(m, 1);
  CHECK(vi->space == PTX_VAR_CONST && vi->size == 12 && vi->align == 4, "const info");
  for (size_t i = 0; i < ptx_module_var_count(m); i++) tu_free(v[i]);
  free(v);
  ptx_module_free(m);
}

static void expect_error(const char *text, const char *want1, const char *want2) {
  char err[512];
  ptx_module *m = ptx_module_parse(text, strlen(text), err, sizeof err);
  CHECK(m == NULL, "parse should fail (%s)", want1);
  if (m) {
    ptx_module_free(m);
    return;
  }
  CHECK(strstr(err, want1) && (!want2 || strstr(err, want2)), "message [%s] lacks [%s] [%s]", err, want1, want2 ? want2 : "");
}

static void t_errors(void) {
  expect_error(HEADER ".entry k()\n{\n  .reg .b32 %r<2>;\n  frobnicate.u32 %r1, %r0;\n}\n", "line 7", "frobnicate");
  expect_error(HEADER ".entry k()\n{\n  .reg .b32 %r<2>;\n  add.u32 %r1, %r7, 1;\n}\n", "line 7", "%r7");
  expect_error(HEADER ".entry k()\n{\n  bra $L_nowhere;\n}\n", "line 6", "$L_nowhere");
  expect_error(HEADER ".entry k()\n{\n  .reg .b32 %r<2>;\n  add.u32.wibble %r1, %r1, 1;\n}\n", "line 7", "wibble");
  expect_error(HEADER ".entry k()\n{\n  .reg .b32 %r<2>;\n  add.u32 %r1, %r1 1;\n}\n", "line 7", NULL);
  expect_error(HEADER ".entry k()\n{\n  ret;\n", "end of file", NULL);
  expect_error(HEADER ".mystery 5;\n", "line 4", "unsupported directive");
  expect_error(HEADER ".entry k()\n{\n  .reg .b32 %r<2>;\n  ld.global.u32 %r1, [nosuchvar];\n}\n", "line 7", "nosuchvar");
  expect_error(HEADER ".extern .func foo(.param .b32 a);\n.entry k()\n{\n  .param .b32 p;\n  call.uni foo, (p);\n  ret;\n}\n",
               "foo", "unsupported");
  expect_error("garbage", "line 1", NULL);
  /* the text need not be NUL-terminated: parse a prefix */
  const char *full = HEADER ".entry k()\n{\n  ret;\n}\nTRAILING GARBAGE";
  char err[256];
  ptx_module *m = ptx_module_parse(full, strlen(full) - strlen("TRAILING GARBAGE"), err, sizeof err);
  CHECK(m != NULL, "prefix parse: %s", err);
  ptx_module_free(m);
}

/* ---------------------------------------------------------------- instruction cases */
static void ref_integer(const uint32_t *in, uint32_t *w, int t) {
  (void)t;
  uint32_t a = in[0], b = in[1], c = in[2];
  int32_t sa = (int32_t)a, sb = (int32_t)b;
  int64_t s = (int64_t)sa + sb;
  w[0] = (uint32_t)(s > INT32_MAX ? INT32_MAX : s < INT32_MIN ? INT32_MIN : s);
  w[1] = (uint32_t)(((int64_t)sa * sb) >> 32);
  uint64_t wide = (uint64_t)((int64_t)sa * sb);
  w[2] = lo32(wide);
  w[3] = hi32(wide);
  w[4] = a * b + c;
  w[5] = (uint32_t)(((uint64_t)a * b) >> 32) + c;
  w[6] = (uint32_t)((int16_t)a * (int16_t)b);
  w[7] = b ? a / b : 0xffffffffu;
  w[8] = sb == 0 ? (uint32_t)sa : (sb == -1 ? 0 : (uint32_t)(sa % sb));
  w[9] = sa < sb ? a : b;
  w[10] = a > b ? a : b;
  w[11] = (uint32_t)(sa < 0 ? -(int64_t)sa : sa);
  w[12] = 0u - a;
  w[13] = (uint32_t)((int64_t)((int32_t)(a << 8) >> 8) * (int64_t)((int32_t)(b << 8) >> 8));
  uint64_t mw = (uint64_t)a * b + (((uint64_t)c << 32) | in[3]);
  w[14] = lo32(mw);
  w[15] = hi32(mw);
}

static void t_integer(void) {
  const char *text = KPRE
    "add.sat.s32 %r10, %r2, %r3;\n" S32(0, "%r10")
    "mul.hi.s32 %r11, %r2, %r3;\n" S32(4, "%r11")
    "mul.wide.s32 %rd20, %r2, %r3;\n" S64(8, "%rd20")
    "mad.lo.s32 %r12, %r2, %r3, %r4;\n" S32(16, "%r12")
    "mad.hi.u32 %r13, %r2, %r3, %r4;\n" S32(20, "%r13")
    "cvt.u16.u32 %rs1, %r2;\ncvt.u16.u32 %rs2, %r3;\nmul.wide.s16 %r14, %rs1, %rs2;\n" S32(24, "%r14")
    "div.u32 %r15, %r2, %r3;\n" S32(28, "%r15")
    "rem.s32 %r16, %r2, %r3;\n" S32(32, "%r16")
    "min.s32 %r17, %r2, %r3;\n" S32(36, "%r17")
    "max.u32 %r18, %r2, %r3;\n" S32(40, "%r18")
    "abs.s32 %r19, %r2;\n" S32(44, "%r19")
    "neg.s32 %r20, %r2;\n" S32(48, "%r20")
    "mul24.lo.s32 %r21, %r2, %r3;\n" S32(52, "%r21")
    "mov.b64 %rd21, {%r5, %r4};\nmad.wide.u32 %rd22, %r2, %r3, %rd21;\n" S64(56, "%rd22")
    KPOST;
  run_and_compare("integer", text, ref_integer, 16);
}

static uint32_t ref_prmt(uint32_t a, uint32_t b, uint32_t c, int mode) {
  uint8_t by[8];
  uint64_t x = ((uint64_t)b << 32) | a;
  for (int i = 0; i < 8; i++) by[i] = (uint8_t)(x >> (8 * i));
  uint32_t r = 0;
  int sel[4];
  int s = (int)(c & 3);
  switch (mode) {
  case 0:
    for (int i = 0; i < 4; i++) {
      unsigned nib = (c >> (4 * i)) & 15;
      uint8_t v = by[nib & 7];
      if (nib & 8) v = (v & 0x80) ? 0xff : 0;
      r |= (uint32_t)v << (8 * i);
    }
    return r;
  case 1: for (int i = 0; i < 4; i++) sel[i] = (int)((c + (unsigned)i) & 7); break;       /* f4e */
  case 2: for (int i = 0; i < 4; i++) sel[i] = (int)((c - (unsigned)i) & 7); break;       /* b4e */
  case 3: for (int i = 0; i < 4; i++) sel[i] = s; break;                                  /* rc8 */
  case 4: for (int i = 0; i < 4; i++) sel[i] = i < s ? s : i; break;                      /* ecl */
  case 5: for (int i = 0; i < 4; i++) sel[i] = i > s ? s : i; break;                      /* ecr */
  default: sel[0] = sel[2] = (int)(c & 1) * 2; sel[1] = sel[3] = (int)(c & 1) * 2 + 1; break; /* rc16 */
  }
  for (int i = 0; i < 4; i++) r |= (uint32_t)by[sel[i]] << (8 * i);
  return r;
}

static void ref_bits(const uint32_t *in, uint32_t *w, int t) {
  uint32_t a = in[0], b = in[1], c = in[2];
  for (int mo = 0; mo < 7; mo++) w[mo] = ref_prmt(a, b, mo == 0 ? c : (uint32_t)t, mo);
  uint64_t v = ((uint64_t)b << 32) | a;
  uint32_t n = c & 31, nc = c % 40 > 32 ? 32 : c % 40;
  w[7] = (uint32_t)((v << n) >> 32);
  w[8] = (uint32_t)((v >> nc));
  uint32_t pos = (uint32_t)t % 32, len = (c >> 8) % 20;
  /* bfe.s32 */
  uint32_t r = 0;
  int msb = (int)(pos + len) - 1;
  if (msb > 31) msb = 31;
  uint32_t sbit = len ? (a >> msb) & 1 : 0;
  for (uint32_t i = 0; i < 32; i++) r |= ((i < len && pos + i < 32) ? (a >> (pos + i)) & 1 : sbit) << i;
  w[9] = r;
  /* bfi */
  r = b;
  for (uint32_t i = 0; i < len && pos + i < 32; i++) r = (r & ~(1u << (pos + i))) | (((a >> i) & 1) << (pos + i));
  w[10] = r;
  /* bfind.s32 and bfind.shiftamt.u32 */
  uint32_t x = (int32_t)a < 0 ? ~a : a;
  w[11] = x ? 31u - (uint32_t)__builtin_clz(x) : 0xffffffffu;
  w[12] = b ? (uint32_t)__builtin_clz(b) : 0xffffffffu;
  /* lop3 0x96 (a^b^c), 0xe8 (majority), 0x1 (nor3) */
  w[13] = a ^ b ^ c;
  w[14] = (a & b) | (a & c) | (b & c);
  w[15] = ~(a | b | c);
  /* popc.b64, clz.b64, brev.b32, cnot, not */
  w[16] = (uint32_t)__builtin_popcountll(v);
  w[17] = v ? (uint32_t)__builtin_clzll(v) : 64;
  uint32_t br = 0;
  for (int i = 0; i < 32; i++) br |= ((a >> i) & 1) << (31 - i);
  w[18] = br;
  w[19] = a == 0;
  w[20] = ~b;
  /* dp4a.s32.u32 and dp2a.lo.u32.s32 */
  int32_t d4 = (int32_t)c;
  for (int i = 0; i < 4; i++) d4 += (int8_t)(a >> (8 * i)) * (int32_t)(uint8_t)(b >> (8 * i));
  w[21] = (uint32_t)d4;
  uint32_t d2 = c;
  for (int i = 0; i < 2; i++) d2 += (uint32_t)((int32_t)(uint16_t)(a >> (16 * i)) * (int32_t)(int8_t)(b >> (8 * i)));
  w[22] = d2;
  /* shl/shr with big shifts */
  w[23] = n + 20 >= 32 ? 0 : a << (n + 20);
  w[24] = (uint32_t)((int32_t)a >> ((n + 20) >= 32 ? 31 : (n + 20)));
  /* bfe.u64 */
  uint64_t e = 0;
  for (uint32_t i = 0; i < len && pos + 20 + i < 64; i++) e |= ((v >> (pos + 20 + i)) & 1) << i;
  w[26] = lo32(e);
  w[27] = hi32(e);
  /* bmsk.clamp (pos, len from the bfe operands, len up to 40), bmsk.wrap, szext */
  uint32_t lenc = (c >> 8) % 41, bm = 0;
  for (uint32_t i = pos; i < pos + (lenc > 32 ? 32 : lenc) && i < 32; i++) bm |= 1u << i;
  w[28] = bm;
  bm = 0;
  for (uint32_t i = a & 31; i < (a & 31) + (b & 31) && i < 32; i++) bm |= 1u << i;
  w[29] = bm;
  uint32_t sz = lenc > 32 ? 32 : lenc, ext = 0;
  for (uint32_t i = 0; i < 32; i++) ext |= (sz ? ((a >> (i < sz ? i : sz - 1)) & 1) : 0) << i;
  w[30] = ext;
  ext = 0;
  for (uint32_t i = 0; i < (b & 31); i++) ext |= ((a >> i) & 1) << i;
  w[31] = ext;
}

static void t_bits(void) {
  const char *text = KPRE
    "prmt.b32 %r10, %r2, %r3, %r4;\n" S32(0, "%r10")
    "prmt.b32.f4e %r11, %r2, %r3, %r1;\n" S32(4, "%r11")
    "prmt.b32.b4e %r12, %r2, %r3, %r1;\n" S32(8, "%r12")
    "prmt.b32.rc8 %r13, %r2, %r3, %r1;\n" S32(12, "%r13")
    "prmt.b32.ecl %r14, %r2, %r3, %r1;\n" S32(16, "%r14")
    "prmt.b32.ecr %r15, %r2, %r3, %r1;\n" S32(20, "%r15")
    "prmt.b32.rc16 %r16, %r2, %r3, %r1;\n" S32(24, "%r16")
    "shf.l.wrap.b32 %r17, %r2, %r3, %r4;\n" S32(28, "%r17")
    "rem.u32 %r40, %r4, 40;\nshf.r.clamp.b32 %r18, %r2, %r3, %r40;\n" S32(32, "%r18")
    "and.b32 %r41, %r1, 31;\nshr.u32 %r42, %r4, 8;\nrem.u32 %r43, %r42, 20;\n"
    "bfe.s32 %r19, %r2, %r41, %r43;\n" S32(36, "%r19")
    "bfi.b32 %r20, %r2, %r3, %r41, %r43;\n" S32(40, "%r20")
    "bfind.s32 %r21, %r2;\n" S32(44, "%r21")
    "bfind.shiftamt.u32 %r22, %r3;\n" S32(48, "%r22")
    "lop3.b32 %r23, %r2, %r3, %r4, 0x96;\n" S32(52, "%r23")
    "lop3.b32 %r24, %r2, %r3, %r4, 232;\n" S32(56, "%r24")
    "lop3.b32 %r25, %r2, %r3, %r4, 0x1;\n" S32(60, "%r25")
    "mov.b64 %rd20, {%r2, %r3};\npopc.b64 %r26, %rd20;\n" S32(64, "%r26")
    "clz.b64 %r27, %rd20;\n" S32(68, "%r27")
    "brev.b32 %r28, %r2;\n" S32(72, "%r28")
    "cnot.b32 %r29, %r2;\n" S32(76, "%r29")
    "not.b32 %r30, %r3;\n" S32(80, "%r30")
    "dp4a.s32.u32 %r31, %r2, %r3, %r4;\n" S32(84, "%r31")
    "dp2a.lo.u32.s32 %r32, %r2, %r3, %r4;\n" S32(88, "%r32")
    "and.b32 %r44, %r4, 31;\nadd.u32 %r45, %r44, 20;\nshl.b32 %r33, %r2, %r45;\n" S32(92, "%r33")
    "shr.s32 %r34, %r2, %r45;\n" S32(96, "%r34")
    "add.u32 %r46, %r41, 20;\nbfe.u64 %rd21, %rd20, %r46, %r43;\n" S64(104, "%rd21")
    "rem.u32 %r47, %r42, 41;\nbmsk.clamp.b32 %r35, %r41, %r47;\n" S32(112, "%r35")
    "bmsk.wrap.b32 %r36, %r2, %r3;\n" S32(116, "%r36")
    "szext.clamp.s32 %r37, %r2, %r47;\n" S32(120, "%r37")
    "szext.wrap.u32 %r38, %r2, %r3;\n" S32(124, "%r38")
    KPOST;
  run_and_compare("bits", text, ref_bits, 32);
}

static void ref_carry(const uint32_t *in, uint32_t *w, int t) {
  (void)t;
  /* 128-bit add of {a,b,c,d} + {d,c,b,a} as four 32-bit limbs */
  uint64_t carry = 0;
  const uint32_t x[4] = {in[0], in[1], in[2], in[3]}, y[4] = {in[3], in[2], in[1], in[0]};
  for (int i = 0; i < 4; i++) {
    uint64_t s = (uint64_t)x[i] + y[i] + carry;
    w[i] = (uint32_t)s;
    carry = s >> 32;
  }
  w[4] = (uint32_t)carry;
  /* 64-bit subtract {a,b} - {c,d} with borrow */
  uint64_t p = ((uint64_t)in[1] << 32) | in[0], q = ((uint64_t)in[3] << 32) | in[2];
  uint64_t d = p - q;
  w[5] = lo32(d);
  w[6] = hi32(d);
  /* 64x32 multiply via mad.lo.cc / madc.hi: {a,b} * c */
  unsigned __int128 m = (unsigned __int128)p * in[2];
  w[7] = (uint32_t)m;
  w[8] = (uint32_t)(m >> 32);
  w[9] = (uint32_t)(m >> 64);
}

static void t_carry(void) {
  const char *text = KPRE
    "add.cc.u32 %r10, %r2, %r5;\naddc.cc.u32 %r11, %r3, %r4;\naddc.cc.u32 %r12, %r4, %r3;\naddc.cc.u32 %r13, %r5, %r2;\naddc.u32 %r14, 0, 0;\n"
    S32(0, "%r10") S32(4, "%r11") S32(8, "%r12") S32(12, "%r13") S32(16, "%r14")
    "sub.cc.u32 %r15, %r2, %r4;\nsubc.u32 %r16, %r3, %r5;\n" S32(20, "%r15") S32(24, "%r16")
    "mul.lo.u32 %r17, %r2, %r4;\nmul.hi.u32 %r18, %r2, %r4;\n"
    "mad.lo.cc.u32 %r19, %r3, %r4, %r18;\nmadc.hi.u32 %r20, %r3, %r4, 0;\n"
    S32(28, "%r17") S32(32, "%r19") S32(36, "%r20")
    KPOST;
  run_and_compare("carry", text, ref_carry, 10);
}

static float ftz(float f) { return fpclassify(f) == FP_SUBNORMAL ? copysignf(0.0f, f) : f; }
static float satf(float f) { return isnan(f) ? 0.0f : f < 0 ? 0.0f : f > 1 ? 1.0f : f; }

static void ref_float(const uint32_t *in, uint32_t *w, int t) {
  float a = f32(in[0]) , b = f32(in[1]);
  (void)t;
  volatile float va = a, vb = b, r0, r1, r2, r3;
  fesetround(FE_TOWARDZERO);
  r0 = va + vb;
  fesetround(FE_DOWNWARD);
  r1 = va * vb;
  fesetround(FE_UPWARD);
  r2 = fmaf(va, vb, 0.5f);
  r3 = va / vb;
  fesetround(FE_TONEAREST);
  w[0] = u32f(r0);
  w[1] = u32f(r1);
  w[2] = u32f(r2);
  w[3] = u32f(r3);
  w[4] = u32f(satf(va - vb));
  w[5] = u32f(ftz(ftz(va) * ftz(vb)));
  w[6] = u32f(fminf(a, f32(in[2])));
  w[7] = u32f(fmaxf(a, f32(in[2])));
  w[8] = u32f(va / vb);
  w[9] = u32f(sqrtf(fabsf(a)));
  double da = (double)a, db = (double)b;
  volatile double vda = da, vdb = db;
  fesetround(FE_TOWARDZERO);
  volatile double vq = vda / vdb;
  fesetround(FE_TONEAREST);
  double q = vq;
  uint64_t qb;
  memcpy(&qb, &q, 8);
  w[10] = lo32(qb);
  w[11] = hi32(qb);
  w[12] = u32f(copysignf(b, a));
  w[13] = u32f(fabsf(a));
  w[14] = u32f(-b);
  w[15] = isfinite(a) && fpclassify(a) == FP_NORMAL;
}

static void t_float(void) {
  const char *text = KPRE
    "mov.b32 %f1, %r2;\nmov.b32 %f2, %r3;\nmov.b32 %f3, %r4;\n"
    "add.rz.f32 %f10, %f1, %f2;\nmov.b32 %r10, %f10;\n" S32(0, "%r10")
    "mul.rm.f32 %f11, %f1, %f2;\nmov.b32 %r11, %f11;\n" S32(4, "%r11")
    "fma.rp.f32 %f12, %f1, %f2, 0f3F000000;\nmov.b32 %r12, %f12;\n" S32(8, "%r12")
    "div.rp.f32 %f13, %f1, %f2;\nmov.b32 %r13, %f13;\n" S32(12, "%r13")
    "sub.sat.f32 %f14, %f1, %f2;\nmov.b32 %r14, %f14;\n" S32(16, "%r14")
    "mul.ftz.f32 %f15, %f1, %f2;\nmov.b32 %r15, %f15;\n" S32(20, "%r15")
    "min.f32 %f16, %f1, %f3;\nmov.b32 %r16, %f16;\n" S32(24, "%r16")
    "max.f32 %f17, %f1, %f3;\nmov.b32 %r17, %f17;\n" S32(28, "%r17")
    "div.rn.f32 %f18, %f1, %f2;\nmov.b32 %r18, %f18;\n" S32(32, "%r18")
    "abs.f32 %f19, %f1;\nsqrt.rn.f32 %f20, %f19;\nmov.b32 %r19, %f20;\n" S32(36, "%r19")
    "cvt.f64.f32 %fd1, %f1;\ncvt.f64.f32 %fd2, %f2;\ndiv.rz.f64 %fd3, %fd1, %fd2;\nmov.b64 %rd20, %fd3;\n" S64(40, "%rd20")
    "copysign.f32 %f21, %f1, %f2;\nmov.b32 %r20, %f21;\n" S32(48, "%r20")
    "abs.f32 %f22, %f1;\nmov.b32 %r21, %f22;\n" S32(52, "%r21")
    "neg.f32 %f23, %f2;\nmov.b32 %r22, %f23;\n" S32(56, "%r22")
    "testp.normal.f32 %p1, %f1;\nselp.u32 %r23, 1, 0, %p1;\n" S32(60, "%r23")
    KPOST;
  for (int t = 0; t < NT; t++) {
    IN[t][0] = u32f((float)(t - 30) / 7.0f);
    IN[t][1] = u32f(t % 5 == 0 ? 1e-39f * (float)t : 3.0f / (float)(t + 1) - 0.4f);
    IN[t][2] = t % 6 == 0 ? 0x7fc00000u : u32f((float)t * 0.1f - 2.0f);
  }
  run_and_compare("float", text, ref_float, 16);
}

static uint32_t half_bits(float f, int mode) { return tu_half_round(f, mode == FE_DOWNWARD ? 2 : 0); }

static void ref_convert(const uint32_t *in, uint32_t *w, int t) {
  float a = f32(in[0]);
  int32_t sb = (int32_t)in[1];
  (void)t;
  double r;
  w[0] = (uint32_t)(isnan(a) ? 0 : a >= 2147483648.0f ? INT32_MAX : a < -2147483648.0f ? INT32_MIN : (int32_t)nearbyintf(a));
  w[1] = (uint32_t)(isnan(a) ? 0 : a >= 2147483648.0f ? INT32_MAX : a < -2147483648.0f ? INT32_MIN : (int32_t)floorf(a));
  w[2] = isnan(a) || a <= 0 ? 0 : a >= 4294967296.0f ? 0xffffffffu : (uint32_t)ceilf(a);
  r = a;
  w[3] = u32f(truncf(a));
  w[4] = u32f(satf(a));
  w[5] = (uint32_t)(sb > 127 ? 127 : sb < -128 ? -128 : sb);
  w[6] = in[1] > 255 ? 255 : in[1];
  w[7] = (uint32_t)(uint8_t)in[1];
  w[8] = (uint32_t)(int32_t)(int16_t)in[1];
  volatile int32_t vsb = sb;
  volatile double vr = r * 1.1;
  volatile float c9, c10;
  fesetround(FE_TOWARDZERO);
  c9 = (float)vsb;
  fesetround(FE_UPWARD);
  c10 = (float)vr;
  fesetround(FE_TONEAREST);
  w[9] = u32f(c9);
  w[10] = u32f(c10);
  w[11] = half_bits(a, FE_TONEAREST);
  w[12] = half_bits(a, FE_DOWNWARD);
  w[13] = isnan(a) ? 0x7fffe000u : u32f((float)tu_half_value((uint16_t)w[11]));
  w[14] = (half_bits(a * 2, FE_TONEAREST) << 16) | half_bits(-a, FE_TONEAREST);
  double dd = (double)sb * 1e10;
  w[15] = (uint32_t)(int32_t)(dd / 1e10);
  int64_t big = (int64_t)sb * 3000000000LL;
  w[16] = lo32((uint64_t)big);
  w[17] = hi32((uint64_t)big);
}

static void t_convert(void) {
  const char *text = KPRE
    "mov.b32 %f1, %r2;\n"
    "cvt.rni.s32.f32 %r10, %f1;\n" S32(0, "%r10")
    "cvt.rmi.s32.f32 %r11, %f1;\n" S32(4, "%r11")
    "cvt.rpi.u32.f32 %r12, %f1;\n" S32(8, "%r12")
    "cvt.rzi.f32.f32 %f10, %f1;\nmov.b32 %r13, %f10;\n" S32(12, "%r13")
    "cvt.sat.f32.f32 %f11, %f1;\nmov.b32 %r14, %f11;\n" S32(16, "%r14")
    "cvt.sat.s8.s32 %r15, %r3;\n" S32(20, "%r15")
    "cvt.sat.u8.u32 %r16, %r3;\n" S32(24, "%r16")
    "cvt.u8.u32 %r17, %r3;\n" S32(28, "%r17")
    "cvt.u16.u32 %rs1, %r3;\ncvt.s32.s16 %r18, %rs1;\n" S32(32, "%r18")
    "cvt.rz.f32.s32 %f12, %r3;\nmov.b32 %r19, %f12;\n" S32(36, "%r19")
    "cvt.f64.f32 %fd1, %f1;\nmul.f64 %fd2, %fd1, 0d3FF199999999999A;\ncvt.rp.f32.f64 %f13, %fd2;\nmov.b32 %r20, %f13;\n" S32(40, "%r20")
    "cvt.rn.f16.f32 %rs2, %f1;\ncvt.u32.u16 %r21, %rs2;\n" S32(44, "%r21")
    "cvt.rm.f16.f32 %rs3, %f1;\ncvt.u32.u16 %r22, %rs3;\n" S32(48, "%r22")
    "cvt.f32.f16 %f14, %rs2;\nmov.b32 %r23, %f14;\n" S32(52, "%r23")
    "add.f32 %f15, %f1, %f1;\nneg.f32 %f16, %f1;\ncvt.rn.f16x2.f32 %r24, %f15, %f16;\n" S32(56, "%r24")
    "cvt.rn.f64.s32 %fd3, %r3;\nmul.f64 %fd4, %fd3, 0d4202A05F20000000;\ndiv.rn.f64 %fd5, %fd4, 0d4202A05F20000000;\ncvt.rzi.s32.f64 %r25, %fd5;\n" S32(60, "%r25")
    "mul.wide.s32 %rd20, %r3, 1000000000;\nmul.lo.s64 %rd21, %rd20, 3;\n" S64(64, "%rd21")
    KPOST;
  for (int t = 0; t < NT; t++) {
    static const float sp[] = {0.5f, 1.5f, 2.5f, -0.5f, -2.5f, 3e9f, -3e9f, 5e9f, 0.49999997f, 70000.0f, 1e-6f, 65519.0f};
    IN[t][0] = t < 12 ? u32f(sp[t]) : t == 12 ? 0x7fc00000u : u32f((float)(t - 40) * 0.3711f);
    IN[t][1] = t % 3 == 0 ? (uint32_t)(t * 77 - 1000) : IN[t][1];
  }
  run_and_compare("convert", text, ref_convert, 18);
}

static void ref_predicates(const uint32_t *in, uint32_t *w, int t) {
  int32_t a = (int32_t)in[0], b = (int32_t)in[1];
  float fa = f32(in[2]), fb = f32(in[3]);
  bool p1 = a < b, p2 = in[0] < in[1];
  w[0] = p1 && (t & 1);
  w[1] = !p1 && (t & 1);
  w[2] = p2 || (t % 3 == 0);
  w[3] = (a == b) != (t % 3 == 0);
  w[4] = (isnan(fa) || isnan(fb) || fa < fb);
  w[5] = !isnan(fa) && !isnan(fb) && fa < fb;
  w[6] = isnan(fa) || isnan(fb);
  w[7] = (a <= b) ? 0xffffffffu : 0;
  w[8] = (!isnan(fa) && !isnan(fb) && fa >= fb) ? u32f(1.0f) : 0;
  w[9] = p1 ? in[0] : in[1];
  w[10] = b >= 0 ? in[2] : in[3];
  w[11] = fa >= 0 ? in[0] : in[1];
  w[12] = !(t & 1);
  w[13] = (t & 1) ? 0 : 77;
  w[14] = ((t & 1) && p1) ? 5 : 0;
  w[15] = (in[0] >= in[1]) ^ (in[0] > in[1]);
}

static void t_predicates(void) {
  const char *text = KPRE
    "and.b32 %r40, %r1, 1;\nsetp.ne.u32 %p1, %r40, 0;\n"
    "rem.u32 %r41, %r1, 3;\nsetp.eq.u32 %p2, %r41, 0;\n"
    "setp.lt.and.s32 %p3|%p4, %r2, %r3, %p1;\n"
    "selp.u32 %r10, 1, 0, %p3;\n" S32(0, "%r10") "selp.u32 %r11, 1, 0, %p4;\n" S32(4, "%r11")
    "setp.lo.or.u32 %p5, %r2, %r3, %p2;\nselp.u32 %r12, 1, 0, %p5;\n" S32(8, "%r12")
    "setp.eq.xor.s32 %p6, %r2, %r3, %p2;\nselp.u32 %r13, 1, 0, %p6;\n" S32(12, "%r13")
    "mov.b32 %f1, %r4;\nmov.b32 %f2, %r5;\n"
    "setp.ltu.f32 %p7, %f1, %f2;\nselp.u32 %r14, 1, 0, %p7;\n" S32(16, "%r14")
    "setp.lt.f32 %p8, %f1, %f2;\nselp.u32 %r15, 1, 0, %p8;\n" S32(20, "%r15")
    "setp.nan.f32 %p9, %f1, %f2;\nselp.u32 %r16, 1, 0, %p9;\n" S32(24, "%r16")
    "set.le.u32.s32 %r17, %r2, %r3;\n" S32(28, "%r17")
    "set.ge.f32.f32 %f3, %f1, %f2;\nmov.b32 %r18, %f3;\n" S32(32, "%r18")
    "setp.lt.s32 %p10, %r2, %r3;\nselp.b32 %r19, %r2, %r3, %p10;\n" S32(36, "%r19")
    "slct.b32.s32 %r20, %r4, %r5, %r3;\n" S32(40, "%r20")
    "slct.u32.f32 %r21, %r2, %r3, %f1;\n" S32(44, "%r21")
    "not.pred %p11, %p1;\nselp.u32 %r22, 1, 0, %p11;\n" S32(48, "%r22")
    "mov.u32 %r23, 77;\n@%p1 mov.u32 %r23, 0;\n" S32(52, "%r23")
    "mov.u32 %r24, 0;\nand.pred %p12, %p1, %p10;\n@!%p12 bra $SKIP;\nmov.u32 %r24, 5;\n$SKIP:\n" S32(56, "%r24")
    "setp.hs.u32 %p13, %r2, %r3;\nsetp.hi.u32 %p14, %r2, %r3;\nxor.pred %p15, %p13, %p14;\nselp.u32 %r25, 1, 0, %p15;\n" S32(60, "%r25")
    KPOST;
  for (int t = 0; t < NT; t++) {
    if (t % 4 == 0) IN[t][1] = IN[t][0];
    IN[t][2] = t % 7 == 0 ? 0x7fc00000u : u32f((float)(t % 9) - 4.0f);
    IN[t][3] = u32f((float)(t % 5) - 2.0f);
  }
  run_and_compare("predicates", text, ref_predicates, 16);
}

/* Divergent control flow: a loop whose trip count depends on the lane, with a nested
 * divergent if, an early exit of some lanes, and a reconvergence check with activemask. */
static void ref_control(const uint32_t *in, uint32_t *w, int t) {
  (void)in;
  if (t % 9 == 4) return;   /* exited early: slots stay 0 */
  uint32_t acc = 0;
  for (int i = 0; i < t % 13; i++) {
    if ((i + t) & 1) acc += (uint32_t)i * 3;
    else {
      if (i > 5) acc ^= (uint32_t)t;
      else acc += 1;
    }
  }
  w[0] = acc;
  int w0 = t / 32 * 32;
  uint32_t mask = 0;
  for (int j = w0; j < w0 + 32 && j < NT; j++)
    if (j % 9 != 4) mask |= 1u << (j - w0);
  w[1] = mask;   /* after the loop all surviving lanes have reconverged */
}

static void t_control(void) {
  const char *text = KPRE
    "rem.u32 %r40, %r1, 9;\nsetp.eq.u32 %p1, %r40, 4;\n@%p1 exit;\n"
    "rem.u32 %r41, %r1, 13;\nmov.u32 %r10, 0;\nmov.u32 %r11, 0;\n"
    "setp.eq.u32 %p2, %r41, 0;\n@%p2 bra $DONE;\n"
    "$LOOP:\n"
    "add.u32 %r42, %r11, %r1;\nand.b32 %r43, %r42, 1;\nsetp.eq.u32 %p3, %r43, 0;\n@%p3 bra $EVEN;\n"
    "mad.lo.u32 %r10, %r11, 3, %r10;\nbra.uni $NEXT;\n"
    "$EVEN:\nsetp.gt.u32 %p4, %r11, 5;\n@%p4 bra $BIG;\nadd.u32 %r10, %r10, 1;\nbra.uni $NEXT;\n"
    "$BIG:\nxor.b32 %r10, %r10, %r1;\n"
    "$NEXT:\nadd.u32 %r11, %r11, 1;\nsetp.lt.u32 %p5, %r11, %r41;\n@%p5 bra $LOOP;\n"
    "$DONE:\n" S32(0, "%r10")
    "activemask.b32 %r12;\n" S32(4, "%r12")
    KPOST;
  run_and_compare("control", text, ref_control, 2);
}

/* Lane 0 spins on a shared flag that lane 1 sets; the spin loop comes first in the code, so
 * the lowest-pc-first scheduling alone would never run lane 1: the engine must rotate. */
static void ref_spin(const uint32_t *in, uint32_t *w, int t) {
  (void)in;
  w[0] = t % 32 == 0 ? 77u + (uint32_t)t : 0;
}

static void t_spin(void) {
  const char *text = KPRE
    ".shared .align 4 .u32 flag[2];\n.shared .align 4 .u32 data[2];\n"
    "mov.u32 %r50, %tid.x;\nshr.u32 %r51, %r50, 5;\nshl.b32 %r52, %r51, 2;\n"
    "mov.u32 %r53, flag;\nadd.u32 %r53, %r53, %r52;\nmov.u32 %r54, data;\nadd.u32 %r54, %r54, %r52;\n"
    "and.b32 %r55, %r50, 31;\n"
    "st.volatile.shared.u32 [%r53], 0;\nbar.sync 0;\n"
    "setp.ne.u32 %p1, %r55, 0;\n@%p1 bra $NOT0;\n"
    "$SPIN:\nld.volatile.shared.u32 %r10, [%r53];\nsetp.eq.u32 %p2, %r10, 0;\n@%p2 bra $SPIN;\n"
    "ld.volatile.shared.u32 %r11, [%r54];\n" S32(0, "%r11") "bra.uni $END;\n"
    "$NOT0:\nsetp.ne.u32 %p3, %r55, 1;\n@%p3 bra $ZERO;\n"
    "add.u32 %r12, %r50, 76;\nst.volatile.shared.u32 [%r54], %r12;\nmembar.cta;\nst.volatile.shared.u32 [%r53], 1;\n"
    "$ZERO:\n" S32(0, "0")
    "$END:\n"
    KPOST;
  run_and_compare("spin", text, ref_spin, 1);
}

static void ref_memory(const uint32_t *in, uint32_t *w, int t) {
  w[0] = in[(t + 1) % 4];       /* via shared memory, neighbour's word */
  w[1] = in[0] + in[1];         /* via local memory through a generic pointer */
  w[2] = 1;                      /* isspacep.shared on a generic shared address */
  w[3] = 0;                      /* isspacep.global on it */
  w[4] = 1;                      /* isspacep.local on a local address */
  w[5] = in[2];                 /* ld.volatile.shared */
  w[6] = in[3] ^ 0xffu;         /* st.local.u8 + ld.local.u32 */
  w[7] = in[1];
  w[8] = in[0];
}

static void t_memory(void) {
  const char *text = HEADER
    ".shared .align 16 .b8 sbuf[4096];\n"
    ".visible .entry k(.param .u64 k_out, .param .u64 k_in)\n{\n"
    ".local .align 16 .b8 __local_depot0[32];\n"
    ".reg .b64 %SP;\n.reg .b64 %SPL;\n"
    ".reg .pred %p<10>;\n.reg .b32 %r<60>;\n.reg .b64 %rd<60>;\n"
    "mov.u64 %SPL, __local_depot0;\ncvta.local.u64 %SP, %SPL;\n"
    "ld.param.u64 %rd1, [k_out];\nld.param.u64 %rd2, [k_in];\n"
    "cvta.to.global.u64 %rd1, %rd1;\n"
    "mov.u32 %r1, %tid.x;\nmul.wide.u32 %rd3, %r1, 128;\nadd.s64 %rd4, %rd1, %rd3;\n"
    "mul.wide.u32 %rd5, %r1, 16;\nadd.s64 %rd6, %rd2, %rd5;\n"
    "ld.global.nc.v4.u32 {%r2, %r3, %r4, %r5}, [%rd6];\n"
    "mov.u32 %r6, sbuf;\nshl.b32 %r7, %r1, 4;\nadd.u32 %r8, %r6, %r7;\n"
    "st.shared.v4.u32 [%r8], {%r2, %r3, %r4, %r5};\n"
    "bar.sync 0;\n"
    "add.u32 %r9, %r1, 1;\nrem.u32 %r10, %r9, 4;\nshl.b32 %r11, %r10, 2;\nadd.u32 %r12, %r8, %r11;\n"
    "ld.shared.u32 %r13, [%r12];\nst.global.u32 [%rd4], %r13;\n"
    "add.u32 %r14, %r2, %r3;\nadd.u64 %rd7, %SP, 8;\nst.u32 [%rd7], %r14;\nld.local.u32 %r15, [%SPL+8];\nst.global.u32 [%rd4+4], %r15;\n"
    "cvt.u64.u32 %rd8, %r8;\ncvta.shared.u64 %rd9, %rd8;\n"
    "isspacep.shared %p1, %rd9;\nselp.u32 %r16, 1, 0, %p1;\nst.global.u32 [%rd4+8], %r16;\n"
    "isspacep.global %p2, %rd9;\nselp.u32 %r17, 1, 0, %p2;\nst.global.u32 [%rd4+12], %r17;\n"
    "isspacep.local %p3, %rd7;\nselp.u32 %r18, 1, 0, %p3;\nst.global.u32 [%rd4+16], %r18;\n"
    "ld.volatile.shared.u32 %r19, [%r8+8];\nst.global.u32 [%rd4+20], %r19;\n"
    "st.local.u32 [%SPL+16], %r5;\nxor.b32 %r20, %r5, 255;\nst.local.u8 [%SPL+16], %r20;\nld.local.u32 %r21, [%SPL+16];\nst.global.u32 [%rd4+24], %r21;\n"
    "ld.u32 %r22, [%rd9+4];\nst.global.u32 [%rd4+28], %r22;\n"
    "cvta.to.shared.u64 %rd10, %rd9;\ncvt.u32.u64 %r23, %rd10;\nld.relaxed.cta.shared.u32 %r24, [%r23];\nst.relaxed.gpu.global.u32 [%rd4+32], %r24;\n"
    "ret;\n}\n";
  run_and_compare("memory", text, ref_memory, 9);
}

static void ref_warp(const uint32_t *in, uint32_t *w, int t) {
  int w0 = t / 32 * 32;
  uint32_t sum = 0, mn = 0xffffffffu, orv = 0;
  for (int j = w0; j < w0 + 32; j++) {
    uint32_t v = IN[j][0] % 1000;
    sum += v;
    if (v < mn) mn = v;
    orv |= IN[j][1];
  }
  w[0] = sum;
  w[1] = mn;
  w[2] = orv;
  /* shfl.sync.idx inside the even lanes only (mask 0x55555555): read lane (t+2)%32 */
  if (t % 2 == 0) w[3] = IN[w0 + (t - w0 + 2) % 32][0];
  /* vote.uni over a value uniform in the warp / not uniform */
  w[4] = 1;
  w[5] = 0;
  /* the same with a per-half-warp membermask (cooperative-groups tiles of 16) */
  int h0 = t / 16 * 16;
  uint32_t ballot = 0, match = 0, hsum = 0;
  for (int j = h0; j < h0 + 16; j++) {
    ballot |= (IN[j][0] & 1) << (j % 32);
    if (IN[j][1] % 3 == in[1] % 3) match |= 1u << (j % 32);
    hsum += IN[j][0] % 1000;
  }
  uint32_t hmask = 0xffffu << (t % 32 / 16 * 16);
  w[6] = ballot;
  w[7] = ballot == hmask;
  w[8] = match;
  w[9] = hsum;
}

static void t_warp(void) {
  const char *text = KPRE
    "rem.u32 %r40, %r2, 1000;\n"
    "redux.sync.add.u32 %r10, %r40, 0xffffffff;\n" S32(0, "%r10")
    "redux.sync.min.u32 %r11, %r40, 0xffffffff;\n" S32(4, "%r11")
    "redux.sync.or.b32 %r12, %r3, 0xffffffff;\n" S32(8, "%r12")
    "and.b32 %r41, %r1, 1;\nsetp.ne.u32 %p1, %r41, 0;\n@%p1 bra $ODD;\n"
    "add.u32 %r42, %r1, 2;\nand.b32 %r43, %r42, 31;\n"
    "shfl.sync.idx.b32 %r13|%p2, %r2, %r43, 31, 0x55555555;\n" S32(12, "%r13")
    "$ODD:\n"
    "mov.u32 %r44, %ntid.x;\nsetp.gt.u32 %p3, %r44, 0;\nvote.sync.uni.pred %p4, %p3, 0xffffffff;\nselp.u32 %r14, 1, 0, %p4;\n" S32(16, "%r14")
    "vote.sync.uni.pred %p5, %p1, 0xffffffff;\nselp.u32 %r15, 1, 0, %p5;\n" S32(20, "%r15")
    "mov.u32 %r50, %laneid;\nand.b32 %r51, %r50, 16;\nshl.b32 %r52, 65535, %r51;\n"
    "and.b32 %r53, %r2, 1;\nsetp.ne.u32 %p6, %r53, 0;\n"
    "vote.sync.ballot.b32 %r16, %p6, %r52;\n" S32(24, "%r16")
    "vote.sync.all.pred %p7, %p6, %r52;\nselp.u32 %r17, 1, 0, %p7;\n" S32(28, "%r17")
    "rem.u32 %r54, %r3, 3;\nmatch.any.sync.b32 %r18, %r54, %r52;\n" S32(32, "%r18")
    "redux.sync.add.u32 %r19, %r40, %r52;\n" S32(36, "%r19")
    KPOST;
  for (int t = 0; t < NT; t++)
    if (t / 16 != 3 || t % 16 < 15) IN[t][0] |= (t / 16) % 2;   /* half-warp 1 all odd, 3 all but one */
  run_and_compare("warp", text, ref_warp, 10);
}

static uint32_t ref_ack(uint32_t n) { return n <= 1 ? 1 : n * ref_ack(n - 1) + 1; }

static void ref_calls(const uint32_t *in, uint32_t *w, int t) {
  uint32_t n = in[0] % 12;
  w[0] = ref_ack(n);
  w[1] = (uint32_t)(t * 3) + 100;
  /* sumsq called in a divergent branch */
  w[2] = (t % 3 == 0) ? (uint32_t)(t * t + 1) : 9;
}

static void t_calls(void) {
  const char *text = HEADER
    ".func (.param .b32 rv) rec(.param .b32 n)\n{\n"
    "  .reg .pred %p<2>;\n  .reg .b32 %r<8>;\n"
    "  ld.param.u32 %r1, [n];\n  setp.le.u32 %p1, %r1, 1;\n  mov.u32 %r2, 1;\n  @%p1 bra $RET;\n"
    "  sub.u32 %r3, %r1, 1;\n"
    "  {\n  .param .b32 a0;\n  st.param.b32 [a0], %r3;\n  .param .b32 r0;\n  call.uni (r0), rec, (a0);\n  ld.param.b32 %r4, [r0];\n  }\n"
    "  mad.lo.u32 %r2, %r1, %r4, 1;\n"
    "$RET:\n  st.param.b32 [rv], %r2;\n  ret;\n}\n"
    ".func (.param .b32 rv) rec_alias(.param .b32 n);\n"
    ".alias rec_alias, rec;\n"
    ".func (.param .b32 rv, .param .b32 rv2) two(.param .b32 x, .param .b64 y)\n{\n"
    "  .reg .b32 %r<4>;\n  .reg .b64 %rd<3>;\n"
    "  .local .align 4 .b8 __local_depot9[8];\n"
    "  ld.param.u32 %r1, [x];\n  ld.param.u64 %rd1, [y];\n  cvt.u32.u64 %r2, %rd1;\n"
    "  st.local.u32 [__local_depot9+4], %r2;\n  ld.local.u32 %r3, [__local_depot9+4];\n"
    "  mad.lo.u32 %r3, %r1, 3, %r3;\n  st.param.b32 [rv], %r3;\n  st.param.b32 [rv2], %r1;\n  ret;\n}\n"
    ".visible .entry k(.param .u64 k_out, .param .u64 k_in)\n{\n"
    "  .reg .pred %p<4>;\n  .reg .b32 %r<20>;\n  .reg .b64 %rd<10>;\n"
    "  ld.param.u64 %rd1, [k_out];\n  ld.param.u64 %rd2, [k_in];\n"
    "  mov.u32 %r1, %tid.x;\n  mul.wide.u32 %rd3, %r1, 128;\n  add.s64 %rd4, %rd1, %rd3;\n"
    "  mul.wide.u32 %rd5, %r1, 16;\n  add.s64 %rd6, %rd2, %rd5;\n  ld.global.u32 %r2, [%rd6];\n"
    "  rem.u32 %r3, %r2, 12;\n"
    "  {\n  .param .b32 p0;\n  st.param.b32 [p0], %r3;\n  .param .b32 q0;\n  call.uni (q0), rec_alias, (p0);\n  ld.param.b32 %r4, [q0];\n  }\n"
    "  st.global.u32 [%rd4], %r4;\n"
    "  {\n  .param .b32 p0;\n  st.param.b32 [p0], %r1;\n  .param .b64 p1;\n  st.param.b64 [p1], 100;\n"
    "  .param .b32 q0;\n  .param .b32 q1;\n  call.uni (q0, q1), two, (p0, p1);\n  ld.param.b32 %r5, [q0];\n  ld.param.b32 %r6, [q1];\n  }\n"
    "  st.global.u32 [%rd4+4], %r5;\n"
    "  mov.u32 %r7, 9;\n  rem.u32 %r8, %r1, 3;\n  setp.ne.u32 %p1, %r8, 0;\n  @%p1 bra $SKIP;\n"
    "  mad.lo.u32 %r9, %r1, %r1, 0;\n"
    "  {\n  .param .b32 p0;\n  st.param.b32 [p0], %r9;\n  .param .b64 p1;\n  st.param.b64 [p1], 1;\n"
    "  .param .b32 q0;\n  .param .b32 q1;\n  call (q0, q1), two, (p0, p1);\n  ld.param.b32 %r10, [q0];\n  ld.param.b32 %r7, [q1];\n  }\n"
    "  add.u32 %r7, %r7, 1;\n"
    "$SKIP:\n  st.global.u32 [%rd4+8], %r7;\n  ret;\n}\n";
  run_and_compare("calls", text, ref_calls, 3);
}

/* approximate math instructions against libm, and .ftz behaviour of approx ops */
static void t_modes(void) {
  const char *text = KPRE
    "mov.b32 %f1, %r2;\nabs.f32 %f2, %f1;\n"
    "ex2.approx.ftz.f32 %f10, %f1;\nlg2.approx.f32 %f11, %f2;\nsin.approx.f32 %f12, %f1;\ncos.approx.ftz.f32 %f13, %f1;\n"
    "rcp.approx.f32 %f14, %f1;\nrsqrt.approx.f32 %f15, %f2;\nsqrt.approx.f32 %f16, %f2;\ntanh.approx.f32 %f17, %f1;\n"
    "div.approx.f32 %f18, %f1, 0f40400000;\ndiv.full.f32 %f19, %f1, 0f40400000;\n"
    "mov.b32 %r10, %f10;\nmov.b32 %r11, %f11;\nmov.b32 %r12, %f12;\nmov.b32 %r13, %f13;\n"
    "mov.b32 %r14, %f14;\nmov.b32 %r15, %f15;\nmov.b32 %r16, %f16;\nmov.b32 %r17, %f17;\nmov.b32 %r18, %f18;\nmov.b32 %r19, %f19;\n"
    S32(0, "%r10") S32(4, "%r11") S32(8, "%r12") S32(12, "%r13") S32(16, "%r14") S32(20, "%r15") S32(24, "%r16") S32(28, "%r17")
    S32(32, "%r18") S32(36, "%r19")
    "cvt.f64.f32 %fd1, %f2;\nrcp.rn.f64 %fd2, %fd1;\nsqrt.rn.f64 %fd3, %fd1;\nmov.b64 %rd20, %fd2;\nmov.b64 %rd21, %fd3;\n"
    S64(40, "%rd20") S64(48, "%rd21")
    KPOST;
  for (int t = 0; t < NT; t++) IN[t][0] = u32f((float)(t - 32) * 0.29f + 0.013f);
  ptx_module *m = tu_parse_text(text);
  uint32_t *in = tu_alloc(sizeof IN), *out = tu_alloc(sizeof OUT);
  memcpy(in, IN, sizeof IN);
  TU_LAUNCH_PTRS(tu_kernel(m, "k"), 1, NT, 0, out, in);
  for (int t = 0; t < NT; t++) {
    float x = f32(IN[t][0]), ax = fabsf(x);
    double want[10] = {exp2(x), log2(ax), sin(x), cos(x), 1.0 / x, 1.0 / sqrt(ax), sqrt(ax), tanh(x), x / 3.0, x / 3.0};
    for (int j = 0; j < 10; j++) {
      float got = f32(out[t * 32 + j]);
      CHECK(fabs(got - want[j]) <= 1e-5 * fmax(1.0, fabs(want[j])), "t=%d approx %d: %g want %g", t, j, got, want[j]);
    }
    double r, s;
    uint64_t rb = ((uint64_t)out[t * 32 + 11] << 32) | out[t * 32 + 10], sb = ((uint64_t)out[t * 32 + 13] << 32) | out[t * 32 + 12];
    memcpy(&r, &rb, 8);
    memcpy(&s, &sb, 8);
    CHECK(r == 1.0 / (double)ax && s == sqrt((double)ax), "t=%d f64 rcp/sqrt", t);
  }
  tu_free(in);
  tu_free(out);
  ptx_module_free(m);
}

static const tu_case cases[] = {
  {"lexer", t_lexer}, {"directives", t_directives}, {"shared_layout", t_shared_layout}, {"initialisers", t_initialisers}, {"errors", t_errors},
  {"integer", t_integer}, {"bits", t_bits}, {"carry", t_carry}, {"float", t_float}, {"convert", t_convert},
  {"predicates", t_predicates}, {"control", t_control}, {"spin", t_spin}, {"memory", t_memory}, {"warp", t_warp},
  {"calls", t_calls}, {"modes", t_modes},
};

int main(int argc, char **argv) {
  tu_require_args(argc, argv, 1, "CASE|all");
  int ran = tu_run_cases(cases, sizeof cases / sizeof cases[0], argv[1], true, fill_inputs);
  if (!ran) return 2;
  return tu_failures ? 1 : 0;
}

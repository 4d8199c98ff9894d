/* test_tex.c - texture fetching and surface access of the PTX engine (ptx_tex.c) against
 * values worked out by hand from the CUDA programming guide's texture fetching appendix
 * (addressing modes, 9-bit linear filtering weights, read modes, cubemap face selection,
 * layers), and tex / txq / suld / sust through the parser and interpreter with
 * hand-written PTX, including out-of-range surface accesses under .trap/.clamp/.zero. */
#include "test_util.h"

static uint32_t fb(float f) { return ((union { float f; uint32_t u; }){.f = f}).u; }
static float bf(uint32_t u) { return ((union { float f; uint32_t u; }){.u = u}).f; }

/* A 1D float texture [0, 10, 20, 30] with the given sampler. */
static ptx_texture tex1d(float *data, int mode, int linear, int norm) {
  ptx_texture t = {.format = PTX_FMT_F32, .channels = 1, .addr = {(uint8_t)mode, (uint8_t)mode, (uint8_t)mode},
                   .linear_filter = (uint8_t)linear, .normalized_coords = (uint8_t)norm, .border = {7, 7, 7, 7},
                   .data = (uint8_t *)data, .width = 4, .height = 1, .depth = 1, .pitch = 16, .slice = 16};
  return t;
}

static float fetch1(const ptx_texture *t, float x) {
  uint32_t c[4] = {fb(x), 0, 0, 0}, out[4];
  ptx_tex_fetch(t, PTX_GEOM_1D, 0, c, 1, out);
  return bf(out[0]);
}

#define NEAR(got, want) CHECK(fabsf((got) - (want)) < 1e-6f, "got %.9g want %.9g", (double)(got), (double)(want))

static void test_addressing_filtering(void) {
  float d[4] = {0, 10, 20, 30};
  ptx_texture t = tex1d(d, PTX_ADDR_CLAMP, 0, 0);
  NEAR(fetch1(&t, 1.7f), 10.0f);
  NEAR(fetch1(&t, -3.0f), 0.0f);
  NEAR(fetch1(&t, 10.0f), 30.0f);
  t = tex1d(d, PTX_ADDR_CLAMP, 1, 0);
  NEAR(fetch1(&t, 1.75f), 12.5f);                 /* x_B = 1.25: 10 * 0.75 + 20 * 0.25 */
  NEAR(fetch1(&t, 1.501f), 10.0f);                /* alpha 0.001 rounds to 0/256 */
  NEAR(fetch1(&t, 1.5f + 3.0f / 512), 10.0f + 10.0f * 2 / 256);  /* alpha 1.5/256 rounds to 2/256 */
  NEAR(fetch1(&t, 0.0f), 0.0f);                   /* clamped neighbour */
  t = tex1d(d, PTX_ADDR_BORDER, 0, 0);
  NEAR(fetch1(&t, -0.5f), 7.0f);
  NEAR(fetch1(&t, 4.0f), 7.0f);
  t = tex1d(d, PTX_ADDR_BORDER, 1, 0);
  NEAR(fetch1(&t, 0.25f), 7.0f * 0.25f);         /* texel -1 is border: 7 * 0.25 + 0 * 0.75 */
  t = tex1d(d, PTX_ADDR_WRAP, 0, 1);
  NEAR(fetch1(&t, 1.125f), 0.0f);                 /* x = 4.5 -> texel 4 -> 0 */
  NEAR(fetch1(&t, -0.125f), 30.0f);               /* x = -0.5 -> texel -1 -> 3 */
  t = tex1d(d, PTX_ADDR_WRAP, 1, 1);
  NEAR(fetch1(&t, 0.0f), 15.0f);                  /* between texel 3 and texel 0 */
  t = tex1d(d, PTX_ADDR_MIRROR, 0, 1);
  NEAR(fetch1(&t, 1.125f), 30.0f);                /* texel 4 mirrors to 3 */
  NEAR(fetch1(&t, 1.375f), 20.0f);                /* texel 5 mirrors to 2 */
  NEAR(fetch1(&t, -0.125f), 0.0f);                /* texel -1 mirrors to 0 */
  NEAR(fetch1(&t, NAN), 0.0f);                    /* NaN and huge coordinates stay in range */
  CHECK(fetch1(&t, 1e30f) >= 0.0f && fetch1(&t, 1e30f) <= 30.0f, "huge coordinate");
  CHECK(fetch1(&t, -INFINITY) >= 0.0f && fetch1(&t, -INFINITY) <= 30.0f, "infinite coordinate");
  t = tex1d(d, PTX_ADDR_WRAP, 0, 0);              /* wrap needs normalized coordinates: clamp */
  NEAR(fetch1(&t, 5.0f), 30.0f);
  /* integer coordinates index texels; missing channels read (0, 0, 0, 1) */
  t = tex1d(d, PTX_ADDR_BORDER, 1, 0);
  uint32_t c[4] = {2, 0, 0, 0}, out[4];
  ptx_tex_fetch(&t, PTX_GEOM_1D, 1, c, 1, out);
  NEAR(bf(out[0]), 20.0f);
  NEAR(bf(out[1]), 0.0f);
  NEAR(bf(out[3]), 1.0f);
  c[0] = (uint32_t)-1;
  ptx_tex_fetch(&t, PTX_GEOM_1D, 1, c, 1, out);
  NEAR(bf(out[0]), 7.0f);
}

static void test_read_modes(void) {
  uint8_t u8[4] = {255, 51, 0, 128};
  int8_t s8[2] = {-128, 127};
  ptx_texture t = {.format = PTX_FMT_U8, .channels = 4, .read_normalized = 1, .data = u8, .width = 1, .height = 1,
                   .depth = 1, .pitch = 4, .slice = 4};
  uint32_t c[4] = {fb(0.5f), 0, 0, 0}, out[4];
  ptx_tex_fetch(&t, PTX_GEOM_1D, 0, c, 1, out);
  NEAR(bf(out[0]), 1.0f);
  NEAR(bf(out[1]), 0.2f);
  NEAR(bf(out[3]), 128.0f / 255.0f);
  t.read_normalized = 0;                          /* element type: the integers */
  ptx_tex_fetch(&t, PTX_GEOM_1D, 0, c, 0, out);
  CHECK(out[0] == 255 && out[1] == 51 && out[3] == 128, "u8 as integers: %u %u %u", out[0], out[1], out[3]);
  t = (ptx_texture){.format = PTX_FMT_S8, .channels = 2, .read_normalized = 1, .data = (uint8_t *)s8, .width = 1,
                    .height = 1, .depth = 1, .pitch = 2, .slice = 2};
  ptx_tex_fetch(&t, PTX_GEOM_1D, 0, c, 1, out);
  NEAR(bf(out[0]), -1.0f);                        /* -128/127 clamps to -1 */
  NEAR(bf(out[1]), 1.0f);
  t.read_normalized = 0;
  ptx_tex_fetch(&t, PTX_GEOM_1D, 0, c, 0, out);
  CHECK((int32_t)out[0] == -128, "s8 sign-extends: %d", (int32_t)out[0]);
}

static void test_2d_layers_cube(void) {
  float q[4] = {0, 1, 2, 3};
  ptx_texture t = {.format = PTX_FMT_F32, .channels = 1, .linear_filter = 1, .data = (uint8_t *)q, .width = 2,
                   .height = 2, .depth = 1, .pitch = 8, .slice = 16, .addr = {1, 1, 1}};
  uint32_t c[4] = {fb(1.0f), fb(1.0f), 0, 0}, out[4];
  ptx_tex_fetch(&t, PTX_GEOM_2D, 0, c, 1, out);
  NEAR(bf(out[0]), 1.5f);                         /* the mean of all four */
  /* tld4: the four texels of that footprint, counter-clockwise from lower left */
  ptx_tex_gather(&t, PTX_GEOM_2D, c, 0, 1, out);
  CHECK(bf(out[0]) == 2 && bf(out[1]) == 3 && bf(out[2]) == 1 && bf(out[3]) == 0, "gather %g %g %g %g",
        (double)bf(out[0]), (double)bf(out[1]), (double)bf(out[2]), (double)bf(out[3]));
  /* layered 2D: 3 layers of 1x1; the layer index clamps */
  float layers[3] = {5, 6, 8};
  t = (ptx_texture){.format = PTX_FMT_F32, .channels = 1, .layered = 1, .data = (uint8_t *)layers, .width = 1,
                    .height = 1, .depth = 3, .pitch = 4, .slice = 4};
  uint32_t lc[4] = {1, fb(0.5f), fb(0.5f), 0};
  ptx_tex_fetch(&t, PTX_GEOM_A2D, 0, lc, 1, out);
  NEAR(bf(out[0]), 6.0f);
  lc[0] = 9;
  ptx_tex_fetch(&t, PTX_GEOM_A2D, 0, lc, 1, out);
  NEAR(bf(out[0]), 8.0f);
  /* a cube fetch on a plain 2D texture stays inside it */
  t = (ptx_texture){.format = PTX_FMT_F32, .channels = 1, .data = (uint8_t *)q, .width = 2, .height = 2,
                    .depth = 1, .pitch = 8, .slice = 16};
  uint32_t cd[4] = {fb(0), fb(0), fb(-1), 0};
  ptx_tex_fetch(&t, PTX_GEOM_CUBE, 0, cd, 1, out);
  CHECK(bf(out[0]) >= 0 && bf(out[0]) <= 3, "cube on 2D: %g", (double)bf(out[0]));
  /* cubemap of 2x2 faces: texel (x, y) of face f holds f * 10 + y * 2 + x */
  float cube[6 * 4];
  for (int i = 0; i < 24; i++) cube[i] = (float)(i / 4 * 10 + i % 4);
  t = (ptx_texture){.format = PTX_FMT_F32, .channels = 1, .cubemap = 1, .data = (uint8_t *)cube, .width = 2,
                    .height = 2, .depth = 6, .pitch = 8, .slice = 16};
  struct { float x, y, z, want; } dirs[] = {
    {1, 0.5f, 0.25f, 0},     /* +x: s = -z < 0, t = -y < 0 -> texel (0, 0) of face 0 */
    {-1, -0.5f, 0.25f, 13},  /* -x: s = z > 0, t = -y > 0 -> texel (1, 1) of face 1 */
    {0.25f, 1, -0.5f, 21},   /* +y: s = x > 0, t = z < 0 -> texel (1, 0) of face 2 */
    {0.25f, -0.5f, -1, 52},  /* -z: s = -x < 0, t = -y > 0 -> texel (0, 1) of face 5 */
  };
  for (size_t i = 0; i < sizeof dirs / sizeof dirs[0]; i++) {
    uint32_t cc[4] = {fb(dirs[i].x), fb(dirs[i].y), fb(dirs[i].z), 0};
    ptx_tex_fetch(&t, PTX_GEOM_CUBE, 0, cc, 1, out);
    NEAR(bf(out[0]), dirs[i].want);
  }
}

static void test_surface_modes(void) {
  uint32_t d[4] = {100, 101, 102, 103}, v = 0;
  ptx_texture s = {.is_surface = 1, .format = PTX_FMT_U32, .channels = 1, .data = (uint8_t *)d, .width = 4,
                   .height = 1, .depth = 1, .pitch = 16, .slice = 16};
  int32_t c[4] = {4, 0, 0, 0};
  CHECK(ptx_surf_access(&s, PTX_GEOM_1D, c, 4, PTX_SURF_TRAP, &v, 0) == 0 && v == 101, "read x=4: %u", v);
  c[0] = 16;
  CHECK(ptx_surf_access(&s, PTX_GEOM_1D, c, 4, PTX_SURF_TRAP, &v, 0) == -1, "x=16 traps");
  CHECK(ptx_surf_access(&s, PTX_GEOM_1D, c, 4, PTX_SURF_CLAMP, &v, 0) == 0 && v == 103, "clamp: %u", v);
  CHECK(ptx_surf_access(&s, PTX_GEOM_1D, c, 4, PTX_SURF_ZERO, &v, 0) == 0 && v == 0, "zero: %u", v);
  v = 77;
  CHECK(ptx_surf_access(&s, PTX_GEOM_1D, c, 4, PTX_SURF_ZERO, &v, 1) == 0, "store dropped");
  c[0] = 8;
  CHECK(ptx_surf_access(&s, PTX_GEOM_1D, c, 4, PTX_SURF_TRAP, &v, 1) == 0 && d[2] == 77 && d[3] == 103,
        "store x=8: %u %u", d[2], d[3]);
  c[0] = -4;
  CHECK(ptx_surf_access(&s, PTX_GEOM_1D, c, 4, PTX_SURF_TRAP, &v, 0) == -1, "x=-4 traps");
}

/* tex / txq / suld / sust as nvcc writes them, through the parser and interpreter. */
static const char *const kernel_ptx =
  ".version 8.0\n.target sm_75\n.address_size 64\n"
  ".visible .entry k(.param .u64 out, .param .u64 tex, .param .u64 surf)\n{\n"
  "  .reg .b32 %r<16>;\n  .reg .f32 %f<16>;\n  .reg .b64 %rd<8>;\n"
  "  ld.param.u64 %rd1, [out];\n  ld.param.u64 %rd2, [tex];\n  ld.param.u64 %rd3, [surf];\n"
  "  cvta.to.global.u64 %rd1, %rd1;\n"
  "  mov.u32 %r1, %tid.x;\n  cvt.rn.f32.u32 %f1, %r1;\n  add.f32 %f1, %f1, 0f3F400000;\n"
  "  tex.1d.v4.f32.f32 {%f2, %f3, %f4, %f5}, [%rd2, {%f1}];\n"
  "  mul.wide.u32 %rd4, %r1, 4;\n  add.s64 %rd5, %rd1, %rd4;\n  st.global.f32 [%rd5], %f2;\n"
  "  txq.width.b32 %r2, [%rd2];\n  st.global.u32 [%rd1+64], %r2;\n"
  "  shl.b32 %r3, %r1, 2;\n"
  "  suld.b.1d.b32.trap {%r4}, [%rd3, {%r3}];\n  add.s32 %r4, %r4, 1000;\n"
  "  sust.b.1d.b32.trap [%rd3, {%r3}], {%r4};\n"
  "  suld.b.1d.b32.zero {%r5}, [%rd3, {%r3}];\n  st.global.u32 [%rd5+32], %r5;\n"
  "  tld4.g.2d.v4.f32.f32 {%f6, %f7, %f8, %f9}, [%rd2, {%f1, %f1}];\n  st.global.f32 [%rd1+68], %f9;\n"
  "  ret;\n}\n";

static void test_instructions(void) {
  ptx_module *m = tu_parse_text(kernel_ptx);
  const ptx_kernel *k = tu_kernel(m, "k");
  float d[4] = {0, 10, 20, 30};
  uint32_t sd[4] = {1, 2, 3, 4};
  uint32_t *out = tu_alloc(128);
  ptx_texture objs[2] = {tex1d(d, PTX_ADDR_CLAMP, 1, 0),
                         {.handle = 9, .is_surface = 1, .format = PTX_FMT_U32, .channels = 1, .data = (uint8_t *)sd,
                          .width = 4, .height = 1, .depth = 1, .pitch = 16, .slice = 16}};
  objs[0].handle = 5;
  tu_params p;
  tu_params_init(&p, k);
  TU_PARAM(&p, (uint64_t)(uintptr_t)out);
  TU_PARAM(&p, (uint64_t)5);
  TU_PARAM(&p, (uint64_t)9);
  ptx_launch_config c;
  memset(&c, 0, sizeof c);
  c.grid[0] = c.grid[1] = c.grid[2] = 1;
  c.block[0] = 4; c.block[1] = c.block[2] = 1;
  c.params = p.buf;
  c.params_size = p.size;
  c.memory.ranges = tu_ranges;
  c.memory.count = tu_nranges;
  c.textures = objs;
  c.ntextures = 2;
  char err[512] = "";
  ptx_status st = ptx_launch(k, &c, err, sizeof err);
  CHECK(st == PTX_OK, "launch: %s", err);
  for (int i = 0; i < 4; i++) {
    float want = i == 3 ? 30.0f : d[i] * 0.75f + d[i + 1] * 0.25f;   /* x = i + 0.75 */
    NEAR(bf(out[i]), want);
    CHECK(out[8 + i] == (uint32_t)(i + 1001) && sd[i] == (uint32_t)(i + 1001), "surface %d: %u %u", i, out[8 + i], sd[i]);
  }
  CHECK(out[16] == 4, "txq.width %u", out[16]);
  /* tld4.g of a one-channel texture: green reads 0 */
  CHECK(bf(out[17]) == 0.0f, "tld4.g %g", (double)bf(out[17]));
  /* an unknown handle faults instead of reading anything */
  c.ntextures = 1;
  st = ptx_launch(k, &c, err, sizeof err);
  CHECK(st == PTX_ERR_ILLEGAL_ADDRESS && strstr(err, "surface"), "%s: %s", ptx_status_name(st), err);
  tu_free(out);
  ptx_module_free(m);
}

int main(void) {
  test_addressing_filtering();
  test_read_modes();
  test_2d_layers_cube();
  test_surface_modes();
  test_instructions();
  if (tu_failures) {
    fprintf(stderr, "%d failure(s)\n", tu_failures);
    return 1;
  }
  printf("ok\n");
  return 0;
}

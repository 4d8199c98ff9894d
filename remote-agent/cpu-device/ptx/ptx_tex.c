/* ptx_tex.c - texture fetching and surface access for tex / suld / sust, as the CUDA
 * programming guide's "Texture Fetching" appendix describes them: addressing modes (wrap,
 * clamp, mirror, border), nearest-point and linear filtering with 9-bit fixed-point weights
 * (x_B = x - 0.5, alpha = frac(x_B) with 8 fractional bits), normalized coordinates, read
 * modes (element type or normalized float), layered and cubemap geometries.
 * Pure functions of a ptx_texture: the interpreter calls them per lane, tests call them
 * directly against their own reference.
 */
#include "ptx_internal.h"

#include <math.h>
#include <string.h>

size_t ptx_texfmt_size(int format) {
  switch (format) {
  case PTX_FMT_U8: case PTX_FMT_S8: return 1;
  case PTX_FMT_U16: case PTX_FMT_S16: case PTX_FMT_F16: return 2;
  default: return 4;
  }
}

/* One channel of the element at p: its integer value (raw) and its float value (after
 * the read mode's normalization). */
static void read_channel(const ptx_texture *t, const uint8_t *p, int ch, int32_t *iv, float *fv) {
  const uint8_t *q = p + (size_t)ch * ptx_texfmt_size(t->format);
  uint8_t u8; uint16_t u16; uint32_t u32;
  switch (t->format) {
  case PTX_FMT_U8: u8 = *q; *iv = u8; *fv = t->read_normalized ? u8 / 255.0f : u8; break;
  case PTX_FMT_S8: *iv = (int8_t)*q; *fv = t->read_normalized ? fmaxf(*iv / 127.0f, -1.0f) : (float)*iv; break;
  case PTX_FMT_U16: memcpy(&u16, q, 2); *iv = u16; *fv = t->read_normalized ? u16 / 65535.0f : u16; break;
  case PTX_FMT_S16:
    memcpy(&u16, q, 2);
    *iv = (int16_t)u16;
    *fv = t->read_normalized ? fmaxf(*iv / 32767.0f, -1.0f) : (float)*iv;
    break;
  case PTX_FMT_F16: memcpy(&u16, q, 2); *fv = ptx_half_to_float(u16); *iv = (int32_t)ptx_f32_bits(*fv); break;
  case PTX_FMT_F32: memcpy(&u32, q, 4); *iv = (int32_t)u32; *fv = ptx_f32_from_bits(u32); break;
  case PTX_FMT_S32: memcpy(&u32, q, 4); *iv = (int32_t)u32; *fv = (float)*iv; break;
  default: memcpy(&u32, q, 4); *iv = (int32_t)u32; *fv = (float)u32; break;
  }
}

static float srgb_to_linear(float c) {
  return c <= 0.04045f ? c / 12.92f : powf((c + 0.055f) / 1.055f, 2.4f);
}

/* Maps a texel index into [0, n) per the address mode, or -1 for a border texel. */
static long map_index(long i, long n, int mode, int normalized) {
  if (!normalized && (mode == PTX_ADDR_WRAP || mode == PTX_ADDR_MIRROR)) mode = PTX_ADDR_CLAMP;
  if (i >= 0 && i < n) return i;
  switch (mode) {
  case PTX_ADDR_WRAP: return ((i % n) + n) % n;
  case PTX_ADDR_MIRROR: {
    long k = ((i % (2 * n)) + 2 * n) % (2 * n);
    return k < n ? k : 2 * n - 1 - k;
  }
  case PTX_ADDR_BORDER: return -1;
  default: return i < 0 ? 0 : n - 1;
  }
}

/* The texel at (ix, iy, iz) of `layer` as floats and integers; border texels give the
 * border color. Missing channels read (0, 0, 0, 1). */
static void texel(const ptx_texture *t, long ix, long iy, long iz, long layer, float f[4], int32_t v[4]) {
  for (int c = 0; c < 4; c++) {
    f[c] = c == 3 ? 1.0f : 0.0f;
    v[c] = c == 3 ? 1 : 0;
  }
  if (ix < 0 || iy < 0 || iz < 0) {
    for (int c = 0; c < 4; c++) {
      f[c] = t->border[c];
      v[c] = isfinite(f[c]) && fabsf(f[c]) < 2e9f ? (int32_t)f[c] : 0;
    }
    return;
  }
  size_t esize = ptx_texfmt_size(t->format) * t->channels;
  const uint8_t *p = t->data + (size_t)(iz + layer) * t->slice + (size_t)iy * t->pitch + (size_t)ix * esize;
  for (int c = 0; c < t->channels && c < 4; c++) read_channel(t, p, c, &v[c], &f[c]);
  if (t->srgb && t->read_normalized && t->format == PTX_FMT_U8)
    for (int c = 0; c < 3 && c < t->channels; c++) f[c] = srgb_to_linear(f[c]);
}

/* Cubemap face selection (programming guide, cubemap textures): direction -> face, s, t. */
static int cube_face(float x, float y, float z, float *u, float *v) {
  float ax = fabsf(x), ay = fabsf(y), az = fabsf(z), m, s, tt;
  int face;
  if (ax >= ay && ax >= az) {
    m = ax; face = x >= 0 ? 0 : 1; s = x >= 0 ? -z : z; tt = -y;
  } else if (ay >= az) {
    m = ay; face = y >= 0 ? 2 : 3; s = x; tt = y >= 0 ? z : -z;
  } else {
    m = az; face = z >= 0 ? 4 : 5; s = z >= 0 ? x : -x; tt = -y;
  }
  if (m == 0) m = 1;
  *u = (s / m + 1) * 0.5f;
  *v = (tt / m + 1) * 0.5f;
  return face;
}

typedef struct {
  int dims;                /* 1, 2 or 3 sampled dimensions */
  long layer;              /* first slice of the layer / face, in slices */
  float x[3];              /* coordinates as given (normalized or texels) */
  int normalized;
} coords;

static long clamp_layer(long l, long n) { return l < 0 ? 0 : l >= n ? n - 1 : l; }

/* floor of a texel coordinate as an index; NaN reads texel 0 and huge values saturate, so
 * no float-to-integer conversion overflows. */
static long floor_index(float x) {
  if (isnan(x)) return 0;
  if (x < -1e9f) return -1000000000L;
  if (x > 1e9f) return 1000000000L;
  return (long)floorf(x);
}

/* Resolves the geometry: which coordinates are sampled and which layer or face. */
static coords resolve_coords(const ptx_texture *t, int geom, int int_coords, const uint32_t c[4]) {
  coords k = {.normalized = t->normalized_coords && !int_coords};
  float fc[4];
  for (int i = 0; i < 4; i++) fc[i] = int_coords ? (float)(int32_t)c[i] : ptx_f32_from_bits(c[i]);
  long layers = t->cubemap ? (long)t->depth / 6 : (long)t->depth;
  if (layers < 1) layers = 1;
  switch (geom) {
  case PTX_GEOM_1D: k.dims = 1; k.x[0] = fc[0]; break;
  case PTX_GEOM_2D: k.dims = 2; k.x[0] = fc[0]; k.x[1] = fc[1]; break;
  case PTX_GEOM_3D: k.dims = 3; memcpy(k.x, fc, sizeof k.x); break;
  case PTX_GEOM_A1D: k.dims = 1; k.layer = clamp_layer((int32_t)c[0], layers); k.x[0] = fc[1]; break;
  case PTX_GEOM_A2D:
    k.dims = 2; k.layer = clamp_layer((int32_t)c[0], layers); k.x[0] = fc[1]; k.x[1] = fc[2];
    break;
  default: {   /* cube, acube: the direction is always a float vector */
    int acube = geom == PTX_GEOM_ACUBE;
    const uint32_t *d = c + acube;
    long l = acube ? clamp_layer((int32_t)c[0], layers) : 0;
    float u, v;
    int face = cube_face(ptx_f32_from_bits(d[0]), ptx_f32_from_bits(d[1]), ptx_f32_from_bits(d[2]), &u, &v);
    k.dims = 2; k.normalized = 1; k.layer = l * 6 + face; k.x[0] = u; k.x[1] = v;
    break;
  }
  }
  /* a geometry that does not match the resource (cube on a plain 2D array...) stays inside it */
  if (k.layer >= (long)t->depth) k.layer = (long)t->depth - 1;
  return k;
}

void ptx_tex_fetch(const ptx_texture *t, int geom, int int_coords, const uint32_t c[4], int float_result,
                   uint32_t out[4]) {
  coords k = resolve_coords(t, geom, int_coords, c);
  long n[3] = {(long)t->width, (long)(t->height ? t->height : 1), (long)(t->depth ? t->depth : 1)};
  int linear = t->linear_filter && float_result && !int_coords;
  int cube = geom == PTX_GEOM_CUBE || geom == PTX_GEOM_ACUBE;
  long i0[3] = {0, 0, 0};
  float a[3] = {0, 0, 0};
  for (int d = 0; d < k.dims; d++) {
    float x = k.normalized ? k.x[d] * (float)n[d] : k.x[d];
    if (int_coords) {
      i0[d] = (long)(int32_t)c[geom == PTX_GEOM_A1D || geom == PTX_GEOM_A2D ? d + 1 : d];
    } else if (linear) {
      float xb = x - 0.5f, fl = floorf(xb);
      i0[d] = floor_index(xb);
      a[d] = isfinite(xb) ? roundf((xb - fl) * 256.0f) / 256.0f : 0.0f;
    } else {
      i0[d] = floor_index(x);
    }
  }
  float acc[4] = {0, 0, 0, 0};
  int32_t iv[4] = {0, 0, 0, 0};
  int corners = linear ? 1 << k.dims : 1;
  for (int corner = 0; corner < corners; corner++) {
    long idx[3] = {0, 0, 0};
    float w = 1.0f;
    for (int d = 0; d < 3; d++) {
      if (d >= k.dims) continue;
      int hi = corner >> d & 1;
      int mode = cube ? PTX_ADDR_CLAMP : t->addr[d];
      idx[d] = map_index(i0[d] + hi, n[d], mode, k.normalized);
      if (linear) w *= hi ? a[d] : 1.0f - a[d];
    }
    int border = idx[0] < 0 || idx[1] < 0 || idx[2] < 0;
    float f[4];
    texel(t, border ? -1 : idx[0], idx[1], idx[2], k.layer, f, iv);
    for (int ch = 0; ch < 4; ch++) acc[ch] += linear ? w * f[ch] : f[ch];
  }
  for (int ch = 0; ch < 4; ch++) {
    if (!float_result) out[ch] = (t->format == PTX_FMT_F32 || t->format == PTX_FMT_F16) ? ptx_f32_bits(acc[ch]) : (uint32_t)iv[ch];
    else out[ch] = ptx_f32_bits(acc[ch]);
  }
}

void ptx_tex_gather(const ptx_texture *t, int geom, const uint32_t c[4], int comp, int float_result,
                    uint32_t out[4]) {
  static const int order[4][2] = {{0, 1}, {1, 1}, {1, 0}, {0, 0}};
  coords k = resolve_coords(t, geom, 0, c);
  long n[2] = {(long)t->width, (long)(t->height ? t->height : 1)}, i0[2];
  int cube = geom == PTX_GEOM_CUBE || geom == PTX_GEOM_ACUBE;
  for (int d = 0; d < 2; d++) {
    float x = k.normalized ? k.x[d] * (float)n[d] : k.x[d];
    i0[d] = floor_index(x - 0.5f);
  }
  for (int s = 0; s < 4; s++) {
    long idx[2];
    for (int d = 0; d < 2; d++)
      idx[d] = map_index(i0[d] + order[s][d], n[d], cube ? PTX_ADDR_CLAMP : t->addr[d], k.normalized);
    float f[4];
    int32_t iv[4];
    texel(t, idx[0] < 0 || idx[1] < 0 ? -1 : idx[0], idx[1], 0, k.layer, f, iv);
    int fl = t->format == PTX_FMT_F32 || t->format == PTX_FMT_F16;
    out[s] = float_result || fl ? ptx_f32_bits(f[comp & 3]) : (uint32_t)iv[comp & 3];
  }
}

static long clampl(long v, long lo, long hi) { return v < lo ? lo : v > hi ? hi : v; }

int ptx_surf_access(const ptx_texture *t, int geom, const int32_t c[4], size_t bytes, int mode, void *buf,
                    int write) {
  long x, y = 0, z = 0;
  int layered = geom == PTX_GEOM_A1D || geom == PTX_GEOM_A2D;
  const int32_t *p = c + layered;
  x = p[0];
  if (geom == PTX_GEOM_2D || geom == PTX_GEOM_A2D || geom == PTX_GEOM_3D) y = p[1];
  if (geom == PTX_GEOM_3D) z = p[2];
  if (layered) z = c[0];
  long rowbytes = (long)(t->width * ptx_texfmt_size(t->format) * t->channels);
  long h = (long)(t->height ? t->height : 1), d = (long)(t->depth ? t->depth : 1);
  if (x < 0 || x + (long)bytes > rowbytes || y < 0 || y >= h || z < 0 || z >= d) {
    if (mode == PTX_SURF_TRAP) return -1;
    if (mode == PTX_SURF_ZERO) {
      if (!write) memset(buf, 0, bytes);
      return 0;
    }
    x = clampl(x, 0, rowbytes - (long)bytes);
    y = clampl(y, 0, h - 1);
    z = clampl(z, 0, d - 1);
    if (x < 0) return -1;
  }
  uint8_t *q = t->data + (size_t)z * t->slice + (size_t)y * t->pitch + (size_t)x;
  if (write) memcpy(q, buf, bytes);
  else memcpy(buf, q, bytes);
  return 0;
}

/* ptx_link.c - links several PTX modules into one, as text (see ptx_link.h).
 *
 * Each input is cut into module-level items (a header line, a declaration ending in ';', or
 * a function with its body); each item gets a kind, a linkage and a name. Clashing local
 * names are renamed in their input, then the items are written out in an order that
 * declares before use: header, function prototypes and unresolved externs, variables,
 * functions, everything else (.alias, .pragma, sections). */
#include "ptx_link.h"

#include <ctype.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

typedef enum { IT_VERSION, IT_TARGET, IT_ADDRSIZE, IT_DROP, IT_FUNC, IT_ENTRY, IT_VAR, IT_OTHER } item_kind;
typedef enum { LK_LOCAL, LK_VISIBLE, LK_WEAK, LK_EXTERN } linkage;

typedef struct {
  char *text;          /* malloc'd copy of the item */
  unsigned input;
  item_kind kind;
  linkage link;
  bool body;           /* a function definition (has '{') */
  bool dropped;        /* resolved elsewhere, or a duplicate */
  char name[256];
} item;

typedef struct {
  item *v;
  size_t n, cap;
  char *err;
  size_t errlen;
} items;

typedef struct {
  char *buf;
  size_t len, cap;
  bool oom;
} sbuf;

static bool fail(items *it, const char *fmt, ...) {
  if (it->err && it->errlen) {
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(it->err, it->errlen, fmt, ap);
    va_end(ap);
  }
  return false;
}

static void sb_add(sbuf *b, const char *s, size_t n) {
  if (b->oom) return;
  if (b->len + n + 1 > b->cap) {
    size_t cap = (b->len + n + 1) * 2;
    char *nb = realloc(b->buf, cap);
    if (!nb) {
      b->oom = true;
      return;
    }
    b->buf = nb, b->cap = cap;
  }
  memcpy(b->buf + b->len, s, n);
  b->len += n;
  b->buf[b->len] = '\0';
}

static void sb_str(sbuf *b, const char *s) { sb_add(b, s, strlen(s)); }

static bool ident_char(char c) { return isalnum((unsigned char)c) || c == '_' || c == '$'; }

/* Skips white space and comments. */
static const char *skip_blank(const char *p) {
  for (;;) {
    while (isspace((unsigned char)*p)) p++;
    if (p[0] == '/' && p[1] == '/') {
      while (*p && *p != '\n') p++;
    } else if (p[0] == '/' && p[1] == '*') {
      const char *e = strstr(p + 2, "*/");
      p = e ? e + 2 : p + strlen(p);
    } else {
      return p;
    }
  }
}

static bool starts_word(const char *p, const char *w) {
  size_t n = strlen(w);
  return strncmp(p, w, n) == 0 && !ident_char(p[n]);
}

/* End of the item starting at p: a line for header directives, else ';' at depth 0 or the
 * '}' that closes a function body (an initializer's braces are followed by ';'). */
static const char *item_end(const char *p) {
  if (starts_word(p, ".version") || starts_word(p, ".target") || starts_word(p, ".address_size") ||
      starts_word(p, ".file")) {
    while (*p && *p != '\n') p++;
    return p;
  }
  int paren = 0, brace = 0;
  bool init = false;
  while (*p) {
    if (p[0] == '/' && (p[1] == '/' || p[1] == '*')) {
      p = skip_blank(p);
      continue;
    }
    char c = *p++;
    if (c == '"') {
      while (*p && *p != '"') p += (*p == '\\' && p[1]) ? 2 : 1;
      if (*p) p++;
    } else if (c == '(') paren++;
    else if (c == ')') paren--;
    else if (c == '{') brace++;
    else if (c == '}' && --brace == 0 && paren == 0 && !init) return p;
    else if (c == '=' && brace == 0 && paren == 0) init = true;
    else if (c == ';' && brace == 0 && paren == 0) return p;
  }
  return p;
}

/* Reads the identifier at p (after blanks) into name; returns the position after it. */
static const char *read_ident(const char *p, char *name, size_t cap) {
  p = skip_blank(p);
  size_t n = 0;
  while (ident_char(*p) || (n == 0 && *p == '%')) {
    if (n + 1 < cap) name[n++] = *p;
    p++;
  }
  name[n] = '\0';
  return p;
}

/* Classifies an item: linkage words, then .func/.entry (name after the optional return
 * parameters) or a state space (name = last identifier before '[', '=', ';', '<' or ','). */
static void classify(item *m) {
  const char *p = skip_blank(m->text);
  m->link = LK_LOCAL;
  if (starts_word(p, ".version")) { m->kind = IT_VERSION; return; }
  if (starts_word(p, ".target")) { m->kind = IT_TARGET; return; }
  if (starts_word(p, ".address_size")) { m->kind = IT_ADDRSIZE; return; }
  if (starts_word(p, ".file")) { m->kind = IT_DROP; return; }
  for (;;) {
    if (starts_word(p, ".visible")) m->link = LK_VISIBLE, p += 8;
    else if (starts_word(p, ".weak") || starts_word(p, ".common")) m->link = LK_WEAK, p += (p[1] == 'w' ? 5 : 7);
    else if (starts_word(p, ".extern")) m->link = LK_EXTERN, p += 7;
    else break;
    p = skip_blank(p);
  }
  if (starts_word(p, ".func") || starts_word(p, ".entry")) {
    m->kind = p[1] == 'f' ? IT_FUNC : IT_ENTRY;
    p = skip_blank(p + (m->kind == IT_FUNC ? 5 : 6));
    if (*p == '(') {
      int d = 0;
      do d += (*p == '(') - (*p == ')');
      while (*++p && d > 0);
    }
    read_ident(p, m->name, sizeof m->name);
    m->body = strchr(m->text, '{') != NULL;
    return;
  }
  if (!(starts_word(p, ".global") || starts_word(p, ".const") || starts_word(p, ".shared"))) {
    m->kind = IT_OTHER;
    return;
  }
  m->kind = IT_VAR;
  while (*p && !strchr("[=;<,", *p)) {
    if (*p == '.' || isdigit((unsigned char)*p)) {
      for (p++; ident_char(*p); p++) {}
    } else if (ident_char(*p) || *p == '%') {
      p = read_ident(p, m->name, sizeof m->name);
    } else {
      p++;
    }
    p = skip_blank(p);
  }
}

static bool split_input(items *it, const char *text, unsigned input) {
  for (const char *p = skip_blank(text); *p; p = skip_blank(p)) {
    const char *e = item_end(p);
    if (it->n == it->cap) {
      size_t cap = it->cap ? it->cap * 2 : 64;
      item *nv = realloc(it->v, cap * sizeof *nv);
      if (!nv) return fail(it, "out of memory");
      it->v = nv, it->cap = cap;
    }
    item *m = &it->v[it->n];
    memset(m, 0, sizeof *m);
    if (!(m->text = strndup(p, (size_t)(e - p)))) return fail(it, "out of memory");
    m->input = input;
    it->n++;
    classify(m);
    p = e;
  }
  return true;
}

/* Replaces whole-identifier occurrences of `from` with `to` in *text. */
static bool rename_in(char **text, const char *from, const char *to) {
  sbuf b = {0};
  size_t fl = strlen(from);
  const char *s = *text, *p = s;
  while ((p = strstr(p, from))) {
    bool whole = (p == *text || (!ident_char(p[-1]) && p[-1] != '.' && p[-1] != '%')) && !ident_char(p[fl]);
    if (whole) {
      sb_add(&b, s, (size_t)(p - s));
      sb_str(&b, to);
      s = p + fl;
    }
    p += fl;
  }
  sb_str(&b, s);
  if (b.oom) return free(b.buf), false;
  free(*text);
  *text = b.buf;
  return true;
}

static bool is_decl(const item *m) { return m->kind == IT_FUNC || m->kind == IT_ENTRY || m->kind == IT_VAR; }

/* A local name of one input that any other input also uses at module level gets a suffix. */
static bool rename_locals(items *it) {
  for (size_t i = 0; i < it->n; i++) {
    item *m = &it->v[i];
    if (!is_decl(m) || m->link != LK_LOCAL || !m->name[0]) continue;
    bool clash = false;
    for (size_t j = 0; j < it->n && !clash; j++)
      clash = it->v[j].input != m->input && is_decl(&it->v[j]) && strcmp(it->v[j].name, m->name) == 0;
    if (!clash) continue;
    char from[sizeof m->name], to[sizeof m->name];
    memcpy(from, m->name, sizeof from);
    snprintf(to, sizeof to, "%.200s__lnk%u", from, m->input);
    for (size_t j = 0; j < it->n; j++) {
      if (it->v[j].input != m->input) continue;
      if (!rename_in(&it->v[j].text, from, to)) return fail(it, "out of memory");
      if (strcmp(it->v[j].name, from) == 0) memcpy(it->v[j].name, to, sizeof to);
    }
  }
  return true;
}

static bool is_definition(const item *m) {
  if (m->link == LK_EXTERN || !is_decl(m)) return false;
  return m->kind == IT_VAR || m->body;
}

/* The definition of `name` that survives, or NULL. */
static item *definition_of(items *it, const char *name) {
  for (size_t i = 0; i < it->n; i++)
    if (!it->v[i].dropped && is_definition(&it->v[i]) && strcmp(it->v[i].name, name) == 0) return &it->v[i];
  return NULL;
}

/* One definition per global name: a second strong one is an error, weak ones yield. */
static bool resolve_definitions(items *it) {
  for (size_t i = 0; i < it->n; i++) {
    item *m = &it->v[i];
    if (!is_definition(m) || m->link == LK_LOCAL) continue;
    for (size_t j = 0; j < i; j++) {
      item *o = &it->v[j];
      if (o->dropped || !is_definition(o) || o->link == LK_LOCAL || strcmp(o->name, m->name) != 0) continue;
      if (m->link == LK_WEAK) m->dropped = true;
      else if (o->link == LK_WEAK) o->dropped = true;
      else return fail(it, "symbol '%s' is defined in inputs %u and %u", m->name, o->input, m->input);
    }
  }
  /* declarations (extern or prototypes) of defined names go, except a kernel's (.extern
   * .entry, before a device-side launch takes its address: no prototype is written for it);
   * unresolved ones stay once */
  for (size_t i = 0; i < it->n; i++) {
    item *m = &it->v[i];
    if (!is_decl(m) || is_definition(m)) continue;
    if (m->kind != IT_ENTRY && definition_of(it, m->name)) {
      m->dropped = true;
      continue;
    }
    for (size_t j = 0; j < i && !m->dropped; j++)
      m->dropped = !it->v[j].dropped && !is_definition(&it->v[j]) && it->v[j].kind == m->kind &&
                   strcmp(it->v[j].name, m->name) == 0;
  }
  return true;
}

static double version_of(const char *t) {
  const char *p = skip_blank(t) + 8;
  return strtod(p, NULL);
}

static long target_of(const char *t) {
  const char *p = strstr(t, "sm_");
  return p ? strtol(p + 3, NULL, 10) : 0;
}

static void write_header(items *it, sbuf *b) {
  const item *version = NULL, *target = NULL, *addr = NULL;
  for (size_t i = 0; i < it->n; i++) {
    const item *m = &it->v[i];
    if (m->kind == IT_VERSION && (!version || version_of(m->text) > version_of(version->text))) version = m;
    if (m->kind == IT_TARGET && (!target || target_of(m->text) > target_of(target->text))) target = m;
    if (m->kind == IT_ADDRSIZE && !addr) addr = m;
  }
  const item *hdr[] = {version, target, addr};
  for (int i = 0; i < 3; i++)
    if (hdr[i]) sb_str(b, hdr[i]->text), sb_str(b, "\n");
  sb_str(b, "\n");
}

/* A prototype for every defined .func (its text up to the body) and unresolved externs. */
static void write_prototypes(items *it, sbuf *b) {
  for (size_t i = 0; i < it->n; i++) {
    const item *m = &it->v[i];
    if (m->dropped || m->kind != IT_FUNC) continue;
    if (m->body) {
      sb_add(b, m->text, (size_t)(strchr(m->text, '{') - m->text));
      sb_str(b, ";\n");
    } else {
      sb_str(b, m->text), sb_str(b, "\n");
    }
  }
}

static void write_kind(items *it, sbuf *b, item_kind a, item_kind c) {
  for (size_t i = 0; i < it->n; i++) {
    const item *m = &it->v[i];
    if (m->dropped || (m->kind != a && m->kind != c)) continue;
    if ((m->kind == IT_FUNC) && !m->body) continue;   /* written with the prototypes */
    sb_str(b, m->text), sb_str(b, "\n\n");
  }
}

char *ptx_link(const char *const *texts, size_t n, size_t *out_len, char *err, size_t errlen) {
  items it = {.err = err, .errlen = errlen};
  sbuf b = {0};
  if (n == 1) {   /* one module is linked already */
    sb_str(&b, texts[0]);
    if (b.oom) return fail(&it, "out of memory"), NULL;
    if (out_len) *out_len = b.len;
    return b.buf;
  }
  bool ok = n > 0 || fail(&it, "nothing to link");
  for (size_t i = 0; ok && i < n; i++) ok = split_input(&it, texts[i], (unsigned)i);
  ok = ok && rename_locals(&it) && resolve_definitions(&it);
  if (ok) {
    sb_str(&b, "// linked by gpushim's ptx_link\n");
    write_header(&it, &b);
    write_prototypes(&it, &b);
    sb_str(&b, "\n");
    write_kind(&it, &b, IT_VAR, IT_VAR);
    write_kind(&it, &b, IT_FUNC, IT_ENTRY);
    write_kind(&it, &b, IT_OTHER, IT_OTHER);
    if (b.oom) ok = fail(&it, "out of memory");
  }
  for (size_t i = 0; i < it.n; i++) free(it.v[i].text);
  free(it.v);
  if (!ok) return free(b.buf), NULL;
  if (out_len) *out_len = b.len;
  return b.buf;
}

/* ptx_lex.c - the PTX tokenizer. Skips whitespace and comments, tracks line numbers. */
#include "ptx_internal.h"
#include "ptx_lex.h"

#include <ctype.h>
#include <stdlib.h>
#include <string.h>

void ptx_lex_init(ptx_lexer *lx, const char *text, size_t len) {
  lx->text = lx->p = text;
  lx->end = text + len;
  lx->line = 1;
  ptx_lex_next(lx);
}

static int is_ident_start(int c) {
  return isalpha(c) || c == '_' || c == '$' || c == '%' || c == '.';
}

static int is_ident_char(int c) {
  return isalnum(c) || c == '_' || c == '$' || c == '%' || c == '.' || c == ':';
}

static void skip_space_and_comments(ptx_lexer *lx) {
  while (lx->p < lx->end) {
    char c = *lx->p;
    if (c == '\n') {
      lx->line++;
      lx->p++;
    } else if (isspace((unsigned char)c) || c == '\0') {
      lx->p++;
    } else if (c == '/' && lx->p + 1 < lx->end && lx->p[1] == '/') {
      while (lx->p < lx->end && *lx->p != '\n') lx->p++;
    } else if (c == '/' && lx->p + 1 < lx->end && lx->p[1] == '*') {
      lx->p += 2;
      while (lx->p + 1 < lx->end && !(lx->p[0] == '*' && lx->p[1] == '/')) {
        if (*lx->p == '\n') lx->line++;
        lx->p++;
      }
      lx->p = lx->p + 2 < lx->end ? lx->p + 2 : lx->end;
    } else {
      break;
    }
  }
}

static int hexval(int c) {
  if (c >= '0' && c <= '9') return c - '0';
  if (c >= 'a' && c <= 'f') return c - 'a' + 10;
  if (c >= 'A' && c <= 'F') return c - 'A' + 10;
  return -1;
}

/* 0fXXXXXXXX / 0dXXXXXXXXXXXXXXXX */
static void lex_hex_float(ptx_lexer *lx, ptx_token *t, int bits) {
  const char *q = lx->p + 2;
  uint64_t v = 0;
  while (q < lx->end && hexval((unsigned char)*q) >= 0) v = v << 4 | (uint64_t)hexval((unsigned char)*q++);
  t->kind = TK_FLOAT;
  t->fbits = bits;
  t->ival = v;
  t->fval = bits == 32 ? ptx_f32_from_bits((uint32_t)v) : ptx_f64_from_bits(v);
  lx->p = q;
}

static void lex_number(ptx_lexer *lx, ptx_token *t) {
  const char *s = lx->p;
  if (s + 1 < lx->end && s[0] == '0' && (s[1] == 'f' || s[1] == 'F')) {
    lex_hex_float(lx, t, 32);
    return;
  }
  if (s + 1 < lx->end && s[0] == '0' && (s[1] == 'd' || s[1] == 'D')) {
    lex_hex_float(lx, t, 64);
    return;
  }
  char buf[128];
  size_t n = 0;
  const char *q = s;
  int is_float = 0;
  if (q + 1 < lx->end && q[0] == '0' && (q[1] == 'x' || q[1] == 'X')) {
    buf[n++] = *q++;
    buf[n++] = *q++;
    while (q < lx->end && hexval((unsigned char)*q) >= 0 && n < sizeof buf - 1) buf[n++] = *q++;
  } else {
    while (q < lx->end && n < sizeof buf - 1) {
      char c = *q;
      if (isdigit((unsigned char)c)) {
        buf[n++] = *q++;
      } else if (c == '.' || c == 'e' || c == 'E') {
        is_float = 1;
        buf[n++] = *q++;
        if ((c == 'e' || c == 'E') && q < lx->end && (*q == '+' || *q == '-')) buf[n++] = *q++;
      } else {
        break;
      }
    }
  }
  buf[n] = 0;
  if (q < lx->end && *q == 'U') q++;   /* 123U suffix */
  lx->p = q;
  if (is_float) {
    t->kind = TK_FLOAT;
    t->fbits = 0;
    t->fval = strtod(buf, NULL);
    memcpy(&t->ival, &t->fval, 8);
  } else {
    t->kind = TK_INT;
    int base = 10;
    if (n > 1 && buf[0] == '0' && (buf[1] == 'x' || buf[1] == 'X')) base = 16;
    else if (n > 1 && buf[0] == '0') base = 8;
    t->ival = strtoull(buf, NULL, base);
  }
}

void ptx_lex_next(ptx_lexer *lx) {
  skip_space_and_comments(lx);
  ptx_token *t = &lx->tok;
  memset(t, 0, sizeof *t);
  t->line = lx->line;
  t->s = lx->p;
  if (lx->p >= lx->end) {
    t->kind = TK_EOF;
    return;
  }
  unsigned char c = (unsigned char)*lx->p;
  if (isdigit(c)) {
    lex_number(lx, t);
  } else if (is_ident_start(c) && !(c == '.' && lx->p + 1 < lx->end && isdigit((unsigned char)lx->p[1]))) {
    const char *q = lx->p + 1;
    while (q < lx->end && is_ident_char((unsigned char)*q)) {
      /* "::" inside cache hints (L2::cache_hint) is part of an identifier; a lone ':' ends one */
      if (*q == ':' && !(q + 1 < lx->end && q[1] == ':') && !(q > lx->p && q[-1] == ':')) break;
      q++;
    }
    t->kind = TK_IDENT;
    lx->p = q;
  } else if (c == '"') {
    const char *q = lx->p + 1;
    while (q < lx->end && *q != '"') {
      if (*q == '\\' && q + 1 < lx->end) q++;
      q++;
    }
    t->kind = TK_STRING;
    lx->p = q < lx->end ? q + 1 : q;
  } else {
    t->kind = TK_PUNCT;
    t->punct = (char)c;
    lx->p++;
  }
  t->len = (size_t)(lx->p - t->s);
}

/* ptx_lex.h - the PTX tokenizer: identifiers (with dots, %, $), numbers, punctuation. */
#ifndef GPUSHIM_PTX_LEX_H
#define GPUSHIM_PTX_LEX_H

#include <stddef.h>
#include <stdint.h>

typedef enum { TK_EOF, TK_IDENT, TK_INT, TK_FLOAT, TK_STRING, TK_PUNCT } ptx_tokkind;

typedef struct {
  ptx_tokkind kind;
  const char *s;      /* start in the text */
  size_t len;
  unsigned line;
  uint64_t ival;      /* TK_INT: value (unsigned); TK_FLOAT: bits, see fbits */
  double fval;        /* TK_FLOAT: value as double */
  int fbits;          /* TK_FLOAT: 32 for 0f, 64 for 0d, 0 for decimal */
  char punct;
} ptx_token;

typedef struct {
  const char *text, *end, *p;
  unsigned line;
  ptx_token tok;      /* current token */
} ptx_lexer;

void ptx_lex_init(ptx_lexer *lx, const char *text, size_t len);
void ptx_lex_next(ptx_lexer *lx);

#endif

/* ptx_link.h - a PTX-to-PTX linker: several modules' text in, one module's text out.
 *
 * What nvlink does for -rdc programs and cuLink does for several inputs, at the PTX level:
 * one .version/.target/.address_size header (the highest version and target), .extern
 * declarations of symbols another input defines resolved against that definition, one copy
 * of each .weak definition (a .visible one wins), and file-local symbols that clash with a
 * name of another input renamed. Function prototypes go first and variables before
 * functions, so every use follows a declaration. Used by the CPU device's cuLink* and by the
 * runtime for -rdc fatbins (on the client, which then loads one image). */
#ifndef GPUSHIM_PTX_LINK_H
#define GPUSHIM_PTX_LINK_H

#include <stddef.h>

/* Links texts[0..n) (NUL-terminated PTX). Returns the linked text (malloc'd, NUL-terminated,
 * length in *out_len if non-NULL), or NULL with a message in err (e.g. a symbol defined twice). */
char *ptx_link(const char *const *texts, size_t n, size_t *out_len, char *err, size_t errlen);

#endif

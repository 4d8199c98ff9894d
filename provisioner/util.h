/* util.h: small helpers shared by the provisioner: time, strings, files, secrets,
 * child processes. Nothing here knows about providers or the daemon. */
#ifndef GS_PROV_UTIL_H
#define GS_PROV_UTIL_H

#include <stddef.h>
#include <sys/types.h>

double gs_now(void);                                   /* wall clock, seconds since epoch */
void gs_sleep(double seconds);
void gs_strlcpy(char *dst, const char *src, size_t n);
void gs_errf(char *err, size_t n, const char *fmt, ...) __attribute__((format(printf, 3, 4)));
int gs_mkdir_p(const char *path, mode_t mode);         /* 0 or -1 with errno */
char *gs_read_file(const char *path, size_t *len);     /* malloc'd, NUL-terminated, or NULL */
int gs_write_private_file(const char *path, const char *data); /* 0600, atomic rename */
int gs_random_hex(char *out, size_t nbytes);           /* out holds 2*nbytes+1 */
void gs_format_time(double t, char *out, size_t n);    /* "2026-11-24 03:55:21" UTC, "-" for 0 */
double gs_parse_time(const char *s);                   /* inverse of the above, or epoch number; <0 bad */

/* Runs `/bin/sh -c cmd` with extra environment entries ("K=V", NULL-terminated list,
 * may be NULL), captures up to outsz-1 bytes of stdout into out (may be NULL), waits at
 * most timeout seconds (killed after). Returns the exit status, 124 on timeout, -1 on
 * failure to run. stdin is /dev/null unless input is given (written then closed). */
int gs_run_shell(const char *cmd, char *const *env, const char *input,
                 char *out, size_t outsz, double timeout);

/* Runs argv directly (no shell) the same way. */
int gs_run_argv(char *const *argv, char *const *env, const char *input,
                char *out, size_t outsz, double timeout);

/* TCP connect check: 1 if host:port accepts a connection within timeout seconds. */
int gs_tcp_probe(const char *host, int port, double timeout);

#endif

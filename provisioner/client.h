/* client.h: talking to the provisioner daemon (libgpushim and the gpushim CLI use it).
 *
 * The daemon (one per user, `gpushim daemon`) listens on a Unix stream socket,
 * <runtime dir>/daemon.sock, where the runtime dir is $XDG_RUNTIME_DIR/gpushim or
 * /tmp/gpushim-$UID (directory 0700, socket 0600; the daemon also checks the peer's uid).
 * It is spawned on demand by whoever finds no daemon: $GPUSHIM_BIN, else this process
 * when it is `gpushim`, else `gpushim` on PATH, run as `gpushim daemon`.
 *
 * Protocol: text lines ending in '\n', one request per connection, answers as lines.
 *   ACQUIRE <pid> <name> [provider=<p>]
 *                            a session: counts as active until RELEASE or the socket
 *                            closes. Answers PROGRESS <text>... while the instance
 *                            starts, then READY <host:port> <secret path> <instance>
 *                            or ERROR <code> <text>. After READY: RELEASE -> OK.
 *                            With provider=, a daemon running another provider answers
 *                            ERROR config (stop it with `gpushim down --exit` to switch).
 *   UP [provider=<p>]        start the instance without a session (the idle grace then
 *                            runs): PROGRESS... then READY ... or ERROR ...
 *   DOWN [destroy] [force]   stop (or destroy) now: OK or ERROR. Refused (ERROR busy)
 *                            while sessions are attached, unless force.
 *   STATUS                   STATUS <one-line JSON object>
 *   SHUTDOWN                 stop the instance, answer OK and exit the daemon.
 * Error codes: busy, provider, auth, capacity, config, protocol, shutdown.
 */
#ifndef GS_PROV_CLIENT_H
#define GS_PROV_CLIENT_H

#include <stddef.h>

#define GS_EXPORT __attribute__((visibility("default")))

/* Starts a session: brings the instance up if needed (progress on stderr unless
 * GPUSHIM_QUIET is set) and returns the agent's "host:port" and the path of the file
 * holding its secret. The session stays open until gs_provisioner_release() or exit.
 * Returns 0, or -1 with err filled. */
GS_EXPORT int gs_provisioner_acquire(char *endpoint, size_t endpoint_len, char *secret_path,
                                     size_t secret_path_len, char *err, size_t err_len);
/* Ends the session (idempotent). */
GS_EXPORT void gs_provisioner_release(void);

/* Lower level, for the CLI: a connected socket to the daemon (spawned when spawn is set
 * and none answers), or -1 with err. */
int gs_daemon_connect(int spawn, char *err, size_t n);
int gs_send_line(int fd, const char *line);
/* Reads one line (without '\n') into out; 1 got a line, 0 EOF, -1 error. Unbuffered
 * (byte at a time): the answers are short. */
int gs_read_line(int fd, char *out, size_t n);

#endif

/* sshboot.h: putting the agent onto a host over OpenSSH (ssh, scp): what the `ssh`
 * provider does at create and what the daemon does to a cloud instance after boot with
 * GPUSHIM_BOOTSTRAP=ssh. The secret travels on ssh's stdin, never on a command line. */
#ifndef GS_PROV_SSHBOOT_H
#define GS_PROV_SSHBOOT_H

#include <stddef.h>

/* Where to log in. Key and known-hosts file come from ssh_key / ssh_known_hosts. */
typedef struct gs_ssh_target {
    char host[256];
    int port;
    char user[64];   /* "" : ssh's default */
} gs_ssh_target;

/* The `ssh` provider's host: ssh_host, ssh_port (22), ssh_user. */
void gs_ssh_target_from_config(gs_ssh_target *t);
/* Directory of our agents on the host (ssh_dir, default .gpushim, relative to home). */
const char *gs_ssh_remote_dir(void);
/* The local agent binary to copy (ssh_agent, else agent_cmd when it is a file), or NULL. */
const char *gs_ssh_agent_binary(void);
/* Runs a remote shell command, input on its stdin; output in out. Returns ssh's exit
 * status (255: ssh itself failed). */
int gs_ssh_run(const gs_ssh_target *t, const char *remote_cmd, const char *input, char *out,
               size_t outsz);
/* Copies the agent into <remote dir>/<tag>/ and starts it detached with the secret (sent
 * on stdin, kept in a 0600 file there), listening on ssh_listen (default 0.0.0.0) and
 * port, a shell word ("0", or "${GPUSHIM_AGENT_PORT:-8000}"); its pid in agent.pid, its
 * output in agent.log. GS_OK; GS_ECONFIG without an agent binary; GS_EFAIL when nothing
 * was made there; GS_EMAYBE when the directory exists but the agent may not run. */
int gs_ssh_install_agent(const gs_ssh_target *t, const char *tag, const char *secret,
                         const char *port, char *err, size_t n);

#endif

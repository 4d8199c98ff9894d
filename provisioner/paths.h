/* paths.h: where the provisioner keeps things: the daemon's socket (runtime dir), the
 * ledger and logs (state dir), the configuration file (config dir). Each follows the XDG
 * variable with the usual fallback, so tests and users can isolate them. */
#ifndef GS_PROV_PATHS_H
#define GS_PROV_PATHS_H

#include <stddef.h>

/* $XDG_RUNTIME_DIR/gpushim, else /tmp/gpushim-$UID; created 0700. 0 or -1. */
int gs_runtime_dir(char *out, size_t n);
/* $XDG_STATE_HOME/gpushim, else ~/.local/state/gpushim; created 0700. */
int gs_state_dir(char *out, size_t n);
/* <state dir>/<name> (the local provider's pid files, the daemon's secrets); created
 * 0700. 0 or -1. */
int gs_state_subdir(char *out, size_t n, const char *name);
/* $XDG_CONFIG_HOME/gpushim/config, else ~/.config/gpushim/config (not created). */
void gs_config_path(char *out, size_t n);
/* The daemon's socket: <runtime dir>/daemon.sock. */
int gs_socket_path(char *out, size_t n);

#endif
